// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-diag levels 2 and 3: work on the devices, every result checked
 * against what the CPU computes or wrote.
 *
 * Level 2 (about a minute): DMA host to HBM, HBM to HBM and HBM to host on
 * every device, the data compared and the bandwidth measured (the best of
 * several rounds, the devices taken in turn so that a busy host slows all
 * alike); a matmul on every NeuronCore, compared with the CPU's. Level 3
 * (minutes): every device loaded at once for --duration seconds, the
 * results checked as they come, the temperature watched; then DMA over
 * every NeuronLink that is up, to the peer and back.
 *
 * Floors: a bandwidth below --min-dma-bw (MB/s) fails, and so does one
 * below --min-relative times the median of the devices (of the links, for
 * peer DMA): a throttled, capped or hot device stands out from its
 * neighbours on any host, fast or slow. Each level also has a "throttle"
 * check: a device whose NeuronCores were slowed while the level worked on
 * it (hardware interface 1.8: a power cap it met, or heat) fails, naming
 * the reasons, since it cannot give what the floors and the load assume;
 * that is the cause to look at when a floor fails on it too.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nrt.h"
#include "nrt_diag_run.h"
#include "nrt_facts.h"
#include "nrt_tool.h"

#define DMA_SIZE (4u << 20)
#define DMA_ROUNDS 5                    /* best of */
#define DMA_REPEAT 4                    /* copies timed together */
#define MM 16                           /* the matmul is MM x MM, fp32 */
#define PEER_SIZE (1u << 20)
#define PEER_ROUNDS 3

enum { DIR_H2D, DIR_D2D, DIR_D2H, NDIRS };
static const char *const dir_name[NDIRS] = {
	"host to HBM", "HBM to HBM", "HBM to host",
};

/* One device under test. */
struct dut {
	unsigned int index;
	char bdf[32];
	char sysfs_dir[PATH_MAX];
	nrt_device *dev;
	nrt_device_info info;
	nrt_buffer *src, *a, *b, *dst;  /* host, HBM, HBM, host */
	unsigned char *src_map, *dst_map;
	double best[NDIRS];             /* MB/s */
	bool dma_ok;
	/* level 3 */
	pthread_t thread;
	atomic_bool stop;
	uint64_t bytes, runs, errors;
	char error[256];
	int64_t temp_peak;
	uint64_t ecc_before;
	double seconds;
	/* throttling while the level works (throttle_*()) */
	bool throttle_known;            /* the driver has throttle_reasons */
	uint32_t throttle_seen;         /* NRT_THROTTLE_* seen */
	uint64_t throttled_before;      /* stats/throttled_ns at the start */
	double work_start;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pattern(unsigned char *p, size_t len, unsigned int seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

/* Open the devices libnrt lists. Return: their number; 0 after not_run. */
static size_t duts_open(struct nrt_diag_report *r, struct dut **out)
{
	nrt_device_list *l;
	struct dut *d;
	nrt_status st;
	size_t n, i;

	*out = NULL;
	st = nrt_device_list_get(&l);
	if (st != NRT_SUCCESS) {
		nrt_diag_not_run(r, "cannot list the devices: %s", nrt_tool_reason(st));
		return 0;
	}
	n = nrt_device_list_count(l);
	if (!n) {
		nrt_device_list_free(l);
		nrt_diag_not_run(r, "no device to run work on");
		return 0;
	}
	d = calloc(n, sizeof(*d));
	if (!d)
		nrt_tool_die("out of memory");
	for (i = 0; i < n; i++) {
		const nrt_device_entry *e = nrt_device_list_entry(l, i);

		d[i].index = e->index;
		snprintf(d[i].bdf, sizeof(d[i].bdf), "%s", e->pci_bdf);
		snprintf(d[i].sysfs_dir, sizeof(d[i].sysfs_dir), "%s", e->sysfs_dir);
		d[i].info.struct_size = sizeof(d[i].info);
		st = nrt_device_open(e->index, &d[i].dev);
		if (st == NRT_SUCCESS)
			st = nrt_device_get_info(d[i].dev, &d[i].info);
		if (st == NRT_PERMISSION) {
			nrt_diag_not_run(r, "level 2 and 3 run work on the devices: %s (run as root or a member of the device node's group)",
					 nrt_tool_reason(st));
		} else if (st != NRT_SUCCESS) {
			nrt_diag_add(r, "open", 2, (int)e->index, e->pci_bdf, NRT_DIAG_FAIL,
				     "reset the device (nrt-reset); see dmesg",
				     "cannot open it: %s", nrt_tool_reason(st));
		}
		if (st != NRT_SUCCESS && d[i].dev) {
			nrt_device_close(d[i].dev);
			d[i].dev = NULL;
		}
	}
	nrt_device_list_free(l);
	*out = d;
	return n;
}

static void duts_close(struct dut *d, size_t n)
{
	size_t i;

	for (i = 0; d && i < n; i++) {
		nrt_buffer_free(d[i].src);
		nrt_buffer_free(d[i].a);
		nrt_buffer_free(d[i].b);
		nrt_buffer_free(d[i].dst);
		nrt_device_close(d[i].dev);
	}
	free(d);
}

/* --- throttling ----------------------------------------------------------- */

/* What the device says now: add its reasons to those seen. */
static void throttle_sample(struct dut *d, size_t n)
{
	struct nrt_facts f;
	uint32_t m;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!d[i].dev || !d[i].throttle_known)
			continue;
		nrt_facts_read(d[i].sysfs_dir, &f);
		if (nrt_facts_parse_throttle(f.throttle_reasons, &m))
			d[i].throttle_seen |= m;
	}
}

