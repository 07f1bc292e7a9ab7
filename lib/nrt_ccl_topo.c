// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The cabling of a communicator's ranks, from the link ports each rank
 * reported at bootstrap (struct nrt_ccl_rank_info).
 *
 * Rank i reaches rank j when a port of i is up with j's (host, chip) at
 * its far end, and the port at that end is up and names i's chip and that
 * port back: the rule the kernel applies to peer imports. From that graph:
 *
 * - routes: the next rank on a shortest path between any two ranks
 *   (breadth-first from every destination, ties to the lowest rank), for
 *   transfers between ranks that are not neighbours;
 * - a ring: a cycle through all ranks over cables (depth-first search from
 *   rank 0, neighbours in rank order, with a bound on the steps), else the
 *   ranks in rank order with relayed hops;
 * - a torus: an R x C grid (R, C >= 2, R as close to sqrt(n) as the
 *   factors allow) whose row and column neighbours, wrapping around, are
 *   cabled, found by backtracking in row-major order.
 *
 * Everything is a pure function of the reports, so every rank computes the
 * same result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_ccl_topo.h"
#include "nrt_error.h"

/* Steps of the searches before giving up (cheap: microseconds each). */
#define NRT_CCL_SEARCH_STEPS 2000000u

void nrt_ccl_topo_free(struct nrt_ccl_topo *t)
{
	if (!t)
		return;
	free(t->port);
	free(t->next);
	free(t->ring);
	free(t->ring_pos);
	free(t->grid);
	free(t->grid_pos);
	memset(t, 0, sizeof(*t));
}

/* The rank of (host, chip), or -1. */
static int nrt_ccl_rank_of(unsigned int n, const struct nrt_ccl_rank_info *info,
			   uint64_t host, uint32_t chip)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (info[i].host == host && info[i].chip == chip)
			return (int)i;
	}
	return -1;
}

/* Whether port @p of rank @i leads to rank @j and @j's port names it back. */
static bool nrt_ccl_cable(const struct nrt_ccl_rank_info *info, unsigned int i,
			  const struct nrt_ccl_port *p, unsigned int j)
{
	uint32_t k;

	if (!p->up || p->peer_chip != info[j].chip || i == j)
		return false;
	for (k = 0; k < info[j].nports && k < NRT_CCL_MAX_PORTS; k++) {
		const struct nrt_ccl_port *q = &info[j].ports[k];

		if (q->port == p->peer_port)
			return q->up && q->peer_chip == info[i].chip &&
			       q->peer_port == p->port;
	}
	return false;
}

static void nrt_ccl_ports(struct nrt_ccl_topo *t, const struct nrt_ccl_rank_info *info)
{
	unsigned int n = t->n, i, k;

	for (i = 0; i < n * n; i++)
		t->port[i] = -1;
	for (i = 0; i < n; i++) {
		for (k = 0; k < info[i].nports && k < NRT_CCL_MAX_PORTS; k++) {
			const struct nrt_ccl_port *p = &info[i].ports[k];
			/* Ports to another host of a rack are never up here
			 * (nrt_comm.c): peer_chip is a chip of this host. */
			int j = nrt_ccl_rank_of(n, info, info[i].host, p->peer_chip);

			if (j < 0 || !nrt_ccl_cable(info, i, p, (unsigned int)j))
				continue;
			/* The lowest port when several cables join two ranks */
			if (t->port[i * n + j] < 0 || (uint32_t)t->port[i * n + j] > p->port)
				t->port[i * n + j] = (int)p->port;
		}
	}
}

/* Shortest-path next hops; false if some rank cannot reach another. */
static bool nrt_ccl_routes(struct nrt_ccl_topo *t, unsigned int *dist,
			   unsigned int *queue)
{
	unsigned int n = t->n, dst, i, j;
	bool connected = true;

	for (i = 0; i < n * n; i++)
		t->next[i] = -1;
	for (dst = 0; dst < n; dst++) {
		unsigned int head = 0, tail = 0;

		for (i = 0; i < n; i++)
			dist[i] = UINT32_MAX;
		dist[dst] = 0;
		queue[tail++] = dst;
		t->next[dst * n + dst] = (int)dst;
		while (head < tail) {
			unsigned int v = queue[head++];

			/* Ranks in order: the lowest neighbour wins ties. */
			for (j = 0; j < n; j++) {
				if (dist[j] != UINT32_MAX || !nrt_ccl_adjacent(t, j, v))
					continue;
				dist[j] = dist[v] + 1;
				t->next[j * n + dst] = (int)v;
				queue[tail++] = j;
			}
		}
		if (tail != n)
			connected = false;
	}
	return connected;
}

/* Depth-first search for a Hamiltonian cycle from rank 0. */
struct nrt_ccl_search {
	const struct nrt_ccl_topo *t;
	unsigned int *path;
	bool *used;
	unsigned long steps;
};

