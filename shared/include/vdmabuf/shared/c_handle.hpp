// RAII for C library handles and mmap'd ranges.
//
// One generic deleter plus std::unique_ptr aliases instead of a hand-written
// class per C type:   using GbmBo = CHandle<gbm_bo, &gbm_bo_destroy>;
// Member order then encodes destruction order (see STYLE.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <sys/types.h>
#include <utility>

namespace vdmabuf {

// Calls Fn(p) for non-null p. Fn is a template argument, so the unique_ptr
// stays pointer-sized (no stored function pointer).
template <auto Fn> struct CDeleter {
    template <class P> void operator()(P* p) const noexcept {
        if (p)
            Fn(p);
    }
};

template <class T, auto Fn> using CHandle = std::unique_ptr<T, CDeleter<Fn>>;

// Move-only owner of an mmap'd range; munmap()s it on destruction.
// mmap's "void* + length" pair cannot use CHandle because munmap needs the length.
class Mapping {
public:
    Mapping() noexcept = default;
    ~Mapping() { reset(); }

    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    Mapping(Mapping&& other) noexcept
        : ptr_(std::exchange(other.ptr_, nullptr)), size_(std::exchange(other.size_, 0)) {}
    Mapping& operator=(Mapping&& other) noexcept {
        if (this != &other) {
            reset();
            ptr_ = std::exchange(other.ptr_, nullptr);
            size_ = std::exchange(other.size_, 0);
        }
        return *this;
    }

    // mmap(nullptr, len, prot, flags, fd, off). Empty (and logged) on failure,
    // including len == 0, which mmap would reject with a less helpful EINVAL.
    [[nodiscard]] static Mapping map(int fd, size_t len, off_t off, int prot, int flags);

    [[nodiscard]] void* get() const noexcept { return ptr_; }
    [[nodiscard]] uint8_t* bytes() const noexcept { return static_cast<uint8_t*>(ptr_); }
    [[nodiscard]] size_t size() const noexcept { return size_; }
    explicit operator bool() const noexcept { return ptr_ != nullptr; }

    // Unmaps now (idempotent).
    void reset() noexcept;

private:
    Mapping(void* ptr, size_t size) noexcept : ptr_(ptr), size_(size) {}

    void* ptr_ = nullptr;
    size_t size_ = 0;
};

} // namespace vdmabuf
