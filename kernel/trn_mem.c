// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/dma-fence.h>
#include <linux/error-injection.h>
#include <linux/idr.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "trn_drv.h"
#include "trn_job.h"
#include "trn_mem.h"
#include "trn_regs.h"

/*
 * Device memory and address spaces.
 *
 * HBM is managed by a gpu_buddy allocator in 4 KiB chunks; objects take
 * whatever blocks are free (they need not be contiguous), page tables take
 * single chunks. Every open file gets an address space (struct trn_ctx): an
 * ASID, a drm_mm range allocator for device virtual addresses and a 3-level
 * page table in HBM, written through the BAR and mirrored by a tree of
 * struct trn_pt so that the driver never reads device memory back.
 */

struct trn_pt {
	u64 hbm;		/* offset of this 4 KiB table in HBM */
	struct trn_pt **child;	/* levels 0 and 1 only */
};

static void trn_hbm_fini(struct drm_device *drm, void *arg)
{
	struct trn_device *tdev = arg;

	gpu_buddy_fini(&tdev->hbm_mm);
}

int trn_hbm_init(struct trn_device *tdev)
{
	int ret;

	ret = drmm_mutex_init(&tdev->drm, &tdev->hbm_lock);
	if (ret)
		return ret;
	ret = gpu_buddy_init(&tdev->hbm_mm, tdev->hbm_size, TRN_PAGE_SIZE);
	if (ret)
		return ret;
	return drmm_add_action_or_reset(&tdev->drm, trn_hbm_fini, tdev);
}
ALLOW_ERROR_INJECTION(trn_hbm_init, ERRNO);

/**
 * trn_hbm_alloc() - allocate device memory
 * @tdev: the device
 * @size: bytes, a multiple of TRN_PAGE_SIZE
 * @blocks: receives the gpu_buddy blocks
 *
 * Return: 0, or -ENOMEM with nothing allocated.
 */
int trn_hbm_alloc(struct trn_device *tdev, u64 size, struct list_head *blocks)
{
	int ret;

	mutex_lock(&tdev->hbm_lock);
	ret = gpu_buddy_alloc_blocks(&tdev->hbm_mm, 0, tdev->hbm_size, size,
				     TRN_PAGE_SIZE, blocks, 0);
	if (!ret) {
		tdev->hbm_used += size;
		tdev->hbm_peak = max(tdev->hbm_peak, tdev->hbm_used);
	}
	mutex_unlock(&tdev->hbm_lock);
	return ret ? -ENOMEM : 0;
}
ALLOW_ERROR_INJECTION(trn_hbm_alloc, ERRNO);

void trn_hbm_free(struct trn_device *tdev, struct list_head *blocks, u64 size)
{
	mutex_lock(&tdev->hbm_lock);
	gpu_buddy_free_list(&tdev->hbm_mm, blocks, 0);
	tdev->hbm_used -= size;
	mutex_unlock(&tdev->hbm_lock);
}

#define TRN_CLEAR_CHUNK		SZ_2M

/*
 * Zero freshly allocated device memory: it may hold another user's data.
 * The write barrier orders the zeroes (write-combined stores) before any
 * page table entry that makes the memory reachable.
 */
int trn_hbm_clear(struct trn_device *tdev, struct list_head *blocks)
{
	struct gpu_buddy_block *block;
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	list_for_each_entry(block, blocks, link) {
		u64 off = gpu_buddy_block_offset(block);
		u64 end = off + gpu_buddy_block_size(&tdev->hbm_mm, block);

		while (off < end) {
			u64 n = min_t(u64, end - off, TRN_CLEAR_CHUNK);

			memset_io(tdev->hbm_io + off, 0, n);
			off += n;
			cond_resched();
		}
	}
	/* Zeroes reach the device before anything that points at them. */
	wmb();
	drm_dev_exit(idx);
	return 0;
}
ALLOW_ERROR_INJECTION(trn_hbm_clear, ERRNO);

static noinline struct trn_pt *trn_pt_alloc(struct trn_ctx *ctx, int level)
{
	struct trn_device *tdev = ctx->tdev;
	struct gpu_buddy_block *block;
	struct trn_pt *pt;
	LIST_HEAD(blocks);

	pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	if (!pt)
		return NULL;
	if (level < TRN_PT_LEVELS - 1) {
		pt->child = kcalloc(TRN_PT_ENTRIES, sizeof(*pt->child), GFP_KERNEL);
		if (!pt->child)
			goto err_free;
	}
	if (trn_hbm_alloc(tdev, TRN_PAGE_SIZE, &blocks))
		goto err_free;
	if (trn_hbm_clear(tdev, &blocks)) {
		trn_hbm_free(tdev, &blocks, TRN_PAGE_SIZE);
		goto err_free;
	}
	block = list_first_entry(&blocks, struct gpu_buddy_block, link);
	pt->hbm = gpu_buddy_block_offset(block);
	list_splice_tail(&blocks, &ctx->pt_blocks);
	return pt;

err_free:
	kfree(pt->child);
	kfree(pt);
	return NULL;
}
ALLOW_ERROR_INJECTION(trn_pt_alloc, NULL);

