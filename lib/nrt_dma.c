// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Copies, fills and raw jobs on the DMA queues of a device.
 *
 * An operation of len bytes becomes ceil(len / NRT_DMA_MAX_DESC_LEN)
 * descriptors, and those become jobs of at most max_descs descriptors, all
 * on one queue, so that they run in order. Only the first job waits for the
 * caller's fences: the later ones are ordered after it by the queue. The
 * fence of the operation holds one syncobj per job, so that the failure of
 * any job is seen, not only that of the last one.
 *
 * nrt_job_run() submits a job of caller-made descriptors the same way to any
 * queue the caller has checked, also that of a NeuronCore (nrt_run.c runs
 * programs with it: an EXEC descriptor).
 *
 * A queue is chosen round-robin from an atomic counter of the device when
 * the caller does not name one, interleaving the engines: queue q belongs to
 * engine q / (queues / engines), so consecutive jobs go to queues of
 * different engines and can run at the same time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <xf86drm.h>

#include "nrt_dma.h"

/* The public descriptor is passed to the kernel as it is. */
_Static_assert(sizeof(nrt_dma_desc) == sizeof(struct drm_trn_dma_desc),
	       "nrt_dma_desc size");
_Static_assert(offsetof(nrt_dma_desc, opcode) == offsetof(struct drm_trn_dma_desc, opcode) &&
	       offsetof(nrt_dma_desc, aux) == offsetof(struct drm_trn_dma_desc, aux) &&
	       offsetof(nrt_dma_desc, src) == offsetof(struct drm_trn_dma_desc, src) &&
	       offsetof(nrt_dma_desc, dst) == offsetof(struct drm_trn_dma_desc, dst) &&
	       offsetof(nrt_dma_desc, len) == offsetof(struct drm_trn_dma_desc, len),
	       "nrt_dma_desc layout");
_Static_assert(NRT_DMA_OP_NOP == DRM_TRN_DMA_OP_NOP &&
	       NRT_DMA_OP_COPY == DRM_TRN_DMA_OP_COPY &&
	       NRT_DMA_OP_FILL == DRM_TRN_DMA_OP_FILL &&
	       NRT_DMA_OP_WRITE == DRM_TRN_DMA_OP_WRITE &&
	       NRT_DMA_OP_SEM_SIGNAL == DRM_TRN_DMA_OP_SEM_SIGNAL &&
	       NRT_DMA_OP_SEM_WAIT == DRM_TRN_DMA_OP_SEM_WAIT,
	       "NRT_DMA_OP_* differ from DRM_TRN_DMA_OP_*");

/* The 0.2 nrt_copy_opts, the smallest struct_size accepted. */
#define NRT_COPY_OPTS_SIZE_0_2 \
	(offsetof(nrt_copy_opts, wait_count) + sizeof(size_t))

/* Descriptors and in-fences kept on the stack; more are allocated. */
#define NRT_STACK_DESCS 16
#define NRT_STACK_SYNCS 16

/* Most jobs one call submits. */
#define NRT_MAX_JOBS 4096

uint64_t nrt_dma_split_count(uint64_t len, uint64_t max_len)
{
	return len / max_len + (len % max_len != 0);
}

void nrt_dma_split(struct drm_trn_dma_desc *descs, uint64_t first,
		   unsigned int n, uint32_t opcode, uint64_t dst, uint64_t src,
		   uint64_t len, uint64_t max_len)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t pos = (first + i) * max_len;
		uint64_t chunk = len - pos < max_len ? len - pos : max_len;

		descs[i].opcode = opcode;
		descs[i].aux = 0;
		descs[i].src = opcode == DRM_TRN_DMA_OP_COPY ? src + pos : src;
		descs[i].dst = dst + pos;
		descs[i].len = chunk;
	}
}

uint64_t nrt_dma_job_count(uint64_t ndescs, uint32_t max_descs)
{
	return nrt_dma_split_count(ndescs, max_descs);
}

