// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/dma-buf.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>
#include <drm/drm_vma_manager.h>
#include <drm/trn_accel.h>

#include "trn_drv.h"
#include "trn_file.h"
#include "trn_gem.h"
#include "trn_hw.h"
#include "trn_mem.h"
#include "trn_regs.h"
#include "trn_user.h"
#include "trn_vm.h"

/*
 * Buffer objects. An object lives in HBM (blocks of trn_mem.c, CPU access
 * through the write-combined BAR) or in host memory (a drm_gem_shmem
 * object whose pages stay pinned and DMA-mapped for the device while it
 * lives). Either way it is mapped at creation into the address space of
 * the file that created it, and only there: a file can reach no other
 * file's memory. Its memory is released once no job of that file can
 * still use it.
 *
 * CPU mappings fault pages in one at a time, by their offset in the object,
 * which vm_pgoff gives: a mapping whose start was unmapped, or that mremap
 * moved, still maps the right pages. (The shmem helpers' own fault handler
 * counts from the start of the mapping instead, and takes a page reference
 * per mapping, which pinned pages do not need; host objects therefore use
 * the helpers for their pages and this file's mmap.)
 *
 * HBM objects can be shared with the devices cabled to this one, as
 * dma-bufs that only a peer import on another trn device takes
 * (trn_peer.c).
 */

/* Largest object: bounded by the address space and by sane kmalloc sizes. */
#define TRN_BO_MAX_SIZE		BIT_ULL(36)

/* drm_gem_shmem_free() frees the trn_bo it is at the start of. */
static_assert(offsetof(struct trn_bo, base) == 0);

/* Give back the object's memory and free the object. */
static void trn_bo_release(struct trn_bo *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct trn_device *tdev = to_trn_device(obj->dev);
	u64 size = obj->size;

	switch (bo->placement) {
	case DRM_TRN_PLACEMENT_HOST:
		if (bo->base.pages) {
			atomic64_sub(size, &tdev->host_used);
			atomic64_sub(size, &bo->fpriv->host_bytes);
		}
		/* Unmaps and unpins the pages, releases and frees the object. */
		drm_gem_shmem_free(&bo->base);
		return;
	case DRM_TRN_PLACEMENT_HBM:
		if (!list_empty(&bo->blocks)) {
			trn_hbm_free(tdev, &bo->blocks, size);
			trn_user_uncharge_hbm(bo->vm->user, size);
			atomic64_sub(size, &bo->fpriv->hbm_bytes);
		}
		kvfree(bo->runs);
		break;
	}
	if (bo->ops)
		bo->ops->release(bo);
	drm_gem_object_release(obj);
	kfree(bo);
}

/* Frees of objects that jobs may still use; see trn_bo_free(). */
static struct workqueue_struct *trn_free_wq;

static void trn_bo_destroy(struct trn_bo *bo)
{
	struct trn_device *tdev = to_trn_device(bo->base.base.dev);
	struct trn_file_priv *fpriv = bo->fpriv;
	struct trn_vm *vm = bo->vm;

	if (bo->ops && bo->ops->detach)
		bo->ops->detach(bo);
	if (drm_mm_node_allocated(&bo->va)) {
		/* No job may touch the memory once it is unmapped and freed. */
		trn_vm_wait_idle(vm);
		trn_vm_unmap(vm, &bo->va);
		trn_vm_wait_idle(vm);
		trn_vm_remove(vm, &bo->va);
	}
	trn_bo_release(bo);
	atomic_dec(&tdev->num_bos);
	trn_vm_put(vm);
	trn_file_put(fpriv);
}

static void trn_bo_free_work(struct work_struct *work)
{
	struct trn_bo *bo = container_of(work, struct trn_bo, free_work);
	struct drm_device *drm = bo->base.base.dev;

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
	struct drm_gem_object *obj = vma->vm_private_data;
	struct trn_bo *bo = to_trn_bo(obj);
	struct trn_device *tdev = to_trn_device(obj->dev);
	/* vm_pgoff is the object's mmap offset plus the mapping's offset in it */
	pgoff_t page = vmf->pgoff - drm_vma_node_start(&obj->vma_node);
	unsigned long pfn;
	vm_fault_t ret;
	int idx;

	if (page >= obj->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	if (!drm_dev_enter(&tdev->drm, &idx))
		return VM_FAULT_SIGBUS;
	if (bo->placement == DRM_TRN_PLACEMENT_HBM)
		pfn = (tdev->hbm_bus + trn_bo_hbm_page(bo, page)) >> PAGE_SHIFT;
	else
		pfn = page_to_pfn(bo->base.pages[page]);
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
	if (bo->placement == DRM_TRN_PLACEMENT_PEER || vma_is_cow_mapping(vma))
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

/* ---- dma-buf: HBM objects for peer imports only ---- */

static int trn_dmabuf_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	return -EOPNOTSUPP;
}

static struct sg_table *trn_dmabuf_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static void trn_dmabuf_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
}

