/* SPDX-License-Identifier: MIT */
/*
 * vdmabuf virtio device: the guest <-> host wire messages.
 *
 * Normative text: protocols/vdmabuf-device.md; section numbers below refer to it.
 * C11, includable from C++ and from a Linux kernel module. Every field is a
 * fixed-width little-endian integer; padding is explicit; no pointers.
 */
#ifndef VDMABUF_WIRE_H
#define VDMABUF_WIRE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/build_bug.h>
typedef __u8 vdm_u8;
typedef __le16 vdm_le16;
typedef __le32 vdm_le32;
typedef __le64 vdm_le64;
#define VDMABUF_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#include <stddef.h>
#include <stdint.h>
typedef uint8_t vdm_u8;
typedef uint16_t vdm_le16;
typedef uint32_t vdm_le32;
typedef uint64_t vdm_le64;
#ifdef __cplusplus
#define VDMABUF_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define VDMABUF_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
#endif

/* §1 Identity */
#define VDMABUF_VIRTIO_ID 37u /* VIRTIO_ID_DMABUF, reserved in Linux virtio_ids.h */
#define VDMABUF_MAGIC 0x424d4456u /* "VDMB" as little-endian bytes */
#define VDMABUF_VERSION 1u

/* §2 Device feature bits (device-specific range 0..23) */
#define VDMABUF_F_INPUT 0u   /* host->guest INPUT and KEYMAP events (§8.3, §8.4) */
#define VDMABUF_F_MODE 1u    /* host->guest MODE requests (§8.5) */
#define VDMABUF_F_CURSOR 2u  /* guest->host CURSOR_SET / CURSOR_MOVE (§6.6, §6.7) */
#define VDMABUF_F_HOTPLUG 3u /* guest->host OUTPUT (§6.5), host->guest HOTPLUG (§8.6) */

/* §3 Virtqueues */
#define VDMABUF_VQ_EVENT 0u /* host -> guest: guest posts device-writable buffers */
#define VDMABUF_VQ_CTRL 1u  /* guest -> host: request (readable) + response (writable) */
#define VDMABUF_NUM_QUEUES 2u

/* §4 Limits. A value past a limit is rejected, never clamped. */
#define VDMABUF_PAGE_SIZE 4096u
#define VDMABUF_MAX_PLANES 4u
#define VDMABUF_MAX_EXTENTS 4096u
#define VDMABUF_MAX_DAMAGE 16u
#define VDMABUF_MAX_OUTPUTS 16u
#define VDMABUF_MAX_DIMENSION 16384u
#define VDMABUF_MAX_BUFFER_SIZE (1ull << 30) /* 1 GiB */
#define VDMABUF_NAME_LEN 32u
#define VDMABUF_RESP_SIZE 64u  /* a ctrl chain's writable part must hold this many bytes */
#define VDMABUF_EVENT_SIZE 64u /* every eventq buffer must hold this many bytes */
#define VDMABUF_MAX_CURSOR 128u /* cursor images are at most 128 x 128 ARGB8888 */

/* §5 Message types */
enum vdmabuf_msg_type {
	/* guest -> host requests, on VDMABUF_VQ_CTRL */
	VDMABUF_CMD_HELLO = 0x0100,
	VDMABUF_CMD_EXPORT = 0x0101,
	VDMABUF_CMD_PRESENT = 0x0102,
	VDMABUF_CMD_UNEXPORT = 0x0103,
	VDMABUF_CMD_OUTPUT = 0x0104,      /* VDMABUF_F_HOTPLUG */
	VDMABUF_CMD_CURSOR_SET = 0x0110,  /* VDMABUF_F_CURSOR */
	VDMABUF_CMD_CURSOR_MOVE = 0x0111, /* VDMABUF_F_CURSOR */
	/* 0x0105..0x010f, 0x0112..0x01ff reserved */

