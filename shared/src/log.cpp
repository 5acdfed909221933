#include <vdmabuf/shared/log.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <time.h>

namespace vdmabuf::log {
namespace {

std::atomic<int> g_level{-1};
const char* g_program = "vdmabuf";

const char* level_name(Level level) {
    switch (level) {
    case Level::error: return "ERROR";
    case Level::warn: return "WARN";
    case Level::info: return "INFO";
    case Level::debug: return "DEBUG";
    case Level::trace: return "TRACE";
    case Level::silent: break;
    }
    return "?";
}

void emit(Level level, const char* scope, const char* fmt, va_list ap, const char* suffix) {
    char body[1024];
    vsnprintf(body, sizeof body, fmt, ap);
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    // One fprintf per line so lines from several processes do not interleave mid-line.
    fprintf(stderr, "%5ld.%03ld %s %s%s%s: %s%s%s\n", static_cast<long>(ts.tv_sec),
            ts.tv_nsec / 1000000, g_program, level_name(level), scope ? " " : "",
            scope ? scope : "", body, suffix ? ": " : "", suffix ? suffix : "");
}

} // namespace

void init_from_env() {
    Level lvl = Level::info;
    const char* bad = nullptr; // said once: init_from_env runs once unless called again
    if (const char* env = getenv("VDMABUF_LOG")) {
        if (!strcasecmp(env, "silent")) lvl = Level::silent;
        else if (!strcasecmp(env, "error")) lvl = Level::error;
        else if (!strcasecmp(env, "warn")) lvl = Level::warn;
        else if (!strcasecmp(env, "info")) lvl = Level::info;
        else if (!strcasecmp(env, "debug")) lvl = Level::debug;
        else if (!strcasecmp(env, "trace")) lvl = Level::trace;
        else if (*env)
            bad = env;
    }
    g_level.store(static_cast<int>(lvl));
    if (bad)
        write(Level::warn, "log", "VDMABUF_LOG=%s is not a level (silent|error|warn|info|debug|trace); "
                                  "using info", bad);
}

void set_level(Level level) { g_level.store(static_cast<int>(level)); }

Level level() {
    if (g_level.load() < 0)
        init_from_env();
    return static_cast<Level>(g_level.load());
}

bool enabled(Level lvl) { return lvl != Level::silent && static_cast<int>(lvl) <= static_cast<int>(level()); }

void set_program(const char* name) { g_program = name; }

void vwrite(Level lvl, const char* scope, const char* fmt, va_list ap) {
    emit(lvl, scope, fmt, ap, nullptr);
}

void write(Level lvl, const char* scope, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, scope, fmt, ap, nullptr);
    va_end(ap);
}

void write_errno(Level lvl, int err, const char* scope, const char* fmt, ...) {
    if (!enabled(lvl))
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, scope, fmt, ap, strerror(err));
    va_end(ap);
}

} // namespace vdmabuf::log
