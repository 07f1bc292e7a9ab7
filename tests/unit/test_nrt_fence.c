// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of libnrt fences (nrt_fence.c, nrt_fence_pool.c): the
 * mapping of job outcomes to statuses and messages, waiting and polling,
 * sync_file export, the syncobj cache, completion markers and their slots,
 * and threads sharing a device, against a fake kernel.
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
	assert_error_contains("cancelled");

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

/* --- completion markers ----------------------------------------------- */

/* The marker state of @dev's fence pool: untried before there is a pool. */
static int marks_state(const nrt_device *dev)
{
	struct nrt_fence_pool *p = nrt_fence_pool_of(dev);

	return p ? atomic_load(&p->marks_state) : NRT_MARKS_UNTRIED;
}

/* Successful jobs are known by their markers: no sync_file round trip. */
static void test_marker_fast_path(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_fence *f[8];
	uint64_t tokens[8], dsts[8];
	unsigned int i, k, created = fake.bos_created;

	/* The status buffer is made on the first submission, not before. */
	assert_int_equal(marks_state(e->dev), NRT_MARKS_UNTRIED);
	for (i = 0; i < 8; i++) {
		assert_status(nrt_copy(b, i, a, 0, 100, NULL, &f[i]), NRT_SUCCESS);
		tokens[i] = fake_marker(fake_last(0), 1);
		dsts[i] = fake_last(0)->descs[1].dst;
		/* The device wrote the token to the slot. */
		assert_true(*fake_marker_slot(fake_last(0)) == tokens[i]);
	}
	assert_int_equal(marks_state(e->dev), NRT_MARKS_READY);
	assert_int_equal(fake.bos_created - created, 1);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, NRT_MARK_SLOTS - 8);
	/* Unique tokens, and a slot of its own for every live fence. */
	for (i = 0; i < 8; i++) {
		for (k = 0; k < i; k++) {
			assert_true(tokens[i] != tokens[k]);
			assert_true(dsts[i] != dsts[k]);
		}
	}
	for (i = 0; i < 8; i++) {
		assert_status(nrt_fence_poll(f[i]), NRT_SUCCESS);
		assert_status(nrt_fence_wait(f[i], -1), NRT_SUCCESS);
		assert_status(nrt_fence_wait(f[i], 1000), NRT_SUCCESS);
		nrt_fence_free(f[i]);
	}
	assert_no_status_query(0, 0);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, NRT_MARK_SLOTS);

	/* Synchronous copies, fills and raw jobs too. */
	assert_status(nrt_copy(b, 0, a, 0, 64, NULL, NULL), NRT_SUCCESS);
	assert_status(nrt_fill(b, 0, 64, 3, NULL, NULL), NRT_SUCCESS);
	{
		static const nrt_dma_desc nop = { .opcode = NRT_DMA_OP_NOP };

		assert_status(nrt_submit_raw(e->dev, 0, &nop, 1, NULL, 0, NULL),
			      NRT_SUCCESS);
		fake_marker(fake_last(0), 1);
	}
	assert_no_status_query(0, 0);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, NRT_MARK_SLOTS);

	/* Exporting still works on a fence whose outcome came from a marker. */
	{
		int fd = -1;

		assert_status(nrt_copy(b, 0, a, 0, 64, NULL, &f[0]), NRT_SUCCESS);
		assert_status(nrt_fence_wait(f[0], -1), NRT_SUCCESS);
		assert_status(nrt_fence_export_fd(f[0], &fd), NRT_SUCCESS);
		close(fd);
		nrt_fence_free(f[0]);
	}
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* A job without its token in the slot takes the sync_file path. */
static void test_marker_slow_path(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_copy_opts opts = NRT_COPY_OPTS_INIT;
	nrt_dma_desc d[2];
	nrt_fence *f = NULL, *g = NULL;
	unsigned int exports = fake.exports, infos = fake.file_infos;
	uint64_t old_token, *slot;

	/* A descriptor faults: the device stops the job before its marker. */
	memset(d, 0, sizeof(d));
	d[0].opcode = NRT_DMA_OP_COPY;
	d[0].src = fake.kinfo.va_end - PAGE;
	d[0].dst = nrt_buffer_va(b);
	d[0].len = 16;
	d[1].opcode = NRT_DMA_OP_NOP;
	assert_status(nrt_submit_raw(e->dev, 1, d, 2, NULL, 0, &f), NRT_SUCCESS);
	fake_marker(fake_last(0), 2);
	assert_true(*fake_marker_slot(fake_last(0)) == 0);
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(), "job on queue 1 failed: device address fault");
	assert_no_status_query(exports + 1, infos + 1);
	/* The outcome is cached: no more queries. */
	assert_status(nrt_fence_poll(f), NRT_HW_ERROR);
	assert_no_status_query(exports + 1, infos + 1);
	nrt_fence_free(f);

	/* The injected fault of the fake runs no descriptor at all. */
	opts.queue = 3;
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, NULL), NRT_HW_ERROR);
	fake.fail_submit = 0;
	assert_string_equal(nrt_last_error(),
			    "nrt_copy: job on queue 3 failed: device address fault");
	assert_no_status_query(exports + 2, infos + 2);

	/* The job timed out in the device. */
	fake.defer = true;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, &f), NRT_SUCCESS);
	fake.defer = false;
	assert_status(nrt_fence_poll(f), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(), "job on queue 3 still running");
	assert_no_status_query(exports + 2, infos + 2);   /* not signalled yet */
	fake_complete(nrt_fence_syncobj(f, 0), -ETIMEDOUT);
	assert_status(nrt_fence_wait(f, -1), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(),
			    "job on queue 3 failed: timed out on the device (the driver's job timeout expired)");
	nrt_fence_free(f);

	/* Signalled without error but no marker: the kernel's word counts. */
	fake.defer = true;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, &f), NRT_SUCCESS);
	fake.defer = false;
	fake_complete(nrt_fence_syncobj(f, 0), 1);
	exports = fake.exports;
	infos = fake.file_infos;
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_no_status_query(exports + 1, infos + 1);
	nrt_fence_free(f);

	/*
	 * A job of a freed fence writes its (old) token late, into a slot
	 * that has a new owner: it never passes for the new job's marker.
	 */
	fake.defer = true;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, &f), NRT_SUCCESS);
	fake.defer = false;
	old_token = fake_marker(fake_last(0), 1);
	slot = fake_marker_slot(fake_last(0));
	nrt_fence_free(f);   /* still pending */
	*slot = old_token;   /* ... and its marker lands */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits;
	assert_status(nrt_copy(b, 0, a, 0, 64, &opts, &g), NRT_SUCCESS);
	fake.fail_submit = 0;
	assert_true(fake_marker(fake_last(0), 1) != old_token);
	assert_ptr_equal(fake_marker_slot(fake_last(0)), slot);   /* reused */
	assert_true(*slot == 0);   /* zeroed before the submission */
	*slot = old_token;   /* the old job's marker, late again */
	exports = fake.exports;
	assert_status(nrt_fence_wait(g, -1), NRT_HW_ERROR);
	assert_int_equal(fake.exports, exports + 1);
	nrt_fence_free(g);

	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* When every slot is taken, jobs go without a marker, and still work. */
