// vdmabuf-viewer's command line.
#pragma once

#include "import/import_choice.hpp"

#include <vdmabuf/shared/png.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace vdmabuf::viewer {

struct Options {
    std::string connect;             // consumer socket; default Client::default_path()
    std::string guest;               // guest-name filter; empty: any
    uint32_t output = 0;             // output index (--output N)
    std::string output_name;         // --output NAME: the output the guest names so
    bool all_outputs = false;        // one window (headless: one screenshot) per output
    std::string presenter = "auto";  // auto|wayland|x11|headless
    std::string screenshot;          // PNG written after --frames frames (or at exit)
    uint64_t frames = 0;             // exit after this many presented frames; 0: run on
    uint64_t timeout_s = 0;          // --frames not done after this many seconds: exit 1; 0: none
    bool fullscreen = false;
    bool pass_through = true; // --no-pass-through: windows draw with GL
    bool hud = false;
    std::string stats_json;          // counters written here at exit (tests, scripts)
    bool no_reconnect = false;       // exit when vdmabufd goes away
    bool no_resize = false;          // window resizes scale; never ask the guest for a mode
    std::string keymap;              // LAYOUT[:VARIANT]; empty: the host's
    bool screenshot_cursor = false;  // headless screenshots include the guest's cursor
    std::string commands;            // test input script (- = stdin), see README.md
    PngOptions png;                  // --png-level, --png-filter: screenshot encoding
    ImportChoice import = ImportChoice::Auto; // --import: zero-copy trust (import_probe.hpp)
};

// nullopt after printing usage (or an error) to stderr; *exit_code says how to exit.
[[nodiscard]] std::optional<Options> parse_options(int argc, char** argv, int* exit_code);

} // namespace vdmabuf::viewer
