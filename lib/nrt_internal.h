/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Declarations shared between the source files of libnrt. Not installed.
 */
#ifndef NRT_INTERNAL_H
#define NRT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drm/trn_accel.h"
#include "nrt.h"

#define NRT_HIDDEN __attribute__((visibility("hidden")))
#define NRT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Length of the per-thread error detail buffer, including the NUL. */
#define NRT_ERROR_MAX 512

/* Idle syncobjs a device keeps for reuse by later fences. */
#define NRT_SYNCOBJ_CACHE 64

/* Bytes of one bounce buffer of the staging pool, and how many stay cached. */
#define NRT_BOUNCE_SIZE ((size_t)4 << 20)
#define NRT_BOUNCE_CACHE 8

/* nrt_buffer_read()/write() of HBM from this size on use DMA staging. */
#define NRT_STAGING_MIN ((size_t)64 << 10)

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

struct nrt_buffer {
	struct nrt_device *dev;
	bool internal;                  /* bounce buffer: holds no device ref */
	nrt_placement placement;
	uint32_t handle;
	uint64_t va;
	size_t size;                    /* as requested */
	uint64_t bo_size;               /* as allocated: whole pages */
	uint64_t mmap_offset;

	pthread_mutex_t lock;           /* protects the mapping state */
	void *map;
	unsigned int pins;              /* read/write calls using @map */
	bool unmap_pending;             /* unmap once @pins drops to 0 */
};

/* Outcome of a fence as a sync_file status: 1 ok, 0 pending, <0 -errno. */
#define NRT_FENCE_PENDING 0
#define NRT_FENCE_OK 1

struct nrt_fence;

/*
 * struct nrt_fence_ops - what the submitter of a fence's jobs adds to it
 * @failed: the jobs completed with an error and @st is its status, the
 *	generic detail message set ("job on queue 5 failed: ..."); may
 *	replace the message. Return: the status to report.
 * @release: nrt_fence_free() is freeing the fence; @done: its jobs are
 *	known to be complete. May take over a syncobj of the fence by
 *	setting its entry in @f->syncobjs to 0. Frees @f->ctx.
 */
struct nrt_fence_ops {
	nrt_status (*failed)(struct nrt_fence *f, nrt_status st);
	void (*release)(struct nrt_fence *f, bool done);
};

struct nrt_fence {
	struct nrt_device *dev;         /* holds a reference */
	int queue;                      /* queue of its jobs, -1 for none */
	unsigned int count;             /* syncobjs, one per job */
	uint32_t *syncobjs;             /* @one or an allocated array */
	uint32_t *slots;                /* marker slot of each job, or NRT_NO_SLOT */
	uint64_t token;                 /* job i writes @token + i to its slot */
	uint32_t one;
	uint32_t one_slot;
	atomic_int state;               /* NRT_FENCE_* or -errno, once final */
	const struct nrt_fence_ops *ops; /* or NULL */
	void *ctx;                      /* of @ops */
};

/*
 * Tensors (nrt_tensor.c). The storage is shared by a tensor, its views and
 * the programs that use them; it frees an owned buffer with the last
 * reference.
 */
struct nrt_storage {
	atomic_uint refs;
	struct nrt_buffer *buf;
	bool owned;                     /* nrt_tensor_alloc(): free @buf */
};

struct nrt_tensor {
	struct nrt_storage *st;         /* holds a reference */
	size_t offset;                  /* bytes */
	nrt_dtype dtype;
	unsigned int rank;
	uint32_t shape[NRT_MAX_RANK];
	int32_t strides[NRT_MAX_RANK];  /* elements, >= 0 */
};

/*
 * nrt_fail() - record the error detail for the calling thread
 * @status: status to return
 * @fmt: printf format of the detail message
 *
 * Return: @status, so that callers can write "return nrt_fail(...)".
 */
NRT_HIDDEN nrt_status nrt_fail(nrt_status status, const char *fmt, ...)
	NRT_PRINTF(2, 3);

/*
 * nrt_fail_errno() - like nrt_fail(), with ": <strerror(err)>" appended
 * @status: status to return
 * @err: errno value describing the cause
 * @fmt: printf format of the detail message
 */
NRT_HIDDEN nrt_status nrt_fail_errno(nrt_status status, int err,
				     const char *fmt, ...) NRT_PRINTF(3, 4);

/*
 * nrt_fail_prefix() - put "<prefix>: " in front of the current detail
 * @status: status to return
 * @fmt: printf format of the prefix
 *
 * For a caller that adds context to the failure of a call it made.
 */
NRT_HIDDEN nrt_status nrt_fail_prefix(nrt_status status, const char *fmt, ...)
	NRT_PRINTF(2, 3);

/* Generic mapping of an errno value of an ioctl to a status. */
NRT_HIDDEN nrt_status nrt_status_from_errno(int err);

/* A trn device as nrt_device_count() sees it: index i of the list is
 * device index i. */
struct nrt_dev_ent {
	unsigned int minor;
	char pci_bdf[32];
};

