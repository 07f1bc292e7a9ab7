// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of the communicator API (lib/nrt_comm.c, lib/nrt_coll.c,
 * lib/nrt_ccl_exec.c) against the fake kernel: the id as text, the
 * arguments and options every call checks, and a communicator of one
 * rank, whose collectives run on the fake device end to end (local
 * copies, the collective's last job and its fence). Several ranks need
 * devices cabled to each other: the VM tests run them
 * (tests/vm/t/89-ccl.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_kernel.h"
#include "nrt.h"

static void test_id_text(void **state)
{
	nrt_comm_id id, back;
	char text[NRT_COMM_ID_STRLEN];

	(void)state;
	assert_status(nrt_comm_get_unique_id(NULL), NRT_INVALID);
	assert_status(nrt_comm_get_unique_id(&id), NRT_SUCCESS);
	assert_status(nrt_comm_id_to_string(&id, text, sizeof(text) - 1), NRT_INVALID);
	assert_status(nrt_comm_id_to_string(&id, text, sizeof(text)), NRT_SUCCESS);
	assert_int_equal(strlen(text), NRT_COMM_ID_STRLEN - 1);
	assert_status(nrt_comm_id_from_string(text, &back), NRT_SUCCESS);
	assert_memory_equal(&id, &back, sizeof(id));
	assert_status(nrt_comm_id_from_string("00", &back), NRT_INVALID);
	assert_error_contains("not 256 hexadecimal digits");
	text[3] = 'z';
	assert_status(nrt_comm_id_from_string(text, &back), NRT_INVALID);
	assert_status(nrt_comm_id_from_string(NULL, &back), NRT_INVALID);
}

/* The checks of nrt_comm_init_rank() before any other rank is needed. */
static void test_init_args(void **state)
{
	struct env *e = *state;
	nrt_comm_config cfg = NRT_COMM_CONFIG_INIT;
	nrt_comm *c = NULL;
	nrt_comm_id id, zero;

	assert_status(nrt_comm_get_unique_id(&id), NRT_SUCCESS);
	memset(&zero, 0, sizeof(zero));
	assert_status(nrt_comm_init_rank(NULL, &id, 1, 0, NULL, &c), NRT_INVALID);
	assert_status(nrt_comm_init_rank(e->dev, NULL, 1, 0, NULL, &c), NRT_INVALID);
	assert_status(nrt_comm_init_rank(e->dev, &id, 1, 0, NULL, NULL), NRT_INVALID);
	assert_status(nrt_comm_init_rank(e->dev, &id, 2, 2, NULL, &c), NRT_INVALID);
	assert_error_contains("rank 2 of 2 ranks");
	assert_status(nrt_comm_init_rank(e->dev, &id, 0, 0, NULL, &c), NRT_INVALID);
	assert_status(nrt_comm_init_rank(e->dev, &id, 1025, 0, NULL, &c), NRT_INVALID);
	assert_status(nrt_comm_init_rank(e->dev, &zero, 1, 0, NULL, &c), NRT_INVALID);
	assert_error_contains("not a communicator id");

	cfg.struct_size = 4;
	assert_status(nrt_comm_init_rank(e->dev, &id, 1, 0, &cfg, &c), NRT_INVALID);
	assert_error_contains("struct_size");
	cfg = (nrt_comm_config)NRT_COMM_CONFIG_INIT;
	cfg.algo = (nrt_comm_algo)9;
	assert_status(nrt_comm_init_rank(e->dev, &id, 1, 0, &cfg, &c), NRT_INVALID);
	cfg = (nrt_comm_config)NRT_COMM_CONFIG_INIT;
	cfg.flags = 0x10;
	assert_status(nrt_comm_init_rank(e->dev, &id, 1, 0, &cfg, &c), NRT_INVALID);
	assert_error_contains("unknown 0x10");
	cfg = (nrt_comm_config)NRT_COMM_CONFIG_INIT;
	cfg.slot_bytes = 1000;
	assert_status(nrt_comm_init_rank(e->dev, &id, 1, 0, &cfg, &c), NRT_INVALID);
	assert_error_contains("slot bytes 1000");
	cfg = (nrt_comm_config)NRT_COMM_CONFIG_INIT;
	cfg.slots = 65;
	assert_status(nrt_comm_init_rank(e->dev, &id, 1, 0, &cfg, &c), NRT_INVALID);

	/* The environment's options are checked too */
	setenv("NRT_COMM_ALGO", "spiral", 1);
	assert_status(nrt_comm_init_rank(e->dev, &id, 1, 0, NULL, &c), NRT_INVALID);
	assert_error_contains("NRT_COMM_ALGO=spiral");
	unsetenv("NRT_COMM_ALGO");
	setenv("NRT_COMM_SLOTS", "many", 1);
	assert_status(nrt_comm_init_rank(e->dev, &id, 1, 0, NULL, &c), NRT_INVALID);
	assert_error_contains("NRT_COMM_SLOTS=many");
	unsetenv("NRT_COMM_SLOTS");
	assert_null(c);
}

/* A communicator of one rank from the environment. */
static nrt_comm *one_rank(struct env *e)
{
	char text[NRT_COMM_ID_STRLEN];
	nrt_comm *c = NULL;
	nrt_comm_id id;

	assert_status(nrt_comm_get_unique_id(&id), NRT_SUCCESS);
	assert_status(nrt_comm_id_to_string(&id, text, sizeof(text)), NRT_SUCCESS);
	unsetenv("NRT_COMM_ID");
	unsetenv("NRT_COMM_RANK");
	unsetenv("NRT_COMM_SIZE");
	assert_status(nrt_comm_init_env(e->dev, NULL, &c), NRT_INVALID);
	assert_error_contains("NRT_COMM_ID is not set");
	setenv("NRT_COMM_ID", text, 1);
	assert_status(nrt_comm_init_env(e->dev, NULL, &c), NRT_INVALID);
	assert_error_contains("NRT_COMM_SIZE is not set");
	setenv("NRT_COMM_SIZE", "1", 1);
	setenv("NRT_COMM_RANK", "1", 1);
	assert_status(nrt_comm_init_env(e->dev, NULL, &c), NRT_INVALID);
	assert_error_contains("NRT_COMM_RANK=1 is not a number below 1");
	setenv("NRT_COMM_RANK", "0", 1);
	assert_status(nrt_comm_init_env(e->dev, NULL, &c), NRT_SUCCESS);
	unsetenv("NRT_COMM_ID");
	unsetenv("NRT_COMM_RANK");
	unsetenv("NRT_COMM_SIZE");
	assert_non_null(c);
	return c;
}

static void test_single_rank(void **state)
{
	struct env *e = *state;
	nrt_comm *c = one_rank(e);
	nrt_buffer *a = alloc_ok(e->dev, 64 * KIB, NRT_PLACEMENT_HBM);
	nrt_buffer *b = alloc_ok(e->dev, 64 * KIB, NRT_PLACEMENT_HOST);
	nrt_comm_stats stats = { .struct_size = sizeof(stats) };
	unsigned char *pa = fake_mem(a), *pb = fake_mem(b);
	nrt_fence *f = NULL, *g = NULL;
	unsigned int created, i;

	assert_int_equal(nrt_comm_rank(c), 0);
	assert_int_equal(nrt_comm_size(c), 1);
	assert_ptr_equal(nrt_comm_device(c), e->dev);
	assert_int_equal(nrt_comm_ring_peer(c, 1), -1);
	assert_string_equal(nrt_comm_describe(c, 1 << 20), "ring");
	assert_string_equal(nrt_comm_describe(NULL, 8), "");

	/* Out of place: a copy on the device */
	fill_pattern(pa, 4096, 7);
	memset(pb, 0, 4096);
	assert_status(nrt_all_reduce(c, a, 0, b, 0, 1024, NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL,
				     NULL), NRT_SUCCESS);
	assert_memory_equal(pa, pb, 4096);

	/* Asynchronous, and ordered after the previous call */
	fill_pattern(pa, 256, 9);
	assert_status(nrt_all_gather(c, a, 0, b, 256, 64, NRT_DTYPE_INT32, NULL, &f),
		      NRT_SUCCESS);
	assert_non_null(f);
	assert_status(nrt_broadcast(c, a, 0, b, 512, 64, NRT_DTYPE_BF16, 0, NULL, &g),
		      NRT_SUCCESS);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_status(nrt_fence_wait(g, -1), NRT_SUCCESS);
	assert_status(nrt_fence_wait(g, 0), NRT_SUCCESS);
	nrt_fence_free(f);
	nrt_fence_free(g);
	assert_memory_equal(pa, pb + 256, 256);
	assert_memory_equal(pa, pb + 512, 128);

	/* In place: nothing to move; count 0: nothing at all */
	assert_status(nrt_all_reduce(c, b, 0, b, 0, 1024, NRT_DTYPE_FP16, NRT_REDOP_MAX, NULL,
				     NULL), NRT_SUCCESS);
	assert_status(nrt_reduce_scatter(c, a, 0, a, 0, 16, NRT_DTYPE_INT8, NRT_REDOP_AVG, NULL,
					 NULL), NRT_SUCCESS);
	assert_status(nrt_reduce(c, a, 0, b, 0, 0, NRT_DTYPE_FP32, NRT_REDOP_PROD, 0, NULL, NULL),
		      NRT_SUCCESS);
	assert_status(nrt_all_to_all(c, a, 0, b, 0, 32, NRT_DTYPE_FP8_E4M3, NULL, NULL),
		      NRT_SUCCESS);
	assert_memory_equal(pa, pb, 32);

	/* Finished collectives give their buffers to the next ones */
	created = fake.bos_created;
	for (i = 0; i < 4; i++)
		assert_status(nrt_all_reduce(c, a, 0, b, 0, 64, NRT_DTYPE_INT32, NRT_REDOP_MIN, NULL,
					     NULL), NRT_SUCCESS);
	assert_int_equal(fake.bos_created, created);

	assert_status(nrt_comm_get_stats(c, &stats), NRT_SUCCESS);
	assert_int_equal(stats.collectives, 11);
	assert_int_equal(stats.bytes_sent, 0);
	stats.struct_size = 8;
	assert_status(nrt_comm_get_stats(c, &stats), NRT_INVALID);

	/* A fence outlives its communicator */
	assert_status(nrt_all_reduce(c, a, 0, b, 0, 16, NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL, &f),
		      NRT_SUCCESS);
	nrt_comm_destroy(c);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	nrt_fence_free(f);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/*
 * A job of this rank fails while nobody waits for the collective's fence:
 * the next call learns it, and the communicator stays failed.
 */
static void test_failure_seen_early(void **state)
{
	struct env *e = *state;
	nrt_comm *c = one_rank(e);
	nrt_buffer *a = alloc_ok(e->dev, 8 * KIB, NRT_PLACEMENT_HBM);
	nrt_buffer *b = alloc_ok(e->dev, 8 * KIB, NRT_PLACEMENT_HBM);
	nrt_fence *f = NULL;

	/* The local copy is the first job of the call, the last job the second */
	fake.fail_submit = -EFAULT;
	fake.fail_at = fake.submits;
	assert_status(nrt_all_reduce(c, a, 0, b, 0, 16, NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL, &f),
		      NRT_SUCCESS);
	fake.fail_submit = 0;
	assert_status(nrt_all_gather(c, a, 0, b, 0, 16, NRT_DTYPE_FP32, NULL, NULL),
		      NRT_HW_ERROR);
	assert_error_contains("nrt_all_gather: the communicator failed: rank 0: all_reduce #1, local copy: job on queue");
	assert_error_contains("device address fault");
	assert_status(nrt_broadcast(c, a, 0, b, 0, 16, NRT_DTYPE_FP32, 0, NULL, NULL),
		      NRT_HW_ERROR);
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	assert_error_contains("all_reduce #1, local copy");
	nrt_fence_free(f);
	nrt_comm_destroy(c);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* What every collective call refuses. */
static void test_call_errors(void **state)
{
	struct env *e = *state;
	nrt_comm *c = one_rank(e);
	nrt_buffer *a = alloc_ok(e->dev, 8 * KIB, NRT_PLACEMENT_HBM);
	nrt_buffer *b = alloc_ok(e->dev, 8 * KIB, NRT_PLACEMENT_HBM);
	nrt_device *other = open_ok(1);
	nrt_buffer *x = alloc_ok(other, 8 * KIB, NRT_PLACEMENT_HBM);
	nrt_coll_opts opts = NRT_COLL_OPTS_INIT;
	nrt_fence *wait[17] = { NULL };

	assert_status(nrt_all_reduce(NULL, a, 0, b, 0, 4, NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL,
				     NULL), NRT_INVALID);
	assert_error_contains("nrt_all_reduce: communicator is NULL");
	assert_status(nrt_all_reduce(c, NULL, 0, b, 0, 4, NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL,
				     NULL), NRT_INVALID);
	assert_error_contains("send is NULL");
	assert_status(nrt_all_reduce(c, a, 2, b, 0, 4, NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL, NULL),
		      NRT_INVALID);
	assert_error_contains("not a multiple of the element size 4");
	assert_status(nrt_all_reduce(c, a, 0, b, 0, 4096, NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL,
				     NULL), NRT_INVALID);
	assert_status(nrt_all_reduce(c, a, 0, b, 0, 4, (nrt_dtype)0, NRT_REDOP_SUM, NULL, NULL),
		      NRT_INVALID);
	assert_error_contains("invalid type 0");
	assert_status(nrt_all_reduce(c, a, 0, b, 0, 4, NRT_DTYPE_FP32, (nrt_redop)5, NULL, NULL),
		      NRT_INVALID);
	assert_error_contains("invalid reduction 5");
	assert_status(nrt_all_reduce(c, a, 0, x, 0, 4, NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL, NULL),
		      NRT_INVALID);
	assert_error_contains("recv is a buffer of another device handle");
	assert_status(nrt_all_reduce(c, a, 0, a, 8, 4, NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL, NULL),
		      NRT_INVALID);
	assert_error_contains("overlap and are not in place");
	assert_status(nrt_all_to_all(c, a, 0, a, 0, 4, NRT_DTYPE_FP32, NULL, NULL),
		      NRT_UNSUPPORTED);
	assert_status(nrt_broadcast(c, a, 0, b, 0, 4, NRT_DTYPE_FP32, 1, NULL, NULL),
		      NRT_INVALID);
	assert_error_contains("root 1 of 1 ranks");
	assert_status(nrt_send(c, a, 0, 4, NRT_DTYPE_FP32, 0, NULL, NULL), NRT_INVALID);
	assert_status(nrt_recv(c, b, 0, 4, NRT_DTYPE_FP32, 3, NULL, NULL), NRT_INVALID);

	opts.struct_size = 4;
	assert_status(nrt_all_gather(c, a, 0, b, 0, 4, NRT_DTYPE_FP32, &opts, NULL), NRT_INVALID);
	assert_error_contains("opts->struct_size");
	opts = (nrt_coll_opts)NRT_COLL_OPTS_INIT;
	opts.wait = wait;
	opts.wait_count = 17;
	assert_status(nrt_all_gather(c, a, 0, b, 0, 4, NRT_DTYPE_FP32, &opts, NULL), NRT_INVALID);
	assert_error_contains("at most 16 fences");
	opts.wait_count = 1;
	assert_status(nrt_fill(x, 0, 64, 1, NULL, &wait[0]), NRT_SUCCESS);
	assert_status(nrt_all_gather(c, a, 0, b, 0, 4, NRT_DTYPE_FP32, &opts, NULL), NRT_INVALID);
	assert_error_contains("opts->wait[0] is a fence of another device handle");
	nrt_fence_free(wait[0]);
	assert_status(nrt_fill(a, 0, 64, 3, NULL, &wait[0]), NRT_SUCCESS);
	assert_status(nrt_all_gather(c, a, 0, b, 0, 16, NRT_DTYPE_INT8, &opts, NULL),
		      NRT_SUCCESS);
	assert_memory_equal(fake_mem(a), fake_mem(b), 16);
	nrt_fence_free(wait[0]);

	nrt_comm_destroy(c);
	nrt_comm_destroy(NULL);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
	nrt_buffer_free(x);
	nrt_device_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_text),
		cmocka_unit_test_setup_teardown(test_init_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_rank, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_seen_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_errors, setup, teardown),
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_comm", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
