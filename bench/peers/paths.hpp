// The five ways the same client reaches a consumer, each started for one
// scenario in private directories, and everything stopped and reaped when
// the Running object goes:
//   native            the client on a headless weston (pixman)
//   waypipe           waypipe server -> waypipe client -> the same weston
//   vdmabuf-headless  vdmabuf-compositor -> vdmabufd -> vdmabuf-viewer headless
//   vdmabuf-window    ... -> vdmabuf-viewer as a window on a headless weston
//   vdmabuf-x11       ... -> vdmabuf-viewer as an X11 window on Xvfb
#pragma once

#include "commit_counter.hpp"
#include "proc_cpu.hpp"
#include "run_dir.hpp"

#include "daemon_process.hpp"
#include "weston.hpp"
#include "xvfb.hpp"

#include <vdmabuf/shared/child_process.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vdmabuf::bench_peers {

enum class Path { native, waypipe, vdmabuf_headless, vdmabuf_window, vdmabuf_x11 };
inline constexpr Path kPaths[] = {Path::native, Path::waypipe, Path::vdmabuf_headless,
                                  Path::vdmabuf_window, Path::vdmabuf_x11};
[[nodiscard]] const char* path_name(Path p);

struct Scenario {
    bool simple_shm = false; // weston-simple-shm at its default size instead
    uint32_t width = 1920, height = 1080; // the pattern client's size
    bool full = true;                     // full damage, else the 64x64 square
    [[nodiscard]] std::string name() const;
    // The guest output / host screen size the client lives on.
    [[nodiscard]] uint32_t output_width() const { return simple_shm ? 1920 : width; }
    [[nodiscard]] uint32_t output_height() const { return simple_shm ? 1080 : height; }
};

// One started path. Members are destroyed in reverse: the client first, the
// private directory last.
struct Running {
    Running() = default;
    // A client that is not our child (under waypipe or the compositor) is
    // stopped first, by its pid, so it is not left behind if its parent dies.
    ~Running();
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;

    std::optional<run::RunDir> dir;
    std::unique_ptr<viewer_test::Weston> weston;
    std::unique_ptr<viewer_test::Xvfb> xvfb;
    std::unique_ptr<harness::DaemonProcess> daemon;
    ChildProcess viewer, waypipe_client, waypipe_server, compositor, client;
    CommitCounter commits;
    std::vector<Member> members; // every process of the path but the client
    pid_t client_pid = -1;
    std::string stats_json; // the viewer's --stats-json, "" if no viewer
    std::string viewer_log; // the viewer's stderr: its --hud lines ("hud: 59.8 fps, ...")
    std::string x11_display; // vdmabuf-x11: the Xvfb display name

    // Reads what the children printed (so none blocks on a full pipe) and says
    // which one exited, "" while all run.
    [[nodiscard]] std::string poll_children();
};

// Why a path cannot run here (a program missing), "" if it can.
[[nodiscard]] std::string path_unavailable(Path p, const Scenario& s);

// Starts the path with the client running; nullptr with `error` set on failure.
[[nodiscard]] std::unique_ptr<Running> start_path(Path p, const Scenario& s, std::string& error);

// Helpers shared by paths_host.cpp and paths_vdmabuf.cpp.
namespace detail {
// A Running with its private directory and commit counter; nullptr on failure.
[[nodiscard]] std::unique_ptr<Running> prepare(std::string& error);
// The client's argv (pattern client or weston-simple-shm), under the commit counter.
[[nodiscard]] std::vector<std::string> client_argv(const Running& r, const Scenario& s);
[[nodiscard]] bool start_weston(Running& r, const Scenario& s, std::string& error);
// The descendant of `root` running `exe` (after /usr/bin/env exec'd it), -1 if none.
[[nodiscard]] pid_t find_process(pid_t root, const std::string& exe);
[[nodiscard]] std::string client_exe(const Scenario& s);
std::unique_ptr<Running> start_native(const Scenario& s, std::string& error);
std::unique_ptr<Running> start_waypipe(const Scenario& s, std::string& error);
std::unique_ptr<Running> start_vdmabuf(Path p, const Scenario& s, std::string& error);
} // namespace detail

} // namespace vdmabuf::bench_peers
