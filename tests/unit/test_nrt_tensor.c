// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of libnrt data types and tensors (nrt_tensor.c): allocation,
 * wrapping, views, reference counts and transfers with conversions, against
 * the fake kernel of fake_kernel.c.
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
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_tensor", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
