// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/trn_accel.h>

#include "trn_drv.h"
#include "trn_gem.h"
#include "trn_file.h"
#include "trn_mem.h"
#include "trn_peer.h"
#include "trn_regs.h"
#include "trn_vm.h"

/*
 * Buffer objects. An object lives in HBM (drm_buddy blocks, CPU access
 * through the write-combined BAR) or in host memory (shmem pages, DMA-mapped
 * for the device). Either way it is mapped at creation into the address
 * space of the file that created it, and only there: a file can reach no
 * other file's memory. Its memory is released once no job of that file can
 * still use it.
 *
 * HBM objects can be shared with the devices cabled to this one, through
 * dma-buf and an import on the other device (trn_peer.c).
 */

/* Largest object: bounded by the address space and by sane kmalloc sizes. */
#define TRN_BO_MAX_SIZE		BIT_ULL(36)

static void trn_bo_release_memory(struct trn_bo *bo)
{
	struct trn_device *tdev = to_trn_device(bo->base.dev);
	u64 size = bo->base.size;

	if (bo->placement == DRM_TRN_PLACEMENT_HBM) {
		if (!list_empty(&bo->blocks)) {
			trn_hbm_free(tdev, &bo->blocks, size);
			atomic64_sub(size, &bo->fpriv->hbm_bytes);
		}
		kvfree(bo->runs);
	} else if (bo->pages) {
		if (bo->sgt) {
			dma_unmap_sgtable(tdev->drm.dev, bo->sgt, DMA_BIDIRECTIONAL, 0);
			sg_free_table(bo->sgt);
			kfree(bo->sgt);
		}
		drm_gem_put_pages(&bo->base, bo->pages, true, true);
		atomic64_sub(size, &tdev->host_used);
		atomic64_sub(size, &bo->fpriv->host_bytes);
	} else if (bo->src) {
		trn_peer_release(bo);
	}
}

/* Frees of objects that jobs may still use; see trn_bo_free(). */
static struct workqueue_struct *trn_free_wq;

static void trn_bo_destroy(struct trn_bo *bo)
{
	struct drm_gem_object *obj = &bo->base;
	struct trn_device *tdev = to_trn_device(obj->dev);
	struct trn_file_priv *fpriv = bo->fpriv;
	struct trn_vm *vm = bo->vm;

	/* Out of the exporter's reach before the range can be reused */
	if (bo->src)
		trn_peer_detach(bo);
	if (drm_mm_node_allocated(&bo->va)) {
		/* No job may touch the memory once it is unmapped and freed. */
		trn_vm_wait_idle(vm);
		trn_vm_unmap(vm, &bo->va);
		trn_vm_wait_idle(vm);
		trn_vm_remove(vm, &bo->va);
	}
	trn_bo_release_memory(bo);
	drm_gem_free_mmap_offset(obj);
	drm_gem_object_release(obj);
	atomic_dec(&tdev->num_bos);
	trn_vm_put(vm);
	trn_file_put(fpriv);
	kfree(bo);
}

static void trn_bo_free_work(struct work_struct *work)
{
	struct trn_bo *bo = container_of(work, struct trn_bo, free_work);
	struct drm_device *drm = bo->base.dev;

	trn_bo_destroy(bo);
	drm_dev_put(drm);
}

/*
 * The last reference is gone. The driver does not know which objects a job
 * uses, so the memory goes only once every job of the file that could use
 * it has finished. When jobs are still running, that wait happens in a
 * worker rather than in the caller, who may be a thread that the jobs are
 * waiting for.
 */
static void trn_bo_free(struct drm_gem_object *obj)
{
	struct trn_bo *bo = to_trn_bo(obj);

	if (!drm_mm_node_allocated(&bo->va) || trn_vm_idle(bo->vm)) {
		trn_bo_destroy(bo);
		return;
	}
	drm_dev_get(obj->dev);
	INIT_WORK(&bo->free_work, trn_bo_free_work);
	queue_work(trn_free_wq, &bo->free_work);
}

/**
 * trn_gem_init() - module load: set up the deferred frees
 *
 * Return: 0 or -ENOMEM.
 */