static const struct dma_buf_ops trn_dmabuf_ops = {
	.attach = trn_dmabuf_attach,
	.map_dma_buf = trn_dmabuf_map,
	.unmap_dma_buf = trn_dmabuf_unmap,
	.release = drm_gem_dmabuf_release,
};

/*
 * &drm_gem_object_funcs.export: a dma-buf of an HBM object of a device that
 * can do peer DMA, which no other driver can attach: the memory is only
 * reachable over the links. -EOPNOTSUPP for anything else.
 */
static struct dma_buf *trn_bo_export(struct drm_gem_object *obj, int flags)
{
	struct trn_device *tdev = to_trn_device(obj->dev);
	struct trn_bo *bo = to_trn_bo(obj);
	DEFINE_DMA_BUF_EXPORT_INFO(info);

	if (bo->placement != DRM_TRN_PLACEMENT_HBM || !tdev->export_vm)
		return ERR_PTR(-EOPNOTSUPP);
	info.ops = &trn_dmabuf_ops;
	info.size = obj->size;
	info.flags = flags;
	info.priv = obj;
	info.resv = obj->resv;
	return drm_gem_dmabuf_export(obj->dev, &info);
}

/**
 * trn_bo_from_dmabuf() - the object a trn dma-buf exports
 * @dmabuf: a dma-buf
 *
 * Return: the HBM object, which @dmabuf holds a reference to, or NULL if
 * @dmabuf was not exported by trn.
 */
struct trn_bo *trn_bo_from_dmabuf(struct dma_buf *dmabuf)
{
	if (dmabuf->ops != &trn_dmabuf_ops)
		return NULL;
	return to_trn_bo(dmabuf->priv);
}

static const struct drm_gem_object_funcs trn_bo_funcs = {
	.free = trn_bo_free,
	.mmap = trn_bo_mmap,
	.export = trn_bo_export,
	.vm_ops = &trn_bo_vm_ops,
};

/* ---- creation ---- */

static struct trn_bo *trn_bo_new(void)
{
	struct trn_bo *bo;

	/* Charged to the caller's memory cgroup, as its jobs are */
	bo = kzalloc(sizeof(*bo), GFP_KERNEL_ACCOUNT);
	if (!bo)
		return NULL;
	bo->base.base.funcs = &trn_bo_funcs;
	INIT_LIST_HEAD(&bo->blocks);
	INIT_LIST_HEAD(&bo->import_node);
	return bo;
}

/**
 * trn_gem_create_object() - &drm_driver.gem_create_object: the trn_bo that
 * drm_gem_shmem_create() makes a host object of
 * @drm: the device
 * @size: bytes
 *
 * Return: the GEM object, or ERR_PTR(-ENOMEM).
 */
struct drm_gem_object *trn_gem_create_object(struct drm_device *drm, size_t size)
{
	struct trn_bo *bo = trn_bo_new();

	return bo ? &bo->base.base : ERR_PTR(-ENOMEM);
}

struct trn_hbm_runs {
	struct trn_bo *bo;
	u64 page;
};

static int trn_hbm_count_run(void *arg, u64 hbm, u64 len)
{
	(*(unsigned int *)arg)++;
	return 0;
}

static int trn_hbm_add_run(void *arg, u64 hbm, u64 len)
{
	struct trn_hbm_runs *r = arg;

	r->bo->runs[r->bo->nr_runs++] = (struct trn_hbm_run) {
		.first_page = r->page,
		.hbm = hbm,
	};
	r->page += len >> PAGE_SHIFT;
	return 0;
}

