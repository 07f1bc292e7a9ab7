// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Transfers between host memory and buffers: nrt_buffer_read() and
 * nrt_buffer_write().
 *
 * Small transfers, and those to HOST buffers, copy through the buffer's CPU
 * mapping (nrt_buffer.c), pinned for the copy. Large transfers to and from
 * HBM do not use the BAR mapping, which is write-combined (reads are
 * uncached and slow): they are staged through HOST bounce buffers of
 * NRT_BOUNCE_SIZE bytes and copied by DMA. Two bounce buffers are used per
 * call, so that the CPU copy of one chunk overlaps the DMA of the other.
 * Bounce buffers come from a small per-handle pool (nrt_device_pool()).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_buffer.h"
#include "nrt_dma.h"
#include "nrt_fence.h"
#include "nrt_transfer.h"

/* --- bounce buffers -------------------------------------------------- */

/* The bounce buffers a handle keeps for later transfers. */
struct nrt_bounce_pool {
	pthread_mutex_t lock;
	struct nrt_buffer *bufs[NRT_BOUNCE_CACHE];
	unsigned int n;
};

static void *nrt_bounce_pool_create(struct nrt_device *dev)
{
	struct nrt_bounce_pool *p = calloc(1, sizeof(*p));

	(void)dev;
	if (!p) {
		nrt_fail(NRT_RESOURCE, "out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		nrt_fail(NRT_RESOURCE, "cannot create a mutex");
		return NULL;
	}
	return p;
}

static void nrt_bounce_pool_destroy(struct nrt_device *dev, void *pool)
{
	struct nrt_bounce_pool *p = pool;
	unsigned int i;

	(void)dev;
	for (i = 0; i < p->n; i++)
		nrt_buffer_destroy(p->bufs[i]);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static const struct nrt_pool_ops nrt_bounce_pool_ops = {
	.id = NRT_POOL_STAGING,
	.create = nrt_bounce_pool_create,
	.destroy = nrt_bounce_pool_destroy,
};

static nrt_status nrt_bounce_get(struct nrt_device *dev, struct nrt_buffer **out)
{
	struct nrt_bounce_pool *p = nrt_device_pool(dev, &nrt_bounce_pool_ops);
	struct nrt_buffer *b = NULL;
	unsigned char *map;
	nrt_status st;

	if (!p)
		return nrt_fail_prefix(NRT_RESOURCE, "bounce buffer");
	pthread_mutex_lock(&p->lock);
	if (p->n)
		b = p->bufs[--p->n];
	pthread_mutex_unlock(&p->lock);
	if (b) {
		*out = b;
		return NRT_SUCCESS;
	}

	st = nrt_buffer_create(dev, NRT_BOUNCE_SIZE, NRT_PLACEMENT_HOST, true, &b);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "bounce buffer");
	/* Mapped for good: an internal buffer is unmapped when destroyed. */
	st = nrt_buffer_pin(b, &map);
	if (st != NRT_SUCCESS) {
		nrt_buffer_destroy(b);
		return st;
	}
	*out = b;
	return NRT_SUCCESS;
}

/* Only for a buffer of nrt_bounce_get(): the pool exists. */
static void nrt_bounce_put(struct nrt_device *dev, struct nrt_buffer *b)
{
	struct nrt_bounce_pool *p = nrt_device_pool_peek(dev, NRT_POOL_STAGING);
	bool cached = false;

	pthread_mutex_lock(&p->lock);
	if (p->n < NRT_BOUNCE_CACHE) {
		p->bufs[p->n++] = b;
		cached = true;
	}
	pthread_mutex_unlock(&p->lock);
	if (!cached)
		nrt_buffer_destroy(b);
}

/*
 * State of a staged transfer: two bounce buffers ("slots"), each with the
 * fence of the DMA that is using it.
 */
struct nrt_staging {
	const char *what;        /* "dst" or "src", for messages */
	struct nrt_buffer *buf;  /* the HBM buffer */
	struct nrt_buffer *slot[2];
	struct nrt_fence *fence[2];
	nrt_status st;
};

/* Wait for the DMA of slot @s; record the first failure. */
static void nrt_staging_settle(struct nrt_staging *sg, unsigned int s)
{
	int r;

	if (!sg->fence[s])
		return;
	r = nrt_fence_finish(sg->fence[s]);
	if (r != NRT_FENCE_OK && sg->st == NRT_SUCCESS) {
		sg->st = nrt_fence_status(r, nrt_fence_queue(sg->fence[s]));
		sg->st = nrt_fail_prefix(sg->st,
					 "DMA between a bounce buffer and %s (HBM buffer at device VA 0x%" PRIx64 ")",
					 sg->what, sg->buf->va);
	}
	nrt_fence_free(sg->fence[s]);
	sg->fence[s] = NULL;
}

static nrt_status nrt_staging_slot(struct nrt_staging *sg, unsigned int s)
{
	if (sg->slot[s])
		return NRT_SUCCESS;
	return nrt_bounce_get(sg->buf->dev, &sg->slot[s]);
}

static nrt_status nrt_staging_end(struct nrt_staging *sg)
{
	unsigned int s;

	/* Nothing may still be writing a bounce buffer that goes back. */
	for (s = 0; s < 2; s++)
		nrt_staging_settle(sg, s);
	for (s = 0; s < 2; s++) {
		if (sg->slot[s])
			nrt_bounce_put(sg->buf->dev, sg->slot[s]);
	}
	return sg->st;
}

static nrt_status nrt_staged_write(struct nrt_buffer *dst, size_t off,
				   const unsigned char *src, size_t len)
{
	struct nrt_staging sg = {
		.what = "dst", .buf = dst,
	};
	size_t pos = 0;
	unsigned int s = 0;

	while (pos < len && sg.st == NRT_SUCCESS) {
		size_t n = len - pos < NRT_BOUNCE_SIZE ? len - pos : NRT_BOUNCE_SIZE;

		sg.st = nrt_staging_slot(&sg, s);
		if (sg.st != NRT_SUCCESS)
			break;
		nrt_staging_settle(&sg, s);
		if (sg.st != NRT_SUCCESS)
			break;
		memcpy(sg.slot[s]->map, src + pos, n);
		sg.st = nrt_dma_copy_async(dst, off + pos, sg.slot[s], 0, n,
					   &sg.fence[s]);
		pos += n;
		s ^= 1;
	}
	return nrt_staging_end(&sg);
}

static nrt_status nrt_staged_read(struct nrt_buffer *src, size_t off,
				  unsigned char *dst, size_t len)
{
	struct nrt_staging sg = {
		.what = "src", .buf = src,
	};
	size_t chunks = len / NRT_BOUNCE_SIZE + (len % NRT_BOUNCE_SIZE != 0);
	size_t k;

	/* Start the first two chunks, then copy out one, start the next. */
	for (k = 0; k < chunks + 2 && sg.st == NRT_SUCCESS; k++) {
		unsigned int s = k & 1;

		if (k >= 2 && k - 2 < chunks) {
			size_t pos = (k - 2) * NRT_BOUNCE_SIZE;
			size_t n = len - pos < NRT_BOUNCE_SIZE ? len - pos : NRT_BOUNCE_SIZE;

			nrt_staging_settle(&sg, s);
			if (sg.st != NRT_SUCCESS)
				break;
			memcpy(dst + pos, sg.slot[s]->map, n);
		}
		if (k < chunks) {
			size_t pos = k * NRT_BOUNCE_SIZE;
			size_t n = len - pos < NRT_BOUNCE_SIZE ? len - pos : NRT_BOUNCE_SIZE;

			sg.st = nrt_staging_slot(&sg, s);
			if (sg.st != NRT_SUCCESS)
				break;
			sg.st = nrt_dma_copy_async(sg.slot[s], 0, src, off + pos, n,
						   &sg.fence[s]);
		}
	}
	return nrt_staging_end(&sg);
}

static bool nrt_use_staging(const struct nrt_buffer *buf, size_t len)
{
	/* Peer buffers cannot be mapped: always through host memory */
	if (buf->placement == NRT_PLACEMENT_PEER)
		return true;
	return buf->placement == NRT_PLACEMENT_HBM && len >= NRT_STAGING_MIN &&
	       nrt_device_has_dma(buf->dev);
}

/* nrt_buffer_write() after the NULL checks; messages without its name. */
static nrt_status nrt_write(struct nrt_buffer *dst, size_t off,
			    const unsigned char *src, size_t len)
{
	unsigned char *p;
	nrt_status st;

	st = nrt_range_check("dst", dst->size, off, len);
	if (st != NRT_SUCCESS || !len)
		return st;
	if (nrt_use_staging(dst, len))
		return nrt_staged_write(dst, off, src, len);

	st = nrt_buffer_pin(dst, &p);
	if (st != NRT_SUCCESS)
		return st;
	memcpy(p + off, src, len);
	/* Drain write-combining buffers before any later submission. */
	atomic_thread_fence(memory_order_seq_cst);
	nrt_buffer_unpin(dst);
	return NRT_SUCCESS;
}

static nrt_status nrt_read(struct nrt_buffer *src, size_t off,
			   unsigned char *dst, size_t len)
{
	unsigned char *p;
	nrt_status st;

	st = nrt_range_check("src", src->size, off, len);
	if (st != NRT_SUCCESS || !len)
		return st;
	if (nrt_use_staging(src, len))
		return nrt_staged_read(src, off, dst, len);

	st = nrt_buffer_pin(src, &p);
	if (st != NRT_SUCCESS)
		return st;
	memcpy(dst, p + off, len);
	nrt_buffer_unpin(src);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_buffer_write(nrt_buffer *dst, size_t off,
				    const void *src, size_t len)
{
	NRT_API_SCOPE();
	if (!dst)
		return nrt_fail(NRT_INVALID, "nrt_buffer_write: dst is NULL");
	if (!src && len)
		return nrt_fail(NRT_INVALID, "nrt_buffer_write: src is NULL");
	return nrt_fail_prefix(nrt_write(dst, off, src, len), "nrt_buffer_write");
}

NRT_API nrt_status nrt_buffer_read(const nrt_buffer *src, size_t off,
				   void *dst, size_t len)
{
	NRT_API_SCOPE();
	if (!src)
		return nrt_fail(NRT_INVALID, "nrt_buffer_read: src is NULL");
	if (!dst && len)
		return nrt_fail(NRT_INVALID, "nrt_buffer_read: dst is NULL");
	/* The object is never const itself; only its mapping state changes. */
	return nrt_fail_prefix(nrt_read((struct nrt_buffer *)src, off, dst, len),
			       "nrt_buffer_read");
}
