// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/dma-fence-chain.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>
#include <drm/drm_utils.h>
#include <drm/trn_accel.h>

#include "trn_drv.h"
#include "trn_file.h"
#include "trn_user.h"
#include "trn_vm.h"

/*
 * Open files: the state of a file that is not its address space, that is,
 * its scheduler entities (made and destroyed by trn_submit.c) and what it is
 * charged for. Jobs and buffer objects hold references, so the accounting
 * stays valid after the DRM file is closed.
 */

static unsigned int max_file_jobs = 1024;
module_param(max_file_jobs, uint, 0444);
MODULE_PARM_DESC(max_file_jobs, "Unfinished jobs one file may have on one queue; SUBMIT waits beyond (default 1024)");

/**
 * trn_file_create() - the driver's state of a newly opened file
 * @tdev: the device
 *
 * Return: the state with a new address space, charged to the calling
 * task's user, holding one reference; or ERR_PTR(-ENOSPC) when all address
 * spaces are in use, -EDQUOT when the user is at its quota, -ENOMEM,
 * -ENODEV.
 */
struct trn_file_priv *trn_file_create(struct trn_device *tdev)
{
	struct trn_file_priv *fpriv;
	u32 q;
	int ret;

	fpriv = kzalloc(sizeof(*fpriv), GFP_KERNEL_ACCOUNT);
	if (!fpriv)
		return ERR_PTR(-ENOMEM);
	kref_init(&fpriv->ref);
	fpriv->tdev = tdev;
	mutex_init(&fpriv->entity_lock);
	fpriv->entities = kcalloc(tdev->num_queues, sizeof(*fpriv->entities),
				  GFP_KERNEL_ACCOUNT);
	fpriv->queues = kcalloc(tdev->num_queues, sizeof(*fpriv->queues),
				GFP_KERNEL_ACCOUNT);
	if (!fpriv->entities || !fpriv->queues) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (q = 0; q < tdev->num_queues; q++) {
		init_waitqueue_head(&fpriv->queues[q].wait);
		INIT_LIST_HEAD(&fpriv->queues[q].space_node);
	}
	fpriv->vm = trn_vm_create(tdev, true);
	if (IS_ERR(fpriv->vm)) {
		ret = PTR_ERR(fpriv->vm);
		goto err_free;
	}
	return fpriv;

err_free:
	kfree(fpriv->queues);
	kfree(fpriv->entities);
	mutex_destroy(&fpriv->entity_lock);
	kfree(fpriv);
	return ERR_PTR(ret);
}

static void trn_file_release(struct kref *ref)
{
	struct trn_file_priv *fpriv = container_of(ref, struct trn_file_priv, ref);

	trn_vm_put(fpriv->vm);
	kfree(fpriv->queues);
	kfree(fpriv->entities);
	mutex_destroy(&fpriv->entity_lock);
	kfree(fpriv);
}

/**
 * trn_file_get() - take a reference to a file's state
 * @fpriv: the state
 *
 * Return: @fpriv.
 */
struct trn_file_priv *trn_file_get(struct trn_file_priv *fpriv)
{
	kref_get(&fpriv->ref);
	return fpriv;
}

/**
 * trn_file_put() - drop a reference; the last one frees the state and
 * drops its address space
 * @fpriv: the state
 */
void trn_file_put(struct trn_file_priv *fpriv)
{
	kref_put(&fpriv->ref, trn_file_release);
}

/**
 * trn_file_job_reserve() - count a new job of a file on a queue
 * @fq: the file's state on the queue
 * @nonblock: the file was opened with O_NONBLOCK: do not wait
 *
 * A file may have max_file_jobs jobs on a queue that are not finished and
 * freed; beyond, the caller waits for one of them to be freed.
 *
 * Return: 0, -EAGAIN at the limit if @nonblock, or -ERESTARTSYS when a
 * signal came while waiting.
 */
int trn_file_job_reserve(struct trn_file_queue *fq, bool nonblock)
{
	int cap = clamp(max_file_jobs, 1U, (unsigned int)INT_MAX);

	if (atomic_add_unless(&fq->jobs, 1, cap))
		return 0;
	if (nonblock)
		return -EAGAIN;
	return wait_event_interruptible(fq->wait, atomic_add_unless(&fq->jobs, 1, cap));
}

/**
 * trn_file_job_release() - a job counted by trn_file_job_reserve() is gone
 * @fq: the file's state on the queue
 */
