/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Communicators, internal to their module:
 *
 *   nrt_comm.c      the communicator: bootstrap, channels to the cabled
 *                   neighbours, failures, the public communicator calls
 *   nrt_ccl_exec.c  running one rank's plan of a schedule on its device:
 *                   jobs, fences shared with the neighbours, validity
 *                   tokens, the fence of a collective
 *   nrt_coll.c      the public collective calls: arguments, schedules
 *
 * A channel joins this rank and one cabled neighbour. Each end has staging
 * in its HBM that the other end pushes into: slots of slot_bytes, then one
 * 8-byte validity cell per slot. Transfers on a channel are numbered from
 * 1 for the life of the communicator (both ends count the same ones);
 * transfer q uses slot (q - 1) % slots. Four timeline syncobjs per channel
 * order the two devices without the host: the sender's push timeline gets
 * point q when its job that pushes transfer q is queued, the receiver's
 * free timeline point q when its job that empties that slot is; the
 * receiver's job waits for push point q, the sender's push of q waits for
 * free point q - slots. Each end creates its two and imports the other's.
 * Documentation/collectives.rst describes the whole design.
 */
#ifndef NRT_COMM_H
#define NRT_COMM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "nrt_buffer.h"
#include "nrt_ccl_boot.h"
#include "nrt_ccl_sched.h"
#include "nrt_fence.h"

/* What must be the same on every rank (the schedules depend on it). */
struct nrt_ccl_params {
	uint32_t algo;          /* enum nrt_ccl_algo */
	uint32_t flags;         /* NRT_COMM_DETERMINISTIC */
	uint32_t slot_bytes;
	uint32_t slots;
};

/* What a rank tells the others at bootstrap (the hub's description). */
struct nrt_comm_info {
	uint32_t version;       /* NRT_VERSION_MAJOR << 16 | NRT_VERSION_MINOR */
	uint32_t reserved;
	struct nrt_ccl_params params;
	struct nrt_ccl_rank_info rank;
};

/* The channel between this rank and its neighbour @peer. */
struct nrt_ccl_chan {
	unsigned int peer;
	unsigned int port;              /* this device's port to @peer */
	struct nrt_buffer *in_stage;    /* HBM of this device: @peer pushes here */
	struct nrt_buffer *out_stage;   /* @peer's in_stage, imported */
	uint32_t tl_push_out;           /* created here: pushes to @peer queued */
	uint32_t tl_free_in;            /* created here: @peer's slots emptied */
	uint32_t tl_push_in;            /* @peer's tl_push_out, imported */
	uint32_t tl_free_out;           /* @peer's tl_free_in, imported */
	uint64_t sent, rcvd;            /* transfers so far, each way */
	uint64_t msgs_out, msgs_in;     /* messages (nrt_send()) so far, each way */
	unsigned int q_out, q_in;       /* DMA queues of the engines OUT, IN */
};

/* A schedule shared by the cache and the runs that use it. */
struct nrt_ccl_sched_ref {
	atomic_uint refs;
	struct nrt_ccl_args args;       /* the key */
	struct nrt_ccl_sched *s;
};

#define NRT_CCL_CACHE 8

/* Buffers of finished collectives kept for the next ones. */
#define NRT_CCL_POOL 16

struct nrt_ccl_pooled {
	struct nrt_buffer *buf;
	unsigned char *map;             /* HOST buffers stay mapped */
};

/* Counters of nrt_comm_stats, updated from any thread. */
struct nrt_ccl_counters {
	atomic_uint_fast64_t collectives, jobs, bytes_sent, submit_ns, peer_wait_ns;
	atomic_uint_fast64_t reduce_ns, reduce_bytes;
};

struct nrt_ccl_run;

struct nrt_comm {
	atomic_uint refs;               /* the handle and the runs alive */
	pthread_mutex_t lock;           /* serialises the calls */
	struct nrt_device *dev;         /* holds a reference */
	unsigned int n, rank;
	struct nrt_ccl_params params;
	uint32_t timeout_ms;
	unsigned int ncores;            /* cores reductions go to (>= 1) */
	struct nrt_ccl_topo topo;
	struct nrt_ccl_chan *chans;
	unsigned int nchans;
	int *chan_of;                   /* n: index in @chans of a neighbour, or -1 */
	unsigned int q_local;           /* DMA queue of local copies */
	struct nrt_ccl_hub *hub;
	char torus_desc[32];            /* "torus2d RxC" */

	uint64_t seq;                   /* collectives called (not messages) */
	struct nrt_ccl_run *prev;       /* the last run: the next waits for it */
	struct nrt_ccl_run *vhead, *vtail; /* runs whose jobs are not all seen done */
	struct nrt_ccl_sched_ref *cache[NRT_CCL_CACHE];
	unsigned int cache_next;
	pthread_mutex_t pool_lock;      /* @pool: runs end in any thread */
	struct nrt_ccl_pooled pool[NRT_CCL_POOL];

