// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * NeuronCore instructions on a real (or emulated) device, against the
 * reference executor of tests/common/trn_ref.c.
 *
 * Each case builds a one-step program with libnrt, runs it on a core and
 * compares the output bytes with what the reference computes from the same
 * encoded instruction over host copies of the same memory: bit for bit for
 * element-wise instructions (both round once from double with
 * include/hw/trn_numerics.h), within a tolerance for MATMUL (the device
 * sums in another order). Inputs mix random values with edge values: NaN,
 * infinities, signed zeros, subnormals, values beyond the range of narrow
 * types. Then malformed programs through the raw uapi, semaphores between
 * a DMA queue and cores, and reuse of one program by concurrent runs.
 *
 * Needs a device with at least two NeuronCores; run in the VM by
 * tests/vm/t/80-compute.sh.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/sync_file.h>

#include <cmocka.h>
#include <xf86drm.h>
#include "drm/trn_accel.h"

#include "nrt.h"
#include "trn_isa.h"
#include "trn_numerics.h"
#include "trn_ref.h"
#include "trn_regs.h"

static nrt_device *dev;
static nrt_device_info info;
static uint64_t seed = 0x1234567;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static const nrt_dtype all_dtypes[] = {
	NRT_DTYPE_FP32, NRT_DTYPE_BF16, NRT_DTYPE_FP16, NRT_DTYPE_FP8_E4M3,
	NRT_DTYPE_FP8_E5M2, NRT_DTYPE_INT8, NRT_DTYPE_INT32,
};
#define NDTYPES (sizeof(all_dtypes) / sizeof(all_dtypes[0]))

static bool is_int(nrt_dtype dt)
{
	return dt == NRT_DTYPE_INT8 || dt == NRT_DTYPE_INT32;
}

/* A value for an input of type @dt: mostly ordinary, some edge values. */
static double test_value(nrt_dtype dt, bool edges)
{
	static const double edge[] = {
		NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e-40, -1e-42, 6e-8, 1e-3,
		448, 480, -500, 57344, 65504, 1e6, -3e38, 127.5, -128.5, 2.5, 1e10,
	};
	uint64_t r = rnd();

	if (edges && r % 8 == 0)
		return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
	if (is_int(dt))
		return (double)((int64_t)(r >> 20) % 200 - 100);
	return ((double)(r >> 11) / (double)(1ULL << 53) - 0.5) * 8;
}

/* --- tensors with a host mirror the reference executes on --------------- */

#define MAX_MIRRORS 16

struct mirror {
	nrt_tensor *t;		/* the allocated (contiguous) tensor */
	uint64_t va;
	size_t len;
	uint8_t *host;
};

static struct mirror mirrors[MAX_MIRRORS];
static unsigned int nmirrors;

static int resolve(void *ctx, uint64_t va, uint64_t len, bool write, void **host)
{
	unsigned int i;

	(void)ctx;
	(void)write;
	for (i = 0; i < nmirrors; i++) {
		struct mirror *m = &mirrors[i];

		if (va >= m->va && va - m->va <= m->len && len <= m->len - (va - m->va)) {
			*host = m->host + (va - m->va);
			return TRN_DMA_ERR_NONE;
		}
	}
	return TRN_DMA_ERR_UNMAPPED;
}

/*
 * A new tensor and its mirror, filled with test values (or a fixed pattern
 * for an output), the same bytes on the device and in the mirror.
 */
static nrt_tensor *mk(nrt_dtype dt, unsigned int rank, const uint32_t *shape,
		      bool output, bool edges)
{
	struct mirror *m;
	size_t i, n, es = nrt_dtype_size(dt);

	assert_true(nmirrors < MAX_MIRRORS);
	m = &mirrors[nmirrors];
	assert_int_equal(nrt_tensor_alloc(dev, dt, rank, shape, NRT_PLACEMENT_HBM, &m->t),
			 NRT_SUCCESS);
	n = nrt_tensor_elems(m->t);
	m->va = nrt_tensor_va(m->t);
	m->len = n * es;
	m->host = malloc(m->len);
	assert_non_null(m->host);
	for (i = 0; i < n; i++) {
		if (output)
			trn_store(dt, m->host + i * es, 0x5a);
		else
			trn_store(dt, m->host + i * es, test_value(dt, edges));
	}
	assert_int_equal(nrt_tensor_write(m->t, m->host, dt), NRT_SUCCESS);
	nmirrors++;
	return m->t;
}

static struct mirror *mirror_of(const nrt_tensor *t)
{
	unsigned int i;

