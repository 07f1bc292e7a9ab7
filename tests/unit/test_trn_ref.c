// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of the reference executor of the NeuronCore instruction set
 * (tests/common/trn_ref.c) on hand-computed cases. The instructions are
 * encoded here from the offsets of include/hw/trn_isa.h, independently of
 * libnrt's encoder.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "trn_isa.h"
#include "trn_numerics.h"
#include "trn_regs.h"
#include "trn_ref.h"

/* --- a small address space --------------------------------------------- */

#define REGIONS 4
#define REGION_SIZE 4096

/* Region r is at VA 0x10000 * (r + 1); region 3 is read-only. */
static struct space {
	unsigned char mem[REGIONS][REGION_SIZE];
	unsigned int resolves;
} sp;

static uint64_t va_of(unsigned int region, size_t off)
{
	return 0x10000u * (region + 1) + off;
}

static void *host_of(unsigned int region, size_t off)
{
	return &sp.mem[region][off];
}

static int resolve(void *ctx, uint64_t va, uint64_t len, bool write, void **host)
{
	unsigned int r;

	(void)ctx;
	sp.resolves++;
	for (r = 0; r < REGIONS; r++) {
		uint64_t base = va_of(r, 0);

		if (va >= base && len <= REGION_SIZE && va - base <= REGION_SIZE - len) {
			if (write && r == 3)
				return TRN_DMA_ERR_READONLY;
			*host = &sp.mem[r][va - base];
			return TRN_DMA_ERR_NONE;
		}
	}
	return TRN_DMA_ERR_UNMAPPED;
}

static int reset(void **state)
{
	(void)state;
	memset(&sp, 0, sizeof(sp));
	return 0;
}

/* --- encoding by hand ---------------------------------------------------- */

