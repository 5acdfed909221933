#include "input/commands.hpp"

#include "input/keys.hpp"

#include <vdmabuf/shared/unique_fd.hpp>

#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <charconv>
#include <cstring>
#include <iostream>
#include <iterator>
#include <sstream>

namespace vdmabuf::viewer {
namespace {

std::vector<std::string> split(const std::string& s) {
    std::istringstream in(s);
    return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

template <class T> bool number(const std::string& s, T* out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && end == s.data() + s.size();
}

bool size(const std::string& s, int64_t* w, int64_t* h) {
    size_t x = s.find('x');
    return x != std::string::npos && number(s.substr(0, x), w) && number(s.substr(x + 1), h) &&
           *w > 0 && *h > 0 && *w <= 16384 && *h <= 16384;
}

// One line to a command; "" on success, else what is wrong.
std::string parse_line(const std::string& line, Command* c) {
    std::vector<std::string> w = split(line);
    const std::string& verb = w[0];
    auto args = [&](size_t lo, size_t hi) { return w.size() - 1 >= lo && w.size() - 1 <= hi; };
    if (verb == "type") {
        // The text is the rest of the line after one space, kept verbatim.
        c->kind = Command::Kind::Type;
        size_t at = line.find("type") + 4;
        c->text = at < line.size() ? line.substr(at + 1) : "";
        for (char ch : c->text)
            if (!us_key_for(ch))
                return std::string("type: no US key types '") + ch + "'";
        return c->text.empty() ? "type: no text" : "";
    }
    if (verb == "keymap") {
        c->kind = Command::Kind::Keymap;
        if (!args(1, 1) || !parse_keymap(w[1]))
            return "keymap: expected LAYOUT[:VARIANT]";
        c->text = w[1];
        return "";
    }
    if (verb == "key") {
        c->kind = Command::Kind::Key;
        if (!args(1, 2))
            return "key: expected KEY_NAME|CODE [press|release]";
        auto code = key_code_from_name(w[1]);
        if (!code)
            return "key: unknown key " + w[1];
        c->code = *code;
        if (w.size() == 3) {
            if (w[2] != "press" && w[2] != "release")
                return "key: expected press or release, not " + w[2];
            c->press = w[2] == "press";
            c->release = w[2] == "release";
        }
        return "";
    }
    if (verb == "move" || verb == "click") {
        c->kind = verb == "move" ? Command::Kind::Move : Command::Kind::Click;
        if (!(verb == "move" ? args(2, 2) : args(2, 3)) || !number(w[1], &c->x) ||
            !number(w[2], &c->y) || c->x < 0 || c->y < 0)
            return verb + ": expected X Y (output pixels)" + (verb == "click" ? " [button]" : "");
        c->code = BTN_LEFT;
        if (w.size() == 4) {
            if (w[3] == "right")
                c->code = BTN_RIGHT;
            else if (w[3] == "middle")
                c->code = BTN_MIDDLE;
            else if (w[3] != "left")
                return "click: expected left, right or middle, not " + w[3];
        }
        return "";
    }
    if (verb == "scroll") {
        c->kind = Command::Kind::Scroll;
        if (!args(2, 2) || !number(w[1], &c->x) || !number(w[2], &c->y) ||
            std::abs(c->x) > 1000 || std::abs(c->y) > 1000)
            return "scroll: expected DX DY (discrete steps)";
        return "";
    }
    if (verb == "resize" || verb == "wait-size") {
        c->kind = verb == "resize" ? Command::Kind::Resize : Command::Kind::WaitSize;
        if (!args(1, 1) || !size(w[1], &c->x, &c->y))
            return verb + ": expected WxH";
        return "";
    }
    if (verb == "wait-frames" || verb == "wait-ms") {
        c->kind = verb == "wait-ms" ? Command::Kind::WaitMs : Command::Kind::WaitFrames;
        if (!args(1, 1) || !number(w[1], &c->n))
            return verb + ": expected a number";
        return "";
    }
    if (verb == "screenshot") {
        c->kind = Command::Kind::Screenshot;
        if (!args(1, 1))
            return "screenshot: expected PATH";
        c->text = w[1];
        return "";
    }
    if (verb == "quit") {
        c->kind = Command::Kind::Quit;
        return args(0, 0) ? "" : "quit: takes no arguments";
    }
    return "unknown command " + verb;
}

} // namespace

std::optional<std::vector<Command>> parse_commands(const std::string& script, std::string* error) {
    std::vector<Command> out;
    std::istringstream in(script);
    std::string line;
    for (unsigned n = 1; std::getline(in, line); ++n) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::vector<std::string> words = split(line);
        if (words.empty() || words[0][0] == '#')
            continue;
        Command c;
        c.line = n;
        std::string why = parse_line(line, &c);
        if (!why.empty()) {
            *error = "line " + std::to_string(n) + ": " + why;
            return std::nullopt;
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::optional<std::vector<Command>> load_commands(const std::string& path, std::string* error) {
    std::string script;
    if (path == "-") {
        script.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        // POSIX reads, not an ifstream: reading a directory made libstdc++ throw
        // std::__ios_failure out of main (abort, exit 134).
        UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
        struct stat st{};
        if (!fd || ::fstat(fd.get(), &st) != 0) {
            *error = path + ": " + std::strerror(errno);
            return std::nullopt;
        }
        if (S_ISDIR(st.st_mode)) {
            *error = path + ": is a directory, not a script";
            return std::nullopt;
        }
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                *error = path + ": read failed: " + std::strerror(errno);
                return std::nullopt;
            }
            if (n == 0)
                break;
            script.append(buf, size_t(n));
        }
    }
    auto cmds = parse_commands(script, error);
    if (!cmds)
        *error = path + ": " + *error;
    return cmds;
}

} // namespace vdmabuf::viewer
