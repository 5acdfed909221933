#define VDM_LOG_SCOPE "import"
#include "hub/importer.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::backend {

std::unique_ptr<Importer> Importer::create(bool try_udmabuf, const char* device,
                                           bool allow_writable) {
    UniqueFd dev;
    if (try_udmabuf) {
        dev.reset(::open(device, O_RDWR | O_CLOEXEC));
        if (!dev)
            VDM_INFO("import mode: memfd (no %s: %s)", device, strerror(errno));
        else
            VDM_INFO("import mode: dmabuf (%s)", device);
    } else {
        VDM_INFO("import mode: memfd (udmabuf off)");
    }
    if (!allow_writable)
        VDM_INFO("writable imports refused (--no-writable-imports): no pass-through to compositors");
    return std::unique_ptr<Importer>(new Importer(std::move(dev), allow_writable));
}

const char* Importer::mode_name(uint32_t mode) {
    return mode == VDMABUF_IMPORT_DMABUF ? "dmabuf" : "memfd";
}

int Importer::dmabuf_for(const Buffer& buffer) {
    auto it = dmabufs_.find(buffer.id);
    if (it != dmabufs_.end())
        return it->second.get(); // -1 when this buffer already fell back
    UniqueFd made;
    std::vector<udmabuf_create_item> items(buffer.extents.size());
    for (size_t i = 0; i < items.size(); ++i) {
        items[i].memfd = static_cast<uint32_t>(buffer.extents[i].fd);
        items[i].offset = buffer.extents[i].offset;
        items[i].size = buffer.extents[i].len;
    }
    // udmabuf_create_list ends in a flexible array: lay it out by offsets
    // rather than instantiating it.
    constexpr size_t kHead = offsetof(udmabuf_create_list, list);
    std::vector<uint8_t> raw(kHead + items.size() * sizeof(udmabuf_create_item));
    const uint32_t flags = UDMABUF_FLAGS_CLOEXEC;
    const auto count = static_cast<uint32_t>(items.size());
    std::memcpy(raw.data() + offsetof(udmabuf_create_list, flags), &flags, sizeof(flags));
    std::memcpy(raw.data() + offsetof(udmabuf_create_list, count), &count, sizeof(count));
    std::memcpy(raw.data() + kHead, items.data(), items.size() * sizeof(udmabuf_create_item));
    int fd = ::ioctl(udmabuf_.get(), UDMABUF_CREATE_LIST, raw.data());
    if (fd >= 0) {
        made.reset(fd);
    } else if (!fallback_logged_) {
        // Typically a memfd without F_SEAL_SHRINK, or a non-memfd region.
        VDM_WARN("UDMABUF_CREATE_LIST failed (%s); falling back to memfd imports for such buffers",
                 strerror(errno));
        fallback_logged_ = true;
    }
    int result = made.get();
    dmabufs_.emplace(buffer.id, std::move(made));
    return result;
}

int Importer::readonly_fd(uint32_t guest, int fd) {
    auto& cache = readonly_[guest];
    auto it = cache.find(fd);
    if (it != cache.end()) {
        // The number could name a different file after a memory-table change.
        struct stat a{}, b{};
        if (::fstat(fd, &a) == 0 && ::fstat(it->second.get(), &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return it->second.get();
        cache.erase(it);
    }
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    UniqueFd ro{::open(path, O_RDONLY | O_CLOEXEC)};
    if (!ro) {
        VDM_ERRNO("open(%s, O_RDONLY) failed", path);
        return -1;
    }
    int result = ro.get();
    cache.emplace(fd, std::move(ro));
    return result;
}

// Whether the guest-memory fd itself can be mapped read-write and shared, as a
// Wayland compositor maps a wl_shm pool (else it fails there, and kills the
// consumer's connection). Only fcntl: the seccomp filter allows it.
const char* Importer::why_not_writable(int fd) {
    const int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) != O_RDWR)
        return "the guest-memory fd is not open read-write";
    const int seals = ::fcntl(fd, F_GET_SEALS);
    if (seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0)
        return "the guest-memory fd is sealed against writes";
    // The fd itself could also ftruncate() the file: every mapping of guest
    // RAM (ours, QEMU's) would then fault (SIGBUS) past the new end. QEMU's
    // memory-backend-memfd and libvdmabuf-guest seal it against shrinking.
    if (seals < 0 || !(seals & F_SEAL_SHRINK))
        return "the guest-memory fd is not sealed against shrinking";
    return nullptr;
}

bool Importer::import_memfd(const Buffer& buffer, Result& out, bool writable) {
    out.mode = VDMABUF_IMPORT_MEMFD;
    for (const FileExtent& e : buffer.extents)
        if (writable && (out.why_not_writable = why_not_writable(e.fd)))
            writable = false;
    out.writable = writable;
    for (const FileExtent& e : buffer.extents) {
        // Writable: the fd the front end gave us (borrowed, like the reopens).
        int ro = writable ? e.fd : readonly_fd(buffer.id.guest, e.fd);
        if (ro < 0)
            return false;
        uint32_t index = 0;
        while (index < out.fds.size() && out.fds[index] != ro)
            ++index;
        if (index == out.fds.size()) {
            if (out.fds.size() == VDMABUF_CONSUMER_MAX_FDS) {
                VDM_ERROR("buffer spans more than %u guest-memory fds", VDMABUF_CONSUMER_MAX_FDS);
                return false;
            }
            out.fds.push_back(ro);
        }
        vdmabuf_c_import_extent x{};
        x.fd_index = index;
        x.offset = e.offset;
        x.len = e.len;
        out.extents.push_back(x);
    }
    return true;
}

bool Importer::import(const Buffer& buffer, Result& out, bool want_writable) {
    out.fds.clear();
    out.extents.clear();
    out.writable = false;
    out.why_not_writable = nullptr;
    out.size = buffer.size;
    if (buffer.extents.empty() || buffer.extents.size() > VDMABUF_MAX_EXTENTS)
        return false;
    if (udmabuf_) {
        int fd = dmabuf_for(buffer);
        if (fd >= 0) {
            out.mode = VDMABUF_IMPORT_DMABUF;
            out.fds.push_back(fd);
            out.extents.push_back({0, 0, 0, buffer.size});
            return true;
        }
    }
    if (want_writable && !allow_writable_) {
        out.why_not_writable = "vdmabufd runs with --no-writable-imports";
        want_writable = false;
    } else if (want_writable && udmabuf_) {
        out.why_not_writable = "dma-buf imports are never writable";
        want_writable = false;
    }
    if (import_memfd(buffer, out, want_writable))
        return true;
    out.fds.clear();
    out.extents.clear();
    return false;
}

void Importer::buffer_removed(const BufferId& id) {
    dmabufs_.erase(id);
}

void Importer::guest_removed(uint32_t guest) {
    readonly_.erase(guest);
    std::erase_if(dmabufs_, [guest](const auto& kv) { return kv.first.guest == guest; });
}

} // namespace vdmabuf::backend
