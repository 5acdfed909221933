// vdmabuf-bench-e2e: end-to-end latency from the demo client's commit to the
// viewer having the pixels.
//
// Real processes: vdmabufd and vdmabuf-compositor running
// vdmabuf-pattern-client (output-sized surface, --fps 0: one commit per frame
// callback), started by the compositor tests' fixture. The viewer side runs in
// this process and IS the viewer's code (libvdmabuf-viewer-core): for every
// PRESENT the consumer maps the buffer (once per buffer), the viewer's
// CopyImporter uploads the damage, the EGL fence is waited, the viewer's
// Renderer draws into the headless presenter, and the presenter's read_native()
// reads the frame back; then the buffer is released (the viewer's copy path).
// Latency = readback done - the commit time the client stamped into the
// pixels (CLOCK_MONOTONIC), decoded from the readback itself.
//
// Also per scenario: delivered fps, CPU ms per frame of vdmabufd, the
// compositor and this process (the consumer/viewer) from /proc/<pid>/stat,
// bytes copied per frame (the upload); and the floors: memcpy of one frame,
// grim capturing the same compositor (median of 10) and the viewer's headless
// screenshot (read_native + PNG write, median of 10).
//
//   vdmabuf-bench-e2e [--json] [--quick] [--frames N]
#include "../bench_args.hpp"
#include "egl/fence.hpp"
#include "egl/renderer.hpp"
#include "import/copy_importer.hpp"
#include "present/presenter.hpp"

#include "fixture.hpp"
#include "pattern.hpp"

#include <vdmabuf/shared/log.hpp>
#include <vdmabuf/shared/png.hpp>
#include <vdmabuf/shared/time.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <drm_fourcc.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace vdmabuf;
using namespace vdmabuf::compositor_test;
using namespace vdmabuf::viewer;

namespace {

struct Scenario {
    uint32_t width, height;
    bool full;
};

struct Result {
    Scenario s{};
    std::string error;
    uint64_t frames = 0;
    double seconds = 0;
    Percentiles latency_ns{1024};
    uint64_t bytes = 0;
    double cpu_daemon_ms = 0, cpu_compositor_ms = 0, cpu_viewer_ms = 0; // per frame
    double memcpy_ms = 0, grim_ms = -1, screenshot_ms = -1;
};

// utime + stime of a process (all threads), in ms; -1 if unreadable.
double cpu_ms(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line))
        return -1;
    const size_t close = line.rfind(')');
    if (close == std::string::npos)
        return -1;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) { // fields 3.. after "pid (comm)"
        if (i == 14)
            utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15)
            stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    return double(utime + stime) * 1000.0 / double(sysconf(_SC_CLK_TCK));
}

double ms(uint64_t ns) {
    return double(ns) / 1e6;
}

// One frame between buffers not in cache (rotating through >= 128 MiB), median.
double memcpy_frame_ms(uint32_t w, uint32_t h) {
    const size_t size = size_t(w) * h * 4;
    const size_t pairs = std::max<size_t>(2, (128u << 20) / size + 1);
    std::vector<std::vector<uint8_t>> src, dst;
    for (size_t i = 0; i < pairs; ++i) {
        src.emplace_back(size, uint8_t(0x5a + i));
        dst.emplace_back(size, uint8_t(1));
    }
    Percentiles p(64);
    for (size_t i = 0; i < std::max<size_t>(25, pairs); ++i) { // each pair at least once
        const size_t k = i % pairs;
        const uint64_t t0 = now_ns();
        std::memcpy(dst[k].data(), src[k].data(), size);
        p.add(now_ns() - t0);
    }
    for (size_t i = 0; i < pairs; ++i)
        if (dst[i][size / 2] != src[i][size / 2])
            std::abort(); // keeps the copies observable
    return ms(p.median());
}

