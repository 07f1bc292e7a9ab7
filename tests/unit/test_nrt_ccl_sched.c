// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of the collectives' topology analysis and schedules
 * (lib/nrt_ccl_topo.c, lib/nrt_ccl_algo.c, lib/nrt_ccl_sched.c,
 * lib/nrt_ccl_reduce.c), without a device.
 *
 * The schedules run in a simulator of the ranks' devices (ccl_sim.c):
 * every rank's buffers, every receiver's staging slots with their validity
 * cells, and the jobs, executed one at a time in a random order that
 * respects what the devices would respect (the FIFO order of an engine,
 * the dependencies, a transfer received only once it was pushed, a slot
 * pushed again only once its receiver gave it back, with the chain
 * semantics of timeline fences). Reductions run the encoded NeuronCore
 * program with the reference executor (tests/common/trn_ref.c), so the
 * numerics are the hardware's.
 * Results are compared bit for bit with a CPU fold in the documented order
 * (random data), or in any order for data whose partial results are exact.
 * Every validity cell must end with the collective's token. The submission
 * protocol is checked for progress, and the transports for agreement.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define BIT(n) (1u << (n))
#define BIT_ULL(n) (1ull << (n))
#include "ccl_sim.h"
#include "nrt_ccl_reduce.h"
#include "nrt_ccl_sched.h"
#include "trn_isa.h"
#include "trn_numerics.h"
#include "trn_regs.h"
#include "trn_ref.h"

/* --- topologies ---------------------------------------------------------- */

static void port(struct nrt_ccl_rank_info *r, uint32_t p, uint32_t chip, uint32_t pp)
{
	r->ports[r->nports].port = p;
	r->ports[r->nports].up = 1;
	r->ports[r->nports].peer_chip = chip + 100;
	r->ports[r->nports].peer_port = pp;
	r->nports++;
}

static struct nrt_ccl_rank_info *infos(unsigned int n)
{
	struct nrt_ccl_rank_info *info = calloc(n, sizeof(*info));
	unsigned int i;

	assert_non_null(info);
	for (i = 0; i < n; i++) {
		info[i].host = 7;
		info[i].chip = i + 100;
		info[i].ncores = 2;
	}
	return info;
}

/* Port 0 of i to port 1 of i + 1, as vm.sh --topology ring:N. */
static struct nrt_ccl_rank_info *ring_infos(unsigned int n, bool wrap)
{
	struct nrt_ccl_rank_info *info = infos(n);
	unsigned int i;

	for (i = 0; i < n && n > 1; i++) {
		if (wrap || i + 1 < n)
			port(&info[i], 0, (i + 1) % n, 1);
		if (wrap || i > 0)
			port(&info[i], 1, (i + n - 1) % n, 0);
	}
	return info;
}

/* Port 0 east to port 2, port 1 south to port 3, as --topology torus:RxC. */
static struct nrt_ccl_rank_info *torus_infos(unsigned int rows, unsigned int cols)
{
	struct nrt_ccl_rank_info *info = infos(rows * cols);
	unsigned int r, c;

	for (r = 0; r < rows; r++) {
		for (c = 0; c < cols; c++) {
			struct nrt_ccl_rank_info *i = &info[r * cols + c];

			port(i, 0, r * cols + (c + 1) % cols, 2);
			port(i, 1, ((r + 1) % rows) * cols + c, 3);
			port(i, 2, r * cols + (c + cols - 1) % cols, 0);
			port(i, 3, ((r + rows - 1) % rows) * cols + c, 1);
		}
	}
	return info;
}

static void topo_of(struct nrt_ccl_rank_info *info, unsigned int n, struct nrt_ccl_topo *t)
{
	assert_int_equal(nrt_ccl_topo_build(n, info, t), NRT_SUCCESS);
	free(info);
}

