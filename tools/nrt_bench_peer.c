// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench: peer DMA over NeuronLink.
 *
 * Bandwidth: a stream of copies from the benchmarked device into the HBM of
 * the device at the other end of its first up port (push), and from it
 * (pull), against a stream of local device-to-device copies of the same size
 * on the same device, measured the same way in the same run.
 *
 * Latency: a small message passed around the longest ring through the
 * device that one port number forms (a ring of 16 in the bench VM): every
 * hop is one synchronous copy into the next device, issued by the device
 * that holds the message. Against it, a synchronous local copy of the same
 * size on the benchmarked device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_bench.h"
#include "nrt_bench_peer.h"
#include "nrt_tool.h"

const size_t peer_sizes[PEER_NSIZES] = {
	64 * 1024, 1024 * 1024, 16 * 1024 * 1024, 64 * 1024 * 1024,
};

#define RING_LAPS_MAX	200

static int far_device(const nrt_topology *t, unsigned int dev, unsigned int port,
		      unsigned int ndevs)
{
	const nrt_link *l = nrt_topology_find(t, dev, port);

	if (!l || l->state != NRT_LINK_UP || !l->has_peer || l->peer_device < 0 ||
	    (unsigned int)l->peer_device >= ndevs)
		return -1;
	return l->peer_device;
}

/* The devices of the cycle @start takes leaving every device by @port. */
static unsigned int ring_from(const nrt_topology *t, unsigned int start,
			      unsigned int port, unsigned int ndevs,
			      unsigned int *path)
{
	unsigned int n = 0, d = start;

	do {
		int next = far_device(t, d, port, ndevs);

		if (next < 0 || n == ndevs)
			return 0;
		path[n++] = d;
		d = (unsigned int)next;
	} while (d != start);
	return n;
}

static bool stream(const struct bench_options *o, nrt_buffer *dst, nrt_buffer *src,
		   const char *what, size_t size, struct bench_stat *gbps)
{
	struct bench_copy_ctx c = { .dst = dst, .src = src, .what = what,
				    .depth = o->depth };

	return bench_measure_stat(o, bench_copy_once, &c, size, (double)size, gbps);
}

static bool bench_bandwidth(const struct bench_options *o, nrt_device **devs,
			    struct peer_results *pr)
{
	size_t max = 0;
	nrt_buffer *a = NULL, *b = NULL, *remote = NULL, *peer = NULL;
	nrt_status st;
	bool ok = false;
	size_t i;

	for (i = 0; i < PEER_NSIZES && peer_sizes[i] <= o->max_size; i++)
		max = peer_sizes[i];
	if (!max)
		return true;
	if ((st = nrt_buffer_alloc(devs[pr->dev], max, NRT_PLACEMENT_HBM, &a)) ||
	    (st = nrt_buffer_alloc(devs[pr->dev], max, NRT_PLACEMENT_HBM, &b)) ||
	    (st = nrt_buffer_alloc(devs[pr->peer], max, NRT_PLACEMENT_HBM, &remote)) ||
	    (st = nrt_buffer_peer(devs[pr->dev], remote, (int)pr->port, 0, &peer))) {
		nrt_tool_error("peer buffers: %s: %s",
			       nrt_strerror(st), nrt_last_error());
		goto out;
	}
	for (i = 0; i < PEER_NSIZES; i++) {
		if (peer_sizes[i] > o->max_size)
			break;
		if (!stream(o, b, a, "local device->device", peer_sizes[i],
			    &pr->local_gbps[i]) ||
		    !stream(o, peer, a, "peer push", peer_sizes[i], &pr->push_gbps[i]) ||
		    !stream(o, a, peer, "peer pull", peer_sizes[i], &pr->pull_gbps[i]))
			goto out;
	}
	ok = true;
out:
	nrt_buffer_free(peer);
	nrt_buffer_free(remote);
	nrt_buffer_free(b);
	nrt_buffer_free(a);
	return ok;
}

/* Median microseconds of @laps synchronous local copies of PEER_RING_MSG bytes. */
static bool local_latency(nrt_device *dev, unsigned int n, double *us)
{
	nrt_buffer *a = NULL, *b = NULL;
	double *v = nrt_tool_xmalloc(n * sizeof(*v));
	nrt_status st = NRT_SUCCESS;
	unsigned int i;

	if (!(st = nrt_buffer_alloc(dev, PEER_RING_MSG, NRT_PLACEMENT_HBM, &a)) &&
	    !(st = nrt_buffer_alloc(dev, PEER_RING_MSG, NRT_PLACEMENT_HBM, &b))) {
		for (i = 0; i < n + 10 && !st; i++) {
			double t0 = bench_now_s();

			st = nrt_copy(b, 0, a, 0, PEER_RING_MSG, NULL, NULL);
			if (i >= 10)
				v[i - 10] = (bench_now_s() - t0) * 1e6;
		}
	}
	if (st)
		nrt_tool_error("local %d-byte copy: %s: %s",
			       PEER_RING_MSG, nrt_strerror(st), nrt_last_error());
	else
		*us = bench_median(v, n);
	nrt_buffer_free(a);
	nrt_buffer_free(b);
	free(v);
	return !st;
}