/*
 * nrt_device_list() - the trn devices, in device index order
 * *@out (free()) and *@n receive them. NRT_NO_DRIVER when there is none and
 * the module is not loaded.
 */
NRT_HIDDEN nrt_status nrt_device_list(struct nrt_dev_ent **out, size_t *n);

/* The root of sysfs: NRT_SYSFS_ROOT or "/sys". */
NRT_HIDDEN const char *nrt_sysfs_path(void);

/* Topology (nrt_topology.c): the devices, to map accel minors to device
 * indices and chip ids to devices. */
struct nrt_devmap {
	struct nrt_dev_ent *ents;
	uint32_t *chip;         /* chip id of device i, when chip_known[i] */
	bool *chip_known;
	size_t n;
};

NRT_HIDDEN nrt_status nrt_devmap_get(struct nrt_devmap *m);
NRT_HIDDEN void nrt_devmap_free(struct nrt_devmap *m);

struct nlmsghdr;
/*
 * nrt_link_parse_msg() - one port of a trn_link GET or EVENT message
 * @nlh: the message
 * @m: the devices, to map minors to device indices
 * @link: receives the port
 * @events: receives TRN_LINK_A_EVENT (0 if absent), or NULL
 *
 * Return: NRT_SUCCESS; NRT_NO_DEVICE for a device that is not in @m (gone
 * or bound since: skip it); NRT_FAILURE for a malformed message.
 */
NRT_HIDDEN nrt_status nrt_link_parse_msg(struct nlmsghdr *nlh,
					 const struct nrt_devmap *m,
					 nrt_link *link, uint32_t *events);

/*
 * Save the calling thread's error detail in @buf (NRT_ERROR_MAX bytes) and
 * put it back, around internal work whose failure is not the caller's.
 */
NRT_HIDDEN void nrt_error_save(char *buf);
NRT_HIDDEN void nrt_error_restore(const char *buf);

/* --- devices (nrt_device.c) --- */

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

/* --- buffers (nrt_buffer.c) --- */

/* Allocate a buffer; an @internal one holds no reference to @dev. */
NRT_HIDDEN nrt_status nrt_buffer_create(struct nrt_device *dev, size_t size,
					nrt_placement placement, bool internal,
					struct nrt_buffer **out);
/* Free a buffer, also an internal one. */
NRT_HIDDEN void nrt_buffer_destroy(struct nrt_buffer *buf);

/*
 * nrt_range_check() - check that [@off, @off + @len) lies in @size bytes
 * @fn: function name for the message
 * @what: name of the buffer argument for the message
 *
 * Return: NRT_SUCCESS, or NRT_INVALID with a message naming @what.
 */
NRT_HIDDEN nrt_status nrt_range_check(const char *fn, const char *what,
				      size_t size, size_t off, size_t len);

/*
 * nrt_buffer_pin() - map @buf if needed and keep the mapping until
 * nrt_buffer_unpin(); *@ptr receives its first byte
 */
NRT_HIDDEN nrt_status nrt_buffer_pin(struct nrt_buffer *buf, const char *fn,
				     unsigned char **ptr);
NRT_HIDDEN void nrt_buffer_unpin(struct nrt_buffer *buf);

/* --- tensors (nrt_tensor.c) --- */

NRT_HIDDEN void nrt_storage_ref(struct nrt_storage *s);
NRT_HIDDEN void nrt_storage_unref(struct nrt_storage *s);

/* Number of elements of @t. */
NRT_HIDDEN size_t nrt_tensor_count(const struct nrt_tensor *t);

/*
 * nrt_tensor_bcast_dim() - whether @t repeats elements (a broadcast view)
 * @dim: receives the first dimension of size > 1 with stride 0
 */
NRT_HIDDEN bool nrt_tensor_bcast_dim(const struct nrt_tensor *t,
				     unsigned int *dim);

/* "64x32": the @rank sizes at @shape, truncated to @size bytes. */
NRT_HIDDEN void nrt_shape_str(char *buf, size_t size, unsigned int rank,
			      const uint32_t *shape);

/* --- fences (nrt_fence.c) --- */

/*
 * nrt_fence_new() - a fence of @count jobs on @queue with fresh syncobjs
 * @marks: give the jobs marker slots (nrt_marks_ready() must have returned
 *	true); jobs get none when the slots run out
 *
 * @count 0 gives a fence that is already signalled.
 */
NRT_HIDDEN nrt_status nrt_fence_new(struct nrt_device *dev, int queue,
				    unsigned int count, bool marks,
				    struct nrt_fence **out);

/*
 * nrt_fence_mark_desc() - the completion marker of job @job of @f
 * @d: receives the WRITE descriptor that goes last in the job
 *
 * Return: false (and @d untouched) if the job has no marker slot.
 */
NRT_HIDDEN bool nrt_fence_mark_desc(const struct nrt_fence *f, unsigned int job,
				    struct drm_trn_dma_desc *d);

