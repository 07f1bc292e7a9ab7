// SPDX-License-Identifier: GPL-2.0-only
/*
 * Several threads of one process, each on its own queue, submit batches of
 * copies of distinct patterns followed by a WRITE of the batch number, and
 * wait only for the last job of each batch: since a queue completes its
 * jobs in order, every earlier copy and marker of the batch must be in
 * place. Run as several processes at once by t/55-concurrency.sh.
 * Exit status 0 if every check held.
 */
#include <pthread.h>
#include "trn_test.h"

#define THREADS 2
#define JOBS 32
#define BLOCK (64 * 1024)

static int fd;
static struct drm_trn_device_info info;

struct worker {
	unsigned int id, queue;
	unsigned long seed;
	int failed;
	int err;	/* the error of check 3 or 4 */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint32_t hs, hd, hm;
	uint64_t vs, vd, vm;
	uint8_t *ps, *pd;
	volatile uint64_t *pm;

	if (tt_bo_create(fd, JOBS * BLOCK, DRM_TRN_PLACEMENT_HOST, &hs, &vs) ||
	    tt_bo_create(fd, JOBS * BLOCK, DRM_TRN_PLACEMENT_HBM, &hd, &vd) ||
	    tt_bo_create(fd, JOBS * 8, DRM_TRN_PLACEMENT_HOST, &hm, &vm)) {
		w->failed = 1;
		return NULL;
	}
	ps = tt_bo_map(fd, hs, JOBS * BLOCK);
	pd = tt_bo_map(fd, hd, JOBS * BLOCK);
	pm = tt_bo_map(fd, hm, JOBS * 8);
	if (!ps || !pd || !pm) {
		w->failed = 2;
		return NULL;
	}
	for (unsigned int batch = 1; batch <= 8 && !w->failed; batch++) {
		uint8_t tag = (uint8_t)(w->seed * 31 + batch * 7 + w->id);

		for (size_t i = 0; i < (size_t)JOBS * BLOCK; i++)
			ps[i] = (uint8_t)(tag + i / BLOCK);
		for (unsigned int j = 0; j < JOBS; j++) {
			struct drm_trn_dma_desc d[2] = {
				tt_copy(vd + (uint64_t)j * BLOCK, vs + (uint64_t)j * BLOCK, BLOCK),
				tt_write(vm + j * 8, batch),
			};
			struct drm_trn_submit s = {
				.descs = (uintptr_t)d, .desc_count = 2,
				.desc_size = sizeof(d[0]), .queue = w->queue,
			};

			if (j == JOBS - 1) {
				w->err = -tt_submit_wait(fd, w->queue, d, 2, 60);
				if (w->err) {
					w->failed = 3;
					break;
				}
			} else if (drmIoctl(fd, DRM_IOCTL_TRN_SUBMIT, &s)) {
				w->err = errno;
				w->failed = 4;
				break;
			}
		}
		for (unsigned int j = 0; j < JOBS && !w->failed; j++) {
			if (pm[j] != batch)
				w->failed = 5;
			for (size_t i = 0; i < BLOCK; i += 509)
				if (pd[(size_t)j * BLOCK + i] != (uint8_t)(tag + j))
					w->failed = 6;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	int failed = 0;

	fd = tt_open(NULL);
	if (fd < 0 || tt_info(fd, &info))
		return 10;
	for (unsigned int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .id = i, .seed = seed,
					.queue = (unsigned int)(seed * THREADS + i) % info.dma_queues };
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (unsigned int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].failed) {
			fprintf(stderr, "process %lu thread %u (queue %u): check %d failed%s%s\n",
				seed, i, w[i].queue, w[i].failed, w[i].err ? ": " : "",
				w[i].err ? strerror(w[i].err) : "");
			failed = 1;
		}
	}
	return failed;
}