static bool bench_ring(const struct bench_options *o, nrt_device **devs,
		       const unsigned int *path, struct peer_results *pr)
{
	unsigned int n = pr->ring_len, laps = o->iterations < RING_LAPS_MAX ?
					    o->iterations : RING_LAPS_MAX;
	nrt_buffer **bufs = calloc(n, sizeof(*bufs));
	nrt_buffer **peers = calloc(n, sizeof(*peers));
	double *lap_us = nrt_tool_xmalloc((laps + 2) * sizeof(*lap_us));
	nrt_status st = NRT_SUCCESS;
	unsigned int i, h;
	bool ok = false;

	if (!bufs || !peers)
		goto out;
	for (i = 0; i < n && !st; i++)
		st = nrt_buffer_alloc(devs[path[i]], PEER_RING_MSG, NRT_PLACEMENT_HBM, &bufs[i]);
	for (i = 0; i < n && !st; i++)
		st = nrt_buffer_peer(devs[path[i]], bufs[(i + 1) % n], -1, 0, &peers[i]);
	/* Two laps to warm up, then the measured ones */
	for (i = 0; i < laps + 2 && !st; i++) {
		double t0 = bench_now_s();

		for (h = 0; h < n && !st; h++)
			st = nrt_copy(peers[h], 0, bufs[h], 0, PEER_RING_MSG, NULL, NULL);
		if (i >= 2)
			lap_us[i - 2] = (bench_now_s() - t0) * 1e6;
	}
	if (st) {
		nrt_tool_error("ring of %u: %s: %s", n,
			       nrt_strerror(st), nrt_last_error());
		goto out;
	}
	pr->ring_lap_us = bench_stat_split(lap_us, laps, o->runs);
	pr->ring_hop_us = pr->ring_lap_us.median / n;
	ok = local_latency(devs[pr->dev], laps, &pr->local_us);
out:
	for (i = 0; peers && i < n; i++)
		nrt_buffer_free(peers[i]);
	for (i = 0; bufs && i < n; i++)
		nrt_buffer_free(bufs[i]);
	free(peers);
	free(bufs);
	free(lap_us);
	return ok;
}

bool bench_peer(const struct bench_options *o, struct peer_results *pr)
{
	unsigned int ndevs = 0, i, port, best_port = 0, n;
	unsigned int *path = NULL, *best = NULL;
	nrt_device **devs = NULL;
	nrt_topology *t = NULL;
	bool ok = true;
	int far = -1;

	memset(pr, 0, sizeof(*pr));
	for (i = 0; i < PEER_NSIZES; i++)
		pr->push_gbps[i] = pr->pull_gbps[i] = pr->local_gbps[i] = BENCH_STAT_NONE;
	pr->ring_lap_us = BENCH_STAT_NONE;
	pr->ring_hop_us = pr->local_us = -1;

	/* No links, no peers: nothing to measure, and nothing wrong */
	if (nrt_device_count(&ndevs) || ndevs < 2 || o->device >= ndevs ||
	    nrt_topology_get(&t))
		goto out;
	for (port = 0; port < 16 && far < 0; port++) {
		far = far_device(t, o->device, port, ndevs);
		pr->port = port;
	}
	if (far < 0)
		goto out;
	pr->dev = o->device;
	pr->peer = (unsigned int)far;

	devs = calloc(ndevs, sizeof(*devs));
	path = calloc(ndevs, sizeof(*path));
	best = calloc(ndevs, sizeof(*best));
	if (!devs || !path || !best) {
		nrt_tool_error("out of memory");
		ok = false;
		goto out;
	}
	for (i = 0; i < ndevs; i++) {
		nrt_status st = nrt_device_open(i, &devs[i]);

		if (st) {
			nrt_tool_error("device %u: %s", i,
				       nrt_last_error());
			ok = false;
			goto out;
		}
	}
	pr->have = true;
	ok = bench_bandwidth(o, devs, pr);

	for (port = 0; port < 16; port++) {
		n = ring_from(t, o->device, port, ndevs, path);
		if (n > pr->ring_len) {
			pr->ring_len = n;
			best_port = port;
			memcpy(best, path, n * sizeof(*path));
		}
	}
	pr->ring_port = best_port;
	if (ok && pr->ring_len >= 2)
		ok = bench_ring(o, devs, best, pr);
out:
	for (i = 0; devs && i < ndevs; i++)
		nrt_device_close(devs[i]);
	free(devs);
	free(path);
	free(best);
	nrt_topology_free(t);
	return ok;
}
