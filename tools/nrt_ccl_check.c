// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-ccl-test's data and CPU reference (nrt_ccl_check.h). The element
 * conversions are those of the devices (include/hw/trn_numerics.h).
 */
#include <string.h>

#include "nrt_ccl_check.h"
#include "trn_numerics.h"

static const char *const nrt_cc_op_names[NRT_CC_OP_COUNT] = {
	[NRT_CC_ALL_REDUCE] = "all_reduce",
	[NRT_CC_REDUCE_SCATTER] = "reduce_scatter",
	[NRT_CC_ALL_GATHER] = "all_gather",
	[NRT_CC_BROADCAST] = "broadcast",
	[NRT_CC_REDUCE] = "reduce",
	[NRT_CC_ALL_TO_ALL] = "all_to_all",
	[NRT_CC_SENDRECV] = "sendrecv",
};

const char *nrt_cc_op_name(enum nrt_cc_op op)
{
	return (unsigned int)op < NRT_CC_OP_COUNT ? nrt_cc_op_names[op] : "unknown";
}

bool nrt_cc_op_reduces(enum nrt_cc_op op)
{
	return op == NRT_CC_ALL_REDUCE || op == NRT_CC_REDUCE_SCATTER || op == NRT_CC_REDUCE;
}

const char *nrt_cc_redop_name(nrt_redop r)
{
	static const char *const names[] = { "sum", "prod", "max", "min", "avg" };

	return (unsigned int)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

uint64_t nrt_cc_send_elems(const struct nrt_cc_case *k)
{
	switch (k->op) {
	case NRT_CC_REDUCE_SCATTER:
	case NRT_CC_ALL_TO_ALL:
		return k->nranks * k->count;
	default:
		return k->count;
	}
}

uint64_t nrt_cc_recv_elems(const struct nrt_cc_case *k)
{
	switch (k->op) {
	case NRT_CC_ALL_GATHER:
	case NRT_CC_ALL_TO_ALL:
		return k->nranks * k->count;
	default:
		return k->count;
	}
}

double nrt_cc_busbw_factor(enum nrt_cc_op op, unsigned int nranks)
{
	double n = nranks;

	switch (op) {
	case NRT_CC_ALL_REDUCE:
		return 2 * (n - 1) / n;
	case NRT_CC_REDUCE_SCATTER:
	case NRT_CC_ALL_GATHER:
	case NRT_CC_ALL_TO_ALL:
		return (n - 1) / n;
	default:
		return 1;
	}
}

double nrt_cc_algbw(uint64_t bytes, double time_us)
{
	return time_us > 0 ? (double)bytes / time_us / 1e3 : 0;
}

double nrt_cc_busbw(enum nrt_cc_op op, unsigned int nranks, uint64_t bytes,
		    double time_us)
{
	return nrt_cc_algbw(bytes, time_us) * nrt_cc_busbw_factor(op, nranks);
}

/* A hash of (seed, rank, e): the same on every rank. */
static uint32_t nrt_cc_hash(uint32_t seed, unsigned int rank, uint64_t e)
{
	uint64_t x = (uint64_t)seed * 0x9e3779b97f4a7c15ull ^ (uint64_t)rank << 40 ^ e;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb33fa85e3ca3ull;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* The value of element @e of rank @rank, before conversion to the type. */
static double nrt_cc_value(const struct nrt_cc_case *k, unsigned int rank, uint64_t e)
{
	uint32_t h = nrt_cc_hash(k->seed, rank, e);
	bool integer = k->dtype == NRT_DTYPE_INT8 || k->dtype == NRT_DTYPE_INT32;
	int r = (int)(h % 2001) - 1000;
	unsigned int m = k->nranks > 16 ? k->nranks : 16;

	if (!nrt_cc_op_reduces(k->op))
		return k->dtype == NRT_DTYPE_INT8 ? r % 128 : integer ? r * 1000 + (int)rank : r / 8.0;
	if (!k->exact) {
		if (k->redop == NRT_REDOP_PROD)
			return integer ? (h % 3 ? 1 : -1) : 1.0 + r / 4000.0;
		return k->dtype == NRT_DTYPE_INT8 ? r % 8 : integer ? r * 1000 : r / 37.0;
	}
	switch (k->redop) {
	case NRT_REDOP_PROD:
		return h % 2 ? 1 : -1;
	case NRT_REDOP_MAX:
	case NRT_REDOP_MIN:
		return (double)(int)(h % 17) - 8;
	default:
		/*
		 * At most 8 ranks add +-1 to an element: every partial sum
		 * is an integer of at most 8 in magnitude, exact in every
		 * type (fp8 e5m2 holds the integers up to 8).
		 */
		return (rank + e) % m < 8 ? (double)(int)(h % 3) - 1 : 0;
	}
}

void nrt_cc_fill(const struct nrt_cc_case *k, unsigned int rank, uint64_t e, unsigned char *out)
{
	trn_store(k->dtype, out, nrt_cc_value(k, rank, e));
}

static double nrt_cc_op2(nrt_redop r, double a, double b)
{
	switch (r) {
	case NRT_REDOP_PROD:
		return a * b;
	case NRT_REDOP_MAX:
		return a > b ? a : b;
	case NRT_REDOP_MIN:
		return a < b ? a : b;
	default:
		return a + b;
	}
}

/* The element of the type that @x rounds to, back as a double. */
static double nrt_cc_round(nrt_dtype dt, double x)
{
	unsigned char b[8];

	trn_store(dt, b, x);
	return trn_load(dt, b);
}

/* Element @e of every rank's send buffer folded in rank order. */
static void nrt_cc_fold(const struct nrt_cc_case *k, uint64_t e, unsigned char *out)
{
	unsigned char b[8];
	double v = 0;
	unsigned int r;

	for (r = 0; r < k->nranks; r++) {
		double x;

		nrt_cc_fill(k, r, e, b);
		x = trn_load(k->dtype, b);
		v = r ? nrt_cc_round(k->dtype, nrt_cc_op2(k->redop, v, x)) : x;
	}
	if (k->redop == NRT_REDOP_AVG)
		v = v / k->nranks;
	trn_store(k->dtype, out, v);
}

bool nrt_cc_expect(const struct nrt_cc_case *k, uint64_t e, unsigned char *out)
{
	switch (k->op) {
	case NRT_CC_ALL_REDUCE:
		nrt_cc_fold(k, e, out);
		return true;
	case NRT_CC_REDUCE:
		if (k->rank != k->root)
			return false;
		nrt_cc_fold(k, e, out);
		return true;
	case NRT_CC_REDUCE_SCATTER:
		nrt_cc_fold(k, k->rank * k->count + e, out);
		return true;
	case NRT_CC_ALL_GATHER:
		nrt_cc_fill(k, (unsigned int)(e / k->count), e % k->count, out);
		return true;
	case NRT_CC_BROADCAST:
		nrt_cc_fill(k, k->root, e, out);
		return true;
	case NRT_CC_ALL_TO_ALL:
		nrt_cc_fill(k, (unsigned int)(e / k->count), k->rank * k->count + e % k->count, out);
		return true;
	case NRT_CC_SENDRECV:
		if (k->recv_from < 0)
			return false;
		nrt_cc_fill(k, (unsigned int)k->recv_from, e, out);
		return true;
	default:
		return false;
	}
}