	/* host -> guest responses, in the ctrl chain's writable part */
	VDMABUF_RESP_OK = 0x1100,
	VDMABUF_RESP_OK_HELLO = 0x1101,

	/* host -> guest error responses (§7) */
	VDMABUF_RESP_ERR_UNSPEC = 0x1200,
	VDMABUF_RESP_ERR_MALFORMED = 0x1201,     /* size, type or reserved fields wrong */
	VDMABUF_RESP_ERR_NOT_READY = 0x1202,     /* request before HELLO */
	VDMABUF_RESP_ERR_VERSION = 0x1203,       /* magic or version not supported */
	VDMABUF_RESP_ERR_INVALID_ID = 0x1204,    /* unknown ID, or not this guest's */
	VDMABUF_RESP_ERR_DUPLICATE_ID = 0x1205,  /* EXPORT of an ID already exported */
	VDMABUF_RESP_ERR_INVALID_ADDRESS = 0x1206, /* extent outside guest memory, unaligned, overflow */
	VDMABUF_RESP_ERR_OVERLAP = 0x1207,       /* extent overlaps another buffer or itself */
	VDMABUF_RESP_ERR_INVALID_SIZE = 0x1208,  /* zero/too large width, height, size, counts */
	VDMABUF_RESP_ERR_INVALID_FORMAT = 0x1209, /* unknown fourcc or unsupported modifier */
	VDMABUF_RESP_ERR_INVALID_LAYOUT = 0x120a, /* a plane does not fit in the buffer */
	VDMABUF_RESP_ERR_QUOTA = 0x120b,         /* too many buffers for this guest */
	VDMABUF_RESP_ERR_IN_USE = 0x120c,        /* buffer presented and not yet released */
	VDMABUF_RESP_ERR_INVALID_OUTPUT = 0x120d,
	VDMABUF_RESP_ERR_STALE_SEQUENCE = 0x120e, /* sequence not above the output's last */
	VDMABUF_RESP_ERR_INVALID_DAMAGE = 0x120f, /* damage count over limit or rect outside */

	/* host -> guest events, on VDMABUF_VQ_EVENT */
	VDMABUF_EVT_RELEASE = 0x2100,
	VDMABUF_EVT_REFRESH = 0x2101, /* a consumer arrived: present the current frame again */
	VDMABUF_EVT_INPUT = 0x2110,   /* VDMABUF_F_INPUT */
	VDMABUF_EVT_KEYMAP = 0x2111,  /* VDMABUF_F_INPUT */
	VDMABUF_EVT_MODE = 0x2120,    /* VDMABUF_F_MODE */
	VDMABUF_EVT_HOTPLUG = 0x2130, /* VDMABUF_F_HOTPLUG */
	/* other 0x2102..0x21ff reserved */
};

/* §5.1 Every message starts with this header. */
struct vdmabuf_hdr {
	vdm_le32 type;  /* enum vdmabuf_msg_type */
	vdm_le32 flags; /* must be 0 */
	vdm_le64 tag;   /* chosen by the guest; echoed in the response */
};

/* §5.2 128-bit buffer ID: the host verifies guest and key. */
struct vdmabuf_id {
	vdm_le32 guest;   /* guest id from the HELLO response */
	vdm_le32 counter; /* chosen by the guest, unique among its live buffers */
	vdm_le64 key;     /* key from the HELLO response */
};

/* §6.1 HELLO: first request of a session. */
struct vdmabuf_cmd_hello {
	struct vdmabuf_hdr hdr;
	vdm_le32 magic;
	vdm_le32 version;
	vdm_u8 name[VDMABUF_NAME_LEN]; /* NUL-padded UTF-8, e.g. "guest0" */
};

/* §6.1 HELLO with features: the 56-byte HELLO and the feature bits the driver
 * wants (1 << VDMABUF_F_*). Negotiates them without virtio feature bits, which a
 * borrowed transport (vsock's id on QEMU 7.2) cannot carry. */
struct vdmabuf_cmd_hello_features {
	struct vdmabuf_cmd_hello hello;
	vdm_le64 features;
};