// grim against the fixture's compositor, `n` times; median ms, -1 if no grim.
double grim_ms(CompositorFixture& f, int n, std::string& note) {
    const std::string grim = find_program("grim");
    if (grim.empty()) {
        note = "grim not installed";
        return -1;
    }
    const std::string out = "/tmp/vdmabuf-bench-e2e-grim-" + std::to_string(getpid()) + ".png";
    Percentiles p(16);
    for (int i = 0; i < n; ++i) {
        std::vector<std::string> argv = f.client_env();
        argv.insert(argv.end(), {grim, out});
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        const uint64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid == 0) {
            execv(args[0], args.data());
            _exit(127);
        }
        int status = -1;
        uint64_t t1 = 0;
        // Keep the consumer going while grim runs: the compositor must not stall.
        f.pump_until([&] {
            if (waitpid(pid, &status, WNOHANG) == pid) {
                t1 = now_ns();
                return true;
            }
            return false;
        }, 20000);
        if (!t1) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
        if (!t1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            note = "grim failed (status " + std::to_string(status) + ")";
            unlink(out.c_str());
            return -1;
        }
        p.add(t1 - t0);
    }
    unlink(out.c_str());
    return ms(p.median());
}

// The viewer's screenshot (Viewer::screenshot on the headless presenter:
// read_native + write_png), `n` times; median ms.
double screenshot_ms(Presenter& presenter, int n) {
    const std::string out = "/tmp/vdmabuf-bench-e2e-shot-" + std::to_string(getpid()) + ".png";
    Percentiles p(16);
    for (int i = 0; i < n; ++i) {
        const uint64_t t0 = now_ns();
        auto img = presenter.read_native();
        if (!img || !write_png(out.c_str(), *img))
            return -1;
        p.add(now_ns() - t0);
    }
    unlink(out.c_str());
    return ms(p.median());
}

// XRGB words as the pattern reader expects them, from the readback.
const uint8_t* as_xrgb(const Image& img, std::vector<uint8_t>& scratch) {
    if (img.fourcc == DRM_FORMAT_XRGB8888 || img.fourcc == DRM_FORMAT_ARGB8888)
        return img.pixels.data();
    scratch.resize(img.pixels.size()); // RGBA bytes (ABGR/XBGR8888): swap R and B
    for (size_t i = 0; i + 3 < img.pixels.size(); i += 4) {
        scratch[i] = img.pixels[i + 2];
        scratch[i + 1] = img.pixels[i + 1];
        scratch[i + 2] = img.pixels[i];
        scratch[i + 3] = img.pixels[i + 3];
    }
    return scratch.data();
}

