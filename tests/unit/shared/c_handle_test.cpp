#include <vdmabuf/shared/c_handle.hpp>
#include <vdmabuf/shared/result.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

using namespace vdmabuf;

namespace {

struct Thing {
    int* destroyed;
};
void destroy_thing(Thing* t) {
    ++*t->destroyed;
    delete t;
}
using ThingHandle = CHandle<Thing, &destroy_thing>;

// Whether [p, p+len) is mapped: mincore fails with ENOMEM on unmapped pages.
bool is_mapped(void* p, size_t len) {
    unsigned char vec[4];
    return mincore(p, len, vec) == 0;
}

} // namespace

TEST(CHandle, CallsDeleterOnceAndIsPointerSized) {
    static_assert(sizeof(ThingHandle) == sizeof(Thing*));
    int destroyed = 0;
    {
        ThingHandle h{new Thing{&destroyed}};
        ThingHandle moved = std::move(h);
        EXPECT_EQ(destroyed, 0);
        ThingHandle empty; // null: deleter not called
    }
    EXPECT_EQ(destroyed, 1);
}

TEST(Mapping, MapsReadsAndUnmaps) {
    UniqueFd fd{memfd_create("mapping-test", MFD_CLOEXEC)};
    ASSERT_TRUE(fd);
    const size_t len = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    ASSERT_EQ(ftruncate(fd.get(), static_cast<off_t>(len)), 0);
    ASSERT_EQ(pwrite(fd.get(), "hello", 5, 0), 5);

    void* addr;
    {
        Mapping m = Mapping::map(fd.get(), len, 0, PROT_READ, MAP_SHARED);
        ASSERT_TRUE(m);
        EXPECT_EQ(m.size(), len);
        EXPECT_EQ(std::memcmp(m.bytes(), "hello", 5), 0);
        addr = m.get();

        Mapping moved = std::move(m);
        EXPECT_FALSE(m); // NOLINT(bugprone-use-after-move)
        EXPECT_EQ(m.size(), 0u);
        EXPECT_EQ(moved.get(), addr);
        EXPECT_TRUE(is_mapped(addr, len));
    }
    EXPECT_FALSE(is_mapped(addr, len));
}

TEST(Mapping, FailureIsEmpty) {
    EXPECT_FALSE(Mapping::map(-1, 4096, 0, PROT_READ, MAP_SHARED));
    UniqueFd fd{memfd_create("mapping-test", MFD_CLOEXEC)};
    ASSERT_TRUE(fd);
    EXPECT_FALSE(Mapping::map(fd.get(), 0, 0, PROT_READ, MAP_SHARED));
}

TEST(Result, ValueAndError) {
    Result<std::string> good{std::string{"ok"}};
    ASSERT_TRUE(good);
    EXPECT_EQ(*good, "ok");
    EXPECT_EQ(good->size(), 2u);

    Result<std::string> bad{Error{EINVAL, "ioctl(UDMABUF_CREATE)"}};
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().err, EINVAL);
    EXPECT_STREQ(bad.error().what, "ioctl(UDMABUF_CREATE)");
}
