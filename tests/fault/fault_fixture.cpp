#include "fault_fixture.hpp"

#include "fixture.hpp" // compositor_test::compositor_path(), pattern_client_path()

#include <vdmabuf/shared/time.hpp>

#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <regex>
#include <sys/wait.h>
#include <unistd.h>

namespace vdmabuf::fault {
namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// Every "key":N in json, in order.
std::vector<uint64_t> all_numbers(const std::string& json, const std::string& key) {
    std::vector<uint64_t> out;
    const std::regex re("\"" + key + "\":([0-9]+)");
    for (auto it = std::sregex_iterator(json.begin(), json.end(), re); it != std::sregex_iterator(); ++it)
        out.push_back(std::stoull((*it)[1].str()));
    return out;
}

uint64_t first_number(const std::string& json, const std::string& key) {
    auto v = all_numbers(json, key);
    return v.empty() ? 0 : v.front();
}

} // namespace

std::string viewer_path() { return env_or("VDMABUF_VIEWER", VDMABUF_FAULT_VIEWER_PATH); }
std::string vdmabufctl_path() { return env_or("VDMABUFCTL", VDMABUF_FAULT_VDMABUFCTL_PATH); }

ChildProcess start_viewer(const std::string& consumer_socket) {
    ChildProcess p = ChildProcess::spawn(
        {viewer_path(), "--connect", consumer_socket, "--presenter", "headless"});
    if (!p || !p.wait_for_line("vdmabuf-viewer: ready", 20000))
        return {};
    return p;
}

ChildProcess start_compositor(const std::string& guest_socket, const std::string& runtime_dir) {
    ::setenv("XDG_RUNTIME_DIR", runtime_dir.c_str(), 1); // the guest's own, private
    ChildProcess p = ChildProcess::spawn({compositor_test::compositor_path(), "--device", guest_socket,
                                          "--output", "640x480@60", "--",
                                          compositor_test::pattern_client_path(), "--mode", "square",
                                          "--fps", "60"});
    if (!p || !p.wait_for_line("vdmabuf-compositor: ready", 30000))
        return {};
    return p;
}

std::unique_ptr<Control> Control::connect(const std::string& consumer_socket) {
    auto c = std::unique_ptr<Control>(new Control);
    c->client_ = consumer::Client::connect(consumer_socket, VDMABUF_ROLE_CONTROL);
    return c->client_ ? std::move(c) : nullptr;
}

std::optional<DaemonState> Control::state(int timeout_ms) {
    auto list = client_->stats(VDMABUF_C_STATS_JSON, VDMABUF_C_WHAT_LIST, timeout_ms);
    auto stats = client_->stats(VDMABUF_C_STATS_JSON, VDMABUF_C_WHAT_STATS, timeout_ms);
    client_->dispatch();
    if (!list || !stats)
        return std::nullopt;
    DaemonState s;
    // LIST: guests carry "in_flight", buffers "holders", consumers "held"/"queued".
    auto in_flight = all_numbers(*list, "in_flight");
    s.guests = in_flight.size();
    for (auto v : in_flight)
        s.in_flight += v;
    s.buffers = all_numbers(*list, "holders").size();
    auto held = all_numbers(*list, "held");
    s.consumers = held.size();
    for (auto v : held)
        s.held += v;
    for (auto v : all_numbers(*list, "queued")) {
        s.queued += v;
        s.max_queued = std::max<size_t>(s.max_queued, v);
    }
    s.presents = first_number(*stats, "presents");
    s.timeouts = first_number(*stats, "timeouts");
    s.coalesced = first_number(*stats, "coalesced");
    s.released_timeout = first_number(*stats, "timeout");
    s.released_dropped = first_number(*stats, "dropped");
    return s;
}

std::optional<std::string> run_vdmabufctl(const std::string& consumer_socket,
                                          std::vector<std::string> args) {
    std::vector<std::string> argv{vdmabufctl_path(), "--connect", consumer_socket};
    argv.insert(argv.end(), args.begin(), args.end());
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return std::nullopt;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        std::vector<char*> a;
        for (auto& s : argv)
            a.push_back(s.data());
        a.push_back(nullptr);
        ::execv(a[0], a.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
        out.append(buf, size_t(n));
    ::close(fds[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return std::nullopt;
    return out;
}

std::optional<uint64_t> text_counter(const std::string& text, const std::string& name) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex("(^|[\\s,:])" + name + " ([0-9]+)")))
        return std::nullopt;
    return std::stoull(m[2].str());
}

bool poll_until(const std::function<bool()>& pred, int timeout_ms, int step_ms) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1'000'000u;
    for (;;) {
        if (pred())
            return true;
        if (now_ns() >= deadline)
            return false;
        ::usleep(useconds_t(step_ms) * 1000);
    }
}

double ms_since(uint64_t start_ns) { return double(now_ns() - start_ns) / 1e6; }

} // namespace vdmabuf::fault
