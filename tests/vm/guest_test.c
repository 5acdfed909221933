// SPDX-License-Identifier: MIT
/*
 * The VM lane's guest program (static, runs as a child of the initramfs /init).
 * Drives /dev/virtio-vdmabuf: checks the ioctl contract, proves ALLOC's buffers
 * are real dma-bufs (vgem imports one and reads the pattern back through its own
 * mapping), then plays the host's phases, talking to it through files in the 9p
 * results directory:
 *   phase 1  present frames until 5 got RELEASE reason DONE (the viewer exits)
 *   phase 2  after a new viewer's REFRESH: wait for go2 (viewer stopped), present
 *            2 frames, write presented2, collect their RELEASEs (viewer killed)
 *   phase 3  leave 3 buffers exported, write live, wait for go3, then power the
 *            guest off with the buffers still exported
 * Buffer 2 is a vgem dumb buffer (a foreign dma-buf): phase 1's last frame comes
 * from it, so the host's screenshot shows pages the driver got from vgem.
 * Before phase 1 the foreign-EXPORT refusals (plane past the end, too many
 * extents with a udmabuf); between phases 2 and 3, with no viewer, the fence
 * waits before PRESENT (vgem's implicit fences, sw_sync's explicit ones).
 * Every check prints "PASS name" or "FAIL name: why" into results/guest.txt.
 *
 * `guest-test DIR unplug` (a second boot): exports three buffers (two of them
 * vgem's), presents one, writes unplug-ready and, while the host hot-unplugs the
 * device, keeps a fence-held PRESENT of a vgem buffer waiting; then the open
 * file must report the loss, the dma-bufs must stay usable, and the module must
 * unload once they are closed, and vgem too (the driver let go of its
 * attachments and references). Results in DIR/unplug.txt.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drm.h> /* libdrm-dev: -I/usr/include/libdrm */
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>

#include "guest_dimm.h"
#include "vdmabuf_uapi.h"
#include "vdmabuf_wire.h"
#include "vm_pattern.h"

#define FOURCC_XRGB8888 0x34325258u /* 'XR24' */
#define NBUF 3
#define VGEM_BUF 2 /* bufs[VGEM_BUF] is a vgem dumb buffer */
#define DIMM_BUF 1 /* bufs[DIMM_BUF] is ALLOC'd in the DIMM (NUMA node 1) */

/* vgem's fence ioctls (include/uapi/drm/vgem_drm.h; libdrm ships no header). */
struct vgem_fence_attach {
	uint32_t handle;
	uint32_t flags; /* VGEM_FENCE_WRITE: a write fence */
	uint32_t out_fence;
	uint32_t pad;
};
struct vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};
#define VGEM_FENCE_WRITE 0x1
#define VGEM_IOCTL_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define VGEM_IOCTL_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

/* sw_sync (drivers/dma-buf/sw_sync.c, no uapi header): <debugfs>/sync/sw_sync. */
struct sw_sync_create_fence {
	uint32_t value;
	char name[32];
	int32_t fence;
};
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence)
#define SW_SYNC_IOC_INC _IOW('W', 1, uint32_t)

struct gbuf {
	int fd;
	uint32_t *px;
	uint64_t size;
	uint32_t stride;
	uint32_t handle; /* vgem's GEM handle, 0 for an ALLOC'd buffer */
	struct vdmabuf_uapi_id id;
	int busy;
};

static const char *dir;
static FILE *out;
static int failures;

static void check(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		fprintf(out, "PASS %s\n", name);
	} else {
		failures++;
		fprintf(out, "FAIL %s: ", name);
		va_start(ap, fmt);
		vfprintf(out, fmt, ap);
		va_end(ap);
		fprintf(out, " (errno %d %s)\n", errno, strerror(errno));
	}
	fflush(out);
}

#include "guest_send.h" /* uses check() */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void marker(const char *name, const char *text)
{
	char path[512], tmp[520];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	rename(tmp, path);
}

static int wait_marker(const char *name, int timeout_ms)
{
	char path[512];
	uint64_t end = now_ms() + timeout_ms;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	while (now_ms() < end) {
		if (access(path, F_OK) == 0)
			return 1;
		usleep(50000);
	}
	return 0;
}

static int alloc_buf(int dev, struct gbuf *b)
{
	struct vdmabuf_uapi_alloc a = { .size = VM_PATTERN_STRIDE * VM_PATTERN_HEIGHT };

	memset(b, 0, sizeof(*b));
	if (ioctl(dev, VDMABUF_IOCTL_ALLOC, &a))
		return -1;
	b->fd = a.fd;
	b->size = a.size;
	b->stride = VM_PATTERN_STRIDE;
	b->px = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
	return b->px == MAP_FAILED ? -1 : 0;
}

/*
 * bufs[DIMM_BUF] is ALLOC'd with the task bound to NUMA node 1, whose only memory
 * is the lane's cold-plugged DIMM: its pages are DIMM pages, which vdmabufd knows
 * through an ADD_MEM_REG region (the host checks the frame drawn into it).
 */
static void alloc_in_dimm(int dev, struct gbuf *b)
{
	long total = dimm_node_kb(DIMM_NODE, "MemTotal");
	long free_before = dimm_node_kb(DIMM_NODE, "MemFree"), free_after, on;
	int bound;

	check("dimm_node", total > 0, "no NUMA node %d (no DIMM, or its memory is offline)",
	      DIMM_NODE);
	bound = total > 0 && dimm_bind(DIMM_NODE) == 0;
	check("dimm_bind", total <= 0 || bound, "set_mempolicy: %s", strerror(errno));
	check("alloc_mmap", alloc_buf(dev, b) == 0, "buffer in the DIMM");
	if (bound)
		dimm_bind(-1);
	if (total <= 0 || !b->px || b->px == MAP_FAILED)
		return;
	free_after = dimm_node_kb(DIMM_NODE, "MemFree");
	on = dimm_pages_on(b->px, b->size / 4096, DIMM_NODE);
	fprintf(out, "INFO dimm: node %d MemTotal %ld kB, MemFree %ld -> %ld kB; "
		     "%ld of %llu buffer pages on node %d (move_pages)\n",
		DIMM_NODE, total, free_before, free_after, on,
		(unsigned long long)(b->size / 4096), DIMM_NODE);
	if (on >= 0)
		check("dimm_buffer_pages_on_node", on == (long)(b->size / 4096),
		      "%ld of %llu pages", on, (unsigned long long)(b->size / 4096));
	else
		check("dimm_buffer_pages_on_node",
		      free_before - free_after >= (long)(b->size / 1024),
		      "move_pages cannot say; MemFree fell %ld kB only", free_before - free_after);
}

