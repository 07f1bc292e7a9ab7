// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest test of how files share a queue (Documentation/uapi.rst, "Sharing
 * the queues"), through the raw uapi, against the driver loaded with a job
 * timeout T of a few seconds (tests/vm/lib.sh):
 *
 * - a file whose jobs block the ring delays another file's job by about one
 *   T, not one T per blocked job, and its blocked jobs fail with ETIMEDOUT;
 *   also with jobs of max_descs descriptors, and when two files fill the
 *   ring between them (about one T per file ahead);
 * - one file pipelining jobs that each last less than T, alone, and two
 *   files alternating such jobs, see no timeout;
 * - close() of a file with many queued jobs returns at once, and its jobs
 *   end with an error within a few T, its memory freed;
 * - "cap" (run as `test_fair cap`, with max_file_jobs=16): at the cap,
 *   SUBMIT fails with EAGAIN on an O_NONBLOCK file, and otherwise sleeps
 *   until a job of the file ends, or a signal comes (EINTR).
 *
 * Durations are set by semaphores: a job waits on SEM_WAIT until a job of
 * the same file on another queue signals it, at a time the test chooses.
 * Time bounds have wide margins but are well below what the driver did
 * before this sharing (noted with each).
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include "trn_test.h"

#define NS_PER_MS	1000000LL

static const char *node;
static char sysdev[256];
static struct drm_trn_device_info info;
static int64_t timeout_ns;	/* the driver's job_timeout_ms */

static unsigned long long sysfs_u64(const char *attr)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", sysdev, attr);
	return tt_read_u64(path);
}

static int setup(void **state)
{
	int fd;

	(void)state;
	node = getenv("TRN_NODE") ? getenv("TRN_NODE") : "/dev/accel/accel0";
	fd = tt_open(node);
	if (fd < 0 || tt_info(fd, &info))
		return -1;
	close(fd);
	snprintf(sysdev, sizeof(sysdev), "/sys/class/accel/%s/device", strrchr(node, '/') + 1);
	timeout_ns = (int64_t)tt_read_u64("/sys/module/trn/parameters/job_timeout_ms") * NS_PER_MS;
	/* The semaphores are signalled from a second queue. */
	return info.dma_queues >= 2 && info.num_sems > 8 && timeout_ns > 0 &&
	       timeout_ns <= 10000 * NS_PER_MS ? 0 : -1;
}

static struct drm_trn_dma_desc sem_wait(uint32_t sem, uint64_t value)
{
	return (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_SEM_WAIT,
					  .aux = sem, .len = value };
}

/* Submit one SEM_WAIT job: it ends once the semaphore reaches @value. */
static uint32_t submit_wait(int fd, uint32_t queue, uint32_t sem, uint64_t value)
{
	struct drm_trn_dma_desc d = sem_wait(sem, value);
	uint32_t so;

	assert_int_equal(tt_submit(fd, queue, &d, 1, &so), 0);
	return so;
}

/* Add one to semaphore @sem of @fd's address space, from queue 1. */
static void signal_sem(int fd, uint32_t sem)
{
	struct drm_trn_dma_desc d = { .opcode = DRM_TRN_DMA_OP_SEM_SIGNAL, .aux = sem, .len = 1 };

	assert_int_equal(tt_submit_wait(fd, 1, &d, 1, 60), 0);
}

/* The job of @so ended (60 s at most): its status, 0 or an error. */
static int32_t job_status(int fd, uint32_t so)
{
	int32_t status = 1;

	assert_int_equal(tt_wait(fd, so, tt_now_ns() + 60000 * NS_PER_MS, &status), 0);
	return status;
}