static void test_topo_ring(void **state)
{
	struct nrt_ccl_topo t;
	unsigned int i;

	(void)state;
	topo_of(ring_infos(16, true), 16, &t);
	assert_true(t.ring_direct);
	assert_null(t.grid);
	for (i = 0; i < 16; i++) {
		assert_int_equal(t.ring[i], i);
		assert_int_equal(t.port[i * 16 + (i + 1) % 16], 0);
		assert_int_equal(t.port[i * 16 + (i + 15) % 16], 1);
	}
	/* Shortest paths go the short way round */
	assert_int_equal(t.next[0 * 16 + 3], 1);
	assert_int_equal(t.next[0 * 16 + 13], 15);
	assert_int_equal(nrt_ccl_pick_algo(&t, NRT_CCL_ALL_REDUCE, NRT_CCL_ALGO_AUTO,
					   false, 64 << 20), NRT_CCL_ALGO_RING);
	assert_int_equal(nrt_ccl_pick_algo(&t, NRT_CCL_ALL_REDUCE, NRT_CCL_ALGO_AUTO,
					   false, 8), NRT_CCL_ALGO_TREE);
	assert_int_equal(nrt_ccl_pick_algo(&t, NRT_CCL_ALL_REDUCE, NRT_CCL_ALGO_TORUS2D,
					   false, 8), NRT_CCL_ALGO_RING);
	assert_int_equal(nrt_ccl_pick_algo(&t, NRT_CCL_REDUCE, NRT_CCL_ALGO_AUTO,
					   true, 8), NRT_CCL_ALGO_CHAIN);
	assert_int_equal(nrt_ccl_pick_algo(&t, NRT_CCL_ALL_GATHER, NRT_CCL_ALGO_CHAIN,
					   true, 8), NRT_CCL_ALGO_RING);
	nrt_ccl_topo_free(&t);
}

static void test_topo_torus(void **state)
{
	struct nrt_ccl_topo t;
	unsigned int r, c;

	(void)state;
	topo_of(torus_infos(4, 4), 16, &t);
	assert_true(t.ring_direct);
	assert_non_null(t.grid);
	assert_int_equal(t.rows, 4);
	assert_int_equal(t.cols, 4);
	for (r = 0; r < 4; r++) {
		for (c = 0; c < 4; c++) {
			unsigned int g = t.grid[r * 4 + c];

			assert_true(nrt_ccl_adjacent(&t, g, t.grid[r * 4 + (c + 1) % 4]));
			assert_true(nrt_ccl_adjacent(&t, g, t.grid[((r + 1) % 4) * 4 + c]));
			assert_int_equal(t.grid_pos[g], r * 4 + c);
		}
	}
	for (r = 0; r < 16; r++)
		assert_true(nrt_ccl_adjacent(&t, t.ring[r], t.ring[(r + 1) % 16]));
	assert_int_equal(nrt_ccl_pick_algo(&t, NRT_CCL_ALL_REDUCE, NRT_CCL_ALGO_AUTO,
					   false, 64 << 20), NRT_CCL_ALGO_TORUS2D);
	nrt_ccl_topo_free(&t);

	/* 3 x 5 */
	topo_of(torus_infos(3, 5), 15, &t);
	assert_non_null(t.grid);
	assert_int_equal(t.rows * t.cols, 15);
	nrt_ccl_topo_free(&t);
}

static void test_topo_line_and_broken(void **state)
{
	struct nrt_ccl_rank_info *info;
	struct nrt_ccl_topo t;

	(void)state;
	/* A line has no cycle: the ring is rank order, with relays */
	topo_of(ring_infos(5, false), 5, &t);
	assert_false(t.ring_direct);
	assert_int_equal(t.ring[4], 4);
	assert_int_equal(t.next[4 * 5 + 0], 3);
	nrt_ccl_topo_free(&t);

	/* A cable whose far end names another port does not count */
	info = ring_infos(4, true);
	info[1].ports[1].peer_port = 3;
	topo_of(info, 4, &t);
	assert_false(nrt_ccl_adjacent(&t, 0, 1));
	assert_false(nrt_ccl_adjacent(&t, 1, 0));
	assert_true(nrt_ccl_adjacent(&t, 1, 2));
	nrt_ccl_topo_free(&t);

	/* Two islands */
	info = ring_infos(4, false);
	info[1].ports[0].up = 0;
	assert_int_equal(nrt_ccl_topo_build(4, info, &t), NRT_NO_LINK);
	free(info);
}

