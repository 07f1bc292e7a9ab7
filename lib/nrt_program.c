// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Programs: steps over tensors, encoded as NeuronCore instructions
 * (include/hw/trn_isa.h, Documentation/isa.rst) and run by EXEC jobs.
 *
 * Building. Each append validates its tensors against the rules of its
 * opcode, maps them to the hardware's 4-D operands (a tensor of rank r gets
 * 4 - r leading dimensions of size 1; an input broadcasts to the output's
 * shape by stride 0), encodes the 256-byte instruction into a host array
 * and takes a reference to the storage of every tensor it uses. Nothing is
 * added when a check fails: the message names the step ("step 3 (matmul):
 * inner dimensions differ: a is 64x32, b is 48x16"). The library only
 * encodes instructions that the hardware accepts: the shape, type, range
 * and alignment rules are checked here, so a program fails on the device
 * only for reasons of memory (an address that does not translate).
 * nrt_program_finalize() copies the array into an HBM buffer once.
 *
 * Running. A run is one job on the queue of its core (dma_queues + core):
 * an EXEC descriptor and the completion marker of nrt_dma.c. The EXEC
 * descriptor points at a status record owned by the run (nrt_rec_get():
 * per device handle, in HOST memory, so that concurrent runs each have
 * their own). The record is filled with a sentinel before submission. The
 * run's fence carries nrt_run_ops: when the job fails, the fence's error
 * message is rewritten from the record to name the failing step (its
 * index, kind and the hardware error); when the fence is freed, the record
 * goes back (or onto the device's pending list if the job may still be
 * running) and the run's reference to the program is dropped. Runs hold a
 * reference to the program, so it may be freed while they are in flight.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_internal.h"
#include "trn_errors.h"
#include "trn_isa.h"
#include "trn_regs.h"

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
_Static_assert(NRT_REC_SIZE == TRN_EXEC_ST_SIZE, "status record size");
_Static_assert(DRM_TRN_DMA_OP_EXEC == TRN_DMA_OP_EXEC, "EXEC opcode");

/* The error field of a record before the device has written it. */
#define NRT_REC_UNWRITTEN UINT32_MAX

/* The 0.3 nrt_run_opts, the smallest struct_size accepted. */
#define NRT_RUN_OPTS_SIZE_0_3 \
	(offsetof(nrt_run_opts, wait_count) + sizeof(size_t))

struct nrt_program {
	struct nrt_device *dev;         /* holds a reference */
	atomic_uint refs;               /* the handle and the runs in flight */
	pthread_mutex_t lock;           /* everything below until finalized */
	unsigned char *insns;           /* host copy: @n instructions */
	unsigned int n, cap;
	struct nrt_storage **stores;    /* storage of every tensor used, once */
	size_t n_stores, cap_stores;
	struct nrt_buffer *code;        /* HBM copy, once finalized */
	atomic_bool finalized;          /* @code, @insns and @n are final */
};

/* What a run keeps until its fence is freed (nrt_fence.ctx). */
struct nrt_run {
	struct nrt_program *prog;       /* holds a reference */
	unsigned int core;
	uint32_t rec;                   /* status record */
};

/* --- names ------------------------------------------------------------- */

static const char *const bin_names[TRN_BIN_COUNT] = {
	"binary add", "binary sub", "binary mul", "binary div", "binary max",
	"binary min",
};
static const char *const bin_scalar_names[TRN_BIN_COUNT] = {
	"binary add scalar", "binary sub scalar", "binary mul scalar",
	"binary div scalar", "binary max scalar", "binary min scalar",
};
static const char *const act_names[TRN_ACT_COUNT] = {
	"activate identity", "activate relu", "activate gelu", "activate silu",
	"activate exp", "activate tanh", "activate sigmoid",
	"activate reciprocal", "activate rsqrt", "activate sqrt",
	"activate square", "activate abs",
};
static const char *const red_names[TRN_RED_COUNT] = {
	"reduce sum", "reduce max", "reduce min",
};

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The name of the step encoded at @insn. */
static const char *insn_name(const unsigned char *insn)
{
	unsigned int func = get16(insn + TRN_I_FUNC);

	switch (insn[TRN_I_OPCODE]) {
	case TRN_OP_MATMUL:
		return "matmul";
	case TRN_OP_BINARY:
		if (func >= TRN_BIN_COUNT)
			break;
		return insn[TRN_I_FLAGS] & TRN_IF_SCALAR_B ? bin_scalar_names[func] :
		       bin_names[func];
	case TRN_OP_ACTIVATE:
		return func < TRN_ACT_COUNT ? act_names[func] : "activate";
	case TRN_OP_REDUCE:
		return func < TRN_RED_COUNT ? red_names[func] : "reduce";
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

/* --- encoding ---------------------------------------------------------- */

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t f32_bits(float f)
{
	uint32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

/* A tensor as a 4-D operand. */
struct operand {
	uint64_t va;
	unsigned int dtype;
	uint32_t shape[TRN_MAX_DIMS];
	int32_t stride[TRN_MAX_DIMS];
};

/* @t with 4 - rank leading dimensions of size 1. */
static void operand_of(const struct nrt_tensor *t, struct operand *o)
{
	unsigned int lead = TRN_MAX_DIMS - t->rank, d;
	int64_t pad = (int64_t)t->shape[0] * t->strides[0];

	/* Any stride does for a dimension of size 1; a nonzero one is tidy. */
	if (pad <= 0 || pad > INT32_MAX)
		pad = 1;
	o->va = t->st->buf->va + t->offset;
	o->dtype = (unsigned int)t->dtype;
	for (d = 0; d < TRN_MAX_DIMS; d++) {
		o->shape[d] = d < lead ? 1 : t->shape[d - lead];
		o->stride[d] = d < lead ? (int32_t)pad : t->strides[d - lead];
	}
}

static void encode_operand(unsigned char *insn, unsigned int slot,
			   const struct operand *o)
{
	unsigned char *p = insn + TRN_I_OPERAND(slot);
	unsigned int d;

	put64(p + TRN_O_VA, o->va);
	p[TRN_O_DTYPE] = (unsigned char)o->dtype;
	for (d = 0; d < TRN_MAX_DIMS; d++) {
		put32(p + TRN_O_SHAPE(d), o->shape[d]);
		put32(p + TRN_O_STRIDE(d), (uint32_t)o->stride[d]);
	}
}

/* --- steps ------------------------------------------------------------- */

/* An append in progress: @p is locked from step_begin() to step_end(). */
struct step {
	struct nrt_program *p;
	unsigned int index;
	const char *name;
	unsigned char insn[TRN_INSN_SIZE];
	const struct nrt_tensor *tensors[TRN_I_NOPERANDS];
	unsigned int n_tensors;
};

static nrt_status step_fail(const struct step *s, const char *fmt, ...)
	NRT_PRINTF(2, 3);

static nrt_status step_fail(const struct step *s, const char *fmt, ...)
{
	char msg[NRT_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nrt_fail(NRT_INVALID, "step %u (%s): %s", s->index, s->name, msg);
}

/*
 * Start an append of @fn to @p: lock it and check that it takes steps.
 * On success the caller must end with step_end().
 */
static nrt_status step_begin(struct step *s, nrt_program *p, const char *fn,
			     const char *name)
{
	memset(s, 0, sizeof(*s));
	if (!p)
		return nrt_fail(NRT_INVALID, "%s: p is NULL", fn);
	pthread_mutex_lock(&p->lock);
	s->p = p;
	s->index = p->n;
	s->name = name;
	if (atomic_load_explicit(&p->finalized, memory_order_relaxed)) {
		pthread_mutex_unlock(&p->lock);
		return nrt_fail(NRT_INVALID,
				"step %u (%s): the program is finalized: no step can be added",
				s->index, name);
	}
	if (p->n == NRT_PROGRAM_MAX_STEPS) {
		pthread_mutex_unlock(&p->lock);
		return nrt_fail(NRT_INVALID,
				"step %u (%s): the program is full (%u steps)",
				s->index, name, NRT_PROGRAM_MAX_STEPS);
	}
	return NRT_SUCCESS;
}

/*
 * step_begin() of a step with a function: named @names[@func], or @kind
 * when @func is not below @count, which fails (and unlocks).
 */
static nrt_status step_begin_func(struct step *s, nrt_program *p, const char *fn,
				  const char *kind, const char *const *names,
				  unsigned int count, int func)
{
	bool known = func >= 0 && (unsigned int)func < count;
	nrt_status st = step_begin(s, p, fn, known ? names[func] : kind);

	if (st != NRT_SUCCESS || known)
		return st;
	st = step_fail(s, "unknown function %d", func);
	pthread_mutex_unlock(&p->lock);
	return st;
}

static bool program_has_store(const struct nrt_program *p,
			      const struct nrt_storage *st)
{
	size_t i;

	for (i = 0; i < p->n_stores; i++) {
		if (p->stores[i] == st)
			return true;
	}
	return false;
}

/* Add the encoded step if @st is NRT_SUCCESS, and unlock. */
static nrt_status step_end(struct step *s, nrt_status st)
{
	struct nrt_program *p = s->p;
	unsigned int i;

	if (st != NRT_SUCCESS)
		goto out;
	/* Room for everything first, so that nothing is half added. */
	if (p->n == p->cap) {
		unsigned int cap = p->cap ? 2 * p->cap : 16;
		unsigned char *v = realloc(p->insns, (size_t)cap * TRN_INSN_SIZE);

		if (!v) {
			st = nrt_fail(NRT_RESOURCE, "out of memory");
			goto out;
		}
		p->insns = v;
		p->cap = cap;
	}
	if (p->cap_stores - p->n_stores < TRN_I_NOPERANDS) {
		size_t cap = 2 * p->cap_stores + TRN_I_NOPERANDS;
		struct nrt_storage **v = realloc(p->stores, cap * sizeof(*v));

		if (!v) {
			st = nrt_fail(NRT_RESOURCE, "out of memory");
			goto out;
		}
		p->stores = v;
		p->cap_stores = cap;
	}
	memcpy(p->insns + (size_t)p->n * TRN_INSN_SIZE, s->insn, TRN_INSN_SIZE);
	p->n++;
	for (i = 0; i < s->n_tensors; i++) {
		struct nrt_storage *store = s->tensors[i]->st;

		if (program_has_store(p, store))
			continue;
		nrt_storage_ref(store);
		p->stores[p->n_stores++] = store;
	}
out:
	pthread_mutex_unlock(&p->lock);
	return st;
}

static void step_header(struct step *s, unsigned int opcode, unsigned int flags,
			unsigned int func, uint32_t aux, uint64_t imm,
			uint32_t alpha, uint32_t beta)
{
	s->insn[TRN_I_OPCODE] = (unsigned char)opcode;
	s->insn[TRN_I_FLAGS] = (unsigned char)flags;
	put16(s->insn + TRN_I_FUNC, (uint16_t)func);
	put32(s->insn + TRN_I_AUX, aux);
	put64(s->insn + TRN_I_IMM, imm);
	put32(s->insn + TRN_I_ALPHA, alpha);
	put32(s->insn + TRN_I_BETA, beta);
}

/* Check tensor argument @what of the step and note it for a reference. */
static nrt_status step_tensor(struct step *s, const char *what,
			      const struct nrt_tensor *t, bool output)
{
	unsigned int dim;

	if (!t)
		return step_fail(s, "%s is NULL", what);
	if (t->st->buf->dev != s->p->dev)
		return step_fail(s, "%s is a tensor of another device handle", what);
	if (output && nrt_tensor_bcast_dim(t, &dim))
		return step_fail(s, "%s is a broadcast view (dimension %u of size %" PRIu32
				 " has stride 0): it cannot be an output",
				 what, dim, t->shape[dim]);
	s->tensors[s->n_tensors++] = t;
	return NRT_SUCCESS;
}

static void shape_of(const struct nrt_tensor *t, char *buf, size_t size)
{
	nrt_shape_str(buf, size, t->rank, t->shape);
}

/*
 * Input @in (argument @what) as an operand of the 4-D shape @shape of
 * output @out: dimensions aligned at the end, those of size 1 (or missing)
 * repeated with stride 0.
 */
static nrt_status step_bcast(struct step *s, const char *what,
			     const struct nrt_tensor *in, const char *outname,
			     const struct nrt_tensor *out,
			     const uint32_t shape[TRN_MAX_DIMS], struct operand *o)
{
	unsigned int d;

	operand_of(in, o);
	for (d = 0; d < TRN_MAX_DIMS; d++) {
		char a[64], b[64];

		if (o->shape[d] == shape[d])
			continue;
		if (o->shape[d] == 1) {
			o->shape[d] = shape[d];
			o->stride[d] = 0;
			continue;
		}
		shape_of(in, a, sizeof(a));
		shape_of(out, b, sizeof(b));
		return step_fail(s, "%s (%s) does not broadcast to the shape of %s (%s)",
				 what, a, outname, b);
	}
	return NRT_SUCCESS;
}

/* An elementwise step: out and up to two inputs broadcast to out. */
static nrt_status step_elementwise(struct step *s, const struct nrt_tensor *out,
				   const char *aname, const struct nrt_tensor *a,
				   const struct nrt_tensor *b)
{
	struct operand oo, oa, ob;
	nrt_status st;

	st = step_tensor(s, "out", out, true);
	if (st == NRT_SUCCESS)
		st = step_tensor(s, aname, a, false);
	if (st == NRT_SUCCESS && b)
		st = step_tensor(s, "b", b, false);
	if (st != NRT_SUCCESS)
		return st;
	operand_of(out, &oo);
	st = step_bcast(s, aname, a, "out", out, oo.shape, &oa);
	if (st == NRT_SUCCESS && b)
		st = step_bcast(s, "b", b, "out", out, oo.shape, &ob);
	if (st != NRT_SUCCESS)
		return st;
	encode_operand(s->insn, 0, &oo);
	encode_operand(s->insn, 1, &oa);
	if (b)
		encode_operand(s->insn, 2, &ob);
	return NRT_SUCCESS;
}

/* --- the append calls -------------------------------------------------- */

static nrt_status enc_matmul(struct step *s, const struct nrt_tensor *out,
			     const struct nrt_tensor *a, const struct nrt_tensor *b,
			     float alpha, bool accumulate)
{
	struct operand oo, oa, ob;
	char sa[64], sb[64], so[64];
	const struct nrt_tensor *args[3] = { out, a, b };
	static const char *const names[3] = { "out", "a", "b" };
	uint32_t M, K, N;
	unsigned int i;
	nrt_status st;

	for (i = 0; i < 3; i++) {
		st = step_tensor(s, names[i], args[i], i == 0);
		if (st != NRT_SUCCESS)
			return st;
		if (args[i]->rank < 2)
			return step_fail(s, "%s has rank %u: matmul needs rank 2 to %u",
					 names[i], args[i]->rank, TRN_MAX_DIMS);
	}
	shape_of(a, sa, sizeof(sa));
	shape_of(b, sb, sizeof(sb));
	shape_of(out, so, sizeof(so));
	M = a->shape[a->rank - 2];
	K = a->shape[a->rank - 1];
	N = b->shape[b->rank - 1];
	if (b->shape[b->rank - 2] != K)
		return step_fail(s, "inner dimensions differ: a is %s, b is %s", sa, sb);
	if (out->shape[out->rank - 2] != M || out->shape[out->rank - 1] != N)
		return step_fail(s, "out is %s, but a (%s) @ b (%s) is %" PRIu32 "x%" PRIu32,
				 so, sa, sb, M, N);

	/* The batch dimensions (the first two of four) broadcast. */
	operand_of(out, &oo);
	operand_of(a, &oa);
	operand_of(b, &ob);
	for (i = 0; i < 2; i++) {
		struct operand *in[2] = { &oa, &ob };
		unsigned int k;

		for (k = 0; k < 2; k++) {
			if (in[k]->shape[i] == oo.shape[i])
				continue;
			if (in[k]->shape[i] != 1)
				return step_fail(s,
						 "the batch dimensions of %s (%s) do not broadcast to those of out (%s)",
						 k ? "b" : "a", k ? sb : sa, so);
			in[k]->shape[i] = oo.shape[i];
			in[k]->stride[i] = 0;
		}
	}
	/* Broadcast inputs count their repeats in the device's element limit. */
	for (i = 0; i < 2; i++) {
		const struct operand *o = i ? &ob : &oa;
		uint64_t n = (uint64_t)o->shape[0] * o->shape[1] * o->shape[2] * o->shape[3];

		if (n > TRN_MAX_ELEMS)
			return step_fail(s, "%s broadcast to the batch of out (%s) has %" PRIu64
					 " elements, more than %u", i ? "b" : "a", so, n,
					 (unsigned int)TRN_MAX_ELEMS);
	}
	step_header(s, TRN_OP_MATMUL, accumulate ? TRN_IF_ACCUMULATE : 0, 0, 0, 0,
		    f32_bits(alpha), 0);
	encode_operand(s->insn, 0, &oo);
	encode_operand(s->insn, 1, &oa);
	encode_operand(s->insn, 2, &ob);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_program_matmul(nrt_program *p, nrt_tensor *out,
				      const nrt_tensor *a, const nrt_tensor *b,
				      float alpha, bool accumulate)
{
	struct step s;
	nrt_status st = step_begin(&s, p, "nrt_program_matmul", "matmul");

	if (st != NRT_SUCCESS)
		return st;
	return step_end(&s, enc_matmul(&s, out, a, b, alpha, accumulate));
}

static nrt_status binary_common(nrt_program *p, const char *fn, nrt_binary_op op,
				nrt_tensor *out, const nrt_tensor *a,
				const nrt_tensor *b, bool scalar, float value)
{
	struct step s;
	nrt_status st;

	st = step_begin_func(&s, p, fn, scalar ? "binary scalar" : "binary",
			     scalar ? bin_scalar_names : bin_names, TRN_BIN_COUNT,
			     (int)op);
	if (st != NRT_SUCCESS)
		return st;
	step_header(&s, TRN_OP_BINARY, scalar ? TRN_IF_SCALAR_B : 0, (unsigned int)op,
		    0, 0, scalar ? f32_bits(value) : 0, 0);
	return step_end(&s, step_elementwise(&s, out, "a", a, scalar ? NULL : b));
}

NRT_API nrt_status nrt_program_binary(nrt_program *p, nrt_binary_op op,
				      nrt_tensor *out, const nrt_tensor *a,
				      const nrt_tensor *b)
{
	return binary_common(p, "nrt_program_binary", op, out, a, b, false, 0);
}

NRT_API nrt_status nrt_program_binary_scalar(nrt_program *p, nrt_binary_op op,
					     nrt_tensor *out, const nrt_tensor *a,
					     float scalar)
{
	return binary_common(p, "nrt_program_binary_scalar", op, out, a, NULL, true,
			     scalar);
}

NRT_API nrt_status nrt_program_activate(nrt_program *p, nrt_activation fn,
					nrt_tensor *out, const nrt_tensor *in,
					float scale, float bias)
{
	struct step s;
	nrt_status st;

	st = step_begin_func(&s, p, "nrt_program_activate", "activate", act_names,
			     TRN_ACT_COUNT, (int)fn);
	if (st != NRT_SUCCESS)
		return st;
	step_header(&s, TRN_OP_ACTIVATE, 0, (unsigned int)fn, 0, 0, f32_bits(scale),
		    f32_bits(bias));
	return step_end(&s, step_elementwise(&s, out, "in", in, NULL));
}

static nrt_status enc_reduce(struct step *s, unsigned int func,
			     const struct nrt_tensor *out,
			     const struct nrt_tensor *in, unsigned int axis,
			     float scale)
{
	unsigned int lead, axis4, d;
	struct operand oo, oi;
	bool keep, ok = true;
	nrt_status st;

	st = step_tensor(s, "out", out, true);
	if (st == NRT_SUCCESS)
		st = step_tensor(s, "in", in, false);
	if (st != NRT_SUCCESS)
		return st;
	if (axis >= in->rank)
		return step_fail(s, "axis %u out of range: in has rank %u", axis,
				 in->rank);

	/* out: in with the axis of size 1 (keep) or without it. */
	keep = out->rank == in->rank;
	if (!keep && out->rank + 1 != in->rank)
		ok = false;
	for (d = 0; ok && d < in->rank; d++) {
		if (d == axis)
			ok = !keep || out->shape[d] == 1;
		else
			ok = out->shape[keep || d < axis ? d : d - 1] == in->shape[d];
	}
	if (!ok) {
		uint32_t want[NRT_MAX_RANK];
		char si[64], so[64], w1[64], w2[64];
		unsigned int k = 0;

		shape_of(in, si, sizeof(si));
		shape_of(out, so, sizeof(so));
		memcpy(want, in->shape, sizeof(want));
		want[axis] = 1;
		nrt_shape_str(w1, sizeof(w1), in->rank, want);
		for (d = 0; d < in->rank; d++) {
			if (d != axis)
				want[k++] = in->shape[d];
		}
		if (k)
			nrt_shape_str(w2, sizeof(w2), k, want);
		return step_fail(s, "out is %s, expected %s%s%s (in %s reduced along axis %u)",
				 so, w1, k ? " or " : "", k ? w2 : "", si, axis);
	}

	operand_of(in, &oi);
	lead = TRN_MAX_DIMS - in->rank;
	axis4 = axis + lead;
	if (keep) {
		operand_of(out, &oo);
	} else {
		oo.va = out->st->buf->va + out->offset;
		oo.dtype = (unsigned int)out->dtype;
		for (d = 0; d < TRN_MAX_DIMS; d++) {
			unsigned int k = d - lead - (d > axis4);

			if (d < lead || d == axis4) {
				oo.shape[d] = 1;
				oo.stride[d] = 1;
			} else {
				oo.shape[d] = out->shape[k];
				oo.stride[d] = out->strides[k];
			}
		}
	}
	step_header(s, TRN_OP_REDUCE, 0, func, axis4, 0, f32_bits(scale), 0);
	encode_operand(s->insn, 0, &oo);
	encode_operand(s->insn, 1, &oi);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_program_reduce(nrt_program *p, nrt_reduce_op op,
				      nrt_tensor *out, const nrt_tensor *in,
				      unsigned int axis, float scale)
{
	struct step s;
	nrt_status st;

	st = step_begin_func(&s, p, "nrt_program_reduce", "reduce", red_names,
			     TRN_RED_COUNT, (int)op);
	if (st != NRT_SUCCESS)
		return st;
	return step_end(&s, enc_reduce(&s, (unsigned int)op, out, in, axis, scale));
}

static nrt_status enc_transpose(struct step *s, const struct nrt_tensor *out,
				const struct nrt_tensor *in, unsigned int d0,
				unsigned int d1)
{
	uint32_t want[NRT_MAX_RANK];
	struct operand oo, oi;
	unsigned int lead;
	nrt_status st;

	st = step_tensor(s, "out", out, true);
	if (st == NRT_SUCCESS)
		st = step_tensor(s, "in", in, false);
	if (st != NRT_SUCCESS)
		return st;
	if (d0 >= in->rank || d1 >= in->rank)
		return step_fail(s, "d%u %u out of range: in has rank %u",
				 d0 >= in->rank ? 0 : 1, d0 >= in->rank ? d0 : d1,
				 in->rank);
	memcpy(want, in->shape, sizeof(want));
	want[d0] = in->shape[d1];
	want[d1] = in->shape[d0];
	if (out->rank != in->rank ||
	    memcmp(want, out->shape, in->rank * sizeof(*want))) {
		char si[64], so[64], sw[64];

		shape_of(in, si, sizeof(si));
		shape_of(out, so, sizeof(so));
		nrt_shape_str(sw, sizeof(sw), in->rank, want);
		return step_fail(s, "out is %s, expected %s (in %s with dimensions %u and %u swapped)",
				 so, sw, si, d0, d1);
	}
	lead = TRN_MAX_DIMS - in->rank;
	operand_of(out, &oo);
	operand_of(in, &oi);
	step_header(s, TRN_OP_TRANSPOSE, 0, 0, TRN_TRANSPOSE_AUX(d0 + lead, d1 + lead),
		    0, 0, 0);
	encode_operand(s->insn, 0, &oo);
	encode_operand(s->insn, 1, &oi);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_program_transpose(nrt_program *p, nrt_tensor *out,
					 const nrt_tensor *in, unsigned int d0,
					 unsigned int d1)
{
	struct step s;
	nrt_status st = step_begin(&s, p, "nrt_program_transpose", "transpose");

	if (st != NRT_SUCCESS)
		return st;
	return step_end(&s, enc_transpose(&s, out, in, d0, d1));
}

NRT_API nrt_status nrt_program_cast(nrt_program *p, nrt_tensor *out,
				    const nrt_tensor *in)
{
	struct step s;
	nrt_status st = step_begin(&s, p, "nrt_program_cast", "cast");

	if (st != NRT_SUCCESS)
		return st;
	step_header(&s, TRN_OP_CAST, 0, 0, 0, 0, 0, 0);
	return step_end(&s, step_elementwise(&s, out, "in", in, NULL));
}

NRT_API nrt_status nrt_program_copy(nrt_program *p, nrt_tensor *out,
				    const nrt_tensor *in)
{
	struct step s;
	nrt_status st = step_begin(&s, p, "nrt_program_copy", "copy");

	if (st != NRT_SUCCESS)
		return st;
	if (out && in && out->dtype != in->dtype)
		return step_end(&s, step_fail(&s,
					      "types differ: out is %s, in is %s (nrt_program_cast() converts)",
					      nrt_dtype_name(out->dtype),
					      nrt_dtype_name(in->dtype)));
	step_header(&s, TRN_OP_DMA, 0, 0, 0, 0, 0, 0);
	return step_end(&s, step_elementwise(&s, out, "in", in, NULL));
}

static nrt_status sem_common(nrt_program *p, const char *fn, const char *name,
			     unsigned int opcode, unsigned int sem, uint64_t value)
{
	struct step s;
	nrt_status st = step_begin(&s, p, fn, name);

	if (st != NRT_SUCCESS)
		return st;
	if (sem >= p->dev->kinfo.num_sems)
		return step_end(&s, step_fail(&s, "semaphore %u out of range: %s has %u",
					      sem, p->dev->device_node,
					      p->dev->kinfo.num_sems));
	step_header(&s, opcode, 0, 0, sem, value, 0, 0);
	return step_end(&s, NRT_SUCCESS);
}

NRT_API nrt_status nrt_program_sem_signal(nrt_program *p, unsigned int sem,
					  uint64_t value)
{
	return sem_common(p, "nrt_program_sem_signal", "sem_signal",
			  TRN_OP_SEM_SIGNAL, sem, value);
}

NRT_API nrt_status nrt_program_sem_wait(nrt_program *p, unsigned int sem,
					uint64_t value)
{
	return sem_common(p, "nrt_program_sem_wait", "sem_wait", TRN_OP_SEM_WAIT,
			  sem, value);
}

/* --- programs ---------------------------------------------------------- */

NRT_API nrt_status nrt_program_new(nrt_device *dev, nrt_program **out)
{
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

static void program_ref(struct nrt_program *p)
{
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

static void program_unref(struct nrt_program *p)
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
		program_unref(p);
}

NRT_API nrt_status nrt_program_finalize(nrt_program *p)
{
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
		name = insn_name(q->insns + (size_t)step * TRN_INSN_SIZE);
	pthread_mutex_unlock(&q->lock);
	return name;
}

NRT_API nrt_status nrt_program_encoded(const nrt_program *p,
				       const void **insns, size_t *len)
{
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

/* --- runs -------------------------------------------------------------- */

/* What the status record says: the fields of nrt_run_result. */
static void rec_read(const struct nrt_device *dev, uint32_t rec,
		     nrt_run_result *r)
{
	unsigned char b[TRN_EXEC_ST_SIZE];

	/* The device wrote it before the job's fence signalled. */
	atomic_thread_fence(memory_order_acquire);
	memcpy(b, nrt_rec_ptr(dev, rec), sizeof(b));
	r->error = get32(b + TRN_EXEC_ST_ERROR);
	r->step = get32(b + TRN_EXEC_ST_INSN);
	r->addr = get64(b + TRN_EXEC_ST_ADDR);
	r->ns = get64(b + TRN_EXEC_ST_NS);
}

static const char *hw_error_name(uint32_t err)
{
	const char *name = trn_dma_err_name(err);

	return name ? name : "unknown error";
}

/* What went wrong, e.g. "operand outside the mapped address space at 0x1000". */
static void hw_error_text(char *buf, size_t size, const nrt_run_result *r)
{
	switch (r->error) {
	case TRN_DMA_ERR_UNMAPPED:
		snprintf(buf, size, "operand outside the mapped address space at 0x%" PRIx64,
			 r->addr);
		break;
	case TRN_DMA_ERR_READONLY:
		snprintf(buf, size, "write to read-only memory at 0x%" PRIx64, r->addr);
		break;
	case TRN_DMA_ERR_BAD_PT:
		snprintf(buf, size, "bad page table entry for 0x%" PRIx64, r->addr);
		break;
	case TRN_DMA_ERR_BAD_DESC:
		snprintf(buf, size, "malformed EXEC descriptor");
		break;
	case TRN_DMA_ERR_RING:
		snprintf(buf, size, "ring or write-back address unreachable");
		break;
	case TRN_DMA_ERR_NO_CONTEXT:
		snprintf(buf, size, "no address space");
		break;
	case TRN_DMA_ERR_BAD_INSN:
		snprintf(buf, size, "malformed instruction at 0x%" PRIx64, r->addr);
		break;
	case TRN_DMA_ERR_OPERAND:
		snprintf(buf, size, "operand shapes do not fit the instruction at 0x%" PRIx64,
			 r->addr);
		break;
	case TRN_DMA_ERR_ALIGN:
		snprintf(buf, size, "misaligned operand or program (address 0x%" PRIx64 ")",
			 r->addr);
		break;
	default:
		snprintf(buf, size, "hardware error %" PRIu32 " (address 0x%" PRIx64 ")",
			 r->error, r->addr);
		break;
	}
}

/* nrt_fence_ops.failed of a run: name the step from the status record. */
static nrt_status run_failed(struct nrt_fence *f, nrt_status st)
{
	const struct nrt_run *run = f->ctx;
	const struct nrt_program *p = run->prog;
	nrt_run_result r;
	char text[160];

	rec_read(p->dev, run->rec, &r);
	if (r.error == NRT_REC_UNWRITTEN || r.error == TRN_DMA_ERR_NONE)
		/* Stopped before the program ended: the job's error is all. */
		return nrt_fail_prefix(st, "program run on core %u", run->core);
	hw_error_text(text, sizeof(text), &r);
	if (r.step >= p->n)
		return nrt_fail(st, "program run on core %u: %s (%s)", run->core,
				text, hw_error_name(r.error));
	return nrt_fail(st, "program step %" PRIu32 " (%s): %s (core %u, %s)", r.step,
			insn_name(p->insns + (size_t)r.step * TRN_INSN_SIZE), text,
			run->core, hw_error_name(r.error));
}

/* nrt_fence_ops.release of a run: give back the record and the program. */
static void run_release(struct nrt_fence *f, bool done)
{
	struct nrt_run *run = f->ctx;
	struct nrt_device *dev = run->prog->dev;

	if (done)
		nrt_rec_put(dev, run->rec);
	else if (nrt_rec_defer(dev, run->rec, f->syncobjs[0]))
		f->syncobjs[0] = 0;     /* the pending list has it now */
	program_unref(run->prog);
	free(run);
}

static const struct nrt_fence_ops nrt_run_ops = {
	.failed = run_failed,
	.release = run_release,
};

NRT_API nrt_status nrt_program_run(nrt_program *p, unsigned int core,
				   const nrt_run_opts *opts, nrt_fence **fence)
{
	static const char fn[] = "nrt_program_run";
	nrt_fence *const *wait = NULL;
	struct drm_trn_dma_desc desc;
	unsigned char *rec;
	struct nrt_device *dev;
	struct nrt_run *run;
	size_t wait_count = 0;
	bool consumed = false;
	nrt_status st;

	if (!p)
		return nrt_fail(NRT_INVALID, "%s: p is NULL", fn);
	if (!atomic_load_explicit(&p->finalized, memory_order_acquire))
		return nrt_fail(NRT_INVALID,
				"%s: the program is not finalized (nrt_program_finalize())",
				fn);
	dev = p->dev;
	if (!nrt_device_has_dma(dev) || !dev->kinfo.core_queues)
		return nrt_fail(NRT_UNSUPPORTED,
				"%s: the kernel driver of %s offers no NeuronCore queues",
				fn, dev->device_node);
	if (core >= dev->kinfo.core_queues)
		return nrt_fail(NRT_INVALID,
				"%s: core %u out of range: %s has %u NeuronCore queues",
				fn, core, dev->device_node, dev->kinfo.core_queues);
	if (opts) {
		if (opts->struct_size < NRT_RUN_OPTS_SIZE_0_3)
			return nrt_fail(NRT_INVALID,
					"%s: opts->struct_size is %u, at least %zu needed",
					fn, opts->struct_size, NRT_RUN_OPTS_SIZE_0_3);
		wait = opts->wait;
		wait_count = opts->wait_count;
	}
	st = nrt_check_wait(fn, dev, wait, wait_count, "opts->wait");
	if (st != NRT_SUCCESS)
		return st;

	run = malloc(sizeof(*run));
	if (!run)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	st = nrt_rec_get(dev, fn, &run->rec);
	if (st != NRT_SUCCESS) {
		free(run);
		return st;
	}
	run->core = core;
	run->prog = p;
	program_ref(p);

	/* Not written yet; submission makes these stores visible. */
	rec = nrt_rec_ptr(dev, run->rec);
	memset(rec, 0, TRN_EXEC_ST_SIZE);
	put32(rec + TRN_EXEC_ST_ERROR, NRT_REC_UNWRITTEN);

	memset(&desc, 0, sizeof(desc));
	desc.opcode = DRM_TRN_DMA_OP_EXEC;
	desc.src = p->code->va;
	desc.dst = nrt_rec_va(dev, run->rec);
	desc.len = (uint64_t)p->n * TRN_INSN_SIZE;
	st = nrt_job_run(fn, dev, dev->kinfo.dma_queues + core, &desc, 1, wait,
			 wait_count, &nrt_run_ops, run, &consumed, fence);
	if (!consumed) {
		nrt_rec_put(dev, run->rec);
		program_unref(p);
		free(run);
	}
	return st;
}

NRT_API nrt_status nrt_program_run_result(nrt_fence *f, nrt_run_result *res)
{
	static const char fn[] = "nrt_program_run_result";
	char saved[NRT_ERROR_MAX];
	const struct nrt_run *run;
	nrt_run_result r;
	nrt_status st;

	if (!f)
		return nrt_fail(NRT_INVALID, "%s: fence is NULL", fn);
	if (!res)
		return nrt_fail(NRT_INVALID, "%s: res is NULL", fn);
	if (f->ops != &nrt_run_ops)
		return nrt_fail(NRT_INVALID, "%s: the fence is not of a program run",
				fn);
	run = f->ctx;

	/* Whether the run is done; its own failure is not this call's. */
	nrt_error_save(saved);
	st = nrt_fence_poll(f);
	if (atomic_load(&f->state) == NRT_FENCE_PENDING)
		return nrt_fail_prefix(st, "%s", fn);
	nrt_error_restore(saved);

	rec_read(run->prog->dev, run->rec, &r);
	if (r.error == NRT_REC_UNWRITTEN)
		return nrt_fail(NRT_FAILURE,
				"%s: the run on core %u left no status record: the job was stopped before the program ended",
				fn, run->core);
	*res = r;
	return NRT_SUCCESS;
}
