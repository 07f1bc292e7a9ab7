// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench: the figures of a run and their output, see nrt_bench_report.h.
 * Each figure of the device comes with its ratio to the baseline measured
 * in the same run (or read from --baseline).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "nrt_bench_report.h"
#include "nrt_json.h"
#include "nrt_tool.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

const size_t bench_sizes[BENCH_NSIZES] = {
	4 * KIB, 64 * KIB, 1 * MIB, 16 * MIB, 256 * MIB,
};

static const char *const dir_key[NDIRS] = {
	"host_to_device", "device_to_host", "device_to_device",
};
static const char *const dir_title[NDIRS] = {
	"host->dev", "dev->host", "dev->dev",
};

void bench_results_init(struct bench_results *res, size_t max_size)
{
	size_t i;
	int d;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < BENCH_NSIZES; i++) {
		if (bench_sizes[i] <= max_size)
			res->nsizes = i + 1;
		res->memcpy_bw[i].gbps = -1;
		for (d = 0; d < NDIRS; d++)
			res->copy[d][i].gbps = -1;
	}
	res->ioctl_p50_us = res->job_p50_us = res->job_p99_us = -1;
	res->jobs_per_second = -1;
	for (i = 0; i < MATMUL_NSIZES; i++) {
		res->mm.host_gflops[i] = -1;
		for (d = 0; d < MATMUL_NDTYPES; d++)
			res->mm.dev_gflops[d][i] = -1;
	}
}

static double ratio(double a, double b)
{
	return a > 0 && b > 0 ? a / b : -1;
}

static void print_num(double v, int width, int prec)
{
	if (v < 0)
		printf("%*s", width, "-");
	else
		printf("%*.*f", width, prec, v);
}

static void print_dma_text(const struct bench_options *o, const struct bench_results *res)
{
	const char *src = o->baseline ? o->baseline : "this machine";
	size_t i;
	int d;

	if (res->have_device)
		printf("device %u (%s): %u DMA queues on %u engines, at most %u descriptors per job\n\n",
		       res->info.index, res->info.pci_bdf, res->info.dma_queues,
		       res->info.dma_engines, res->info.max_descs);
	printf("bandwidth in GB/s (10^9 bytes/s): median of %u runs, each of up to %u\n"
	       "transfers (device copies: %d in flight) or %.2f s; memcpy baseline from %s\n\n",
	       o->runs, o->iterations, o->depth, RUN_SECONDS, src);

	printf("%-9s %9s", "SIZE", "memcpy");
	if (!o->host_only) {
		for (d = 0; d < NDIRS; d++)
			printf(" %10s %7s", dir_title[d], "ratio");
	}
	printf("\n");
	for (i = 0; i < res->nsizes; i++) {
		char sz[32];

		nrt_tool_format_size(bench_sizes[i], sz, sizeof(sz));
		printf("%-9s ", sz);
		print_num(res->memcpy_bw[i].gbps, 9, 2);
		if (!o->host_only) {
			for (d = 0; d < NDIRS; d++) {
				printf(" ");
				print_num(res->copy[d][i].gbps, 10, 3);
				printf(" ");
				print_num(ratio(res->copy[d][i].gbps,
						res->memcpy_bw[i].gbps), 7, 4);
			}
		}
		printf("\n");
	}
	if (!res->have_latency)
		return;

	printf("\nlatency (%u samples each)\n", o->iterations);
	printf("  DRM ioctl round trip, p50         %10.2f us\n", res->ioctl_p50_us);
	printf("  empty job submit + wait, p50      %10.2f us  (%.1f x ioctl)\n",
	       res->job_p50_us, ratio(res->job_p50_us, res->ioctl_p50_us));
	printf("  empty job submit + wait, p99      %10.2f us\n", res->job_p99_us);
	printf("  empty jobs, %d in flight on %u queues %8.0f jobs/s\n",
	       PIPELINE_DEPTH, res->pipeline_queues, res->jobs_per_second);
}