	for (i = 0; i < nmirrors; i++) {
		if (nrt_tensor_buffer(mirrors[i].t) == nrt_tensor_buffer(t))
			return &mirrors[i];
	}
	fail_msg("tensor without a mirror");
	return NULL;
}

static void free_all(void)
{
	while (nmirrors) {
		struct mirror *m = &mirrors[--nmirrors];

		nrt_tensor_free(m->t);
		free(m->host);
	}
}

/* Bitwise equality, except that any NaN equals any NaN of the same type. */
static bool same_element(nrt_dtype dt, const uint8_t *a, const uint8_t *b)
{
	size_t es = nrt_dtype_size(dt);

	if (!memcmp(a, b, es))
		return true;
	return !is_int(dt) && isnan(trn_load(dt, a)) && isnan(trn_load(dt, b));
}

/*
 * Finalize @p (one step), run it on @core, run the reference on the
 * mirrors, and compare @out: exactly, or with relative tolerance @tol.
 */
static void run_and_compare(nrt_program *p, unsigned int core, nrt_tensor *out,
			    double tol, const char *what)
{
	struct mirror *m = mirror_of(out);
	nrt_dtype dt = nrt_tensor_dtype(m->t);
	size_t es = nrt_dtype_size(dt), i, n = m->len / es, bad = 0;
	const void *insn;
	uint8_t *got = malloc(m->len);
	size_t len;
	int err;

	assert_non_null(got);
	assert_int_equal(nrt_program_finalize(p), NRT_SUCCESS);
	if (nrt_program_run(p, core, NULL, NULL) != NRT_SUCCESS)
		fail_msg("%s: %s", what, nrt_last_error());
	assert_int_equal(nrt_program_encoded(p, &insn, &len), NRT_SUCCESS);
	assert_int_equal(len, TRN_INSN_SIZE);
	err = trn_ref_exec(insn, resolve, NULL);
	if (err)
		fail_msg("%s: the reference fails with %s", what, trn_ref_error_name(err));
	assert_int_equal(nrt_tensor_read(m->t, got, dt), NRT_SUCCESS);
	for (i = 0; i < n; i++) {
		const uint8_t *g = got + i * es, *r = m->host + i * es;
		bool ok;

		if (tol > 0) {
			double dg = trn_load(dt, g), dr = trn_load(dt, r);

			ok = (isnan(dg) && isnan(dr)) || dg == dr ||
			     fabs(dg - dr) <= tol * (1 + fabs(dr));
		} else {
			ok = same_element(dt, g, r);
		}
		if (!ok && bad++ < 5)
			print_message("# %s: element %zu: device %.9g, reference %.9g\n",
				      what, i, trn_load(dt, g), trn_load(dt, r));
	}
	free(got);
	if (bad)
		fail_msg("%s: %zu of %zu elements differ", what, bad, n);
}

static nrt_program *new_program(void)
{
	nrt_program *p;

	assert_int_equal(nrt_program_new(dev, &p), NRT_SUCCESS);
	return p;
}

/* --- element-wise instructions --------------------------------------- */

static void test_binary(void **state)
{
	static const uint32_t shape[3] = { 3, 5, 7 };
	char what[96];

	(void)state;
	for (size_t d = 0; d < NDTYPES; d++) {
		for (int op = NRT_BINARY_ADD; op <= NRT_BINARY_MIN; op++) {
			nrt_dtype dt = all_dtypes[d];
			nrt_tensor *a = mk(dt, 3, shape, false, true);
			nrt_tensor *b = mk(dt, 3, shape, false, true);
			nrt_tensor *out = mk(dt, 3, shape, true, false);
			nrt_program *p = new_program();

			snprintf(what, sizeof(what), "binary %d %s", op, nrt_dtype_name(dt));
			assert_int_equal(nrt_program_binary(p, op, out, a, b), NRT_SUCCESS);
			run_and_compare(p, 0, out, 0, what);
			nrt_program_free(p);
			free_all();
		}
	}
}