/* --- reference --------------------------------------------------------- */

static double ref_op(unsigned int redop, double a, double b)
{
	switch (redop) {
	case NRT_REDOP_PROD:
		return a * b;
	case NRT_REDOP_MAX:
		if (a == b)
			return signbit(a) ? b : a;
		return a > b ? a : b;
	case NRT_REDOP_MIN:
		if (a == b)
			return signbit(a) ? a : b;
		return a < b ? a : b;
	default:
		return a + b;
	}
}

static double ref_round(unsigned int dt, double x)
{
	unsigned char b[8];

	trn_store(dt, b, x);
	return trn_load(dt, b);
}

/* Fold element @e of the ranks' data in @order (slot first, then local). */
static double ref_fold(unsigned int dt, unsigned int redop, unsigned char *const *data,
		       const unsigned int *order, unsigned int m, size_t e)
{
	size_t esz = trn_dt_size(dt);
	double v = trn_load(dt, data[order[0]] + e * esz);
	unsigned int i;

	for (i = 1; i < m; i++)
		v = ref_round(dt, ref_op(redop, v, trn_load(dt, data[order[i]] + e * esz)));
	return v;
}

static double ref_combine(unsigned int dt, unsigned int redop, double slot, double local)
{
	return ref_round(dt, ref_op(redop, slot, local));
}

/* --- the cases ----------------------------------------------------------- */

struct ccl_case {
	enum nrt_ccl_coll coll;
	enum nrt_ccl_algo algo;
	unsigned int dtype, redop;
	uint64_t count;
	unsigned int root, peer;
	bool in_place;
	uint64_t piece;
	bool exact;                     /* data whose folds are exact in any order */
};

/* Random data of type @dt; exact: sums, products and averages exact in any order. */
static void gen(unsigned char *p, size_t elems, unsigned int dt, unsigned int redop,
		unsigned int rank, bool exact)
{
	size_t esz = trn_dt_size(dt), e;

	for (e = 0; e < elems; e++) {
		double v;

		if (!exact) {
			int r = (int)(sim_rand() % 2001) - 1000;

			v = dt == TRN_DT_INT8 ? r % 100 : dt == TRN_DT_INT32 ? r * 1000 :
			    r / 37.0;
			if (redop == NRT_REDOP_PROD && dt != TRN_DT_INT32 && dt != TRN_DT_INT8)
				v = 1.0 + r / 4000.0;
		} else if (redop == NRT_REDOP_PROD) {
			v = sim_rand() % 2 ? 1 : -1;
		} else if (redop == NRT_REDOP_MAX || redop == NRT_REDOP_MIN) {
			v = (double)(int)(sim_rand() % 17) - 8;
		} else {
			/* At most 8 ranks add +-1 to an element: |partial| <= 8 */
			v = (rank + e) % 16 < 8 ? (double)(int)(sim_rand() % 3) - 1 : 0;
		}
		trn_store(dt, p + e * esz, v);
	}
}

static void order_ring(const struct nrt_ccl_topo *t, unsigned int owner_pos,
		       unsigned int *order)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		order[i] = t->ring[(owner_pos + 1 + i) % t->n];
}

