/* SPDX-License-Identifier: MIT */
/* The VM lane's test pattern: the guest writes it, the host checks the viewer's
 * screenshot against it. XRGB8888, one 32-bit pixel per (x, y, seed). */
#ifndef VM_PATTERN_H
#define VM_PATTERN_H

#include <stdint.h>

#define VM_PATTERN_WIDTH 320u
#define VM_PATTERN_HEIGHT 200u
#define VM_PATTERN_STRIDE (VM_PATTERN_WIDTH * 4u)

static inline uint32_t vm_pattern_pixel(uint32_t x, uint32_t y, uint32_t seed)
{
	uint32_t r = (x * 3u + seed * 41u) & 0xffu;
	uint32_t g = (y * 5u + seed * 17u) & 0xffu;
	uint32_t b = ((x ^ y) + seed * 7u) & 0xffu;

	return 0xff000000u | r << 16 | g << 8 | b;
}

#endif
