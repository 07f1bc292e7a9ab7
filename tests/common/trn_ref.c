// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Reference executor of the NeuronCore instruction set (see trn_ref.h).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trn_errors.h"
#include "trn_regs.h"
#include "trn_isa.h"
#include "trn_numerics.h"

#include "trn_ref.h"

/* --- decoding ---------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return true;
}

/* A decoded operand, and how its elements are reached. */
struct op {
	uint64_t va;
	unsigned int dt;
	unsigned int es;                /* element size */
	uint32_t shape[TRN_MAX_DIMS];
	int32_t stride[TRN_MAX_DIMS];
	bool write;
	/* after op_map(): */
	unsigned char *lo;              /* host address of the lowest element, or */
	int64_t min_off;                /* ... of this element offset */
	bool slow;                      /* NULL @lo: resolve every access */
	const struct trn_ref_env *env;
};

/* Decode used operand slot @p. Return: false if malformed (BAD_INSN). */
static bool op_decode(const uint8_t *p, struct op *o, bool write)
{
	unsigned int d;

	memset(o, 0, sizeof(*o));
	o->va = get64(p + TRN_O_VA);
	o->dt = p[TRN_O_DTYPE];
	o->es = trn_dt_size(o->dt);
	o->write = write;
	for (d = 0; d < TRN_MAX_DIMS; d++) {
		o->shape[d] = get32(p + TRN_O_SHAPE(d));
		o->stride[d] = (int32_t)get32(p + TRN_O_STRIDE(d));
	}
	return o->es && all_zero(p + TRN_O_RSVD0, 7) &&
	       all_zero(p + TRN_O_RSVD1, TRN_OPERAND_SIZE - TRN_O_RSVD1);
}

/* OPERAND checks every operand gets: no empty dimension, not too big. */
static bool op_sane(const struct op *o)
{
	uint64_t n = 1;
	unsigned int d;

	for (d = 0; d < TRN_MAX_DIMS; d++) {
		if (!o->shape[d])
			return false;
		n *= o->shape[d];
		if (n > TRN_MAX_ELEMS)
			return false;
	}
	return true;
}

static uint64_t op_elems(const struct op *o)
{
	return (uint64_t)o->shape[0] * o->shape[1] * o->shape[2] * o->shape[3];
}

static bool same_shape(const struct op *x, const struct op *y)
{
	return !memcmp(x->shape, y->shape, sizeof(x->shape));
}

/* Element offset of index @i. */
static int64_t op_off(const struct op *o, const uint32_t i[TRN_MAX_DIMS])
{
	return (int64_t)i[0] * o->stride[0] + (int64_t)i[1] * o->stride[1] +
	       (int64_t)i[2] * o->stride[2] + (int64_t)i[3] * o->stride[3];
}

static uint64_t op_addr(const struct op *o, int64_t off)
{
	/* Wraps modulo 2^64 as the hardware's address arithmetic does. */
	return o->va + (uint64_t)off * o->es;
}

/* Next row-major index of @shape; false after the last. */
static bool next_index(uint32_t i[TRN_MAX_DIMS], const uint32_t shape[TRN_MAX_DIMS])
{
	int d;

	for (d = TRN_MAX_DIMS - 1; d >= 0; d--) {
		if (++i[d] < shape[d])
			return true;
		i[d] = 0;
	}
	return false;
}

/*
 * Make the elements of @o reachable: one range if the resolver maps it,
 * else element by element. Return: 0, or the error of the first element
 * (row-major) that does not translate, its address in *@fault.
 */
static int op_map(const struct trn_ref_env *env, struct op *o, uint64_t *fault)
{
	uint32_t i[TRN_MAX_DIMS] = { 0, 0, 0, 0 };
	int64_t min_off = 0, max_off = 0;
	unsigned int d;
	void *host;
	int err;

	o->env = env;
	for (d = 0; d < TRN_MAX_DIMS; d++) {
		int64_t span = (int64_t)(o->shape[d] - 1) * o->stride[d];

		if (span < 0)
			min_off += span;
		else
			max_off += span;
	}
	/* |offsets| < 2^61: the byte range fits unless it wraps the space. */
	if (op_addr(o, min_off) <= op_addr(o, max_off) &&
	    env->resolve(env->ctx, op_addr(o, min_off),
			 (uint64_t)(max_off - min_off + 1) * o->es, o->write,
			 &host) == TRN_DMA_ERR_NONE) {
		o->lo = host;
		o->min_off = min_off;
		return TRN_DMA_ERR_NONE;
	}

	do {
		uint64_t va = op_addr(o, op_off(o, i));

		err = env->resolve(env->ctx, va, o->es, o->write, &host);
		if (err != TRN_DMA_ERR_NONE) {
			*fault = va;
			return err;
		}
	} while (next_index(i, o->shape));
	o->slow = true;
	return TRN_DMA_ERR_NONE;
}