struct vdmabuf_resp_hello {
	struct vdmabuf_hdr hdr; /* type VDMABUF_RESP_OK_HELLO */
	vdm_le32 magic;
	vdm_le32 version;
	vdm_le32 guest;
	vdm_le32 max_buffers;
	vdm_le64 key;
	vdm_le32 max_extents;
	vdm_le32 max_damage;
	vdm_le32 max_outputs;
	vdm_le32 padding;
	vdm_le64 features; /* the session's features (§2); 0 from an older device */
};

/* §6.2 EXPORT: register a buffer once. Followed by n_extents vdmabuf_extent. */
struct vdmabuf_plane {
	vdm_le32 offset;
	vdm_le32 stride;
};

struct vdmabuf_extent {
	vdm_le64 addr; /* guest-physical, page aligned */
	vdm_le64 len;  /* bytes, page multiple, > 0 */
};

struct vdmabuf_cmd_export {
	struct vdmabuf_hdr hdr;
	struct vdmabuf_id id;
	vdm_le32 fourcc;
	vdm_le32 width;
	vdm_le32 height;
	vdm_le32 n_planes;
	vdm_le64 modifier;
	struct vdmabuf_plane planes[VDMABUF_MAX_PLANES]; /* unused planes are zero */
	vdm_le64 size;      /* bytes: sum of the extents' lengths */
	vdm_le32 n_extents;
	vdm_le32 padding;
	/* struct vdmabuf_extent extents[n_extents]; */
};

/* §6.3 PRESENT: show a frame on an output. */
struct vdmabuf_rect {
	vdm_le32 x;
	vdm_le32 y;
	vdm_le32 width;
	vdm_le32 height;
};

struct vdmabuf_cmd_present {
	struct vdmabuf_hdr hdr;
	struct vdmabuf_id id;
	vdm_le32 output;
	vdm_le32 n_damage; /* 0: the whole buffer changed */
	vdm_le64 sequence; /* per output, strictly increasing */
	vdm_le64 guest_time_ns; /* guest CLOCK_MONOTONIC at commit */
	struct vdmabuf_rect damage[VDMABUF_MAX_DAMAGE]; /* first n_damage used, rest zero */
};

/* §6.4 UNEXPORT: retire a buffer that is not presented. */
struct vdmabuf_cmd_unexport {
	struct vdmabuf_hdr hdr;
	struct vdmabuf_id id;
};

/* §6.5 OUTPUT: the guest describes one of its outputs: when it appears, when its
 * mode changes (also in answer to MODE or HOTPLUG) and when it goes away. */
#define VDMABUF_OUTPUT_CONNECTED 1u
struct vdmabuf_cmd_output {
	struct vdmabuf_hdr hdr;
	vdm_le32 output;      /* < max_outputs */
	vdm_le32 flags;       /* VDMABUF_OUTPUT_CONNECTED, or 0: the output is gone */
	vdm_le32 width;       /* pixels; 0 when gone */
	vdm_le32 height;
	vdm_le32 refresh_mhz; /* 0: unknown */
	vdm_le32 padding;
	vdm_u8 name[VDMABUF_NAME_LEN]; /* NUL-padded, e.g. "HEADLESS-1" */
};

/* §6.6 CURSOR_SET: the cursor image of an output, carried inline so it needs no
 * buffer lifetime. width = height = 0 hides the cursor. Followed by
 * width * height * 4 bytes of premultiplied ARGB8888 (DRM_FORMAT_ARGB8888),
 * rows tightly packed. */
struct vdmabuf_cmd_cursor_set {
	struct vdmabuf_hdr hdr;
	vdm_le32 output;
	vdm_le32 width;     /* <= VDMABUF_MAX_CURSOR */
	vdm_le32 height;    /* <= VDMABUF_MAX_CURSOR */
	vdm_le32 hotspot_x; /* < width (0 when hidden) */
	vdm_le32 hotspot_y; /* < height */
	vdm_le32 padding;
	/* vdm_u8 pixels[width * height * 4]; */
};