static void le(unsigned char *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t fbits(float f)
{
	uint32_t b;

	memcpy(&b, &f, 4);
	return b;
}

static void header(unsigned char *insn, unsigned int opcode, unsigned int flags,
		   unsigned int func, uint32_t aux, uint64_t imm, float alpha,
		   float beta)
{
	memset(insn, 0, TRN_INSN_SIZE);
	insn[TRN_I_OPCODE] = (unsigned char)opcode;
	insn[TRN_I_FLAGS] = (unsigned char)flags;
	le(insn + TRN_I_FUNC, func, 2);
	le(insn + TRN_I_AUX, aux, 4);
	le(insn + TRN_I_IMM, imm, 8);
	le(insn + TRN_I_ALPHA, fbits(alpha), 4);
	le(insn + TRN_I_BETA, fbits(beta), 4);
}

/* Operand @slot: 4-D shape and strides (NULL strides: row-major). */
static void operand(unsigned char *insn, unsigned int slot, uint64_t va,
		    unsigned int dt, const uint32_t shape[4], const int32_t *strides)
{
	unsigned char *p = insn + TRN_I_OPERAND(slot);
	int32_t s[4];
	int d;

	if (strides) {
		memcpy(s, strides, sizeof(s));
	} else {
		s[3] = 1;
		for (d = 2; d >= 0; d--)
			s[d] = s[d + 1] * (int32_t)shape[d + 1];
	}
	le(p + TRN_O_VA, va, 8);
	p[TRN_O_DTYPE] = (unsigned char)dt;
	for (d = 0; d < 4; d++) {
		le(p + TRN_O_SHAPE(d), shape[d], 4);
		le(p + TRN_O_STRIDE(d), (uint32_t)s[d], 4);
	}
}

static float *f32(unsigned int region, size_t index)
{
	return (float *)host_of(region, index * 4);
}

static void put_f32s(unsigned int region, const float *v, size_t n)
{
	memcpy(host_of(region, 0), v, n * 4);
}

static int run1(const unsigned char *insn)
{
	return trn_ref_exec(insn, resolve, NULL);
}

#define assert_f32(got, want) do { \
	float g_ = (got), w_ = (want); \
	if (!(g_ == w_ || (isnan(g_) && isnan(w_)))) \
		fail_msg("%s: %.9g, expected %.9g", #got, (double)g_, (double)w_); \
} while (0)

/* --- tests --------------------------------------------------------------- */

static void test_matmul(void **state)
{
	/* a 2x3, b 3x2 */
	static const float a[] = { 1, 2, 3, 4, 5, 6 };
	static const float b[] = { 7, 8, 9, 10, 11, 12 };
	unsigned char insn[TRN_INSN_SIZE];
	const uint32_t sa[4] = { 1, 1, 2, 3 }, sb[4] = { 1, 1, 3, 2 },
		       so[4] = { 1, 1, 2, 2 };

	(void)state;
	put_f32s(0, a, 6);
	put_f32s(1, b, 6);
	header(insn, TRN_OP_MATMUL, 0, 0, 0, 0, 2.0f, 0);
	operand(insn, 0, va_of(2, 0), TRN_DT_FP32, so, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, sa, NULL);
	operand(insn, 2, va_of(1, 0), TRN_DT_FP32, sb, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	/* a @ b = [58 64; 139 154], times 2 */
	assert_f32(*f32(2, 0), 116);
	assert_f32(*f32(2, 1), 128);
	assert_f32(*f32(2, 2), 278);
	assert_f32(*f32(2, 3), 308);

	/* Accumulate: out += 2 * a @ b. */
	insn[TRN_I_FLAGS] = TRN_IF_ACCUMULATE;
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_f32(*f32(2, 0), 232);
	assert_f32(*f32(2, 3), 616);

	/* b transposed through its strides: a (2x3) @ b^T where b is 2x3. */
	header(insn, TRN_OP_MATMUL, 0, 0, 0, 0, 1.0f, 0);
	operand(insn, 0, va_of(2, 0), TRN_DT_FP32, so, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, sa, NULL);
	operand(insn, 2, va_of(0, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 3, 2 },
		(const int32_t[]){ 0, 0, 1, 3 });
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	/* a @ a^T = [14 32; 32 77] */
	assert_f32(*f32(2, 0), 14);
	assert_f32(*f32(2, 1), 32);
	assert_f32(*f32(2, 2), 32);
	assert_f32(*f32(2, 3), 77);

	/* Inner dimensions that differ. */
	operand(insn, 2, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 2, 2 },
		NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_OPERAND);
}

static void test_matmul_batched_bf16(void **state)
{
	unsigned char insn[TRN_INSN_SIZE];
	uint16_t *a = host_of(0, 0), *o = host_of(2, 0);
	float *b = f32(1, 0);
	unsigned int i;

	(void)state;
	/* a: 2 batches of 1x2 bf16; b: one 2x1 fp32 for both (stride 0). */
	a[0] = trn_f32_to_bf16(1.0f);
	a[1] = trn_f32_to_bf16(2.0f);
	a[2] = trn_f32_to_bf16(3.0f);
	a[3] = trn_f32_to_bf16(-1.5f);
	b[0] = 10;
	b[1] = 100;
	header(insn, TRN_OP_MATMUL, 0, 0, 0, 0, 1.0f, 0);
	operand(insn, 0, va_of(2, 0), TRN_DT_BF16, (const uint32_t[]){ 1, 2, 1, 1 }, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_BF16, (const uint32_t[]){ 1, 2, 1, 2 }, NULL);
	operand(insn, 2, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 2, 2, 1 },
		(const int32_t[]){ 0, 0, 1, 1 });
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	/* 10 + 200 = 210; 30 - 150 = -120: exact in bf16 */
	assert_f32(trn_bf16_to_f32(o[0]), 210);
	assert_f32(trn_bf16_to_f32(o[1]), -120);
	for (i = 2; i < 8; i++)
		assert_int_equal(o[i], 0);
}

