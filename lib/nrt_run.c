// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Runs of programs: nrt_program_run() and nrt_program_run_result().
 *
 * A run is one job of one EXEC descriptor on the queue of its core
 * (dma_queues + core_map[core]). The EXEC descriptor points at a status
 * record owned by the run (nrt_rec_get(): per device handle, in HOST
 * memory, so that concurrent runs each have their own). The record is
 * filled with a sentinel before submission. The run's fence
 * carries nrt_run_ops: when the job fails, the fence's error message is
 * rewritten from the record to name the failing step (its index, kind and
 * the hardware error); when the fence is freed, the record goes back
 * (nrt_rec_release()) and the run's reference to the program is dropped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_dma.h"
#include "nrt_fence.h"
#include "nrt_fence_pool.h"
#include "nrt_program.h"

#include "trn_errors.h"
#include "trn_regs.h"

_Static_assert(NRT_REC_SIZE == TRN_EXEC_ST_SIZE, "status record size");
_Static_assert(DRM_TRN_DMA_OP_EXEC == TRN_DMA_OP_EXEC, "EXEC opcode");

/* The error field of a record before the device has written it. */
#define NRT_REC_UNWRITTEN UINT32_MAX

/* The 0.3 nrt_run_opts, the smallest struct_size accepted. */
#define NRT_RUN_OPTS_SIZE_0_3 \
	(offsetof(nrt_run_opts, wait_count) + sizeof(size_t))

/* What a run keeps until its fence is freed (nrt_fence.ctx). */
struct nrt_run {
	struct nrt_program *prog;       /* holds a reference */
	unsigned int core;
	uint32_t rec;                   /* status record */
};

/* --- runs -------------------------------------------------------------- */

/* What the status record says: the fields of nrt_run_result. */
static void nrt_rec_read(const struct nrt_device *dev, uint32_t rec,
			 nrt_run_result *r)
{
	unsigned char b[TRN_EXEC_ST_SIZE];

	/* The device wrote it before the job's fence signalled. */
	atomic_thread_fence(memory_order_acquire);
	memcpy(b, nrt_rec_ptr(dev, rec), sizeof(b));
	r->error = nrt_get32(b + TRN_EXEC_ST_ERROR);
	r->step = nrt_get32(b + TRN_EXEC_ST_INSN);
	r->addr = nrt_get64(b + TRN_EXEC_ST_ADDR);
	r->ns = nrt_get64(b + TRN_EXEC_ST_NS);
}

static const char *nrt_hw_error_name(uint32_t err)
{
	const char *name = trn_dma_err_name(err);

	return name ? name : "unknown error";
}

/* What went wrong, e.g. "operand outside the mapped address space at 0x1000". */
static void nrt_hw_error_text(char *buf, size_t size, const nrt_run_result *r)
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
static nrt_status nrt_run_failed(struct nrt_fence *f, nrt_status st)
{
	const struct nrt_run *run = nrt_fence_ctx(f);
	const struct nrt_program *p = run->prog;
	nrt_run_result r;
	char text[160];

	nrt_rec_read(p->dev, run->rec, &r);
	if (r.error == NRT_REC_UNWRITTEN || r.error == TRN_DMA_ERR_NONE)
		/* Stopped before the program ended: the job's error is all. */
		return nrt_fail_prefix(st, "program run on core %u", run->core);
	nrt_hw_error_text(text, sizeof(text), &r);
	if (r.step >= p->n)
		return nrt_fail(st, "program run on core %u: %s (%s)", run->core,
				text, nrt_hw_error_name(r.error));
	return nrt_fail(st, "program step %" PRIu32 " (%s): %s (core %u, %s)", r.step,
			nrt_insn_name(p->insns + (size_t)r.step * TRN_INSN_SIZE), text,
			run->core, nrt_hw_error_name(r.error));
}

/* nrt_fence_ops.release of a run: give back the record and the program. */
static void nrt_run_release(struct nrt_fence *f, bool done)
{
	struct nrt_run *run = nrt_fence_ctx(f);

	nrt_rec_release(f, run->rec, done);
	nrt_program_unref(run->prog);
	free(run);
}

static const struct nrt_fence_ops nrt_run_ops = {
	.failed = nrt_run_failed,
	.release = nrt_run_release,
};

