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

bool bench_measure(const struct bench_options *o, bench_fn fn, void *ctx,
		   size_t size, double work, double *rate);
double bench_now_s(void);
double bench_median(double *v, size_t n);

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

/* --- peer DMA (nrt_bench_peer.c) --- */
#define PEER_NSIZES 3
#define PEER_RING_MSG 64

extern const size_t peer_sizes[PEER_NSIZES];

/* GB/s and microseconds; < 0: not measured. */
struct peer_results {
	bool have;			/* the device has an up port to a device */
	unsigned int dev, port, peer;	/* the link measured */
	double local_gbps[PEER_NSIZES];
	double push_gbps[PEER_NSIZES];
	double pull_gbps[PEER_NSIZES];
	unsigned int ring_len, ring_port; /* the ring of the latency figure */
	double ring_lap_us, ring_hop_us;
	double local_us;		/* a local copy of PEER_RING_MSG bytes */
};

bool bench_peer(const struct bench_options *o, struct peer_results *pr);

#endif /* NRT_BENCH_H */
