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

#define PEER_NSIZES 3
#define PEER_RING_MSG 64

extern const size_t peer_sizes[PEER_NSIZES];

/* GB/s and microseconds; < 0: not measured. */
struct peer_results {
	bool have;			/* the device has an up port to a device */
	unsigned int dev, port, peer;	/* the link measured */
	double local_gbps[PEER_NSIZES];
	double push_gbps[PEER_NSIZES];
	double pull_gbps[PEER_NSIZES];
	unsigned int ring_len, ring_port; /* the ring of the latency figure */
	double ring_lap_us, ring_hop_us;
	double local_us;		/* a local copy of PEER_RING_MSG bytes */
};

bool bench_peer(const struct bench_options *o, struct peer_results *pr);

#endif /* NRT_BENCH_PEER_H */