/* The arguments of nrt_program_run() after @p: its core and wait fences. */
static nrt_status nrt_run_args(const struct nrt_program *p, unsigned int core,
			       const nrt_run_opts *opts, nrt_fence *const **wait,
			       size_t *wait_count)
{
	const struct nrt_device *dev = p->dev;

	*wait = NULL;
	*wait_count = 0;
	if (!atomic_load_explicit(&p->finalized, memory_order_acquire))
		return nrt_fail(NRT_INVALID,
				"the program is not finalized (nrt_program_finalize())");
	if (nrt_device_need_dma(dev) != NRT_SUCCESS)
		return NRT_UNSUPPORTED;
	if (!dev->kinfo.core_queues)
		return nrt_fail(NRT_UNSUPPORTED,
				"the kernel driver of %s offers no NeuronCore queues",
				dev->device_node);
	if (core >= dev->ncores)
		return nrt_fail(NRT_INVALID,
				"core %u out of range: %s has %u NeuronCore queues%s",
				core, dev->device_node, dev->ncores,
				dev->cores_selected ? " in NRT_VISIBLE_CORES" : "");
	if (opts) {
		if (opts->struct_size < NRT_RUN_OPTS_SIZE_0_3)
			return nrt_fail(NRT_INVALID,
					"opts->struct_size is %u, at least %zu needed",
					opts->struct_size, NRT_RUN_OPTS_SIZE_0_3);
		*wait = opts->wait;
		*wait_count = opts->wait_count;
	}
	return nrt_check_wait(dev, *wait, *wait_count, "opts->wait");
}

/* Submit the EXEC job of a run of @p on @core, with a status record. */
static nrt_status nrt_run_submit(struct nrt_program *p, unsigned int core,
				 nrt_fence *const *wait, size_t wait_count,
				 nrt_fence **fence)
{
	struct nrt_device *dev = p->dev;
	struct drm_trn_dma_desc desc;
	unsigned char *rec;
	struct nrt_run *run;
	bool consumed = false;
	nrt_status st;

	run = malloc(sizeof(*run));
	if (!run)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	st = nrt_rec_get(dev, &run->rec);
	if (st != NRT_SUCCESS) {
		free(run);
		return st;
	}
	run->core = core;
	run->prog = p;
	nrt_program_ref(p);

	/* Not written yet; submission makes these stores visible. */
	rec = nrt_rec_ptr(dev, run->rec);
	memset(rec, 0, TRN_EXEC_ST_SIZE);
	nrt_put32(rec + TRN_EXEC_ST_ERROR, NRT_REC_UNWRITTEN);

	memset(&desc, 0, sizeof(desc));
	desc.opcode = DRM_TRN_DMA_OP_EXEC;
	desc.src = p->code->va;
	desc.dst = nrt_rec_va(dev, run->rec);
	desc.len = (uint64_t)p->n * TRN_INSN_SIZE;
	st = nrt_job_run(dev, dev->kinfo.dma_queues + dev->core_map[core], &desc, 1, wait,
			 wait_count, &nrt_run_ops, run, &consumed, fence);
	if (!consumed) {
		nrt_rec_put(dev, run->rec);
		nrt_program_unref(p);
		free(run);
	}
	return st;
}

NRT_API nrt_status nrt_program_run(nrt_program *p, unsigned int core,
				   const nrt_run_opts *opts, nrt_fence **fence)
{
	NRT_API_SCOPE();
	nrt_fence *const *wait;
	size_t wait_count;
	nrt_status st;

	if (!p)
		return nrt_fail(NRT_INVALID, "nrt_program_run: p is NULL");
	st = nrt_run_args(p, core, opts, &wait, &wait_count);
	if (st == NRT_SUCCESS)
		st = nrt_run_submit(p, core, wait, wait_count, fence);
	return nrt_fail_prefix(st, "nrt_program_run");
}

NRT_API nrt_status nrt_program_run_result(nrt_fence *f, nrt_run_result *res)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_program_run_result";
	struct nrt_error_saved saved;
	const struct nrt_run *run;
	nrt_run_result r;
	nrt_status st;

	if (!f)
		return nrt_fail(NRT_INVALID, "%s: fence is NULL", fn);
	if (!res)
		return nrt_fail(NRT_INVALID, "%s: res is NULL", fn);
	if (nrt_fence_ops_of(f) != &nrt_run_ops)
		return nrt_fail(NRT_INVALID, "%s: the fence is not of a program run",
				fn);
	run = nrt_fence_ctx(f);

	/* Whether the run is done; its own failure is not this call's. */
	nrt_error_save(&saved);
	st = nrt_fence_poll(f);
	if (nrt_fence_pending(f))
		return nrt_fail_prefix(st, "%s", fn);
	nrt_error_restore(&saved);

	nrt_rec_read(run->prog->dev, run->rec, &r);
	if (r.error == NRT_REC_UNWRITTEN)
		return nrt_fail(NRT_FAILURE,
				"%s: the run on core %u left no status record: the job was stopped before the program ended",
				fn, run->core);
	*res = r;
	return NRT_SUCCESS;
}
