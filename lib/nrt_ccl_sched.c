// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Schedules: what every rank does for one collective.
 *
 * A schedule is, for every rank, a list of operations (struct nrt_ccl_op),
 * each one job on the rank's device:
 *
 *   SEND  push bytes of the rank's buffers (or of its scratch area) into
 *         the next slot of a neighbour's staging, over their cable;
 *   RECV  take the next slot from a neighbour and copy it into the receive
 *         buffer, reduce it with local data (into the receive buffer, or
 *         the scratch area for partial results that have no room there),
 *         and/or push it on to another neighbour in the same job; the
 *         slot is given back when the job is done;
 *   COPY  a local copy (the root's own block, out of place).
 *
 * Between two neighbours the transfers of a collective are numbered in
 * order (seq); both ends agree on the numbering, which the transport of
 * nrt_ccl_exec.c turns into fences and flow control.
 *
 * nrt_ccl_pick_algo() below chooses the algorithm of a call, and
 * nrt_ccl_algo.c makes the operations of an algorithm with their keys.
 * nrt_ccl_sched_finish() sorts each rank's operations by key (and
 * generation order for equal keys), numbers the transfers of every
 * channel, checks that both ends of every channel agree, gives the
 * partial results real scratch ranges by lifetime, assigns engines
 * (queues), and computes the dependencies between a rank's operations
 * from the byte ranges they read and write (read after write, write after
 * read or write), keeping for each operation only the latest conflicting
 * operation of every other engine: an engine runs its operations in
 * order. It also finds which operation produced the data a SEND pushes,
 * whose validity token the push carries (nrt_ccl_exec.c). Last, a
 * simulation of the submission protocol rejects schedules with which the
 * ranks would wait for each other forever.
 */
#include <stdlib.h>
#include <string.h>

#include "nrt_ccl_sched.h"
#include "nrt_error.h"

/* ------------------------------------------------------------------------
 * Names and the choice of an algorithm
 */

static const char *const nrt_ccl_algo_names[NRT_CCL_ALGO_COUNT] = {
	[NRT_CCL_ALGO_AUTO] = "auto",
	[NRT_CCL_ALGO_RING] = "ring",
	[NRT_CCL_ALGO_TORUS2D] = "torus2d",
	[NRT_CCL_ALGO_TREE] = "tree",
	[NRT_CCL_ALGO_CHAIN] = "chain",
};

static const char *const nrt_ccl_coll_names[NRT_CCL_COLL_COUNT] = {
	[NRT_CCL_ALL_REDUCE] = "all_reduce",
	[NRT_CCL_REDUCE_SCATTER] = "reduce_scatter",
	[NRT_CCL_ALL_GATHER] = "all_gather",
	[NRT_CCL_BROADCAST] = "broadcast",
	[NRT_CCL_REDUCE] = "reduce",
	[NRT_CCL_ALL_TO_ALL] = "all_to_all",
	[NRT_CCL_SEND_RECV] = "send_recv",
};

const char *nrt_ccl_algo_name(enum nrt_ccl_algo a)
{
	return (unsigned int)a < NRT_CCL_ALGO_COUNT ? nrt_ccl_algo_names[a] : "unknown";
}

const char *nrt_ccl_coll_name(enum nrt_ccl_coll c)
{
	return (unsigned int)c < NRT_CCL_COLL_COUNT ? nrt_ccl_coll_names[c] : "unknown";
}

static bool nrt_ccl_reduces(enum nrt_ccl_coll c)
{
	return c == NRT_CCL_ALL_REDUCE || c == NRT_CCL_REDUCE_SCATTER ||
	       c == NRT_CCL_REDUCE;
}

enum nrt_ccl_algo nrt_ccl_pick_algo(const struct nrt_ccl_topo *t,
				    enum nrt_ccl_coll coll, enum nrt_ccl_algo want,
				    bool deterministic, uint64_t bytes)
{
	if (deterministic && nrt_ccl_reduces(coll))
		return NRT_CCL_ALGO_CHAIN;
	if (want == NRT_CCL_ALGO_CHAIN)
		return nrt_ccl_reduces(coll) ? NRT_CCL_ALGO_CHAIN : NRT_CCL_ALGO_RING;
	if (coll != NRT_CCL_ALL_REDUCE)
		return NRT_CCL_ALGO_RING;
	if (want == NRT_CCL_ALGO_RING || want == NRT_CCL_ALGO_TREE)
		return want;
	if (want == NRT_CCL_ALGO_TORUS2D)
		return t->grid ? NRT_CCL_ALGO_TORUS2D : NRT_CCL_ALGO_RING;
	if (bytes <= NRT_CCL_TREE_MAX && t->n > 2)
		return NRT_CCL_ALGO_TREE;
	if (t->grid && t->rows >= 3 && t->cols >= 3)
		return NRT_CCL_ALGO_TORUS2D;
	return NRT_CCL_ALGO_RING;
}

