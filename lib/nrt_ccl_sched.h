/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Collectives, internal: schedules, what every rank does for one
 * collective, as an ordered list of operations with dependencies.
 * nrt_ccl_algo.c describes the algorithms as transfers between ranks;
 * nrt_ccl_sched.c orders every rank's operations, numbers the transfers
 * of every channel, places partial results and computes dependencies and
 * checks that the ranks can submit the result without waiting for each
 * other forever. Schedules are pure data computed from the topology and
 * the call's arguments, the same on every rank.
 */
#ifndef NRT_CCL_SCHED_H
#define NRT_CCL_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_ccl_topo.h"

enum nrt_ccl_coll {
	NRT_CCL_ALL_REDUCE,
	NRT_CCL_REDUCE_SCATTER,
	NRT_CCL_ALL_GATHER,
	NRT_CCL_BROADCAST,
	NRT_CCL_REDUCE,
	NRT_CCL_ALL_TO_ALL,
	NRT_CCL_SEND_RECV,      /* one message from rank @root to rank @peer */
	NRT_CCL_COLL_COUNT
};

/* The algorithms; the public nrt_comm_algo values. */
enum nrt_ccl_algo {
	NRT_CCL_ALGO_AUTO = 0,
	NRT_CCL_ALGO_RING = 1,
	NRT_CCL_ALGO_TORUS2D = 2,
	NRT_CCL_ALGO_TREE = 3,
	NRT_CCL_ALGO_CHAIN = 4,         /* deterministic: folds in rank order */
	NRT_CCL_ALGO_COUNT
};

/*
 * struct nrt_ccl_args - what a schedule is made for
 * @coll: the collective
 * @algo: the algorithm, not AUTO (nrt_ccl_pick_algo())
 * @redop: NRT_REDOP_* of a reduction
 * @dtype: element type; @esz its size
 * @count: elements: of the buffer (all-reduce, broadcast, reduce, a
 *	message), of each rank's block (reduce-scatter: the receive count;
 *	all-gather: the send count; all-to-all: per pair)
 * @root: root of broadcast and reduce; the sender of a message
 * @peer: the receiver of a message
 * @in_place: the send and receive ranges alias as NCCL defines it
 * @piece: most bytes of one transfer (a slot of the receiver's staging)
 * @ncores: NeuronCore queues each rank reduces on (at least 1)
 * @nslots: slots of each channel (nrt_ccl_sched_check_progress())
 */
struct nrt_ccl_args {
	enum nrt_ccl_coll coll;
	enum nrt_ccl_algo algo;
	unsigned int redop;
	unsigned int dtype;
	size_t esz;
	uint64_t count;
	unsigned int root;
	unsigned int peer;
	bool in_place;
	uint64_t piece;
	unsigned int ncores;
	unsigned int nslots;
};

/* Where an operation's data is on its rank. */
enum nrt_ccl_space {
	NRT_CCL_SP_NONE = 0,
	NRT_CCL_SP_SEND,        /* the caller's send range */
	NRT_CCL_SP_RECV,        /* the caller's receive range */
	NRT_CCL_SP_SCRATCH,     /* the rank's scratch area: partial results of
				 * reductions without room in RECV */
};

struct nrt_ccl_loc {
	uint8_t space;
	uint64_t off;           /* bytes from the start of the range */
};

enum nrt_ccl_kind {
	NRT_CCL_OP_SEND = 1,    /* push @len bytes at @src into @peer's next slot */
	NRT_CCL_OP_RECV,        /* take the next slot from @peer, then @act */
	NRT_CCL_OP_COPY,        /* local: @dst = @src */
};

enum nrt_ccl_act {
	NRT_CCL_ACT_NONE = 0,   /* only forward the slot (@fwd) */
	NRT_CCL_ACT_COPY,       /* @dst = slot */
	NRT_CCL_ACT_REDUCE,     /* @dst = slot (op) @a, slot first */
};

