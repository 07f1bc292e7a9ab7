/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Device handles (nrt_device.c) and, for now, the per-handle pools they
 * keep for other modules.
 */
#ifndef NRT_DEVICE_H
#define NRT_DEVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drm/trn_accel.h"
#include "nrt_error.h"

struct nrt_buffer;

/* Idle syncobjs a device keeps for reuse by later fences. */
#define NRT_SYNCOBJ_CACHE 64

/* Bytes of one bounce buffer of the staging pool, and how many stay cached. */
#define NRT_BOUNCE_SIZE ((size_t)4 << 20)
#define NRT_BOUNCE_CACHE 8

/*
 * Completion markers: every job the library submits ends, when there is
 * room for it, with a WRITE of a token to an 8-byte slot of a HOST status
 * buffer of its device handle. A job whose fence has signalled and whose
 * slot holds its token completed every descriptor, so its outcome needs no
 * sync_file query (see nrt_fence.c).
 */
#define NRT_MARK_BUF_SIZE ((size_t)64 << 10)
#define NRT_MARK_SLOTS ((unsigned int)(NRT_MARK_BUF_SIZE / sizeof(uint64_t)))
#define NRT_NO_SLOT UINT32_MAX

/*
 * EXEC status records (nrt_device.c): every program run owns a 32-byte
 * record in a HOST buffer of its device handle while its fence lives. The
 * records come in buffers of NRT_REC_BUF_SIZE bytes, made as runs need
 * them, up to NRT_REC_BUFS. A record is numbered buffer * NRT_REC_PER_BUF +
 * index. A fence freed before its job is known to be done cannot give its
 * record back (the job may still write it): the record waits, with the
 * job's syncobj, on a pending list until that syncobj has signalled.
 */
#define NRT_REC_SIZE 32u
#define NRT_REC_BUF_SIZE ((size_t)64 << 10)
#define NRT_REC_PER_BUF ((unsigned int)(NRT_REC_BUF_SIZE / NRT_REC_SIZE))
#define NRT_REC_BUFS 32u

struct nrt_rec_pending {
	uint32_t rec;
	uint32_t syncobj;
};

/* States of nrt_device.marks_state. */
#define NRT_MARKS_UNTRIED 0
#define NRT_MARKS_READY 1
#define NRT_MARKS_UNAVAILABLE 2

struct nrt_device {
	int fd;
	atomic_uint refs;               /* the handle, buffers and fences */
	unsigned int index;
	unsigned int minor;
	int numa_node;
	char pci_bdf[sizeof(((nrt_device_info *)0)->pci_bdf)];
	char device_node[sizeof(((nrt_device_info *)0)->device_node)];
	struct drm_trn_device_info kinfo; /* missing fields are zero */
	atomic_uint next_queue;         /* round-robin queue choice */

	pthread_mutex_t lock;           /* protects the caches and free slots below */
	uint32_t syncobjs[NRT_SYNCOBJ_CACHE];
	unsigned int n_syncobjs;
	struct nrt_buffer *bounce[NRT_BOUNCE_CACHE];
	unsigned int n_bounce;
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

NRT_HIDDEN void nrt_device_ref(struct nrt_device *dev);
NRT_HIDDEN void nrt_device_unref(struct nrt_device *dev);

/* True if the kernel driver reports DMA queues and a descriptor limit. */
NRT_HIDDEN bool nrt_device_has_dma(const struct nrt_device *dev);

/*
 * Take an unsignalled-or-stale syncobj from the device's cache or create
 * one; give it back (or destroy it when the cache is full).
 */
NRT_HIDDEN nrt_status nrt_syncobj_get(struct nrt_device *dev, uint32_t *handle);
NRT_HIDDEN void nrt_syncobj_put(struct nrt_device *dev, uint32_t handle);

/*
 * nrt_marks_ready() - whether jobs of @dev can carry completion markers
 *
 * Sets up the status buffer on the first call. When that fails, markers
 * stay off for the life of the handle (jobs then take the sync_file path);
 * the calling thread's error detail is left as it was.
 */
NRT_HIDDEN bool nrt_marks_ready(struct nrt_device *dev);

/*
 * nrt_slots_get() - take marker slots for @n jobs
 * @slots: receives a free slot for each job while there are any, and
 *	NRT_NO_SLOT for the others
 *
 * Only after nrt_marks_ready() returned true. nrt_slots_put() gives the
 * slots back (NRT_NO_SLOT entries are skipped).
 */
NRT_HIDDEN void nrt_slots_get(struct nrt_device *dev, unsigned int n,
			      uint32_t *slots);
NRT_HIDDEN void nrt_slots_put(struct nrt_device *dev, unsigned int n,
			      const uint32_t *slots);

/*
 * nrt_rec_get() - take an EXEC status record for a program run
 * @fn: function name for the message
 * @rec: receives the record number
 *
 * Return: NRT_SUCCESS; NRT_RESOURCE when every record is in use and no
 * more buffers can be made, or a status of the buffer allocation.
 */
NRT_HIDDEN nrt_status nrt_rec_get(struct nrt_device *dev, const char *fn,
				  uint32_t *rec);
/* Give back a record whose job is done. */
NRT_HIDDEN void nrt_rec_put(struct nrt_device *dev, uint32_t rec);
/*
 * nrt_rec_defer() - give back a record whose job may still be running
 * @syncobj: the job's syncobj, which the pending list takes over
 *
 * Return: false if the list cannot take it (out of memory): the record is
 * then lost and the caller keeps @syncobj.
 */
NRT_HIDDEN bool nrt_rec_defer(struct nrt_device *dev, uint32_t rec,
			      uint32_t syncobj);
/* The CPU mapping and the device address of a record. */
NRT_HIDDEN void *nrt_rec_ptr(const struct nrt_device *dev, uint32_t rec);
NRT_HIDDEN uint64_t nrt_rec_va(const struct nrt_device *dev, uint32_t rec);

#endif /* NRT_DEVICE_H */
