// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench - DMA bandwidth, job latency and matmul throughput of a trn
 * device, against host memcpy, a DRM ioctl round trip and host BLAS as
 * baselines.
 *
 * Bandwidth: for each size and direction, runs of asynchronous nrt_copy()
 * calls with up to --depth in flight (each run: up to --iterations copies or
 * RUN_SECONDS, whichever comes first, then the last copies waited for); the
 * figure is the median of the runs' bytes per second. memcpy
 * is measured the same way on malloc'd buffers, or read from a JSON file
 * (--baseline) written by "nrt-bench --host-only --json", possibly on
 * another machine. Latency: --iterations samples of an ioctl and of a
 * one-NOP job submitted and waited for; throughput of empty jobs with a
 * pipeline of async jobs over all queues. See nrt-bench(1).
 *
 * With more than one device: peer DMA over NeuronLink against local copies,
 * and all-reduce across all devices against one link's push and the
 * ring's hops.
 *
 * This file has the options, the baseline, the bandwidth and latency
 * figures and main(); nrt_bench.c the timing of runs they all use,
 * nrt_bench_stat.c the statistics, nrt_bench_matmul.c, nrt_bench_peer.c
 * and nrt_bench_coll.c the matmul, peer DMA and all-reduce figures,
 * nrt_bench_report.c the tables and the JSON document.
 *
 * Exit status: 0 on success, 1 if a measurement failed, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>
#include <xf86drm.h>
#include "drm/trn_accel.h"

#include "nrt.h"
#include "nrt_bench.h"
#include "nrt_bench_coll.h"
#include "nrt_bench_matmul.h"
#include "nrt_bench_peer.h"
#include "nrt_bench_report.h"
#include "nrt_tool.h"

#define DEFAULT_MAX_SIZE ((size_t)256 << 20)
#define DEFAULT_ITERATIONS 4000
#define DEFAULT_RUNS 5
#define DEFAULT_COPY_DEPTH 256
#define DEFAULT_MAX_MATMUL 2048
#define PIPELINE_SECONDS 0.5

/* --- helpers ------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " NRT_BENCH_NAME " [OPTION]...\n"
		"Measure DMA bandwidth and job latency of a trn device, and host\n"
		"memcpy bandwidth and a DRM ioctl round trip as baselines.\n"
		"\n"
		"  -d, --device N       device index (default 0)\n"
		"  -j, --json           print a JSON document instead of tables\n"
		"  -s, --max-size SIZE  largest transfer, e.g. 16M (default 256M)\n"
		"  -n, --iterations N   most transfers per run, and latency samples\n"
		"                       (default %d)\n"
		"  -r, --runs N         runs per bandwidth figure (default %d)\n"
		"  -q, --depth N        device copies in flight (default %d)\n"
		"  -M, --max-matmul N   largest matmul size (default %d)\n"
		"  -m, --host-only      measure the host baselines only: memcpy and\n"
		"                       BLAS matmul (no device needed)\n"
		"  -b, --baseline FILE  take memcpy figures from FILE, the output of\n"
		"                       " NRT_BENCH_NAME " --host-only --json\n"
		"  -C, --no-collectives skip the all-reduce across all devices\n"
		"  -h, --help           print this help and exit\n"
		"  -V, --version        print the version and exit\n"
		"\n"
		"Exit status: 0 on success, 1 if a measurement failed, 2 on a\n"
		"usage error.\n",
		DEFAULT_ITERATIONS, DEFAULT_RUNS, DEFAULT_COPY_DEPTH, DEFAULT_MAX_MATMUL);
}

/* --- bandwidth ------------------------------------------------------------ */

struct memcpy_ctx {
	unsigned char *src, *dst;
};

static bool memcpy_once(void *ctx, size_t size)
{
	struct memcpy_ctx *m = ctx;

	if (!size)
		return true;
	memcpy(m->dst, m->src, size);
	/* Keep the compiler from dropping a copy whose result is unused. */
	__asm__ __volatile__("" : : "r"(m->dst) : "memory");
	return true;
}

