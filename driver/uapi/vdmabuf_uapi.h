/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * /dev/virtio-vdmabuf: the ioctl interface of the virtio_vdmabuf kernel driver.
 *
 * Normative text: protocols/vdmabuf-kernel-uapi.md. Every field is fixed width,
 * padding is explicit and must be zero on input. Wire codes (status) and IDs are
 * the ones of protocols/vdmabuf_wire.h, in CPU byte order here.
 */
#ifndef VDMABUF_UAPI_H
#define VDMABUF_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VDMABUF_UAPI_DEVICE "/dev/virtio-vdmabuf"
/* Version 2 added foreign dma-bufs at EXPORT, the implicit fence wait before
 * PRESENT and PRESENT_SYNC; version 3 the device features (negotiated in HELLO)
 * in INFO and SEND. A driver serves every request of an older version
 * unchanged: user space checks version >= the one it needs. */
#define VDMABUF_UAPI_VERSION 3u

struct vdmabuf_uapi_id {
	__u32 guest;
	__u32 counter;
	__u64 key;
};

struct vdmabuf_uapi_plane {
	__u32 offset;
	__u32 stride;
};

struct vdmabuf_uapi_rect {
	__u32 x;
	__u32 y;
	__u32 width;
	__u32 height;
};

/* INFO: the device session as HELLO set it up. */
struct vdmabuf_uapi_info {
	__u32 version;     /* out: VDMABUF_UAPI_VERSION */
	__u32 guest;       /* out: guest id from HELLO */
	__u32 max_buffers; /* out: live exports per guest (all opens together) */
	__u32 max_extents;
	__u32 max_damage;
	__u32 max_outputs;
	__u64 features;    /* out: negotiated device feature bits (VDMABUF_F_*) */
	__u8 name[32];     /* out: the HELLO name, NUL-padded */
};

/* ALLOC: the driver allocates zeroed pages and returns a dma-buf of them. */
struct vdmabuf_uapi_alloc {
	__u64 size;      /* in: bytes (rounded up to 4096); out: the rounded size */
	__u32 flags;     /* in: 0 */
	__s32 fd;        /* out: dma-buf fd, O_RDWR | O_CLOEXEC */
	__u32 n_extents; /* out: physically contiguous runs of the pages */
	__u32 padding;
};

/* EXPORT: register a dma-buf with the device (wire EXPORT). Version 1 drivers
 * take only ALLOC's dma-bufs; version 2 takes any dma-buf whose memory is
 * ordinary guest RAM (attached and mapped, so pinned, while exported). */
struct vdmabuf_uapi_export {
	__s32 fd;        /* in: a dma-buf: from ALLOC (any open) or another exporter */
	__u32 fourcc;    /* in: DRM fourcc */
	__u32 width;
	__u32 height;
	__u32 n_planes;  /* in: 1..4 */
	__u32 flags;     /* in: 0 */
	__u64 modifier;  /* in: DRM modifier (version 1 devices: 0, LINEAR) */
	struct vdmabuf_uapi_plane planes[4]; /* in: unused planes zero */
	struct vdmabuf_uapi_id id; /* out: the buffer's ID */
	__u32 status;    /* out: VDMABUF_RESP_OK or a VDMABUF_RESP_ERR_* code */
	__u32 detail;    /* out: the error's byte offset in the wire request */
};

/* PRESENT: show an exported buffer (wire PRESENT); a RELEASE event follows.
 * Version 2: the driver first waits (2000 ms at most, else ETIME) for the
 * dma-buf's implicit write fences; nothing is sent before they signalled. */
struct vdmabuf_uapi_present {
	struct vdmabuf_uapi_id id; /* in: from EXPORT on this open */
	__u32 output;
	__u32 n_damage;  /* in: 0..16, 0 = everything changed */
	__u64 sequence;
	__u64 guest_time_ns;
	struct vdmabuf_uapi_rect damage[16]; /* in: unused rects zero */
	__u32 status;    /* out */
	__u32 detail;    /* out */
};

/* PRESENT_SYNC (version 2): PRESENT after an explicit fence. The driver waits
 * for the sync_file `fence_fd` (-1: none) and then for the dma-buf's implicit
 * write fences, both within `timeout_ms`, before the wire PRESENT goes out. */
struct vdmabuf_uapi_present_sync {
	__s32 fence_fd;    /* in: a sync_file fd, or -1 */
	__u32 timeout_ms;  /* in: bound of the fence waits, 1..10000; 0 = 2000 */
	__u32 flags;       /* in: 0 */
	__u32 padding;
	struct vdmabuf_uapi_present present; /* in/out: as for PRESENT */
};

/* UNEXPORT: retire an exported buffer that is not presented (wire UNEXPORT). */
struct vdmabuf_uapi_unexport {
	struct vdmabuf_uapi_id id; /* in: from EXPORT on this open */
	__u32 status;    /* out */
	__u32 detail;    /* out */
};

/* read() returns whole records of this size; data is the wire event verbatim
 * (little-endian), zero-padded to 64 bytes. */
struct vdmabuf_uapi_event {
	__u32 size;    /* bytes of the wire event in data (16..64) */
	__u32 padding;
	__u8 data[64];
};

/* SEND (version 3): one guest->host request of a negotiated feature, as the
 * wire has it (little-endian): OUTPUT (VDMABUF_F_HOTPLUG), CURSOR_SET or
 * CURSOR_MOVE (VDMABUF_F_CURSOR). The driver sets the header's tag. */
struct vdmabuf_uapi_send {
	__u64 data;      /* in: user address of the request */
	__u32 size;      /* in: its size: 16..VDMABUF_UAPI_SEND_MAX */
	__u32 flags;     /* in: 0 */
	__u32 status;    /* out */
	__u32 detail;    /* out */
};
#define VDMABUF_UAPI_SEND_MAX (40u + 128u * 128u * 4u) /* the largest CURSOR_SET */

#define VDMABUF_IOCTL_BASE 0xDB
#define VDMABUF_IOCTL_INFO _IOR(VDMABUF_IOCTL_BASE, 0x00, struct vdmabuf_uapi_info)
#define VDMABUF_IOCTL_ALLOC _IOWR(VDMABUF_IOCTL_BASE, 0x01, struct vdmabuf_uapi_alloc)
#define VDMABUF_IOCTL_EXPORT _IOWR(VDMABUF_IOCTL_BASE, 0x02, struct vdmabuf_uapi_export)
#define VDMABUF_IOCTL_PRESENT _IOWR(VDMABUF_IOCTL_BASE, 0x03, struct vdmabuf_uapi_present)
#define VDMABUF_IOCTL_UNEXPORT _IOWR(VDMABUF_IOCTL_BASE, 0x04, struct vdmabuf_uapi_unexport)
#define VDMABUF_IOCTL_PRESENT_SYNC \
	_IOWR(VDMABUF_IOCTL_BASE, 0x05, struct vdmabuf_uapi_present_sync)
#define VDMABUF_IOCTL_SEND _IOWR(VDMABUF_IOCTL_BASE, 0x06, struct vdmabuf_uapi_send)

#endif /* VDMABUF_UAPI_H */
