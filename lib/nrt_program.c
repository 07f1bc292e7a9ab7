// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Programs: steps over tensors, encoded as NeuronCore instructions
 * (include/hw/trn_isa.h, Documentation/isa.rst) and run by EXEC jobs.
 *
 * A program holds the encoded steps in a host array, appended by the
 * calls of nrt_step.c, and references to the storage of every tensor they
 * use. nrt_program_finalize() copies the array into an HBM buffer once;
 * from then on the program takes no step and may be run (nrt_run.c). Runs
 * hold a reference to the program, so it may be freed while they are in
 * flight.
 */
#include <stdlib.h>
#include <string.h>

#include "nrt_program.h"

_Static_assert(NRT_BINARY_ADD == TRN_BIN_ADD && NRT_BINARY_SUB == TRN_BIN_SUB &&
	       NRT_BINARY_MUL == TRN_BIN_MUL && NRT_BINARY_DIV == TRN_BIN_DIV &&
	       NRT_BINARY_MAX == TRN_BIN_MAX && NRT_BINARY_MIN == TRN_BIN_MIN,
	       "nrt_binary_op differs from TRN_BIN_*");
_Static_assert(NRT_ACT_IDENTITY == TRN_ACT_IDENTITY && NRT_ACT_RELU == TRN_ACT_RELU &&
	       NRT_ACT_GELU == TRN_ACT_GELU && NRT_ACT_SILU == TRN_ACT_SILU &&
	       NRT_ACT_EXP == TRN_ACT_EXP && NRT_ACT_TANH == TRN_ACT_TANH &&
	       NRT_ACT_SIGMOID == TRN_ACT_SIGMOID &&
	       NRT_ACT_RECIPROCAL == TRN_ACT_RECIPROCAL &&
	       NRT_ACT_RSQRT == TRN_ACT_RSQRT && NRT_ACT_SQRT == TRN_ACT_SQRT &&
	       NRT_ACT_SQUARE == TRN_ACT_SQUARE && NRT_ACT_ABS == TRN_ACT_ABS,
	       "nrt_activation differs from TRN_ACT_*");
_Static_assert(NRT_REDUCE_SUM == TRN_RED_SUM && NRT_REDUCE_MAX == TRN_RED_MAX &&
	       NRT_REDUCE_MIN == TRN_RED_MIN, "nrt_reduce_op differs from TRN_RED_*");
_Static_assert(NRT_PROGRAM_MAX_STEPS == TRN_PROGRAM_MAX_BYTES / TRN_INSN_SIZE,
	       "NRT_PROGRAM_MAX_STEPS");

/* --- names ------------------------------------------------------------- */

const char *const nrt_bin_names[TRN_BIN_COUNT] = {
	"binary add", "binary sub", "binary mul", "binary div", "binary max",
	"binary min",
};
const char *const nrt_bin_scalar_names[TRN_BIN_COUNT] = {
	"binary add scalar", "binary sub scalar", "binary mul scalar",
	"binary div scalar", "binary max scalar", "binary min scalar",
};
const char *const nrt_act_names[TRN_ACT_COUNT] = {
	"activate identity", "activate relu", "activate gelu", "activate silu",
	"activate exp", "activate tanh", "activate sigmoid",
	"activate reciprocal", "activate rsqrt", "activate sqrt",
	"activate square", "activate abs",
};
const char *const nrt_red_names[TRN_RED_COUNT] = {
	"reduce sum", "reduce max", "reduce min",
};

const char *nrt_insn_name(const unsigned char *insn)
{
	unsigned int func = nrt_get16(insn + TRN_I_FUNC);

	switch (insn[TRN_I_OPCODE]) {
	case TRN_OP_MATMUL:
		return "matmul";
	case TRN_OP_BINARY:
		if (func >= TRN_BIN_COUNT)
			break;
		return insn[TRN_I_FLAGS] & TRN_IF_SCALAR_B ? nrt_bin_scalar_names[func] :
		       nrt_bin_names[func];
	case TRN_OP_ACTIVATE:
		return func < TRN_ACT_COUNT ? nrt_act_names[func] : "activate";
	case TRN_OP_REDUCE:
		return func < TRN_RED_COUNT ? nrt_red_names[func] : "reduce";
	case TRN_OP_TRANSPOSE:
		return "transpose";
	case TRN_OP_CAST:
		return "cast";
	case TRN_OP_DMA:
		return "copy";
	case TRN_OP_SEM_SIGNAL:
		return "sem_signal";
	case TRN_OP_SEM_WAIT:
		return "sem_wait";
	case TRN_OP_NOP:
		return "nop";
	}
	return "binary";
}