static int trn_bo_alloc_hbm(struct trn_device *tdev, struct trn_bo *bo)
{
	struct trn_hbm_runs r = { .bo = bo };
	u64 size = bo->base.base.size;
	unsigned int n = 0;
	int ret, hw;

	/* Charged to the user of the file while the blocks are held. */
	ret = trn_user_charge_hbm(bo->vm->user, bo->vm->limited, size);
	if (ret)
		return ret;
	ret = trn_hbm_alloc(tdev, size, &bo->blocks);
	if (ret) {
		trn_user_uncharge_hbm(bo->vm->user, size);
		return ret;
	}
	atomic64_add(size, &bo->fpriv->hbm_bytes);
	/* New memory reads as zero: a clear a reset loses would not. */
	hw = trn_hw_enter(tdev);
	ret = trn_hbm_clear(tdev, &bo->blocks);
	trn_hw_exit(tdev, hw);
	if (ret)
		return ret;

	trn_hbm_walk(tdev, &bo->blocks, trn_hbm_count_run, &n);
	bo->runs = kvmalloc_array(n, sizeof(*bo->runs), GFP_KERNEL);
	if (!bo->runs)
		return -ENOMEM;
	trn_hbm_walk(tdev, &bo->blocks, trn_hbm_add_run, &r);
	return trn_vm_map_hbm(bo->vm, &bo->va, &bo->blocks);
}

static int trn_bo_alloc_host(struct trn_device *tdev, struct trn_bo *bo)
{
	u64 size = bo->base.base.size;
	struct sg_table *sgt;

	/* Pins the pages and maps them for the device until the object goes. */
	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	atomic64_add(size, &tdev->host_used);
	atomic64_add(size, &bo->fpriv->host_bytes);
	return trn_vm_map_sgt(bo->vm, &bo->va, sgt);
}

/**
 * trn_bo_alloc() - a buffer object with a virtual range and no memory yet
 * @fpriv: the file that creates it, charged for it; the object is mapped
 *	in the file's address space
 * @placement: DRM_TRN_PLACEMENT_*; host objects are shmem objects
 * @size: bytes, a multiple of TRN_PAGE_SIZE
 * @ops: what destroying the object takes beyond the placement's own, or
 *	NULL
 *
 * Return: the object, holding one GEM reference which owns everything the
 * caller adds (put it on error), or ERR_PTR(-ENOMEM).
 */
struct trn_bo *trn_bo_alloc(struct trn_file_priv *fpriv, u32 placement,
			    u64 size, const struct trn_bo_ops *ops)
{
	struct trn_device *tdev = fpriv->tdev;
	struct drm_gem_shmem_object *shmem;
	struct trn_bo *bo;
	int ret;

	if (placement == DRM_TRN_PLACEMENT_HOST) {
		/* trn_gem_create_object() allocates the trn_bo. */
		shmem = drm_gem_shmem_create(&tdev->drm, size);
		if (IS_ERR(shmem))
			return ERR_CAST(shmem);
		bo = to_trn_bo(&shmem->base);
	} else {
		bo = trn_bo_new();
		if (!bo)
			return ERR_PTR(-ENOMEM);
		drm_gem_private_object_init(&tdev->drm, &bo->base.base, size);
	}
	bo->ops = ops;
	bo->placement = placement;
	bo->fpriv = trn_file_get(fpriv);
	bo->vm = trn_vm_get(fpriv->vm);
	atomic_inc(&tdev->num_bos);

	ret = trn_vm_insert(bo->vm, &bo->va, size);
	if (ret) {
		drm_gem_object_put(&bo->base.base);
		return ERR_PTR(ret);
	}
	return bo;
}

int trn_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct trn_device *tdev = to_trn_device(drm);
	struct trn_file_priv *fpriv = file->driver_priv;
	struct drm_trn_bo_create *args = data;
	struct drm_gem_object *obj;
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

	bo = trn_bo_alloc(fpriv, args->placement,
			  ALIGN(args->size, TRN_PAGE_SIZE), NULL);
	if (IS_ERR(bo))
		return PTR_ERR(bo);
	obj = &bo->base.base;

	if (bo->placement == DRM_TRN_PLACEMENT_HBM)
		ret = trn_bo_alloc_hbm(tdev, bo);
	else
		ret = trn_bo_alloc_host(tdev, bo);
	if (ret)
		goto out_put;

	/* Host objects have theirs already (drm_gem_shmem_create()). */
	ret = drm_gem_create_mmap_offset(obj);
	if (ret)
		goto out_put;

	ret = drm_gem_handle_create(file, obj, &args->handle);
	if (ret)
		goto out_put;
	args->va = bo->va.start;

out_put:
	drm_gem_object_put(obj);
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
