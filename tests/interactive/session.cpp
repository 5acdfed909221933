#include "session.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fixture.hpp"

namespace vdmabuf::interactive {

std::string require_input_client() {
    const char* env = std::getenv("VDMABUF_INPUT_CLIENT");
    std::string path = env && *env ? env : VDMABUF_INPUT_CLIENT_PATH;
    if (path.empty()) {
        std::printf("SKIP: this build has no vdmabuf-input-client (libxkbcommon-dev)\n");
        std::exit(77);
    }
    return path;
}

std::optional<LoggedClient> LoggedClient::start(Scene& scene, const std::string& name,
                                                const std::vector<std::string>& argv) {
    LoggedClient c;
    c.log_ = scene.fixture().runtime_dir() + "/" + name + ".log";
    std::vector<std::string> full = scene.fixture().client_env();
    // exec keeps the pid the client's, so stopping it stops the client.
    full.insert(full.end(), {"/bin/sh", "-c", "exec \"$@\" > \"$0\"", c.log_});
    full.insert(full.end(), argv.begin(), argv.end());
    c.process = ChildProcess::spawn(full);
    if (!c.process)
        return std::nullopt;
    return c;
}

std::vector<std::string> LoggedClient::lines() const {
    std::vector<std::string> out;
    std::ifstream f(log_);
    std::string line;
    while (std::getline(f, line))
        out.push_back(line);
    return out;
}

bool LoggedClient::has_line(const std::string& line) const {
    for (const std::string& l : lines())
        if (l == line)
            return true;
    return false;
}

bool LoggedClient::wait_for_line(Scene& scene, const std::string& line, int timeout_ms) const {
    return scene.fixture().pump_until([&] { return has_line(line); }, timeout_ms);
}

std::vector<std::string> pressed_keysyms(const LoggedClient& c) {
    std::vector<std::string> out;
    for (const std::string& l : c.lines()) {
        std::istringstream in(l);
        std::string word, sym, text, state;
        if (in >> word >> sym >> text >> state && word == "key" && state == "pressed")
            out.push_back(sym);
    }
    return out;
}

std::optional<ScriptedViewer> ScriptedViewer::start(Scene& scene, const std::string& name,
                                                    const std::string& script,
                                                    std::vector<std::string> args,
                                                    std::string& error) {
    ScriptedViewer v;
    const std::string dir = scene.fixture().runtime_dir();
    const std::string script_path = dir + "/" + name + ".commands";
    std::ofstream(script_path) << script;
    v.stats_path = dir + "/" + name + ".stats.json";
    std::vector<std::string> argv = {screenshot::viewer_path(), "--connect",
                                     scene.fixture().daemon().consumer_socket(), "--presenter",
                                     "headless", "--no-reconnect", "--commands", script_path,
                                     "--stats-json", v.stats_path};
    argv.insert(argv.end(), args.begin(), args.end());
    v.process = ChildProcess::spawn(argv);
    if (!v.process) {
        error = "could not start " + screenshot::viewer_path();
        return std::nullopt;
    }
    if (!v.process.wait_for_line("vdmabuf-viewer: ready", 10000)) {
        error = "vdmabuf-viewer never printed ready";
        return std::nullopt;
    }
    return v;
}

int ScriptedViewer::wait_exit(Scene& scene, int timeout_ms) {
    int status = -1;
    if (!scene.fixture().pump_until([&] { return process.exited(&status); }, timeout_ms))
        return -1;
    return status;
}

std::string ScriptedViewer::stats() const {
    std::ifstream f(stats_path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

Box find_colour(const compositor_test::FrameView& v, uint32_t rgb) {
    Box b{v.width, v.height, 0, 0, 0};
    for (uint32_t y = 0; y < v.height; ++y)
        for (uint32_t x = 0; x < v.width; ++x)
            if (v.rgb(x, y) == rgb) {
                b.x0 = std::min(b.x0, x);
                b.y0 = std::min(b.y0, y);
                b.x1 = std::max(b.x1, x + 1);
                b.y1 = std::max(b.y1, y + 1);
                ++b.pixels;
            }
    return b;
}

} // namespace vdmabuf::interactive