static void trn_pt_free(struct trn_pt *pt, int level)
{
	int i;

	if (!pt)
		return;
	if (pt->child)
		for (i = 0; i < TRN_PT_ENTRIES; i++)
			trn_pt_free(pt->child[i], level + 1);
	kfree(pt->child);
	kfree(pt);
}

static void trn_pte_write(struct trn_ctx *ctx, struct trn_pt *pt,
			  unsigned int idx, u64 pte)
{
	writeq(pte, ctx->tdev->hbm_io + pt->hbm + idx * sizeof(u64));
}

/* The leaf table for @va, created on the way down if @create. */
static struct trn_pt *trn_pt_leaf(struct trn_ctx *ctx, u64 va, bool create)
{
	struct trn_pt *pt = ctx->root;
	int level;

	for (level = 0; level < TRN_PT_LEVELS - 1; level++) {
		unsigned int idx = TRN_PT_INDEX(va, level);
		struct trn_pt *next = pt->child[idx];

		if (!next) {
			if (!create)
				return NULL;
			next = trn_pt_alloc(ctx, level + 1);
			if (!next)
				return NULL;
			pt->child[idx] = next;
			trn_pte_write(ctx, pt, idx, next->hbm | TRN_PTE_VALID);
		}
		pt = next;
	}
	return pt;
}

static void trn_ctx_clear_range(struct trn_ctx *ctx, u64 va, u64 end)
{
	for (; va < end; va += TRN_PAGE_SIZE) {
		struct trn_pt *leaf = trn_pt_leaf(ctx, va, false);

		if (!(va & (SZ_16M - 1)))
			cond_resched();
		if (leaf)
			trn_pte_write(ctx, leaf, TRN_PT_INDEX(va, TRN_PT_LEVELS - 1), 0);
	}
}

static void trn_tlb_invalidate(struct trn_ctx *ctx)
{
	/* Make the table updates visible before the device looks again. */
	wmb();
	trn_write32(ctx->tdev, TRN_REG_TLB_INVALIDATE, ctx->asid);
}

/* Map [@va, @va + @len) to the device or host range starting at @addr. */
static int trn_ctx_map_range(struct trn_ctx *ctx, u64 va, u64 addr, u64 len,
			     u64 flags)
{
	u64 off;

	for (off = 0; off < len; off += TRN_PAGE_SIZE) {
		struct trn_pt *leaf = trn_pt_leaf(ctx, va + off, true);

		if (!leaf)
			return -ENOMEM;
		if (!(off & (SZ_16M - 1)))
			cond_resched();
		trn_pte_write(ctx, leaf, TRN_PT_INDEX(va + off, TRN_PT_LEVELS - 1),
			      ((addr + off) & TRN_PTE_ADDR_MASK) | flags);
	}
	return 0;
}

/* Write the page table entries of a range; ctx->lock held. */
typedef int (*trn_map_fn)(struct trn_ctx *ctx, u64 va, void *arg);

/*
 * Map @node with @fill, all or nothing: on failure whatever @fill wrote is
 * cleared again. The TLB is invalidated either way.
 */
static int trn_ctx_map(struct trn_ctx *ctx, struct drm_mm_node *node,
		       trn_map_fn fill, void *arg)
{
	int ret, idx;

	if (!drm_dev_enter(&ctx->tdev->drm, &idx))
		return -ENODEV;
	mutex_lock(&ctx->lock);
	ret = fill(ctx, node->start, arg);
	if (ret)
		trn_ctx_clear_range(ctx, node->start, node->start + node->size);
	trn_tlb_invalidate(ctx);
	mutex_unlock(&ctx->lock);
	drm_dev_exit(idx);
	return ret;
}

static int trn_map_blocks(struct trn_ctx *ctx, u64 va, void *arg)
{
	struct list_head *blocks = arg;
	struct gpu_buddy_block *block;
	int ret;

	list_for_each_entry(block, blocks, link) {
		u64 len = gpu_buddy_block_size(&ctx->tdev->hbm_mm, block);

		ret = trn_ctx_map_range(ctx, va, gpu_buddy_block_offset(block),
					len, TRN_PTE_VALID | TRN_PTE_WRITE);
		if (ret)
			return ret;
		va += len;
	}
	return 0;
}

