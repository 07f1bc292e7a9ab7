/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * The per-handle pools of the fence module (nrt_fence_pool.c), below
 * nrt_fence.c, which takes its syncobjs here. Program runs (nrt_run.c) take
 * their EXEC status records here; the unit tests look at the counts.
 *
 * Syncobjs: idle ones are kept for reuse by later fences.
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
#include <stdbool.h>
#include <stdint.h>

#include "nrt_device.h"

#define NRT_SYNCOBJ_CACHE 64

/* Bytes of an EXEC status record. */
#define NRT_REC_SIZE 32u

#define NRT_REC_BUF_SIZE ((size_t)64 << 10)
#define NRT_REC_PER_BUF ((unsigned int)(NRT_REC_BUF_SIZE / NRT_REC_SIZE))
#define NRT_REC_BUFS 32u

struct nrt_buffer;

struct nrt_rec_pending {
	uint32_t rec;
	uint32_t syncobj;
};

struct nrt_fence_pool {
	pthread_mutex_t lock;           /* the idle syncobjs */
	uint32_t syncobjs[NRT_SYNCOBJ_CACHE];
	unsigned int n_syncobjs;

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

/* The pool of @dev once a fence or record has needed it, else NULL. */
NRT_HIDDEN struct nrt_fence_pool *nrt_fence_pool_of(const struct nrt_device *dev);

/*
 * Take an unsignalled-or-stale syncobj from the handle's cache or create
 * one; give it back (or destroy it when the cache is full).
 */
NRT_HIDDEN nrt_status nrt_syncobj_get(struct nrt_device *dev, uint32_t *handle);
NRT_HIDDEN void nrt_syncobj_put(struct nrt_device *dev, uint32_t handle);

/*
 * EXEC status records. A program run takes a record before it submits its
 * job, points the EXEC descriptor at its device address (nrt_rec_va()) and
 * reads it through its CPU mapping (nrt_rec_ptr()) once the job is done.
 */

/*
 * nrt_rec_get() - take a record of @dev
 * @rec: receives the record number
 *
 * Return: NRT_SUCCESS; NRT_RESOURCE when every record is in use and no
 * more buffers can be made, or a status of the buffer allocation.
 */
NRT_HIDDEN nrt_status nrt_rec_get(struct nrt_device *dev, uint32_t *rec);

/* Give back a record whose job was not submitted or is done. */
NRT_HIDDEN void nrt_rec_put(struct nrt_device *dev, uint32_t rec);

/* The CPU mapping and the device address of a record. */
NRT_HIDDEN void *nrt_rec_ptr(const struct nrt_device *dev, uint32_t rec);
NRT_HIDDEN uint64_t nrt_rec_va(const struct nrt_device *dev, uint32_t rec);

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
