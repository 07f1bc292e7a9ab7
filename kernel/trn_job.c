// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/dma-mapping.h>
#include <linux/error-injection.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/gpu_scheduler.h>
#include <drm/trn_accel.h>

#include "trn_drv.h"
#include "trn_event.h"
#include "trn_fence.h"
#include "trn_file.h"
#include "trn_job.h"
#include "trn_regs.h"
#include "trn_vm.h"

/*
 * DMA jobs. Each hardware queue has a drm_sched scheduler that writes jobs
 * into the queue's ring once their descriptors fit. A job is the
 * file's descriptors, preceded by a CONTEXT descriptor that selects the
 * file's address space, with an interrupt requested on the last one. The
 * interrupt handler retires finished jobs in order and signals their
 * hardware fences. Recovery runs in process context, in one work item per
 * queue: after an error interrupt it fails the job at fault, and once the
 * oldest job has run longer than job_timeout_ms it fails that job; either
 * way the queue is stopped, the driver waits until the device no longer
 * touches memory for it, and the jobs behind are written again. Other jobs,
 * of this file or of others, never see either. A job that had started is
 * never written again: it fails (-ECANCELED) if it was not the one at fault.
 *
 * Files share a ring fairly (trn_share.c): prepare_job holds a job back
 * until there is room for it in the ring and it is its file's turn, and
 * the watchdog also fails a run of one file's jobs that holds up another
 * file for longer than job_timeout_ms.
 *
 * Two things make the driver reset the whole device (trn_reset.c): a queue
 * that does not stop, whose jobs then stay in its ring, unsignalled, until
 * the device has provably let go of their memory, and hang_limit jobs in a
 * row timing out on one queue while the device was not waiting for what a
 * user controls: a job that times out in a SEM_WAIT (STATUS.WAITING) or in
 * a program (EXEC at HEAD) is the user's doing, any user can cause it, and
 * it must not cost other files their jobs in the rings.
 */

static unsigned int job_timeout_ms = 10000;
module_param(job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms, "Time a DMA job may run before it is failed (ms, default 10000)");

static unsigned int hang_limit = 3;
module_param(hang_limit, uint, 0644);
MODULE_PARM_DESC(hang_limit, "Jobs timing out in a row on one queue, not in a SEM_WAIT or a program, after which the driver resets the device (default 3, 0: never)");

/*
 * How long a queue may take to stop once reset. A queue stops between
 * descriptors, or between a program's instructions; the emulated device,
 * under a loaded host, has taken more than a second. A queue that does not
 * stop in time costs a reset of the device (trn_queue_hung()).
 */
#define TRN_QUEUE_STOP_TIMEOUT_US	5000000

static_assert(sizeof(struct trn_hw_desc) == TRN_DMA_DESC_SIZE);
static_assert(sizeof(struct drm_trn_dma_desc) == TRN_DMA_DESC_SIZE);
static_assert(DRM_TRN_DMA_OP_NOP == TRN_DMA_OP_NOP);
static_assert(DRM_TRN_DMA_OP_COPY == TRN_DMA_OP_COPY);
static_assert(DRM_TRN_DMA_OP_FILL == TRN_DMA_OP_FILL);
static_assert(DRM_TRN_DMA_OP_WRITE == TRN_DMA_OP_WRITE);
static_assert(DRM_TRN_DMA_OP_SEM_SIGNAL == TRN_DMA_OP_SEM_SIGNAL);
static_assert(DRM_TRN_DMA_OP_SEM_WAIT == TRN_DMA_OP_SEM_WAIT);
static_assert(DRM_TRN_DMA_OP_EXEC == TRN_DMA_OP_EXEC);

unsigned long trn_job_timeout(void)
{
	return msecs_to_jiffies(max(job_timeout_ms, 100U));
}

static struct trn_job *to_trn_job(struct drm_sched_job *job)
{
	return container_of(job, struct trn_job, base);
}

static int trn_dma_errno(u32 err)
{
	switch (err) {
	case TRN_DMA_ERR_UNMAPPED:
	case TRN_DMA_ERR_READONLY:
	case TRN_DMA_ERR_NO_CONTEXT:
	case TRN_DMA_ERR_BAD_PT:
		return -EFAULT;
	case TRN_DMA_ERR_BAD_DESC:
	case TRN_DMA_ERR_BAD_INSN:
	case TRN_DMA_ERR_OPERAND:
	case TRN_DMA_ERR_ALIGN:
		return -EINVAL;
	case TRN_DMA_ERR_LINK:
		return -ENOLINK;
	case TRN_DMA_ERR_REMOTE:
		return -EREMOTEIO;
	default:
		return -EIO;
	}
}

/*
 * Whether @err comes from what the job asked for: its descriptors, its
 * program, or a peer object whose link is down or whose exporter went
 * away. Any user can cause these at will; the others (the ring, the
 * CONTEXT descriptor and the page tables are the driver's) mean that the
 * device or the driver is at fault.
 */
