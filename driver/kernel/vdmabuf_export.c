// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_vdmabuf: EXPORT (protocols/vdmabuf-kernel-uapi.md). A dma-buf of ours
 * (ALLOC) or of another exporter (vdmabuf_foreign.c) is checked, claimed for
 * one export at a time and sent to the device as its guest-physical extents.
 */
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vdmabuf_drv.h"

static int vdm_check_export(const struct vdmabuf_uapi_export *e)
{
	u32 i;

	if (e->flags || !e->n_planes || e->n_planes > VDMABUF_MAX_PLANES)
		return -EINVAL;
	if (!e->width || !e->height || e->width > VDMABUF_MAX_DIMENSION ||
	    e->height > VDMABUF_MAX_DIMENSION)
		return -EINVAL;
	for (i = e->n_planes; i < VDMABUF_MAX_PLANES; i++)
		if (e->planes[i].offset || e->planes[i].stride)
			return -EINVAL;
	return 0;
}

static int vdm_send_export(struct vdm_dev *dev, struct vdm_buf *buf,
			   struct vdmabuf_uapi_export *e, struct vdm_reply *reply)
{
	struct vdmabuf_cmd_export *cmd;
	size_t len = sizeof(*cmd) + (size_t)buf->n_extents * sizeof(struct vdmabuf_extent);
	u32 i;

	cmd = kzalloc(len, GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	cmd->hdr.type = cpu_to_le32(VDMABUF_CMD_EXPORT);
	cmd->id.guest = cpu_to_le32(e->id.guest);
	cmd->id.counter = cpu_to_le32(e->id.counter);
	cmd->id.key = cpu_to_le64(e->id.key);
	cmd->fourcc = cpu_to_le32(e->fourcc);
	cmd->width = cpu_to_le32(e->width);
	cmd->height = cpu_to_le32(e->height);
	cmd->n_planes = cpu_to_le32(e->n_planes);
	cmd->modifier = cpu_to_le64(e->modifier);
	for (i = 0; i < e->n_planes; i++) {
		cmd->planes[i].offset = cpu_to_le32(e->planes[i].offset);
		cmd->planes[i].stride = cpu_to_le32(e->planes[i].stride);
	}
	cmd->size = cpu_to_le64(buf->size);
	cmd->n_extents = cpu_to_le32(buf->n_extents);
	memcpy(cmd + 1, buf->extents, (size_t)buf->n_extents * sizeof(struct vdmabuf_extent));
	return vdm_request(dev, cmd, len, reply);
}

/*
 * Every plane inside the dma-buf: offset + stride x rows <= size, plane 0 with
 * `height` rows, the others with height / 4 (no DRM format subsamples more
 * vertically), so no valid layout is refused here; the device then checks the
 * format's exact plane heights and strides.
 */
static int vdm_check_planes(const struct vdmabuf_uapi_export *e, u64 size)
{
	u32 i;

	for (i = 0; i < e->n_planes; i++) {
		u64 rows = i ? DIV_ROUND_UP(e->height, 4) : e->height;

		if ((u64)e->planes[i].offset + (u64)e->planes[i].stride * rows > size)
			return -EINVAL;
	}
	return 0;
}

/* The buffer EXPORT sends for `dmabuf`, with a reference for the caller. */
static struct vdm_buf *vdm_export_buf(struct vdm_dev *dev, struct dma_buf *dmabuf)
{
	struct vdm_buf *buf = vdm_buf_from_dmabuf(dmabuf);

	if (!buf)
		return vdm_foreign_import(dev, dmabuf);
	if (buf->n_extents > dev->info.max_extents)
		return ERR_PTR(-E2BIG);
	kref_get(&buf->ref); /* safe: the caller's dma-buf reference holds one */
	return buf;
}

/* Whether buf's dma-buf is exported, or being exported, already. dev->lock held. */
static bool vdm_exported(struct vdm_dev *dev, struct vdm_buf *buf)
{
	struct vdm_buf *other;
	unsigned long idx;

	if (buf->state != VDM_IDLE)
		return true;
	if (!buf->foreign)
		return false; /* ALLOC'd: its state says it all */
	/* A foreign buffer is new at each EXPORT: look for another of its dma-buf. */
	xa_for_each(&dev->exports, idx, other)
		if (other->foreign == buf->foreign)
			return true;
	return false;
}

/* Marks `buf` EXPORTING and gives it a counter in the export table. */
static int vdm_claim_export(struct vdm_dev *dev, struct vdm_buf *buf, u32 *counter)
{
	int ret;

	mutex_lock(&dev->export_mutex);
	spin_lock_irq(&dev->lock);
	if (dev->removed)
		ret = -ENODEV;
	else
		ret = vdm_exported(dev, buf) ? -EBUSY : 0;
	if (!ret)
		buf->state = VDM_EXPORTING;
	spin_unlock_irq(&dev->lock);
	if (!ret) {
		ret = xa_alloc(&dev->exports, counter, buf, XA_LIMIT(1, U32_MAX), GFP_KERNEL);
		if (ret) {
			spin_lock_irq(&dev->lock);
			buf->state = VDM_IDLE;
			spin_unlock_irq(&dev->lock);
		}
	}
	mutex_unlock(&dev->export_mutex);
	return ret;
}

long vdm_ioctl_export(struct vdm_file *file, void __user *arg)
{
	struct vdm_dev *dev = file->dev;
	struct vdmabuf_uapi_export e;
	struct vdm_reply reply;
	struct dma_buf *dmabuf;
	struct vdm_buf *buf;
	u32 counter;
	int ret;

	if (copy_from_user(&e, arg, sizeof(e)))
		return -EFAULT;
	ret = vdm_check_export(&e);
	if (ret)
		return ret;
	dmabuf = dma_buf_get(e.fd);
	if (IS_ERR(dmabuf))
		return -EBADF;
	/* Before anything is attached or sent. */
	ret = vdm_check_planes(&e, dmabuf->size);
	if (ret)
		goto out_put;
	buf = vdm_export_buf(dev, dmabuf);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto out_put;
	}
	ret = vdm_claim_export(dev, buf, &counter);
	if (ret)
		goto out_buf;
	e.id.guest = dev->info.guest;
	e.id.counter = counter;
	e.id.key = dev->key;
	ret = vdm_send_export(dev, buf, &e, &reply);

	spin_lock_irq(&dev->lock);
	if (!ret && reply.status == VDMABUF_RESP_OK && !dev->removed) {
		kref_get(&buf->ref); /* the pages stay until UNEXPORT */
		buf->exported = dmabuf; /* and the dma-buf, for PRESENT's fence waits */
		dmabuf = NULL;
		buf->state = VDM_LIVE;
		buf->owner = file;
		buf->counter = counter;
		list_add_tail(&buf->owner_link, &file->exports);
	} else if (ret == -ETIMEDOUT) {
		kref_get(&buf->ref); /* the device may use the pages: never free them */
		buf->state = VDM_LEAKED;
	} else {
		xa_erase(&dev->exports, counter);
		buf->state = VDM_IDLE;
	}
	spin_unlock_irq(&dev->lock);
	if (ret)
		goto out_buf;
	e.status = reply.status;
	e.detail = reply.detail;
	if (copy_to_user(arg, &e, sizeof(e)))
		ret = -EFAULT; /* the export stands; close() retires it */
out_buf:
	vdm_buf_put(buf);
out_put:
	if (dmabuf)
		dma_buf_put(dmabuf);
	return ret;
}