static void print_matmul_text(const struct bench_options *o, const struct bench_results *res)
{
	size_t i, d;

	printf("\nmatmul in GFLOP/s (2 n^3 per n x n product): median of %u runs;\n"
	       "host: cblas_sgemm, all CPUs, from %s", o->runs,
	       o->baseline ? o->baseline : "this machine");
	if (res->mm.have_dev)
		printf(";\ndevice: the product split by rows over its %u NeuronCores",
		       res->mm.cores);
	printf("\n\n");
	printf("%-6s %9s", "N", "host");
	if (res->mm.have_dev) {
		for (d = 0; d < MATMUL_NDTYPES; d++)
			printf(" %9s %7s", nrt_dtype_name(matmul_dtypes[d]), "ratio");
	}
	printf("\n");
	for (i = 0; i < MATMUL_NSIZES; i++) {
		if (matmul_sizes[i] > o->max_matmul)
			continue;
		printf("%-6u ", matmul_sizes[i]);
		print_num(res->mm.host_gflops[i], 9, 2);
		if (res->mm.have_dev) {
			for (d = 0; d < MATMUL_NDTYPES; d++) {
				printf(" ");
				print_num(res->mm.dev_gflops[d][i], 9, 2);
				printf(" ");
				print_num(ratio(res->mm.dev_gflops[d][i],
						res->mm.host_gflops[i]), 7, 4);
			}
		}
		printf("\n");
	}
}

/* The peer DMA figures, with their ratios to local copies. */
static void print_peer_text(const struct bench_options *o,
			    const struct peer_results *pr)
{
	char sz[16];
	size_t i;

	if (!pr->have) {
		printf("\npeer DMA: no device cabled to device %u\n", o->device);
		return;
	}
	printf("\npeer DMA over NeuronLink: device %u port %u <-> device %u, GB/s,\n"
	       "ratio to a local device->device copy of the same size on device %u\n",
	       pr->dev, pr->port, pr->peer, pr->dev);
	printf("%10s %10s %10s %7s %10s %7s\n", "size", "local d2d", "push", "ratio",
	       "pull", "ratio");
	for (i = 0; i < PEER_NSIZES; i++) {
		if (pr->local_gbps[i].median < 0)
			continue;
		nrt_tool_format_size(peer_sizes[i], sz, sizeof(sz));
		printf("%10s", sz);
		print_num(pr->local_gbps[i].median, 11, 2);
		print_num(pr->push_gbps[i].median, 11, 2);
		print_num(ratio(pr->push_gbps[i].median, pr->local_gbps[i].median), 8, 2);
		print_num(pr->pull_gbps[i].median, 11, 2);
		print_num(ratio(pr->pull_gbps[i].median, pr->local_gbps[i].median), 8, 2);
		printf("\n");
	}
	if (pr->ring_hop_us < 0) {
		printf("ring latency: no ring through device %u\n", pr->dev);
		return;
	}
	printf("ring of %u (port %u), %d-byte message, median of laps: lap %.0f us, "
	       "per hop %.1f us;\n  local %d-byte copy %.1f us; hop/local ratio %.2f\n",
	       pr->ring_len, pr->ring_port, PEER_RING_MSG, pr->ring_lap_us.median,
	       pr->ring_hop_us, PEER_RING_MSG, pr->local_us,
	       ratio(pr->ring_hop_us, pr->local_us));
}

/* The push bandwidth over one link at the size of the collective's. */
static struct bench_stat link_copy(const struct peer_results *pr)
{
	size_t i;

	for (i = 0; i < PEER_NSIZES; i++) {
		if (peer_sizes[i] == COLL_BW_BYTES)
			return pr->push_gbps[i];
	}
	return BENCH_STAT_NONE;
}

/* @cr->ranks times the ring's hop: the ring's lap when it holds every rank. */
static struct bench_stat ring_hops(const struct peer_results *pr,
				   const struct coll_results *cr)
{
	if (!pr->ring_len)
		return BENCH_STAT_NONE;
	return bench_stat_scale(pr->ring_lap_us, (double)cr->ranks / pr->ring_len);
}

/* One figure of the collectives: median, spread, goal and verdict. */
static void print_stat_line(const char *what, struct bench_stat s, int prec,
			    double goal, bool at_least)
{
	enum bench_verdict v = bench_goal_verdict(s.median, goal, at_least);

	printf("  %-34s", what);
	print_num(s.median, 10, prec);
	if (bench_stat_measured(s)) {
		printf("  [");
		print_num(s.lo, 9, prec);
		printf(",");
		print_num(s.hi, 9, prec);
		printf("]");
	} else {
		printf("  %21s", "");
	}
	if (goal >= 0)
		printf("  %s%5.2f  %s", at_least ? ">=" : "<=", goal, bench_verdict_name(v));
	printf("\n");
}

