// SPDX-License-Identifier: GPL-2.0-only
/*
 * A process that only watches while another's jobs make the driver reset
 * the device (tests/vm/t/99-reset.sh). On NODE it fills 64 KiB of HBM with a
 * pattern, copies it on the device to a second object, prints "ready", and
 * waits for a line on stdin. Then it checks both objects through its
 * mappings, copies again on the device, and prints
 *
 *   intact=1 after=0
 *
 * (intact=0 if any byte changed; after= the copy's status, a negative
 * errno). Exit 0 once it could print that line.
 *
 *   bystander NODE
 */
#include "trn_test.h"

#define SIZE	(64 * 1024)

static int same(const uint8_t *p, uint8_t seed)
{
	for (size_t i = 0; i < SIZE; i++)
		if (p[i] != (uint8_t)(seed + i * 7))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	struct drm_trn_dma_desc d;
	uint8_t *a, *b;
	uint32_t ha, hb;
	uint64_t va, vb;
	char line[16];
	int fd, intact, after;

	if (argc != 2) {
		fprintf(stderr, "usage: bystander NODE\n");
		return 1;
	}
	fd = tt_open(argv[1]);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (tt_bo_create(fd, SIZE, DRM_TRN_PLACEMENT_HBM, &ha, &va) ||
	    tt_bo_create(fd, SIZE, DRM_TRN_PLACEMENT_HBM, &hb, &vb)) {
		perror("BO_CREATE");
		return 1;
	}
	a = tt_bo_map(fd, ha, SIZE);
	b = tt_bo_map(fd, hb, SIZE);
	if (!a || !b) {
		perror("mmap");
		return 1;
	}
	for (size_t i = 0; i < SIZE; i++)
		a[i] = (uint8_t)(0x5a + i * 7);
	d = tt_copy(vb, va, SIZE);
	if (tt_submit_wait(fd, 0, &d, 1, 30) || !same(b, 0x5a)) {
		fprintf(stderr, "the first copy failed\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;

	intact = same(a, 0x5a) && same(b, 0x5a);
	memset(b, 0, SIZE);
	after = tt_submit_wait(fd, 0, &d, 1, 30);
	if (!after && !same(b, 0x5a))
		intact = 0;
	printf("intact=%d after=%d\n", intact, after);
	return 0;
}
