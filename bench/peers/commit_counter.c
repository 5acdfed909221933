// LD_PRELOAD shim for vdmabuf-bench-peers: counts the wl_surface.commit
// requests a Wayland client makes, so every path (native, waypipe, vdmabuf)
// and any client (ours or weston-simple-shm) is counted the same way without
// changing the client. The count is a uint64 at offset 0 of the file named by
// $VDMABUF_COMMIT_COUNTER, mapped shared so the benchmark reads it live.
//
// libwayland-client's generated request stubs (wl_surface_commit() is inline
// in the client's own binary) all end in wl_proxy_marshal_array_flags(),
// which libwayland calls through its PLT, so defining it here interposes it.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE // RTLD_NEXT
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client-core.h>

typedef struct wl_proxy* (*marshal_fn)(struct wl_proxy*, uint32_t, const struct wl_interface*,
                                       uint32_t, uint32_t, union wl_argument*);

enum { kSurfaceCommit = 6 }; // wl_surface request opcode (wayland.xml)

static uint64_t* counter(void) {
    static uint64_t* mapped;
    static int tried;
    if (!tried) { // clients call this from one thread; a lost race only maps twice
        tried = 1;
        const char* path = getenv("VDMABUF_COMMIT_COUNTER");
        int fd = path ? open(path, O_RDWR | O_CLOEXEC) : -1;
        if (fd >= 0) {
            void* p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (p != MAP_FAILED)
                mapped = p;
            close(fd);
        }
    }
    return mapped;
}

__attribute__((visibility("default"))) struct wl_proxy*
wl_proxy_marshal_array_flags(struct wl_proxy* proxy, uint32_t opcode,
                             const struct wl_interface* interface, uint32_t version,
                             uint32_t flags, union wl_argument* args) {
    static marshal_fn real;
    if (!real)
        *(void**)&real = dlsym(RTLD_NEXT, "wl_proxy_marshal_array_flags"); // POSIX's idiom
    if (opcode == kSurfaceCommit && strcmp(wl_proxy_get_class(proxy), "wl_surface") == 0) {
        uint64_t* n = counter();
        if (n)
            __atomic_add_fetch(n, 1, __ATOMIC_RELAXED);
    }
    return real(proxy, opcode, interface, version, flags, args);
}