void trn_file_job_release(struct trn_file_queue *fq)
{
	atomic_dec(&fq->jobs);
	wake_up(&fq->wait);
}

/**
 * trn_file_show_fdinfo() - a file's usage, in the keys of
 * Documentation/gpu/drm-usage-stats.rst
 * @p: where to print
 * @fpriv: the file
 *
 * Memory by region, all of it resident (buffer objects are backed when
 * created), the time jobs of the file occupied the queues of each kind,
 * whose capacity is their count, the HBM of its page tables, and what the
 * user of the file holds of the device, which its quotas bound.
 */
void trn_file_show_fdinfo(struct drm_printer *p, struct trn_file_priv *fpriv)
{
	struct trn_device *tdev = fpriv->tdev;
	u64 hbm = (u64)atomic64_read(&fpriv->hbm_bytes) >> 10;
	u64 host = (u64)atomic64_read(&fpriv->host_bytes) >> 10;
	/* Only grows, under the VM's lock: no need to wait for a mapping. */
	u64 pt = READ_ONCE(fpriv->vm->pt_bytes) >> 10;
	unsigned int spaces;
	u64 user_hbm;

	drm_printf(p, "drm-total-hbm:\t%llu KiB\n", hbm);
	drm_printf(p, "drm-resident-hbm:\t%llu KiB\n", hbm);
	drm_printf(p, "drm-total-memory:\t%llu KiB\n", host);
	drm_printf(p, "drm-resident-memory:\t%llu KiB\n", host);
	drm_printf(p, "drm-engine-dma:\t%llu ns\n",
		   (u64)atomic64_read(&fpriv->busy_ns[TRN_ENGINE_DMA]));
	drm_printf(p, "drm-engine-capacity-dma:\t%u\n", tdev->num_dma_queues);
	if (tdev->num_core_queues) {
		drm_printf(p, "drm-engine-core:\t%llu ns\n",
			   (u64)atomic64_read(&fpriv->busy_ns[TRN_ENGINE_CORE]));
		drm_printf(p, "drm-engine-capacity-core:\t%u\n", tdev->num_core_queues);
	}
	/* Device memory the file's address space uses besides its objects. */
	drm_printf(p, "trn-page-tables:\t%llu KiB\n", pt);
	/* What the user who opened the file holds: objects and page tables. */
	trn_user_usage(fpriv->vm->user, &spaces, &user_hbm);
	drm_printf(p, "trn-user-address-spaces:\t%u\n", spaces);
	drm_printf(p, "trn-user-hbm:\t%llu KiB\n", user_hbm >> 10);
}

/**
 * trn_ioctl_wait() - DRM_IOCTL_TRN_WAIT: wait for a job, return its status
 * @drm: the device
 * @data: struct drm_trn_wait
 * @file: the caller's file, whose syncobj handle @data names
 *
 * Return: 0 with drm_trn_wait.status set, -ETIME when the deadline passed
 * first, -ERESTARTSYS when a signal came, or an error of the arguments.
 */
int trn_ioctl_wait(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_trn_wait *args = data;
	struct drm_syncobj *syncobj;
	struct dma_fence *fence;
	long ret;

	if (args->flags || args->pad)
		return -EINVAL;
	syncobj = drm_syncobj_find(file, args->handle);
	if (!syncobj)
		return -ENOENT;
	fence = drm_syncobj_fence_get(syncobj);
	drm_syncobj_put(syncobj);
	/* A timeline's chain carries no error of the jobs it points to. */
	if (!fence || to_dma_fence_chain(fence)) {
		dma_fence_put(fence);
		return -EINVAL;
	}

	/*
	 * In jiffies the wait may end up to one tick before the deadline:
	 * never answer ETIME before it has passed.
	 */
	do {
		ret = dma_fence_wait_timeout(fence, true,
					     drm_timeout_abs_to_jiffies(args->timeout_ns));
	} while (!ret && args->timeout_ns > 0 && ktime_get_ns() < args->timeout_ns &&
		 !dma_fence_is_signaled(fence));
	if (ret > 0 || dma_fence_is_signaled(fence)) {
		ret = dma_fence_get_status(fence);
		args->status = ret < 0 ? ret : 0;
		ret = 0;
	} else if (!ret) {
		ret = -ETIME;
	}
	dma_fence_put(fence);
	return ret;
}