/*
 * nrt_fence_finish() - wait for @f forever without setting an error message
 *
 * Return: NRT_FENCE_OK, the job's error (-errno), or -errno of a failed
 * wait.
 */
NRT_HIDDEN int nrt_fence_finish(struct nrt_fence *f);

/*
 * nrt_fence_status() - status of a job from its sync_file status
 * @sync_status: 1 signalled, 0 active, <0 the fence error (-errno)
 * @queue: the job's queue, for the message; -1 if unknown
 *
 * Return: NRT_SUCCESS for 1; otherwise a failure with its detail message:
 * NRT_TIMEOUT for 0 ("still running") and -ETIMEDOUT ("timed out on the
 * device"), NRT_HW_ERROR for -EFAULT ("device address fault") and other
 * errors, NRT_NO_DEVICE for -ENODEV.
 */
NRT_HIDDEN nrt_status nrt_fence_status(int sync_status, int queue);

/* --- DMA (nrt_dma.c) --- */

/*
 * nrt_dma_split_count() - descriptors needed for @len bytes
 * @len: bytes of the operation
 * @max_len: most bytes of one descriptor, at least 1
 *
 * Return: ceil(@len / @max_len); 0 for @len 0.
 */
NRT_HIDDEN uint64_t nrt_dma_split_count(uint64_t len, uint64_t max_len);

/*
 * nrt_dma_split() - descriptors @first .. @first + @n - 1 of an operation
 * @descs: receives @n descriptors
 * @first: index of the first descriptor to produce
 * @n: number of descriptors to produce
 * @opcode: DRM_TRN_DMA_OP_COPY (@src is an address that advances) or
 *	DRM_TRN_DMA_OP_FILL (@src is the pattern, the same in every descriptor)
 * @dst: device address of the first byte of the destination
 * @src: device address of the source, or the fill pattern
 * @len: bytes of the whole operation
 * @max_len: most bytes of one descriptor
 *
 * Descriptor i covers bytes [i * @max_len, min((i + 1) * @max_len, @len)).
 * The caller makes sure that @first + @n <= nrt_dma_split_count().
 */
NRT_HIDDEN void nrt_dma_split(struct drm_trn_dma_desc *descs, uint64_t first,
			      unsigned int n, uint32_t opcode, uint64_t dst,
			      uint64_t src, uint64_t len, uint64_t max_len);

/*
 * nrt_dma_job_count() - jobs needed for @ndescs descriptors, at most
 * @max_descs (>= 1) per job
 */
NRT_HIDDEN uint64_t nrt_dma_job_count(uint64_t ndescs, uint32_t max_descs);

/*
 * nrt_dma_pick_queue() - the queue of the @n-th job without a queue
 * @n: value of the device's round-robin counter
 * @queues: number of queues, at least 1
 * @engines: number of engines (queue q is on engine q / (queues / engines))
 *
 * Return: a queue in 0..@queues-1. Any @queues consecutive values of @n give
 * every queue once, and consecutive values alternate between engines when
 * the queues divide evenly among them.
 */
NRT_HIDDEN unsigned int nrt_dma_pick_queue(unsigned int n, unsigned int queues,
					   unsigned int engines);

/*
 * nrt_check_wait() - check fences to wait for: @wait_count of them at @wait,
 * each of @dev; @wname names the array in the message
 */
NRT_HIDDEN nrt_status nrt_check_wait(const char *fn, const struct nrt_device *dev,
				     nrt_fence *const *wait, size_t wait_count,
				     const char *wname);

/*
 * nrt_job_run() - submit one job of @count (< max_descs) descriptors to
 * any queue, with a completion marker after them
 * @queue: a queue the caller has checked, DMA or NeuronCore
 * @wait: fences to wait for, checked with nrt_check_wait()
 * @ops: operations added to the job's fence, or NULL
 * @ctx: their context
 * @consumed: receives whether @ctx now belongs to the fence (@ops->release
 *	frees it): true once the job was submitted, also when the call then
 *	waited and failed; false when the call failed before (the caller
 *	frees @ctx)
 * @fence: NULL to wait for the job and free its fence, or receives it
 *
 * Return: as for nrt_submit_raw(); for a synchronous job the message of a
 * failure is prefixed with "@fn: ".
 */
NRT_HIDDEN nrt_status nrt_job_run(const char *fn, struct nrt_device *dev,
				  unsigned int queue,
				  const struct drm_trn_dma_desc *descs,
				  unsigned int count, nrt_fence *const *wait,
				  size_t wait_count, const struct nrt_fence_ops *ops,
				  void *ctx, bool *consumed, nrt_fence **fence);

/*
 * nrt_dma_copy_async() - internal nrt_copy() without argument checks, on
 * any queue; used by the staging of nrt_buffer_read() and write()
 */
NRT_HIDDEN nrt_status nrt_dma_copy_async(const char *fn,
					 struct nrt_buffer *dst, size_t dst_off,
					 struct nrt_buffer *src, size_t src_off,
					 size_t len, struct nrt_fence **fence);

#endif /* NRT_INTERNAL_H */
