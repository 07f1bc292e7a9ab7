// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of the steps of libnrt programs (nrt_program.c, nrt_step.c):
 * the encoded instructions, checked byte by byte against the offsets of
 * include/hw/trn_isa.h, and the validation of every kind of step with the
 * messages that name it, against the fake kernel of fake_kernel.c.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nrt.h"
#include "fake_kernel.h"

#include "trn_isa.h"
#include "trn_numerics.h"
#include "trn_regs.h"

/* --- helpers ----------------------------------------------------------- */

static const unsigned char *insn_of(const nrt_program *p, unsigned int i)
{
	const void *insns = NULL;
	size_t len = 0;

	assert_status(nrt_program_encoded(p, &insns, &len), NRT_SUCCESS);
	assert_true(len == (size_t)nrt_program_steps(p) * TRN_INSN_SIZE);
	assert_true(i < nrt_program_steps(p));
	return (const unsigned char *)insns + (size_t)i * TRN_INSN_SIZE;
}

static uint64_t le(const unsigned char *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static uint32_t fbits(float f)
{
	uint32_t b;

	memcpy(&b, &f, 4);
	return b;
}

static bool zero(const unsigned char *p, size_t n)
{
	while (n--) {
		if (p[n])
			return false;
	}
	return true;
}

/* The header fields of an instruction, and reserved bytes zero. */
static void check_header(const unsigned char *insn, unsigned int opcode,
			 unsigned int flags, unsigned int func, uint32_t aux,
			 uint64_t imm, uint32_t alpha, uint32_t beta)
{
	assert_int_equal(insn[TRN_I_OPCODE], opcode);
	assert_int_equal(insn[TRN_I_FLAGS], flags);
	assert_int_equal(le(insn + TRN_I_FUNC, 2), func);
	assert_int_equal(le(insn + TRN_I_AUX, 4), aux);
	assert_true(le(insn + TRN_I_IMM, 8) == imm);
	assert_int_equal(le(insn + TRN_I_ALPHA, 4), alpha);
	assert_int_equal(le(insn + TRN_I_BETA, 4), beta);
	assert_true(zero(insn + TRN_I_RSVD, TRN_I_OPERAND(0) - TRN_I_RSVD));
}

/* Operand @slot: VA, type, 4-D shape and strides, reserved bytes zero. */
static void check_operand(const unsigned char *insn, unsigned int slot,
			  uint64_t va, nrt_dtype dt, const uint32_t shape[4],
			  const int32_t stride[4])
{
	const unsigned char *o = insn + TRN_I_OPERAND(slot);
	unsigned int d;

	assert_true(le(o + TRN_O_VA, 8) == va);
	assert_int_equal(o[TRN_O_DTYPE], dt);
	assert_true(zero(o + TRN_O_RSVD0, 7));
	for (d = 0; d < 4; d++) {
		if (le(o + TRN_O_SHAPE(d), 4) != shape[d] ||
		    (int32_t)le(o + TRN_O_STRIDE(d), 4) != stride[d])
			fail_msg("slot %u dimension %u: shape %u stride %d, expected %u %d",
				 slot, d, (unsigned int)le(o + TRN_O_SHAPE(d), 4),
				 (int)(int32_t)le(o + TRN_O_STRIDE(d), 4), shape[d],
				 stride[d]);
	}
	assert_true(zero(o + TRN_O_RSVD1, TRN_OPERAND_SIZE - TRN_O_RSVD1));
}

static void check_slot_zero(const unsigned char *insn, unsigned int slot)
{
	assert_true(zero(insn + TRN_I_OPERAND(slot), TRN_OPERAND_SIZE));
}

#define U4(...) ((const uint32_t[4]){ __VA_ARGS__ })
#define S4(...) ((const int32_t[4]){ __VA_ARGS__ })

/* --- encoding ---------------------------------------------------------- */

static void test_encode_matmul(void **state)
{
	struct env *e = *state;
	nrt_tensor *a = T(e->dev, NRT_DTYPE_BF16, 2, 3, 4);
	nrt_tensor *b = T(e->dev, NRT_DTYPE_FP32, 4, 5);
	nrt_tensor *out = T(e->dev, NRT_DTYPE_FP32, 2, 3, 5);
	nrt_tensor *bt = NULL, *b3 = NULL;
	nrt_program *p = program_ok(e->dev);
	const unsigned char *insn;

	assert_status(nrt_program_matmul(p, out, a, b, 0.5f, false), NRT_SUCCESS);
	insn = insn_of(p, 0);
	check_header(insn, TRN_OP_MATMUL, 0, 0, 0, 0, fbits(0.5f), 0);
	check_operand(insn, 0, nrt_tensor_va(out), NRT_DTYPE_FP32, U4(1, 2, 3, 5),
		      S4(30, 15, 5, 1));
	check_operand(insn, 1, nrt_tensor_va(a), NRT_DTYPE_BF16, U4(1, 2, 3, 4),
		      S4(24, 12, 4, 1));
	/* b's batch broadcasts: stride 0 where it grows from 1 to 2. */
	check_operand(insn, 2, nrt_tensor_va(b), NRT_DTYPE_FP32, U4(1, 2, 4, 5),
		      S4(20, 0, 5, 1));

	/* Accumulate, and b given as a transposed view of a 5x4. */
	nrt_tensor_free(b);
	b = T(e->dev, NRT_DTYPE_FP32, 5, 4);
	assert_status(nrt_tensor_transpose(b, 0, 1, &bt), NRT_SUCCESS);
	assert_status(nrt_program_matmul(p, out, a, bt, -1.0f, true), NRT_SUCCESS);
	insn = insn_of(p, 1);
	check_header(insn, TRN_OP_MATMUL, TRN_IF_ACCUMULATE, 0, 0, 0, fbits(-1.0f), 0);
	check_operand(insn, 2, nrt_tensor_va(b), NRT_DTYPE_FP32, U4(1, 2, 4, 5),
		      S4(4, 0, 1, 4));

	/* A full 4-D batch: [2, 1, 3, 4] @ [1, 3? no: [2, 3, 4, 5]] */
	nrt_tensor_free(out);
	out = T(e->dev, NRT_DTYPE_FP32, 2, 2, 3, 5);
	assert_status(nrt_tensor_reshape(a, SHAPE(2, 1, 3, 4), &b3), NRT_SUCCESS);
	assert_status(nrt_program_matmul(p, out, b3, bt, 1.0f, false), NRT_SUCCESS);
	insn = insn_of(p, 2);
	check_operand(insn, 0, nrt_tensor_va(out), NRT_DTYPE_FP32, U4(2, 2, 3, 5),
		      S4(30, 15, 5, 1));
	check_operand(insn, 1, nrt_tensor_va(a), NRT_DTYPE_BF16, U4(2, 2, 3, 4),
		      S4(12, 0, 4, 1));
	check_operand(insn, 2, nrt_tensor_va(b), NRT_DTYPE_FP32, U4(2, 2, 4, 5),
		      S4(0, 0, 1, 4));
	assert_int_equal(nrt_program_steps(p), 3);

	nrt_tensor_free(b3);
	nrt_tensor_free(bt);
	nrt_tensor_free(a);
	nrt_tensor_free(b);
	nrt_tensor_free(out);
	nrt_program_free(p);
	assert_int_equal(fake.live_bos, 0);
}

static void test_encode_elementwise(void **state)
{
	struct env *e = *state;
	nrt_tensor *out = T(e->dev, NRT_DTYPE_FP32, 2, 3);
	nrt_tensor *a = T(e->dev, NRT_DTYPE_FP16, 2, 3);
	nrt_tensor *b = T(e->dev, NRT_DTYPE_INT8, 3);
	nrt_tensor *col = T(e->dev, NRT_DTYPE_FP32, 2, 1);
	nrt_tensor *h = T(e->dev, NRT_DTYPE_BF16, 2, 3);
	nrt_program *p = program_ok(e->dev);
	const unsigned char *insn;

	/* b [3] is a row repeated over out's rows; col [2,1] a column. */
	assert_status(nrt_program_binary(p, NRT_BINARY_SUB, out, a, b), NRT_SUCCESS);
	assert_status(nrt_program_binary(p, NRT_BINARY_DIV, out, out, col), NRT_SUCCESS);
	assert_status(nrt_program_binary_scalar(p, NRT_BINARY_MAX, out, col, 2.5f),
		      NRT_SUCCESS);
	assert_status(nrt_program_activate(p, NRT_ACT_GELU, out, a, 0.25f, -1.0f),
		      NRT_SUCCESS);
	assert_status(nrt_program_cast(p, h, out), NRT_SUCCESS);
	assert_status(nrt_program_copy(p, out, out), NRT_SUCCESS);
	assert_status(nrt_program_sem_signal(p, 3, UINT64_C(0x100000001)), NRT_SUCCESS);
	assert_status(nrt_program_sem_wait(p, 31, 7), NRT_SUCCESS);
	assert_int_equal(nrt_program_steps(p), 8);

	insn = insn_of(p, 0);
	check_header(insn, TRN_OP_BINARY, 0, TRN_BIN_SUB, 0, 0, 0, 0);
	check_operand(insn, 0, nrt_tensor_va(out), NRT_DTYPE_FP32, U4(1, 1, 2, 3),
		      S4(6, 6, 3, 1));
	check_operand(insn, 1, nrt_tensor_va(a), NRT_DTYPE_FP16, U4(1, 1, 2, 3),
		      S4(6, 6, 3, 1));
	check_operand(insn, 2, nrt_tensor_va(b), NRT_DTYPE_INT8, U4(1, 1, 2, 3),
		      S4(3, 3, 0, 1));

	insn = insn_of(p, 1);
	check_header(insn, TRN_OP_BINARY, 0, TRN_BIN_DIV, 0, 0, 0, 0);
	check_operand(insn, 1, nrt_tensor_va(out), NRT_DTYPE_FP32, U4(1, 1, 2, 3),
		      S4(6, 6, 3, 1));
	check_operand(insn, 2, nrt_tensor_va(col), NRT_DTYPE_FP32, U4(1, 1, 2, 3),
		      S4(2, 2, 1, 0));

	insn = insn_of(p, 2);
	check_header(insn, TRN_OP_BINARY, TRN_IF_SCALAR_B, TRN_BIN_MAX, 0, 0,
		     fbits(2.5f), 0);
	check_operand(insn, 1, nrt_tensor_va(col), NRT_DTYPE_FP32, U4(1, 1, 2, 3),
		      S4(2, 2, 1, 0));
	check_slot_zero(insn, 2);

	insn = insn_of(p, 3);
	check_header(insn, TRN_OP_ACTIVATE, 0, TRN_ACT_GELU, 0, 0, fbits(0.25f),
		     fbits(-1.0f));
	check_operand(insn, 1, nrt_tensor_va(a), NRT_DTYPE_FP16, U4(1, 1, 2, 3),
		      S4(6, 6, 3, 1));
	check_slot_zero(insn, 2);

	insn = insn_of(p, 4);
	check_header(insn, TRN_OP_CAST, 0, 0, 0, 0, 0, 0);
	check_operand(insn, 0, nrt_tensor_va(h), NRT_DTYPE_BF16, U4(1, 1, 2, 3),
		      S4(6, 6, 3, 1));
	check_operand(insn, 1, nrt_tensor_va(out), NRT_DTYPE_FP32, U4(1, 1, 2, 3),
		      S4(6, 6, 3, 1));
	check_slot_zero(insn, 2);

	insn = insn_of(p, 5);
	check_header(insn, TRN_OP_DMA, 0, 0, 0, 0, 0, 0);
	check_slot_zero(insn, 2);

	insn = insn_of(p, 6);
	check_header(insn, TRN_OP_SEM_SIGNAL, 0, 0, 3, UINT64_C(0x100000001), 0, 0);
	check_slot_zero(insn, 0);
	check_slot_zero(insn, 1);
	check_slot_zero(insn, 2);
	insn = insn_of(p, 7);
	check_header(insn, TRN_OP_SEM_WAIT, 0, 0, 31, 7, 0, 0);
	check_slot_zero(insn, 0);

	nrt_tensor_free(out);
	nrt_tensor_free(a);
	nrt_tensor_free(b);
	nrt_tensor_free(col);
	nrt_tensor_free(h);
	/* The program keeps what its steps use. */
	assert_int_equal(fake.live_bos, 5);
	nrt_program_free(p);
	assert_int_equal(fake.live_bos, 0);
}

static void test_encode_reduce_transpose(void **state)
{
	struct env *e = *state;
	nrt_tensor *in = T(e->dev, NRT_DTYPE_FP32, 2, 3, 4);
	nrt_tensor *keep = T(e->dev, NRT_DTYPE_FP32, 2, 1, 4);
	nrt_tensor *drop = T(e->dev, NRT_DTYPE_BF16, 2, 4);
	nrt_tensor *m = T(e->dev, NRT_DTYPE_FP32, 2, 3);
	nrt_tensor *mt = T(e->dev, NRT_DTYPE_FP32, 3, 2);
	nrt_tensor *big = T(e->dev, NRT_DTYPE_FP32, 2, 3, 4, 5);
	nrt_tensor *bigt = T(e->dev, NRT_DTYPE_FP32, 2, 5, 4, 3);
	nrt_program *p = program_ok(e->dev);
	const unsigned char *insn;

	assert_status(nrt_program_reduce(p, NRT_REDUCE_SUM, keep, in, 1, 0.125f),
		      NRT_SUCCESS);
	insn = insn_of(p, 0);
	check_header(insn, TRN_OP_REDUCE, 0, TRN_RED_SUM, 2, 0, fbits(0.125f), 0);
	check_operand(insn, 0, nrt_tensor_va(keep), NRT_DTYPE_FP32, U4(1, 2, 1, 4),
		      S4(8, 4, 4, 1));
	check_operand(insn, 1, nrt_tensor_va(in), NRT_DTYPE_FP32, U4(1, 2, 3, 4),
		      S4(24, 12, 4, 1));
	check_slot_zero(insn, 2);

	/* The axis dropped from out: it comes back as a dimension of size 1. */
	assert_status(nrt_program_reduce(p, NRT_REDUCE_MAX, drop, in, 1, 1.0f),
		      NRT_SUCCESS);
	insn = insn_of(p, 1);
	check_header(insn, TRN_OP_REDUCE, 0, TRN_RED_MAX, 2, 0, fbits(1.0f), 0);
	check_operand(insn, 0, nrt_tensor_va(drop), NRT_DTYPE_BF16, U4(1, 2, 1, 4),
		      S4(1, 4, 1, 1));
	/* Along the last axis of a 2-D tensor. */
	assert_status(nrt_program_reduce(p, NRT_REDUCE_MIN, keep, big, 3, 1.0f),
		      NRT_INVALID);
	{
		nrt_tensor *r = T(e->dev, NRT_DTYPE_FP32, 2);

		assert_status(nrt_program_reduce(p, NRT_REDUCE_MIN, r, m, 1, 1.0f),
			      NRT_SUCCESS);
		insn = insn_of(p, 2);
		check_header(insn, TRN_OP_REDUCE, 0, TRN_RED_MIN, 3, 0, fbits(1.0f), 0);
		check_operand(insn, 0, nrt_tensor_va(r), NRT_DTYPE_FP32, U4(1, 1, 2, 1),
			      S4(1, 1, 1, 1));
		nrt_tensor_free(r);
	}

	assert_status(nrt_program_transpose(p, mt, m, 0, 1), NRT_SUCCESS);
	insn = insn_of(p, 3);
	check_header(insn, TRN_OP_TRANSPOSE, 0, 0, TRN_TRANSPOSE_AUX(2, 3), 0, 0, 0);
	check_operand(insn, 0, nrt_tensor_va(mt), NRT_DTYPE_FP32, U4(1, 1, 3, 2),
		      S4(6, 6, 2, 1));
	check_operand(insn, 1, nrt_tensor_va(m), NRT_DTYPE_FP32, U4(1, 1, 2, 3),
		      S4(6, 6, 3, 1));
	assert_status(nrt_program_transpose(p, bigt, big, 3, 1), NRT_SUCCESS);
	insn = insn_of(p, 4);
	check_header(insn, TRN_OP_TRANSPOSE, 0, 0, TRN_TRANSPOSE_AUX(3, 1), 0, 0, 0);
	assert_int_equal(le(insn + TRN_I_AUX, 4), 0x103);

	nrt_program_free(p);
	nrt_tensor_free(in);
	nrt_tensor_free(keep);
	nrt_tensor_free(drop);
	nrt_tensor_free(m);
	nrt_tensor_free(mt);
	nrt_tensor_free(big);
	nrt_tensor_free(bigt);
}

/* --- validation -------------------------------------------------------- */

static void test_validation(void **state)
{
	struct env *e = *state;
	nrt_tensor *a = T(e->dev, NRT_DTYPE_FP32, 64, 32);
	nrt_tensor *b = T(e->dev, NRT_DTYPE_FP32, 48, 16);
	nrt_tensor *b2 = T(e->dev, NRT_DTYPE_FP32, 32, 16);
	nrt_tensor *o = T(e->dev, NRT_DTYPE_FP32, 64, 10);
	nrt_tensor *v = T(e->dev, NRT_DTYPE_FP32, 5);
	nrt_tensor *m23 = T(e->dev, NRT_DTYPE_FP32, 2, 3);
	nrt_tensor *m22 = T(e->dev, NRT_DTYPE_FP32, 2, 2);
	nrt_tensor *v2 = T(e->dev, NRT_DTYPE_FP32, 2);
	nrt_tensor *h23 = T(e->dev, NRT_DTYPE_BF16, 2, 3);
	nrt_tensor *a3 = T(e->dev, NRT_DTYPE_FP32, 2, 3, 4);
	nrt_tensor *b3 = T(e->dev, NRT_DTYPE_FP32, 3, 4, 5);
	nrt_tensor *o3 = T(e->dev, NRT_DTYPE_FP32, 2, 3, 5);
	nrt_tensor *row = NULL, *bc = NULL, *other = NULL;
	nrt_program *p = program_ok(e->dev);
	nrt_device *dev1 = open_ok(1);
	char expect[256];

	/* Two good steps, so that the failing one is step 2. */
	assert_status(nrt_program_binary(p, NRT_BINARY_ADD, m23, m23, m23), NRT_SUCCESS);
	assert_status(nrt_program_cast(p, h23, m23), NRT_SUCCESS);

	assert_status(nrt_program_matmul(p, o, a, b, 1.0f, false), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (matmul): inner dimensions differ: a is 64x32, b is 48x16");
	assert_status(nrt_program_matmul(p, o, a, b2, 1.0f, false), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (matmul): out is 64x10, but a (64x32) @ b (32x16) is 64x16");
	assert_status(nrt_program_matmul(p, o, v, b2, 1.0f, false), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (matmul): a has rank 1: matmul needs rank 2 to 4");
	assert_status(nrt_program_matmul(p, o3, a3, b3, 1.0f, false), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (matmul): the batch dimensions of b (3x4x5) do not broadcast to those of out (2x3x5)");
	assert_status(nrt_program_matmul(p, NULL, a, b2, 1.0f, false), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "step 2 (matmul): out is NULL");

	assert_status(nrt_program_binary(p, NRT_BINARY_ADD, m23, m23, v2), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (binary add): b (2) does not broadcast to the shape of out (2x3)");
	assert_status(nrt_program_binary(p, NRT_BINARY_MUL, m22, m23, v2), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (binary mul): a (2x3) does not broadcast to the shape of out (2x2)");
	/* An input of higher rank than out broadcasts only if the extra
	 * leading dimensions are 1. */
	assert_status(nrt_program_activate(p, NRT_ACT_EXP, m23, a3, 1, 0), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (activate exp): in (2x3x4) does not broadcast to the shape of out (2x3)");
	assert_status(nrt_program_binary(p, (nrt_binary_op)9, m23, m23, m23), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "step 2 (binary): unknown function 9");
	assert_status(nrt_program_binary_scalar(p, (nrt_binary_op)-1, m23, m23, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "step 2 (binary scalar): unknown function -1");
	assert_status(nrt_program_activate(p, (nrt_activation)12, m23, m23, 1, 0), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "step 2 (activate): unknown function 12");
	assert_status(nrt_program_reduce(p, (nrt_reduce_op)3, v2, m23, 1, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "step 2 (reduce): unknown function 3");

	assert_status(nrt_program_reduce(p, NRT_REDUCE_SUM, v2, m23, 2, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (reduce sum): axis 2 out of range: in has rank 2");
	assert_status(nrt_program_reduce(p, NRT_REDUCE_SUM, m22, m23, 1, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (reduce sum): out is 2x2, expected 2x1 or 2 (in 2x3 reduced along axis 1)");
	assert_status(nrt_program_reduce(p, NRT_REDUCE_MAX, m22, v, 0, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (reduce max): out is 2x2, expected 1 (in 5 reduced along axis 0)");

	assert_status(nrt_program_transpose(p, m23, m23, 0, 1), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (transpose): out is 2x3, expected 3x2 (in 2x3 with dimensions 0 and 1 swapped)");
	assert_status(nrt_program_transpose(p, m23, m23, 0, 2), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 2 (transpose): d1 2 out of range: in has rank 2");
	/* Swapping a dimension with itself is a copy. */
	assert_status(nrt_program_transpose(p, m22, m22, 1, 1), NRT_SUCCESS);

	assert_status(nrt_program_copy(p, h23, m23), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 3 (copy): types differ: out is bf16, in is fp32 (nrt_program_cast() converts)");
	assert_status(nrt_program_cast(p, m23, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "step 3 (cast): in is NULL");

	assert_status(nrt_program_sem_signal(p, 32, 1), NRT_INVALID);
	xsnprintf(expect, sizeof(expect),
		  "step 3 (sem_signal): semaphore 32 out of range: %s has 32", node(e));
	assert_string_equal(nrt_last_error(), expect);
	assert_status(nrt_program_sem_wait(p, UINT32_MAX, 1), NRT_INVALID);
	assert_error_contains("step 3 (sem_wait): semaphore 4294967295 out of range");

	/* An output that repeats elements. */
	assert_status(nrt_tensor_slice(m23, 0, 0, 1, &row), NRT_SUCCESS);
	assert_status(nrt_tensor_broadcast(row, SHAPE(4, 3), &bc), NRT_SUCCESS);
	assert_status(nrt_program_activate(p, NRT_ACT_RELU, bc, bc, 1, 0), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 3 (activate relu): out is a broadcast view (dimension 0 of size 4 has stride 0): it cannot be an output");
	/* ... but it is a fine input. */
	{
		nrt_tensor *o43 = T(e->dev, NRT_DTYPE_FP32, 4, 3);

		assert_status(nrt_program_activate(p, NRT_ACT_RELU, o43, bc, 1, 0),
			      NRT_SUCCESS);
		check_operand(insn_of(p, 3), 1, nrt_tensor_va(m23), NRT_DTYPE_FP32,
			      U4(1, 1, 4, 3), S4(1, 1, 0, 1));
		nrt_tensor_free(o43);
	}

	/* A tensor of another device handle. */
	other = T(dev1, NRT_DTYPE_FP32, 2, 3);
	assert_status(nrt_program_binary(p, NRT_BINARY_ADD, m23, other, m23), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 4 (binary add): a is a tensor of another device handle");

	/* Arguments without a program. */
	assert_status(nrt_program_cast(NULL, m23, m23), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_program_cast: p is NULL");
	assert_status(nrt_program_new(NULL, &p), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_program_new: dev is NULL");
	assert_status(nrt_program_new(e->dev, NULL), NRT_INVALID);

	/* Nothing was added by the failures. */
	assert_int_equal(nrt_program_steps(p), 4);
	assert_status(nrt_program_finalize(p), NRT_SUCCESS);
	assert_status(nrt_program_finalize(p), NRT_SUCCESS);   /* again: nothing */
	assert_status(nrt_program_cast(p, h23, m23), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "step 4 (cast): the program is finalized: no step can be added");
	nrt_program_free(p);

	p = program_ok(e->dev);
	assert_status(nrt_program_finalize(p), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_program_finalize: the program has no steps");
	assert_status(nrt_program_finalize(NULL), NRT_INVALID);
	{
		const void *insns = (const void *)1;
		size_t len = 1;

		assert_status(nrt_program_encoded(p, &insns, &len), NRT_SUCCESS);
		assert_null(insns);
		assert_int_equal(len, 0);
		assert_status(nrt_program_encoded(p, NULL, &len), NRT_INVALID);
		assert_status(nrt_program_encoded(NULL, &insns, &len), NRT_INVALID);
	}
	assert_int_equal(nrt_program_steps(NULL), 0);
	assert_null(nrt_program_step_name(NULL, 0));
	assert_null(nrt_program_step_name(p, 0));
	nrt_program_free(p);
	nrt_program_free(NULL);

	nrt_tensor_free(other);
	nrt_tensor_free(bc);
	nrt_tensor_free(row);
	nrt_tensor_free(a);
	nrt_tensor_free(b);
	nrt_tensor_free(b2);
	nrt_tensor_free(o);
	nrt_tensor_free(v);
	nrt_tensor_free(m23);
	nrt_tensor_free(m22);
	nrt_tensor_free(v2);
	nrt_tensor_free(h23);
	nrt_tensor_free(a3);
	nrt_tensor_free(b3);
	nrt_tensor_free(o3);
	nrt_device_close(dev1);
	assert_int_equal(fake.live_bos, 0);
}

static void test_step_names(void **state)
{
	struct env *e = *state;
	nrt_tensor *t = T(e->dev, NRT_DTYPE_FP32, 2, 2);
	nrt_tensor *r = T(e->dev, NRT_DTYPE_FP32, 2);
	nrt_program *p = program_ok(e->dev);
	static const char *const names[] = {
		"matmul", "binary min", "binary div scalar", "activate silu",
		"activate abs", "reduce sum", "transpose", "cast", "copy",
		"sem_signal", "sem_wait",
	};
	unsigned int i;

	assert_status(nrt_program_matmul(p, t, t, t, 1, false), NRT_SUCCESS);
	assert_status(nrt_program_binary(p, NRT_BINARY_MIN, t, t, t), NRT_SUCCESS);
	assert_status(nrt_program_binary_scalar(p, NRT_BINARY_DIV, t, t, 3), NRT_SUCCESS);
	assert_status(nrt_program_activate(p, NRT_ACT_SILU, t, t, 1, 0), NRT_SUCCESS);
	assert_status(nrt_program_activate(p, NRT_ACT_ABS, t, t, 1, 0), NRT_SUCCESS);
	assert_status(nrt_program_reduce(p, NRT_REDUCE_SUM, r, t, 0, 1), NRT_SUCCESS);
	assert_status(nrt_program_transpose(p, t, t, 0, 1), NRT_SUCCESS);
	assert_status(nrt_program_cast(p, t, t), NRT_SUCCESS);
	assert_status(nrt_program_copy(p, t, t), NRT_SUCCESS);
	assert_status(nrt_program_sem_signal(p, 0, 1), NRT_SUCCESS);
	assert_status(nrt_program_sem_wait(p, 0, 1), NRT_SUCCESS);
	assert_int_equal(nrt_program_steps(p), 11);
	for (i = 0; i < 11; i++)
		assert_string_equal(nrt_program_step_name(p, i), names[i]);
	assert_null(nrt_program_step_name(p, 11));
	nrt_program_free(p);
	nrt_tensor_free(t);
	nrt_tensor_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_encode_matmul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encode_elementwise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encode_reduce_transpose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_names, setup, teardown),
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_program", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