/* ------------------------------------------------------------------------
 * Finishing: order, channels, engines, dependencies
 */

/* The ops qsort() compares, per thread (qsort has no context argument). */
static _Thread_local const struct nrt_ccl_op *nrt_ccl_sort_ops;

static int nrt_ccl_op_cmp(const void *x, const void *y)
{
	const struct nrt_ccl_op *a = &nrt_ccl_sort_ops[*(const uint32_t *)x];
	const struct nrt_ccl_op *b = &nrt_ccl_sort_ops[*(const uint32_t *)y];

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	/* Later stages first: drain the pipeline before feeding it */
	if (a->stage != b->stage)
		return a->stage > b->stage ? -1 : 1;
	return a->gen < b->gen ? -1 : a->gen > b->gen;
}

/* Sort one plan by (key, -stage, gen). */
static nrt_status nrt_ccl_sort(struct nrt_ccl_plan *p)
{
	uint32_t *order = malloc(((size_t)p->n + 1) * sizeof(*order));
	struct nrt_ccl_op *ops = malloc(((size_t)p->n + 1) * sizeof(*ops));
	uint32_t i;

	if (!order || !ops) {
		free(order);
		free(ops);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	for (i = 0; i < p->n; i++)
		order[i] = i;
	nrt_ccl_sort_ops = p->ops;
	qsort(order, p->n, sizeof(*order), nrt_ccl_op_cmp);
	for (i = 0; i < p->n; i++)
		ops[i] = p->ops[order[i]];
	free(p->ops);
	p->ops = ops;
	p->cap = p->n + 1;
	free(order);
	return NRT_SUCCESS;
}

/* A virtual scratch range: its size, its writer and its last reader. */
struct nrt_ccl_vreg {
	uint64_t voff, len, off;
	uint32_t first, last;
};

static int nrt_ccl_vreg_cmp(const void *x, const void *y)
{
	const struct nrt_ccl_vreg *a = x, *b = y;

	return a->voff < b->voff ? -1 : a->voff > b->voff;
}

static struct nrt_ccl_vreg *nrt_ccl_vreg_find(struct nrt_ccl_vreg *v, size_t n, uint64_t voff)
{
	struct nrt_ccl_vreg key = { .voff = voff };

	return bsearch(&key, v, n, sizeof(*v), nrt_ccl_vreg_cmp);
}

/* A free range of the scratch area (a sorted list). */
struct nrt_ccl_hole {
	uint64_t off, len;
};

/*
 * Give the virtual scratch ranges of a sorted plan real offsets: first fit,
 * a range taken at its writer and given back after its last reader, so
 * that a range is reused only by ops after the last one that needs it
 * (the dependencies then order the reuse). p->scratch receives the bytes
 * needed.
 */
static nrt_status nrt_ccl_scratch(struct nrt_ccl_plan *p)
{
	struct nrt_ccl_vreg *v = NULL;
	struct nrt_ccl_hole *holes = NULL;
	size_t nv = 0, nh = 1, i, h;
	nrt_status st = NRT_SUCCESS;
	uint32_t k;

	p->scratch = 0;
	for (k = 0; k < p->n; k++)
		nv += p->ops[k].dst.space == NRT_CCL_SP_SCRATCH;
	if (!nv)
		return NRT_SUCCESS;
	v = calloc(nv, sizeof(*v));
	holes = calloc(nv + 2, sizeof(*holes));
	if (!v || !holes) {
		st = nrt_fail(NRT_RESOURCE, "out of memory");
		goto out;
	}
	for (nv = 0, k = 0; k < p->n; k++) {
		const struct nrt_ccl_op *op = &p->ops[k];

		if (op->dst.space != NRT_CCL_SP_SCRATCH)
			continue;
		v[nv].voff = op->dst.off;
		v[nv].len = op->len;
		v[nv].first = v[nv].last = k;
		nv++;
	}
	qsort(v, nv, sizeof(*v), nrt_ccl_vreg_cmp);
	for (k = 0; k < p->n; k++) {
		const struct nrt_ccl_op *op = &p->ops[k];
		struct nrt_ccl_vreg *r;

		if (op->src.space != NRT_CCL_SP_SCRATCH)
			continue;
		r = nrt_ccl_vreg_find(v, nv, op->src.off);
		if (!r || r->first > k || r->len != op->len) {
			st = nrt_fail(NRT_FAILURE, "schedule: op %u reads scratch it did not get", k);
			goto out;
		}
		r->last = k;
	}
	holes[0].off = 0;
	holes[0].len = UINT64_MAX;
	for (k = 0; k < p->n; k++) {
		struct nrt_ccl_op *op = &p->ops[k];
		struct nrt_ccl_vreg *r;

		if (op->dst.space == NRT_CCL_SP_SCRATCH) {
			r = nrt_ccl_vreg_find(v, nv, op->dst.off);
			for (h = 0; holes[h].len < r->len; h++)
				;
			r->off = holes[h].off;
			holes[h].off += r->len;
			holes[h].len -= r->len;
			if (r->off + r->len > p->scratch)
				p->scratch = r->off + r->len;
			op->dst.off = r->off;
		}
		if (op->src.space == NRT_CCL_SP_SCRATCH)
			op->src.off = nrt_ccl_vreg_find(v, nv, op->src.off)->off;
		/* Give back what op k was the last to need: insert, merge */
		for (i = 0; i < nv; i++) {
			struct nrt_ccl_hole g;

			if (v[i].last != k)
				continue;
			g.off = v[i].off;
			g.len = v[i].len;
			for (h = 0; h < nh && holes[h].off < g.off; h++)
				;
			memmove(&holes[h + 1], &holes[h], (nh - h) * sizeof(*holes));
			holes[h] = g;
			nh++;
			if (h + 1 < nh && holes[h].off + holes[h].len == holes[h + 1].off) {
				holes[h].len = holes[h + 1].len == UINT64_MAX ?
					       UINT64_MAX : holes[h].len + holes[h + 1].len;
				memmove(&holes[h + 1], &holes[h + 2], (nh - h - 2) * sizeof(*holes));
				nh--;
			}
			if (h > 0 && holes[h - 1].off + holes[h - 1].len == holes[h].off) {
				holes[h - 1].len = holes[h].len == UINT64_MAX ?
						   UINT64_MAX : holes[h - 1].len + holes[h].len;
				memmove(&holes[h], &holes[h + 1], (nh - h - 1) * sizeof(*holes));
				nh--;
			}
		}
	}
out:
	free(v);
	free(holes);
	return st;
}

/* A transfer seen from one end of its channel. */
struct nrt_ccl_ev {
	uint32_t from, to, seq, hop;
	uint64_t len;
};

static int nrt_ccl_ev_cmp(const void *x, const void *y)
{
	const struct nrt_ccl_ev *a = x, *b = y;

	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static nrt_status nrt_ccl_ev_add(struct nrt_ccl_ev **v, size_t *n, size_t *cap,
				 const struct nrt_ccl_ev *e)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		struct nrt_ccl_ev *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return nrt_fail(NRT_RESOURCE, "out of memory");
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = *e;
	return NRT_SUCCESS;
}

/* Number the transfers of every channel and check that both ends agree. */
static nrt_status nrt_ccl_channels(struct nrt_ccl_sched *s)
{
	struct nrt_ccl_ev *tx = NULL, *rx = NULL;
	size_t ntx = 0, nrx = 0, ctx = 0, crx = 0, i;
	nrt_status st = NRT_SUCCESS;
	unsigned int r;

	for (r = 0; r < s->n && st == NRT_SUCCESS; r++) {
		struct nrt_ccl_plan *p = &s->plans[r];

		for (i = 0; i < p->n && st == NRT_SUCCESS; i++) {
			struct nrt_ccl_op *op = &p->ops[i];
			struct nrt_ccl_ev e = { .from = r, .len = op->len };

			if (op->kind == NRT_CCL_OP_SEND) {
				op->seq = ++p->sent[op->peer];
				e.to = (uint32_t)op->peer;
				e.seq = op->seq;
				e.hop = op->out_hop;
				st = nrt_ccl_ev_add(&tx, &ntx, &ctx, &e);
			} else if (op->kind == NRT_CCL_OP_RECV) {
				op->seq = ++p->rcvd[op->peer];
				e.from = (uint32_t)op->peer;
				e.to = r;
				e.seq = op->seq;
				e.hop = op->hop;
				st = nrt_ccl_ev_add(&rx, &nrx, &crx, &e);
				if (st == NRT_SUCCESS && op->fwd != NRT_CCL_NONE) {
					op->fwd_seq = ++p->sent[op->fwd];
					e.from = r;
					e.to = (uint32_t)op->fwd;
					e.seq = op->fwd_seq;
					e.hop = op->out_hop;
					st = nrt_ccl_ev_add(&tx, &ntx, &ctx, &e);
				}
			}
		}
	}
	if (st == NRT_SUCCESS && ntx != nrx)
		st = nrt_fail(NRT_FAILURE, "schedule: %zu transfers sent, %zu received",
			      ntx, nrx);
	if (st == NRT_SUCCESS && ntx) {
		qsort(tx, ntx, sizeof(*tx), nrt_ccl_ev_cmp);
		qsort(rx, nrx, sizeof(*rx), nrt_ccl_ev_cmp);
		for (i = 0; i < ntx; i++) {
			if (tx[i].from != rx[i].from || tx[i].to != rx[i].to ||
			    tx[i].seq != rx[i].seq || tx[i].hop != rx[i].hop ||
			    tx[i].len != rx[i].len) {
				st = nrt_fail(NRT_FAILURE,
					      "schedule: transfer %u of rank %u to rank %u is not what rank %u receives",
					      tx[i].seq, tx[i].from, tx[i].to, tx[i].to);
				break;
			}
		}
	}
	free(tx);
	free(rx);
	return st;
}

static uint16_t nrt_ccl_engine(const struct nrt_ccl_sched *s, const struct nrt_ccl_op *op,
			       unsigned int *core)
{
	unsigned int n = s->n;

	switch (op->kind) {
	case NRT_CCL_OP_SEND:
		return NRT_CCL_ENGINE_OUT(n, op->peer);
	case NRT_CCL_OP_RECV:
		if (op->act == NRT_CCL_ACT_REDUCE)
			return NRT_CCL_ENGINE_CORE(n, (*core)++ % s->args.ncores);
		if (op->fwd != NRT_CCL_NONE)
			return NRT_CCL_ENGINE_OUT(n, op->fwd);
		return NRT_CCL_ENGINE_IN(n, op->peer);
	default:
		return NRT_CCL_ENGINE_LOCAL(n, s->args.ncores);
	}
}

/* A byte range of a rank: space 1 RECV (SEND aliased onto it), 2 SEND, 3 scratch. */
struct nrt_ccl_rng {
	uint64_t sp, off, len;
};

static bool nrt_ccl_rng_of(const struct nrt_ccl_plan *p, const struct nrt_ccl_loc *l,
			   uint64_t len, struct nrt_ccl_rng *g)
{
	switch (l->space) {
	case NRT_CCL_SP_SEND:
		if (p->aliased) {
			g->sp = 1;
			g->off = (uint64_t)((int64_t)l->off + p->alias);
		} else {
			g->sp = 2;
			g->off = l->off;
		}
		break;
	case NRT_CCL_SP_RECV:
		g->sp = 1;
		g->off = l->off;
		break;
	case NRT_CCL_SP_SCRATCH:
		g->sp = 3;
		g->off = l->off;
		break;
	default:
		return false;
	}
	g->len = len;
	return len != 0;
}

static bool nrt_ccl_overlap(const struct nrt_ccl_rng *a, const struct nrt_ccl_rng *b)
{
	return a->sp == b->sp && a->off < b->off + b->len && b->off < a->off + a->len;
}

/* What an op reads (up to 2) and writes (at most 1) of the rank's memory. */
struct nrt_ccl_rw {
	struct nrt_ccl_rng r[2], w[1];
	unsigned int nr, nw;
};

static void nrt_ccl_rw_of(const struct nrt_ccl_plan *p, uint32_t i, struct nrt_ccl_rw *rw)
{
	const struct nrt_ccl_op *op = &p->ops[i];

	memset(rw, 0, sizeof(*rw));
	switch (op->kind) {
	case NRT_CCL_OP_SEND:
		rw->nr += nrt_ccl_rng_of(p, &op->src, op->len, &rw->r[rw->nr]);
		break;
	case NRT_CCL_OP_RECV:
		if (op->act == NRT_CCL_ACT_REDUCE)
			rw->nr += nrt_ccl_rng_of(p, &op->a, op->len, &rw->r[rw->nr]);
		if (op->act != NRT_CCL_ACT_NONE)
			rw->nw += nrt_ccl_rng_of(p, &op->dst, op->len, &rw->w[rw->nw]);
		break;
	case NRT_CCL_OP_COPY:
		rw->nr += nrt_ccl_rng_of(p, &op->src, op->len, &rw->r[rw->nr]);
		rw->nw += nrt_ccl_rng_of(p, &op->dst, op->len, &rw->w[rw->nw]);
		break;
	}
}

static bool nrt_ccl_conflict(const struct nrt_ccl_rw *later, const struct nrt_ccl_rw *earlier)
{
	unsigned int i, j;

	for (i = 0; i < later->nw; i++) {
		for (j = 0; j < earlier->nr; j++)
			if (nrt_ccl_overlap(&later->w[i], &earlier->r[j]))
				return true;
		for (j = 0; j < earlier->nw; j++)
			if (nrt_ccl_overlap(&later->w[i], &earlier->w[j]))
				return true;
	}
	for (i = 0; i < later->nr; i++)
		for (j = 0; j < earlier->nw; j++)
			if (nrt_ccl_overlap(&later->r[i], &earlier->w[j]))
				return true;
	return false;
}

/*
 * The op whose result @l (@len bytes) is: the latest earlier writer, which
 * must write all of it; NONE for the caller's data (or a local copy of it).
 * Return: false if a writer covers only part of it.
 */
static bool nrt_ccl_producer(const struct nrt_ccl_plan *p, const struct nrt_ccl_rw *rws,
			     uint32_t i, const struct nrt_ccl_loc *l, uint64_t len,
			     int32_t *out)
{
	struct nrt_ccl_rng g;
	uint32_t j;

	*out = NRT_CCL_NONE;
	if (!nrt_ccl_rng_of(p, l, len, &g))
		return true;
	for (j = i; j-- > 0;) {
		const struct nrt_ccl_rng *x = &rws[j].w[0];

		if (!rws[j].nw || !nrt_ccl_overlap(x, &g))
			continue;
		if (x->off > g.off || x->off + x->len < g.off + g.len)
			return false;
		if (p->ops[j].kind == NRT_CCL_OP_RECV)
			*out = (int32_t)j;
		return true;
	}
	return true;
}

static nrt_status nrt_ccl_deps(struct nrt_ccl_sched *s, unsigned int r)
{
	struct nrt_ccl_plan *p = &s->plans[r];
	unsigned int nengines = 2 * s->n + s->args.ncores + 1, core = 0;
	struct nrt_ccl_rw *rws = calloc((size_t)p->n + 1, sizeof(*rws));
	int32_t *latest = calloc(nengines, sizeof(*latest));
	nrt_status st = NRT_SUCCESS;
	uint32_t i, j, e;

	if (!rws || !latest) {
		st = nrt_fail(NRT_RESOURCE, "out of memory");
		goto out;
	}
	for (i = 0; i < p->n; i++) {
		p->ops[i].engine = nrt_ccl_engine(s, &p->ops[i], &core);
		nrt_ccl_rw_of(p, i, &rws[i]);
		if (p->ops[i].act == NRT_CCL_ACT_REDUCE)
			p->nreduce++;
	}
	for (i = 0; i < p->n && st == NRT_SUCCESS; i++) {
		struct nrt_ccl_op *op = &p->ops[i];

		for (e = 0; e < nengines; e++)
			latest[e] = -1;
		for (j = 0; j < i; j++) {
			if (p->ops[j].engine != op->engine &&
			    nrt_ccl_conflict(&rws[i], &rws[j]))
				latest[p->ops[j].engine] = (int32_t)j;
		}
		op->deps = p->ndeps;
		op->ndeps = 0;
		for (e = 0; e < nengines; e++) {
			if (latest[e] < 0)
				continue;
			if (p->ndeps == p->capdeps) {
				uint32_t c = p->capdeps ? 2 * p->capdeps : 256;
				uint32_t *d = realloc(p->deps, c * sizeof(*d));

				if (!d) {
					st = nrt_fail(NRT_RESOURCE, "out of memory");
					break;
				}
				p->deps = d;
				p->capdeps = c;
			}
			p->deps[p->ndeps++] = (uint32_t)latest[e];
			op->ndeps++;
		}
		if (st != NRT_SUCCESS)
			break;
		if ((op->kind == NRT_CCL_OP_SEND &&
		     !nrt_ccl_producer(p, rws, i, &op->src, op->len, &op->vsrc)) ||
		    (op->act == NRT_CCL_ACT_REDUCE &&
		     !nrt_ccl_producer(p, rws, i, &op->a, op->len, &op->va)))
			st = nrt_fail(NRT_FAILURE,
				      "schedule: rank %u op %u reads data that several ops wrote", r, i);
		if (op->kind == NRT_CCL_OP_COPY && op->src.space != NRT_CCL_SP_SEND)
			st = nrt_fail(NRT_FAILURE, "schedule: rank %u op %u copies produced data",
				      r, i);
	}
out:
	free(rws);
	free(latest);
	return st;
}

static nrt_status nrt_ccl_sched_finish(struct nrt_ccl_sched *s)
{
	nrt_status st = NRT_SUCCESS;
	unsigned int r;

	for (r = 0; r < s->n && st == NRT_SUCCESS; r++)
		st = nrt_ccl_sort(&s->plans[r]);
	for (r = 0; r < s->n && st == NRT_SUCCESS; r++)
		st = nrt_ccl_scratch(&s->plans[r]);
	if (st == NRT_SUCCESS)
		st = nrt_ccl_channels(s);
	for (r = 0; r < s->n && st == NRT_SUCCESS; r++)
		st = nrt_ccl_deps(s, r);
	return st;
}

void nrt_ccl_sched_free(struct nrt_ccl_sched *s)
{
	unsigned int r;

	if (!s)
		return;
	for (r = 0; s->plans && r < s->n; r++) {
		free(s->plans[r].ops);
		free(s->plans[r].deps);
		free(s->plans[r].sent);
	}
	free(s->plans);
	free(s);
}

/* How a rank's SEND offsets alias its RECV offsets, in place. */
static void nrt_ccl_alias(struct nrt_ccl_sched *s)
{
	const struct nrt_ccl_args *a = &s->args;
	uint64_t bytes = a->count * a->esz;
	unsigned int r;

	for (r = 0; r < s->n; r++) {
		struct nrt_ccl_plan *p = &s->plans[r];

		p->aliased = a->in_place && a->coll != NRT_CCL_ALL_TO_ALL &&
			     a->coll != NRT_CCL_SEND_RECV;
		if (a->coll == NRT_CCL_REDUCE_SCATTER)
			p->alias = -(int64_t)(r * bytes);
		else if (a->coll == NRT_CCL_ALL_GATHER)
			p->alias = (int64_t)(r * bytes);
	}
}

/* The plans of @s emptied, for building again. */
static void nrt_ccl_sched_reset(struct nrt_ccl_sched *s)
{
	unsigned int r;

	for (r = 0; r < s->n; r++) {
		struct nrt_ccl_plan *p = &s->plans[r];

		p->n = 0;
		p->ndeps = 0;
		p->nreduce = 0;
		memset(p->sent, 0, 2 * (size_t)s->n * sizeof(*p->sent));
	}
}

nrt_status nrt_ccl_sched_build(const struct nrt_ccl_topo *t,
			       const struct nrt_ccl_args *args,
			       struct nrt_ccl_sched **out)
{
	struct nrt_ccl_sched *s = calloc(1, sizeof(*s));
	nrt_status st = NRT_SUCCESS;
	bool ok = false;
	unsigned int r, attempt;

	if (!s)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	s->n = t->n;
	s->args = *args;
	if (!s->args.ncores)
		s->args.ncores = 1;
	if (!s->args.nslots)
		s->args.nslots = 1;
	s->plans = calloc(t->n, sizeof(*s->plans));
	if (!s->plans) {
		nrt_ccl_sched_free(s);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	for (r = 0; r < t->n; r++) {
		s->plans[r].sent = calloc(2 * (size_t)t->n, sizeof(uint32_t));
		if (!s->plans[r].sent) {
			nrt_ccl_sched_free(s);
			return nrt_fail(NRT_RESOURCE, "out of memory");
		}
		s->plans[r].rcvd = s->plans[r].sent + t->n;
	}
	if (args->algo == NRT_CCL_ALGO_TORUS2D && !t->grid)
		st = nrt_fail(NRT_UNSUPPORTED,
			      "algorithm torus2d: the ranks' devices are not cabled as a torus");
	nrt_ccl_alias(s);
	/*
	 * The fewest jobs with which the ranks progress: reductions that push
	 * on and forwards in one job each, then forwards only, then neither.
	 */
	for (attempt = 0; attempt < 3 && st == NRT_SUCCESS; attempt++) {
		nrt_ccl_sched_reset(s);
		st = nrt_ccl_algo_build(s, t, attempt == 2, attempt == 0);
		if (st == NRT_SUCCESS)
			st = nrt_ccl_sched_finish(s);
		if (st == NRT_SUCCESS && nrt_ccl_sched_check_progress(s, s->args.nslots)) {
			ok = true;
			break;
		}
	}
	if (st == NRT_SUCCESS && !ok)
		st = nrt_fail(NRT_FAILURE,
			      "schedule: %s of %u ranks would wait forever with %u slots per channel",
			      nrt_ccl_coll_name(args->coll), t->n, s->args.nslots);
	if (st != NRT_SUCCESS) {
		nrt_ccl_sched_free(s);
		return st;
	}
	*out = s;
	return NRT_SUCCESS;
}

struct nrt_ccl_seqs {
	bool *done;
	uint32_t prefix, size;
};

static void nrt_ccl_seqs_mark(struct nrt_ccl_seqs *q, uint32_t seq)
{
	if (seq >= q->size)
		return;
	q->done[seq] = true;
	while (q->prefix + 1 < q->size && q->done[q->prefix + 1])
		q->prefix++;
}

bool nrt_ccl_sched_check_progress(const struct nrt_ccl_sched *s, unsigned int nslots)
{
	unsigned int n = s->n, r, c;
	/* sent[a * n + b]: seqs a submitted to b; freed[b * n + a]: b gave back */
	struct nrt_ccl_seqs *sent = calloc((size_t)n * n, sizeof(*sent));
	struct nrt_ccl_seqs *freed = calloc((size_t)n * n, sizeof(*freed));
	uint32_t *pos = calloc(n, sizeof(*pos));
	bool moved = true, done = false;

	if (!sent || !freed || !pos)
		goto out;
	for (c = 0; c < n * n; c++) {
		uint32_t a = c / n, b = c % n;

		sent[c].size = s->plans[a].sent[b] + 1;
		freed[c].size = s->plans[b].sent[a] + 1;
		sent[c].done = calloc(sent[c].size, sizeof(bool));
		freed[c].done = calloc(freed[c].size, sizeof(bool));
		if (!sent[c].done || !freed[c].done)
			goto out;
	}
	while (moved) {
		moved = false;
		done = true;
		for (r = 0; r < n; r++) {
			const struct nrt_ccl_plan *p = &s->plans[r];

			while (pos[r] < p->n) {
				const struct nrt_ccl_op *op = &p->ops[pos[r]];

				if (op->kind == NRT_CCL_OP_SEND &&
				    op->seq > nslots &&
				    freed[op->peer * n + r].prefix < op->seq - nslots)
					break;
				if (op->kind == NRT_CCL_OP_RECV) {
					if (sent[op->peer * n + r].prefix < op->seq)
						break;
					if (op->fwd != NRT_CCL_NONE && op->fwd_seq > nslots &&
					    freed[op->fwd * n + r].prefix < op->fwd_seq - nslots)
						break;
				}
				if (op->kind == NRT_CCL_OP_SEND)
					nrt_ccl_seqs_mark(&sent[r * n + op->peer], op->seq);
				if (op->kind == NRT_CCL_OP_RECV && op->fwd != NRT_CCL_NONE)
					nrt_ccl_seqs_mark(&sent[r * n + op->fwd], op->fwd_seq);
				if (op->kind == NRT_CCL_OP_RECV)
					nrt_ccl_seqs_mark(&freed[r * n + op->peer], op->seq);
				pos[r]++;
				moved = true;
			}
			if (pos[r] < p->n)
				done = false;
		}
		if (done)
			break;
	}
out:
	for (c = 0; sent && freed && c < n * n; c++) {
		free(sent[c].done);
		free(freed[c].done);
	}
	free(sent);
	free(freed);
	free(pos);
	return done;
}