static void bench_memcpy(const struct bench_options *o, struct bench_results *res)
{
	struct memcpy_ctx m;
	size_t max = bench_sizes[res->nsizes - 1];
	size_t i;

	m.src = nrt_tool_xmalloc(max);
	m.dst = nrt_tool_xmalloc(max);
	memset(m.src, 0x5a, max);
	memset(m.dst, 0, max);
	for (i = 0; i < res->nsizes; i++) {
		if (!bench_measure(o, memcpy_once, &m, bench_sizes[i],
				   (double)bench_sizes[i], &res->memcpy_bw[i].gbps))
			res->memcpy_bw[i].gbps = -1;
	}
	free(m.src);
	free(m.dst);
}

/*
 * Allocate the three buffers of the copies at the largest size that fits,
 * dropping sizes from the top of the list while the device is out of room.
 */
static bool alloc_buffers(nrt_device *dev, struct bench_results *res,
			  nrt_buffer *bufs[3])
{
	static const nrt_placement place[3] = {
		NRT_PLACEMENT_HOST, NRT_PLACEMENT_HBM, NRT_PLACEMENT_HBM,
	};

	while (res->nsizes > 0) {
		size_t size = bench_sizes[res->nsizes - 1];
		nrt_status st = NRT_SUCCESS;
		unsigned int i;

		for (i = 0; i < 3; i++) {
			st = nrt_buffer_alloc(dev, size, place[i], &bufs[i]);
			if (st != NRT_SUCCESS)
				break;
		}
		if (i == 3)
			return true;
		while (i--)
			nrt_buffer_free(bufs[i]);
		if (st != NRT_RESOURCE) {
			nrt_tool_error("cannot allocate buffers: %s",
				       nrt_tool_reason(st));
			return false;
		}
		nrt_tool_error("warning: no room for %zu-byte buffers (%s); trying smaller",
			       size, nrt_tool_reason(st));
		res->nsizes--;
	}
	nrt_tool_error("cannot allocate buffers of any size");
	return false;
}

static bool bench_copies(const struct bench_options *o, nrt_device *dev,
			 struct bench_results *res)
{
	nrt_buffer *bufs[3] = { NULL, NULL, NULL }; /* host, hbm a, hbm b */
	struct bench_copy_ctx ctx[NDIRS];
	bool ok = true;
	size_t i;
	int d;

	if (!alloc_buffers(dev, res, bufs))
		return false;
	/* Defined contents: the kernel clears buffers, but write anyway. */
	if (nrt_fill(bufs[0], 0, nrt_buffer_size(bufs[0]), 0x5a, NULL, NULL) ||
	    nrt_fill(bufs[1], 0, nrt_buffer_size(bufs[1]), 0xa5, NULL, NULL)) {
		nrt_tool_error("fill: %s", nrt_last_error());
		ok = false;
	}

	ctx[DIR_H2D] = (struct bench_copy_ctx){ .dst = bufs[1], .src = bufs[0], .what = "host->device",
					  .depth = o->depth };
	ctx[DIR_D2H] = (struct bench_copy_ctx){ .dst = bufs[0], .src = bufs[1], .what = "device->host",
					  .depth = o->depth };
	ctx[DIR_D2D] = (struct bench_copy_ctx){ .dst = bufs[2], .src = bufs[1], .what = "device->device",
					  .depth = o->depth };
	for (i = 0; i < res->nsizes && ok; i++) {
		for (d = 0; d < NDIRS && ok; d++)
			ok = bench_measure(o, bench_copy_once, &ctx[d], bench_sizes[i],
					   (double)bench_sizes[i], &res->copy[d][i].gbps);
	}
	for (i = 0; i < 3; i++)
		nrt_buffer_free(bufs[i]);
	return ok;
}

