/* SPDX-License-Identifier: MIT */
/*
 * vdmabuf consumer protocol: vdmabufd <-> host consumers (viewer, recorder,
 * vdmabufctl) over an AF_UNIX SOCK_SEQPACKET socket. One message per packet;
 * file descriptors travel as SCM_RIGHTS on the packet that names them.
 *
 * Normative text: protocols/vdmabuf-consumer.md. Host-only, but kept in the
 * same fixed-width little-endian C11 style as the device wire header.
 */
#ifndef VDMABUF_CONSUMER_H
#define VDMABUF_CONSUMER_H

#include "vdmabuf_wire.h"

#define VDMABUF_CONSUMER_MAGIC 0x434d4456u /* "VDMC" */
#define VDMABUF_CONSUMER_VERSION 1u
#define VDMABUF_CONSUMER_MAX_MESSAGE 131072u /* largest packet either side sends */
#define VDMABUF_CONSUMER_MAX_FDS 8u
#define VDMABUF_CONSUMER_ANY 0xffffffffu /* guest/output filter: all */

enum vdmabuf_consumer_role {
	VDMABUF_ROLE_VIEWER = 1,  /* receives events, imports, releases */
	VDMABUF_ROLE_CONTROL = 2, /* stats only; never holds buffers */
};

/* How IMPORT hands out memory (§4). */
enum vdmabuf_import_mode {
	VDMABUF_IMPORT_DMABUF = 1, /* one dma-buf fd (udmabuf); extents index it from 0 */
	VDMABUF_IMPORT_MEMFD = 2,  /* guest-memory fds + extents; map read-only */
};

enum vdmabuf_consumer_type {
	/* consumer -> daemon */
	VDMABUF_C_HELLO = 0x01,
	VDMABUF_C_IMPORT = 0x02,
	VDMABUF_C_RELEASE = 0x03,
	VDMABUF_C_STATS = 0x04,
	VDMABUF_C_GUEST_EVENT = 0x05, /* a device event for one guest: INPUT, KEYMAP, MODE, HOTPLUG */
	/* daemon -> consumer */
	VDMABUF_C_WELCOME = 0x81,
	VDMABUF_C_GUEST_NEW = 0x82,
	VDMABUF_C_BUFFER_NEW = 0x83,
	VDMABUF_C_PRESENT = 0x84,
	VDMABUF_C_BUFFER_GONE = 0x85,
	VDMABUF_C_GUEST_GONE = 0x86,
	VDMABUF_C_IMPORT_REPLY = 0x87,
	VDMABUF_C_STATS_REPLY = 0x88,
	VDMABUF_C_OUTPUT = 0x89,       /* a guest output appeared, changed or went away */
	VDMABUF_C_CURSOR_IMAGE = 0x8a, /* a guest output's cursor image */
	VDMABUF_C_CURSOR_MOVE = 0x8b,  /* a guest output's cursor position */
	VDMABUF_C_ERROR = 0x8f,
};

enum vdmabuf_consumer_error {
	VDMABUF_C_ERR_MALFORMED = 1,
	VDMABUF_C_ERR_NOT_READY = 2, /* request before HELLO */
	VDMABUF_C_ERR_VERSION = 3,
	VDMABUF_C_ERR_UNKNOWN_BUFFER = 4,
	VDMABUF_C_ERR_NOT_HELD = 5, /* RELEASE of a presentation this consumer does not hold */
	VDMABUF_C_ERR_ROLE = 6,     /* request not allowed for this role */
	VDMABUF_C_ERR_IMPORT = 7,   /* the daemon could not create the import */
	VDMABUF_C_ERR_UNKNOWN_GUEST = 8, /* GUEST_EVENT for a guest that is not there (or filtered) */
	VDMABUF_C_ERR_UNSUPPORTED = 9,   /* the guest did not negotiate the event's feature bit */
	VDMABUF_C_ERR_UNKNOWN_OUTPUT = 10, /* MODE for an output the guest has not connected */
};

struct vdmabuf_c_hdr {
	vdm_le32 type;
	vdm_le32 size; /* whole packet, header included */
	vdm_le64 tag;  /* chosen by the sender of a request; echoed in its reply */
};

