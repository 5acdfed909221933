// Seeds of fuzz/png_read.cpp.
#include "seed_writer.hpp"

#include <vdmabuf/shared/png.hpp>

#include <drm_fourcc.h>

#include <cstdlib>
#include <filesystem>
#include <tuple>

namespace vdmabuf::seeds {

void png_read_seeds() {
    // Real PNGs from our own writer (8-bit RGBA), small and odd-sized.
    std::filesystem::create_directories(corpus_root() + "/png_read");
    for (auto [w, h, fourcc] : {std::tuple{1u, 1u, DRM_FORMAT_ARGB8888}, std::tuple{17u, 5u, DRM_FORMAT_XRGB8888}}) {
        Image img;
        img.width = w;
        img.height = h;
        img.stride = w * 4;
        img.fourcc = fourcc;
        img.pixels.resize(size_t{img.stride} * h);
        for (size_t i = 0; i < img.pixels.size(); ++i)
            img.pixels[i] = static_cast<uint8_t>(i * 37);
        const std::string path = corpus_root() + "/png_read/" + std::to_string(w) + "x" + std::to_string(h) + ".png";
        if (!write_png(path.c_str(), img))
            std::exit(1);
    }
}

} // namespace vdmabuf::seeds
