#include "screenshot.hpp"

#include "import/cpu_frame.hpp"
#include "pattern.hpp"

#include <vdmabuf/shared/child_process.hpp>
#include <vdmabuf/shared/unique_fd.hpp>

#include <cinttypes>
#include <csignal>
#include <fcntl.h>
#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vdmabuf::bench_e2e {

using compositor_test::CompositorFixture;

namespace {

// The viewer's PNG options measured, the default first.
struct Option {
    const char* note;
    PngOptions png;
};
const Option kOptions[] = {
    {"(default)", {true, 1, PngFilter::none, false}},
    {"", {false, 1, PngFilter::sub, false}},
    {"", {false, 1, PngFilter::none, false}},
    {"", {false, 1, PngFilter::up, false}},
    {"", {false, 1, PngFilter::paeth, false}},
    {"", {false, 1, PngFilter::sub, true}},
    {"", {false, 1, PngFilter::up, true}},
    {"(stored)", {false, 0, PngFilter::none, false}},
    {"(grim's settings)", {false, 6, PngFilter::adaptive, false}},
};

double ms(uint64_t ns) {
    return double(ns) / 1e6;
}

} // namespace

long file_size(const std::string& path) {
    struct stat st{};
    return stat(path.c_str(), &st) == 0 ? long(st.st_size) : -1;
}

uint64_t grim_once(CompositorFixture& f, const std::string& level, const std::string& out,
                   std::string& note) {
    const std::string grim = compositor_test::find_program("grim");
    if (grim.empty()) {
        note = "grim not installed";
        return 0;
    }
    std::vector<std::string> argv = f.client_env();
    argv.push_back(grim);
    if (!level.empty())
        argv.insert(argv.end(), {"-l", level});
    argv.push_back(out);
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
        return 0;
    }
    return t1 - t0;
}

uint64_t shot_once(const Image& frame, const PngOptions& png, const std::string& out) {
    // What the headless viewer's screenshot does (OutputPane::screenshot):
    // write_png of the frame it keeps in memory, file closed, no fsync.
    const uint64_t t0 = now_ns();
    if (frame.pixels.empty() || !write_png(out.c_str(), frame, png))
        return 0;
    return now_ns() - t0;
}

