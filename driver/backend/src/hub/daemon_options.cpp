#define VDM_LOG_SCOPE "vdmabufd"
#include "hub/daemon_options.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vdmabuf/shared/log.hpp>

namespace vdmabuf::backend {

namespace {

bool parse_u32(const char* s, uint32_t min, uint32_t max, uint32_t& out) {
    if (!s || !*s)
        return false;
    errno = 0;
    char* end = nullptr;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-' || v < min || v > max)
        return false;
    out = static_cast<uint32_t>(v);
    return true;
}

bool valid_level(const std::string& l) {
    return l == "silent" || l == "error" || l == "warn" || l == "info" || l == "debug" ||
           l == "trace";
}

} // namespace

void print_usage(FILE* to) {
    std::fprintf(to,
                 "usage: vdmabufd [options]\n"
                 "  --guest-socket PATH          vhost-user socket for guests\n"
                 "                               (default $XDG_RUNTIME_DIR/vdmabuf/guest.sock)\n"
                 "  --consumer-socket PATH       socket for viewers and vdmabufctl\n"
                 "                               (default $XDG_RUNTIME_DIR/vdmabuf/consumer.sock)\n"
                 "  --release-timeout MS         drop a consumer's hold after MS (default 2000)\n"
                 "  --max-buffers-per-guest N    export quota per guest (default 64)\n"
                 "  --max-guests N               guest connections at once (default 64)\n"
                 "  --busy-poll-us N             spin up to N us for the next event while\n"
                 "                               frames flow (0 = off; default %u, max 10000)\n"
                 "  --udmabuf auto|off           dma-buf imports via /dev/udmabuf (default auto)\n"
                 "  --mem-slots on|off           offer CONFIGURE_MEM_SLOTS (default on); off:\n"
                 "                               QEMU resends its memory at each device start,\n"
                 "                               so a restarted vdmabufd can serve it again\n"
                 "                               (docs/qemu.md)\n"
                 "  --no-writable-imports        never hand a consumer read-write guest-memory\n"
                 "                               fds (pass-through; see docs/security.md)\n"
                 "  --log LEVEL                  error|warn|info|debug|trace\n"
                 "  --no-seccomp                 no system-call filter (debugging; see\n"
                 "                               docs/security.md)\n"
                 "  --help                       this text\n"
                 "Without XDG_RUNTIME_DIR the default directory is /tmp/vdmabuf-$UID.\n"
                 "A socket's directory must not be writable by group or others.\n",
                 kDefaultBusyPollUs);
}

std::string default_runtime_dir() {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    std::string dir = xdg && *xdg ? std::string(xdg) + "/vdmabuf"
                                  : "/tmp/vdmabuf-" + std::to_string(::getuid());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        VDM_ERRNO("mkdir(%s) failed", dir.c_str());
        return {};
    }
    struct stat st{};
    // Under /tmp someone else could have made it first; refuse a directory we do not own.
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid()) {
        VDM_ERROR("%s is not a directory owned by uid %u", dir.c_str(), ::getuid());
        return {};
    }
    return dir;
}

ParseStatus parse_daemon_options(int argc, char** argv, DaemonOptions& out) {
    enum { kGuest = 1, kConsumer, kTimeout, kMaxBuffers, kMaxGuests, kUdmabuf, kLog, kNoSeccomp,
           kNoWritable, kBusyPoll, kMemSlots,
           kHelp };
    static const option longopts[] = {
        {"guest-socket", required_argument, nullptr, kGuest},
        {"consumer-socket", required_argument, nullptr, kConsumer},
        {"release-timeout", required_argument, nullptr, kTimeout},
        {"max-buffers-per-guest", required_argument, nullptr, kMaxBuffers},
        {"max-guests", required_argument, nullptr, kMaxGuests},
        {"udmabuf", required_argument, nullptr, kUdmabuf},
        {"busy-poll-us", required_argument, nullptr, kBusyPoll},
        {"mem-slots", required_argument, nullptr, kMemSlots},
        {"log", required_argument, nullptr, kLog},
        {"no-seccomp", no_argument, nullptr, kNoSeccomp},
        {"no-writable-imports", no_argument, nullptr, kNoWritable},
        {"help", no_argument, nullptr, kHelp},
        {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    opterr = 1;
    for (;;) {
        int opt = ::getopt_long(argc, argv, "h", longopts, nullptr);
        if (opt == -1)
            break;
        switch (opt) {
        case kGuest:
            out.guest_socket = optarg;
            break;
        case kConsumer:
            out.consumer_socket = optarg;
            break;
        case kTimeout:
            if (!parse_u32(optarg, 1, 3'600'000, out.release_timeout_ms)) {
                std::fprintf(stderr, "vdmabufd: --release-timeout wants 1..3600000 ms\n");
                return ParseStatus::error;
            }
            break;
        case kMaxBuffers:
            if (!parse_u32(optarg, 1, 65536, out.max_buffers_per_guest)) {
                std::fprintf(stderr, "vdmabufd: --max-buffers-per-guest wants 1..65536\n");
                return ParseStatus::error;
            }
            break;
        case kMaxGuests:
            if (!parse_u32(optarg, 1, 4096, out.max_guests)) {
                std::fprintf(stderr, "vdmabufd: --max-guests wants 1..4096\n");
                return ParseStatus::error;
            }
            break;
        case kBusyPoll:
            if (!parse_u32(optarg, 0, 10'000, out.busy_poll_us)) {
                std::fprintf(stderr, "vdmabufd: --busy-poll-us wants 0..10000\n");
                return ParseStatus::error;
            }
            break;
        case kUdmabuf:
            if (std::strcmp(optarg, "auto") == 0) {
                out.try_udmabuf = true;
            } else if (std::strcmp(optarg, "off") == 0) {
                out.try_udmabuf = false;
            } else {
                std::fprintf(stderr, "vdmabufd: --udmabuf wants auto or off\n");
                return ParseStatus::error;
            }
            break;
        case kMemSlots:
            if (std::strcmp(optarg, "on") == 0) {
                out.mem_slots = true;
            } else if (std::strcmp(optarg, "off") == 0) {
                out.mem_slots = false;
            } else {
                std::fprintf(stderr, "vdmabufd: --mem-slots wants on or off\n");
                return ParseStatus::error;
            }
            break;
        case kLog:
            if (!valid_level(optarg)) {
                std::fprintf(stderr, "vdmabufd: --log wants error|warn|info|debug|trace\n");
                return ParseStatus::error;
            }
            out.log_level = optarg;
            break;
        case kNoSeccomp:
            out.seccomp = false;
            break;
        case kNoWritable:
            out.writable_imports = false;
            break;
        case kHelp:
        case 'h':
            return ParseStatus::help;
        default:
            print_usage(stderr);
            return ParseStatus::error;
        }
    }
    if (optind < argc) {
        std::fprintf(stderr, "vdmabufd: unexpected argument '%s'\n", argv[optind]);
        print_usage(stderr);
        return ParseStatus::error;
    }
    return ParseStatus::run;
}

} // namespace vdmabuf::backend
