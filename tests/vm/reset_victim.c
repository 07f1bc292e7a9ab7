// SPDX-License-Identifier: GPL-2.0-only
/*
 * The process a reset interrupts (tests/vm/t/99-reset.sh). It keeps two
 * jobs that wait on a semaphore nothing signals on queue 0 of NODE, so that
 * the ring is never empty: each times out after the driver's job timeout and
 * is submitted again. It prints "ready" once the first two are submitted,
 * and waits (60 s at most) for a job that ends otherwise than by its timeout,
 * the reset's doing. It prints that job's status, then runs a NOP on the same
 * file to show that the file outlives the reset:
 *
 *   status=-125 after=0
 *
 * (negative errnos; -125 is ECANCELED). Exit 0 once it could print that
 * line, 1 otherwise.
 *
 *   reset_victim NODE
 */
#include "trn_test.h"

static const struct drm_trn_dma_desc blocker = {
	.opcode = DRM_TRN_DMA_OP_SEM_WAIT, .aux = 7, .len = 1,
};

int main(int argc, char **argv)
{
	struct drm_trn_dma_desc nop = { .opcode = DRM_TRN_DMA_OP_NOP };
	int32_t status = -ETIMEDOUT;
	int64_t deadline;
	uint32_t so[2];
	int fd, after, i;

	if (argc != 2) {
		fprintf(stderr, "usage: reset_victim NODE\n");
		return 1;
	}
	fd = tt_open(argv[1]);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (tt_submit(fd, 0, &blocker, 1, &so[0]) || tt_submit(fd, 0, &blocker, 1, &so[1])) {
		perror("submit");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	deadline = tt_now_ns() + 60 * 1000000000LL;
	for (i = 0; status == -ETIMEDOUT; i ^= 1) {
		if (tt_wait(fd, so[i], deadline, &status)) {
			perror("wait");
			return 1;
		}
		drmSyncobjDestroy(fd, so[i]);
		if (status == -ETIMEDOUT && tt_submit(fd, 0, &blocker, 1, &so[i])) {
			perror("submit");
			return 1;
		}
	}
	/* The other one is cancelled too, or times out: wait for it. */
	if (tt_wait(fd, so[i], deadline, &(int32_t){ 0 })) {
		perror("wait");
		return 1;
	}
	after = tt_submit_wait(fd, 0, &nop, 1, 30);
	printf("status=%d after=%d\n", status, after);
	return 0;
}