/* The level starts its work: what the devices say before it. */
static void throttle_begin(struct dut *d, size_t n)
{
	struct nrt_facts f;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!d[i].dev)
			continue;
		nrt_facts_read(d[i].sysfs_dir, &f);
		d[i].throttle_known = f.throttle_reasons[0] != '\0';
		d[i].throttle_seen = 0;
		d[i].throttled_before = f.throttled_ns;
		d[i].work_start = now_s();
	}
	throttle_sample(d, n);
}

/* The level's work is done: a device slowed meanwhile fails, saying why. */
static void throttle_report(struct nrt_diag_report *r, const struct nrt_diag_opts *o,
			    unsigned int level, struct dut *d, size_t n)
{
	enum nrt_diag_status st;
	double secs, slowed;
	struct nrt_facts f;
	char names[64];
	size_t i;

	throttle_sample(d, n);
	for (i = 0; i < n; i++) {
		if (!d[i].dev)
			continue;
		if (!d[i].throttle_known) {
			nrt_diag_add(r, "throttle", level, (int)d[i].index, d[i].bdf,
				     NRT_DIAG_SKIP, NULL,
				     "not supported by this driver (no throttle_reasons attribute)");
			continue;
		}
		nrt_facts_read(d[i].sysfs_dir, &f);
		secs = now_s() - d[i].work_start;
		slowed = f.throttled_ns != NRT_FACT_NA && d[i].throttled_before != NRT_FACT_NA &&
			 f.throttled_ns >= d[i].throttled_before ?
			 (f.throttled_ns - d[i].throttled_before) / 1e9 : 0;
		if (slowed > 0 && !d[i].throttle_seen)
			d[i].throttle_seen = NRT_THROTTLE_UNKNOWN;
		if (!d[i].throttle_seen) {
			nrt_diag_add(r, "throttle", level, (int)d[i].index, d[i].bdf,
				     NRT_DIAG_PASS, NULL, "not throttled in %.1f s of work", secs);
			continue;
		}
		nrt_facts_format_throttle(d[i].throttle_seen, names, sizeof(names));
		/* A cap the site set on purpose, when told so: a warning */
		st = o->allow_power_cap && d[i].throttle_seen == NRT_THROTTLE_POWER_CAP ?
		     NRT_DIAG_WARN : NRT_DIAG_FAIL;
		nrt_diag_add(r, "throttle", level, (int)d[i].index, d[i].bdf, st,
			     nrt_diag_throttle_remedy(names),
			     "throttled (%s) for %.1f s of %.1f s of work: the NeuronCores run below full speed",
			     names, slowed, secs);
	}
}

