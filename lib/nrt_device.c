// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Device handles, on the devices nrt_enum.c finds.
 *
 * A device handle is reference counted: the handle itself, every buffer and
 * every fence hold a reference, so that the file descriptor outlives
 * nrt_device_close() until the last object is freed. The handle also keeps
 * two caches behind one mutex: idle syncobjs for new fences, and the HOST
 * bounce buffers of nrt_buffer_read() and nrt_buffer_write(). The same
 * mutex guards the free list of the completion marker slots of the
 * handle's status buffer (see nrt_device.h), which is made on the first
 * DMA submission. The EXEC status records of program runs come from
 * buffers of their own, behind a mutex of their own (nrt_rec_get()).
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

#include "nrt_buffer.h"
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
	struct nrt_dev_ent e;
	struct nrt_device *dev;
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
	atomic_init(&dev->marks_state, NRT_MARKS_UNTRIED);
	atomic_init(&dev->next_token, 0);
	if (pthread_mutex_init(&dev->lock, NULL)) {
		free(dev);
		return nrt_fail(NRT_RESOURCE, "cannot create a mutex");
	}
	if (pthread_mutex_init(&dev->marks_lock, NULL)) {
		pthread_mutex_destroy(&dev->lock);
		free(dev);
		return nrt_fail(NRT_RESOURCE, "cannot create a mutex");
	}
	if (pthread_mutex_init(&dev->rec_lock, NULL)) {
		pthread_mutex_destroy(&dev->marks_lock);
		pthread_mutex_destroy(&dev->lock);
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
	dev->numa_node = nrt_enum_numa_node(e.minor);

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

	/* Last reference: nobody else can reach the caches any more. */
	for (i = 0; i < dev->n_bounce; i++)
		nrt_buffer_destroy(dev->bounce[i]);
	for (i = 0; i < dev->n_syncobjs; i++)
		drmSyncobjDestroy(dev->fd, dev->syncobjs[i]);
	/* Jobs still writing markers keep its memory in the kernel. */
	if (dev->marks_buf)
		nrt_buffer_destroy(dev->marks_buf);
	free(dev->free_slots);
	/* The same holds for status records of programs still running. */
	for (i = 0; i < dev->n_rec_bufs; i++)
		nrt_buffer_destroy(dev->rec_bufs[i]);
	for (i = 0; i < dev->n_rec_pending; i++)
		drmSyncobjDestroy(dev->fd, dev->rec_pending[i].syncobj);
	free(dev->rec_free);
	free(dev->rec_pending);
	if (dev->fd >= 0)
		close(dev->fd);
	pthread_mutex_destroy(&dev->rec_lock);
	pthread_mutex_destroy(&dev->marks_lock);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

NRT_API void nrt_device_close(nrt_device *dev)
{
	if (dev)
		nrt_device_unref(dev);
}

bool nrt_device_has_dma(const struct nrt_device *dev)
{
	return dev->kinfo.dma_queues > 0 && dev->kinfo.max_descs > 0;
}

nrt_status nrt_syncobj_get(struct nrt_device *dev, uint32_t *handle)
{
	bool cached = false;
	int ret;

	pthread_mutex_lock(&dev->lock);
	if (dev->n_syncobjs) {
		*handle = dev->syncobjs[--dev->n_syncobjs];
		cached = true;
	}
	pthread_mutex_unlock(&dev->lock);
	if (cached)
		return NRT_SUCCESS;

	ret = drmSyncobjCreate(dev->fd, 0, handle);
	if (ret) {
		int err = ret == -1 ? errno : -ret;

		return nrt_fail_errno(nrt_status_from_errno(err), err,
				      "cannot create a syncobj on %s",
				      dev->device_node);
	}
	return NRT_SUCCESS;
}

void nrt_syncobj_put(struct nrt_device *dev, uint32_t handle)
{
	bool cached = false;

	/*
	 * A cached syncobj may still hold the fence of a job, even an
	 * unsignalled one: the next submission that uses it replaces that
	 * fence, and nobody waits for it before then.
	 */
	pthread_mutex_lock(&dev->lock);
	if (dev->n_syncobjs < NRT_SYNCOBJ_CACHE) {
		dev->syncobjs[dev->n_syncobjs++] = handle;
		cached = true;
	}
	pthread_mutex_unlock(&dev->lock);
	if (!cached)
		drmSyncobjDestroy(dev->fd, handle);
}

_Static_assert(NRT_MARK_SLOTS <= (unsigned int)UINT16_MAX + 1,
	       "marker slot numbers do not fit the uint16_t free list");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
	       "64-bit atomics are needed to read completion markers");