/* Expected element @e (of the reduced vector) of a reduction. */
static double ref_elem(const struct ccl_case *cs, const struct nrt_ccl_topo *t,
		       unsigned char *const *data, uint64_t e, uint64_t vec_elems,
		       uint64_t elem_off)
{
	unsigned int n = t->n, order[64], i, dt = cs->dtype, op = cs->redop;
	double v;

	for (i = 0; i < n; i++)
		order[i] = i;
	if (cs->exact || cs->algo == NRT_CCL_ALGO_CHAIN) {
		v = ref_fold(dt, op, data, order, n, elem_off + e);
	} else if (cs->coll == NRT_CCL_REDUCE) {
		order_ring(t, t->ring_pos[cs->root], order);
		v = ref_fold(dt, op, data, order, n, elem_off + e);
	} else if (cs->coll == NRT_CCL_REDUCE_SCATTER) {
		order_ring(t, t->ring_pos[elem_off / vec_elems], order);
		v = ref_fold(dt, op, data, order, n, elem_off + e);
	} else if (cs->algo == NRT_CCL_ALGO_RING) {
		uint64_t first, count;
		unsigned int o;

		/* The part of e */
		for (o = 0; o < n; o++) {
			uint64_t q = vec_elems / n, r = vec_elems % n;

			first = o * q + (o < r ? o : r);
			count = q + (o < r);
			if (e >= first && e < first + count)
				break;
		}
		order_ring(t, o, order);
		v = ref_fold(dt, op, data, order, n, e);
	} else if (cs->algo == NRT_CCL_ALGO_TREE) {
		unsigned int h = n / 2, nb = n - 1 - h, a[64], bo[64];

		for (i = 0; i < h; i++)
			a[i] = t->ring[h - i];
		v = ref_fold(dt, op, data, a, h, e);
		v = ref_combine(dt, op, v, trn_load(dt, data[t->ring[0]] + e * trn_dt_size(dt)));
		if (nb) {
			double bv;

			for (i = 0; i < nb; i++)
				bo[i] = t->ring[h + 1 + i];
			bv = ref_fold(dt, op, data, bo, nb, e);
			v = ref_combine(dt, op, bv, v);
		}
	} else {
		/* torus2d: the row fold of each row, then the column fold */
		unsigned int R = t->rows, C = t->cols, c, r, sub;
		double rows[64], cv;
		uint64_t q = vec_elems / C, rm = vec_elems % C, first = 0, count = 0, f2, c2;

		for (c = 0; c < C; c++) {
			first = c * q + (c < rm ? c : rm);
			count = q + (c < rm);
			if (e >= first && e < first + count)
				break;
		}
		for (r = 0; r < R; r++) {
			for (i = 0; i < C; i++)
				order[i] = t->grid[r * C + (c + 1 + i) % C];
			rows[r] = ref_fold(dt, op, data, order, C, e);
		}
		for (sub = 0; sub < R; sub++) {
			f2 = first + sub * (count / R) + (sub < count % R ? sub : count % R);
			c2 = count / R + (sub < count % R);
			if (e >= f2 && e < f2 + c2)
				break;
		}
		cv = rows[(sub + 1) % R];
		for (i = 1; i < R; i++)
			cv = ref_combine(dt, op, cv, rows[(sub + 1 + i) % R]);
		v = cv;
	}
	if (op == NRT_REDOP_AVG)
		v = ref_round(dt, v / n);
	return v;
}

