/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench: matmul throughput of the host and of the device
 * (nrt_bench_matmul.c).
 */
#ifndef NRT_BENCH_MATMUL_H
#define NRT_BENCH_MATMUL_H

#include <stdbool.h>
#include <stddef.h>

#include "nrt.h"
#include "nrt_bench.h"

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

#endif /* NRT_BENCH_MATMUL_H */