static void test_binary(void **state)
{
	static const float a[] = { 1, -2, 6, NAN };
	static const float b[] = { 4, 8, -3, 1 };
	static const struct {
		unsigned int func;
		float want[4];
	} cases[] = {
		{ TRN_BIN_ADD, { 5, 6, 3, NAN } },
		{ TRN_BIN_SUB, { -3, -10, 9, NAN } },
		{ TRN_BIN_MUL, { 4, -16, -18, NAN } },
		{ TRN_BIN_DIV, { 0.25f, -0.25f, -2, NAN } },
		{ TRN_BIN_MAX, { 4, 8, 6, NAN } },
		{ TRN_BIN_MIN, { 1, -2, -3, NAN } },
	};
	const uint32_t s[4] = { 1, 1, 2, 2 };
	unsigned char insn[TRN_INSN_SIZE];
	size_t c, i;

	(void)state;
	put_f32s(0, a, 4);
	put_f32s(1, b, 4);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		header(insn, TRN_OP_BINARY, 0, cases[c].func, 0, 0, 0, 0);
		operand(insn, 0, va_of(2, 0), TRN_DT_FP32, s, NULL);
		operand(insn, 1, va_of(0, 0), TRN_DT_FP32, s, NULL);
		operand(insn, 2, va_of(1, 0), TRN_DT_FP32, s, NULL);
		assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
		for (i = 0; i < 4; i++)
			assert_f32(*f32(2, i), cases[c].want[i]);
	}

	/* b broadcast along dimension 2 (a row): out[i][j] = a[i][j] * b[j]. */
	header(insn, TRN_OP_BINARY, 0, TRN_BIN_MUL, 0, 0, 0, 0);
	operand(insn, 0, va_of(2, 0), TRN_DT_FP32, s, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, s, NULL);
	operand(insn, 2, va_of(1, 0), TRN_DT_FP32, s, (const int32_t[]){ 0, 0, 0, 1 });
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_f32(*f32(2, 0), 4);
	assert_f32(*f32(2, 1), -16);
	assert_f32(*f32(2, 2), 24);

	/* Scalar b in ALPHA, slot 2 zero; in place (out = a). */
	header(insn, TRN_OP_BINARY, TRN_IF_SCALAR_B, TRN_BIN_SUB, 0, 0, 0.5f, 0);
	operand(insn, 0, va_of(0, 0), TRN_DT_FP32, s, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, s, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_f32(*f32(0, 0), 0.5f);
	assert_f32(*f32(0, 1), -2.5f);

	/* MAX of +0 and -0 is +0, MIN -0. */
	*f32(0, 0) = -0.0f;
	*f32(1, 0) = 0.0f;
	header(insn, TRN_OP_BINARY, 0, TRN_BIN_MAX, 0, 0, 0, 0);
	operand(insn, 0, va_of(2, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 1 }, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 1 }, NULL);
	operand(insn, 2, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 1 }, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_false(signbit(*f32(2, 0)));
	le(insn + TRN_I_FUNC, TRN_BIN_MIN, 2);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_true(signbit(*f32(2, 0)));

	/* int8 output saturates; int inputs. */
	((int8_t *)host_of(0, 0))[0] = 100;
	((int8_t *)host_of(1, 0))[0] = 100;
	header(insn, TRN_OP_BINARY, 0, TRN_BIN_ADD, 0, 0, 0, 0);
	operand(insn, 0, va_of(2, 0), TRN_DT_INT8, (const uint32_t[]){ 1, 1, 1, 1 }, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_INT8, (const uint32_t[]){ 1, 1, 1, 1 }, NULL);
	operand(insn, 2, va_of(1, 0), TRN_DT_INT8, (const uint32_t[]){ 1, 1, 1, 1 }, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_int_equal(((int8_t *)host_of(2, 0))[0], 127);
}