static void run_case(const struct nrt_ccl_topo *t, const struct ccl_case *cs,
		     unsigned int nslots)
{
	struct nrt_ccl_args a = {
		.coll = cs->coll, .algo = cs->algo, .redop = cs->redop, .dtype = cs->dtype,
		.esz = trn_dt_size(cs->dtype), .count = cs->count, .root = cs->root,
		.peer = cs->peer, .in_place = cs->in_place, .piece = cs->piece, .ncores = 2,
		.nslots = nslots,
	};
	unsigned int n = t->n, r, i;
	size_t esz = a.esz, send_elems, recv_elems;
	struct nrt_ccl_sched *s = NULL;
	unsigned char **data;
	struct sim m;
	char what[160];
	nrt_status st;

	snprintf(what, sizeof(what), "%s %s n=%u dt=%u op=%u count=%llu root=%u%s piece=%llu",
		 nrt_ccl_coll_name(cs->coll), nrt_ccl_algo_name(cs->algo), n, cs->dtype,
		 cs->redop, (unsigned long long)cs->count, cs->root,
		 cs->in_place ? " in place" : "", (unsigned long long)cs->piece);
	st = nrt_ccl_sched_build(t, &a, &s);
	if (st != NRT_SUCCESS)
		fail_msg("%s: build: %s", what, nrt_last_error());
	if (!nrt_ccl_sched_check_progress(s, nslots))
		fail_msg("%s: submission deadlocks with %u slots", what, nslots);

	switch (cs->coll) {
	case NRT_CCL_REDUCE_SCATTER:
		send_elems = n * cs->count;
		recv_elems = cs->count;
		break;
	case NRT_CCL_ALL_GATHER:
		send_elems = cs->count;
		recv_elems = n * cs->count;
		break;
	case NRT_CCL_ALL_TO_ALL:
		send_elems = recv_elems = n * cs->count;
		break;
	default:
		send_elems = recv_elems = cs->count;
	}
	sim_init(&m, s, nslots, send_elems * esz, recv_elems * esz);
	data = calloc(n, sizeof(*data));
	for (r = 0; r < n; r++) {
		data[r] = malloc(send_elems * esz + 1);
		gen(data[r], send_elems, cs->dtype, cs->redop, r, cs->exact);
		memcpy(m.r[r].mem + m.r[r].send_base, data[r], send_elems * esz);
		if (!s->plans[r].aliased)
			memset(m.r[r].mem + m.r[r].recv_base, 0xa5, recv_elems * esz);
	}
	if (!sim_run(&m))
		fail_msg("%s: the devices deadlock", what);

	for (r = 0; r < n; r++) {
		const unsigned char *out = m.r[r].mem + m.r[r].recv_base;
		const struct nrt_ccl_plan *p = &s->plans[r];

		for (i = 0; i < p->n; i++)
			if (p->ops[i].kind == NRT_CCL_OP_RECV && m.r[r].cells[i] != TOKEN)
				fail_msg("%s: rank %u op %u: validity %lld", what, r, i,
					 (long long)m.r[r].cells[i]);
		for (size_t e = 0; e < recv_elems; e++) {
			unsigned char want[8];
			const unsigned char *got = out + e * esz;

			switch (cs->coll) {
			case NRT_CCL_ALL_REDUCE:
				trn_store(cs->dtype, want, ref_elem(cs, t, data, e, cs->count, 0));
				break;
			case NRT_CCL_REDUCE:
				if (r != cs->root)
					continue;
				trn_store(cs->dtype, want, ref_elem(cs, t, data, e, cs->count, 0));
				break;
			case NRT_CCL_REDUCE_SCATTER:
				trn_store(cs->dtype, want,
					  ref_elem(cs, t, data, e, cs->count, r * cs->count));
				break;
			case NRT_CCL_ALL_GATHER:
				memcpy(want, data[e / cs->count] + (e % cs->count) * esz, esz);
				break;
			case NRT_CCL_BROADCAST:
				memcpy(want, data[cs->root] + e * esz, esz);
				break;
			case NRT_CCL_ALL_TO_ALL:
				memcpy(want, data[e / cs->count] + (r * cs->count + e % cs->count) * esz,
				       esz);
				break;
			case NRT_CCL_SEND_RECV:
				if (r != cs->peer)
					continue;
				memcpy(want, data[cs->root] + e * esz, esz);
				break;
			default:
				continue;
			}
			if (memcmp(want, got, esz))
				fail_msg("%s: rank %u element %zu: got %g, want %g", what, r, e,
					 trn_load(cs->dtype, got), trn_load(cs->dtype, want));
		}
	}
	for (r = 0; r < n; r++)
		free(data[r]);
	free(data);
	sim_free(&m);
	nrt_ccl_sched_free(s);
}

