// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/dma-fence-chain.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_file.h>
#include <drm/drm_syncobj.h>
#include <drm/gpu_scheduler.h>
#include <drm/trn_accel.h>

#include "trn_drv.h"
#include "trn_fence.h"
#include "trn_file.h"
#include "trn_isa.h"
#include "trn_job.h"
#include "trn_mode.h"
#include "trn_regs.h"
#include "trn_vm.h"

/*
 * SUBMIT: a file's descriptors are checked, put behind a CONTEXT descriptor
 * for the file's address space and handed to the queue's scheduler through
 * the file's entity for that queue (trn_job.c runs them).
 */

static struct drm_sched_entity *trn_file_entity(struct trn_file_priv *fpriv,
						u32 queue)
{
	struct trn_device *tdev = fpriv->tdev;
	struct drm_sched_entity *entity;
	struct drm_gpu_scheduler *sched;
	int ret;

	mutex_lock(&fpriv->entity_lock);
	entity = fpriv->entities[queue];
	if (!entity) {
		/* A NeuronCore's compute mode may keep it for another file. */
		ret = queue >= tdev->num_dma_queues ?
		      trn_mode_use_core(fpriv, queue - tdev->num_dma_queues) : 0;
		if (ret) {
			entity = ERR_PTR(ret);
			goto out;
		}
		entity = kzalloc(sizeof(*entity), GFP_KERNEL);
		if (!entity) {
			ret = -ENOMEM;
			goto err_unuse;
		}
		sched = &tdev->queues[queue].sched;
		ret = drm_sched_entity_init(entity, DRM_SCHED_PRIORITY_NORMAL,
					    &sched, 1, NULL);
		if (ret) {
			kfree(entity);
			goto err_unuse;
		}
		fpriv->entities[queue] = entity;
	}
out:
	mutex_unlock(&fpriv->entity_lock);
	return entity;

err_unuse:
	if (queue >= tdev->num_dma_queues)
		trn_mode_unuse_core(fpriv, queue - tdev->num_dma_queues);
	mutex_unlock(&fpriv->entity_lock);
	return ERR_PTR(ret);
}

/**
 * trn_job_file_close() - a file is closing: destroy its scheduler entities
 * @fpriv: the file
 *
 * Nothing waits. The file's jobs in the rings must end within one job
 * timeout from now (trn_queues_file_closed()); the jobs that have not
 * reached a ring are cancelled: drm_sched_entity_fini() signals them with
 * -ESRCH once the file's last job in the ring and their in-fences are
 * done, and frees them. The jobs keep the file's state until they are freed.
 */
void trn_job_file_close(struct trn_file_priv *fpriv)
{
	u32 q;

	for (q = 0; q < fpriv->tdev->num_queues; q++) {
		if (!fpriv->entities[q])
			continue;
		/*
		 * Without the flush that would wait for every queued job,
		 * the scheduler may be popping a job of this entity as it is
		 * killed: Linux 6.12's drm_sched_entity_pop_job() then puts
		 * the killed entity back in the run queue's tree, which would
		 * keep it after it is freed. With the scheduler paused,
		 * nothing pops.
		 */
		trn_queue_pause(&fpriv->tdev->queues[q]);
		drm_sched_entity_fini(fpriv->entities[q]);
		trn_queue_unpause(&fpriv->tdev->queues[q]);
		kfree(fpriv->entities[q]);
		fpriv->entities[q] = NULL;
	}
	trn_queues_file_closed(fpriv);
}

/* Whether @d is an EXEC descriptor the device accepts (trn_isa.h). */
static bool trn_exec_desc_valid(const struct drm_trn_dma_desc *d)
{
	return !d->aux && IS_ALIGNED(d->src, TRN_INSN_ALIGN) &&
	       IS_ALIGNED(d->dst, TRN_EXEC_ST_SIZE) && d->len &&
	       d->len <= TRN_PROGRAM_MAX_BYTES && IS_ALIGNED(d->len, TRN_INSN_SIZE);
}

