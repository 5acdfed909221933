// --import auto|dmabuf|copy: how far the viewer trusts the zero-copy path
// (import_probe.hpp decides what "auto" means on this machine).
#pragma once

#include <optional>
#include <string_view>

namespace vdmabuf::viewer {

enum class ImportChoice {
    Auto,   // trust a hardware renderer's extension; probe a software one in a child
    Dmabuf, // trust the extension without probing
    Copy,   // never import: every frame is copied
};

[[nodiscard]] inline std::optional<ImportChoice> parse_import_choice(std::string_view text) {
    if (text == "auto")
        return ImportChoice::Auto;
    if (text == "dmabuf")
        return ImportChoice::Dmabuf;
    if (text == "copy")
        return ImportChoice::Copy;
    return std::nullopt;
}

} // namespace vdmabuf::viewer
