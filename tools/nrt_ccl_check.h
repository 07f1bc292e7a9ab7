/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-ccl-test's data and CPU reference (nrt_ccl_check.c): what every
 * rank puts in its send buffer, and what every rank must find in its
 * receive buffer after a collective, computed on the host.
 *
 * Every rank generates every rank's data (a function of the rank, the
 * element and a seed), so each checks its own result alone. Reductions
 * fold the ranks' elements one at a time, rounding each step to the type
 * as the devices do (Documentation/collectives.rst): in rank order. With
 * exact data (the default) every partial result is representable in the
 * type, so any order of the fold gives these bits and the check holds for
 * every algorithm; with random data only the deterministic chain, which
 * folds in rank order, must match bit for bit.
 */
#ifndef NRT_CCL_CHECK_H
#define NRT_CCL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt.h"

/* The collectives of the tool, in the order of -o all. */
enum nrt_cc_op {
	NRT_CC_ALL_REDUCE,
	NRT_CC_REDUCE_SCATTER,
	NRT_CC_ALL_GATHER,
	NRT_CC_BROADCAST,
	NRT_CC_REDUCE,
	NRT_CC_ALL_TO_ALL,
	NRT_CC_SENDRECV,
	NRT_CC_OP_COUNT
};

/* "all_reduce", ... */
const char *nrt_cc_op_name(enum nrt_cc_op op);

/* Whether @op reduces. */
bool nrt_cc_op_reduces(enum nrt_cc_op op);

/* "sum", "prod", "max", "min", "avg". */
const char *nrt_cc_redop_name(nrt_redop r);

/* What one rank does in one collective of the tool. */
struct nrt_cc_case {
	enum nrt_cc_op op;
	nrt_dtype dtype;
	nrt_redop redop;
	unsigned int nranks, rank, root;
	int send_to, recv_from;         /* sendrecv: ring neighbours, or -1 */
	uint64_t count;                 /* as the call takes it */
	bool exact;                     /* data whose folds are exact */
	uint32_t seed;
};

/* Elements of this rank's send and receive buffers. */
uint64_t nrt_cc_send_elems(const struct nrt_cc_case *k);
uint64_t nrt_cc_recv_elems(const struct nrt_cc_case *k);

/*
 * nrt_cc_busbw_factor() - busbw = algbw * factor, as nccl-tests defines
 * it: 2(n-1)/n for all-reduce, (n-1)/n for reduce-scatter, all-gather and
 * all-to-all, 1 for broadcast, reduce and sendrecv
 */
double nrt_cc_busbw_factor(enum nrt_cc_op op, unsigned int nranks);

/*
 * nrt_cc_algbw() - the algorithm bandwidth of a collective of @bytes (the
 * larger buffer of a rank) that took @time_us: bytes / time, in GB/s
 * (10^9 bytes/s); 0 if @time_us is not positive
 */
double nrt_cc_algbw(uint64_t bytes, double time_us);

/* nrt_cc_busbw() - its bus bandwidth: algbw * nrt_cc_busbw_factor() */
double nrt_cc_busbw(enum nrt_cc_op op, unsigned int nranks, uint64_t bytes,
		    double time_us);

/*
 * nrt_cc_fill() - element @e of rank @rank's send buffer, as bytes of the
 * type at @out
 */
void nrt_cc_fill(const struct nrt_cc_case *k, unsigned int rank, uint64_t e,
		 unsigned char *out);

/*
 * nrt_cc_expect() - element @e of this rank's receive buffer after the
 * collective
 * @out: receives its bytes
 *
 * Return: false if this rank's receive buffer has no element @e the
 * collective sets (a non-root of reduce, a rank out of the sendrecv).
 */
bool nrt_cc_expect(const struct nrt_cc_case *k, uint64_t e, unsigned char *out);

#endif /* NRT_CCL_CHECK_H */