static int trn_job_copy_descs(struct trn_device *tdev, struct trn_job *job,
			      struct trn_vm *vm, const struct drm_trn_submit *args)
{
	const struct drm_trn_dma_desc __user *udescs = u64_to_user_ptr(args->descs);
	struct trn_hw_desc *hw = job->descs;
	u32 n;

	hw[0] = (struct trn_hw_desc) {
		.opcode = TRN_DMA_OP_CONTEXT,
		.aux = cpu_to_le32(vm->asid),
		.src = cpu_to_le64(trn_vm_pt_root(vm)),
	};
	for (n = 0; n < args->desc_count; n++) {
		struct drm_trn_dma_desc d;

		if (copy_from_user(&d, &udescs[n], sizeof(d)))
			return -EFAULT;
		/* Fields an opcode does not use must be zero (future use). */
		switch (d.opcode) {
		case DRM_TRN_DMA_OP_NOP:
			if (d.aux || d.src || d.dst || d.len)
				return -EINVAL;
			break;
		case DRM_TRN_DMA_OP_COPY:
		case DRM_TRN_DMA_OP_FILL:
			if (d.aux)
				return -EINVAL;
			break;
		case DRM_TRN_DMA_OP_WRITE:
			if (d.aux || d.src || !IS_ALIGNED(d.dst, sizeof(u64)))
				return -EINVAL;
			break;
		case DRM_TRN_DMA_OP_SEM_SIGNAL:
		case DRM_TRN_DMA_OP_SEM_WAIT:
			if (d.aux >= tdev->num_sems || d.src || d.dst)
				return -EINVAL;
			break;
		case DRM_TRN_DMA_OP_EXEC:
			if (!job->queue->is_core || !trn_exec_desc_valid(&d))
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
		hw[1 + n] = (struct trn_hw_desc) {
			.opcode = d.opcode,
			.aux = cpu_to_le32(d.aux),
			.src = cpu_to_le64(d.src),
			.dst = cpu_to_le64(d.dst),
			.len = cpu_to_le64(d.len),
		};
	}
	hw[args->desc_count].flags = TRN_DMA_F_IRQ;
	return 0;
}

static int trn_job_add_in_syncs(struct trn_job *job, struct drm_file *file,
				const struct drm_trn_submit *args)
{
	const struct drm_trn_sync __user *usyncs = u64_to_user_ptr(args->in_syncs);
	u32 n;
	int ret;

	for (n = 0; n < args->in_sync_count; n++) {
		struct dma_fence *fence;
		struct drm_trn_sync s;

		if (copy_from_user(&s, &usyncs[n], sizeof(s)))
			return -EFAULT;
		if (s.flags)
			return -EINVAL;
		ret = drm_syncobj_find_fence(file, s.handle, s.point, 0, &fence);
		if (ret)
			return ret;
		/* Consumes the reference, even on failure. */
		ret = drm_sched_job_add_dependency(&job->base,
						   trn_out_fence_unwrap(fence, &job->queue->sched));
		if (ret)
			return ret;
	}
	return 0;
}

int trn_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct trn_device *tdev = to_trn_device(drm);
	struct trn_file_priv *fpriv = file->driver_priv;
	struct drm_trn_submit *args = data;
	struct dma_fence_chain *chain = NULL;
	struct drm_syncobj *out_sync = NULL;
	struct dma_fence *out_fence = NULL;
	struct drm_sched_entity *entity;
	struct trn_file_queue *fq;
	struct trn_fence *hw_fence;
	struct dma_fence *finished;
	struct trn_job *job;
	int ret;

