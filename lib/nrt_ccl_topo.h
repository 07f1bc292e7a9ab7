/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Collectives, internal: the cabling of a communicator's ranks
 * (nrt_ccl_topo.c): who reaches whom through which port, shortest routes,
 * a ring through all ranks and a torus grid, computed from what every rank
 * reported about its device's link ports at bootstrap.
 *
 * The modules of collectives, from the bottom up, each with its header:
 *
 *   nrt_ccl_topo    the ranks' cables (this header)
 *   nrt_ccl_sched   schedules: what every rank does for one collective
 *                   (nrt_ccl_algo.c: the algorithms as transfers;
 *                   nrt_ccl_sched.c: order, channels, dependencies)
 *   nrt_ccl_reduce  the reducer: a NeuronCore program that combines a
 *                   received piece with local data
 *   nrt_ccl_boot    the unique id, the rendezvous and the messages between
 *                   ranks (Unix sockets on one host)
 *   nrt_comm        the communicator (nrt_comm.c: bootstrap, channels,
 *                   failures; nrt_ccl_exec.c: running a schedule on the
 *                   device; nrt_coll.c: the public collective calls)
 *
 * Documentation/collectives.rst describes the design.
 */
#ifndef NRT_CCL_TOPO_H
#define NRT_CCL_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_log.h"

/* Most ranks of a communicator, and most link ports of a device. */
#define NRT_CCL_MAX_RANKS 1024u
#define NRT_CCL_MAX_PORTS 16u

/* One link port of a rank's device, as the rank reports it. */
struct nrt_ccl_port {
	uint32_t port;
	uint32_t up;            /* the link is up and the peer fields valid */
	uint32_t peer_chip;
	uint32_t peer_port;
};

/*
 * What a rank tells the others about itself at bootstrap. Fixed size: it
 * travels as it is between processes of one host (part B, across hosts,
 * gives it a wire format).
 */
struct nrt_ccl_rank_info {
	uint64_t host;          /* identifies the host: chips are (host, chip) */
	uint32_t chip;
	uint32_t pid;
	uint32_t device;        /* device index in the rank's process */
	uint32_t ncores;        /* NeuronCore queues of the device */
	uint32_t nports;
	uint32_t reserved;
	struct nrt_ccl_port ports[NRT_CCL_MAX_PORTS];
};

/*
 * struct nrt_ccl_topo - the cabling of a communicator's ranks
 * @n: ranks
 * @port: n * n: the port of rank i whose cable leads to rank j (both ends
 *	up and naming each other), or -1
 * @next: n * n: the next rank on a shortest path from i to j (j for a
 *	neighbour, i for i == j), or -1 if j is unreachable
 * @ring: a cyclic order of all ranks, ring[position] = rank; consecutive
 *	ranks are cabled when @ring_direct, otherwise the order is by rank and
 *	transfers between non-neighbours are relayed
 * @ring_pos: the inverse of @ring
 * @rows, @cols: the torus grid when @grid is not NULL (both >= 2):
 *	grid[r * cols + c] is a rank, cabled to its row and column neighbours
 *	(wrapping around)
 * @grid_pos: the inverse of @grid
 */
struct nrt_ccl_topo {
	unsigned int n;
	int *port;
	int *next;
	unsigned int *ring;
	unsigned int *ring_pos;
	bool ring_direct;
	unsigned int rows, cols;
	unsigned int *grid;
	unsigned int *grid_pos;
};

/*
 * nrt_ccl_topo_build() - the cabling of @n ranks from what they reported
 *
 * Return: NRT_SUCCESS; NRT_RESOURCE if out of memory; NRT_NO_LINK if a rank
 * reaches no other (with @n > 1), the message naming it.
 */
NRT_HIDDEN nrt_status nrt_ccl_topo_build(unsigned int n,
					 const struct nrt_ccl_rank_info *info,
					 struct nrt_ccl_topo *t);
NRT_HIDDEN void nrt_ccl_topo_free(struct nrt_ccl_topo *t);

/* Whether ranks @a and @b are cabled to each other. */
static inline bool nrt_ccl_adjacent(const struct nrt_ccl_topo *t, unsigned int a,
				    unsigned int b)
{
	return a != b && t->port[a * t->n + b] >= 0;
}

#endif /* NRT_CCL_TOPO_H */
