// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench's statistics: see nrt_bench_stat.h.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "nrt_bench_stat.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void bench_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

double bench_median(double *v, size_t n)
{
	bench_sort(v, n);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_percentile(const double *v, size_t n, unsigned int p)
{
	size_t rank = (p * n + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

struct bench_stat bench_stat_of(double *v, size_t n)
{
	struct bench_stat s;

	if (!n)
		return BENCH_STAT_NONE;
	s.median = bench_median(v, n);
	s.lo = v[0];
	s.hi = v[n - 1];
	return s;
}

struct bench_stat bench_stat_split(double *v, size_t n, unsigned int runs)
{
	struct bench_stat s = BENCH_STAT_NONE;
	size_t r;

	if (!n || !runs)
		return s;
	if (runs > n)
		runs = (unsigned int)n;
	for (r = 0; r < runs; r++) {
		size_t first = r * n / runs, end = (r + 1) * n / runs;
		double m = bench_median(v + first, end - first);

		if (!r || m < s.lo)
			s.lo = m;
		if (!r || m > s.hi)
			s.hi = m;
	}
	s.median = bench_median(v, n);
	return s;
}

bool bench_stat_measured(struct bench_stat s)
{
	return s.median >= 0 && s.lo >= 0 && s.hi >= 0;
}

struct bench_stat bench_stat_ratio(struct bench_stat a, struct bench_stat b)
{
	struct bench_stat r;

	if (!bench_stat_measured(a) || !bench_stat_measured(b) ||
	    b.median <= 0 || b.lo <= 0 || b.hi <= 0)
		return BENCH_STAT_NONE;
	r.median = a.median / b.median;
	r.lo = a.lo / b.hi;
	r.hi = a.hi / b.lo;
	return r;
}

struct bench_stat bench_stat_scale(struct bench_stat s, double k)
{
	if (!bench_stat_measured(s) || k <= 0)
		return BENCH_STAT_NONE;
	s.median *= k;
	s.lo *= k;
	s.hi *= k;
	return s;
}

enum bench_verdict bench_goal_verdict(double value, double goal, bool at_least)
{
	if (goal < 0)
		return BENCH_NO_GOAL;
	if (value < 0)
		return BENCH_UNMEASURED;
	if (at_least)
		return value >= goal ? BENCH_MEETS : BENCH_SHORT;
	return value <= goal ? BENCH_MEETS : BENCH_SHORT;
}

const char *bench_verdict_name(enum bench_verdict v)
{
	switch (v) {
	case BENCH_UNMEASURED:
		return "not measured";
	case BENCH_MEETS:
		return "meets";
	case BENCH_SHORT:
		return "SHORT";
	default:
		return "-";
	}
}