static void *op_ptr(const struct op *o, const uint32_t i[TRN_MAX_DIMS])
{
	int64_t off = op_off(o, i);
	void *host = NULL;

	if (!o->slow)
		return o->lo + (size_t)(off - o->min_off) * o->es;
	/* Checked by op_map(): every element translates. */
	if (o->env->resolve(o->env->ctx, op_addr(o, off), o->es, o->write,
			    &host) != TRN_DMA_ERR_NONE || !host) {
		fprintf(stderr, "trn_ref: the resolver changed its mind about 0x%llx\n",
			(unsigned long long)op_addr(o, off));
		abort();
	}
	return host;
}

static double op_load(const struct op *o, const uint32_t i[TRN_MAX_DIMS])
{
	return trn_load(o->dt, op_ptr(o, i));
}

static void op_store(const struct op *o, const uint32_t i[TRN_MAX_DIMS], double x)
{
	trn_store(o->dt, op_ptr(o, i), x);
}

/* --- arithmetic -------------------------------------------------------- */

/* MAX and MIN: NaN if either is NaN; +0 is above -0. */
static double ref_max(double x, double y)
{
	if (isnan(x) || isnan(y))
		return isnan(x) ? x : y;
	if (x == y)
		return signbit(x) ? y : x;
	return x > y ? x : y;
}

static double ref_min(double x, double y)
{
	if (isnan(x) || isnan(y))
		return isnan(x) ? x : y;
	if (x == y)
		return signbit(x) ? x : y;
	return x < y ? x : y;
}

static double binary(unsigned int func, double x, double y)
{
	switch (func) {
	case TRN_BIN_ADD:
		return x + y;
	case TRN_BIN_SUB:
		return x - y;
	case TRN_BIN_MUL:
		return x * y;
	case TRN_BIN_DIV:
		return x / y;
	case TRN_BIN_MAX:
		return ref_max(x, y);
	default:
		return ref_min(x, y);
	}
}

static double activate(unsigned int func, double x)
{
	switch (func) {
	case TRN_ACT_IDENTITY:
		return x;
	case TRN_ACT_RELU:
		return ref_max(x, 0.0);
	case TRN_ACT_GELU:
		/* with its limit -0 at -inf rather than NaN, as silu */
		return isinf(x) && x < 0 ? -0.0 : 0.5 * x * (1.0 + erf(x * 0.70710678118654752440));
	case TRN_ACT_SILU:
		/* x * sigmoid(x), with its limit -0 at -inf rather than NaN */
		return isinf(x) && x < 0 ? -0.0 : x * (1.0 / (1.0 + exp(-x)));
	case TRN_ACT_EXP:
		return exp(x);
	case TRN_ACT_TANH:
		return tanh(x);
	case TRN_ACT_SIGMOID:
		return 1.0 / (1.0 + exp(-x));
	case TRN_ACT_RECIPROCAL:
		return 1 / x;
	case TRN_ACT_RSQRT:
		return 1 / sqrt(x);
	case TRN_ACT_SQRT:
		return sqrt(x);
	case TRN_ACT_SQUARE:
		return x * x;
	default:
		return fabs(x);
	}
}

/* out[i] = in[j], bits copied for the same type, else converted. */
static void move_elem(const struct op *out, const uint32_t i[TRN_MAX_DIMS],
		      const struct op *in, const uint32_t j[TRN_MAX_DIMS])
{
	if (out->dt == in->dt)
		memcpy(op_ptr(out, i), op_ptr(in, j), out->es);
	else
		op_store(out, i, op_load(in, j));
}

/* --- instructions ------------------------------------------------------ */

/* Which fields of the header an opcode uses. */
struct use {
	uint8_t flags;          /* allowed flags */
	uint16_t funcs;         /* number of functions; 0: FUNC must be 0 */
	bool aux, imm, alpha, beta;
	unsigned int slots;     /* operand slots used: 1 out, 2 out+a, 3 all */
};

