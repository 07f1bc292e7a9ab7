// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of libnrt's copies, fills and raw submission (nrt_dma.c),
 * with the internal pure functions they use (descriptor splitting, queue
 * choice, range checks, error prefixes), against a fake kernel.
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

/* --- pure functions ---------------------------------------------------- */

static void test_split_count(void **state)
{
	(void)state;
	assert_true(nrt_dma_split_count(0, GIB) == 0);
	assert_true(nrt_dma_split_count(1, GIB) == 1);
	assert_true(nrt_dma_split_count(GIB - 1, GIB) == 1);
	assert_true(nrt_dma_split_count(GIB, GIB) == 1);
	assert_true(nrt_dma_split_count(GIB + 1, GIB) == 2);
	assert_true(nrt_dma_split_count(3 * GIB + 5, GIB) == 4);
	assert_true(nrt_dma_split_count(UINT64_MAX, GIB) == (UINT64_C(1) << 34));
	assert_true(nrt_dma_split_count(UINT64_MAX, 1) == UINT64_MAX);
	assert_true(nrt_dma_job_count(1, 64) == 1);
	assert_true(nrt_dma_job_count(64, 64) == 1);
	assert_true(nrt_dma_job_count(65, 64) == 2);
	assert_true(nrt_dma_job_count(5, 1) == 5);
}

static void test_split_copy(void **state)
{
	struct drm_trn_dma_desc d[4];
	const uint64_t dst = 0x200001, src = 0x7000000003, len = 3 * GIB + 5;
	unsigned int i;

	(void)state;
	memset(d, 0xff, sizeof(d));
	nrt_dma_split(d, 0, 4, DRM_TRN_DMA_OP_COPY, dst, src, len, GIB);
	for (i = 0; i < 4; i++) {
		assert_int_equal(d[i].opcode, DRM_TRN_DMA_OP_COPY);
		assert_int_equal(d[i].aux, 0);
		assert_true(d[i].dst == dst + i * GIB);
		assert_true(d[i].src == src + i * GIB);
		assert_true(d[i].len == (i < 3 ? GIB : 5));
	}

	/* The middle of an operation: descriptors 2 and 3 only. */
	memset(d, 0xff, sizeof(d));
	nrt_dma_split(d, 2, 2, DRM_TRN_DMA_OP_COPY, dst, src, len, GIB);
	assert_true(d[0].dst == dst + 2 * GIB && d[0].src == src + 2 * GIB &&
		    d[0].len == GIB);
	assert_true(d[1].dst == dst + 3 * GIB && d[1].len == 5);
	assert_int_equal(d[2].opcode, 0xffffffffu);   /* untouched */

	/* Exactly one descriptor's worth. */
	nrt_dma_split(d, 0, 1, DRM_TRN_DMA_OP_COPY, dst, src, GIB, GIB);
	assert_true(d[0].len == GIB && d[0].src == src && d[0].dst == dst);
}

static void test_split_fill(void **state)
{
	struct drm_trn_dma_desc d[3];
	const uint64_t pattern = UINT64_C(0xabababababababab);
	unsigned int i;

	(void)state;
	nrt_dma_split(d, 0, 3, DRM_TRN_DMA_OP_FILL, 0x1007, pattern,
		      2 * GIB + 1, GIB);
	for (i = 0; i < 3; i++) {
		assert_int_equal(d[i].opcode, DRM_TRN_DMA_OP_FILL);
		assert_true(d[i].src == pattern);   /* the pattern, not advanced */
		assert_true(d[i].dst == 0x1007 + i * GIB);
	}
	assert_true(d[2].len == 1);
}

