// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/dma-fence.h>
#include <linux/error-injection.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "trn_drv.h"
#include "trn_hw.h"
#include "trn_mem.h"
#include "trn_regs.h"
#include "trn_user.h"
#include "trn_vm.h"

/* How long trn_vm_wait_idle() sleeps at a time. */
#define TRN_VM_IDLE_SLICE	(10 * HZ)

/*
 * Device address spaces. Each has an ASID, a drm_mm range allocator for
 * device virtual addresses and a 3-level page table in HBM, written through
 * the BAR and mirrored by a tree of struct trn_pt so that the driver never
 * reads device memory back.
 *
 * An open file has one (trn_file.c); the export space of a device, which
 * the accesses of its peers go through (trn_peer.c), is one with no file.
 * Whoever maps memory in a space keeps the space alive until it is
 * unmapped.
 */

struct trn_pt {
	u64 hbm;		/* offset of this 4 KiB table in HBM */
	struct trn_pt **child;	/* levels 0 and 1 only */
};

/*
 * A page table, its device memory charged to the user of the space: the
 * importer's for the tables that map a peer's object.
 */
static noinline struct trn_pt *trn_pt_alloc(struct trn_vm *vm, int level)
{
	struct trn_pt *pt;
	int ret;

	ret = trn_user_charge_hbm(vm->user, vm->limited, TRN_PAGE_SIZE);
	if (ret)
		return ERR_PTR(ret);
	pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	if (!pt) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	if (level < TRN_PT_LEVELS - 1) {
		pt->child = kcalloc(TRN_PT_ENTRIES, sizeof(*pt->child), GFP_KERNEL);
		if (!pt->child) {
			ret = -ENOMEM;
			goto err_free;
		}
	}
	ret = trn_hbm_alloc_page(vm->tdev, &vm->pt_blocks, &pt->hbm);
	if (ret)
		goto err_free;
	WRITE_ONCE(vm->pt_bytes, vm->pt_bytes + TRN_PAGE_SIZE);
	return pt;

err_free:
	kfree(pt->child);
	kfree(pt);
err_uncharge:
	trn_user_uncharge_hbm(vm->user, TRN_PAGE_SIZE);
	return ERR_PTR(ret);
}
ALLOW_ERROR_INJECTION(trn_pt_alloc, ERRNO);

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

static void trn_pte_write(struct trn_vm *vm, struct trn_pt *pt,
			  unsigned int idx, u64 pte)
{
	writeq(pte, vm->tdev->hbm_io + pt->hbm + idx * sizeof(u64));
}

/*
 * The leaf table for @va, created on the way down if @create: NULL if it
 * does not exist and !@create, an ERR_PTR() if it cannot be created.
 */
static struct trn_pt *trn_pt_leaf(struct trn_vm *vm, u64 va, bool create)
{
	struct trn_pt *pt = vm->root;
	int level;

	for (level = 0; level < TRN_PT_LEVELS - 1; level++) {
		unsigned int idx = TRN_PT_INDEX(va, level);
		struct trn_pt *next = pt->child[idx];

		if (!next) {
			if (!create)
				return NULL;
			next = trn_pt_alloc(vm, level + 1);
			if (IS_ERR(next))
				return next;
			pt->child[idx] = next;
			trn_pte_write(vm, pt, idx, next->hbm | TRN_PTE_VALID);
		}
		pt = next;
	}
	return pt;
}

static void trn_vm_clear_range(struct trn_vm *vm, u64 va, u64 end)
{
	for (; va < end; va += TRN_PAGE_SIZE) {
		struct trn_pt *leaf = trn_pt_leaf(vm, va, false);

		if (!(va & (SZ_16M - 1)))
			cond_resched();
		if (leaf)
			trn_pte_write(vm, leaf, TRN_PT_INDEX(va, TRN_PT_LEVELS - 1), 0);
	}
}

static void trn_tlb_invalidate(struct trn_vm *vm)
{
	/* Make the table updates visible before the device looks again. */
	wmb();
	trn_write32(vm->tdev, TRN_REG_TLB_INVALIDATE, vm->asid);
}