/* Broadcasting, a scalar operand, transposed and sliced views, in place. */
static void test_binary_views(void **state)
{
	nrt_tensor *a, *b, *out, *at, *bs, *os;
	nrt_program *p;

	(void)state;
	/* out[4,6] = a^T (a is [6,4]) * b[1,6] broadcast */
	a = mk(NRT_DTYPE_FP32, 2, (const uint32_t[]){ 6, 4 }, false, true);
	b = mk(NRT_DTYPE_BF16, 2, (const uint32_t[]){ 1, 6 }, false, true);
	out = mk(NRT_DTYPE_FP16, 2, (const uint32_t[]){ 4, 6 }, true, false);
	assert_int_equal(nrt_tensor_transpose(a, 0, 1, &at), NRT_SUCCESS);
	p = new_program();
	assert_int_equal(nrt_program_binary(p, NRT_BINARY_MUL, out, at, b), NRT_SUCCESS);
	run_and_compare(p, 1, out, 0, "binary mul, transposed and broadcast");
	nrt_program_free(p);
	nrt_tensor_free(at);
	free_all();

	/* A slice of a row, minus a scalar, into a slice of another tensor. */
	a = mk(NRT_DTYPE_FP32, 2, (const uint32_t[]){ 9, 11 }, false, true);
	out = mk(NRT_DTYPE_FP32, 2, (const uint32_t[]){ 9, 11 }, true, false);
	assert_int_equal(nrt_tensor_slice(a, 1, 3, 5, &bs), NRT_SUCCESS);
	assert_int_equal(nrt_tensor_slice(out, 1, 2, 5, &os), NRT_SUCCESS);
	p = new_program();
	assert_int_equal(nrt_program_binary_scalar(p, NRT_BINARY_SUB, os, bs, 0.375f),
			 NRT_SUCCESS);
	run_and_compare(p, 0, out, 0, "binary sub scalar, slices");
	nrt_program_free(p);
	nrt_tensor_free(bs);
	nrt_tensor_free(os);
	free_all();

	/* In place: a = a / b */
	a = mk(NRT_DTYPE_BF16, 3, (const uint32_t[]){ 2, 3, 17 }, false, true);
	b = mk(NRT_DTYPE_BF16, 3, (const uint32_t[]){ 2, 3, 17 }, false, true);
	p = new_program();
	assert_int_equal(nrt_program_binary(p, NRT_BINARY_DIV, a, a, b), NRT_SUCCESS);
	run_and_compare(p, 0, a, 0, "binary div in place");
	nrt_program_free(p);
	free_all();
}

static void test_activate(void **state)
{
	static const uint32_t shape[2] = { 13, 29 };
	char what[96];

	(void)state;
	for (size_t d = 0; d < NDTYPES; d++) {
		for (int fn = NRT_ACT_IDENTITY; fn <= NRT_ACT_ABS; fn++) {
			nrt_dtype dt = all_dtypes[d];
			nrt_tensor *a = mk(dt, 2, shape, false, true);
			nrt_tensor *out = mk(dt, 2, shape, true, false);
			nrt_program *p = new_program();

			snprintf(what, sizeof(what), "activate %d %s", fn, nrt_dtype_name(dt));
			assert_int_equal(nrt_program_activate(p, fn, out, a, 0.75f, -0.5f),
					 NRT_SUCCESS);
			run_and_compare(p, fn % 2, out, 0, what);
			nrt_program_free(p);
			free_all();
		}
	}
}

static void test_reduce(void **state)
{
	static const uint32_t shape[4] = { 2, 3, 5, 7 };
	static const nrt_dtype dts[] = { NRT_DTYPE_FP32, NRT_DTYPE_BF16, NRT_DTYPE_INT32,
					 NRT_DTYPE_FP8_E5M2 };
	char what[96];

	(void)state;
	for (size_t d = 0; d < sizeof(dts) / sizeof(dts[0]); d++) {
		for (int op = NRT_REDUCE_SUM; op <= NRT_REDUCE_MIN; op++) {
			for (unsigned int axis = 0; axis < 4; axis++) {
				uint32_t os[4] = { 2, 3, 5, 7 };
				nrt_tensor *a, *out;
				nrt_program *p = new_program();

				os[axis] = 1;
				a = mk(dts[d], 4, shape, false, d == 0);
				out = mk(NRT_DTYPE_FP32, 4, os, true, false);
				snprintf(what, sizeof(what), "reduce %d axis %u %s", op, axis,
					 nrt_dtype_name(dts[d]));
				assert_int_equal(nrt_program_reduce(p, op, out, a, axis, 0.5f),
						 NRT_SUCCESS);
				run_and_compare(p, 0, out, 0, what);
				nrt_program_free(p);
				free_all();
			}
		}
	}
}

