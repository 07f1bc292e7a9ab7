/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Fences (nrt_fence.c, with the pools of nrt_fence_pool.c): the completion
 * of jobs, and how their outcome is learnt.
 *
 * The submitters of jobs (nrt_dma.c, and nrt_program.c through it) use
 * only what is declared here: they make a fence for the jobs they are
 * about to submit, give each job its fence's syncobj and, when it has one,
 * its completion marker descriptor, and may attach nrt_fence_ops; a
 * program run also takes an EXEC status record. How an outcome is learnt
 * (markers read from host memory, sync_file queries, the pools of slots,
 * syncobjs and records) stays behind this interface, so that a kernel that
 * reports the status of a job directly can replace it without touching the
 * submitters.
 */
#ifndef NRT_FENCE_H
#define NRT_FENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drm/trn_accel.h"
#include "nrt_device.h"

/* Outcome of a fence as a sync_file status: 1 ok, 0 pending, <0 -errno. */
#define NRT_FENCE_PENDING 0
#define NRT_FENCE_OK 1

/* No marker slot (struct nrt_fence), or no record. */
#define NRT_NO_SLOT UINT32_MAX

/* Bytes of an EXEC status record. */
#define NRT_REC_SIZE 32u

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
 * nrt_fence_marks_ready() - whether jobs of @dev can carry completion
 * markers
 *
 * Sets up the status buffer on the first call. When that fails, markers
 * stay off for the life of the handle (jobs then take the sync_file path);
 * the calling thread's error detail is left as it was.
 */
NRT_HIDDEN bool nrt_fence_marks_ready(struct nrt_device *dev);

/*
 * nrt_fence_new() - a fence of @count jobs on @queue with fresh syncobjs
 * @marks: give the jobs marker slots (nrt_fence_marks_ready() must have
 *	returned true); jobs get none when the slots run out
 *
 * @count 0 gives a fence that is already signalled.
 */
NRT_HIDDEN nrt_status nrt_fence_new(struct nrt_device *dev, int queue,
				    unsigned int count, bool marks,
				    struct nrt_fence **out);

/* The number of jobs of @f, and the syncobj that job @job signals. */
NRT_HIDDEN unsigned int nrt_fence_jobs(const struct nrt_fence *f);
NRT_HIDDEN uint32_t nrt_fence_syncobj(const struct nrt_fence *f, unsigned int job);

/*
 * nrt_fence_mark_desc() - the completion marker of job @job of @f
 * @d: receives the WRITE descriptor that goes last in the job
 *
 * Return: false (and @d untouched) if the job has no marker slot.
 */
NRT_HIDDEN bool nrt_fence_mark_desc(const struct nrt_fence *f, unsigned int job,
				    struct drm_trn_dma_desc *d);

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
 * nrt_fence_status() - status of a job from its sync_file status
 * @sync_status: 1 signalled, 0 active, <0 the fence error (-errno)
 * @queue: the job's queue, for the message; -1 if unknown
 *
 * Return: NRT_SUCCESS for 1; otherwise a failure with its detail message:
 * NRT_TIMEOUT for 0 ("still running") and -ETIMEDOUT ("timed out on the
 * device"), NRT_HW_ERROR for -EFAULT ("device address fault") and other
 * errors, NRT_NO_DEVICE for -ENODEV.
 */
NRT_HIDDEN nrt_status nrt_fence_status(int sync_status, int queue);

/*
 * EXEC status records (nrt_fence_pool.c). A program run takes a record
 * before it submits its job, points the EXEC descriptor at its device
 * address (nrt_rec_va()) and reads it through its CPU mapping
 * (nrt_rec_ptr()) once the job is done.
 */

/*
 * nrt_rec_get() - take a record of @dev
 * @rec: receives the record number
 *
 * Return: NRT_SUCCESS; NRT_RESOURCE when every record is in use and no
 * more buffers can be made, or a status of the buffer allocation.
 */
NRT_HIDDEN nrt_status nrt_rec_get(struct nrt_device *dev, uint32_t *rec);

/* Give back a record whose job was not submitted or is done. */
NRT_HIDDEN void nrt_rec_put(struct nrt_device *dev, uint32_t rec);

/*
 * nrt_rec_release() - give back the record of the one job of @f, from its
 * nrt_fence_ops.release
 * @done: the job is known to be complete; otherwise the record goes back
 *	only once the job's syncobj has signalled
 */
NRT_HIDDEN void nrt_rec_release(struct nrt_fence *f, uint32_t rec, bool done);

/* The CPU mapping and the device address of a record. */
NRT_HIDDEN void *nrt_rec_ptr(const struct nrt_device *dev, uint32_t rec);
NRT_HIDDEN uint64_t nrt_rec_va(const struct nrt_device *dev, uint32_t rec);

#endif /* NRT_FENCE_H */