struct vdmabuf_c_hello {
	struct vdmabuf_c_hdr hdr;
	vdm_le32 magic;
	vdm_le32 version;
	vdm_le32 role;
	vdm_le32 output; /* output index or VDMABUF_CONSUMER_ANY */
	vdm_u8 guest_name[VDMABUF_NAME_LEN]; /* empty: every guest */
	vdm_le32 flags;   /* VDMABUF_C_HELLO_*; a 64-byte HELLO (no flags) is 0 */
	vdm_le32 padding;
};

/* HELLO flags (§2). */
#define VDMABUF_C_HELLO_WANT_LIMITS 1u /* answer with the 40-byte WELCOME */

struct vdmabuf_c_welcome {
	struct vdmabuf_c_hdr hdr;
	vdm_le32 magic;
	vdm_le32 version;
	vdm_le32 consumer; /* id the daemon gave this connection */
	vdm_le32 import_mode; /* enum vdmabuf_import_mode */
	/* Only in the 40-byte WELCOME (HELLO asked with VDMABUF_C_HELLO_WANT_LIMITS): */
	vdm_le32 release_timeout_ms; /* a hold older than this is taken back (§5) */
	vdm_le32 padding;
};

struct vdmabuf_c_guest {
	struct vdmabuf_c_hdr hdr; /* GUEST_NEW or GUEST_GONE */
	vdm_le32 guest;
	vdm_le32 padding;
	vdm_u8 name[VDMABUF_NAME_LEN];
};

struct vdmabuf_c_buffer_new {
	struct vdmabuf_c_hdr hdr;
	struct vdmabuf_id id;
	vdm_le32 fourcc;
	vdm_le32 width;
	vdm_le32 height;
	vdm_le32 n_planes;
	vdm_le64 modifier;
	struct vdmabuf_plane planes[VDMABUF_MAX_PLANES];
	vdm_le64 size;
};

#define VDMABUF_C_PRESENT_COALESCED 1u /* older undelivered presents of this output were dropped */

struct vdmabuf_c_present {
	struct vdmabuf_c_hdr hdr;
	struct vdmabuf_id id;
	vdm_le32 output;
	vdm_le32 n_damage; /* 0: whole buffer */
	vdm_le64 sequence;
	vdm_le64 guest_time_ns;
	vdm_le64 host_time_ns; /* daemon CLOCK_MONOTONIC when it took the PRESENT */
	vdm_le32 flags;
	vdm_le32 dropped; /* presents of this output dropped since the last delivered one */
	struct vdmabuf_rect damage[VDMABUF_MAX_DAMAGE];
};

struct vdmabuf_c_buffer_gone {
	struct vdmabuf_c_hdr hdr;
	struct vdmabuf_id id;
};

/* IMPORT flags and IMPORT_REPLY flags (§4). */
#define VDMABUF_C_IMPORT_WRITABLE 1u /* MEMFD fds mappable read-write (pass-through) */

struct vdmabuf_c_import {
	struct vdmabuf_c_hdr hdr;
	struct vdmabuf_id id;
	vdm_le32 flags;   /* VDMABUF_C_IMPORT_WRITABLE: asked; a 32-byte IMPORT (no flags) is 0 */
	vdm_le32 padding;
};

struct vdmabuf_c_import_extent {
	vdm_le32 fd_index; /* into the fds carried by this packet */
	vdm_le32 padding;
	vdm_le64 offset; /* in that fd, page aligned */
	vdm_le64 len;
};

struct vdmabuf_c_import_reply {
	struct vdmabuf_c_hdr hdr;
	struct vdmabuf_id id;
	vdm_le32 mode; /* enum vdmabuf_import_mode */
	vdm_le32 n_fds;
	vdm_le64 size;
	vdm_le32 n_extents;
	vdm_le32 flags; /* VDMABUF_C_IMPORT_WRITABLE: granted, the fds are O_RDWR */
	/* struct vdmabuf_c_import_extent extents[n_extents]; buffer bytes in order */
};

struct vdmabuf_c_release {
	struct vdmabuf_c_hdr hdr;
	struct vdmabuf_id id;
	vdm_le64 sequence;
};

#define VDMABUF_C_STATS_TEXT 0u
#define VDMABUF_C_STATS_JSON 1u
#define VDMABUF_C_WHAT_STATS 0u /* counters and latency percentiles */
#define VDMABUF_C_WHAT_LIST 1u  /* guests, buffers with holders, consumers */

struct vdmabuf_c_stats {
	struct vdmabuf_c_hdr hdr;
	vdm_le32 format; /* VDMABUF_C_STATS_TEXT or _JSON */
	vdm_le32 what;   /* VDMABUF_C_WHAT_* */
};

