// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The algorithms of collectives, as transfers between ranks: every rank's
 * operations (struct nrt_ccl_op, nrt_ccl_sched.h) with their keys, before
 * nrt_ccl_sched.c orders them and works out channels and dependencies.
 *
 * The builders below describe an algorithm as transfers: b_xfer() moves a
 * piece from one rank to another with an action at the destination
 * (relayed by the ranks between when they are not neighbours), b_path()
 * forwards a piece along a chain of ranks that each keep a copy. Every
 * operation gets a key, the time step at which it runs: a hop sent at key
 * k is received at key k + 1. Partial results without room in the receive
 * buffer get virtual scratch ranges of their rank, which nrt_ccl_sched.c
 * turns into real ones once the order is known.
 *
 * The algorithms (Documentation/collectives.rst has diagrams):
 *
 * - ring: reduce-scatter then all-gather around the ring, the buffer in as
 *   many parts as ranks, each part in pieces of at most args->piece bytes;
 *   at every step every rank sends one part to its successor, so every
 *   link of the ring works at once, and pieces pipeline the steps;
 * - torus2d (all-reduce): ring reduce-scatter along each row, ring
 *   all-reduce of the row's part along each column, ring all-gather along
 *   each row;
 * - tree (small all-reduce): two chains fold towards ring[0], which
 *   broadcasts the result back along both;
 * - chain (deterministic): every piece is folded in rank order, rank 0 to
 *   rank n-1, then broadcast (or scattered) from rank n-1;
 * - broadcast: the root sends along the ring both ways, half the ranks on
 *   each side; reduce: one chain along the ring that ends at the root;
 *   all-to-all: every block on a shortest path; a message: one hop.
 */
#include <stdlib.h>
#include <string.h>

#include "nrt_ccl_sched.h"
#include "nrt_error.h"

/* ------------------------------------------------------------------------
 * Building
 */

struct nrt_ccl_b {
	struct nrt_ccl_sched *s;
	const struct nrt_ccl_topo *t;
	const struct nrt_ccl_args *a;
	uint32_t gen;
	uint32_t hop;
	uint64_t pk;            /* the piece offset of the keys being made */
	uint64_t *scratch_pos;  /* per rank: next virtual scratch offset */
	bool split;             /* forward as a copy then a SEND (see below) */
	bool fuse;              /* reductions push their results on (b_ring_rs()) */
	int32_t last_recv;      /* the index of the last RECV made, in its plan */
	nrt_status st;
};

static struct nrt_ccl_loc loc(uint8_t space, uint64_t off)
{
	struct nrt_ccl_loc l = { .space = space, .off = off };

	return l;
}

/*
 * Room for @len bytes in @rank's scratch area: a virtual range of its own,
 * which nrt_ccl_scratch() turns into a real one once the order is known.
 */
static struct nrt_ccl_loc b_scratch(struct nrt_ccl_b *b, unsigned int rank, uint64_t len)
{
	uint64_t *pos = &b->scratch_pos[rank];

	*pos += len;
	return loc(NRT_CCL_SP_SCRATCH, *pos - len);
}

/* Append @op to @rank's plan; Return: its index, or -1 (b->st set). */
static int32_t b_op(struct nrt_ccl_b *b, unsigned int rank, struct nrt_ccl_op *op)
{
	struct nrt_ccl_plan *p = &b->s->plans[rank];

	if (b->st != NRT_SUCCESS)
		return -1;
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? 2 * p->cap : 64;
		struct nrt_ccl_op *ops;

		if (cap > (UINT32_MAX >> 4)) {
			b->st = nrt_fail(NRT_RESOURCE, "schedule: too many operations");
			return -1;
		}
		ops = realloc(p->ops, cap * sizeof(*ops));
		if (!ops) {
			b->st = nrt_fail(NRT_RESOURCE, "out of memory");
			return -1;
		}
		p->ops = ops;
		p->cap = cap;
	}
	op->gen = b->gen++;
	op->vsrc = NRT_CCL_NONE;
	op->va = NRT_CCL_NONE;
	p->ops[p->n] = *op;
	return (int32_t)p->n++;
}

static void b_send(struct nrt_ccl_b *b, unsigned int rank, uint64_t key,
		   unsigned int to, struct nrt_ccl_loc src, uint64_t len, uint32_t *hop)
{
	struct nrt_ccl_op op = {
		.kind = NRT_CCL_OP_SEND, .peer = (int32_t)to, .fwd = NRT_CCL_NONE,
		.src = src, .len = len, .key = key, .stage = key - b->pk,
	};

	op.out_hop = *hop = ++b->hop;
	b_op(b, rank, &op);
}

/* What the final receiver of a transfer does with it. */
struct nrt_ccl_dest {
	uint8_t act;
	struct nrt_ccl_loc dst;
	struct nrt_ccl_loc a;
	bool scale;
};

