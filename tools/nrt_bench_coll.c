// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-bench: all-reduce across every device of the machine.
 *
 * One process per device, forked here as nrt-ccl-test forks its ranks,
 * joined into one communicator (the algorithm the library picks: a ring
 * on the ring of 16 of make bench). Every figure is measured in --runs
 * runs, each started by a small all-reduce of the tool's own that the
 * ranks leave together; a run's value is the average over the ranks of
 * what each rank timed (as nccl-tests averages), the figure the median of
 * the runs with their lowest and highest:
 *
 * - latency: COLL_LAT_CALLS synchronous all-reduces of COLL_LAT_BYTES; a
 *   rank's value is the median of its calls;
 * - bandwidth: COLL_BW_CALLS all-reduces of COLL_BW_BYTES queued back to
 *   back and waited for; a rank's value is its time divided by the calls,
 *   and the bus bandwidth nccl-tests' algbw * 2(n-1)/n of it.
 *
 * Rank 0 hands the figures to nrt-bench through a pipe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nrt.h"
#include "nrt_bench.h"
#include "nrt_bench_coll.h"
#include "nrt_ccl_check.h"
#include "nrt_tool.h"

#define LAT_WARMUP 2

struct coll_rank {
	const struct bench_options *o;
	unsigned int me, n;
	nrt_device *dev;
	nrt_comm *comm;
	nrt_buffer *send, *recv;	/* HBM */
	nrt_buffer *agg;		/* HOST: the ranks' agreement */
};

struct bench_stat coll_busbw_stat(struct bench_stat time_us, size_t bytes,
				  unsigned int nranks)
{
	struct bench_stat s;

	if (!bench_stat_measured(time_us) || time_us.lo <= 0)
		return BENCH_STAT_NONE;
	s.median = nrt_cc_busbw(NRT_CC_ALL_REDUCE, nranks, bytes, time_us.median);
	s.lo = nrt_cc_busbw(NRT_CC_ALL_REDUCE, nranks, bytes, time_us.hi);
	s.hi = nrt_cc_busbw(NRT_CC_ALL_REDUCE, nranks, bytes, time_us.lo);
	return s;
}

/* The average over the ranks of @v (fp32 sum over a HOST buffer). */
static bool agree(struct coll_rank *k, double *v)
{
	float f = (float)*v;
	nrt_status st;

	st = nrt_buffer_write(k->agg, 0, &f, sizeof(f));
	if (st == NRT_SUCCESS)
		st = nrt_all_reduce(k->comm, k->agg, 0, k->agg, 0, 1, NRT_DTYPE_FP32,
				    NRT_REDOP_SUM, NULL, NULL);
	if (st == NRT_SUCCESS)
		st = nrt_buffer_read(k->agg, 0, &f, sizeof(f));
	if (st != NRT_SUCCESS) {
		nrt_tool_error("all-reduce: rank %u: the ranks' agreement: %s", k->me,
			       nrt_tool_reason(st));
		return false;
	}
	*v = (double)f / k->n;
	return true;
}

/* One all-reduce of @bytes; with @f NULL, waited for. */
static bool all_reduce(struct coll_rank *k, size_t bytes, nrt_fence **f)
{
	nrt_status st = nrt_all_reduce(k->comm, k->send, 0, k->recv, 0, bytes / 4,
				       NRT_DTYPE_FP32, NRT_REDOP_SUM, NULL, f);

	if (st != NRT_SUCCESS)
		nrt_tool_error("all-reduce: rank %u: %zu bytes: %s", k->me, bytes,
			       nrt_tool_reason(st));
	return st == NRT_SUCCESS;
}

static bool latency_runs(struct coll_rank *k, struct bench_stat *out)
{
	double *runs = nrt_tool_xmalloc(k->o->runs * sizeof(*runs));
	double calls[COLL_LAT_CALLS], sync = 0;
	unsigned int r, c;
	bool ok = true;

	for (c = 0; c < LAT_WARMUP && ok; c++)
		ok = all_reduce(k, COLL_LAT_BYTES, NULL);
	for (r = 0; r < k->o->runs && ok; r++) {
		if (!agree(k, &sync)) {
			ok = false;
			break;
		}
		for (c = 0; c < COLL_LAT_CALLS && ok; c++) {
			double t0 = bench_now_s();

			ok = all_reduce(k, COLL_LAT_BYTES, NULL);
			calls[c] = (bench_now_s() - t0) * 1e6;
		}
		runs[r] = bench_median(calls, COLL_LAT_CALLS);
		ok = ok && agree(k, &runs[r]);
	}
	if (ok)
		*out = bench_stat_of(runs, k->o->runs);
	free(runs);
	return ok;
}

static bool bandwidth_runs(struct coll_rank *k, struct bench_stat *out)
{
	double *runs = nrt_tool_xmalloc(k->o->runs * sizeof(*runs)), sync = 0;
	nrt_fence *f[COLL_BW_CALLS] = { NULL };
	unsigned int r, c;
	bool ok;

	ok = all_reduce(k, COLL_BW_BYTES, NULL);	/* warm up */
	for (r = 0; r < k->o->runs && ok; r++) {
		double t0;

		ok = agree(k, &sync);
		t0 = bench_now_s();
		for (c = 0; c < COLL_BW_CALLS && ok; c++)
			ok = all_reduce(k, COLL_BW_BYTES, &f[c]);
		for (c = 0; c < COLL_BW_CALLS; c++) {
			nrt_status st = f[c] ? nrt_fence_wait(f[c], -1) : NRT_SUCCESS;

			if (ok && st != NRT_SUCCESS) {
				nrt_tool_error("all-reduce: rank %u: %zu bytes: %s", k->me,
					       COLL_BW_BYTES, nrt_tool_reason(st));
				ok = false;
			}
			nrt_fence_free(f[c]);
			f[c] = NULL;
		}
		runs[r] = (bench_now_s() - t0) * 1e6 / COLL_BW_CALLS;
		ok = ok && agree(k, &runs[r]);
	}
	if (ok)
		*out = bench_stat_of(runs, k->o->runs);
	free(runs);
	return ok;
}

