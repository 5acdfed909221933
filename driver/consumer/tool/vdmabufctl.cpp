// vdmabufctl: asks a running vdmabufd for its state over the consumer socket
// (as a CONTROL consumer) and prints the STATS_REPLY text.
#include <vdmabuf/consumer/client.hpp>

#include <vdmabuf/shared/log.hpp>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUnreachable = 1;
constexpr int kExitUsage = 2;

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: vdmabufctl [--connect PATH] list|stats [--json]\n"
                 "\n"
                 "  list       guests, buffers and their holders, consumers\n"
                 "  stats      counters, import mode, memory and latency percentiles\n"
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

} // namespace

int main(int argc, char** argv) {
    vdmabuf::log::set_program("vdmabufctl");

    std::string path;
    const char* command = nullptr;
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
        } else if (arg[0] == '-') {
            return usage_error("unknown option '%s'", arg);
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
    if (path.empty())
        path = vdmabuf::consumer::Client::default_path();

    auto client = vdmabuf::consumer::Client::connect(path, VDMABUF_ROLE_CONTROL);
    if (!client) {
        std::fprintf(stderr, "vdmabufctl: cannot reach vdmabufd at %s\n", path.c_str());
        return kExitUnreachable;
    }
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
