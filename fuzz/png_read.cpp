// libFuzzer target: shared/png.cpp's read_png (libpng expansion to ARGB8888),
// which reads screenshots and reference images that tools and tests pass in.
// The input is the file, served from a memfd.
#include "support/fuzz_input.hpp"

#include <vdmabuf/shared/png.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    vdmabuf::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const vdmabuf::UniqueFd file{::memfd_create("fuzz-png", MFD_CLOEXEC)};
    if (!file || ::ftruncate(file.get(), 0) != 0 ||
        ::pwrite(file.get(), data, size, 0) != static_cast<ssize_t>(size))
        std::abort();
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/fd/%d", file.get());
    const auto image = vdmabuf::read_png(path);
    if (image && (image->stride < image->width * 4 ||
                  image->pixels.size() < size_t{image->stride} * image->height))
        std::abort(); // the Image promises stride >= width * 4 and every row present
    return 0;
}
