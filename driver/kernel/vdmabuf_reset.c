// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_vdmabuf: recovery when the device stops answering. The usual cause is
 * a vdmabufd restarted under a live QEMU: the new daemon knows nothing of the
 * old session, and QEMU only talks to it again when the driver resets the
 * device (docs/qemu.md). So a request that times out schedules a recovery:
 * the old session is torn down as on hot-unplug (every export retired, every
 * file opened before gets -ENODEV, the node goes away), then the device is
 * reset and probed again (queues, DRIVER_OK, HELLO) with backoff until the
 * device answers; the node comes back on the new session and userspace
 * reopens it and exports again (protocols/vdmabuf-kernel-uapi.md).
 */
#include <linux/virtio_config.h>
#include <linux/workqueue.h>

#include "vdmabuf_drv.h"

#define VDM_RESET_FIRST_MS 250u
#define VDM_RESET_MAX_MS 5000u

/* One device at a time drives /dev/virtio-vdmabuf, so one recovery at a time. */
static DEFINE_MUTEX(vdm_reset_lock);
static struct virtio_device *vdm_reset_vdev; /* being recovered, or NULL */
static bool vdm_reset_blocked;		    /* remove() is running */
static unsigned int vdm_reset_delay_ms;
static unsigned int vdm_reset_attempts;

static void vdm_reset_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(vdm_reset_work, vdm_reset_work_fn);

/* Readers and pollers of the old session's files see it is gone. */
void vdm_wake_files(struct vdm_dev *dev)
{
	struct vdm_file *file;

	spin_lock_irq(&dev->lock);
	list_for_each_entry(file, &dev->files, dev_link)
		wake_up_interruptible(&file->wq);
	spin_unlock_irq(&dev->lock);
}

void vdm_reset_schedule(struct vdm_dev *dev)
{
	struct vdm_dev *current_dev = vdm_dev_get_current();
	/* Only the registered session recovers: a HELLO timing out in probe (the
	 * recovery's own included) fails that probe instead. */
	bool live = current_dev == dev;

	if (current_dev)
		vdm_dev_put(current_dev);
	if (!live)
		return;
	mutex_lock(&vdm_reset_lock);
	if (!vdm_reset_vdev && !vdm_reset_blocked) {
		vdm_reset_vdev = dev->vdev;
		vdm_reset_delay_ms = 0;
		vdm_reset_attempts = 0;
		dev_warn(&dev->vdev->dev, "device stopped answering: resetting it\n");
		queue_delayed_work(system_long_wq, &vdm_reset_work, 0);
	}
	mutex_unlock(&vdm_reset_lock);
}

/* What the virtio core does before probe, after the reset of the teardown. */
static int vdm_reset_status(struct virtio_device *vdev)
{
	int ret;

	virtio_reset_device(vdev);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	ret = vdev->config->finalize_features(vdev);
	if (ret)
		return ret;
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -ENODEV;
	return 0;
}

static void vdm_reset_work_fn(struct work_struct *work)
{
	struct virtio_device *vdev;
	int ret;

	mutex_lock(&vdm_reset_lock);
	vdev = vdm_reset_vdev;
	mutex_unlock(&vdm_reset_lock);
	if (!vdev)
		return;
	if (vdev->priv) {
		/* The first attempt: the old session goes as on hot-unplug. */
		vdm_teardown(vdev->priv);
		vdev->priv = NULL;
	}
	vdm_reset_attempts++;
	ret = vdm_reset_status(vdev);
	if (!ret)
		ret = vdm_probe(vdev);
	if (!ret) {
		dev_info(&vdev->dev, "device answers again after %u reset(s): new session\n",
			 vdm_reset_attempts);
		mutex_lock(&vdm_reset_lock);
		vdm_reset_vdev = NULL;
		mutex_unlock(&vdm_reset_lock);
		return;
	}
	vdev->priv = NULL; /* probe freed what it made */
	virtio_reset_device(vdev); /* status 0 between attempts, and for remove() */
	vdm_reset_delay_ms = clamp(vdm_reset_delay_ms * 2, VDM_RESET_FIRST_MS, VDM_RESET_MAX_MS);
	if (vdm_reset_attempts <= 5 || vdm_reset_attempts % 20 == 0)
		dev_warn(&vdev->dev, "reset %u: no session (%d); again in %u ms\n",
			 vdm_reset_attempts, ret, vdm_reset_delay_ms);
	queue_delayed_work(system_long_wq, &vdm_reset_work,
			   msecs_to_jiffies(vdm_reset_delay_ms));
}

/*
 * remove(): no recovery runs or starts until vdm_reset_unblock(). True when a
 * recovery had torn the session down and not brought one back (vdev->priv is
 * then NULL and the device is reset already).
 */
bool vdm_reset_block(struct virtio_device *vdev)
{
	bool gone;

	mutex_lock(&vdm_reset_lock);
	vdm_reset_blocked = true;
	mutex_unlock(&vdm_reset_lock);
	cancel_delayed_work_sync(&vdm_reset_work); /* also when it re-queues itself */
	mutex_lock(&vdm_reset_lock);
	gone = vdm_reset_vdev == vdev && !vdev->priv;
	if (vdm_reset_vdev == vdev)
		vdm_reset_vdev = NULL;
	mutex_unlock(&vdm_reset_lock);
	return gone;
}

void vdm_reset_unblock(void)
{
	mutex_lock(&vdm_reset_lock);
	vdm_reset_blocked = false;
	if (vdm_reset_vdev) /* another device's recovery, cancelled by block */
		queue_delayed_work(system_long_wq, &vdm_reset_work, 0);
	mutex_unlock(&vdm_reset_lock);
}