int trn_gem_init(void)
{
	trn_free_wq = alloc_workqueue("trn-free", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return trn_free_wq ? 0 : -ENOMEM;
}

/**
 * trn_gem_exit() - module unload: finish the deferred frees
 *
 * Called after the PCI driver is gone: the devices' jobs have all completed
 * or failed, so the pending frees finish.
 */
void trn_gem_exit(void)
{
	destroy_workqueue(trn_free_wq);
}

static u64 trn_bo_hbm_page(struct trn_bo *bo, pgoff_t page)
{
	unsigned int lo = 0, hi = bo->nr_runs;

	/* Last run whose first page is <= page. */
	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (bo->runs[mid].first_page <= page)
			lo = mid;
		else
			hi = mid;
	}
	return bo->runs[lo].hbm + ((page - bo->runs[lo].first_page) << PAGE_SHIFT);
}

static vm_fault_t trn_bo_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct trn_bo *bo = to_trn_bo(vma->vm_private_data);
	struct trn_device *tdev = to_trn_device(bo->base.dev);
	pgoff_t page = (vmf->address - vma->vm_start) >> PAGE_SHIFT;
	unsigned long pfn;
	vm_fault_t ret;
	int idx;

	if (page >= bo->base.size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	if (!drm_dev_enter(&tdev->drm, &idx))
		return VM_FAULT_SIGBUS;
	if (bo->placement == DRM_TRN_PLACEMENT_HBM)
		pfn = (tdev->hbm_bus + trn_bo_hbm_page(bo, page)) >> PAGE_SHIFT;
	else
		pfn = page_to_pfn(bo->pages[page]);
	ret = vmf_insert_pfn(vma, vmf->address, pfn);
	drm_dev_exit(idx);
	return ret;
}

static const struct vm_operations_struct trn_bo_vm_ops = {
	.fault = trn_bo_fault,
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

static int trn_bo_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma)
{
	struct trn_bo *bo = to_trn_bo(obj);

	/* Peer objects have no mmap offset: the CPU cannot reach them */
	if (bo->placement == DRM_TRN_PLACEMENT_PEER || is_cow_mapping(vma->vm_flags))
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	if (bo->placement == DRM_TRN_PLACEMENT_HBM) {
		vm_flags_set(vma, VM_IO);
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	}
	vma->vm_ops = &trn_bo_vm_ops;
	return 0;
}

static const struct drm_gem_object_funcs trn_bo_funcs = {
	.free = trn_bo_free,
	.mmap = trn_bo_mmap,
	.export = trn_peer_export,
};

static int trn_bo_alloc_hbm(struct trn_device *tdev, struct trn_bo *bo)
{
	struct drm_buddy_block *block;
	u64 page = 0;
	unsigned int n = 0;
	int ret;

	ret = trn_hbm_alloc(tdev, bo->base.size, &bo->blocks);
	if (ret)
		return ret;
	atomic64_add(bo->base.size, &bo->fpriv->hbm_bytes);
	ret = trn_hbm_clear(tdev, &bo->blocks);
	if (ret)
		return ret;

	list_for_each_entry(block, &bo->blocks, link)
		n++;
	bo->runs = kvmalloc_array(n, sizeof(*bo->runs), GFP_KERNEL);
	if (!bo->runs)
		return -ENOMEM;
	list_for_each_entry(block, &bo->blocks, link) {
		bo->runs[bo->nr_runs].first_page = page;
		bo->runs[bo->nr_runs].hbm = drm_buddy_block_offset(block);
		bo->nr_runs++;
		page += drm_buddy_block_size(&tdev->hbm_mm, block) >> PAGE_SHIFT;
	}
	return trn_vm_map_hbm(bo->vm, &bo->va, &bo->blocks);
}

static int trn_bo_alloc_host(struct trn_device *tdev, struct trn_bo *bo)
{
	unsigned int npages = bo->base.size >> PAGE_SHIFT;
	int ret;

	bo->pages = drm_gem_get_pages(&bo->base);
	if (IS_ERR(bo->pages)) {
		ret = PTR_ERR(bo->pages);
		bo->pages = NULL;
		return ret;
	}
	atomic64_add(bo->base.size, &tdev->host_used);
	atomic64_add(bo->base.size, &bo->fpriv->host_bytes);

	bo->sgt = kzalloc(sizeof(*bo->sgt), GFP_KERNEL);
	if (!bo->sgt)
		return -ENOMEM;
	ret = sg_alloc_table_from_pages(bo->sgt, bo->pages, npages, 0,
					bo->base.size, GFP_KERNEL);
	if (ret) {
		kfree(bo->sgt);
		bo->sgt = NULL;
		return ret;
	}
	ret = dma_map_sgtable(tdev->drm.dev, bo->sgt, DMA_BIDIRECTIONAL, 0);
	if (ret) {
		sg_free_table(bo->sgt);
		kfree(bo->sgt);
		bo->sgt = NULL;
		return ret;
	}
	return trn_vm_map_sgt(bo->vm, &bo->va, bo->sgt);
}

