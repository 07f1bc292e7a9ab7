// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * The simulator of the ranks' devices of the schedules' unit tests
 * (ccl_sim.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trn_regs.h"
#include "ccl_sim.h"
#include "nrt_ccl_reduce.h"
#include "trn_isa.h"
#include "trn_numerics.h"
#include "trn_ref.h"

uint64_t sim_rand_state;

uint32_t sim_rand(void)
{
	sim_rand_state = sim_rand_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(sim_rand_state >> 33);
}

static unsigned char *sim_loc(struct sim *m, unsigned int rank, const struct nrt_ccl_loc *l,
			      uint64_t *va)
{
	struct sim_rank *r = &m->r[rank];
	size_t off;

	switch (l->space) {
	case NRT_CCL_SP_SEND:
		off = r->send_base + l->off;
		break;
	case NRT_CCL_SP_RECV:
		off = r->recv_base + l->off;
		break;
	case NRT_CCL_SP_SCRATCH:
		assert_true(l->off < r->scratch_len);
		*va = VA_SCRATCH + l->off;
		return r->scratch + l->off;
	default:
		fail_msg("bad location space %u", l->space);
		return NULL;
	}
	*va = VA_MEM + off;
	assert_true(off <= r->mem_len);
	return r->mem + off;
}

static int sim_resolve(void *ctx, uint64_t va, uint64_t len, bool write, void **host)
{
	struct sim *m = ctx;
	struct sim_rank *r = &m->r[m->cur];

	(void)write;
	if (va >= VA_MEM && va + len <= VA_MEM + r->mem_len) {
		*host = r->mem + (va - VA_MEM);
	} else if (va >= VA_STAGE && va < VA_STAGE + m->n * STAGE_STRIDE) {
		uint64_t from = (va - VA_STAGE) / STAGE_STRIDE, off = (va - VA_STAGE) % STAGE_STRIDE;

		if (off + len > m->nslots * m->piece)
			return TRN_DMA_ERR_UNMAPPED;
		*host = r->stage + from * m->nslots * m->piece + off;
	} else if (va >= VA_SVAL && va + len <= VA_SVAL + (uint64_t)m->n * m->nslots * 8) {
		*host = (unsigned char *)r->sval + (va - VA_SVAL);
	} else if (va >= VA_CELL && va + len <= VA_CELL + (uint64_t)m->s->plans[m->cur].n * 8) {
		*host = (unsigned char *)r->cells + (va - VA_CELL);
	} else if (va >= VA_SCRATCH && va + len <= VA_SCRATCH + m->r[m->cur].scratch_len) {
		*host = r->scratch + (va - VA_SCRATCH);
	} else if (va == VA_TOKEN && len <= 8) {
		*host = &r->token;
	} else {
		return TRN_DMA_ERR_UNMAPPED;
	}
	return TRN_DMA_ERR_NONE;
}

static uint64_t sim_ch(const struct sim *m, unsigned int a, unsigned int b)
{
	return (uint64_t)a * m->n + b;
}

static bool sim_prefix(const struct sim *m, bool **have, uint32_t *pre, unsigned int a,
		       unsigned int b, uint32_t seq)
{
	uint64_t c = sim_ch(m, a, b);

	(void)have;
	return pre[c] >= seq;
}

static void sim_mark(struct sim *m, bool **have, uint32_t *pre, unsigned int a, unsigned int b,
		     uint32_t seq)
{
	uint64_t c = sim_ch(m, a, b);

	assert_true(seq >= 1);
	have[c][seq] = true;
	while (have[c][pre[c] + 1])
		pre[c]++;
}

static bool sim_ready(struct sim *m, unsigned int rank, uint32_t i)
{
	const struct nrt_ccl_plan *p = &m->s->plans[rank];
	const struct nrt_ccl_op *op = &p->ops[i];
	struct sim_rank *r = &m->r[rank];
	uint32_t d;

	if (r->done[i] || (r->prev_engine[i] >= 0 && !r->done[r->prev_engine[i]]))
		return false;
	for (d = 0; d < op->ndeps; d++)
		if (!r->done[p->deps[op->deps + d]])
			return false;
	if (op->kind == NRT_CCL_OP_SEND && op->seq > m->nslots &&
	    !sim_prefix(m, m->freed, m->free_pre, (unsigned int)op->peer, rank, op->seq - m->nslots))
		return false;
	if (op->kind == NRT_CCL_OP_RECV) {
		if (!sim_prefix(m, m->pushed, m->push_pre, (unsigned int)op->peer, rank, op->seq))
			return false;
		if (op->fwd != NRT_CCL_NONE && op->fwd_seq > m->nslots &&
		    !sim_prefix(m, m->freed, m->free_pre, (unsigned int)op->fwd, rank,
				op->fwd_seq - m->nslots))
			return false;
	}
	return true;
}

/* Push @len bytes at @src with validity @valid into @to's slot for @seq. */
static void sim_push(struct sim *m, unsigned int from, unsigned int to, uint32_t seq,
		     const unsigned char *src, uint64_t len, int64_t valid)
{
	struct sim_rank *t = &m->r[to];
	uint64_t slot = (seq - 1) % m->nslots;

	assert_true(len <= m->piece);
	memcpy(t->stage + ((uint64_t)from * m->nslots + slot) * m->piece, src, len);
	t->sval[from * m->nslots + slot] = valid;
	sim_mark(m, m->pushed, m->push_pre, from, to, seq);
}

static void sim_exec(struct sim *m, unsigned int rank, uint32_t i)
{
	const struct nrt_ccl_plan *p = &m->s->plans[rank];
	const struct nrt_ccl_op *op = &p->ops[i];
	struct sim_rank *r = &m->r[rank];
	unsigned char *src, *dst, *slot = NULL;
	uint64_t va, slot_va = 0;
	int64_t *sv = NULL;

	if (op->kind == NRT_CCL_OP_RECV) {
		uint64_t s = (op->seq - 1) % m->nslots;

		slot = r->stage + ((uint64_t)op->peer * m->nslots + s) * m->piece;
		slot_va = VA_STAGE + (uint64_t)op->peer * STAGE_STRIDE + s * m->piece;
		sv = &r->sval[op->peer * m->nslots + s];
	}
	switch (op->kind) {
	case NRT_CCL_OP_SEND:
		src = sim_loc(m, rank, &op->src, &va);
		sim_push(m, rank, (unsigned int)op->peer, op->seq, src, op->len,
			 op->vsrc >= 0 ? r->cells[op->vsrc] : r->token);
		break;
	case NRT_CCL_OP_COPY:
		src = sim_loc(m, rank, &op->src, &va);
		dst = sim_loc(m, rank, &op->dst, &va);
		memmove(dst, src, op->len);
		break;
	case NRT_CCL_OP_RECV:
		if (op->act == NRT_CCL_ACT_REDUCE) {
			struct nrt_ccl_red red = {
				.slot = slot_va,
				.vout = VA_CELL + 8ull * i,
				.vslot = VA_SVAL + 8ull * (op->peer * m->nslots +
							   (op->seq - 1) % m->nslots),
				.vlocal = op->va >= 0 ? VA_CELL + 8ull * (uint64_t)op->va : VA_TOKEN,
				.elems = (uint32_t)(op->len / trn_dt_size(m->s->args.dtype)),
				.dtype = m->s->args.dtype,
				.redop = m->s->args.redop,
				.divide = op->scale ? m->n : 0,
			};
			unsigned char insns[NRT_CCL_RED_MAX_INSNS * TRN_INSN_SIZE];
			unsigned int k, ni;

			sim_loc(m, rank, &op->dst, &red.dst);
			sim_loc(m, rank, &op->a, &red.local);
			ni = nrt_ccl_red_encode(&red, insns);
			m->cur = rank;
			for (k = 0; k < ni; k++)
				assert_int_equal(trn_ref_exec(insns + k * TRN_INSN_SIZE,
							      sim_resolve, m), 0);
		} else {
			if (op->act == NRT_CCL_ACT_COPY) {
				dst = sim_loc(m, rank, &op->dst, &va);
				memcpy(dst, slot, op->len);
			}
			r->cells[i] = *sv;
		}
		if (op->fwd != NRT_CCL_NONE)
			sim_push(m, rank, (unsigned int)op->fwd, op->fwd_seq,
				 op->fwd_dst ? sim_loc(m, rank, &op->dst, &va) : slot, op->len,
				 r->cells[i]);
		break;
	}
	if (op->kind == NRT_CCL_OP_RECV) {
		*sv = 0;
		sim_mark(m, m->freed, m->free_pre, rank, (unsigned int)op->peer, op->seq);
	}
	r->done[i] = true;
}

bool sim_run(struct sim *m)
{
	size_t total = 0, ran = 0;
	unsigned int r;
	uint32_t i;

	for (r = 0; r < m->n; r++)
		total += m->s->plans[r].n;
	while (ran < total) {
		/* A random rank with a ready op, its lowest ready op */
		unsigned int start = sim_rand() % m->n, k;
		bool found = false;

		for (k = 0; k < m->n && !found; k++) {
			unsigned int rr = (start + k) % m->n;
			const struct nrt_ccl_plan *p = &m->s->plans[rr];
			uint32_t ready[8], nready = 0;

			for (i = 0; i < p->n && nready < 8; i++)
				if (sim_ready(m, rr, i))
					ready[nready++] = i;
			if (nready) {
				sim_exec(m, rr, ready[sim_rand() % nready]);
				found = true;
			}
		}
		if (!found)
			return false;
		ran++;
	}
	return true;
}

void sim_init(struct sim *m, const struct nrt_ccl_sched *s, unsigned int nslots,
	      size_t send_len, size_t recv_len)
{
	unsigned int n = s->n, r, c;

	memset(m, 0, sizeof(*m));
	m->s = s;
	m->n = n;
	m->nslots = nslots;
	m->piece = s->args.piece;
	m->r = calloc(n, sizeof(*m->r));
	m->pushed = calloc((size_t)n * n, sizeof(*m->pushed));
	m->freed = calloc((size_t)n * n, sizeof(*m->freed));
	m->push_pre = calloc((size_t)n * n, sizeof(*m->push_pre));
	m->free_pre = calloc((size_t)n * n, sizeof(*m->free_pre));
	assert_non_null(m->r);
	for (c = 0; c < n * n; c++) {
		unsigned int a = c / n, b = c % n;
		uint32_t most = s->plans[a].sent[b] + 2;

		m->pushed[c] = calloc(most + 1, sizeof(bool));
		m->freed[c] = calloc(s->plans[b].sent[a] + s->plans[a].sent[b] + 3, sizeof(bool));
	}
	for (r = 0; r < n; r++) {
		struct sim_rank *sr = &m->r[r];
		const struct nrt_ccl_plan *p = &s->plans[r];
		int32_t *last = calloc(2 * n + s->args.ncores + 1, sizeof(*last));
		uint32_t i;

		if (p->aliased) {
			int64_t d = p->alias;

			sr->send_base = d >= 0 ? (size_t)d : 0;
			sr->recv_base = d >= 0 ? 0 : (size_t)-d;
			sr->mem_len = send_len + sr->send_base > recv_len + sr->recv_base ?
				      send_len + sr->send_base : recv_len + sr->recv_base;
		} else {
			sr->send_base = 0;
			sr->recv_base = send_len;
			sr->mem_len = send_len + recv_len;
		}
		sr->mem = calloc(sr->mem_len + 1, 1);
		sr->stage = calloc((size_t)n * nslots * m->piece + 1, 1);
		sr->scratch_len = p->scratch;
		sr->scratch = calloc(p->scratch + 1, 1);
		sr->sval = calloc((size_t)n * nslots + 1, sizeof(*sr->sval));
		sr->cells = calloc((size_t)p->n + 1, sizeof(*sr->cells));
		sr->done = calloc((size_t)p->n + 1, sizeof(*sr->done));
		sr->prev_engine = calloc((size_t)p->n + 1, sizeof(*sr->prev_engine));
		sr->token = TOKEN;
		assert_non_null(last);
		for (i = 0; i < 2 * n + s->args.ncores + 1; i++)
			last[i] = -1;
		for (i = 0; i < p->n; i++) {
			sr->prev_engine[i] = last[p->ops[i].engine];
			last[p->ops[i].engine] = (int32_t)i;
		}
		free(last);
	}
}

void sim_free(struct sim *m)
{
	unsigned int r;

	for (r = 0; r < m->n; r++) {
		free(m->r[r].mem);
		free(m->r[r].stage);
		free(m->r[r].scratch);
		free(m->r[r].sval);
		free(m->r[r].cells);
		free(m->r[r].done);
		free(m->r[r].prev_engine);
	}
	for (r = 0; r < m->n * m->n; r++) {
		free(m->pushed[r]);
		free(m->freed[r]);
	}
	free(m->pushed);
	free(m->freed);
	free(m->push_pre);
	free(m->free_pre);
	free(m->r);
}
