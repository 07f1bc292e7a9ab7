/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_MEM_H__
#define __TRN_MEM_H__

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <drm/drm_mm.h>

struct dma_fence;
struct drm_sched_entity;
struct sg_table;
struct trn_device;
struct trn_pt;

/* Device virtual addresses handed out: the first 64 KiB stay unmapped. */
#define TRN_VA_START		0x10000ULL

/* Kinds of engines, as fdinfo reports their busy time. */
enum trn_engine_kind {
	TRN_ENGINE_DMA,		/* the DMA queues */
	TRN_ENGINE_CORE,	/* the NeuronCore queues */
	TRN_ENGINE_KINDS
};

/**
 * struct trn_ctx - a device address space: one per open file
 * @ref: held by the file and by every buffer object mapped in it
 * @tdev: the device
 * @asid: address space id given to the device in CONTEXT descriptors
 * @lock: protects @va_mm, the page tables and @last_fences
 * @va_mm: allocator of device virtual addresses
 * @root: level 0 page table
 * @pt_blocks: HBM blocks holding this context's page tables
 * @last_fences: per DMA queue, finished fence of the newest job submitted
 *	in this context (jobs of one context on one queue complete in order)
 * @entity_lock: protects @entities
 * @entities: scheduler entity per DMA queue, created on first use
 * @hbm_bytes: bytes of HBM objects of this context
 * @host_bytes: bytes of host objects of this context
 * @busy_ns: per &enum trn_engine_kind, time the jobs of this context
 *	occupied the queues
 */
struct trn_ctx {
	struct kref ref;
	struct trn_device *tdev;
	u32 asid;

	struct mutex lock; /* va_mm, page tables, last_fence */
	struct drm_mm va_mm;
	struct trn_pt *root;
	struct list_head pt_blocks;
	struct dma_fence **last_fences;

	struct mutex entity_lock; /* entities */
	struct drm_sched_entity **entities;

	atomic64_t hbm_bytes;
	atomic64_t host_bytes;
	atomic64_t busy_ns[TRN_ENGINE_KINDS];
};

int trn_hbm_init(struct trn_device *tdev);
int trn_hbm_alloc(struct trn_device *tdev, u64 size, struct list_head *blocks);
void trn_hbm_free(struct trn_device *tdev, struct list_head *blocks, u64 size);
int trn_hbm_clear(struct trn_device *tdev, struct list_head *blocks);

struct trn_ctx *trn_ctx_create(struct trn_device *tdev);
void trn_ctx_put(struct trn_ctx *ctx);
bool trn_ctx_idle(struct trn_ctx *ctx);
void trn_ctx_wait_idle(struct trn_ctx *ctx);
void trn_ctx_set_last_fence(struct trn_ctx *ctx, u32 queue,
			    struct dma_fence *fence);
u64 trn_ctx_pt_root(struct trn_ctx *ctx);

int trn_ctx_map_hbm(struct trn_ctx *ctx, struct drm_mm_node *node,
		    struct list_head *blocks);
int trn_ctx_map_sgt(struct trn_ctx *ctx, struct drm_mm_node *node,
		    struct sg_table *sgt);
int trn_ctx_map_peer(struct trn_ctx *ctx, struct drm_mm_node *node, u32 port,
		     u32 peer_chip, u64 xva, bool writable);
void trn_ctx_unmap(struct trn_ctx *ctx, struct drm_mm_node *node);

#endif /* __TRN_MEM_H__ */
