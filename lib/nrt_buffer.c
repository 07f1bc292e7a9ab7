// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Buffers: GEM buffer objects of the trn driver and their CPU mappings.
 *
 * A buffer has at most one CPU mapping, made by nrt_buffer_map() or on
 * demand by nrt_buffer_read()/write() (nrt_transfer.c), and kept until
 * nrt_buffer_unmap() or nrt_buffer_free(). Read and write calls pin the
 * mapping while they copy, so an unmap in another thread waits for them (it
 * is deferred, not blocking).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <xf86drm.h>

#include "nrt_buffer.h"

_Static_assert((int)NRT_PLACEMENT_HBM == (int)DRM_TRN_PLACEMENT_HBM &&
	       (int)NRT_PLACEMENT_HOST == (int)DRM_TRN_PLACEMENT_HOST,
	       "nrt_placement differs from enum drm_trn_placement");

static const char *nrt_placement_name(nrt_placement p)
{
	return p == NRT_PLACEMENT_HOST ? "HOST" : p == NRT_PLACEMENT_PEER ? "PEER" : "HBM";
}

static void nrt_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close gc;

	memset(&gc, 0, sizeof(gc));
	gc.handle = handle;
	drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
}

static nrt_status nrt_bo_create_status(const struct nrt_device *dev, int err)
{
	switch (err) {
	case ENOMEM:
	case ENOSPC:
		return NRT_RESOURCE;
	case ENOTTY:
		return NRT_UNSUPPORTED;
	case EINVAL:
		/*
		 * A driver before buffer objects (0.1, which has no DMA
		 * queues either) rejects the unknown ioctl.
		 */
		return dev->kinfo.dma_queues ? NRT_INVALID : NRT_UNSUPPORTED;
	default:
		return nrt_status_from_errno(err);
	}
}

nrt_status nrt_buffer_create(struct nrt_device *dev, size_t size,
			     nrt_placement placement, bool internal,
			     struct nrt_buffer **out)
{
	struct drm_trn_bo_create create;
	struct drm_trn_bo_info info;
	struct nrt_buffer *buf;
	nrt_status st;

	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	if (pthread_mutex_init(&buf->lock, NULL)) {
		free(buf);
		return nrt_fail(NRT_RESOURCE, "cannot create a mutex");
	}

	memset(&create, 0, sizeof(create));
	create.size = size;
	create.placement = (uint32_t)placement;
	if (drmIoctl(dev->fd, DRM_IOCTL_TRN_BO_CREATE, &create)) {
		int err = errno;

		st = nrt_bo_create_status(dev, err);
		if (st == NRT_RESOURCE && placement == NRT_PLACEMENT_HBM)
			nrt_fail_errno(st, err,
				       "cannot allocate %zu bytes of HBM on %s (device HBM size %" PRIu64 " bytes)",
				       size, dev->device_node,
				       (uint64_t)dev->kinfo.hbm_size);
		else
			nrt_fail_errno(st, err,
				       "cannot allocate %zu bytes of %s memory on %s",
				       size, nrt_placement_name(placement),
				       dev->device_node);
		goto err_free;
	}

	memset(&info, 0, sizeof(info));
	info.handle = create.handle;
	if (drmIoctl(dev->fd, DRM_IOCTL_TRN_BO_INFO, &info)) {
		int err = errno;

		st = nrt_fail_errno(nrt_status_from_errno(err), err,
				    "buffer info query of GEM handle %u on %s",
				    create.handle, dev->device_node);
		goto err_close;
	}
	if (info.size < size || info.placement != (uint32_t)placement) {
		st = nrt_fail(NRT_FAILURE,
			      "GEM handle %u on %s: the driver reports %" PRIu64
			      " bytes of placement %u, asked for %zu bytes of %s",
			      create.handle, dev->device_node, (uint64_t)info.size,
			      info.placement, size, nrt_placement_name(placement));
		goto err_close;
	}

	buf->dev = dev;
	buf->internal = internal;
	buf->placement = placement;
	buf->handle = create.handle;
	buf->va = info.va;
	buf->size = size;
	buf->bo_size = info.size;
	buf->mmap_offset = info.mmap_offset;
	if (!internal)
		nrt_device_ref(dev);
	*out = buf;
	return NRT_SUCCESS;

err_close:
	nrt_gem_close(dev->fd, create.handle);
err_free:
	pthread_mutex_destroy(&buf->lock);
	free(buf);
	return st;
}

void nrt_buffer_destroy(struct nrt_buffer *buf)
{
	struct nrt_device *dev = buf->dev;

	if (buf->map)
		munmap(buf->map, (size_t)buf->bo_size);
	nrt_gem_close(dev->fd, buf->handle);
	pthread_mutex_destroy(&buf->lock);
	if (!buf->internal)
		nrt_device_unref(dev);
	free(buf);
}

NRT_API nrt_status nrt_buffer_alloc(nrt_device *dev, size_t size,
				    nrt_placement placement, nrt_buffer **out)
{
	NRT_API_SCOPE();
	if (!dev)
		return nrt_fail(NRT_INVALID, "nrt_buffer_alloc: dev is NULL");
	if (!out)
		return nrt_fail(NRT_INVALID, "nrt_buffer_alloc: out is NULL");
	if (!size)
		return nrt_fail(NRT_INVALID, "nrt_buffer_alloc: size is 0");
	if (placement != NRT_PLACEMENT_HBM && placement != NRT_PLACEMENT_HOST)
		return nrt_fail(NRT_INVALID,
				"nrt_buffer_alloc: unknown placement %d",
				(int)placement);
	return nrt_buffer_create(dev, size, placement, false, out);
}

