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
 * another machine. Matmul: see nrt_bench_matmul.c. Latency: --iterations samples of an ioctl and of a
 * one-NOP job submitted and waited for; throughput of empty jobs with a
 * pipeline of async jobs over all queues. See nrt-bench(1).
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

#include <json-c/json.h>
#include <xf86drm.h>
#include "drm/trn_accel.h"

#include "nrt.h"
#include "nrt_bench.h"
#include "nrt_json.h"
#include "nrt_tool.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

#define DEFAULT_MAX_SIZE (256 * MIB)
#define DEFAULT_ITERATIONS 4000
#define DEFAULT_RUNS 5
#define DEFAULT_COPY_DEPTH 256
#define DEFAULT_MAX_MATMUL 2048
#define PIPELINE_DEPTH 64
#define PIPELINE_SECONDS 0.5

static const size_t bench_sizes[] = { 4 * KIB, 64 * KIB, 1 * MIB, 16 * MIB,
				      256 * MIB };
#define NSIZES (sizeof(bench_sizes) / sizeof(bench_sizes[0]))

enum direction { DIR_H2D, DIR_D2H, DIR_D2D, NDIRS };

static const char *const dir_key[NDIRS] = {
	"host_to_device", "device_to_host", "device_to_device",
};
static const char *const dir_title[NDIRS] = {
	"host->dev", "dev->host", "dev->dev",
};


/* A bandwidth figure; gbps < 0: not measured. */
struct bw {
	double gbps;
};

struct results {
	size_t nsizes;                  /* sizes measured, from bench_sizes */
	struct bw memcpy_bw[NSIZES];
	struct bw copy[NDIRS][NSIZES];
	bool have_device;
	nrt_device_info info;
	bool have_latency;
	double ioctl_p50_us;
	double job_p50_us;
	double job_p99_us;
	double jobs_per_second;
	unsigned int pipeline_queues;
	struct matmul_results mm;
	struct peer_results peer;
};

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
		"  -h, --help           print this help and exit\n"
		"  -V, --version        print the version and exit\n"
		"\n"
		"Exit status: 0 on success, 1 if a measurement failed, 2 on a\n"
		"usage error.\n",
		DEFAULT_ITERATIONS, DEFAULT_RUNS, DEFAULT_COPY_DEPTH, DEFAULT_MAX_MATMUL);
}

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool parse_uint(const char *s, unsigned int min, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > UINT_MAX)
		return false;
	*out = (unsigned int)v;
	return true;
}

/* A byte count with an optional binary suffix: 4096, 64K, 16M, 1G, 1GiB. */
static bool parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (shift && !strcmp(end, "iB"))
		end += 2;
	else if (!strcmp(end, "B"))
		end++;
	if (*end || v > (SIZE_MAX >> shift))
		return false;
	*out = (size_t)v << shift;
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of @n values (sorts them). */
double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nearest-rank percentile @p (1..100) of the @n >= 1 sorted values @v. */
static double percentile(const double *v, size_t n, unsigned int p)
{
	size_t rank = (p * n + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

/* --- bandwidth ------------------------------------------------------------ */

/*
 * The median over @o->runs runs of the rate of @fn, in 10^9 units of @work
 * per second: each run repeats @fn(@ctx, @size), each call doing @work,
 * until RUN_SECONDS have passed or @o->iterations were done, then calls
 * @fn(@ctx, 0) to wait for the last ones to finish. One call before the
 * runs warms up caches and mappings.
 */
bool bench_measure(const struct bench_options *o, bench_fn fn, void *ctx,
		   size_t size, double work, double *rate)
{
	double *rates = nrt_tool_xmalloc(o->runs * sizeof(*rates));
	unsigned int r;

	if (!fn(ctx, size) || !fn(ctx, 0)) {   /* warm up: faults, first mappings */
		free(rates);
		return false;
	}
	for (r = 0; r < o->runs; r++) {
		double t0 = bench_now_s(), t;
		unsigned int i = 0;

		do {
			if (!fn(ctx, size)) {
				free(rates);
				return false;
			}
			i++;
			t = bench_now_s() - t0;
		} while (i < o->iterations && t < RUN_SECONDS);
		if (!fn(ctx, 0)) {
			free(rates);
			return false;
		}
		t = bench_now_s() - t0;
		rates[r] = work * i / t / 1e9;
	}
	*rate = bench_median(rates, o->runs);
	free(rates);
	return true;
}

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

static void bench_memcpy(const struct bench_options *o, struct results *res)
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
 * Device copies are measured as a stream: up to --depth asynchronous
 * copies in flight, spread over the queues by the library, as a program
 * that moves data would run them. Throughput, not the latency of one copy
 * (which the job latency figures give).
 */
static bool copy_wait_oldest(struct bench_copy_ctx *c, size_t size)
{
	nrt_fence *f = c->fences[c->head];
	nrt_status st = nrt_fence_wait(f, -1);

	nrt_fence_free(f);
	c->fences[c->head] = NULL;
	c->head = (c->head + 1) % c->depth;
	c->count--;
	if (st != NRT_SUCCESS) {
		nrt_tool_error("%s copy of %zu bytes: %s",
			       c->what, size, nrt_tool_reason(st));
		return false;
	}
	return true;
}

bool bench_copy_once(void *ctx, size_t size)
{
	struct bench_copy_ctx *c = ctx;
	nrt_status st;
	bool ok = true;

	if (!size) {
		while (c->count)
			ok &= copy_wait_oldest(c, size);
		return ok;
	}
	if (c->count == c->depth && !copy_wait_oldest(c, size))
		return false;
	st = nrt_copy(c->dst, 0, c->src, 0, size, NULL,
		      &c->fences[(c->head + c->count) % c->depth]);
	if (st != NRT_SUCCESS) {
		nrt_tool_error("%s copy of %zu bytes: %s",
			       c->what, size, nrt_tool_reason(st));
		return false;
	}
	c->count++;
	return true;
}

/*
 * Allocate the three buffers of the copies at the largest size that fits,
 * dropping sizes from the top of the list while the device is out of room.
 */
static bool alloc_buffers(nrt_device *dev, struct results *res,
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
			 struct results *res)
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
	qsort(us, o->iterations, sizeof(*us), cmp_double);
	*p50 = percentile(us, o->iterations, 50);
	free(us);
	return true;
}

static bool bench_job_latency(const struct bench_options *o, nrt_device *dev,
			      struct results *res)
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
	qsort(us, o->iterations, sizeof(*us), cmp_double);
	res->job_p50_us = percentile(us, o->iterations, 50);
	res->job_p99_us = percentile(us, o->iterations, 99);
	free(us);
	return true;
}