/* --- DMA ----------------------------------------------------------------- */

static nrt_status dma_setup(struct dut *d)
{
	nrt_status st;

	if ((st = nrt_buffer_alloc(d->dev, DMA_SIZE, NRT_PLACEMENT_HOST, &d->src)) ||
	    (st = nrt_buffer_alloc(d->dev, DMA_SIZE, NRT_PLACEMENT_HBM, &d->a)) ||
	    (st = nrt_buffer_alloc(d->dev, DMA_SIZE, NRT_PLACEMENT_HBM, &d->b)) ||
	    (st = nrt_buffer_alloc(d->dev, DMA_SIZE, NRT_PLACEMENT_HOST, &d->dst)) ||
	    (st = nrt_buffer_map(d->src, (void **)&d->src_map)) ||
	    (st = nrt_buffer_map(d->dst, (void **)&d->dst_map)))
		return st;
	pattern(d->src_map, DMA_SIZE, d->index + 1);
	return NRT_SUCCESS;
}

/*
 * The three copies, each @repeat times back to back and timed together
 * into best[] (when @repeat > 1: one copy alone is too short to time).
 */
static nrt_status dma_round(struct dut *d, unsigned int repeat)
{
	const nrt_buffer *from[NDIRS] = { d->src, d->a, d->b };
	nrt_buffer *to[NDIRS] = { d->a, d->b, d->dst };
	unsigned int i, k;
	nrt_status st;
	double t0, mbps;

	memset(d->dst_map, 0, DMA_SIZE);
	for (i = 0; i < NDIRS; i++) {
		t0 = now_s();
		for (k = 0; k < repeat; k++) {
			st = nrt_copy(to[i], 0, from[i], 0, DMA_SIZE, NULL, NULL);
			if (st != NRT_SUCCESS)
				return st;
		}
		mbps = (double)repeat * DMA_SIZE / 1e6 / fmax(now_s() - t0, 1e-9);
		if (repeat > 1 && mbps > d->best[i])
			d->best[i] = mbps;
	}
	return NRT_SUCCESS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * A bandwidth against the floors: the absolute one and @rel of @med (the
 * median of its kind). Return: the status, with the reason in @why.
 */
static enum nrt_diag_status floor_check(const struct nrt_diag_opts *o, double mbps,
					double med, size_t peers, char *why, size_t size)
{
	why[0] = '\0';
	if (o->min_dma_mbps > 0 && mbps < o->min_dma_mbps) {
		snprintf(why, size, ", below the floor of %.0f MB/s", o->min_dma_mbps);
		return NRT_DIAG_FAIL;
	}
	if (o->min_relative > 0 && peers >= 2 && med > 0 && mbps < o->min_relative * med) {
		snprintf(why, size, ", below %.0f%% of the median %.1f MB/s",
			 o->min_relative * 100, med);
		return NRT_DIAG_FAIL;
	}
	return NRT_DIAG_PASS;
}

static const char *const remedy_slow =
	"check throttling (nrt-ls --wide, hwmon power1_cap, temperature) and the PCIe link; compare with nrt-bench";

static void level2_dma(struct nrt_diag_report *r, const struct nrt_diag_opts *o,
		       struct dut *d, size_t n)
{
	double v[NDIRS][64], med[NDIRS];
	size_t i, nv = 0;
	unsigned int round, j;
	char why[96];
	nrt_status st;

	for (i = 0; i < n; i++) {
		if (!d[i].dev)
			continue;
		st = dma_setup(&d[i]);
		d[i].dma_ok = st == NRT_SUCCESS;
		if (st != NRT_SUCCESS)
			nrt_diag_add(r, "dma", 2, (int)d[i].index, d[i].bdf, NRT_DIAG_FAIL,
				     "reset the device (nrt-reset); see dmesg",
				     "cannot allocate the DMA buffers: %s", nrt_tool_reason(st));
	}
	/* The devices in turn, round after round: the best of each. */
	for (round = 0; round < DMA_ROUNDS; round++) {
		for (i = 0; i < n; i++) {
			if (!d[i].dma_ok)
				continue;
			st = dma_round(&d[i], DMA_REPEAT);
			if (st == NRT_SUCCESS && memcmp(d[i].dst_map, d[i].src_map, DMA_SIZE)) {
				d[i].dma_ok = false;
				nrt_diag_add(r, "dma", 2, (int)d[i].index, d[i].bdf, NRT_DIAG_FAIL,
					     "the device corrupts data: drain the node and replace it",
					     "data copied host to HBM to HBM to host came back different");
			} else if (st != NRT_SUCCESS) {
				d[i].dma_ok = false;
				nrt_diag_add(r, "dma", 2, (int)d[i].index, d[i].bdf, NRT_DIAG_FAIL,
					     "reset the device (nrt-reset); see dmesg",
					     "a copy failed: %s", nrt_tool_reason(st));
			}
		}
	}
	for (i = 0; i < n && nv < 64; i++) {
		if (!d[i].dma_ok)
			continue;
		for (j = 0; j < NDIRS; j++)
			v[j][nv] = d[i].best[j];
		nv++;
	}
	for (j = 0; j < NDIRS; j++)
		med[j] = median(v[j], nv);
	for (i = 0; i < n; i++) {
		if (!d[i].dma_ok)
			continue;
		for (j = 0; j < NDIRS; j++) {
			enum nrt_diag_status s = floor_check(o, d[i].best[j], med[j], nv,
							     why, sizeof(why));
			struct nrt_diag_result *res;

			res = nrt_diag_add(r, "dma", 2, (int)d[i].index, d[i].bdf, s,
					   s == NRT_DIAG_FAIL ? remedy_slow : NULL,
					   "%s: data correct, %.1f MB/s%s", dir_name[j],
					   d[i].best[j], why);
			res->has_value = true;
			res->value = d[i].best[j];
			snprintf(res->unit, sizeof(res->unit), "MB/s");
		}
	}
}

/* --- a program on every core -------------------------------------------- */

/* Small integers: the products and sums are exact in fp32. */
static void mm_inputs(float *a, float *b, unsigned int seed)
{
	unsigned int i;

	for (i = 0; i < MM * MM; i++) {
		a[i] = (float)((int)((i * 7 + seed * 3) % 11) - 5);
		b[i] = (float)((int)((i * 5 + seed) % 9) - 4);
	}
}

static void mm_cpu(const float *a, const float *b, float *out)
{
	unsigned int i, j, k;

	for (i = 0; i < MM; i++)
		for (j = 0; j < MM; j++) {
			float s = 0;

			for (k = 0; k < MM; k++)
				s += a[i * MM + k] * b[k * MM + j];
			out[i * MM + j] = s;
		}
}

/* The matmul program of @dev and its tensors, inputs written. */
struct mm {
	nrt_tensor *a, *b, *out;
	nrt_program *p;
	float want[MM * MM];
};

static nrt_status mm_build(nrt_device *dev, unsigned int seed, struct mm *m)
{
	static const uint32_t shape[2] = { MM, MM };
	float a[MM * MM], b[MM * MM];
	nrt_status st;

	memset(m, 0, sizeof(*m));
	mm_inputs(a, b, seed);
	mm_cpu(a, b, m->want);
	if ((st = nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 2, shape, NRT_PLACEMENT_HBM, &m->a)) ||
	    (st = nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 2, shape, NRT_PLACEMENT_HBM, &m->b)) ||
	    (st = nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 2, shape, NRT_PLACEMENT_HBM, &m->out)) ||
	    (st = nrt_tensor_write(m->a, a, NRT_DTYPE_FP32)) ||
	    (st = nrt_tensor_write(m->b, b, NRT_DTYPE_FP32)) ||
	    (st = nrt_program_new(dev, &m->p)) ||
	    (st = nrt_program_matmul(m->p, m->out, m->a, m->b, 1.0f, false)) ||
	    (st = nrt_program_finalize(m->p)))
		return st;
	return NRT_SUCCESS;
}