/* Make the status buffer and the free list of its slots. */
static bool nrt_marks_init(struct nrt_device *dev)
{
	char saved[NRT_ERROR_MAX];
	struct nrt_buffer *buf = NULL;
	uint16_t *free_slots;
	void *map = NULL;
	unsigned int i;
	bool ok = false;

	/* Failures here are not the caller's: jobs just go without markers. */
	nrt_error_save(saved);
	free_slots = malloc(NRT_MARK_SLOTS * sizeof(*free_slots));
	if (free_slots &&
	    nrt_buffer_create(dev, NRT_MARK_BUF_SIZE, NRT_PLACEMENT_HOST, true,
			      &buf) == NRT_SUCCESS) {
		if (nrt_buffer_map(buf, &map) == NRT_SUCCESS)
			ok = true;
		else
			nrt_buffer_destroy(buf);
	}
	nrt_error_restore(saved);
	if (!ok) {
		free(free_slots);
		return false;
	}

	/* A stack, slot 0 on top: recently used slots are reused first. */
	for (i = 0; i < NRT_MARK_SLOTS; i++)
		free_slots[i] = (uint16_t)(NRT_MARK_SLOTS - 1 - i);
	pthread_mutex_lock(&dev->lock);
	dev->free_slots = free_slots;
	dev->n_free_slots = NRT_MARK_SLOTS;
	pthread_mutex_unlock(&dev->lock);
	dev->marks_buf = buf;
	dev->marks = map;
	return true;
}

bool nrt_marks_ready(struct nrt_device *dev)
{
	int state = atomic_load_explicit(&dev->marks_state, memory_order_acquire);

	if (state != NRT_MARKS_UNTRIED)
		return state == NRT_MARKS_READY;

	pthread_mutex_lock(&dev->marks_lock);
	state = atomic_load_explicit(&dev->marks_state, memory_order_relaxed);
	if (state == NRT_MARKS_UNTRIED) {
		state = nrt_marks_init(dev) ? NRT_MARKS_READY : NRT_MARKS_UNAVAILABLE;
		/* Publishes marks_buf, marks and free_slots. */
		atomic_store_explicit(&dev->marks_state, state, memory_order_release);
	}
	pthread_mutex_unlock(&dev->marks_lock);
	return state == NRT_MARKS_READY;
}

void nrt_slots_get(struct nrt_device *dev, unsigned int n, uint32_t *slots)
{
	unsigned int i;

	pthread_mutex_lock(&dev->lock);
	for (i = 0; i < n; i++)
		slots[i] = dev->n_free_slots ?
			   dev->free_slots[--dev->n_free_slots] : NRT_NO_SLOT;
	pthread_mutex_unlock(&dev->lock);
}

void nrt_slots_put(struct nrt_device *dev, unsigned int n, const uint32_t *slots)
{
	unsigned int i;

	pthread_mutex_lock(&dev->lock);
	for (i = 0; i < n; i++) {
		if (slots[i] != NRT_NO_SLOT)
			dev->free_slots[dev->n_free_slots++] = (uint16_t)slots[i];
	}
	pthread_mutex_unlock(&dev->lock);
}

/* --- EXEC status records ----------------------------------------------- */

/*
 * Give the records of pending runs whose syncobj has signalled back to the
 * free list. Called with @dev->rec_lock held.
 */
static void nrt_rec_reclaim(struct nrt_device *dev)
{
	unsigned int i = 0;

	while (i < dev->n_rec_pending) {
		struct nrt_rec_pending *p = &dev->rec_pending[i];
		uint32_t h = p->syncobj;

		/* A deadline in the past: a poll. */
		if (drmSyncobjWait(dev->fd, &h, 1, 0,
				   DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
				   DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL)) {
			i++;
			continue;
		}
		dev->rec_free[dev->n_rec_free++] = p->rec;
		nrt_syncobj_put(dev, h);
		*p = dev->rec_pending[--dev->n_rec_pending];
	}
}

