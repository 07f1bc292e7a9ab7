/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench: what its source files share.
 */
#ifndef NRT_BENCH_H
#define NRT_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "nrt.h"

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
};

/*
 * One transfer or product of the size given, or with a size of 0 the end
 * of a run: wait for every one still in flight. Returns false after
 * printing an error.
 */
typedef bool (*bench_fn)(void *ctx, size_t size);

bool bench_measure(const struct bench_options *o, bench_fn fn, void *ctx,
		   size_t size, double work, double *rate);
double bench_now_s(void);
double bench_median(double *v, size_t n);
void *bench_xmalloc(size_t size);

/* --- matmul (nrt_bench_matmul.c) --- */
#define MATMUL_NSIZES 4
#define MATMUL_NDTYPES 2

extern const unsigned int matmul_sizes[MATMUL_NSIZES];
extern const nrt_dtype matmul_dtypes[MATMUL_NDTYPES];

/* GFLOP/s figures; < 0: not measured. */
struct matmul_results {
	double host_gflops[MATMUL_NSIZES];
	bool have_dev;
	unsigned int cores;		/* NeuronCores the product is split over */
	double dev_gflops[MATMUL_NDTYPES][MATMUL_NSIZES];
};

void bench_host_matmul(const struct bench_options *o, struct matmul_results *mr);
bool bench_dev_matmul(const struct bench_options *o, nrt_device *dev,
		      unsigned int cores, struct matmul_results *mr);

#endif /* NRT_BENCH_H */
