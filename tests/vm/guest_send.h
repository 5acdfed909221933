/* SPDX-License-Identifier: MIT */
/*
 * guest_test's SEND checks (interface version 3): the features the driver's
 * HELLO negotiated with vdmabufd (it offers all four) are in INFO, and SEND
 * carries OUTPUT and CURSOR_MOVE to the device and refuses what it must not
 * carry. Included by guest_test.c after its check().
 */
#ifndef VDMABUF_GUEST_SEND_H
#define VDMABUF_GUEST_SEND_H

#define SEND_ALL_FEATURES                                                          \
	((1ull << VDMABUF_F_INPUT) | (1ull << VDMABUF_F_MODE) | (1ull << VDMABUF_F_CURSOR) | \
	 (1ull << VDMABUF_F_HOTPLUG))

static int send_req(int dev, void *req, uint32_t size, uint32_t flags, struct vdmabuf_uapi_send *s)
{
	memset(s, 0, sizeof(*s));
	s->data = (uint64_t)(uintptr_t)req;
	s->size = size;
	s->flags = flags;
	return ioctl(dev, VDMABUF_IOCTL_SEND, s);
}

static void check_send(int dev, const struct vdmabuf_uapi_info *info)
{
	struct vdmabuf_cmd_cursor_move move = { .hdr.type = VDMABUF_CMD_CURSOR_MOVE, .visible = 1 };
	struct vdmabuf_cmd_output output = { .hdr.type = VDMABUF_CMD_OUTPUT };
	struct vdmabuf_cmd_unexport other = { .hdr.type = VDMABUF_CMD_UNEXPORT };
	struct vdmabuf_uapi_send s;

	check("hello_features", info->features == SEND_ALL_FEATURES,
	      "INFO features 0x%llx, want 0x%llx (HELLO with features)",
	      (unsigned long long)info->features, (unsigned long long)SEND_ALL_FEATURES);
	move.x = 10;
	move.y = 20;
	check("send_cursor_move",
	      send_req(dev, &move, sizeof(move), 0, &s) == 0 && s.status == VDMABUF_RESP_OK,
	      "status 0x%x", s.status);
	/* The device's own checks answer: an output index past max_outputs. */
	output.output = info->max_outputs;
	output.flags = VDMABUF_OUTPUT_CONNECTED;
	output.width = 640;
	output.height = 480;
	check("send_output_checked_by_device",
	      send_req(dev, &output, sizeof(output), 0, &s) == 0 &&
		      s.status == VDMABUF_RESP_ERR_INVALID_OUTPUT,
	      "status 0x%x", s.status);
	check("send_other_type_refused",
	      send_req(dev, &other, sizeof(other), 0, &s) == -1 && errno == EOPNOTSUPP,
	      "UNEXPORT through SEND");
	check("send_flags_refused", send_req(dev, &move, sizeof(move), 1, &s) == -1 && errno == EINVAL,
	      "flags 1");
	check("send_short_refused", send_req(dev, &move, 8, 0, &s) == -1 && errno == EINVAL,
	      "8 bytes");
	check("send_huge_refused",
	      send_req(dev, &move, VDMABUF_UAPI_SEND_MAX + 1, 0, &s) == -1 && errno == EINVAL,
	      "VDMABUF_UAPI_SEND_MAX + 1 bytes");
	check("send_bad_pointer", send_req(dev, NULL, sizeof(move), 0, &s) == -1 && errno == EFAULT,
	      "NULL data");
}

/* The second boot loads the driver with features=0: the 56-byte HELLO of
 * drivers before features, which a new device must still serve. */
static void check_old_hello(int dev)
{
	struct vdmabuf_cmd_cursor_move move = { .hdr.type = VDMABUF_CMD_CURSOR_MOVE };
	struct vdmabuf_uapi_info info = { 0 };
	struct vdmabuf_uapi_send s;

	check("old_hello_no_features",
	      ioctl(dev, VDMABUF_IOCTL_INFO, &info) == 0 && info.features == 0,
	      "INFO features 0x%llx", (unsigned long long)info.features);
	check("old_hello_send_refused",
	      send_req(dev, &move, sizeof(move), 0, &s) == -1 && errno == EOPNOTSUPP,
	      "CURSOR_MOVE without the feature");
}

#endif /* VDMABUF_GUEST_SEND_H */