static void test_pick_queue(void **state)
{
	static const unsigned int shapes[][2] = {
		{ 1, 1 }, { 4, 1 }, { 4, 2 }, { 8, 2 }, { 12, 3 }, { 6, 4 }, { 5, 0 },
		{ 256, 16 },
	};
	unsigned int s, n;

	(void)state;
	/* 2 engines of 2 queues: engines alternate. */
	assert_int_equal(nrt_dma_pick_queue(0, 4, 2), 0);
	assert_int_equal(nrt_dma_pick_queue(1, 4, 2), 2);
	assert_int_equal(nrt_dma_pick_queue(2, 4, 2), 1);
	assert_int_equal(nrt_dma_pick_queue(3, 4, 2), 3);
	assert_int_equal(nrt_dma_pick_queue(4, 4, 2), 0);
	/* Queues that do not divide evenly: plain round-robin. */
	assert_int_equal(nrt_dma_pick_queue(5, 6, 4), 5);
	assert_int_equal(nrt_dma_pick_queue(UINT_MAX, 4, 1), UINT_MAX % 4);

	/* Every shape: each window of `queues` picks is a permutation. */
	for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		unsigned int queues = shapes[s][0], engines = shapes[s][1];
		unsigned char seen[256];

		memset(seen, 0, sizeof(seen));
		for (n = 0; n < queues; n++) {
			unsigned int q = nrt_dma_pick_queue(n + 7 * queues, queues, engines);

			assert_true(q < queues);
			assert_int_equal(seen[q], 0);
			seen[q] = 1;
		}
	}
	/* The counter wraps: UINT_MAX + 1 picks are not a multiple of 12. */
	assert_true(nrt_dma_pick_queue(UINT_MAX, 12, 3) < 12);
}

static void test_range_check(void **state)
{
	(void)state;
	assert_status(nrt_range_check("dst", 100, 0, 100), NRT_SUCCESS);
	assert_status(nrt_range_check("dst", 100, 100, 0), NRT_SUCCESS);
	assert_status(nrt_range_check("dst", 100, 99, 2), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "range of dst at offset 99, 2 bytes, exceeds its size of 100 bytes");
	assert_status(nrt_range_check("src", 100, 101, 0), NRT_INVALID);
	assert_status(nrt_range_check("src", 100, SIZE_MAX, 2), NRT_INVALID);
	assert_error_contains("overflows");
	assert_status(nrt_range_check("src", SIZE_MAX, 1, SIZE_MAX), NRT_INVALID);
}

