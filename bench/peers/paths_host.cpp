// The peers' paths: the client straight on weston, and through waypipe
// (its default compression: none in Debian 12's 0.8.4, see waypipe(1); --no-gpu
// as there is no GPU here).
#include "paths.hpp"

#include <vdmabuf/shared/unique_fd.hpp>

#include <fcntl.h>
#include <unistd.h>

namespace vdmabuf::bench_peers::detail {
namespace {

constexpr const char* kWaypipe = "/usr/bin/waypipe";

// Polls up to 10 s for `what`, giving up if `child` exits.
template <class Pred> bool wait_for(ChildProcess& child, Pred what) {
    for (int i = 0; i < 200; ++i) {
        if (what())
            return true;
        if (child.exited())
            return false;
        usleep(50'000);
    }
    return false;
}

} // namespace

std::unique_ptr<Running> start_native(const Scenario& s, std::string& error) {
    auto r = prepare(error);
    if (!r || !start_weston(*r, s, error))
        return nullptr;
    std::vector<std::string> argv{"/usr/bin/env", "-u", "DISPLAY",
                                  "XDG_RUNTIME_DIR=" + r->weston->dir(),
                                  "WAYLAND_DISPLAY=" + r->weston->socket()};
    const auto client = client_argv(*r, s);
    argv.insert(argv.end(), client.begin(), client.end());
    r->client = ChildProcess::spawn(argv); // each env execs the next: the pid is the client's
    if (!r->client) {
        error = "cannot spawn the client";
        return nullptr;
    }
    r->client_pid = r->client.pid();
    return r;
}

std::unique_ptr<Running> start_waypipe(const Scenario& s, std::string& error) {
    auto r = prepare(error);
    if (!r || !start_weston(*r, s, error))
        return nullptr;
    const std::string sock = r->dir->path() + "/waypipe.sock";
    // waypipe's messages (an "internal error" when we stop it) go to a log.
    UniqueFd log{::open((r->dir->path() + "/waypipe.log").c_str(),
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)};
    r->waypipe_client = ChildProcess::spawn(
        {"/usr/bin/env", "-u", "DISPLAY", "XDG_RUNTIME_DIR=" + r->weston->dir(),
         "WAYLAND_DISPLAY=" + r->weston->socket(), kWaypipe, "--no-gpu", "-s", sock, "client"},
        log.get());
    if (!wait_for(r->waypipe_client, [&] { return ::access(sock.c_str(), F_OK) == 0; })) {
        error = "waypipe client did not create its socket";
        return nullptr;
    }
    std::vector<std::string> argv{"/usr/bin/env",
                                  "-u",
                                  "DISPLAY",
                                  "-u",
                                  "WAYLAND_DISPLAY",
                                  "XDG_RUNTIME_DIR=" + r->dir->xdg(),
                                  kWaypipe,
                                  "--no-gpu",
                                  "-s",
                                  sock,
                                  "--display",
                                  "wayland-waypipe",
                                  "server",
                                  "--"};
    const auto client = client_argv(*r, s);
    argv.insert(argv.end(), client.begin(), client.end());
    r->waypipe_server = ChildProcess::spawn(argv, log.get());
    const pid_t server = r->waypipe_server.pid();
    if (!wait_for(r->waypipe_server,
                  [&] { return (r->client_pid = find_process(server, client_exe(s))) > 0; })) {
        error = "waypipe server did not start the client";
        return nullptr;
    }
    r->members.push_back({"waypipe client", r->waypipe_client.pid(), true});
    r->members.push_back({"waypipe server", server, true});
    return r;
}

} // namespace vdmabuf::bench_peers::detail