static void b_recv(struct nrt_ccl_b *b, unsigned int rank, uint64_t key,
		   unsigned int from, uint32_t in_hop, const struct nrt_ccl_dest *d,
		   int32_t fwd, uint64_t len, uint32_t *out_hop)
{
	struct nrt_ccl_op op = {
		.kind = NRT_CCL_OP_RECV, .act = d->act, .peer = (int32_t)from,
		.fwd = fwd, .dst = d->dst, .a = d->a, .scale = d->scale, .len = len,
		.key = key, .stage = key - b->pk, .hop = in_hop,
	};

	if (fwd != NRT_CCL_NONE)
		op.out_hop = *out_hop = ++b->hop;
	b->last_recv = b_op(b, rank, &op);
}

static void b_copy(struct nrt_ccl_b *b, unsigned int rank, struct nrt_ccl_loc dst,
		   struct nrt_ccl_loc src, uint64_t len)
{
	struct nrt_ccl_op op = {
		.kind = NRT_CCL_OP_COPY, .peer = NRT_CCL_NONE, .fwd = NRT_CCL_NONE,
		.dst = dst, .src = src, .len = len,
	};

	if (len)
		b_op(b, rank, &op);
}

static unsigned int b_next(const struct nrt_ccl_b *b, unsigned int from,
			   unsigned int to)
{
	return (unsigned int)b->t->next[from * b->t->n + to];
}

/* Hops between two ranks. */
static unsigned int b_dist(const struct nrt_ccl_b *b, unsigned int from,
			   unsigned int to)
{
	unsigned int d = 0;

	while (from != to) {
		from = b_next(b, from, to);
		d++;
	}
	return d;
}

static const struct nrt_ccl_dest nrt_ccl_relay = { .act = NRT_CCL_ACT_NONE };

/*
 * Receive a transfer (*@hop) on @rank from @from, do @d with it, and send
 * it on to @to: one RECV that pushes the slot on in the same job; or, when
 * b->split, a RECV that copies the slot (to @d's destination, or scratch
 * for a relay) and a SEND from there. The single job keeps its slot until
 * the slot downstream is free, which with few slots can wait around a
 * cycle of ranks forever: nrt_ccl_sched_build() splits the schedules that
 * would. *@hop receives the transfer sent on.
 */
static void b_fwd(struct nrt_ccl_b *b, unsigned int rank, uint64_t key,
		  unsigned int from, uint32_t *hop, const struct nrt_ccl_dest *d,
		  unsigned int to, uint64_t len)
{
	struct nrt_ccl_dest copy = *d;
	uint32_t in = *hop;

	if (!b->split) {
		b_recv(b, rank, key, from, in, d, (int32_t)to, len, hop);
		return;
	}
	if (copy.act == NRT_CCL_ACT_NONE) {
		copy.act = NRT_CCL_ACT_COPY;
		copy.dst = b_scratch(b, rank, len);
	}
	b_recv(b, rank, key, from, in, &copy, NRT_CCL_NONE, len, NULL);
	b_send(b, rank, key, to, copy.dst, len, hop);
}

/*
 * Move @len bytes at @src on @from to @to, where @d says what happens to
 * them: a SEND on @from, relays on the ranks between, a RECV on @to. Keys:
 * @key on @from, one more per hop. Return: the key of the RECV on @to.
 */
static uint64_t b_xfer(struct nrt_ccl_b *b, uint64_t key, unsigned int from,
		       struct nrt_ccl_loc src, unsigned int to,
		       const struct nrt_ccl_dest *d, uint64_t len)
{
	unsigned int prev = from, cur = b_next(b, from, to);
	uint32_t hop;

	b_send(b, from, key, cur, src, len, &hop);
	while (cur != to) {
		unsigned int nxt = b_next(b, cur, to);

		key++;
		b_fwd(b, cur, key, prev, &hop, &nrt_ccl_relay, nxt, len);
		prev = cur;
		cur = nxt;
	}
	b_recv(b, to, key + 1, prev, hop, d, NRT_CCL_NONE, len, NULL);
	return key + 1;
}

/*
 * Forward @len bytes from @nodes[0] (at @src there) along the chain
 * @nodes[1..count-1], each of which copies them to @dst: a RECV that
 * copies and pushes on in one job (the last one only copies), relays
 * where two nodes are not neighbours.
 */
static void b_path(struct nrt_ccl_b *b, uint64_t key, const unsigned int *nodes,
		   unsigned int count, struct nrt_ccl_loc src,
		   struct nrt_ccl_loc dst, uint64_t len)
{
	struct nrt_ccl_dest copy = { .act = NRT_CCL_ACT_COPY, .dst = dst };
	unsigned int i, prev = nodes[0], cur;
	uint32_t hop;