/* Add a buffer of records. Called with @dev->rec_lock held. */
static nrt_status nrt_rec_grow(struct nrt_device *dev, const char *fn)
{
	unsigned int n = dev->n_rec_bufs, i;
	struct nrt_buffer *buf;
	uint32_t *free_list;
	nrt_status st;
	void *map;

	if (n == NRT_REC_BUFS)
		return nrt_fail(NRT_RESOURCE,
				"%s: all %u program status records of %s are in use",
				fn, NRT_REC_BUFS * NRT_REC_PER_BUF, dev->device_node);
	free_list = realloc(dev->rec_free,
			    (size_t)(n + 1) * NRT_REC_PER_BUF * sizeof(*free_list));
	if (!free_list)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	dev->rec_free = free_list;
	st = nrt_buffer_create(dev, NRT_REC_BUF_SIZE, NRT_PLACEMENT_HOST, true, &buf);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s: program status records", fn);
	st = nrt_buffer_map(buf, &map);
	if (st != NRT_SUCCESS) {
		nrt_buffer_destroy(buf);
		return nrt_fail_prefix(st, "%s: program status records", fn);
	}
	dev->rec_bufs[n] = buf;
	dev->n_rec_bufs = n + 1;
	/* Lowest numbers on top of the stack. */
	for (i = NRT_REC_PER_BUF; i-- > 0;)
		dev->rec_free[dev->n_rec_free++] = n * NRT_REC_PER_BUF + i;
	return NRT_SUCCESS;
}

nrt_status nrt_rec_get(struct nrt_device *dev, const char *fn, uint32_t *rec)
{
	nrt_status st = NRT_SUCCESS;

	pthread_mutex_lock(&dev->rec_lock);
	if (!dev->n_rec_free && dev->n_rec_pending)
		nrt_rec_reclaim(dev);
	if (!dev->n_rec_free)
		st = nrt_rec_grow(dev, fn);
	if (st == NRT_SUCCESS)
		*rec = dev->rec_free[--dev->n_rec_free];
	pthread_mutex_unlock(&dev->rec_lock);
	return st;
}

void nrt_rec_put(struct nrt_device *dev, uint32_t rec)
{
	pthread_mutex_lock(&dev->rec_lock);
	dev->rec_free[dev->n_rec_free++] = rec;
	pthread_mutex_unlock(&dev->rec_lock);
}

bool nrt_rec_defer(struct nrt_device *dev, uint32_t rec, uint32_t syncobj)
{
	bool ok = true;

	pthread_mutex_lock(&dev->rec_lock);
	if (dev->n_rec_pending == dev->cap_rec_pending) {
		unsigned int cap = dev->cap_rec_pending ? 2 * dev->cap_rec_pending : 16;
		struct nrt_rec_pending *v;

		v = realloc(dev->rec_pending, cap * sizeof(*v));
		if (v) {
			dev->rec_pending = v;
			dev->cap_rec_pending = cap;
		} else {
			ok = false;
		}
	}
	if (ok) {
		dev->rec_pending[dev->n_rec_pending].rec = rec;
		dev->rec_pending[dev->n_rec_pending++].syncobj = syncobj;
	}
	pthread_mutex_unlock(&dev->rec_lock);
	return ok;
}

/* Records are only looked up by the owner of @rec: its buffer exists. */
void *nrt_rec_ptr(const struct nrt_device *dev, uint32_t rec)
{
	return (unsigned char *)dev->rec_bufs[rec / NRT_REC_PER_BUF]->map +
	       (size_t)(rec % NRT_REC_PER_BUF) * NRT_REC_SIZE;
}

uint64_t nrt_rec_va(const struct nrt_device *dev, uint32_t rec)
{
	return dev->rec_bufs[rec / NRT_REC_PER_BUF]->va +
	       (uint64_t)(rec % NRT_REC_PER_BUF) * NRT_REC_SIZE;
}

NRT_API int nrt_device_fd(const nrt_device *dev)
{
	return dev ? dev->fd : -1;
}

NRT_API nrt_status nrt_device_get_info(const nrt_device *dev,
				       nrt_device_info *info)
{
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