static bool nrt_ccl_ring_dfs(struct nrt_ccl_search *s, unsigned int depth)
{
	const struct nrt_ccl_topo *t = s->t;
	unsigned int last = s->path[depth - 1], j;

	if (depth == t->n)
		return t->n <= 2 ? true : nrt_ccl_adjacent(t, last, s->path[0]);
	for (j = 0; j < t->n; j++) {
		if (s->used[j] || !nrt_ccl_adjacent(t, last, j))
			continue;
		if (++s->steps > NRT_CCL_SEARCH_STEPS)
			return false;
		s->used[j] = true;
		s->path[depth] = j;
		if (nrt_ccl_ring_dfs(s, depth + 1))
			return true;
		s->used[j] = false;
	}
	return false;
}

static void nrt_ccl_ring(struct nrt_ccl_topo *t, bool *used)
{
	struct nrt_ccl_search s = { .t = t, .path = t->ring, .used = used };
	unsigned int i;

	memset(used, 0, t->n * sizeof(*used));
	used[0] = true;
	t->ring[0] = 0;
	t->ring_direct = t->n == 1 || nrt_ccl_ring_dfs(&s, 1);
	if (!t->ring_direct) {
		for (i = 0; i < t->n; i++)
			t->ring[i] = i;
	}
	for (i = 0; i < t->n; i++)
		t->ring_pos[t->ring[i]] = i;
}

/* Backtracking search for an R x C torus embedding, in row-major order. */
static bool nrt_ccl_grid_dfs(struct nrt_ccl_search *s, unsigned int rows,
			     unsigned int cols, unsigned int pos)
{
	const struct nrt_ccl_topo *t = s->t;
	unsigned int r = pos / cols, c = pos % cols, j;

	if (pos == rows * cols)
		return true;
	for (j = 0; j < t->n; j++) {
		unsigned int *g = s->path;

		if (s->used[j])
			continue;
		if (++s->steps > NRT_CCL_SEARCH_STEPS)
			return false;
		if (c > 0 && !nrt_ccl_adjacent(t, g[pos - 1], j))
			continue;
		if (c == cols - 1 && cols > 2 && !nrt_ccl_adjacent(t, g[r * cols], j))
			continue;
		if (r > 0 && !nrt_ccl_adjacent(t, g[pos - cols], j))
			continue;
		if (r == rows - 1 && rows > 2 && !nrt_ccl_adjacent(t, g[c], j))
			continue;
		s->used[j] = true;
		g[pos] = j;
		if (nrt_ccl_grid_dfs(s, rows, cols, pos + 1))
			return true;
		s->used[j] = false;
	}
	return false;
}

static void nrt_ccl_torus(struct nrt_ccl_topo *t, bool *used)
{
	unsigned int n = t->n, rows, best, i;

	if (n < 4)
		return;
	/* Factors from the square root down: 4x4 before 2x8 */
	for (best = 1; (best + 1) * (best + 1) <= n; best++)
		;
	for (rows = best; rows >= 2; rows--) {
		struct nrt_ccl_search s = { .t = t, .path = t->grid, .used = used };

		if (n % rows || n / rows < 2)
			continue;
		memset(used, 0, n * sizeof(*used));
		used[0] = true;
		t->grid[0] = 0;
		if (nrt_ccl_grid_dfs(&s, rows, n / rows, 1)) {
			t->rows = rows;
			t->cols = n / rows;
			for (i = 0; i < n; i++)
				t->grid_pos[t->grid[i]] = i;
			return;
		}
	}
	free(t->grid);
	free(t->grid_pos);
	t->grid = NULL;
	t->grid_pos = NULL;
}

nrt_status nrt_ccl_topo_build(unsigned int n, const struct nrt_ccl_rank_info *info,
			      struct nrt_ccl_topo *t)
{
	unsigned int *dist = NULL, *queue = NULL, i;
	bool *used = NULL;
	nrt_status st = NRT_SUCCESS;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->port = calloc((size_t)n * n, sizeof(*t->port));
	t->next = calloc((size_t)n * n, sizeof(*t->next));
	t->ring = calloc(n, sizeof(*t->ring));
	t->ring_pos = calloc(n, sizeof(*t->ring_pos));
	t->grid = calloc(n, sizeof(*t->grid));
	t->grid_pos = calloc(n, sizeof(*t->grid_pos));
	dist = calloc(n, sizeof(*dist));
	queue = calloc(n, sizeof(*queue));
	used = calloc(n, sizeof(*used));
	if (!t->port || !t->next || !t->ring || !t->ring_pos || !t->grid ||
	    !t->grid_pos || !dist || !queue || !used) {
		st = nrt_fail(NRT_RESOURCE, "out of memory");
		goto out;
	}
	nrt_ccl_ports(t, info);
	if (!nrt_ccl_routes(t, dist, queue)) {
		for (i = 1; i < n && t->next[i * n] >= 0; i++)
			;
		st = nrt_fail(NRT_NO_LINK,
			      "rank %u (chip %u) and rank 0 (chip %u) are not connected by NeuronLink cables that are up",
			      i, info[i].chip, info[0].chip);
		goto out;
	}
	nrt_ccl_ring(t, used);
	nrt_ccl_torus(t, used);
out:
	free(dist);
	free(queue);
	free(used);
	if (st != NRT_SUCCESS)
		nrt_ccl_topo_free(t);
	return st;
}
