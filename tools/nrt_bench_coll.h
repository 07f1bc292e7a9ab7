/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench: all-reduce across every device of the machine, one forked
 * rank per device (nrt_bench_coll.c), set against the peer DMA figures of
 * the same run: its bus bandwidth against one link's copy bandwidth, its
 * latency against the ring's hops.
 */
#ifndef NRT_BENCH_COLL_H
#define NRT_BENCH_COLL_H

#include <stdbool.h>
#include <stddef.h>

#include "nrt_bench.h"
#include "nrt_bench_stat.h"

/* The sizes: a small all-reduce for latency, a large one for bandwidth. */
#define COLL_LAT_BYTES 8
#define COLL_BW_BYTES ((size_t)64 << 20)

/* Synchronous 8-byte calls per run, and 64 MiB calls queued per run. */
#define COLL_LAT_CALLS 10
#define COLL_BW_CALLS 1

/* The goal of the bus bandwidth at COLL_BW_BYTES, as a ratio to one link. */
#define COLL_BW_GOAL 0.8

/* The longest a rank waits for another (nrt_comm_config.timeout_ms). */
#define COLL_TIMEOUT_MS 300000

/* < 0 / !measured: not measured. */
struct coll_results {
	bool have;			/* the all-reduces ran */
	unsigned int ranks;
	unsigned int runs;
	char algo_lat[64], algo_bw[64];	/* nrt_comm_describe() of each size */
	struct bench_stat lat_us;	/* an 8-byte all-reduce, us */
	struct bench_stat time_us;	/* a 64 MiB all-reduce, us */
	struct bench_stat busbw_gbps;	/* its bus bandwidth */
};

/*
 * bench_coll() - all-reduce (fp32, sum, out of place) across all devices,
 * when there are at least two: @o->runs runs of COLL_LAT_CALLS synchronous
 * calls of COLL_LAT_BYTES, then (when --max-size allows) @o->runs runs of
 * COLL_BW_CALLS calls of COLL_BW_BYTES queued back to back
 *
 * Return: false after a message if a rank failed.
 */
bool bench_coll(const struct bench_options *o, struct coll_results *cr);

/*
 * coll_busbw_stat() - the bus bandwidth of an all-reduce of @bytes across
 * @nranks from the figure of its time: nccl-tests' algbw * 2(n-1)/n; the
 * slowest run gives the lowest bandwidth
 */
struct bench_stat coll_busbw_stat(struct bench_stat time_us, size_t bytes,
				  unsigned int nranks);

#endif /* NRT_BENCH_COLL_H */