	if (count < 2)
		return;
	cur = b_next(b, prev, nodes[1]);
	b_send(b, prev, key, cur, src, len, &hop);
	for (i = 1; i < count; i++) {
		uint32_t in;

		/* Walk to nodes[i], relaying; then copy, and go on if not last */
		while (cur != nodes[i]) {
			unsigned int nxt = b_next(b, cur, nodes[i]);

			key++;
			b_fwd(b, cur, key, prev, &hop, &nrt_ccl_relay, nxt, len);
			prev = cur;
			cur = nxt;
		}
		key++;
		if (i + 1 < count) {
			unsigned int nxt = b_next(b, cur, nodes[i + 1]);

			b_fwd(b, cur, key, prev, &hop, &copy, nxt, len);
			prev = cur;
			cur = nxt;
		} else {
			in = hop;
			b_recv(b, cur, key, prev, in, &copy, NRT_CCL_NONE, len, NULL);
		}
	}
}

/* Pieces: @len bytes in pieces of at most args->piece bytes, whole elements. */
static uint64_t b_piece_bytes(const struct nrt_ccl_b *b)
{
	uint64_t p = b->a->piece / b->a->esz * b->a->esz;

	return p ? p : b->a->esz;
}

static unsigned int b_npieces(const struct nrt_ccl_b *b, uint64_t len)
{
	uint64_t p = b_piece_bytes(b);

	return (unsigned int)((len + p - 1) / p);
}

static void b_piece(const struct nrt_ccl_b *b, uint64_t len, unsigned int k,
		    uint64_t *off, uint64_t *plen)
{
	uint64_t p = b_piece_bytes(b);

	*off = (uint64_t)k * p;
	*plen = len - *off < p ? len - *off : p;
}

/* Part @i of @m of @elems elements: its first element and count. */
static void b_part(uint64_t elems, unsigned int m, unsigned int i,
		   uint64_t *first, uint64_t *count)
{
	uint64_t q = elems / m, r = elems % m;

	*first = i * q + (i < r ? i : r);
	*count = q + (i < r);
}

/*
 * The parts of a ring algorithm: part i starts (or ends) on position i.
 * @loc: the part's offset in @loc_space on every rank (the local data of
 *	a reduction, or the source of an all-gather on its owner)
 * @out: its offset in RECV, where the result goes
 * @partials_in_out: partial results go to RECV at @out (an all-reduce,
 *	whose receive buffer is free until the result arrives), else to the
 *	scratch area
 * @sub: pieces are cut within @sub equal sub-parts of every part, so that
 *	they line up with the parts of a later phase (the torus's columns)
 */
struct nrt_ccl_parts {
	unsigned int m;
	unsigned int sub;
	uint8_t loc_space;
	bool partials_in_out;
	uint64_t *loc;
	uint64_t *out;
	uint64_t *len;
};

static bool b_parts_alloc(struct nrt_ccl_b *b, struct nrt_ccl_parts *p, unsigned int m)
{
	memset(p, 0, sizeof(*p));
	p->m = m;
	p->sub = 1;
	p->loc = calloc(3 * (size_t)m, sizeof(uint64_t));
	if (!p->loc) {
		b->st = nrt_fail(NRT_RESOURCE, "out of memory");
		return false;
	}
	p->out = p->loc + m;
	p->len = p->out + m;
	return true;
}

/* Parts of @bytes at @base in both spaces, split evenly in elements. */
static bool b_parts_even(struct nrt_ccl_b *b, struct nrt_ccl_parts *p,
			 unsigned int m, uint8_t space, uint64_t base, uint64_t bytes)
{
	size_t esz = b->a->esz;
	unsigned int i;

	if (!b_parts_alloc(b, p, m))
		return false;
	p->loc_space = space;
	p->partials_in_out = true;
	for (i = 0; i < m; i++) {
		uint64_t first, count;

		b_part(bytes / esz, m, i, &first, &count);
		p->loc[i] = p->out[i] = base + first * esz;
		p->len[i] = count * esz;
	}
	return true;
}

/* Pieces of part @o: those of each of its sub-parts in turn. */
static unsigned int b_part_pieces(const struct nrt_ccl_b *b,
				  const struct nrt_ccl_parts *p, unsigned int o)
{
	uint64_t first, count;
	unsigned int j, n = 0;

	for (j = 0; j < p->sub; j++) {
		b_part(p->len[o] / b->a->esz, p->sub, j, &first, &count);
		n += b_npieces(b, count * b->a->esz);
	}
	return n;
}

static void b_part_piece(const struct nrt_ccl_b *b, const struct nrt_ccl_parts *p,
			 unsigned int o, unsigned int k, uint64_t *off, uint64_t *len)
{
	uint64_t first, count;
	unsigned int j, np;

	for (j = 0; j < p->sub; j++) {
		b_part(p->len[o] / b->a->esz, p->sub, j, &first, &count);
		np = b_npieces(b, count * b->a->esz);
		if (k < np) {
			b_piece(b, count * b->a->esz, k, off, len);
			*off += first * b->a->esz;
			return;
		}
		k -= np;
	}
	*off = *len = 0;
}

