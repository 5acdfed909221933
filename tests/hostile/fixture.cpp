#include "fixture.hpp"

#include <vdmabuf/shared/time.hpp>

#include <dirent.h>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "json_peek.hpp"

namespace vdmabuf::hostile {

using harness::DaemonProcess;

std::unique_ptr<DaemonProcess> Hostile::daemon_;
std::unique_ptr<HonestTraffic> Hostile::honest_;

namespace {

constexpr int kSettleMs = 10000; // generous: the machine is shared

std::string run_ctl(const std::string& socket, const char* what) {
    const std::string cmd = harness::vdmabufctl_path() + " --connect " + socket + " " + what +
                            " --json 2>/dev/null";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
            out.append(buf, n);
        ::pclose(p);
    }
    return out;
}

size_t count_of(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
        ++n;
    return n;
}

// Polls cond every 10 ms until true or timeout_ms.
template <class Cond> bool eventually(Cond cond, int timeout_ms) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * 1000000;
    for (;;) {
        if (cond())
            return true;
        if (now_ns() >= deadline)
            return false;
        ::usleep(10000);
    }
}

} // namespace

// ---- HonestTraffic ----

std::unique_ptr<HonestTraffic> HonestTraffic::start(const DaemonProcess& d) {
    auto h = std::unique_ptr<HonestTraffic>(new HonestTraffic);
    frontend::DeviceOptions opts;
    opts.name = "honest";
    opts.memory_size = 16 << 20;
    opts.queue_size = 64;
    h->guest_ = harness::GuestActor::open(d.guest_socket(), opts);
    h->viewer_ = harness::ViewerActor::connect(d.consumer_socket()); // every guest
    if (!h->guest_ || !h->viewer_)
        return nullptr;
    h->viewer_->auto_release = true;
    for (uint32_t i = 0; i < 2; ++i) {
        h->buffers_.push_back(harness::export_pattern(*h->guest_, 64, 48, i + 1));
        if (!h->buffers_.back().memory)
            return nullptr;
    }
    h->guest_id_ = h->guest_->device->guest_id();
    h->thread_ = std::thread([raw = h.get()] { raw->run(); });
    return h;
}

HonestTraffic::~HonestTraffic() {
    stop_ = true;
    if (thread_.joinable())
        thread_.join();
    // Unexport before the allocations go, as a well-behaved guest does.
    if (!guest_ || guest_->lost)
        return;
    const uint64_t ok_before = guest_->device->counters().responses_ok;
    size_t sent = 0;
    for (const auto& b : buffers_)
        sent += guest_->device->unexport(b.id, nullptr);
    (void)harness::pump_until(
        [&] { return guest_->device->counters().responses_ok >= ok_before + sent; }, 3000,
        {guest_.get()}, {viewer_.get()});
}

void HonestTraffic::run() {
    uint64_t sequence = 0;
    while (!stop_) {
        const harness::ExportedBuffer& b = buffers_[sequence % buffers_.size()];
        const uint64_t seq = ++sequence;
        const uint64_t t0 = now_ns();
        if (!guest_->device->present(b.id, 0, seq, t0, {})) {
            ++errors_;
            return;
        }
        bool seen = false;
        const bool done = harness::pump_until(
            [&] {
                for (const auto& p : viewer_->presents)
                    seen = seen || (p.id.guest == guest_id_ && p.sequence == seq);
                viewer_->presents.clear();
                for (const auto& r : guest_->releases)
                    if (r.sequence == seq)
                        return true;
                return false;
            },
            5000, {guest_.get()}, {viewer_.get()});
        bool ok = done && seen;
        for (const auto& r : guest_->releases)
            ok = ok && r.reason == VDMABUF_RELEASE_DONE;
        if (!done)
            ++stalls_;
        if (!guest_->errors.empty() || guest_->lost || viewer_->disconnected || (done && !ok))
            ++errors_;
        guest_->releases.clear();
        guest_->errors.clear();
        viewer_->buffers.clear();
        viewer_->gone.clear();
        viewer_->errors.clear();
        if (ok)
            ++frames_;
        if (guest_->lost || viewer_->disconnected)
            return;
        // Pace at about 250 frames/s so the loaded machine keeps some CPU for the attack.
        const uint64_t spent_ms = (now_ns() - t0) / 1000000;
        if (spent_ms < 4)
            (void)harness::pump_until([] { return false; }, int(4 - spent_ms), {guest_.get()},
                                      {viewer_.get()});
    }
}