/* Map [@va, @va + @len) to the device or host range starting at @addr. */
static int trn_vm_map_range(struct trn_vm *vm, u64 va, u64 addr, u64 len,
			    u64 flags)
{
	u64 off;

	for (off = 0; off < len; off += TRN_PAGE_SIZE) {
		struct trn_pt *leaf = trn_pt_leaf(vm, va + off, true);

		if (IS_ERR(leaf))
			return PTR_ERR(leaf);
		if (!(off & (SZ_16M - 1)))
			cond_resched();
		trn_pte_write(vm, leaf, TRN_PT_INDEX(va + off, TRN_PT_LEVELS - 1),
			      ((addr + off) & TRN_PTE_ADDR_MASK) | flags);
	}
	return 0;
}

/* Write the page table entries of a range; vm->lock held. */
typedef int (*trn_map_fn)(struct trn_vm *vm, u64 va, void *arg);

/*
 * Map @node with @fill, all or nothing: on failure whatever @fill wrote is
 * cleared again. The TLB is invalidated either way. Not on a wedged device:
 * nothing reaches it.
 */
static int trn_vm_map(struct trn_vm *vm, struct drm_mm_node *node,
		      trn_map_fn fill, void *arg)
{
	struct trn_device *tdev = vm->tdev;
	int ret, idx, hw;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	hw = trn_hw_enter(tdev);
	if (READ_ONCE(tdev->wedged)) {
		ret = -EIO;
		goto out;
	}
	mutex_lock(&vm->lock);
	ret = fill(vm, node->start, arg);
	if (ret)
		trn_vm_clear_range(vm, node->start, node->start + node->size);
	trn_tlb_invalidate(vm);
	mutex_unlock(&vm->lock);
out:
	trn_hw_exit(tdev, hw);
	drm_dev_exit(idx);
	return ret;
}

struct trn_vm_cursor {
	struct trn_vm *vm;
	u64 va;
};

static int trn_map_run(void *arg, u64 hbm, u64 len)
{
	struct trn_vm_cursor *c = arg;
	int ret;

	ret = trn_vm_map_range(c->vm, c->va, hbm, len, TRN_PTE_VALID | TRN_PTE_WRITE);
	c->va += len;
	return ret;
}

static int trn_map_blocks(struct trn_vm *vm, u64 va, void *arg)
{
	struct trn_vm_cursor c = { .vm = vm, .va = va };

	return trn_hbm_walk(vm->tdev, arg, trn_map_run, &c);
}

static int trn_map_sg(struct trn_vm *vm, u64 va, void *arg)
{
	struct sg_table *sgt = arg;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 len = sg_dma_len(sg);

		ret = trn_vm_map_range(vm, va, sg_dma_address(sg), len,
				       TRN_PTE_VALID | TRN_PTE_WRITE | TRN_PTE_SYSTEM);
		if (ret)
			return ret;
		va += len;
	}
	return 0;
}

/**
 * trn_vm_insert() - reserve a range of device virtual addresses
 * @vm: the address space
 * @node: receives the range; zeroed by the caller
 * @size: bytes, a multiple of TRN_PAGE_SIZE
 *
 * Return: 0, or -ENOMEM when the space has no such hole.
 */
int trn_vm_insert(struct trn_vm *vm, struct drm_mm_node *node, u64 size)
{
	int ret;

	mutex_lock(&vm->lock);
	ret = drm_mm_insert_node(&vm->va_mm, node, size);
	mutex_unlock(&vm->lock);
	return ret ? -ENOMEM : 0;
}

/**
 * trn_vm_remove() - give back a range of trn_vm_insert(), unmapped
 * @vm: the address space
 * @node: the range
 */
void trn_vm_remove(struct trn_vm *vm, struct drm_mm_node *node)
{
	mutex_lock(&vm->lock);
	drm_mm_remove_node(node);
	mutex_unlock(&vm->lock);
}

/**
 * trn_vm_map_hbm() - map HBM blocks at a reserved virtual range
 * @vm: the address space
 * @node: the virtual range, from trn_vm_insert()
 * @blocks: HBM blocks covering the range, in order (trn_hbm_alloc())
 *
 * Return: 0; -ENOMEM, or -EDQUOT when the page tables would take the
 * user of @vm over its quota, with nothing left mapped; or -ENODEV.
 */
int trn_vm_map_hbm(struct trn_vm *vm, struct drm_mm_node *node,
		   struct list_head *blocks)
{
	return trn_vm_map(vm, node, trn_map_blocks, blocks);
}

