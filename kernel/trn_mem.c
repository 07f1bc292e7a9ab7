// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/error-injection.h>
#include <linux/io.h>
#include <linux/sched.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>

#include "trn_drv.h"
#include "trn_mem.h"
#include "trn_regs.h"

/*
 * Device memory. HBM is managed by a gpu_buddy allocator in 4 KiB chunks;
 * objects take whatever blocks are free (they need not be contiguous), page
 * tables take single chunks (trn_vm.c). The blocks are a list the caller
 * keeps; nothing outside this file looks inside them.
 */

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

/**
 * trn_hbm_alloc_page() - one cleared page of device memory
 * @tdev: the device
 * @blocks: the page's block is added at its tail
 * @hbm: receives the HBM offset of the page
 *
 * Return: 0, -ENOMEM with nothing allocated, or -ENODEV.
 */
int trn_hbm_alloc_page(struct trn_device *tdev, struct list_head *blocks,
		       u64 *hbm)
{
	struct gpu_buddy_block *block;
	LIST_HEAD(page);
	int ret;

	ret = trn_hbm_alloc(tdev, TRN_PAGE_SIZE, &page);
	if (ret)
		return ret;
	ret = trn_hbm_clear(tdev, &page);
	if (ret) {
		trn_hbm_free(tdev, &page, TRN_PAGE_SIZE);
		return ret;
	}
	block = list_first_entry(&page, struct gpu_buddy_block, link);
	*hbm = gpu_buddy_block_offset(block);
	list_splice_tail(&page, blocks);
	return 0;
}

/**
 * trn_hbm_walk() - walk the contiguous runs of an allocation
 * @tdev: the device
 * @blocks: blocks from trn_hbm_alloc(), in the order they were handed out
 * @fn: called for each run, in order, with @arg, the run's HBM offset and
 *	its length (a multiple of TRN_PAGE_SIZE); an error stops the walk
 * @arg: passed to @fn
 *
 * Return: 0, or the first error @fn returned.
 */
int trn_hbm_walk(struct trn_device *tdev, struct list_head *blocks,
		 int (*fn)(void *arg, u64 hbm, u64 len), void *arg)
{
	struct gpu_buddy_block *block;
	int ret;

	list_for_each_entry(block, blocks, link) {
		ret = fn(arg, gpu_buddy_block_offset(block),
			 gpu_buddy_block_size(&tdev->hbm_mm, block));
		if (ret)
			return ret;
	}
	return 0;
}
