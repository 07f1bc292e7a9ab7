// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench: matrix multiplication throughput of a NeuronCore, beside
 * cblas_sgemm() of the host's BLAS library (OpenBLAS on Debian), the same
 * library the device model computes with.
 *
 * Each figure is the median over runs of the floating point operations
 * (2 n^3 per product of two n x n matrices) per second of a square product:
 * on the host, cblas_sgemm() on malloc'd fp32 matrices; on the device, a
 * product over HBM tensors of the dtype, split by rows over all the
 * NeuronCores of the device (one one-step program per core on its band of
 * rows of a and out), started together and timed from submission until
 * the last core has finished: the device's throughput, as a framework that
 * shards a layer over the cores gets it. Each core of the model computes
 * single-threaded, as one engine.
 */
#include <cblas.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt.h"
#include "nrt_bench.h"
#include "nrt_bench_matmul.h"
#include "nrt_tool.h"

const unsigned int matmul_sizes[MATMUL_NSIZES] = { 256, 512, 1024, 2048 };
const nrt_dtype matmul_dtypes[MATMUL_NDTYPES] = { NRT_DTYPE_FP32, NRT_DTYPE_BF16 };

/* Deterministic values in [-1, 1): the figures must not depend on data. */
static void fill_random(float *p, size_t n, unsigned int seed)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (seed + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (float)((double)(x >> 11) / (double)(1ULL << 52) - 1.0);
	}
}

struct host_mm {
	unsigned int n;
	float *a, *b, *c;
};

static bool host_mm_once(void *ctx, size_t size)
{
	struct host_mm *m = ctx;
	int n = (int)m->n;

	if (!size)	/* synchronous: nothing in flight */
		return true;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
		    m->a, n, m->b, n, 0.0f, m->c, n);
	return true;
}

void bench_host_matmul(const struct bench_options *o, struct matmul_results *mr)
{
	size_t i;

	for (i = 0; i < MATMUL_NSIZES; i++) {
		unsigned int n = matmul_sizes[i];
		struct host_mm m = { .n = n };
		size_t elems = (size_t)n * n;

		if (n > o->max_matmul)
			continue;
		m.a = nrt_tool_xmalloc(elems * sizeof(float));
		m.b = nrt_tool_xmalloc(elems * sizeof(float));
		m.c = nrt_tool_xmalloc(elems * sizeof(float));
		fill_random(m.a, elems, 1);
		fill_random(m.b, elems, 2);
		if (!bench_measure(o, host_mm_once, &m, n, 2.0 * n * n * n,
				   &mr->host_gflops[i]))
			mr->host_gflops[i] = -1;
		free(m.a);
		free(m.b);
		free(m.c);
	}
}

#define MAX_CORES 64

struct dev_mm {
	unsigned int cores;
	nrt_program *prog[MAX_CORES];
	nrt_tensor *band[2][MAX_CORES];	/* rows of a and out per core */
	const char *what;
};

static bool dev_mm_once(void *ctx, size_t size)
{
	struct dev_mm *m = ctx;
	nrt_fence *f[MAX_CORES] = { NULL };
	nrt_status st = NRT_SUCCESS;
	unsigned int c;
	bool ok = true;

	if (!size)	/* each product is waited for */
		return true;
	for (c = 0; c < m->cores && st == NRT_SUCCESS; c++)
		st = nrt_program_run(m->prog[c], c, NULL, &f[c]);
	if (st != NRT_SUCCESS) {
		nrt_tool_error("%s: %s", m->what, nrt_last_error());
		ok = false;
	}
	for (c = 0; c < m->cores; c++) {
		if (!f[c])
			continue;
		st = nrt_fence_wait(f[c], -1);
		if (st != NRT_SUCCESS && ok) {
			nrt_tool_error("%s: %s", m->what, nrt_last_error());
			ok = false;
		}
		nrt_fence_free(f[c]);
	}
	return ok;
}

/* One dtype and size on the device; false on an error (reported). */
static bool dev_matmul_one(const struct bench_options *o, nrt_device *dev,
			   unsigned int cores, nrt_dtype dt, unsigned int n,
			   double *gflops)
{
	uint32_t shape[2] = { n, n };
	nrt_tensor *t[3] = { NULL, NULL, NULL };	/* a, b, c */
	size_t elems = (size_t)n * n;
	struct dev_mm m = { .cores = cores };
	char what[64];
	float *host = NULL;
	nrt_status st = NRT_SUCCESS;
	unsigned int c;
	bool ok = false;
	int k;

	snprintf(what, sizeof(what), "%s matmul %ux%u", nrt_dtype_name(dt), n, n);
	m.what = what;
	for (k = 0; k < 3 && st == NRT_SUCCESS; k++)
		st = nrt_tensor_alloc(dev, dt, 2, shape, NRT_PLACEMENT_HBM, &t[k]);
	if (st == NRT_SUCCESS) {
		host = nrt_tool_xmalloc(elems * sizeof(float));
		fill_random(host, elems, 1);
		st = nrt_tensor_write(t[0], host, NRT_DTYPE_FP32);
		if (st == NRT_SUCCESS) {
			fill_random(host, elems, 2);
			st = nrt_tensor_write(t[1], host, NRT_DTYPE_FP32);
		}
	}
	/* Core c computes rows [n * c / cores, n * (c + 1) / cores). */
	for (c = 0; c < cores && st == NRT_SUCCESS; c++) {
		uint32_t r0 = (uint32_t)((uint64_t)n * c / cores);
		uint32_t r1 = (uint32_t)((uint64_t)n * (c + 1) / cores);

		st = nrt_tensor_slice(t[0], 0, r0, r1 - r0, &m.band[0][c]);
		if (st == NRT_SUCCESS)
			st = nrt_tensor_slice(t[2], 0, r0, r1 - r0, &m.band[1][c]);
		if (st == NRT_SUCCESS)
			st = nrt_program_new(dev, &m.prog[c]);
		if (st == NRT_SUCCESS)
			st = nrt_program_matmul(m.prog[c], m.band[1][c], m.band[0][c],
						t[1], 1.0f, false);
		if (st == NRT_SUCCESS)
			st = nrt_program_finalize(m.prog[c]);
	}
	if (st != NRT_SUCCESS)
		nrt_tool_error("%s: %s", what, nrt_last_error());
	else
		ok = bench_measure(o, dev_mm_once, &m, n, 2.0 * n * n * n, gflops);
	for (c = 0; c < cores; c++) {
		nrt_program_free(m.prog[c]);
		nrt_tensor_free(m.band[0][c]);
		nrt_tensor_free(m.band[1][c]);
	}
	for (k = 0; k < 3; k++)
		nrt_tensor_free(t[k]);
	free(host);
	return ok;
}

bool bench_dev_matmul(const struct bench_options *o, nrt_device *dev,
		      unsigned int cores, struct matmul_results *mr)
{
	size_t i, d;

	if (cores > MAX_CORES)
		cores = MAX_CORES;
	mr->cores = cores;

	for (d = 0; d < MATMUL_NDTYPES; d++) {
		for (i = 0; i < MATMUL_NSIZES; i++) {
			if (matmul_sizes[i] > o->max_matmul)
				continue;
			if (!dev_matmul_one(o, dev, cores, matmul_dtypes[d], matmul_sizes[i],
					    &mr->dev_gflops[d][i]))
				return false;
		}
	}
	mr->have_dev = true;
	return true;
}