DesktopShots run_desktop_shots(int captures) {
    DesktopShots d;
    compositor_test::CompositorOptions opts;
    opts.outputs = {"1920x1080"};
    opts.env = {"XDG_CONFIG_HOME=/nonexistent"}; // foot's built-in defaults
    const std::string gtk = compositor_test::find_program("gtk3-demo");
    const std::string foot = compositor_test::find_program("foot");
    const std::string pattern_client = compositor_test::pattern_client_path();
    opts.command = {pattern_client, "--mode", "still", "--size", "480x360"};
    auto f = CompositorFixture::start(opts, d.error);
    if (!f)
        return d;
    compositor_test::Viewer& consumer = f->viewer();
    viewer::CpuFrame frame;
    uint64_t last_present = now_ns();
    bool failed = false;
    consumer.release_on_arrival = true;
    consumer.on_present = [&](const consumer::PresentEvent& p) {
        const consumer::BufferInfo* info = consumer.info(p.id);
        const uint8_t* map = consumer.pixels(p.id);
        if (!info || !map ||
            frame.update(*info, map, info->size,
                         std::span<const vdmabuf_rect>(p.damage, p.n_damage)) < 0)
            failed = true;
        last_present = now_ns();
    };
    // The pattern window first (its locator says the pipeline runs), then the
    // others over it: a desktop of text, widgets and a colourful picture.
    auto pattern_up = [&] {
        const Image& img = frame.image();
        return !frame.empty() &&
               pattern::locate(img.pixels.data(), img.width, img.height, img.stride, true);
    };
    if (!f->pump_until([&] { return failed || pattern_up(); }, 30000) || failed) {
        d.error = "the pattern client's window never appeared";
        return d;
    }
    std::vector<ChildProcess> clients;
    // The clients' chatter (foot logs every font it loads) stays out of the table.
    UniqueFd quiet(open("/dev/null", O_WRONLY | O_CLOEXEC));
    d.scene = "pattern client 480x360";
    if (!gtk.empty()) {
        clients.push_back(ChildProcess::spawn([&] {
            auto argv = f->client_env();
            argv.push_back(gtk);
            return argv;
        }(), quiet.get()));
        d.scene += ", gtk3-demo";
    }
    if (!foot.empty()) {
        clients.push_back(ChildProcess::spawn([&] {
            auto argv = f->client_env();
            argv.insert(argv.end(), {"XDG_CONFIG_HOME=/nonexistent", foot, "--config", "/dev/null",
                                     "--window-size-pixels", "1100x700", "--", "/bin/sh", "-c",
                                     "ls -l /usr/bin | head -n 60; exec sleep 600"});
            return argv;
        }(), quiet.get()));
        d.scene += ", foot with text";
    }
    // Still: no PRESENT for 1.5 s (clients start slowly on a loaded machine).
    f->pump_for(3000);
    if (!f->pump_until([&] { return now_ns() - last_present > 1'500'000'000u; }, 30000)) {
        d.error = "the desktop never went still";
        return d;
    }
    const std::string dir = "/tmp/vdmabuf-bench-e2e-" + std::to_string(getpid());
    const std::string shot = dir + "-shot.png", grim = dir + "-grim.png";
    auto add_row = [&](std::string name) {
        d.rows.emplace_back();
        d.rows.back().name = std::move(name);
    };
    for (const Option& o : kOptions)
        add_row("viewer " + describe(o.png) + (*o.note ? " " : "") + o.note);
    add_row("grim (its default: level 6)");
    add_row("grim -l 1");
    std::string note;
    for (int round = 0; round < captures; ++round) {
        // Interleaved, so load from the other users of the machine hits all alike.
        for (size_t i = 0; i < std::size(kOptions); ++i) {
            f->pump_for(5); // release what came meanwhile
            if (uint64_t ns = shot_once(frame.image(), kOptions[i].png, shot)) {
                d.rows[i].ns.add(ns);
                d.rows[i].bytes = file_size(shot);
            }
        }
        for (size_t g = 0; g < 2; ++g) {
            ShotTimes& row = d.rows[std::size(kOptions) + g];
            if (uint64_t ns = grim_once(*f, g ? "1" : "", grim, note)) {
                row.ns.add(ns);
                row.bytes = file_size(grim);
            }
        }
    }
    if (!note.empty())
        std::fprintf(stderr, "vdmabuf-bench-e2e: desktop: %s\n", note.c_str());
    // The frame measured, for a look or for encoder experiments elsewhere.
    if (const char* keep = std::getenv("VDMABUF_BENCH_E2E_KEEP_DESKTOP"))
        (void)write_png(keep, frame.image());
    unlink(shot.c_str());
    unlink(grim.c_str());
    clients.clear(); // SIGTERM, then SIGKILL after 3 s
    consumer.on_present = nullptr;
    return d;
}

void print_desktop_shots(const DesktopShots& d) {
    std::printf("\nheadless screenshot vs grim, 1920x1080 still desktop (%s)%s%s\n",
                d.scene.c_str(), d.error.empty() ? "" : ": FAILED, ", d.error.c_str());
    if (d.rows.empty())
        return;
    const ShotTimes& grim = d.rows[d.rows.size() - 2];
    std::printf("%-42s | %8s %8s | %9s | %s\n", "", "p50 ms", "p99 ms", "PNG KiB",
                "grim p50 / this p50");
    for (const ShotTimes& r : d.rows) {
        const double ratio = r.ns.count() && grim.ns.count()
                                 ? double(grim.ns.median()) / double(r.ns.median())
                                 : 0.0;
        std::printf("%-42s | %8.2f %8.2f | %9ld | %5.1fx\n", r.name.c_str(), ms(r.ns.median()),
                    ms(r.ns.percentile(99)), r.bytes / 1024, ratio);
    }
    std::printf("%zu captures each, interleaved (p99 of so few is their maximum).\n"
                "viewer: write_png of the frame the headless viewer keeps in memory, from the call\n"
                "to the file closed (in the page cache, no fsync): --png-level/--png-filter.\n"
                "grim: fork+exec to exit (connect, screencopy, encode, write, no fsync).\n",
                grim.ns.count());
}

void print_desktop_shots_json(const DesktopShots& d) {
    std::printf("{\"resolution\": \"1920x1080\", \"scene\": \"%s\", \"ok\": %s, \"rows\": [",
                d.scene.c_str(), d.error.empty() ? "true" : "false");
    for (size_t i = 0; i < d.rows.size(); ++i)
        std::printf("%s{\"name\": \"%s\", \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"png_bytes\": %ld}",
                    i ? ", " : "", d.rows[i].name.c_str(), ms(d.rows[i].ns.median()),
                    ms(d.rows[i].ns.percentile(99)), d.rows[i].bytes);
    std::printf("]}");
}

} // namespace vdmabuf::bench_e2e