static bool trn_dma_err_is_users(u32 err)
{
	switch (err) {
	case TRN_DMA_ERR_UNMAPPED:
	case TRN_DMA_ERR_READONLY:
	case TRN_DMA_ERR_BAD_DESC:
	case TRN_DMA_ERR_BAD_INSN:
	case TRN_DMA_ERR_OPERAND:
	case TRN_DMA_ERR_ALIGN:
	case TRN_DMA_ERR_LINK:
	case TRN_DMA_ERR_REMOTE:
		return true;
	default:
		return false;
	}
}

/*
 * A job stopped with a device error: a debug message when the job caused
 * it (its file sees the error), a rate-limited error when the device did.
 */
static void trn_queue_log_error(struct trn_queue *q, struct trn_job *job,
				u32 err, u32 insn, u64 addr)
{
	struct trn_device *tdev = q->tdev;
	u32 asid = job->fpriv->vm->asid;

	if (trn_dma_err_is_users(err) && q->is_core)
		drm_dbg(&tdev->drm, "core %u: program of address space %u stopped: device error %u at instruction %u, address 0x%llx\n",
			q->core, asid, err, insn, addr);
	else if (trn_dma_err_is_users(err))
		drm_dbg(&tdev->drm, "queue %u: job of address space %u stopped: device error %u at address 0x%llx\n",
			q->index, asid, err, addr);
	else if (err == TRN_DMA_ERR_ECC)
		/* Its page's event 102 said so; its user may repeat it at will. */
		drm_dbg(&tdev->drm, "queue %u: job of address space %u stopped: poisoned HBM page at address 0x%llx\n",
			q->index, asid, addr);
	else
		trn_event(tdev, err, JOB_FAULT,
			  "queue %u: job of address space %u stopped: device fault %u at address 0x%llx\n",
			  q->index, asid, err, addr);
}

/* Program the queue registers and start it, empty. Called with q->lock. */
static void trn_queue_hw_start(struct trn_queue *q)
{
	struct trn_device *tdev = q->tdev;
	u32 i = q->index;

	trn_write32(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_CONTROL), TRN_DMA_Q_CTRL_RESET);
	trn_write64(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_RING_BASE), q->ring_dma);
	trn_write32(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_RING_SIZE), TRN_RING_ENTRIES);
	trn_write64(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_WB_ADDR), q->wb_dma);
	trn_write32(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_IRQ_MASK),
		    TRN_DMA_Q_IRQ_DONE | TRN_DMA_Q_IRQ_ERROR);
	q->tail = 0;
	q->recovering = false;
	WRITE_ONCE(q->wb[0], 0);
	trn_write32(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_CONTROL), TRN_DMA_Q_CTRL_ENABLE);
}

/* Wait for STATUS.BUSY to clear; a function of its own for fault injection. */
static noinline int trn_queue_wait_idle(struct trn_queue *q)
{
	u32 status;

	return readl_poll_timeout(q->tdev->regs + TRN_DMA_Q_REG(q->index, TRN_DMA_Q_STATUS),
				  status, !(status & TRN_DMA_Q_STS_BUSY), 50,
				  TRN_QUEUE_STOP_TIMEOUT_US);
}
ALLOW_ERROR_INJECTION(trn_queue_wait_idle, ERRNO);

/*
 * Stop the queue and wait until the device no longer touches memory for it
 * (STATUS.BUSY clear), so that what its jobs used may be freed. Sleeps;
 * called without q->lock.
 *
 * Return: 0, or -ETIMEDOUT if the queue is still busy: then the device may
 * still use its jobs' memory until it is reset or its bus mastering is off.
 */
static int trn_queue_hw_quiesce(struct trn_queue *q)
{
	struct trn_device *tdev = q->tdev;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&q->lock, flags);
	trn_write32(tdev, TRN_DMA_Q_REG(q->index, TRN_DMA_Q_CONTROL), TRN_DMA_Q_CTRL_RESET);
	spin_unlock_irqrestore(&q->lock, flags);
	ret = trn_queue_wait_idle(q);
	if (ret)
		trn_event(tdev, err, QUEUE_STUCK,
			  "queue %u still busy %u ms after reset\n", q->index,
			  TRN_QUEUE_STOP_TIMEOUT_US / 1000);
	return ret ? -ETIMEDOUT : 0;
}

/* Append @job's descriptors to the ring. q->lock held; no doorbell. */
static void trn_queue_write_job(struct trn_queue *q, struct trn_job *job)
{
	struct trn_hw_desc *ring = q->ring;
	u32 n;

	for (n = 0; n < job->ndescs; n++)
		ring[(q->tail + n) & (TRN_RING_ENTRIES - 1)] = job->descs[n];
	q->tail += job->ndescs;
	job->end = q->tail;
}

