// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <drm/gpu_scheduler.h>

#include "trn_drv.h"
#include "trn_file.h"
#include "trn_job.h"

/*
 * How files share a queue's ring (Documentation/uapi.rst, "Sharing the
 * queues"). The room in the ring is the driver's to give, not the
 * scheduler's: a job is one scheduler credit, so the scheduler never stops
 * at a job that does not fit (its run queue checks credits on the oldest
 * ready entity only, and would let no other file reach prepare_job), and
 * prepare_job holds a job back, in its entity, until:
 *
 * - its file's run is the last in the ring and no other file waits, if the
 *   file has jobs in the ring (else: until that run ends);
 * - the file's jobs in the ring and it take at most TRN_RING_SHARE
 *   descriptors (else: until the file's oldest job in the ring ends);
 * - it fits in the ring, and no other file has waited longer for room
 *   (else: until the oldest job in the ring ends). An empty ring takes any
 *   job.
 *
 * prepare_job and run_job of a queue run in turn, in the scheduler's
 * ordered work item, and the room in the ring only grows in between (jobs
 * retire; recovery writes the same jobs again), so a job that fits in
 * prepare_job still fits in run_job.
 *
 * Deadlines: once another file waits for the oldest run in the ring
 * (its job is in the ring behind the run, or it waits for room), or the
 * run's file is closed, the whole run must end within job_timeout_ms of
 * that (or of the run reaching the head of the ring, if later), or its
 * jobs fail. A job thus waits about one timeout for each other file ahead
 * of it, whatever those files queued.
 */

/* Any job fits beside another file's share: an empty ring takes any job. */
static_assert(TRN_MAX_USER_DESCS + TRN_JOB_EXTRA_DESCS <= TRN_RING_SHARE);
static_assert(2 * TRN_RING_SHARE <= TRN_RING_ENTRIES - 1);
/* The scheduler's credits, one per job, never run out before the ring. */
static_assert((TRN_RING_ENTRIES - 1) / (1 + TRN_JOB_EXTRA_DESCS) <= TRN_RING_ENTRIES);

/* Free descriptors in the ring (one is always left: HEAD == TAIL is empty). */
static u32 trn_ring_room(struct trn_queue *q)
{
	struct trn_job *first = list_first_entry_or_null(&q->inflight, struct trn_job, node);

	if (!first)
		return TRN_RING_ENTRIES - 1;
	return TRN_RING_ENTRIES - 1 - (q->tail - (first->end - first->ndescs));
}

/*
 * Since when a file other than @fq's waits for the oldest run, @fq's: its
 * job behind the run in the ring, or a job that waits for room. Returns
 * false if none does. q->lock held.
 */
static bool trn_share_contended(struct trn_queue *q, struct trn_job *job,
				unsigned long *since)
{
	struct trn_file_queue *w;
	bool found = false;

	/* @job is the first of the oldest run: the next run follows it. */
	if (!list_is_singular(&q->runs)) {
		*since = list_next_entry(job, run_node)->entered;
		found = true;
	}
	/* In the order they began to wait: the first that is not @job's. */
	list_for_each_entry(w, &q->space_waiters, space_node) {
		if (w == job->fq)
			continue;
		if (!found || time_before(w->space_since, *since))
			*since = w->space_since;
		return true;
	}
	return found;
}

/**
 * trn_share_deadline() - when the oldest job in the ring must be done
 * @q: the queue, with q->lock held
 * @job: its oldest job in the ring
 * @why: what sets the limit
 *
 * One timeout after @job reached the head of the ring; and once another
 * file waits for @job's run, or its file is closed, one timeout after that
 * (or after the run reached the head) for the whole run.
 *
 * Return: the deadline, in jiffies.
 */
unsigned long trn_share_deadline(struct trn_queue *q, struct trn_job *job,
				 enum trn_limit *why)
{
	struct trn_file_queue *fq = job->fq;
	unsigned long since = 0, deadline;

