/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

/*
 * The driver is written against the kernel API of Linux 7.3. This header
 * supplies that API on older kernels, driven by the TRN_HAVE_* probes of
 * kernel/Kbuild, which look for each API in the headers being built against
 * (never at the version number: Debian's 6.12.y took 7.x-era DRM changes).
 * Where a fallback is weaker than the API it stands in for, it says so, and
 * the driver does not rely on the difference.
 *
 * Tested: every kernel in scripts/kernels.conf (Linux 6.12 to 7.3). Written
 * for, but not built against: Linux 6.8 (Ubuntu 24.04), whose headers are not
 * available here. Linux 6.1 and older lack the accel subsystem: kernel/Kbuild
 * refuses them.
 */

#ifndef __TRN_COMPAT_H__
#define __TRN_COMPAT_H__

#include <linux/dma-fence.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/workqueue.h>
#include <drm/gpu_scheduler.h>

/* ---- the buddy allocator: gpu_buddy since Linux 7.0 (and 6.12.101) */
#ifdef TRN_HAVE_GPU_BUDDY
#include <linux/gpu_buddy.h>
#else
#include <drm/drm_buddy.h>

#define gpu_buddy		drm_buddy
#define gpu_buddy_block		drm_buddy_block
#define gpu_buddy_init		drm_buddy_init
#define gpu_buddy_fini		drm_buddy_fini
#define gpu_buddy_alloc_blocks	drm_buddy_alloc_blocks
#define gpu_buddy_block_offset	drm_buddy_block_offset
#define gpu_buddy_block_size	drm_buddy_block_size
#define GPU_BUDDY_RANGE_ALLOCATION	DRM_BUDDY_RANGE_ALLOCATION

static inline void gpu_buddy_free_list(struct drm_buddy *mm, struct list_head *objects,
				       unsigned int flags)
{
#ifdef TRN_HAVE_BUDDY_FREE_FLAGS
	drm_buddy_free_list(mm, objects, flags);
#else
	/* Before Linux 6.10 there are no flags; the driver passes none. */
	WARN_ON_ONCE(flags);
	drm_buddy_free_list(mm, objects);
#endif
}
#endif /* TRN_HAVE_GPU_BUDDY */

/* ---- the GPU scheduler */
#ifndef TRN_HAVE_SCHED_INIT_ARGS
/* Before Linux 6.15, drm_sched_init() takes its arguments one by one. */
struct drm_sched_init_args {
	const struct drm_sched_backend_ops *ops;
	struct workqueue_struct *submit_wq;
	struct workqueue_struct *timeout_wq;
	u32 num_rqs;
	u32 credit_limit;
	unsigned int hang_limit;
	long timeout;
	atomic_t *score;
	const char *name;
	struct device *dev;
};

static inline int trn_drm_sched_init(struct drm_gpu_scheduler *sched,
				     const struct drm_sched_init_args *args)
{
	return drm_sched_init(sched, args->ops, args->submit_wq, args->num_rqs,
			      args->credit_limit, args->hang_limit, args->timeout,
			      args->timeout_wq, args->score, args->name, args->dev);
}

#define drm_sched_init trn_drm_sched_init
#endif

#ifndef TRN_HAVE_SCHED_CLIENT_ID
/* Before Linux 6.17 the scheduler does not trace the DRM client id. */
static inline int trn_drm_sched_job_init(struct drm_sched_job *job,
					 struct drm_sched_entity *entity, u32 credits,
					 void *owner, u64 client_id)
{
	return drm_sched_job_init(job, entity, credits, owner);
}

#define drm_sched_job_init trn_drm_sched_job_init
#endif

#ifndef TRN_HAVE_SCHED_STAT_RESET
/* The same status, under its name before Linux 6.17. */
#define DRM_GPU_SCHED_STAT_RESET DRM_GPU_SCHED_STAT_NOMINAL
#endif

/* ---- fences */
#ifndef TRN_HAVE_DMA_FENCE_WAS_INITIALIZED
/*
 * Before Linux 7.x a fence keeps the ops dma_fence_init() gave it for its
 * whole life, so on a zeroed allocation they tell whether it was initialised.
 * (From 7.x a signalled fence drops its ops: the test would be wrong there.)
 */
static inline bool dma_fence_was_initialized(struct dma_fence *fence)
{
	return fence && fence->ops;
}
#endif

#ifdef TRN_HAVE_DMA_FENCE_RCU_OPS
/* Whether @fence is of the kind @ops implements; NULL once signalled if it has no release op. */
#define trn_dma_fence_has_ops(fence, o)	(rcu_access_pointer((fence)->ops) == (o))
#else
#define trn_dma_fence_has_ops(fence, o)	((fence)->ops == (o))
#endif

/* ---- memory mappings */
#ifndef TRN_HAVE_VMA_IS_COW_MAPPING
/* Before Linux 7.3 the test takes the VMA's flags word. */
static inline bool vma_is_cow_mapping(const struct vm_area_struct *vma)
{
	return is_cow_mapping(vma->vm_flags);
}
#endif

/* ---- work items */
#ifndef TRN_HAVE_DISABLE_WORK
/*
 * Before Linux 6.10 a work item can only be cancelled. Unlike disabling,
 * cancelling does not stop the item from being queued again afterwards: the
 * driver stops whatever queues an item before it disables it (a flag or a
 * state checked under a lock, then synchronize_irq()), so the difference
 * never shows.
 */
static inline bool disable_work_sync(struct work_struct *work)
{
	return cancel_work_sync(work);
}

static inline bool disable_delayed_work_sync(struct delayed_work *dwork)
{
	return cancel_delayed_work_sync(dwork);
}
#endif

/* ---- PCI resources */
#ifndef TRN_HAVE_PCIM_IOMAP_REGION
/* Before Linux 6.11: request and map the BAR through the managed table. */
static inline void __iomem *pcim_iomap_region(struct pci_dev *pdev, int bar,
					      const char *name)
{
	int ret = pcim_iomap_regions(pdev, BIT(bar), name);

	if (ret)
		return IOMEM_ERR_PTR(ret);
	return pcim_iomap_table(pdev)[bar];
}
#endif

#ifndef TRN_HAVE_PCIM_REQUEST_REGION
/*
 * Before pcim_request_region() was public, a region requested on a device
 * enabled with pcim_enable_device() is released when the driver detaches,
 * as a managed one is.
 */
static inline int pcim_request_region(struct pci_dev *pdev, int bar, const char *name)
{
	return pci_request_region(pdev, bar, name);
}
#endif

#endif /* __TRN_COMPAT_H__ */