/* §6.7 CURSOR_MOVE: where the hotspot is, in output pixels. Needs no frame. */
struct vdmabuf_cmd_cursor_move {
	struct vdmabuf_hdr hdr;
	vdm_le32 output;
	vdm_le32 x;       /* int32 two's complement; may be outside the output */
	vdm_le32 y;
	vdm_le32 visible; /* 0 or 1 */
};

/* §7 Response: OK or an error naming the request. */
struct vdmabuf_resp {
	struct vdmabuf_hdr hdr; /* type RESP_OK or RESP_ERR_*; tag of the request */
	vdm_le32 request;       /* the request's type */
	vdm_le32 detail;        /* byte offset of the offending field in the request, or 0 */
};

/* §8 RELEASE event: the host no longer reads this presentation. */
enum vdmabuf_release_reason {
	VDMABUF_RELEASE_DONE = 0,      /* every consumer let go */
	VDMABUF_RELEASE_NO_CONSUMER = 1, /* nobody was watching */
	VDMABUF_RELEASE_TIMEOUT = 2,   /* a consumer held it past the release timeout */
	VDMABUF_RELEASE_DROPPED = 3,   /* superseded by a newer frame before any consumer took it */
};

struct vdmabuf_evt_release {
	struct vdmabuf_hdr hdr; /* type VDMABUF_EVT_RELEASE, tag 0 */
	struct vdmabuf_id id;
	vdm_le64 sequence;
	vdm_le32 output;
	vdm_le32 reason; /* enum vdmabuf_release_reason */
};

/* §8.2 REFRESH event: a new consumer watches this output; re-present its
 * current frame (full damage) when convenient. */
struct vdmabuf_evt_refresh {
	struct vdmabuf_hdr hdr; /* type VDMABUF_EVT_REFRESH, tag 0 */
	vdm_le32 output;        /* VDMABUF_OUTPUT_ALL: every output */
	vdm_le32 padding;
};
#define VDMABUF_OUTPUT_ALL 0xffffffffu

/* §8.3 INPUT event: one input event for the guest's seat, in order. Pointer
 * coordinates are output pixels in 24.8 fixed point (value * 256), 0 <= x <
 * width * 256. A burst of MOTION may be coalesced by the host (the last wins);
 * nothing else is. */
enum vdmabuf_input_kind {
	VDMABUF_INPUT_KEY = 1,    /* a: evdev keycode (linux/input-event-codes.h), b: 1 pressed, 0 released */
	VDMABUF_INPUT_MODIFIERS = 2, /* a: depressed, b: latched, c: locked, d: group (xkb masks of the KEYMAP) */
	VDMABUF_INPUT_MOTION = 3, /* a: x, b: y (24.8, absolute) */
	VDMABUF_INPUT_BUTTON = 4, /* a: evdev button code (BTN_LEFT 0x110 ...), b: 1 pressed, 0 released */
	VDMABUF_INPUT_AXIS = 5,   /* a: 0 vertical, 1 horizontal; b: source (0 wheel, 1 finger,
	                           * 2 continuous, 3 wheel tilt); c: int32 value (24.8, wl_pointer
	                           * units); d: int32 discrete steps (0: none) */
	VDMABUF_INPUT_FRAME = 6,  /* end of a group of pointer events */
	VDMABUF_INPUT_ENTER = 7,  /* pointer entered the output: a: x, b: y (24.8) */
	VDMABUF_INPUT_LEAVE = 8,  /* pointer left; also release every key and button held */
};

struct vdmabuf_evt_input {
	struct vdmabuf_hdr hdr; /* type VDMABUF_EVT_INPUT, tag 0 */
	vdm_le32 output;        /* the output the pointer is on / the focus window shows */
	vdm_le32 kind;          /* enum vdmabuf_input_kind */
	vdm_le64 time_ns;       /* host CLOCK_MONOTONIC of the event */
	vdm_le32 a;
	vdm_le32 b;
	vdm_le32 c;
	vdm_le32 d;
	vdm_le32 padding[2];
};

