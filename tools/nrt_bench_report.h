/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench: the figures of a run and their output (nrt_bench_report.c),
 * a table for people or a JSON document for programs. A figure below 0
 * was not measured: "-" in the table, null in the document.
 */
#ifndef NRT_BENCH_REPORT_H
#define NRT_BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "nrt.h"
#include "nrt_bench.h"
#include "nrt_bench_coll.h"
#include "nrt_bench_matmul.h"
#include "nrt_bench_peer.h"

/* The transfer sizes of the bandwidth figures. */
#define BENCH_NSIZES 5
extern const size_t bench_sizes[BENCH_NSIZES];

/* Empty jobs in flight for the job rate. */
#define PIPELINE_DEPTH 64

/* The directions of the copies. */
enum direction { DIR_H2D, DIR_D2H, DIR_D2D, NDIRS };

/* A bandwidth figure; gbps < 0: not measured. */
struct bw {
	double gbps;
};

/* The figures of a run. */
struct bench_results {
	size_t nsizes;                  /* sizes measured, from bench_sizes */
	struct bw memcpy_bw[BENCH_NSIZES];
	struct bw copy[NDIRS][BENCH_NSIZES];
	bool have_device;
	nrt_device_info info;
	bool have_latency;
	double ioctl_p50_us;
	double job_p50_us;
	double job_p99_us;
	double jobs_per_second;
	unsigned int pipeline_queues;
	struct matmul_results mm;
	struct peer_results peer;
	struct coll_results coll;
};

/*
 * bench_results_init() - no figure measured yet; the sizes up to
 * @max_size (--max-size) to measure
 */
void bench_results_init(struct bench_results *res, size_t max_size);

/* bench_print_text() - the tables on stdout */
void bench_print_text(const struct bench_options *o, const struct bench_results *res);

/*
 * bench_print_json() - the JSON document on stdout
 * Return: 0, or -1 after a message if it could not be made or written.
 */
int bench_print_json(const struct bench_options *o, const struct bench_results *res);

#endif /* NRT_BENCH_REPORT_H */