Result run(const Scenario& s, Presenter& presenter, const Renderer& renderer, uint64_t frames,
           uint64_t warmup) {
    Result r;
    r.s = s;
    r.memcpy_ms = memcpy_frame_ms(s.width, s.height);

    const std::string size = std::to_string(s.width) + "x" + std::to_string(s.height);
    CompositorOptions opts;
    opts.outputs = {size};
    opts.command = {pattern_client_path(), "--fps", "0", "--size", size, "--mode",
                    s.full ? "full" : "square"};
    auto f = CompositorFixture::start(opts, r.error);
    if (!f)
        return r;
    compositor_test::Viewer& consumer = f->viewer();
    const pid_t daemon_pid = f->daemon().pid(), compositor_pid = f->compositor().pid();

    CopyImporter importer(presenter.context());
    presenter.set_content_size(s.width, s.height);
    std::optional<pattern::Found> where;
    std::vector<uint8_t> scratch;
    uint64_t seen = 0, t_start = 0;
    double cpu0[3] = {0, 0, 0};
    bool failed = false;
    consumer.on_present = [&](const consumer::PresentEvent& p) {
        const consumer::BufferInfo* info = consumer.info(p.id);
        const uint8_t* map = consumer.pixels(p.id);
        if (!info || !map) {
            failed = true;
            return;
        }
        // The viewer's copy path: upload the damage, fence, draw, read back.
        (void)presenter.begin_frame();
        const int64_t bytes = importer.upload(*info, map, info->size,
                                              std::span<const vdmabuf_rect>(p.damage, p.n_damage));
        EglFence::fence_or_finish(presenter.context().display()).wait(EGL_FOREVER_KHR);
        const TargetSize t = presenter.begin_frame();
        renderer.draw({importer.texture(), info->width, info->height, t.width, t.height, t.flip_y,
                       true, 1.0f});
        presenter.end_frame();
        std::optional<Image> img = presenter.read_native();
        const uint64_t have = now_ns();
        if (!img || bytes < 0) {
            failed = true;
            return;
        }
        const uint8_t* px = as_xrgb(*img, scratch);
        if (!where)
            where = pattern::locate(px, img->width, img->height, img->stride, true);
        if (!where)
            return; // the window is not up yet
        const auto stamp = pattern::read_stamp(px, img->stride, *where);
        ++seen;
        if (seen == warmup) {
            t_start = now_ns();
            cpu0[0] = cpu_ms(daemon_pid);
            cpu0[1] = cpu_ms(compositor_pid);
            cpu0[2] = cpu_ms(getpid());
        }
        if (seen > warmup && stamp) {
            if (have > stamp->time_ns)
                r.latency_ns.add(have - stamp->time_ns);
            r.bytes += uint64_t(bytes);
            ++r.frames;
        }
    };
    consumer.release_on_arrival = true;
    const int timeout_ms = int(20000 + frames * (s.width >= 3840 ? 300 : 100));
    f->pump_until([&] { return failed || r.frames >= frames; }, timeout_ms);
    r.seconds = double(now_ns() - t_start) / 1e9;
    if (r.frames) {
        r.cpu_daemon_ms = (cpu_ms(daemon_pid) - cpu0[0]) / double(r.frames);
        r.cpu_compositor_ms = (cpu_ms(compositor_pid) - cpu0[1]) / double(r.frames);
        r.cpu_viewer_ms = (cpu_ms(getpid()) - cpu0[2]) / double(r.frames);
        r.bytes /= r.frames;
    }
    consumer.on_present = nullptr;
    if (failed)
        r.error = "could not map, upload or read back a presented buffer";
    else if (!where)
        r.error = "the pattern client's window never appeared";
    else if (r.frames < frames)
        r.error = "only " + std::to_string(r.frames) + " frames in " +
                  std::to_string(timeout_ms / 1000) + " s";
    if (!r.error.empty())
        return r;
    r.screenshot_ms = screenshot_ms(presenter, 10);
    std::string note;
    r.grim_ms = grim_ms(*f, 10, note);
    if (r.grim_ms < 0)
        std::fprintf(stderr, "vdmabuf-bench-e2e: %s: %s\n", size.c_str(), note.c_str());
    return r;
}

void usage() {
    std::printf("usage: vdmabuf-bench-e2e [--json] [--quick] [--frames N]\n"
                "  Client commit -> viewer readback latency at 1280x720, 1920x1080 and\n"
                "  3840x2160, full and 64x64 damage; fps, CPU per frame, bytes copied;\n"
                "  memcpy of one frame, grim and the viewer's headless screenshot.\n");
}

} // namespace

