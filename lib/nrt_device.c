// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Device handles, on the devices nrt_enum.c finds.
 *
 * A device handle is reference counted: the handle itself, every buffer and
 * every fence hold a reference, so that the file descriptor outlives
 * nrt_device_close() until the last object is freed. The modules above keep
 * per-handle pools in it (see nrt_device.h), which go with the last
 * reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "nrt_device.h"
#include "nrt_enum.h"

#define NRT_DRIVER_NAME "trn"

/* The device info fields a kernel must return at least (up to hbm_size). */
#define NRT_KINFO_MIN_SIZE \
	(offsetof(struct drm_trn_device_info, hbm_size) + \
	 sizeof(((struct drm_trn_device_info *)0)->hbm_size))

/* The 0.1 structure ended at numa_node; fields after it are 0.2 or later. */
_Static_assert(NRT_DEVICE_INFO_SIZE_0_1 ==
	       offsetof(nrt_device_info, numa_node) + sizeof(int),
	       "NRT_DEVICE_INFO_SIZE_0_1 does not match the 0.1 layout");
_Static_assert(offsetof(nrt_device_info, dma_engines) == NRT_DEVICE_INFO_SIZE_0_1,
	       "nrt_device_info: hole after the 0.1 fields");
_Static_assert(NRT_DEVICE_INFO_SIZE_0_2 ==
	       offsetof(nrt_device_info, reserved0) + sizeof(uint32_t),
	       "NRT_DEVICE_INFO_SIZE_0_2 does not match the 0.2 layout");
_Static_assert(offsetof(nrt_device_info, num_sems) == NRT_DEVICE_INFO_SIZE_0_2,
	       "nrt_device_info: hole after the 0.2 fields");
_Static_assert(sizeof(nrt_device_info) ==
	       offsetof(nrt_device_info, core_queues) + sizeof(uint32_t),
	       "nrt_device_info: tail padding");

/* Check that @dev->fd is a DRM device driven by the trn driver. */
static nrt_status nrt_check_version(const struct nrt_device *dev)
{
	drmVersionPtr ver;
	nrt_status st = NRT_SUCCESS;

	errno = 0;
	ver = drmGetVersion(dev->fd);
	if (!ver) {
		int err = errno;

		if (err == ENOMEM)
			return nrt_fail_errno(NRT_RESOURCE, err,
					      "DRM version query on %s",
					      dev->device_node);
		if (err)
			return nrt_fail_errno(NRT_NO_DEVICE, err,
					      "%s is not a DRM device",
					      dev->device_node);
		return nrt_fail(NRT_NO_DEVICE, "%s is not a DRM device",
				dev->device_node);
	}
	if (!ver->name || strcmp(ver->name, NRT_DRIVER_NAME))
		st = nrt_fail(NRT_NO_DEVICE,
			      "%s belongs to DRM driver \"%s\", not \"" NRT_DRIVER_NAME "\"",
			      dev->device_node, ver->name ? ver->name : "");
	drmFreeVersion(ver);
	return st;
}