/* Most pieces of a part. */
static unsigned int b_max_pieces(const struct nrt_ccl_b *b, const struct nrt_ccl_parts *p)
{
	unsigned int o, k = 0;

	for (o = 0; o < p->m; o++)
		if (b_part_pieces(b, p, o) > k)
			k = b_part_pieces(b, p, o);
	return k;
}

/* Longest hop count between consecutive nodes of a cycle. */
static unsigned int b_cycle_span(const struct nrt_ccl_b *b, const unsigned int *nodes,
				 unsigned int m)
{
	unsigned int i, span = 1;

	for (i = 0; i < m && m > 1; i++) {
		unsigned int d = b_dist(b, nodes[i], nodes[(i + 1) % m]);

		if (d > span)
			span = d;
	}
	return span;
}

/*
 * Ring reduce-scatter around @nodes (m ranks, a cycle): part o ends on
 * nodes[o], folded in ring order from nodes[o + 1]: at each step a rank
 * reduces the piece it received with its own and sends the partial result
 * on at the next.
 *
 * Piece k of step s moves at key (s * kmax + k) * span: one transfer per
 * channel and key, so that a rank never sends more than the receiver's
 * slots hold before the receiver's turn comes (the steps still overlap on
 * the devices, piece by piece, through the dependencies).
 *
 * With b->fuse, where the ring is cabled all round (span 1), the reduction
 * that makes a partial result also pushes it on in the same job
 * (fwd_dst), instead of a SEND of its own: one job a step instead of two.
 * The pushes keep their keys, so the reductions take the keys of the
 * pushes they make (step s + 1's), the last ones those after them; every
 * channel still carries one transfer a key, in the same order.
 * Return: the key after the steps.
 */
static uint64_t b_ring_rs(struct nrt_ccl_b *b, const unsigned int *nodes,
			  const struct nrt_ccl_parts *p, bool scale, uint64_t key0)
{
	unsigned int m = p->m, span = b_cycle_span(b, nodes, m);
	unsigned int s, k, q, kmax = b_max_pieces(b, p);
	size_t cells = (size_t)m * (kmax ? kmax : 1);
	bool fuse = span == 1 && b->fuse;
	struct nrt_ccl_loc *held, *next;
	int32_t *held_op, *next_op;

	if (m < 2)
		return key0;
	held = calloc(2 * cells, sizeof(*held));
	held_op = calloc(2 * cells, sizeof(*held_op));
	if (!held || !held_op) {
		free(held);
		free(held_op);
		b->st = nrt_fail(NRT_RESOURCE, "out of memory");
		return key0;
	}
	next = held + cells;
	next_op = held_op + cells;
	b->pk = 0;
	for (s = 0; s + 1 < m; s++) {
		for (k = 0; k < cells; k++)
			next_op[k] = -1;
		for (k = 0; k < kmax; k++) {
			for (q = 0; q < m; q++) {
				/* Position q sends part o to position q + 1 */
				unsigned int o = (q + 2 * m - s - 1) % m, to = (q + 1) % m;
				struct nrt_ccl_dest d = { .act = NRT_CCL_ACT_REDUCE };
				int32_t prod = s ? held_op[(size_t)q * kmax + k] : -1;
				struct nrt_ccl_loc src;
				uint64_t off, len;
				uint32_t hop;

				if (k >= b_part_pieces(b, p, o))
					continue;
				b_part_piece(b, p, o, k, &off, &len);
				src = s ? held[(size_t)q * kmax + k] : loc(p->loc_space, p->loc[o] + off);
				d.a = loc(p->loc_space, p->loc[o] + off);
				if (s + 2 == m || p->partials_in_out) {
					d.dst = loc(NRT_CCL_SP_RECV, p->out[o] + off);
					d.scale = scale && s + 2 == m;
				} else {
					d.dst = b_scratch(b, nodes[to], len);
				}
				next[(size_t)to * kmax + k] = d.dst;
				if (!fuse) {
					b_xfer(b, key0 + ((uint64_t)s * kmax + k) * span, nodes[q], src,
					       nodes[to], &d, len);
					continue;
				}
				b->last_recv = -1;
				if (!s) {
					b_send(b, nodes[q], key0 + k, nodes[to], src, len, &hop);
					b_recv(b, nodes[to], key0 + kmax + k, nodes[q], hop, &d,
					       NRT_CCL_NONE, len, NULL);
				} else if (prod >= 0 && b->st == NRT_SUCCESS) {
					struct nrt_ccl_op *po = &b->s->plans[nodes[q]].ops[prod];

					po->fwd = (int32_t)nodes[to];
					po->fwd_dst = true;
					po->out_hop = hop = ++b->hop;
					b_recv(b, nodes[to], key0 + (uint64_t)(s + 1) * kmax + k, nodes[q],
					       hop, &d, NRT_CCL_NONE, len, NULL);
				}
				next_op[(size_t)to * kmax + k] = b->last_recv;
			}
		}
		memcpy(held, next, cells * sizeof(*held));
		memcpy(held_op, next_op, cells * sizeof(*held_op));
	}
	free(held);
	free(held_op);
	if (fuse)
		return key0 + (uint64_t)m * kmax;
	return key0 + (uint64_t)(m - 1) * kmax * span;
}