int main(int argc, char** argv) {
    log::set_program("bench");
    if (!std::getenv("VDMABUF_LOG"))
        log::set_level(log::Level::warn);
    const auto args = bench::parse_frame_bench_args(argc, argv, usage);
    if (args.exit_code >= 0)
        return args.exit_code;
    const bool json = args.json;
    const uint64_t frames = args.frames;
    if (compositor_path().empty()) {
        std::fprintf(stderr, "vdmabuf-bench-e2e: no compositor (set VDMABUF_COMPOSITOR)\n");
        return 1;
    }
    std::string why;
    auto presenter = create_headless_presenter(&why);
    if (!presenter) {
        std::fprintf(stderr, "vdmabuf-bench-e2e: no headless EGL: %s\n", why.c_str());
        return 1;
    }
    auto renderer = Renderer::create();
    if (!renderer)
        return 1;

    const Scenario scenarios[] = {{1280, 720, true},   {1280, 720, false}, {1920, 1080, true},
                                  {1920, 1080, false}, {3840, 2160, true}, {3840, 2160, false}};
    std::vector<Result> results;
    for (const Scenario& s : scenarios) {
        results.push_back(run(s, *presenter, *renderer, frames, 10));
        if (!results.back().error.empty())
            std::fprintf(stderr, "vdmabuf-bench-e2e: %ux%u %s damage: %s\n", s.width, s.height,
                         s.full ? "full" : "64x64", results.back().error.c_str());
    }

    bool all_ok = true;
    if (json) {
        std::printf("{\"frames\": %" PRIu64 ", \"renderer\": \"%s\", \"scenarios\": [", frames,
                    reinterpret_cast<const char*>(glGetString(GL_RENDERER)));
        for (size_t i = 0; i < results.size(); ++i) {
            const Result& r = results[i];
            all_ok &= r.error.empty();
            std::printf("%s{\"resolution\": \"%ux%u\", \"damage\": \"%s\", \"ok\": %s, "
                        "\"frames\": %" PRIu64 ", \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
                        "\"fps\": %.1f, \"bytes_copied_per_frame\": %" PRIu64 ", "
                        "\"cpu_ms_per_frame\": {\"vdmabufd\": %.3f, \"compositor\": %.3f, "
                        "\"viewer\": %.3f}, \"memcpy_ms\": %.3f, \"grim_ms\": %.3f, "
                        "\"screenshot_ms\": %.3f}",
                        i ? ", " : "", r.s.width, r.s.height, r.s.full ? "full" : "64x64",
                        r.error.empty() ? "true" : "false", r.frames, ms(r.latency_ns.median()),
                        ms(r.latency_ns.percentile(99)),
                        r.seconds > 0 ? double(r.frames) / r.seconds : 0.0, r.bytes,
                        r.cpu_daemon_ms, r.cpu_compositor_ms, r.cpu_viewer_ms, r.memcpy_ms,
                        r.grim_ms, r.screenshot_ms);
        }
        std::printf("]}\n");
        return all_ok ? 0 : 1;
    }
    std::printf("client commit -> viewer readback (viewer copy path in-process, %s), %" PRIu64
                " frames each\n",
                reinterpret_cast<const char*>(glGetString(GL_RENDERER)), frames);
    std::printf("%-10s %-6s | %8s %8s | %6s | %10s | %-23s | %7s | %7s %7s %6s\n", "output",
                "damage", "p50 ms", "p99 ms", "fps", "bytes/frm", "cpu ms/frame d/c/v",
                "memcpy", "grim", "shot", "grim/shot");
    for (const Result& r : results) {
        all_ok &= r.error.empty();
        char out[32], cpu[64];
        std::snprintf(out, sizeof out, "%ux%u", r.s.width, r.s.height);
        std::snprintf(cpu, sizeof cpu, "%.2f / %.2f / %.2f", r.cpu_daemon_ms, r.cpu_compositor_ms,
                      r.cpu_viewer_ms);
        std::printf("%-10s %-6s | %8.3f %8.3f | %6.1f | %10" PRIu64
                    " | %-23s | %7.3f | %7.2f %7.2f %5.1fx%s\n",
                    out, r.s.full ? "full" : "64x64", ms(r.latency_ns.median()),
                    ms(r.latency_ns.percentile(99)),
                    r.seconds > 0 ? double(r.frames) / r.seconds : 0.0, r.bytes, cpu, r.memcpy_ms,
                    r.grim_ms, r.screenshot_ms,
                    r.screenshot_ms > 0 && r.grim_ms > 0 ? r.grim_ms / r.screenshot_ms : 0.0,
                    r.error.empty() ? "" : "  (FAILED)");
    }
    std::printf("latency: the client's commit (stamped in the pixels) to the viewer's readback of\n"
                "the frame. cpu d/c/v: vdmabufd / vdmabuf-compositor / this process (consumer +\n"
                "viewer copy path), /proc/<pid>/stat utime+stime over the frames. bytes: uploaded\n"
                "per frame. memcpy: one frame, cold. grim: one capture of the same compositor;\n"
                "shot: the viewer's headless screenshot (readback + PNG); medians of 10.\n"
                "Targets: 1080p full p50 <= memcpy + 2 ms; 64x64 p50 <= 1 ms; grim/shot >= 10x.\n");
    return all_ok ? 0 : 1;
}
