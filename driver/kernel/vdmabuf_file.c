// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_vdmabuf: /dev/virtio-vdmabuf (protocols/vdmabuf-kernel-uapi.md).
 * Every open owns the buffers it exported: PRESENT and UNEXPORT only accept
 * those, RELEASE events go to it, and close() unexports them all.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include "vdmabuf_drv.h"

static_assert(sizeof(struct vdmabuf_uapi_info) == 64);
static_assert(sizeof(struct vdmabuf_uapi_alloc) == 24);
static_assert(sizeof(struct vdmabuf_uapi_export) == 88);
static_assert(sizeof(struct vdmabuf_uapi_present) == 304);
static_assert(sizeof(struct vdmabuf_uapi_unexport) == 24);
static_assert(sizeof(struct vdmabuf_uapi_present_sync) == 320);
static_assert(sizeof(struct vdmabuf_uapi_event) == 72);

/* Caller holds dev->lock. */
void vdm_file_push_event(struct vdm_file *file, const void *data, u32 size)
{
	struct vdmabuf_uapi_event *ev;

	if (file->ev_count == VDM_FILE_EVENTS) {
		file->ev_dropped++;
		pr_warn_ratelimited("virtio_vdmabuf: event ring full, event dropped\n");
		return;
	}
	ev = &file->events[(file->ev_head + file->ev_count) % VDM_FILE_EVENTS];
	memset(ev, 0, sizeof(*ev));
	ev->size = size;
	memcpy(ev->data, data, size);
	file->ev_count++;
	wake_up_interruptible(&file->wq);
}

static bool vdm_is_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

/*
 * The live buffer `id` exported through `file`, with a reference; or NULL. With
 * `exported`, also a reference to its dma-buf (the export may end meanwhile).
 */
static struct vdm_buf *vdm_lookup(struct vdm_file *file, const struct vdmabuf_uapi_id *id,
				  struct dma_buf **exported)
{
	struct vdm_dev *dev = file->dev;
	struct vdm_buf *buf = NULL;

	spin_lock_irq(&dev->lock);
	if (id->guest == dev->info.guest && id->key == dev->key && id->counter)
		buf = xa_load(&dev->exports, id->counter);
	if (buf && (buf->owner != file || buf->state != VDM_LIVE))
		buf = NULL;
	if (buf)
		kref_get(&buf->ref);
	if (buf && exported) {
		get_dma_buf(buf->exported);
		*exported = buf->exported;
	}
	spin_unlock_irq(&dev->lock);
	return buf;
}

static long vdm_ioctl_alloc(struct vdm_file *file, void __user *arg)
{
	struct vdmabuf_uapi_alloc a;
	struct dma_buf *dmabuf;
	struct vdm_buf *buf;
	int fd;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.padding || !a.size || a.size > VDMABUF_MAX_BUFFER_SIZE)
		return -EINVAL;
	a.size = PAGE_ALIGN(a.size);
	buf = vdm_buf_alloc(a.size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	a.n_extents = buf->n_extents;
	dmabuf = vdm_buf_export_dmabuf(buf);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	a.fd = fd;
	if (copy_to_user(arg, &a, sizeof(a))) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}
	fd_install(fd, dmabuf->file);
	return 0;
}

/* Fills the wire PRESENT from the ioctl's fields. */
static void vdm_fill_present(struct vdmabuf_cmd_present *cmd, const struct vdmabuf_uapi_present *p)
{
	u32 i;

	cmd->hdr.type = cpu_to_le32(VDMABUF_CMD_PRESENT);
	cmd->id.guest = cpu_to_le32(p->id.guest);
	cmd->id.counter = cpu_to_le32(p->id.counter);
	cmd->id.key = cpu_to_le64(p->id.key);
	cmd->output = cpu_to_le32(p->output);
	cmd->n_damage = cpu_to_le32(p->n_damage);
	cmd->sequence = cpu_to_le64(p->sequence);
	cmd->guest_time_ns = cpu_to_le64(p->guest_time_ns);
	for (i = 0; i < p->n_damage; i++) {
		cmd->damage[i].x = cpu_to_le32(p->damage[i].x);
		cmd->damage[i].y = cpu_to_le32(p->damage[i].y);
		cmd->damage[i].width = cpu_to_le32(p->damage[i].width);
		cmd->damage[i].height = cpu_to_le32(p->damage[i].height);
	}
}

