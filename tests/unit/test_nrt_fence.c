// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of libnrt fences (nrt_fence.c, nrt_fence_pool.c): the
 * mapping of job outcomes to statuses and messages, waiting and polling
 * with DRM_IOCTL_TRN_WAIT, sync_file export, the syncobj cache, fences of
 * several jobs, a driver without the wait ioctl, and threads sharing a
 * device, against a fake kernel.
 *
 * The library objects are linked in directly, and every call they make into
 * the kernel interface is replaced with -Wl,--wrap by the fake kernel of
 * fake_kernel.c (see there), shared by the tests of test_nrt_dma.c,
 * test_nrt_buffer.c, test_nrt_fence.c and the program tests: it runs every
 * job at submission (unless told to keep jobs pending) against buffer
 * objects backed by host memory, so data paths can be checked end to end.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/sync_file.h>
#include <xf86drm.h>
#include "drm/trn_accel.h"

#include "nrt.h"
#include "fake_kernel.h"

/* --- outcomes ---------------------------------------------------------- */

static void test_fence_status_mapping(void **state)
{
	(void)state;
	assert_status(nrt_fence_status(1, 3), NRT_SUCCESS);

	assert_status(nrt_fence_status(0, 3), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(), "job on queue 3 still running");

	assert_status(nrt_fence_status(-EFAULT, 2), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(),
			    "job on queue 2 failed: device address fault");

	assert_status(nrt_fence_status(-ETIMEDOUT, 0), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(),
			    "job on queue 0 failed: timed out on the device (the driver's job timeout expired)");

	assert_status(nrt_fence_status(-ENODEV, 1), NRT_NO_DEVICE);
	assert_string_equal(nrt_last_error(), "job on queue 1 failed: the device is gone");

	assert_status(nrt_fence_status(-ECANCELED, 1), NRT_HW_ERROR);
	assert_error_contains("was reset while it ran");

	assert_status(nrt_fence_status(-EIO, 5), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(), "job on queue 5 failed: Input/output error");

	assert_status(nrt_fence_status(-EFAULT, -1), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(), "job failed: device address fault");

	assert_status(nrt_fence_status(-ENOLINK, 4), NRT_NO_LINK);
	assert_error_contains("NeuronLink port of a peer buffer is down");

	assert_status(nrt_fence_status(-EREMOTEIO, 4), NRT_HW_ERROR);
	assert_error_contains("no longer exports");

	assert_status(nrt_fence_status(2, 0), NRT_FAILURE);
}

/* --- fences ------------------------------------------------------------ */