static void print_coll_text(const struct bench_options *o, const struct bench_results *res)
{
	const struct coll_results *cr = &res->coll;
	struct bench_stat link = link_copy(&res->peer), hops = ring_hops(&res->peer, cr);
	char what[64], sz[16];

	if (!cr->have)
		return;
	nrt_tool_format_size(COLL_BW_BYTES, sz, sizeof(sz));
	printf("\nall-reduce across %u devices, fp32 sum, out of place, one forked rank each;\n"
	       "%d bytes: %s; %s: %s\n"
	       "median of %u runs [lowest, highest run]. The host is shared and the devices\n"
	       "are emulated: only ratios of figures of this run mean anything.\n",
	       cr->ranks, COLL_LAT_BYTES, cr->algo_lat, sz, cr->algo_bw, o->runs);
	printf("  %-34s %9s  [%9s,%9s]  %s\n", "", "median", "lowest", "highest", "goal");
	if (bench_stat_measured(cr->busbw_gbps)) {
		snprintf(what, sizeof(what), "%s all-reduce, us", sz);
		print_stat_line(what, cr->time_us, 0, -1, true);
		snprintf(what, sizeof(what), "%s busbw, GB/s", sz);
		print_stat_line(what, cr->busbw_gbps, 4, -1, true);
		snprintf(what, sizeof(what), "%s push over one link, GB/s", sz);
		print_stat_line(what, link, 3, -1, true);
		print_stat_line("busbw / link push", bench_stat_ratio(cr->busbw_gbps, link), 4,
				COLL_BW_GOAL, true);
	}
	snprintf(what, sizeof(what), "%d-byte all-reduce, us", COLL_LAT_BYTES);
	print_stat_line(what, cr->lat_us, 0, -1, true);
	snprintf(what, sizeof(what), "%u x ring hop (%d-byte copy), us", cr->ranks, PEER_RING_MSG);
	print_stat_line(what, hops, 0, -1, true);
	snprintf(what, sizeof(what), "all-reduce / (%u x hop)", cr->ranks);
	print_stat_line(what, bench_stat_ratio(cr->lat_us, hops), 2, -1, true);
}

/* A measured number with 6 significant digits, or null if not measured. */
static void json_num(json_object *o, const char *key, double v, bool *ok)
{
	nrt_json_num(o, key, v, 6, ok);
}

/* [{"n", "gflops"(, "ratio" to @base)}] for the sizes measured. */
static void json_matmul(json_object *o, const char *key, const double *gflops,
			const double *base, const struct bench_options *opts,
			bool *ok)
{
	json_object *arr = nrt_json_child(o, key, true, ok);
	size_t i;

	for (i = 0; *ok && i < MATMUL_NSIZES; i++) {
		json_object *e;

		if (matmul_sizes[i] > opts->max_matmul)
			continue;
		e = nrt_json_child(arr, NULL, false, ok);
		nrt_json_i64(e, "n", matmul_sizes[i], ok);
		json_num(e, "gflops", gflops[i], ok);
		if (base)
			json_num(e, "ratio", ratio(gflops[i], base[i]), ok);
	}
}

static void json_host(json_object *root, const struct bench_options *o,
		      const struct bench_results *res, bool *ok)
{
	json_object *method, *mc, *e;
	size_t i;

	nrt_json_i64(root, "schema_version", 1, ok);
	nrt_json_str(root, "tool", NRT_BENCH_NAME, ok);
	nrt_json_str(root, "units", "gbps: 10^9 bytes/s; latency: microseconds", ok);
	method = nrt_json_child(root, "method", false, ok);
	nrt_json_str(method, "statistic", "median", ok);
	nrt_json_i64(method, "runs", o->runs, ok);
	json_num(method, "run_seconds", RUN_SECONDS, ok);
	nrt_json_i64(method, "max_iterations", o->iterations, ok);
	nrt_json_i64(method, "copies_in_flight", o->depth, ok);
	nrt_json_str(root, "memcpy_source", o->baseline ? o->baseline : "local", ok);
	mc = nrt_json_child(root, "memcpy", true, ok);
	for (i = 0; *ok && i < res->nsizes; i++) {
		e = nrt_json_child(mc, NULL, false, ok);
		nrt_json_i64(e, "size", (int64_t)bench_sizes[i], ok);
		json_num(e, "gbps", res->memcpy_bw[i].gbps, ok);
	}
	json_matmul(root, "host_matmul", res->mm.host_gflops, NULL, o, ok);
}