/*
 * PRESENT of p->id once `fence` (may be NULL) and the dma-buf's write fences
 * have signalled, timeout_ms at most. The buffer counts as presented from the
 * start of the wait: another PRESENT or an UNEXPORT gets EBUSY meanwhile.
 */
static int vdm_present(struct vdm_file *file, struct vdmabuf_uapi_present *p,
		       struct dma_fence *fence, unsigned int timeout_ms)
{
	struct vdm_dev *dev = file->dev;
	struct vdmabuf_cmd_present *cmd = NULL;
	struct dma_buf *dmabuf = NULL;
	struct vdm_reply reply;
	struct vdm_buf *buf;
	int ret;

	if (p->n_damage > VDMABUF_MAX_DAMAGE ||
	    !vdm_is_zero(&p->damage[p->n_damage],
			 (VDMABUF_MAX_DAMAGE - p->n_damage) * sizeof(p->damage[0])))
		return -EINVAL;
	buf = vdm_lookup(file, &p->id, &dmabuf);
	if (!buf)
		return -ENOENT;
	spin_lock_irq(&dev->lock);
	ret = buf->in_flight ? -EBUSY : 0;
	buf->in_flight = true; /* before sending: the RELEASE may beat the response */
	spin_unlock_irq(&dev->lock);
	if (ret)
		goto out;
	ret = vdm_fence_wait(dmabuf, fence, timeout_ms);
	if (!ret) {
		cmd = kzalloc(sizeof(*cmd), GFP_KERNEL);
		ret = cmd ? 0 : -ENOMEM;
	}
	if (!ret) {
		vdm_fill_present(cmd, p);
		ret = vdm_request(dev, cmd, sizeof(*cmd), &reply);
	}
	if (ret || reply.status != VDMABUF_RESP_OK) {
		spin_lock_irq(&dev->lock);
		buf->in_flight = false;
		spin_unlock_irq(&dev->lock);
	}
	if (!ret) {
		p->status = reply.status;
		p->detail = reply.detail;
	}
out:
	dma_buf_put(dmabuf);
	vdm_buf_put(buf);
	return ret;
}

static long vdm_ioctl_present(struct vdm_file *file, void __user *arg)
{
	struct vdmabuf_uapi_present p;
	int ret;

	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	ret = vdm_present(file, &p, NULL, VDM_FENCE_WAIT_MS);
	if (ret)
		return ret;
	return copy_to_user(arg, &p, sizeof(p)) ? -EFAULT : 0;
}