static bool rank_setup(struct coll_rank *k, const nrt_comm_id *id, size_t size)
{
	nrt_comm_config cfg = NRT_COMM_CONFIG_INIT;
	nrt_status st;

	cfg.timeout_ms = COLL_TIMEOUT_MS;
	st = nrt_device_open(k->me, &k->dev);
	if (st == NRT_SUCCESS)
		st = nrt_comm_init_rank(k->dev, id, k->n, k->me, &cfg, &k->comm);
	if (st == NRT_SUCCESS)
		st = nrt_buffer_alloc(k->dev, size, NRT_PLACEMENT_HBM, &k->send);
	if (st == NRT_SUCCESS)
		st = nrt_buffer_alloc(k->dev, size, NRT_PLACEMENT_HBM, &k->recv);
	if (st == NRT_SUCCESS)
		st = nrt_buffer_alloc(k->dev, 64, NRT_PLACEMENT_HOST, &k->agg);
	/* Small fp32 values (0x3c3c3c3c): sums of 16 stay finite. */
	if (st == NRT_SUCCESS)
		st = nrt_fill(k->send, 0, size, 0x3c, NULL, NULL);
	if (st != NRT_SUCCESS)
		nrt_tool_error("all-reduce: rank %u (device %u): %s", k->me, k->me,
			       nrt_tool_reason(st));
	return st == NRT_SUCCESS;
}

/* Rank @me of @n on device @me; rank 0 writes the figures to @out. */
static int rank_main(const struct bench_options *o, const nrt_comm_id *id,
		     unsigned int me, unsigned int n, int out)
{
	struct coll_rank k = { .o = o, .me = me, .n = n };
	bool bw = COLL_BW_BYTES <= o->max_size;
	struct coll_results cr;
	bool ok;

	memset(&cr, 0, sizeof(cr));
	cr.lat_us = cr.time_us = cr.busbw_gbps = BENCH_STAT_NONE;
	ok = rank_setup(&k, id, bw ? COLL_BW_BYTES : 4096) &&
	     latency_runs(&k, &cr.lat_us) && (!bw || bandwidth_runs(&k, &cr.time_us));
	if (ok && !me) {
		cr.have = true;
		cr.ranks = n;
		cr.runs = o->runs;
		snprintf(cr.algo_lat, sizeof(cr.algo_lat), "%s",
			 nrt_comm_describe(k.comm, COLL_LAT_BYTES));
		snprintf(cr.algo_bw, sizeof(cr.algo_bw), "%s",
			 nrt_comm_describe(k.comm, COLL_BW_BYTES));
		cr.busbw_gbps = coll_busbw_stat(cr.time_us, COLL_BW_BYTES, n);
		if (write(out, &cr, sizeof(cr)) != (ssize_t)sizeof(cr)) {
			nrt_tool_error("all-reduce: rank 0: cannot pass the figures on: %s",
				       strerror(errno));
			ok = false;
		}
	}
	nrt_buffer_free(k.agg);
	nrt_buffer_free(k.recv);
	nrt_buffer_free(k.send);
	nrt_comm_destroy(k.comm);
	nrt_device_close(k.dev);
	return ok ? 0 : 1;
}

/* Rank 0's figures from @fd, and the exit of every rank. */
static bool collect(int fd, pid_t *pids, unsigned int n, struct coll_results *cr)
{
	struct coll_results got;
	size_t have = 0;
	unsigned int r;
	bool ok = true;

	while (have < sizeof(got)) {
		ssize_t len = read(fd, (char *)&got + have, sizeof(got) - have);

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		have += (size_t)len;
	}
	for (r = 0; r < n; r++) {
		int status = 0;

		if (pids[r] <= 0)
			continue;
		while (waitpid(pids[r], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			nrt_tool_error("all-reduce: rank %u failed", r);
			ok = false;
		}
	}
	if (ok && have == sizeof(got))
		*cr = got;
	return ok && have == sizeof(got);
}

bool bench_coll(const struct bench_options *o, struct coll_results *cr)
{
	unsigned int n = 0, r;
	nrt_comm_id id;
	pid_t *pids;
	int fds[2];
	bool ok;

	memset(cr, 0, sizeof(*cr));
	cr->lat_us = cr->time_us = cr->busbw_gbps = BENCH_STAT_NONE;
	if (nrt_device_count(&n) != NRT_SUCCESS || n < 2)
		return true;	/* one device: nothing to measure */
	if (nrt_comm_get_unique_id(&id) != NRT_SUCCESS) {
		nrt_tool_error("all-reduce: no communicator id: %s", nrt_last_error());
		return false;
	}
	if (pipe(fds)) {
		nrt_tool_error("all-reduce: pipe: %s", strerror(errno));
		return false;
	}
	pids = nrt_tool_xmalloc(n * sizeof(*pids));
	fflush(NULL);
	for (r = 0; r < n; r++) {
		pids[r] = fork();
		if (pids[r] < 0) {
			nrt_tool_error("all-reduce: fork: %s", strerror(errno));
			break;
		}
		if (!pids[r]) {
			int ret;

			close(fds[0]);
			ret = rank_main(o, &id, r, n, fds[1]);
			fflush(NULL);
			exit(ret);
		}
	}
	close(fds[1]);
	/* A fork that failed leaves the others to time out and fail. */
	ok = collect(fds[0], pids, r, cr) && r == n;
	close(fds[0]);
	free(pids);
	return ok;
}