/* --- programs ---------------------------------------------------------- */

NRT_API nrt_status nrt_program_new(nrt_device *dev, nrt_program **out)
{
	NRT_API_SCOPE();
	struct nrt_program *p;

	if (!dev)
		return nrt_fail(NRT_INVALID, "nrt_program_new: dev is NULL");
	if (!out)
		return nrt_fail(NRT_INVALID, "nrt_program_new: out is NULL");
	p = calloc(1, sizeof(*p));
	if (!p)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return nrt_fail(NRT_RESOURCE, "cannot create a mutex");
	}
	atomic_init(&p->refs, 1);
	atomic_init(&p->finalized, false);
	p->dev = dev;
	nrt_device_ref(dev);
	*out = p;
	return NRT_SUCCESS;
}

void nrt_program_ref(struct nrt_program *p)
{
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void nrt_program_unref(struct nrt_program *p)
{
	size_t i;

	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* Jobs still running keep the code's memory in the kernel. */
	nrt_buffer_free(p->code);
	for (i = 0; i < p->n_stores; i++)
		nrt_storage_unref(p->stores[i]);
	free(p->stores);
	free(p->insns);
	pthread_mutex_destroy(&p->lock);
	nrt_device_unref(p->dev);
	free(p);
}

NRT_API void nrt_program_free(nrt_program *p)
{
	if (p)
		nrt_program_unref(p);
}

NRT_API nrt_status nrt_program_finalize(nrt_program *p)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_program_finalize";
	struct nrt_buffer *code = NULL;
	nrt_status st = NRT_SUCCESS;
	size_t len;

	if (!p)
		return nrt_fail(NRT_INVALID, "%s: p is NULL", fn);
	pthread_mutex_lock(&p->lock);
	if (p->code)
		goto out;
	if (!p->n) {
		st = nrt_fail(NRT_INVALID, "%s: the program has no steps", fn);
		goto out;
	}
	len = (size_t)p->n * TRN_INSN_SIZE;
	/* Buffers start on a page: TRN_INSN_ALIGN is met. */
	st = nrt_buffer_alloc(p->dev, len, NRT_PLACEMENT_HBM, &code);
	if (st == NRT_SUCCESS)
		st = nrt_buffer_write(code, 0, p->insns, len);
	if (st != NRT_SUCCESS) {
		nrt_buffer_free(code);
		nrt_fail_prefix(st, "%s: program of %u steps", fn, p->n);
		goto out;
	}
	p->code = code;
	atomic_store_explicit(&p->finalized, true, memory_order_release);
out:
	pthread_mutex_unlock(&p->lock);
	return st;
}

NRT_API unsigned int nrt_program_steps(const nrt_program *p)
{
	struct nrt_program *q = (struct nrt_program *)p;
	unsigned int n;

	if (!q)
		return 0;
	pthread_mutex_lock(&q->lock);
	n = q->n;
	pthread_mutex_unlock(&q->lock);
	return n;
}

NRT_API const char *nrt_program_step_name(const nrt_program *p,
					  unsigned int step)
{
	struct nrt_program *q = (struct nrt_program *)p;
	const char *name = NULL;

	if (!q)
		return NULL;
	pthread_mutex_lock(&q->lock);
	if (step < q->n)
		name = nrt_insn_name(q->insns + (size_t)step * TRN_INSN_SIZE);
	pthread_mutex_unlock(&q->lock);
	return name;
}

NRT_API nrt_status nrt_program_encoded(const nrt_program *p,
				       const void **insns, size_t *len)
{
	NRT_API_SCOPE();
	struct nrt_program *q = (struct nrt_program *)p;

	if (!q)
		return nrt_fail(NRT_INVALID, "nrt_program_encoded: p is NULL");
	if (!insns || !len)
		return nrt_fail(NRT_INVALID, "nrt_program_encoded: %s is NULL",
				insns ? "len" : "insns");
	pthread_mutex_lock(&q->lock);
	*insns = q->n ? q->insns : NULL;
	*len = (size_t)q->n * TRN_INSN_SIZE;
	pthread_mutex_unlock(&q->lock);
	return NRT_SUCCESS;
}