static void test_activate(void **state)
{
	static const struct {
		unsigned int func;
		float x, alpha, beta, want;
	} cases[] = {
		{ TRN_ACT_IDENTITY, 3, 2, 1, 7 },
		{ TRN_ACT_RELU, -3, 1, 0, 0 },
		{ TRN_ACT_RELU, 3, 1, 0, 3 },
		{ TRN_ACT_RELU, NAN, 1, 0, NAN },
		{ TRN_ACT_GELU, 0, 1, 0, 0 },
		/* 1/2 * (1 + erf(1/sqrt(2))) = 0.8413447460685429 */
		{ TRN_ACT_GELU, 1, 1, 0, 0.8413447460685429f },
		{ TRN_ACT_SILU, 0, 1, 0, 0 },
		{ TRN_ACT_EXP, 1, 1, 0, 2.718281828459045f },
		{ TRN_ACT_TANH, 0, 1, 0, 0 },
		{ TRN_ACT_SIGMOID, 0, 1, 0, 0.5f },
		{ TRN_ACT_RECIPROCAL, 4, 1, 0, 0.25f },
		{ TRN_ACT_RSQRT, 4, 1, 0, 0.5f },
		{ TRN_ACT_RSQRT, 1, 2, 2, 0.5f },
		{ TRN_ACT_SQRT, 9, 1, 0, 3 },
		{ TRN_ACT_SQUARE, -3, 1, 0, 9 },
		{ TRN_ACT_ABS, -2.5f, 1, 0, 2.5f },
		{ TRN_ACT_RECIPROCAL, 0, 1, 0, INFINITY },
		{ TRN_ACT_SQRT, -1, 1, 0, NAN },
	};
	const uint32_t one[4] = { 1, 1, 1, 1 };
	unsigned char insn[TRN_INSN_SIZE];
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		*f32(0, 0) = cases[c].x;
		header(insn, TRN_OP_ACTIVATE, 0, cases[c].func, 0, 0, cases[c].alpha,
		       cases[c].beta);
		operand(insn, 0, va_of(1, 0), TRN_DT_FP32, one, NULL);
		operand(insn, 1, va_of(0, 0), TRN_DT_FP32, one, NULL);
		assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
		assert_f32(*f32(1, 0), cases[c].want);
	}
	/* Slot 2 must be zero. */
	operand(insn, 2, va_of(0, 0), TRN_DT_FP32, one, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_BAD_INSN);
}

static void test_reduce(void **state)
{
	/* 2x3: [1 5 2; -4 0 NaN] */
	static const float a[] = { 1, 5, 2, -4, 0, NAN };
	const uint32_t sa[4] = { 1, 1, 2, 3 };
	unsigned char insn[TRN_INSN_SIZE];

	(void)state;
	put_f32s(0, a, 6);
	/* Along axis 3 (columns): [8; NaN] scaled by 0.5. */
	header(insn, TRN_OP_REDUCE, 0, TRN_RED_SUM, 3, 0, 0.5f, 0);
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 2, 1 }, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, sa, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_f32(*f32(1, 0), 4);
	assert_f32(*f32(1, 1), NAN);

	/* Along axis 2 (rows): max [1 5 NaN], min [-4 0 NaN]. */
	header(insn, TRN_OP_REDUCE, 0, TRN_RED_MAX, 2, 0, 1.0f, 0);
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 3 }, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, sa, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_f32(*f32(1, 0), 1);
	assert_f32(*f32(1, 1), 5);
	assert_f32(*f32(1, 2), NAN);
	le(insn + TRN_I_FUNC, TRN_RED_MIN, 2);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_f32(*f32(1, 0), -4);
	assert_f32(*f32(1, 1), 0);

	/* out must have the axis of size 1. */
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, sa, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_OPERAND);
	/* An axis beyond 3 is malformed. */
	header(insn, TRN_OP_REDUCE, 0, TRN_RED_SUM, 4, 0, 1.0f, 0);
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 2, 1 }, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, sa, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_BAD_INSN);
}

