/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench's statistics (nrt_bench_stat.c): the median of samples, a
 * figure of repeated runs with its spread, ratios of such figures, and
 * the verdict of a figure against its goal. Pure computations, with no
 * device, so that they are unit-tested on the host.
 */
#ifndef NRT_BENCH_STAT_H
#define NRT_BENCH_STAT_H

#include <stdbool.h>
#include <stddef.h>

/* Sort @n values; their median (sorts them); the nearest-rank percentile
 * @p (1..100) of @n >= 1 sorted values. */
void bench_sort(double *v, size_t n);
double bench_median(double *v, size_t n);
double bench_percentile(const double *v, size_t n, unsigned int p);

/*
 * A figure of repeated runs: the median of the runs' values and the
 * spread, their lowest and highest. All < 0: not measured.
 */
struct bench_stat {
	double median, lo, hi;
};

#define BENCH_STAT_NONE ((struct bench_stat){ -1, -1, -1 })

/* bench_stat_of() - the figure of @n run values @v (sorts them); none if !@n */
struct bench_stat bench_stat_of(double *v, size_t n);

/*
 * bench_stat_split() - the figure of @n >= 1 samples @v taken in order:
 * the median of all of them, and as its spread the lowest and highest
 * median of the @runs groups of consecutive samples they split into
 * (at most @n groups, of sizes that differ by one at most); reorders @v
 */
struct bench_stat bench_stat_split(double *v, size_t n, unsigned int runs);

/* bench_stat_measured() - whether @s was measured */
bool bench_stat_measured(struct bench_stat s);

/*
 * bench_stat_ratio() - @a / @b for figures of runs that are not paired:
 * the ratio of the medians, and as its spread the widest the runs allow,
 * from @a.lo / @b.hi to @a.hi / @b.lo. Not measured if either is not or a
 * value is 0.
 */
struct bench_stat bench_stat_ratio(struct bench_stat a, struct bench_stat b);

/* bench_stat_scale() - @s times @k > 0 */
struct bench_stat bench_stat_scale(struct bench_stat s, double k);

/* A figure against its goal. */
enum bench_verdict {
	BENCH_NO_GOAL,		/* reported only */
	BENCH_UNMEASURED,	/* the figure is missing */
	BENCH_MEETS,
	BENCH_SHORT,		/* falls short of the goal */
};

/*
 * bench_goal_verdict() - whether @value meets @goal: at least @goal if
 * @at_least, else at most @goal; BENCH_NO_GOAL if @goal < 0
 */
enum bench_verdict bench_goal_verdict(double value, double goal, bool at_least);

/* "-", "not measured", "meets", "SHORT" */
const char *bench_verdict_name(enum bench_verdict v);

#endif /* NRT_BENCH_STAT_H */