static void test_marker_slots_exhausted(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_fence **f = calloc(NRT_MARK_SLOTS, sizeof(*f));
	nrt_fence *extra = NULL;
	unsigned int i, exports;

	assert_non_null(f);
	fake.defer = true;
	for (i = 0; i < NRT_MARK_SLOTS; i++)
		assert_status(nrt_copy(b, 0, a, 0, 8, NULL, &f[i]), NRT_SUCCESS);
	fake.defer = false;
	fake_marker(fake_last(0), 1);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, 0);

	/* No slot left: a job of the data alone, its outcome by sync_file. */
	exports = fake.exports;
	assert_status(nrt_copy(b, 0, a, 0, 8, NULL, &extra), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->count, 1);
	assert_int_equal(fake_last(0)->descs[0].opcode, DRM_TRN_DMA_OP_COPY);
	assert_status(nrt_fence_wait(extra, -1), NRT_SUCCESS);
	assert_int_equal(fake.exports, exports + 1);
	nrt_fence_free(extra);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, 0);
	/* A failure without a marker is still reported. */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits;
	assert_status(nrt_copy(b, 0, a, 0, 8, NULL, NULL), NRT_HW_ERROR);
	assert_error_contains("device address fault");
	fake.fail_submit = 0;
	/* A raw job too. */
	{
		static const nrt_dma_desc nop = { .opcode = NRT_DMA_OP_NOP };

		assert_status(nrt_submit_raw(e->dev, 0, &nop, 1, NULL, 0, NULL),
			      NRT_SUCCESS);
		assert_int_equal(fake_last(0)->count, 1);
	}

	/* A freed fence gives its slot back, and the next job uses it. */
	fake_complete(nrt_fence_syncobj(f[5], 0), 1);
	nrt_fence_free(f[5]);
	f[5] = NULL;
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, 1);
	exports = fake.exports;
	assert_status(nrt_copy(b, 0, a, 0, 8, NULL, &extra), NRT_SUCCESS);
	fake_marker(fake_last(0), 1);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, 0);
	assert_status(nrt_fence_wait(extra, -1), NRT_SUCCESS);
	assert_int_equal(fake.exports, exports);
	nrt_fence_free(extra);

	for (i = 0; i < NRT_MARK_SLOTS; i++) {
		if (f[i])
			fake_complete(nrt_fence_syncobj(f[i], 0), 1);
		nrt_fence_free(f[i]);
	}
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, NRT_MARK_SLOTS);
	free(f);
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