/* §8.4 KEYMAP event: the xkb layout the host's keycodes should be read with
 * (RMLVO layout and variant, NUL-padded; rules "evdev", model "pc105"). Sent
 * before the first KEY and whenever it changes. */
#define VDMABUF_KEYMAP_NAME_LEN 24u
struct vdmabuf_evt_keymap {
	struct vdmabuf_hdr hdr; /* type VDMABUF_EVT_KEYMAP, tag 0 */
	vdm_u8 layout[VDMABUF_KEYMAP_NAME_LEN];  /* e.g. "us", "de", "us,ru" */
	vdm_u8 variant[VDMABUF_KEYMAP_NAME_LEN]; /* e.g. "", "dvorak" */
};

/* §8.5 MODE event: the host asks for a new mode of an output (e.g. its window
 * was resized). The guest answers, now or never, with OUTPUT. */
struct vdmabuf_evt_mode {
	struct vdmabuf_hdr hdr; /* type VDMABUF_EVT_MODE, tag 0 */
	vdm_le32 output;
	vdm_le32 width;       /* 1..VDMABUF_MAX_DIMENSION */
	vdm_le32 height;
	vdm_le32 refresh_mhz; /* 0: the guest's choice */
};

/* §8.6 HOTPLUG event: the host asks the guest to add (connected = 1) or remove
 * (0) an output. The guest answers with OUTPUT. */
struct vdmabuf_evt_hotplug {
	struct vdmabuf_hdr hdr; /* type VDMABUF_EVT_HOTPLUG, tag 0 */
	vdm_le32 output;
	vdm_le32 connected;
	vdm_le32 width;       /* for connected = 1 */
	vdm_le32 height;
	vdm_le32 refresh_mhz;
	vdm_le32 padding;
};

/* §3.3 Device configuration space (vhost-user GET_CONFIG), read-only. */
struct vdmabuf_config {
	vdm_le32 magic;
	vdm_le32 version;
	vdm_le32 max_buffers;
	vdm_le32 max_outputs;
};

#define VDMABUF_CHECK_SIZE(t, n) VDMABUF_STATIC_ASSERT(sizeof(struct t) == (n), #t " size")
#define VDMABUF_CHECK_OFF(t, f, n)                                                            \
	VDMABUF_STATIC_ASSERT(offsetof(struct t, f) == (n), #t "." #f " offset")

VDMABUF_CHECK_SIZE(vdmabuf_hdr, 16);
VDMABUF_CHECK_OFF(vdmabuf_hdr, type, 0);
VDMABUF_CHECK_OFF(vdmabuf_hdr, flags, 4);
VDMABUF_CHECK_OFF(vdmabuf_hdr, tag, 8);

VDMABUF_CHECK_SIZE(vdmabuf_id, 16);
VDMABUF_CHECK_OFF(vdmabuf_id, guest, 0);
VDMABUF_CHECK_OFF(vdmabuf_id, counter, 4);
VDMABUF_CHECK_OFF(vdmabuf_id, key, 8);

VDMABUF_CHECK_SIZE(vdmabuf_cmd_hello, 56);
VDMABUF_CHECK_OFF(vdmabuf_cmd_hello, magic, 16);
VDMABUF_CHECK_OFF(vdmabuf_cmd_hello, version, 20);
VDMABUF_CHECK_OFF(vdmabuf_cmd_hello, name, 24);

VDMABUF_CHECK_SIZE(vdmabuf_resp_hello, 64);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, magic, 16);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, version, 20);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, guest, 24);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, max_buffers, 28);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, key, 32);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, max_extents, 40);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, max_damage, 44);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, max_outputs, 48);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, padding, 52);
VDMABUF_CHECK_OFF(vdmabuf_resp_hello, features, 56);
VDMABUF_CHECK_SIZE(vdmabuf_cmd_hello_features, 64);
VDMABUF_CHECK_OFF(vdmabuf_cmd_hello_features, features, 56);