/*
 * Every RECV gives its slot back when its job is done: partial results go
 * to the receive buffer or the scratch area, never stay in a slot (a rank
 * that kept a slot until it could send its content on would wait for its
 * successor's slot, which waits for the next one's, around the ring).
 */

/* No rank, no op. */
#define NRT_CCL_NONE (-1)

/*
 * struct nrt_ccl_op - one operation of one rank: one job on the device
 *
 * Filled by the builders: @kind .. @out_hop. nrt_ccl_sched_finish() sorts a
 * rank's operations by (@key, -@stage, @gen) and computes the rest.
 */
struct nrt_ccl_op {
	uint8_t kind;
	uint8_t act;
	bool scale;             /* REDUCE: divide by the number of ranks after */
	bool fwd_dst;           /* RECV REDUCE with @fwd: push the result (@dst)
				 * on, not the slot */
	int32_t peer;           /* SEND: to; RECV: from */
	int32_t fwd;            /* RECV: also push the slot (or @dst) on to
				 * this rank, in the same job */
	struct nrt_ccl_loc src; /* SEND, COPY */
	struct nrt_ccl_loc a;   /* RECV REDUCE: the local operand */
	struct nrt_ccl_loc dst; /* RECV COPY or REDUCE, COPY */
	uint64_t len;
	uint64_t key;           /* order: operations run by increasing key */
	uint64_t stage;         /* for equal keys, later stages go first */
	uint32_t gen;           /* then generation order */
	uint32_t hop;           /* RECV: id of the transfer it receives */
	uint32_t out_hop;       /* SEND, RECV with @fwd: id of the one it sends */

	/* --- computed by nrt_ccl_sched_finish() --- */
	uint32_t seq;           /* SEND: on the channel to @peer; RECV: from */
	uint32_t fwd_seq;       /* RECV with @fwd: on the channel to @fwd */
	uint16_t engine;        /* NRT_CCL_ENGINE_*() */
	int32_t vsrc;           /* SEND: the op whose validity vouches for
				 * @src, NONE for the caller's data */
	int32_t va;             /* RECV REDUCE: the same for @a */
	uint32_t deps;          /* index of the first dependency in plan->deps */
	uint32_t ndeps;         /* earlier ops of other engines to wait for */
};

/*
 * Engines: the queues a rank's ops go to, in FIFO order. Pushes to a
 * peer (SEND, RECV with forward) share the peer's out engine; copies out
 * of a slot without forward, the sender's in engine; reductions go
 * round-robin to the cores; local copies to one engine of their own.
 */
#define NRT_CCL_ENGINE_OUT(n, peer) ((uint16_t)(peer))
#define NRT_CCL_ENGINE_IN(n, peer) ((uint16_t)((n) + (peer)))
#define NRT_CCL_ENGINE_CORE(n, c) ((uint16_t)(2 * (n) + (c)))
#define NRT_CCL_ENGINE_LOCAL(n, ncores) ((uint16_t)(2 * (n) + (ncores)))

/* One rank's part of a schedule. */
struct nrt_ccl_plan {
	struct nrt_ccl_op *ops;
	uint32_t n, cap;
	uint32_t *deps;         /* dependency lists of the ops */
	uint32_t ndeps, capdeps;
	bool aliased;           /* SEND offset x is RECV offset x + @alias */
	int64_t alias;
	uint32_t *sent;         /* per rank: transfers sent to it */
	uint32_t *rcvd;         /* per rank: transfers received from it */
	uint32_t nreduce;       /* RECV REDUCE ops */
	uint64_t scratch;       /* bytes of scratch area the ops use */
};

struct nrt_ccl_sched {
	unsigned int n;
	struct nrt_ccl_args args;
	struct nrt_ccl_plan *plans;     /* n */
};