static void test_fence_pending_and_errors(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_copy_opts opts = NRT_COPY_OPTS_INIT;
	nrt_fence *f = NULL;
	struct timespec ts;
	int64_t now;
	int fd = -1;

	opts.queue = 1;
	fake.defer = true;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, &f), NRT_SUCCESS);
	fake.defer = false;

	assert_status(nrt_fence_poll(f), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(), "job on queue 1 still running");
	assert_true(fake.last_timeout == 0);

	assert_status(nrt_fence_wait(f, 1000000), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(),
			    "job on queue 1 still running after 1000000 ns");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	/* An absolute CLOCK_MONOTONIC deadline, about 1 ms after the call. */
	assert_true(fake.last_timeout > now - 1000000000 &&
		    fake.last_timeout <= now + 1000000);
	assert_status(nrt_fence_wait(f, INT64_MAX), NRT_TIMEOUT);
	assert_true(fake.last_timeout == INT64_MAX);

	/* The sync_file of a pending fence. */
	assert_status(nrt_fence_export_fd(f, &fd), NRT_SUCCESS);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	/* The job timed out in the device: TIMEOUT, but a different text. */
	fake_complete(nrt_fence_syncobj(f, 0), -ETIMEDOUT);
	assert_status(nrt_fence_wait(f, -1), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(),
			    "job on queue 1 failed: timed out on the device (the driver's job timeout expired)");
	nrt_fence_free(f);

	/* A fault, and it stays reported. */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, &f), NRT_SUCCESS);
	fake.fail_submit = 0;
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(), "job on queue 1 failed: device address fault");
	assert_status(nrt_fence_poll(f), NRT_HW_ERROR);
	assert_status(nrt_fence_export_fd(f, &fd), NRT_SUCCESS);
	close(fd);
	nrt_fence_free(f);

	/* A synchronous copy that faults. */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, NULL), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(),
			    "nrt_copy: job on queue 1 failed: device address fault");
	fake.fail_submit = 0;

	/* Freeing an unsignalled fence is allowed. */
	fake.defer = true;
	assert_status(nrt_copy(b, 0, a, 0, 64, NULL, &f), NRT_SUCCESS);
	fake.defer = false;
	nrt_fence_free(f);

	/* NULL arguments. */
	assert_status(nrt_fence_wait(NULL, 0), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_fence_wait: fence is NULL");
	assert_status(nrt_fence_poll(NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_fence_poll: fence is NULL");
	assert_status(nrt_fence_export_fd(NULL, &fd), NRT_INVALID);
	assert_status(nrt_copy(b, 0, a, 0, 64, NULL, &f), NRT_SUCCESS);
	assert_status(nrt_fence_export_fd(f, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_fence_export_fd: fd is NULL");
	nrt_fence_free(f);
	nrt_fence_free(NULL);

	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

static void test_fence_export_merged(void **state)
{
	struct env *e = *state;
	nrt_buffer *a, *b;
	nrt_fence *f = NULL;
	struct sync_file_info info;
	int fd = -1;

	fake.kinfo.max_descs = 1;
	fake.kinfo.hbm_size = 8 * GIB;
	nrt_device_close(e->dev);
	e->dev = open_ok(0);
	a = alloc_ok(e->dev, 2 * GIB + 1, NRT_PLACEMENT_HBM);
	b = alloc_ok(e->dev, 2 * GIB + 1, NRT_PLACEMENT_HBM);

	/* Three jobs; the second faults. */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits + 1;
	assert_status(nrt_copy(b, 0, a, 0, 2 * GIB + 1, NULL, &f), NRT_SUCCESS);
	fake.fail_submit = 0;
	assert_int_equal(nrt_fence_jobs(f), 3);
	assert_status(nrt_fence_export_fd(f, &fd), NRT_SUCCESS);
	memset(&info, 0, sizeof(info));
	assert_int_equal(ioctl(fd, SYNC_IOC_FILE_INFO, &info), 0);
	assert_int_equal(info.status, -EFAULT);
	close(fd);
	nrt_fence_free(f);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

static void test_syncobj_cache(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_fence *f[NRT_SYNCOBJ_CACHE + 8];
	unsigned int i, live;

	for (i = 0; i < 10; i++)
		assert_status(nrt_copy(b, 0, a, 0, 1, NULL, NULL), NRT_SUCCESS);
	/* Synchronous copies reuse one syncobj. */
	assert_int_equal(fake.live_syncobjs, 1);

	for (i = 0; i < NRT_SYNCOBJ_CACHE + 8; i++)
		assert_status(nrt_copy(b, 0, a, 0, 1, NULL, &f[i]), NRT_SUCCESS);
	live = fake.live_syncobjs;
	assert_int_equal(live, NRT_SYNCOBJ_CACHE + 8);
	for (i = 0; i < NRT_SYNCOBJ_CACHE + 8; i++)
		nrt_fence_free(f[i]);
	/* The cache keeps at most NRT_SYNCOBJ_CACHE. */
	assert_int_equal(fake.live_syncobjs, NRT_SYNCOBJ_CACHE);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* --- DRM_IOCTL_TRN_WAIT ---------------------------------------------- */

/* The argument of the last wait: the syncobj of job @job of @f, nothing else. */
static void assert_waited_for(const nrt_fence *f, unsigned int job)
{
	assert_int_equal(fake.last_wait.handle, nrt_fence_syncobj(f, job));
	assert_int_equal(fake.last_wait.flags, 0);
	assert_int_equal(fake.last_wait.pad, 0);
}

/* One wait learns a job's outcome; the fence keeps it. */
static void test_wait_one_call(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	static const nrt_dma_desc nop = { .opcode = NRT_DMA_OP_NOP };
	nrt_fence *f[8];
	unsigned int i, waits;
	int fd = -1;

	for (i = 0; i < 8; i++) {
		assert_status(nrt_copy(b, i, a, 0, 100, NULL, &f[i]), NRT_SUCCESS);
		/* The job is the copy alone. */
		assert_int_equal(fake_last(0)->count, 1);
		assert_int_equal(fake_last(0)->descs[0].opcode, DRM_TRN_DMA_OP_COPY);
		assert_int_equal(fake_last(0)->out, nrt_fence_syncobj(f[i], 0));
	}
	for (i = 0; i < 8; i++) {
		waits = fake.waits;
		assert_status(nrt_fence_poll(f[i]), NRT_SUCCESS);
		assert_int_equal(fake.waits, waits + 1);
		assert_waited_for(f[i], 0);
		assert_true(fake.last_wait.timeout_ns == 0);
		/* Known now: no more system calls. */
		assert_status(nrt_fence_wait(f[i], -1), NRT_SUCCESS);
		assert_status(nrt_fence_wait(f[i], 1000), NRT_SUCCESS);
		assert_status(nrt_fence_poll(f[i]), NRT_SUCCESS);
		assert_int_equal(fake.waits, waits + 1);
		nrt_fence_free(f[i]);
	}
	assert_no_status_query(0, 0);

	/* Synchronous copies, fills and raw jobs: one wait each. */
	waits = fake.waits;
	assert_status(nrt_copy(b, 0, a, 0, 64, NULL, NULL), NRT_SUCCESS);
	assert_status(nrt_fill(b, 0, 64, 3, NULL, NULL), NRT_SUCCESS);
	assert_status(nrt_submit_raw(e->dev, 0, &nop, 1, NULL, 0, NULL), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->count, 1);
	assert_int_equal(fake.waits, waits + 3);
	assert_true(fake.last_wait.timeout_ns == INT64_MAX);
	assert_no_status_query(0, 0);

	/* A fence of no job waits for nothing. */
	waits = fake.waits;
	assert_status(nrt_copy(b, 0, a, 0, 0, NULL, &f[0]), NRT_SUCCESS);
	assert_status(nrt_fence_wait(f[0], -1), NRT_SUCCESS);
	assert_int_equal(fake.waits, waits);
	nrt_fence_free(f[0]);

	/* Exporting still works on a fence whose outcome is known. */
	assert_status(nrt_copy(b, 0, a, 0, 64, NULL, &f[0]), NRT_SUCCESS);
	assert_status(nrt_fence_wait(f[0], -1), NRT_SUCCESS);
	assert_status(nrt_fence_export_fd(f[0], &fd), NRT_SUCCESS);
	close(fd);
	nrt_fence_free(f[0]);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* A job's error comes with the wait; a failed wait is the call's error. */
static void test_wait_errors(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_copy_opts opts = NRT_COPY_OPTS_INIT;
	nrt_dma_desc d[2];
	nrt_fence *f = NULL;
	unsigned int waits;
	char node_msg[128];

	/* A descriptor faults: the status of the wait says so. */
	memset(d, 0, sizeof(d));
	d[0].opcode = NRT_DMA_OP_COPY;
	d[0].src = fake.kinfo.va_end - PAGE;
	d[0].dst = nrt_buffer_va(b);
	d[0].len = 16;
	d[1].opcode = NRT_DMA_OP_NOP;
	assert_status(nrt_submit_raw(e->dev, 1, d, 2, NULL, 0, &f), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->count, 2);
	waits = fake.waits;
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(), "job on queue 1 failed: device address fault");
	/* The outcome is kept: no more waits. */
	assert_status(nrt_fence_poll(f), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(), "job on queue 1 failed: device address fault");
	assert_int_equal(fake.waits, waits + 1);
	nrt_fence_free(f);

	/* The job timed out in the device, after a poll that found it running. */
	opts.queue = 3;
	fake.defer = true;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, &f), NRT_SUCCESS);
	fake.defer = false;
	assert_status(nrt_fence_poll(f), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(), "job on queue 3 still running");
	fake_complete(nrt_fence_syncobj(f, 0), -ETIMEDOUT);
	assert_status(nrt_fence_wait(f, -1), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(),
			    "job on queue 3 failed: timed out on the device (the driver's job timeout expired)");
	nrt_fence_free(f);

	/* Signalled without error later: success. */
	fake.defer = true;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, &f), NRT_SUCCESS);
	fake.defer = false;
	assert_status(nrt_fence_wait(f, 5000), NRT_TIMEOUT);
	fake_complete(nrt_fence_syncobj(f, 0), 1);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	nrt_fence_free(f);

	/* The wait itself fails: its errno, and the job's outcome stays open. */
	snprintf(node_msg, sizeof(node_msg), "wait for the job on queue 3 of %s", node(e));
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, &f), NRT_SUCCESS);
	fake.wait_errno = ENODEV;
	fake.wait_errno_count = 1;
	assert_status(nrt_fence_wait(f, -1), NRT_NO_DEVICE);
	assert_error_contains(node_msg);
	assert_true(nrt_fence_pending(f));
	fake.wait_errno = ENOMEM;
	fake.wait_errno_count = 1;
	assert_status(nrt_fence_poll(f), NRT_RESOURCE);
	assert_error_contains(node_msg);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	nrt_fence_free(f);

	/* A synchronous copy whose wait fails reports it, prefixed. */
	fake.wait_errno = EIO;
	fake.wait_errno_count = 1;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, NULL), NRT_FAILURE);
	assert_error_contains("nrt_copy: wait for the job on queue 3");
	assert_error_contains("Input/output error");

	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* Reopen the device of @e with a descriptor limit of @max_descs. */