VDMABUF_CHECK_SIZE(vdmabuf_plane, 8);
VDMABUF_CHECK_OFF(vdmabuf_plane, offset, 0);
VDMABUF_CHECK_OFF(vdmabuf_plane, stride, 4);
VDMABUF_CHECK_SIZE(vdmabuf_extent, 16);
VDMABUF_CHECK_OFF(vdmabuf_extent, addr, 0);
VDMABUF_CHECK_OFF(vdmabuf_extent, len, 8);

VDMABUF_CHECK_SIZE(vdmabuf_cmd_export, 104);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, id, 16);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, fourcc, 32);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, width, 36);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, height, 40);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, n_planes, 44);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, modifier, 48);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, planes, 56);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, size, 88);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, n_extents, 96);
VDMABUF_CHECK_OFF(vdmabuf_cmd_export, padding, 100);

VDMABUF_CHECK_SIZE(vdmabuf_rect, 16);
VDMABUF_CHECK_OFF(vdmabuf_rect, x, 0);
VDMABUF_CHECK_OFF(vdmabuf_rect, y, 4);
VDMABUF_CHECK_OFF(vdmabuf_rect, width, 8);
VDMABUF_CHECK_OFF(vdmabuf_rect, height, 12);

VDMABUF_CHECK_SIZE(vdmabuf_cmd_present, 312);
VDMABUF_CHECK_OFF(vdmabuf_cmd_present, id, 16);
VDMABUF_CHECK_OFF(vdmabuf_cmd_present, output, 32);
VDMABUF_CHECK_OFF(vdmabuf_cmd_present, n_damage, 36);
VDMABUF_CHECK_OFF(vdmabuf_cmd_present, sequence, 40);
VDMABUF_CHECK_OFF(vdmabuf_cmd_present, guest_time_ns, 48);
VDMABUF_CHECK_OFF(vdmabuf_cmd_present, damage, 56);

VDMABUF_CHECK_SIZE(vdmabuf_cmd_unexport, 32);
VDMABUF_CHECK_OFF(vdmabuf_cmd_unexport, id, 16);

VDMABUF_CHECK_SIZE(vdmabuf_resp, 24);
VDMABUF_CHECK_OFF(vdmabuf_resp, request, 16);
VDMABUF_CHECK_OFF(vdmabuf_resp, detail, 20);

VDMABUF_CHECK_SIZE(vdmabuf_evt_release, 48);
VDMABUF_CHECK_OFF(vdmabuf_evt_release, id, 16);
VDMABUF_CHECK_OFF(vdmabuf_evt_release, sequence, 32);
VDMABUF_CHECK_OFF(vdmabuf_evt_release, output, 40);
VDMABUF_CHECK_OFF(vdmabuf_evt_release, reason, 44);

VDMABUF_CHECK_SIZE(vdmabuf_evt_refresh, 24);
VDMABUF_CHECK_OFF(vdmabuf_evt_refresh, output, 16);
VDMABUF_CHECK_SIZE(vdmabuf_config, 16);
VDMABUF_CHECK_OFF(vdmabuf_config, max_buffers, 8);
VDMABUF_CHECK_OFF(vdmabuf_config, max_outputs, 12);