/*
 * nrt_ccl_pick_algo() - the algorithm for a collective
 * @want: the caller's choice (AUTO: by the topology and size)
 * @deterministic: reductions must fold in rank order
 * @bytes: bytes of the buffer the collective reduces or moves
 *
 * Reductions with @deterministic take CHAIN. AUTO gives TORUS2D for an
 * all-reduce on a torus of at least 3 x 3, TREE for an all-reduce of at
 * most NRT_CCL_TREE_MAX bytes, RING otherwise. TORUS2D applies to
 * all-reduce only and TREE to all-reduce only: other collectives asked
 * for them take RING.
 */
#define NRT_CCL_TREE_MAX ((uint64_t)16 << 10)
NRT_HIDDEN enum nrt_ccl_algo nrt_ccl_pick_algo(const struct nrt_ccl_topo *t,
					       enum nrt_ccl_coll coll,
					       enum nrt_ccl_algo want,
					       bool deterministic, uint64_t bytes);

/*
 * nrt_ccl_sched_build() - the schedule of a collective for every rank
 * @out: receives it; free it with nrt_ccl_sched_free()
 *
 * Reductions that push their result on, and forwards (a slot received and
 * pushed on), are one job each when the ranks can submit the schedule
 * with @args->nslots slots; else the reductions and their pushes are two
 * jobs; else the forwards too (a copy and a SEND).
 *
 * Return: NRT_SUCCESS; NRT_RESOURCE if out of memory; NRT_UNSUPPORTED for
 * an algorithm the topology does not have (TORUS2D without a torus) or a
 * message between ranks that are not cabled; NRT_FAILURE if the schedule
 * breaks its own rules (a bug: the message says which).
 */
NRT_HIDDEN nrt_status nrt_ccl_sched_build(const struct nrt_ccl_topo *t,
					  const struct nrt_ccl_args *args,
					  struct nrt_ccl_sched **out);
NRT_HIDDEN void nrt_ccl_sched_free(struct nrt_ccl_sched *s);

/* The name of an algorithm ("ring", "torus2d", "tree", "chain"). */
NRT_HIDDEN const char *nrt_ccl_algo_name(enum nrt_ccl_algo a);

/* The name of a collective ("all_reduce", ...). */
NRT_HIDDEN const char *nrt_ccl_coll_name(enum nrt_ccl_coll c);

/*
 * nrt_ccl_algo_build() - the operations of every rank of @s (nrt_ccl_algo.c)
 * @s: a schedule with @s->args set and empty plans
 * @t: the topology
 * @split: forwards as a RECV that copies, then a SEND (see
 *	nrt_ccl_sched_build())
 * @fuse: reductions of ring reduce-scatters push their results on in the
 *	same job (RECV REDUCE with fwd_dst) instead of a SEND of their own
 *
 * Internal to the schedules module: fills the builders' fields of the ops
 * (@kind .. @out_hop) in no particular order.
 *
 * Return: NRT_SUCCESS; NRT_RESOURCE if out of memory; NRT_UNSUPPORTED for
 * a message between ranks that are not cabled.
 */
NRT_HIDDEN nrt_status nrt_ccl_algo_build(struct nrt_ccl_sched *s,
					 const struct nrt_ccl_topo *t, bool split, bool fuse);

/*
 * nrt_ccl_sched_check_progress() - whether the ranks can submit their
 * plans without waiting for each other forever
 * @nslots: slots of each receiver's staging per channel
 *
 * Simulates the submission protocol of nrt_ccl_exec.c: a rank submits its
 * ops in order; a SEND (or forward) of seq q needs the receiver to have
 * submitted the op that frees seq q - @nslots, a RECV needs the sender to
 * have submitted the op that sends it.
 *
 * Return: true if every rank gets to its end.
 */
NRT_HIDDEN bool nrt_ccl_sched_check_progress(const struct nrt_ccl_sched *s,
					     unsigned int nslots);

#endif /* NRT_CCL_SCHED_H */