bool HonestTraffic::wait_frames(uint64_t more, int timeout_ms) const {
    const uint64_t target = frames() + more;
    return eventually([&] { return frames() >= target; }, timeout_ms);
}

// ---- Hostile ----

void Hostile::SetUpTestSuite() {
    daemon_ = DaemonProcess::start(
        {"--max-buffers-per-guest", std::to_string(kQuota), "--max-guests",
         std::to_string(kMaxGuests), "--release-timeout", "1000"},
        true);
    ASSERT_TRUE(daemon_);
    // The zero-copy lane runs this suite where /dev/udmabuf exists and names the
    // import mode vdmabufd must be in (VDMABUF_EXPECT_IMPORT_MODE=dmabuf).
    if (const char* mode = std::getenv("VDMABUF_EXPECT_IMPORT_MODE")) {
        const std::string want = std::string("import mode: ") + mode;
        ASSERT_TRUE(eventually([&] { return log_since(0).find(want) != std::string::npos; }, 5000))
            << "vdmabufd never logged \"" << want << "\"; its log:\n"
            << log_since(0);
    }
    honest_ = HonestTraffic::start(*daemon_);
    ASSERT_TRUE(honest_);
    ASSERT_TRUE(honest_->wait_frames(3, kSettleMs)) << "the honest guest never got going";
}

void Hostile::TearDownTestSuite() {
    honest_.reset();
    if (daemon_) {
        EXPECT_TRUE(daemon_->alive());
        daemon_.reset();
    }
}

void Hostile::SetUp() {
    ASSERT_TRUE(daemon_ && honest_);
    ASSERT_TRUE(daemon_->alive());
    fds_before_ = daemon_fds();
    maps_before_ = daemon_memfd_maps();
    buffers_before_ = daemon_buffers();
    log_offset_ = log_size();
    stats_before_ = stats_json();
    ASSERT_FALSE(stats_before_.empty());
    honest_errors_before_ = honest_->errors();
    honest_stalls_before_ = honest_->stalls();
}

void Hostile::TearDown() {
    ASSERT_TRUE(daemon_ && honest_);
    // During: the honest guest is served while the attackers are still connected.
    EXPECT_TRUE(honest_->wait_frames(3, kSettleMs)) << "honest frames stopped during the attack";
    attackers_.clear();

    // After: nothing leaked, the daemon lives, frames keep coming.
    size_t fds = 0, maps = 0, buffers = 0;
    const bool settled = eventually(
        [&] {
            fds = daemon_fds();
            maps = daemon_memfd_maps();
            buffers = daemon_buffers();
            return fds <= fds_before_ && maps <= maps_before_ && buffers <= buffers_before_;
        },
        kSettleMs);
    EXPECT_TRUE(settled) << "fds " << fds << " (baseline " << fds_before_ << "), memfd maps "
                         << maps << " (" << maps_before_ << "), buffers " << buffers << " ("
                         << buffers_before_ << ")";
    EXPECT_TRUE(daemon_->alive());
    EXPECT_TRUE(honest_->wait_frames(3, kSettleMs)) << "honest frames stopped after the attack";
    EXPECT_EQ(honest_->errors(), honest_errors_before_);
    EXPECT_EQ(honest_->stalls(), honest_stalls_before_);

    for (const std::string& text : logs_) {
        const bool found =
            eventually([&] { return log_since(log_offset_).find(text) != std::string::npos; }, 3000);
        EXPECT_TRUE(found) << "no vdmabufd log line with \"" << text << "\"; log of this case:\n"
                           << log_since(log_offset_);
    }
    const std::string after = stats_json();
    for (const Expected& e : counters_) {
        std::string name;
        for (const auto& k : e.path)
            name += (name.empty() ? "" : ".") + k;
        const auto v = counter(after, e.path);
        ASSERT_TRUE(v) << name << " missing from vdmabufctl stats --json";
        EXPECT_GE(*v - e.before, e.min_delta) << name << " did not move";
    }
}

