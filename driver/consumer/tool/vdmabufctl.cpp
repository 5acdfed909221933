// vdmabufctl: asks a running vdmabufd for its state over the consumer socket
// (as a CONTROL consumer) and prints the STATS_REPLY text; asks a guest for an
// output mode or hotplug (GUEST_EVENT MODE / HOTPLUG).
#include <vdmabuf/consumer/client.hpp>

#include <vdmabuf/shared/log.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUnreachable = 1;
constexpr int kExitUsage = 2;

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: vdmabufctl [--connect PATH] list|stats [--json]\n"
                 "       vdmabufctl [--connect PATH] mode GUEST OUTPUT WxH[@Hz]\n"
                 "       vdmabufctl [--connect PATH] hotplug GUEST OUTPUT add WxH[@Hz] | remove\n"
                 "\n"
                 "  list       guests with their connected outputs, buffers and their holders,\n"
                 "             consumers\n"
                 "  stats      counters, import mode, memory and latency percentiles\n"
                 "  mode       ask a guest to give OUTPUT (an index) this size (e.g. 1280x720@60)\n"
                 "  hotplug    ask a guest to add or remove an output\n"
                 "             GUEST is a guest id or name; the guest answers, if at all, with\n"
                 "             an OUTPUT that 'list' shows. Needs the guest's MODE/HOTPLUG feature.\n"
                 "  --json     machine-readable output\n"
                 "  --connect  the daemon's consumer socket (default %s)\n"
                 "  --help     this text\n",
                 vdmabuf::consumer::Client::default_path().c_str());
}

int usage_error(const char* fmt, const char* arg) {
    std::fprintf(stderr, "vdmabufctl: ");
    std::fprintf(stderr, fmt, arg);
    std::fprintf(stderr, "\n");
    usage(stderr);
    return kExitUsage;
}

struct Mode {
    uint32_t width = 0, height = 0, refresh_mhz = 0;
};

// "WxH" or "WxH@Hz" (Hz may have decimals: 59.94).
bool parse_mode(const char* text, Mode& out) {
    char* end = nullptr;
    const unsigned long w = std::strtoul(text, &end, 10);
    if (end == text || *end != 'x')
        return false;
    const char* h_text = end + 1;
    const unsigned long h = std::strtoul(h_text, &end, 10);
    if (end == h_text || w == 0 || h == 0 || w > VDMABUF_MAX_DIMENSION || h > VDMABUF_MAX_DIMENSION)
        return false;
    out = {static_cast<uint32_t>(w), static_cast<uint32_t>(h), 0};
    if (*end == '\0')
        return true;
    if (*end != '@')
        return false;
    const char* hz_text = end + 1;
    const double hz = std::strtod(hz_text, &end);
    if (end == hz_text || *end != '\0' || !(hz > 0 && hz < 1000))
        return false;
    out.refresh_mhz = static_cast<uint32_t>(hz * 1000 + 0.5);
    return true;
}

bool parse_u32(const char* text, uint32_t& out) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(text, &end, 10);
    if (end == text || *end != '\0' || v > 0xffffffffu)
        return false;
    out = static_cast<uint32_t>(v);
    return true;
}

// A guest id, or the id of the guest with that name (from the text LIST:
// `  guest ID "NAME": ...`). 0 when there is none.
uint32_t resolve_guest(vdmabuf::consumer::Client& client, const std::string& guest) {
    uint32_t id = 0;
    if (parse_u32(guest.c_str(), id))
        return id;
    auto list = client.stats(VDMABUF_C_STATS_TEXT, VDMABUF_C_WHAT_LIST);
    if (!list)
        return 0;
    const std::string key = " \"" + guest + "\":";
    for (size_t at = list->find(key); at != std::string::npos; at = list->find(key, at + 1)) {
        const size_t line = list->rfind("guest ", at);
        if (line != std::string::npos &&
            std::sscanf(list->c_str() + line, "guest %u", &id) == 1)
            return id;
    }
    return 0;
}

// mode / hotplug, checked before anything is asked of the daemon.
struct GuestRequest {
    bool hotplug = false, add = false;
    std::string guest; // id or name
    uint32_t output = 0;
    Mode mode;
};

// The request, or nullopt after a usage error (printed; exit kExitUsage).
std::optional<GuestRequest> parse_guest_request(const std::vector<std::string>& args) {
    GuestRequest r;
    const std::string& command = args[0];
    r.hotplug = command == "hotplug";
    r.add = r.hotplug && args.size() > 3 && args[3] == "add";
    const size_t need = r.hotplug ? (r.add ? 5 : 4) : 4;
    if (args.size() != need || (r.hotplug && args[3] != "add" && args[3] != "remove")) {
        usage_error("%s: wrong arguments", command.c_str());
        return std::nullopt;
    }
    r.guest = args[1];
    if (!parse_u32(args[2].c_str(), r.output) || r.output >= VDMABUF_MAX_OUTPUTS) {
        usage_error("output '%s' is not an index 0..15", args[2].c_str());
        return std::nullopt;
    }
    const std::string* mode_text = r.hotplug ? (r.add ? &args[4] : nullptr) : &args[3];
    if (mode_text && !parse_mode(mode_text->c_str(), r.mode)) {
        usage_error("mode '%s' is not WxH or WxH@Hz", mode_text->c_str());
        return std::nullopt;
    }
    return r;
}