/*
 * Empty jobs per second with PIPELINE_DEPTH jobs in flight, spread
 * round-robin over all queues: submit until the ring is full, then wait for
 * the oldest and submit a new one in its place.
 */
static bool bench_job_rate(nrt_device *dev, struct results *res)
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

static void load_baseline(const char *path, struct results *res)
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

	for (i = 0; i < NSIZES; i++)
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
		for (k = 0; k < NSIZES; k++) {
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

static void check_baseline(const char *path, const struct results *res)
{
	size_t i;

	for (i = 0; i < res->nsizes; i++) {
		if (res->memcpy_bw[i].gbps <= 0)
			nrt_tool_error("warning: baseline %s has no memcpy figure for %zu bytes",
				       path, bench_sizes[i]);
	}
}

/* --- output --------------------------------------------------------------- */

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

static void print_text(const struct bench_options *o, const struct results *res)
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

static void print_matmul_text(const struct bench_options *o, const struct results *res)
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
		if (pr->local_gbps[i] < 0)
			continue;
		nrt_tool_format_size(peer_sizes[i], sz, sizeof(sz));
		printf("%10s", sz);
		print_num(pr->local_gbps[i], 11, 2);
		print_num(pr->push_gbps[i], 11, 2);
		print_num(ratio(pr->push_gbps[i], pr->local_gbps[i]), 8, 2);
		print_num(pr->pull_gbps[i], 11, 2);
		print_num(ratio(pr->pull_gbps[i], pr->local_gbps[i]), 8, 2);
		printf("\n");
	}
	if (pr->ring_hop_us < 0) {
		printf("ring latency: no ring through device %u\n", pr->dev);
		return;
	}
	printf("ring of %u (port %u), %d-byte message, median of laps: lap %.0f us, "
	       "per hop %.1f us;\n  local %d-byte copy %.1f us; hop/local ratio %.2f\n",
	       pr->ring_len, pr->ring_port, PEER_RING_MSG, pr->ring_lap_us,
	       pr->ring_hop_us, PEER_RING_MSG, pr->local_us,
	       ratio(pr->ring_hop_us, pr->local_us));
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
		      const struct results *res, bool *ok)
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
			const struct results *res, bool *ok)
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
			 const struct results *res, bool *ok)
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