static const unsigned int dtypes[] = {
	TRN_DT_FP32, TRN_DT_BF16, TRN_DT_FP16, TRN_DT_FP8_E4M3, TRN_DT_FP8_E5M2,
	TRN_DT_INT8, TRN_DT_INT32,
};

/* Every collective and reduction on @t, exact data, a few sizes. */
static void all_cases(const struct nrt_ccl_topo *t, enum nrt_ccl_algo algo, unsigned int nslots)
{
	static const uint64_t counts[] = { 1, 5, 37 };
	unsigned int c, d, o, k, ip;

	for (c = 0; c < NRT_CCL_COLL_COUNT; c++) {
		bool red = c == NRT_CCL_ALL_REDUCE || c == NRT_CCL_REDUCE ||
			   c == NRT_CCL_REDUCE_SCATTER;

		if (algo != NRT_CCL_ALGO_RING && c != NRT_CCL_ALL_REDUCE &&
		    !(algo == NRT_CCL_ALGO_CHAIN && red))
			continue;
		for (d = 0; d < sizeof(dtypes) / sizeof(dtypes[0]); d++) {
			for (o = 0; o < (red ? 5u : 1u); o++) {
				for (k = 0; k < 3; k++) {
					for (ip = 0; ip < 2; ip++) {
						struct ccl_case cs = {
							.coll = c, .algo = algo, .dtype = dtypes[d],
							.redop = o, .count = counts[k],
							.root = t->n > 2 ? 2 : 0,
							.peer = t->n > 1 ? t->ring[1] : 0,
							.in_place = ip, .piece = 8, .exact = true,
						};

						if (c == NRT_CCL_SEND_RECV) {
							if (ip || t->n < 2)
								continue;
							cs.root = t->ring[0];
						}
						if (ip && c == NRT_CCL_ALL_TO_ALL)
							continue;
						/* Not every size with every type */
						if ((d + o + k) % 3 && d != 0)
							continue;
						run_case(t, &cs, nslots);
					}
				}
			}
		}
	}
}

static void test_sched_ring(void **state)
{
	static const unsigned int sizes[] = { 1, 2, 3, 5 };
	struct nrt_ccl_topo t;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		topo_of(ring_infos(sizes[i], true), sizes[i], &t);
		all_cases(&t, NRT_CCL_ALGO_RING, 2);
		if (sizes[i] > 2)
			all_cases(&t, NRT_CCL_ALGO_TREE, 2);
		all_cases(&t, NRT_CCL_ALGO_CHAIN, 2);
		nrt_ccl_topo_free(&t);
	}
}

static void test_sched_torus(void **state)
{
	struct nrt_ccl_topo t;

	(void)state;
	topo_of(torus_infos(3, 3), 9, &t);
	all_cases(&t, NRT_CCL_ALGO_TORUS2D, 2);
	all_cases(&t, NRT_CCL_ALGO_CHAIN, 2);
	nrt_ccl_topo_free(&t);
	topo_of(torus_infos(2, 3), 6, &t);
	all_cases(&t, NRT_CCL_ALGO_TORUS2D, 3);
	nrt_ccl_topo_free(&t);
}

/* A line: the ring and chain relay between its ends. */
static void test_sched_line(void **state)
{
	struct nrt_ccl_topo t;

	(void)state;
	topo_of(ring_infos(4, false), 4, &t);
	all_cases(&t, NRT_CCL_ALGO_RING, 2);
	all_cases(&t, NRT_CCL_ALGO_CHAIN, 2);
	nrt_ccl_topo_free(&t);
}