static void mm_free(struct mm *m)
{
	nrt_program_free(m->p);
	nrt_tensor_free(m->a);
	nrt_tensor_free(m->b);
	nrt_tensor_free(m->out);
}

/* Run on @core and compare. Return: the status; *@bad set on a mismatch. */
static nrt_status mm_run(struct mm *m, unsigned int core, bool *bad)
{
	float got[MM * MM];
	nrt_status st;

	*bad = false;
	memset(got, 0, sizeof(got));
	st = nrt_tensor_write(m->out, got, NRT_DTYPE_FP32);
	if (st == NRT_SUCCESS)
		st = nrt_program_run(m->p, core, NULL, NULL);
	if (st == NRT_SUCCESS)
		st = nrt_tensor_read(m->out, got, NRT_DTYPE_FP32);
	if (st == NRT_SUCCESS)
		*bad = memcmp(got, m->want, sizeof(got)) != 0;
	return st;
}

static void level2_compute(struct nrt_diag_report *r, struct dut *d, size_t n)
{
	unsigned int c;
	nrt_status st;
	double t0;
	size_t i;
	bool bad;
	struct mm m;

	for (i = 0; i < n; i++) {
		if (!d[i].dev)
			continue;
		if (!d[i].info.core_queues) {
			nrt_diag_add(r, "compute", 2, (int)d[i].index, d[i].bdf, NRT_DIAG_SKIP,
				     NULL, "no NeuronCore queues: nothing to run");
			continue;
		}
		st = mm_build(d[i].dev, d[i].index, &m);
		if (st != NRT_SUCCESS) {
			nrt_diag_add(r, "compute", 2, (int)d[i].index, d[i].bdf, NRT_DIAG_FAIL,
				     "reset the device (nrt-reset); see dmesg",
				     "cannot set up a program: %s", nrt_tool_reason(st));
			mm_free(&m);
			continue;
		}
		for (c = 0; c < d[i].info.core_queues; c++) {
			t0 = now_s();
			st = mm_run(&m, c, &bad);
			if (st != NRT_SUCCESS)
				nrt_diag_add(r, "compute", 2, (int)d[i].index, d[i].bdf,
					     NRT_DIAG_FAIL, "reset the device (nrt-reset); see dmesg",
					     "core %u: the program failed: %s", c, nrt_tool_reason(st));
			else if (bad)
				nrt_diag_add(r, "compute", 2, (int)d[i].index, d[i].bdf,
					     NRT_DIAG_FAIL,
					     "the core computes wrong results: drain the node and replace the device",
					     "core %u: a %ux%u matmul differs from the CPU's", c, MM, MM);
			else
				nrt_diag_add(r, "compute", 2, (int)d[i].index, d[i].bdf,
					     NRT_DIAG_PASS, NULL,
					     "core %u: a %ux%u matmul equals the CPU's (%.1f ms)", c,
					     MM, MM, (now_s() - t0) * 1e3);
		}
		mm_free(&m);
	}
}