struct vdmabuf_c_stats_reply {
	struct vdmabuf_c_hdr hdr;
	vdm_le32 format; /* as requested; what is implied by the request's tag */
	vdm_le32 length; /* bytes of UTF-8 text that follow, no NUL */
};

struct vdmabuf_c_error {
	struct vdmabuf_c_hdr hdr; /* tag of the failed request */
	vdm_le32 request;         /* its type */
	vdm_le32 code;            /* enum vdmabuf_consumer_error */
};

/* §8 GUEST_EVENT (consumer -> daemon): the daemon validates `event` as a device event
 * (protocols/vdmabuf-device.md §8.3-§8.7), sets its tag to 0 and queues it on that
 * guest's eventq in order. INPUT and KEYMAP: VIEWER role only; MODE and HOTPLUG:
 * VIEWER or CONTROL. No reply on success; ERROR on failure. */
struct vdmabuf_c_guest_event {
	struct vdmabuf_c_hdr hdr;
	vdm_le32 guest;
	vdm_le32 padding;
	vdm_u8 event[VDMABUF_EVENT_SIZE]; /* a vdmabuf_evt_input/_keymap/_mode/_hotplug, zero-padded */
};

/* OUTPUT (daemon -> VIEWER): a guest's OUTPUT request, forwarded; the latest
 * state of every connected output is replayed after WELCOME. */
struct vdmabuf_c_output {
	struct vdmabuf_c_hdr hdr;
	vdm_le32 guest;
	vdm_le32 output;
	vdm_le32 flags; /* VDMABUF_OUTPUT_CONNECTED, or 0: gone */
	vdm_le32 width;
	vdm_le32 height;
	vdm_le32 refresh_mhz;
	vdm_u8 name[VDMABUF_NAME_LEN];
};

/* CURSOR_IMAGE (daemon -> VIEWER): a guest's CURSOR_SET, pixels included
 * (width * height * 4 bytes of premultiplied ARGB8888 follow). The latest is
 * replayed after WELCOME. */
struct vdmabuf_c_cursor_image {
	struct vdmabuf_c_hdr hdr;
	vdm_le32 guest;
	vdm_le32 output;
	vdm_le32 width; /* 0: hidden */
	vdm_le32 height;
	vdm_le32 hotspot_x;
	vdm_le32 hotspot_y;
	/* vdm_u8 pixels[width * height * 4]; */
};

/* CURSOR_MOVE (daemon -> VIEWER): a guest's CURSOR_MOVE. A backlog of moves
 * for one output may be coalesced to the newest. */
struct vdmabuf_c_cursor_move {
	struct vdmabuf_c_hdr hdr;
	vdm_le32 guest;
	vdm_le32 output;
	vdm_le32 x; /* int32 */
	vdm_le32 y; /* int32 */
	vdm_le32 visible;
	vdm_le32 padding;
};

