// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The steps of programs: the nrt_program_*() append calls.
 *
 * Each append validates its tensors against the rules of its opcode, maps
 * them to the hardware's 4-D operands (a tensor of rank r gets 4 - r
 * leading dimensions of size 1; an input broadcasts to the output's shape
 * by stride 0), encodes the 256-byte instruction into the program's host
 * array and takes a reference to the storage of every tensor it uses.
 * Nothing is added when a check fails: the message names the step ("step 3
 * (matmul): inner dimensions differ: a is 64x32, b is 48x16"). The library
 * only encodes instructions that the hardware accepts: the shape, type,
 * range and alignment rules are checked here, so a program fails on the
 * device only for reasons of memory (an address that does not translate).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_program.h"

static uint32_t nrt_f32_bits(float f)
{
	uint32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

/* @t with 4 - rank leading dimensions of size 1. */
static void nrt_operand_of(const struct nrt_tensor *t, struct nrt_operand *o)
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

void nrt_encode_operand(unsigned char *insn, unsigned int slot,
			const struct nrt_operand *o)
{
	unsigned char *p = insn + TRN_I_OPERAND(slot);
	unsigned int d;

	nrt_put64(p + TRN_O_VA, o->va);
	p[TRN_O_DTYPE] = (unsigned char)o->dtype;
	for (d = 0; d < TRN_MAX_DIMS; d++) {
		nrt_put32(p + TRN_O_SHAPE(d), o->shape[d]);
		nrt_put32(p + TRN_O_STRIDE(d), (uint32_t)o->stride[d]);
	}
}

/* An append in progress: @p is locked from nrt_step_begin() to nrt_step_end(). */
struct nrt_step {
	struct nrt_program *p;
	unsigned int index;
	const char *name;
	unsigned char insn[TRN_INSN_SIZE];
	const struct nrt_tensor *tensors[TRN_I_NOPERANDS];
	unsigned int n_tensors;
};

/* --- steps ------------------------------------------------------------- */

static nrt_status nrt_step_fail(const struct nrt_step *s, const char *fmt, ...)
	NRT_PRINTF(2, 3);

static nrt_status nrt_step_fail(const struct nrt_step *s, const char *fmt, ...)
{
	char msg[NRT_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nrt_fail(NRT_INVALID, "step %u (%s): %s", s->index, s->name, msg);
}

/*
 * Start an append of step @name to @p (not NULL): lock it and check that it
 * takes steps. On success the caller must end with nrt_step_end().
 */
static nrt_status nrt_step_begin(struct nrt_step *s, nrt_program *p, const char *name)
{
	memset(s, 0, sizeof(*s));
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
 * nrt_step_begin() of a step with a function: named @names[@func], or @kind
 * when @func is not below @count, which fails (and unlocks).
 */
static nrt_status nrt_step_begin_func(struct nrt_step *s, nrt_program *p,
				      const char *kind, const char *const *names,
				      unsigned int count, int func)
{
	bool known = func >= 0 && (unsigned int)func < count;
	nrt_status st = nrt_step_begin(s, p, known ? names[func] : kind);

	if (st != NRT_SUCCESS || known)
		return st;
	st = nrt_step_fail(s, "unknown function %d", func);
	pthread_mutex_unlock(&p->lock);
	return st;
}

static bool nrt_program_has_store(const struct nrt_program *p,
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
static nrt_status nrt_step_end(struct nrt_step *s, nrt_status st)
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

		if (nrt_program_has_store(p, store))
			continue;
		nrt_storage_ref(store);
		p->stores[p->n_stores++] = store;
	}
out:
	pthread_mutex_unlock(&p->lock);
	return st;
}

static void nrt_step_header(struct nrt_step *s, unsigned int opcode, unsigned int flags,
			    unsigned int func, uint32_t aux, uint64_t imm,
			    uint32_t alpha, uint32_t beta)
{
	s->insn[TRN_I_OPCODE] = (unsigned char)opcode;
	s->insn[TRN_I_FLAGS] = (unsigned char)flags;
	nrt_put16(s->insn + TRN_I_FUNC, (uint16_t)func);
	nrt_put32(s->insn + TRN_I_AUX, aux);
	nrt_put64(s->insn + TRN_I_IMM, imm);
	nrt_put32(s->insn + TRN_I_ALPHA, alpha);
	nrt_put32(s->insn + TRN_I_BETA, beta);
}

/* Check tensor argument @what of the step and note it for a reference. */
static nrt_status nrt_step_tensor(struct nrt_step *s, const char *what,
				  const struct nrt_tensor *t, bool output)
{
	unsigned int dim;

	if (!t)
		return nrt_step_fail(s, "%s is NULL", what);
	if (t->st->buf->dev != s->p->dev)
		return nrt_step_fail(s, "%s is a tensor of another device handle", what);
	if (output && nrt_tensor_bcast_dim(t, &dim))
		return nrt_step_fail(s, "%s is a broadcast view (dimension %u of size %" PRIu32
				     " has stride 0): it cannot be an output",
				     what, dim, t->shape[dim]);
	s->tensors[s->n_tensors++] = t;
	return NRT_SUCCESS;
}

static void nrt_shape_of(const struct nrt_tensor *t, char *buf, size_t size)
{
	nrt_shape_str(buf, size, t->rank, t->shape);
}

/*
 * Input @in (argument @what) as an operand of the 4-D shape @shape of
 * output @out: dimensions aligned at the end, those of size 1 (or missing)
 * repeated with stride 0.
 */
static nrt_status nrt_step_bcast(struct nrt_step *s, const char *what,
				 const struct nrt_tensor *in, const char *outname,
				 const struct nrt_tensor *out,
				 const uint32_t shape[TRN_MAX_DIMS], struct nrt_operand *o)
{
	unsigned int d;

	nrt_operand_of(in, o);
	for (d = 0; d < TRN_MAX_DIMS; d++) {
		char a[64], b[64];

		if (o->shape[d] == shape[d])
			continue;
		if (o->shape[d] == 1) {
			o->shape[d] = shape[d];
			o->stride[d] = 0;
			continue;
		}
		nrt_shape_of(in, a, sizeof(a));
		nrt_shape_of(out, b, sizeof(b));
		return nrt_step_fail(s, "%s (%s) does not broadcast to the shape of %s (%s)",
				     what, a, outname, b);
	}
	return NRT_SUCCESS;
}

/* An elementwise step: out and up to two inputs broadcast to out. */
static nrt_status nrt_step_elementwise(struct nrt_step *s, const struct nrt_tensor *out,
				       const char *aname, const struct nrt_tensor *a,
				       const struct nrt_tensor *b)
{
	struct nrt_operand oo, oa, ob;
	nrt_status st;

	st = nrt_step_tensor(s, "out", out, true);
	if (st == NRT_SUCCESS)
		st = nrt_step_tensor(s, aname, a, false);
	if (st == NRT_SUCCESS && b)
		st = nrt_step_tensor(s, "b", b, false);
	if (st != NRT_SUCCESS)
		return st;
	nrt_operand_of(out, &oo);
	st = nrt_step_bcast(s, aname, a, "out", out, oo.shape, &oa);
	if (st == NRT_SUCCESS && b)
		st = nrt_step_bcast(s, "b", b, "out", out, oo.shape, &ob);
	if (st != NRT_SUCCESS)
		return st;
	nrt_encode_operand(s->insn, 0, &oo);
	nrt_encode_operand(s->insn, 1, &oa);
	if (b)
		nrt_encode_operand(s->insn, 2, &ob);
	return NRT_SUCCESS;
}

/* --- the append calls -------------------------------------------------- */

static nrt_status nrt_enc_matmul(struct nrt_step *s, const struct nrt_tensor *out,
				 const struct nrt_tensor *a, const struct nrt_tensor *b,
				 float alpha, bool accumulate)
{
	struct nrt_operand oo, oa, ob;
	char sa[64], sb[64], so[64];
	const struct nrt_tensor *args[3] = { out, a, b };
	static const char *const names[3] = { "out", "a", "b" };
	uint32_t M, K, N;
	unsigned int i;
	nrt_status st;

	for (i = 0; i < 3; i++) {
		st = nrt_step_tensor(s, names[i], args[i], i == 0);
		if (st != NRT_SUCCESS)
			return st;
		if (args[i]->rank < 2)
			return nrt_step_fail(s, "%s has rank %u: matmul needs rank 2 to %u",
					     names[i], args[i]->rank, TRN_MAX_DIMS);
	}
	nrt_shape_of(a, sa, sizeof(sa));
	nrt_shape_of(b, sb, sizeof(sb));
	nrt_shape_of(out, so, sizeof(so));
	M = a->shape[a->rank - 2];
	K = a->shape[a->rank - 1];
	N = b->shape[b->rank - 1];
	if (b->shape[b->rank - 2] != K)
		return nrt_step_fail(s, "inner dimensions differ: a is %s, b is %s", sa, sb);
	if (out->shape[out->rank - 2] != M || out->shape[out->rank - 1] != N)
		return nrt_step_fail(s, "out is %s, but a (%s) @ b (%s) is %" PRIu32 "x%" PRIu32,
				     so, sa, sb, M, N);

	/* The batch dimensions (the first two of four) broadcast. */
	nrt_operand_of(out, &oo);
	nrt_operand_of(a, &oa);
	nrt_operand_of(b, &ob);
	for (i = 0; i < 2; i++) {
		struct nrt_operand *in[2] = { &oa, &ob };
		unsigned int k;

		for (k = 0; k < 2; k++) {
			if (in[k]->shape[i] == oo.shape[i])
				continue;
			if (in[k]->shape[i] != 1)
				return nrt_step_fail(s,
						     "the batch dimensions of %s (%s) do not broadcast to those of out (%s)",
						     k ? "b" : "a", k ? sb : sa, so);
			in[k]->shape[i] = oo.shape[i];
			in[k]->stride[i] = 0;
		}
	}
	/* Broadcast inputs count their repeats in the device's element limit. */
	for (i = 0; i < 2; i++) {
		const struct nrt_operand *o = i ? &ob : &oa;
		uint64_t n = (uint64_t)o->shape[0] * o->shape[1] * o->shape[2] * o->shape[3];

		if (n > TRN_MAX_ELEMS)
			return nrt_step_fail(s, "%s broadcast to the batch of out (%s) has %" PRIu64
					     " elements, more than %u", i ? "b" : "a", so, n,
					     (unsigned int)TRN_MAX_ELEMS);
	}
	nrt_step_header(s, TRN_OP_MATMUL, accumulate ? TRN_IF_ACCUMULATE : 0, 0, 0, 0,
			nrt_f32_bits(alpha), 0);
	nrt_encode_operand(s->insn, 0, &oo);
	nrt_encode_operand(s->insn, 1, &oa);
	nrt_encode_operand(s->insn, 2, &ob);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_program_matmul(nrt_program *p, nrt_tensor *out,
				      const nrt_tensor *a, const nrt_tensor *b,
				      float alpha, bool accumulate)
{
	NRT_API_SCOPE();
	struct nrt_step s;
	nrt_status st;

	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_matmul: p is NULL");
	st = nrt_step_begin(&s, p, "matmul");
	if (st != NRT_SUCCESS)
		return st;
	return nrt_step_end(&s, nrt_enc_matmul(&s, out, a, b, alpha, accumulate));
}

static nrt_status nrt_binary_common(nrt_program *p, nrt_binary_op op,
				    nrt_tensor *out, const nrt_tensor *a,
				    const nrt_tensor *b, bool scalar, float value)
{
	struct nrt_step s;
	nrt_status st;

	st = nrt_step_begin_func(&s, p, scalar ? "binary scalar" : "binary",
				 scalar ? nrt_bin_scalar_names : nrt_bin_names, TRN_BIN_COUNT,
				 (int)op);
	if (st != NRT_SUCCESS)
		return st;
	nrt_step_header(&s, TRN_OP_BINARY, scalar ? TRN_IF_SCALAR_B : 0, (unsigned int)op,
			0, 0, scalar ? nrt_f32_bits(value) : 0, 0);
	return nrt_step_end(&s, nrt_step_elementwise(&s, out, "a", a, scalar ? NULL : b));
}

NRT_API nrt_status nrt_program_binary(nrt_program *p, nrt_binary_op op,
				      nrt_tensor *out, const nrt_tensor *a,
				      const nrt_tensor *b)
{
	NRT_API_SCOPE();
	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_binary: p is NULL");
	return nrt_binary_common(p, op, out, a, b, false, 0);
}

NRT_API nrt_status nrt_program_binary_scalar(nrt_program *p, nrt_binary_op op,
					     nrt_tensor *out, const nrt_tensor *a,
					     float scalar)
{
	NRT_API_SCOPE();
	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_binary_scalar: p is NULL");
	return nrt_binary_common(p, op, out, a, NULL, true, scalar);
}

NRT_API nrt_status nrt_program_activate(nrt_program *p, nrt_activation fn,
					nrt_tensor *out, const nrt_tensor *in,
					float scale, float bias)
{
	NRT_API_SCOPE();
	struct nrt_step s;
	nrt_status st;

	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_activate: p is NULL");
	st = nrt_step_begin_func(&s, p, "activate", nrt_act_names,
				 TRN_ACT_COUNT, (int)fn);
	if (st != NRT_SUCCESS)
		return st;
	nrt_step_header(&s, TRN_OP_ACTIVATE, 0, (unsigned int)fn, 0, 0, nrt_f32_bits(scale),
			nrt_f32_bits(bias));
	return nrt_step_end(&s, nrt_step_elementwise(&s, out, "in", in, NULL));
}

static nrt_status nrt_enc_reduce(struct nrt_step *s, unsigned int func,
				 const struct nrt_tensor *out,
				 const struct nrt_tensor *in, unsigned int axis,
				 float scale)
{
	unsigned int lead, axis4, d;
	struct nrt_operand oo, oi;
	bool keep, ok = true;
	nrt_status st;

	st = nrt_step_tensor(s, "out", out, true);
	if (st == NRT_SUCCESS)
		st = nrt_step_tensor(s, "in", in, false);
	if (st != NRT_SUCCESS)
		return st;
	if (axis >= in->rank)
		return nrt_step_fail(s, "axis %u out of range: in has rank %u", axis,
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

		nrt_shape_of(in, si, sizeof(si));
		nrt_shape_of(out, so, sizeof(so));
		memcpy(want, in->shape, sizeof(want));
		want[axis] = 1;
		nrt_shape_str(w1, sizeof(w1), in->rank, want);
		for (d = 0; d < in->rank; d++) {
			if (d != axis)
				want[k++] = in->shape[d];
		}
		if (k)
			nrt_shape_str(w2, sizeof(w2), k, want);
		return nrt_step_fail(s, "out is %s, expected %s%s%s (in %s reduced along axis %u)",
				     so, w1, k ? " or " : "", k ? w2 : "", si, axis);
	}

	nrt_operand_of(in, &oi);
	lead = TRN_MAX_DIMS - in->rank;
	axis4 = axis + lead;
	if (keep) {
		nrt_operand_of(out, &oo);
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
	nrt_step_header(s, TRN_OP_REDUCE, 0, func, axis4, 0, nrt_f32_bits(scale), 0);
	nrt_encode_operand(s->insn, 0, &oo);
	nrt_encode_operand(s->insn, 1, &oi);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_program_reduce(nrt_program *p, nrt_reduce_op op,
				      nrt_tensor *out, const nrt_tensor *in,
				      unsigned int axis, float scale)
{
	NRT_API_SCOPE();
	struct nrt_step s;
	nrt_status st;

	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_reduce: p is NULL");
	st = nrt_step_begin_func(&s, p, "reduce", nrt_red_names,
				 TRN_RED_COUNT, (int)op);
	if (st != NRT_SUCCESS)
		return st;
	return nrt_step_end(&s, nrt_enc_reduce(&s, (unsigned int)op, out, in, axis, scale));
}

static nrt_status nrt_enc_transpose(struct nrt_step *s, const struct nrt_tensor *out,
				    const struct nrt_tensor *in, unsigned int d0,
				    unsigned int d1)
{
	uint32_t want[NRT_MAX_RANK];
	struct nrt_operand oo, oi;
	unsigned int lead;
	nrt_status st;

	st = nrt_step_tensor(s, "out", out, true);
	if (st == NRT_SUCCESS)
		st = nrt_step_tensor(s, "in", in, false);
	if (st != NRT_SUCCESS)
		return st;
	if (d0 >= in->rank || d1 >= in->rank)
		return nrt_step_fail(s, "d%u %u out of range: in has rank %u",
				     d0 >= in->rank ? 0 : 1, d0 >= in->rank ? d0 : d1,
				     in->rank);
	memcpy(want, in->shape, sizeof(want));
	want[d0] = in->shape[d1];
	want[d1] = in->shape[d0];
	if (out->rank != in->rank ||
	    memcmp(want, out->shape, in->rank * sizeof(*want))) {
		char si[64], so[64], sw[64];

		nrt_shape_of(in, si, sizeof(si));
		nrt_shape_of(out, so, sizeof(so));
		nrt_shape_str(sw, sizeof(sw), in->rank, want);
		return nrt_step_fail(s, "out is %s, expected %s (in %s with dimensions %u and %u swapped)",
				     so, sw, si, d0, d1);
	}
	lead = TRN_MAX_DIMS - in->rank;
	nrt_operand_of(out, &oo);
	nrt_operand_of(in, &oi);
	nrt_step_header(s, TRN_OP_TRANSPOSE, 0, 0, TRN_TRANSPOSE_AUX(d0 + lead, d1 + lead),
			0, 0, 0);
	nrt_encode_operand(s->insn, 0, &oo);
	nrt_encode_operand(s->insn, 1, &oi);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_program_transpose(nrt_program *p, nrt_tensor *out,
					 const nrt_tensor *in, unsigned int d0,
					 unsigned int d1)
{
	NRT_API_SCOPE();
	struct nrt_step s;
	nrt_status st;

	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_transpose: p is NULL");
	st = nrt_step_begin(&s, p, "transpose");
	if (st != NRT_SUCCESS)
		return st;
	return nrt_step_end(&s, nrt_enc_transpose(&s, out, in, d0, d1));
}

/* A step of one input, elementwise: a cast, or a copy of the same type. */
static nrt_status nrt_unary_common(nrt_program *p, const char *name,
				   unsigned int opcode, nrt_tensor *out,
				   const nrt_tensor *in)
{
	struct nrt_step s;
	nrt_status st = nrt_step_begin(&s, p, name);

	if (st != NRT_SUCCESS)
		return st;
	if (opcode == TRN_OP_DMA && out && in && out->dtype != in->dtype)
		return nrt_step_end(&s, nrt_step_fail(&s,
			"types differ: out is %s, in is %s (nrt_program_cast() converts)",
			nrt_dtype_name(out->dtype), nrt_dtype_name(in->dtype)));
	nrt_step_header(&s, opcode, 0, 0, 0, 0, 0, 0);
	return nrt_step_end(&s, nrt_step_elementwise(&s, out, "in", in, NULL));
}

NRT_API nrt_status nrt_program_cast(nrt_program *p, nrt_tensor *out,
				    const nrt_tensor *in)
{
	NRT_API_SCOPE();
	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_cast: p is NULL");
	return nrt_unary_common(p, "cast", TRN_OP_CAST, out, in);
}

NRT_API nrt_status nrt_program_copy(nrt_program *p, nrt_tensor *out,
				    const nrt_tensor *in)
{
	NRT_API_SCOPE();
	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_copy: p is NULL");
	return nrt_unary_common(p, "copy", TRN_OP_DMA, out, in);
}

static nrt_status nrt_sem_common(nrt_program *p, const char *name,
				 unsigned int opcode, unsigned int sem, uint64_t value)
{
	struct nrt_step s;
	nrt_status st = nrt_step_begin(&s, p, name);

	if (st != NRT_SUCCESS)
		return st;
	if (sem >= p->dev->kinfo.num_sems)
		return nrt_step_end(&s, nrt_step_fail(&s,
			"semaphore %u out of range: %s has %u", sem,
			p->dev->device_node, p->dev->kinfo.num_sems));
	nrt_step_header(&s, opcode, 0, 0, sem, value, 0, 0);
	return nrt_step_end(&s, NRT_SUCCESS);
}

NRT_API nrt_status nrt_program_sem_signal(nrt_program *p, unsigned int sem,
					  uint64_t value)
{
	NRT_API_SCOPE();
	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_sem_signal: p is NULL");
	return nrt_sem_common(p, "sem_signal", TRN_OP_SEM_SIGNAL, sem, value);
}

NRT_API nrt_status nrt_program_sem_wait(nrt_program *p, unsigned int sem,
					uint64_t value)
{
	NRT_API_SCOPE();
	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_sem_wait: p is NULL");
	return nrt_sem_common(p, "sem_wait", TRN_OP_SEM_WAIT, sem, value);
}