void nrt_diag_level2(struct nrt_diag_report *r, const struct nrt_diag_opts *o)
{
	struct dut *d;
	size_t n;

	n = duts_open(r, &d);
	if (!n)
		return;
	throttle_begin(d, n);
	level2_dma(r, o, d, n);
	throttle_sample(d, n);
	level2_compute(r, d, n);
	throttle_report(r, o, 2, d, n);
	duts_close(d, n);
}

/* --- level 3: sustained load --------------------------------------------- */

/* Copies and programs back to back until stopped, every result checked. */
static void *load_thread(void *arg)
{
	struct dut *d = arg;
	nrt_status st = NRT_SUCCESS;
	double t0 = now_s();
	unsigned int c = 0;
	bool bad = false;
	struct mm m;

	st = mm_build(d->dev, d->index + 7, &m);
	while (st == NRT_SUCCESS && !atomic_load(&d->stop)) {
		st = dma_round(d, 1);
		if (st == NRT_SUCCESS && memcmp(d->dst_map, d->src_map, DMA_SIZE)) {
			snprintf(d->error, sizeof(d->error), "DMA data came back different");
			d->errors++;
			break;
		}
		d->bytes += 3ull * DMA_SIZE;
		if (st == NRT_SUCCESS && d->info.core_queues) {
			st = mm_run(&m, c++ % d->info.core_queues, &bad);
			if (st == NRT_SUCCESS && bad) {
				snprintf(d->error, sizeof(d->error),
					 "a matmul differs from the CPU's");
				d->errors++;
				break;
			}
			d->runs++;
		}
	}
	if (st != NRT_SUCCESS) {
		snprintf(d->error, sizeof(d->error), "%s", nrt_tool_reason(st));
		d->errors++;
	}
	d->seconds = now_s() - t0;
	mm_free(&m);
	return NULL;
}