static void test_fail_prefix(void **state)
{
	char longtext[700];

	(void)state;
	nrt_fail(NRT_HW_ERROR, "job on queue %d failed", 2);
	assert_int_equal(nrt_fail_prefix(NRT_HW_ERROR, "%s", "nrt_copy"), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(), "nrt_copy: job on queue 2 failed");
	/* A success leaves the message alone. */
	assert_int_equal(nrt_fail_prefix(NRT_SUCCESS, "nrt_fill"), NRT_SUCCESS);
	assert_string_equal(nrt_last_error(), "nrt_copy: job on queue 2 failed");

	/* Truncated to the buffer, never overflowing it. */
	memset(longtext, 'a', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	nrt_fail(NRT_FAILURE, "%s", longtext);
	nrt_fail_prefix(NRT_FAILURE, "pre");
	assert_int_equal(strlen(nrt_last_error()), NRT_ERROR_MAX - 1);
	assert_memory_equal(nrt_last_error(), "pre: aaa", 8);
	nrt_fail(NRT_FAILURE, "old");
	nrt_fail_prefix(NRT_FAILURE, "%s", longtext);
	assert_int_equal(strlen(nrt_last_error()), NRT_ERROR_MAX - 1);
	longtext[508] = '\0';
	nrt_fail(NRT_FAILURE, "old");
	nrt_fail_prefix(NRT_FAILURE, "%s", longtext);   /* 508 + ": " + 1 */
	assert_int_equal(strlen(nrt_last_error()), NRT_ERROR_MAX - 1);
	assert_string_equal(nrt_last_error() + 508, ": o");
}

/* --- copies ------------------------------------------------------------ */

static void test_copy_args(void **state)
{
	struct env *e = *state;
	nrt_device *other = open_ok(1);
	nrt_buffer *a = alloc_ok(e->dev, 4096, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, 8192, NRT_PLACEMENT_HBM);
	nrt_buffer *c = alloc_ok(other, 4096, NRT_PLACEMENT_HBM);
	nrt_fence *foreign = NULL, *f = (nrt_fence *)&f;
	nrt_fence *waits[2];
	nrt_copy_opts opts = NRT_COPY_OPTS_INIT;
	char expect[256];

	assert_status(nrt_copy(NULL, 0, a, 0, 1, NULL, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_copy: dst is NULL");
	assert_status(nrt_copy(b, 0, NULL, 0, 1, NULL, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_copy: src is NULL");
	assert_status(nrt_copy(c, 0, a, 0, 1, NULL, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_copy: dst and src are buffers of different device handles");

	/* Out of bounds, each side named. */
	assert_status(nrt_copy(b, 8000, a, 0, 200, NULL, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_copy: range of dst at offset 8000, 200 bytes, exceeds its size of 8192 bytes");
	assert_status(nrt_copy(b, 0, a, 4000, 200, NULL, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_copy: range of src at offset 4000, 200 bytes, exceeds its size of 4096 bytes");
	assert_status(nrt_copy(b, SIZE_MAX, a, 0, 1, NULL, NULL), NRT_INVALID);
	assert_error_contains("overflows");
	assert_status(nrt_copy(b, 0, a, 1, SIZE_MAX, NULL, NULL), NRT_INVALID);
	assert_status(nrt_copy(b, 8193, a, 0, 0, NULL, NULL), NRT_INVALID);

	/* Overlap within one buffer. */
	assert_status(nrt_copy(b, 100, b, 0, 101, NULL, NULL), NRT_INVALID);
	assert_error_contains("overlap");
	assert_status(nrt_copy(b, 0, b, 100, 101, NULL, NULL), NRT_INVALID);
	assert_status(nrt_copy(b, 100, b, 0, 100, NULL, NULL), NRT_SUCCESS);

	/* Options. */
	opts.struct_size = 4;
	assert_status(nrt_copy(b, 0, a, 0, 1, &opts, NULL), NRT_INVALID);
	assert_error_contains("nrt_copy: opts->struct_size is 4, at least");
	opts.struct_size = sizeof(opts);
	opts.queue = 4;
	assert_status(nrt_copy(b, 0, a, 0, 1, &opts, NULL), NRT_INVALID);
	xsnprintf(expect, sizeof(expect),
		  "nrt_copy: queue 4 out of range: %s/dev/accel/accel0 has 4 DMA queues",
		  e->root);
	assert_string_equal(nrt_last_error(), expect);
	opts.queue = -2;   /* any negative queue: the library picks */
	assert_status(nrt_copy(b, 0, a, 0, 1, &opts, NULL), NRT_SUCCESS);
	opts.queue = 3;
	opts.wait_count = 1;
	assert_status(nrt_copy(b, 0, a, 0, 1, &opts, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_copy: opts->wait is NULL but opts->wait_count is 1");
	waits[0] = NULL;
	opts.wait = waits;
	assert_status(nrt_copy(b, 0, a, 0, 1, &opts, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_copy: opts->wait[0] is NULL");
	assert_status(nrt_copy(c, 0, c, 100, 1, NULL, &foreign), NRT_SUCCESS);
	waits[0] = foreign;
	assert_status(nrt_copy(b, 0, a, 0, 1, &opts, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_copy: opts->wait[0] is a fence of another device handle");
	assert_status(nrt_fill(b, 0, 1, 0, &opts, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_fill: opts->wait[0] is a fence of another device handle");

	/* Fill arguments. */
	assert_status(nrt_fill(NULL, 0, 1, 0, NULL, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_fill: dst is NULL");
	assert_status(nrt_fill(b, 8192, 1, 0, NULL, NULL), NRT_INVALID);
	assert_error_contains("nrt_fill: range of dst at offset 8192, 1 bytes");

	/* Nothing above reached the kernel but the three good copies. */
	assert_int_equal(fake.submits, 3);
	assert_ptr_equal(f, (nrt_fence *)&f);

	nrt_fence_free(foreign);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
	nrt_buffer_free(c);
	nrt_device_close(other);
}

static void test_copy_sync_data(void **state)
{
	struct env *e = *state;
	nrt_buffer *host = alloc_ok(e->dev, 3 * PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *hbm = alloc_ok(e->dev, 3 * PAGE, NRT_PLACEMENT_HBM);
	unsigned char *h = fake_mem(host), *d = fake_mem(hbm);
	unsigned char expect[3 * PAGE];
	const struct fake_submit *s;

	fill_pattern(h, 3 * PAGE, 9);
	memset(d, 0xee, 3 * PAGE);
	assert_status(nrt_copy(hbm, 7, host, 1, 4097, NULL, NULL), NRT_SUCCESS);
	assert_memory_equal(d + 7, h + 1, 4097);
	assert_int_equal(d[6], 0xee);
	assert_int_equal(d[7 + 4097], 0xee);
	s = fake_last(0);
	assert_int_equal(s->count, 1);
	assert_int_equal(s->in_count, 0);
	assert_true(s->descs[0].src == nrt_buffer_va(host) + 1);
	assert_true(s->descs[0].dst == nrt_buffer_va(hbm) + 7);
	assert_true(s->descs[0].len == 4097);

	/* Fill: every byte, offset and length unaligned. */
	assert_status(nrt_fill(hbm, 3, 5000, 0x5c, NULL, NULL), NRT_SUCCESS);
	memset(expect, 0x5c, sizeof(expect));
	assert_memory_equal(d + 3, expect, 5000);
	assert_int_equal(d[2], 0xee);
	assert_int_equal(d[5003], 0xee);
	s = fake_last(0);
	assert_int_equal(s->count, 1);
	assert_int_equal(s->descs[0].opcode, DRM_TRN_DMA_OP_FILL);
	assert_true(s->descs[0].src == UINT64_C(0x5c5c5c5c5c5c5c5c));

	/* Zero length: no job, and a signalled fence if asked for one. */
	{
		unsigned int submits = fake.submits;
		nrt_fence *f = NULL;

		assert_status(nrt_copy(hbm, 3 * PAGE, host, 0, 0, NULL, NULL), NRT_SUCCESS);
		assert_status(nrt_copy(hbm, 0, host, 0, 0, NULL, &f), NRT_SUCCESS);
		assert_non_null(f);
		assert_status(nrt_fence_poll(f), NRT_SUCCESS);
		assert_status(nrt_fence_wait(f, 0), NRT_SUCCESS);
		nrt_fence_free(f);
		assert_status(nrt_fill(hbm, 0, 0, 1, NULL, &f), NRT_SUCCESS);
		assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
		nrt_fence_free(f);
		assert_int_equal(fake.submits, submits);
	}

	nrt_buffer_free(host);
	nrt_buffer_free(hbm);
}

/* A copy of more than 1 GiB, and more descriptors than one job takes. */
static void test_copy_split_jobs(void **state)
{
	struct env *e = *state;
	const uint64_t len = 3 * GIB + 5;
	nrt_buffer *a, *b;
	nrt_fence *f = NULL, *w = NULL;
	nrt_copy_opts opts = NRT_COPY_OPTS_INIT;
	const struct fake_submit *j1, *j2;
	unsigned int i, cached;

	/* Jobs of 2 descriptors. */
	fake.kinfo.hbm_size = 8 * GIB;
	fake.kinfo.max_descs = 2;
	nrt_device_close(e->dev);
	e->dev = open_ok(0);

	a = alloc_ok(e->dev, (size_t)len + 8, NRT_PLACEMENT_HBM);
	b = alloc_ok(e->dev, (size_t)len + 8, NRT_PLACEMENT_HBM);

	/* A pending fence to wait for: only the first job carries it. */
	fake.defer = true;
	assert_status(nrt_fill(a, 0, 8, 1, NULL, &w), NRT_SUCCESS);
	fake.defer = false;
	opts.wait = &w;
	opts.wait_count = 1;
	opts.queue = 2;
	assert_status(nrt_copy(b, 8, a, 0, (size_t)len, &opts, &f), NRT_SUCCESS);
	j1 = fake_last(1);
	j2 = fake_last(0);
	assert_int_equal(j1->count, 2);
	assert_int_equal(j2->count, 2);
	assert_int_equal(j1->queue, 2);
	assert_int_equal(j2->queue, 2);
	assert_int_equal(j1->in_count, 1);
	assert_int_equal(j2->in_count, 0);
	assert_int_equal(j1->in[0], nrt_fence_syncobj(w, 0));
	assert_int_not_equal(j1->out, j2->out);
	for (i = 0; i < 4; i++) {
		const struct drm_trn_dma_desc *d = i < 2 ? &j1->descs[i] : &j2->descs[i - 2];

		assert_int_equal(d->opcode, DRM_TRN_DMA_OP_COPY);
		assert_true(d->len == (i < 3 ? GIB : 5));
		assert_true(d->src == nrt_buffer_va(a) + i * GIB);
		assert_true(d->dst == nrt_buffer_va(b) + 8 + i * GIB);
	}
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	nrt_fence_free(f);

	/* A fault in the first job is not hidden by a good last job. */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits;
	assert_status(nrt_copy(b, 8, a, 0, (size_t)len, NULL, &f), NRT_SUCCESS);
	assert_status(nrt_fence_poll(f), NRT_HW_ERROR);
	assert_error_contains("failed: device address fault");
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	fake.fail_submit = 0;
	nrt_fence_free(f);

	/* The same synchronously: the status of the job, prefixed. */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits + 1;
	assert_status(nrt_copy(b, 8, a, 0, (size_t)len, NULL, NULL), NRT_HW_ERROR);
	assert_error_contains("nrt_copy: job on queue");
	fake.fail_submit = 0;

	/* The second submission fails: the call fails, no fence is given. */
	cached = nrt_fence_pool_of(e->dev)->n_syncobjs;
	fake.submit_errno = EINVAL;
	fake.submit_errno_at = fake.submits + 1;
	f = (nrt_fence *)&f;
	assert_status(nrt_copy(b, 8, a, 0, (size_t)len, NULL, &f), NRT_INVALID);
	assert_error_contains("nrt_copy: submission of a job of 2 descriptors to queue");
	assert_ptr_equal(f, (nrt_fence *)&f);
	fake.submit_errno = 0;
	/* The failed call gave its syncobjs back. */
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_syncobjs, cached);

	fake_complete(nrt_fence_syncobj(w, 0), 1);
	nrt_fence_free(w);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

static void test_queue_round_robin(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_copy_opts opts = NRT_COPY_OPTS_INIT;
	unsigned int i, first;

	/* 2 engines of 2 queues: 0 and 1 on engine 0, 2 and 3 on engine 1. */
	for (i = 0; i < 8; i++)
		assert_status(nrt_copy(b, 0, a, 0, 16, NULL, NULL), NRT_SUCCESS);
	first = fake_last(7)->queue;
	for (i = 0; i < 8; i++) {
		unsigned int q = fake_last(7 - i)->queue;

		/* The same cycle as the first four; engines alternate. */
		assert_int_equal(q, fake_last(7 - i % 4)->queue);
		if (i)
			assert_int_not_equal(q / 2, fake_last(8 - i)->queue / 2);
	}
	assert_true(first < 4);
	{
		unsigned int seen = 0;

		for (i = 0; i < 4; i++)
			seen |= 1u << fake_last(i)->queue;
		assert_int_equal(seen, 0xf);
	}

	/* An explicit queue is used as given. */
	for (i = 0; i < 4; i++) {
		opts.queue = (int)(3 - i);
		assert_status(nrt_copy(b, 0, a, 0, 16, &opts, NULL), NRT_SUCCESS);
		assert_int_equal(fake_last(0)->queue, 3 - i);
	}
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

static void test_wait_fences(void **state)
{
	struct env *e = *state;
	nrt_buffer *a = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_copy_opts opts = NRT_COPY_OPTS_INIT;
	nrt_fence *done = NULL, *pending = NULL, *f = NULL;
	nrt_fence *waits[2];

	assert_status(nrt_copy(b, 0, a, 0, 16, NULL, &done), NRT_SUCCESS);
	assert_status(nrt_fence_wait(done, -1), NRT_SUCCESS);
	fake.defer = true;
	assert_status(nrt_copy(b, 0, a, 0, 16, NULL, &pending), NRT_SUCCESS);
	fake.defer = false;

	/* A fence known to be done is left out of the job's in-fences. */
	waits[0] = done;
	waits[1] = pending;
	opts.wait = waits;
	opts.wait_count = 2;
	assert_status(nrt_copy(b, 0, a, 0, 16, &opts, &f), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->in_count, 1);
	assert_int_equal(fake_last(0)->in[0], nrt_fence_syncobj(pending, 0));
	nrt_fence_free(f);

	/* Raw submission takes wait fences too. */
	{
		static const nrt_dma_desc nop = { .opcode = NRT_DMA_OP_NOP };

		assert_status(nrt_submit_raw(e->dev, 1, &nop, 1, waits, 2, NULL),
			      NRT_SUCCESS);
		assert_int_equal(fake_last(0)->in_count, 1);
	}

	fake_complete(nrt_fence_syncobj(pending, 0), 1);
	nrt_fence_free(pending);
	nrt_fence_free(done);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* --- raw submission ---------------------------------------------------- */

static void test_submit_raw(void **state)
{
	struct env *e = *state;
	nrt_buffer *b = alloc_ok(e->dev, PAGE, NRT_PLACEMENT_HBM);
	nrt_dma_desc d[3];
	nrt_fence *f = NULL;
	uint64_t v;
	char expect[256];

	memset(d, 0, sizeof(d));
	d[0].opcode = NRT_DMA_OP_WRITE;
	d[0].dst = nrt_buffer_va(b) + 8;
	d[0].len = UINT64_C(0x1122334455667788);
	d[1].opcode = NRT_DMA_OP_NOP;
	d[2].opcode = NRT_DMA_OP_SEM_SIGNAL;
	d[2].aux = 3;
	d[2].len = 1;
	assert_status(nrt_submit_raw(e->dev, 2, d, 3, NULL, 0, &f), NRT_SUCCESS);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	nrt_fence_free(f);
	memcpy(&v, fake_mem(b) + 8, 8);
	assert_true(v == UINT64_C(0x1122334455667788));
	assert_int_equal(fake_last(0)->queue, 2);
	assert_int_equal(fake_last(0)->count, 3);   /* as the caller made them */
	assert_int_equal(fake_last(0)->descs[0].opcode, NRT_DMA_OP_WRITE);
	assert_int_equal(fake_last(0)->descs[1].opcode, NRT_DMA_OP_NOP);
	assert_int_equal(fake_last(0)->descs[2].aux, 3);

	/* Arguments. */
	assert_status(nrt_submit_raw(NULL, 0, d, 1, NULL, 0, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_submit_raw: dev is NULL");
	assert_status(nrt_submit_raw(e->dev, 0, NULL, 1, NULL, 0, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_submit_raw: descs is NULL");
	assert_status(nrt_submit_raw(e->dev, 0, d, 0, NULL, 0, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_submit_raw: count is 0");
	assert_status(nrt_submit_raw(e->dev, 0, d, 65, NULL, 0, NULL), NRT_INVALID);
	xsnprintf(expect, sizeof(expect),
		  "nrt_submit_raw: count 65 exceeds the limit of %s/dev/accel/accel0 of 64 descriptors per job",
		  e->root);
	assert_string_equal(nrt_last_error(), expect);
	assert_status(nrt_submit_raw(e->dev, 4, d, 1, NULL, 0, NULL), NRT_INVALID);
	assert_error_contains("nrt_submit_raw: queue 4 out of range");
	assert_status(nrt_submit_raw(e->dev, UINT_MAX, d, 1, NULL, 0, NULL), NRT_INVALID);
	assert_error_contains("out of range");
	assert_status(nrt_submit_raw(e->dev, 0, d, 1, NULL, 1, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_submit_raw: wait is NULL but wait_count is 1");

	/* The kernel rejects a bad descriptor. */
	d[0].opcode = 0x80;
	assert_status(nrt_submit_raw(e->dev, 0, d, 1, NULL, 0, NULL), NRT_INVALID);
	assert_error_contains("nrt_submit_raw: submission of a job of 1 descriptor to queue 0");
	assert_error_contains(strerror(EINVAL));

	/* A fault through an unmapped address. */
	d[0].opcode = NRT_DMA_OP_COPY;
	d[0].src = fake.kinfo.va_end - PAGE;
	d[0].dst = nrt_buffer_va(b);
	d[0].len = 16;
	assert_status(nrt_submit_raw(e->dev, 3, d, 1, NULL, 0, NULL), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(),
			    "nrt_submit_raw: job on queue 3 failed: device address fault");

	nrt_buffer_free(b);
}

/* A 0.1 kernel: no buffers, no DMA. */
static void test_old_kernel(void **state)
{
	struct env *e = *state;
	nrt_buffer *buf = NULL;
	nrt_dma_desc nop;

	fake.kinfo_size = offsetof(struct drm_trn_device_info, dma_engines);
	nrt_device_close(e->dev);
	e->dev = open_ok(0);

	assert_status(nrt_buffer_alloc(e->dev, PAGE, NRT_PLACEMENT_HBM, &buf),
		      NRT_UNSUPPORTED);
	assert_error_contains("cannot allocate 4096 bytes of HBM");
	memset(&nop, 0, sizeof(nop));
	assert_status(nrt_submit_raw(e->dev, 0, &nop, 1, NULL, 0, NULL), NRT_UNSUPPORTED);
	assert_error_contains("nrt_submit_raw: the kernel driver of");
	assert_error_contains("reports no DMA queues");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_count),
		cmocka_unit_test(test_split_copy),
		cmocka_unit_test(test_split_fill),
		cmocka_unit_test(test_pick_queue),
		cmocka_unit_test(test_range_check),
		cmocka_unit_test(test_fail_prefix),
		cmocka_unit_test_setup_teardown(test_copy_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_sync_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_split_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_round_robin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_fences, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_kernel, setup, teardown),
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_dma", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