static void json_device(json_object *root, const struct bench_options *o,
			const struct bench_results *res, bool *ok)
{
	json_object *mm, *dev, *copy, *arr, *e;
	size_t i, t;
	int d;

	if (res->mm.have_dev) {
		mm = nrt_json_child(root, "matmul", false, ok);
		for (t = 0; *ok && t < MATMUL_NDTYPES; t++)
			json_matmul(mm, nrt_dtype_name(matmul_dtypes[t]),
				    res->mm.dev_gflops[t], res->mm.host_gflops, o, ok);
		nrt_json_i64(mm, "cores", res->mm.cores, ok);
	}
	if (!res->have_device)
		return;
	dev = nrt_json_child(root, "device", false, ok);
	nrt_json_i64(dev, "index", res->info.index, ok);
	nrt_json_str(dev, "pci_bdf", res->info.pci_bdf, ok);
	nrt_json_i64(dev, "dma_engines", res->info.dma_engines, ok);
	nrt_json_i64(dev, "dma_queues", res->info.dma_queues, ok);
	nrt_json_i64(dev, "max_descs", res->info.max_descs, ok);
	copy = nrt_json_child(root, "copy", false, ok);
	for (d = 0; *ok && d < NDIRS; d++) {
		arr = nrt_json_child(copy, dir_key[d], true, ok);
		for (i = 0; *ok && i < res->nsizes; i++) {
			e = nrt_json_child(arr, NULL, false, ok);
			nrt_json_i64(e, "size", (int64_t)bench_sizes[i], ok);
			json_num(e, "gbps", res->copy[d][i].gbps, ok);
			json_num(e, "ratio_to_memcpy",
				 ratio(res->copy[d][i].gbps, res->memcpy_bw[i].gbps), ok);
		}
	}
}

static void json_latency(json_object *root, const struct bench_options *o,
			 const struct bench_results *res, bool *ok)
{
	json_object *lat = nrt_json_child(root, "latency", false, ok);

	nrt_json_i64(lat, "samples", o->iterations, ok);
	json_num(lat, "ioctl_p50_us", res->ioctl_p50_us, ok);
	json_num(lat, "job_p50_us", res->job_p50_us, ok);
	json_num(lat, "job_p99_us", res->job_p99_us, ok);
	json_num(lat, "job_to_ioctl_p50_ratio",
		 ratio(res->job_p50_us, res->ioctl_p50_us), ok);
	nrt_json_i64(lat, "pipeline_depth", PIPELINE_DEPTH, ok);
	nrt_json_i64(lat, "pipeline_queues", res->pipeline_queues, ok);
	json_num(lat, "jobs_per_second", res->jobs_per_second, ok);
}

/* {"median", "min", "max"}, nulls when not measured. */
static void json_stat(json_object *o, const char *key, struct bench_stat s, bool *ok)
{
	json_object *e = nrt_json_child(o, key, false, ok);
	bool m = bench_stat_measured(s);

	json_num(e, "median", m ? s.median : -1, ok);
	json_num(e, "min", m ? s.lo : -1, ok);
	json_num(e, "max", m ? s.hi : -1, ok);
}

/* "goal" and "meets" of @v: nulls without a goal or a figure. */
static void json_goal(json_object *o, double v, double goal, bool *ok)
{
	enum bench_verdict vd = bench_goal_verdict(v, goal, true);

	json_num(o, "goal", goal, ok);
	if (vd == BENCH_MEETS || vd == BENCH_SHORT)
		nrt_json_bool(o, "meets", vd == BENCH_MEETS, ok);
	else
		nrt_json_null(o, "meets", ok);
}