static void sample_temps(struct dut *d, size_t n)
{
	struct nrt_facts f;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!d[i].dma_ok)
			continue;
		nrt_facts_read(d[i].sysfs_dir, &f);
		if (f.temp > d[i].temp_peak)
			d[i].temp_peak = f.temp;
	}
}

static void level3_report_dut(struct nrt_diag_report *r, const struct nrt_diag_opts *o,
			      const struct dut *d, double med, size_t nv)
{
	struct nrt_diag_result *res;
	struct nrt_facts f;
	double mbps = d->seconds > 0 ? d->bytes / 1e6 / d->seconds : 0;
	enum nrt_diag_status s;
	char why[96];

	if (d->errors) {
		nrt_diag_add(r, "sustained", 3, (int)d->index, d->bdf, NRT_DIAG_FAIL,
			     "drain the node; reset the device (nrt-reset) and run nrt-diag -r 3 again; replace it if it fails again",
			     "under load: %s", d->error);
	} else {
		s = floor_check(o, mbps, med, nv, why, sizeof(why));
		res = nrt_diag_add(r, "sustained", 3, (int)d->index, d->bdf, s,
				   s == NRT_DIAG_FAIL ? remedy_slow : NULL,
				   "%.0f s of load, %" PRIu64 " programs, results correct, %.1f MB/s of DMA%s",
				   d->seconds, d->runs, mbps, why);
		res->has_value = true;
		res->value = mbps;
		snprintf(res->unit, sizeof(res->unit), "MB/s");
	}
	nrt_facts_read(d->sysfs_dir, &f);
	if (d->temp_peak < 0 || f.temp_max <= 0)
		nrt_diag_add(r, "thermal", 3, (int)d->index, d->bdf, NRT_DIAG_SKIP, NULL,
			     "no temperature sensor");
	else if (d->temp_peak >= f.temp_max)
		nrt_diag_add(r, "thermal", 3, (int)d->index, d->bdf, NRT_DIAG_FAIL,
			     "check the cooling (fans, airflow, inlet temperature)",
			     "reached %.1f °C under load, at or above its limit of %.1f °C",
			     d->temp_peak / 1000.0, f.temp_max / 1000.0);
	else
		nrt_diag_add(r, "thermal", 3, (int)d->index, d->bdf, NRT_DIAG_PASS, NULL,
			     "at most %.1f °C under load, limit %.1f °C", d->temp_peak / 1000.0,
			     f.temp_max / 1000.0);
	if (f.ecc_uncorrected != NRT_FACT_NA && d->ecc_before != NRT_FACT_NA &&
	    f.ecc_uncorrected > d->ecc_before)
		nrt_diag_add(r, "ecc", 3, (int)d->index, d->bdf, NRT_DIAG_FAIL,
			     "drain the node, then reset the device (nrt-reset); replace it if uncorrectable errors come back",
			     "%" PRIu64 " uncorrectable ECC errors during the load",
			     f.ecc_uncorrected - d->ecc_before);
}

static void level3_load(struct nrt_diag_report *r, const struct nrt_diag_opts *o,
			struct dut *d, size_t n)
{
	double v[64], end, med;
	struct nrt_facts f;
	size_t i, nv = 0;

