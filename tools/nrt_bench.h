/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench's measurement core (nrt_bench.c), which its benchmarks call:
 * the options, the timing of runs and their statistics, and a stream of
 * device copies.
 */
#ifndef NRT_BENCH_H
#define NRT_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "nrt.h"
#include "nrt_bench_stat.h"

#define NRT_BENCH_NAME "nrt-bench"

/* A run of a bandwidth or matmul figure lasts at most this long. */
#define RUN_SECONDS 0.25

struct bench_options {
	unsigned int device;
	bool json;
	bool host_only;
	size_t max_size;
	unsigned int max_matmul;
	unsigned int iterations;
	unsigned int runs;
	unsigned int depth;
	const char *baseline;
	bool no_coll;			/* --no-collectives */
};

/*
 * One transfer or product of the size given, or with a size of 0 the end
 * of a run: wait for every one still in flight. Returns false after
 * printing an error.
 */
typedef bool (*bench_fn)(void *ctx, size_t size);

/*
 * A stream of device copies from @src to @dst with up to @depth in flight
 * (bench_copy_once() is its bench_fn); @what names it in errors.
 */
#define MAX_COPY_DEPTH 1024
struct bench_copy_ctx {
	nrt_buffer *dst, *src;
	const char *what;
	nrt_fence *fences[MAX_COPY_DEPTH];
	unsigned int depth, head, count;
};

bool bench_copy_once(void *ctx, size_t size);

/*
 * bench_measure() - the median over @o->runs runs of the rate of @fn, in
 * 10^9 units of @work per second: each run repeats @fn(@ctx, @size), each
 * call doing @work, until RUN_SECONDS have passed or @o->iterations were
 * done, then calls @fn(@ctx, 0) to wait for the last ones to finish. One
 * call before the runs warms up caches and mappings.
 *
 * Return: false if @fn failed (it has said why).
 */
bool bench_measure(const struct bench_options *o, bench_fn fn, void *ctx,
		   size_t size, double work, double *rate);

/* bench_measure_stat() - the same, with the spread of the runs */
bool bench_measure_stat(const struct bench_options *o, bench_fn fn, void *ctx,
			size_t size, double work, struct bench_stat *rate);

/* CLOCK_MONOTONIC in seconds. */
double bench_now_s(void);

#endif /* NRT_BENCH_H */