/**
 * trn_vm_map_sgt() - map DMA-mapped host pages at a reserved virtual range
 * @vm: the address space
 * @node: the virtual range, from trn_vm_insert()
 * @sgt: the pages, mapped for the device
 *
 * Return: 0; -ENOMEM, or -EDQUOT when the page tables would take the
 * user of @vm over its quota, with nothing left mapped; or -ENODEV.
 */
int trn_vm_map_sgt(struct trn_vm *vm, struct drm_mm_node *node,
		   struct sg_table *sgt)
{
	return trn_vm_map(vm, node, trn_map_sg, sgt);
}

struct trn_peer_map {
	u64 xva;
	u64 size;
	u64 flags;
};

static int trn_map_peer(struct trn_vm *vm, u64 va, void *arg)
{
	struct trn_peer_map *m = arg;

	return trn_vm_map_range(vm, va, m->xva, m->size, m->flags);
}

/**
 * trn_vm_map_peer() - map a peer's exported range at a reserved range
 * @vm: the address space
 * @node: the virtual range, from trn_vm_insert()
 * @port: NeuronLink port that reaches the peer
 * @peer_chip: chip id of the peer; the hardware refuses the entries while
 *	another chip is at the far end of @port
 * @xva: start of the range in the peer's export space
 * @writable: whether descriptors may write it
 *
 * Return: 0; -ENOMEM, or -EDQUOT when the page tables would take the
 * user of @vm over its quota, with nothing left mapped; or -ENODEV.
 */
int trn_vm_map_peer(struct trn_vm *vm, struct drm_mm_node *node, u32 port,
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

	return trn_vm_map(vm, node, trn_map_peer, &m);
}

/**
 * trn_vm_unmap() - remove a virtual range from the page tables
 * @vm: the address space
 * @node: the range; it stays reserved
 *
 * The caller makes sure no job in @vm still uses the range.
 */
void trn_vm_unmap(struct trn_vm *vm, struct drm_mm_node *node)
{
	int idx, hw;

	if (!drm_dev_enter(&vm->tdev->drm, &idx))
		return;
	hw = trn_hw_enter(vm->tdev);
	mutex_lock(&vm->lock);
	trn_vm_clear_range(vm, node->start, node->start + node->size);
	trn_tlb_invalidate(vm);
	mutex_unlock(&vm->lock);
	trn_hw_exit(vm->tdev, hw);
	drm_dev_exit(idx);
}

/**
 * trn_vm_create() - a new address space
 * @tdev: the device
 * @user_space: the space of an open file, charged to the calling task's
 *	user (trn_user.c), rather than one of the device's own
 *
 * Its semaphores start at zero.
 *
 * Return: the space, holding one reference, or ERR_PTR(-ENOSPC) when all
 * ASIDs are in use, -EDQUOT when the user holds as many address spaces as
 * it may or its quota of HBM has no room for the root page table, -ENOMEM,
 * -ENODEV, or -EIO on a wedged device.
 */
struct trn_vm *trn_vm_create(struct trn_device *tdev, bool user_space)
{
	struct trn_vm *vm;
	int ret, idx, hw;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	kref_init(&vm->ref);
	vm->tdev = tdev;
	mutex_init(&vm->lock);
	INIT_LIST_HEAD(&vm->pt_blocks);
	vm->last_fences = kcalloc(tdev->num_queues, sizeof(*vm->last_fences),
				  GFP_KERNEL);
	if (!vm->last_fences) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (user_space) {
		vm->user = trn_user_add_space(tdev, &vm->limited);
		if (IS_ERR(vm->user)) {
			ret = PTR_ERR(vm->user);
			vm->user = NULL;
			goto err_free;
		}
	}

	ret = ida_alloc_max(&tdev->asid_ida, tdev->num_asids - 1, GFP_KERNEL);
	if (ret < 0)
		goto err_user;
	vm->asid = ret;
	atomic_inc(&tdev->num_spaces);

