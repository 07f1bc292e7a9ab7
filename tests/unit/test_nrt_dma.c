// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of libnrt buffers, fences, copies and raw submission, against
 * a fake kernel.
 *
 * The library objects are linked in directly, and every call they make into
 * the kernel interface is replaced with -Wl,--wrap: drmIoctl (the trn
 * ioctls and GEM_CLOSE), drmGetVersion, the drmSyncobj* calls, ioctl (the
 * sync_file ioctls) and mmap/munmap of buffer objects. The fake, shared
 * with test_nrt_program.c, is fake_kernel.c: it runs every job at
 * submission (unless told to keep jobs pending) against buffer objects
 * backed by host memory, so data paths can be checked end to end. A fake
 * sysfs tree as in test_nrt_device.c makes nrt_device_open() work.
 *
 * The internal pure functions (descriptor splitting, fence status mapping)
 * are tested directly through nrt_internal.h.
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

/* --- buffers ----------------------------------------------------------- */

static void test_alloc_args(void **state)
{
	struct env *e = *state;
	nrt_buffer *buf = (nrt_buffer *)&buf;

	assert_status(nrt_buffer_alloc(NULL, 4096, NRT_PLACEMENT_HBM, &buf), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_buffer_alloc: dev is NULL");
	assert_status(nrt_buffer_alloc(e->dev, 4096, NRT_PLACEMENT_HBM, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_buffer_alloc: out is NULL");
	assert_status(nrt_buffer_alloc(e->dev, 0, NRT_PLACEMENT_HOST, &buf), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_buffer_alloc: size is 0");
	assert_status(nrt_buffer_alloc(e->dev, 4096, (nrt_placement)2, &buf), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_buffer_alloc: unknown placement 2");
	assert_status(nrt_buffer_alloc(e->dev, 4096, (nrt_placement)-1, &buf), NRT_INVALID);
	assert_ptr_equal(buf, (nrt_buffer *)&buf);
	assert_int_equal(fake.bos_created, 0);

	/* The accessors and free take NULL. */
	assert_true(nrt_buffer_va(NULL) == 0);
	assert_int_equal(nrt_buffer_size(NULL), 0);
	assert_int_equal(nrt_buffer_placement(NULL), NRT_PLACEMENT_HBM);
	nrt_buffer_free(NULL);
	assert_status(nrt_buffer_map(NULL, (void **)&buf), NRT_INVALID);
	assert_status(nrt_buffer_unmap(NULL), NRT_INVALID);
}

static void test_alloc_free(void **state)
{
	struct env *e = *state;
	nrt_buffer *a, *b;

	a = alloc_ok(e->dev, 5000, NRT_PLACEMENT_HBM);
	b = alloc_ok(e->dev, 1, NRT_PLACEMENT_HOST);
	assert_int_equal(nrt_buffer_size(a), 5000);
	assert_int_equal(nrt_buffer_size(b), 1);
	assert_int_equal(nrt_buffer_placement(a), NRT_PLACEMENT_HBM);
	assert_int_equal(nrt_buffer_placement(b), NRT_PLACEMENT_HOST);
	assert_true(nrt_buffer_va(a) == FAKE_VA_START);
	assert_true(nrt_buffer_va(b) == FAKE_VA_START + 2 * PAGE + PAGE);
	assert_true(fake.hbm_used == 2 * PAGE);
	assert_int_equal(fake.live_bos, 2);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
	assert_int_equal(fake.live_bos, 0);
	assert_true(fake.hbm_used == 0);
}

static void test_alloc_no_room(void **state)
{
	struct env *e = *state;
	nrt_buffer *buf = NULL;
	char expect[256];

	assert_status(nrt_buffer_alloc(e->dev, GIB + 1, NRT_PLACEMENT_HBM, &buf),
		      NRT_RESOURCE);
	xsnprintf(expect, sizeof(expect),
		  "cannot allocate 1073741825 bytes of HBM on %s/dev/accel/accel0 (device HBM size 1073741824 bytes): %s",
		  e->root, strerror(ENOMEM));
	assert_string_equal(nrt_last_error(), expect);
	assert_null(buf);

	fake.bo_create_errno = ENOMEM;
	assert_status(nrt_buffer_alloc(e->dev, 8192, NRT_PLACEMENT_HOST, &buf),
		      NRT_RESOURCE);
	assert_error_contains("cannot allocate 8192 bytes of HOST memory on");
	fake.bo_create_errno = ENODEV;
	assert_status(nrt_buffer_alloc(e->dev, 8192, NRT_PLACEMENT_HOST, &buf),
		      NRT_NO_DEVICE);
	assert_null(buf);
	assert_int_equal(fake.live_bos, 0);
}

static void test_map_idempotent(void **state)
{
	struct env *e = *state;
	nrt_buffer *buf = alloc_ok(e->dev, 3 * PAGE, NRT_PLACEMENT_HOST);
	void *p = NULL, *q = NULL;
	unsigned int h = 0;
	size_t i;

	for (i = 0; i < FAKE_BOS; i++) {
		if (fake.bos[i].live)
			h = (unsigned int)i;
	}
	assert_status(nrt_buffer_map(buf, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_buffer_map: ptr is NULL");
	assert_status(nrt_buffer_map(buf, &p), NRT_SUCCESS);
	assert_status(nrt_buffer_map(buf, &q), NRT_SUCCESS);
	assert_ptr_equal(p, q);
	assert_ptr_equal(p, fake_mem(buf));
	assert_int_equal(fake.bos[h].maps, 1);

	assert_status(nrt_buffer_unmap(buf), NRT_SUCCESS);
	assert_int_equal(fake.bos[h].maps, 0);
	assert_status(nrt_buffer_unmap(buf), NRT_SUCCESS);   /* not mapped: no-op */
	assert_status(nrt_buffer_map(buf, &p), NRT_SUCCESS);
	assert_int_equal(fake.bos[h].maps, 1);
	/* Freeing a mapped buffer unmaps it (the fake checks before closing). */
	nrt_buffer_free(buf);
}

static void test_write_read_mapped(void **state)
{
	struct env *e = *state;
	nrt_buffer *host = alloc_ok(e->dev, 10000, NRT_PLACEMENT_HOST);
	nrt_buffer *hbm = alloc_ok(e->dev, 64 * KIB, NRT_PLACEMENT_HBM);
	unsigned char in[10000], out[10000];
	unsigned int submits;

	fill_pattern(in, sizeof(in), 1);
	assert_status(nrt_buffer_write(host, 3, in, 9997), NRT_SUCCESS);
	assert_memory_equal(fake_mem(host) + 3, in, 9997);
	memset(out, 0, sizeof(out));
	assert_status(nrt_buffer_read(host, 3, out, 9997), NRT_SUCCESS);
	assert_memory_equal(out, in, 9997);

	/* Below 64 KiB, HBM goes through the BAR mapping: no job. */
	submits = fake.submits;
	assert_status(nrt_buffer_write(hbm, 64 * KIB - 10000, in, 10000), NRT_SUCCESS);
	assert_memory_equal(fake_mem(hbm) + 64 * KIB - 10000, in, 10000);
	assert_status(nrt_buffer_read(hbm, 64 * KIB - 10000, out, 10000), NRT_SUCCESS);
	assert_memory_equal(out, in, 10000);
	assert_int_equal(fake.submits, submits);

	/* Bounds and arguments. */
	assert_status(nrt_buffer_write(host, 1, in, 10000), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_buffer_write: range of dst at offset 1, 10000 bytes, exceeds its size of 10000 bytes");
	assert_status(nrt_buffer_read(hbm, SIZE_MAX, out, 2), NRT_INVALID);
	assert_error_contains("nrt_buffer_read: range of src");
	assert_status(nrt_buffer_write(NULL, 0, in, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_buffer_write: dst is NULL");
	assert_status(nrt_buffer_write(host, 0, NULL, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_buffer_write: src is NULL");
	assert_status(nrt_buffer_read(NULL, 0, out, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_buffer_read: src is NULL");
	assert_status(nrt_buffer_read(host, 0, NULL, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_buffer_read: dst is NULL");
	/* Zero bytes: nothing to do, NULL pointers allowed. */
	assert_status(nrt_buffer_write(host, 10000, NULL, 0), NRT_SUCCESS);
	assert_status(nrt_buffer_read(host, 10000, NULL, 0), NRT_SUCCESS);

	nrt_buffer_free(host);
	nrt_buffer_free(hbm);
}

static void test_write_read_staged(void **state)
{
	struct env *e = *state;
	const size_t len = 9 * MIB + 3, off = 5;
	nrt_buffer *hbm = alloc_ok(e->dev, len + off, NRT_PLACEMENT_HBM);
	unsigned char *in = malloc(len), *out = malloc(len);
	unsigned int created, submits;
	size_t i;

	assert_non_null(in);
	assert_non_null(out);
	fill_pattern(in, len, 3);
	created = fake.bos_created;
	submits = fake.submits;
	assert_status(nrt_buffer_write(hbm, off, in, len), NRT_SUCCESS);
	assert_memory_equal(fake_mem(hbm) + off, in, len);
	/*
	 * 3 chunks of at most 4 MiB through 2 bounce buffers; the first DMA
	 * also made the status buffer of the completion markers. Every job
	 * succeeded by its marker: no sync_file was asked.
	 */
	assert_int_equal(fake.submits - submits, 3);
	assert_int_equal(fake.bos_created - created, 3);
	assert_no_status_query(0, 0);
	for (i = 0; i < 3; i++) {
		const struct fake_submit *s = fake_last(2 - (unsigned int)i);

		fake_marker(s, 1);
		assert_int_equal(s->descs[0].opcode, DRM_TRN_DMA_OP_COPY);
		assert_true(s->descs[0].dst == nrt_buffer_va(hbm) + off + i * NRT_BOUNCE_SIZE);
		assert_true(s->descs[0].len == (i < 2 ? NRT_BOUNCE_SIZE : MIB + 3));
	}

	memset(out, 0, len);
	assert_status(nrt_buffer_read(hbm, off, out, len), NRT_SUCCESS);
	assert_memory_equal(out, in, len);
	/* The bounce buffers (and the status buffer) were reused. */
	assert_int_equal(fake.bos_created - created, 3);
	assert_no_status_query(0, 0);

	/* Exactly 64 KiB is staged; a fault in the DMA is reported. */
	submits = fake.submits;
	fake.fail_submit = -EFAULT;
	fake.fail_at = submits;
	assert_status(nrt_buffer_write(hbm, 0, in, 64 * KIB), NRT_HW_ERROR);
	assert_error_contains("nrt_buffer_write: DMA between a bounce buffer and dst");
	assert_error_contains("job on queue");
	assert_error_contains("failed: device address fault");
	fake.fail_at = fake.submits + 1;   /* the second chunk of a read */
	assert_status(nrt_buffer_read(hbm, 0, out, len), NRT_HW_ERROR);
	assert_error_contains("nrt_buffer_read: DMA between a bounce buffer and src");
	fake.fail_submit = 0;

	/* A submission failure on the second chunk. */
	fake.submit_errno = ENOMEM;
	fake.submit_errno_at = fake.submits + 1;
	assert_status(nrt_buffer_write(hbm, 0, in, len), NRT_RESOURCE);
	assert_error_contains("nrt_buffer_write: submission of a job of 1 descriptor to queue");
	fake.submit_errno = 0;

	/* Still works after the failures; nothing leaked (see teardown). */
	assert_status(nrt_buffer_write(hbm, off, in, len), NRT_SUCCESS);
	assert_status(nrt_buffer_read(hbm, off, out, len), NRT_SUCCESS);
	assert_memory_equal(out, in, len);

	free(in);
	free(out);
	nrt_buffer_free(hbm);
}

/* Buffers and fences keep the device open after nrt_device_close(). */
static void test_close_device_first(void **state)
{
	struct env *e = *state;
	nrt_device *dev = open_ok(1);
	int fd = nrt_device_fd(dev);
	nrt_buffer *a, *b;
	nrt_fence *f = NULL;
	unsigned char buf[100];
	int probe;

	a = alloc_ok(dev, PAGE, NRT_PLACEMENT_HOST);
	b = alloc_ok(dev, PAGE, NRT_PLACEMENT_HBM);
	assert_status(nrt_copy(b, 0, a, 0, 100, NULL, &f), NRT_SUCCESS);
	nrt_device_close(dev);
	assert_true(fcntl(fd, F_GETFD) >= 0);          /* still open */
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_status(nrt_buffer_read(b, 0, buf, sizeof(buf)), NRT_SUCCESS);
	nrt_fence_free(f);
	nrt_buffer_free(a);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	nrt_buffer_free(b);
	/* The last reference closed the file. */
	probe = fcntl(fd, F_GETFD);
	assert_true(probe == -1 && errno == EBADF);
	(void)e;
}

/* --- peer buffers ------------------------------------------------------ */

/*
 * Imports: the request the library makes, the buffer it returns, the
 * statuses of the kernel's refusals, and what peer buffers cannot do.
 */
static void test_peer_import(void **state)
{
	static const struct {
		int err;
		nrt_status st;
	} refusals[] = {
		{ ENOLINK, NRT_NO_LINK }, { EINVAL, NRT_INVALID },
		{ EBADF, NRT_INVALID }, { EOPNOTSUPP, NRT_UNSUPPORTED },
		{ ENOMEM, NRT_RESOURCE }, { EACCES, NRT_PERMISSION },
	};
	unsigned int live = fake.live_bos;
	nrt_device *dev = open_ok(1);
	nrt_buffer *peer = NULL, *host, *hbm;
	unsigned char in[300], out[300];
	int fd = -1;
	size_t i;
	void *p;

	(void)state;
	/* Arguments the library rejects before asking the kernel */
	assert_status(nrt_buffer_import_peer(NULL, 3, 0, 0, &peer), NRT_INVALID);
	assert_status(nrt_buffer_import_peer(dev, 3, 0, 0, NULL), NRT_INVALID);
	assert_status(nrt_buffer_import_peer(dev, 3, 0, 2, &peer), NRT_INVALID);
	assert_error_contains("unknown flags 0x2");
	assert_status(nrt_buffer_import_peer(dev, 3, -2, 0, &peer), NRT_INVALID);
	assert_status(nrt_buffer_peer(dev, NULL, 0, 0, &peer), NRT_INVALID);
	assert_int_equal(fake.peer_imports, 0);

	/* Only HBM buffers are shared */
	host = alloc_ok(dev, PAGE, NRT_PLACEMENT_HOST);
	assert_status(nrt_buffer_export_fd(host, &fd), NRT_UNSUPPORTED);
	assert_status(nrt_buffer_export_fd(NULL, &fd), NRT_INVALID);
	assert_int_equal(fd, -1);

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		fake.peer_errno = refusals[i].err;
		assert_status(nrt_buffer_import_peer(dev, 7, 2, 0, &peer), refusals[i].st);
		assert_error_contains("nrt_buffer_import_peer: import on");
		assert_error_contains("through port 2");
		assert_null(peer);
	}
	fake.peer_errno = 0;

	fake.peer_size = 3 * PAGE;
	assert_status(nrt_buffer_import_peer(dev, 7, 1, NRT_PEER_READONLY, &peer),
		      NRT_SUCCESS);
	assert_int_equal(fake.peer_req.fd, 7);
	assert_int_equal(fake.peer_req.port, 1);
	assert_int_equal(fake.peer_req.flags, DRM_TRN_PEER_READONLY);
	assert_int_equal(nrt_buffer_placement(peer), NRT_PLACEMENT_PEER);
	assert_int_equal(nrt_buffer_size(peer), 3 * PAGE);
	assert_true(nrt_buffer_va(peer) != 0);
	assert_int_equal(fake.live_bos, live + 2);      /* host, peer */

	/* No CPU mapping: reads and writes go by DMA through host memory */
	assert_status(nrt_buffer_map(peer, &p), NRT_UNSUPPORTED);
	assert_error_contains("cannot be mapped by the CPU");
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7);
	assert_status(nrt_buffer_write(peer, 100, in, sizeof(in)), NRT_SUCCESS);
	assert_status(nrt_buffer_read(peer, 100, out, sizeof(out)), NRT_SUCCESS);
	assert_memory_equal(in, out, sizeof(in));
	/* A peer buffer is not shared on */
	assert_status(nrt_buffer_export_fd(peer, &fd), NRT_UNSUPPORTED);
	/* It copies like any other buffer of the device */
	hbm = alloc_ok(dev, PAGE, NRT_PLACEMENT_HBM);
	assert_status(nrt_copy(hbm, 0, peer, 100, sizeof(in), NULL, NULL), NRT_SUCCESS);
	assert_status(nrt_buffer_read(hbm, 0, out, sizeof(out)), NRT_SUCCESS);
	assert_memory_equal(in, out, sizeof(in));

	nrt_buffer_free(hbm);
	nrt_buffer_free(peer);
	nrt_buffer_free(host);
	nrt_device_close(dev);
	/* The library's own buffers go with the device: nothing is left */
	assert_int_equal(fake.live_bos, live);
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
	fake_marker(s, 1);
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
	fake_marker(s, 1);
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
	unsigned int i;

	/* Jobs of 2 descriptors of data and the completion marker. */
	fake.kinfo.hbm_size = 8 * GIB;
	fake.kinfo.max_descs = 3;
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
	assert_true(fake_marker(j1, 2) != fake_marker(j2, 2));
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
	fake.submit_errno = EINVAL;
	fake.submit_errno_at = fake.submits + 1;
	f = (nrt_fence *)&f;
	assert_status(nrt_copy(b, 8, a, 0, (size_t)len, NULL, &f), NRT_INVALID);
	assert_error_contains("nrt_copy: submission of a job of 2 descriptors to queue");
	assert_ptr_equal(f, (nrt_fence *)&f);
	fake.submit_errno = 0;
	/* The failed call gave its marker slots back; w holds one. */
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_free_slots, NRT_MARK_SLOTS - 1);

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
	fake_marker(fake_last(0), 3);   /* after the caller's descriptors */
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
		cmocka_unit_test(test_split_count),
		cmocka_unit_test(test_split_copy),
		cmocka_unit_test(test_split_fill),
		cmocka_unit_test(test_pick_queue),
		cmocka_unit_test(test_fence_status_mapping),
		cmocka_unit_test(test_range_check),
		cmocka_unit_test(test_fail_prefix),
		cmocka_unit_test_setup_teardown(test_alloc_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_no_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_staged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_device_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_sync_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_split_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_round_robin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_fences, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fence_pending_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fence_export_merged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncobj_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_fast_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_slow_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_slots_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marker_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_dma", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
