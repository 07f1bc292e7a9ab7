// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The per-handle pools of the fence module (see nrt_fence_pool.h): idle
 * syncobjs, the slots of the completion marker buffer, and the EXEC status
 * records of program runs. The pool of a handle is made on its first
 * fence, marker or record (nrt_device_pool()) and freed with the handle's
 * last reference, when no fence is left.
 *
 * Locks: @lock guards the idle syncobjs and the free marker slots;
 * @marks_lock the one-time setup of the marker buffer; @rec_lock the
 * records, and is taken before @lock (a reclaimed record's syncobj goes
 * back to the cache).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xf86drm.h>

#include "nrt_buffer.h"
#include "nrt_fence.h"
#include "nrt_fence_pool.h"

_Static_assert(NRT_MARK_SLOTS <= (unsigned int)UINT16_MAX + 1,
	       "marker slot numbers do not fit the uint16_t free list");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
	       "64-bit atomics are needed to read completion markers");

static void *nrt_fence_pool_create(struct nrt_device *dev)
{
	struct nrt_fence_pool *p = calloc(1, sizeof(*p));

	(void)dev;
	if (!p) {
		nrt_fail(NRT_RESOURCE, "out of memory");
		return NULL;
	}
	atomic_init(&p->marks_state, NRT_MARKS_UNTRIED);
	atomic_init(&p->next_token, 0);
	if (pthread_mutex_init(&p->lock, NULL))
		goto err;
	if (pthread_mutex_init(&p->marks_lock, NULL))
		goto err_lock;
	if (pthread_mutex_init(&p->rec_lock, NULL))
		goto err_marks_lock;
	return p;

err_marks_lock:
	pthread_mutex_destroy(&p->marks_lock);
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
	/* Jobs still writing markers keep its memory in the kernel. */
	if (p->marks_buf)
		nrt_buffer_destroy(p->marks_buf);
	free(p->free_slots);
	/* The same holds for status records of programs still running. */
	for (i = 0; i < p->n_rec_bufs; i++)
		nrt_buffer_destroy(p->rec_bufs[i]);
	for (i = 0; i < p->n_rec_pending; i++)
		drmSyncobjDestroy(dev->fd, p->rec_pending[i].syncobj);
	free(p->rec_free);
	free(p->rec_pending);
	pthread_mutex_destroy(&p->rec_lock);
	pthread_mutex_destroy(&p->marks_lock);
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

/* --- completion markers -------------------------------------------------- */

/* Make the status buffer and the free list of its slots. */
static bool nrt_marks_init(struct nrt_device *dev, struct nrt_fence_pool *p)
{
	struct nrt_buffer *buf = NULL;
	uint16_t *free_slots;
	void *map = NULL;
	unsigned int i;
	bool ok = false;

	free_slots = malloc(NRT_MARK_SLOTS * sizeof(*free_slots));
	if (free_slots &&
	    nrt_buffer_create(dev, NRT_MARK_BUF_SIZE, NRT_PLACEMENT_HOST, true,
			      &buf) == NRT_SUCCESS) {
		if (nrt_buffer_map(buf, &map) == NRT_SUCCESS)
			ok = true;
		else
			nrt_buffer_destroy(buf);
	}
	if (!ok) {
		free(free_slots);
		return false;
	}

	/* A stack, slot 0 on top: recently used slots are reused first. */
	for (i = 0; i < NRT_MARK_SLOTS; i++)
		free_slots[i] = (uint16_t)(NRT_MARK_SLOTS - 1 - i);
	pthread_mutex_lock(&p->lock);
	p->free_slots = free_slots;
	p->n_free_slots = NRT_MARK_SLOTS;
	pthread_mutex_unlock(&p->lock);
	p->marks_buf = buf;
	p->marks = map;
	return true;
}

bool nrt_fence_marks_ready(struct nrt_device *dev)
{
	struct nrt_error_saved saved;
	struct nrt_fence_pool *p = nrt_fence_pool_of(dev);
	int state;

	if (p) {
		state = atomic_load_explicit(&p->marks_state, memory_order_acquire);
		if (state != NRT_MARKS_UNTRIED)
			return state == NRT_MARKS_READY;
	}

	/* Failures here are not the caller's: jobs just go without markers. */
	nrt_error_save(&saved);
	p = nrt_fence_pool(dev);
	if (!p) {
		nrt_error_restore(&saved);
		return false;
	}
	pthread_mutex_lock(&p->marks_lock);
	state = atomic_load_explicit(&p->marks_state, memory_order_relaxed);
	if (state == NRT_MARKS_UNTRIED) {
		state = nrt_marks_init(dev, p) ? NRT_MARKS_READY : NRT_MARKS_UNAVAILABLE;
		/* Publishes marks_buf, marks and free_slots. */
		atomic_store_explicit(&p->marks_state, state, memory_order_release);
	}
	pthread_mutex_unlock(&p->marks_lock);
	nrt_error_restore(&saved);
	return state == NRT_MARKS_READY;
}

uint64_t nrt_marks_take(struct nrt_device *dev, unsigned int n, uint32_t *slots)
{
	struct nrt_fence_pool *p = nrt_fence_pool_of(dev);
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < n; i++)
		slots[i] = p->n_free_slots ?
			   p->free_slots[--p->n_free_slots] : NRT_NO_SLOT;
	pthread_mutex_unlock(&p->lock);
	/* Submission makes these stores visible to the device. */
	for (i = 0; i < n; i++) {
		if (slots[i] != NRT_NO_SLOT)
			atomic_store_explicit(&p->marks[slots[i]], 0,
					      memory_order_relaxed);
	}
	return atomic_fetch_add_explicit(&p->next_token, n,
					 memory_order_relaxed) + 1;
}

void nrt_marks_put(struct nrt_device *dev, unsigned int n, const uint32_t *slots)
{
	struct nrt_fence_pool *p = nrt_fence_pool_of(dev);
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < n; i++) {
		if (slots[i] != NRT_NO_SLOT)
			p->free_slots[p->n_free_slots++] = (uint16_t)slots[i];
	}
	pthread_mutex_unlock(&p->lock);
}

bool nrt_marks_seen(const struct nrt_device *dev, uint32_t slot, uint64_t token)
{
	const struct nrt_fence_pool *p = nrt_fence_pool_of(dev);

	return atomic_load_explicit(&p->marks[slot], memory_order_acquire) == token;
}

uint64_t nrt_marks_va(const struct nrt_device *dev, uint32_t slot)
{
	return nrt_fence_pool_of(dev)->marks_buf->va + (uint64_t)slot * sizeof(uint64_t);
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
