// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/error-injection.h>
#include <linux/io.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "trn_drv.h"
#include "trn_event.h"
#include "trn_mem.h"
#include "trn_regs.h"

/*
 * Device memory. HBM is managed by a gpu_buddy allocator in 4 KiB chunks;
 * objects take whatever blocks are free (they need not be contiguous), page
 * tables take single chunks (trn_vm.c). The blocks are a list the caller
 * keeps; nothing outside this file looks inside them.
 *
 * A page that an uncorrectable error hit (trn_ecc.c) is retired: the
 * allocator hands it to no one again until the driver is unbound. If it is
 * free, it is allocated at once into a list of its own; if an object or a
 * page table holds it, it is pending, and retired when that is freed.
 */

/**
 * struct trn_hbm_bad - a page of HBM an uncorrectable error hit
 * @link: in trn_device.hbm_bad, in the order the errors came
 * @addr: HBM offset of the page
 * @blocks: the page's block once retired, else empty
 */
struct trn_hbm_bad {
	struct list_head link;
	u64 addr;
	struct list_head blocks;
};

static void trn_hbm_fini(struct drm_device *drm, void *arg)
{
	struct trn_device *tdev = arg;
	struct trn_hbm_bad *bad, *tmp;

	list_for_each_entry_safe(bad, tmp, &tdev->hbm_bad, link) {
		gpu_buddy_free_list(&tdev->hbm_mm, &bad->blocks, 0);
		kfree(bad);
	}
	gpu_buddy_fini(&tdev->hbm_mm);
}

/*
 * Take the page of @bad out of the allocator; hbm_lock held. Return: 1 if
 * it is retired now, -ENOSPC if memory in use holds it, -ENOMEM if the
 * allocator could not split the free block that holds it.
 */
static int trn_hbm_take(struct trn_device *tdev, struct trn_hbm_bad *bad)
{
	int ret;

	ret = gpu_buddy_alloc_blocks(&tdev->hbm_mm, bad->addr,
				     bad->addr + TRN_PAGE_SIZE, TRN_PAGE_SIZE,
				     TRN_PAGE_SIZE, &bad->blocks,
				     GPU_BUDDY_RANGE_ALLOCATION);
	if (ret)
		return ret == -ENOSPC ? -ENOSPC : -ENOMEM;
	tdev->hbm_retired++;
	tdev->hbm_pending--;
	return 1;
}

/*
 * Memory was freed: retire the pending pages it held. A page the allocator
 * had no memory to split off stays pending until the next free. hbm_lock
 * held.
 */
static void trn_hbm_retire_pending(struct trn_device *tdev)
{
	struct trn_hbm_bad *bad;
	int ret;

	list_for_each_entry(bad, &tdev->hbm_bad, link) {
		if (!list_empty(&bad->blocks))
			continue;
		ret = trn_hbm_take(tdev, bad);
		if (ret > 0)
			trn_event(tdev, info, ECC_PAGE_RETIRED_LATE,
				  "HBM page 0x%llx retired: its last user freed it\n",
				  bad->addr);
		else if (ret == -ENOMEM)
			trn_event(tdev, err, ECC_RETIRE_PENDING,
				  "HBM page 0x%llx: no memory to retire it, still pending\n",
				  bad->addr);
	}
}

/**
 * trn_hbm_retire() - never hand out a page of HBM again
 * @tdev: the device
 * @addr: HBM offset of the page, page aligned, below hbm_size
 *
 * Return: 1 if the page is retired (now or before), 0 if memory in use
 * holds it (it is retired when freed), or -ENOMEM: nothing recorded, the
 * caller tries again later.
 */
int trn_hbm_retire(struct trn_device *tdev, u64 addr)
{
	struct trn_hbm_bad *bad;
	int ret;

	mutex_lock(&tdev->hbm_lock);
	list_for_each_entry(bad, &tdev->hbm_bad, link) {
		if (bad->addr == addr) {
			ret = !list_empty(&bad->blocks);
			goto out;
		}
	}
	bad = kzalloc(sizeof(*bad), GFP_KERNEL);
	if (!bad) {
		ret = -ENOMEM;
		goto out;
	}
	bad->addr = addr;
	INIT_LIST_HEAD(&bad->blocks);
	tdev->hbm_pending++;
	ret = trn_hbm_take(tdev, bad);
	if (ret == -ENOMEM) {
		tdev->hbm_pending--;
		kfree(bad);
		goto out;
	}
	list_add_tail(&bad->link, &tdev->hbm_bad);
	ret = ret > 0;
out:
	mutex_unlock(&tdev->hbm_lock);
	return ret;
}

/**
 * trn_hbm_show_bad() - the retired, or the pending, pages for sysfs
 * @tdev: the device
 * @retired: the retired pages, else those still in use
 * @buf: a sysfs page
 *
 * One HBM offset a line, in the order the errors came. The device's error
 * log bounds the list (trn_ecc.c keeps it to TRN_ECC_LOG_MAX entries), which
 * fits a page; should it not, the list ends at the last whole line.
 *
 * Return: the length written.
 */
ssize_t trn_hbm_show_bad(struct trn_device *tdev, bool retired, char *buf)
{
	char line[sizeof("0x0123456789abcdef\n")];
	struct trn_hbm_bad *bad;
	ssize_t len = 0;
	int n;

	mutex_lock(&tdev->hbm_lock);
	list_for_each_entry(bad, &tdev->hbm_bad, link) {
		if (list_empty(&bad->blocks) == retired)
			continue;
		n = scnprintf(line, sizeof(line), "0x%llx\n", bad->addr);
		/* sysfs_emit_at() would cut the line */
		if (len + n >= PAGE_SIZE)
			break;
		len += sysfs_emit_at(buf, len, "%s", line);
	}
	mutex_unlock(&tdev->hbm_lock);
	return len;
}

int trn_hbm_init(struct trn_device *tdev)
{
	int ret;

	ret = drmm_mutex_init(&tdev->drm, &tdev->hbm_lock);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&tdev->hbm_bad);
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
	if (tdev->hbm_pending)
		trn_hbm_retire_pending(tdev);
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
