/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_FENCE_H__
#define __TRN_FENCE_H__

#include <linux/dma-fence.h>
#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct drm_gpu_scheduler;

/**
 * struct trn_timeline - what a queue's fences need once the queue is gone
 * @ref: held by the queue and by every fence of it
 * @rcu: frees it a grace period after the last fence
 * @lock: lock of the queue's hardware fences
 * @context: dma_fence context of those fences
 * @seqno: last hardware fence number, under the queue's lock
 * @name: name of the queue, the fences' timeline name
 */
struct trn_timeline {
	struct kref ref;
	struct rcu_head rcu;
	spinlock_t lock; /* the hardware fences */
	u64 context;
	u64 seqno;
	char name[32];
};

/**
 * struct trn_fence - a fence of trn's: a job's hardware fence, or the fence
 *	a SUBMIT gives its out_sync
 * @base: the fence
 * @timeline: its queue's timeline, referenced
 */
struct trn_fence {
	struct dma_fence base;
	struct trn_timeline *timeline;
};

struct trn_timeline *trn_timeline_create(const char *name);
void trn_timeline_put(struct trn_timeline *tl);

void trn_hw_fence_init(struct trn_fence *fence, struct trn_timeline *tl);

struct dma_fence *trn_out_fence_alloc(void);
void trn_out_fence_arm(struct dma_fence *out, struct trn_timeline *tl,
		       struct dma_fence *finished);
void trn_out_fence_free(struct dma_fence *out);
struct dma_fence *trn_out_fence_unwrap(struct dma_fence *fence,
				       struct drm_gpu_scheduler *sched);

#endif /* __TRN_FENCE_H__ */