	if (args->flags || args->pad || args->out_sync.flags)
		return -EINVAL;
	if (!args->out_sync.handle && args->out_sync.point)
		return -EINVAL;
	if (args->queue >= tdev->num_queues)
		return -EINVAL;
	if (args->desc_size != sizeof(struct drm_trn_dma_desc) ||
	    !args->desc_count || args->desc_count > TRN_MAX_USER_DESCS)
		return -EINVAL;
	if (args->in_sync_count > TRN_MAX_IN_SYNCS)
		return -EINVAL;

	/* At the cap, wait for one of the file's jobs on the queue to go. */
	fq = &fpriv->queues[args->queue];
	ret = trn_file_job_reserve(fq, file->filp->f_flags & O_NONBLOCK);
	if (ret)
		return ret;

	if (args->out_sync.handle) {
		out_sync = drm_syncobj_find(file, args->out_sync.handle);
		if (!out_sync) {
			ret = -ENOENT;
			goto out_release;
		}
		/* What the syncobj gets: a fence that outlives the device. */
		out_fence = trn_out_fence_alloc();
		if (!out_fence) {
			ret = -ENOMEM;
			goto out_sync_put;
		}
		if (args->out_sync.point) {
			chain = dma_fence_chain_alloc();
			if (!chain) {
				ret = -ENOMEM;
				goto out_chain;
			}
		}
	}

	entity = trn_file_entity(fpriv, args->queue);
	if (IS_ERR(entity)) {
		ret = PTR_ERR(entity);
		goto out_chain;
	}

	job = kvzalloc(struct_size(job, descs, args->desc_count + TRN_JOB_EXTRA_DESCS),
		       GFP_KERNEL_ACCOUNT);
	if (!job) {
		ret = -ENOMEM;
		goto out_chain;
	}
	job->ndescs = args->desc_count + TRN_JOB_EXTRA_DESCS;
	job->queue = &tdev->queues[args->queue];
	job->fq = fq;
	INIT_LIST_HEAD(&job->node);
	INIT_LIST_HEAD(&job->run_node);
	hw_fence = kzalloc(sizeof(*hw_fence), GFP_KERNEL_ACCOUNT);
	if (!hw_fence) {
		kvfree(job);
		ret = -ENOMEM;
		goto out_chain;
	}
	job->hw_fence = &hw_fence->base;
	job->fpriv = trn_file_get(fpriv);

	ret = trn_job_copy_descs(tdev, job, fpriv->vm, args);
	if (ret)
		goto out_free_job;

	/* One credit: the room in the ring is trn_job_prepare()'s to give. */
	ret = drm_sched_job_init(&job->base, entity, 1, fpriv, file->client_id);
	if (ret)
		goto out_free_job;

	ret = trn_job_add_in_syncs(job, file, args);
	if (ret)
		goto out_cleanup_job;

	mutex_lock(&fpriv->entity_lock);
	drm_sched_job_arm(&job->base);
	finished = dma_fence_get(&job->base.s_fence->finished);
	trn_vm_set_last_fence(fpriv->vm, args->queue, finished);
	if (out_fence)
		trn_out_fence_arm(out_fence, job->queue->timeline, finished);
	/* From here on the job may run and be freed at any time. */
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&fpriv->entity_lock);

	if (out_sync) {
		if (chain) {
			drm_syncobj_add_point(out_sync, chain, out_fence,
					      args->out_sync.point);
			chain = NULL;
		} else {
			drm_syncobj_replace_fence(out_sync, out_fence);
		}
		dma_fence_put(out_fence);
		out_fence = NULL;
	}
	dma_fence_put(finished);
	/* The job is counted until trn_job_free(). */
	fq = NULL;
	goto out_chain;

out_cleanup_job:
	drm_sched_job_cleanup(&job->base);
out_free_job:
	kfree(job->hw_fence);
	trn_file_put(fpriv);
	kvfree(job);
out_chain:
	dma_fence_chain_free(chain);
	trn_out_fence_free(out_fence);
out_sync_put:
	if (out_sync)
		drm_syncobj_put(out_sync);
out_release:
	if (fq)
		trn_file_job_release(fq);
	return ret;
}