	for (i = 0; i < n; i++) {
		if (!d[i].dev)
			continue;
		d[i].dma_ok = dma_setup(&d[i]) == NRT_SUCCESS;
		if (!d[i].dma_ok) {
			nrt_diag_add(r, "sustained", 3, (int)d[i].index, d[i].bdf, NRT_DIAG_FAIL,
				     "reset the device (nrt-reset); see dmesg",
				     "cannot allocate the buffers of the load");
			continue;
		}
		nrt_facts_read(d[i].sysfs_dir, &f);
		d[i].ecc_before = f.ecc_uncorrected;
		d[i].temp_peak = f.temp;
		atomic_init(&d[i].stop, false);
		if (pthread_create(&d[i].thread, NULL, load_thread, &d[i]))
			nrt_tool_die("cannot start a thread");
	}
	end = now_s() + o->duration_s;
	while (now_s() < end) {
		sample_temps(d, n);
		throttle_sample(d, n);
		usleep(500 * 1000);
	}
	sample_temps(d, n);
	for (i = 0; i < n; i++)
		if (d[i].dma_ok)
			atomic_store(&d[i].stop, true);
	for (i = 0; i < n; i++) {
		if (!d[i].dma_ok)
			continue;
		pthread_join(d[i].thread, NULL);
		if (!d[i].errors && d[i].seconds > 0 && nv < 64)
			v[nv++] = d[i].bytes / 1e6 / d[i].seconds;
	}
	med = median(v, nv);
	for (i = 0; i < n; i++)
		if (d[i].dma_ok)
			level3_report_dut(r, o, &d[i], med, nv);
}

/* --- level 3: DMA over every NeuronLink ---------------------------------- */

struct peer_res {
	const nrt_link *k;
	double mbps;
	bool ok;
};

/* Write a pattern over link @k into the peer, read it back the same way. */
static nrt_status peer_one(struct dut *a, struct dut *b, const nrt_link *k,
			   double *mbps, bool *bad)
{
	nrt_buffer *remote = NULL, *peer = NULL, *local = NULL, *back = NULL;
	unsigned char *want = NULL, *got = NULL;
	nrt_status st;
	double t0, t, tw, tr;
	unsigned int r;

	*bad = false;
	want = nrt_tool_xmalloc(PEER_SIZE);
	got = nrt_tool_xmalloc(PEER_SIZE);
	pattern(want, PEER_SIZE, k->device * 16 + k->port);
	if ((st = nrt_buffer_alloc(b->dev, PEER_SIZE, NRT_PLACEMENT_HBM, &remote)) ||
	    (st = nrt_buffer_alloc(a->dev, PEER_SIZE, NRT_PLACEMENT_HBM, &local)) ||
	    (st = nrt_buffer_alloc(a->dev, PEER_SIZE, NRT_PLACEMENT_HBM, &back)) ||
	    (st = nrt_buffer_peer(a->dev, remote, (int)k->port, 0, &peer)) ||
	    (st = nrt_buffer_write(local, 0, want, PEER_SIZE)) ||
	    (st = nrt_fill(remote, 0, PEER_SIZE, 0, NULL, NULL)))
		goto out;
	/* Each way the best of PEER_ROUNDS copies: one alone is too noisy. */
	for (r = 0, t = 0, tw = tr = 1e9; r < PEER_ROUNDS; r++) {
		t0 = now_s();
		st = nrt_copy(peer, 0, local, 0, PEER_SIZE, NULL, NULL);
		if (st)
			goto out;
		tw = fmin(tw, now_s() - t0);
		t0 = now_s();
		st = nrt_copy(back, 0, peer, 0, PEER_SIZE, NULL, NULL);
		if (st)
			goto out;
		tr = fmin(tr, now_s() - t0);
	}
	t = tw + tr;
	st = nrt_buffer_read(remote, 0, got, PEER_SIZE);
	if (st)
		goto out;
	*bad = memcmp(got, want, PEER_SIZE) != 0;
	st = nrt_buffer_read(back, 0, got, PEER_SIZE);
	if (st == NRT_SUCCESS && memcmp(got, want, PEER_SIZE))
		*bad = true;
	*mbps = 2.0 * PEER_SIZE / 1e6 / fmax(t, 1e-9);
out:
	nrt_buffer_free(peer);
	nrt_buffer_free(remote);
	nrt_buffer_free(local);
	nrt_buffer_free(back);
	free(want);
	free(got);
	return st;
}

