// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_vdmabuf: EXPORT of another exporter's dma-buf (vgem, udmabuf, a GPU's
 * GBM buffer). The driver attaches to it as an ordinary static importer, with
 * the virtio device as the importing device, and maps it: the exporter pins
 * the pages for as long as that mapping lives, which is as long as the export
 * (vdm_buf's last reference). The device maps guest RAM, so the pages are
 * described by their guest-physical addresses, coalesced into runs; memory
 * without a struct page in ordinary RAM cannot be shared this way.
 */
#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "vdmabuf_drv.h"

/* The host only reads the buffer. */
#define VDM_FOREIGN_DIR DMA_TO_DEVICE

/*
 * The guest-physical address of one entry's memory. Not sg_dma_address(): that
 * may be an IOMMU or bounce-buffer address, which the host cannot map. An entry
 * without a struct page (VRAM, a PCI BAR, host-visible blobs) or a ZONE_DEVICE
 * page is not guest RAM; sub-page pieces cannot be page-aligned extents.
 */
static int vdm_sg_phys(struct scatterlist *sg, phys_addr_t *pa)
{
	struct page *page = sg_page(sg);

	if (!page || !pfn_valid(page_to_pfn(page)) || is_zone_device_page(page))
		return -EOPNOTSUPP;
	if (!sg->length || !PAGE_ALIGNED(sg->offset) || !PAGE_ALIGNED(sg->length))
		return -EOPNOTSUPP;
	*pa = page_to_phys(page) + sg->offset;
	return 0;
}

/*
 * The mapping's physically contiguous runs, in buffer order, covering exactly
 * buf->size bytes; -E2BIG as soon as more than max_extents are needed.
 * buf->extents belongs to the buffer from here on, also on failure.
 */
static int vdm_foreign_extents(struct vdm_buf *buf, u32 max_extents)
{
	struct vdmabuf_extent *ext;
	struct scatterlist *sg;
	u64 left = buf->size;
	phys_addr_t end = 0;
	unsigned int i;
	u32 n = 0;
	int ret;

	ext = kvcalloc(max_t(u32, 1, min_t(u32, buf->sgt->orig_nents, max_extents)),
		       sizeof(*ext), GFP_KERNEL);
	if (!ext)
		return -ENOMEM;
	buf->extents = ext;
	/* CPU entries (orig_nents): nents counts the DMA side, which may be merged. */
	for_each_sgtable_sg(buf->sgt, sg, i) {
		phys_addr_t pa;
		u64 len;

		if (!left)
			break; /* the exporter mapped more than the dma-buf's size */
		ret = vdm_sg_phys(sg, &pa);
		if (ret)
			return ret;
		len = min_t(u64, sg->length, left);
		left -= len;
		if (n && pa == end) {
			le64_add_cpu(&ext[n - 1].len, len);
		} else {
			if (n == max_extents)
				return -E2BIG;
			ext[n].addr = cpu_to_le64(pa);
			ext[n].len = cpu_to_le64(len);
			n++;
		}
		end = pa + len;
	}
	buf->n_extents = n;
	return left ? -EOPNOTSUPP : 0; /* a mapping shorter than the dma-buf */
}

/*
 * A buffer for EXPORT of `dmabuf` (not one of ours), attached, mapped and
 * walked, with one reference for the caller; or an errno: EINVAL for a size the
 * device cannot take, EOPNOTSUPP for memory that is not guest RAM pages, E2BIG
 * past max_extents, or what the exporter's attach/map said.
 */
struct vdm_buf *vdm_foreign_import(struct vdm_dev *dev, struct dma_buf *dmabuf)
{
	struct vdm_buf *buf;
	int ret;

	if (!dmabuf->size || dmabuf->size > VDMABUF_MAX_BUFFER_SIZE ||
	    !PAGE_ALIGNED(dmabuf->size))
		return ERR_PTR(-EINVAL);
	buf = vdm_buf_new(dmabuf->size);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	get_dma_buf(dmabuf);
	buf->foreign = dmabuf;
	/* The virtio device has a 64-bit DMA mask (probe); counted because the last
	 * put, which unmaps and detaches, may come after remove(). */
	buf->dma_dev = get_device(&dev->vdev->dev);
	buf->attach = dma_buf_attach(dmabuf, buf->dma_dev);
	if (IS_ERR(buf->attach)) {
		ret = PTR_ERR(buf->attach);
		buf->attach = NULL;
		goto err;
	}
	buf->sgt = dma_buf_map_attachment_unlocked(buf->attach, VDM_FOREIGN_DIR);
	if (IS_ERR(buf->sgt)) {
		ret = PTR_ERR(buf->sgt);
		buf->sgt = NULL;
		goto err;
	}
	ret = vdm_foreign_extents(buf, dev->info.max_extents);
	if (ret)
		goto err;
	return buf;

err:
	vdm_buf_put(buf);
	return ERR_PTR(ret);
}

/* From the buffer's release: unpins the pages and lets go of the dma-buf. */
void vdm_foreign_release(struct vdm_buf *buf)
{
	if (buf->sgt)
		dma_buf_unmap_attachment_unlocked(buf->attach, buf->sgt, VDM_FOREIGN_DIR);
	if (buf->attach)
		dma_buf_detach(buf->foreign, buf->attach);
	put_device(buf->dma_dev);
	dma_buf_put(buf->foreign);
}
