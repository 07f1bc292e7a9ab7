/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Fences (nrt_fence.c): the completion of jobs.
 */
#ifndef NRT_FENCE_H
#define NRT_FENCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "nrt_device.h"

/* Outcome of a fence as a sync_file status: 1 ok, 0 pending, <0 -errno. */
#define NRT_FENCE_PENDING 0
#define NRT_FENCE_OK 1

struct nrt_fence;

/*
 * struct nrt_fence_ops - what the submitter of a fence's jobs adds to it
 * @failed: the jobs completed with an error and @st is its status, the
 *	generic detail message set ("job on queue 5 failed: ..."); may
 *	replace the message. Return: the status to report.
 * @release: nrt_fence_free() is freeing the fence; @done: its jobs are
 *	known to be complete. May take over a syncobj of the fence by
 *	setting its entry in @f->syncobjs to 0. Frees @f->ctx.
 */
struct nrt_fence_ops {
	nrt_status (*failed)(struct nrt_fence *f, nrt_status st);
	void (*release)(struct nrt_fence *f, bool done);
};

struct nrt_fence {
	struct nrt_device *dev;         /* holds a reference */
	int queue;                      /* queue of its jobs, -1 for none */
	unsigned int count;             /* syncobjs, one per job */
	uint32_t *syncobjs;             /* @one or an allocated array */
	uint32_t *slots;                /* marker slot of each job, or NRT_NO_SLOT */
	uint64_t token;                 /* job i writes @token + i to its slot */
	uint32_t one;
	uint32_t one_slot;
	atomic_int state;               /* NRT_FENCE_* or -errno, once final */
	const struct nrt_fence_ops *ops; /* or NULL */
	void *ctx;                      /* of @ops */
};

/*
 * nrt_fence_new() - a fence of @count jobs on @queue with fresh syncobjs
 * @marks: give the jobs marker slots (nrt_marks_ready() must have returned
 *	true); jobs get none when the slots run out
 *
 * @count 0 gives a fence that is already signalled.
 */
NRT_HIDDEN nrt_status nrt_fence_new(struct nrt_device *dev, int queue,
				    unsigned int count, bool marks,
				    struct nrt_fence **out);

/*
 * nrt_fence_mark_desc() - the completion marker of job @job of @f
 * @d: receives the WRITE descriptor that goes last in the job
 *
 * Return: false (and @d untouched) if the job has no marker slot.
 */
NRT_HIDDEN bool nrt_fence_mark_desc(const struct nrt_fence *f, unsigned int job,
				    struct drm_trn_dma_desc *d);

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

#endif /* NRT_FENCE_H */
