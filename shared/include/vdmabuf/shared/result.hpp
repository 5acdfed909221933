// A value or an error reason, for callers that need to know why something
// failed (C++20 has no std::expected). Everything else returns bool / nullptr.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace vdmabuf {

struct Error {
    int err = 0;           // errno value or a component-specific code
    const char* what = ""; // static string naming the failed call, never null
};

template <class T> class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
    Result(Error error) : v_(std::in_place_index<1>, error) {}        // NOLINT: implicit by design

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // Precondition: ok(). Checked with assert: calling these on an error is a programmer bug.
    [[nodiscard]] T& value() & {
        assert(ok());
        return *std::get_if<0>(&v_);
    }
    [[nodiscard]] const T& value() const& {
        assert(ok());
        return *std::get_if<0>(&v_);
    }
    [[nodiscard]] T&& value() && {
        assert(ok());
        return std::move(*std::get_if<0>(&v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    // Precondition: !ok().
    [[nodiscard]] const Error& error() const {
        assert(!ok());
        return *std::get_if<1>(&v_);
    }

private:
    std::variant<T, Error> v_;
};

} // namespace vdmabuf