/* --- latency ------------------------------------------------------------- */

static bool bench_ioctl(const struct bench_options *o, nrt_device *dev, double *p50)
{
	double *us = nrt_tool_xmalloc(o->iterations * sizeof(*us));
	int fd = nrt_device_fd(dev);
	unsigned int i;

	for (i = 0; i < o->iterations + 10; i++) {
		struct drm_trn_query q;
		double t0;

		/* Size 0: the kernel only reports the size, copies nothing. */
		memset(&q, 0, sizeof(q));
		q.query = DRM_TRN_QUERY_DEVICE_INFO;
		t0 = bench_now_s();
		if (drmIoctl(fd, DRM_IOCTL_TRN_QUERY, &q)) {
			nrt_tool_error("DRM_IOCTL_TRN_QUERY: %s",
				       strerror(errno));
			free(us);
			return false;
		}
		if (i >= 10)    /* the first ones warm up */
			us[i - 10] = (bench_now_s() - t0) * 1e6;
	}
	bench_sort(us, o->iterations);
	*p50 = bench_percentile(us, o->iterations, 50);
	free(us);
	return true;
}

static bool bench_job_latency(const struct bench_options *o, nrt_device *dev,
			      struct bench_results *res)
{
	static const nrt_dma_desc nop = { .opcode = NRT_DMA_OP_NOP };
	double *us = nrt_tool_xmalloc(o->iterations * sizeof(*us));
	unsigned int i;

	for (i = 0; i < o->iterations + 10; i++) {
		double t0 = bench_now_s();
		nrt_status st = nrt_submit_raw(dev, 0, &nop, 1, NULL, 0, NULL);

		if (st != NRT_SUCCESS) {
			nrt_tool_error("empty job: %s", nrt_tool_reason(st));
			free(us);
			return false;
		}
		if (i >= 10)
			us[i - 10] = (bench_now_s() - t0) * 1e6;
	}
	bench_sort(us, o->iterations);
	res->job_p50_us = bench_percentile(us, o->iterations, 50);
	res->job_p99_us = bench_percentile(us, o->iterations, 99);
	free(us);
	return true;
}

/*
 * Empty jobs per second with PIPELINE_DEPTH jobs in flight, spread
 * round-robin over all queues: submit until the ring is full, then wait for
 * the oldest and submit a new one in its place.
 */
static bool bench_job_rate(nrt_device *dev, struct bench_results *res)
{
	static const nrt_dma_desc nop = { .opcode = NRT_DMA_OP_NOP };
	nrt_fence *ring[PIPELINE_DEPTH] = { NULL };
	unsigned int queues = res->info.dma_queues;
	uint64_t submitted = 0, completed = 0;
	double t0, t = 0;
	bool ok = true;
	size_t k;

	res->pipeline_queues = queues;
	t0 = bench_now_s();
	for (;;) {
		size_t slot = submitted % PIPELINE_DEPTH;
		nrt_status st;

		if (ring[slot]) {
			st = nrt_fence_wait(ring[slot], -1);
			nrt_fence_free(ring[slot]);
			ring[slot] = NULL;
			if (st != NRT_SUCCESS) {
				nrt_tool_error("pipelined job: %s",
					       nrt_tool_reason(st));
				ok = false;
				break;
			}
			completed++;
			t = bench_now_s() - t0;
			if (t >= PIPELINE_SECONDS)
				break;
		}
		st = nrt_submit_raw(dev, (unsigned int)(submitted % queues), &nop,
				    1, NULL, 0, &ring[slot]);
		if (st != NRT_SUCCESS) {
			nrt_tool_error("pipelined submit: %s",
				       nrt_tool_reason(st));
			ok = false;
			break;
		}
		submitted++;
	}
	for (k = 0; k < PIPELINE_DEPTH; k++) {
		if (ring[k]) {
			nrt_fence_wait(ring[k], -1);
			nrt_fence_free(ring[k]);
		}
	}
	if (ok)
		res->jobs_per_second = (double)completed / t;
	return ok;
}