/**
 * trn_bo_alloc() - a buffer object with a virtual range and no memory yet
 * @fpriv: the file that creates it, charged for it; the object is mapped
 *	in the file's address space
 * @placement: DRM_TRN_PLACEMENT_*
 * @size: bytes, a multiple of TRN_PAGE_SIZE
 *
 * Return: the object, holding one GEM reference which owns everything the
 * caller adds (put it on error), or ERR_PTR(-ENOMEM).
 */
struct trn_bo *trn_bo_alloc(struct trn_file_priv *fpriv, u32 placement, u64 size)
{
	struct trn_device *tdev = fpriv->tdev;
	struct trn_bo *bo;
	int ret;

	/* Charged to the caller's memory cgroup, as its jobs are */
	bo = kzalloc(sizeof(*bo), GFP_KERNEL_ACCOUNT);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->base.funcs = &trn_bo_funcs;
	bo->placement = placement;
	INIT_LIST_HEAD(&bo->blocks);
	INIT_LIST_HEAD(&bo->import_node);
	bo->fpriv = trn_file_get(fpriv);
	bo->vm = trn_vm_get(fpriv->vm);
	atomic_inc(&tdev->num_bos);

	if (placement == DRM_TRN_PLACEMENT_HOST) {
		ret = drm_gem_object_init(&tdev->drm, &bo->base, size);
	} else {
		drm_gem_private_object_init(&tdev->drm, &bo->base, size);
		ret = 0;
	}
	if (ret) {
		atomic_dec(&tdev->num_bos);
		trn_vm_put(bo->vm);
		trn_file_put(fpriv);
		kfree(bo);
		return ERR_PTR(ret);
	}

	ret = trn_vm_insert(bo->vm, &bo->va, size);
	if (ret) {
		drm_gem_object_put(&bo->base);
		return ERR_PTR(ret);
	}
	return bo;
}

int trn_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct trn_device *tdev = to_trn_device(drm);
	struct trn_file_priv *fpriv = file->driver_priv;
	struct drm_trn_bo_create *args = data;
	struct trn_bo *bo;
	int ret;

	/* CPU page faults map device pages one for one. */
	BUILD_BUG_ON(PAGE_SIZE != TRN_PAGE_SIZE);

	if (args->flags || args->pad || !args->size)
		return -EINVAL;
	if (args->placement != DRM_TRN_PLACEMENT_HBM &&
	    args->placement != DRM_TRN_PLACEMENT_HOST)
		return -EINVAL;
	if (args->size > TRN_BO_MAX_SIZE)
		return -ENOMEM;
	/* Host objects are pinned: never let one take over half of memory. */
	if (args->placement == DRM_TRN_PLACEMENT_HOST &&
	    args->size > (totalram_pages() << PAGE_SHIFT) / 2)
		return -ENOMEM;

	bo = trn_bo_alloc(fpriv, args->placement, ALIGN(args->size, TRN_PAGE_SIZE));
	if (IS_ERR(bo))
		return PTR_ERR(bo);

	if (bo->placement == DRM_TRN_PLACEMENT_HBM)
		ret = trn_bo_alloc_hbm(tdev, bo);
	else
		ret = trn_bo_alloc_host(tdev, bo);
	if (ret)
		goto out_put;

	ret = drm_gem_create_mmap_offset(&bo->base);
	if (ret)
		goto out_put;

	ret = drm_gem_handle_create(file, &bo->base, &args->handle);
	if (ret)
		goto out_put;
	args->va = bo->va.start;

out_put:
	drm_gem_object_put(&bo->base);
	return ret;
}

int trn_ioctl_bo_info(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_trn_bo_info *args = data;
	struct drm_gem_object *obj;
	struct trn_bo *bo;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_trn_bo(obj);
	args->size = obj->size;
	args->va = bo->va.start;
	args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
	args->placement = bo->placement;
	args->pad2 = 0;
	drm_gem_object_put(obj);
	return 0;
}
