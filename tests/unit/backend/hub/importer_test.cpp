// Importer: MEMFD replies, fd caching, and the DMABUF -> MEMFD fallback when
// UDMABUF_CREATE_LIST fails (exercised with /dev/null, whose ioctl fails the
// way a kernel without udmabuf support for the memfd would).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

#include "hub/importer.hpp"

namespace vdmabuf::backend {
namespace {

// Sealed against shrinking, as guest memory is (QEMU's memfd backend,
// libvdmabuf-guest).
struct Memfd {
    Memfd() : fd(::memfd_create("importer-test", MFD_CLOEXEC | MFD_ALLOW_SEALING)) {
        EXPECT_EQ(::ftruncate(fd.get(), 1 << 20), 0);
        EXPECT_EQ(::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK), 0);
    }
    UniqueFd fd;
};

Buffer scattered(uint32_t guest, uint32_t counter, int fd_a, int fd_b) {
    Buffer b;
    b.id = {guest, counter, 42};
    b.size = 3 * 4096;
    b.extents = {{fd_a, 0, 4096}, {fd_b, 8192, 4096}, {fd_a, 16384, 4096}};
    return b;
}

TEST(Importer, MemfdModeReopensEachFdReadOnlyOnce) {
    Memfd a, b;
    auto imp = Importer::create(false);
    EXPECT_EQ(imp->mode(), uint32_t(VDMABUF_IMPORT_MEMFD));
    Importer::Result r;
    ASSERT_TRUE(imp->import(scattered(1, 1, a.fd.get(), b.fd.get()), r));
    EXPECT_EQ(r.mode, uint32_t(VDMABUF_IMPORT_MEMFD));
    EXPECT_EQ(r.size, 3u * 4096);
    ASSERT_EQ(r.fds.size(), 2u);
    ASSERT_EQ(r.extents.size(), 3u);
    EXPECT_EQ(r.extents[0].fd_index, 0u);
    EXPECT_EQ(r.extents[1].fd_index, 1u);
    EXPECT_EQ(r.extents[1].offset, 8192u);
    EXPECT_EQ(r.extents[2].fd_index, 0u);
    for (int fd : r.fds) {
        EXPECT_EQ(::fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        EXPECT_EQ(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
    }
    // A second buffer of the same guest reuses the cached reopen.
    Importer::Result r2;
    ASSERT_TRUE(imp->import(scattered(1, 2, a.fd.get(), b.fd.get()), r2));
    EXPECT_EQ(r2.fds, r.fds);
}

// VDMABUF_C_IMPORT_WRITABLE: the guest-memory fds themselves, mappable
// read-write as a compositor maps a wl_shm pool; refused under
// --no-writable-imports and for an fd sealed against writes.
TEST(Importer, WritableOnlyWhenAskedAllowedAndWritable) {
    Memfd a, b;
    auto imp = Importer::create(false);
    Importer::Result r;
    ASSERT_TRUE(imp->import(scattered(1, 1, a.fd.get(), b.fd.get()), r, true));
    EXPECT_TRUE(r.writable);
    ASSERT_EQ(r.fds.size(), 2u);
    EXPECT_EQ(r.fds[0], a.fd.get());
    for (int fd : r.fds) {
        void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        EXPECT_NE(p, MAP_FAILED);
        if (p != MAP_FAILED)
            ::munmap(p, 4096);
    }
    // Not asked: read-only as before.
    ASSERT_TRUE(imp->import(scattered(1, 1, a.fd.get(), b.fd.get()), r));
    EXPECT_FALSE(r.writable);
    EXPECT_EQ(::fcntl(r.fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);

    auto refusing = Importer::create(false, "/dev/udmabuf", false);
    ASSERT_TRUE(refusing->import(scattered(1, 1, a.fd.get(), b.fd.get()), r, true));
    EXPECT_FALSE(r.writable);
    ASSERT_NE(r.why_not_writable, nullptr);
    EXPECT_EQ(::fcntl(r.fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);

    UniqueFd sealed{::memfd_create("importer-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    ASSERT_EQ(::ftruncate(sealed.get(), 1 << 20), 0);
    ASSERT_EQ(::fcntl(sealed.get(), F_ADD_SEALS, F_SEAL_WRITE), 0);
    ASSERT_TRUE(imp->import(scattered(1, 3, sealed.get(), sealed.get()), r, true));
    EXPECT_FALSE(r.writable);
    ASSERT_NE(r.why_not_writable, nullptr);

    // Not sealed against shrinking: the consumer could ftruncate guest RAM.
    UniqueFd unsealed{::memfd_create("importer-unsealed", MFD_CLOEXEC)};
    ASSERT_EQ(::ftruncate(unsealed.get(), 1 << 20), 0);
    ASSERT_TRUE(imp->import(scattered(1, 4, unsealed.get(), unsealed.get()), r, true));
    EXPECT_FALSE(r.writable);
    ASSERT_NE(r.why_not_writable, nullptr);
    EXPECT_NE(std::string(r.why_not_writable).find("shrinking"), std::string::npos);
    EXPECT_EQ(::fcntl(r.fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);
}

TEST(Importer, FallsBackToMemfdWhenUdmabufFails) {
    Memfd a;
    auto imp = Importer::create(true, "/dev/null");
    EXPECT_EQ(imp->mode(), uint32_t(VDMABUF_IMPORT_DMABUF));
    Importer::Result r;
    ASSERT_TRUE(imp->import(scattered(1, 1, a.fd.get(), a.fd.get()), r));
    EXPECT_EQ(r.mode, uint32_t(VDMABUF_IMPORT_MEMFD));
    EXPECT_EQ(r.fds.size(), 1u);
    ASSERT_TRUE(imp->import(scattered(1, 1, a.fd.get(), a.fd.get()), r)); // cached failure
    EXPECT_EQ(r.mode, uint32_t(VDMABUF_IMPORT_MEMFD));
}

TEST(Importer, MissingDeviceMeansMemfd) {
    auto imp = Importer::create(true, "/nonexistent/udmabuf");
    EXPECT_EQ(imp->mode(), uint32_t(VDMABUF_IMPORT_MEMFD));
}

TEST(Importer, BadFdFails) {
    auto imp = Importer::create(false);
    Importer::Result r;
    Buffer b;
    b.id = {1, 1, 1};
    b.size = 4096;
    b.extents = {{-1, 0, 4096}};
    EXPECT_FALSE(imp->import(b, r));
    EXPECT_TRUE(r.fds.empty());
    b.extents.clear();
    EXPECT_FALSE(imp->import(b, r));
}

} // namespace
} // namespace vdmabuf::backend