/* --- baseline ------------------------------------------------------------- */

static void load_baseline(const char *path, struct bench_results *res)
{
	json_object *root, *arr;
	size_t i, n;

	root = json_object_from_file(path);
	if (!root)
		nrt_tool_die("cannot read the baseline %s: %s", path,
			     json_util_get_last_err() ? json_util_get_last_err() : "invalid JSON");
	if (!json_object_object_get_ex(root, "memcpy", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		nrt_tool_die("baseline %s: no \"memcpy\" array (expected the output of "
			     NRT_BENCH_NAME " --host-only --json)", path);

	for (i = 0; i < BENCH_NSIZES; i++)
		res->memcpy_bw[i].gbps = -1;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i), *js, *jg;
		int64_t size;
		size_t k;

		if (!json_object_object_get_ex(e, "size", &js) ||
		    !json_object_object_get_ex(e, "gbps", &jg) ||
		    !json_object_is_type(js, json_type_int) ||
		    !(json_object_is_type(jg, json_type_double) ||
		      json_object_is_type(jg, json_type_int)))
			nrt_tool_die("baseline %s: memcpy[%zu] needs an integer \"size\" and a number \"gbps\"",
				     path, i);
		size = json_object_get_int64(js);
		for (k = 0; k < BENCH_NSIZES; k++) {
			if ((int64_t)bench_sizes[k] == size)
				res->memcpy_bw[k].gbps = json_object_get_double(jg);
		}
	}
	/* Optional: baselines of nrt-bench 0.2 have no matmul figures. */
	if (json_object_object_get_ex(root, "host_matmul", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(arr, i), *jn, *jg;
			size_t k;

			if (!json_object_object_get_ex(e, "n", &jn) ||
			    !json_object_object_get_ex(e, "gflops", &jg) ||
			    !json_object_is_type(jn, json_type_int) ||
			    !(json_object_is_type(jg, json_type_double) ||
			      json_object_is_type(jg, json_type_int)))
				nrt_tool_die("baseline %s: host_matmul[%zu] needs an integer \"n\" and a number \"gflops\"",
					     path, i);
			for (k = 0; k < MATMUL_NSIZES; k++) {
				if (json_object_get_int64(jn) == matmul_sizes[k])
					res->mm.host_gflops[k] = json_object_get_double(jg);
			}
		}
	}
	json_object_put(root);
}

static void check_baseline(const char *path, const struct bench_results *res)
{
	size_t i;

	for (i = 0; i < res->nsizes; i++) {
		if (res->memcpy_bw[i].gbps <= 0)
			nrt_tool_error("warning: baseline %s has no memcpy figure for %zu bytes",
				       path, bench_sizes[i]);
	}
}

/* --- main ----------------------------------------------------------------- */

