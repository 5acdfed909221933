// Shared by the seed generators of fuzz/make_corpus.cpp: a little-endian byte
// writer for the targets' input programs and the corpus file writer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace vdmabuf::seeds {

using Bytes = std::vector<uint8_t>;

struct Out {
    Bytes b;
    template <typename T> Out& put(const T& v) {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        b.insert(b.end(), p, p + sizeof v);
        return *this;
    }
    Out& u8(uint8_t v) { return put(v); }
    Out& u16(uint16_t v) { return put(v); }
    Out& u32(uint32_t v) { return put(v); }
    Out& u64(uint64_t v) { return put(v); }
    Out& bytes(const void* p, size_t n) {
        const auto* q = static_cast<const uint8_t*>(p);
        b.insert(b.end(), q, q + n);
        return *this;
    }
    Out& bytes(const Bytes& v) { return bytes(v.data(), v.size()); }
    Out& record(const void* p, size_t n) { return u16(static_cast<uint16_t>(n)).bytes(p, n); }
    Out& record(const Bytes& v) { return record(v.data(), v.size()); }
};

template <typename T> Bytes raw(const T& v) {
    Bytes b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
}

// A wire struct with its header filled (consumer protocol).
template <typename T> T with_hdr(uint32_t type, uint64_t tag) {
    T v{};
    v.hdr = {type, sizeof(T), tag};
    return v;
}

// The corpus root (argv[1] of fuzz-make-corpus); per-target folders below it.
void set_corpus_root(std::string root);
const std::string& corpus_root();

// Writes <root>/<target>/<name>; exits on failure.
void write_seed(const std::string& target, const std::string& name, const Bytes& bytes);

// One generator per fuzz target.
void daemon_ctrl_seeds();
void vhost_user_seeds();
void virtqueue_seeds();
void guest_wire_seeds();
void consumer_daemon_seeds();
void consumer_client_seeds();
void png_read_seeds();

} // namespace vdmabuf::seeds