const char* refusal(uint32_t code) {
    switch (code) {
    case VDMABUF_C_ERR_UNSUPPORTED: return "the guest does not support it (UNSUPPORTED)";
    case VDMABUF_C_ERR_UNKNOWN_GUEST: return "no such guest (UNKNOWN_GUEST)";
    case VDMABUF_C_ERR_UNKNOWN_OUTPUT:
        return "the guest has no such output connected (UNKNOWN_OUTPUT; 'list' shows them)";
    case VDMABUF_C_ERR_ROLE: return "not allowed (ROLE)";
    default: return "invalid request (MALFORMED)";
    }
}

// Sends the request, then a STATS round trip so an ERROR (sent before its
// reply, in order) is seen.
int guest_request(vdmabuf::consumer::Client& client, const GuestRequest& r) {
    const uint32_t guest = resolve_guest(client, r.guest);
    if (guest == 0) {
        std::fprintf(stderr, "vdmabufctl: no guest '%s'\n", r.guest.c_str());
        return kExitUnreachable;
    }
    uint32_t refused = 0;
    vdmabuf::consumer::Callbacks cb;
    cb.on_error = [&refused](uint32_t request, uint32_t code, uint64_t) {
        if (request == VDMABUF_C_GUEST_EVENT)
            refused = code;
    };
    client.set_callbacks(std::move(cb));
    const bool sent = r.hotplug ? client.request_hotplug(guest, r.output, r.add, r.mode.width,
                                                         r.mode.height, r.mode.refresh_mhz)
                                : client.request_mode(guest, r.output, r.mode.width,
                                                      r.mode.height, r.mode.refresh_mhz);
    if (!sent || !client.stats(VDMABUF_C_STATS_TEXT, VDMABUF_C_WHAT_STATS)) {
        std::fprintf(stderr, "vdmabufctl: the request did not reach vdmabufd\n");
        return kExitUnreachable;
    }
    (void)client.dispatch();
    if (refused) {
        std::fprintf(stderr, "vdmabufctl: vdmabufd refused %s for guest %u output %u: %s\n",
                     r.hotplug ? "hotplug" : "mode", guest, r.output, refusal(refused));
        return kExitUnreachable;
    }
    std::printf("asked guest %u: %s\n", guest, r.hotplug ? "hotplug" : "mode");
    return kExitOk;
}

} // namespace

int main(int argc, char** argv) {
    vdmabuf::log::set_program("vdmabufctl");

    std::string path;
    const char* command = nullptr;
    std::vector<std::string> words; // mode / hotplug and their arguments
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) {
            usage(stdout);
            return kExitOk;
        } else if (!std::strcmp(arg, "--json")) {
            json = true;
        } else if (!std::strcmp(arg, "--connect")) {
            if (i + 1 >= argc)
                return usage_error("%s needs a socket path", arg);
            path = argv[++i];
        } else if (!std::strncmp(arg, "--connect=", 10)) {
            path = arg + 10;
        } else if (!words.empty()) {
            words.push_back(arg); // may start with '-' (no negative values are valid anyway)
        } else if (arg[0] == '-') {
            return usage_error("unknown option '%s'", arg);
        } else if (!command && (!std::strcmp(arg, "mode") || !std::strcmp(arg, "hotplug"))) {
            command = arg;
            words.push_back(arg);
        } else if (command) {
            return usage_error("unexpected argument '%s'", arg);
        } else if (!std::strcmp(arg, "list") || !std::strcmp(arg, "stats")) {
            command = arg;
        } else {
            return usage_error("unknown command '%s'", arg);
        }
    }
    if (!command)
        return usage_error("%s", "no command given");
    std::optional<GuestRequest> request;
    if (!words.empty() && !(request = parse_guest_request(words)))
        return kExitUsage; // before connecting: a typo needs no daemon
    if (path.empty())
        path = vdmabuf::consumer::Client::default_path();
    // Each failure is said once, by us: the library's own error lines only
    // when the user asked for them with VDMABUF_LOG.
    const char* log_env = std::getenv("VDMABUF_LOG");
    if (!log_env || !*log_env)
        vdmabuf::log::set_level(vdmabuf::log::Level::silent);

    errno = 0;
    auto client = vdmabuf::consumer::Client::connect(path, VDMABUF_ROLE_CONTROL);
    if (!client) {
        std::fprintf(stderr, "vdmabufctl: cannot reach vdmabufd at %s%s%s\n", path.c_str(),
                     errno ? ": " : "", errno ? std::strerror(errno) : "");
        return kExitUnreachable;
    }
    if (request)
        return guest_request(*client, *request);
    const uint32_t what =
        !std::strcmp(command, "list") ? VDMABUF_C_WHAT_LIST : VDMABUF_C_WHAT_STATS;
    auto text = client->stats(json ? VDMABUF_C_STATS_JSON : VDMABUF_C_STATS_TEXT, what);
    if (!text) {
        std::fprintf(stderr, "vdmabufctl: vdmabufd at %s did not answer %s\n", path.c_str(),
                     command);
        return kExitUnreachable;
    }
    std::fwrite(text->data(), 1, text->size(), stdout);
    if (text->empty() || text->back() != '\n')
        std::fputc('\n', stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitUnreachable;
}