/* The marker takes one descriptor of each job's max_descs. */
static void test_marker_split(void **state)
{
	struct env *e = *state;
	const uint64_t len = 2 * GIB + 1;
	nrt_buffer *a, *b;
	nrt_fence *f = NULL;
	uint64_t t[3];
	unsigned int i, exports;

	reopen_with_max_descs(e, 2);
	a = alloc_ok(e->dev, (size_t)len, NRT_PLACEMENT_HBM);
	b = alloc_ok(e->dev, (size_t)len, NRT_PLACEMENT_HBM);

	/* 3 descriptors of data: 3 jobs of one and a marker each. */
	exports = fake.exports;
	assert_status(nrt_copy(b, 0, a, 0, (size_t)len, NULL, &f), NRT_SUCCESS);
	assert_int_equal(nrt_fence_jobs(f), 3);
	for (i = 0; i < 3; i++) {
		const struct fake_submit *s = fake_last(2 - i);

		assert_true(s->count <= 2);
		t[i] = fake_marker(s, 1);
		assert_true(s->descs[0].src == nrt_buffer_va(a) + i * GIB);
		assert_true(s->descs[0].len == (i < 2 ? GIB : 1));
		assert_int_equal(s->queue, fake_last(0)->queue);
	}
	assert_true(t[0] != t[1] && t[1] != t[2] && t[0] != t[2]);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_int_equal(fake.exports, exports);
	nrt_fence_free(f);

	/* The middle job faults: only it needs a query, and it is reported. */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits + 1;
	assert_status(nrt_copy(b, 0, a, 0, (size_t)len, NULL, &f), NRT_SUCCESS);
	fake.fail_submit = 0;
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	assert_error_contains("failed: device address fault");
	assert_int_equal(fake.exports, exports + 1);
	nrt_fence_free(f);

	/* Only one slot left for a fence of 3 jobs: the first job gets it. */
	{
		uint32_t *held = calloc(NRT_MARK_SLOTS - 1, sizeof(*held));

		assert_non_null(held);
		nrt_marks_take(e->dev, NRT_MARK_SLOTS - 1, held);
		assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, 1);
		exports = fake.exports;
		assert_status(nrt_copy(b, 0, a, 0, (size_t)len, NULL, &f), NRT_SUCCESS);
		fake_marker(fake_last(2), 1);
		assert_int_equal(fake_last(1)->count, 1);
		assert_int_equal(fake_last(0)->count, 1);
		assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
		assert_int_equal(fake.exports, exports + 2);
		nrt_fence_free(f);
		nrt_marks_put(e->dev, NRT_MARK_SLOTS - 1, held);
		free(held);
		assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, NRT_MARK_SLOTS);
	}
	nrt_buffer_free(a);
	nrt_buffer_free(b);

	/* One descriptor per job leaves no room: no markers at all. */
	reopen_with_max_descs(e, 1);
	a = alloc_ok(e->dev, (size_t)len, NRT_PLACEMENT_HBM);
	b = alloc_ok(e->dev, (size_t)len, NRT_PLACEMENT_HBM);
	exports = fake.exports;
	assert_status(nrt_copy(b, 0, a, 0, (size_t)len, NULL, &f), NRT_SUCCESS);
	assert_int_equal(nrt_fence_jobs(f), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(fake_last(i)->count, 1);
		assert_int_equal(fake_last(i)->descs[0].opcode, DRM_TRN_DMA_OP_COPY);
	}
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_int_equal(fake.exports, exports + 3);
	nrt_fence_free(f);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* Raw jobs: the caller's descriptors, then the marker if there is room. */