	*why = trn_share_contended(q, job, &since) ? TRN_LIMIT_WAITER : TRN_LIMIT_JOB;
	if (fq->closed && (*why == TRN_LIMIT_JOB || time_before(fq->closed_at, since))) {
		since = fq->closed_at;
		*why = TRN_LIMIT_CLOSED;
	}
	if (*why == TRN_LIMIT_JOB)
		return job->deadline;
	if (time_before(since, q->run_since))
		since = q->run_since;
	deadline = since + trn_job_timeout();
	if (time_before_eq(job->deadline, deadline)) {
		*why = TRN_LIMIT_JOB;
		return job->deadline;
	}
	return deadline;
}

/*
 * Whether @fq's next job waits (@fence), and for room in the ring (@room).
 * A file that begins to wait for room may shorten the oldest run's time:
 * the watchdog looks again. q->lock held.
 */
static void trn_share_set_waiting(struct trn_queue *q, struct trn_file_queue *fq,
				  bool wait, bool room)
{
	if (fq->waiting != wait) {
		fq->waiting = wait;
		q->waiting += wait ? 1 : -1;
	}
	if (!room) {
		list_del_init(&fq->space_node);
	} else if (list_empty(&fq->space_node)) {
		fq->space_since = jiffies;
		list_add_tail(&fq->space_node, &q->space_waiters);
		trn_queue_arm_watchdog(q);
	}
}

/**
 * trn_job_prepare() - the scheduler's prepare_job: whether a job may enter
 * the ring now
 * @sched_job: the job, whose in-fences are all signalled
 * @entity: its file's entity
 *
 * Return: NULL if it may, or a reference to the fence of a job in the ring
 * to wait for before asking again.
 */
struct dma_fence *trn_job_prepare(struct drm_sched_job *sched_job,
				  struct drm_sched_entity *entity)
{
	struct trn_job *job = container_of(sched_job, struct trn_job, base);
	struct trn_file_queue *fq = job->fq;
	struct trn_queue *q = job->queue;
	struct dma_fence *fence = NULL;
	struct trn_job *oldest;
	unsigned long flags;
	bool room = false;

	spin_lock_irqsave(&q->lock, flags);
	oldest = list_first_entry_or_null(&q->inflight, struct trn_job, node);
	if (fq->last && (!list_is_last(&fq->last->node, &q->inflight) ||
			 q->waiting > fq->waiting)) {
		/* The file's turn is over: until its run ends. */
		fence = fq->last->hw_fence;
	} else if (fq->last && fq->ring_credits + job->ndescs > TRN_RING_SHARE) {
		/* Its share is full: until its oldest job ends and makes room. */
		fence = fq->first->hw_fence;
	} else if (oldest && (trn_ring_room(q) < job->ndescs ||
			      (!list_empty(&q->space_waiters) &&
			       list_first_entry(&q->space_waiters, struct trn_file_queue,
						space_node) != fq))) {
		/* No room, or others waited first: until the oldest job ends. */
		fence = oldest->hw_fence;
		room = true;
	}
	/* A closed file's job is about to be cancelled: it waits for nobody. */
	if (!fq->closed)
		trn_share_set_waiting(q, fq, !!fence, room);
	if (fence)
		dma_fence_get(fence);
	spin_unlock_irqrestore(&q->lock, flags);
	return fence;
}

/**
 * trn_queues_file_closed() - a file is closed: its jobs in the rings must
 * end within one job timeout
 * @fpriv: the file, whose entities are gone (no job of it waits to enter)
 */
void trn_queues_file_closed(struct trn_file_priv *fpriv)
{
	struct trn_device *tdev = fpriv->tdev;
	unsigned long flags;
	u32 i;

	for (i = 0; i < tdev->num_queues; i++) {
		struct trn_queue *q = &tdev->queues[i];
		struct trn_file_queue *fq = &fpriv->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		fq->closed = true;
		fq->closed_at = jiffies;
		trn_share_set_waiting(q, fq, false, false);
		if (fq->last)
			trn_queue_arm_watchdog(q);
		spin_unlock_irqrestore(&q->lock, flags);
	}
}
