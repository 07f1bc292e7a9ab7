// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The public collective calls: their arguments, the schedule of the call
 * (from the communicator's cache of the last schedules, or built), and
 * nrt_ccl_exec() to run this rank's part.
 *
 * Every call names the buffers of this rank with offsets and counts as
 * NCCL does; in place is what NCCL calls in place (the receive range is
 * the send range, or for reduce-scatter and all-gather this rank's block
 * of the larger one), any other overlap is refused.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_ccl_reduce.h"
#include "nrt_comm.h"
#include "nrt_dma.h"

/* The 0.7 nrt_coll_opts, the smallest struct_size accepted. */
#define NRT_COLL_OPTS_SIZE_0_7 (offsetof(nrt_coll_opts, wait_count) + sizeof(size_t))

/* Most fences a caller may give a collective to wait for. */
#define NRT_COLL_MAX_WAIT 16u

/* A call, as the public functions describe it. */
struct nrt_coll_call {
	const char *fn;
	enum nrt_ccl_coll coll;
	const nrt_buffer *send;
	size_t send_off;
	uint64_t send_elems;    /* on this rank; 0: the buffer is not used */
	const nrt_buffer *recv;
	size_t recv_off;
	uint64_t recv_elems;
	uint64_t count;         /* the schedule's (nrt_ccl_args.count) */
	nrt_dtype dtype;
	int redop;              /* -1 for a collective without reduction */
	unsigned int root, peer;
	bool in_place;
	const nrt_coll_opts *opts;
	nrt_fence **fence;
};

/* A buffer the call uses on this rank: of the device handle, in range. */
static nrt_status nrt_coll_buffer(const struct nrt_comm *c, const char *what,
				  const nrt_buffer *buf, size_t off, uint64_t elems, size_t esz)
{
	if (!buf)
		return nrt_fail(NRT_INVALID, "%s is NULL", what);
	if (buf->dev != c->dev)
		return nrt_fail(NRT_INVALID, "%s is a buffer of another device handle", what);
	if (buf->placement == NRT_PLACEMENT_PEER)
		return nrt_fail(NRT_INVALID, "%s is a peer buffer: collectives reach peers themselves",
				what);
	if (off % esz)
		return nrt_fail(NRT_INVALID, "%s offset %zu is not a multiple of the element size %zu",
				what, off, esz);
	if (elems > SIZE_MAX / esz)
		return nrt_fail(NRT_INVALID, "%s: %" PRIu64 " elements are too many", what, elems);
	return nrt_range_check(what, buf->size, off, (size_t)(elems * esz));
}

/* Whether the send and receive ranges overlap without being in place. */
static nrt_status nrt_coll_overlap(const struct nrt_coll_call *k, size_t esz)
{
	uint64_t s0 = k->send_off, s1 = s0 + k->send_elems * esz;
	uint64_t r0 = k->recv_off, r1 = r0 + k->recv_elems * esz;

	if (k->in_place || !k->send_elems || !k->recv_elems || k->send != k->recv)
		return NRT_SUCCESS;
	if (s0 < r1 && r0 < s1)
		return nrt_fail(NRT_INVALID,
				"the send and receive ranges overlap and are not in place (%s)",
				k->coll == NRT_CCL_ALL_TO_ALL ? "all-to-all is never in place" :
				"see Documentation/collectives.rst");
	return NRT_SUCCESS;
}

static nrt_status nrt_coll_check(const struct nrt_comm *c, const struct nrt_coll_call *k,
				 nrt_fence *const **wait, size_t *wait_count)
{
	size_t esz = nrt_dtype_size(k->dtype);
	nrt_status st;

	*wait = NULL;
	*wait_count = 0;
	if (!esz)
		return nrt_fail(NRT_INVALID, "invalid type %d", (int)k->dtype);
	if (k->redop >= 0 && !nrt_ccl_red_supported(k->dtype, (unsigned int)k->redop))
		return nrt_fail(NRT_INVALID, "invalid reduction %d", k->redop);
	if ((k->coll == NRT_CCL_BROADCAST || k->coll == NRT_CCL_REDUCE) && k->root >= c->n)
		return nrt_fail(NRT_INVALID, "root %u of %u ranks", k->root, c->n);
	if (k->coll == NRT_CCL_SEND_RECV && (k->root >= c->n || k->peer >= c->n ||
					     k->root == k->peer))
		return nrt_fail(NRT_INVALID, "peer %u of %u ranks (not this rank %u)",
				k->root == c->rank ? k->peer : k->root, c->n, c->rank);
	if (k->count > UINT64_MAX / c->n / esz)
		return nrt_fail(NRT_INVALID, "%" PRIu64 " elements are too many", k->count);
	if (k->opts) {
		if (k->opts->struct_size < NRT_COLL_OPTS_SIZE_0_7)
			return nrt_fail(NRT_INVALID, "opts->struct_size is %u, at least %zu needed",
					k->opts->struct_size, NRT_COLL_OPTS_SIZE_0_7);
		if (k->opts->wait_count > NRT_COLL_MAX_WAIT)
			return nrt_fail(NRT_INVALID, "opts->wait_count %zu: at most %u fences",
					k->opts->wait_count, NRT_COLL_MAX_WAIT);
		st = nrt_check_wait(c->dev, k->opts->wait, k->opts->wait_count, "opts->wait");
		if (st != NRT_SUCCESS)
			return st;
		*wait = k->opts->wait;
		*wait_count = k->opts->wait_count;
	}
	if (k->send_elems) {
		st = nrt_coll_buffer(c, "send", k->send, k->send_off, k->send_elems, esz);
		if (st != NRT_SUCCESS)
			return st;
	}
	if (k->recv_elems) {
		st = nrt_coll_buffer(c, "recv", k->recv, k->recv_off, k->recv_elems, esz);
		if (st != NRT_SUCCESS)
			return st;
	}
	return nrt_coll_overlap(k, esz);
}

/* The schedule of @a: from the cache, or built and cached. */
static nrt_status nrt_coll_sched(struct nrt_comm *c, const struct nrt_ccl_args *a,
				 struct nrt_ccl_sched_ref **out)
{
	struct nrt_ccl_sched_ref *ref;
	unsigned int i;
	nrt_status st;

	for (i = 0; i < NRT_CCL_CACHE; i++) {
		ref = c->cache[i];
		if (ref && !memcmp(&ref->args, a, sizeof(*a))) {
			*out = ref;
			return NRT_SUCCESS;
		}
	}
	ref = calloc(1, sizeof(*ref));
	if (!ref)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	st = nrt_ccl_sched_build(&c->topo, a, &ref->s);
	if (st != NRT_SUCCESS) {
		free(ref);
		return st;
	}
	ref->args = *a;
	atomic_init(&ref->refs, 1);
	i = c->cache_next++ % NRT_CCL_CACHE;
	if (c->cache[i])
		nrt_ccl_sched_unref(c->cache[i]);
	c->cache[i] = ref;
	*out = ref;
	return NRT_SUCCESS;
}

static nrt_status nrt_coll_run(struct nrt_comm *c, const struct nrt_coll_call *k)
{
	struct nrt_ccl_bufs b = {
		.send = k->send_elems ? k->send : NULL, .send_off = k->send_off,
		.recv = k->recv_elems ? k->recv : NULL, .recv_off = k->recv_off,
	};
	bool p2p = k->coll == NRT_CCL_SEND_RECV;
	struct nrt_ccl_sched_ref *ref = NULL;
	nrt_fence *const *wait;
	struct nrt_ccl_args a;
	size_t wait_count;
	nrt_status st;

	if (!c)
		return nrt_fail(NRT_INVALID, "communicator is NULL");
	st = nrt_coll_check(c, k, &wait, &wait_count);
	if (st != NRT_SUCCESS)
		return st;
	memset(&a, 0, sizeof(a));       /* the cache compares the bytes */
	a.coll = k->coll;
	a.redop = k->redop >= 0 ? (unsigned int)k->redop : 0;
	a.dtype = k->dtype;
	a.esz = nrt_dtype_size(k->dtype);
	a.count = k->count;
	a.root = k->root;
	a.peer = k->peer;
	a.in_place = k->in_place;
	a.piece = c->params.slot_bytes;
	a.ncores = c->ncores;
	a.nslots = c->params.slots;
	a.algo = nrt_ccl_pick_algo(&c->topo, k->coll, (enum nrt_ccl_algo)c->params.algo,
				   c->params.flags & NRT_COMM_DETERMINISTIC, a.count * a.esz);

	pthread_mutex_lock(&c->lock);
	nrt_ccl_verify(c, false);
	st = nrt_comm_check(c, p2p ? c->seq : c->seq + 1);
	if (st == NRT_SUCCESS && !c->hub && c->n > 1)
		st = nrt_fail(NRT_INVALID, "the communicator was destroyed");
	if (st == NRT_SUCCESS)
		st = nrt_coll_sched(c, &a, &ref);
	if (st == NRT_SUCCESS && ref->s->plans[c->rank].nreduce && !c->dev->ncores)
		st = nrt_fail(NRT_UNSUPPORTED, "%s has no NeuronCore to reduce on",
			      c->dev->device_node);
	if (st == NRT_SUCCESS)
		st = nrt_ccl_exec(c, ref, &b, p2p, wait, wait_count, k->fence);
	pthread_mutex_unlock(&c->lock);
	return st;
}

/* Run @k and prefix a failure with the function's name. */
static nrt_status nrt_coll(nrt_comm *c, const struct nrt_coll_call *k)
{
	return nrt_fail_prefix(nrt_coll_run(c, k), "%s", k->fn);
}

NRT_API nrt_status nrt_all_reduce(nrt_comm *c, const nrt_buffer *send, size_t send_off,
				  nrt_buffer *recv, size_t recv_off, size_t count,
				  nrt_dtype dtype, nrt_redop op, const nrt_coll_opts *opts,
				  nrt_fence **fence)
{
	NRT_API_SCOPE();
	struct nrt_coll_call k = {
		.fn = __func__, .coll = NRT_CCL_ALL_REDUCE, .send = send, .send_off = send_off,
		.send_elems = count, .recv = recv, .recv_off = recv_off, .recv_elems = count,
		.count = count, .dtype = dtype, .redop = (int)op, .opts = opts, .fence = fence,
		.in_place = send == recv && send_off == recv_off,
	};

	return nrt_coll(c, &k);
}

NRT_API nrt_status nrt_reduce_scatter(nrt_comm *c, const nrt_buffer *send, size_t send_off,
				      nrt_buffer *recv, size_t recv_off, size_t recv_count,
				      nrt_dtype dtype, nrt_redop op, const nrt_coll_opts *opts,
				      nrt_fence **fence)
{
	NRT_API_SCOPE();
	unsigned int n = c ? c->n : 1, rank = c ? c->rank : 0;
	size_t esz = nrt_dtype_size(dtype);
	struct nrt_coll_call k = {
		.fn = __func__, .coll = NRT_CCL_REDUCE_SCATTER, .send = send, .send_off = send_off,
		.send_elems = (uint64_t)n * recv_count, .recv = recv, .recv_off = recv_off,
		.recv_elems = recv_count, .count = recv_count, .dtype = dtype, .redop = (int)op,
		.opts = opts, .fence = fence,
		.in_place = send == recv && recv_off == send_off + (uint64_t)rank * recv_count * esz,
	};

	return nrt_coll(c, &k);
}

NRT_API nrt_status nrt_all_gather(nrt_comm *c, const nrt_buffer *send, size_t send_off,
				  nrt_buffer *recv, size_t recv_off, size_t send_count,
				  nrt_dtype dtype, const nrt_coll_opts *opts, nrt_fence **fence)
{
	NRT_API_SCOPE();
	unsigned int n = c ? c->n : 1, rank = c ? c->rank : 0;
	size_t esz = nrt_dtype_size(dtype);
	struct nrt_coll_call k = {
		.fn = __func__, .coll = NRT_CCL_ALL_GATHER, .send = send, .send_off = send_off,
		.send_elems = send_count, .recv = recv, .recv_off = recv_off,
		.recv_elems = (uint64_t)n * send_count, .count = send_count, .dtype = dtype,
		.redop = -1, .opts = opts, .fence = fence,
		.in_place = send == recv && send_off == recv_off + (uint64_t)rank * send_count * esz,
	};

	return nrt_coll(c, &k);
}

NRT_API nrt_status nrt_broadcast(nrt_comm *c, const nrt_buffer *send, size_t send_off,
				 nrt_buffer *recv, size_t recv_off, size_t count, nrt_dtype dtype,
				 unsigned int root, const nrt_coll_opts *opts, nrt_fence **fence)
{
	NRT_API_SCOPE();
	bool is_root = c && c->rank == root;
	struct nrt_coll_call k = {
		.fn = __func__, .coll = NRT_CCL_BROADCAST, .send = send, .send_off = send_off,
		.send_elems = is_root ? count : 0, .recv = recv, .recv_off = recv_off,
		.recv_elems = count, .count = count, .dtype = dtype, .redop = -1, .root = root,
		.opts = opts, .fence = fence,
		.in_place = is_root && send == recv && send_off == recv_off,
	};

	return nrt_coll(c, &k);
}

NRT_API nrt_status nrt_reduce(nrt_comm *c, const nrt_buffer *send, size_t send_off,
			      nrt_buffer *recv, size_t recv_off, size_t count, nrt_dtype dtype,
			      nrt_redop op, unsigned int root, const nrt_coll_opts *opts,
			      nrt_fence **fence)
{
	NRT_API_SCOPE();
	bool is_root = c && c->rank == root;
	struct nrt_coll_call k = {
		.fn = __func__, .coll = NRT_CCL_REDUCE, .send = send, .send_off = send_off,
		.send_elems = count, .recv = recv, .recv_off = recv_off,
		.recv_elems = is_root ? count : 0, .count = count, .dtype = dtype,
		.redop = (int)op, .root = root, .opts = opts, .fence = fence,
		.in_place = is_root && send == recv && send_off == recv_off,
	};

	return nrt_coll(c, &k);
}

NRT_API nrt_status nrt_all_to_all(nrt_comm *c, const nrt_buffer *send, size_t send_off,
				  nrt_buffer *recv, size_t recv_off, size_t count, nrt_dtype dtype,
				  const nrt_coll_opts *opts, nrt_fence **fence)
{
	NRT_API_SCOPE();
	unsigned int n = c ? c->n : 1;
	struct nrt_coll_call k = {
		.fn = __func__, .coll = NRT_CCL_ALL_TO_ALL, .send = send, .send_off = send_off,
		.send_elems = (uint64_t)n * count, .recv = recv, .recv_off = recv_off,
		.recv_elems = (uint64_t)n * count, .count = count, .dtype = dtype, .redop = -1,
		.opts = opts, .fence = fence,
	};

	if (c && count && send == recv && send_off == recv_off)
		return nrt_fail(NRT_UNSUPPORTED, "%s: all-to-all in place", __func__);
	return nrt_coll(c, &k);
}

NRT_API nrt_status nrt_send(nrt_comm *c, const nrt_buffer *buf, size_t off, size_t count,
			    nrt_dtype dtype, unsigned int peer, const nrt_coll_opts *opts,
			    nrt_fence **fence)
{
	NRT_API_SCOPE();
	struct nrt_coll_call k = {
		.fn = __func__, .coll = NRT_CCL_SEND_RECV, .send = buf, .send_off = off,
		.send_elems = count, .count = count, .dtype = dtype, .redop = -1,
		.root = c ? c->rank : 0, .peer = peer, .opts = opts, .fence = fence,
	};

	return nrt_coll(c, &k);
}

NRT_API nrt_status nrt_recv(nrt_comm *c, nrt_buffer *buf, size_t off, size_t count,
			    nrt_dtype dtype, unsigned int peer, const nrt_coll_opts *opts,
			    nrt_fence **fence)
{
	NRT_API_SCOPE();
	struct nrt_coll_call k = {
		.fn = __func__, .coll = NRT_CCL_SEND_RECV, .recv = buf, .recv_off = off,
		.recv_elems = count, .count = count, .dtype = dtype, .redop = -1,
		.root = peer, .peer = c ? c->rank : 0, .opts = opts, .fence = fence,
	};

	return nrt_coll(c, &k);
}
