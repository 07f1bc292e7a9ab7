// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of libnrt data types, tensors and programs, against the fake
 * kernel of fake_kernel.c, which runs the programs of EXEC jobs with the
 * reference executor (tests/common/trn_ref.c).
 *
 * The encoded instructions are checked byte by byte against the offsets of
 * include/hw/trn_isa.h; conversions against hand-computed encodings; runs
 * against the EXEC descriptor the fake saw, the results the reference
 * computed, and the messages that name a failing step.
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
#include "nrt_internal.h"
#include "fake_kernel.h"

#include "trn_isa.h"
#include "trn_numerics.h"
#include "trn_regs.h"

/* --- helpers ----------------------------------------------------------- */

static nrt_tensor *tensor_ok(nrt_device *dev, nrt_dtype dt, unsigned int rank,
			     const uint32_t *shape, nrt_placement pl)
{
	nrt_tensor *t = NULL;
	nrt_status st = nrt_tensor_alloc(dev, dt, rank, shape, pl, &t);

	if (st != NRT_SUCCESS)
		fail_msg("nrt_tensor_alloc: %s: %s", nrt_strerror(st), nrt_last_error());
	return t;
}

/* A tensor of the given shape: T(dev, NRT_DTYPE_FP32, 2, 3) is 2x3 fp32 HBM. */
#define T(dev, dt, ...) \
	tensor_ok(dev, dt, sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t), \
		  (const uint32_t[]){ __VA_ARGS__ }, NRT_PLACEMENT_HBM)
#define SHAPE(...) sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t), \
	(const uint32_t[]){ __VA_ARGS__ }

static nrt_program *program_ok(nrt_device *dev)
{
	nrt_program *p = NULL;

	assert_status(nrt_program_new(dev, &p), NRT_SUCCESS);
	return p;
}

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

static void write_f32(nrt_tensor *t, const float *v)
{
	assert_status(nrt_tensor_write(t, v, NRT_DTYPE_FP32), NRT_SUCCESS);
}

static void read_f32(const nrt_tensor *t, float *v)
{
	assert_status(nrt_tensor_read(t, v, NRT_DTYPE_FP32), NRT_SUCCESS);
}

/* The device node of the test device, for expected messages. */
static const char *node(const struct env *e)
{
	static char buf[128];

	xsnprintf(buf, sizeof(buf), "%s/dev/accel/accel0", e->root);
	return buf;
}

/* --- data types -------------------------------------------------------- */