/* 16 ranks as the VM tests run them, larger counts, more pieces. */
static void test_sched_sixteen(void **state)
{
	struct nrt_ccl_topo ring, torus;
	unsigned int c;

	(void)state;
	topo_of(ring_infos(16, true), 16, &ring);
	topo_of(torus_infos(4, 4), 16, &torus);
	for (c = 0; c < NRT_CCL_COLL_COUNT; c++) {
		struct ccl_case cs = {
			.coll = c, .algo = NRT_CCL_ALGO_RING, .dtype = TRN_DT_BF16,
			.redop = NRT_REDOP_SUM, .count = 301, .root = 5, .peer = 6,
			.piece = 64, .exact = true,
		};

		run_case(&ring, &cs, 8);
		if (c == NRT_CCL_SEND_RECV)
			cs.peer = torus.grid[1];
		cs.root = torus.grid[0];
		run_case(&torus, &cs, 8);
	}
	nrt_ccl_topo_free(&ring);
	nrt_ccl_topo_free(&torus);
}

/* Random floats: the fold order is the documented one, bit for bit. */
static void test_sched_order(void **state)
{
	static const enum nrt_ccl_algo algos[] = {
		NRT_CCL_ALGO_RING, NRT_CCL_ALGO_TREE, NRT_CCL_ALGO_CHAIN, NRT_CCL_ALGO_TORUS2D,
	};
	struct nrt_ccl_topo ring, torus;
	unsigned int a, d, o;

	(void)state;
	topo_of(ring_infos(7, true), 7, &ring);
	topo_of(torus_infos(3, 4), 12, &torus);
	for (a = 0; a < 4; a++) {
		for (d = 0; d < 3; d++) {
			for (o = 0; o < 5; o++) {
				struct ccl_case cs = {
					.coll = NRT_CCL_ALL_REDUCE, .algo = algos[a],
					.dtype = dtypes[d], .redop = o, .count = 61, .root = 3,
					.piece = 16,
				};

				run_case(a == 3 ? &torus : &ring, &cs, 4);
				if (a == 1 || a == 3)
					continue;
				cs.coll = NRT_CCL_REDUCE;
				run_case(&ring, &cs, 4);
				cs.coll = NRT_CCL_REDUCE_SCATTER;
				cs.count = 9;
				run_case(&ring, &cs, 4);
			}
		}
	}
	nrt_ccl_topo_free(&ring);
	nrt_ccl_topo_free(&torus);
}

/* The deterministic chain: the same bits whatever the chunking. */
static void test_sched_deterministic(void **state)
{
	struct nrt_ccl_topo t;
	unsigned int p;

	(void)state;
	topo_of(torus_infos(4, 4), 16, &t);
	for (p = 0; p < 3; p++) {
		struct ccl_case cs = {
			.coll = NRT_CCL_ALL_REDUCE, .algo = NRT_CCL_ALGO_CHAIN,
			.dtype = TRN_DT_BF16, .redop = NRT_REDOP_SUM, .count = 50,
			.piece = p == 0 ? 2 : p == 1 ? 16 : 4096,
		};

		/* run_case compares with the rank-order fold every time */
		run_case(&t, &cs, 2);
	}
	nrt_ccl_topo_free(&t);
}

static void test_sched_errors(void **state)
{
	struct nrt_ccl_args a = {
		.coll = NRT_CCL_ALL_REDUCE, .algo = NRT_CCL_ALGO_TORUS2D,
		.dtype = TRN_DT_FP32, .esz = 4, .count = 10, .piece = 64, .ncores = 1,
	};
	struct nrt_ccl_sched *s = NULL;
	struct nrt_ccl_topo t;

	(void)state;
	topo_of(ring_infos(5, true), 5, &t);
	assert_int_equal(nrt_ccl_sched_build(&t, &a, &s), NRT_UNSUPPORTED);
	assert_non_null(strstr(nrt_last_error(), "torus"));
	a.coll = NRT_CCL_SEND_RECV;
	a.algo = NRT_CCL_ALGO_RING;
	a.root = 0;
	a.peer = 2;
	assert_int_equal(nrt_ccl_sched_build(&t, &a, &s), NRT_UNSUPPORTED);
	assert_non_null(strstr(nrt_last_error(), "not cabled"));
	assert_null(s);
	nrt_ccl_topo_free(&t);
}