NRT_API void nrt_buffer_free(nrt_buffer *buf)
{
	if (buf)
		nrt_buffer_destroy(buf);
}

NRT_API uint64_t nrt_buffer_va(const nrt_buffer *buf)
{
	return buf ? buf->va : 0;
}

NRT_API size_t nrt_buffer_size(const nrt_buffer *buf)
{
	return buf ? buf->size : 0;
}

NRT_API nrt_placement nrt_buffer_placement(const nrt_buffer *buf)
{
	return buf ? buf->placement : NRT_PLACEMENT_HBM;
}

nrt_status nrt_range_check(const char *what, size_t size, size_t off, size_t len)
{
	if (off > SIZE_MAX - len)
		return nrt_fail(NRT_INVALID,
				"range of %s at offset %zu, %zu bytes, overflows",
				what, off, len);
	if (off + len > size)
		return nrt_fail(NRT_INVALID,
				"range of %s at offset %zu, %zu bytes, exceeds its size of %zu bytes",
				what, off, len, size);
	return NRT_SUCCESS;
}

/* --- mapping --------------------------------------------------------- */

/* Map @buf if it is not mapped. Called with @buf->lock held. */
static nrt_status nrt_map_locked(struct nrt_buffer *buf)
{
	void *p;

	buf->unmap_pending = false;
	if (buf->map)
		return NRT_SUCCESS;
	if (buf->placement == NRT_PLACEMENT_PEER)
		return nrt_fail(NRT_UNSUPPORTED,
				"a peer buffer (device VA 0x%" PRIx64 " on %s) cannot be mapped by the CPU",
				buf->va, buf->dev->device_node);
	if (buf->bo_size > SIZE_MAX)
		return nrt_fail(NRT_RESOURCE,
				"%" PRIu64 " bytes do not fit the address space",
				(uint64_t)buf->bo_size);
	if (buf->mmap_offset > (uint64_t)(sizeof(off_t) == 8 ? INT64_MAX : INT32_MAX))
		return nrt_fail(NRT_FAILURE,
				"mmap offset 0x%" PRIx64 " of GEM handle %u does not fit off_t",
				buf->mmap_offset, buf->handle);

	p = mmap(NULL, (size_t)buf->bo_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 buf->dev->fd, (off_t)buf->mmap_offset);
	if (p == MAP_FAILED) {
		int err = errno;

		return nrt_fail_errno(err == ENOMEM ? NRT_RESOURCE : NRT_FAILURE,
				      err,
				      "mmap of the %s buffer at device VA 0x%" PRIx64
				      " (%zu bytes) on %s",
				      nrt_placement_name(buf->placement),
				      buf->va, buf->size, buf->dev->device_node);
	}
	buf->map = p;
	return NRT_SUCCESS;
}

static void nrt_unmap_locked(struct nrt_buffer *buf)
{
	munmap(buf->map, (size_t)buf->bo_size);
	buf->map = NULL;
	buf->unmap_pending = false;
}

NRT_API nrt_status nrt_buffer_map(nrt_buffer *buf, void **ptr)
{
	NRT_API_SCOPE();
	nrt_status st;

	if (!buf)
		return nrt_fail(NRT_INVALID, "nrt_buffer_map: buf is NULL");
	if (!ptr)
		return nrt_fail(NRT_INVALID, "nrt_buffer_map: ptr is NULL");
	pthread_mutex_lock(&buf->lock);
	st = nrt_map_locked(buf);
	if (st == NRT_SUCCESS)
		*ptr = buf->map;
	pthread_mutex_unlock(&buf->lock);
	return nrt_fail_prefix(st, "nrt_buffer_map");
}

NRT_API nrt_status nrt_buffer_unmap(nrt_buffer *buf)
{
	NRT_API_SCOPE();
	if (!buf)
		return nrt_fail(NRT_INVALID, "nrt_buffer_unmap: buf is NULL");
	pthread_mutex_lock(&buf->lock);
	if (buf->map) {
		if (buf->pins)
			buf->unmap_pending = true;
		else
			nrt_unmap_locked(buf);
	}
	pthread_mutex_unlock(&buf->lock);
	return NRT_SUCCESS;
}

nrt_status nrt_buffer_pin(struct nrt_buffer *buf, unsigned char **ptr)
{
	nrt_status st;

	pthread_mutex_lock(&buf->lock);
	st = nrt_map_locked(buf);
	if (st == NRT_SUCCESS) {
		buf->pins++;
		*ptr = buf->map;
	}
	pthread_mutex_unlock(&buf->lock);
	return st;
}

void nrt_buffer_unpin(struct nrt_buffer *buf)
{
	pthread_mutex_lock(&buf->lock);
	if (--buf->pins == 0 && buf->unmap_pending)
		nrt_unmap_locked(buf);
	pthread_mutex_unlock(&buf->lock);
}
