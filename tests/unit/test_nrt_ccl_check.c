// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of nrt-ccl-test's data and CPU reference
 * (tools/nrt_ccl_check.c): exact data folds to the same bits in every
 * order, in every type and reduction, which is what lets the tool check
 * every algorithm; the shapes of the buffers; nccl-tests' bus bandwidth
 * factors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nrt_ccl_check.h"
#include "trn_numerics.h"

/* Fold element @e of @k's ranks in the order @order, as a device would. */
static void fold(const struct nrt_cc_case *k, const unsigned int *order, uint64_t e,
		 unsigned char *out)
{
	unsigned char b[8];
	double v = 0;
	unsigned int i;

	for (i = 0; i < k->nranks; i++) {
		double x, r;

		nrt_cc_fill(k, order[i], e, b);
		x = trn_load(k->dtype, b);
		switch (k->redop) {
		case NRT_REDOP_PROD:
			r = v * x;
			break;
		case NRT_REDOP_MAX:
			r = v > x ? v : x;
			break;
		case NRT_REDOP_MIN:
			r = v < x ? v : x;
			break;
		default:
			r = v + x;
			break;
		}
		if (!i)
			r = x;
		trn_store(k->dtype, b, r);
		v = trn_load(k->dtype, b);
	}
	if (k->redop == NRT_REDOP_AVG)
		v /= k->nranks;
	trn_store(k->dtype, out, v);
}

static void test_exact_any_order(void **state)
{
	static const unsigned int ranks[] = { 2, 3, 16, 64 };
	unsigned int order[64], d, r, n, i, t;

	(void)state;
	srand(1);
	for (n = 0; n < sizeof(ranks) / sizeof(ranks[0]); n++) {
		for (d = NRT_DTYPE_FP32; d <= NRT_DTYPE_INT32; d++) {
			for (r = 0; r < 5; r++) {
				struct nrt_cc_case k = {
					.op = NRT_CC_ALL_REDUCE, .dtype = (nrt_dtype)d,
					.redop = (nrt_redop)r, .nranks = ranks[n], .count = 300,
					.exact = true, .seed = 42,
				};
				uint64_t e;

				for (e = 0; e < k.count; e++) {
					unsigned char want[8], got[8];

					assert_true(nrt_cc_expect(&k, e, want));
					for (t = 0; t < 4; t++) {
						/* A random order of the ranks */
						for (i = 0; i < k.nranks; i++)
							order[i] = i;
						for (i = k.nranks - 1; i > 0; i--) {
							unsigned int j = (unsigned int)rand() % (i + 1);
							unsigned int tmp = order[i];

							order[i] = order[j];
							order[j] = tmp;
						}
						fold(&k, order, e, got);
						if (memcmp(want, got, trn_dt_size(d)))
							fail_msg("%u ranks %s %s element %llu: order matters",
								 k.nranks, nrt_dtype_name(k.dtype),
								 nrt_cc_redop_name(k.redop),
								 (unsigned long long)e);
					}
				}
			}
		}
	}
}

/* Random data folds in rank order; the data differ between ranks. */
static void test_random_rank_order(void **state)
{
	struct nrt_cc_case k = {
		.op = NRT_CC_ALL_REDUCE, .dtype = NRT_DTYPE_BF16, .redop = NRT_REDOP_SUM,
		.nranks = 8, .count = 64, .exact = false, .seed = 7,
	};
	unsigned int order[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	unsigned char want[8], got[8], a[8], b[8];
	unsigned int differ = 0;
	uint64_t e;

	(void)state;
	for (e = 0; e < k.count; e++) {
		assert_true(nrt_cc_expect(&k, e, want));
		fold(&k, order, e, got);
		assert_memory_equal(want, got, 2);
		nrt_cc_fill(&k, 0, e, a);
		nrt_cc_fill(&k, 1, e, b);
		differ += memcmp(a, b, 2) != 0;
	}
	assert_true(differ > k.count / 2);
}

static void test_shapes(void **state)
{
	struct nrt_cc_case k = {
		.dtype = NRT_DTYPE_INT32, .nranks = 4, .rank = 2, .root = 1, .count = 10,
		.exact = true, .send_to = 3, .recv_from = 1,
	};
	unsigned char want[8], v[8];

	(void)state;
	k.op = NRT_CC_REDUCE_SCATTER;
	assert_int_equal(nrt_cc_send_elems(&k), 40);
	assert_int_equal(nrt_cc_recv_elems(&k), 10);
	k.op = NRT_CC_ALL_GATHER;
	assert_int_equal(nrt_cc_send_elems(&k), 10);
	assert_int_equal(nrt_cc_recv_elems(&k), 40);
	assert_true(nrt_cc_expect(&k, 35, want));
	nrt_cc_fill(&k, 3, 5, v);
	assert_memory_equal(want, v, 4);
	k.op = NRT_CC_ALL_TO_ALL;
	assert_int_equal(nrt_cc_send_elems(&k), 40);
	assert_true(nrt_cc_expect(&k, 13, want));
	nrt_cc_fill(&k, 1, 2 * 10 + 3, v);
	assert_memory_equal(want, v, 4);
	k.op = NRT_CC_BROADCAST;
	assert_true(nrt_cc_expect(&k, 4, want));
	nrt_cc_fill(&k, 1, 4, v);
	assert_memory_equal(want, v, 4);
	k.op = NRT_CC_REDUCE;
	assert_false(nrt_cc_expect(&k, 4, want));
	k.op = NRT_CC_SENDRECV;
	assert_true(nrt_cc_expect(&k, 4, want));
	nrt_cc_fill(&k, 1, 4, v);
	assert_memory_equal(want, v, 4);

	assert_true(nrt_cc_busbw_factor(NRT_CC_ALL_REDUCE, 16) == 2.0 * 15 / 16);
	assert_true(nrt_cc_busbw_factor(NRT_CC_ALL_GATHER, 4) == 0.75);
	assert_true(nrt_cc_busbw_factor(NRT_CC_REDUCE_SCATTER, 4) == 0.75);
	assert_true(nrt_cc_busbw_factor(NRT_CC_ALL_TO_ALL, 2) == 0.5);
	assert_true(nrt_cc_busbw_factor(NRT_CC_BROADCAST, 16) == 1);
	/* nccl-tests: algbw = bytes / time, busbw = algbw * factor; GB/s from us */
	assert_true(fabs(nrt_cc_algbw(64 << 20, 100000) - 0.67108864) < 1e-12);
	assert_true(nrt_cc_algbw(8, 0) == 0);
	assert_true(fabs(nrt_cc_busbw(NRT_CC_ALL_REDUCE, 16, 64 << 20, 100000) -
			 0.67108864 * 30 / 16) < 1e-12);
	assert_true(nrt_cc_busbw(NRT_CC_ALL_REDUCE, 2, 1000, 1) == 1);
	assert_true(nrt_cc_busbw(NRT_CC_ALL_GATHER, 4, 4000, 1) == 3);
	assert_true(nrt_cc_busbw(NRT_CC_BROADCAST, 16, 4000, 1) == 4);
	assert_string_equal(nrt_cc_op_name(NRT_CC_SENDRECV), "sendrecv");
	assert_string_equal(nrt_cc_redop_name(NRT_REDOP_AVG), "avg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_any_order),
		cmocka_unit_test(test_random_rank_order),
		cmocka_unit_test(test_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
