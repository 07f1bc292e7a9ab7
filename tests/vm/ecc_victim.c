// SPDX-License-Identifier: GPL-2.0-only
/*
 * Processes whose device memory an uncorrectable error hits, or must not
 * (tests/vm/t/88-ecc.sh), on the device of node NODE. The uapi gives no
 * object's place in device memory, so both take all of it.
 *
 *   ecc_victim fill NODE
 *
 * takes all the device memory it can, in objects of 64 MiB down to 4 KiB,
 * has the device FILL each one, and prints "filled=BYTES failed=JOBS": a
 * retired page is in no object, so no job fails.
 *
 *   ecc_victim hold NODE
 *
 * does the same, prints "ready" and waits for a line on stdin, while the
 * test injects an error into a page that one of its objects (or their page
 * tables) now holds. Then it FILLs every object again and prints
 * "ok=JOBS eio=JOBS other=JOBS": the jobs that succeeded, those that
 * failed with EIO (the one or ones that reach the page) and those that
 * failed otherwise. It exits, which frees the page: it is retired then.
 *
 * Exit 0 if it could print its last line, 1 otherwise.
 */
#include <inttypes.h>
#include "trn_test.h"

#define PAGE		4096
#define MAX_BOS		1024

struct bo {
	uint64_t va, size;
};

static struct bo bos[MAX_BOS];
static unsigned int nbos;

static int fill_one(int fd, const struct bo *b)
{
	struct drm_trn_dma_desc d = {
		.opcode = DRM_TRN_DMA_OP_FILL, .src = 0xecc, .dst = b->va, .len = b->size,
	};

	return tt_submit_wait(fd, 0, &d, 1, 120);
}

int main(int argc, char **argv)
{
	unsigned int i, failed = 0, ok = 0, eio = 0, other = 0;
	uint64_t size, filled = 0;
	uint32_t handle;
	char line[16];
	int fd, ret;

	if (argc != 3 || (strcmp(argv[1], "fill") && strcmp(argv[1], "hold"))) {
		fprintf(stderr, "usage: ecc_victim fill|hold NODE\n");
		return 1;
	}
	fd = tt_open(argv[2]);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	for (size = 64ULL << 20; size >= PAGE && nbos < MAX_BOS; size /= 2) {
		while (nbos < MAX_BOS &&
		       !tt_bo_create(fd, size, DRM_TRN_PLACEMENT_HBM, &handle, &bos[nbos].va)) {
			bos[nbos].size = size;
			filled += size;
			if (fill_one(fd, &bos[nbos])) {
				fprintf(stderr, "FILL of %" PRIu64 " bytes at 0x%" PRIx64 " failed\n",
					size, bos[nbos].va);
				failed++;
			}
			nbos++;
		}
	}
	printf("filled=%" PRIu64 " failed=%u\n", filled, failed);
	if (!strcmp(argv[1], "fill"))
		return 0;
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (i = 0; i < nbos; i++) {
		ret = fill_one(fd, &bos[i]);
		if (!ret)
			ok++;
		else if (ret == -EIO)
			eio++;
		else
			other++;
	}
	printf("ok=%u eio=%u other=%u\n", ok, eio, other);
	return 0;
}
