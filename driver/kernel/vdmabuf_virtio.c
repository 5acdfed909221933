// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_vdmabuf: the guest driver of the vdmabuf virtio device
 * (protocols/vdmabuf-device.md). Binds virtio id 37; `borrow_id=N` also binds id
 * N (a test VM on QEMU 7.2 borrows vsock's 19 through vhost-user-vsock-pci; the
 * config-space magic keeps it off a real vsock device). HELLO at probe
 * (vdmabuf_session.c), then /dev/virtio-vdmabuf (vdmabuf_file.c) carries
 * ALLOC/EXPORT/PRESENT/UNEXPORT and SEND.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "vdmabuf_drv.h"

static unsigned int borrow_id;
module_param(borrow_id, uint, 0444);
MODULE_PARM_DESC(borrow_id, "also bind this virtio device id (test VMs: 19)");

static char *guest_name = "";
module_param(guest_name, charp, 0444);
MODULE_PARM_DESC(guest_name, "HELLO name (printable ASCII, <= 32 bytes; empty: device picks)");

static DEFINE_MUTEX(vdm_current_lock);
static struct vdm_dev *vdm_current; /* one device: /dev/virtio-vdmabuf is a single node */

struct vdm_request {
	struct completion done;
	bool abandoned; /* timed out: the callback frees it */
	u32 used_len;
	void *req;
	u8 resp[VDMABUF_RESP_SIZE];
};

static void vdm_dev_free(struct kref *ref)
{
	struct vdm_dev *dev = container_of(ref, struct vdm_dev, ref);

	xa_destroy(&dev->exports);
	kfree(dev->event_bufs);
	put_device(&dev->vdev->dev);
	kfree(dev);
}

void vdm_dev_put(struct vdm_dev *dev)
{
	kref_put(&dev->ref, vdm_dev_free);
}

struct vdm_dev *vdm_dev_get_current(void)
{
	struct vdm_dev *dev;

	mutex_lock(&vdm_current_lock);
	dev = vdm_current;
	if (dev)
		kref_get(&dev->ref);
	mutex_unlock(&vdm_current_lock);
	return dev;
}

static void vdm_free_request(struct vdm_request *r)
{
	kfree(r->req);
	kfree(r);
}

static void vdm_ctrl_done(struct virtqueue *vq)
{
	struct vdm_dev *dev = vq->vdev->priv;
	struct vdm_request *r;
	unsigned long flags;
	unsigned int len;

	spin_lock_irqsave(&dev->ctrl_lock, flags);
	while ((r = virtqueue_get_buf(vq, &len))) {
		if (r->abandoned) {
			vdm_free_request(r);
			continue;
		}
		r->used_len = len;
		if (dev->pending == r)
			dev->pending = NULL;
		complete(&r->done);
	}
	spin_unlock_irqrestore(&dev->ctrl_lock, flags);
}

static void vdm_parse_reply(const struct vdm_request *r, const void *req, struct vdm_reply *reply)
{
	const struct vdmabuf_hdr *rq = req;
	const struct vdmabuf_resp *rs = (const void *)r->resp;

	memcpy(reply->raw, r->resp, sizeof(reply->raw));
	reply->status = VDMABUF_RESP_ERR_UNSPEC;
	reply->detail = 0;
	if (r->used_len < sizeof(*rs) || r->used_len > VDMABUF_RESP_SIZE || rs->hdr.tag != rq->tag)
		return; /* no valid response: UNSPEC */
	reply->status = le32_to_cpu(rs->hdr.type);
	reply->detail = le32_to_cpu(rs->detail);
}

/*
 * Sends one ctrlq request and waits for its response. 0 with reply->status set
 * when the device answered (OK or an error code), -errno when it did not.
 * `req` is a kmalloc'd request; ownership passes here.
 */
