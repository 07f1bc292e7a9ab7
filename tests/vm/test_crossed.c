// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest test of peer imports across the hosts of a rack, through the raw
 * uapi, in a VM whose devices stand for two hosts (scenario "crossed",
 * tests/vm/t/84-crossed.sh): devices A (chip 1) and B (chip 2) of host 0
 * are cabled to each other on port IN, and on port X each to the chip of
 * the other's id on host 1 (a crossed pair of cables between hosts). Chip
 * and port numbers then match in both directions through port X, yet the
 * far ends are another host's chips: an import of B's memory on A through
 * X must fail with ENOLINK, as must one of the far chip's memory (another
 * host); through IN, B's memory is imported and read back.
 *
 *   test_crossed BDF-A BDF-B BDF-FAR X IN
 *
 * BDF-FAR is the device at the far end of port X of A (host 1, chip 2).
 * Prints TAP; the exit status is the number of failed checks.
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include "trn_test.h"
#include "tap.h"

/* Import @owner's object @h on @fd through @port; 0 or -errno. */
static int import(int fd, int owner, uint32_t h, uint32_t port,
		  struct drm_trn_peer_import *imp)
{
	int ret;

	memset(imp, 0, sizeof(*imp));
	imp->port = port;
	if (drmPrimeHandleToFD(owner, h, DRM_CLOEXEC, &imp->fd))
		return -errno;
	ret = drmIoctl(fd, DRM_IOCTL_TRN_PEER_IMPORT, imp) ? -errno : 0;
	close(imp->fd);
	return ret;
}

int main(int argc, char **argv)
{
	struct drm_trn_peer_import imp;
	struct drm_trn_dma_desc d;
	uint32_t bh, fh, ah, x, in;
	uint64_t *bmap, *amap, ava;
	int a, b, far, ret;

	if (argc != 6) {
		fprintf(stderr, "usage: test_crossed BDF-A BDF-B BDF-FAR X IN\n");
		return 2;
	}
	a = tt_open_bdf(argv[1]);
	b = tt_open_bdf(argv[2]);
	far = tt_open_bdf(argv[3]);
	x = (uint32_t)strtoul(argv[4], NULL, 10);
	in = (uint32_t)strtoul(argv[5], NULL, 10);
	if (a < 0 || b < 0 || far < 0 ||
	    tt_bo_create(b, 4096, DRM_TRN_PLACEMENT_HBM, &bh, NULL) ||
	    tt_bo_create(far, 4096, DRM_TRN_PLACEMENT_HBM, &fh, NULL) ||
	    tt_bo_create(a, 4096, DRM_TRN_PLACEMENT_HBM, &ah, &ava)) {
		printf("Bail out! setup: %s\n", strerror(errno));
		return 1;
	}

	ret = import(a, b, bh, x, &imp);
	tap(ret == -ENOLINK,
	    "B's memory on A through port %u, whose far end is host 1's chip of B's id: %s",
	    x, ret ? strerror(-ret) : "imported");
	ret = import(a, far, fh, x, &imp);
	tap(ret == -ENOLINK, "the far chip's own memory through port %u (another host): %s",
	    x, ret ? strerror(-ret) : "imported");

	/* Port IN stays within host 0: B's memory, read back on A. */
	bmap = tt_bo_map(b, bh, 4096);
	amap = tt_bo_map(a, ah, 4096);
	if (!bmap || !amap) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	bmap[0] = 0x7261636b2d696e00ULL;
	amap[0] = 0;
	ret = import(a, b, bh, in, &imp);
	tap(!ret, "B's memory on A through port %u, within host 0: %s", in,
	    ret ? strerror(-ret) : "imported");
	if (!ret) {
		d = tt_copy(ava, imp.va, 4096);
		ret = tt_submit_wait(a, 0, &d, 1, 30);
	}
	tap(!ret && amap[0] == bmap[0], "a copy from it reads B's memory: %s, 0x%llx",
	    ret ? strerror(-ret) : "done", (unsigned long long)amap[0]);

	munmap(bmap, 4096);
	munmap(amap, 4096);
	close(a);
	close(b);
	close(far);
	return tap_plan();
}