static void trn_queue_doorbell(struct trn_queue *q)
{
	/* Descriptors in memory before the device is told about them. */
	wmb();
	trn_write32(q->tdev, TRN_DMA_Q_REG(q->index, TRN_DMA_Q_TAIL), q->tail);
}

/* Arm the watchdog for the oldest job in the ring. q->lock held. */
void trn_queue_arm_watchdog(struct trn_queue *q)
{
	struct trn_job *job = list_first_entry_or_null(&q->inflight, struct trn_job, node);
	unsigned long deadline, now = jiffies;
	enum trn_limit why;

	if (!job || q->error_pending || q->dead || q->suspended)
		return;
	deadline = trn_share_deadline(q, job, &why);
	mod_delayed_work(q->tdev->wq, &q->watchdog,
			 time_after(deadline, now) ? deadline - now : 0);
}

/* Take the oldest job off the ring and signal it with @error. q->lock held. */
static void trn_queue_finish_first(struct trn_queue *q, int error)
{
	struct trn_job *job = list_first_entry(&q->inflight, struct trn_job, node);
	struct trn_file_queue *fq = job->fq;
	u64 now = ktime_get_ns();
	struct trn_job *next;

	/* Busy from when it reached the ring or its predecessor finished. */
	atomic64_add(now - max(job->start_ns, q->last_end_ns),
		     &job->fpriv->busy_ns[q->is_core ? TRN_ENGINE_CORE : TRN_ENGINE_DMA]);
	q->last_end_ns = now;
	/* Jobs cancelled as the device goes away are not the device's doing */
	if (!q->dead)
		atomic64_inc(&q->jobs[!error ? TRN_JOB_DONE : error == -ETIMEDOUT ?
				      TRN_JOB_TIMEDOUT : TRN_JOB_FAILED]);
	/* The queue works: its timeouts are no longer in a row. */
	if (!error)
		q->timeouts = 0;
	list_del_init(&job->node);
	list_del_init(&job->run_node);
	fq->ring_credits -= job->ndescs;
	/* The next job's time starts; its run's too if it is another file's. */
	next = list_first_entry_or_null(&q->inflight, struct trn_job, node);
	if (fq->last == job)
		fq->last = NULL;
	/* A file's jobs in the ring are consecutive: its next is the next. */
	fq->first = fq->last ? next : NULL;
	if (next) {
		next->deadline = jiffies + trn_job_timeout();
		if (next->fpriv == job->fpriv)
			list_add(&next->run_node, &q->runs);
		else
			q->run_since = jiffies;
	}
	if (error)
		dma_fence_set_error(job->hw_fence, error);
	dma_fence_signal(job->hw_fence);
}

/*
 * The oldest run ran out of time: fail its jobs but the last, which
 * trn_queue_recover() fails. After quiesce, q->lock held.
 */
static void trn_queue_fail_run(struct trn_queue *q)
{
	struct trn_job *job = list_first_entry(&q->inflight, struct trn_job, node);

	while (!list_is_last(&job->node, &q->inflight) &&
	       list_next_entry(job, node)->fpriv == job->fpriv) {
		job = list_next_entry(job, node);
		trn_queue_finish_first(q, -ETIMEDOUT);
	}
}

/* Retire every job whose descriptors all completed by ring index @head. */
static void trn_queue_retire(struct trn_queue *q, u32 head)
{
	struct trn_job *job;
	bool retired = false;

	while ((job = list_first_entry_or_null(&q->inflight, struct trn_job, node)) &&
	       (s32)(head - job->end) >= 0) {
		trn_queue_finish_first(q, 0);
		retired = true;
	}
	if (retired)
		trn_queue_arm_watchdog(q);
}

/*
 * Whether the device began @job's own descriptors: those before them are
 * done (the ring's completion record counts descriptors, the CONTEXT one
 * first). A job that began is never written to the ring again.
 */
static bool trn_job_started(struct trn_queue *q, struct trn_job *job)
{
	u32 first = job->end - job->ndescs;

	return (s32)(READ_ONCE(q->wb[0]) - (first + TRN_JOB_EXTRA_DESCS)) >= 0;
}

/*
 * After a reset and quiesce, the jobs the device finished retired: fail the
 * oldest job with @error (if nonzero), and the next one with -ECANCELED if
 * it had started (the one at fault finished as the queue stopped); restart
 * the queue and write the jobs behind again. q->lock held.
 */
static void trn_queue_recover(struct trn_queue *q, int error)
{
	struct trn_job *job;

	if (error && !list_empty(&q->inflight))
		trn_queue_finish_first(q, error);
	job = list_first_entry_or_null(&q->inflight, struct trn_job, node);
	if (job && trn_job_started(q, job))
		trn_queue_finish_first(q, -ECANCELED);
	trn_queue_hw_start(q);
	list_for_each_entry(job, &q->inflight, node)
		trn_queue_write_job(q, job);
	if (!list_empty(&q->inflight)) {
		trn_queue_doorbell(q);
		trn_queue_arm_watchdog(q);
	}
}