/* Reductions push their results on in the same job where the slots allow. */
static void test_sched_fused(void **state)
{
	struct nrt_ccl_args a = {
		.coll = NRT_CCL_ALL_REDUCE, .algo = NRT_CCL_ALGO_RING,
		.dtype = TRN_DT_FP32, .esz = 4, .count = 160, .piece = 16, .ncores = 1,
		.nslots = 8,
	};
	struct nrt_ccl_sched *s = NULL;
	struct nrt_ccl_topo t;
	unsigned int r, i, fused, sends;

	(void)state;
	topo_of(ring_infos(8, true), 8, &t);
	/* 8 parts of 20 elements, 5 pieces each: fused */
	assert_int_equal(nrt_ccl_sched_build(&t, &a, &s), NRT_SUCCESS);
	for (r = 0; r < 8; r++) {
		for (fused = sends = i = 0; i < s->plans[r].n; i++) {
			fused += s->plans[r].ops[i].fwd_dst;
			sends += s->plans[r].ops[i].kind == NRT_CCL_OP_SEND;
		}
		/*
		 * 6 of the 7 steps of the reduce-scatter pushed by reductions,
		 * step 0 by SENDs; the all-gather's first SENDs
		 */
		assert_int_equal(fused, 6 * 5);
		assert_int_equal(sends, 5 + 5);
	}
	nrt_ccl_sched_free(s);
	for (r = 0; r < 2; r++) {
		struct ccl_case cs = {
			.coll = r ? NRT_CCL_REDUCE_SCATTER : NRT_CCL_ALL_REDUCE,
			.algo = NRT_CCL_ALGO_RING, .dtype = TRN_DT_FP32, .redop = NRT_REDOP_SUM,
			.count = r ? 20 : 160, .piece = 16,
		};

		/* Random data, the documented order, bit for bit */
		run_case(&t, &cs, 8);
	}
	/* More pieces than slots: the reductions and pushes are two jobs */
	a.count = 8 * 4 * 20;
	assert_int_equal(nrt_ccl_sched_build(&t, &a, &s), NRT_SUCCESS);
	for (i = 0, fused = 0; i < s->plans[0].n; i++)
		fused += s->plans[0].ops[i].fwd_dst;
	assert_int_equal(fused, 0);
	nrt_ccl_sched_free(s);
	nrt_ccl_topo_free(&t);
}

/* The submission protocol progresses with any number of slots. */
static void test_sched_slots(void **state)
{
	struct nrt_ccl_args a = {
		.coll = NRT_CCL_ALL_REDUCE, .algo = NRT_CCL_ALGO_RING,
		.dtype = TRN_DT_FP32, .esz = 4, .count = 1000, .piece = 16, .ncores = 2,
	};
	struct nrt_ccl_sched *s = NULL;
	struct nrt_ccl_topo t;

	(void)state;
	topo_of(ring_infos(6, true), 6, &t);
	assert_int_equal(nrt_ccl_sched_build(&t, &a, &s), NRT_SUCCESS);
	assert_true(nrt_ccl_sched_check_progress(s, 1));
	assert_true(nrt_ccl_sched_check_progress(s, 2));
	assert_true(nrt_ccl_sched_check_progress(s, 8));
	nrt_ccl_sched_free(s);
	nrt_ccl_topo_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topo_ring),
		cmocka_unit_test(test_topo_torus),
		cmocka_unit_test(test_topo_line_and_broken),
		cmocka_unit_test(test_sched_errors),
		cmocka_unit_test(test_sched_slots),
		cmocka_unit_test(test_sched_fused),
		cmocka_unit_test(test_sched_ring),
		cmocka_unit_test(test_sched_torus),
		cmocka_unit_test(test_sched_line),
		cmocka_unit_test(test_sched_sixteen),
		cmocka_unit_test(test_sched_order),
		cmocka_unit_test(test_sched_deterministic),
	};

	sim_rand_state = 12345;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
