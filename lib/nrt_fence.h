/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Fences (nrt_fence.c, with the pools of nrt_fence_pool.c): the completion
 * of jobs, and their outcome.
 *
 * The submitters of jobs (nrt_dma.c, and nrt_run.c through it) use only
 * what is declared here: they make a fence for the jobs they are about to
 * submit, give each job its fence's syncobj as out_sync, and may attach
 * nrt_fence_ops. The pools below (nrt_fence_pool.h) are the fence
 * module's too: a program run takes an EXEC status record there.
 */
#ifndef NRT_FENCE_H
#define NRT_FENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drm/trn_accel.h"
#include "nrt_device.h"

/* Outcome of a fence: 1 ok, 0 pending, <0 the first job error (-errno). */
#define NRT_FENCE_PENDING 0
#define NRT_FENCE_OK 1

struct nrt_fence;

/*
 * struct nrt_fence_ops - what the submitter of a fence's jobs adds to it
 * @failed: the jobs completed with an error and @st is its status, the
 *	generic detail message set ("job on queue 5 failed: ..."); may
 *	replace the message. Return: the status to report.
 * @completed: the jobs completed without error; the work they were part
 *	of may still have failed (a collective whose data did not arrive).
 *	@timeout_ns: what is left of the caller's wait (0: do not wait,
 *	negative: no limit) for learning more. Return: the status to report,
 *	its message set on failure.
 * @release: nrt_fence_free() is freeing the fence; @done: its jobs are
 *	known to be complete. Frees the context.
 */
struct nrt_fence_ops {
	nrt_status (*failed)(struct nrt_fence *f, nrt_status st);
	nrt_status (*completed)(struct nrt_fence *f, int64_t timeout_ns);
	void (*release)(struct nrt_fence *f, bool done);
};

/*
 * nrt_fence_new() - a fence of @count jobs on @queue with fresh syncobjs
 *
 * @count 0 gives a fence that is already signalled.
 */
NRT_HIDDEN nrt_status nrt_fence_new(struct nrt_device *dev, int queue,
				    unsigned int count, struct nrt_fence **out);

/* The number of jobs of @f, and the syncobj that job @job signals. */
NRT_HIDDEN unsigned int nrt_fence_jobs(const struct nrt_fence *f);
NRT_HIDDEN uint32_t nrt_fence_syncobj(const struct nrt_fence *f, unsigned int job);

/* Attach @ops with their context @ctx to @f (once, after nrt_fence_new()). */
NRT_HIDDEN void nrt_fence_set_ops(struct nrt_fence *f,
				  const struct nrt_fence_ops *ops, void *ctx);
NRT_HIDDEN const struct nrt_fence_ops *nrt_fence_ops_of(const struct nrt_fence *f);
NRT_HIDDEN void *nrt_fence_ctx(const struct nrt_fence *f);

/* The handle of @f, and the queue of its jobs (-1 for none). */
NRT_HIDDEN struct nrt_device *nrt_fence_device(const struct nrt_fence *f);
NRT_HIDDEN int nrt_fence_queue(const struct nrt_fence *f);

/* Whether the outcome of @f is still unknown (not yet waited for or done). */
NRT_HIDDEN bool nrt_fence_pending(const struct nrt_fence *f);

/*
 * nrt_fence_in_syncs() - the in-syncs of a job that waits for @wait
 * @syncs: receives up to @max in-syncs (the syncobjs of the fences whose
 *	outcome is not known yet); NULL with @max 0 to count them
 *
 * Return: the number of in-syncs written, or counted.
 */
NRT_HIDDEN size_t nrt_fence_in_syncs(struct nrt_fence *const *wait,
				     size_t wait_count,
				     struct drm_trn_sync *syncs, size_t max);

/* Wait, without a message, for the first @n jobs of @f. */
NRT_HIDDEN void nrt_fence_settle(struct nrt_fence *f, unsigned int n);

/*
 * nrt_fence_outcome() - the outcome of @f if known without waiting, with
 * no message: NRT_FENCE_OK, NRT_FENCE_PENDING, or the error of a failed
 * job (-errno); -errno of a failed query
 */
NRT_HIDDEN int nrt_fence_outcome(struct nrt_fence *f);

/*
 * nrt_fence_finish() - wait for @f forever without setting an error message
 *
 * Return: NRT_FENCE_OK, the job's error (-errno), or -errno of a failed
 * wait.
 */
NRT_HIDDEN int nrt_fence_finish(struct nrt_fence *f);

/*
 * nrt_fence_status() - the status of a fence outcome
 * @sync_status: NRT_FENCE_OK, NRT_FENCE_PENDING, or a job error (-errno)
 * @queue: the job's queue, for the message; -1 if unknown
 *
 * Return: NRT_SUCCESS for 1; otherwise a failure with its detail message:
 * NRT_TIMEOUT for 0 ("still running") and -ETIMEDOUT ("timed out on the
 * device"), NRT_HW_ERROR for -EFAULT ("device address fault") and other
 * errors, NRT_NO_DEVICE for -ENODEV.
 */
NRT_HIDDEN nrt_status nrt_fence_status(int sync_status, int queue);

/*
 * nrt_rec_release() - give back the EXEC status record (nrt_fence_pool.h)
 * of the one job of @f, from its nrt_fence_ops.release
 * @done: the job is known to be complete; otherwise the record goes back
 *	only once the job's syncobj has signalled
 */
NRT_HIDDEN void nrt_rec_release(struct nrt_fence *f, uint32_t rec, bool done);

#endif /* NRT_FENCE_H */
