/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * The per-handle pools of the fence module (nrt_fence_pool.c), private to
 * it: nrt_fence.c uses them, the rest of the library goes through
 * nrt_fence.h. The unit tests look at the counts.
 *
 * Syncobjs: idle ones are kept for reuse by later fences.
 *
 * Completion markers: every job the library submits ends, when there is
 * room for it, with a WRITE of a token to an 8-byte slot of a HOST status
 * buffer of its device handle. A job whose fence has signalled and whose
 * slot holds its token completed every descriptor, so its outcome needs no
 * sync_file query (see nrt_fence.c). The buffer is made on the first
 * submission; when that fails, markers stay off for the handle.
 *
 * EXEC status records: every program run owns a 32-byte record in a HOST
 * buffer of its device handle while its fence lives. The records come in
 * buffers of NRT_REC_BUF_SIZE bytes, made as runs need them, up to
 * NRT_REC_BUFS. A record is numbered buffer * NRT_REC_PER_BUF + index. A
 * fence freed before its job is known to be done cannot give its record
 * back (the job may still write it): the record waits, with the job's
 * syncobj, on a pending list until that syncobj has signalled.
 */
#ifndef NRT_FENCE_POOL_H
#define NRT_FENCE_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "nrt_device.h"

#define NRT_SYNCOBJ_CACHE 64

#define NRT_MARK_BUF_SIZE ((size_t)64 << 10)
#define NRT_MARK_SLOTS ((unsigned int)(NRT_MARK_BUF_SIZE / sizeof(uint64_t)))

#define NRT_REC_BUF_SIZE ((size_t)64 << 10)
#define NRT_REC_PER_BUF ((unsigned int)(NRT_REC_BUF_SIZE / NRT_REC_SIZE))
#define NRT_REC_BUFS 32u

/* States of nrt_fence_pool.marks_state. */
#define NRT_MARKS_UNTRIED 0
#define NRT_MARKS_READY 1
#define NRT_MARKS_UNAVAILABLE 2

struct nrt_buffer;

struct nrt_rec_pending {
	uint32_t rec;
	uint32_t syncobj;
};

struct nrt_fence_pool {
	pthread_mutex_t lock;           /* the idle syncobjs and free slots */
	uint32_t syncobjs[NRT_SYNCOBJ_CACHE];
	unsigned int n_syncobjs;
	uint16_t *free_slots;           /* marker slots not owned by a fence */
	unsigned int n_free_slots;

	/*
	 * Completion markers, set up on the first submission under
	 * @marks_lock; @marks_buf, @marks and @free_slots are valid once
	 * @marks_state reads NRT_MARKS_READY (acquire).
	 */
	pthread_mutex_t marks_lock;
	atomic_int marks_state;         /* NRT_MARKS_* */
	struct nrt_buffer *marks_buf;   /* HOST, NRT_MARK_SLOTS slots */
	_Atomic uint64_t *marks;        /* its CPU mapping */
	atomic_uint_least64_t next_token; /* last token handed out */

	/* EXEC status records, all under @rec_lock (taken before @lock). */
	pthread_mutex_t rec_lock;
	struct nrt_buffer *rec_bufs[NRT_REC_BUFS]; /* HOST, mapped */
	unsigned int n_rec_bufs;
	uint32_t *rec_free;             /* free records, a stack */
	unsigned int n_rec_free;
	struct nrt_rec_pending *rec_pending; /* records of freed, unfinished runs */
	unsigned int n_rec_pending;
	unsigned int cap_rec_pending;
};

/* The pool of @dev once a fence or marker has needed it, else NULL. */
NRT_HIDDEN struct nrt_fence_pool *nrt_fence_pool_of(const struct nrt_device *dev);

/*
 * Take an unsignalled-or-stale syncobj from the handle's cache or create
 * one; give it back (or destroy it when the cache is full).
 */
NRT_HIDDEN nrt_status nrt_syncobj_get(struct nrt_device *dev, uint32_t *handle);
NRT_HIDDEN void nrt_syncobj_put(struct nrt_device *dev, uint32_t handle);

/*
 * nrt_marks_take() - marker slots and tokens for the @n jobs of a fence
 * @slots: receives a free slot for each job while there are any, and
 *	NRT_NO_SLOT for the others; every slot taken reads 0 until its job
 *	writes it
 *
 * Only after nrt_marks_ready() returned true. Return: the token of the
 * first job; job i writes the token + i. nrt_marks_put() gives the slots
 * back (NRT_NO_SLOT entries are skipped).
 */
NRT_HIDDEN uint64_t nrt_marks_take(struct nrt_device *dev, unsigned int n,
				   uint32_t *slots);
NRT_HIDDEN void nrt_marks_put(struct nrt_device *dev, unsigned int n,
			      const uint32_t *slots);

/* Whether marker slot @slot holds @token (read with acquire). */
NRT_HIDDEN bool nrt_marks_seen(const struct nrt_device *dev, uint32_t slot,
			       uint64_t token);

/* The device address of marker slot @slot. */
NRT_HIDDEN uint64_t nrt_marks_va(const struct nrt_device *dev, uint32_t slot);

/*
 * nrt_rec_defer() - give back a record whose job may still be running
 * @syncobj: the job's syncobj, which the pending list takes over
 *
 * Return: false if the list cannot take it (out of memory): the record is
 * then lost and the caller keeps @syncobj.
 */
NRT_HIDDEN bool nrt_rec_defer(struct nrt_device *dev, uint32_t rec,
			      uint32_t syncobj);

#endif /* NRT_FENCE_POOL_H */
