#include "figures.hpp"

#include "json_peek.hpp"

#include <vdmabuf/consumer/client.hpp>
#include <vdmabuf/shared/png.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace vdmabuf::run {
namespace {

// One daemon latency stage, named by what it measures.
void print_stage(const std::string& json, const char* key, const char* what) {
    auto p50 = json_number(json, {"latency_us", key, "p50"});
    auto p99 = json_number(json, {"latency_us", key, "p99"});
    auto n = json_number(json, {"latency_us", key, "samples"});
    if (!p50 || !p99)
        return;
    std::printf("  latency %-28s p50 %6.0f us  p99 %6.0f us  (%.0f samples; %s)\n", key, *p50,
                *p99, n.value_or(0), what);
}

} // namespace

std::optional<std::string> query_daemon_stats(const std::string& consumer_socket) {
    auto client = consumer::Client::connect(consumer_socket, VDMABUF_ROLE_CONTROL);
    if (!client)
        return std::nullopt;
    return client->stats(VDMABUF_C_STATS_JSON, VDMABUF_C_WHAT_STATS);
}

bool print_figures(const RunFacts& f) {
    const std::string& v = f.viewer_stats_json;
    const std::string& d = f.daemon_stats_json;
    double frames = json_number(v, {"frames"}).value_or(0);
    std::printf("figures:\n");
    std::printf("  frames: %.0f shown by the viewer in %.2f s (%.1f fps)", frames, f.viewer_seconds,
                f.viewer_seconds > 0 ? frames / f.viewer_seconds : 0.0);
    if (auto presents = json_number(d, {"daemon", "presents"}))
        std::printf("; guest presented %.0f", *presents);
    std::printf("\n");
    if (!d.empty()) {
        print_stage(d, "accepted_to_sent", "vdmabufd got the guest's PRESENT -> sent it to the viewer");
        print_stage(d, "sent_to_release", "sent to the viewer -> the viewer released it");
        print_stage(d, "accepted_to_device_release",
                    "PRESENT -> buffer handed back to the guest");
    } else {
        std::printf("  latency: (vdmabufd's stats unavailable)\n");
    }
    auto path = json_string(v, {"import_path"});
    auto mode = json_string(d, {"import_mode"});
    std::printf("  import path: %s (viewer, %s presenter); daemon import mode %s\n",
                path.value_or("?").c_str(), json_string(v, {"presenter"}).value_or("?").c_str(),
                mode.value_or("?").c_str());
    if (auto per = json_numbers(v, {"bytes_uploaded_per_frame"}); per && !per->empty()) {
        double total = std::accumulate(per->begin(), per->end(), 0.0);
        double maxv = *std::max_element(per->begin(), per->end());
        std::printf("  bytes copied per frame: mean %.0f, first %.0f, max %.0f, last %.0f "
                    "(total %.0f over %zu frames)\n",
                    total / double(per->size()), per->front(), maxv, per->back(), total,
                    per->size());
    }
    // Headless holding the frame in place copies only on demand (screenshot, still screen).
    if (auto on_demand = json_number(v, {"bytes_copied_on_demand"}))
        std::printf("  copied on demand: %.0f bytes in %.0f copies (screenshot, still frame, "
                    "buffer or daemon gone)\n",
                    *on_demand, json_number(v, {"copies_on_demand"}).value_or(0));
    auto img = frames > 0 ? read_png(f.screenshot.c_str()) : std::nullopt;
    if (img)
        std::printf("  screenshot: %s (%ux%u)\n", f.screenshot.c_str(), img->width, img->height);
    else
        std::printf("  screenshot: none\n");
    std::fflush(stdout);
    if (frames <= 0)
        std::fprintf(stderr, "vdmabuf-run: no frame reached the viewer\n");
    else if (!img)
        std::fprintf(stderr, "vdmabuf-run: the viewer wrote no screenshot at %s\n",
                     f.screenshot.c_str());
    return frames > 0 && img;
}

} // namespace vdmabuf::run