static const struct use uses[TRN_OP_COUNT] = {
	[TRN_OP_NOP] = { 0, 0, false, false, false, false, 0 },
	[TRN_OP_MATMUL] = { TRN_IF_ACCUMULATE, 0, false, false, true, false, 3 },
	[TRN_OP_BINARY] = { TRN_IF_SCALAR_B, TRN_BIN_COUNT, false, false, true, false, 3 },
	[TRN_OP_ACTIVATE] = { 0, TRN_ACT_COUNT, false, false, true, true, 2 },
	[TRN_OP_REDUCE] = { 0, TRN_RED_COUNT, true, false, true, false, 2 },
	[TRN_OP_TRANSPOSE] = { 0, 0, true, false, false, false, 2 },
	[TRN_OP_CAST] = { 0, 0, false, false, false, false, 2 },
	[TRN_OP_DMA] = { 0, 0, false, false, false, false, 2 },
	[TRN_OP_SEM_SIGNAL] = { 0, 0, true, true, false, false, 0 },
	[TRN_OP_SEM_WAIT] = { 0, 0, true, true, false, false, 0 },
};

/* The encoding checks (BAD_INSN). Decodes the operands into @o. */
static bool insn_well_formed(const uint8_t *p, const struct trn_ref_env *env,
			     struct op o[TRN_I_NOPERANDS], unsigned int *nops)
{
	unsigned int opcode = p[TRN_I_OPCODE], flags = p[TRN_I_FLAGS];
	unsigned int func = get16(p + TRN_I_FUNC);
	uint32_t aux = get32(p + TRN_I_AUX);
	const struct use *u;
	unsigned int slots, s;
	bool alpha;

	if (opcode >= TRN_OP_COUNT)
		return false;
	u = &uses[opcode];
	slots = u->slots;
	alpha = u->alpha;
	if (opcode == TRN_OP_BINARY && (flags & TRN_IF_SCALAR_B))
		slots = 2;
	else if (opcode == TRN_OP_BINARY)
		alpha = false;

	if ((flags & ~u->flags) || (u->funcs ? func >= u->funcs : func != 0))
		return false;
	if (!u->aux && aux)
		return false;
	if (!u->imm && get64(p + TRN_I_IMM))
		return false;
	if (!alpha && get32(p + TRN_I_ALPHA))
		return false;
	if (!u->beta && get32(p + TRN_I_BETA))
		return false;
	if (!all_zero(p + TRN_I_RSVD, TRN_I_OPERAND(0) - TRN_I_RSVD))
		return false;

	switch (opcode) {
	case TRN_OP_REDUCE:
		if (aux >= TRN_MAX_DIMS)
			return false;
		break;
	case TRN_OP_TRANSPOSE:
		if (aux >> 16 || TRN_TRANSPOSE_D0(aux) >= TRN_MAX_DIMS ||
		    TRN_TRANSPOSE_D1(aux) >= TRN_MAX_DIMS)
			return false;
		break;
	case TRN_OP_SEM_SIGNAL:
	case TRN_OP_SEM_WAIT:
		if (env->num_sems && aux >= env->num_sems)
			return false;
		break;
	default:
		break;
	}

	for (s = 0; s < TRN_I_NOPERANDS; s++) {
		const uint8_t *slot = p + TRN_I_OPERAND(s);

		if (s >= slots) {
			if (!all_zero(slot, TRN_OPERAND_SIZE))
				return false;
		} else if (!op_decode(slot, &o[s], s == 0)) {
			return false;
		}
	}
	*nops = slots;
	return true;
}

