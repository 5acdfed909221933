// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_vdmabuf: the device session's requests besides buffers: HELLO, which
 * also negotiates the device features (a borrowed transport cannot carry them
 * as virtio feature bits), and SEND, the guest->host requests of those
 * features (OUTPUT, CURSOR_SET, CURSOR_MOVE) that user space builds itself.
 */
#include <linux/bits.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vdmabuf_drv.h"

#define VDM_ALL_FEATURES                                                                  \
	(BIT_ULL(VDMABUF_F_INPUT) | BIT_ULL(VDMABUF_F_MODE) | BIT_ULL(VDMABUF_F_CURSOR) | \
	 BIT_ULL(VDMABUF_F_HOTPLUG))

static ulong features = VDM_ALL_FEATURES;
module_param(features, ulong, 0444);
MODULE_PARM_DESC(features, "device features to ask for in HELLO (bits VDMABUF_F_*; 0: the "
			   "56-byte HELLO of drivers before features)");

static_assert(sizeof(struct vdmabuf_uapi_send) == 24);

/* One HELLO; 0 with reply set when the device answered. */
static int vdm_send_hello(struct vdm_dev *dev, const char *name, bool with_features,
			  struct vdm_reply *reply)
{
	struct vdmabuf_cmd_hello_features *cmd;
	size_t len = with_features ? sizeof(*cmd) : sizeof(cmd->hello);

	cmd = kzalloc(sizeof(*cmd), GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	cmd->hello.hdr.type = cpu_to_le32(VDMABUF_CMD_HELLO);
	cmd->hello.magic = cpu_to_le32(VDMABUF_MAGIC);
	cmd->hello.version = cpu_to_le32(VDMABUF_VERSION);
	strscpy_pad((char *)cmd->hello.name, name, sizeof(cmd->hello.name));
	cmd->features = cpu_to_le64(features & VDM_ALL_FEATURES);
	return vdm_request(dev, cmd, len, reply);
}

int vdm_hello(struct vdm_dev *dev, const char *name)
{
	bool with_features = (features & VDM_ALL_FEATURES) != 0;
	struct vdmabuf_resp_hello *rs;
	struct vdm_reply reply;
	int ret;

	ret = vdm_send_hello(dev, name, with_features, &reply);
	/* A device from before features takes only the 56-byte HELLO; a refused
	 * HELLO starts no session, so the short one may follow. */
	if (!ret && with_features && reply.status == VDMABUF_RESP_ERR_MALFORMED) {
		dev_info(&dev->vdev->dev, "HELLO with features refused: the device has none\n");
		with_features = false;
		ret = vdm_send_hello(dev, name, false, &reply);
	}
	if (ret)
		return ret;
	if (reply.status != VDMABUF_RESP_OK_HELLO) {
		dev_err(&dev->vdev->dev, "HELLO refused: 0x%x detail %u\n", reply.status,
			reply.detail);
		return -EPROTO;
	}
	rs = (void *)reply.raw;
	if (le32_to_cpu(rs->magic) != VDMABUF_MAGIC || le32_to_cpu(rs->version) != VDMABUF_VERSION ||
	    !le32_to_cpu(rs->max_buffers)) {
		dev_err(&dev->vdev->dev, "HELLO response malformed\n");
		return -EPROTO;
	}
	dev->info.version = VDMABUF_UAPI_VERSION;
	dev->info.guest = le32_to_cpu(rs->guest);
	dev->info.max_buffers = le32_to_cpu(rs->max_buffers);
	dev->info.max_extents = min_t(u32, le32_to_cpu(rs->max_extents), VDMABUF_MAX_EXTENTS);
	dev->info.max_damage = min_t(u32, le32_to_cpu(rs->max_damage), VDMABUF_MAX_DAMAGE);
	dev->info.max_outputs = min_t(u32, le32_to_cpu(rs->max_outputs), VDMABUF_MAX_OUTPUTS);
	/* Never more than was asked for, whatever the device says. */
	dev->info.features = with_features ? le64_to_cpu(rs->features) & features : 0;
	dev->key = le64_to_cpu(rs->key);
	dev_info(&dev->vdev->dev, "HELLO: guest %u, max_buffers %u, features 0x%llx\n",
		 dev->info.guest, dev->info.max_buffers, dev->info.features);
	return 0;
}

/* The feature a SEND request type needs, or -1 for a type SEND does not carry. */
static int vdm_send_feature(u32 type)
{
	switch (type) {
	case VDMABUF_CMD_OUTPUT:
		return VDMABUF_F_HOTPLUG;
	case VDMABUF_CMD_CURSOR_SET:
	case VDMABUF_CMD_CURSOR_MOVE:
		return VDMABUF_F_CURSOR;
	default:
		return -1;
	}
}

long vdm_ioctl_send(struct vdm_file *file, void __user *arg)
{
	struct vdmabuf_uapi_send s;
	struct vdmabuf_hdr *hdr;
	struct vdm_reply reply;
	int feature, ret;
	void *req;

	if (copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	if (s.flags || s.size < sizeof(*hdr) || s.size > VDMABUF_UAPI_SEND_MAX)
		return -EINVAL;
	req = memdup_user(u64_to_user_ptr(s.data), s.size);
	if (IS_ERR(req))
		return PTR_ERR(req);
	hdr = req;
	feature = vdm_send_feature(le32_to_cpu(hdr->type));
	if (feature < 0 || !(file->dev->info.features & BIT_ULL(feature))) {
		kfree(req);
		return -EOPNOTSUPP;
	}
	if (hdr->flags) {
		kfree(req);
		return -EINVAL;
	}
	/* The device checks the rest; the request passes to vdm_request. */
	ret = vdm_request(file->dev, req, s.size, &reply);
	if (ret)
		return ret;
	s.status = reply.status;
	s.detail = reply.detail;
	return copy_to_user(arg, &s, sizeof(s)) ? -EFAULT : 0;
}