static void test_transpose(void **state)
{
	static const uint32_t shape[4] = { 2, 3, 4, 5 };
	char what[96];

	(void)state;
	for (unsigned int d0 = 0; d0 < 4; d0++) {
		for (unsigned int d1 = d0 + 1; d1 < 4; d1++) {
			uint32_t os[4] = { 2, 3, 4, 5 };
			nrt_tensor *a, *out;
			nrt_program *p = new_program();

			os[d0] = shape[d1];
			os[d1] = shape[d0];
			a = mk(NRT_DTYPE_FP16, 4, shape, false, true);
			out = mk(d0 ? NRT_DTYPE_FP16 : NRT_DTYPE_FP32, 4, os, true, false);
			snprintf(what, sizeof(what), "transpose %u %u", d0, d1);
			assert_int_equal(nrt_program_transpose(p, out, a, d0, d1), NRT_SUCCESS);
			run_and_compare(p, 1, out, 0, what);
			nrt_program_free(p);
			free_all();
		}
	}
}

/* Every pair of types, with the edge values: rounding and saturation. */
static void test_cast(void **state)
{
	static const uint32_t shape[1] = { 257 };
	char what[96];

	(void)state;
	for (size_t s = 0; s < NDTYPES; s++) {
		for (size_t d = 0; d < NDTYPES; d++) {
			nrt_tensor *a = mk(all_dtypes[s], 1, shape, false, true);
			nrt_tensor *out = mk(all_dtypes[d], 1, shape, true, false);
			nrt_program *p = new_program();

			snprintf(what, sizeof(what), "cast %s to %s",
				 nrt_dtype_name(all_dtypes[s]), nrt_dtype_name(all_dtypes[d]));
			assert_int_equal(nrt_program_cast(p, out, a), NRT_SUCCESS);
			run_and_compare(p, 0, out, 0, what);
			nrt_program_free(p);
			free_all();
		}
	}
}

/* Saturation rules as documented, checked by value, not against the ref. */
static void test_cast_saturation(void **state)
{
	static const float in[] = { 480.0f, INFINITY, -INFINITY, 1e6f, NAN, 300.7f, -1e9f };
	uint8_t e4m3[7], e5m2[7], i8[7];
	nrt_tensor *a, *o1, *o2, *o3;
	nrt_program *p = new_program();
	uint32_t n = 7;

	(void)state;
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 1, &n, NRT_PLACEMENT_HBM, &a), 0);
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_FP8_E4M3, 1, &n, NRT_PLACEMENT_HBM, &o1), 0);
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_FP8_E5M2, 1, &n, NRT_PLACEMENT_HBM, &o2), 0);
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_INT8, 1, &n, NRT_PLACEMENT_HBM, &o3), 0);
	assert_int_equal(nrt_tensor_write(a, in, NRT_DTYPE_FP32), 0);
	assert_int_equal(nrt_program_cast(p, o1, a), 0);
	assert_int_equal(nrt_program_cast(p, o2, a), 0);
	assert_int_equal(nrt_program_cast(p, o3, a), 0);
	assert_int_equal(nrt_program_finalize(p), 0);
	assert_int_equal(nrt_program_run(p, 0, NULL, NULL), 0);
	assert_int_equal(nrt_tensor_read(o1, e4m3, NRT_DTYPE_FP8_E4M3), 0);
	assert_int_equal(nrt_tensor_read(o2, e5m2, NRT_DTYPE_FP8_E5M2), 0);
	assert_int_equal(nrt_tensor_read(o3, i8, NRT_DTYPE_INT8), 0);
	/* 480 and 1e6 saturate to 448 (0x7e); inf too; NaN is 0x7f. */
	assert_int_equal(e4m3[0], 0x7e);
	assert_int_equal(e4m3[1], 0x7e);
	assert_int_equal(e4m3[2], 0xfe);
	assert_int_equal(e4m3[3], 0x7e);
	assert_int_equal(e4m3[4] & 0x7f, 0x7f);
	assert_int_equal(e4m3[5], 0x79);	/* 300.7 rounds to 288 */
	/* e5m2 keeps infinities, saturates finite values to 57344 (0x7b). */
	assert_int_equal(e5m2[1], 0x7c);
	assert_int_equal(e5m2[2], 0xfc);
	assert_int_equal(e5m2[3], 0x7b);
	assert_int_equal(e5m2[6], 0xfb);
	/* int8: saturating, NaN to 0. */
	assert_int_equal((int8_t)i8[0], 127);
	assert_int_equal((int8_t)i8[2], -128);
	assert_int_equal(i8[4], 0);
	assert_int_equal((int8_t)i8[6], -128);
	nrt_program_free(p);
	nrt_tensor_free(a);
	nrt_tensor_free(o1);
	nrt_tensor_free(o2);
	nrt_tensor_free(o3);
}

