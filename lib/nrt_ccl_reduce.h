/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Collectives, internal: the reducer (nrt_ccl_reduce.c).
 */
#ifndef NRT_CCL_REDUCE_H
#define NRT_CCL_REDUCE_H

#include <stdbool.h>
#include <stdint.h>

#include "nrt_log.h"

/*
 * A reduction combines a received slot with local data: dst = slot (op)
 * local, element by element, rounded once to the type, then (for avg)
 * divided by the number of ranks, and records the validity of the result:
 * vout = min(vslot, vlocal). Here a NeuronCore program does it. A DMA
 * engine that reduces into its destination (a future hardware interface)
 * would be another implementation of the same description: only
 * nrt_ccl_exec.c builds jobs from it.
 */
struct nrt_ccl_red {
	uint64_t dst, slot, local;      /* device addresses */
	uint64_t vout, vslot, vlocal;   /* validity cells (int32) */
	uint32_t elems;
	unsigned int dtype;
	unsigned int redop;             /* NRT_REDOP_* */
	unsigned int divide;            /* 0, or the divisor of avg */
};

/* Most instructions a reduction takes. */
#define NRT_CCL_RED_MAX_INSNS 3u

/*
 * nrt_ccl_red_encode() - the program of a reduction
 * @insns: receives NRT_CCL_RED_MAX_INSNS * TRN_INSN_SIZE bytes at most
 *
 * Return: the number of instructions written.
 */
NRT_HIDDEN unsigned int nrt_ccl_red_encode(const struct nrt_ccl_red *r,
					   unsigned char *insns);

/*
 * nrt_ccl_red_supported() - whether the reducer combines @dtype with
 * @redop (every type and operation of the instruction set: yes)
 */
NRT_HIDDEN bool nrt_ccl_red_supported(unsigned int dtype, unsigned int redop);

#endif /* NRT_CCL_REDUCE_H */
