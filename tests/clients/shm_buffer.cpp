#define VDM_LOG_SCOPE "shm"
#include "shm_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

namespace vdmabuf::testclient {

namespace {

void handle_release(void* data, wl_buffer*) {
    static_cast<ShmBuffer*>(data)->busy = false;
}

const wl_buffer_listener kBufferListener = {handle_release};

} // namespace

std::unique_ptr<ShmBuffer> ShmBuffer::create(wl_shm* shm, uint32_t width, uint32_t height,
                                             uint32_t format) {
    const uint32_t stride = width * 4;
    const size_t size = size_t(stride) * height;
    UniqueFd fd{memfd_create("vdmabuf-pattern-client", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (!fd) {
        VDM_ERRNO("memfd_create");
        return nullptr;
    }
    if (ftruncate(fd.get(), off_t(size)) != 0) {
        VDM_ERRNO("ftruncate(%zu)", size);
        return nullptr;
    }
    // The compositor maps the pool; a shrink would SIGBUS it.
    (void)fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL);
    auto b = std::unique_ptr<ShmBuffer>(new ShmBuffer);
    b->mapping_ = Mapping::map(fd.get(), size, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
    if (!b->mapping_)
        return nullptr;
    wl_shm_pool* pool = wl_shm_create_pool(shm, fd.get(), int32_t(size));
    b->buffer_ = wl_shm_pool_create_buffer(pool, 0, int32_t(width), int32_t(height),
                                           int32_t(stride), format);
    wl_shm_pool_destroy(pool);
    b->stride_ = stride;
    wl_buffer_add_listener(b->buffer_, &kBufferListener, b.get());
    return b;
}

ShmBuffer::~ShmBuffer() {
    if (buffer_)
        wl_buffer_destroy(buffer_);
}

uint8_t* ShmBuffer::pixels() const {
    return mapping_.bytes();
}

} // namespace vdmabuf::testclient