static void test_transpose_cast_dma(void **state)
{
	static const float a[] = { 1, 2, 3, 4, 5, 6 };
	unsigned char insn[TRN_INSN_SIZE];
	uint16_t *h;

	(void)state;
	put_f32s(0, a, 6);
	/* 2x3 -> 3x2 */
	header(insn, TRN_OP_TRANSPOSE, 0, 0, TRN_TRANSPOSE_AUX(2, 3), 0, 0, 0);
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 3, 2 }, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 2, 3 }, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_f32(*f32(1, 0), 1);
	assert_f32(*f32(1, 1), 4);
	assert_f32(*f32(1, 2), 2);
	assert_f32(*f32(1, 5), 6);
	/* Converting to bf16 on the way. */
	operand(insn, 0, va_of(2, 0), TRN_DT_BF16, (const uint32_t[]){ 1, 1, 3, 2 }, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	h = host_of(2, 0);
	assert_int_equal(h[1], trn_f32_to_bf16(4.0f));
	/* Wrong output shape; a dimension number above 3; other AUX bits. */
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 2, 3 }, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_OPERAND);
	le(insn + TRN_I_AUX, TRN_TRANSPOSE_AUX(2, 4), 4);
	assert_int_equal(run1(insn), TRN_DMA_ERR_BAD_INSN);
	le(insn + TRN_I_AUX, TRN_TRANSPOSE_AUX(2, 3) | 1u << 16, 4);
	assert_int_equal(run1(insn), TRN_DMA_ERR_BAD_INSN);

	/* CAST fp32 -> fp8 e4m3, saturating. */
	*f32(0, 0) = 480;
	*f32(0, 1) = INFINITY;
	*f32(0, 2) = -1000;
	*f32(0, 3) = NAN;
	header(insn, TRN_OP_CAST, 0, 0, 0, 0, 0, 0);
	operand(insn, 0, va_of(1, 0), TRN_DT_FP8_E4M3, (const uint32_t[]){ 1, 1, 1, 4 }, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 4 }, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_int_equal(sp.mem[1][0], 0x7e);
	assert_int_equal(sp.mem[1][1], 0x7e);
	assert_int_equal(sp.mem[1][2], 0xfe);
	assert_int_equal(sp.mem[1][3] & 0x7f, 0x7f);
	/* ... e5m2 keeps infinity. */
	operand(insn, 0, va_of(1, 0), TRN_DT_FP8_E5M2, (const uint32_t[]){ 1, 1, 1, 4 }, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_int_equal(sp.mem[1][1], 0x7c);
	/* ... int8: saturation, NaN to 0. */
	operand(insn, 0, va_of(1, 0), TRN_DT_INT8, (const uint32_t[]){ 1, 1, 1, 4 }, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_int_equal((int8_t)sp.mem[1][0], 127);
	assert_int_equal((int8_t)sp.mem[1][2], -128);
	assert_int_equal(sp.mem[1][3], 0);

	/* DMA: a strided gather (every other element), same type only. */
	put_f32s(0, a, 6);
	header(insn, TRN_OP_DMA, 0, 0, 0, 0, 0, 0);
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 3 }, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 3 },
		(const int32_t[]){ 0, 0, 0, 2 });
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_f32(*f32(1, 0), 1);
	assert_f32(*f32(1, 1), 3);
	assert_f32(*f32(1, 2), 5);
	operand(insn, 0, va_of(1, 0), TRN_DT_BF16, (const uint32_t[]){ 1, 1, 1, 3 }, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_OPERAND);
}

static void test_encoding_errors(void **state)
{
	const uint32_t s[4] = { 1, 1, 1, 2 };
	unsigned char insn[TRN_INSN_SIZE];
	struct trn_ref_env env = { resolve, NULL, NULL, 0 };
	uint64_t addr = 1;

	(void)state;
	/* A good one first. */
	header(insn, TRN_OP_CAST, 0, 0, 0, 0, 0, 0);
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, s, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, s, NULL);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);