/* A vgem dumb buffer of the pattern's size: its PRIME fd and a dumb mapping. */
static int vgem_buf(int card, struct gbuf *b)
{
	struct drm_mode_create_dumb cd = {
		.width = VM_PATTERN_WIDTH, .height = VM_PATTERN_HEIGHT, .bpp = 32
	};
	struct drm_prime_handle ph = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_mode_map_dumb md = { 0 };

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if (ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
		return -1;
	b->handle = ph.handle = md.handle = cd.handle;
	b->size = cd.size;
	b->stride = cd.pitch;
	if (ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph) ||
	    ioctl(card, DRM_IOCTL_MODE_MAP_DUMB, &md))
		return -1;
	b->fd = ph.fd;
	b->px = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, card, md.offset);
	return b->px == MAP_FAILED || b->stride != VM_PATTERN_STRIDE ? -1 : 0;
}

static void fill(struct gbuf *b, uint32_t seed)
{
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE };

	ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s);
	for (uint32_t y = 0; y < VM_PATTERN_HEIGHT; y++)
		for (uint32_t x = 0; x < VM_PATTERN_WIDTH; x++)
			b->px[y * VM_PATTERN_WIDTH + x] = vm_pattern_pixel(x, y, seed);
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s);
}

static int export_buf(int dev, struct gbuf *b, uint32_t fourcc, uint32_t *status)
{
	struct vdmabuf_uapi_export e = {
		.fd = b->fd, .fourcc = fourcc, .width = VM_PATTERN_WIDTH,
		.height = VM_PATTERN_HEIGHT, .n_planes = 1,
		.planes = { { 0, b->stride } },
	};
	int r = ioctl(dev, VDMABUF_IOCTL_EXPORT, &e);

	*status = e.status;
	if (!r && e.status == VDMABUF_RESP_OK)
		b->id = e.id;
	return r;
}

static int present(int dev, struct vdmabuf_uapi_id id, uint64_t seq, uint32_t *status)
{
	struct vdmabuf_uapi_present p = { .id = id, .output = 0, .sequence = seq };
	int r;

	p.guest_time_ns = now_ms() * 1000000ull;
	r = ioctl(dev, VDMABUF_IOCTL_PRESENT, &p);
	*status = p.status;
	return r;
}

/* PRESENT_SYNC: after the sync_file fence_fd (-1: none), timeout_ms at most. */
static int present_sync(int dev, struct vdmabuf_uapi_id id, uint64_t seq, int fence_fd,
			uint32_t timeout_ms, uint32_t *status)
{
	struct vdmabuf_uapi_present_sync s = {
		.fence_fd = fence_fd, .timeout_ms = timeout_ms,
		.present = { .id = id, .output = 0, .sequence = seq },
	};
	int r;

	s.present.guest_time_ns = now_ms() * 1000000ull;
	r = ioctl(dev, VDMABUF_IOCTL_PRESENT_SYNC, &s);
	*status = s.present.status;
	return r;
}

static int unexport(int dev, struct vdmabuf_uapi_id id, uint32_t *status)
{
	struct vdmabuf_uapi_unexport u = { .id = id };
	int r = ioctl(dev, VDMABUF_IOCTL_UNEXPORT, &u);

	*status = u.status;
	return r;
}

/* One event within timeout_ms: 1, 0 on timeout, -1 on error. */
static int next_event(int dev, int timeout_ms, struct vdmabuf_uapi_event *ev)
{
	struct pollfd p = { dev, POLLIN, 0 };
	int r = poll(&p, 1, timeout_ms);

	if (r <= 0)
		return r;
	return read(dev, ev, sizeof(*ev)) == sizeof(*ev) ? 1 : -1;
}

static uint32_t ev_type(const struct vdmabuf_uapi_event *ev)
{
	return ((const struct vdmabuf_hdr *)ev->data)->type;
}

/* vgem's card: the driver whose DRM_IOCTL_VERSION name is "vgem". */
static int open_vgem(void)
{
	for (int i = 0; i < 8; i++) {
		char path[32], name[16] = { 0 };
		struct drm_version v = { .name = name, .name_len = sizeof name - 1 };
		int fd;

		snprintf(path, sizeof path, "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -1;
}

static void check_vgem(int dev, struct gbuf *b)
{
	int card = open_vgem();
	struct drm_prime_handle ph = { .fd = b->fd };
	struct drm_prime_handle back = { 0 };
	struct drm_mode_create_dumb cd = {
		.width = VM_PATTERN_WIDTH, .height = VM_PATTERN_HEIGHT, .bpp = 32
	};
	struct drm_prime_handle exp = { 0 };
	struct gbuf foreign = { .fd = -1 };
	uint32_t *view = MAP_FAILED, status = 0;

	check("vgem_open", card >= 0, "no vgem card");
	if (card < 0)
		return;
	fill(b, 77);
	check("vgem_import", ioctl(card, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph) == 0 && ph.handle,
	      "PRIME_FD_TO_HANDLE of an ALLOC dma-buf failed");
	/* vgem hands the import back as a dma-buf: the same one, showing our pattern
	 * (vgem cannot mmap imports itself: drm_gem_dumb_map_offset refuses them). */
	back.handle = ph.handle;
	back.flags = DRM_CLOEXEC;
	if (ph.handle && ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &back) == 0) {
		struct stat s1, s2;

		check("vgem_same_dmabuf", fstat(back.fd, &s1) == 0 && fstat(b->fd, &s2) == 0 &&
						  s1.st_ino == s2.st_ino,
		      "vgem's export is another dma-buf");
		view = mmap(NULL, b->size, PROT_READ, MAP_SHARED, back.fd, 0);
		close(back.fd);
	}
	check("vgem_roundtrip_reads_pattern",
	      view != MAP_FAILED && view[0] == vm_pattern_pixel(0, 0, 77) &&
		      view[VM_PATTERN_WIDTH * 199 + 319] == vm_pattern_pixel(319, 199, 77),
	      "the dma-buf vgem hands back does not show the pattern");
	if (view != MAP_FAILED)
		munmap(view, b->size);

	/* A dma-buf of another exporter: version 2 exports its pages. */
	if (ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &cd) == 0) {
		exp.handle = cd.handle;
		exp.flags = DRM_CLOEXEC | DRM_RDWR;
		if (ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp) == 0) {
			foreign.fd = exp.fd;
			foreign.stride = cd.pitch;
			errno = 0;
			check("export_foreign_dmabuf",
			      export_buf(dev, &foreign, FOURCC_XRGB8888, &status) == 0 &&
				      status == VDMABUF_RESP_OK,
			      "EXPORT of a vgem dma-buf: status 0x%x", status);
			check("unexport_foreign_dmabuf",
			      unexport(dev, foreign.id, &status) == 0 && status == VDMABUF_RESP_OK,
			      "status 0x%x", status);
			close(foreign.fd);
		}
	}
	close(card);
}