static void test_copy(void **state)
{
	nrt_tensor *a, *out, *at;
	nrt_program *p = new_program();

	(void)state;
	a = mk(NRT_DTYPE_INT32, 2, (const uint32_t[]){ 37, 3 }, false, true);
	out = mk(NRT_DTYPE_INT32, 2, (const uint32_t[]){ 3, 37 }, true, false);
	assert_int_equal(nrt_tensor_transpose(a, 0, 1, &at), NRT_SUCCESS);
	assert_int_equal(nrt_program_copy(p, out, at), NRT_SUCCESS);
	run_and_compare(p, 1, out, 0, "copy of a transposed view");
	nrt_program_free(p);
	nrt_tensor_free(at);
	free_all();
}

/* --- matmul ------------------------------------------------------------ */

static void one_matmul(nrt_dtype in, nrt_dtype outdt, unsigned int b0, unsigned int b1,
		       unsigned int m, unsigned int k, unsigned int n, bool ta,
		       bool acc, float alpha, double tol)
{
	nrt_tensor *a, *b, *out, *av = NULL;
	nrt_program *p = new_program();
	char what[128];

	/*
	 * The device sums in another order than the reference: rounding
	 * errors of fp32 sums grow with K (observed 2e-5 at K = 200).
	 */
	if (tol > 0)
		tol = fmax(tol, 3e-7 * k);
	if (ta) {	/* a stored [.., K, M], used transposed */
		a = mk(in, 4, (const uint32_t[]){ b0, b1, k, m }, false, false);
		assert_int_equal(nrt_tensor_transpose(a, 2, 3, &av), NRT_SUCCESS);
	} else {
		a = mk(in, 4, (const uint32_t[]){ b0, b1, m, k }, false, false);
	}
	b = mk(in, 4, (const uint32_t[]){ b0, b1, k, n }, false, false);
	out = mk(outdt, 4, (const uint32_t[]){ b0, b1, m, n }, !acc, false);
	snprintf(what, sizeof(what), "matmul %s->%s [%u,%u,%u,%u]x[%u,%u] %s%s",
		 nrt_dtype_name(in), nrt_dtype_name(outdt), b0, b1, m, k, k, n,
		 ta ? "a^T " : "", acc ? "accumulate" : "");
	assert_int_equal(nrt_program_matmul(p, out, av ? av : a, b, alpha, acc), NRT_SUCCESS);
	run_and_compare(p, 1, out, tol, what);
	nrt_program_free(p);
	nrt_tensor_free(av);
	free_all();
}

static void test_matmul(void **state)
{
	(void)state;
	one_matmul(NRT_DTYPE_FP32, NRT_DTYPE_FP32, 1, 1, 7, 13, 5, false, false, 1.0f, 1e-5);
	one_matmul(NRT_DTYPE_FP32, NRT_DTYPE_FP32, 2, 3, 33, 65, 17, true, false, 0.5f, 1e-5);
	one_matmul(NRT_DTYPE_FP32, NRT_DTYPE_FP32, 1, 4, 64, 64, 64, false, true, -2.0f, 1e-5);
	one_matmul(NRT_DTYPE_BF16, NRT_DTYPE_BF16, 1, 2, 31, 128, 9, false, false, 1.0f, 1e-2);
	one_matmul(NRT_DTYPE_FP16, NRT_DTYPE_FP32, 1, 1, 16, 40, 24, true, false, 1.0f, 1e-5);
	one_matmul(NRT_DTYPE_INT8, NRT_DTYPE_INT32, 1, 1, 12, 300, 10, false, false, 1.0f, 0);
	one_matmul(NRT_DTYPE_FP8_E4M3, NRT_DTYPE_FP32, 1, 1, 8, 16, 8, false, false, 1.0f, 1e-5);
	one_matmul(NRT_DTYPE_FP32, NRT_DTYPE_FP32, 1, 1, 300, 200, 100, false, false, 1.0f, 1e-5);
}

/* --- malformed programs, through the raw uapi ---------------------------- */

struct raw {
	int fd;
	uint32_t handle;
	uint64_t va;
	uint8_t *map;
};

static void raw_open(struct raw *r)
{
	struct drm_trn_bo_create c = { .size = 4 * 4096, .placement = DRM_TRN_PLACEMENT_HBM };
	struct drm_trn_bo_info bi = { 0 };

	r->fd = nrt_device_fd(dev);
	assert_int_equal(drmIoctl(r->fd, DRM_IOCTL_TRN_BO_CREATE, &c), 0);
	r->handle = c.handle;
	r->va = c.va;
	bi.handle = c.handle;
	assert_int_equal(drmIoctl(r->fd, DRM_IOCTL_TRN_BO_INFO, &bi), 0);
	r->map = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, bi.mmap_offset);
	assert_true(r->map != MAP_FAILED);
	memset(r->map, 0, c.size);
}

