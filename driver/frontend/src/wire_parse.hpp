// Parsing of what the device writes into guest memory: ctrlq responses and eventq
// events. Input is a private copy (never the shared buffer) and is untrusted: every
// field the caller will act on is checked here.
#pragma once

#include "vdmabuf_wire.h"

#include <cstdint>

namespace vdmabuf::frontend {

enum class ResponseStatus {
    ok,      // RESP_OK (or RESP_OK_HELLO for a HELLO)
    error,   // a well-formed error response; code says which
    invalid, // too short, wrong type for the request, tag not echoed, flags set
};

struct ParsedResponse {
    ResponseStatus status = ResponseStatus::invalid;
    uint32_t code = 0;   // hdr.type for errors
    uint32_t detail = 0; // errors: offset of the offending field
};

// `len` is the used length (bytes the device wrote). `check_echo`: the response's tag
// and request fields must match the request's (off for raw requests, which may be too
// short to have them).
[[nodiscard]] ParsedResponse parse_response(const uint8_t* bytes, uint32_t len,
                                            uint32_t request_type, uint64_t request_tag,
                                            bool check_echo);

struct HelloInfo {
    uint32_t guest = 0;
    uint64_t key = 0;
    uint32_t max_buffers = 0;
    uint32_t max_extents = 0;
    uint32_t max_damage = 0;
    uint32_t max_outputs = 0;
};

// The HELLO response after parse_response() said ok: length, magic, version, limits.
[[nodiscard]] bool parse_hello(const uint8_t* bytes, uint32_t len, HelloInfo& out);

enum class EventKind {
    release,
    refresh,
    input,
    keymap,
    mode,
    hotplug,
    unknown, // well-formed header, type this driver does not know: ignore it
    invalid, // short, wrong length for its type, bad fields, another session's ID
};

struct ParsedEvent {
    EventKind kind = EventKind::invalid;
    uint32_t type = 0;
    vdmabuf_evt_release release{};
    vdmabuf_evt_refresh refresh{};
    vdmabuf_evt_input input{};
    vdmabuf_evt_keymap keymap{};
    vdmabuf_evt_mode mode{};
    vdmabuf_evt_hotplug hotplug{};
};

// `guest`/`key`: this session's, from HELLO; a RELEASE naming another ID is invalid.
// `features`: the negotiated VDMABUF_F_* bits; an interactive event whose feature
// was not negotiated is `unknown` (ignored, as a driver without the feature would).
[[nodiscard]] ParsedEvent parse_event(const uint8_t* bytes, uint32_t len, uint32_t guest,
                                      uint64_t key, uint64_t features = 0);

} // namespace vdmabuf::frontend
