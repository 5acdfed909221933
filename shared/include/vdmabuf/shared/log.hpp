// Levelled, printf-format-checked logging shared by every process.
// One line per message on stderr: "[LEVEL scope] message". The threshold comes
// from VDMABUF_LOG (error|warn|info|debug|trace) or set_level().
#pragma once

#include <cerrno>
#include <cstdarg>

namespace vdmabuf::log {

enum class Level { silent = 0, error, warn, info, debug, trace };

void set_level(Level level);
[[nodiscard]] Level level();
[[nodiscard]] bool enabled(Level level);
// Reads VDMABUF_LOG; called lazily on the first message too. A value that is
// not a level warns (naming the valid ones) and means info.
void init_from_env();
// Names the process in every line ("vdmabufd", "guest", ...).
void set_program(const char* name);

void write(Level level, const char* scope, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vwrite(Level level, const char* scope, const char* fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
// Appends ": strerror(err)" to the message.
void write_errno(Level level, int err, const char* scope, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

} // namespace vdmabuf::log

// Each .cpp may #define VDM_LOG_SCOPE "name" before including this header.
#ifndef VDM_LOG_SCOPE
#define VDM_LOG_SCOPE nullptr
#endif

#define VDM_LOG(lvl, ...)                                                                          \
    do {                                                                                           \
        if (::vdmabuf::log::enabled(lvl))                                                          \
            ::vdmabuf::log::write(lvl, VDM_LOG_SCOPE, __VA_ARGS__);                                \
    } while (0)
#define VDM_ERROR(...) VDM_LOG(::vdmabuf::log::Level::error, __VA_ARGS__)
#define VDM_WARN(...) VDM_LOG(::vdmabuf::log::Level::warn, __VA_ARGS__)
#define VDM_INFO(...) VDM_LOG(::vdmabuf::log::Level::info, __VA_ARGS__)
#define VDM_DEBUG(...) VDM_LOG(::vdmabuf::log::Level::debug, __VA_ARGS__)
#define VDM_TRACE(...) VDM_LOG(::vdmabuf::log::Level::trace, __VA_ARGS__)
// Logs at error level with strerror(errno) appended; errno is captured first.
#define VDM_ERRNO(...)                                                                             \
    do {                                                                                           \
        int vdm_saved_errno_ = errno;                                                              \
        ::vdmabuf::log::write_errno(::vdmabuf::log::Level::error, vdm_saved_errno_,                \
                                    VDM_LOG_SCOPE, __VA_ARGS__);                                   \
        errno = vdm_saved_errno_;                                                                  \
    } while (0)
