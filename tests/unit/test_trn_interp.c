// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * The QEMU model's instruction interpreter (qemu/trn-interp.h), on the
 * host, without QEMU: random instructions of every opcode, type and layout
 * against the reference executor (tests/common/trn_ref.c), bit for bit but
 * for MATMUL (which sums through BLAS); the errors of malformed
 * instructions and of operands outside memory; and the interpreter's
 * contract with its owner: pages without a host pointer, every written byte
 * reported dirty, a poll that stops an instruction or flushes the
 * translations, a map that evicts the system pages of its slot.
 */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "trn-interp.h"
#include "trn_isa.h"
#include "trn_numerics.h"
#include "trn_ref.h"
#include "trn_regs.h"

/* --- memory: regions of pages, twice (interpreter and reference) ------- */

#define REGIONS 8
#define REGION_SIZE (64 * 1024)
#define PAGE 4096

/*
 * Region r is at VA (r + 1) << 20. Region RO is read-only; the pages of
 * region SLOW have no host pointer; those of region SYS are "system"
 * pages (TrnPage.system), whose slot the map callback evicts when EVICT is
 * on.
 */
enum { RO = 4, SLOW = 5, SYS = 6 };

static struct mem {
	unsigned char m[REGIONS][REGION_SIZE];
} *mine, *ref, *before;

static struct owner {
	unsigned int maps, accesses, polls;
	unsigned int stop_at_poll;	/* poll number that returns false, 0: none */
	unsigned int flush_every;	/* flush the TLB every N polls, 0: never */
	bool evict_system;
	TrnExec *ex;
	/* bytes reported dirty, per region */
	unsigned char dirty[REGIONS][REGION_SIZE];
	char log[256];
} own;

static uint64_t va_of(unsigned int r, uint64_t off)
{
	return ((uint64_t)(r + 1) << 20) + off;
}

/* Region and offset of @va, or -1. */
static int region_of(uint64_t va, uint64_t *off)
{
	uint64_t r = (va >> 20) - 1;

	if ((va >> 20) == 0 || r >= REGIONS || (va & 0xfffff) >= REGION_SIZE)
		return -1;
	*off = va & 0xfffff;
	return (int)r;
}

static uint32_t own_map(void *opaque, unsigned int slot, uint64_t va, bool write,
			TrnPage *pg)
{
	uint64_t off;
	int r = region_of(va, &off);

	(void)opaque;
	own.maps++;
	assert_int_equal(va % PAGE, 0);
	if (r < 0)
		return TRN_DMA_ERR_UNMAPPED;
	if (write && r == RO)
		return TRN_DMA_ERR_READONLY;
	if (r == SYS && own.evict_system)
		trn_exec_evict_system(own.ex, slot);
	pg->host = r == SLOW ? NULL : &mine->m[r][off];
	pg->addr = (uint64_t)r * REGION_SIZE + off;
	pg->system = r == SYS;
	return TRN_DMA_ERR_NONE;
}

static bool own_access(void *opaque, const TrnPage *pg, unsigned int off, void *buf,
		       unsigned int len, bool write)
{
	unsigned char *p = &mine->m[0][0] + pg->addr + off;

	(void)opaque;
	own.accesses++;
	assert_null(pg->host);
	assert_true(off + len <= PAGE);
	if (write) {
		memcpy(p, buf, len);
		memset(&own.dirty[0][0] + pg->addr + off, 1, len);
	} else {
		memcpy(buf, p, len);
	}
	return true;
}

static void own_dirty(void *opaque, unsigned int slot, const TrnPage *pg,
		      unsigned int off, unsigned int len)
{
	(void)opaque;
	assert_int_equal(slot, 0);	/* only out is written */
	assert_non_null(pg->host);
	assert_true(off + len <= PAGE);
	memset(&own.dirty[0][0] + pg->addr + off, 1, len);
}