/* The shape checks (OPERAND). */
static bool insn_shapes_fit(const uint8_t *p, const struct op o[TRN_I_NOPERANDS],
			    unsigned int nops)
{
	unsigned int opcode = p[TRN_I_OPCODE];
	uint32_t aux = get32(p + TRN_I_AUX);
	uint32_t want[TRN_MAX_DIMS];
	unsigned int s;

	for (s = 0; s < nops; s++) {
		if (!op_sane(&o[s]))
			return false;
	}
	switch (opcode) {
	case TRN_OP_MATMUL:
		/* out [B0, B1, M, N], a [B0, B1, M, K], b [B0, B1, K, N] */
		return o[1].shape[0] == o[0].shape[0] && o[1].shape[1] == o[0].shape[1] &&
		       o[2].shape[0] == o[0].shape[0] && o[2].shape[1] == o[0].shape[1] &&
		       o[1].shape[2] == o[0].shape[2] && o[2].shape[3] == o[0].shape[3] &&
		       o[1].shape[3] == o[2].shape[2];
	case TRN_OP_BINARY:
		return same_shape(&o[0], &o[1]) && (nops < 3 || same_shape(&o[0], &o[2]));
	case TRN_OP_ACTIVATE:
	case TRN_OP_CAST:
		return same_shape(&o[0], &o[1]);
	case TRN_OP_DMA:
		return same_shape(&o[0], &o[1]) && o[0].dt == o[1].dt;
	case TRN_OP_REDUCE:
		memcpy(want, o[1].shape, sizeof(want));
		want[aux] = 1;
		return !memcmp(want, o[0].shape, sizeof(want));
	case TRN_OP_TRANSPOSE:
		memcpy(want, o[1].shape, sizeof(want));
		want[TRN_TRANSPOSE_D0(aux)] = o[1].shape[TRN_TRANSPOSE_D1(aux)];
		want[TRN_TRANSPOSE_D1(aux)] = o[1].shape[TRN_TRANSPOSE_D0(aux)];
		return !memcmp(want, o[0].shape, sizeof(want));
	default:
		return true;
	}
}

static float get_f32(const uint8_t *p)
{
	return trn_bits_to_f32(get32(p));
}

static void exec_matmul(const uint8_t *p, const struct op o[TRN_I_NOPERANDS])
{
	const struct op *out = &o[0], *a = &o[1], *b = &o[2];
	float alpha = get_f32(p + TRN_I_ALPHA);
	bool accumulate = p[TRN_I_FLAGS] & TRN_IF_ACCUMULATE;
	uint32_t i[TRN_MAX_DIMS] = { 0, 0, 0, 0 };
	uint32_t K = a->shape[3];
	double *res;
	size_t n = 0;

	res = malloc((size_t)op_elems(out) * sizeof(*res));
	if (!res) {
		fprintf(stderr, "trn_ref: out of memory for a MATMUL result\n");
		abort();
	}
	/* Every input is read before the output is written. */
	do {
		uint32_t ia[TRN_MAX_DIMS] = { i[0], i[1], i[2], 0 };
		uint32_t ib[TRN_MAX_DIMS] = { i[0], i[1], 0, i[3] };
		float acc = 0;
		double r;
		uint32_t k;

		for (k = 0; k < K; k++) {
			ia[3] = k;
			ib[2] = k;
			acc += (float)op_load(a, ia) * (float)op_load(b, ib);
		}
		/* Rounded once, to the output type. */
		r = (double)alpha * acc;
		if (accumulate)
			r += (float)op_load(out, i);
		res[n++] = r;
	} while (next_index(i, out->shape));

	n = 0;
	do {
		op_store(out, i, res[n++]);
	} while (next_index(i, out->shape));
	free(res);
}

static void exec_reduce(const uint8_t *p, const struct op o[TRN_I_NOPERANDS])
{
	const struct op *out = &o[0], *a = &o[1];
	unsigned int func = get16(p + TRN_I_FUNC);
	uint32_t axis = get32(p + TRN_I_AUX);
	double alpha = get_f32(p + TRN_I_ALPHA);
	uint32_t i[TRN_MAX_DIMS] = { 0, 0, 0, 0 };

	do {
		uint32_t j[TRN_MAX_DIMS];
		double acc = 0;
		uint32_t k;

		memcpy(j, i, sizeof(j));
		for (k = 0; k < a->shape[axis]; k++) {
			double x;

			j[axis] = k;
			x = op_load(a, j);
			if (k == 0)
				acc = x;
			else if (func == TRN_RED_SUM)
				acc += x;
			else
				acc = func == TRN_RED_MAX ? ref_max(acc, x) : ref_min(acc, x);
		}
		op_store(out, i, alpha * acc);
	} while (next_index(i, out->shape));
}