/*
 * Ring all-gather around @nodes: part o starts at @p->loc[o] in
 * @p->loc_space on nodes[o] and goes around the ring into RECV at
 * @p->out[o]. Piece k from key @key0 + k * (m - 1) * span: one transfer
 * per channel and key. Return: the key after the steps.
 */
static uint64_t b_ring_ag(struct nrt_ccl_b *b, const unsigned int *nodes,
			  const struct nrt_ccl_parts *p, uint64_t key0)
{
	unsigned int m = p->m, span = b_cycle_span(b, nodes, m);
	unsigned int *chain, k, o, i, kmax = b_max_pieces(b, p);

	if (m < 2)
		return key0;
	chain = calloc(m, sizeof(*chain));
	if (!chain) {
		b->st = nrt_fail(NRT_RESOURCE, "out of memory");
		return key0;
	}
	b->pk = 0;
	for (k = 0; k < kmax; k++) {
		for (o = 0; o < m; o++) {
			uint64_t off, len;

			if (k >= b_part_pieces(b, p, o))
				continue;
			b_part_piece(b, p, o, k, &off, &len);
			for (i = 0; i < m; i++)
				chain[i] = nodes[(o + i) % m];
			b_path(b, key0 + (uint64_t)k * (m - 1) * span, chain, m,
			       loc(p->loc_space, p->loc[o] + off),
			       loc(NRT_CCL_SP_RECV, p->out[o] + off), len);
		}
	}
	free(chain);
	return key0 + (uint64_t)kmax * (m - 1) * span;
}

/*
 * From position @rootpos of the cycle @nodes both ways, half the ranks on
 * each side: @src on the root, copied to @dst everywhere else.
 */
static void b_bcast2(struct nrt_ccl_b *b, uint64_t key, const unsigned int *nodes,
		     unsigned int m, unsigned int rootpos, struct nrt_ccl_loc src,
		     struct nrt_ccl_loc dst, uint64_t len)
{
	unsigned int *chain = calloc(m, sizeof(*chain));
	unsigned int h = m / 2, i;

	if (!chain) {
		b->st = nrt_fail(NRT_RESOURCE, "out of memory");
		return;
	}
	/* Forward: rootpos .. rootpos + h; backward: rootpos - 1 .. */
	for (i = 0; i <= h; i++)
		chain[i] = nodes[(rootpos + i) % m];
	b_path(b, key, chain, h + 1, src, dst, len);
	for (i = 0; i < m - h; i++)
		chain[i] = nodes[(rootpos + m - i) % m];
	b_path(b, key, chain, m - h, src, dst, len);
	free(chain);
}

/* The ring for the ring algorithms: cabled, or in rank order with relays. */
static const unsigned int *b_ring(const struct nrt_ccl_b *b)
{
	return b->t->ring;
}

static void b_all_reduce_ring(struct nrt_ccl_b *b, uint64_t bytes)
{
	struct nrt_ccl_parts p;
	uint64_t key;

	if (!b_parts_even(b, &p, b->t->n, NRT_CCL_SP_SEND, 0, bytes))
		return;
	key = b_ring_rs(b, b_ring(b), &p, b->a->redop == NRT_REDOP_AVG, 0);
	p.loc_space = NRT_CCL_SP_RECV;
	b_ring_ag(b, b_ring(b), &p, key);
	free(p.loc);
}

static void b_all_reduce_torus(struct nrt_ccl_b *b, uint64_t bytes)
{
	const struct nrt_ccl_topo *t = b->t;
	unsigned int R = t->rows, C = t->cols, r, c;
	unsigned int *line = calloc(C > R ? C : R, sizeof(*line));
	struct nrt_ccl_parts rp, cp;
	uint64_t k1 = 0, k2 = 0, end;

	if (!line) {
		b->st = nrt_fail(NRT_RESOURCE, "out of memory");
		return;
	}
	if (!b_parts_even(b, &rp, C, NRT_CCL_SP_SEND, 0, bytes)) {
		free(line);
		return;
	}
	/* Row pieces line up with the column phase's parts */
	rp.sub = R;
	/* 1: reduce-scatter along every row: column c owns row part c */
	for (r = 0; r < R; r++) {
		for (c = 0; c < C; c++)
			line[c] = t->grid[r * C + c];
		k1 = b_ring_rs(b, line, &rp, false, 0);
	}
	/* 2: all-reduce of part c along column c */
	for (c = 0; c < C && b->st == NRT_SUCCESS; c++) {
		for (r = 0; r < R; r++)
			line[r] = t->grid[r * C + c];
		if (!b_parts_even(b, &cp, R, NRT_CCL_SP_RECV, rp.out[c], rp.len[c]))
			break;
		end = b_ring_rs(b, line, &cp, b->a->redop == NRT_REDOP_AVG, k1);
		end = b_ring_ag(b, line, &cp, end);
		/* The row phase starts after the longest column's */
		if (end > k2)
			k2 = end;
		free(cp.loc);
	}
	/* 3: all-gather along every row */
	rp.loc_space = NRT_CCL_SP_RECV;
	for (r = 0; r < R; r++) {
		for (c = 0; c < C; c++)
			line[c] = t->grid[r * C + c];
		b_ring_ag(b, line, &rp, k2);
	}
	free(rp.loc);
	free(line);
}

