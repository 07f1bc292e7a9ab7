// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <drm/gpu_scheduler.h>

#include "trn_compat.h"
#include "trn_fence.h"

/*
 * Fences that outlive their device and the module. A fence escapes the
 * driver (a syncobj exported as a sync_file, a dma-buf's reservation of a
 * peer) and may be released, or asked its names, after the device is
 * unbound and trn.ko unloaded. So every fence of trn's:
 *
 * - holds a reference to the module from its initialisation until a grace
 *   period after its release, when an RCU callback frees it and drops the
 *   reference; the module's exit waits for those callbacks (rcu_barrier()),
 *   so no code of trn.ko runs after it is gone;
 * - takes its lock and its timeline name from a &struct trn_timeline that
 *   it references, not from the queue, which goes with the device.
 *
 * The scheduler's fences (drm_sched_fence) name their timeline after their
 * scheduler, which is embedded in the queue: until Linux 7.x the core reads
 * that name even from a signalled fence. They never leave the driver: what
 * SUBMIT puts in its out_sync is a fence of trn's ("out fence") that
 * signals, with the same error, when the job's finished fence does. Inside
 * the driver, scheduler fences are held by jobs, scheduler entities and
 * address spaces, all gone before the queues are; a job that depends on an
 * out fence of its own queue depends on the finished fence behind it while
 * it has not signalled, so that it still only waits for that job to reach
 * the ring.
 */

/* Out fences: the finished fence they follow, and their own lock. */
struct trn_out_fence {
	struct trn_fence base;
	spinlock_t lock; /* the fence; @finished */
	struct dma_fence *finished;
	struct dma_fence_cb cb;
};

/* Freed by the RCU callback, through a pointer to either kind. */
static_assert(offsetof(struct trn_out_fence, base) == 0);
static_assert(offsetof(struct trn_fence, base) == 0);

static void trn_timeline_free(struct kref *ref)
{
	struct trn_timeline *tl = container_of(ref, struct trn_timeline, ref);

	kfree_rcu(tl, rcu);
}

/**
 * trn_timeline_create() - the fence timeline of a queue
 * @name: its name, copied
 *
 * Return: the timeline, with one reference, or NULL.
 */
struct trn_timeline *trn_timeline_create(const char *name)
{
	struct trn_timeline *tl = kzalloc(sizeof(*tl), GFP_KERNEL);

	if (!tl)
		return NULL;
	kref_init(&tl->ref);
	spin_lock_init(&tl->lock);
	tl->context = dma_fence_context_alloc(1);
	strscpy(tl->name, name);
	return tl;
}

/**
 * trn_timeline_put() - drop a reference to a timeline
 * @tl: the timeline
 */
void trn_timeline_put(struct trn_timeline *tl)
{
	kref_put(&tl->ref, trn_timeline_free);
}

static struct trn_fence *to_trn_fence(struct dma_fence *fence)
{
	return container_of(fence, struct trn_fence, base);
}

static const char *trn_fence_driver_name(struct dma_fence *fence)
{
	return "trn";
}

static const char *trn_fence_timeline_name(struct dma_fence *fence)
{
	return to_trn_fence(fence)->timeline->name;
}

/* The last thing of trn.ko's to run for this fence. */
static void trn_fence_free_rcu(struct rcu_head *rcu)
{
	struct trn_fence *fence = container_of(rcu, struct trn_fence, base.rcu);

	trn_timeline_put(fence->timeline);
	kfree(fence);
	module_put(THIS_MODULE);
}

static void trn_fence_release(struct dma_fence *fence)
{
	call_rcu(&fence->rcu, trn_fence_free_rcu);
}

static const struct dma_fence_ops trn_hw_fence_ops = {
	.get_driver_name = trn_fence_driver_name,
	.get_timeline_name = trn_fence_timeline_name,
	.release = trn_fence_release,
};

static const struct dma_fence_ops trn_out_fence_ops = {
	.get_driver_name = trn_fence_driver_name,
	.get_timeline_name = trn_fence_timeline_name,
	.release = trn_fence_release,
};