static void exec_elementwise(const uint8_t *p, const struct op o[TRN_I_NOPERANDS],
			     unsigned int nops)
{
	unsigned int opcode = p[TRN_I_OPCODE], func = get16(p + TRN_I_FUNC);
	double alpha = get_f32(p + TRN_I_ALPHA), beta = get_f32(p + TRN_I_BETA);
	const struct op *out = &o[0], *a = &o[1];
	uint32_t i[TRN_MAX_DIMS] = { 0, 0, 0, 0 };
	uint32_t aux = get32(p + TRN_I_AUX);

	do {
		uint32_t j[TRN_MAX_DIMS];

		switch (opcode) {
		case TRN_OP_BINARY:
			op_store(out, i, binary(func, op_load(a, i),
						nops == 3 ? op_load(&o[2], i) : alpha));
			break;
		case TRN_OP_ACTIVATE:
			op_store(out, i, activate(func, alpha * op_load(a, i) + beta));
			break;
		case TRN_OP_TRANSPOSE:
			memcpy(j, i, sizeof(j));
			j[TRN_TRANSPOSE_D0(aux)] = i[TRN_TRANSPOSE_D1(aux)];
			j[TRN_TRANSPOSE_D1(aux)] = i[TRN_TRANSPOSE_D0(aux)];
			move_elem(out, i, a, j);
			break;
		default:        /* CAST, DMA */
			move_elem(out, i, a, i);
			break;
		}
	} while (next_index(i, out->shape));
}

int trn_ref_exec_env(const void *insn, uint64_t insn_va,
		     const struct trn_ref_env *env, uint64_t *addr)
{
	const uint8_t *p = insn;
	struct op o[TRN_I_NOPERANDS];
	unsigned int nops = 0, s, opcode = p[TRN_I_OPCODE];
	uint64_t fault = 0, dummy;
	int err;

	if (!addr)
		addr = &dummy;
	*addr = 0;
	memset(o, 0, sizeof(o));
	if (!insn_well_formed(p, env, o, &nops)) {
		*addr = insn_va;
		return TRN_DMA_ERR_BAD_INSN;
	}
	if (!insn_shapes_fit(p, o, nops)) {
		*addr = insn_va;
		return TRN_DMA_ERR_OPERAND;
	}
	for (s = 0; s < nops; s++) {
		if (o[s].va % o[s].es) {
			*addr = insn_va;
			return TRN_DMA_ERR_ALIGN;
		}
	}
	for (s = 0; s < nops; s++) {
		err = op_map(env, &o[s], &fault);
		if (err != TRN_DMA_ERR_NONE) {
			*addr = fault;
			return err;
		}
	}

	switch (opcode) {
	case TRN_OP_NOP:
		break;
	case TRN_OP_MATMUL:
		exec_matmul(p, o);
		break;
	case TRN_OP_REDUCE:
		exec_reduce(p, o);
		break;
	case TRN_OP_SEM_SIGNAL:
	case TRN_OP_SEM_WAIT:
		if (env->sems) {
			uint32_t sem = get32(p + TRN_I_AUX);
			uint64_t imm = get64(p + TRN_I_IMM);

			if (opcode == TRN_OP_SEM_SIGNAL)
				env->sems[sem] += imm;
			else if (env->sems[sem] < imm)
				return TRN_REF_BLOCKED;
		}
		break;
	default:
		exec_elementwise(p, o, nops);
		break;
	}
	return TRN_DMA_ERR_NONE;
}

int trn_ref_exec(const void *insn, trn_ref_mem_fn resolve, void *ctx)
{
	struct trn_ref_env env = { resolve, ctx, NULL, 0 };

	return trn_ref_exec_env(insn, 0, &env, NULL);
}

int trn_ref_run(const void *prog, size_t len, uint64_t prog_va,
		const struct trn_ref_env *env, struct trn_ref_status *st)
{
	const uint8_t *p = prog;
	size_t i, n = len / TRN_INSN_SIZE;

	memset(st, 0, sizeof(*st));
	if (!len || len % TRN_INSN_SIZE || len > TRN_PROGRAM_MAX_BYTES) {
		st->error = TRN_DMA_ERR_BAD_DESC;
		return st->error;
	}
	if (prog_va % TRN_INSN_ALIGN) {
		st->error = TRN_DMA_ERR_ALIGN;
		st->addr = prog_va;
		return st->error;
	}
	for (i = 0; i < n; i++) {
		uint64_t addr = 0;
		int err = trn_ref_exec_env(p + i * TRN_INSN_SIZE,
					   prog_va + i * TRN_INSN_SIZE, env, &addr);

		if (err != TRN_DMA_ERR_NONE) {
			st->error = err;
			st->insn = (uint32_t)i;
			st->addr = addr;
			return err;
		}
	}
	st->insn = (uint32_t)n;
	return TRN_DMA_ERR_NONE;
}

const char *trn_ref_error_name(int err)
{
	const char *name = err >= 0 ? trn_dma_err_name((unsigned int)err) : NULL;

	if (err == TRN_REF_BLOCKED)
		return "TRN_REF_BLOCKED";
	return name ? name : "unknown";
}