#define BAD(stmt, err) do { \
	unsigned char copy_[TRN_INSN_SIZE]; \
	memcpy(copy_, insn, sizeof(copy_)); \
	{ unsigned char *i_ = copy_; (void)i_; stmt; \
	  assert_int_equal(trn_ref_exec_env(copy_, 0x4000, &env, &addr), (err)); } \
	assert_true(addr == 0x4000); \
} while (0)

	BAD(i_[TRN_I_OPCODE] = TRN_OP_COUNT, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_FLAGS] = TRN_IF_ACCUMULATE, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_FUNC] = 1, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_AUX] = 1, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_IMM + 7] = 1, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_ALPHA] = 1, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_BETA + 3] = 0x80, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_RSVD + 39] = 1, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_OPERAND(2) + 63] = 1, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_OPERAND(1) + TRN_O_DTYPE] = 0, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_OPERAND(1) + TRN_O_DTYPE] = TRN_DT_COUNT, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_OPERAND(0) + TRN_O_RSVD0] = 1, TRN_DMA_ERR_BAD_INSN);
	BAD(i_[TRN_I_OPERAND(0) + TRN_O_RSVD1 + 15] = 1, TRN_DMA_ERR_BAD_INSN);
	BAD(le(i_ + TRN_I_OPERAND(1) + TRN_O_SHAPE(0), 0, 4), TRN_DMA_ERR_OPERAND);
	BAD(le(i_ + TRN_I_OPERAND(1) + TRN_O_SHAPE(3), 3, 4), TRN_DMA_ERR_OPERAND);
	BAD(le(i_ + TRN_I_OPERAND(0) + TRN_O_SHAPE(0), 1u << 14, 4);
	    le(i_ + TRN_I_OPERAND(0) + TRN_O_SHAPE(1), 1u << 15, 4);
	    le(i_ + TRN_I_OPERAND(1) + TRN_O_SHAPE(0), 1u << 14, 4);
	    le(i_ + TRN_I_OPERAND(1) + TRN_O_SHAPE(1), 1u << 15, 4),
	    TRN_DMA_ERR_OPERAND);       /* 2^30 elements */
	BAD(le(i_ + TRN_I_OPERAND(1) + TRN_O_VA, va_of(0, 2), 8), TRN_DMA_ERR_ALIGN);
	/* BINARY without SCALAR_B: ALPHA must be 0 and slot 2 used. */
	BAD(i_[TRN_I_OPCODE] = TRN_OP_BINARY; memcpy(i_ + TRN_I_OPERAND(2),
						     i_ + TRN_I_OPERAND(1), 64);
	    le(i_ + TRN_I_ALPHA, fbits(1.0f), 4), TRN_DMA_ERR_BAD_INSN);
	/* BINARY with SCALAR_B: slot 2 must be zero. */
	BAD(i_[TRN_I_OPCODE] = TRN_OP_BINARY; i_[TRN_I_FLAGS] = TRN_IF_SCALAR_B;
	    memcpy(i_ + TRN_I_OPERAND(2), i_ + TRN_I_OPERAND(1), 64),
	    TRN_DMA_ERR_BAD_INSN);
#undef BAD

	/* NOP: everything else zero. */
	header(insn, TRN_OP_NOP, 0, 0, 0, 0, 0, 0);
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	insn[100] = 1;
	assert_int_equal(run1(insn), TRN_DMA_ERR_BAD_INSN);
}