	/* Failure: set once, by this rank or by another's ABORT */
	pthread_mutex_t fail_lock;
	pthread_cond_t fail_cond;
	nrt_status failed;
	unsigned int fail_rank;
	uint64_t fail_seq;
	char fail_text[NRT_ERROR_MAX];
	uint64_t *left;                 /* n: collectives a rank ran before BYE,
					 * or UINT64_MAX while it stays */
	struct nrt_ccl_counters stats;
};

/* ------------------------------------------------------------------------
 * nrt_comm.c
 */

NRT_HIDDEN void nrt_comm_ref(struct nrt_comm *c);
NRT_HIDDEN void nrt_comm_unref(struct nrt_comm *c);

/*
 * nrt_comm_fail() - the communicator failed on this rank with @st, whose
 * message is the calling thread's error: record it (the first failure
 * only) and tell every other rank. @seq: the collective it happened in.
 */
NRT_HIDDEN void nrt_comm_fail(struct nrt_comm *c, nrt_status st, uint64_t seq);

/*
 * nrt_comm_check() - NRT_SUCCESS while the communicator can run a
 * collective of sequence number @seq; else its failure (every later call
 * fails the same way), or NRT_PEER_LOST if a rank left before @seq.
 */
NRT_HIDDEN nrt_status nrt_comm_check(struct nrt_comm *c, uint64_t seq);

/*
 * nrt_comm_failed_at() - the failure another rank reported for a
 * collective at or before @seq (as the calling thread's error), else
 * NRT_SUCCESS: a collective whose own data all arrived still fails then
 */
NRT_HIDDEN nrt_status nrt_comm_failed_at(struct nrt_comm *c, uint64_t seq);

/*
 * nrt_comm_wait_failure() - wait up to @timeout_ns (< 0: the
 * communicator's timeout) until a failure is known; Return: it, or
 * NRT_SUCCESS if none came.
 */
NRT_HIDDEN nrt_status nrt_comm_wait_failure(struct nrt_comm *c, int64_t timeout_ns);

/*
 * nrt_comm_buf_get() - a buffer of at least @size bytes of @placement for
 * a collective: one a finished collective gave back, or a new one
 * @map: for HOST, receives its CPU mapping (kept while pooled); else NULL
 */
NRT_HIDDEN nrt_status nrt_comm_buf_get(struct nrt_comm *c, nrt_placement placement,
				       uint64_t size, struct nrt_buffer **out,
				       unsigned char **map);

/*
 * nrt_comm_buf_put() - give back a buffer of nrt_comm_buf_get() and its
 * mapping @map (or NULL); @idle: no job uses it any more (else it is
 * freed: the kernel keeps its memory for the jobs, but they may still
 * change it)
 */
NRT_HIDDEN void nrt_comm_buf_put(struct nrt_comm *c, struct nrt_buffer *buf,
				 unsigned char *map, bool idle);

/* The channel to neighbour @peer (NULL if not one). */
static inline struct nrt_ccl_chan *nrt_comm_chan(struct nrt_comm *c, unsigned int peer)
{
	return peer < c->n && c->chan_of[peer] >= 0 ? &c->chans[c->chan_of[peer]] : NULL;
}

/* ------------------------------------------------------------------------
 * nrt_ccl_exec.c
 */

/* The caller's buffers of a collective: SEND and RECV of the schedules. */
struct nrt_ccl_bufs {
	const struct nrt_buffer *send;
	size_t send_off;
	const struct nrt_buffer *recv;
	size_t recv_off;
};

/*
 * nrt_ccl_exec() - run this rank's plan of @ref on the device
 * @p2p: a message (its token is the channel's message count, not the
 *	collective sequence number)
 * @wait: the caller's fences, checked
 * @fence: NULL to wait, or receives the fence of the collective
 *
 * The caller holds c->lock. Returns once every job is queued.
 *
 * Return: NRT_SUCCESS; the communicator's failure; NRT_TIMEOUT if a rank
 * this one depends on did not queue its part in time; statuses of
 * allocation and submission; for a synchronous call, those of the fence.
 */
NRT_HIDDEN nrt_status nrt_ccl_exec(struct nrt_comm *c, struct nrt_ccl_sched_ref *ref,
				   const struct nrt_ccl_bufs *b, bool p2p,
				   nrt_fence *const *wait, size_t wait_count,
				   nrt_fence **fence);

/* Drop a reference to a run (the communicator's c->prev). */
NRT_HIDDEN void nrt_ccl_run_unref(struct nrt_ccl_run *run);

/*
 * nrt_ccl_verify() - look, without waiting, at the jobs of this rank's
 * earlier collectives: the first that failed fails the communicator (and
 * tells the other ranks), so that a failure is known even when nobody
 * waits for the fences. @all: drop every run (the communicator goes away).
 */
NRT_HIDDEN void nrt_ccl_verify(struct nrt_comm *c, bool all);

/* Drop a reference to a schedule of the cache. */
NRT_HIDDEN void nrt_ccl_sched_unref(struct nrt_ccl_sched_ref *ref);

#endif /* NRT_COMM_H */
