// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * A workload for the observability tests (tests/vm/t/95-top.sh): keeps one
 * NeuronCore busy with matmuls and holds a known amount of device and host
 * memory, so that nrt-top, sysfs and fdinfo have something to show.
 *
 *   nrt_load [-d DEVICE] [-c CORE] [-s SECONDS] [-m HBM_MIB] [-H HOST_MIB] [-n DIM]
 *
 * DIM is the side of its square fp32 matmuls (128 by default): a larger
 * one keeps the core computing for a larger share of the time, as the
 * power cap's test (87-power.sh) needs.
 *
 * It fills both buffers by DMA, prints one line, "ready pid=P hbm_bytes=B
 * host_bytes=B", then runs programs back to back on CORE until SECONDS
 * have passed (or SIGTERM), and exits 0; 1 on a failure, 2 on bad options.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "nrt.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int failed(const char *what, nrt_status st)
{
	fprintf(stderr, "nrt_load: %s: %s\n", what, *nrt_last_error() ?
		nrt_last_error() : nrt_strerror(st));
	return 1;
}

static unsigned long arg_ulong(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > max) {
		fprintf(stderr, "nrt_load: invalid number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	/* A square matmul big enough that the core spends its time computing. */
	uint32_t shape[2] = { 128, 128 };
	unsigned long device = 0, core = 0, seconds = 10, hbm_mib = 64, host_mib = 8;
	nrt_tensor *a = NULL, *b = NULL, *out = NULL;
	nrt_buffer *hbm = NULL, *host = NULL;
	nrt_program *p = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	nrt_device *dev;
	nrt_status st;
	double end;
	unsigned long runs = 0;
	int opt, ret = 1;

	while ((opt = getopt(argc, argv, "d:c:s:m:H:n:")) != -1) {
		switch (opt) {
		case 'd': device = arg_ulong(optarg, 255); break;
		case 'c': core = arg_ulong(optarg, 255); break;
		case 's': seconds = arg_ulong(optarg, 3600); break;
		case 'm': hbm_mib = arg_ulong(optarg, 65536); break;
		case 'H': host_mib = arg_ulong(optarg, 65536); break;
		case 'n':
			shape[0] = shape[1] = (uint32_t)arg_ulong(optarg, 4096);
			if (!shape[0]) {
				fprintf(stderr, "nrt_load: -n 0\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: nrt_load [-d DEVICE] [-c CORE] [-s SECONDS] "
				"[-m HBM_MIB] [-H HOST_MIB] [-n DIM]\n");
			return 2;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	st = nrt_device_open((unsigned int)device, &dev);
	if (st != NRT_SUCCESS)
		return failed("open", st);
	if (hbm_mib && (st = nrt_buffer_alloc(dev, hbm_mib << 20, NRT_PLACEMENT_HBM,
					      &hbm)) != NRT_SUCCESS) {
		failed("HBM buffer", st);
		goto out;
	}
	if (host_mib && (st = nrt_buffer_alloc(dev, host_mib << 20, NRT_PLACEMENT_HOST,
					       &host)) != NRT_SUCCESS) {
		failed("host buffer", st);
		goto out;
	}
	/* Touch the memory with the DMA engines: they count what they move */
	if ((hbm && (st = nrt_fill(hbm, 0, hbm_mib << 20, 0x5a, NULL, NULL))) ||
	    (host && (st = nrt_fill(host, 0, host_mib << 20, 0xa5, NULL, NULL)))) {
		failed("fill", st);
		goto out;
	}
	if ((st = nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 2, shape, NRT_PLACEMENT_HBM,
				   &a)) != NRT_SUCCESS ||
	    (st = nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 2, shape, NRT_PLACEMENT_HBM,
				   &b)) != NRT_SUCCESS ||
	    (st = nrt_tensor_alloc(dev, NRT_DTYPE_FP32, 2, shape, NRT_PLACEMENT_HBM,
				   &out)) != NRT_SUCCESS) {
		failed("tensors", st);
		goto out;
	}
	if ((st = nrt_program_new(dev, &p)) != NRT_SUCCESS ||
	    (st = nrt_program_matmul(p, out, a, b, 1.0f, false)) != NRT_SUCCESS ||
	    (st = nrt_program_matmul(p, out, a, b, 1.0f, true)) != NRT_SUCCESS ||
	    (st = nrt_program_finalize(p)) != NRT_SUCCESS) {
		failed("program", st);
		goto out;
	}
	printf("ready pid=%ld hbm_bytes=%lu host_bytes=%lu\n", (long)getpid(),
	       hbm_mib << 20, host_mib << 20);
	fflush(stdout);
	end = now_s() + (double)seconds;
	while (!stop && now_s() < end) {
		st = nrt_program_run(p, (unsigned int)core, NULL, NULL);
		if (st != NRT_SUCCESS) {
			failed("run", st);
			goto out;
		}
		runs++;
	}
	fprintf(stderr, "nrt_load: %lu runs on core %lu\n", runs, core);
	ret = 0;
out:
	nrt_program_free(p);
	nrt_tensor_free(a);
	nrt_tensor_free(b);
	nrt_tensor_free(out);
	nrt_buffer_free(hbm);
	nrt_buffer_free(host);
	nrt_device_close(dev);
	return ret;
}