/*
 * Tree: chain A folds positions h, h-1, .., 1 and chain B h+1, .., m-1
 * towards position 0, which combines A with its own data, then B with
 * that, and broadcasts the result both ways. Per piece, pipelined; the
 * partial results go to the receive buffers.
 */
static void b_all_reduce_tree(struct nrt_ccl_b *b, uint64_t bytes)
{
	const unsigned int *ring = b_ring(b);
	unsigned int m = b->t->n, h = m / 2, nb = m - 1 - h, np = b_npieces(b, bytes);
	unsigned int span = b_cycle_span(b, ring, m), k, i;
	bool avg = b->a->redop == NRT_REDOP_AVG;

	for (k = 0; k < np && b->st == NRT_SUCCESS; k++) {
		struct nrt_ccl_loc send, recv;
		uint64_t off, len, key = (uint64_t)k;

		b_piece(b, bytes, k, &off, &len);
		b->pk = k;
		send = loc(NRT_CCL_SP_SEND, off);
		recv = loc(NRT_CCL_SP_RECV, off);
		/* Chain A: position h first, ends on position 0 */
		for (i = h; i >= 1; i--) {
			struct nrt_ccl_dest d = {
				.act = NRT_CCL_ACT_REDUCE, .a = send, .dst = recv,
				.scale = i == 1 && avg && !nb,
			};

			b_xfer(b, key + (uint64_t)(h - i) * span, ring[i],
			       i == h ? send : recv, ring[i - 1], &d, len);
		}
		/* Chain B: starts later so that it ends after A on position 0 */
		for (i = 0; i < nb; i++) {
			unsigned int from = h + 1 + i, to = (from + 1) % m;
			struct nrt_ccl_dest d = {
				.act = NRT_CCL_ACT_REDUCE, .dst = recv,
				.a = to == 0 ? recv : send, .scale = to == 0 && avg,
			};

			b_xfer(b, key + (uint64_t)(h + 1 - nb + i) * span, ring[from],
			       i == 0 ? send : recv, ring[to], &d, len);
		}
		b_bcast2(b, key + (uint64_t)(h + 1) * span, ring, m, 0, recv, recv, len);
	}
}

/*
 * Chain: the piece of @len bytes at @soff of SEND folded in rank order 0,
 * 1, .., n-1; the partial results go to @part on every rank (RECV of an
 * all-reduce, else scratch), rank n-1's result to @dst. Return: the key
 * at which rank n-1 has it.
 */
static uint64_t b_chain_fold(struct nrt_ccl_b *b, uint64_t key, uint64_t soff,
			     uint64_t len, bool in_recv, uint64_t part_off,
			     struct nrt_ccl_loc dst)
{
	unsigned int n = b->t->n, i;
	struct nrt_ccl_loc prev = loc(NRT_CCL_SP_SEND, soff);

	for (i = 1; i < n; i++) {
		struct nrt_ccl_dest d = {
			.act = NRT_CCL_ACT_REDUCE, .a = loc(NRT_CCL_SP_SEND, soff),
		};

		if (i + 1 == n) {
			d.dst = dst;
			d.scale = b->a->redop == NRT_REDOP_AVG;
		} else {
			d.dst = in_recv ? loc(NRT_CCL_SP_RECV, part_off) : b_scratch(b, i, len);
		}
		key = b_xfer(b, key, i - 1, prev, i, &d, len);
		prev = d.dst;
	}
	return key;
}