static long vdm_ioctl_present_sync(struct vdm_file *file, void __user *arg)
{
	struct vdmabuf_uapi_present_sync s;
	struct dma_fence *fence = NULL;
	int ret;

	if (copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	if (s.flags || s.padding || s.fence_fd < -1 || s.timeout_ms > VDM_FENCE_WAIT_MAX_MS)
		return -EINVAL;
	if (s.fence_fd >= 0) {
		fence = sync_file_get_fence(s.fence_fd);
		if (!fence)
			return -EINVAL; /* not a sync_file */
	}
	ret = vdm_present(file, &s.present, fence, s.timeout_ms ?: VDM_FENCE_WAIT_MS);
	if (fence)
		dma_fence_put(fence);
	if (ret)
		return ret;
	return copy_to_user(arg, &s, sizeof(s)) ? -EFAULT : 0;
}

/*
 * The device may still read buf's pages: they stay (the export's buffer
 * reference is never dropped) but the dma-buf reference goes, so an ALLOC'd
 * dma-buf can still be closed and the module unloaded. Returns that reference
 * for a put outside dev->lock.
 */
static struct dma_buf *vdm_leak(struct vdm_buf *buf)
{
	struct dma_buf *exported = buf->exported;

	buf->exported = NULL;
	buf->state = VDM_LEAKED;
	return exported;
}

/* Sends UNEXPORT for a live, idle buffer of `file`; `buf` is referenced by the caller. */
static int vdm_unexport(struct vdm_file *file, struct vdm_buf *buf, struct vdm_reply *reply)
{
	struct vdm_dev *dev = file->dev;
	struct vdmabuf_cmd_unexport *cmd;
	struct dma_buf *exported = NULL;
	bool drop = false;
	int ret;

	cmd = kzalloc(sizeof(*cmd), GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	spin_lock_irq(&dev->lock);
	if (buf->owner != file || buf->state != VDM_LIVE)
		ret = -ENOENT;
	else
		ret = buf->in_flight ? -EBUSY : 0;
	if (!ret)
		buf->state = VDM_UNEXPORTING;
	spin_unlock_irq(&dev->lock);
	if (ret) {
		kfree(cmd);
		return ret;
	}
	cmd->hdr.type = cpu_to_le32(VDMABUF_CMD_UNEXPORT);
	cmd->id.guest = cpu_to_le32(dev->info.guest);
	cmd->id.counter = cpu_to_le32(buf->counter);
	cmd->id.key = cpu_to_le64(dev->key);
	ret = vdm_request(dev, cmd, sizeof(*cmd), reply);

	spin_lock_irq(&dev->lock);
	if (buf->state != VDM_UNEXPORTING) {
		/* remove() retired it meanwhile and dropped the export reference */
	} else if (!ret && reply->status == VDMABUF_RESP_OK) {
		xa_erase(&dev->exports, buf->counter);
		list_del_init(&buf->owner_link);
		buf->owner = NULL;
		buf->state = VDM_IDLE;
		exported = buf->exported;
		buf->exported = NULL;
		drop = true;
	} else if (ret == -ETIMEDOUT) {
		exported = vdm_leak(buf);
	} else {
		buf->state = VDM_LIVE;
	}
	spin_unlock_irq(&dev->lock);
	if (drop)
		vdm_buf_end_export(buf, exported);
	else if (exported)
		dma_buf_put(exported);
	return ret;
}

static long vdm_ioctl_unexport(struct vdm_file *file, void __user *arg)
{
	struct vdmabuf_uapi_unexport u;
	struct vdm_reply reply;
	struct vdm_buf *buf;
	int ret;

	if (copy_from_user(&u, arg, sizeof(u)))
		return -EFAULT;
	buf = vdm_lookup(file, &u.id, NULL);
	if (!buf)
		return -ENOENT;
	ret = vdm_unexport(file, buf, &reply);
	vdm_buf_put(buf);
	if (ret)
		return ret;
	u.status = reply.status;
	u.detail = reply.detail;
	return copy_to_user(arg, &u, sizeof(u)) ? -EFAULT : 0;
}

static long vdm_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct vdm_file *file = filp->private_data;
	void __user *uarg = (void __user *)arg;

	if (cmd != VDMABUF_IOCTL_INFO && READ_ONCE(file->dev->removed))
		return -ENODEV;
	switch (cmd) {
	case VDMABUF_IOCTL_INFO:
		return copy_to_user(uarg, &file->dev->info, sizeof(file->dev->info)) ? -EFAULT : 0;
	case VDMABUF_IOCTL_ALLOC:
		return vdm_ioctl_alloc(file, uarg);
	case VDMABUF_IOCTL_EXPORT:
		return vdm_ioctl_export(file, uarg);
	case VDMABUF_IOCTL_PRESENT:
		return vdm_ioctl_present(file, uarg);
	case VDMABUF_IOCTL_UNEXPORT:
		return vdm_ioctl_unexport(file, uarg);
	case VDMABUF_IOCTL_PRESENT_SYNC:
		return vdm_ioctl_present_sync(file, uarg);
	case VDMABUF_IOCTL_SEND:
		return vdm_ioctl_send(file, uarg);
	default:
		return -ENOTTY;
	}
}

static ssize_t vdm_read(struct file *filp, char __user *ubuf, size_t len, loff_t *off)
{
	struct vdm_file *file = filp->private_data;
	struct vdm_dev *dev = file->dev;
	struct vdmabuf_uapi_event ev;
	size_t done = 0;
	int ret;

	if (len < sizeof(ev))
		return -EINVAL;
	for (;;) {
		spin_lock_irq(&dev->lock);
		if (file->ev_count)
			break;
		spin_unlock_irq(&dev->lock);
		if (dev->removed)
			return -ENODEV;
		if (filp->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(file->wq, READ_ONCE(file->ev_count) ||
							 READ_ONCE(dev->removed));
		if (ret)
			return ret;
	}
	/* dev->lock is held here */
	while (file->ev_count && len - done >= sizeof(ev)) {
		ev = file->events[file->ev_head];
		file->ev_head = (file->ev_head + 1) % VDM_FILE_EVENTS;
		file->ev_count--;
		spin_unlock_irq(&dev->lock);
		if (copy_to_user(ubuf + done, &ev, sizeof(ev)))
			return done ? done : -EFAULT;
		done += sizeof(ev);
		spin_lock_irq(&dev->lock);
	}
	spin_unlock_irq(&dev->lock);
	return done;
}

static __poll_t vdm_poll(struct file *filp, poll_table *wait)
{
	struct vdm_file *file = filp->private_data;
	__poll_t mask = 0;

	poll_wait(filp, &file->wq, wait);
	if (READ_ONCE(file->ev_count))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(file->dev->removed))
		mask |= EPOLLHUP | EPOLLERR;
	return mask;
}

static int vdm_open(struct inode *inode, struct file *filp)
{
	struct vdm_dev *dev = vdm_dev_get_current();
	struct vdm_file *file;

	if (!dev)
		return -ENODEV;
	file = kzalloc(sizeof(*file), GFP_KERNEL);
	if (file)
		file->events = kvcalloc(VDM_FILE_EVENTS, sizeof(*file->events), GFP_KERNEL);
	if (!file || !file->events) {
		kfree(file);
		vdm_dev_put(dev);
		return -ENOMEM;
	}
	file->dev = dev;
	INIT_LIST_HEAD(&file->exports);
	init_waitqueue_head(&file->wq);
	spin_lock_irq(&dev->lock);
	list_add_tail(&file->dev_link, &dev->files);
	spin_unlock_irq(&dev->lock);
	filp->private_data = file;
	return stream_open(inode, filp);
}

static bool vdm_released(struct vdm_dev *dev, struct vdm_buf *buf)
{
	bool done;

	spin_lock_irq(&dev->lock);
	done = !buf->in_flight || dev->removed;
	spin_unlock_irq(&dev->lock);
	return done;
}

/* Unexports everything this open exported; waits (bounded) for RELEASEs first. */
static int vdm_release(struct inode *inode, struct file *filp)
{
	struct vdm_file *file = filp->private_data;
	struct vdm_dev *dev = file->dev;
	struct vdm_reply reply;
	struct vdm_buf *buf;

	spin_lock_irq(&dev->lock);
	list_del(&file->dev_link);
	while ((buf = list_first_entry_or_null(&file->exports, struct vdm_buf, owner_link))) {
		struct dma_buf *exported = NULL;
		int ret;

		kref_get(&buf->ref);
		spin_unlock_irq(&dev->lock);
		wait_event_timeout(dev->release_wq, vdm_released(dev, buf),
				   msecs_to_jiffies(VDM_RELEASE_WAIT_MS));
		ret = vdm_unexport(file, buf, &reply);
		spin_lock_irq(&dev->lock);
		if (buf->owner == file) {
			/* Not unexported: the host may still read the pages; keep them. */
			if (!dev->removed)
				pr_warn("virtio_vdmabuf: close: UNEXPORT of %u failed (%d, 0x%x); pages leaked\n",
					buf->counter, ret, ret ? 0 : reply.status);
			list_del_init(&buf->owner_link);
			buf->owner = NULL;
			exported = vdm_leak(buf);
		}
		spin_unlock_irq(&dev->lock);
		if (exported)
			dma_buf_put(exported);
		vdm_buf_put(buf);
		spin_lock_irq(&dev->lock);
	}
	spin_unlock_irq(&dev->lock);
	kvfree(file->events);
	kfree(file);
	vdm_dev_put(dev);
	return 0;
}

const struct file_operations vdm_fops = {
	.owner = THIS_MODULE,
	.open = vdm_open,
	.release = vdm_release,
	.read = vdm_read,
	.poll = vdm_poll,
	.unlocked_ioctl = vdm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};