static irqreturn_t trn_queue_irq(int irq, void *arg)
{
	struct trn_queue *q = arg;
	struct trn_device *tdev = q->tdev;
	u32 status;

	status = trn_read32(tdev, TRN_DMA_Q_REG(q->index, TRN_DMA_Q_IRQ_STATUS));
	if (!status || status == U32_MAX)
		return IRQ_NONE;
	trn_write32(tdev, TRN_DMA_Q_REG(q->index, TRN_DMA_Q_IRQ_STATUS), status);

	spin_lock(&q->lock);
	trn_queue_retire(q, READ_ONCE(q->wb[0]));
	if ((status & TRN_DMA_Q_IRQ_ERROR) && !q->dead && !q->suspended) {
		/* The queue has stopped; sort it out in process context. */
		q->error_pending = true;
		mod_delayed_work(tdev->wq, &q->watchdog, 0);
	}
	spin_unlock(&q->lock);
	return IRQ_HANDLED;
}

/* Take a pause, or give one back; q->pause_lock held. */
static void __trn_queue_pause(struct trn_queue *q)
{
	lockdep_assert_held(&q->pause_lock);
	if (!q->pauses++)
		drm_sched_wqueue_stop(&q->sched);
}

static void __trn_queue_unpause(struct trn_queue *q)
{
	lockdep_assert_held(&q->pause_lock);
	if (q->pauses && !--q->pauses)
		drm_sched_wqueue_start(&q->sched);
}

/**
 * trn_queue_pause() - stop the scheduler of @q calling run_job
 * @q: the queue
 *
 * Returns once no work item of the scheduler runs: none selects an entity,
 * pops a job or runs one until the last holder calls trn_queue_unpause().
 * Pauses nest (a suspended queue holds one, a closing file another), so one
 * holder never restarts the scheduler under another. Sleeps.
 */
void trn_queue_pause(struct trn_queue *q)
{
	mutex_lock(&q->pause_lock);
	__trn_queue_pause(q);
	mutex_unlock(&q->pause_lock);
}

/**
 * trn_queue_unpause() - undo one trn_queue_pause()
 * @q: the queue
 */
void trn_queue_unpause(struct trn_queue *q)
{
	mutex_lock(&q->pause_lock);
	__trn_queue_unpause(q);
	mutex_unlock(&q->pause_lock);
}

/*
 * Suspend @q: its scheduler paused, its jobs kept in the ring, nothing
 * recovers it, until trn_queue_unsuspend(). A suspended queue holds exactly
 * one pause, however many suspend it (a reset and the queue's own watchdog
 * may both): the flag changes with the pause, under q->pause_lock.
 * @resets, if not NULL, receives the device's reset count at that moment.
 *
 * Return: true if it was not suspended.
 */
static bool trn_queue_suspend(struct trn_queue *q, int *resets)
{
	bool was;

	mutex_lock(&q->pause_lock);
	spin_lock_irq(&q->lock);
	was = q->suspended;
	q->suspended = true;
	spin_unlock_irq(&q->lock);
	if (!was)
		__trn_queue_pause(q);
	if (resets)
		*resets = atomic_read(&q->tdev->reset_count);
	mutex_unlock(&q->pause_lock);
	return !was;
}

/**
 * trn_queues_suspended() - whether a queue of @tdev is suspended
 * @tdev: the device
 *
 * Outside a reset (the caller holds the device lock, and no PCIe error
 * recovery is under way), such a queue did not stop and waits for one.
 *
 * Return: true if one is.
 */
bool trn_queues_suspended(struct trn_device *tdev)
{
	u32 i;

	for (i = 0; i < tdev->num_queues; i++)
		if (READ_ONCE(tdev->queues[i].suspended))
			return true;
	return false;
}

/* After a reset: fail what was in the ring of @q. q->lock held. */
static void trn_queue_resume_one(struct trn_queue *q, bool ok)
{
	/* Those the device had finished before it stopped did not fail. */
	trn_queue_retire(q, READ_ONCE(q->wb[0]));
	while (!list_empty(&q->inflight))
		trn_queue_finish_first(q, -ECANCELED);
	q->error_pending = false;
	q->timeouts = 0;
	if (ok)
		trn_queue_hw_start(q);
}

/*
 * Let a suspended @q's scheduler go on; after a reset (@reset), what was in
 * its ring fails first, and it restarts if the device is back (@ok). Does
 * nothing if it was not suspended.
 */
static void trn_queue_unsuspend(struct trn_queue *q, bool reset, bool ok)
{
	unsigned long flags;
	bool was;

	mutex_lock(&q->pause_lock);
	spin_lock_irqsave(&q->lock, flags);
	was = q->suspended;
	if (was && reset)
		trn_queue_resume_one(q, ok);
	q->suspended = false;
	spin_unlock_irqrestore(&q->lock, flags);
	if (was)
		__trn_queue_unpause(q);
	mutex_unlock(&q->pause_lock);
}

