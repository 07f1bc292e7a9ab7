// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The reducer of collectives: the NeuronCore program that combines a
 * received slot with local data (struct nrt_ccl_red, nrt_ccl_reduce.h).
 *
 *   0: BINARY op     dst = slot (op) local          (of the collective's type)
 *   1: BINARY DIV    dst = dst / divide, scalar      (avg only, in place)
 *   2: BINARY MIN    vout = min(vslot, vlocal)       (int32, one element)
 *
 * BINARY computes in double precision and rounds once to the type, so a
 * reduction step is exactly "round(slot op local)"; avg rounds the sum,
 * then the quotient. The validity cells carry the collective's token
 * (nrt_ccl_exec.c): the minimum is the token only if both inputs carry it.
 */
#include <string.h>

#include "nrt_ccl_reduce.h"
#include "nrt_program.h"

static const uint16_t nrt_ccl_binop[] = {
	[NRT_REDOP_SUM] = TRN_BIN_ADD,
	[NRT_REDOP_PROD] = TRN_BIN_MUL,
	[NRT_REDOP_MAX] = TRN_BIN_MAX,
	[NRT_REDOP_MIN] = TRN_BIN_MIN,
	[NRT_REDOP_AVG] = TRN_BIN_ADD,
};

bool nrt_ccl_red_supported(unsigned int dtype, unsigned int redop)
{
	return dtype >= TRN_DT_FP32 && dtype < TRN_DT_COUNT &&
	       redop < sizeof(nrt_ccl_binop) / sizeof(nrt_ccl_binop[0]);
}

/* A vector of @elems elements of @dtype at @va, as a 4-D operand. */
static void nrt_ccl_vec(struct nrt_operand *o, uint64_t va, unsigned int dtype,
			uint32_t elems)
{
	unsigned int d;

	memset(o, 0, sizeof(*o));
	o->va = va;
	o->dtype = dtype;
	for (d = 0; d < TRN_MAX_DIMS; d++) {
		o->shape[d] = d + 1 < TRN_MAX_DIMS ? 1 : elems;
		o->stride[d] = d + 1 < TRN_MAX_DIMS ? (int32_t)elems : 1;
	}
	/* A stride must fit: any will do for the dimensions of size 1 */
	if (elems > INT32_MAX)
		for (d = 0; d + 1 < TRN_MAX_DIMS; d++)
			o->stride[d] = 1;
}

static void nrt_ccl_binary(unsigned char *insn, uint16_t func, uint8_t flags,
			   float alpha, const struct nrt_operand *out,
			   const struct nrt_operand *a, const struct nrt_operand *b)
{
	memset(insn, 0, TRN_INSN_SIZE);
	insn[TRN_I_OPCODE] = TRN_OP_BINARY;
	insn[TRN_I_FLAGS] = flags;
	nrt_put16(insn + TRN_I_FUNC, func);
	if (flags & TRN_IF_SCALAR_B) {
		uint32_t bits;

		memcpy(&bits, &alpha, sizeof(bits));
		nrt_put32(insn + TRN_I_ALPHA, bits);
	}
	nrt_encode_operand(insn, 0, out);
	nrt_encode_operand(insn, 1, a);
	if (b)
		nrt_encode_operand(insn, 2, b);
}

unsigned int nrt_ccl_red_encode(const struct nrt_ccl_red *r, unsigned char *insns)
{
	struct nrt_operand dst, slot, local, vout, vslot, vlocal;
	unsigned int n = 0;

	nrt_ccl_vec(&dst, r->dst, r->dtype, r->elems);
	nrt_ccl_vec(&slot, r->slot, r->dtype, r->elems);
	nrt_ccl_vec(&local, r->local, r->dtype, r->elems);
	nrt_ccl_binary(insns + n++ * TRN_INSN_SIZE, nrt_ccl_binop[r->redop], 0, 0.0f,
		       &dst, &slot, &local);
	if (r->divide)
		nrt_ccl_binary(insns + n++ * TRN_INSN_SIZE, TRN_BIN_DIV, TRN_IF_SCALAR_B,
			       (float)r->divide, &dst, &dst, NULL);
	nrt_ccl_vec(&vout, r->vout, TRN_DT_INT32, 1);
	nrt_ccl_vec(&vslot, r->vslot, TRN_DT_INT32, 1);
	nrt_ccl_vec(&vlocal, r->vlocal, TRN_DT_INT32, 1);
	nrt_ccl_binary(insns + n++ * TRN_INSN_SIZE, TRN_BIN_MIN, 0, 0.0f, &vout, &vslot,
		       &vlocal);
	return n;
}