/* Read the device info from the kernel into @dev->kinfo. */
static nrt_status nrt_query_info(struct nrt_device *dev)
{
	struct drm_trn_device_info kinfo;
	struct drm_trn_query q;

	memset(&kinfo, 0, sizeof(kinfo));
	memset(&q, 0, sizeof(q));
	q.query = DRM_TRN_QUERY_DEVICE_INFO;
	q.size = sizeof(kinfo);
	q.data = (uint64_t)(uintptr_t)&kinfo;

	/*
	 * The kernel copies min(q.size, its size) bytes and reports the
	 * number copied, so a single call negotiates the size: an older
	 * kernel fills a prefix, a newer one truncates to what we know.
	 */
	if (drmIoctl(dev->fd, DRM_IOCTL_TRN_QUERY, &q)) {
		int err = errno;
		nrt_status st = nrt_status_from_errno(err);

		if (err == EINVAL || err == ENOTTY)
			st = NRT_UNSUPPORTED;
		return nrt_fail_errno(st, err, "device info query on %s",
				      dev->device_node);
	}
	if (q.size < NRT_KINFO_MIN_SIZE)
		return nrt_fail(NRT_UNSUPPORTED,
				"device info query on %s: the driver returned %u bytes, at least %zu needed",
				dev->device_node, q.size, NRT_KINFO_MIN_SIZE);
	if (q.size > sizeof(kinfo))
		return nrt_fail(NRT_FAILURE,
				"device info query on %s: the driver returned %u bytes, more than the %zu asked for",
				dev->device_node, q.size, sizeof(kinfo));

	/* Fields the kernel does not know about read as zero. */
	memset((char *)&kinfo + q.size, 0, sizeof(kinfo) - q.size);
	dev->kinfo = kinfo;
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_device_open(unsigned int index, nrt_device **devp)
{
	NRT_API_SCOPE();
	struct nrt_dev_ent e;
	struct nrt_device *dev;
	unsigned int i;
	nrt_status st;

	if (!devp)
		return nrt_fail(NRT_INVALID, "nrt_device_open: dev is NULL");

	st = nrt_enum_device(index, &e);
	if (st != NRT_SUCCESS)
		return st;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	dev->fd = -1;
	atomic_init(&dev->refs, 1);
	atomic_init(&dev->next_queue, 0);
	for (i = 0; i < NRT_POOL_COUNT; i++)
		atomic_init(&dev->pools[i], NULL);
	if (pthread_mutex_init(&dev->pool_lock, NULL)) {
		free(dev);
		return nrt_fail(NRT_RESOURCE, "cannot create a mutex");
	}
	dev->index = index;
	dev->minor = e.minor;
	memcpy(dev->pci_bdf, e.pci_bdf, sizeof(dev->pci_bdf));
	memcpy(dev->device_node, e.device_node, sizeof(dev->device_node));

	dev->fd = open(dev->device_node, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		int err = errno;

		st = nrt_fail_errno(nrt_status_from_errno(err), err, "open %s",
				    dev->device_node);
		goto err;
	}

	st = nrt_check_version(dev);
	if (st != NRT_SUCCESS)
		goto err;
	st = nrt_query_info(dev);
	if (st != NRT_SUCCESS)
		goto err;
	st = nrt_enum_cores(dev->kinfo.core_queues, &dev->core_map, &dev->ncores);
	if (st != NRT_SUCCESS)
		goto err;
	dev->cores_selected = secure_getenv("NRT_VISIBLE_CORES") != NULL;
	dev->numa_node = nrt_enum_numa_node(e.minor);

	nrt_log(NRT_LOG_INFO, "device %u (%s, %s) opened, %u of %u cores",
		index, dev->pci_bdf, dev->device_node, dev->ncores,
		dev->kinfo.core_queues);
	*devp = dev;
	return NRT_SUCCESS;

err:
	nrt_device_close(dev);
	return st;
}

void nrt_device_ref(struct nrt_device *dev)
{
	atomic_fetch_add_explicit(&dev->refs, 1, memory_order_relaxed);
}

void nrt_device_unref(struct nrt_device *dev)
{
	unsigned int i;

	if (atomic_fetch_sub_explicit(&dev->refs, 1, memory_order_acq_rel) != 1)
		return;

	/*
	 * Last reference: no buffer or fence of the handle is left, and
	 * nobody else can reach its pools. Jobs still running keep the
	 * memory of the pools' buffers in the kernel.
	 */
	for (i = NRT_POOL_COUNT; i-- > 0;) {
		void *pool = atomic_load_explicit(&dev->pools[i], memory_order_acquire);

		if (pool)
			dev->pool_ops[i]->destroy(dev, pool);
	}
	if (dev->fd >= 0)
		close(dev->fd);
	pthread_mutex_destroy(&dev->pool_lock);
	free(dev->core_map);
	free(dev);
}

NRT_API void nrt_device_close(nrt_device *dev)
{
	if (dev)
		nrt_device_unref(dev);
}

/* Whether the kernel driver has DRM_IOCTL_TRN_WAIT (driver 0.5 and later). */
static bool nrt_device_has_wait(const struct nrt_device *dev)
{
	return dev->kinfo.driver_version_major > 0 ||
	       dev->kinfo.driver_version_minor >= NRT_DRIVER_WAIT_MINOR;
}

bool nrt_device_has_dma(const struct nrt_device *dev)
{
	return dev->kinfo.dma_queues > 0 && dev->kinfo.max_descs > 0 &&
	       nrt_device_has_wait(dev);
}

nrt_status nrt_device_need_dma(const struct nrt_device *dev)
{
	if (!dev->kinfo.dma_queues || !dev->kinfo.max_descs)
		return nrt_fail(NRT_UNSUPPORTED,
				"the kernel driver of %s reports no DMA queues",
				dev->device_node);
	if (!nrt_device_has_wait(dev))
		return nrt_fail(NRT_UNSUPPORTED,
				"the kernel driver of %s is version %u.%u: jobs need 0.%u or later (DRM_IOCTL_TRN_WAIT)",
				dev->device_node, dev->kinfo.driver_version_major,
				dev->kinfo.driver_version_minor, NRT_DRIVER_WAIT_MINOR);
	return NRT_SUCCESS;
}

void *nrt_device_pool(struct nrt_device *dev, const struct nrt_pool_ops *ops)
{
	void *pool = nrt_device_pool_peek(dev, ops->id);

	if (pool)
		return pool;
	pthread_mutex_lock(&dev->pool_lock);
	pool = atomic_load_explicit(&dev->pools[ops->id], memory_order_relaxed);
	if (!pool) {
		pool = ops->create(dev);
		if (pool) {
			dev->pool_ops[ops->id] = ops;
			/* Publishes the pool and its ops. */
			atomic_store_explicit(&dev->pools[ops->id], pool,
					      memory_order_release);
		}
	}
	pthread_mutex_unlock(&dev->pool_lock);
	return pool;
}

NRT_API int nrt_device_fd(const nrt_device *dev)
{
	return dev ? dev->fd : -1;
}

NRT_API nrt_status nrt_device_get_info(const nrt_device *dev,
				       nrt_device_info *info)
{
	NRT_API_SCOPE();
	nrt_device_info full;
	uint32_t size;
	size_t n;

	if (!dev)
		return nrt_fail(NRT_INVALID, "nrt_device_get_info: dev is NULL");
	if (!info)
		return nrt_fail(NRT_INVALID, "nrt_device_get_info: info is NULL");
	size = info->struct_size;
	if (size < NRT_DEVICE_INFO_SIZE_0_1)
		return nrt_fail(NRT_INVALID,
				"nrt_device_get_info: struct_size is %u, at least %u needed",
				size, NRT_DEVICE_INFO_SIZE_0_1);

	memset(&full, 0, sizeof(full));
	full.struct_size = size;
	full.index = dev->index;
	full.minor = dev->minor;
	memcpy(full.pci_bdf, dev->pci_bdf, sizeof(full.pci_bdf));
	memcpy(full.device_node, dev->device_node, sizeof(full.device_node));
	full.chip_id = dev->kinfo.chip_id;
	full.num_cores = dev->kinfo.num_cores;
	full.hbm_size = dev->kinfo.hbm_size;
	full.hw_version_major = dev->kinfo.hw_version_major;
	full.hw_version_minor = dev->kinfo.hw_version_minor;
	full.hw_caps = dev->kinfo.hw_caps;
	full.driver_version_major = dev->kinfo.driver_version_major;
	full.driver_version_minor = dev->kinfo.driver_version_minor;
	full.driver_version_patch = dev->kinfo.driver_version_patch;
	full.numa_node = dev->numa_node;
	full.dma_engines = dev->kinfo.dma_engines;
	full.dma_queues = dev->kinfo.dma_queues;
	full.va_start = dev->kinfo.va_start;
	full.va_end = dev->kinfo.va_end;
	full.max_descs = dev->kinfo.max_descs;
	full.num_sems = dev->kinfo.num_sems;
	full.core_queues = dev->kinfo.core_queues;
	if (dev->cores_selected)
		full.num_cores = full.core_queues = dev->ncores;

	/*
	 * Exactly struct_size bytes: the caller's prefix of our structure,
	 * then zeroes for the fields of a newer header that we do not know.
	 */
	n = size < sizeof(full) ? size : sizeof(full);
	memcpy(info, &full, n);
	if (size > n)
		memset((char *)info + n, 0, size - n);
	return NRT_SUCCESS;
}