RawGuest* Hostile::attacker(RawGuest::Options options) {
    auto g = RawGuest::ready(daemon_->guest_socket(), std::move(options));
    EXPECT_TRUE(g) << "raw guest could not start";
    if (!g)
        return nullptr;
    attackers_.push_back(std::move(g));
    return attackers_.back().get();
}

RawGuest* Hostile::connection(RawGuest::Options options) {
    auto g = RawGuest::connect(daemon_->guest_socket(), std::move(options));
    EXPECT_TRUE(g) << "raw guest could not connect";
    if (!g)
        return nullptr;
    attackers_.push_back(std::move(g));
    return attackers_.back().get();
}

void Hostile::disconnect(RawGuest* guest) {
    std::erase_if(attackers_, [guest](const auto& g) { return g.get() == guest; });
}

void Hostile::expect_counter(std::vector<std::string> path, double min_delta) {
    const auto v = counter(stats_before_, path);
    EXPECT_TRUE(v) << "no counter " << (path.empty() ? "" : path.back());
    counters_.push_back({std::move(path), min_delta, v.value_or(0)});
}

void Hostile::expect_error(RawGuest& g, const std::vector<uint8_t>& request, uint32_t code,
                           uint32_t detail) {
    vdmabuf_hdr hdr{};
    std::memcpy(&hdr, request.data(), std::min(request.size(), sizeof hdr));
    const auto r = g.request(request);
    ASSERT_TRUE(r) << "no response";
    ASSERT_EQ(r->used_len, sizeof(vdmabuf_resp));
    EXPECT_EQ(r->resp.hdr.type, code) << std::hex << "got 0x" << r->resp.hdr.type;
    EXPECT_EQ(r->resp.hdr.flags, 0u);
    EXPECT_EQ(r->resp.hdr.tag, request.size() >= sizeof hdr ? hdr.tag : 0);
    EXPECT_EQ(r->resp.request, request.size() >= sizeof hdr ? hdr.type : 0);
    EXPECT_EQ(r->resp.detail, detail);
}

void Hostile::expect_unexecuted(std::optional<uint32_t> used_len) {
    ASSERT_TRUE(used_len) << "the chain never came back";
    EXPECT_EQ(*used_len, 0u);
}

std::string Hostile::stats_json() { return run_ctl(daemon_->consumer_socket(), "stats"); }
std::string Hostile::list_json() { return run_ctl(daemon_->consumer_socket(), "list"); }

std::optional<double> Hostile::counter(const std::string& json,
                                       const std::vector<std::string>& p) {
    switch (p.size()) {
    case 1: return run::json_number(json, {p[0]});
    case 2: return run::json_number(json, {p[0], p[1]});
    case 3: return run::json_number(json, {p[0], p[1], p[2]});
    default: return std::nullopt;
    }
}

size_t Hostile::daemon_fds() {
    const std::string dir = "/proc/" + std::to_string(daemon_->pid()) + "/fd";
    size_t n = 0;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d))
            n += e->d_name[0] != '.';
        ::closedir(d);
    }
    return n;
}

size_t Hostile::daemon_memfd_maps() {
    std::ifstream maps("/proc/" + std::to_string(daemon_->pid()) + "/maps");
    std::stringstream s;
    s << maps.rdbuf();
    return count_of(s.str(), "/memfd:");
}

size_t Hostile::daemon_buffers() { return count_of(list_json(), "\"holders\":"); }

size_t Hostile::log_size() {
    struct stat st{};
    return ::stat(daemon_->log_path().c_str(), &st) == 0 ? size_t(st.st_size) : 0;
}

std::string Hostile::log_since(size_t offset) {
    std::ifstream f(daemon_->log_path());
    std::stringstream s;
    s << f.rdbuf();
    const std::string all = s.str();
    return offset < all.size() ? all.substr(offset) : std::string();
}

} // namespace vdmabuf::hostile