static void level3_peer(struct nrt_diag_report *r, const struct nrt_diag_opts *o,
			struct dut *d, size_t n)
{
	struct peer_res *res = NULL;
	double *v, med;
	size_t nl, i, k, nres = 0, nv = 0;
	const nrt_link *l;
	nrt_topology *t;
	nrt_status st;
	char why[96];
	bool bad;

	st = nrt_topology_get(&t);
	if (st != NRT_SUCCESS) {
		nrt_diag_add(r, "peer", 3, -1, NULL, NRT_DIAG_FAIL, "check the driver",
			     "cannot read the NeuronLink wiring: %s", nrt_tool_reason(st));
		return;
	}
	nl = nrt_topology_num_links(t);
	res = calloc(nl ? nl : 1, sizeof(*res));
	v = calloc(nl ? nl : 1, sizeof(*v));
	if (!res || !v)
		nrt_tool_die("out of memory");
	for (i = 0; i < nl; i++) {
		l = nrt_topology_link(t, i);
		/* Each cable once, from its end on the lower device. */
		if (l->state != NRT_LINK_UP || l->peer_device < 0 ||
		    (unsigned int)l->peer_device < l->device ||
		    l->device >= n || (size_t)l->peer_device >= n ||
		    !d[l->device].dev || !d[l->peer_device].dev)
			continue;
		if ((unsigned int)l->peer_device == l->device)
			continue;
		res[nres].k = l;
		st = peer_one(&d[l->device], &d[l->peer_device], l, &res[nres].mbps, &bad);
		if (st != NRT_SUCCESS || bad) {
			nrt_diag_add(r, "peer", 3, (int)l->device, l->pci_bdf, NRT_DIAG_FAIL,
				     "check the cable at this port; reset both devices (nrt-reset) if it persists",
				     "port %u to device %d port %u: %s", l->port, l->peer_device,
				     l->peer_port, st != NRT_SUCCESS ? nrt_tool_reason(st) :
				     "data came back different");
		} else {
			res[nres].ok = true;
			v[nv++] = res[nres].mbps;
		}
		nres++;
	}
	med = median(v, nv);
	for (k = 0; k < nres; k++) {
		struct nrt_diag_result *x;
		enum nrt_diag_status s;

		if (!res[k].ok)
			continue;
		l = res[k].k;
		s = floor_check(o, res[k].mbps, med, nv, why, sizeof(why));
		x = nrt_diag_add(r, "peer", 3, (int)l->device, l->pci_bdf, s,
				 s == NRT_DIAG_FAIL ?
				 "check the link's errors (nrt-ls --json: err_crc, err_replay) and the cable" :
				 NULL, "port %u to device %d port %u: data correct both ways, %.1f MB/s%s",
				 l->port, l->peer_device, l->peer_port, res[k].mbps, why);
		x->has_value = true;
		x->value = res[k].mbps;
		snprintf(x->unit, sizeof(x->unit), "MB/s");
	}
	if (!nres)
		nrt_diag_add(r, "peer", 3, -1, NULL, NRT_DIAG_SKIP, NULL,
			     "no NeuronLink up between two devices of this node");
	free(res);
	free(v);
	nrt_topology_free(t);
}

void nrt_diag_level3(struct nrt_diag_report *r, const struct nrt_diag_opts *o)
{
	struct dut *d;
	size_t n;

	n = duts_open(r, &d);
	if (!n)
		return;
	throttle_begin(d, n);
	level3_load(r, o, d, n);
	throttle_report(r, o, 3, d, n);
	level3_peer(r, o, d, n);
	duts_close(d, n);
}