int vdm_request(struct vdm_dev *dev, void *req, size_t len, struct vdm_reply *reply)
{
	struct scatterlist out, in, *sgs[2] = { &out, &in };
	struct vdmabuf_hdr *hdr = req;
	struct vdm_request *r;
	unsigned long flags, left;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		kfree(req);
		return -ENOMEM;
	}
	r->req = req;
	init_completion(&r->done);
	mutex_lock(&dev->req_mutex);
	hdr->tag = cpu_to_le64(++dev->next_tag);
	sg_init_one(&out, req, len);
	sg_init_one(&in, r->resp, sizeof(r->resp));
	spin_lock_irqsave(&dev->ctrl_lock, flags);
	if (dev->removed)
		ret = -ENODEV;
	else if (dev->broken)
		ret = -EIO;
	else
		ret = virtqueue_add_sgs(dev->ctrlq, sgs, 1, 1, r, GFP_ATOMIC);
	if (!ret) {
		dev->pending = r;
		virtqueue_kick(dev->ctrlq);
	}
	spin_unlock_irqrestore(&dev->ctrl_lock, flags);
	if (ret)
		goto out_free;

	left = wait_for_completion_timeout(&r->done, msecs_to_jiffies(VDM_REQUEST_TIMEOUT_MS));
	spin_lock_irqsave(&dev->ctrl_lock, flags);
	if (!left && !completion_done(&r->done)) {
		/* The device holds the buffers: they may be written later. */
		r->abandoned = true;
		dev->pending = NULL;
		dev->broken = true;
		spin_unlock_irqrestore(&dev->ctrl_lock, flags);
		mutex_unlock(&dev->req_mutex);
		dev_err(&dev->vdev->dev, "request 0x%x: no response in %u ms\n",
			le32_to_cpu(hdr->type), VDM_REQUEST_TIMEOUT_MS);
		vdm_reset_schedule(dev); /* vdmabuf_reset.c */
		return -ETIMEDOUT;
	}
	spin_unlock_irqrestore(&dev->ctrl_lock, flags);
	if (r->used_len == U32_MAX) {
		ret = -ENODEV; /* completed by remove */
	} else {
		vdm_parse_reply(r, req, reply);
		if (reply->status != VDMABUF_RESP_OK && reply->status != VDMABUF_RESP_OK_HELLO)
			dev_dbg(&dev->vdev->dev, "request 0x%x: error 0x%x detail %u\n",
				le32_to_cpu(hdr->type), reply->status, reply->detail);
	}
out_free:
	mutex_unlock(&dev->req_mutex);
	vdm_free_request(r);
	return ret;
}

/*
 * After a reset the device is quiet: hand back the request nobody will answer
 * (its caller gets -ENODEV) and free the ones whose callers gave up.
 */
static void vdm_free_abandoned(struct vdm_dev *dev)
{
	struct vdm_request *r;

	spin_lock_irq(&dev->ctrl_lock);
	while ((r = virtqueue_detach_unused_buf(dev->ctrlq))) {
		if (r->abandoned) {
			vdm_free_request(r);
			continue;
		}
		r->used_len = U32_MAX;
		complete(&r->done);
	}
	dev->pending = NULL;
	spin_unlock_irq(&dev->ctrl_lock);
}

static int vdm_post_event_buffer(struct vdm_dev *dev, void *buf)
{
	struct scatterlist sg;

	sg_init_one(&sg, buf, VDMABUF_EVENT_SIZE);
	return virtqueue_add_inbuf(dev->eventq, &sg, 1, buf, GFP_ATOMIC);
}

/* RELEASE goes to the file that exported the buffer; every other event to all. */
static void vdm_handle_event(struct vdm_dev *dev, const u8 *data, u32 len)
{
	const struct vdmabuf_hdr *hdr = (const void *)data;
	struct vdm_file *file;

	lockdep_assert_held(&dev->lock);
	if (len < sizeof(*hdr) || len > VDMABUF_EVENT_SIZE) {
		dev->events_dropped++;
		dev_warn_ratelimited(&dev->vdev->dev, "event of %u bytes dropped\n", len);
		return;
	}
	if (le32_to_cpu(hdr->type) == VDMABUF_EVT_RELEASE) {
		const struct vdmabuf_evt_release *ev = (const void *)data;
		struct vdm_buf *buf = NULL;

		if (len == sizeof(*ev) && le32_to_cpu(ev->id.guest) == dev->info.guest &&
		    le64_to_cpu(ev->id.key) == dev->key)
			buf = xa_load(&dev->exports, le32_to_cpu(ev->id.counter));
		if (!buf || !buf->in_flight) {
			dev->events_dropped++;
			dev_warn_ratelimited(&dev->vdev->dev, "RELEASE of no presentation dropped\n");
			return;
		}
		buf->in_flight = false;
		wake_up_all(&dev->release_wq);
		if (buf->owner)
			vdm_file_push_event(buf->owner, data, len);
		return;
	}
	list_for_each_entry(file, &dev->files, dev_link)
		vdm_file_push_event(file, data, len);
}