static void test_marker_raw(void **state)
{
	struct env *e = *state;
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_dma_desc d[64];
	nrt_fence *f = NULL;
	unsigned int i, exports = fake.exports;
	uint64_t v;

	memset(d, 0, sizeof(d));
	for (i = 0; i < 64; i++) {
		d[i].opcode = NRT_DMA_OP_WRITE;
		d[i].dst = nrt_buffer_va(b) + 8 * i;
		d[i].len = 1000 + i;
	}

	/* More than fit on the stack. */
	assert_status(nrt_submit_raw(e->dev, 1, d, 20, NULL, 0, &f), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->count, 21);
	for (i = 0; i < 8; i++)
		assert_true(fake_last(0)->descs[i].len == 1000 + i);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_int_equal(fake.exports, exports);
	nrt_fence_free(f);
	memcpy(&v, fake_mem(b) + 8 * 19, 8);
	assert_true(v == 1019);

	/* max_descs - 1: the marker makes it max_descs. */
	assert_status(nrt_submit_raw(e->dev, 1, d, 63, NULL, 0, NULL), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->count, 64);
	assert_int_equal(fake.exports, exports);

	/* A full job has no room for the marker: it goes without. */
	assert_status(nrt_submit_raw(e->dev, 1, d, 64, NULL, 0, &f), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->count, 64);
	assert_true(fake_last(0)->descs[7].len == 1007);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_int_equal(fake.exports, exports + 1);
	nrt_fence_free(f);
	memcpy(&v, fake_mem(b) + 8 * 63, 8);
	assert_true(v == 1063);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, NRT_MARK_SLOTS);

	/* A failed submission releases the slot; the message counts the caller's descriptors. */
	d[0].opcode = 0x80;
	assert_status(nrt_submit_raw(e->dev, 0, d, 2, NULL, 0, NULL), NRT_INVALID);
	assert_error_contains("nrt_submit_raw: submission of a job of 2 descriptors to queue 0");
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, NRT_MARK_SLOTS);

	nrt_buffer_free(b);
}

/* No status buffer: jobs go without markers, and nothing else changes. */
static void test_marker_unavailable(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	unsigned int created, exports = fake.exports;
	nrt_fence *f = NULL;

	/* A message of an earlier failure, which success must not change. */
	assert_status(nrt_copy(NULL, 0, a, 0, 1, NULL, NULL), NRT_INVALID);
	fake.bo_create_errno = ENOMEM;
	created = fake.bos_created;
	assert_status(nrt_copy(b, 0, a, 0, 64, NULL, &f), NRT_SUCCESS);
	assert_string_equal(nrt_last_error(), "nrt_copy: dst is NULL");
	assert_int_equal(marks_state(e->dev), NRT_MARKS_UNAVAILABLE);
	assert_int_equal(fake_last(0)->count, 1);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_int_equal(fake.exports, exports + 1);
	nrt_fence_free(f);

	/* Not tried again on every job. */
	fake.bo_create_errno = 0;
	fill_pattern(fake_mem(a), 64, 5);
	assert_status(nrt_copy(b, 0, a, 0, 64, NULL, NULL), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->count, 1);
	assert_int_equal(fake.bos_created, created);
	assert_memory_equal(fake_mem(b), fake_mem(a), 64);

	nrt_buffer_free(a);
	nrt_buffer_free(b);
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
	/* All succeeded by their markers, and gave their slots back. */
	assert_no_status_query(0, 0);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, NRT_MARK_SLOTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fence_status_mapping),
		cmocka_unit_test_setup_teardown(test_fence_pending_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fence_export_merged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_fast_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_slow_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_slots_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_fence", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
