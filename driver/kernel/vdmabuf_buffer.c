// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_vdmabuf: buffers the driver allocates itself and exports as dma-bufs,
 * and the lifetime of every buffer EXPORT sends (ours or foreign, see
 * vdmabuf_foreign.c).
 */
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vdmabuf_drv.h"

#define VDM_MAX_ORDER 9u /* 2 MiB chunks: few extents without straining the allocator */

struct vdm_attachment {
	struct list_head link;
	struct device *dev;
	struct sg_table sgt;
	bool mapped;
	enum dma_data_direction dir;
};

static const struct dma_buf_ops vdm_dmabuf_ops;

static int vdm_alloc_pages(struct vdm_buf *buf)
{
	unsigned long done = 0;
	unsigned int order = VDM_MAX_ORDER;

	while (done < buf->npages) {
		unsigned long left = buf->npages - done;
		struct page *page = NULL;
		unsigned long i;

		while (order && (1ul << order) > left)
			order--;
		for (;;) {
			gfp_t gfp = GFP_HIGHUSER | __GFP_ZERO | __GFP_NOWARN | __GFP_ACCOUNT;

			if (order)
				gfp |= __GFP_NORETRY;
			else
				gfp |= __GFP_RETRY_MAYFAIL;
			page = alloc_pages(gfp, order);
			if (page || !order)
				break;
			order--;
		}
		if (!page)
			return -ENOMEM;
		if (order)
			split_page(page, order);
		for (i = 0; i < (1ul << order); i++)
			buf->pages[done + i] = page + i;
		done += 1ul << order;
	}
	return 0;
}

/* Physically contiguous runs of the pages, in buffer order, as EXPORT sends them. */
static int vdm_build_extents(struct vdm_buf *buf)
{
	unsigned long i;
	u32 n = 0;

	for (i = 0; i < buf->npages; i++)
		if (!i || page_to_phys(buf->pages[i]) !=
			      page_to_phys(buf->pages[i - 1]) + PAGE_SIZE)
			n++;
	buf->extents = kvcalloc(n, sizeof(*buf->extents), GFP_KERNEL);
	if (!buf->extents)
		return -ENOMEM;
	buf->n_extents = n;
	n = 0;
	for (i = 0; i < buf->npages; i++) {
		phys_addr_t pa = page_to_phys(buf->pages[i]);

		if (i && pa == page_to_phys(buf->pages[i - 1]) + PAGE_SIZE) {
			le64_add_cpu(&buf->extents[n - 1].len, PAGE_SIZE);
			continue;
		}
		buf->extents[n].addr = cpu_to_le64(pa);
		buf->extents[n].len = cpu_to_le64(PAGE_SIZE);
		n++;
	}
	return 0;
}

static void vdm_buf_free(struct kref *ref)
{
	struct vdm_buf *buf = container_of(ref, struct vdm_buf, ref);
	unsigned long i;

	if (buf->foreign)
		vdm_foreign_release(buf);
	for (i = 0; i < buf->npages; i++)
		if (buf->pages[i])
			__free_page(buf->pages[i]);
	kvfree(buf->pages);
	kvfree(buf->extents);
	kfree(buf);
}

/* Sleeps: the last put of a foreign buffer unmaps and detaches it. */
void vdm_buf_put(struct vdm_buf *buf)
{
	kref_put(&buf->ref, vdm_buf_free);
}

/* Drops what a live export held: its dma-buf reference and its buffer reference. */
void vdm_buf_end_export(struct vdm_buf *buf, struct dma_buf *exported)
{
	if (exported)
		dma_buf_put(exported);
	vdm_buf_put(buf);
}

/* An empty, unexported buffer of `size` bytes with one reference. */
struct vdm_buf *vdm_buf_new(u64 size)
{
	struct vdm_buf *buf = kzalloc(sizeof(*buf), GFP_KERNEL);

	if (!buf)
		return NULL;
	kref_init(&buf->ref);
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	INIT_LIST_HEAD(&buf->owner_link);
	buf->state = VDM_IDLE;
	buf->size = size;
	return buf;
}

struct vdm_buf *vdm_buf_alloc(u64 size)
{
	struct vdm_buf *buf;
	int ret;

	if (!size || size > VDMABUF_MAX_BUFFER_SIZE || size % PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	buf = vdm_buf_new(size);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->npages = size >> PAGE_SHIFT;
	buf->pages = kvcalloc(buf->npages, sizeof(*buf->pages), GFP_KERNEL);
	ret = buf->pages ? vdm_alloc_pages(buf) : -ENOMEM;
	if (!ret)
		ret = vdm_build_extents(buf);
	if (ret) {
		vdm_buf_put(buf);
		return ERR_PTR(ret);
	}
	return buf;
}

/* Gives the buffer's first reference to a new dma-buf (also on failure). */
struct dma_buf *vdm_buf_export_dmabuf(struct vdm_buf *buf)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;

