/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_JOB_H__
#define __TRN_JOB_H__

#include <linux/dma-fence.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <drm/gpu_scheduler.h>

struct drm_device;
struct drm_file;
struct trn_file_priv;
struct trn_file_queue;
struct trn_device;
struct trn_job;
struct trn_timeline;

/* How jobs ended, as the queues count them (sysfs stats/). */
enum trn_job_outcome {
	TRN_JOB_DONE,
	TRN_JOB_FAILED,
	TRN_JOB_TIMEDOUT,
	TRN_JOB_OUTCOMES
};

/* Descriptors of a job beyond the user's: the CONTEXT descriptor. */
#define TRN_JOB_EXTRA_DESCS	1
#define TRN_MAX_IN_SYNCS	64

/* A descriptor as the device reads it from a ring (trn_regs.h). */
struct trn_hw_desc {
	u8 opcode;
	u8 flags;
	__le16 rsvd;
	__le32 aux;
	__le64 src;
	__le64 dst;
	__le64 len;
};

/**
 * struct trn_job - one SUBMIT: the file's descriptors behind a CONTEXT one
 * @base: the scheduler's job
 * @queue: the queue it runs on
 * @fpriv: a reference to the submitting file; the job runs in its VM
 * @fq: the file's state on @queue, which counts the job
 * @hw_fence: a &struct trn_fence (trn_fence.h), allocated at submit, armed
 *	in run_job
 * @node: in &trn_queue.inflight while in the ring
 * @run_node: in &trn_queue.runs while the job is the oldest of its run
 * @entered: jiffies when it was written to the ring
 * @deadline: jiffies; set once the job is the oldest in the ring
 * @start_ns: when it was written to the ring
 * @end: ring index after the job
 * @ndescs: number of @descs
 * @descs: what is written to the ring
 */
struct trn_job {
	struct drm_sched_job base;
	struct trn_queue *queue;
	struct trn_file_priv *fpriv;
	struct trn_file_queue *fq;
	struct dma_fence *hw_fence;
	struct list_head node;
	struct list_head run_node;
	unsigned long entered;
	unsigned long deadline;
	u64 start_ns;
	u32 end;
	u32 ndescs;
	struct trn_hw_desc descs[] __counted_by(ndescs);
};

/**
 * struct trn_queue - one hardware DMA queue and its scheduler
 * @tdev: the device
 * @index: hardware queue index (TRN_DMA_Q_REG); NeuronCore queues follow
 *	all the hardware's DMA queues, driven or not
 * @core: NeuronCore queues: the core
 * @is_core: the queue of a NeuronCore, which also runs EXEC descriptors
 * @sched: scheduler feeding the queue; a job is one credit, and there are
 *	more credits than jobs fit in the ring: trn_job_prepare() holds a
 *	job back until it fits
 * @ring: descriptor ring (coherent host memory)
 * @ring_dma: bus address of @ring
 * @wb: completion record the device writes after each descriptor
 * @wb_dma: bus address of @wb
 * @tail: next free ring index
 * @last_end_ns: when the last job left the ring, for the busy time of the
 *	next one
 * @lock: protects @inflight, @runs, @run_since, @waiting,
 *	@space_waiters, @tail, the queue registers and the ring state of the
 *	files (&struct trn_file_queue)
 * @inflight: jobs written to the ring, oldest first
 * @runs: the first job of each run in the ring, oldest first: a run is a
 *	longest sequence of consecutive jobs of one file
 * @run_since: jiffies when the oldest run reached the head of the ring
 * @waiting: files whose next job waits to enter the ring (prepare_job)
 * @space_waiters: files whose next job waits only for room in the ring
 *	(&trn_file_queue.space_node), in the order they began to wait: the
 *	room goes to the first
 * @watchdog: recovery, in process context: after an error interrupt, or
 *	once the oldest job has run longer than the timeout
 * @error_pending: an error interrupt asked for recovery
 * @recovering: the watchdog reset the queue and waits for it to stop:
 *	no doorbell until trn_queue_hw_start()
 * @dead: the device is going away; no job enters the ring any more
 * @suspended: a reset is under way (trn_queues_suspend()), or the queue
 *	did not stop and the driver resets the device; the jobs in the ring
 *	wait for its end, and nothing recovers the queue meanwhile; set and
 *	cleared under @pause_lock with the one pause it holds
 * @timeouts: jobs that timed out in a row, since one finished
 * @pause_lock: serialises @pauses and stopping and starting @sched
 * @pauses: holders of trn_queue_pause(): @sched's work items run only at 0
 * @timeline: lock, context, numbers and name of the queue's hardware
 *	fences, which may outlive the queue (trn_fence.c)
 * @name: name of the scheduler and of the interrupt
 * @jobs: jobs that left the ring, by &enum trn_job_outcome
 */
struct trn_queue {
	struct trn_device *tdev;
	u32 index;
	u32 core;
	bool is_core;
	struct drm_gpu_scheduler sched;

	void *ring;
	dma_addr_t ring_dma;
	u32 *wb;
	dma_addr_t wb_dma;
	u32 tail;
	u64 last_end_ns;

	spinlock_t lock; /* inflight, runs, tail, registers, files' rings */
	struct list_head inflight;
	struct list_head runs;
	unsigned long run_since;
	u32 waiting;
	struct list_head space_waiters;
	struct delayed_work watchdog;
	bool error_pending;
	bool recovering;
	bool dead;
	bool suspended;
	u32 timeouts;
	struct mutex pause_lock; /* pauses, and the scheduler's work items */
	u32 pauses;

	struct trn_timeline *timeline;
	char name[32];
	atomic64_t jobs[TRN_JOB_OUTCOMES];
};

/* What limits the time of the oldest job in the ring (trn_share_deadline()). */
enum trn_limit {
	TRN_LIMIT_JOB,		/* its own: one timeout at the head */
	TRN_LIMIT_WAITER,	/* its run's: another file's job waits */
	TRN_LIMIT_CLOSED,	/* its run's: its file was closed */
};

unsigned long trn_job_timeout(void);
void trn_queue_arm_watchdog(struct trn_queue *q);
unsigned long trn_share_deadline(struct trn_queue *q, struct trn_job *job,
				 enum trn_limit *why);
struct dma_fence *trn_job_prepare(struct drm_sched_job *sched_job,
				  struct drm_sched_entity *entity);

bool trn_queues_suspended(struct trn_device *tdev);
void trn_queue_pause(struct trn_queue *q);
void trn_queue_unpause(struct trn_queue *q);
int trn_queues_init(struct trn_device *tdev);
void trn_queues_stop(struct trn_device *tdev);
void trn_queues_suspend(struct trn_device *tdev, bool hw_ok);
void trn_queues_resume(struct trn_device *tdev, bool ok);
void trn_queues_file_closed(struct trn_file_priv *fpriv);
void trn_job_file_close(struct trn_file_priv *fpriv);
int trn_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __TRN_JOB_H__ */
