/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_FILE_H__
#define __TRN_FILE_H__

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/wait.h>

struct drm_device;
struct drm_file;
struct drm_printer;
struct drm_sched_entity;
struct trn_device;
struct trn_job;
struct trn_vm;

/* Kinds of engines, as fdinfo reports their busy time. */
enum trn_engine_kind {
	TRN_ENGINE_DMA,		/* the DMA queues */
	TRN_ENGINE_CORE,	/* the NeuronCore queues */
	TRN_ENGINE_KINDS
};

/**
 * struct trn_file_queue - a file's jobs on one queue
 * @jobs: jobs submitted and not yet freed, at most max_file_jobs
 * @wait: SUBMIT waits here for @jobs to fall below the cap
 * @ring_credits: descriptors of the file's jobs in the queue's ring
 * @first: the file's oldest job in the ring, or NULL
 * @last: the file's newest job in the ring, or NULL
 * @waiting: the file's next job waits to enter the ring, counted in the
 *	queue's &trn_queue.waiting
 * @space_node: in &trn_queue.space_waiters while the file's next job
 *	waits only for room in the ring
 * @space_since: jiffies when it began to wait for room
 * @closed_at: jiffies when the file was closed, if @closed
 * @closed: the file is closed; its jobs left in the ring must end within
 *	one job timeout of that
 *
 * All but @jobs and @wait are under the queue's lock.
 */
struct trn_file_queue {
	atomic_t jobs;
	wait_queue_head_t wait;
	u32 ring_credits;
	struct trn_job *first;
	struct trn_job *last;
	bool waiting;
	struct list_head space_node;
	unsigned long space_since;
	unsigned long closed_at;
	bool closed;
};

/**
 * struct trn_file_priv - what the driver keeps for an open file
 * @ref: held by the DRM file until it is closed, by each job of the file
 *	until it is freed and by each buffer object the file created
 * @tdev: the device
 * @vm: the file's address space (a reference): its buffer objects are
 *	mapped there and its jobs run there
 * @entity_lock: protects @entities, and keeps the order in which the jobs
 *	of an entity are armed and pushed
 * @entities: per queue, the file's scheduler entity, created on first use
 *	and destroyed when the file is closed (trn_job_file_close())
 * @queues: per queue, the file's jobs there
 * @hbm_bytes: bytes of HBM objects the file created
 * @host_bytes: bytes of host objects the file created
 * @busy_ns: per &enum trn_engine_kind, time the file's jobs occupied the
 *	queues
 * @cores_used: bit c: the file uses NeuronCore c's queue, under
 *	&trn_device.mode_lock (trn_mode.c)
 *
 * The file's usage (fdinfo) and what it is charged for live here; the
 * memory it can reach is its address space's. A file outlives its DRM file
 * while jobs or objects of it remain.
 */
struct trn_file_priv {
	struct kref ref;
	struct trn_device *tdev;
	struct trn_vm *vm;

	struct mutex entity_lock; /* entities, push order */
	struct drm_sched_entity **entities;
	struct trn_file_queue *queues;

	atomic64_t hbm_bytes;
	atomic64_t host_bytes;
	atomic64_t busy_ns[TRN_ENGINE_KINDS];
	u64 cores_used;
};

struct trn_file_priv *trn_file_create(struct trn_device *tdev);
struct trn_file_priv *trn_file_get(struct trn_file_priv *fpriv);
void trn_file_put(struct trn_file_priv *fpriv);
int trn_file_job_reserve(struct trn_file_queue *fq, bool nonblock);
void trn_file_job_release(struct trn_file_queue *fq);
void trn_file_show_fdinfo(struct drm_printer *p, struct trn_file_priv *fpriv);
int trn_ioctl_wait(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __TRN_FILE_H__ */