	info.ops = &vdm_dmabuf_ops;
	info.size = (size_t)buf->npages << PAGE_SHIFT;
	info.flags = O_RDWR;
	info.priv = buf;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf))
		vdm_buf_put(buf);
	else
		buf->dmabuf = dmabuf;
	return dmabuf;
}

struct vdm_buf *vdm_buf_from_dmabuf(struct dma_buf *dmabuf)
{
	return dmabuf->ops == &vdm_dmabuf_ops ? dmabuf->priv : NULL;
}

static int vdm_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	struct vdm_buf *buf = dmabuf->priv;
	struct vdm_attachment *a;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	ret = sg_alloc_table_from_pages(&a->sgt, buf->pages, buf->npages, 0,
					(size_t)buf->npages << PAGE_SHIFT, GFP_KERNEL);
	if (ret) {
		kfree(a);
		return ret;
	}
	a->dev = attach->dev;
	attach->priv = a;
	mutex_lock(&buf->lock);
	list_add(&a->link, &buf->attachments);
	mutex_unlock(&buf->lock);
	return 0;
}

static void vdm_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	struct vdm_buf *buf = dmabuf->priv;
	struct vdm_attachment *a = attach->priv;

	mutex_lock(&buf->lock);
	list_del(&a->link);
	mutex_unlock(&buf->lock);
	sg_free_table(&a->sgt);
	kfree(a);
}

static struct sg_table *vdm_map(struct dma_buf_attachment *attach,
				enum dma_data_direction dir)
{
	struct vdm_attachment *a = attach->priv;
	struct vdm_buf *buf = attach->dmabuf->priv;
	int ret;

	mutex_lock(&buf->lock);
	if (a->mapped) {
		mutex_unlock(&buf->lock);
		return ERR_PTR(-EBUSY);
	}
	ret = dma_map_sgtable(attach->dev, &a->sgt, dir, 0);
	if (!ret) {
		a->mapped = true;
		a->dir = dir;
	}
	mutex_unlock(&buf->lock);
	return ret ? ERR_PTR(ret) : &a->sgt;
}

static void vdm_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	struct vdm_attachment *a = attach->priv;
	struct vdm_buf *buf = attach->dmabuf->priv;

	mutex_lock(&buf->lock);
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	a->mapped = false;
	mutex_unlock(&buf->lock);
}

static void vdm_release(struct dma_buf *dmabuf)
{
	struct vdm_buf *buf = dmabuf->priv;

	buf->dmabuf = NULL;
	vdm_buf_put(buf); /* a live export keeps the pages until UNEXPORT */
}

static int vdm_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct vdm_buf *buf = dmabuf->priv;

	/* dma_buf_mmap_internal has checked pgoff + length against the size. */
	return vm_map_pages(vma, buf->pages, buf->npages);
}

static int vdm_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vdm_buf *buf = dmabuf->priv;
	void *vaddr;

	mutex_lock(&buf->lock);
	if (!buf->vaddr)
		buf->vaddr = vmap(buf->pages, buf->npages, VM_MAP, PAGE_KERNEL);
	vaddr = buf->vaddr;
	mutex_unlock(&buf->lock);
	if (!vaddr)
		return -ENOMEM;
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static void vdm_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vdm_buf *buf = dmabuf->priv;

	/* The dma-buf core counts vmaps: this runs after the last one. */
	mutex_lock(&buf->lock);
	if (buf->vaddr)
		vunmap(buf->vaddr);
	buf->vaddr = NULL;
	mutex_unlock(&buf->lock);
}

static int vdm_begin_cpu_access(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	struct vdm_buf *buf = dmabuf->priv;
	struct vdm_attachment *a;

	mutex_lock(&buf->lock);
	list_for_each_entry(a, &buf->attachments, link)
		if (a->mapped)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, dir);
	mutex_unlock(&buf->lock);
	return 0;
}

static int vdm_end_cpu_access(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	struct vdm_buf *buf = dmabuf->priv;
	struct vdm_attachment *a;

	mutex_lock(&buf->lock);
	list_for_each_entry(a, &buf->attachments, link)
		if (a->mapped)
			dma_sync_sgtable_for_device(a->dev, &a->sgt, dir);
	mutex_unlock(&buf->lock);
	return 0;
}

static const struct dma_buf_ops vdm_dmabuf_ops = {
	.attach = vdm_attach,
	.detach = vdm_detach,
	.map_dma_buf = vdm_map,
	.unmap_dma_buf = vdm_unmap,
	.release = vdm_release,
	.mmap = vdm_mmap,
	.vmap = vdm_vmap,
	.vunmap = vdm_vunmap,
	.begin_cpu_access = vdm_begin_cpu_access,
	.end_cpu_access = vdm_end_cpu_access,
};
