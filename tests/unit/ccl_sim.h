/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2026 The trn authors
 *
 * A simulator of the ranks' devices for the unit tests of the collectives'
 * schedules (ccl_sim.c, used by test_nrt_ccl_sched.c): every rank's
 * buffers, every receiver's staging slots with their validity cells, and
 * the jobs, executed one at a time in a random order that respects what the
 * devices would respect (the FIFO order of an engine, the dependencies, a
 * transfer received only once it was pushed, a slot pushed again only once
 * its receiver gave it back). Reductions run the encoded NeuronCore
 * program with the reference executor (tests/common/trn_ref.c).
 */
#ifndef CCL_SIM_H
#define CCL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_ccl_sched.h"

/* The device addresses of the simulated memories, and the token. */
#define VA_MEM   UINT64_C(0x10000000)
#define VA_STAGE UINT64_C(0x400000000)
#define VA_SVAL  UINT64_C(0x800000000)
#define VA_CELL  UINT64_C(0x900000000)
#define VA_TOKEN UINT64_C(0xa00000000)
#define VA_SCRATCH UINT64_C(0xb00000000)
#define STAGE_STRIDE UINT64_C(0x10000000)
#define TOKEN 42

struct sim_rank {
	unsigned char *mem;
	size_t mem_len, send_base, recv_base;
	unsigned char *stage;           /* [from][slot][piece] */
	unsigned char *scratch;
	uint64_t scratch_len;
	int64_t *sval;                  /* [from][slot] */
	int64_t *cells;                 /* per op */
	int64_t token;
	bool *done;
	int32_t *prev_engine;           /* previous op of the same engine */
};

struct sim {
	const struct nrt_ccl_sched *s;
	unsigned int n, nslots;
	uint64_t piece;
	struct sim_rank *r;
	/* per channel a * n + b: pushes and frees done, by seq */
	bool **pushed, **freed;
	uint32_t *push_pre, *free_pre;
	unsigned int cur;               /* rank of the op the executor runs */
};

/* The state of sim_rand(), which the tests seed. */
extern uint64_t sim_rand_state;

/* A pseudo-random number (a 64-bit LCG): the order of the jobs. */
uint32_t sim_rand(void);

/*
 * sim_init() - the devices of the ranks of @s, with @nslots staging slots per
 * channel and send and receive buffers of @send_len and @recv_len bytes
 * (aliased as the plans say for collectives in place)
 */
void sim_init(struct sim *m, const struct nrt_ccl_sched *s, unsigned int nslots,
	      size_t send_len, size_t recv_len);

/* Run every op of every rank in a random valid order; false on deadlock. */
bool sim_run(struct sim *m);

void sim_free(struct sim *m);

#endif /* CCL_SIM_H */
