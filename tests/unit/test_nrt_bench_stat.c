// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of nrt-bench's statistics (tools/nrt_bench_stat.c) and of the
 * bus bandwidth of its all-reduce figures (tools/nrt_bench_coll.c, on
 * nrt_cc_busbw() of tools/nrt_ccl_check.c: nccl-tests' definitions).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nrt_bench_coll.h"
#include "nrt_bench_stat.h"

#define MIB ((size_t)1 << 20)

static void assert_near(double got, double want)
{
	if (fabs(got - want) > 1e-9 * fabs(want) + 1e-12)
		fail_msg("%.12g, not %.12g", got, want);
}

static void test_median_percentile(void **state)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };

	(void)state;
	assert_near(bench_median(odd, 3), 3);
	assert_near(bench_median(even, 4), 2.5);
	assert_near(bench_median(one, 1), 7);
	/* sorted by bench_median: nearest rank */
	assert_near(bench_percentile(even, 4, 50), 2);
	assert_near(bench_percentile(even, 4, 99), 4);
	assert_near(bench_percentile(even, 4, 1), 1);
}

static void test_stat_of(void **state)
{
	double v[] = { 2.0, 9.0, 4.0, 1.0, 3.0 };
	struct bench_stat s = bench_stat_of(v, 5);

	(void)state;
	assert_near(s.median, 3);
	assert_near(s.lo, 1);
	assert_near(s.hi, 9);
	assert_true(bench_stat_measured(s));
	s = bench_stat_of(v, 0);
	assert_false(bench_stat_measured(s));
	assert_false(bench_stat_measured(BENCH_STAT_NONE));
}

static void test_stat_split(void **state)
{
	/* runs of 3, 3 and 4 samples: medians 2, 20, 5.5 */
	double v[] = { 1, 2, 3, 30, 20, 10, 4, 5, 6, 100 }, one[] = { 3 };
	struct bench_stat s = bench_stat_split(v, 10, 3);

	(void)state;
	assert_near(s.median, 5.5);	/* of all ten */
	assert_near(s.lo, 2);
	assert_near(s.hi, 20);
	/* more runs than samples: one sample each */
	s = bench_stat_split(one, 1, 5);
	assert_near(s.median, 3);
	assert_near(s.lo, 3);
	assert_near(s.hi, 3);
	assert_false(bench_stat_measured(bench_stat_split(v, 0, 3)));
	assert_false(bench_stat_measured(bench_stat_split(v, 10, 0)));
}

static void test_ratio_scale(void **state)
{
	struct bench_stat a = { 4, 3, 6 }, b = { 2, 1, 4 }, r;

	(void)state;
	/* unpaired runs: the widest spread the runs allow */
	r = bench_stat_ratio(a, b);
	assert_near(r.median, 2);
	assert_near(r.lo, 0.75);
	assert_near(r.hi, 6);
	assert_false(bench_stat_measured(bench_stat_ratio(a, BENCH_STAT_NONE)));
	assert_false(bench_stat_measured(bench_stat_ratio(BENCH_STAT_NONE, b)));
	b.lo = 0;
	assert_false(bench_stat_measured(bench_stat_ratio(a, b)));

	r = bench_stat_scale(a, 16.0 / 8);
	assert_near(r.median, 8);
	assert_near(r.lo, 6);
	assert_near(r.hi, 12);
	assert_false(bench_stat_measured(bench_stat_scale(BENCH_STAT_NONE, 2)));
	assert_false(bench_stat_measured(bench_stat_scale(a, 0)));
}

static void test_goal(void **state)
{
	(void)state;
	assert_int_equal(bench_goal_verdict(0.8, 0.8, true), BENCH_MEETS);
	assert_int_equal(bench_goal_verdict(0.79, 0.8, true), BENCH_SHORT);
	assert_int_equal(bench_goal_verdict(2.0, 0.8, true), BENCH_MEETS);
	assert_int_equal(bench_goal_verdict(1.0, 1.0, false), BENCH_MEETS);
	assert_int_equal(bench_goal_verdict(1.5, 1.0, false), BENCH_SHORT);
	assert_int_equal(bench_goal_verdict(-1, 0.8, true), BENCH_UNMEASURED);
	assert_int_equal(bench_goal_verdict(0.1, -1, true), BENCH_NO_GOAL);
	assert_string_equal(bench_verdict_name(BENCH_SHORT), "SHORT");
	assert_string_equal(bench_verdict_name(BENCH_MEETS), "meets");
	assert_string_equal(bench_verdict_name(BENCH_NO_GOAL), "-");
	assert_string_equal(bench_verdict_name(BENCH_UNMEASURED), "not measured");
}

/* all-reduce busbw = bytes / time * 2(n-1)/n (nccl-tests) */
static void test_busbw(void **state)
{
	struct bench_stat t = { 100000, 80000, 200000 }, b;	/* us */
	double algbw = 64.0 * MIB / 100000 / 1e3;		/* GB/s */

	(void)state;
	/* the median time's busbw; the slowest run is the lowest bandwidth */
	b = coll_busbw_stat(t, 64 * MIB, 16);
	assert_near(b.median, algbw * 30 / 16);
	assert_near(b.lo, 64.0 * MIB / 200000 / 1e3 * 30 / 16);
	assert_near(b.hi, 64.0 * MIB / 80000 / 1e3 * 30 / 16);
	assert_false(bench_stat_measured(coll_busbw_stat(BENCH_STAT_NONE, 64 * MIB, 16)));
	t.lo = 0;
	assert_false(bench_stat_measured(coll_busbw_stat(t, 64 * MIB, 16)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_percentile),
		cmocka_unit_test(test_stat_of),
		cmocka_unit_test(test_stat_split),
		cmocka_unit_test(test_ratio_scale),
		cmocka_unit_test(test_goal),
		cmocka_unit_test(test_busbw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
