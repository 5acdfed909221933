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
 * Every check prints "PASS name" or "FAIL name: why" into results/guest.txt.
 *
 * `guest-test DIR unplug` (a second boot): exports two buffers, presents one,
 * writes unplug-ready and waits for the host to hot-unplug the device; then the
 * open file must report the loss, the dma-bufs must stay usable, and the module
 * must unload once they are closed. Results in DIR/unplug.txt.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#include "vdmabuf_uapi.h"
#include "vdmabuf_wire.h"
#include "vm_pattern.h"

#define FOURCC_XRGB8888 0x34325258u /* 'XR24' */
#define NBUF 3

struct gbuf {
	int fd;
	uint32_t *px;
	uint64_t size;
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
	b->px = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
	return b->px == MAP_FAILED ? -1 : 0;
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
		.planes = { { 0, VM_PATTERN_STRIDE } },
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

static void check_contract(int dev, struct gbuf *bufs)
{
	struct vdmabuf_uapi_info info;
	struct vdmabuf_uapi_alloc a = { .size = 4096, .flags = 1 };
	struct vdmabuf_uapi_present p = { 0 };
	struct vdmabuf_uapi_export e = { 0 };
	struct vdmabuf_uapi_id unknown;
	struct gbuf x, y;
	uint32_t status = 0;
	int dev2;

	check("info", ioctl(dev, VDMABUF_IOCTL_INFO, &info) == 0 && info.version == 2 &&
			      info.guest && info.max_buffers >= 8,
	      "INFO");
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
	struct gbuf bufs[2];
	struct pollfd p;
	uint32_t status = 0;
	uint64_t end;
	int dev = open(VDMABUF_UAPI_DEVICE, O_RDWR | O_CLOEXEC);

	check("open", dev >= 0, VDMABUF_UAPI_DEVICE);
	if (dev < 0)
		return 1;
	for (int i = 0; i < 2; i++) {
		check("alloc", alloc_buf(dev, &bufs[i]) == 0, "buffer %d", i);
		fill(&bufs[i], 50 + i);
		check("export", export_buf(dev, &bufs[i], FOURCC_XRGB8888, &status) == 0 &&
					status == VDMABUF_RESP_OK, "status 0x%x", status);
	}
	check("present", present(dev, bufs[0].id, 1, &status) == 0 && status == VDMABUF_RESP_OK,
	      "status 0x%x", status);
	marker("unplug-ready", "\n");

	/* The host removes the device: poll reports HUP | ERR. */
	end = now_ms() + 60000;
	p.fd = dev;
	p.events = POLLIN;
	p.revents = 0;
	while (now_ms() < end) {
		struct vdmabuf_uapi_event ev;

		if (poll(&p, 1, 500) > 0 && (p.revents & POLLHUP))
			break;
		if (p.revents & POLLIN)
			(void)!read(dev, &ev, sizeof ev); /* the RELEASE of frame 1 */
	}
	check("unplug_pollhup", (p.revents & (POLLHUP | POLLERR)) == (POLLHUP | POLLERR),
	      "revents 0x%x", p.revents);
	check("unplug_present_enodev",
	      present(dev, bufs[1].id, 2, &status) == -1 && errno == ENODEV, "");
	check("unplug_export_enodev",
	      export_buf(dev, &bufs[1], FOURCC_XRGB8888, &status) == -1 && errno == ENODEV, "");
	check("unplug_buffers_still_mapped",
	      bufs[0].px[0] == vm_pattern_pixel(0, 0, 50) &&
		      bufs[1].px[VM_PATTERN_WIDTH * 199 + 319] == vm_pattern_pixel(319, 199, 51),
	      "");
	check("unplug_new_open_fails", open(VDMABUF_UAPI_DEVICE, O_RDWR) < 0, "");
	for (int i = 0; i < 2; i++) {
		munmap(bufs[i].px, bufs[i].size);
		close(bufs[i].fd);
	}
	check("unplug_close", close(dev) == 0, "");
	check("unplug_rmmod", system("rmmod virtio_vdmabuf") == 0, "rmmod failed");
	fprintf(out, "END failures=%d\n", failures);
	fclose(out);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct gbuf bufs[NBUF];
	struct vdmabuf_uapi_event ev;
	int reasons[4] = { 0 }, refreshes = 0, presents = 0, releases = 0;
	uint64_t seq = 0, last_done = 0, released_seq = 0, end;
	uint32_t status;
	char text[256];
	int dev;

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
	if (dev < 0)
		return 1;
	check_contract(dev, bufs);

	/* Phase 1: one frame at a time until 5 were DONE (NO_CONSUMER ones are
	 * retried: the viewer may subscribe after our first frames). */
	end = now_ms() + 120000;
	while (reasons[VDMABUF_RELEASE_DONE] < 5 && now_ms() < end) {
		struct gbuf *b = &bufs[seq % NBUF];

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
				if (reasons[VDMABUF_RELEASE_DONE] > before)
					last_done = released_seq;
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
	snprintf(text, sizeof text, "done=%d presents=%d releases=%d last_done_seq=%llu\n",
		 reasons[VDMABUF_RELEASE_DONE], presents, releases, (unsigned long long)last_done);
	refreshes = 0;
	marker("phase1", text);

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