/*
 * The queue did not stop: the device may still read and write what its
 * jobs use. They stay in the ring, unsignalled, and the queue is suspended
 * as for a reset, which the driver then makes (trn_reset.c): after it the
 * jobs fail (trn_queues_resume()), or, if the device does not come back,
 * once its bus mastering is off. If a reset suspended the queue already
 * (it waited for this watchdog), that reset does it. Process context,
 * without q->lock.
 */
static void trn_queue_hung(struct trn_queue *q)
{
	struct trn_device *tdev = q->tdev;
	int resets;

	trn_event(tdev, err, QUEUE_STUCK,
		  "queue %u did not stop: its jobs are kept until the device is reset\n",
		  q->index);
	if (trn_queue_suspend(q, &resets))
		trn_device_reset_request(tdev, resets);
}

/* The opcode of the descriptor at ring index @at, as the driver wrote it. */
static u8 trn_queue_desc_op(struct trn_queue *q, u32 at)
{
	const struct trn_hw_desc *ring = q->ring;

	return READ_ONCE(ring[at & (TRN_RING_ENTRIES - 1)].opcode);
}

/*
 * Recovery of one queue, after an error or a timeout. Work items do not run
 * concurrently with themselves, so recoveries of a queue are serialised.
 */
static void trn_queue_watchdog(struct work_struct *work)
{
	struct trn_queue *q = container_of(work, struct trn_queue, watchdog.work);
	struct trn_device *tdev = q->tdev;
	u32 i = q->index, status, err = 0, head = 0, insn = 0, at;
	unsigned long flags, deadline;
	struct trn_job *job;
	u64 addr = 0, victim = 0;
	enum trn_limit why = TRN_LIMIT_JOB;
	bool error, hung = false, user_wait = false;
	int idx, resets = 0;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return;
	spin_lock_irqsave(&q->lock, flags);
	if (q->dead || q->suspended)
		goto out_unlock;
	status = trn_read32(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_STATUS));
	if (status == U32_MAX) {
		/*
		 * The device does not answer (a frozen link, before the PCIe
		 * error recovery suspends the queue): it may still use the
		 * jobs' memory, so they stay. Look again later.
		 */
		mod_delayed_work(tdev->wq, &q->watchdog, trn_job_timeout());
		goto out_unlock;
	}
	error = status & TRN_DMA_Q_STS_ERROR;
	if (error) {
		err = trn_read32(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_ERROR));
		addr = trn_read64(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_ERROR_ADDR));
		head = trn_read32(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_HEAD));
		if (q->is_core)
			insn = trn_read32(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_ERROR_INSN));
	} else {
		job = list_first_entry_or_null(&q->inflight, struct trn_job, node);
		if (!job)
			goto out_unlock;
		deadline = trn_share_deadline(q, job, &why);
		if (time_before(jiffies, deadline)) {
			mod_delayed_work(tdev->wq, &q->watchdog, deadline - jiffies);
			goto out_unlock;
		}
		victim = job->hw_fence->seqno;
		/* What the queue is on: the user's wait or program, or not. */
		at = trn_read32(tdev, TRN_DMA_Q_REG(i, TRN_DMA_Q_HEAD));
		user_wait = (status & TRN_DMA_Q_STS_WAITING) ||
			    trn_queue_desc_op(q, at) == TRN_DMA_OP_EXEC;
	}
	q->error_pending = false;
	/* Until the queue restarts, new jobs go to the ring without a doorbell. */
	q->recovering = true;
	spin_unlock_irqrestore(&q->lock, flags);

	/* Stop the queue; from here on the device touches nothing for it. */
	if (trn_queue_hw_quiesce(q)) {
		trn_queue_hung(q);
		drm_dev_exit(idx);
		return;
	}

	spin_lock_irqsave(&q->lock, flags);
	trn_queue_retire(q, error ? head : READ_ONCE(q->wb[0]));
	job = list_first_entry_or_null(&q->inflight, struct trn_job, node);
	if (error) {
		if (job)
			trn_queue_log_error(q, job, err, insn, addr);
		trn_queue_recover(q, trn_dma_errno(err));
	} else if (job && job->hw_fence->seqno == victim) {
		/* A SEM_WAIT that nothing signals does it: any user can. */
		if (why == TRN_LIMIT_JOB) {
			drm_dbg(&tdev->drm, "queue %u: job of address space %u timed out after %u ms\n",
				i, job->fpriv->vm->asid, job_timeout_ms);
		} else {
			/* The rest of its run goes too: its time is up. */
			drm_dbg(&tdev->drm, "queue %u: jobs of address space %u timed out %u ms after %s\n",
				i, job->fpriv->vm->asid, job_timeout_ms,
				why == TRN_LIMIT_CLOSED ? "their file was closed" :
				"another file's job came behind");
			trn_queue_fail_run(q);
		}
		trn_queue_recover(q, -ETIMEDOUT);
		if (user_wait) {
			q->timeouts = 0;
		} else if (hang_limit && ++q->timeouts >= hang_limit) {
			q->timeouts = 0;
			hung = true;
			resets = atomic_read(&tdev->reset_count);
		}
	} else {
		/* It finished as the queue stopped: only restart. */
		trn_queue_recover(q, 0);
	}
