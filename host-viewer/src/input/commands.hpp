// The viewer's test input path (--commands FILE, "-" = stdin): a script of
// one command a line, parsed whole before the viewer starts (so a typo fails
// at once, naming its line) and run in order after the first frame.
// host-viewer/README.md describes every command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vdmabuf::viewer {

struct Command {
    enum class Kind {
        Keymap,     // text: LAYOUT[:VARIANT]
        Type,       // text
        Key,        // code; press/release (both: a tap)
        Move,       // x, y
        Click,      // x, y, code (BTN_*)
        Scroll,     // x = DX, y = DY discrete steps
        Resize,     // x = width, y = height
        WaitFrames, // n
        WaitSize,   // x = width, y = height
        WaitMs,     // n
        Screenshot, // text: path
        Quit,
    };
    Kind kind = Kind::Quit;
    unsigned line = 0;
    std::string text;
    int64_t x = 0, y = 0;
    uint64_t n = 0;
    uint32_t code = 0;
    bool press = true, release = true;
};

// Parses a script; nullopt with *error = "LINE: what is wrong". Blank lines
// and lines starting with '#' are skipped.
[[nodiscard]] std::optional<std::vector<Command>> parse_commands(const std::string& script,
                                                                 std::string* error);
// Reads `path` ("-": stdin to its end) and parses it; *error names the file.
[[nodiscard]] std::optional<std::vector<Command>> load_commands(const std::string& path,
                                                                std::string* error);

} // namespace vdmabuf::viewer