VDMABUF_CHECK_SIZE(vdmabuf_c_hdr, 16);
VDMABUF_CHECK_OFF(vdmabuf_c_hdr, size, 4);
VDMABUF_CHECK_OFF(vdmabuf_c_hdr, tag, 8);
VDMABUF_CHECK_SIZE(vdmabuf_c_hello, 72);
VDMABUF_CHECK_OFF(vdmabuf_c_hello, role, 24);
VDMABUF_CHECK_OFF(vdmabuf_c_hello, output, 28);
VDMABUF_CHECK_OFF(vdmabuf_c_hello, guest_name, 32);
VDMABUF_CHECK_OFF(vdmabuf_c_hello, flags, 64);
VDMABUF_CHECK_SIZE(vdmabuf_c_welcome, 40);
VDMABUF_CHECK_OFF(vdmabuf_c_welcome, release_timeout_ms, 32);
VDMABUF_CHECK_OFF(vdmabuf_c_welcome, consumer, 24);
VDMABUF_CHECK_OFF(vdmabuf_c_welcome, import_mode, 28);
VDMABUF_CHECK_SIZE(vdmabuf_c_guest, 56);
VDMABUF_CHECK_OFF(vdmabuf_c_guest, guest, 16);
VDMABUF_CHECK_OFF(vdmabuf_c_guest, name, 24);
VDMABUF_CHECK_SIZE(vdmabuf_c_buffer_new, 96);
VDMABUF_CHECK_OFF(vdmabuf_c_buffer_new, id, 16);
VDMABUF_CHECK_OFF(vdmabuf_c_buffer_new, fourcc, 32);
VDMABUF_CHECK_OFF(vdmabuf_c_buffer_new, modifier, 48);
VDMABUF_CHECK_OFF(vdmabuf_c_buffer_new, planes, 56);
VDMABUF_CHECK_OFF(vdmabuf_c_buffer_new, size, 88);
VDMABUF_CHECK_SIZE(vdmabuf_c_present, 328);
VDMABUF_CHECK_OFF(vdmabuf_c_present, id, 16);
VDMABUF_CHECK_OFF(vdmabuf_c_present, output, 32);
VDMABUF_CHECK_OFF(vdmabuf_c_present, sequence, 40);
VDMABUF_CHECK_OFF(vdmabuf_c_present, guest_time_ns, 48);
VDMABUF_CHECK_OFF(vdmabuf_c_present, host_time_ns, 56);
VDMABUF_CHECK_OFF(vdmabuf_c_present, flags, 64);
VDMABUF_CHECK_OFF(vdmabuf_c_present, dropped, 68);
VDMABUF_CHECK_OFF(vdmabuf_c_present, damage, 72);
VDMABUF_CHECK_SIZE(vdmabuf_c_buffer_gone, 32);
VDMABUF_CHECK_SIZE(vdmabuf_c_import, 40);
VDMABUF_CHECK_OFF(vdmabuf_c_import, flags, 32);
VDMABUF_CHECK_SIZE(vdmabuf_c_import_extent, 24);
VDMABUF_CHECK_OFF(vdmabuf_c_import_extent, offset, 8);
VDMABUF_CHECK_OFF(vdmabuf_c_import_extent, len, 16);
VDMABUF_CHECK_SIZE(vdmabuf_c_import_reply, 56);
VDMABUF_CHECK_OFF(vdmabuf_c_import_reply, mode, 32);
VDMABUF_CHECK_OFF(vdmabuf_c_import_reply, n_fds, 36);
VDMABUF_CHECK_OFF(vdmabuf_c_import_reply, size, 40);
VDMABUF_CHECK_OFF(vdmabuf_c_import_reply, n_extents, 48);
VDMABUF_CHECK_OFF(vdmabuf_c_import_reply, flags, 52);
VDMABUF_CHECK_SIZE(vdmabuf_c_release, 40);
VDMABUF_CHECK_OFF(vdmabuf_c_release, sequence, 32);
VDMABUF_CHECK_SIZE(vdmabuf_c_stats, 24);
VDMABUF_CHECK_SIZE(vdmabuf_c_stats_reply, 24);
VDMABUF_CHECK_OFF(vdmabuf_c_stats_reply, length, 20);
VDMABUF_CHECK_SIZE(vdmabuf_c_error, 24);
VDMABUF_CHECK_OFF(vdmabuf_c_error, request, 16);
VDMABUF_CHECK_OFF(vdmabuf_c_error, code, 20);
VDMABUF_CHECK_SIZE(vdmabuf_c_guest_event, 88);
VDMABUF_CHECK_OFF(vdmabuf_c_guest_event, guest, 16);
VDMABUF_CHECK_OFF(vdmabuf_c_guest_event, event, 24);
VDMABUF_CHECK_SIZE(vdmabuf_c_output, 72);
VDMABUF_CHECK_OFF(vdmabuf_c_output, guest, 16);
VDMABUF_CHECK_OFF(vdmabuf_c_output, output, 20);
VDMABUF_CHECK_OFF(vdmabuf_c_output, refresh_mhz, 36);
VDMABUF_CHECK_OFF(vdmabuf_c_output, name, 40);
VDMABUF_CHECK_SIZE(vdmabuf_c_cursor_image, 40);
VDMABUF_CHECK_OFF(vdmabuf_c_cursor_image, hotspot_y, 36);
VDMABUF_CHECK_SIZE(vdmabuf_c_cursor_move, 40);
VDMABUF_CHECK_OFF(vdmabuf_c_cursor_move, visible, 32);

VDMABUF_STATIC_ASSERT(sizeof(struct vdmabuf_c_import_reply) +
			      VDMABUF_MAX_EXTENTS * sizeof(struct vdmabuf_c_import_extent) <=
		      VDMABUF_CONSUMER_MAX_MESSAGE,
		      "import reply fits one packet");

#endif /* VDMABUF_CONSUMER_H */