static void json_coll(json_object *root, const struct bench_results *res, bool *ok)
{
	const struct coll_results *cr = &res->coll;
	struct bench_stat link = link_copy(&res->peer), hops = ring_hops(&res->peer, cr);
	struct bench_stat r;
	json_object *c = nrt_json_child(root, "collectives", false, ok), *e;

	nrt_json_str(c, "op", "all_reduce", ok);
	nrt_json_str(c, "type", "fp32", ok);
	nrt_json_str(c, "redop", "sum", ok);
	nrt_json_i64(c, "ranks", cr->ranks, ok);
	nrt_json_i64(c, "runs", cr->runs, ok);
	nrt_json_str(c, "statistic", "median of the runs, min and max run", ok);
	e = nrt_json_child(c, "latency", false, ok);
	nrt_json_i64(e, "bytes", COLL_LAT_BYTES, ok);
	nrt_json_str(e, "algorithm", cr->algo_lat, ok);
	nrt_json_i64(e, "calls_per_run", COLL_LAT_CALLS, ok);
	json_stat(e, "time_us", cr->lat_us, ok);
	json_stat(e, "ring_hops_us", hops, ok);
	r = bench_stat_ratio(cr->lat_us, hops);
	json_stat(e, "ratio_to_ring_hops", r, ok);
	json_goal(e, r.median, -1, ok);
	if (!bench_stat_measured(cr->busbw_gbps))
		return;
	e = nrt_json_child(c, "bandwidth", false, ok);
	nrt_json_i64(e, "bytes", (int64_t)COLL_BW_BYTES, ok);
	nrt_json_str(e, "algorithm", cr->algo_bw, ok);
	nrt_json_i64(e, "calls_per_run", COLL_BW_CALLS, ok);
	json_stat(e, "time_us", cr->time_us, ok);
	json_stat(e, "busbw_gbps", cr->busbw_gbps, ok);
	json_stat(e, "link_push_gbps", link, ok);
	r = bench_stat_ratio(cr->busbw_gbps, link);
	json_stat(e, "busbw_to_link_push", r, ok);
	json_goal(e, r.median, COLL_BW_GOAL, ok);
}

static void json_peer(json_object *root, const struct peer_results *pr, bool *ok)
{
	json_object *peer = nrt_json_child(root, "peer", false, ok), *bw, *e, *ring;
	size_t i;

	nrt_json_i64(peer, "device", pr->dev, ok);
	nrt_json_i64(peer, "port", pr->port, ok);
	nrt_json_i64(peer, "peer_device", pr->peer, ok);
	bw = nrt_json_child(peer, "bandwidth", true, ok);
	for (i = 0; *ok && i < PEER_NSIZES; i++) {
		if (pr->local_gbps[i].median < 0)
			continue;
		e = nrt_json_child(bw, NULL, false, ok);
		nrt_json_i64(e, "bytes", (int64_t)peer_sizes[i], ok);
		json_num(e, "local_gbps", pr->local_gbps[i].median, ok);
		json_num(e, "push_gbps", pr->push_gbps[i].median, ok);
		json_num(e, "push_ratio_to_local", ratio(pr->push_gbps[i].median, pr->local_gbps[i].median), ok);
		json_num(e, "pull_gbps", pr->pull_gbps[i].median, ok);
		json_num(e, "pull_ratio_to_local", ratio(pr->pull_gbps[i].median, pr->local_gbps[i].median), ok);
	}
	if (pr->ring_hop_us < 0)
		return;
	ring = nrt_json_child(peer, "ring", false, ok);
	nrt_json_i64(ring, "devices", pr->ring_len, ok);
	nrt_json_i64(ring, "message_bytes", PEER_RING_MSG, ok);
	json_num(ring, "lap_us", pr->ring_lap_us.median, ok);
	json_num(ring, "hop_us", pr->ring_hop_us, ok);
	json_num(ring, "local_copy_us", pr->local_us, ok);
	json_num(ring, "hop_to_local_ratio", ratio(pr->ring_hop_us, pr->local_us), ok);
	ring = nrt_json_child(ring, "lap_spread_us", false, ok);
	json_num(ring, "min", pr->ring_lap_us.lo, ok);
	json_num(ring, "max", pr->ring_lap_us.hi, ok);
}

int bench_print_json(const struct bench_options *o, const struct bench_results *res)
{
	json_object *root = json_object_new_object();
	bool ok = root != NULL;

	json_host(root, o, res, &ok);
	json_device(root, o, res, &ok);
	if (res->have_latency)
		json_latency(root, o, res, &ok);
	if (res->peer.have)
		json_peer(root, &res->peer, &ok);
	if (res->coll.have)
		json_coll(root, res, &ok);
	if (ok)
		ok = !nrt_json_print(stdout, root, JSON_C_TO_STRING_PRETTY |
				     JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(root);
	if (!ok)
		nrt_tool_error("cannot write the JSON document");
	return ok ? 0 : -1;
}

void bench_print_text(const struct bench_options *o, const struct bench_results *res)
{
	print_dma_text(o, res);
	print_matmul_text(o, res);
	if (res->have_device) {
		print_peer_text(o, &res->peer);
		print_coll_text(o, res);
	}
}