VDMABUF_CHECK_SIZE(vdmabuf_cmd_output, 72);
VDMABUF_CHECK_OFF(vdmabuf_cmd_output, output, 16);
VDMABUF_CHECK_OFF(vdmabuf_cmd_output, flags, 20);
VDMABUF_CHECK_OFF(vdmabuf_cmd_output, width, 24);
VDMABUF_CHECK_OFF(vdmabuf_cmd_output, height, 28);
VDMABUF_CHECK_OFF(vdmabuf_cmd_output, refresh_mhz, 32);
VDMABUF_CHECK_OFF(vdmabuf_cmd_output, name, 40);
VDMABUF_CHECK_SIZE(vdmabuf_cmd_cursor_set, 40);
VDMABUF_CHECK_OFF(vdmabuf_cmd_cursor_set, output, 16);
VDMABUF_CHECK_OFF(vdmabuf_cmd_cursor_set, width, 20);
VDMABUF_CHECK_OFF(vdmabuf_cmd_cursor_set, height, 24);
VDMABUF_CHECK_OFF(vdmabuf_cmd_cursor_set, hotspot_x, 28);
VDMABUF_CHECK_OFF(vdmabuf_cmd_cursor_set, hotspot_y, 32);
VDMABUF_CHECK_SIZE(vdmabuf_cmd_cursor_move, 32);
VDMABUF_CHECK_OFF(vdmabuf_cmd_cursor_move, output, 16);
VDMABUF_CHECK_OFF(vdmabuf_cmd_cursor_move, x, 20);
VDMABUF_CHECK_OFF(vdmabuf_cmd_cursor_move, y, 24);
VDMABUF_CHECK_OFF(vdmabuf_cmd_cursor_move, visible, 28);
VDMABUF_CHECK_SIZE(vdmabuf_evt_input, 56);
VDMABUF_CHECK_OFF(vdmabuf_evt_input, output, 16);
VDMABUF_CHECK_OFF(vdmabuf_evt_input, kind, 20);
VDMABUF_CHECK_OFF(vdmabuf_evt_input, time_ns, 24);
VDMABUF_CHECK_OFF(vdmabuf_evt_input, a, 32);
VDMABUF_CHECK_OFF(vdmabuf_evt_input, d, 44);
VDMABUF_CHECK_SIZE(vdmabuf_evt_keymap, 64);
VDMABUF_CHECK_OFF(vdmabuf_evt_keymap, layout, 16);
VDMABUF_CHECK_OFF(vdmabuf_evt_keymap, variant, 40);
VDMABUF_CHECK_SIZE(vdmabuf_evt_mode, 32);
VDMABUF_CHECK_OFF(vdmabuf_evt_mode, output, 16);
VDMABUF_CHECK_OFF(vdmabuf_evt_mode, refresh_mhz, 28);
VDMABUF_CHECK_SIZE(vdmabuf_evt_hotplug, 40);
VDMABUF_CHECK_OFF(vdmabuf_evt_hotplug, output, 16);
VDMABUF_CHECK_OFF(vdmabuf_evt_hotplug, connected, 20);
VDMABUF_CHECK_OFF(vdmabuf_evt_hotplug, refresh_mhz, 32);
VDMABUF_STATIC_ASSERT(sizeof(struct vdmabuf_evt_keymap) <= VDMABUF_EVENT_SIZE, "keymap size");
VDMABUF_STATIC_ASSERT(sizeof(struct vdmabuf_cmd_cursor_set) +
			      VDMABUF_MAX_CURSOR * VDMABUF_MAX_CURSOR * 4 <=
		      sizeof(struct vdmabuf_cmd_export) +
			      VDMABUF_MAX_EXTENTS * sizeof(struct vdmabuf_extent),
		      "the largest cursor fits a ctrl request");

VDMABUF_STATIC_ASSERT(sizeof(struct vdmabuf_resp_hello) <= VDMABUF_RESP_SIZE, "resp size");
VDMABUF_STATIC_ASSERT(sizeof(struct vdmabuf_evt_release) <= VDMABUF_EVENT_SIZE, "event size");

/* The largest request a ctrl chain may carry (EXPORT with every extent). */
#define VDMABUF_MAX_REQUEST_SIZE                                                              \
	(sizeof(struct vdmabuf_cmd_export) + VDMABUF_MAX_EXTENTS * sizeof(struct vdmabuf_extent))

#endif /* VDMABUF_WIRE_H */