static void sleep_until(int64_t when_ns)
{
	struct timespec ts = { .tv_sec = when_ns / 1000000000LL,
			       .tv_nsec = when_ns % 1000000000LL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * File A queues 8 jobs that nothing will ever let finish; file B's NOP,
 * queued behind, ends within about one T, where it took 8 T before, and
 * A's jobs all fail with ETIMEDOUT.
 */
static void test_blocked_neighbour(void **state)
{
	struct drm_trn_dma_desc nop = { .opcode = DRM_TRN_DMA_OP_NOP };
	int a = tt_open(node), b = tt_open(node);
	uint32_t so[8], nso;
	int64_t t0, took;
	int i;

	(void)state;
	assert_true(a >= 0 && b >= 0);
	for (i = 0; i < 8; i++)
		so[i] = submit_wait(a, 0, 2, 1);
	t0 = tt_now_ns();
	assert_int_equal(tt_submit(b, 0, &nop, 1, &nso), 0);
	assert_int_equal(job_status(b, nso), 0);
	took = tt_now_ns() - t0;
	print_message("B's NOP behind 8 blocked jobs of A: %lld ms (T = %lld ms)\n",
		      (long long)(took / NS_PER_MS), (long long)(timeout_ns / NS_PER_MS));
	assert_true(took < 3 * timeout_ns + 2000 * NS_PER_MS);
	for (i = 0; i < 8; i++)
		assert_int_equal(job_status(a, so[i]), -ETIMEDOUT);
	close(a);
	close(b);
}

/* Submit @n jobs of max_descs descriptors, a SEM_WAIT on @sem then NOPs. */
static void submit_big(int fd, uint32_t sem, uint32_t *so, int n)
{
	struct drm_trn_dma_desc *d = calloc(info.max_descs, sizeof(*d));
	int i;

	assert_non_null(d);
	d[0] = sem_wait(sem, 1);
	for (i = 0; i < n; i++)
		assert_int_equal(tt_submit(fd, 0, d, info.max_descs, &so[i]), 0);
	free(d);
}

/* Release @fd's jobs held on @sem: each ended in time, or timed out. */
static void release_big(int fd, uint32_t sem, const uint32_t *so, int n)
{
	int32_t status;
	int i;

	signal_sem(fd, sem);
	for (i = 0; i < n; i++) {
		status = job_status(fd, so[i]);
		assert_true(status == 0 || status == -ETIMEDOUT);
	}
}

/*
 * Jobs as large as the query allows: file A queues 6, held by a SEM_WAIT;
 * file B's NOP ends within about one T. It took 6 T when such a job was
 * larger than a file's share of the ring: the scheduler's credit check on
 * A's next job then let no other file in until A's ring was empty.
 */
static void test_big_jobs(void **state)
{
	struct drm_trn_dma_desc nop = { .opcode = DRM_TRN_DMA_OP_NOP };
	int a = tt_open(node), b = tt_open(node);
	uint32_t so[6], nso;
	int64_t t0, took;

	(void)state;
	assert_true(a >= 0 && b >= 0);
	submit_big(a, 7, so, 6);
	usleep(300000);
	t0 = tt_now_ns();
	assert_int_equal(tt_submit(b, 0, &nop, 1, &nso), 0);
	assert_int_equal(job_status(b, nso), 0);
	took = tt_now_ns() - t0;
	print_message("B's NOP behind 6 blocked jobs of A of %u descriptors: %lld ms\n",
		      info.max_descs, (long long)(took / NS_PER_MS));
	assert_true(took < 3 * timeout_ns + 2000 * NS_PER_MS);
	release_big(a, 7, so, 6);
	close(a);
	close(b);
}

/*
 * Two files, A and B, alternate 6 blocked jobs each of max_descs
 * descriptors (a file's whole share of the ring with the CONTEXT one), so
 * that together they fill the ring; file C's NOP, which finds no room,
 * ends within about one T per file ahead of it. It took 12 T when the
 * room in the ring was the scheduler's credits: C waited there, seen by no
 * deadline, until A and B had nothing left.
 */
static void test_full_ring(void **state)
{
	struct drm_trn_dma_desc nop = { .opcode = DRM_TRN_DMA_OP_NOP };
	int a = tt_open(node), b = tt_open(node), c = tt_open(node);
	uint32_t so[2][6], nso;
	int64_t t0, took;
	int i;

	(void)state;
	assert_true(a >= 0 && b >= 0 && c >= 0);
	for (i = 0; i < 6; i++) {
		submit_big(a, 8, &so[0][i], 1);
		submit_big(b, 8, &so[1][i], 1);
	}
	usleep(300000);
	t0 = tt_now_ns();
	assert_int_equal(tt_submit(c, 0, &nop, 1, &nso), 0);
	assert_int_equal(job_status(c, nso), 0);
	took = tt_now_ns() - t0;
	print_message("C's NOP behind 2 x 6 blocked jobs of %u descriptors: %lld ms\n",
		      info.max_descs, (long long)(took / NS_PER_MS));
	assert_true(took < 3 * timeout_ns + 2000 * NS_PER_MS);
	release_big(a, 8, so[0], 6);
	release_big(b, 8, so[1], 6);
	close(a);
	close(b);
	close(c);
}

/*
 * One file alone pipelines 3 jobs of 0.6 T each: 1.8 T in all, more than
 * T, but each job has T from when it reaches the head of the ring.
 */
static void test_pipeline_alone(void **state)
{
	int a = tt_open(node);
	uint32_t so[3];
	int64_t t0;
	int i;

	(void)state;
	assert_true(a >= 0);
	for (i = 0; i < 3; i++)
		so[i] = submit_wait(a, 0, 3, i + 1);
	t0 = tt_now_ns();
	for (i = 0; i < 3; i++) {
		sleep_until(t0 + (i + 1) * timeout_ns * 6 / 10);
		signal_sem(a, 3);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(job_status(a, so[i]), 0);
	close(a);
}

/*
 * Two files alternate jobs of 0.6 T each on one queue, 3 each, released in
 * the order they were queued: 3.6 T in all, and each job waits for the
 * other file's, yet none times out.
 */
static void test_interleaved(void **state)
{
	int f[2] = { tt_open(node), tt_open(node) };
	uint32_t so[2][3];
	int64_t t0;
	int i, k;

	(void)state;
	assert_true(f[0] >= 0 && f[1] >= 0);
	for (i = 0; i < 3; i++)
		for (k = 0; k < 2; k++)
			so[k][i] = submit_wait(f[k], 0, 4, i + 1);
	t0 = tt_now_ns();
	for (i = 0; i < 6; i++) {
		sleep_until(t0 + (i + 1) * timeout_ns * 6 / 10);
		signal_sem(f[i % 2], 4);
	}
	for (i = 0; i < 3; i++)
		for (k = 0; k < 2; k++)
			assert_int_equal(job_status(f[k], so[k][i]), 0);
	close(f[0]);
	close(f[1]);
}

/*
 * close() of a file with 12 blocked jobs of 1000 descriptors, most of them
 * not in the ring yet: it returns at once (before, it waited until all had
 * entered the ring, 8 T), every job ends with an error within a few T
 * (before, 12 T), ETIMEDOUT for those in the ring and ESRCH for the others,
 * and the file's memory goes back.
 */
static void test_close_queued(void **state)
{
	enum { JOBS = 12, DESCS = 1000 };
	unsigned long long hbm = sysfs_u64("hbm_used"), bos = sysfs_u64("buffer_objects");
	struct drm_trn_dma_desc *d = calloc(DESCS, sizeof(*d));
	struct pollfd pfd[JOBS];
	int a = tt_open(node), cancelled = 0, timed_out = 0, i;
	int64_t t0, took;
	uint32_t so, h;
	uint64_t va;

	(void)state;
	assert_true(a >= 0 && d);
	assert_int_equal(tt_bo_create(a, 1 << 20, DRM_TRN_PLACEMENT_HBM, &h, &va), 0);
	assert_true(sysfs_u64("hbm_used") > hbm);
	d[0] = sem_wait(5, 1);		/* the rest are NOPs */
	for (i = 0; i < JOBS; i++) {
		assert_int_equal(tt_submit(a, 0, d, DESCS, &so), 0);
		assert_int_equal(drmSyncobjExportSyncFile(a, so, &pfd[i].fd), 0);
		pfd[i].events = POLLIN;
		/* Time for the first jobs to enter the ring. */
		if (!i)
			usleep(300000);
	}
	t0 = tt_now_ns();
	close(a);
	took = tt_now_ns() - t0;
	print_message("close() with %d blocked jobs queued: %lld ms\n", JOBS,
		      (long long)(took / NS_PER_MS));
	assert_true(took < 2000 * NS_PER_MS);

	for (i = 0; i < JOBS; i++) {
		struct sync_fence_info fi = { 0 };
		struct sync_file_info si = { .num_fences = 1, .sync_fence_info = (uintptr_t)&fi };
		int64_t left = t0 + 3 * timeout_ns + 5000 * NS_PER_MS - tt_now_ns();

		assert_int_equal(poll(&pfd[i], 1, left > 0 ? (int)(left / NS_PER_MS) : 0), 1);
		assert_int_equal(ioctl(pfd[i].fd, SYNC_IOC_FILE_INFO, &si), 0);
		assert_true(fi.status == -ETIMEDOUT || fi.status == -ESRCH);
		cancelled += fi.status == -ESRCH;
		timed_out += fi.status == -ETIMEDOUT;
		close(pfd[i].fd);
	}
	print_message("all ended in %lld ms: %d timed out in the ring, %d cancelled\n",
		      (long long)((tt_now_ns() - t0) / NS_PER_MS), timed_out, cancelled);
	assert_true(cancelled > 0);
	for (i = 0; i < 300 && (sysfs_u64("hbm_used") != hbm ||
				sysfs_u64("buffer_objects") != bos); i++)
		usleep(100000);
	assert_int_equal(sysfs_u64("hbm_used"), hbm);
	assert_int_equal(sysfs_u64("buffer_objects"), bos);
	free(d);
}

/* --- the cap on a file's unfinished jobs (max_file_jobs) */

struct blocked_submit {
	int fd;
	pthread_t thread;
	volatile bool done;
	int ret;	/* 0 or -errno */
};

static void *submit_thread(void *arg)
{
	struct blocked_submit *bs = arg;
	struct drm_trn_dma_desc d = sem_wait(6, 1);
	struct drm_trn_submit s = { .descs = (uintptr_t)&d, .desc_count = 1,
				    .desc_size = sizeof(d) };

	/* Not drmIoctl(): it restarts on EINTR. */
	bs->ret = ioctl(bs->fd, DRM_IOCTL_TRN_SUBMIT, &s) ? -errno : 0;
	bs->done = true;
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

static void test_cap(void **state)
{
	struct drm_trn_dma_desc nop = { .opcode = DRM_TRN_DMA_OP_NOP }, wait = sem_wait(6, 1);
	struct drm_trn_submit s = { .descs = (uintptr_t)&wait, .desc_count = 1,
				    .desc_size = sizeof(wait) };
	unsigned int cap = tt_read_u64("/sys/module/trn/parameters/max_file_jobs");
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct blocked_submit bs = { 0 };
	uint32_t i;
	int a;

	(void)state;
	/* Run with a small cap (t/57-fair.sh), so that it is reached at once. */
	assert_true(cap >= 1 && cap <= 64);
	a = open(node, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	assert_true(a >= 0);
	/* All well before the first of them times out (T). */
	for (i = 0; i < cap; i++)
		submit_wait(a, 0, 6, 1);
	/* Not drmIoctl(): it retries on EAGAIN. */
	assert_int_equal(ioctl(a, DRM_IOCTL_TRN_SUBMIT, &s), -1);
	assert_int_equal(errno, EAGAIN);
	/* The cap is per queue. */
	assert_int_equal(tt_submit_wait(a, 1, &nop, 1, 60), 0);

	/* Blocking: a signal interrupts the wait. */
	assert_int_equal(fcntl(a, F_SETFL, 0), 0);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	bs.fd = a;
	assert_int_equal(pthread_create(&bs.thread, NULL, submit_thread, &bs), 0);
	usleep(300000);
	assert_false(bs.done);
	pthread_kill(bs.thread, SIGUSR1);
	pthread_join(bs.thread, NULL);
	assert_int_equal(bs.ret, -EINTR);

	/* And it returns once a job of the file ends: the first times out. */
	bs.done = false;
	assert_int_equal(pthread_create(&bs.thread, NULL, submit_thread, &bs), 0);
	usleep(300000);
	assert_false(bs.done);
	for (i = 0; i < 600 && !bs.done; i++)
		usleep(100000);
	assert_true(bs.done);
	pthread_join(bs.thread, NULL);
	assert_int_equal(bs.ret, 0);
	close(a);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest sharing[] = {
		cmocka_unit_test(test_blocked_neighbour),
		cmocka_unit_test(test_big_jobs),
		cmocka_unit_test(test_full_ring),
		cmocka_unit_test(test_pipeline_alone),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_close_queued),
	};
	const struct CMUnitTest cap[] = {
		cmocka_unit_test(test_cap),
	};

	if (argc > 1 && !strcmp(argv[1], "cap"))
		return cmocka_run_group_tests_name("fair-cap", cap, setup, NULL);
	return cmocka_run_group_tests_name("fair", sharing, setup, NULL);
}
