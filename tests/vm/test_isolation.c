// SPDX-License-Identifier: GPL-2.0-only
/*
 * Isolation between processes: a victim process fills an HBM buffer and
 * tells an attacker process its device address. The attacker's jobs naming
 * that address fault (or, once the attacker has its own buffer there, reach
 * only its own memory); the victim's data never changes; the attacker goes
 * on submitting. Prints TAP.
 */
#include <signal.h>
#include <sys/wait.h>
#include "trn_test.h"

#define SIZE (1 << 20)
#define PATTERN 0xa5

static int tap_n;
static int failures;

static void tap(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++tap_n, what);
	fflush(stdout);
	failures += !ok;
}

static int attacker(uint64_t victim_va, uint32_t queue)
{
	struct drm_trn_dma_desc d;
	uint32_t h = 0, hmine = 0;
	uint64_t va = 0, mine = 0;
	uint8_t *p;
	int fd = tt_open(NULL), bad = 0;

	if (fd < 0)
		return 100;
	/* Nothing of ours at the victim's address: writes and reads fault. */
	d = tt_write(victim_va, 0xdeadbeef);
	if (tt_submit_wait(fd, queue, &d, 1, 10) != -EFAULT)
		bad |= 1;
	d = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_FILL, .dst = victim_va,
				       .src = 0, .len = SIZE };
	if (tt_submit_wait(fd, queue, &d, 1, 10) != -EFAULT)
		bad |= 2;
	/* Our own buffer: read the victim's address into it: a fault, and
	 * our buffer keeps what it had.
	 */
	if (tt_bo_create(fd, SIZE, DRM_TRN_PLACEMENT_HOST, &hmine, &mine))
		return 101;
	p = tt_bo_map(fd, hmine, SIZE);
	if (!p)
		return 102;
	memset(p, 0x11, SIZE);
	d = tt_copy(mine, victim_va + (mine == victim_va ? SIZE * 4 : 0), 4096);
	if (tt_submit_wait(fd, queue, &d, 1, 10) != -EFAULT)
		bad |= 4;
	for (int i = 0; i < SIZE; i++)
		if (p[i] != 0x11) {
			bad |= 8;
			break;
		}
	/* With a buffer of our own at the victim's address, the same address
	 * reaches our memory only.
	 */
	if (tt_bo_create(fd, SIZE, DRM_TRN_PLACEMENT_HBM, &h, &va))
		return 103;
	d = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_FILL, .dst = va,
				       .src = 0, .len = SIZE };
	if (tt_submit_wait(fd, queue, &d, 1, 10) != 0)
		bad |= 16;
	/* Still able to work after the faults. */
	d = tt_copy(mine, va, SIZE);
	if (tt_submit_wait(fd, queue, &d, 1, 10) != 0 || p[0] != 0 || p[SIZE - 1] != 0)
		bad |= 32;
	close(fd);
	return bad;
}

int main(void)
{
	struct drm_trn_device_info info;
	uint32_t h;
	uint64_t va;
	uint8_t *p;
	int fd, status, changed = 0;
	pid_t pid;

	printf("TAP version 13\n");
	fd = tt_open(NULL);
	if (fd < 0 || tt_info(fd, &info)) {
		printf("Bail out! cannot open the device\n");
		return 1;
	}
	if (tt_bo_create(fd, SIZE, DRM_TRN_PLACEMENT_HBM, &h, &va) ||
	    !(p = tt_bo_map(fd, h, SIZE))) {
		printf("Bail out! cannot allocate the victim buffer\n");
		return 1;
	}
	memset(p, PATTERN, SIZE);

	for (uint32_t q = 0; q < info.dma_queues && q < 2; q++) {
		char what[128];

		pid = fork();
		if (pid == 0)
			_exit(attacker(va, q));
		waitpid(pid, &status, 0);
		snprintf(what, sizeof(what),
			 "attacker on queue %u: faults on the victim's address, then works (code %d)",
			 q, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		tap(WIFEXITED(status) && WEXITSTATUS(status) == 0, what);
	}
	for (int i = 0; i < SIZE; i++)
		changed += p[i] != PATTERN;
	tap(changed == 0, "victim's buffer unchanged");
	/* The victim's own jobs still work. */
	struct drm_trn_dma_desc d = tt_write(va, 0x0102030405060708ULL);
	tap(tt_submit_wait(fd, 0, &d, 1, 10) == 0 && p[0] == 8, "victim still submits");
	printf("1..%d\n", tap_n);
	return failures ? 1 : 0;
}