static void test_faults(void **state)
{
	const uint32_t s[4] = { 1, 1, 2, 2 };
	unsigned char insn[TRN_INSN_SIZE];
	struct trn_ref_env env = { resolve, NULL, NULL, 0 };
	uint64_t addr = 0;

	(void)state;
	*f32(0, 0) = 42;
	/* Input row 1 is past the end of region 0: the first element that
	 * does not translate is (1, 0) at REGION_SIZE exactly. */
	header(insn, TRN_OP_CAST, 0, 0, 0, 0, 0, 0);
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, s, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, s,
		(const int32_t[]){ 0, 0, REGION_SIZE / 4, 1 });
	assert_int_equal(trn_ref_exec_env(insn, 0x4000, &env, &addr),
			 TRN_DMA_ERR_UNMAPPED);
	assert_true(addr == va_of(0, REGION_SIZE));
	/* Nothing written. */
	assert_f32(*f32(1, 0), 0);

	/* An output through a read-only mapping (region 3). */
	operand(insn, 0, va_of(3, 8), TRN_DT_FP32, s, NULL);
	operand(insn, 1, va_of(0, 0), TRN_DT_FP32, s, NULL);
	assert_int_equal(trn_ref_exec_env(insn, 0x4000, &env, &addr),
			 TRN_DMA_ERR_READONLY);
	assert_true(addr == va_of(3, 8));
	/* Reading from it is fine. */
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, s, NULL);
	operand(insn, 1, va_of(3, 8), TRN_DT_FP32, s, NULL);
	assert_int_equal(trn_ref_exec_env(insn, 0x4000, &env, &addr),
			 TRN_DMA_ERR_NONE);

	/* Negative strides walk backwards: a reversed copy. */
	put_f32s(0, (const float[]){ 1, 2, 3, 4 }, 4);
	header(insn, TRN_OP_DMA, 0, 0, 0, 0, 0, 0);
	operand(insn, 0, va_of(1, 0), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 4 }, NULL);
	operand(insn, 1, va_of(0, 12), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 4 },
		(const int32_t[]){ 0, 0, 0, -1 });
	assert_int_equal(run1(insn), TRN_DMA_ERR_NONE);
	assert_f32(*f32(1, 0), 4);
	assert_f32(*f32(1, 3), 1);
	/* ... and one step too far backwards faults before region 0. */
	operand(insn, 1, va_of(0, 8), TRN_DT_FP32, (const uint32_t[]){ 1, 1, 1, 4 },
		(const int32_t[]){ 0, 0, 0, -1 });
	assert_int_equal(trn_ref_exec_env(insn, 0, &env, &addr), TRN_DMA_ERR_UNMAPPED);
	assert_true(addr == va_of(0, 0) - 4);
}

static void test_run_program(void **state)
{
	unsigned char prog[4 * TRN_INSN_SIZE];
	const uint32_t s[4] = { 1, 1, 1, 2 };
	uint64_t sems[4] = { 0, 0, 0, 0 };
	struct trn_ref_env env = { resolve, NULL, sems, 4 };
	struct trn_ref_status st;

	(void)state;
	put_f32s(0, (const float[]){ 3, -4 }, 2);
	/* out = relu(a); out = out * 2; signal sem 1 += 5; wait sem 1 >= 5 */
	header(prog, TRN_OP_ACTIVATE, 0, TRN_ACT_RELU, 0, 0, 1.0f, 0);
	operand(prog, 0, va_of(1, 0), TRN_DT_FP32, s, NULL);
	operand(prog, 1, va_of(0, 0), TRN_DT_FP32, s, NULL);
	header(prog + 256, TRN_OP_BINARY, TRN_IF_SCALAR_B, TRN_BIN_MUL, 0, 0, 2.0f, 0);
	operand(prog + 256, 0, va_of(1, 0), TRN_DT_FP32, s, NULL);
	operand(prog + 256, 1, va_of(1, 0), TRN_DT_FP32, s, NULL);
	header(prog + 512, TRN_OP_SEM_SIGNAL, 0, 0, 1, 5, 0, 0);
	header(prog + 768, TRN_OP_SEM_WAIT, 0, 0, 1, 5, 0, 0);
	assert_int_equal(trn_ref_run(prog, sizeof(prog), 0x8000, &env, &st),
			 TRN_DMA_ERR_NONE);
	assert_int_equal(st.error, 0);
	assert_int_equal(st.insn, 4);
	assert_true(st.addr == 0);
	assert_f32(*f32(1, 0), 6);
	assert_f32(*f32(1, 1), 0);
	assert_true(sems[1] == 5);

	/* A wait that nothing satisfies: blocked at instruction 3. */
	le(prog + 768 + TRN_I_IMM, 11, 8);
	assert_int_equal(trn_ref_run(prog, sizeof(prog), 0x8000, &env, &st),
			 TRN_REF_BLOCKED);
	assert_int_equal(st.insn, 3);
	assert_true(sems[1] == 10);

	/* A semaphore index out of range: the instruction's address. */
	le(prog + 512 + TRN_I_AUX, 4, 4);
	assert_int_equal(trn_ref_run(prog, sizeof(prog), 0x8000, &env, &st),
			 TRN_DMA_ERR_BAD_INSN);
	assert_int_equal(st.insn, 2);
	assert_true(st.addr == 0x8000 + 512);

	/* The descriptor's rules. */
	assert_int_equal(trn_ref_run(prog, 0, 0x8000, &env, &st), TRN_DMA_ERR_BAD_DESC);
	assert_int_equal(trn_ref_run(prog, 100, 0x8000, &env, &st), TRN_DMA_ERR_BAD_DESC);
	assert_int_equal(trn_ref_run(prog, 256, 0x8020, &env, &st), TRN_DMA_ERR_ALIGN);
	assert_true(st.addr == 0x8020);

	assert_string_equal(trn_ref_error_name(TRN_DMA_ERR_OPERAND), "TRN_DMA_ERR_OPERAND");
	assert_string_equal(trn_ref_error_name(TRN_REF_BLOCKED), "TRN_REF_BLOCKED");
	assert_string_equal(trn_ref_error_name(77), "unknown");
}