out_unlock:
	spin_unlock_irqrestore(&q->lock, flags);
	if (hung) {
		trn_event(tdev, warn, QUEUE_HUNG,
			  "queue %u: %u jobs in a row timed out\n", i, hang_limit);
		trn_device_reset_request(tdev, resets);
	}
	drm_dev_exit(idx);
}

static struct dma_fence *trn_job_run(struct drm_sched_job *sched_job)
{
	struct trn_job *job = to_trn_job(sched_job);
	struct trn_queue *q = job->queue;
	struct trn_device *tdev = q->tdev;
	struct trn_job *last;
	unsigned long flags;
	bool new_run;
	int idx;

	if (unlikely(sched_job->s_fence->finished.error))
		return NULL;
	if (!drm_dev_enter(&tdev->drm, &idx))
		return ERR_PTR(-ENODEV);

	spin_lock_irqsave(&q->lock, flags);
	if (q->dead || READ_ONCE(tdev->wedged)) {
		/* A wedged device fails the job: counted (stats/jobs_failed). */
		if (!q->dead)
			atomic64_inc(&q->jobs[TRN_JOB_FAILED]);
		spin_unlock_irqrestore(&q->lock, flags);
		drm_dev_exit(idx);
		return ERR_PTR(q->dead ? -ENODEV : -EIO);
	}
	trn_hw_fence_init(container_of(job->hw_fence, struct trn_fence, base), q->timeline);
	last = list_empty(&q->inflight) ? NULL :
	       list_last_entry(&q->inflight, struct trn_job, node);
	job->start_ns = ktime_get_ns();
	job->entered = jiffies;
	if (!last) {
		job->deadline = job->entered + trn_job_timeout();
		q->run_since = job->entered;
	}
	/* A new run: if it is the second, the first now has a contender. */
	new_run = !last || last->fpriv != job->fpriv;
	if (new_run)
		list_add_tail(&job->run_node, &q->runs);
	job->fq->ring_credits += job->ndescs;
	if (!job->fq->last)
		job->fq->first = job;
	job->fq->last = job;
	trn_queue_write_job(q, job);
	list_add_tail(&job->node, &q->inflight);
	if (new_run)
		trn_queue_arm_watchdog(q);
	/*
	 * A queue being reset is busy while TAIL != HEAD, so a doorbell now
	 * would keep it busy for good. The restart writes the job again and
	 * rings; if the queue does not stop, the device reset that follows
	 * cancels the job with the others in the ring.
	 */
	if (!q->recovering)
		trn_queue_doorbell(q);
	spin_unlock_irqrestore(&q->lock, flags);

	drm_dev_exit(idx);
	return dma_fence_get(job->hw_fence);
}

/*
 * The driver's own watchdog fails overrunning jobs and keeps the others, so
 * the scheduler's timeout is disabled (drm_sched_stop() and
 * drm_sched_start() would cancel every job in the ring).
 */
static enum drm_gpu_sched_stat trn_job_timedout(struct drm_sched_job *sched_job)
{
	return DRM_GPU_SCHED_STAT_RESET;
}

static void trn_job_free(struct drm_sched_job *sched_job)
{
	struct trn_job *job = to_trn_job(sched_job);

	drm_sched_job_cleanup(sched_job);
	/*
	 * Never armed (job cancelled before running): a plain allocation.
	 * Not fence->ops: from Linux 7.x a signalled fence has none.
	 */
	if (dma_fence_was_initialized(job->hw_fence))
		dma_fence_put(job->hw_fence);
	else
		kfree(job->hw_fence);
	trn_file_job_release(job->fq);
	trn_file_put(job->fpriv);
	kvfree(job);
}

static const struct drm_sched_backend_ops trn_sched_ops = {
	.prepare_job = trn_job_prepare,
	.run_job = trn_job_run,
	.timedout_job = trn_job_timedout,
	.free_job = trn_job_free,
};

static void trn_timeline_fini(struct drm_device *drm, void *arg)
{
	trn_timeline_put(arg);
}

static void trn_sched_fini(struct drm_device *drm, void *arg)
{
	struct trn_queue *q = arg;

	drm_sched_fini(&q->sched);
}