static void b_chain(struct nrt_ccl_b *b)
{
	const struct nrt_ccl_args *a = b->a;
	unsigned int n = b->t->n, last = n - 1, blk, k;
	uint64_t bytes = a->count * a->esz, key;
	struct nrt_ccl_dest copy = { .act = NRT_CCL_ACT_COPY };

	if (a->coll == NRT_CCL_REDUCE_SCATTER) {
		/* Block by block: rank n-1 keeps its own, sends the others on */
		unsigned int np = b_npieces(b, bytes);

		for (blk = 0; blk < n; blk++) {
			for (k = 0; k < np; k++) {
				struct nrt_ccl_loc dst;
				uint64_t off, len;

				b_piece(b, bytes, k, &off, &len);
				b->pk = (uint64_t)blk * np + k;
				dst = blk == last ? loc(NRT_CCL_SP_RECV, off) : b_scratch(b, last, len);
				key = b_chain_fold(b, b->pk, (uint64_t)blk * bytes + off, len,
						   false, 0, dst);
				if (blk != last) {
					copy.dst = loc(NRT_CCL_SP_RECV, off);
					b_xfer(b, key, last, dst, blk, &copy, len);
				}
			}
		}
		return;
	}
	for (k = 0; k < b_npieces(b, bytes); k++) {
		bool all = a->coll == NRT_CCL_ALL_REDUCE;
		struct nrt_ccl_loc dst;
		uint64_t off, len;

		b_piece(b, bytes, k, &off, &len);
		b->pk = k;
		dst = all || a->root == last ? loc(NRT_CCL_SP_RECV, off) : b_scratch(b, last, len);
		key = b_chain_fold(b, k, off, len, all, off, dst);
		if (all) {
			b_bcast2(b, key, b_ring(b), n, b->t->ring_pos[last], dst, dst, len);
		} else if (a->root != last) {
			copy.dst = loc(NRT_CCL_SP_RECV, off);
			b_xfer(b, key, last, dst, a->root, &copy, len);
		}
	}
}

/* Reduce: one chain along the ring from root + 1 to the root. */
static void b_reduce_ring(struct nrt_ccl_b *b, uint64_t bytes)
{
	const unsigned int *ring = b_ring(b);
	unsigned int m = b->t->n, p0 = b->t->ring_pos[b->a->root], k, i;
	unsigned int span = b_cycle_span(b, ring, m);

	for (k = 0; k < b_npieces(b, bytes); k++) {
		struct nrt_ccl_loc prev;
		uint64_t off, len;

		b_piece(b, bytes, k, &off, &len);
		b->pk = k;
		prev = loc(NRT_CCL_SP_SEND, off);
		for (i = 1; i < m; i++) {
			unsigned int from = ring[(p0 + i) % m], to = ring[(p0 + i + 1) % m];
			struct nrt_ccl_dest d = {
				.act = NRT_CCL_ACT_REDUCE, .a = loc(NRT_CCL_SP_SEND, off),
			};

			if (i + 1 == m) {
				d.dst = loc(NRT_CCL_SP_RECV, off);
				d.scale = b->a->redop == NRT_REDOP_AVG;
			} else {
				d.dst = b_scratch(b, to, len);
			}
			b_xfer(b, k + (uint64_t)(i - 1) * span, from, prev, to, &d, len);
			prev = d.dst;
		}
	}
}

static void b_all_to_all(struct nrt_ccl_b *b)
{
	const unsigned int *ring = b_ring(b);
	unsigned int m = b->t->n, j, p, k;
	uint64_t bb = b->a->count * b->a->esz, np = b_npieces(b, bb), key = 0, span;
	struct nrt_ccl_dest copy = { .act = NRT_CCL_ACT_COPY };

	/* Every transfer in turn: the transfers of a shift share links */
	for (span = 1, p = 0; p < m; p++)
		for (j = 0; j < m; j++)
			if (b_dist(b, p, j) + 1 > span)
				span = b_dist(b, p, j) + 1;
	b->pk = 0;
	for (p = 0; p < m; p++)
		b_copy(b, ring[p], loc(NRT_CCL_SP_RECV, ring[p] * bb),
		       loc(NRT_CCL_SP_SEND, ring[p] * bb), bb);
	for (k = 0; k < np; k++) {
		for (j = 1; j < m; j++) {
			for (p = 0; p < m; p++) {
				unsigned int s = ring[p], d = ring[(p + j) % m];
				uint64_t off, len;

				b_piece(b, bb, k, &off, &len);
				copy.dst = loc(NRT_CCL_SP_RECV, s * bb + off);
				b_xfer(b, key, s, loc(NRT_CCL_SP_SEND, d * bb + off), d, &copy, len);
				key += span;
			}
		}
	}
}

/*
 * The parts of a ring reduce-scatter (@gather false) or all-gather: one
 * block of @bytes per rank, part r for ring position r. The block of rank
 * ring[r] is at ring[r] * @bytes of SEND (reduce-scatter: where each rank
 * holds it) or of RECV (all-gather: where each rank puts it); the other
 * side of the transfer is the rank's own single block at 0.
 */
static bool b_parts_blocks(struct nrt_ccl_b *b, struct nrt_ccl_parts *p, bool gather,
			   uint64_t bytes)
{
	const struct nrt_ccl_topo *t = b->t;
	unsigned int r;

	if (!b_parts_alloc(b, p, t->n))
		return false;
	p->loc_space = NRT_CCL_SP_SEND;
	for (r = 0; r < t->n; r++) {
		p->loc[r] = gather ? 0 : t->ring[r] * bytes;
		p->out[r] = gather ? t->ring[r] * bytes : 0;
		p->len[r] = bytes;
	}
	return true;
}