/* An operand spread over two regions that are not contiguous on the host. */
static int split_resolve(void *ctx, uint64_t va, uint64_t len, bool write,
			 void **host)
{
	/* VA 0x100000.. maps elements 0,1 to region 0 and 2,3 to region 1. */
	(void)ctx;
	(void)write;
	if (va >= 0x100000 && va + len <= 0x100008) {
		*host = host_of(0, va - 0x100000);
		return TRN_DMA_ERR_NONE;
	}
	if (va >= 0x100008 && va + len <= 0x100010) {
		*host = host_of(1, va - 0x100008);
		return TRN_DMA_ERR_NONE;
	}
	return resolve(ctx, va, len, write, host);
}

static void test_element_resolution(void **state)
{
	unsigned char insn[TRN_INSN_SIZE];
	const uint32_t s[4] = { 1, 1, 1, 4 };

	(void)state;
	put_f32s(0, (const float[]){ 1, 2 }, 2);
	put_f32s(1, (const float[]){ 3, 4 }, 2);
	header(insn, TRN_OP_ACTIVATE, 0, TRN_ACT_SQUARE, 0, 0, 1.0f, 0);
	operand(insn, 0, va_of(2, 0), TRN_DT_FP32, s, NULL);
	operand(insn, 1, 0x100000, TRN_DT_FP32, s, NULL);
	assert_int_equal(trn_ref_exec(insn, split_resolve, NULL), TRN_DMA_ERR_NONE);
	assert_f32(*f32(2, 0), 1);
	assert_f32(*f32(2, 2), 9);
	assert_f32(*f32(2, 3), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_matmul, reset),
		cmocka_unit_test_setup(test_matmul_batched_bf16, reset),
		cmocka_unit_test_setup(test_binary, reset),
		cmocka_unit_test_setup(test_activate, reset),
		cmocka_unit_test_setup(test_reduce, reset),
		cmocka_unit_test_setup(test_transpose_cast_dma, reset),
		cmocka_unit_test_setup(test_encoding_errors, reset),
		cmocka_unit_test_setup(test_faults, reset),
		cmocka_unit_test_setup(test_run_program, reset),
		cmocka_unit_test_setup(test_element_resolution, reset),
	};

	return cmocka_run_group_tests_name("trn_ref", tests, NULL, NULL);
}
