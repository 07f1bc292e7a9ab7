// SPDX-License-Identifier: GPL-2.0-only
/*
 * Allocates HBM and host buffers, maps them, keeps DMA jobs queued on every
 * queue without ever waiting, prints "ready" and sleeps: the process to
 * kill -9 in the cleanup test.
 */
#include "trn_test.h"

int main(void)
{
	struct drm_trn_device_info info;
	struct drm_trn_dma_desc d[16];
	uint32_t hh = 0, hd = 0;
	uint64_t vh = 0, vd = 0;
	int fd = tt_open(NULL);

	if (fd < 0 || tt_info(fd, &info))
		return 1;
	if (tt_bo_create(fd, 32 << 20, DRM_TRN_PLACEMENT_HBM, &hd, &vd) ||
	    tt_bo_create(fd, 8 << 20, DRM_TRN_PLACEMENT_HOST, &hh, &vh))
		return 1;
	if (!tt_bo_map(fd, hd, 32 << 20) || !tt_bo_map(fd, hh, 8 << 20))
		return 1;
	for (int i = 0; i < 16; i++)
		d[i] = tt_copy(vd + ((i & 1) ? 0 : (16 << 20)), vh, 1 << 20);
	for (int round = 0; round < 2; round++)
		for (uint32_t q = 0; q < info.dma_queues; q++) {
			struct drm_trn_submit s = {
				.descs = (uintptr_t)d, .desc_count = 16,
				.desc_size = sizeof(d[0]), .queue = q,
			};

			if (drmIoctl(fd, DRM_IOCTL_TRN_SUBMIT, &s))
				return 1;
		}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