static void reopen_with_max_descs(struct env *e, uint32_t max_descs)
{
	fake.kinfo.hbm_size = 8 * GIB;
	fake.kinfo.max_descs = max_descs;
	nrt_device_close(e->dev);
	e->dev = open_ok(0);
}

/* A fence of several jobs waits for each, and reports the first failure. */
static void test_wait_split(void **state)
{
	struct env *e = *state;
	const uint64_t len = 2 * GIB + 1;
	nrt_buffer *a, *b;
	nrt_fence *f = NULL;
	unsigned int i, waits;

	reopen_with_max_descs(e, 1);
	a = alloc_ok(e->dev, (size_t)len, NRT_PLACEMENT_HBM);
	b = alloc_ok(e->dev, (size_t)len, NRT_PLACEMENT_HBM);

	/* 3 descriptors of data: 3 jobs on one queue. */
	assert_status(nrt_copy(b, 0, a, 0, (size_t)len, NULL, &f), NRT_SUCCESS);
	assert_int_equal(nrt_fence_jobs(f), 3);
	for (i = 0; i < 3; i++) {
		const struct fake_submit *s = fake_last(2 - i);

		assert_int_equal(s->count, 1);
		assert_true(s->descs[0].src == nrt_buffer_va(a) + i * GIB);
		assert_int_equal(s->queue, fake_last(0)->queue);
		assert_int_equal(s->out, nrt_fence_syncobj(f, i));
	}
	waits = fake.waits;
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_int_equal(fake.waits, waits + 3);
	assert_waited_for(f, 2);
	nrt_fence_free(f);

	/* The middle job faults: reported, and the last is not waited for. */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits + 1;
	assert_status(nrt_copy(b, 0, a, 0, (size_t)len, NULL, &f), NRT_SUCCESS);
	fake.fail_submit = 0;
	waits = fake.waits;
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	assert_error_contains("failed: device address fault");
	assert_int_equal(fake.waits, waits + 2);
	assert_waited_for(f, 1);
	nrt_fence_free(f);

	/* The last job still runs: pending until it is done. */
	fake.defer = true;
	assert_status(nrt_copy(b, 0, a, 0, (size_t)len, NULL, &f), NRT_SUCCESS);
	fake.defer = false;
	fake_complete(nrt_fence_syncobj(f, 0), 1);
	fake_complete(nrt_fence_syncobj(f, 1), 1);
	assert_status(nrt_fence_poll(f), NRT_TIMEOUT);
	assert_waited_for(f, 2);
	fake_complete(nrt_fence_syncobj(f, 2), 1);
	assert_status(nrt_fence_poll(f), NRT_SUCCESS);
	nrt_fence_free(f);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* Raw jobs are the caller's descriptors as they are, up to max_descs. */
static void test_wait_raw(void **state)
{
	struct env *e = *state;
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_dma_desc d[65];
	nrt_fence *f = NULL;
	unsigned int i;
	uint64_t v;

	memset(d, 0, sizeof(d));
	for (i = 0; i < 65; i++) {
		d[i].opcode = NRT_DMA_OP_WRITE;
		d[i].dst = nrt_buffer_va(b) + 8 * (i % 64);
		d[i].len = 1000 + i;
	}

	assert_status(nrt_submit_raw(e->dev, 1, d, 20, NULL, 0, &f), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->count, 20);
	for (i = 0; i < 8; i++)
		assert_true(fake_last(0)->descs[i].len == 1000 + i);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	nrt_fence_free(f);
	memcpy(&v, fake_mem(b) + 8 * 19, 8);
	assert_true(v == 1019);

	/* A full job. */
	assert_status(nrt_submit_raw(e->dev, 1, d, 64, NULL, 0, NULL), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->count, 64);
	memcpy(&v, fake_mem(b) + 8 * 63, 8);
	assert_true(v == 1063);
	/* One more does not fit a job. */
	assert_status(nrt_submit_raw(e->dev, 1, d, 65, NULL, 0, NULL), NRT_INVALID);
	assert_error_contains("count 65 exceeds the limit");

	/* A rejected job: the message counts the caller's descriptors. */
	d[0].opcode = 0x80;
	assert_status(nrt_submit_raw(e->dev, 0, d, 2, NULL, 0, NULL), NRT_INVALID);
	assert_error_contains("nrt_submit_raw: submission of a job of 2 descriptors to queue 0");
	assert_no_status_query(0, 0);
	nrt_buffer_free(b);
}

/*
 * A kernel driver before 0.5 has no DRM_IOCTL_TRN_WAIT: the library runs no
 * jobs on it, says why, and moves data with the CPU.
 */
static void test_driver_without_wait(void **state)
{
	struct env *e = *state;
	const size_t len = 256 * KIB;
	unsigned char *in = malloc(len), *out = malloc(len);
	nrt_buffer *a, *b;
	nrt_program *p;
	char msg[160];

	assert_non_null(in);
	assert_non_null(out);
	fake.kinfo.driver_version_minor = 4;
	nrt_device_close(e->dev);
	e->dev = open_ok(0);
	a = alloc_ok(e->dev, len, NRT_PLACEMENT_HOST);
	b = alloc_ok(e->dev, len, NRT_PLACEMENT_HBM);

	snprintf(msg, sizeof(msg),
		 "the kernel driver of %s is version 0.4: jobs need 0.5 or later (DRM_IOCTL_TRN_WAIT)",
		 node(e));
	assert_status(nrt_copy(b, 0, a, 0, 64, NULL, NULL), NRT_UNSUPPORTED);
	assert_error_contains(msg);
	assert_status(nrt_fill(b, 0, 64, 1, NULL, NULL), NRT_UNSUPPORTED);
	p = program_ok(e->dev);
	assert_status(nrt_program_sem_signal(p, 0, 1), NRT_SUCCESS);
	assert_status(nrt_program_finalize(p), NRT_SUCCESS);
	assert_status(nrt_program_run(p, 0, NULL, NULL), NRT_UNSUPPORTED);
	assert_error_contains(msg);
	nrt_program_free(p);

	/* Large transfers are not staged through DMA: no job at all. */
	fill_pattern(in, len, 9);
	assert_status(nrt_buffer_write(b, 0, in, len), NRT_SUCCESS);
	assert_status(nrt_buffer_read(b, 0, out, len), NRT_SUCCESS);
	assert_memory_equal(in, out, len);
	assert_int_equal(fake.submits, 0);
	assert_int_equal(fake.waits, 0);

	nrt_buffer_free(a);
	nrt_buffer_free(b);
	free(in);
	free(out);
}

/* --- threads ----------------------------------------------------------- */

struct worker {
	nrt_device *dev;
	unsigned int id;
	char error[512];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const size_t len = 80 * KIB + w->id;
	unsigned char *in = malloc(len), *out = malloc(len);
	nrt_buffer *host = NULL, *hbm = NULL;
	nrt_fence *f[16];
	unsigned int i;
	nrt_status st;

	if (!in || !out) {
		snprintf(w->error, sizeof(w->error), "out of memory");
		goto out;
	}
	fill_pattern(in, len, w->id);
	if (nrt_buffer_alloc(w->dev, len, NRT_PLACEMENT_HOST, &host) ||
	    nrt_buffer_alloc(w->dev, len, NRT_PLACEMENT_HBM, &hbm)) {
		snprintf(w->error, sizeof(w->error), "alloc: %s", nrt_last_error());
		goto out;
	}
	for (i = 0; i < 16; i++) {
		/* Staged write and read, and async copies, all at once. */
		st = nrt_buffer_write(hbm, 0, in, len);
		if (!st)
			st = nrt_copy(host, 0, hbm, 0, len, NULL, &f[i]);
		if (st) {
			snprintf(w->error, sizeof(w->error), "round %u: %s", i,
				 nrt_last_error());
			while (i--)
				nrt_fence_free(f[i]);
			goto out;
		}
	}
	for (i = 16; i-- > 0;) {
		st = nrt_fence_wait(f[i], -1);
		if (st && !w->error[0])
			snprintf(w->error, sizeof(w->error), "wait %u: %s", i,
				 nrt_last_error());
		nrt_fence_free(f[i]);
	}
	if (!w->error[0] && (nrt_buffer_read(host, 0, out, len) ||
			     memcmp(in, out, len)))
		snprintf(w->error, sizeof(w->error), "data differs");
out:
	nrt_buffer_free(host);
	nrt_buffer_free(hbm);
	free(in);
	free(out);
	return NULL;
}

static void test_threads(void **state)
{
	struct env *e = *state;
	struct worker w[6];
	pthread_t th[6];
	unsigned int i;

	for (i = 0; i < 6; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].dev = e->dev;
		w[i].id = i + 1;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (w[i].error[0])
			fail_msg("thread %u: %s", i, w[i].error);
	}
	/* Every outcome came with a wait, none through a sync_file. */
	assert_no_status_query(0, 0);
	assert_true(fake.waits > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fence_status_mapping),
		cmocka_unit_test_setup_teardown(test_fence_pending_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fence_export_merged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_one_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_without_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_fence", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