static void json_peer(json_object *root, const struct peer_results *pr, bool *ok)
{
	json_object *peer = nrt_json_child(root, "peer", false, ok), *bw, *e, *ring;
	size_t i;

	nrt_json_i64(peer, "device", pr->dev, ok);
	nrt_json_i64(peer, "port", pr->port, ok);
	nrt_json_i64(peer, "peer_device", pr->peer, ok);
	bw = nrt_json_child(peer, "bandwidth", true, ok);
	for (i = 0; *ok && i < PEER_NSIZES; i++) {
		if (pr->local_gbps[i] < 0)
			continue;
		e = nrt_json_child(bw, NULL, false, ok);
		nrt_json_i64(e, "bytes", (int64_t)peer_sizes[i], ok);
		json_num(e, "local_gbps", pr->local_gbps[i], ok);
		json_num(e, "push_gbps", pr->push_gbps[i], ok);
		json_num(e, "push_ratio_to_local", ratio(pr->push_gbps[i], pr->local_gbps[i]), ok);
		json_num(e, "pull_gbps", pr->pull_gbps[i], ok);
		json_num(e, "pull_ratio_to_local", ratio(pr->pull_gbps[i], pr->local_gbps[i]), ok);
	}
	if (pr->ring_hop_us < 0)
		return;
	ring = nrt_json_child(peer, "ring", false, ok);
	nrt_json_i64(ring, "devices", pr->ring_len, ok);
	nrt_json_i64(ring, "message_bytes", PEER_RING_MSG, ok);
	json_num(ring, "lap_us", pr->ring_lap_us, ok);
	json_num(ring, "hop_us", pr->ring_hop_us, ok);
	json_num(ring, "local_copy_us", pr->local_us, ok);
	json_num(ring, "hop_to_local_ratio", ratio(pr->ring_hop_us, pr->local_us), ok);
}

/* The JSON document. Return: 0, or -1 after a message. */
static int print_json(const struct bench_options *o, const struct results *res)
{
	json_object *root = json_object_new_object();
	bool ok = root != NULL;

	json_host(root, o, res, &ok);
	json_device(root, o, res, &ok);
	if (res->have_latency)
		json_latency(root, o, res, &ok);
	if (res->peer.have)
		json_peer(root, &res->peer, &ok);
	if (ok)
		ok = !nrt_json_print(stdout, root, JSON_C_TO_STRING_PRETTY |
				     JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(root);
	if (!ok)
		nrt_tool_error("cannot write the JSON document");
	return ok ? 0 : -1;
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

	while ((c = getopt_long(argc, argv, "d:js:n:r:q:M:mb:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!parse_uint(optarg, 0, &o->device))
				nrt_tool_usage_error("invalid device index '%s'", optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case 's':
			if (!parse_size(optarg, &o->max_size) || o->max_size < bench_sizes[0])
				nrt_tool_usage_error("invalid --max-size '%s' (at least 4K)", optarg);
			break;
		case 'n':
			if (!parse_uint(optarg, 1, &o->iterations) || o->iterations > 10000000)
				nrt_tool_usage_error("invalid --iterations '%s' (1..10000000)", optarg);
			break;
		case 'r':
			if (!parse_uint(optarg, 1, &o->runs) || o->runs > 1000)
				nrt_tool_usage_error("invalid --runs '%s' (1..1000)", optarg);
			break;
		case 'q':
			if (!parse_uint(optarg, 1, &o->depth) || o->depth > MAX_COPY_DEPTH)
				nrt_tool_usage_error("invalid --depth '%s' (1..%d)", optarg, MAX_COPY_DEPTH);
			break;
		case 'M':
			if (!parse_uint(optarg, 1, &o->max_matmul) || o->max_matmul < matmul_sizes[0])
				nrt_tool_usage_error("invalid --max-matmul '%s' (at least %u)", optarg,
						     matmul_sizes[0]);
			break;
		case 'm':
			o->host_only = true;
			break;
		case 'b':
			o->baseline = optarg;
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
	struct results res;
	nrt_device *dev = NULL;
	nrt_status st;
	bool ok = true;
	size_t i;
	int d;

	nrt_tool_init(NRT_BENCH_NAME);
	parse_options(argc, argv, &o);
	memset(&res, 0, sizeof(res));
	for (i = 0; i < NSIZES; i++) {
		if (bench_sizes[i] <= o.max_size)
			res.nsizes = i + 1;
		res.memcpy_bw[i].gbps = -1;
		for (d = 0; d < NDIRS; d++)
			res.copy[d][i].gbps = -1;
	}
	res.ioctl_p50_us = res.job_p50_us = res.job_p99_us = -1;
	res.jobs_per_second = -1;
	for (i = 0; i < MATMUL_NSIZES; i++) {
		res.mm.host_gflops[i] = -1;
		for (d = 0; d < MATMUL_NDTYPES; d++)
			res.mm.dev_gflops[d][i] = -1;
	}

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

	if (o.json) {
		if (print_json(&o, &res))
			ok = false;
	} else {
		print_text(&o, &res);
		print_matmul_text(&o, &res);
		if (res.have_device)
			print_peer_text(&o, &res.peer);
	}
	if (nrt_tool_flush())
		return 1;
	return ok ? 0 : 1;
}
