// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of runs of libnrt programs (nrt_run.c), against the fake
 * kernel of fake_kernel.c, which runs the programs of EXEC jobs with the
 * reference executor (tests/common/trn_ref.c): the EXEC descriptor the fake
 * saw, the results the reference computed, the messages that name a
 * failing step, and the lifetimes of programs, fences and status records.
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
	assert_int_equal(s->count, 1);   /* one EXEC */
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
	/* Both outcomes came with a wait: no sync_file round trip. */
	assert_no_status_query(0, 0);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, NRT_REC_PER_BUF);
	mlp_free(&m);
}

/* NRT_VISIBLE_CORES=1: core 0 of the handle is the device's core 1. */
static void test_run_visible_cores(void **state)
{
	struct env *e = *state;
	nrt_device_info info = { .struct_size = sizeof(info) };
	nrt_device *all = e->dev;
	struct mlp m;

	assert_int_equal(setenv("NRT_VISIBLE_CORES", "1", 1), 0);
	e->dev = open_ok(0);
	unsetenv("NRT_VISIBLE_CORES");
	assert_status(nrt_device_get_info(e->dev, &info), NRT_SUCCESS);
	assert_int_equal(info.num_cores, 1);
	assert_int_equal(info.core_queues, 1);
	mlp_build(e, &m);
	assert_status(nrt_program_run(m.p, 0, NULL, NULL), NRT_SUCCESS);
	assert_int_equal(fake_last(0)->queue, 5);
	mlp_check(&m);
	assert_status(nrt_program_run(m.p, 1, NULL, NULL), NRT_INVALID);
	assert_error_contains("1 NeuronCore queues in NRT_VISIBLE_CORES");
	mlp_free(&m);
	nrt_device_close(e->dev);
	e->dev = all;
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
	assert_int_equal(fake_last(0)->in[0], nrt_fence_syncobj(copy, 0));
	assert_status(nrt_fence_wait(f, -1), NRT_SUCCESS);

	/* Results are for program runs only. */
	assert_status(nrt_program_run_result(copy, &res), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_program_run_result: the fence is not of a program run");
	assert_status(nrt_program_run_result(NULL, &res), NRT_INVALID);
	assert_status(nrt_program_run_result(f, NULL), NRT_INVALID);
	nrt_fence_free(f);
	fake_complete(nrt_fence_syncobj(copy, 0), 1);
	nrt_fence_free(copy);

	/* A pending run has no result yet. */
	fake.defer = true;
	assert_status(nrt_program_run(p, 0, NULL, &f), NRT_SUCCESS);
	assert_status(nrt_program_run_result(f, &res), NRT_TIMEOUT);
	assert_string_equal(nrt_last_error(),
			    "nrt_program_run_result: job on queue 4 still running");
	fake_complete(nrt_fence_syncobj(f, 0), 1);
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

	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, NRT_REC_PER_BUF);
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
	/* a, b, out, the code and the records' buffer */
	assert_int_equal(fake.live_bos, 5);
	assert_status(nrt_fence_wait(f, -1), NRT_HW_ERROR);
	assert_string_equal(nrt_last_error(),
			    "program step 0 (binary mul): write to read-only memory at 0x1234 (core 1, TRN_DMA_ERR_READONLY)");
	nrt_fence_free(f);
	assert_int_equal(fake.live_bos, 2);       /* out, records */
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
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, NRT_REC_PER_BUF - 3);

	/* A fence freed while its job runs: the record waits with the
	 * job's syncobj, which the fence no longer gives back. */
	live = fake.live_syncobjs;
	nrt_fence_free(f[0]);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_pending, 1);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, NRT_REC_PER_BUF - 3);
	assert_int_equal(fake.live_syncobjs, live);
	/* A finished one goes straight back. */
	fake_complete(nrt_fence_syncobj(f[1], 0), 1);
	assert_status(nrt_fence_wait(f[1], -1), NRT_SUCCESS);
	nrt_fence_free(f[1]);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, NRT_REC_PER_BUF - 2);
	fake_complete_all();
	nrt_fence_free(f[2]);          /* state unknown: pending too */
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_pending, 2);

	/* Use up the free records; then the pending ones, done by now, return. */
	for (i = 0; i < NRT_REC_PER_BUF - 2; i++)
		assert_status(nrt_program_run(p, 0, NULL, &f[i]), NRT_SUCCESS);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, 0);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_pending, 2);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_bufs, 1);
	assert_status(nrt_program_run(p, 0, NULL, &f[i]), NRT_SUCCESS);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_pending, 0);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, 1);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_bufs, 1);
	assert_status(nrt_program_run(p, 0, NULL, &f[++i]), NRT_SUCCESS);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_bufs, 1);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, 0);
	/* Now all in use: another buffer of records. */
	{
		nrt_fence *g = NULL;

		assert_status(nrt_program_run(p, 0, NULL, &g), NRT_SUCCESS);
		assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_bufs, 2);
		assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, NRT_REC_PER_BUF - 1);
		/* Left running: freed with the device handle. */
		nrt_fence_free(g);
	}
	fake_complete_all();
	for (i = 0; i < NRT_REC_PER_BUF; i++) {
		assert_status(nrt_fence_wait(f[i], -1), NRT_SUCCESS);
		nrt_fence_free(f[i]);
	}
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, 2 * NRT_REC_PER_BUF - 1);
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_pending, 1);
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
	assert_int_equal(nrt_fence_pool_of(e->dev)->n_rec_free, NRT_REC_PER_BUF);
	mlp_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_visible_cores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_no_cores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_lifetimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_threads, setup, teardown),
	};
	int ret;

	ret = cmocka_run_group_tests_name("nrt_run", tests, NULL, NULL);
	fake_reset();
	pthread_mutex_destroy(&fake.lock);
	return ret;
}