static int trn_map_sg(struct trn_ctx *ctx, u64 va, void *arg)
{
	struct sg_table *sgt = arg;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 len = sg_dma_len(sg);

		ret = trn_ctx_map_range(ctx, va, sg_dma_address(sg), len,
					TRN_PTE_VALID | TRN_PTE_WRITE | TRN_PTE_SYSTEM);
		if (ret)
			return ret;
		va += len;
	}
	return 0;
}

/**
 * trn_ctx_map_hbm() - map HBM blocks at a reserved virtual range
 * @ctx: the address space
 * @node: the virtual range, inserted in @ctx->va_mm
 * @blocks: gpu_buddy blocks covering the range, in order
 *
 * Return: 0, -ENOMEM (nothing left mapped) or -ENODEV.
 */
int trn_ctx_map_hbm(struct trn_ctx *ctx, struct drm_mm_node *node,
		    struct list_head *blocks)
{
	return trn_ctx_map(ctx, node, trn_map_blocks, blocks);
}

/**
 * trn_ctx_map_sgt() - map DMA-mapped host pages at a reserved virtual range
 * @ctx: the address space
 * @node: the virtual range, inserted in @ctx->va_mm
 * @sgt: the pages, mapped for the device
 *
 * Return: 0, -ENOMEM (nothing left mapped) or -ENODEV.
 */
int trn_ctx_map_sgt(struct trn_ctx *ctx, struct drm_mm_node *node,
		    struct sg_table *sgt)
{
	return trn_ctx_map(ctx, node, trn_map_sg, sgt);
}

struct trn_peer_map {
	u64 xva;
	u64 size;
	u64 flags;
};

static int trn_map_peer(struct trn_ctx *ctx, u64 va, void *arg)
{
	struct trn_peer_map *m = arg;

	return trn_ctx_map_range(ctx, va, m->xva, m->size, m->flags);
}

/**
 * trn_ctx_map_peer() - map a peer's exported range at a reserved range
 * @ctx: the address space
 * @node: the virtual range, inserted in @ctx->va_mm
 * @port: NeuronLink port that reaches the peer
 * @peer_chip: chip id of the peer; the hardware refuses the entries while
 *	another chip is at the far end of @port
 * @xva: start of the range in the peer's export space
 * @writable: whether descriptors may write it
 *
 * Return: 0, -ENOMEM (nothing left mapped) or -ENODEV.
 */
int trn_ctx_map_peer(struct trn_ctx *ctx, struct drm_mm_node *node, u32 port,
		     u32 peer_chip, u64 xva, bool writable)
{
	struct trn_peer_map m = {
		.xva = xva,
		.size = node->size,
		.flags = TRN_PTE_VALID | TRN_PTE_PEER |
			 (((u64)port << TRN_PTE_PORT_SHIFT) & TRN_PTE_PORT_MASK) |
			 (((u64)peer_chip << TRN_PTE_PEER_CHIP_SHIFT) & TRN_PTE_PEER_CHIP_MASK) |
			 (writable ? TRN_PTE_WRITE : 0),
	};

	return trn_ctx_map(ctx, node, trn_map_peer, &m);
}

/**
 * trn_ctx_unmap() - remove a virtual range from the page tables
 * @ctx: the address space
 * @node: the range; it stays reserved in @ctx->va_mm
 *
 * The caller makes sure no job of @ctx still uses the range.
 */
void trn_ctx_unmap(struct trn_ctx *ctx, struct drm_mm_node *node)
{
	int idx;

	if (!drm_dev_enter(&ctx->tdev->drm, &idx))
		return;
	mutex_lock(&ctx->lock);
	trn_ctx_clear_range(ctx, node->start, node->start + node->size);
	trn_tlb_invalidate(ctx);
	mutex_unlock(&ctx->lock);
	drm_dev_exit(idx);
}

/**
 * trn_ctx_create() - a new address space
 * @tdev: the device
 *
 * Return: the context, or ERR_PTR(-ENOSPC) when all ASIDs are in use,
 * -ENOMEM, -ENODEV.
 */