unsigned int nrt_dma_pick_queue(unsigned int n, unsigned int queues,
				unsigned int engines)
{
	unsigned int per_engine;

	if (engines < 2 || queues % engines)
		return n % queues;
	per_engine = queues / engines;
	n %= queues;
	return (n % engines) * per_engine + n / engines;
}

/* What to submit: a COPY or FILL to split, or caller-made descriptors. */
struct nrt_op {
	uint32_t opcode;
	uint64_t dst;
	uint64_t src;
	uint64_t len;
	const struct drm_trn_dma_desc *raw;
	unsigned int raw_count;
	const struct drm_trn_sync *syncs;       /* in-syncs besides fences */
	size_t nsyncs;
};

static nrt_status nrt_submit_status(int err)
{
	switch (err) {
	case EINVAL:
		return NRT_INVALID;
	case EBUSY:
	case ENOSPC:
	case EAGAIN:
		return NRT_QUEUE_FULL;
	case ENOTTY:
		return NRT_UNSUPPORTED;
	case ENOENT:
		return NRT_FAILURE;
	default:
		return nrt_status_from_errno(err);
	}
}

nrt_status nrt_check_wait(const struct nrt_device *dev, nrt_fence *const *wait,
			  size_t wait_count, const char *wname)
{
	size_t i;

	if (wait_count && !wait)
		return nrt_fail(NRT_INVALID, "%s is NULL but %s_count is %zu",
				wname, wname, wait_count);
	for (i = 0; i < wait_count; i++) {
		if (!wait[i])
			return nrt_fail(NRT_INVALID, "%s[%zu] is NULL", wname, i);
		if (nrt_fence_device(wait[i]) != dev)
			return nrt_fail(NRT_INVALID,
					"%s[%zu] is a fence of another device handle",
					wname, i);
	}
	return NRT_SUCCESS;
}

/*
 * Validate the common arguments: the queue (negative: any, or
 * 0..dma_queues-1) and the wait fences, which must belong to @dev.
 */
static nrt_status nrt_check_queue_wait(const struct nrt_device *dev, long queue,
				       nrt_fence *const *wait, size_t wait_count,
				       const char *wname)
{
	nrt_status st = nrt_device_need_dma(dev);

	if (st != NRT_SUCCESS)
		return st;
	if (queue >= (long)dev->kinfo.dma_queues)
		return nrt_fail(NRT_INVALID,
				"queue %ld out of range: %s has %u DMA queues",
				queue, dev->device_node, dev->kinfo.dma_queues);
	return nrt_check_wait(dev, wait, wait_count, wname);
}

/* How an operation becomes jobs (nrt_dma_plan()). */
struct nrt_plan {
	uint64_t ndescs;        /* descriptors of the operation */
	uint32_t per_job;       /* of them in a job (the last may have fewer) */
	unsigned int njobs;
	int queue;
};

/* A submission in progress (nrt_dma_submit()). */
struct nrt_submission {
	struct nrt_device *dev;
	const struct nrt_op *op;
	struct nrt_plan plan;
	struct drm_trn_dma_desc *descs; /* a job's descriptors, when built here */
	struct drm_trn_sync *syncs;     /* the first job's in-syncs */
	size_t nsyncs;
	struct nrt_fence *f;
	struct drm_trn_dma_desc stack_descs[NRT_STACK_DESCS];
	struct drm_trn_sync stack_syncs[NRT_STACK_SYNCS];
};

/*
 * The jobs of @op on @queue (negative: pick one round-robin).
 * Return: NRT_SUCCESS, or NRT_INVALID if the operation takes too many jobs.
 */
static nrt_status nrt_dma_plan(struct nrt_device *dev,
			       const struct nrt_op *op, int queue,
			       struct nrt_plan *plan)
{
	uint64_t njobs;