static void raw_close(struct raw *r)
{
	struct drm_gem_close gc = { .handle = r->handle };

	munmap(r->map, 4 * 4096);
	assert_int_equal(drmIoctl(r->fd, DRM_IOCTL_GEM_CLOSE, &gc), 0);
}

/* Run the one-instruction program at page 0 on @core; status at page 3. */
static int raw_exec(struct raw *r, unsigned int core, uint32_t *err, uint64_t *addr)
{
	struct drm_trn_dma_desc d = {
		.opcode = DRM_TRN_DMA_OP_EXEC, .src = r->va, .len = TRN_INSN_SIZE,
		.dst = r->va + 3 * 4096,
	};
	uint64_t *rec = (uint64_t *)(r->map + 3 * 4096);
	struct sync_file_info fi;
	uint32_t handle;
	int sf = -1;

	memset(rec, 0xff, 32);
	assert_int_equal(drmSyncobjCreate(r->fd, 0, &handle), 0);
	{
		struct drm_trn_submit s = {
			.descs = (uintptr_t)&d, .desc_count = 1, .desc_size = sizeof(d),
			.queue = info.dma_queues + core, .out_sync = { .handle = handle },
		};
		assert_int_equal(drmIoctl(r->fd, DRM_IOCTL_TRN_SUBMIT, &s), 0);
	}
	assert_int_equal(drmSyncobjWait(r->fd, &handle, 1, INT64_MAX, 0, NULL), 0);
	/* The outcome: a sync_file's status, 1 for success or the error. */
	assert_int_equal(drmSyncobjExportSyncFile(r->fd, handle, &sf), 0);
	memset(&fi, 0, sizeof(fi));
	assert_int_equal(ioctl(sf, SYNC_IOC_FILE_INFO, &fi), 0);
	close(sf);
	drmSyncobjDestroy(r->fd, handle);
	*err = (uint32_t)rec[0];
	*addr = rec[1];
	/* One instruction: executed (count 1) or failed (index 0). */
	assert_int_equal(rec[0] >> 32, fi.status == 1 ? 1 : 0);
	return fi.status;
}

/*
 * Make sure the page after @r's buffer is unmapped: allocate one-page
 * objects until one lands there (each takes the smallest hole), then free
 * them all. False if the page is taken by another object.
 */
static bool unmapped_after(struct raw *r)
{
	uint32_t handles[64];
	unsigned int n = 0, i;
	bool found = false;

	while (n < 64 && !found) {
		struct drm_trn_bo_create c = { .size = 4096,
					       .placement = DRM_TRN_PLACEMENT_HBM };

		assert_int_equal(drmIoctl(r->fd, DRM_IOCTL_TRN_BO_CREATE, &c), 0);
		handles[n++] = c.handle;
		found = c.va == r->va + 4 * 4096;
	}
	for (i = 0; i < n; i++) {
		struct drm_gem_close gc = { .handle = handles[i] };

		assert_int_equal(drmIoctl(r->fd, DRM_IOCTL_GEM_CLOSE, &gc), 0);
	}
	return found;
}

static void put_operand(uint8_t *insn, int slot, uint64_t va, uint8_t dt,
			const uint32_t shape[4], const int32_t stride[4])
{
	uint8_t *o = insn + TRN_I_OPERAND(slot);

	memcpy(o + TRN_O_VA, &va, 8);
	o[TRN_O_DTYPE] = dt;
	memcpy(o + TRN_O_SHAPE(0), shape, 16);
	memcpy(o + TRN_O_STRIDE(0), stride, 16);
}

