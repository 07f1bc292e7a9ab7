/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench: peer DMA over NeuronLink, bandwidth and ring latency
 * (nrt_bench_peer.c).
 */
#ifndef NRT_BENCH_PEER_H
#define NRT_BENCH_PEER_H

#include <stdbool.h>
#include <stddef.h>

#include "nrt.h"
#include "nrt_bench.h"

#define PEER_NSIZES 4
#define PEER_RING_MSG 64

extern const size_t peer_sizes[PEER_NSIZES];

/*
 * GB/s and microseconds; < 0: not measured. Bandwidths are medians of
 * runs with their spread; the lap is the median of all laps, its spread
 * the lowest and highest median of the runs the laps are split into.
 */
struct peer_results {
	bool have;			/* the device has an up port to a device */
	unsigned int dev, port, peer;	/* the link measured */
	struct bench_stat local_gbps[PEER_NSIZES];
	struct bench_stat push_gbps[PEER_NSIZES];
	struct bench_stat pull_gbps[PEER_NSIZES];
	unsigned int ring_len, ring_port; /* the ring of the latency figure */
	struct bench_stat ring_lap_us;
	double ring_hop_us;
	double local_us;		/* a local copy of PEER_RING_MSG bytes */
};

bool bench_peer(const struct bench_options *o, struct peer_results *pr);

#endif /* NRT_BENCH_PEER_H */
