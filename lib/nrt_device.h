/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Device handles (nrt_device.c): an open device file, its properties, a
 * reference count, and the per-handle pools of the modules above.
 *
 * A pool (the fence module's syncobjs and status records; the bounce
 * buffers of nrt_transfer.c) belongs to the module that uses it. The
 * handle only keeps a pointer to it, made by that module on first use with
 * nrt_device_pool() and given back to it with the last reference, so the
 * device module calls nothing of the modules above it.
 */
#ifndef NRT_DEVICE_H
#define NRT_DEVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "drm/trn_accel.h"
#include "nrt_error.h"

/* The pools a handle can hold, one per module that keeps one. */
enum nrt_pool_id {
	NRT_POOL_FENCE,         /* nrt_fence_pool.c */
	NRT_POOL_STAGING,       /* nrt_transfer.c */
	NRT_POOL_COUNT
};

struct nrt_device;

/*
 * struct nrt_pool_ops - how a module makes and frees its pool of a handle
 * @id: the pool's slot in the handle
 * @create: make the pool; NULL (with the error detail set) on failure
 * @destroy: free it: the last reference to the handle is going away, so
 *	no object of the handle is left; its file is still open
 */
struct nrt_pool_ops {
	enum nrt_pool_id id;
	void *(*create)(struct nrt_device *dev);
	void (*destroy)(struct nrt_device *dev, void *pool);
};

struct nrt_device {
	int fd;
	atomic_uint refs;               /* the handle, buffers and fences */
	unsigned int index;
	unsigned int minor;
	int numa_node;
	char pci_bdf[sizeof(((nrt_device_info *)0)->pci_bdf)];
	char device_node[sizeof(((nrt_device_info *)0)->device_node)];
	struct drm_trn_device_info kinfo; /* missing fields are zero */
	/*
	 * The cores of nrt_program_run(): core c is the device's core
	 * core_map[c], c < ncores (NRT_VISIBLE_CORES, nrt_enum_cores());
	 * cores_selected when that variable is set.
	 */
	unsigned int *core_map;
	unsigned int ncores;
	bool cores_selected;
	atomic_uint next_queue;         /* round-robin queue choice */

	pthread_mutex_t pool_lock;      /* serialises the making of pools */
	_Atomic(void *) pools[NRT_POOL_COUNT];
	const struct nrt_pool_ops *pool_ops[NRT_POOL_COUNT];
};

NRT_HIDDEN void nrt_device_ref(struct nrt_device *dev);
NRT_HIDDEN void nrt_device_unref(struct nrt_device *dev);

/* The first kernel driver (0.x) with DRM_IOCTL_TRN_WAIT, which jobs need. */
#define NRT_DRIVER_WAIT_MINOR 5

/*
 * True if the library can run DMA jobs on @dev: the kernel driver reports
 * DMA queues and a descriptor limit, and has DRM_IOCTL_TRN_WAIT.
 */
NRT_HIDDEN bool nrt_device_has_dma(const struct nrt_device *dev);

/* NRT_SUCCESS if nrt_device_has_dma(), else NRT_UNSUPPORTED saying why. */
NRT_HIDDEN nrt_status nrt_device_need_dma(const struct nrt_device *dev);

/*
 * nrt_device_pool() - the pool @ops makes for @dev, made on the first call
 *
 * Return: the pool; NULL if @ops->create failed (its error detail is set;
 * a later call tries again).
 */
NRT_HIDDEN void *nrt_device_pool(struct nrt_device *dev,
				 const struct nrt_pool_ops *ops);

/* The pool of slot @id if it has been made, else NULL. */
static inline void *nrt_device_pool_peek(const struct nrt_device *dev,
					 enum nrt_pool_id id)
{
	return atomic_load_explicit(&((struct nrt_device *)dev)->pools[id],
				    memory_order_acquire);
}

#endif /* NRT_DEVICE_H */