static void vdm_event_work(struct work_struct *work)
{
	struct vdm_dev *dev = container_of(work, struct vdm_dev, event_work);
	u8 copy[VDMABUF_EVENT_SIZE];
	unsigned int len;
	void *buf;
	bool kick = false;

	spin_lock_irq(&dev->event_lock);
	while (!dev->removed && (buf = virtqueue_get_buf(dev->eventq, &len))) {
		u32 n = min_t(u32, len, VDMABUF_EVENT_SIZE);

		memcpy(copy, buf, n);
		memset(buf, 0, VDMABUF_EVENT_SIZE);
		if (vdm_post_event_buffer(dev, buf) == 0)
			kick = true;
		spin_unlock_irq(&dev->event_lock);
		spin_lock_irq(&dev->lock);
		vdm_handle_event(dev, copy, len);
		spin_unlock_irq(&dev->lock);
		spin_lock_irq(&dev->event_lock);
	}
	if (kick && !dev->removed)
		virtqueue_kick(dev->eventq);
	spin_unlock_irq(&dev->event_lock);
}

static void vdm_event_done(struct virtqueue *vq)
{
	struct vdm_dev *dev = vq->vdev->priv;

	schedule_work(&dev->event_work);
}

static int vdm_init_vqs(struct vdm_dev *dev)
{
	vq_callback_t *callbacks[] = { vdm_event_done, vdm_ctrl_done };
	static const char *const names[] = { "event", "ctrl" };
	struct virtqueue *vqs[VDMABUF_NUM_QUEUES];
	unsigned int i, n;
	int ret;

	ret = virtio_find_vqs(dev->vdev, VDMABUF_NUM_QUEUES, vqs, callbacks, names, NULL);
	if (ret)
		return ret;
	dev->eventq = vqs[VDMABUF_VQ_EVENT];
	dev->ctrlq = vqs[VDMABUF_VQ_CTRL];
	n = min_t(unsigned int, virtqueue_get_vring_size(dev->eventq), VDM_EVENT_BUFFERS);
	dev->event_bufs = kcalloc(n, VDMABUF_EVENT_SIZE, GFP_KERNEL);
	if (!dev->event_bufs) {
		dev->vdev->config->del_vqs(dev->vdev);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		vdm_post_event_buffer(dev, (u8 *)dev->event_bufs + i * VDMABUF_EVENT_SIZE);
	return 0;
}

int vdm_probe(struct virtio_device *vdev)
{
	struct vdm_dev *dev;
	u32 magic;
	int ret;

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return -ENODEV;
	/* Extents carry guest-physical addresses: no IOMMU translation in between. */
	if (virtio_has_feature(vdev, VIRTIO_F_ACCESS_PLATFORM)) {
		dev_err(&vdev->dev, "VIRTIO_F_ACCESS_PLATFORM is not supported\n");
		return -ENODEV;
	}
	/* A borrowed transport (vsock's config is 8 bytes) still carries magic and version. */
	magic = virtio_cread32(vdev, offsetof(struct vdmabuf_config, magic));
	if (magic != VDMABUF_MAGIC ||
	    virtio_cread32(vdev, offsetof(struct vdmabuf_config, version)) != VDMABUF_VERSION) {
		dev_info(&vdev->dev, "config magic 0x%x: not a vdmabuf device\n", magic);
		return -ENODEV;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->ref);
	/* Counted: an ioctl still running after remove() attaches foreign dma-bufs
	 * to it (and fails later, at the request). */
	dev->vdev = vdev;
	get_device(&vdev->dev);
	vdev->priv = dev;
	mutex_init(&dev->req_mutex);
	mutex_init(&dev->export_mutex);
	spin_lock_init(&dev->ctrl_lock);
	spin_lock_init(&dev->event_lock);
	spin_lock_init(&dev->lock);
	xa_init_flags(&dev->exports, XA_FLAGS_ALLOC1);
	INIT_LIST_HEAD(&dev->files);
	init_waitqueue_head(&dev->release_wq);
	INIT_WORK(&dev->event_work, vdm_event_work);
	strscpy_pad((char *)dev->info.name, guest_name, sizeof(dev->info.name));
	/* EXPORT attaches foreign dma-bufs to this device: exporters map them for
	 * it, and the DMA API wants a mask for that (the addresses sent are the
	 * pages' guest-physical ones, not what the mapping returns). */
	ret = dma_coerce_mask_and_coherent(&vdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_free;

	mutex_lock(&vdm_current_lock);
	ret = vdm_current ? -EBUSY : 0;
	mutex_unlock(&vdm_current_lock);
	if (ret)
		goto err_free;

	ret = vdm_init_vqs(dev);
	if (ret)
		goto err_free;
	virtio_device_ready(vdev);
	virtqueue_kick(dev->eventq);
	ret = vdm_hello(dev, guest_name);
	if (ret)
		goto err_reset;

	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = "virtio-vdmabuf";
	dev->misc.fops = &vdm_fops;
	dev->misc.mode = 0660;
	mutex_lock(&vdm_current_lock);
	ret = vdm_current ? -EBUSY : misc_register(&dev->misc);
	if (!ret)
		vdm_current = dev;
	mutex_unlock(&vdm_current_lock);
	if (ret)
		goto err_reset;
	return 0;

err_reset:
	spin_lock_irq(&dev->ctrl_lock);
	spin_lock(&dev->event_lock);
	dev->removed = true;
	spin_unlock(&dev->event_lock);
	spin_unlock_irq(&dev->ctrl_lock);
	virtio_reset_device(vdev);
	vdm_free_abandoned(dev);
	cancel_work_sync(&dev->event_work);
	vdev->config->del_vqs(vdev);
err_free:
	vdm_dev_put(dev);
	return ret;
}

/* The session ends: on remove, and before a recovery probes again (vdmabuf_reset.c). */
void vdm_teardown(struct vdm_dev *dev)
{
	struct virtio_device *vdev = dev->vdev;
	struct vdm_buf *buf;
	unsigned long idx;
	unsigned int retired = 0;

	mutex_lock(&vdm_current_lock);
	misc_deregister(&dev->misc);
	vdm_current = NULL;
	mutex_unlock(&vdm_current_lock);

	spin_lock_irq(&dev->ctrl_lock);
	spin_lock(&dev->event_lock);
	dev->removed = true; /* no new requests, no more event handling */
	spin_unlock(&dev->event_lock);
	spin_unlock_irq(&dev->ctrl_lock);
	spin_lock_irq(&dev->lock);
	wake_up_all(&dev->release_wq);
	spin_unlock_irq(&dev->lock);
	vdm_wake_files(dev);

	virtio_reset_device(vdev);
	vdm_free_abandoned(dev);
	mutex_lock(&dev->req_mutex); /* the last request's caller is done with the queue */
	mutex_unlock(&dev->req_mutex);
	cancel_work_sync(&dev->event_work);
	vdev->config->del_vqs(vdev);

	/* The device session is gone and with it every export (§9). */
	spin_lock_irq(&dev->lock);
	xa_for_each(&dev->exports, idx, buf) {
		/* An EXPORT still in flight holds no export reference yet. */
		bool put = buf->state != VDM_EXPORTING;
		struct dma_buf *exported = buf->exported;

		xa_erase(&dev->exports, idx);
		list_del_init(&buf->owner_link);
		buf->owner = NULL;
		buf->in_flight = false;
		buf->state = VDM_IDLE;
		buf->exported = NULL;
		spin_unlock_irq(&dev->lock);
		/* A foreign buffer's last put unmaps and detaches it here. */
		if (put)
			vdm_buf_end_export(buf, exported);
		retired++;
		spin_lock_irq(&dev->lock);
	}
	spin_unlock_irq(&dev->lock);
	if (retired)
		dev_info(&vdev->dev, "session ended: %u export(s) retired\n", retired);
	vdm_dev_put(dev);
}

static void vdm_remove(struct virtio_device *vdev)
{
	/* A recovery that reset the device and found no session left nothing. */
	if (!vdm_reset_block(vdev))
		vdm_teardown(vdev->priv);
	vdm_reset_unblock();
}

static struct virtio_device_id vdm_id_table[] = {
	{ VDMABUF_VIRTIO_ID, VIRTIO_DEV_ANY_ID },
	{ 0, VIRTIO_DEV_ANY_ID }, /* borrow_id */
	{ 0 },
};

static const struct virtio_device_id vdm_alias_table[] = {
	{ VDMABUF_VIRTIO_ID, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vdm_alias_table);

static struct virtio_driver vdm_driver = {
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = vdm_id_table,
	.probe = vdm_probe,
	.remove = vdm_remove,
};

static int __init vdm_init(void)
{
	if (borrow_id) {
		if (borrow_id == VDMABUF_VIRTIO_ID || borrow_id > 0xffff)
			return -EINVAL;
		vdm_id_table[1].device = borrow_id;
	}
	return register_virtio_driver(&vdm_driver);
}

static void __exit vdm_exit(void)
{
	unregister_virtio_driver(&vdm_driver);
}

module_init(vdm_init);
module_exit(vdm_exit);

MODULE_DESCRIPTION("virtio vdmabuf: share guest buffers with the host");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
