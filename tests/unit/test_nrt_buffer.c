// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of libnrt buffers: allocation, mappings, transfers through
 * the mapping and staged by DMA (nrt_buffer.c, nrt_transfer.c), and peer
 * buffers (nrt_peer.c), against a fake kernel.
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
	 * 3 chunks of at most 4 MiB through 2 bounce buffers, each job's
	 * outcome from its wait: no sync_file was asked.
	 */
	assert_int_equal(fake.submits - submits, 3);
	assert_int_equal(fake.bos_created - created, 2);
	assert_no_status_query(0, 0);
	for (i = 0; i < 3; i++) {
		const struct fake_submit *s = fake_last(2 - (unsigned int)i);

		assert_int_equal(s->count, 1);
		assert_int_equal(s->descs[0].opcode, DRM_TRN_DMA_OP_COPY);
		assert_true(s->descs[0].dst == nrt_buffer_va(hbm) + off + i * NRT_BOUNCE_SIZE);
		assert_true(s->descs[0].len == (i < 2 ? NRT_BOUNCE_SIZE : MIB + 3));
	}

	memset(out, 0, len);
	assert_status(nrt_buffer_read(hbm, off, out, len), NRT_SUCCESS);
	assert_memory_equal(out, in, len);
	/* The bounce buffers were reused. */
	assert_int_equal(fake.bos_created - created, 2);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_no_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_staged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_device_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_import, setup, teardown),
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_buffer", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