static void test_dtypes(void **state)
{
	static const struct {
		nrt_dtype dt;
		size_t size;
		const char *name;
	} types[] = {
		{ NRT_DTYPE_FP32, 4, "fp32" }, { NRT_DTYPE_BF16, 2, "bf16" },
		{ NRT_DTYPE_FP16, 2, "fp16" }, { NRT_DTYPE_FP8_E4M3, 1, "fp8_e4m3" },
		{ NRT_DTYPE_FP8_E5M2, 1, "fp8_e5m2" }, { NRT_DTYPE_INT8, 1, "int8" },
		{ NRT_DTYPE_INT32, 4, "int32" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(nrt_dtype_size(types[i].dt), types[i].size);
		assert_string_equal(nrt_dtype_name(types[i].dt), types[i].name);
	}
	assert_int_equal(NRT_DTYPE_FP32, TRN_DT_FP32);
	assert_int_equal(NRT_DTYPE_INT32, TRN_DT_INT32);
	assert_int_equal(nrt_dtype_size(NRT_DTYPE_INVALID), 0);
	assert_int_equal(nrt_dtype_size((nrt_dtype)8), 0);
	assert_int_equal(nrt_dtype_size((nrt_dtype)-1), 0);
	assert_string_equal(nrt_dtype_name(NRT_DTYPE_INVALID), "invalid");
	assert_string_equal(nrt_dtype_name((nrt_dtype)99), "invalid");
}

static void test_device_info(void **state)
{
	struct env *e = *state;
	nrt_device_info info;

	memset(&info, 0xff, sizeof(info));
	info.struct_size = sizeof(info);
	assert_status(nrt_device_get_info(e->dev, &info), NRT_SUCCESS);
	assert_int_equal(info.num_cores, 2);
	assert_int_equal(info.core_queues, 2);
	assert_int_equal(info.num_sems, 32);
	assert_int_equal(info.reserved0, 0);
	assert_int_equal(sizeof(info), NRT_DEVICE_INFO_SIZE_0_2 + 8);

	/* A 0.2 caller does not get them. */
	memset(&info, 0xee, sizeof(info));
	info.struct_size = NRT_DEVICE_INFO_SIZE_0_2;
	assert_status(nrt_device_get_info(e->dev, &info), NRT_SUCCESS);
	assert_int_equal(info.num_sems, 0xeeeeeeeeu);
	assert_int_equal(info.core_queues, 0xeeeeeeeeu);
}

/* --- tensors ----------------------------------------------------------- */

static void test_tensor_alloc(void **state)
{
	struct env *e = *state;
	nrt_tensor *t = (nrt_tensor *)&t;
	const uint32_t *shape;
	const int32_t *strides;

	t = T(e->dev, NRT_DTYPE_BF16, 2, 3, 5);
	assert_int_equal(nrt_tensor_dtype(t), NRT_DTYPE_BF16);
	assert_int_equal(nrt_tensor_rank(t), 3);
	shape = nrt_tensor_shape(t);
	strides = nrt_tensor_strides(t);
	assert_int_equal(shape[0], 2);
	assert_int_equal(shape[1], 3);
	assert_int_equal(shape[2], 5);
	assert_int_equal(strides[0], 15);
	assert_int_equal(strides[1], 5);
	assert_int_equal(strides[2], 1);
	assert_int_equal(nrt_tensor_elems(t), 30);
	assert_true(nrt_tensor_is_contiguous(t));
	assert_int_equal(nrt_tensor_offset(t), 0);
	assert_non_null(nrt_tensor_buffer(t));
	assert_int_equal(nrt_buffer_size(nrt_tensor_buffer(t)), 60);
	assert_int_equal(nrt_buffer_placement(nrt_tensor_buffer(t)), NRT_PLACEMENT_HBM);
	assert_true(nrt_tensor_va(t) == nrt_buffer_va(nrt_tensor_buffer(t)));
	assert_int_equal(fake.live_bos, 1);
	nrt_tensor_free(t);
	assert_int_equal(fake.live_bos, 0);

	t = tensor_ok(e->dev, NRT_DTYPE_INT8, SHAPE(7), NRT_PLACEMENT_HOST);
	assert_int_equal(nrt_buffer_placement(nrt_tensor_buffer(t)), NRT_PLACEMENT_HOST);
	assert_int_equal(nrt_tensor_strides(t)[0], 1);
	nrt_tensor_free(t);

	/* Arguments. */
	t = (nrt_tensor *)&t;
	assert_status(nrt_tensor_alloc(NULL, NRT_DTYPE_FP32, SHAPE(1), NRT_PLACEMENT_HBM, &t),
		      NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_alloc: dev is NULL");
	assert_status(nrt_tensor_alloc(e->dev, NRT_DTYPE_FP32, SHAPE(1), NRT_PLACEMENT_HBM, NULL),
		      NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_alloc: out is NULL");
	assert_status(nrt_tensor_alloc(e->dev, NRT_DTYPE_INVALID, SHAPE(1), NRT_PLACEMENT_HBM, &t),
		      NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_alloc: invalid dtype 0");
	assert_status(nrt_tensor_alloc(e->dev, NRT_DTYPE_FP32, 5, (const uint32_t[]){ 1, 1, 1, 1, 1 },
				       NRT_PLACEMENT_HBM, &t), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_alloc: rank 5 out of range 1..4");
	assert_status(nrt_tensor_alloc(e->dev, NRT_DTYPE_FP32, 0, NULL, NRT_PLACEMENT_HBM, &t),
		      NRT_INVALID);
	assert_status(nrt_tensor_alloc(e->dev, NRT_DTYPE_FP32, 2, NULL, NRT_PLACEMENT_HBM, &t),
		      NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_alloc: shape is NULL");
	assert_status(nrt_tensor_alloc(e->dev, NRT_DTYPE_FP32, SHAPE(3, 0), NRT_PLACEMENT_HBM, &t),
		      NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_alloc: shape[1] is 0");
	assert_status(nrt_tensor_alloc(e->dev, NRT_DTYPE_INT8, SHAPE(32768, 16384),
				       NRT_PLACEMENT_HBM, &t), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_alloc: shape 32768x16384 has more than 268435456 elements");
	assert_status(nrt_tensor_alloc(e->dev, NRT_DTYPE_FP32, SHAPE(1), (nrt_placement)2, &t),
		      NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_alloc: unknown placement 2");
	/* Out of HBM: the buffer's message, with the function in front. */
	fake.kinfo.hbm_size = GIB / 2;
	assert_status(nrt_tensor_alloc(e->dev, NRT_DTYPE_FP32, SHAPE(1u << 28),
				       NRT_PLACEMENT_HBM, &t), NRT_RESOURCE);
	assert_error_contains("nrt_tensor_alloc: cannot allocate 1073741824 bytes of HBM");
	assert_ptr_equal(t, (nrt_tensor *)&t);
	assert_int_equal(fake.live_bos, 0);

	/* Accessors and free take NULL. */
	assert_int_equal(nrt_tensor_dtype(NULL), NRT_DTYPE_INVALID);
	assert_int_equal(nrt_tensor_rank(NULL), 0);
	assert_null(nrt_tensor_shape(NULL));
	assert_null(nrt_tensor_strides(NULL));
	assert_int_equal(nrt_tensor_elems(NULL), 0);
	assert_false(nrt_tensor_is_contiguous(NULL));
	assert_null(nrt_tensor_buffer(NULL));
	assert_int_equal(nrt_tensor_offset(NULL), 0);
	assert_true(nrt_tensor_va(NULL) == 0);
	nrt_tensor_free(NULL);
}

static void test_tensor_views(void **state)
{
	struct env *e = *state;
	nrt_tensor *t = T(e->dev, NRT_DTYPE_FP32, 4, 6);
	nrt_tensor *v = NULL, *w = NULL, *row = NULL;
	uint64_t va = nrt_tensor_va(t);

	/* Columns 2..4. */
	assert_status(nrt_tensor_slice(t, 1, 2, 3, &v), NRT_SUCCESS);
	assert_int_equal(nrt_tensor_shape(v)[0], 4);
	assert_int_equal(nrt_tensor_shape(v)[1], 3);
	assert_int_equal(nrt_tensor_strides(v)[0], 6);
	assert_int_equal(nrt_tensor_strides(v)[1], 1);
	assert_int_equal(nrt_tensor_offset(v), 8);
	assert_true(nrt_tensor_va(v) == va + 8);
	assert_false(nrt_tensor_is_contiguous(v));
	assert_ptr_equal(nrt_tensor_buffer(v), nrt_tensor_buffer(t));
	/* A slice of the slice: row 3. */
	assert_status(nrt_tensor_slice(v, 0, 3, 1, &row), NRT_SUCCESS);
	assert_int_equal(nrt_tensor_offset(row), 8 + 3 * 24);
	assert_true(nrt_tensor_is_contiguous(row));
	nrt_tensor_free(row);
	nrt_tensor_free(v);

	/* Rows 1..2: contiguous. */
	assert_status(nrt_tensor_slice(t, 0, 1, 2, &v), NRT_SUCCESS);
	assert_int_equal(nrt_tensor_offset(v), 24);
	assert_true(nrt_tensor_is_contiguous(v));
	nrt_tensor_free(v);

	/* Slice errors. */
	assert_status(nrt_tensor_slice(t, 2, 0, 1, &v), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_slice: dim 2 out of range: the tensor has rank 2");
	assert_status(nrt_tensor_slice(t, 1, 3, 5, &v), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_slice: 5 elements from index 3 of dimension 1: it has 6");
	assert_status(nrt_tensor_slice(t, 1, 0, 0, &v), NRT_INVALID);
	assert_status(nrt_tensor_slice(t, 1, UINT32_MAX, 2, &v), NRT_INVALID);
	assert_status(nrt_tensor_slice(NULL, 0, 0, 1, &v), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_slice: t is NULL");
	assert_status(nrt_tensor_slice(t, 0, 0, 1, NULL), NRT_INVALID);

	/* Transpose: strides swapped, no data moved. */
	assert_status(nrt_tensor_transpose(t, 0, 1, &v), NRT_SUCCESS);
	assert_int_equal(nrt_tensor_shape(v)[0], 6);
	assert_int_equal(nrt_tensor_shape(v)[1], 4);
	assert_int_equal(nrt_tensor_strides(v)[0], 1);
	assert_int_equal(nrt_tensor_strides(v)[1], 6);
	assert_int_equal(nrt_tensor_offset(v), 0);
	assert_false(nrt_tensor_is_contiguous(v));
	assert_status(nrt_tensor_transpose(t, 0, 2, &w), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_transpose: d1 2 out of range: the tensor has rank 2");

	/* Reshape: contiguous tensors only, same element count. */
	assert_status(nrt_tensor_reshape(v, SHAPE(24), &w), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_reshape: the 6x4 tensor is not contiguous (a strided or broadcast view)");
	nrt_tensor_free(v);
	assert_status(nrt_tensor_reshape(t, SHAPE(5, 5), &w), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_reshape: 4x6 (24 elements) cannot become 5x5 (25 elements)");
	assert_status(nrt_tensor_reshape(t, SHAPE(2, 2, 6), &w), NRT_SUCCESS);
	assert_int_equal(nrt_tensor_rank(w), 3);
	assert_int_equal(nrt_tensor_strides(w)[0], 12);
	assert_int_equal(nrt_tensor_strides(w)[1], 6);
	assert_true(nrt_tensor_is_contiguous(w));
	nrt_tensor_free(w);

	/* Broadcast: size-1 and new dimensions get stride 0. */
	assert_status(nrt_tensor_slice(t, 0, 2, 1, &row), NRT_SUCCESS);   /* 1x6 */
	assert_status(nrt_tensor_broadcast(row, SHAPE(3, 5, 4), &v), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_broadcast: 1x6 does not broadcast to 3x5x4: dimension 1 is 6, not 1 or 4");
	assert_status(nrt_tensor_broadcast(row, SHAPE(3, 4, 6), &v), NRT_SUCCESS);
	assert_int_equal(nrt_tensor_rank(v), 3);
	assert_int_equal(nrt_tensor_strides(v)[0], 0);
	assert_int_equal(nrt_tensor_strides(v)[1], 0);
	assert_int_equal(nrt_tensor_strides(v)[2], 1);
	assert_int_equal(nrt_tensor_offset(v), 48);
	assert_int_equal(nrt_tensor_elems(v), 72);
	assert_false(nrt_tensor_is_contiguous(v));
	assert_status(nrt_tensor_reshape(v, SHAPE(72), &w), NRT_INVALID);
	nrt_tensor_free(v);
	assert_status(nrt_tensor_broadcast(t, SHAPE(6), &v), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_broadcast: rank 1 is below the tensor's rank 2");
	assert_status(nrt_tensor_broadcast(row, SHAPE(16384, 16384, 6), &v), NRT_INVALID);
	assert_error_contains("has more than 268435456 elements");
	nrt_tensor_free(row);
	nrt_tensor_free(t);
	assert_int_equal(fake.live_bos, 0);
}

/* Views keep the storage: the parent can go first. */
static void test_tensor_refcount(void **state)
{
	struct env *e = *state;
	nrt_tensor *t = T(e->dev, NRT_DTYPE_FP32, 2, 3);
	nrt_tensor *v = NULL, *vv = NULL;
	float in[6] = { 1, 2, 3, 4, 5, 6 }, out[3];

	write_f32(t, in);
	assert_status(nrt_tensor_transpose(t, 0, 1, &v), NRT_SUCCESS);
	nrt_tensor_free(t);
	assert_int_equal(fake.live_bos, 1);
	assert_status(nrt_tensor_slice(v, 1, 1, 1, &vv), NRT_SUCCESS);   /* column 1 of t^T */
	nrt_tensor_free(v);
	assert_int_equal(fake.live_bos, 1);
	read_f32(vv, out);
	assert_true(out[0] == 4 && out[1] == 5 && out[2] == 6);
	nrt_tensor_free(vv);
	assert_int_equal(fake.live_bos, 0);
}

static void test_tensor_wrap(void **state)
{
	struct env *e = *state;
	nrt_buffer *b = alloc_ok(e->dev, 100, NRT_PLACEMENT_HOST);
	nrt_tensor *t = NULL;
	float v[6] = { 1, 2, 3, 4, 5, 6 }, out[6];

	assert_status(nrt_tensor_wrap(b, 6, NRT_DTYPE_FP32, SHAPE(2), NULL, &t),
		      NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_wrap: offset 6 is not a multiple of the 4-byte fp32 element");
	assert_status(nrt_tensor_wrap(b, 80, NRT_DTYPE_FP32, SHAPE(2, 3), NULL, &t),
		      NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_wrap: the elements extend to byte 24 past offset 80, beyond the buffer's 100 bytes");
	assert_status(nrt_tensor_wrap(b, 0, NRT_DTYPE_FP32, SHAPE(2, 3),
				      (const int32_t[]){ 3, -1 }, &t), NRT_INVALID);
	assert_error_contains("strides[1] is -1");
	assert_status(nrt_tensor_wrap(NULL, 0, NRT_DTYPE_FP32, SHAPE(1), NULL, &t),
		      NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_wrap: buf is NULL");

	/* A 2x3 with a row pitch of 4 elements at offset 8. */
	assert_status(nrt_tensor_wrap(b, 8, NRT_DTYPE_FP32, SHAPE(2, 3),
				      (const int32_t[]){ 4, 1 }, &t), NRT_SUCCESS);
	assert_ptr_equal(nrt_tensor_buffer(t), b);
	assert_true(nrt_tensor_va(t) == nrt_buffer_va(b) + 8);
	memset(fake_mem(b), 0, 100);
	write_f32(t, v);
	assert_true(((float *)(void *)fake_mem(b))[2] == 1);
	assert_true(((float *)(void *)fake_mem(b))[5] == 0);   /* the pitch gap */
	assert_true(((float *)(void *)fake_mem(b))[6] == 4);
	read_f32(t, out);
	assert_memory_equal(out, v, sizeof(v));
	/* Freeing the tensor leaves the buffer. */
	nrt_tensor_free(t);
	assert_int_equal(fake.live_bos, 1);
	nrt_buffer_free(b);
}

static void check_bits16(const nrt_tensor *t, const uint16_t *want, size_t n)
{
	uint16_t got[16];
	size_t i;

	assert_true(n <= 16);
	assert_status(nrt_tensor_read(t, got, nrt_tensor_dtype(t)), NRT_SUCCESS);
	for (i = 0; i < n; i++) {
		if (got[i] != want[i])
			fail_msg("element %zu: 0x%04x, expected 0x%04x", i, got[i], want[i]);
	}
}

static void check_bytes(const nrt_tensor *t, const uint8_t *want, size_t n)
{
	uint8_t got[16];
	size_t i;

	assert_true(n <= 16);
	assert_status(nrt_tensor_read(t, got, nrt_tensor_dtype(t)), NRT_SUCCESS);
	for (i = 0; i < n; i++) {
		if (got[i] != want[i])
			fail_msg("element %zu: 0x%02x, expected 0x%02x", i, got[i], want[i]);
	}
}

static float f32_of(uint32_t bits)
{
	float f;

	memcpy(&f, &bits, 4);
	return f;
}

static void test_tensor_conversions(void **state)
{
	struct env *e = *state;
	nrt_tensor *t;
	float back[16];
	uint32_t raw[4];

	/* fp32 -> bf16: ties to even, infinities, NaN, subnormals. */
	{
		const float in[] = { 1.0f, 1.00390625f, 1.01171875f, -INFINITY,
				     NAN, f32_of(0x00080000), 3.0e38f, -0.0f };
		const uint16_t want[] = { 0x3f80, 0x3f80, 0x3f82, 0xff80, 0x7fc0,
					  0x0008, 0x7f62, 0x8000 };

		t = T(e->dev, NRT_DTYPE_BF16, 8);
		write_f32(t, in);
		check_bits16(t, want, 8);
		read_f32(t, back);
		assert_true(back[1] == 1.0f && back[2] == 1.015625f);
		assert_true(isinf(back[3]) && back[3] < 0 && isnan(back[4]));
		assert_true(back[5] == f32_of(0x00080000));
		nrt_tensor_free(t);
	}
	/* fp32 -> fp16: overflow to infinity, subnormals, ties to even. */
	{
		const float in[] = { 65504.0f, 65520.0f, 0x1p-24f, 0x1p-25f, 0x3p-25f,
				     -2.0f, NAN, 1e-10f };
		const uint16_t want[] = { 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0002,
					  0xc000, 0x7e00, 0x0000 };

		t = T(e->dev, NRT_DTYPE_FP16, 8);
		write_f32(t, in);
		check_bits16(t, want, 8);
		nrt_tensor_free(t);
	}
	/* fp32 -> fp8 e4m3: saturating, no infinity. */
	{
		const float in[] = { 480.0f, INFINITY, -INFINITY, 448.0f, 464.0f,
				     0x1p-9f, NAN, -1e6f };
		const uint8_t want[] = { 0x7e, 0x7e, 0xfe, 0x7e, 0x7e, 0x01, 0x7f, 0xfe };

		t = T(e->dev, NRT_DTYPE_FP8_E4M3, 8);
		write_f32(t, in);
		check_bytes(t, want, 8);
		read_f32(t, back);
		assert_true(back[0] == 448.0f && back[5] == 0x1p-9f && isnan(back[6]));
		nrt_tensor_free(t);
	}
	/* fp32 -> fp8 e5m2: saturating finite values, infinity kept. */
	{
		const float in[] = { INFINITY, 57344.0f, 1e6f, NAN, -INFINITY, 0x1p-16f };
		const uint8_t want[] = { 0x7c, 0x7b, 0x7b, 0x7f, 0xfc, 0x01 };

		t = T(e->dev, NRT_DTYPE_FP8_E5M2, 6);
		write_f32(t, in);
		check_bytes(t, want, 6);
		nrt_tensor_free(t);
	}
	/* fp32 -> int8: round to nearest even, saturate, NaN to 0. */
	{
		const float in[] = { 300.0f, -300.0f, NAN, 2.5f, 3.5f, -2.5f, 127.4f,
				     -0.4f };
		const uint8_t want[] = { 127, 0x80, 0, 2, 4, 0xfe, 127, 0 };

		t = T(e->dev, NRT_DTYPE_INT8, 8);
		write_f32(t, in);
		check_bytes(t, want, 8);
		read_f32(t, back);
		assert_true(back[1] == -128.0f && back[5] == -2.0f);
		nrt_tensor_free(t);
	}
	/* fp32 -> int32 */
	{
		const float in[] = { 3e9f, -3e9f, NAN, 16777217.0f };
		int32_t got[4];

		t = T(e->dev, NRT_DTYPE_INT32, 4);
		write_f32(t, in);
		assert_status(nrt_tensor_read(t, got, NRT_DTYPE_INT32), NRT_SUCCESS);
		assert_int_equal(got[0], INT32_MAX);
		assert_int_equal(got[1], INT32_MIN);
		assert_int_equal(got[2], 0);
		assert_int_equal(got[3], 16777216);
		nrt_tensor_free(t);
	}
	/* The same type is copied bit for bit: a signalling NaN's payload stays. */
	{
		const uint32_t in[] = { 0x7fa00001, 0xffc12345, 0x00000001, 0x80000000 };

		t = T(e->dev, NRT_DTYPE_FP32, 4);
		assert_status(nrt_tensor_write(t, in, NRT_DTYPE_FP32), NRT_SUCCESS);
		assert_status(nrt_tensor_read(t, raw, NRT_DTYPE_FP32), NRT_SUCCESS);
		assert_memory_equal(raw, in, sizeof(in));
		/* int8 host data into fp32, and fp32 out as bf16. */
		assert_status(nrt_tensor_write(t, (const int8_t[]){ -128, 5, 0, 127 },
					       NRT_DTYPE_INT8), NRT_SUCCESS);
		{
			uint16_t h[4];

			assert_status(nrt_tensor_read(t, h, NRT_DTYPE_BF16), NRT_SUCCESS);
			assert_int_equal(h[0], 0xc300);
			assert_int_equal(h[1], 0x40a0);
			assert_int_equal(h[3], 0x42fe);
		}
		nrt_tensor_free(t);
	}

	/* Arguments. */
	t = T(e->dev, NRT_DTYPE_FP32, 2);
	assert_status(nrt_tensor_write(t, back, (nrt_dtype)0), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_write: invalid src_dtype 0");
	assert_status(nrt_tensor_read(t, back, (nrt_dtype)9), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_read: invalid dst_dtype 9");
	assert_status(nrt_tensor_write(t, NULL, NRT_DTYPE_FP32), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_write: src is NULL");
	assert_status(nrt_tensor_read(NULL, back, NRT_DTYPE_FP32), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_tensor_read: t is NULL");
	nrt_tensor_free(t);
}

/* Large conversions go in chunks and through DMA staging. */
static void test_tensor_large(void **state)
{
	struct env *e = *state;
	const size_t n = ((size_t)2 << 20) + 1000;  /* over one chunk of bf16 */
	float *in = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
	nrt_tensor *t;
	unsigned int submits;
	size_t i;

	assert_non_null(in);
	assert_non_null(out);
	for (i = 0; i < n; i++)
		in[i] = (float)((int)(i % 251) - 125) * 0.5f;   /* exact in bf16 */
	t = tensor_ok(e->dev, NRT_DTYPE_BF16, SHAPE((uint32_t)n), NRT_PLACEMENT_HBM);
	submits = fake.submits;
	write_f32(t, in);
	assert_true(fake.submits > submits);     /* staged by DMA */
	read_f32(t, out);
	assert_memory_equal(in, out, n * sizeof(float));
	nrt_tensor_free(t);
	free(in);
	free(out);
}

static void test_tensor_strided_io(void **state)
{
	struct env *e = *state;
	nrt_tensor *t = tensor_ok(e->dev, NRT_DTYPE_FP32, SHAPE(4, 6), NRT_PLACEMENT_HOST);
	nrt_tensor *col = NULL, *tr = NULL, *row = NULL, *bc = NULL;
	float all[24], v[24], got[24];
	const float *mem;
	size_t i;

	for (i = 0; i < 24; i++)
		all[i] = -1;
	write_f32(t, all);
	mem = (const float *)(const void *)fake_mem(nrt_tensor_buffer(t));

	/* Columns 2 and 3: only their 8 elements change. */
	assert_status(nrt_tensor_slice(t, 1, 2, 2, &col), NRT_SUCCESS);
	for (i = 0; i < 8; i++)
		v[i] = (float)i;
	write_f32(col, v);
	for (i = 0; i < 24; i++) {
		size_t r = i / 6, c = i % 6;
		float want = c == 2 || c == 3 ? (float)(r * 2 + c - 2) : -1;

		if (mem[i] != want)
			fail_msg("element %zu: %g, expected %g", i, (double)mem[i], (double)want);
	}
	read_f32(col, got);
	assert_memory_equal(got, v, 8 * sizeof(float));

	/* Through a transposed view, with a conversion from int8. */
	assert_status(nrt_tensor_transpose(t, 0, 1, &tr), NRT_SUCCESS);  /* 6x4 */
	{
		int8_t b[24];

		for (i = 0; i < 24; i++)
			b[i] = (int8_t)i;       /* tr[i / 4][i % 4] = i */
		assert_status(nrt_tensor_write(tr, b, NRT_DTYPE_INT8), NRT_SUCCESS);
	}
	for (i = 0; i < 24; i++) {
		size_t r = i / 6, c = i % 6;   /* t[r][c] = tr[c][r] = c * 4 + r */

		assert_true(mem[i] == (float)(c * 4 + r));
	}
	{
		int32_t b[24];

		assert_status(nrt_tensor_read(tr, b, NRT_DTYPE_INT32), NRT_SUCCESS);
		for (i = 0; i < 24; i++)
			assert_int_equal(b[i], (int32_t)i);
	}

	/* A broadcast view reads repeated elements and refuses writes. */
	assert_status(nrt_tensor_slice(t, 0, 1, 1, &row), NRT_SUCCESS);
	assert_status(nrt_tensor_broadcast(row, SHAPE(3, 6), &bc), NRT_SUCCESS);
	read_f32(bc, got);
	for (i = 0; i < 18; i++)
		assert_true(got[i] == mem[6 + i % 6]);
	assert_status(nrt_tensor_write(bc, v, NRT_DTYPE_FP32), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_tensor_write: the tensor is a broadcast view (dimension 0 of size 3 has stride 0): it cannot be written");

	nrt_tensor_free(bc);
	nrt_tensor_free(row);
	nrt_tensor_free(tr);
	nrt_tensor_free(col);
	nrt_tensor_free(t);
}

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

/* --- runs -------------------------------------------------------------- */

/* x [2,3] @ w [3,2] + bias [2], relu, then the mean of each row. */
struct mlp {
	nrt_tensor *x, *w, *bias, *h, *mean;
	nrt_program *p;
};

static void mlp_build(struct env *e, struct mlp *m)
{
	const float x[] = { 1, 2, 3, -1, -2, -3 };
	const float w[] = { 1, -1, 0.5f, 2, -1, 0 };
	const float bias[] = { 0.5f, -4 };

	m->x = T(e->dev, NRT_DTYPE_FP32, 2, 3);
	m->w = T(e->dev, NRT_DTYPE_BF16, 3, 2);
	m->bias = T(e->dev, NRT_DTYPE_FP32, 2);
	m->h = T(e->dev, NRT_DTYPE_FP32, 2, 2);
	m->mean = T(e->dev, NRT_DTYPE_FP32, 2, 1);
	write_f32(m->x, x);
	write_f32(m->w, w);
	write_f32(m->bias, bias);
	m->p = program_ok(e->dev);
	assert_status(nrt_program_matmul(m->p, m->h, m->x, m->w, 1.0f, false), NRT_SUCCESS);
	assert_status(nrt_program_binary(m->p, NRT_BINARY_ADD, m->h, m->h, m->bias),
		      NRT_SUCCESS);
	assert_status(nrt_program_activate(m->p, NRT_ACT_RELU, m->h, m->h, 1, 0),
		      NRT_SUCCESS);
	assert_status(nrt_program_reduce(m->p, NRT_REDUCE_SUM, m->mean, m->h, 1, 0.5f),
		      NRT_SUCCESS);
	assert_status(nrt_program_finalize(m->p), NRT_SUCCESS);
}

/*
 * x @ w = [1 - 1.5 + ... ]: row 0: [1*1 + 2*0.5 + 3*-1, 1*-1 + 2*2 + 3*0] =
 * [-1, 3]; row 1: [1, -3]. Plus bias: [-0.5, -1; 1.5, -7]. relu: [0, 0;
 * 1.5, 0]. Mean of each row: [0; 0.75].
 */
static void mlp_check(const struct mlp *m)
{
	float h[4], mean[2];

	read_f32(m->h, h);
	read_f32(m->mean, mean);
	assert_true(h[0] == 0 && h[1] == 0 && h[2] == 1.5f && h[3] == 0);
	assert_true(mean[0] == 0 && mean[1] == 0.75f);
}

static void mlp_free(struct mlp *m)
{
	nrt_program_free(m->p);
	nrt_tensor_free(m->x);
	nrt_tensor_free(m->w);
	nrt_tensor_free(m->bias);
	nrt_tensor_free(m->h);
	nrt_tensor_free(m->mean);
}

static void test_run(void **state)
{
	struct env *e = *state;
	const struct fake_submit *s;
	const struct fake_bo *code, *rec;
	nrt_run_result res;
	nrt_fence *f = NULL;
	const void *insns;
	size_t len;
	struct mlp m;

	mlp_build(e, &m);
	assert_status(nrt_program_run(m.p, 1, NULL, &f), NRT_SUCCESS);
	s = fake_last(0);
	/* The queue of core 1 follows the 4 DMA queues. */
	assert_int_equal(s->queue, 5);
	fake_marker(s, 1);        /* one EXEC, then the completion marker */
	assert_int_equal(s->descs[0].opcode, DRM_TRN_DMA_OP_EXEC);
	assert_int_equal(s->descs[0].aux, 0);
	assert_true(s->descs[0].len == 4 * TRN_INSN_SIZE);
	assert_true(s->descs[0].src % TRN_INSN_ALIGN == 0);
	assert_true(s->descs[0].dst % 8 == 0);
	/* The program: an HBM buffer with the encoded steps. */
	code = fake_bo_of_range(s->descs[0].src, s->descs[0].len);
	assert_non_null(code);
	assert_int_equal(code->placement, DRM_TRN_PLACEMENT_HBM);
	assert_status(nrt_program_encoded(m.p, &insns, &len), NRT_SUCCESS);
	assert_int_equal(len, 4 * TRN_INSN_SIZE);
	assert_memory_equal(code->mem + (s->descs[0].src - code->va), insns, len);
	/* The status record: in a HOST buffer of records. */
	rec = fake_bo_of_range(s->descs[0].dst, TRN_EXEC_ST_SIZE);
	assert_non_null(rec);
	assert_int_equal(rec->placement, DRM_TRN_PLACEMENT_HOST);
	assert_true(rec->size == NRT_REC_BUF_SIZE);

	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);
	assert_status(nrt_program_run_result(f, &res), NRT_SUCCESS);
	assert_int_equal(res.error, 0);
	assert_int_equal(res.step, 4);
	assert_true(res.addr == 0);
	assert_true(res.ns == 1004);
	nrt_fence_free(f);
	mlp_check(&m);

	/* Again, synchronously, on core 0. */
	memset(fake_mem(nrt_tensor_buffer(m.mean)), 0, 8);
	assert_status(nrt_program_run(m.p, 0, NULL, NULL), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->queue, 4);
	mlp_check(&m);
	assert_int_equal(fake.execs, 2);
	/* Both succeeded by their markers: no sync_file round trip. */
	assert_no_status_query(0, 0);
	assert_int_equal(e->dev->n_rec_free, NRT_REC_PER_BUF);
	mlp_free(&m);
}

static void test_run_args(void **state)
{
	struct env *e = *state;
	nrt_tensor *t = T(e->dev, NRT_DTYPE_FP32, 4);
	nrt_buffer *b = alloc_ok(e->dev, 64, NRT_PLACEMENT_HOST);
	nrt_program *p = program_ok(e->dev);
	nrt_run_opts opts = NRT_RUN_OPTS_INIT;
	nrt_fence *f = NULL, *copy = NULL;
	nrt_run_result res;
	char expect[256];

	assert_status(nrt_program_activate(p, NRT_ACT_ABS, t, t, 1, 0), NRT_SUCCESS);
	assert_status(nrt_program_run(p, 0, NULL, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_program_run: the program is not finalized (nrt_program_finalize())");
	assert_status(nrt_program_finalize(p), NRT_SUCCESS);
	assert_status(nrt_program_run(NULL, 0, NULL, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_program_run: p is NULL");
	assert_status(nrt_program_run(p, 2, NULL, NULL), NRT_INVALID);
	xsnprintf(expect, sizeof(expect),
		  "nrt_program_run: core 2 out of range: %s has 2 NeuronCore queues", node(e));
	assert_string_equal(nrt_last_error(), expect);
	opts.struct_size = 4;
	assert_status(nrt_program_run(p, 0, &opts, NULL), NRT_INVALID);
	assert_error_contains("nrt_program_run: opts->struct_size is 4, at least");
	opts.struct_size = sizeof(opts);
	opts.wait_count = 1;
	assert_status(nrt_program_run(p, 0, &opts, NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_program_run: opts->wait is NULL but opts->wait_count is 1");
	assert_int_equal(fake.execs, 0);

	/* A run after a copy: the job waits for the copy's fence. */
	fake.defer = true;
	assert_status(nrt_fill(b, 0, 64, 1, NULL, &copy), NRT_SUCCESS);
	fake.defer = false;
	opts.wait = &copy;
	assert_status(nrt_program_run(p, 1, &opts, &f), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->in_count, 1);
	assert_int_equal(fake_last(0)->in[0], copy->syncobjs[0]);
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);

	/* Results are for program runs only. */
	assert_status(nrt_program_run_result(copy, &res), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_program_run_result: the fence is not of a program run");
	assert_status(nrt_program_run_result(NULL, &res), NRT_INVALID);
	assert_status(nrt_program_run_result(f, NULL), NRT_INVALID);
	nrt_fence_free(f);
	fake_complete(copy->syncobjs[0], 1);
	nrt_fence_free(copy);

	/* A pending run has no result yet. */
	fake.defer = true;
	assert_status(nrt_program_run(p, 0, NULL, &f), NRT_SUCCESS);
	assert_status(nrt_program_run_result(f, &res), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(),
			    "nrt_program_run_result: job on queue 4 still running");
	fake_complete(f->syncobjs[0], 1);
	nrt_fence_free(f);
	fake.defer = false;

	nrt_program_free(p);
	nrt_tensor_free(t);
	nrt_buffer_free(b);
}

/* A kernel without NeuronCore queues. */
static void test_run_no_cores(void **state)
{
	struct env *e = *state;
	nrt_tensor *t;
	nrt_program *p;
	char expect[256];

	fake.kinfo.core_queues = 0;
	nrt_device_close(e->dev);
	e->dev = open_ok(0);
	t = T(e->dev, NRT_DTYPE_FP32, 4);
	p = program_ok(e->dev);
	assert_status(nrt_program_activate(p, NRT_ACT_ABS, t, t, 1, 0), NRT_SUCCESS);
	assert_status(nrt_program_finalize(p), NRT_SUCCESS);
	assert_status(nrt_program_run(p, 0, NULL, NULL), NRT_UNSUPPORTED);
	xsnprintf(expect, sizeof(expect),
		  "nrt_program_run: the kernel driver of %s offers no NeuronCore queues",
		  node(e));
	assert_string_equal(nrt_last_error(), expect);
	nrt_program_free(p);
	nrt_tensor_free(t);
}

static void test_run_failure(void **state)
{
	struct env *e = *state;
	nrt_tensor *t = T(e->dev, NRT_DTYPE_FP32, 4);
	nrt_tensor *h = T(e->dev, NRT_DTYPE_BF16, 4);
	nrt_program *p = program_ok(e->dev);
	nrt_run_result res;
	nrt_fence *f = NULL;
	uint64_t insn_va;

	assert_status(nrt_program_cast(p, h, t), NRT_SUCCESS);
	assert_status(nrt_program_activate(p, NRT_ACT_GELU, t, h, 1, 0), NRT_SUCCESS);
	assert_status(nrt_program_finalize(p), NRT_SUCCESS);

	/* The device reports a translation fault in step 1. */
	fake.exec_inject.on = true;
	fake.exec_inject.error = TRN_DMA_ERR_UNMAPPED;
	fake.exec_inject.insn = 1;
	fake.exec_inject.addr = UINT64_C(0x7f0000123000);
	fake.exec_inject.status = -EFAULT;
	assert_status(nrt_program_run(p, 1, NULL, &f), NRT_SUCCESS);
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(),
			    "program step 1 (activate gelu): operand outside the mapped address space at 0x7f0000123000 (core 1, TRN_DMA_ERR_UNMAPPED)");
	/* Every later call says the same. */
	assert_status(nrt_fence_poll(f), NRT_HW_ERROR);
	assert_error_contains("program step 1 (activate gelu)");
	/* The record, and the message left alone by the successful call. */
	nrt_fail(NRT_FAILURE, "before");
	assert_status(nrt_program_run_result(f, &res), NRT_SUCCESS);
	assert_string_equal(nrt_last_error(), "before");
	assert_int_equal(res.error, TRN_DMA_ERR_UNMAPPED);
	assert_int_equal(res.step, 1);
	assert_true(res.addr == UINT64_C(0x7f0000123000));
	nrt_fence_free(f);

	/* Synchronous: the call's name in front. */
	assert_status(nrt_program_run(p, 0, NULL, NULL), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(),
			    "nrt_program_run: program step 1 (activate gelu): operand outside the mapped address space at 0x7f0000123000 (core 0, TRN_DMA_ERR_UNMAPPED)");

	/* A malformed instruction (the job fails with -EINVAL). */
	insn_va = fake_last(0)->descs[0].src;
	fake.exec_inject.error = TRN_DMA_ERR_BAD_INSN;
	fake.exec_inject.insn = 0;
	fake.exec_inject.addr = insn_va;
	fake.exec_inject.status = -EINVAL;
	assert_status(nrt_program_run(p, 0, NULL, &f), NRT_SUCCESS);
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	{
		char expect[256];

		xsnprintf(expect, sizeof(expect),
			  "program step 0 (cast): malformed instruction at 0x%llx (core 0, TRN_DMA_ERR_BAD_INSN)",
			  (unsigned long long)insn_va);
		assert_string_equal(nrt_last_error(), expect);
	}
	nrt_fence_free(f);

	/* Misaligned, and an operand shape error. */
	fake.exec_inject.error = TRN_DMA_ERR_OPERAND;
	fake.exec_inject.insn = 1;
	assert_status(nrt_program_run(p, 1, NULL, NULL), NRT_HW_ERROR);
	assert_error_contains("program step 1 (activate gelu): operand shapes do not fit the instruction at 0x");
	assert_error_contains("(core 1, TRN_DMA_ERR_OPERAND)");
	fake.exec_inject.error = TRN_DMA_ERR_ALIGN;
	assert_status(nrt_program_run(p, 1, NULL, NULL), NRT_HW_ERROR);
	assert_error_contains("program step 1 (activate gelu): misaligned operand");

	/* An index past the program: no step to name. */
	fake.exec_inject.error = TRN_DMA_ERR_UNMAPPED;
	fake.exec_inject.insn = 2;
	fake.exec_inject.addr = 0x5000;
	fake.exec_inject.status = -EFAULT;
	assert_status(nrt_program_run(p, 0, NULL, NULL), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(),
			    "nrt_program_run: program run on core 0: operand outside the mapped address space at 0x5000 (TRN_DMA_ERR_UNMAPPED)");

	/* Stopped before the program ended (the driver's job timeout): no
	 * record, the job's error only. */
	fake.exec_inject.no_record = true;
	fake.exec_inject.status = -ETIMEDOUT;
	assert_status(nrt_program_run(p, 0, NULL, &f), NRT_SUCCESS);
	assert_status(nrt_fence_wait(f, -1), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(),
			    "program run on core 0: job on queue 4 failed: timed out on the device (the driver's job timeout expired)");
	assert_status(nrt_program_run_result(f, &res), NRT_FAILURE);
	assert_string_equal(nrt_last_error(),
			    "nrt_program_run_result: the run on core 0 left no status record: the job was stopped before the program ended");
	nrt_fence_free(f);
	memset(&fake.exec_inject, 0, sizeof(fake.exec_inject));

	/* A real fault: the buffer of a wrapped tensor is gone. */
	{
		nrt_buffer *b = alloc_ok(e->dev, 16, NRT_PLACEMENT_HBM);
		nrt_tensor *w = NULL;
		nrt_program *q = program_ok(e->dev);
		uint64_t va = nrt_buffer_va(b);
		char expect[256];

		assert_status(nrt_tensor_wrap(b, 0, NRT_DTYPE_FP32, SHAPE(4), NULL, &w),
			      NRT_SUCCESS);
		assert_status(nrt_program_activate(q, NRT_ACT_IDENTITY, t, t, 1, 0),
			      NRT_SUCCESS);
		assert_status(nrt_program_activate(q, NRT_ACT_RELU, t, w, 1, 0),
			      NRT_SUCCESS);
		assert_status(nrt_program_finalize(q), NRT_SUCCESS);
		nrt_buffer_free(b);
		assert_status(nrt_program_run(q, 1, NULL, NULL), NRT_HW_ERROR);
		xsnprintf(expect, sizeof(expect),
			  "nrt_program_run: program step 1 (activate relu): operand outside the mapped address space at 0x%llx (core 1, TRN_DMA_ERR_UNMAPPED)",
			  (unsigned long long)va);
		assert_string_equal(nrt_last_error(), expect);
		nrt_program_free(q);
		nrt_tensor_free(w);
	}

	assert_int_equal(e->dev->n_rec_free, NRT_REC_PER_BUF);
	nrt_program_free(p);
	nrt_tensor_free(t);
	nrt_tensor_free(h);
}

/* Tensors and the program may go before the runs. */
static void test_run_lifetimes(void **state)
{
	struct env *e = *state;
	nrt_tensor *a = T(e->dev, NRT_DTYPE_FP32, 3);
	nrt_tensor *b = T(e->dev, NRT_DTYPE_FP32, 3);
	nrt_tensor *out = T(e->dev, NRT_DTYPE_FP32, 3);
	nrt_program *p = program_ok(e->dev);
	nrt_fence *f = NULL;
	float v[3];

	write_f32(a, (const float[]){ 1, 2, 3 });
	write_f32(b, (const float[]){ 10, 20, 30 });
	assert_status(nrt_program_binary(p, NRT_BINARY_MUL, out, a, b), NRT_SUCCESS);
	assert_status(nrt_program_sem_signal(p, 5, 2), NRT_SUCCESS);
	nrt_tensor_free(a);
	nrt_tensor_free(b);
	assert_int_equal(fake.live_bos, 3);       /* the program keeps them */
	assert_status(nrt_program_finalize(p), NRT_SUCCESS);
	assert_status(nrt_program_run(p, 0, NULL, NULL), NRT_SUCCESS);
	read_f32(out, v);
	assert_true(v[0] == 10 && v[1] == 40 && v[2] == 90);
	assert_true(fake.sems[5] == 2);

	/* A run that fails, with its program freed before the wait. */
	fake.exec_inject.on = true;
	fake.exec_inject.error = TRN_DMA_ERR_READONLY;
	fake.exec_inject.insn = 0;
	fake.exec_inject.addr = 0x1234;
	fake.exec_inject.status = -EFAULT;
	assert_status(nrt_program_run(p, 1, NULL, &f), NRT_SUCCESS);
	nrt_program_free(p);
	/* a, b, out, the code, the markers' and the records' buffers */
	assert_int_equal(fake.live_bos, 6);
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(),
			    "program step 0 (binary mul): write to read-only memory at 0x1234 (core 1, TRN_DMA_ERR_READONLY)");
	nrt_fence_free(f);
	assert_int_equal(fake.live_bos, 3);       /* out, markers, records */
	nrt_tensor_free(out);
	memset(&fake.exec_inject, 0, sizeof(fake.exec_inject));
}

/* Let every pending job of the fake complete successfully. */
static void fake_complete_all(void)
{
	unsigned int i;

	pthread_mutex_lock(&fake.lock);
	for (i = 0; i < FAKE_SYNCOBJS; i++) {
		if (fake.syncobjs[i].live && fake.syncobjs[i].has_fence &&
		    fake.syncobjs[i].status == 0)
			fake.syncobjs[i].status = 1;
	}
	pthread_mutex_unlock(&fake.lock);
}

/* Status records: one per run in flight, kept while a job may write it. */
static void test_run_records(void **state)
{
	struct env *e = *state;
	nrt_tensor *t = T(e->dev, NRT_DTYPE_FP32, 4);
	nrt_program *p = program_ok(e->dev);
	nrt_fence **f = calloc(NRT_REC_PER_BUF + 1, sizeof(*f));
	uint64_t dst[3];
	unsigned int i, live;

	assert_non_null(f);
	assert_status(nrt_program_activate(p, NRT_ACT_ABS, t, t, 1, 0), NRT_SUCCESS);
	assert_status(nrt_program_finalize(p), NRT_SUCCESS);

	/* Runs in flight at once get records of their own. */
	fake.defer = true;
	for (i = 0; i < 3; i++) {
		assert_status(nrt_program_run(p, i % 2, NULL, &f[i]), NRT_SUCCESS);
		dst[i] = fake_last(0)->descs[0].dst;
	}
	assert_true(dst[0] != dst[1] && dst[1] != dst[2] && dst[0] != dst[2]);
	assert_true(dst[1] - dst[0] == TRN_EXEC_ST_SIZE ||
		    dst[0] - dst[1] == TRN_EXEC_ST_SIZE);
	assert_int_equal(e->dev->n_rec_free, NRT_REC_PER_BUF - 3);

	/* A fence freed while its job runs: the record waits with the
	 * job's syncobj, which the fence no longer gives back. */
	live = fake.live_syncobjs;
	nrt_fence_free(f[0]);
	assert_int_equal(e->dev->n_rec_pending, 1);
	assert_int_equal(e->dev->n_rec_free, NRT_REC_PER_BUF - 3);
	assert_int_equal(fake.live_syncobjs, live);
	/* A finished one goes straight back. */
	fake_complete(f[1]->syncobjs[0], 1);
	assert_status(nrt_fence_wait(f[1], -1), NRT_SUCCESS);
	nrt_fence_free(f[1]);
	assert_int_equal(e->dev->n_rec_free, NRT_REC_PER_BUF - 2);
	fake_complete_all();
	nrt_fence_free(f[2]);          /* state unknown: pending too */
	assert_int_equal(e->dev->n_rec_pending, 2);

	/* Use up the free records; then the pending ones, done by now, return. */
	for (i = 0; i < NRT_REC_PER_BUF - 2; i++)
		assert_status(nrt_program_run(p, 0, NULL, &f[i]), NRT_SUCCESS);
	assert_int_equal(e->dev->n_rec_free, 0);
	assert_int_equal(e->dev->n_rec_pending, 2);
	assert_int_equal(e->dev->n_rec_bufs, 1);
	assert_status(nrt_program_run(p, 0, NULL, &f[i]), NRT_SUCCESS);
	assert_int_equal(e->dev->n_rec_pending, 0);
	assert_int_equal(e->dev->n_rec_free, 1);
	assert_int_equal(e->dev->n_rec_bufs, 1);
	assert_status(nrt_program_run(p, 0, NULL, &f[++i]), NRT_SUCCESS);
	assert_int_equal(e->dev->n_rec_bufs, 1);
	assert_int_equal(e->dev->n_rec_free, 0);
	/* Now all in use: another buffer of records. */
	{
		nrt_fence *g = NULL;

		assert_status(nrt_program_run(p, 0, NULL, &g), NRT_SUCCESS);
		assert_int_equal(e->dev->n_rec_bufs, 2);
		assert_int_equal(e->dev->n_rec_free, NRT_REC_PER_BUF - 1);
		/* Left running: freed with the device handle. */
		nrt_fence_free(g);
	}
	fake_complete_all();
	for (i = 0; i < NRT_REC_PER_BUF; i++) {
		assert_status(nrt_fence_wait(f[i], -1), NRT_SUCCESS);
		nrt_fence_free(f[i]);
	}
	assert_int_equal(e->dev->n_rec_free, 2 * NRT_REC_PER_BUF - 1);
	assert_int_equal(e->dev->n_rec_pending, 1);
	fake.defer = false;

	free(f);
	nrt_program_free(p);
	nrt_tensor_free(t);
	/* teardown checks that the pending syncobj was destroyed. */
}

struct worker {
	struct mlp *m;
	unsigned int id;
	char error[512];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	nrt_fence *f[8];
	unsigned int i, n = 0;

	for (i = 0; i < 8; i++) {
		if (nrt_program_run(w->m->p, (w->id + i) % 2, NULL, &f[i])) {
			snprintf(w->error, sizeof(w->error), "run %u: %s", i,
				 nrt_last_error());
			break;
		}
		n++;
	}
	for (i = 0; i < n; i++) {
		nrt_run_result r;

		if (nrt_fence_wait(f[i], -1) || nrt_program_run_result(f[i], &r) ||
		    r.error || r.step != 4) {
			if (!w->error[0])
				snprintf(w->error, sizeof(w->error), "wait %u: %s", i,
					 nrt_last_error());
		}
		nrt_fence_free(f[i]);
	}
	return NULL;
}

static void test_run_threads(void **state)
{
	struct env *e = *state;
	struct worker w[4];
	pthread_t th[4];
	struct mlp m;
	unsigned int i;

	mlp_build(e, &m);
	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].m = &m;
		w[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (w[i].error[0])
			fail_msg("thread %u: %s", i, w[i].error);
	}
	assert_int_equal(fake.execs, 32);
	mlp_check(&m);
	assert_int_equal(e->dev->n_rec_free, NRT_REC_PER_BUF);
	mlp_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dtypes),
		cmocka_unit_test_setup_teardown(test_device_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tensor_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tensor_views, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tensor_refcount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tensor_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tensor_conversions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tensor_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tensor_strided_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encode_matmul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encode_elementwise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encode_reduce_transpose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_no_cores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_lifetimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_threads, setup, teardown),
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_program", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