static void parse_options(int argc, char **argv, struct bench_options *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "max-size", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "depth", required_argument, NULL, 'q' },
		{ "max-matmul", required_argument, NULL, 'M' },
		{ "host-only", no_argument, NULL, 'm' },
		{ "memcpy-only", no_argument, NULL, 'm' },	/* its name in 0.2 */
		{ "baseline", required_argument, NULL, 'b' },
		{ "no-collectives", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->max_size = DEFAULT_MAX_SIZE;
	o->iterations = DEFAULT_ITERATIONS;
	o->runs = DEFAULT_RUNS;
	o->depth = DEFAULT_COPY_DEPTH;
	o->max_matmul = DEFAULT_MAX_MATMUL;

	while ((c = getopt_long(argc, argv, "d:js:n:r:q:M:mb:ChV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!nrt_tool_parse_uint(optarg, 0, UINT_MAX, &o->device))
				nrt_tool_usage_error("invalid device index '%s'", optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case 's':
			if (!nrt_tool_parse_size(optarg, &o->max_size) || o->max_size < bench_sizes[0])
				nrt_tool_usage_error("invalid --max-size '%s' (at least 4K)", optarg);
			break;
		case 'n':
			if (!nrt_tool_parse_uint(optarg, 1, 10000000, &o->iterations))
				nrt_tool_usage_error("invalid --iterations '%s' (1..10000000)", optarg);
			break;
		case 'r':
			if (!nrt_tool_parse_uint(optarg, 1, 1000, &o->runs))
				nrt_tool_usage_error("invalid --runs '%s' (1..1000)", optarg);
			break;
		case 'q':
			if (!nrt_tool_parse_uint(optarg, 1, MAX_COPY_DEPTH, &o->depth))
				nrt_tool_usage_error("invalid --depth '%s' (1..%d)", optarg, MAX_COPY_DEPTH);
			break;
		case 'M':
			if (!nrt_tool_parse_uint(optarg, matmul_sizes[0], UINT_MAX, &o->max_matmul))
				nrt_tool_usage_error("invalid --max-matmul '%s' (at least %u)", optarg,
						     matmul_sizes[0]);
			break;
		case 'm':
			o->host_only = true;
			break;
		case 'b':
			o->baseline = optarg;
			break;
		case 'C':
			o->no_coll = true;
			break;
		case 'h':
			usage(stdout);
			exit(nrt_tool_flush());
		case 'V':
			exit(nrt_tool_version());
		default:
			/* getopt_long() has already said what was wrong. */
			nrt_tool_usage_error(NULL);
		}
	}
	if (optind < argc)
		nrt_tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (o->host_only && o->baseline)
		nrt_tool_usage_error("--host-only and --baseline exclude each other");
}

int main(int argc, char **argv)
{
	struct bench_options o;
	struct bench_results res;
	nrt_device *dev = NULL;
	nrt_status st;
	bool ok = true;

	nrt_tool_init(NRT_BENCH_NAME);
	parse_options(argc, argv, &o);
	bench_results_init(&res, o.max_size);

	/* Read the baseline first: a bad file should not waste a run. */
	if (o.baseline)
		load_baseline(o.baseline, &res);

	if (!o.host_only) {
		st = nrt_device_open(o.device, &dev);
		if (st != NRT_SUCCESS)
			nrt_tool_die("cannot open device %u: %s", o.device, nrt_tool_reason(st));
		res.info.struct_size = sizeof(res.info);
		st = nrt_device_get_info(dev, &res.info);
		if (st != NRT_SUCCESS)
			nrt_tool_die("device %u: %s", o.device, nrt_tool_reason(st));
		if (!res.info.dma_queues || !res.info.max_descs)
			nrt_tool_die("device %u: the kernel driver reports no DMA queues", o.device);
		res.have_device = true;
		ok = bench_copies(&o, dev, &res);
	}

	/* After the copies, which may have dropped sizes that did not fit. */
	if (o.baseline) {
		check_baseline(o.baseline, &res);
	} else {
		bench_memcpy(&o, &res);
		bench_host_matmul(&o, &res.mm);
	}

	if (dev && ok) {
		ok = bench_ioctl(&o, dev, &res.ioctl_p50_us) &&
		     bench_job_latency(&o, dev, &res) && bench_job_rate(dev, &res);
		res.have_latency = ok;
	}
	if (dev && ok && res.info.core_queues)
		ok = bench_dev_matmul(&o, dev, res.info.core_queues, &res.mm);
	nrt_device_close(dev);
	if (dev && ok)
		ok = bench_peer(&o, &res.peer);
	if (dev && ok && !o.no_coll)
		ok = bench_coll(&o, &res.coll);

	if (o.json) {
		if (bench_print_json(&o, &res))
			ok = false;
	} else {
		bench_print_text(&o, &res);
	}
	if (nrt_tool_flush())
		return 1;
	return ok ? 0 : 1;
}