	plan->ndescs = op->raw ? op->raw_count :
		       nrt_dma_split_count(op->len, NRT_DMA_MAX_DESC_LEN);
	plan->per_job = dev->kinfo.max_descs;
	njobs = nrt_dma_job_count(plan->ndescs, plan->per_job);
	if (njobs > NRT_MAX_JOBS)
		return nrt_fail(NRT_INVALID,
				"%" PRIu64 " bytes would take %" PRIu64
				" jobs of at most %u descriptors",
				op->len, njobs, dev->kinfo.max_descs);
	plan->njobs = (unsigned int)njobs;
	if (queue < 0)
		queue = (int)nrt_dma_pick_queue(
			atomic_fetch_add_explicit(&dev->next_queue, 1,
						  memory_order_relaxed),
			dev->kinfo.dma_queues, dev->kinfo.dma_engines);
	plan->queue = queue;
	return NRT_SUCCESS;
}

/*
 * The in-syncs of the first job: the syncobjs of the fences @wait whose
 * outcome is not known yet (the others need no waiting), then the
 * operation's own (timeline points of other devices' fences).
 */
static nrt_status nrt_dma_in_syncs(struct nrt_submission *s,
				   nrt_fence *const *wait, size_t wait_count)
{
	size_t want = nrt_fence_in_syncs(wait, wait_count, NULL, 0);

	if (want + s->op->nsyncs > NRT_STACK_SYNCS) {
		s->syncs = calloc(want + s->op->nsyncs, sizeof(*s->syncs));
		if (!s->syncs)
			return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	s->nsyncs = nrt_fence_in_syncs(wait, wait_count, s->syncs, want);
	if (s->op->nsyncs)
		memcpy(s->syncs + s->nsyncs, s->op->syncs,
		       s->op->nsyncs * sizeof(*s->syncs));
	s->nsyncs += s->op->nsyncs;
	return NRT_SUCCESS;
}

/* Room for the descriptors of the biggest job of a COPY or FILL. */
static nrt_status nrt_dma_alloc_descs(struct nrt_submission *s)
{
	const struct nrt_plan *plan = &s->plan;
	uint64_t biggest;

	if (s->op->raw)
		return NRT_SUCCESS;
	biggest = plan->ndescs < plan->per_job ? plan->ndescs : plan->per_job;
	if (biggest > NRT_STACK_DESCS) {
		s->descs = calloc((size_t)biggest, sizeof(*s->descs));
		if (!s->descs)
			return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	return NRT_SUCCESS;
}

/*
 * The descriptors of the job that covers the operation's descriptors
 * @first .. @first + @n - 1.
 */
static const struct drm_trn_dma_desc *
nrt_dma_job_descs(struct nrt_submission *s, uint64_t first, unsigned int n)
{
	const struct nrt_op *op = s->op;

	if (op->raw)
		return op->raw;
	nrt_dma_split(s->descs, first, n, op->opcode, op->dst, op->src,
		      op->len, NRT_DMA_MAX_DESC_LEN);
	return s->descs;
}

/* Submit job @j (see nrt_dma_job_descs()). */
static nrt_status nrt_dma_submit_job(struct nrt_submission *s,
				     unsigned int j, uint64_t first, unsigned int n)
{
	struct drm_trn_submit sub;

	memset(&sub, 0, sizeof(sub));
	sub.descs = (uint64_t)(uintptr_t)nrt_dma_job_descs(s, first, n);
	sub.desc_count = n;
	sub.desc_size = sizeof(struct drm_trn_dma_desc);
	sub.queue = (uint32_t)s->plan.queue;
	if (j == 0 && s->nsyncs) {
		sub.in_syncs = (uint64_t)(uintptr_t)s->syncs;
		sub.in_sync_count = (uint32_t)s->nsyncs;
	}
	sub.out_sync.handle = nrt_fence_syncobj(s->f, j);
	if (drmIoctl(s->dev->fd, DRM_IOCTL_TRN_SUBMIT, &sub)) {
		int err = errno;

		return nrt_fail_errno(nrt_submit_status(err), err,
				      "submission of a job of %u descriptor%s to queue %d of %s",
				      n, n == 1 ? "" : "s", s->plan.queue,
				      s->dev->device_node);
	}
	return NRT_SUCCESS;
}

/* Submit every job; on a failure, wait for those submitted and free the fence. */
static nrt_status nrt_dma_submit_jobs(struct nrt_submission *s)
{
	const struct nrt_plan *plan = &s->plan;
	uint64_t done = 0;
	unsigned int j;
	nrt_status st;

	/* Stores through write-combined mappings land before the doorbell. */
	atomic_thread_fence(memory_order_seq_cst);
	for (j = 0; j < plan->njobs; j++) {
		uint64_t left = plan->ndescs - done;
		unsigned int n = left < plan->per_job ? (unsigned int)left : plan->per_job;

		st = nrt_dma_submit_job(s, j, done, n);
		if (st != NRT_SUCCESS) {
			/* Leave no job of a failed call running. */
			nrt_fence_settle(s->f, j);
			nrt_fence_free(s->f);
			s->f = NULL;
			return st;
		}
		done += n;
	}
	return NRT_SUCCESS;
}

/*
 * Submit @op on @queue (negative: pick one) after the fences @wait, as one
 * or more jobs, and return a fence of them all in *@out.
 */
static nrt_status nrt_dma_submit(struct nrt_device *dev,
				 int queue, const struct nrt_op *op,
				 nrt_fence *const *wait, size_t wait_count,
				 struct nrt_fence **out)
{
	struct nrt_submission s;
	nrt_status st;

	s.dev = dev;
	s.op = op;
	s.descs = s.stack_descs;
	s.syncs = s.stack_syncs;
	s.f = NULL;
	st = nrt_dma_plan(dev, op, queue, &s.plan);
	if (st == NRT_SUCCESS)
		st = nrt_dma_in_syncs(&s, wait, wait_count);
	if (st == NRT_SUCCESS)
		st = nrt_dma_alloc_descs(&s);
	if (st == NRT_SUCCESS)
		st = nrt_fence_new(dev, s.plan.queue, s.plan.njobs, &s.f);
	if (st == NRT_SUCCESS)
		st = nrt_dma_submit_jobs(&s);
	if (st == NRT_SUCCESS)
		*out = s.f;
	if (s.descs != s.stack_descs)
		free(s.descs);
	if (s.syncs != s.stack_syncs)
		free(s.syncs);
	return st;
}

/*
 * Submit, and for a synchronous call (@fence NULL) wait and clean up. The
 * fence gets @ops and @ctx (see nrt_job_run()) as soon as it exists.
 */
static nrt_status nrt_dma_run_ops(struct nrt_device *dev,
				  int queue, const struct nrt_op *op,
				  nrt_fence *const *wait, size_t wait_count,
				  const struct nrt_fence_ops *ops, void *ctx,
				  bool *consumed, nrt_fence **fence)
{
	struct nrt_fence *f;
	nrt_status st;

	st = nrt_dma_submit(dev, queue, op, wait, wait_count, &f);
	if (st != NRT_SUCCESS)
		return st;
	nrt_fence_set_ops(f, ops, ctx);
	if (consumed)
		*consumed = true;
	if (fence) {
		*fence = f;
		return NRT_SUCCESS;
	}
	st = nrt_fence_wait(f, -1);
	nrt_fence_free(f);
	return st;
}

static nrt_status nrt_dma_run(struct nrt_device *dev, int queue,
			      const struct nrt_op *op, nrt_fence *const *wait,
			      size_t wait_count, nrt_fence **fence)
{
	return nrt_dma_run_ops(dev, queue, op, wait, wait_count, NULL, NULL,
			       NULL, fence);
}

nrt_status nrt_job_run_syncs(struct nrt_device *dev, unsigned int queue,
			     const struct drm_trn_dma_desc *descs, unsigned int count,
			     nrt_fence *const *wait, size_t wait_count,
			     const struct drm_trn_sync *syncs, size_t nsyncs,
			     const struct nrt_fence_ops *ops, void *ctx,
			     bool *consumed, nrt_fence **fence)
{
	struct nrt_op op;

	*consumed = false;
	memset(&op, 0, sizeof(op));
	op.raw = descs;
	op.raw_count = count;
	op.syncs = syncs;
	op.nsyncs = nsyncs;
	return nrt_dma_run_ops(dev, (int)queue, &op, wait, wait_count, ops,
			       ctx, consumed, fence);
}

nrt_status nrt_job_run(struct nrt_device *dev,
		       unsigned int queue, const struct drm_trn_dma_desc *descs,
		       unsigned int count, nrt_fence *const *wait,
		       size_t wait_count, const struct nrt_fence_ops *ops,
		       void *ctx, bool *consumed, nrt_fence **fence)
{
	return nrt_job_run_syncs(dev, queue, descs, count, wait, wait_count, NULL, 0,
				 ops, ctx, consumed, fence);
}

/* Options of nrt_copy()/nrt_fill(), with the defaults for NULL. */
static nrt_status nrt_copy_opts_get(const struct nrt_device *dev,
				    const nrt_copy_opts *opts, int *queue,
				    nrt_fence *const **wait, size_t *wait_count)
{
	*queue = -1;
	*wait = NULL;
	*wait_count = 0;
	if (opts) {
		if (opts->struct_size < NRT_COPY_OPTS_SIZE_0_2)
			return nrt_fail(NRT_INVALID,
					"opts->struct_size is %u, at least %zu needed",
					opts->struct_size, NRT_COPY_OPTS_SIZE_0_2);
		*queue = opts->queue;
		*wait = opts->wait;
		*wait_count = opts->wait_count;
	}
	return nrt_check_queue_wait(dev, *queue, *wait, *wait_count,
				    "opts->wait");
}

/* A fence for an operation without a job, if the caller wants one. */
static nrt_status nrt_no_job(struct nrt_device *dev, nrt_fence **fence)
{
	return fence ? nrt_fence_new(dev, -1, 0, fence) : NRT_SUCCESS;
}

/* nrt_copy() after the NULL checks; messages without its name. */
static nrt_status nrt_copy_checked(struct nrt_buffer *dst, size_t dst_off,
				   const struct nrt_buffer *src, size_t src_off,
				   size_t len, const nrt_copy_opts *opts,
				   nrt_fence **fence)
{
	nrt_fence *const *wait;
	size_t wait_count;
	struct nrt_op op;
	int queue;
	nrt_status st;

	if (dst->dev != src->dev)
		return nrt_fail(NRT_INVALID,
				"dst and src are buffers of different device handles");
	st = nrt_range_check("dst", dst->size, dst_off, len);
	if (st != NRT_SUCCESS)
		return st;
	st = nrt_range_check("src", src->size, src_off, len);
	if (st != NRT_SUCCESS)
		return st;
	if (dst == src && len && dst_off < src_off + len && src_off < dst_off + len)
		return nrt_fail(NRT_INVALID,
				"dst range at offset %zu and src range at offset %zu of the same buffer overlap (%zu bytes)",
				dst_off, src_off, len);
	st = nrt_copy_opts_get(dst->dev, opts, &queue, &wait, &wait_count);
	if (st != NRT_SUCCESS)
		return st;
	if (!len)
		return nrt_no_job(dst->dev, fence);

	memset(&op, 0, sizeof(op));
	op.opcode = DRM_TRN_DMA_OP_COPY;
	op.dst = dst->va + dst_off;
	op.src = src->va + src_off;
	op.len = len;
	return nrt_dma_run(dst->dev, queue, &op, wait, wait_count, fence);
}

NRT_API nrt_status nrt_copy(nrt_buffer *dst, size_t dst_off,
			    const nrt_buffer *src, size_t src_off, size_t len,
			    const nrt_copy_opts *opts, nrt_fence **fence)
{
	NRT_API_SCOPE();
	if (!dst)
		return nrt_fail(NRT_INVALID, "nrt_copy: dst is NULL");
	if (!src)
		return nrt_fail(NRT_INVALID, "nrt_copy: src is NULL");
	return nrt_fail_prefix(nrt_copy_checked(dst, dst_off, src, src_off, len,
						opts, fence), "nrt_copy");
}

static nrt_status nrt_fill_checked(struct nrt_buffer *dst, size_t off, size_t len,
				   uint8_t byte, const nrt_copy_opts *opts,
				   nrt_fence **fence)
{
	nrt_fence *const *wait;
	size_t wait_count;
	struct nrt_op op;
	int queue;
	nrt_status st;

	st = nrt_range_check("dst", dst->size, off, len);
	if (st != NRT_SUCCESS)
		return st;
	st = nrt_copy_opts_get(dst->dev, opts, &queue, &wait, &wait_count);
	if (st != NRT_SUCCESS)
		return st;
	if (!len)
		return nrt_no_job(dst->dev, fence);

	memset(&op, 0, sizeof(op));
	op.opcode = DRM_TRN_DMA_OP_FILL;
	op.dst = dst->va + off;
	op.src = UINT64_C(0x0101010101010101) * byte;
	op.len = len;
	return nrt_dma_run(dst->dev, queue, &op, wait, wait_count, fence);
}

NRT_API nrt_status nrt_fill(nrt_buffer *dst, size_t off, size_t len,
			    uint8_t byte, const nrt_copy_opts *opts,
			    nrt_fence **fence)
{
	NRT_API_SCOPE();
	if (!dst)
		return nrt_fail(NRT_INVALID, "nrt_fill: dst is NULL");
	return nrt_fail_prefix(nrt_fill_checked(dst, off, len, byte, opts, fence),
			       "nrt_fill");
}

static nrt_status nrt_submit_checked(struct nrt_device *dev, unsigned int queue,
				     const nrt_dma_desc *descs, unsigned int count,
				     nrt_fence *const *wait, size_t wait_count,
				     nrt_fence **fence)
{
	struct nrt_op op;
	nrt_status st;

	if (!count)
		return nrt_fail(NRT_INVALID, "count is 0");
	if (queue > (unsigned int)INT32_MAX)
		return nrt_fail(NRT_INVALID,
				"queue %u out of range: %s has %u DMA queues",
				queue, dev->device_node, dev->kinfo.dma_queues);
	st = nrt_check_queue_wait(dev, (long)queue, wait, wait_count, "wait");
	if (st != NRT_SUCCESS)
		return st;
	if (count > dev->kinfo.max_descs)
		return nrt_fail(NRT_INVALID,
				"count %u exceeds the limit of %s of %u descriptors per job",
				count, dev->device_node, dev->kinfo.max_descs);

	memset(&op, 0, sizeof(op));
	op.raw = (const struct drm_trn_dma_desc *)(const void *)descs;
	op.raw_count = count;
	return nrt_dma_run(dev, (int)queue, &op, wait, wait_count, fence);
}

NRT_API nrt_status nrt_submit_raw(nrt_device *dev, unsigned int queue,
				  const nrt_dma_desc *descs, unsigned int count,
				  nrt_fence *const *wait, size_t wait_count,
				  nrt_fence **fence)
{
	NRT_API_SCOPE();
	if (!dev)
		return nrt_fail(NRT_INVALID, "nrt_submit_raw: dev is NULL");
	if (!descs)
		return nrt_fail(NRT_INVALID, "nrt_submit_raw: descs is NULL");
	return nrt_fail_prefix(nrt_submit_checked(dev, queue, descs, count, wait,
						  wait_count, fence),
			       "nrt_submit_raw");
}

nrt_status nrt_dma_copy_async(struct nrt_buffer *dst, size_t dst_off,
			      struct nrt_buffer *src, size_t src_off, size_t len,
			      struct nrt_fence **fence)
{
	struct nrt_op op;

	memset(&op, 0, sizeof(op));
	op.opcode = DRM_TRN_DMA_OP_COPY;
	op.dst = dst->va + dst_off;
	op.src = src->va + src_off;
	op.len = len;
	return nrt_dma_run(dst->dev, -1, &op, NULL, 0, fence);
}
