// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_vdmabuf: the host reads a buffer as soon as PRESENT reaches it, so the
 * pixels must be finished before PRESENT goes out: wait for the caller's
 * explicit fence (PRESENT_SYNC's sync_file) and for the dma-buf's implicit write
 * fences (a GPU or vgem still writing), within one bound.
 */
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/jiffies.h>

#include "vdmabuf_drv.h"

/* A wait's return (jiffies left, 0 on timeout, or -errno) as 0 or -errno. */
static int vdm_wait_result(long left)
{
	if (left > 0)
		return 0;
	return left ? (int)left : -ETIME;
}

/*
 * Waits for `fence` (NULL: none) and then for the write fences of `dmabuf`'s
 * reservation object, timeout_ms (> 0) in all. Readers' fences are not waited
 * for: the host only reads too. Returns 0; -ETIME when a fence did not signal in
 * time (not -ETIMEDOUT, which says the device is broken); -ERESTARTSYS when a
 * signal came first.
 */
int vdm_fence_wait(struct dma_buf *dmabuf, struct dma_fence *fence, unsigned int timeout_ms)
{
	long left = msecs_to_jiffies(timeout_ms);
	int ret;

	if (fence) {
		left = dma_fence_wait_timeout(fence, true, left);
		ret = vdm_wait_result(left);
		if (ret)
			return ret;
	}
	left = dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_WRITE, true, left);
	return vdm_wait_result(left);
}
