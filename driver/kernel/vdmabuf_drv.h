/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_vdmabuf: shared state of the driver's parts: the virtio device
 * (vdmabuf_virtio.c), HELLO and SEND (vdmabuf_session.c), the buffers it
 * allocates and exports as dma-bufs (vdmabuf_buffer.c), other exporters'
 * dma-bufs it maps for EXPORT (vdmabuf_foreign.c), the fence waits before
 * PRESENT (vdmabuf_fence.c), the /dev/virtio-vdmabuf files (vdmabuf_file.c,
 * EXPORT in vdmabuf_export.c) and the recovery of a device that stopped
 * answering (vdmabuf_reset.c).
 *
 * Locking: dev->req_mutex serialises ctrlq requests (one in flight); dev->ctrl_lock
 * guards the ctrlq itself, dev->event_lock the eventq; dev->lock guards the
 * export table, every buffer's export state and every file's event ring;
 * dev->export_mutex makes "is this dma-buf exported already?" and the entry in
 * the export table one step for concurrent EXPORTs.
 */
#ifndef VDMABUF_DRV_H
#define VDMABUF_DRV_H

#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "vdmabuf_wire.h"
#include "vdmabuf_uapi.h"

#define VDM_EVENT_BUFFERS 256u	/* eventq buffers posted (>= max_buffers + 8) */
#define VDM_FILE_EVENTS 512u	/* per-open event ring */
#define VDM_REQUEST_TIMEOUT_MS 3000u /* then the device is reset (vdmabuf_reset.c) */
#define VDM_RELEASE_WAIT_MS 5000u /* close(): wait this long for a RELEASE */
#define VDM_FENCE_WAIT_MS 2000u	/* PRESENT: default bound of the fence waits */
#define VDM_FENCE_WAIT_MAX_MS 10000u

enum vdm_export_state {
	VDM_IDLE,	/* not known to the device */
	VDM_EXPORTING,	/* EXPORT in flight */
	VDM_LIVE,	/* exported */
	VDM_UNEXPORTING,
	VDM_LEAKED,	/* the device never answered UNEXPORT: pages kept forever */
};

struct vdm_dev;
struct vdm_file;

/*
 * A buffer EXPORT can send: one ALLOC (zeroed pages and the dma-buf of them),
 * or a foreign dma-buf that EXPORT attached and mapped. Either way its
 * physically contiguous runs and its size.
 */
struct vdm_buf {
	/* ALLOC: the dma-buf holds one, a live export another. Foreign: the EXPORT
	 * ioctl holds one, a live export another. */
	struct kref ref;
	u64 size;
	struct vdmabuf_extent *extents; /* little-endian, ready for EXPORT */
	u32 n_extents;

	/* ALLOC'd buffers (pages NULL for a foreign one) */
	struct page **pages;
	unsigned long npages;
	struct dma_buf *dmabuf;	/* not counted: valid while the dma-buf lives */
	struct mutex lock;	/* attachments, vmap */
	struct list_head attachments;
	void *vaddr;

	/* A foreign dma-buf: counted, attached to dma_dev (counted too: the last
	 * put may come after remove()) and mapped, so its pages stay pinned. */
	struct dma_buf *foreign;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	struct device *dma_dev;

	/* export state, under dev->lock */
	enum vdm_export_state state;
	struct vdm_dev *dev;	/* the device it is exported to */
	struct vdm_file *owner;
	struct list_head owner_link;
	u32 counter;
	bool in_flight;		/* presented (or waiting for fences), RELEASE not yet seen */
	/* counted while LIVE: PRESENT waits for fences on its reservation object */
	struct dma_buf *exported;
};

struct vdm_dev {
	struct kref ref;
	struct virtio_device *vdev;
	struct virtqueue *ctrlq;
	struct virtqueue *eventq;

	struct mutex req_mutex;
	struct mutex export_mutex;
	spinlock_t ctrl_lock;
	struct vdm_request *pending;
	u64 next_tag;
	bool broken;		/* a request timed out: a reset is coming */

	spinlock_t event_lock;
	void *event_bufs;	/* VDM_EVENT_BUFFERS x VDMABUF_EVENT_SIZE */
	struct work_struct event_work;

	spinlock_t lock;
	bool removed;
	struct xarray exports;	/* counter -> struct vdm_buf */
	struct list_head files;
	wait_queue_head_t release_wq;
	u64 events_dropped;

	struct vdmabuf_uapi_info info;
	u64 key;		/* ID key from HELLO */
	struct miscdevice misc;
};

struct vdm_file {
	struct vdm_dev *dev;
	struct list_head dev_link;	/* dev->files */
	struct list_head exports;	/* struct vdm_buf.owner_link */
	wait_queue_head_t wq;
	struct vdmabuf_uapi_event *events; /* ring of VDM_FILE_EVENTS */
	u32 ev_head;
	u32 ev_count;
	u64 ev_dropped;
};

/* vdmabuf_virtio.c */
struct vdm_reply {
	u32 status;	/* VDMABUF_RESP_OK... or a VDMABUF_RESP_ERR_* code */
	u32 detail;
	u8 raw[VDMABUF_RESP_SIZE];
};
int vdm_request(struct vdm_dev *dev, void *req, size_t len, struct vdm_reply *reply);
void vdm_dev_put(struct vdm_dev *dev);
struct vdm_dev *vdm_dev_get_current(void);
int vdm_probe(struct virtio_device *vdev);
void vdm_teardown(struct vdm_dev *dev);

/* vdmabuf_reset.c: a device that stopped answering is reset and probed again */
void vdm_reset_schedule(struct vdm_dev *dev);
void vdm_wake_files(struct vdm_dev *dev);
bool vdm_reset_block(struct virtio_device *vdev);
void vdm_reset_unblock(void);

/* vdmabuf_buffer.c */
struct vdm_buf *vdm_buf_new(u64 size);
struct vdm_buf *vdm_buf_alloc(u64 size);
struct dma_buf *vdm_buf_export_dmabuf(struct vdm_buf *buf);
struct vdm_buf *vdm_buf_from_dmabuf(struct dma_buf *dmabuf);
void vdm_buf_put(struct vdm_buf *buf);
void vdm_buf_end_export(struct vdm_buf *buf, struct dma_buf *exported);

/* vdmabuf_foreign.c */
struct vdm_buf *vdm_foreign_import(struct vdm_dev *dev, struct dma_buf *dmabuf);
void vdm_foreign_release(struct vdm_buf *buf);

/* vdmabuf_fence.c */
int vdm_fence_wait(struct dma_buf *dmabuf, struct dma_fence *fence, unsigned int timeout_ms);

/* vdmabuf_file.c */
extern const struct file_operations vdm_fops;
void vdm_file_push_event(struct vdm_file *file, const void *data, u32 size);

/* vdmabuf_session.c */
int vdm_hello(struct vdm_dev *dev, const char *name);
long vdm_ioctl_send(struct vdm_file *file, void __user *arg);

/* vdmabuf_export.c */
long vdm_ioctl_export(struct vdm_file *file, void __user *arg);

#endif /* VDMABUF_DRV_H */