static void test_bad_programs(void **state)
{
	static const uint32_t shape[4] = { 1, 1, 4, 4 };
	static const int32_t stride[4] = { 16, 16, 4, 1 };
	struct raw r;
	uint8_t *insn;
	uint32_t err;
	uint64_t addr;
	uint64_t data;

	(void)state;
	raw_open(&r);
	insn = r.map;
	data = r.va + 4096;	/* fp32 4x4 tensors at pages 1 and 2 */

	/* A good CAST first. */
	insn[TRN_I_OPCODE] = TRN_OP_CAST;
	put_operand(insn, 0, data + 2048, TRN_DT_FP32, shape, stride);
	put_operand(insn, 1, data, TRN_DT_FP32, shape, stride);
	assert_int_equal(raw_exec(&r, 0, &err, &addr), 1);
	assert_int_equal(err, 0);

	/* Unknown opcode, reserved byte, bad dtype: BAD_INSN, -EINVAL. */
	insn[TRN_I_OPCODE] = 0x7f;
	assert_int_equal(raw_exec(&r, 0, &err, &addr), -EINVAL);
	assert_int_equal(err, TRN_DMA_ERR_BAD_INSN);
	assert_int_equal(addr, r.va);
	insn[TRN_I_OPCODE] = TRN_OP_CAST;
	insn[TRN_I_RSVD + 3] = 1;
	assert_int_equal(raw_exec(&r, 1, &err, &addr), -EINVAL);
	assert_int_equal(err, TRN_DMA_ERR_BAD_INSN);
	insn[TRN_I_RSVD + 3] = 0;
	insn[TRN_I_OPERAND(1) + TRN_O_DTYPE] = 0x33;
	assert_int_equal(raw_exec(&r, 0, &err, &addr), -EINVAL);
	assert_int_equal(err, TRN_DMA_ERR_BAD_INSN);
	insn[TRN_I_OPERAND(1) + TRN_O_DTYPE] = TRN_DT_FP32;

	/* Shapes that do not match: OPERAND. */
	insn[TRN_I_OPERAND(1) + TRN_O_SHAPE(3)] = 5;
	assert_int_equal(raw_exec(&r, 0, &err, &addr), -EINVAL);
	assert_int_equal(err, TRN_DMA_ERR_OPERAND);
	insn[TRN_I_OPERAND(1) + TRN_O_SHAPE(3)] = 4;

	/* Misaligned fp32 tensor: ALIGN. */
	put_operand(insn, 1, data + 2, TRN_DT_FP32, shape, stride);
	assert_int_equal(raw_exec(&r, 1, &err, &addr), -EINVAL);
	assert_int_equal(err, TRN_DMA_ERR_ALIGN);

	/* Operand outside the mapped range: UNMAPPED at its first element. */
	put_operand(insn, 1, info.va_end - 4096, TRN_DT_FP32, shape, stride);
	assert_int_equal(raw_exec(&r, 0, &err, &addr), -EFAULT);
	assert_int_equal(err, TRN_DMA_ERR_UNMAPPED);
	assert_int_equal(addr, info.va_end - 4096);

	/*
	 * A tensor that runs off the end of the buffer faults at the first
	 * element past it, if nothing is mapped there (an object allocated
	 * there and freed again makes sure of it).
	 */
	if (unmapped_after(&r)) {
		put_operand(insn, 1, r.va + 4 * 4096 - 32, TRN_DT_FP32, shape, stride);
		assert_int_equal(raw_exec(&r, 1, &err, &addr), -EFAULT);
		assert_int_equal(err, TRN_DMA_ERR_UNMAPPED);
		assert_int_equal(addr, r.va + 4 * 4096);
	} else {
		print_message("# no free address after the buffer: part skipped\n");
	}

	/* Both cores still work. */
	put_operand(insn, 1, data, TRN_DT_FP32, shape, stride);
	assert_int_equal(raw_exec(&r, 0, &err, &addr), 1);
	assert_int_equal(err, 0);
	assert_int_equal(raw_exec(&r, 1, &err, &addr), 1);
	assert_int_equal(err, 0);
	raw_close(&r);
}

/* --- semaphores, reuse -------------------------------------------------- */

/*
 * Core 0 waits for semaphore 3 (signalled by a DMA job that copies its
 * input), computes, signals 4; core 1 waits for 4 and computes on the
 * result. Submitted in the reverse order of execution.
 */