struct trn_ctx *trn_ctx_create(struct trn_device *tdev)
{
	struct trn_ctx *ctx;
	int ret, idx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ctx->entities = kcalloc(tdev->num_queues, sizeof(*ctx->entities), GFP_KERNEL);
	ctx->last_fences = kcalloc(tdev->num_queues, sizeof(*ctx->last_fences),
				   GFP_KERNEL);
	if (!ctx->entities || !ctx->last_fences) {
		ret = -ENOMEM;
		goto err_free;
	}
	kref_init(&ctx->ref);
	ctx->tdev = tdev;
	mutex_init(&ctx->lock);
	mutex_init(&ctx->entity_lock);
	INIT_LIST_HEAD(&ctx->pt_blocks);
	atomic64_set(&ctx->hbm_bytes, 0);
	atomic64_set(&ctx->host_bytes, 0);

	ret = ida_alloc_max(&tdev->asid_ida, tdev->num_asids - 1, GFP_KERNEL);
	if (ret < 0)
		goto err_free;
	ctx->asid = ret;

	ctx->root = trn_pt_alloc(ctx, 0);
	if (!ctx->root) {
		ret = -ENOMEM;
		goto err_asid;
	}
	drm_mm_init(&ctx->va_mm, TRN_VA_START,
		    (1ULL << TRN_VA_BITS) - TRN_VA_START);

	if (!drm_dev_enter(&tdev->drm, &idx)) {
		ret = -ENODEV;
		goto err_mm;
	}
	trn_write32(tdev, TRN_REG_SEM_RESET, ctx->asid);
	trn_tlb_invalidate(ctx);
	drm_dev_exit(idx);
	return ctx;

err_mm:
	drm_mm_takedown(&ctx->va_mm);
	trn_pt_free(ctx->root, 0);
	trn_hbm_free(tdev, &ctx->pt_blocks, TRN_PAGE_SIZE);
err_asid:
	ida_free(&tdev->asid_ida, ctx->asid);
err_free:
	kfree(ctx->last_fences);
	kfree(ctx->entities);
	kfree(ctx);
	return ERR_PTR(ret);
}

static void trn_ctx_release(struct kref *ref)
{
	struct trn_ctx *ctx = container_of(ref, struct trn_ctx, ref);
	struct trn_device *tdev = ctx->tdev;
	struct gpu_buddy_block *block;
	u64 size = 0;
	u32 q;

	list_for_each_entry(block, &ctx->pt_blocks, link)
		size += gpu_buddy_block_size(&tdev->hbm_mm, block);
	trn_hbm_free(tdev, &ctx->pt_blocks, size);
	trn_pt_free(ctx->root, 0);
	drm_mm_takedown(&ctx->va_mm);
	ida_free(&tdev->asid_ida, ctx->asid);
	for (q = 0; q < tdev->num_queues; q++)
		dma_fence_put(ctx->last_fences[q]);
	mutex_destroy(&ctx->entity_lock);
	mutex_destroy(&ctx->lock);
	kfree(ctx->last_fences);
	kfree(ctx->entities);
	kfree(ctx);
}

void trn_ctx_put(struct trn_ctx *ctx)
{
	kref_put(&ctx->ref, trn_ctx_release);
}

u64 trn_ctx_pt_root(struct trn_ctx *ctx)
{
	return ctx->root->hbm;
}

/* Remember the newest job per queue so memory is never freed under it. */
void trn_ctx_set_last_fence(struct trn_ctx *ctx, u32 queue,
			    struct dma_fence *fence)
{
	mutex_lock(&ctx->lock);
	dma_fence_put(ctx->last_fences[queue]);
	ctx->last_fences[queue] = dma_fence_get(fence);
	mutex_unlock(&ctx->lock);
}

/**
 * trn_ctx_idle() - whether every job of @ctx has finished
 * @ctx: the address space
 *
 * Return: true if no job is queued or running; a job may be submitted right
 * after it returns.
 */
bool trn_ctx_idle(struct trn_ctx *ctx)
{
	bool idle = true;
	u32 q;

	mutex_lock(&ctx->lock);
	for (q = 0; q < ctx->tdev->num_queues && idle; q++)
		idle = !ctx->last_fences[q] || dma_fence_is_signaled(ctx->last_fences[q]);
	mutex_unlock(&ctx->lock);
	return idle;
}

/* Wait until every job submitted so far in @ctx has completed. */
void trn_ctx_wait_idle(struct trn_ctx *ctx)
{
	struct dma_fence *fence;
	u32 q;

	for (q = 0; q < ctx->tdev->num_queues; q++) {
		mutex_lock(&ctx->lock);
		fence = dma_fence_get(ctx->last_fences[q]);
		mutex_unlock(&ctx->lock);
		if (fence) {
			dma_fence_wait(fence, false);
			dma_fence_put(fence);
		}
	}
}