/**
 * trn_queues_stop() - the device is going away: stop every queue
 * @tdev: the device
 *
 * Interrupts and recovery are stopped, the device is made to let go of all
 * memory, and the jobs in the rings fail with -ENODEV, oldest first; later
 * jobs fail in run_job. Safe to call twice.
 */
void trn_queues_stop(struct trn_device *tdev)
{
	struct pci_dev *pdev = tdev->pdev;
	unsigned long flags;
	u32 i;

	for (i = 0; i < tdev->num_queues; i++) {
		struct trn_queue *q = &tdev->queues[i];

		spin_lock_irqsave(&q->lock, flags);
		if (q->dead) {
			spin_unlock_irqrestore(&q->lock, flags);
			continue;
		}
		/*
		 * Once dead, nothing queues the watchdog (everything that
		 * does checks under q->lock), so disabling it holds even
		 * where that only cancels it (trn_compat.h).
		 */
		q->dead = true;
		trn_write32(tdev, TRN_DMA_Q_REG(q->index, TRN_DMA_Q_IRQ_MASK), 0);
		spin_unlock_irqrestore(&q->lock, flags);
		synchronize_irq(pci_irq_vector(pdev, TRN_MSIX_VEC_DMA_QUEUE(q->index)));
		disable_delayed_work_sync(&q->watchdog);

		/*
		 * A queue that does not stop (or a wedged device, whose bus
		 * mastering is off already) may not reach memory any more
		 * once bus mastering is off: then its jobs may go.
		 */
		if (READ_ONCE(tdev->wedged) || trn_queue_hw_quiesce(q))
			pci_clear_master(pdev);
		spin_lock_irqsave(&q->lock, flags);
		while (!list_empty(&q->inflight))
			trn_queue_finish_first(q, -ENODEV);
		spin_unlock_irqrestore(&q->lock, flags);
		/*
		 * Unbound in the middle of a reset, or with the queue hung
		 * (trn_queue_hung(), which the watchdog may have just run):
		 * its scheduler goes on. What it still holds fails in run_job,
		 * and is freed.
		 */
		trn_queue_unsuspend(q, false, false);
	}
}

/**
 * trn_queues_suspend() - a reset is coming: stop feeding and watching queues
 * @tdev: the device
 * @hw_ok: the device still answers (not a frozen link): stop each queue too
 *
 * The schedulers stop calling run_job, interrupts are masked, watchdogs
 * cancelled. The jobs in the rings stay until trn_queues_resume(): only
 * after the reset has the device provably let go of their memory. Sleeps.
 */
void trn_queues_suspend(struct trn_device *tdev, bool hw_ok)
{
	struct pci_dev *pdev = tdev->pdev;
	u32 i;

	for (i = 0; i < tdev->num_queues; i++) {
		struct trn_queue *q = &tdev->queues[i];

		/*
		 * Dead only on removal, which the device lock keeps out. A
		 * queue that hung is suspended already.
		 */
		if (q->dead || !trn_queue_suspend(q, NULL))
			continue;
		spin_lock_irq(&q->lock);
		if (hw_ok)
			trn_write32(tdev, TRN_DMA_Q_REG(q->index, TRN_DMA_Q_IRQ_MASK), 0);
		spin_unlock_irq(&q->lock);
		synchronize_irq(pci_irq_vector(pdev, TRN_MSIX_VEC_DMA_QUEUE(q->index)));
		/* Nothing queues it again while the queue is suspended. */
		cancel_delayed_work_sync(&q->watchdog);
		if (hw_ok)
			trn_queue_hw_quiesce(q);
	}
}

/**
 * trn_queues_resume() - after a reset: fail what was in the rings, go on
 * @tdev: the device, reset
 * @ok: the device is back: restart the queues; if not, the caller has
 *	marked the device wedged and run_job fails every job with -EIO
 *
 * Jobs left in the rings fail with -ECANCELED; the others run, in order.
 */
void trn_queues_resume(struct trn_device *tdev, bool ok)
{
	u32 i;

	for (i = 0; i < tdev->num_queues; i++)
		trn_queue_unsuspend(&tdev->queues[i], true, ok);
}

static void trn_queues_stop_action(void *arg)
{
	trn_queues_stop(arg);
}

/**
 * trn_queues_init() - set up the DMA queues, their interrupts and schedulers
 * @tdev: the device, with MSI-X enabled
 *
 * Return: 0 or a negative error code.
 */