static void b_reduce_scatter_ring(struct nrt_ccl_b *b, uint64_t bytes)
{
	struct nrt_ccl_parts p;

	if (!b_parts_blocks(b, &p, false, bytes))
		return;
	b_ring_rs(b, b_ring(b), &p, b->a->redop == NRT_REDOP_AVG, 0);
	free(p.loc);
}

static void b_all_gather_ring(struct nrt_ccl_b *b, uint64_t bytes)
{
	struct nrt_ccl_parts p;
	unsigned int r;

	if (!b_parts_blocks(b, &p, true, bytes))
		return;
	for (r = 0; r < b->t->n && !b->a->in_place; r++)
		b_copy(b, b->t->ring[r], loc(NRT_CCL_SP_RECV, p.out[r]),
		       loc(NRT_CCL_SP_SEND, 0), bytes);
	b_ring_ag(b, b_ring(b), &p, 0);
	free(p.loc);
}

static void b_build(struct nrt_ccl_b *b)
{
	const struct nrt_ccl_args *a = b->a;
	const struct nrt_ccl_topo *t = b->t;
	unsigned int n = t->n, r, k;
	uint64_t bytes = a->count * a->esz;
	struct nrt_ccl_dest copy = { .act = NRT_CCL_ACT_COPY };

	if (n == 1 || !a->count) {
		/* Nothing to move between ranks: the local copy, if any */
		uint64_t len = a->coll == NRT_CCL_ALL_TO_ALL ? bytes * n : bytes;

		if (a->coll == NRT_CCL_SEND_RECV || !a->count)
			return;
		for (r = 0; r < n && !a->in_place; r++)
			b_copy(b, r, loc(NRT_CCL_SP_RECV, 0), loc(NRT_CCL_SP_SEND, 0), len);
		return;
	}
	switch (a->coll) {
	case NRT_CCL_ALL_REDUCE:
		if (a->algo == NRT_CCL_ALGO_CHAIN)
			b_chain(b);
		else if (a->algo == NRT_CCL_ALGO_TORUS2D)
			b_all_reduce_torus(b, bytes);
		else if (a->algo == NRT_CCL_ALGO_TREE)
			b_all_reduce_tree(b, bytes);
		else
			b_all_reduce_ring(b, bytes);
		break;
	case NRT_CCL_REDUCE_SCATTER:
		if (a->algo == NRT_CCL_ALGO_CHAIN)
			b_chain(b);
		else
			b_reduce_scatter_ring(b, bytes);
		break;
	case NRT_CCL_ALL_GATHER:
		b_all_gather_ring(b, bytes);
		break;
	case NRT_CCL_BROADCAST:
		if (!a->in_place)
			b_copy(b, a->root, loc(NRT_CCL_SP_RECV, 0), loc(NRT_CCL_SP_SEND, 0), bytes);
		for (k = 0; k < b_npieces(b, bytes); k++) {
			uint64_t off, len;

			b_piece(b, bytes, k, &off, &len);
			b->pk = k;
			b_bcast2(b, k, b_ring(b), n, t->ring_pos[a->root],
				 loc(NRT_CCL_SP_SEND, off), loc(NRT_CCL_SP_RECV, off), len);
		}
		break;
	case NRT_CCL_REDUCE:
		if (a->algo == NRT_CCL_ALGO_CHAIN)
			b_chain(b);
		else
			b_reduce_ring(b, bytes);
		break;
	case NRT_CCL_ALL_TO_ALL:
		b_all_to_all(b);
		break;
	case NRT_CCL_SEND_RECV:
		if (!nrt_ccl_adjacent(t, a->root, a->peer)) {
			b->st = nrt_fail(NRT_UNSUPPORTED,
					 "ranks %u and %u are not cabled to each other: messages go between neighbours only",
					 a->root, a->peer);
			break;
		}
		for (k = 0; k < b_npieces(b, bytes); k++) {
			uint64_t off, len;

			b_piece(b, bytes, k, &off, &len);
			b->pk = k;
			copy.dst = loc(NRT_CCL_SP_RECV, off);
			b_xfer(b, k, a->root, loc(NRT_CCL_SP_SEND, off), a->peer, &copy, len);
		}
		break;
	default:
		b->st = nrt_fail(NRT_INVALID, "unknown collective %d", (int)a->coll);
		break;
	}
}


nrt_status nrt_ccl_algo_build(struct nrt_ccl_sched *s, const struct nrt_ccl_topo *t,
			      bool split, bool fuse)
{
	struct nrt_ccl_b b = { .s = s, .t = t, .a = &s->args, .split = split, .fuse = fuse };

	b.scratch_pos = calloc(t->n, sizeof(*b.scratch_pos));
	if (!b.scratch_pos)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	b_build(&b);
	free(b.scratch_pos);
	return b.st;
}
