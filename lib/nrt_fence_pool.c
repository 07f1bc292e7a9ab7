// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The per-handle pools of the fence module (see nrt_fence_pool.h): idle
 * syncobjs and the EXEC status records of program runs. The pool of a
 * handle is made on its first fence or record (nrt_device_pool()) and
 * freed with the handle's last reference, when no fence is left.
 *
 * Locks: @lock guards the idle syncobjs; @rec_lock the records, and is
 * taken before @lock (a reclaimed record's syncobj goes back to the
 * cache).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xf86drm.h>

#include "nrt_buffer.h"
#include "nrt_fence_pool.h"

static void *nrt_fence_pool_create(struct nrt_device *dev)
{
	struct nrt_fence_pool *p = calloc(1, sizeof(*p));

	(void)dev;
	if (!p) {
		nrt_fail(NRT_RESOURCE, "out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&p->lock, NULL))
		goto err;
	if (pthread_mutex_init(&p->rec_lock, NULL))
		goto err_lock;
	return p;

err_lock:
	pthread_mutex_destroy(&p->lock);
err:
	free(p);
	nrt_fail(NRT_RESOURCE, "cannot create a mutex");
	return NULL;
}

static void nrt_fence_pool_destroy(struct nrt_device *dev, void *pool)
{
	struct nrt_fence_pool *p = pool;
	unsigned int i;

	for (i = 0; i < p->n_syncobjs; i++)
		drmSyncobjDestroy(dev->fd, p->syncobjs[i]);
	/* Programs still running keep the records' memory in the kernel. */
	for (i = 0; i < p->n_rec_bufs; i++)
		nrt_buffer_destroy(p->rec_bufs[i]);
	for (i = 0; i < p->n_rec_pending; i++)
		drmSyncobjDestroy(dev->fd, p->rec_pending[i].syncobj);
	free(p->rec_free);
	free(p->rec_pending);
	pthread_mutex_destroy(&p->rec_lock);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static const struct nrt_pool_ops nrt_fence_pool_ops = {
	.id = NRT_POOL_FENCE,
	.create = nrt_fence_pool_create,
	.destroy = nrt_fence_pool_destroy,
};

/* The pool of @dev, made if needed; NULL with the error detail set. */
static struct nrt_fence_pool *nrt_fence_pool(struct nrt_device *dev)
{
	return nrt_device_pool(dev, &nrt_fence_pool_ops);
}

struct nrt_fence_pool *nrt_fence_pool_of(const struct nrt_device *dev)
{
	return nrt_device_pool_peek(dev, NRT_POOL_FENCE);
}

/* --- syncobjs ------------------------------------------------------------ */

nrt_status nrt_syncobj_get(struct nrt_device *dev, uint32_t *handle)
{
	struct nrt_fence_pool *p = nrt_fence_pool(dev);
	bool cached = false;
	int ret;

	if (!p)
		return NRT_RESOURCE;
	pthread_mutex_lock(&p->lock);
	if (p->n_syncobjs) {
		*handle = p->syncobjs[--p->n_syncobjs];
		cached = true;
	}
	pthread_mutex_unlock(&p->lock);
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

/* Only for a syncobj of nrt_syncobj_get(): the pool exists. */
void nrt_syncobj_put(struct nrt_device *dev, uint32_t handle)
{
	struct nrt_fence_pool *p = nrt_fence_pool_of(dev);
	bool cached = false;

	/*
	 * A cached syncobj may still hold the fence of a job, even an
	 * unsignalled one: the next submission that uses it replaces that
	 * fence, and nobody waits for it before then.
	 */
	pthread_mutex_lock(&p->lock);
	if (p->n_syncobjs < NRT_SYNCOBJ_CACHE) {
		p->syncobjs[p->n_syncobjs++] = handle;
		cached = true;
	}
	pthread_mutex_unlock(&p->lock);
	if (!cached)
		drmSyncobjDestroy(dev->fd, handle);
}

/* --- EXEC status records ------------------------------------------------- */

/*
 * Give the records of pending runs whose syncobj has signalled back to the
 * free list. Called with @p->rec_lock held.
 */
static void nrt_rec_reclaim(struct nrt_device *dev, struct nrt_fence_pool *p)
{
	unsigned int i = 0;

	while (i < p->n_rec_pending) {
		struct nrt_rec_pending *r = &p->rec_pending[i];
		uint32_t h = r->syncobj;

		/* A deadline in the past: a poll. */
		if (drmSyncobjWait(dev->fd, &h, 1, 0,
				   DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
				   DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL)) {
			i++;
			continue;
		}
		p->rec_free[p->n_rec_free++] = r->rec;
		nrt_syncobj_put(dev, h);
		*r = p->rec_pending[--p->n_rec_pending];
	}
}

/* Add a buffer of records. Called with @p->rec_lock held. */
static nrt_status nrt_rec_grow(struct nrt_device *dev, struct nrt_fence_pool *p)
{
	unsigned int n = p->n_rec_bufs, i;
	struct nrt_buffer *buf;
	uint32_t *free_list;
	nrt_status st;
	void *map;

	if (n == NRT_REC_BUFS)
		return nrt_fail(NRT_RESOURCE,
				"all %u program status records of %s are in use",
				NRT_REC_BUFS * NRT_REC_PER_BUF, dev->device_node);
	free_list = realloc(p->rec_free,
			    (size_t)(n + 1) * NRT_REC_PER_BUF * sizeof(*free_list));
	if (!free_list)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	p->rec_free = free_list;
	st = nrt_buffer_create(dev, NRT_REC_BUF_SIZE, NRT_PLACEMENT_HOST, true, &buf);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "program status records");
	st = nrt_buffer_map(buf, &map);
	if (st != NRT_SUCCESS) {
		nrt_buffer_destroy(buf);
		return nrt_fail_prefix(st, "program status records");
	}
	p->rec_bufs[n] = buf;
	p->n_rec_bufs = n + 1;
	/* Lowest numbers on top of the stack. */
	for (i = NRT_REC_PER_BUF; i-- > 0;)
		p->rec_free[p->n_rec_free++] = n * NRT_REC_PER_BUF + i;
	return NRT_SUCCESS;
}

nrt_status nrt_rec_get(struct nrt_device *dev, uint32_t *rec)
{
	struct nrt_fence_pool *p = nrt_fence_pool(dev);
	nrt_status st = NRT_SUCCESS;

	if (!p)
		return NRT_RESOURCE;
	pthread_mutex_lock(&p->rec_lock);
	if (!p->n_rec_free && p->n_rec_pending)
		nrt_rec_reclaim(dev, p);
	if (!p->n_rec_free)
		st = nrt_rec_grow(dev, p);
	if (st == NRT_SUCCESS)
		*rec = p->rec_free[--p->n_rec_free];
	pthread_mutex_unlock(&p->rec_lock);
	return st;
}

void nrt_rec_put(struct nrt_device *dev, uint32_t rec)
{
	struct nrt_fence_pool *p = nrt_fence_pool_of(dev);

	pthread_mutex_lock(&p->rec_lock);
	p->rec_free[p->n_rec_free++] = rec;
	pthread_mutex_unlock(&p->rec_lock);
}

bool nrt_rec_defer(struct nrt_device *dev, uint32_t rec, uint32_t syncobj)
{
	struct nrt_fence_pool *p = nrt_fence_pool_of(dev);
	bool ok = true;

	pthread_mutex_lock(&p->rec_lock);
	if (p->n_rec_pending == p->cap_rec_pending) {
		unsigned int cap = p->cap_rec_pending ? 2 * p->cap_rec_pending : 16;
		struct nrt_rec_pending *v;

		v = realloc(p->rec_pending, cap * sizeof(*v));
		if (v) {
			p->rec_pending = v;
			p->cap_rec_pending = cap;
		} else {
			ok = false;
		}
	}
	if (ok) {
		p->rec_pending[p->n_rec_pending].rec = rec;
		p->rec_pending[p->n_rec_pending++].syncobj = syncobj;
	}
	pthread_mutex_unlock(&p->rec_lock);
	return ok;
}

/* Records are only looked up by the owner of @rec: its buffer exists. */
void *nrt_rec_ptr(const struct nrt_device *dev, uint32_t rec)
{
	const struct nrt_fence_pool *p = nrt_fence_pool_of(dev);

	return (unsigned char *)p->rec_bufs[rec / NRT_REC_PER_BUF]->map +
	       (size_t)(rec % NRT_REC_PER_BUF) * NRT_REC_SIZE;
}

uint64_t nrt_rec_va(const struct nrt_device *dev, uint32_t rec)
{
	const struct nrt_fence_pool *p = nrt_fence_pool_of(dev);

	return p->rec_bufs[rec / NRT_REC_PER_BUF]->va +
	       (uint64_t)(rec % NRT_REC_PER_BUF) * NRT_REC_SIZE;
}