static bool own_poll(void *opaque)
{
	(void)opaque;
	own.polls++;
	if (own.flush_every && own.polls % own.flush_every == 0)
		trn_exec_flush(own.ex);
	return own.polls != own.stop_at_poll;
}

static void own_log(void *opaque, const char *msg)
{
	(void)opaque;
	snprintf(own.log, sizeof(own.log), "%s", msg);
}

static const TrnMemOps own_ops = {
	.map = own_map,
	.access = own_access,
	.dirty = own_dirty,
	.poll = own_poll,
	.log = own_log,
};

static int ref_resolve(void *ctx, uint64_t va, uint64_t len, bool write, void **host)
{
	uint64_t off;
	int r = region_of(va, &off);

	(void)ctx;
	if (r < 0 || off + len > REGION_SIZE)
		return TRN_DMA_ERR_UNMAPPED;
	if (write && r == RO)
		return TRN_DMA_ERR_READONLY;
	*host = &ref->m[r][off];
	return TRN_DMA_ERR_NONE;
}

static int setup(void **state)
{
	(void)state;
	mine = test_calloc(1, sizeof(*mine));
	ref = test_calloc(1, sizeof(*ref));
	before = test_calloc(1, sizeof(*before));
	memset(&own, 0, sizeof(own));
	own.ex = trn_interp_new(&own_ops, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	trn_interp_free(own.ex);
	test_free(mine);
	test_free(ref);
	test_free(before);
	return 0;
}

/* --- encoding -------------------------------------------------------- */

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static unsigned int rndn(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static void le(unsigned char *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void header(unsigned char *insn, unsigned int opcode, unsigned int flags,
		   unsigned int func, uint32_t aux, float alpha, float beta)
{
	memset(insn, 0, TRN_INSN_SIZE);
	insn[TRN_I_OPCODE] = (unsigned char)opcode;
	insn[TRN_I_FLAGS] = (unsigned char)flags;
	le(insn + TRN_I_FUNC, func, 2);
	le(insn + TRN_I_AUX, aux, 4);
	le(insn + TRN_I_ALPHA, trn_f32_to_bits(alpha), 4);
	le(insn + TRN_I_BETA, trn_f32_to_bits(beta), 4);
}

struct opnd {
	uint64_t va;
	unsigned int dt;
	uint32_t shape[4];
	int32_t stride[4];
};

static void operand(unsigned char *insn, unsigned int slot, const struct opnd *o)
{
	unsigned char *p = insn + TRN_I_OPERAND(slot);
	int d;

	le(p + TRN_O_VA, o->va, 8);
	p[TRN_O_DTYPE] = (unsigned char)o->dt;
	for (d = 0; d < 4; d++) {
		le(p + TRN_O_SHAPE(d), o->shape[d], 4);
		le(p + TRN_O_STRIDE(d), (uint32_t)o->stride[d], 4);
	}
}

/* Row-major strides for @shape, each row padded by @pad elements. */
static void layout(struct opnd *o, unsigned int pad)
{
	int d;

	o->stride[3] = 1;
	o->stride[2] = (int32_t)(o->shape[3] + pad);
	for (d = 1; d >= 0; d--)
		o->stride[d] = o->stride[d + 1] * (int32_t)o->shape[d + 1];
}

/* Bytes from the lowest to the highest element of @o. */
static uint64_t extent(const struct opnd *o, int64_t *lo)
{
	int64_t min = 0, max = 0;
	int d;

	for (d = 0; d < 4; d++) {
		int64_t span = (int64_t)(o->shape[d] - 1) * o->stride[d];

		if (span < 0)
			min += span;
		else
			max += span;
	}
	*lo = min * trn_dt_size(o->dt);
	return (uint64_t)(max - min + 1) * trn_dt_size(o->dt);
}

/* Place @o in region @r with its lowest element at offset @at. */
static void place(struct opnd *o, unsigned int r, uint64_t at)
{
	int64_t lo;

	assert_true(at + extent(o, &lo) <= REGION_SIZE);
	o->va = va_of(r, at) - (uint64_t)lo;
}

/* Random bytes in both copies of region @r. */
static void fill_random(unsigned int r)
{
	size_t i;

	for (i = 0; i < REGION_SIZE; i++)
		mine->m[r][i] = ref->m[r][i] = (unsigned char)rnd();
}

/* Small finite values of type @dt, for MATMUL's inputs. */
static void fill_small(unsigned int r, unsigned int dt)
{
	unsigned int esz = trn_dt_size(dt);
	size_t i;

	for (i = 0; i + esz <= REGION_SIZE; i += esz)
		trn_store(dt, &mine->m[r][i], ((double)rndn(2001) - 1000) / 256);
	memcpy(ref->m[r], mine->m[r], REGION_SIZE);
}

static int run_both(const unsigned char *insn, int *ref_err)
{
	TrnInsn in;
	uint32_t err;
	struct trn_ref_env env = { ref_resolve, NULL, NULL, 32 };

	*ref_err = trn_ref_exec_env(insn, 0x40000, &env, NULL);
	err = trn_interp_exec(own.ex, insn, 0x40000, 32, &in);
	assert_false(own.ex->abort);
	return (int)err;
}

static const unsigned int types[] = {
	TRN_DT_FP32, TRN_DT_BF16, TRN_DT_FP16, TRN_DT_FP8_E4M3,
	TRN_DT_FP8_E5M2, TRN_DT_INT8, TRN_DT_INT32,
};

static unsigned int rnd_type(void)
{
	return types[rndn(sizeof(types) / sizeof(types[0]))];
}

static void rnd_shape(uint32_t shape[4], unsigned int max)
{
	int d;

	for (d = 0; d < 4; d++)
		shape[d] = 1 + rndn(d < 2 ? 3 : max);
}

/* A random input of @shape in region @r: row-major, padded, reversed or broadcast. */
static void rnd_input(struct opnd *o, const uint32_t shape[4], unsigned int r)
{
	int d;

	memcpy(o->shape, shape, sizeof(o->shape));
	o->dt = rnd_type();
	layout(o, rndn(3));
	switch (rndn(4)) {
	case 0:		/* broadcast along one dimension */
		o->stride[rndn(4)] = 0;
		break;
	case 1:		/* every dimension reversed */
		for (d = 0; d < 4; d++)
			o->stride[d] = -o->stride[d];
		break;
	}
	place(o, r, rndn(64) * trn_dt_size(o->dt));
}

/* --- random instructions against the reference --------------------------- */

/*
 * Both copies of memory hold the same bytes; in the region of @out (if not
 * NULL), two NaN elements of its type may differ in sign and payload: which
 * operand's NaN an operation passes on depends on how the compiler ordered
 * it. Elements are aligned to their size.
 */
static void check_same_memory(const char *what, const struct opnd *out)
{
	unsigned int r, esz = out ? trn_dt_size(out->dt) : 1;
	uint64_t off;
	int out_r = out ? region_of(out->va, &off) : -1;
	size_t i, e;

	for (r = 0; r < REGIONS; r++) {
		for (i = 0; i < REGION_SIZE; i++) {
			if (mine->m[r][i] == ref->m[r][i])
				continue;
			e = i & ~(size_t)(esz - 1);
			if ((int)r == out_r && isnan(trn_load(out->dt, &mine->m[r][e])) &&
			    isnan(trn_load(out->dt, &ref->m[r][e])))
				continue;
			fail_msg("%s: region %u byte %zu: 0x%02x, reference 0x%02x",
				 what, r, i, mine->m[r][i], ref->m[r][i]);
		}
	}
}

/* One random element-wise or REDUCE instruction; out in region 0, SLOW or SYS. */
static void rnd_elementwise(unsigned char *insn, struct opnd *out)
{
	static const unsigned int regions[] = { 0, SLOW, SYS };
	unsigned int opcode = TRN_OP_BINARY + rndn(6); /* BINARY .. DMA */
	struct opnd o = { 0 }, a = { 0 }, b = { 0 };
	unsigned int func = 0, flags = 0, d0, d1, out_region = regions[rndn(3)];
	uint32_t shape[4], aux = 0;
	float alpha = 0, beta = 0;

	rnd_shape(shape, 9);
	/* Inputs never overlap out (undefined but for exact in-place use) */
	rnd_input(&a, shape, rndn(2) || out_region == SLOW ? 1 : SLOW);
	memcpy(o.shape, shape, sizeof(shape));
	o.dt = rnd_type();
	switch (opcode) {
	case TRN_OP_BINARY:
		func = rndn(TRN_BIN_COUNT);
		if (rndn(4) == 0) {
			flags = TRN_IF_SCALAR_B;
			alpha = (float)((double)rndn(1000) / 7 - 70);
		} else {
			rnd_input(&b, shape, rndn(2) ? 2 : RO);
		}
		break;
	case TRN_OP_ACTIVATE:
		func = rndn(TRN_ACT_COUNT);
		alpha = (float)((double)rndn(100) / 16 - 3);
		beta = (float)((double)rndn(100) / 16 - 3);
		break;
	case TRN_OP_REDUCE:
		func = rndn(TRN_RED_COUNT);
		aux = rndn(4);
		o.shape[aux] = 1;
		alpha = (float)((double)rndn(100) / 16 - 3);
		break;
	case TRN_OP_TRANSPOSE:
		d0 = rndn(4);
		d1 = rndn(4);
		aux = TRN_TRANSPOSE_AUX(d0, d1);
		o.shape[d0] = shape[d1];
		o.shape[d1] = shape[d0];
		break;
	case TRN_OP_DMA:
		o.dt = a.dt;
		break;
	}
	layout(&o, rndn(2));
	place(&o, out_region, rndn(64) * trn_dt_size(o.dt));
	*out = o;
	header(insn, opcode, flags, func, aux, alpha, beta);
	operand(insn, 0, &o);
	operand(insn, 1, &a);
	if (b.dt)
		operand(insn, 2, &b);
}

static void test_random_elementwise(void **state)
{
	unsigned char insn[TRN_INSN_SIZE];
	struct opnd out;
	unsigned int n;
	int err, ref_err;
	char what[96];

	(void)state;
	for (n = 0; n < 2000; n++) {
		fill_random(0);
		fill_random(1);
		fill_random(2);
		fill_random(RO);
		fill_random(SLOW);
		fill_random(SYS);
		memset(own.dirty, 0, sizeof(own.dirty));
		own.evict_system = n & 1;
		rnd_elementwise(insn, &out);
		err = run_both(insn, &ref_err);
		snprintf(what, sizeof(what), "instruction %u (opcode %u func %u, types %u %u %u)",
			 n, insn[TRN_I_OPCODE], insn[TRN_I_FUNC],
			 insn[TRN_I_OPERAND(0) + TRN_O_DTYPE], insn[TRN_I_OPERAND(1) + TRN_O_DTYPE],
			 insn[TRN_I_OPERAND(2) + TRN_O_DTYPE]);
		assert_int_equal(ref_err, TRN_DMA_ERR_NONE);
		if (err)
			fail_msg("%s: error %d: %s", what, err, own.log);
		check_same_memory(what, &out);
	}
}

/* Every byte that changed in memory was reported written. */
static void test_dirty_complete(void **state)
{
	unsigned char insn[TRN_INSN_SIZE];
	struct opnd out;
	unsigned int n, r;
	int ref_err;
	size_t i;

	(void)state;
	for (n = 0; n < 300; n++) {
		fill_random(0);
		fill_random(1);
		fill_random(SLOW);
		fill_random(SYS);
		memset(own.dirty, 0, sizeof(own.dirty));
		own.evict_system = true;
		own.flush_every = 1 + n % 5;
		memcpy(before, mine, sizeof(*before));
		rnd_elementwise(insn, &out);
		assert_int_equal(run_both(insn, &ref_err), TRN_DMA_ERR_NONE);
		for (r = 0; r < REGIONS; r++) {
			for (i = 0; i < REGION_SIZE; i++) {
				if (mine->m[r][i] != before->m[r][i] &&
				    !own.dirty[r][i])
					fail_msg("instruction %u: region %u byte %zu written but "
						 "not reported", n, r, i);
			}
		}
		check_same_memory("with flushes", &out);
	}
	own.flush_every = 0;
}

/* --- MATMUL ---------------------------------------------------------- */

static double elem(const unsigned char *m, unsigned int dt, uint64_t i)
{
	return trn_load(dt, m + i * trn_dt_size(dt));
}

/* out of @o in both copies, within a tolerance growing with K. */
static void check_matmul(const struct opnd *o, unsigned int r, uint32_t K)
{
	int64_t lo;
	uint64_t i, n = extent(o, &lo) / trn_dt_size(o->dt);
	double tol = o->dt == TRN_DT_FP32 ? 1e-6 : 1.0 / 128;

	for (i = 0; i < n; i++) {
		double g = elem(mine->m[r], o->dt, i), w = elem(ref->m[r], o->dt, i);

		if (!(fabs(g - w) <= tol * (fabs(w) + K)))
			fail_msg("element %" PRIu64 ": %.9g, reference %.9g (K %u)", i, g, w, K);
	}
}

static void matmul_case(uint32_t B, uint32_t M, uint32_t K, uint32_t N,
			unsigned int flags, unsigned int dt_in, unsigned int dt_out,
			bool bt)
{
	struct opnd o = { 0 }, a = { 0 }, b = { 0 };
	unsigned char insn[TRN_INSN_SIZE];
	int err, ref_err;

	a.dt = dt_in;
	b.dt = dt_in;
	o.dt = dt_out;
	memcpy(a.shape, (uint32_t[]){ 1, B, M, K }, sizeof(a.shape));
	memcpy(o.shape, (uint32_t[]){ 1, B, M, N }, sizeof(o.shape));
	layout(&a, 0);
	layout(&o, 0);
	if (bt) {		/* b is stored transposed: N x K */
		memcpy(b.shape, (uint32_t[]){ 1, B, N, K }, sizeof(b.shape));
		layout(&b, 0);
		memcpy(b.shape, (uint32_t[]){ 1, B, K, N }, sizeof(b.shape));
		b.stride[3] = b.stride[2];
		b.stride[2] = 1;
	} else {
		memcpy(b.shape, (uint32_t[]){ 1, B, K, N }, sizeof(b.shape));
		layout(&b, 0);
	}
	place(&a, 1, 0);
	place(&b, 2, 0);
	place(&o, 0, 0);
	fill_small(1, dt_in);
	fill_small(2, dt_in);
	fill_small(0, dt_out);
	header(insn, TRN_OP_MATMUL, flags, 0, 0, 0.75f, 0);
	operand(insn, 0, &o);
	operand(insn, 1, &a);
	operand(insn, 2, &b);
	err = run_both(insn, &ref_err);
	assert_int_equal(ref_err, TRN_DMA_ERR_NONE);
	if (err)
		fail_msg("matmul %ux%ux%u: error %d: %s", M, K, N, err, own.log);
	assert_int_equal(own.ex->flops, 2ull * B * M * N * K);
	check_matmul(&o, 0, K);
}

static void test_matmul(void **state)
{
	(void)state;
	matmul_case(1, 5, 7, 3, 0, TRN_DT_FP32, TRN_DT_FP32, false);
	matmul_case(3, 4, 6, 5, TRN_IF_ACCUMULATE, TRN_DT_FP32, TRN_DT_FP32, false);
	matmul_case(2, 9, 4, 6, 0, TRN_DT_BF16, TRN_DT_BF16, true);
	matmul_case(1, 8, 8, 8, TRN_IF_ACCUMULATE, TRN_DT_FP16, TRN_DT_FP32, true);
	matmul_case(1, 3, 5, 4, 0, TRN_DT_INT8, TRN_DT_FP32, false);
	matmul_case(1, 6, 3, 2, 0, TRN_DT_FP8_E4M3, TRN_DT_BF16, false);
	/* More than one block of TRN_MM_BLOCK (1024) along M, then along K */
	matmul_case(1, 1030, 4, 3, 0, TRN_DT_FP32, TRN_DT_FP32, false);
	matmul_case(1, 2, 1030, 2, TRN_IF_ACCUMULATE, TRN_DT_FP32, TRN_DT_FP32, true);
}

/* out overlaps a: the result is kept whole until the inputs are read. */
static void test_matmul_in_place(void **state)
{
	struct opnd o = { 0 }, b = { 0 };
	unsigned char insn[TRN_INSN_SIZE];
	int err, ref_err;

	(void)state;
	o.dt = b.dt = TRN_DT_FP32;
	memcpy(o.shape, (uint32_t[]){ 1, 1, 6, 6 }, sizeof(o.shape));
	memcpy(b.shape, (uint32_t[]){ 1, 1, 6, 6 }, sizeof(b.shape));
	layout(&o, 0);
	layout(&b, 0);
	place(&o, 0, 0);
	place(&b, 2, 0);
	fill_small(0, TRN_DT_FP32);
	fill_small(2, TRN_DT_FP32);
	header(insn, TRN_OP_MATMUL, 0, 0, 0, 1.0f, 0);
	operand(insn, 0, &o);
	operand(insn, 1, &o);	/* a is out */
	operand(insn, 2, &b);
	err = run_both(insn, &ref_err);
	assert_int_equal(ref_err, TRN_DMA_ERR_NONE);
	assert_int_equal(err, TRN_DMA_ERR_NONE);
	check_matmul(&o, 0, 6);
}

/* --- errors ------------------------------------------------------------ */

static void valid_binary(unsigned char *insn)
{
	struct opnd o = { 0 };

	o.dt = TRN_DT_FP32;
	memcpy(o.shape, (uint32_t[]){ 1, 1, 4, 8 }, sizeof(o.shape));
	layout(&o, 0);
	place(&o, 0, 0);
	header(insn, TRN_OP_BINARY, 0, TRN_BIN_ADD, 0, 0, 0);
	operand(insn, 0, &o);
	place(&o, 1, 0);
	operand(insn, 1, &o);
	place(&o, 2, 0);
	operand(insn, 2, &o);
}

/* Corrupted instructions fail as the reference says, at the instruction. */
static void test_malformed(void **state)
{
	unsigned char insn[TRN_INSN_SIZE];
	unsigned int n, nbad = 0;
	int err, ref_err;

	(void)state;
	for (n = 0; n < 5000; n++) {
		valid_binary(insn);
		insn[rndn(TRN_INSN_SIZE)] ^= (unsigned char)(1u << rndn(8));
		if (rndn(2))
			insn[rndn(TRN_INSN_SIZE)] = (unsigned char)rnd();
		own.log[0] = 0;
		err = run_both(insn, &ref_err);
		switch (ref_err) {
		case TRN_DMA_ERR_BAD_INSN:
		case TRN_DMA_ERR_OPERAND:
		case TRN_DMA_ERR_ALIGN:
			nbad++;
			if (err != ref_err)
				fail_msg("case %u: error %d, reference %s", n, err,
					 trn_ref_error_name(ref_err));
			assert_int_equal(own.ex->fault, 0x40000);
			assert_true(own.log[0] != 0);
			break;
		case TRN_DMA_ERR_NONE:
			assert_int_equal(err, TRN_DMA_ERR_NONE);
			break;
		default:	/* the operands moved: a memory error for both */
			assert_true(err == TRN_DMA_ERR_UNMAPPED || err == TRN_DMA_ERR_READONLY);
			break;
		}
	}
	assert_true(nbad > 1000);
}

static void test_memory_errors(void **state)
{
	unsigned char insn[TRN_INSN_SIZE];
	struct opnd o = { 0 };
	TrnInsn in;

	(void)state;
	/* a runs off the end of its region: the first element past it */
	o.dt = TRN_DT_FP32;
	memcpy(o.shape, (uint32_t[]){ 1, 1, 1, 64 }, sizeof(o.shape));
	layout(&o, 0);
	valid_binary(insn);
	place(&o, 0, 0);
	operand(insn, 0, &o);
	operand(insn, 2, &o);
	o.va = va_of(1, REGION_SIZE - 40);
	operand(insn, 1, &o);
	assert_int_equal(trn_interp_exec(own.ex, insn, 0x40000, 32, &in),
			 TRN_DMA_ERR_UNMAPPED);
	assert_int_equal(own.ex->fault, va_of(1, REGION_SIZE));

	/* out read-only: the first element of out */
	place(&o, 1, 0);
	operand(insn, 1, &o);
	place(&o, RO, 8);
	operand(insn, 0, &o);
	assert_int_equal(trn_interp_exec(own.ex, insn, 0x40000, 32, &in),
			 TRN_DMA_ERR_READONLY);
	assert_int_equal(own.ex->fault, va_of(RO, 8));
}

/* --- the owner's contract ---------------------------------------------- */

/* A poll that says stop ends the instruction; the next one runs. */
static void test_poll_stops(void **state)
{
	unsigned char insn[TRN_INSN_SIZE];
	struct opnd o = { 0 };
	int err, ref_err;
	TrnInsn in;

	(void)state;
	o.dt = TRN_DT_FP32;
	memcpy(o.shape, (uint32_t[]){ 1, 1, 8, 2048 }, sizeof(o.shape));
	layout(&o, 0);
	place(&o, 0, 0);
	header(insn, TRN_OP_ACTIVATE, 0, TRN_ACT_EXP, 0, 1, 0);
	operand(insn, 0, &o);
	place(&o, 1, 0);
	operand(insn, 1, &o);
	fill_random(1);
	own.polls = 0;
	own.stop_at_poll = 3;
	assert_int_equal(trn_interp_exec(own.ex, insn, 0x40000, 32, &in),
			 TRN_DMA_ERR_NONE);
	assert_true(own.ex->abort);
	assert_int_equal(own.polls, 3);
	own.stop_at_poll = 0;
	err = run_both(insn, &ref_err);
	assert_int_equal(err, TRN_DMA_ERR_NONE);
	check_same_memory("after a stop", NULL);
}

/* Semaphore instructions are checked, not applied; the log names the reason. */
static void test_semaphores(void **state)
{
	unsigned char insn[TRN_INSN_SIZE];
	TrnInsn in;

	(void)state;
	header(insn, TRN_OP_SEM_WAIT, 0, 0, 7, 0, 0);
	le(insn + TRN_I_IMM, 5, 8);
	assert_int_equal(trn_interp_exec(own.ex, insn, 0x40000, 32, &in), TRN_DMA_ERR_NONE);
	assert_int_equal(in.opcode, TRN_OP_SEM_WAIT);
	assert_int_equal(in.aux, 7);
	assert_int_equal(in.imm, 5);
	assert_string_equal(own.ex->name, "sem_wait");
	assert_int_equal(trn_interp_exec(own.ex, insn, 0x40000, 4, &in),
			 TRN_DMA_ERR_BAD_INSN);
	assert_string_equal(own.log, "semaphore 7, the device has 4");
	assert_int_equal(own.maps, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_elementwise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirty_complete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_matmul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_matmul_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_semaphores, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