/* Waits for the RELEASE of `id`'s presentation (other events are dropped). */
static int wait_release(int dev, struct vdmabuf_uapi_id id, int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	struct vdmabuf_uapi_event ev;

	while (now_ms() < end)
		if (next_event(dev, 200, &ev) == 1 && ev_type(&ev) == VDMABUF_EVT_RELEASE &&
		    ((const struct vdmabuf_evt_release *)ev.data)->id.counter == id.counter)
			return 1;
	return 0;
}

static int export_planes(int dev, const struct gbuf *b, uint32_t offset, uint32_t stride)
{
	struct vdmabuf_uapi_export e = {
		.fd = b->fd, .fourcc = FOURCC_XRGB8888, .width = VM_PATTERN_WIDTH,
		.height = VM_PATTERN_HEIGHT, .n_planes = 1, .planes = { { offset, stride } },
	};

	return ioctl(dev, VDMABUF_IOCTL_EXPORT, &e);
}

/*
 * A udmabuf of `pages` single pages of a sealed memfd, listed evens first, then
 * odds, each half backwards: pages written in order are mostly physically
 * ascending, so no two neighbours in the list are contiguous and nothing
 * coalesces. -1 without /dev/udmabuf.
 */
static int fragmented_udmabuf(uint32_t pages)
{
	size_t len = sizeof(struct udmabuf_create_list) +
		     pages * sizeof(struct udmabuf_create_item);
	struct udmabuf_create_list *list = calloc(1, len);
	int ub = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	int memfd = memfd_create("vdmabuf-frag", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	uint8_t page[4096];
	int fd = -1;

	if (ub < 0 || memfd < 0 || !list || ftruncate(memfd, (off_t)pages * 4096) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		goto out;
	memset(page, 0x5a, sizeof page);
	for (uint32_t i = 0; i < pages; i++)
		if (pwrite(memfd, page, sizeof page, (off_t)i * 4096) != sizeof page)
			goto out;
	list->flags = UDMABUF_FLAGS_CLOEXEC;
	list->count = pages;
	for (uint32_t i = 0; i < pages; i++) {
		uint32_t half = (pages + 1) / 2;
		uint32_t pg = i < half ? 2 * (half - 1 - i) : 2 * (pages - 1 - i) + 1;

		list->list[i].memfd = memfd;
		list->list[i].offset = (uint64_t)pg * 4096;
		list->list[i].size = 4096;
	}
	fd = ioctl(ub, UDMABUF_CREATE_LIST, list);
out:
	free(list);
	if (memfd >= 0)
		close(memfd);
	if (ub >= 0)
		close(ub);
	return fd;
}

/* /sys/module/NAME/refcnt: each live dma-buf of vgem holds one. */
static int module_refcnt(const char *name)
{
	char path[64];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof path, "/sys/module/%s/refcnt", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Unmaps and closes a vgem buffer and its GEM handle: its dma-buf goes unless
 * someone else (the driver) still holds it. */
static void drop_vgem(int card, struct gbuf *b)
{
	struct drm_gem_close gc = { .handle = b->handle };

	munmap(b->px, b->size);
	close(b->fd);
	ioctl(card, DRM_IOCTL_GEM_CLOSE, &gc);
}

static void skip(const char *name, const char *why)
{
	fprintf(out, "SKIP %s: %s\n", name, why);
	fflush(out);
}

/* EXPORT of foreign dma-bufs: what it refuses, and that the guest carries on. */
static void check_foreign(int dev, int card, struct gbuf *vg, struct gbuf *own)
{
	struct vdmabuf_uapi_info info;
	struct gbuf g, u = { .stride = VM_PATTERN_STRIDE };
	int vgem_refs = module_refcnt("vgem"), dev2;
	uint32_t status = 0;

	check("export_foreign_twice_busy",
	      export_buf(dev, vg, FOURCC_XRGB8888, &status) == -1 && errno == EBUSY,
	      "a live vgem export exported again");
	if (vgem_buf(card, &g)) {
		check("vgem_buffer", 0, "second vgem buffer");
		return;
	}
	/* 320x200 XRGB: 256000 bytes in a 258048-byte buffer; 4096 further is past. */
	check("export_foreign_plane_past_end",
	      export_planes(dev, &g, 4096, VM_PATTERN_STRIDE) == -1 && errno == EINVAL,
	      "offset 4096: not EINVAL");
	check("export_foreign_stride_past_end",
	      export_planes(dev, &g, 0, 0xffffffffu) == -1 && errno == EINVAL,
	      "stride 2^32-1: not EINVAL");
	check("export_alloc_plane_past_end",
	      export_planes(dev, own, 8192, VM_PATTERN_STRIDE) == -1 && errno == EINVAL,
	      "ALLOC'd buffer, offset 8192: not EINVAL");
	check("export_foreign_after_refusals",
	      export_buf(dev, &g, FOURCC_XRGB8888, &status) == 0 && status == VDMABUF_RESP_OK,
	      "status 0x%x", status);
	/* Every fd, mapping and handle gone: the export alone keeps the dma-buf. */
	drop_vgem(card, &g);
	check("foreign_export_holds_dmabuf", module_refcnt("vgem") > vgem_refs,
	      "vgem refcnt %d, %d before", module_refcnt("vgem"), vgem_refs);
	check("unexport_foreign", unexport(dev, g.id, &status) == 0 && status == VDMABUF_RESP_OK,
	      "status 0x%x", status);
	check("unexport_foreign_lets_go", module_refcnt("vgem") == vgem_refs,
	      "vgem refcnt %d, %d before", module_refcnt("vgem"), vgem_refs);

	/* close() of the open that exported it lets go too. */
	dev2 = open(VDMABUF_UAPI_DEVICE, O_RDWR | O_CLOEXEC);
	check("foreign_close_export",
	      dev2 >= 0 && vgem_buf(card, &g) == 0 &&
		      export_buf(dev2, &g, FOURCC_XRGB8888, &status) == 0 &&
		      status == VDMABUF_RESP_OK,
	      "status 0x%x", status);
	close(dev2);
	check("foreign_reexport_after_close",
	      export_buf(dev, &g, FOURCC_XRGB8888, &status) == 0 && status == VDMABUF_RESP_OK &&
		      unexport(dev, g.id, &status) == 0,
	      "status 0x%x", status);
	drop_vgem(card, &g);
	check("close_lets_go_foreign", module_refcnt("vgem") == vgem_refs,
	      "vgem refcnt %d, %d before", module_refcnt("vgem"), vgem_refs);

	ioctl(dev, VDMABUF_IOCTL_INFO, &info);
	u.fd = fragmented_udmabuf(64);
	if (u.fd < 0) {
		skip("export_udmabuf", "no /dev/udmabuf (tests/vm/extra-modules.sh)");
		skip("export_too_fragmented_e2big", "no /dev/udmabuf");
	} else {
		check("export_udmabuf",
		      export_buf(dev, &u, FOURCC_XRGB8888, &status) == 0 &&
			      status == VDMABUF_RESP_OK,
		      "64 scattered pages: status 0x%x", status);
		check("unexport_udmabuf",
		      unexport(dev, u.id, &status) == 0 && status == VDMABUF_RESP_OK, "");
		close(u.fd);
		/* Twice max_extents pages: even if a few neighbours were contiguous. */
		u.fd = fragmented_udmabuf(2 * info.max_extents);
		check("udmabuf_fragmented", u.fd >= 0, "%u pages (list_limit?)",
		      2 * info.max_extents);
		check("export_too_fragmented_e2big",
		      u.fd >= 0 && export_buf(dev, &u, FOURCC_XRGB8888, &status) == -1 &&
			      errno == E2BIG,
		      "%u scattered pages, max_extents %u", 2 * info.max_extents, info.max_extents);
		if (u.fd >= 0)
			close(u.fd);
	}
	skip("export_no_struct_page",
	     "no exporter in this guest has memory without struct pages (vgem, udmabuf: RAM)");
	/* The guest carries on: the vgem buffer of phase 1 is still exported and usable. */
	check("foreign_still_exported",
	      export_buf(dev, vg, FOURCC_XRGB8888, &status) == -1 && errno == EBUSY, "");
}

struct present_job {
	int dev;
	struct vdmabuf_uapi_id id;
	uint64_t seq;
	int fence_fd;		/* -2: plain PRESENT */
	uint32_t timeout_ms;
	int ret, err;
	uint32_t status;
	uint64_t done_ms;
	int done;
};

static void *present_thread(void *arg)
{
	struct present_job *j = arg;

	if (j->fence_fd == -2)
		j->ret = present(j->dev, j->id, j->seq, &j->status);
	else
		j->ret = present_sync(j->dev, j->id, j->seq, j->fence_fd, j->timeout_ms,
				      &j->status);
	j->err = errno;
	j->done_ms = now_ms();
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Starts PRESENT in a thread, checks it is still blocked after 400 ms, runs
 * `release` (signals the fence; NULL: interrupts the thread), joins. Returns
 * the ms from release to the ioctl's return, or -1 if it had not blocked.
 */
static long blocked_present(struct present_job *j, void (*release)(void *), void *ctx)
{
	pthread_t t;
	uint64_t t0;
	int blocked;

	j->done = 0;
	if (pthread_create(&t, NULL, present_thread, j))
		return -1;
	usleep(400000);
	blocked = !__atomic_load_n(&j->done, __ATOMIC_ACQUIRE);
	t0 = now_ms();
	if (release)
		release(ctx);
	else
		pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	errno = j->err;
	return blocked ? (long)(j->done_ms - t0) : -1;
}

struct vgem_fence_ctx {
	int card;
	uint32_t fence;
};

static void vgem_signal(void *arg)
{
	struct vgem_fence_ctx *c = arg;
	struct vgem_fence_signal s = { .fence = c->fence };

	ioctl(c->card, VGEM_IOCTL_FENCE_SIGNAL, &s);
}

struct sw_sync_ctx {
	int timeline;
};

static void sw_sync_inc(void *arg)
{
	struct sw_sync_ctx *c = arg;
	uint32_t one = 1;

	ioctl(c->timeline, SW_SYNC_IOC_INC, &one);
}

static int vgem_fence(int card, uint32_t handle, uint32_t flags, struct vgem_fence_ctx *c)
{
	struct vgem_fence_attach a = { .handle = handle, .flags = flags };

	c->card = card;
	if (ioctl(card, VGEM_IOCTL_FENCE_ATTACH, &a))
		return -1;
	c->fence = a.out_fence;
	return 0;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* Implicit (vgem) and explicit (sw_sync) fences hold PRESENT back; no viewer runs. */
static void check_fences(int dev, int card, struct gbuf *vg, uint64_t *seq)
{
	struct present_job j = { .dev = dev, .id = vg->id, .fence_fd = -2 };
	struct sigaction sa = { .sa_handler = on_usr1 }; /* no SA_RESTART: EINTR */
	struct sw_sync_create_fence cf = { .value = 1, .name = "vdmabuf-test" };
	struct vgem_fence_ctx vc;
	struct sw_sync_ctx sc;
	uint64_t t0;
	uint32_t status = 0;
	long ms;

	sigaction(SIGUSR1, &sa, NULL);
	/* Implicit: PRESENT waits until vgem's write fence signals. */
	check("vgem_fence_attach", vgem_fence(card, vg->handle, VGEM_FENCE_WRITE, &vc) == 0, "");
	j.seq = ++*seq;
	ms = blocked_present(&j, vgem_signal, &vc);
	check("implicit_fence_holds_present",
	      ms >= 0 && j.ret == 0 && j.status == VDMABUF_RESP_OK,
	      "returned after %ld ms of the signal (-1: did not block), ret %d status 0x%x", ms,
	      j.ret, j.status);
	fprintf(out, "INFO implicit fence: PRESENT returned %ld ms after FENCE_SIGNAL\n", ms);
	check("implicit_fence_release", wait_release(dev, vg->id, 5000), "no RELEASE");

	/* Bounded: ETIME after timeout_ms, nothing sent, the buffer not stuck. */
	vgem_fence(card, vg->handle, VGEM_FENCE_WRITE, &vc);
	t0 = now_ms();
	errno = 0;
	check("implicit_fence_timeout_etime",
	      present_sync(dev, vg->id, ++*seq, -1, 300, &status) == -1 && errno == ETIME &&
		      now_ms() - t0 >= 290,
	      "after %llu ms", (unsigned long long)(now_ms() - t0));
	vgem_signal(&vc);
	check("present_after_fence_timeout",
	      present(dev, vg->id, ++*seq, &status) == 0 && status == VDMABUF_RESP_OK,
	      "status 0x%x", status);
	check("present_after_fence_timeout_release", wait_release(dev, vg->id, 5000), "");

	/* A read fence does not hold PRESENT: the host only reads too. */
	vgem_fence(card, vg->handle, 0, &vc);
	t0 = now_ms();
	check("implicit_read_fence_ignored",
	      present(dev, vg->id, ++*seq, &status) == 0 && status == VDMABUF_RESP_OK &&
		      now_ms() - t0 < 1000,
	      "status 0x%x after %llu ms", status, (unsigned long long)(now_ms() - t0));
	vgem_signal(&vc);
	check("implicit_read_fence_release", wait_release(dev, vg->id, 5000), "");

	/* A signal interrupts the wait: EINTR, nothing sent. */
	vgem_fence(card, vg->handle, VGEM_FENCE_WRITE, &vc);
	j.fence_fd = -1;
	j.timeout_ms = 5000;
	j.seq = ++*seq;
	ms = blocked_present(&j, NULL, NULL);
	check("fence_wait_eintr", ms >= 0 && j.ret == -1 && j.err == EINTR,
	      "%ld ms, ret %d errno %d", ms, j.ret, j.err);
	vgem_signal(&vc);

	/* PRESENT_SYNC's own checks. */
	check("present_sync_not_sync_file",
	      present_sync(dev, vg->id, ++*seq, dev, 100, &status) == -1 && errno == EINVAL, "");
	check("present_sync_timeout_range",
	      present_sync(dev, vg->id, *seq, -1, 10001, &status) == -1 && errno == EINVAL, "");

	/* Explicit: a sw_sync fence. */
	sc.timeline = open("/sys/kernel/debug/sync/sw_sync", O_RDWR | O_CLOEXEC);
	if (sc.timeline < 0) {
		skip("explicit_fence_holds_present", "no sw_sync (tests/vm/extra-modules.sh)");
		return;
	}
	check("sw_sync_create_fence", ioctl(sc.timeline, SW_SYNC_IOC_CREATE_FENCE, &cf) == 0, "");
	j.fence_fd = cf.fence;
	j.timeout_ms = 5000;
	j.seq = ++*seq;
	ms = blocked_present(&j, sw_sync_inc, &sc);
	check("explicit_fence_holds_present",
	      ms >= 0 && j.ret == 0 && j.status == VDMABUF_RESP_OK,
	      "returned after %ld ms of the INC (-1: did not block), ret %d status 0x%x", ms,
	      j.ret, j.status);
	fprintf(out, "INFO explicit fence: PRESENT_SYNC returned %ld ms after SW_SYNC_IOC_INC\n",
		ms);
	check("explicit_fence_release", wait_release(dev, vg->id, 5000), "");
	close(cf.fence);

	cf.value = 2;
	ioctl(sc.timeline, SW_SYNC_IOC_CREATE_FENCE, &cf);
	t0 = now_ms();
	check("explicit_fence_timeout_etime",
	      present_sync(dev, vg->id, ++*seq, cf.fence, 300, &status) == -1 && errno == ETIME &&
		      now_ms() - t0 >= 290,
	      "after %llu ms", (unsigned long long)(now_ms() - t0));
	sw_sync_inc(&sc);
	check("explicit_fence_signalled",
	      present_sync(dev, vg->id, ++*seq, cf.fence, 300, &status) == 0 &&
		      status == VDMABUF_RESP_OK,
	      "status 0x%x", status);
	check("explicit_fence_signalled_release", wait_release(dev, vg->id, 5000), "");
	close(cf.fence);
	close(sc.timeline);
}

static void check_contract(int dev, int card, struct gbuf *bufs)
{
	struct vdmabuf_uapi_info info;
	struct vdmabuf_uapi_alloc a = { .size = 4096, .flags = 1 };
	struct vdmabuf_uapi_present p = { 0 };
	struct vdmabuf_uapi_export e = { 0 };
	struct vdmabuf_uapi_id unknown;
	struct gbuf x, y;
	uint32_t status = 0;
	int dev2;

	check("info", ioctl(dev, VDMABUF_IOCTL_INFO, &info) == 0 && info.version == 3 &&
			      info.guest && info.max_buffers >= 8,
	      "INFO");
	check_send(dev, &info);
	check("alloc_flags_rejected", ioctl(dev, VDMABUF_IOCTL_ALLOC, &a) == -1 && errno == EINVAL,
	      "flags=1");
	a.flags = 0;
	a.size = 0;
	check("alloc_zero_rejected", ioctl(dev, VDMABUF_IOCTL_ALLOC, &a) == -1 && errno == EINVAL,
	      "size 0");
	a.size = (1ull << 30) + 1;
	check("alloc_huge_rejected", ioctl(dev, VDMABUF_IOCTL_ALLOC, &a) == -1 && errno == EINVAL,
	      "size 1 GiB + 1");

	for (int i = 0; i < NBUF; i++) {
		if (i == VGEM_BUF)
			check("vgem_buffer", vgem_buf(card, &bufs[i]) == 0, "buffer %d", i);
		else if (i == DIMM_BUF)
			alloc_in_dimm(dev, &bufs[i]);
		else
			check("alloc_mmap", alloc_buf(dev, &bufs[i]) == 0, "buffer %d", i);
		fill(&bufs[i], 0);
	}
	check_vgem(dev, &bufs[0]);
	for (int i = 0; i < NBUF; i++)
		check("export", export_buf(dev, &bufs[i], FOURCC_XRGB8888, &status) == 0 &&
					status == VDMABUF_RESP_OK,
		      "buffer %d status 0x%x", i, status);
	check("export_twice_busy",
	      export_buf(dev, &bufs[0], FOURCC_XRGB8888, &status) == -1 && errno == EBUSY,
	      "a live export exported again");
	check_foreign(dev, card, &bufs[VGEM_BUF], &bufs[0]);

	check("alloc_extra", alloc_buf(dev, &x) == 0, "");
	check("export_bad_format_device_error",
	      export_buf(dev, &x, 0x20202020u, &status) == 0 &&
		      status == VDMABUF_RESP_ERR_INVALID_FORMAT,
	      "status 0x%x", status);
	e.fd = x.fd;
	e.fourcc = FOURCC_XRGB8888;
	e.width = VM_PATTERN_WIDTH;
	e.height = VM_PATTERN_HEIGHT;
	e.n_planes = 5;
	check("export_planes_rejected",
	      ioctl(dev, VDMABUF_IOCTL_EXPORT, &e) == -1 && errno == EINVAL, "n_planes 5");
	e.n_planes = 1;
	e.planes[2].stride = 4;
	check("export_unused_plane_rejected",
	      ioctl(dev, VDMABUF_IOCTL_EXPORT, &e) == -1 && errno == EINVAL, "plane 2 not zero");
	e.planes[2].stride = 0;
	e.fd = 12345;
	check("export_bad_fd", ioctl(dev, VDMABUF_IOCTL_EXPORT, &e) == -1 && errno == EBADF,
	      "fd 12345");

	unknown = bufs[0].id;
	unknown.counter = 99999;
	check("present_unknown_id", present(dev, unknown, 1, &status) == -1 && errno == ENOENT,
	      "");
	unknown = bufs[0].id;
	unknown.key ^= 1;
	check("present_forged_key", present(dev, unknown, 1, &status) == -1 && errno == ENOENT,
	      "");
	p.id = bufs[0].id;
	p.n_damage = 17;
	check("present_damage_count", ioctl(dev, VDMABUF_IOCTL_PRESENT, &p) == -1 && errno == EINVAL,
	      "n_damage 17");
	p.n_damage = 1;
	p.damage[3].width = 1;
	check("present_unused_damage", ioctl(dev, VDMABUF_IOCTL_PRESENT, &p) == -1 && errno == EINVAL,
	      "damage[3] not zero");
	check("unknown_ioctl", ioctl(dev, _IO(VDMABUF_IOCTL_BASE, 0x7f)) == -1 && errno == ENOTTY,
	      "");

	/* Per-open ownership: another open can neither present nor unexport our
	 * buffers, and its close() unexports what it exported. */
	dev2 = open(VDMABUF_UAPI_DEVICE, O_RDWR | O_CLOEXEC);
	check("second_open", dev2 >= 0, "");
	check("other_open_cannot_present",
	      present(dev2, bufs[0].id, 1, &status) == -1 && errno == ENOENT, "");
	check("other_open_cannot_unexport",
	      unexport(dev2, bufs[0].id, &status) == -1 && errno == ENOENT, "");
	y = x;
	check("other_open_exports",
	      export_buf(dev2, &y, FOURCC_XRGB8888, &status) == 0 && status == VDMABUF_RESP_OK,
	      "status 0x%x", status);
	close(dev2);
	check("close_unexported",
	      export_buf(dev, &x, FOURCC_XRGB8888, &status) == 0 && status == VDMABUF_RESP_OK,
	      "re-export after the other open closed: status 0x%x", status);
	check("unexport", unexport(dev, x.id, &status) == 0 && status == VDMABUF_RESP_OK,
	      "status 0x%x", status);
	check("unexport_again", unexport(dev, x.id, &status) == -1 && errno == ENOENT, "");
	munmap(x.px, x.size);
	close(x.fd);
}

static struct gbuf *by_counter(struct gbuf *bufs, uint32_t counter)
{
	for (int i = 0; i < NBUF; i++)
		if (bufs[i].id.counter == counter)
			return &bufs[i];
	return NULL;
}

/* Handles one event: RELEASE frees its buffer and is counted by reason. */
static int handle(struct gbuf *bufs, const struct vdmabuf_uapi_event *ev, int *reasons,
		  int *refreshes, uint64_t *seq_out)
{
	if (ev_type(ev) == VDMABUF_EVT_RELEASE) {
		const struct vdmabuf_evt_release *r = (const void *)ev->data;
		struct gbuf *b = by_counter(bufs, r->id.counter);

		if (b)
			b->busy = 0;
		if (r->reason < 4)
			reasons[r->reason]++;
		if (seq_out)
			*seq_out = r->sequence;
		return 1;
	}
	if (ev_type(ev) == VDMABUF_EVT_REFRESH)
		(*refreshes)++;
	return 0;
}

static int unplug_main(void)
{
	struct gbuf bufs[3];
	struct pollfd p;
	uint32_t status = 0;
	uint64_t end;
	int dev = open(VDMABUF_UAPI_DEVICE, O_RDWR | O_CLOEXEC);
	int card = open_vgem();
	int waits = 0, last_err = -1;

	check("open", dev >= 0 && card >= 0, VDMABUF_UAPI_DEVICE " and vgem");
	if (dev < 0 || card < 0)
		return 1;
	check_old_hello(dev);
	/* Buffer 0 (presented) and 2 (held by a fence) are vgem's: foreign. */
	for (int i = 0; i < 3; i++) {
		if (i == 1)
			check("alloc", alloc_buf(dev, &bufs[i]) == 0, "buffer %d", i);
		else
			check("vgem_buffer", vgem_buf(card, &bufs[i]) == 0, "buffer %d", i);
		fill(&bufs[i], 50 + i);
		check("export", export_buf(dev, &bufs[i], FOURCC_XRGB8888, &status) == 0 &&
					status == VDMABUF_RESP_OK, "status 0x%x", status);
	}
	check("present", present(dev, bufs[0].id, 1, &status) == 0 && status == VDMABUF_RESP_OK,
	      "status 0x%x", status);
	marker("unplug-ready", "\n");

	/*
	 * The host removes the device: poll reports HUP | ERR. Meanwhile buffer 2,
	 * held by a vgem write fence, is presented with a 500 ms bound over and over
	 * (ETIME each time): the removal lands in one of those waits, so that
	 * PRESENT drops the last hold on a foreign buffer after remove().
	 */
	end = now_ms() + 60000;
	p.fd = dev;
	p.events = POLLIN;
	p.revents = 0;
	while (now_ms() < end) {
		struct vdmabuf_uapi_event ev;
		struct vgem_fence_ctx vc;

		/* EBUSY while the last one is pending; vgem's own expire after 10 s. */
		vgem_fence(card, bufs[2].handle, VGEM_FENCE_WRITE, &vc);
		last_err = present_sync(dev, bufs[2].id, 2, -1, 500, &status) ? errno : 0;
		waits++;
		if (last_err != ETIME)
			break;
		if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP))
			break;
		if (p.revents & POLLIN)
			(void)!read(dev, &ev, sizeof ev); /* the RELEASE of frame 1 */
	}
	poll(&p, 1, 0);
	check("unplug_pollhup", (p.revents & (POLLHUP | POLLERR)) == (POLLHUP | POLLERR),
	      "revents 0x%x", p.revents);
	check("unplug_during_fence_wait", last_err == ETIME,
	      "the PRESENT the removal met: errno %d", last_err);
	fprintf(out, "INFO unplug: the device went during fence wait %d (500 ms each)\n", waits);
	check("unplug_present_enodev",
	      present(dev, bufs[1].id, 2, &status) == -1 && errno == ENODEV, "");
	check("unplug_export_enodev",
	      export_buf(dev, &bufs[1], FOURCC_XRGB8888, &status) == -1 && errno == ENODEV, "");
	check("unplug_buffers_still_mapped",
	      bufs[0].px[0] == vm_pattern_pixel(0, 0, 50) &&
		      bufs[1].px[VM_PATTERN_WIDTH * 199 + 319] == vm_pattern_pixel(319, 199, 51),
	      "");
	check("unplug_new_open_fails", open(VDMABUF_UAPI_DEVICE, O_RDWR) < 0, "");
	for (int i = 0; i < 3; i++) {
		munmap(bufs[i].px, bufs[i].size);
		close(bufs[i].fd);
	}
	check("unplug_close", close(dev) == 0, "");
	check("unplug_rmmod", system("rmmod virtio_vdmabuf") == 0, "rmmod failed");
	/* vgem unloads only if nothing holds its dma-bufs: the driver let go of them.
	 * Closing the card signals and frees the pending fences and the objects. */
	close(card);
	check("unplug_foreign_released", system("rmmod vgem") == 0, "rmmod vgem failed");
	fprintf(out, "END failures=%d\n", failures);
	fclose(out);
	return failures ? 1 : 0;
}

/*
 * The DIMM frame: once a new viewer asks for a frame (REFRESH), present the
 * buffer whose pages are in the DIMM until one frame comes back DONE; the host
 * compares that viewer's screenshot with the pattern of marker "dimm"'s seq.
 */
static void dimm_frame(int dev, struct gbuf *bufs, uint64_t *seq)
{
	struct gbuf *b = &bufs[DIMM_BUF];
	struct vdmabuf_uapi_event ev;
	int reasons[4] = { 0 }, refreshes = 0;
	uint64_t end = now_ms() + 60000, done_seq = 0;
	uint32_t status;
	char text[64];

	while (!refreshes && now_ms() < end)
		if (next_event(dev, 500, &ev) == 1)
			handle(bufs, &ev, reasons, &refreshes, NULL);
	check("dimm_refresh", refreshes > 0, "no REFRESH from the DIMM viewer");
	while (!reasons[VDMABUF_RELEASE_DONE] && now_ms() < end) {
		++*seq;
		fill(b, (uint32_t)*seq);
		if (present(dev, b->id, *seq, &status) || status != VDMABUF_RESP_OK) {
			check("dimm_present", 0, "seq %llu status 0x%x", (unsigned long long)*seq,
			      status);
			break;
		}
		b->busy = 1;
		while (b->busy && now_ms() < end)
			if (next_event(dev, 1000, &ev) == 1)
				handle(bufs, &ev, reasons, &refreshes, &done_seq);
	}
	check("dimm_frame_done", reasons[VDMABUF_RELEASE_DONE] == 1, "DONE %d NO_CONSUMER %d",
	      reasons[VDMABUF_RELEASE_DONE], reasons[VDMABUF_RELEASE_NO_CONSUMER]);
	snprintf(text, sizeof text, "seq=%llu\n", (unsigned long long)done_seq);
	marker("dimm", text);
}

int main(int argc, char **argv)
{
	struct gbuf bufs[NBUF];
	struct vdmabuf_uapi_event ev;
	int reasons[4] = { 0 }, refreshes = 0, presents = 0, releases = 0, last_vgem = 0;
	uint64_t seq = 0, last_done = 0, released_seq = 0, end;
	uint32_t status;
	char text[256];
	int dev, card;

	dir = argc > 1 ? argv[1] : "/results";
	snprintf(text, sizeof text, "%s/%s.txt", dir,
		 argc > 2 && !strcmp(argv[2], "unplug") ? "unplug" : "guest");
	out = fopen(text, "w");
	if (!out)
		return 2;
	if (argc > 2 && !strcmp(argv[2], "unplug"))
		return unplug_main();
	dev = open(VDMABUF_UAPI_DEVICE, O_RDWR | O_CLOEXEC);
	check("open", dev >= 0, VDMABUF_UAPI_DEVICE);
	card = open_vgem();
	check("open_vgem", card >= 0, "no vgem card");
	if (dev < 0 || card < 0)
		return 1;
	check_contract(dev, card, bufs);

	/* Phase 1: one frame at a time until 5 were DONE (NO_CONSUMER ones are
	 * retried: the viewer may subscribe after our first frames). The ALLOC'd
	 * buffers take turns; after 4 DONE the vgem one shows the last frame. */
	end = now_ms() + 120000;
	while (reasons[VDMABUF_RELEASE_DONE] < 5 && now_ms() < end) {
		struct gbuf *b = reasons[VDMABUF_RELEASE_DONE] == 4 ? &bufs[VGEM_BUF]
								     : &bufs[seq % 2];

		seq++;
		fill(b, (uint32_t)seq);
		if (present(dev, b->id, seq, &status) || status != VDMABUF_RESP_OK) {
			check("phase1_present", 0, "seq %llu status 0x%x", (unsigned long long)seq, status);
			break;
		}
		presents++;
		b->busy = 1;
		while (b->busy && now_ms() < end) {
			int before = reasons[VDMABUF_RELEASE_DONE];

			if (next_event(dev, 1000, &ev) == 1 &&
			    handle(bufs, &ev, reasons, &refreshes, &released_seq)) {
				releases++;
				if (reasons[VDMABUF_RELEASE_DONE] > before) {
					last_done = released_seq;
					last_vgem = b == &bufs[VGEM_BUF];
				}
			}
		}
		if (reasons[VDMABUF_RELEASE_NO_CONSUMER] && !reasons[VDMABUF_RELEASE_DONE])
			if (next_event(dev, 200, &ev) == 1)
				handle(bufs, &ev, reasons, &refreshes, NULL);
	}
	check("phase1_five_done", reasons[VDMABUF_RELEASE_DONE] == 5, "DONE %d",
	      reasons[VDMABUF_RELEASE_DONE]);
	check("phase1_every_present_released", releases == presents, "%d releases for %d presents",
	      releases, presents);
	check("phase1_no_timeout", reasons[VDMABUF_RELEASE_TIMEOUT] == 0, "%d TIMEOUT",
	      reasons[VDMABUF_RELEASE_TIMEOUT]);
	check("phase1_last_frame_vgem", last_vgem, "the last DONE frame was not the vgem buffer");
	snprintf(text, sizeof text,
		 "done=%d presents=%d releases=%d last_done_seq=%llu last_buf=%s\n",
		 reasons[VDMABUF_RELEASE_DONE], presents, releases, (unsigned long long)last_done,
		 last_vgem ? "vgem" : "alloc");
	refreshes = 0;
	marker("phase1", text);
	dimm_frame(dev, bufs, &seq);
	refreshes = 0;

	/* Phase 2: a new viewer arrives (REFRESH); the host stops it, we present two
	 * frames it cannot release, the host kills it: both come back. */
	end = now_ms() + 60000;
	while (!refreshes && now_ms() < end)
		if (next_event(dev, 500, &ev) == 1)
			handle(bufs, &ev, reasons, &refreshes, NULL);
	check("phase2_refresh", refreshes > 0, "no REFRESH for the second viewer");
	marker("refresh2", "\n");
	check("phase2_go", wait_marker("go2", 60000), "host never said go2");
	memset(reasons, 0, sizeof reasons);
	releases = 0;
	for (int i = 0; i < 2; i++) {
		seq++;
		fill(&bufs[i], (uint32_t)seq);
		check("phase2_present", present(dev, bufs[i].id, seq, &status) == 0 &&
						status == VDMABUF_RESP_OK,
		      "status 0x%x", status);
		bufs[i].busy = 1;
	}
	marker("presented2", "\n");
	end = now_ms() + 20000;
	while (releases < 2 && now_ms() < end)
		if (next_event(dev, 500, &ev) == 1 && handle(bufs, &ev, reasons, &refreshes, NULL))
			releases++;
	check("phase2_both_released", releases == 2, "%d releases", releases);
	check("phase2_released_by_disconnect",
	      reasons[VDMABUF_RELEASE_TIMEOUT] == 0 && reasons[VDMABUF_RELEASE_NO_CONSUMER] == 0,
	      "TIMEOUT %d NO_CONSUMER %d", reasons[VDMABUF_RELEASE_TIMEOUT],
	      reasons[VDMABUF_RELEASE_NO_CONSUMER]);
	snprintf(text, sizeof text, "releases=%d done=%d dropped=%d\n", releases,
		 reasons[VDMABUF_RELEASE_DONE], reasons[VDMABUF_RELEASE_DROPPED]);
	marker("phase2", text);

	/* Fences, with no viewer: every PRESENT comes back NO_CONSUMER at once. */
	check_fences(dev, card, &bufs[VGEM_BUF], &seq);

	/* Phase 3: the buffers stay exported; the host watches the guest power off. */
	snprintf(text, sizeof text, "exported=%d failures=%d\n", NBUF, failures);
	marker("live", text);
	check("phase3_go", wait_marker("go3", 60000), "host never said go3");
	fprintf(out, "END failures=%d\n", failures);
	fclose(out);
	snprintf(text, sizeof text, "dmesg > %s/dmesg.txt", dir);
	if (system(text) != 0)
		fprintf(stderr, "guest-test: dmesg failed\n");
	/* No close(), no UNEXPORT: the host must retire what a vanished guest held. */
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