/* Called from trn.ko's own code, which a caller of it keeps loaded. */
static void trn_fence_pin(struct trn_fence *fence, struct trn_timeline *tl)
{
	__module_get(THIS_MODULE);
	kref_get(&tl->ref);
	fence->timeline = tl;
}

/**
 * trn_hw_fence_init() - initialise a job's hardware fence as it enters a ring
 * @fence: the fence, zeroed
 * @tl: the timeline of the queue; the caller holds what orders its numbers
 *	(the queue's lock)
 */
void trn_hw_fence_init(struct trn_fence *fence, struct trn_timeline *tl)
{
	trn_fence_pin(fence, tl);
	dma_fence_init(&fence->base, &trn_hw_fence_ops, &tl->lock, tl->context,
		       ++tl->seqno);
}

/**
 * trn_out_fence_alloc() - allocate an out fence, before the job is armed
 *
 * Return: the fence, to give trn_out_fence_arm() or trn_out_fence_free(),
 * or NULL.
 */
struct dma_fence *trn_out_fence_alloc(void)
{
	struct trn_out_fence *of = kzalloc(sizeof(*of), GFP_KERNEL_ACCOUNT);

	return of ? &of->base.base : NULL;
}

/**
 * trn_out_fence_free() - free an out fence that was never armed
 * @out: the fence, or NULL
 */
void trn_out_fence_free(struct dma_fence *out)
{
	kfree(out);
}

static void trn_out_fence_signal(struct dma_fence *finished, struct dma_fence_cb *cb)
{
	struct trn_out_fence *of = container_of(cb, struct trn_out_fence, cb);
	unsigned long flags;

	spin_lock_irqsave(&of->lock, flags);
	of->finished = NULL;
	if (finished->error)
		dma_fence_set_error(&of->base.base, finished->error);
	dma_fence_signal_locked(&of->base.base);
	spin_unlock_irqrestore(&of->lock, flags);
	/* Not the last reference: whoever signals @finished holds one. */
	dma_fence_put(finished);
	dma_fence_put(&of->base.base);
}

/**
 * trn_out_fence_arm() - make an out fence follow a job's finished fence
 * @out: from trn_out_fence_alloc()
 * @tl: the timeline of the job's queue, for the fence's name
 * @finished: the job's finished fence, armed
 *
 * The out fence takes the finished fence's context and number: it stands
 * for the same point of the same timeline, and signals with it.
 */
void trn_out_fence_arm(struct dma_fence *out, struct trn_timeline *tl,
		       struct dma_fence *finished)
{
	struct trn_out_fence *of = container_of(out, struct trn_out_fence, base.base);

	spin_lock_init(&of->lock);
	trn_fence_pin(&of->base, tl);
	dma_fence_init(out, &trn_out_fence_ops, &of->lock, finished->context,
		       finished->seqno);
	/* Both references are dropped when @finished signals. */
	of->finished = dma_fence_get(finished);
	dma_fence_get(out);
	if (dma_fence_add_callback(finished, &of->cb, trn_out_fence_signal))
		trn_out_fence_signal(finished, &of->cb);
}

/**
 * trn_out_fence_unwrap() - what a job of trn's should wait for
 * @fence: a fence a job depends on; the reference is consumed
 * @sched: the scheduler of the job
 *
 * Return: for an out fence of a job of @sched that has not signalled, the
 * finished fence it follows, which the scheduler knows how to wait for;
 * @fence otherwise (a job of another queue or device may outlive that
 * queue). Either way with a reference.
 */
struct dma_fence *trn_out_fence_unwrap(struct dma_fence *fence,
				       struct drm_gpu_scheduler *sched)
{
	struct trn_out_fence *of;
	struct dma_fence *inner;
	unsigned long flags;

	if (!fence || !trn_dma_fence_has_ops(fence, &trn_out_fence_ops))
		return fence;
	of = container_of(fence, struct trn_out_fence, base.base);
	spin_lock_irqsave(&of->lock, flags);
	inner = dma_fence_get(of->finished);
	spin_unlock_irqrestore(&of->lock, flags);
	if (!inner || to_drm_sched_fence(inner)->sched != sched) {
		dma_fence_put(inner);
		return fence;
	}
	dma_fence_put(fence);
	return inner;
}