int trn_queues_init(struct trn_device *tdev)
{
	struct pci_dev *pdev = tdev->pdev;
	struct device *dev = &pdev->dev;
	u32 nvec = tdev->nvec;
	u32 per_engine, hw_dma, cores = 0, i;
	int ret;

	tdev->dma_engines = trn_read32(tdev, TRN_REG_DMA_ENGINES);
	per_engine = trn_read32(tdev, TRN_REG_DMA_QUEUES);
	tdev->num_asids = trn_read32(tdev, TRN_REG_NUM_ASIDS);
	tdev->num_sems = trn_read32(tdev, TRN_REG_NUM_SEMS);
	hw_dma = tdev->dma_engines * per_engine;
	if (tdev->hw_caps & TRN_CAP_COMPUTE)
		cores = tdev->num_cores;
	/* Whole engines only, so that queue q is on engine q / per_engine. */
	tdev->num_dma_queues = min3(hw_dma, (u32)TRN_MAX_QUEUES, nvec - 1);
	if (per_engine)
		tdev->num_dma_queues = rounddown(tdev->num_dma_queues, per_engine);
	if (!tdev->num_dma_queues || !tdev->num_asids) {
		drm_err(&tdev->drm, "device offers %u DMA queues, %u address spaces and %u MSI-X vectors\n",
			hw_dma, tdev->num_asids, nvec);
		return -EIO;
	}
	tdev->dma_engines = tdev->num_dma_queues / per_engine;
	/* The queue of core c is hardware queue hw_dma + c, vector 1 + that. */
	tdev->num_core_queues = min3(cores, TRN_MAX_QUEUES - tdev->num_dma_queues,
				     nvec - 1 > hw_dma ? nvec - 1 - hw_dma : 0);
	if (tdev->num_core_queues < cores)
		drm_warn(&tdev->drm, "driving %u of %u NeuronCores (%u MSI-X vectors)\n",
			 tdev->num_core_queues, cores, nvec);
	tdev->num_queues = tdev->num_dma_queues + tdev->num_core_queues;
	ida_init(&tdev->asid_ida);

	tdev->queues = drmm_kcalloc(&tdev->drm, tdev->num_queues,
				    sizeof(*tdev->queues), GFP_KERNEL);
	if (!tdev->queues)
		return -ENOMEM;

	for (i = 0; i < tdev->num_queues; i++) {
		struct trn_queue *q = &tdev->queues[i];
		/* The driver's own watchdog times jobs out: see trn_job_timedout(). */
		const struct drm_sched_init_args sched_args = {
			.ops = &trn_sched_ops,
			.num_rqs = DRM_SCHED_PRIORITY_COUNT,
			/* One per job: the ring's room is trn_job_prepare()'s. */
			.credit_limit = TRN_RING_ENTRIES,
			.timeout = MAX_SCHEDULE_TIMEOUT,
			.name = q->name,
			.dev = dev,
		};

		q->tdev = tdev;
		q->index = i;
		if (i >= tdev->num_dma_queues) {
			q->is_core = true;
			q->core = i - tdev->num_dma_queues;
			q->index = hw_dma + q->core;
		}
		spin_lock_init(&q->lock);
		ret = drmm_mutex_init(&tdev->drm, &q->pause_lock);
		if (ret)
			return ret;
		INIT_LIST_HEAD(&q->inflight);
		INIT_LIST_HEAD(&q->runs);
		INIT_LIST_HEAD(&q->space_waiters);
		INIT_DELAYED_WORK(&q->watchdog, trn_queue_watchdog);
		if (q->is_core)
			snprintf(q->name, sizeof(q->name), "trn-%s-core%u", pci_name(pdev),
				 q->core);
		else
			snprintf(q->name, sizeof(q->name), "trn-%s-q%u", pci_name(pdev), i);
		q->timeline = trn_timeline_create(q->name);
		if (!q->timeline)
			return -ENOMEM;
		ret = drmm_add_action_or_reset(&tdev->drm, trn_timeline_fini, q->timeline);
		if (ret)
			return ret;

		q->ring = dmam_alloc_coherent(dev, TRN_RING_ENTRIES * TRN_DMA_DESC_SIZE,
					      &q->ring_dma, GFP_KERNEL);
		q->wb = dmam_alloc_coherent(dev, TRN_DMA_WB_SIZE, &q->wb_dma, GFP_KERNEL);
		if (!q->ring || !q->wb)
			return -ENOMEM;

		ret = drm_sched_init(&q->sched, &sched_args);
		if (ret)
			return ret;
		ret = drmm_add_action_or_reset(&tdev->drm, trn_sched_fini, q);
		if (ret)
			return ret;

		ret = devm_request_irq(dev, pci_irq_vector(pdev, TRN_MSIX_VEC_DMA_QUEUE(q->index)),
				       trn_queue_irq, 0, q->name, q);
		if (ret)
			return ret;
	}

	/* Undone before the interrupts and rings go: registered after them. */
	ret = devm_add_action_or_reset(dev, trn_queues_stop_action, tdev);
	if (ret)
		return ret;
	for (i = 0; i < tdev->num_queues; i++) {
		struct trn_queue *q = &tdev->queues[i];

		spin_lock_irq(&q->lock);
		trn_queue_hw_start(q);
		spin_unlock_irq(&q->lock);
	}
	return 0;
}
ALLOW_ERROR_INJECTION(trn_queues_init, ERRNO);