static void test_semaphores(void **state)
{
	uint32_t n = 4096;
	nrt_tensor *src, *a, *b, *c;
	nrt_program *p0 = new_program(), *p1 = new_program();
	nrt_fence *f0, *f1, *fd;
	nrt_dma_desc d[2];
	float in[4096], out[4096];

	(void)state;
	for (uint32_t i = 0; i < n; i++)
		in[i] = (float)i - 100;
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 1, &n, NRT_PLACEMENT_HOST, &src), 0);
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 1, &n, NRT_PLACEMENT_HBM, &a), 0);
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 1, &n, NRT_PLACEMENT_HBM, &b), 0);
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 1, &n, NRT_PLACEMENT_HBM, &c), 0);
	assert_int_equal(nrt_tensor_write(src, in, NRT_DTYPE_FP32), 0);

	assert_int_equal(nrt_program_sem_wait(p1, 4, 1), 0);
	assert_int_equal(nrt_program_binary_scalar(p1, NRT_BINARY_MUL, c, b, 2.0f), 0);
	assert_int_equal(nrt_program_finalize(p1), 0);
	assert_int_equal(nrt_program_sem_wait(p0, 3, 1), 0);
	assert_int_equal(nrt_program_activate(p0, NRT_ACT_RELU, b, a, 1.0f, 0.0f), 0);
	assert_int_equal(nrt_program_sem_signal(p0, 4, 1), 0);
	assert_int_equal(nrt_program_finalize(p0), 0);

	assert_int_equal(nrt_program_run(p1, 1, NULL, &f1), 0);
	assert_int_equal(nrt_program_run(p0, 0, NULL, &f0), 0);
	/* Both cores are blocked: nothing can have completed. */
	assert_int_equal(nrt_fence_poll(f1), NRT_TIMEOUT);
	d[0] = (nrt_dma_desc){ .opcode = NRT_DMA_OP_COPY, .src = nrt_tensor_va(src),
			       .dst = nrt_tensor_va(a), .len = n * 4 };
	d[1] = (nrt_dma_desc){ .opcode = NRT_DMA_OP_SEM_SIGNAL, .aux = 3, .len = 1 };
	assert_int_equal(nrt_submit_raw(dev, 2, d, 2, NULL, 0, &fd), 0);
	assert_int_equal(nrt_fence_wait(f1, 10000000000LL), 0);
	/*
	 * The others ran their last descriptor or instruction before core 1
	 * could finish, but each queue's job completes (its fence signals)
	 * on its own: wait for them too, not only poll.
	 */
	assert_int_equal(nrt_fence_wait(f0, 10000000000LL), 0);
	assert_int_equal(nrt_fence_wait(fd, 10000000000LL), 0);
	assert_int_equal(nrt_tensor_read(c, out, NRT_DTYPE_FP32), 0);
	for (uint32_t i = 0; i < n; i++)
		assert_true(out[i] == (in[i] > 0 ? 2 * in[i] : 0));
	nrt_fence_free(f0);
	nrt_fence_free(f1);
	nrt_fence_free(fd);
	nrt_program_free(p0);
	nrt_program_free(p1);
	nrt_tensor_free(src);
	nrt_tensor_free(a);
	nrt_tensor_free(b);
	nrt_tensor_free(c);
}

/* One program, many runs in flight on both cores. */
static void test_reuse(void **state)
{
	enum { RUNS = 64 };
	uint32_t shape[2] = { 32, 32 };
	nrt_tensor *a, *o;
	nrt_program *p = new_program();
	nrt_fence *f[RUNS];
	float in[32 * 32], out[32 * 32];

	(void)state;
	for (int i = 0; i < 32 * 32; i++)
		in[i] = (float)(i % 7) - 3;
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 2, shape, NRT_PLACEMENT_HBM, &a), 0);
	assert_int_equal(nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 2, shape, NRT_PLACEMENT_HBM, &o), 0);
	assert_int_equal(nrt_tensor_write(a, in, NRT_DTYPE_FP32), 0);
	assert_int_equal(nrt_program_activate(p, NRT_ACT_SQUARE, o, a, 1.0f, 1.0f), 0);
	assert_int_equal(nrt_program_finalize(p), 0);
	for (int i = 0; i < RUNS; i++)
		assert_int_equal(nrt_program_run(p, i % 2, NULL, &f[i]), 0);
	/* The program may go before its runs: they hold it. */
	nrt_program_free(p);
	for (int i = 0; i < RUNS; i++) {
		assert_int_equal(nrt_fence_wait(f[i], 10000000000LL), 0);
		nrt_fence_free(f[i]);
	}
	assert_int_equal(nrt_tensor_read(o, out, NRT_DTYPE_FP32), 0);
	for (int i = 0; i < 32 * 32; i++)
		assert_true(out[i] == (in[i] + 1) * (in[i] + 1));
	nrt_tensor_free(a);
	nrt_tensor_free(o);
}

static int setup(void **state)
{
	(void)state;
	if (nrt_device_open(0, &dev) != NRT_SUCCESS)
		return -1;
	info.struct_size = sizeof(info);
	if (nrt_device_get_info(dev, &info) != NRT_SUCCESS || info.core_queues < 2)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nrt_device_close(dev);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_binary_views),
		cmocka_unit_test(test_activate),
		cmocka_unit_test(test_reduce),
		cmocka_unit_test(test_transpose),
		cmocka_unit_test(test_cast),
		cmocka_unit_test(test_cast_saturation),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_matmul),
		cmocka_unit_test(test_bad_programs),
		cmocka_unit_test(test_semaphores),
		cmocka_unit_test(test_reuse),
	};

	return cmocka_run_group_tests_name("compute", tests, setup, teardown);
}
