/* LD_PRELOADed by scripts/test-sanitizers into every process of the ASan run;
 * never part of a product. Mesa's DRI drivers (swrast_dri.so) stay loaded.
 *
 * eglTerminate dlcloses the driver, and Mesa 22.3's swrast_dri.so keeps a few
 * blocks in its own globals that it does not free at unload: a bare
 * eglInitialize + eglTerminate leaks 128 bytes that way. Once the module is
 * unmapped LeakSanitizer reports them as "<unknown module>", which no
 * suppression can match. Kept loaded, the driver's globals are roots like any
 * other loaded library's, so the blocks are not leaks, and our own leaks (in
 * our executables, never unloaded) are still found. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <string.h>

int dlclose(void* handle) {
    static int (*next)(void*);
    struct link_map* map = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && strstr(map->l_name, "/dri/"))
        return 0;
    if (!next)
        next = (int (*)(void*))dlsym(RTLD_NEXT, "dlclose");
    return next(handle);
}
