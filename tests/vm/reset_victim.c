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
 * With "fill", the jobs are not waits but FILLs that take far longer than a
 * job timeout (1000 descriptors filling a 64 MiB object each): the device
 * itself is what the timeout stops, as when a queue hangs, and the driver
 * counts such timeouts towards its own reset (hang_limit). With "wait N",
 * it submits N SEM_WAIT jobs one after the other, each of which times out,
 * prints "timeouts=N" if they all did, and exits: those the driver does not
 * count. With "late N", a job on queue 1 faults, and N WRITE jobs follow it
 * into the ring one by one while the driver resets the queue to recover
 * (the model's x-reset-busy-ms keeps the queue BUSY a while after that
 * reset); it prints "fault=<the first job's status> writes=<how many of the
 * N WRITEs landed> last=<the last one's status>".
 *
 *   reset_victim NODE [fill | wait N | late N]
 */
#include "trn_test.h"

#define FILL_DESCS	1000
#define FILL_BYTES	(64ULL << 20)

static struct drm_trn_dma_desc blocker[FILL_DESCS] = {
	{ .opcode = DRM_TRN_DMA_OP_SEM_WAIT, .aux = 7, .len = 1 },
};
static uint32_t nblocker = 1;

/* The blocker: FILL_DESCS fills of a FILL_BYTES object. */
static int make_fill(int fd)
{
	uint32_t handle, i;
	uint64_t va;

	if (tt_bo_create(fd, FILL_BYTES, DRM_TRN_PLACEMENT_HBM, &handle, &va))
		return -1;
	for (i = 0; i < FILL_DESCS; i++)
		blocker[i] = (struct drm_trn_dma_desc){
			.opcode = DRM_TRN_DMA_OP_FILL, .src = i, .dst = va, .len = FILL_BYTES,
		};
	nblocker = FILL_DESCS;
	return 0;
}

/* N waits in a row, each timing out. */
static int waits(int fd, int n)
{
	int i, st, timedout = 0;

	for (i = 0; i < n; i++) {
		st = tt_submit_wait(fd, 0, blocker, 1, 60);
		timedout += st == -ETIMEDOUT;
	}
	printf("timeouts=%d\n", timedout);
	return timedout == n ? 0 : 1;
}

/* A fault, then @n WRITEs that arrive while the queue recovers. */
static int late_jobs(int fd, int n)
{
	struct drm_trn_dma_desc bad = tt_copy(0, 0, 8), w;	/* VA 0: unmapped */
	volatile uint64_t *p;
	int32_t fault = 0;
	uint32_t h, so, sw;
	int i, last = 0, landed = 0;
	uint64_t va;

	if (n < 1 || tt_bo_create(fd, 8 * (uint64_t)n, DRM_TRN_PLACEMENT_HOST, &h, &va) ||
	    !(p = tt_bo_map(fd, h, 8 * (uint64_t)n))) {
		perror("BO_CREATE");
		return 1;
	}
	bad.dst = va;
	if (tt_submit(fd, 1, &bad, 1, &so)) {
		perror("submit");
		return 1;
	}
	/* The fault is taken and the queue reset; then the WRITEs come. */
	usleep(50000);
	for (i = 0; i < n; i++) {
		w = tt_write(va + 8 * (uint64_t)i, i + 1);
		if (i == n - 1) {
			last = tt_submit_wait(fd, 1, &w, 1, 60);
		} else if (tt_submit(fd, 1, &w, 1, &sw)) {
			perror("submit");
			return 1;
		} else {
			drmSyncobjDestroy(fd, sw);
		}
		usleep(80000);
	}
	if (tt_wait(fd, so, tt_now_ns() + 60 * 1000000000LL, &fault)) {
		perror("wait");
		return 1;
	}
	for (i = 0; i < n; i++)
		landed += p[i] == (uint64_t)i + 1;
	printf("fault=%d writes=%d last=%d\n", fault, landed, last);
	return 0;
}

int main(int argc, char **argv)
{
	struct drm_trn_dma_desc nop = { .opcode = DRM_TRN_DMA_OP_NOP };
	int32_t status = -ETIMEDOUT;
	int64_t deadline;
	uint32_t so[2];
	int fd, after, i;

	if (!(argc == 2 || (argc == 3 && !strcmp(argv[2], "fill")) ||
	      (argc == 4 && (!strcmp(argv[2], "wait") || !strcmp(argv[2], "late"))))) {
		fprintf(stderr, "usage: reset_victim NODE [fill | wait N | late N]\n");
		return 1;
	}
	fd = tt_open(argv[1]);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (argc == 4 && !strcmp(argv[2], "late"))
		return late_jobs(fd, atoi(argv[3]));
	if (argc == 4)
		return waits(fd, atoi(argv[3]));
	if (argc == 3 && make_fill(fd)) {
		perror("BO_CREATE");
		return 1;
	}
	if (tt_submit(fd, 0, blocker, nblocker, &so[0]) ||
	    tt_submit(fd, 0, blocker, nblocker, &so[1])) {
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
		if (status == -ETIMEDOUT && tt_submit(fd, 0, blocker, nblocker, &so[i])) {
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
