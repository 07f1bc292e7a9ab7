// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench's measurement core: see nrt_bench.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "nrt.h"
#include "nrt_bench.h"
#include "nrt_tool.h"

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool bench_measure_stat(const struct bench_options *o, bench_fn fn, void *ctx,
			size_t size, double work, struct bench_stat *rate)
{
	double *rates = nrt_tool_xmalloc(o->runs * sizeof(*rates));
	unsigned int r;

	if (!fn(ctx, size) || !fn(ctx, 0)) {   /* warm up: faults, first mappings */
		free(rates);
		return false;
	}
	for (r = 0; r < o->runs; r++) {
		double t0 = bench_now_s(), t;
		unsigned int i = 0;

		do {
			if (!fn(ctx, size)) {
				free(rates);
				return false;
			}
			i++;
			t = bench_now_s() - t0;
		} while (i < o->iterations && t < RUN_SECONDS);
		if (!fn(ctx, 0)) {
			free(rates);
			return false;
		}
		t = bench_now_s() - t0;
		rates[r] = work * i / t / 1e9;
	}
	*rate = bench_stat_of(rates, o->runs);
	free(rates);
	return true;
}

bool bench_measure(const struct bench_options *o, bench_fn fn, void *ctx,
		   size_t size, double work, double *rate)
{
	struct bench_stat s;

	if (!bench_measure_stat(o, fn, ctx, size, work, &s))
		return false;
	*rate = s.median;
	return true;
}

/*
 * Device copies are measured as a stream: up to --depth asynchronous
 * copies in flight, spread over the queues by the library, as a program
 * that moves data would run them. Throughput, not the latency of one copy
 * (which the job latency figures give).
 */
static bool copy_wait_oldest(struct bench_copy_ctx *c, size_t size)
{
	nrt_fence *f = c->fences[c->head];
	nrt_status st = nrt_fence_wait(f, -1);

	nrt_fence_free(f);
	c->fences[c->head] = NULL;
	c->head = (c->head + 1) % c->depth;
	c->count--;
	if (st != NRT_SUCCESS) {
		nrt_tool_error("%s copy of %zu bytes: %s",
			       c->what, size, nrt_tool_reason(st));
		return false;
	}
	return true;
}

bool bench_copy_once(void *ctx, size_t size)
{
	struct bench_copy_ctx *c = ctx;
	nrt_status st;
	bool ok = true;

	if (!size) {
		while (c->count)
			ok &= copy_wait_oldest(c, size);
		return ok;
	}
	if (c->count == c->depth && !copy_wait_oldest(c, size))
		return false;
	st = nrt_copy(c->dst, 0, c->src, 0, size, NULL,
		      &c->fences[(c->head + c->count) % c->depth]);
	if (st != NRT_SUCCESS) {
		nrt_tool_error("%s copy of %zu bytes: %s",
			       c->what, size, nrt_tool_reason(st));
		return false;
	}
	c->count++;
	return true;
}