	if (!drm_dev_enter(&tdev->drm, &idx)) {
		ret = -ENODEV;
		goto err_asid;
	}
	/* The root table is cleared, the semaphores reset: not lost in a reset. */
	hw = trn_hw_enter(tdev);
	if (READ_ONCE(tdev->wedged)) {
		ret = -EIO;
		goto err_exit;
	}
	vm->root = trn_pt_alloc(vm, 0);
	if (IS_ERR(vm->root)) {
		ret = PTR_ERR(vm->root);
		goto err_exit;
	}
	drm_mm_init(&vm->va_mm, TRN_VA_START,
		    (1ULL << TRN_VA_BITS) - TRN_VA_START);
	trn_write32(tdev, TRN_REG_SEM_RESET, vm->asid);
	trn_tlb_invalidate(vm);
	trn_hw_exit(tdev, hw);
	drm_dev_exit(idx);
	return vm;

err_exit:
	trn_hw_exit(tdev, hw);
	drm_dev_exit(idx);
err_asid:
	atomic_dec(&tdev->num_spaces);
	ida_free(&tdev->asid_ida, vm->asid);
err_user:
	trn_user_del_space(vm->user);
err_free:
	mutex_destroy(&vm->lock);
	kfree(vm->last_fences);
	kfree(vm);
	return ERR_PTR(ret);
}

static void trn_vm_release(struct kref *ref)
{
	struct trn_vm *vm = container_of(ref, struct trn_vm, ref);
	struct trn_device *tdev = vm->tdev;
	u32 q;

	trn_hbm_free(tdev, &vm->pt_blocks, vm->pt_bytes);
	trn_user_uncharge_hbm(vm->user, vm->pt_bytes);
	trn_pt_free(vm->root, 0);
	drm_mm_takedown(&vm->va_mm);
	atomic_dec(&tdev->num_spaces);
	ida_free(&tdev->asid_ida, vm->asid);
	trn_user_del_space(vm->user);
	for (q = 0; q < tdev->num_queues; q++)
		dma_fence_put(vm->last_fences[q]);
	mutex_destroy(&vm->lock);
	kfree(vm->last_fences);
	kfree(vm);
}

/**
 * trn_vm_get() - take a reference to an address space
 * @vm: the space
 *
 * Return: @vm.
 */
struct trn_vm *trn_vm_get(struct trn_vm *vm)
{
	kref_get(&vm->ref);
	return vm;
}

/**
 * trn_vm_put() - drop a reference; the last one frees the space
 * @vm: the space, or NULL
 */
void trn_vm_put(struct trn_vm *vm)
{
	if (vm)
		kref_put(&vm->ref, trn_vm_release);
}

/**
 * trn_vm_pt_root() - where the device finds the page tables of a space
 * @vm: the space
 *
 * Return: the HBM offset of the level 0 table.
 */
u64 trn_vm_pt_root(struct trn_vm *vm)
{
	return vm->root->hbm;
}

/**
 * trn_vm_set_last_fence() - remember the newest job of @vm on a queue
 * @vm: the space
 * @queue: the queue
 * @fence: the job's finished fence
 *
 * So that memory is never freed under a job (trn_vm_wait_idle()).
 */
void trn_vm_set_last_fence(struct trn_vm *vm, u32 queue,
			   struct dma_fence *fence)
{
	mutex_lock(&vm->lock);
	dma_fence_put(vm->last_fences[queue]);
	vm->last_fences[queue] = dma_fence_get(fence);
	mutex_unlock(&vm->lock);
}

/**
 * trn_vm_idle() - whether every job in @vm has finished
 * @vm: the address space
 *
 * Return: true if no job is queued or running; a job may be submitted right
 * after it returns.
 */
bool trn_vm_idle(struct trn_vm *vm)
{
	bool idle = true;
	u32 q;

	mutex_lock(&vm->lock);
	for (q = 0; q < vm->tdev->num_queues && idle; q++)
		idle = !vm->last_fences[q] || dma_fence_is_signaled(vm->last_fences[q]);
	mutex_unlock(&vm->lock);
	return idle;
}

/**
 * trn_vm_wait_idle() - wait until every job submitted so far in @vm is done
 * @vm: the address space
 *
 * Uninterruptible, but in slices: the jobs' timeouts bound the wait (one
 * per file ahead on each queue once the file is closed), yet it may last
 * longer than the hung task detector allows, on a worker shared by all.
 */
void trn_vm_wait_idle(struct trn_vm *vm)
{
	struct dma_fence *fence;
	u32 q;

	for (q = 0; q < vm->tdev->num_queues; q++) {
		mutex_lock(&vm->lock);
		fence = dma_fence_get(vm->last_fences[q]);
		mutex_unlock(&vm->lock);
		if (!fence)
			continue;
		while (!dma_fence_wait_timeout(fence, false, TRN_VM_IDLE_SLICE))
			drm_dbg(&vm->tdev->drm, "address space %u: still waiting for jobs on queue %u\n",
				vm->asid, q);
		dma_fence_put(fence);
	}
}
