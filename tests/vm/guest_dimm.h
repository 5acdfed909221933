/* SPDX-License-Identifier: MIT */
/*
 * guest_test's DIMM helpers (the lane's first boot has a cold-plugged pc-dimm as
 * the only memory of NUMA node 1, which QEMU hands to vdmabufd with ADD_MEM_REG):
 * bind the task's allocations to that node around an ALLOC, and say where a
 * mapping's pages are. No libnuma in a static binary: raw syscalls.
 */
#ifndef VDMABUF_GUEST_DIMM_H
#define VDMABUF_GUEST_DIMM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DIMM_NODE 1
#define DIMM_MPOL_DEFAULT 0
#define DIMM_MPOL_BIND 2

/* "Node N <field>: <kB> kB" from the node's meminfo; -1 when there is no node N. */
static long dimm_node_kb(int node, const char *field)
{
	char path[96], line[160], key[64];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/sys/devices/system/node/node%d/meminfo", node);
	snprintf(key, sizeof key, " %s:", field);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *p = strstr(line, key);

		if (p) {
			kb = strtol(p + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* The kernel's page allocations for this task come from `node` only (ALLOC's
 * alloc_pages() follows the task's policy), or from anywhere again (node < 0). */
static int dimm_bind(int node)
{
	unsigned long mask = node < 0 ? 0 : 1ul << node;

	return (int)syscall(SYS_set_mempolicy, node < 0 ? DIMM_MPOL_DEFAULT : DIMM_MPOL_BIND,
			    node < 0 ? NULL : &mask, node < 0 ? 0 : 8 * sizeof(mask) + 1);
}

/* How many of the `pages` pages mapped at `addr` are on `node` (move_pages with no
 * target nodes only asks); -1 when the kernel cannot say. */
static long dimm_pages_on(void *addr, unsigned long pages, int node)
{
	void *ptrs[256];
	int status[256];
	long on = 0;

	if (pages > 256)
		return -1;
	for (unsigned long i = 0; i < pages; i++)
		ptrs[i] = (char *)addr + i * 4096;
	if (syscall(SYS_move_pages, 0, pages, ptrs, NULL, status, 0))
		return -1;
	for (unsigned long i = 0; i < pages; i++) {
		if (status[i] < 0)
			return -1;
		on += status[i] == node;
	}
	return on;
}

#endif
