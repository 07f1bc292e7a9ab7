// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-ccl-test: the collectives of libnrt measured and checked, in the
 * manner of nccl-tests. See nrt-ccl-test(1).
 *
 * One process per rank and one device each: forked here (ranks 0..N-1 on
 * devices 0..N-1 or --devices), or started by a launcher that sets
 * NRT_COMM_ID, NRT_COMM_RANK and NRT_COMM_SIZE (nrt_comm_init_env()). For
 * every collective, type, reduction and size: warm-up calls, then
 * --iters calls queued back to back and waited for; the time of a call is
 * a rank's total divided by the calls, averaged over the ranks as
 * nccl-tests does. Then, with --check, one
 * more call on fresh data, each rank comparing its receive buffer with
 * the CPU reference (nrt_ccl_check.c). The ranks agree on times and error
 * counts with small all-reduces of their own. Rank 0 prints.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nrt.h"
#include "nrt_ccl_check.h"
#include "nrt_json.h"
#include "nrt_tool.h"

#define MAX_FORKED 1024u
#define FENCE_WAIT_NS (-1)
/* Calls queued and not yet waited for, at most (each keeps buffers). */
#define IN_FLIGHT 16u

struct options {
	bool ops[NRT_CC_OP_COUNT];
	bool dtypes[8];
	bool redops[5];
	uint64_t min_bytes, max_bytes, step_bytes;
	unsigned int factor;
	unsigned int iters, warmup;
	bool check, oop, ip, json, exact;
	unsigned int root;
	unsigned int nranks;            /* forked ranks */
	unsigned int *devices;          /* their devices */
	int device;                     /* launched: this rank's device, or -1 */
	nrt_comm_config config;
	uint32_t seed;
};

/* One measurement: a mode (out of place, in place) of one size. */
struct result {
	double time_us;                 /* per call, average of the ranks; < 0: not run */
	uint64_t wrong;                 /* elements wrong, all ranks */
};

/* What a rank has to run the tests. */
struct rank {
	const struct options *o;
	nrt_comm *comm;
	nrt_device *dev;
	unsigned int n, me;
	nrt_buffer *send, *recv;        /* HBM, of the largest size */
	nrt_buffer *agg;                /* HOST: the ranks' agreement */
	size_t send_size, recv_size;
	unsigned char *host;            /* check: a buffer's worth */
	int send_to, recv_from;         /* ring neighbours for sendrecv */
	struct json_object *json;       /* rank 0 with --json */
	bool json_ok;
	double busbw_sum;
	unsigned int busbw_count;
	uint64_t wrong_total;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------------
 * Options
 */

static void usage(void)
{
	printf("Usage: %s [OPTION]...\n"
	       "Measure and check the collectives of libnrt across the devices of this host.\n"
	       "\n"
	       "  -o, --op LIST          all_reduce, reduce_scatter, all_gather, broadcast,\n"
	       "                         reduce, all_to_all, sendrecv or all (all_reduce)\n"
	       "  -d, --dtype LIST       fp32, bf16, fp16, fp8_e4m3, fp8_e5m2, int8, int32 or\n"
	       "                         all (fp32)\n"
	       "  -r, --redop LIST       sum, prod, max, min, avg or all (sum)\n"
	       "  -b, --minbytes SIZE    smallest size (8)\n"
	       "  -e, --maxbytes SIZE    largest size (32M)\n"
	       "  -f, --stepfactor N     multiply the size by N (2)\n"
	       "  -i, --stepbytes SIZE   or add SIZE to it\n"
	       "  -n, --iters N          timed calls per size (20)\n"
	       "  -w, --warmup_iters N   calls before timing (5)\n"
	       "  -c, --check 0|1        check every size against the CPU reference (1)\n"
	       "  -p, --place MODE       outofplace, inplace or both (both)\n"
	       "  -R, --root N           root of broadcast and reduce (0)\n"
	       "  -a, --algo NAME        auto, ring, torus2d, tree or chain (auto)\n"
	       "  -D, --deterministic    reductions in rank order, checked bit for bit on\n"
	       "                         random data\n"
	       "  -N, --ranks N          fork N ranks (all the devices)\n"
	       "      --devices LIST     their devices (0,1,..,N-1)\n"
	       "      --device N         launched rank: its device (NRT_COMM_DEVICE, or\n"
	       "                         the rank modulo the devices)\n"
	       "  -t, --timeout MS       the communicator's timeout (NRT_COMM_TIMEOUT_MS)\n"
	       "  -J, --json             one JSON document instead of the table\n"
	       "      --new-id           print a new communicator id (NRT_COMM_ID) and exit\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          the version\n"
	       "\n"
	       "Sizes take a K, M or G suffix. See nrt-ccl-test(1).\n",
	       nrt_tool_name());
}

/* A byte count (nrt_tool_parse_size()). */
static bool parse_size(const char *s, uint64_t *out)
{
	size_t v;

	if (!nrt_tool_parse_size(s, &v))
		return false;
	*out = v;
	return true;
}

/* A comma-separated list of @names (or "all") into @set. */
static bool parse_list(const char *arg, const char *(*name)(unsigned int), unsigned int first,
		       unsigned int count, bool *set)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	bool ok = copy != NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && ok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned int i;

		if (!strcmp(tok, "all")) {
			for (i = first; i < count; i++)
				set[i] = true;
			continue;
		}
		for (i = first; i < count && strcmp(tok, name(i)); i++)
			;
		if (i == count)
			ok = false;
		else
			set[i] = true;
	}
	free(copy);
	return ok;
}

static const char *op_name(unsigned int i)
{
	return nrt_cc_op_name((enum nrt_cc_op)i);
}

static const char *dtype_name(unsigned int i)
{
	return nrt_dtype_name((nrt_dtype)i);
}

static const char *redop_name(unsigned int i)
{
	return nrt_cc_redop_name((nrt_redop)i);
}

static void parse_devices(struct options *o, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	unsigned int n = 0;

	if (!copy)
		nrt_tool_die("out of memory");
	free(o->devices);
	o->devices = nrt_tool_xmalloc(MAX_FORKED * sizeof(*o->devices));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_FORKED || !nrt_tool_parse_uint(tok, 0, UINT32_MAX, &o->devices[n]))
			nrt_tool_usage_error("--devices: '%s' is not a list of device indexes", arg);
		n++;
	}
	free(copy);
	if (!n)
		nrt_tool_usage_error("--devices: no device");
	if (!o->nranks)
		o->nranks = n;
	else if (o->nranks != n)
		nrt_tool_usage_error("--ranks %u but %u devices", o->nranks, n);
}

/* --new-id: a communicator id for a launcher. Return: the exit status. */
static int print_new_id(void)
{
	char text[NRT_COMM_ID_STRLEN];
	nrt_comm_id id;
	nrt_status st;

	st = nrt_comm_get_unique_id(&id);
	if (st == NRT_SUCCESS)
		st = nrt_comm_id_to_string(&id, text, sizeof(text));
	if (st != NRT_SUCCESS)
		nrt_tool_die("%s", nrt_tool_reason(st));
	printf("%s\n", text);
	return nrt_tool_flush();
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "op", required_argument, NULL, 'o' },
		{ "dtype", required_argument, NULL, 'd' },
		{ "redop", required_argument, NULL, 'r' },
		{ "minbytes", required_argument, NULL, 'b' },
		{ "maxbytes", required_argument, NULL, 'e' },
		{ "stepfactor", required_argument, NULL, 'f' },
		{ "stepbytes", required_argument, NULL, 'i' },
		{ "iters", required_argument, NULL, 'n' },
		{ "warmup_iters", required_argument, NULL, 'w' },
		{ "check", required_argument, NULL, 'c' },
		{ "place", required_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'R' },
		{ "algo", required_argument, NULL, 'a' },
		{ "deterministic", no_argument, NULL, 'D' },
		{ "ranks", required_argument, NULL, 'N' },
		{ "devices", required_argument, NULL, 1 },
		{ "device", required_argument, NULL, 2 },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'J' },
		{ "new-id", no_argument, NULL, 3 },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const algos[] = { "auto", "ring", "torus2d", "tree", "chain" };
	bool any_op = false, any_dt = false, any_red = false;
	const char *devices = NULL;
	unsigned int v;
	int c;

	memset(o, 0, sizeof(*o));
	o->min_bytes = 8;
	o->max_bytes = 32u << 20;
	o->factor = 2;
	o->iters = 20;
	o->warmup = 5;
	o->check = o->oop = o->ip = o->exact = true;
	o->device = -1;
	o->seed = 0x5eed;
	o->config = (nrt_comm_config)NRT_COMM_CONFIG_INIT;
	while ((c = getopt_long(argc, argv, "o:d:r:b:e:f:i:n:w:c:p:R:a:DN:t:JhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			any_op = true;
			if (!parse_list(optarg, op_name, 0, NRT_CC_OP_COUNT, o->ops))
				nrt_tool_usage_error("--op: '%s' is not a list of collectives", optarg);
			break;
		case 'd':
			any_dt = true;
			if (!parse_list(optarg, dtype_name, NRT_DTYPE_FP32, NRT_DTYPE_INT32 + 1,
					o->dtypes))
				nrt_tool_usage_error("--dtype: '%s' is not a list of types", optarg);
			break;
		case 'r':
			any_red = true;
			if (!parse_list(optarg, redop_name, 0, 5, o->redops))
				nrt_tool_usage_error("--redop: '%s' is not a list of reductions", optarg);
			break;
		case 'b':
		case 'e':
		case 'i':
			if (!parse_size(optarg, c == 'b' ? &o->min_bytes : c == 'e' ? &o->max_bytes :
					&o->step_bytes))
				nrt_tool_usage_error("-%c: '%s' is not a size", c, optarg);
			break;
		case 'f':
			if (!nrt_tool_parse_uint(optarg, 0, 1024, &o->factor) || o->factor < 2)
				nrt_tool_usage_error("--stepfactor: '%s' is not a factor of 2 to 1024",
						     optarg);
			break;
		case 'n':
		case 'w':
			if (!nrt_tool_parse_uint(optarg, 0, 1000000, c == 'n' ? &o->iters : &o->warmup) ||
			    (c == 'n' && !o->iters))
				nrt_tool_usage_error("-%c: '%s' is not a count", c, optarg);
			break;
		case 'c':
			if (!nrt_tool_parse_uint(optarg, 0, 1, &v))
				nrt_tool_usage_error("--check: 0 or 1, not '%s'", optarg);
			o->check = v;
			break;
		case 'p':
			o->oop = !strcmp(optarg, "outofplace") || !strcmp(optarg, "both");
			o->ip = !strcmp(optarg, "inplace") || !strcmp(optarg, "both");
			if (!o->oop && !o->ip)
				nrt_tool_usage_error("--place: outofplace, inplace or both, not '%s'",
						     optarg);
			break;
		case 'R':
			if (!nrt_tool_parse_uint(optarg, 0, MAX_FORKED, &o->root))
				nrt_tool_usage_error("--root: '%s' is not a rank", optarg);
			break;
		case 'a':
			for (v = 0; v < 5 && strcmp(optarg, algos[v]); v++)
				;
			if (v == 5)
				nrt_tool_usage_error("--algo: auto, ring, torus2d, tree or chain, not '%s'",
						     optarg);
			o->config.algo = (nrt_comm_algo)v;
			break;
		case 'D':
			o->config.flags |= NRT_COMM_DETERMINISTIC;
			o->exact = false;
			break;
		case 'N':
			if (!nrt_tool_parse_uint(optarg, 0, MAX_FORKED, &o->nranks) || !o->nranks)
				nrt_tool_usage_error("--ranks: '%s' is not a number of ranks", optarg);
			break;
		case 1:
			devices = optarg;
			break;
		case 2:
			if (!nrt_tool_parse_uint(optarg, 0, 1 << 20, &v))
				nrt_tool_usage_error("--device: '%s' is not a device index", optarg);
			o->device = (int)v;
			break;
		case 3:
			exit(print_new_id());
		case 't':
			if (!nrt_tool_parse_uint(optarg, 0, UINT32_MAX, &v) || !v)
				nrt_tool_usage_error("--timeout: '%s' is not a time in ms", optarg);
			o->config.timeout_ms = v;
			break;
		case 'J':
			o->json = true;
			break;
		case 'h':
			usage();
			exit(nrt_tool_flush());
		case 'V':
			exit(nrt_tool_version());
		default:
			nrt_tool_usage_error(NULL);
		}
	}
	if (optind < argc)
		nrt_tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (!any_op)
		o->ops[NRT_CC_ALL_REDUCE] = true;
	if (!any_dt)
		o->dtypes[NRT_DTYPE_FP32] = true;
	if (!any_red)
		o->redops[NRT_REDOP_SUM] = true;
	if (o->min_bytes > o->max_bytes)
		nrt_tool_usage_error("--minbytes is above --maxbytes");
	if (devices)
		parse_devices(o, devices);
}

/* ------------------------------------------------------------------------
 * The ranks' agreement
 */

/*
 * A small all-reduce of the tool's own: the sums over the ranks of @n
 * values (fp32: times in microseconds, counts exact up to 2^24).
 */
static void agree(struct rank *k, float *vals, unsigned int n)
{
	nrt_status st;

	st = nrt_buffer_write(k->agg, 0, vals, n * sizeof(*vals));
	if (st == NRT_SUCCESS)
		st = nrt_all_reduce(k->comm, k->agg, 0, k->agg, 0, n, NRT_DTYPE_FP32, NRT_REDOP_SUM,
				    NULL, NULL);
	if (st == NRT_SUCCESS)
		st = nrt_buffer_read(k->agg, 0, vals, n * sizeof(*vals));
	if (st != NRT_SUCCESS)
		nrt_tool_die("rank %u: the ranks' agreement: %s", k->me, nrt_tool_reason(st));
}

/* ------------------------------------------------------------------------
 * One collective
 */

/* The buffers of @c in mode @ip: send and receive buffers with their offsets. */
struct place {
	nrt_buffer *send, *recv;
	size_t send_off, recv_off;
};

static void place_of(const struct rank *k, const struct nrt_cc_case *c, bool ip, struct place *p)
{
	size_t esz = nrt_dtype_size(c->dtype);

	p->send = k->send;
	p->recv = k->recv;
	p->send_off = p->recv_off = 0;
	if (!ip)
		return;
	p->send = k->recv;
	if (c->op == NRT_CC_REDUCE_SCATTER)
		p->recv_off = k->me * c->count * esz;
	else if (c->op == NRT_CC_ALL_GATHER)
		p->send_off = k->me * c->count * esz;
}

static nrt_status run_one(struct rank *k, const struct nrt_cc_case *c, const struct place *p,
			  nrt_fence **f)
{
	switch (c->op) {
	case NRT_CC_ALL_REDUCE:
		return nrt_all_reduce(k->comm, p->send, p->send_off, p->recv, p->recv_off, c->count,
				      c->dtype, c->redop, NULL, f);
	case NRT_CC_REDUCE_SCATTER:
		return nrt_reduce_scatter(k->comm, p->send, p->send_off, p->recv, p->recv_off,
					  c->count, c->dtype, c->redop, NULL, f);
	case NRT_CC_ALL_GATHER:
		return nrt_all_gather(k->comm, p->send, p->send_off, p->recv, p->recv_off, c->count,
				      c->dtype, NULL, f);
	case NRT_CC_BROADCAST:
		return nrt_broadcast(k->comm, p->send, p->send_off, p->recv, p->recv_off, c->count,
				     c->dtype, c->root, NULL, f);
	case NRT_CC_REDUCE:
		return nrt_reduce(k->comm, p->send, p->send_off, p->recv, p->recv_off, c->count,
				  c->dtype, c->redop, c->root, NULL, f);
	case NRT_CC_ALL_TO_ALL:
		return nrt_all_to_all(k->comm, p->send, p->send_off, p->recv, p->recv_off, c->count,
				      c->dtype, NULL, f);
	default:
		break;
	}
	/*
	 * sendrecv: to the next rank of the ring, from the previous one.
	 * Rank 0 receives first and the others send first, so that messages
	 * larger than the staging, whose sends wait for the receive, do not
	 * wait for each other all round the ring.
	 */
	{
		nrt_fence *a = NULL, *b = NULL;
		bool send_first = k->me != 0;
		nrt_status st;

		if (send_first)
			st = nrt_send(k->comm, p->send, p->send_off, c->count, c->dtype,
				      (unsigned int)k->send_to, NULL, &a);
		else
			st = nrt_recv(k->comm, p->recv, p->recv_off, c->count, c->dtype,
				      (unsigned int)k->recv_from, NULL, &a);
		if (st == NRT_SUCCESS && send_first)
			st = nrt_recv(k->comm, p->recv, p->recv_off, c->count, c->dtype,
				      (unsigned int)k->recv_from, NULL, &b);
		else if (st == NRT_SUCCESS)
			st = nrt_send(k->comm, p->send, p->send_off, c->count, c->dtype,
				      (unsigned int)k->send_to, NULL, &b);
		if (st == NRT_SUCCESS)
			st = nrt_fence_wait(a, FENCE_WAIT_NS);
		nrt_fence_free(a);
		if (st == NRT_SUCCESS && !f)
			st = nrt_fence_wait(b, FENCE_WAIT_NS);
		if (f && st == NRT_SUCCESS)
			*f = b;
		else
			nrt_fence_free(b);
		return st;
	}
}

/* Write this rank's data; in place, into the receive buffer. */
static void fill(struct rank *k, const struct nrt_cc_case *c, const struct place *p)
{
	size_t esz = nrt_dtype_size(c->dtype);
	uint64_t e, n = nrt_cc_send_elems(c);
	nrt_status st;

	if (c->op == NRT_CC_BROADCAST && k->me != c->root)
		n = 0;
	for (e = 0; e < n; e++)
		nrt_cc_fill(c, k->me, e, k->host + e * esz);
	st = n ? nrt_buffer_write(p->send, p->send_off, k->host, n * esz) : NRT_SUCCESS;
	if (st != NRT_SUCCESS)
		nrt_tool_die("rank %u: writing the data: %s", k->me, nrt_tool_reason(st));
	/* Out of place, a pattern the results must replace */
	if (p->send != p->recv && nrt_cc_recv_elems(c)) {
		memset(k->host, 0xa5, nrt_cc_recv_elems(c) * esz);
		st = nrt_buffer_write(p->recv, p->recv_off, k->host, nrt_cc_recv_elems(c) * esz);
		if (st != NRT_SUCCESS)
			nrt_tool_die("rank %u: writing the data: %s", k->me, nrt_tool_reason(st));
	}
}

/* Run once on fresh data and count the elements this rank got wrong. */
static uint64_t check(struct rank *k, const struct nrt_cc_case *c, const struct place *p)
{
	size_t esz = nrt_dtype_size(c->dtype);
	uint64_t e, n = nrt_cc_recv_elems(c), wrong = 0;
	unsigned char want[8];
	nrt_status st;

	fill(k, c, p);
	st = run_one(k, c, p, NULL);
	if (st != NRT_SUCCESS)
		nrt_tool_die("rank %u: %s %s: %s", k->me, nrt_cc_op_name(c->op),
			     nrt_dtype_name(c->dtype), nrt_tool_reason(st));
	st = n ? nrt_buffer_read(p->recv, p->recv_off, k->host, n * esz) : NRT_SUCCESS;
	if (st != NRT_SUCCESS)
		nrt_tool_die("rank %u: reading the result: %s", k->me, nrt_tool_reason(st));
	for (e = 0; e < n; e++) {
		if (!nrt_cc_expect(c, e, want) || !memcmp(want, k->host + e * esz, esz))
			continue;
		if (!wrong)
			nrt_tool_error("rank %u: %s %s %s count %" PRIu64 ": element %" PRIu64
				       " is 0x%02x.., not 0x%02x..", k->me, nrt_cc_op_name(c->op),
				       nrt_dtype_name(c->dtype), nrt_cc_redop_name(c->redop),
				       c->count, e, k->host[e * esz], want[0]);
		wrong++;
	}
	return wrong;
}

/* Wait for and free fence @f; a failure ends the run. */
static void settle(struct rank *k, const struct nrt_cc_case *c, nrt_fence **f)
{
	nrt_status st = nrt_fence_wait(*f, FENCE_WAIT_NS);

	nrt_fence_free(*f);
	*f = NULL;
	if (st != NRT_SUCCESS)
		nrt_tool_die("rank %u: %s %s count %" PRIu64 ": %s", k->me, nrt_cc_op_name(c->op),
			     nrt_dtype_name(c->dtype), c->count, nrt_tool_reason(st));
}

/*
 * Time --iters calls after --warmup_iters, queued back to back with at
 * most IN_FLIGHT of them not yet waited for. Return: this rank's ns per call.
 */
static int64_t timed(struct rank *k, const struct nrt_cc_case *c, const struct place *p)
{
	nrt_fence *f[IN_FLIGHT] = { NULL };
	unsigned int total = k->o->warmup + k->o->iters, i, j;
	float sync = 0;
	int64_t t0 = 0;
	nrt_status st;

	for (i = 0; i < total; i++) {
		if (i == k->o->warmup) {
			/* Warm-up done everywhere, then the ranks start together */
			for (j = 0; j < IN_FLIGHT; j++)
				if (f[j])
					settle(k, c, &f[j]);
			agree(k, &sync, 1);
			t0 = now_ns();
		}
		if (f[i % IN_FLIGHT])
			settle(k, c, &f[i % IN_FLIGHT]);
		st = run_one(k, c, p, &f[i % IN_FLIGHT]);
		if (st != NRT_SUCCESS)
			nrt_tool_die("rank %u: %s %s count %" PRIu64 ": %s", k->me,
				     nrt_cc_op_name(c->op), nrt_dtype_name(c->dtype), c->count,
				     nrt_tool_reason(st));
	}
	for (j = 0; j < IN_FLIGHT; j++)
		if (f[(i + j) % IN_FLIGHT])
			settle(k, c, &f[(i + j) % IN_FLIGHT]);
	return (now_ns() - t0) / k->o->iters;
}

/* ------------------------------------------------------------------------
 * Output
 */

static void header(const struct rank *k)
{
	const struct options *o = k->o;

	if (o->json)
		return;
	printf("# nrt-ccl-test %d.%d.%d: %u ranks, minBytes %" PRIu64 " maxBytes %" PRIu64
	       " step: %" PRIu64 "(%s) warmup iters: %u iters: %u validation: %d\n",
	       NRT_VERSION_MAJOR, NRT_VERSION_MINOR, NRT_VERSION_PATCH, k->n, o->min_bytes,
	       o->max_bytes, o->step_bytes ? o->step_bytes : o->factor,
	       o->step_bytes ? "bytes" : "factor", o->warmup, o->iters, o->check);
	printf("# all_reduce of %" PRIu64 " bytes: %s; data: %s\n", o->max_bytes,
	       nrt_comm_describe(k->comm, o->max_bytes),
	       o->exact ? "exact in any order" : "random, folded in rank order");
	printf("#\n#%72s%34s\n", "out-of-place", "in-place");
	printf("#%11s %13s %9s %7s %5s %9s %7s %7s %7s %9s %7s %7s %7s\n", "size", "count",
	       "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw",
	       "busbw", "#wrong");
	printf("#%11s %13s %9s %7s %5s %9s %7s %7s %7s %9s %7s %7s %7s\n", "(B)", "(elements)",
	       "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");
	fflush(stdout);
}

static void row_mode(struct rank *k, struct json_object *row, const char *key,
		     const struct result *r, uint64_t bytes, double factor)
{
	double algbw = nrt_cc_algbw(bytes, r->time_us);

	if (r->time_us >= 0 && !k->o->json)
		printf(" %9.2f %7.3f %7.3f %7" PRIu64, r->time_us, algbw, algbw * factor, r->wrong);
	else if (!k->o->json)
		printf(" %9s %7s %7s %7s", "-", "-", "-", "-");
	if (r->time_us >= 0) {
		k->busbw_sum += algbw * factor;
		k->busbw_count++;
		k->wrong_total += r->wrong;
	}
	if (row && r->time_us >= 0) {
		struct json_object *m = nrt_json_child(row, key, false, &k->json_ok);

		nrt_json_num(m, "time_us", r->time_us, 6, &k->json_ok);
		nrt_json_num(m, "algbw_gbps", algbw, 6, &k->json_ok);
		nrt_json_num(m, "busbw_gbps", algbw * factor, 6, &k->json_ok);
		if (k->o->check)
			nrt_json_u64(m, "wrong", r->wrong, &k->json_ok);
		else
			nrt_json_null(m, "wrong", &k->json_ok);
	}
}

static void row(struct rank *k, const struct nrt_cc_case *c, uint64_t bytes,
		const struct result *oop, const struct result *ip)
{
	double factor = nrt_cc_busbw_factor(c->op, k->n);
	bool red = nrt_cc_op_reduces(c->op);
	bool rooted = c->op == NRT_CC_BROADCAST || c->op == NRT_CC_REDUCE;
	struct json_object *r = NULL;

	if (k->me)
		return;
	if (k->json) {
		struct json_object *rows = json_object_object_get(k->json, "results");

		r = nrt_json_child(rows, NULL, false, &k->json_ok);
		nrt_json_str(r, "op", nrt_cc_op_name(c->op), &k->json_ok);
		nrt_json_u64(r, "size", bytes, &k->json_ok);
		nrt_json_u64(r, "count", c->count, &k->json_ok);
		nrt_json_str(r, "type", nrt_dtype_name(c->dtype), &k->json_ok);
		if (red)
			nrt_json_str(r, "redop", nrt_cc_redop_name(c->redop), &k->json_ok);
		else
			nrt_json_null(r, "redop", &k->json_ok);
		nrt_json_i64(r, "root", rooted ? (int64_t)c->root : -1, &k->json_ok);
	} else {
		printf(" %11" PRIu64 " %13" PRIu64 " %9s %7s %5d", bytes, c->count,
		       nrt_dtype_name(c->dtype), red ? nrt_cc_redop_name(c->redop) : "none",
		       rooted ? (int)c->root : -1);
	}
	row_mode(k, r, "out_of_place", oop, bytes, factor);
	row_mode(k, r, "in_place", ip, bytes, factor);
	if (!k->o->json)
		printf("\n");
	fflush(stdout);
}

/* ------------------------------------------------------------------------
 * The sweep
 */

/* The count of a collective of @bytes (the larger buffer), or 0 to skip. */
static uint64_t count_of(const struct rank *k, enum nrt_cc_op op, nrt_dtype dt, uint64_t bytes)
{
	uint64_t elems = bytes / nrt_dtype_size(dt);

	if (op == NRT_CC_REDUCE_SCATTER || op == NRT_CC_ALL_GATHER || op == NRT_CC_ALL_TO_ALL)
		return elems / k->n;
	return elems;
}

/* One size of one collective: both modes, agreed on by the ranks. */
static void one_size(struct rank *k, struct nrt_cc_case *c, uint64_t bytes)
{
	struct result res[2] = { { -1, 0 }, { -1, 0 } };
	float v[4] = { 0, 0, 0, 0 };   /* time of each mode, then its errors */
	bool ran[2] = { false, false };
	unsigned int m;

	for (m = 0; m < 2; m++) {
		struct place p;

		if (!(m ? k->o->ip : k->o->oop) || (m && c->op == NRT_CC_ALL_TO_ALL) ||
		    (m && c->op == NRT_CC_SENDRECV))
			continue;
		place_of(k, c, m, &p);
		fill(k, c, &p);
		v[m] = (float)(timed(k, c, &p) / 1e3);
		if (k->o->check) {
			uint64_t bad = check(k, c, &p);

			v[2 + m] = bad > (1u << 24) ? (float)(1u << 24) : (float)bad;
		}
		ran[m] = true;
	}
	agree(k, v, 4);
	for (m = 0; m < 2; m++) {
		res[m].time_us = ran[m] ? v[m] / k->n : -1;
		res[m].wrong = (uint64_t)v[2 + m];
	}
	row(k, c, bytes, &res[0], &res[1]);
}

static void sweep(struct rank *k, enum nrt_cc_op op, nrt_dtype dt, nrt_redop redop)
{
	const struct options *o = k->o;
	struct nrt_cc_case c = {
		.op = op, .dtype = dt, .redop = redop, .nranks = k->n, .rank = k->me,
		.root = o->root, .send_to = k->send_to, .recv_from = k->recv_from,
		.exact = o->exact, .seed = o->seed,
	};
	uint64_t bytes;

	for (bytes = o->min_bytes; bytes <= o->max_bytes;
	     bytes = o->step_bytes ? bytes + o->step_bytes : bytes * o->factor) {
		c.count = count_of(k, op, dt, bytes);
		if (c.count)
			one_size(k, &c, bytes);
		if (!bytes)
			break;
	}
}

/* Buffers for the largest size of any collective of the run. */
static void alloc_buffers(struct rank *k)
{
	const struct options *o = k->o;
	nrt_status st;

	k->send_size = k->recv_size = o->max_bytes ? o->max_bytes : 8;
	st = nrt_buffer_alloc(k->dev, k->send_size, NRT_PLACEMENT_HBM, &k->send);
	if (st == NRT_SUCCESS)
		st = nrt_buffer_alloc(k->dev, k->recv_size, NRT_PLACEMENT_HBM, &k->recv);
	if (st == NRT_SUCCESS)
		st = nrt_buffer_alloc(k->dev, 64, NRT_PLACEMENT_HOST, &k->agg);
	if (st != NRT_SUCCESS)
		nrt_tool_die("rank %u: buffers of %" PRIu64 " bytes: %s", k->me, o->max_bytes,
			     nrt_tool_reason(st));
	k->host = nrt_tool_xmalloc(k->recv_size);
}

/* Rank @k: every collective of the options. Return: the exit status. */
static int run_rank(struct rank *k)
{
	const struct options *o = k->o;
	unsigned int op, dt, r;
	int ret = 0;

	k->n = nrt_comm_size(k->comm);
	k->me = nrt_comm_rank(k->comm);
	k->send_to = nrt_comm_ring_peer(k->comm, 1);
	k->recv_from = nrt_comm_ring_peer(k->comm, -1);
	if (o->root >= k->n)
		nrt_tool_die("--root %u: there are %u ranks", o->root, k->n);
	alloc_buffers(k);
	if (!k->me) {
		header(k);
		if (o->json) {
			k->json_ok = true;
			k->json = json_object_new_object();
			nrt_json_str(k->json, "tool", "nrt-ccl-test", &k->json_ok);
			nrt_json_u64(k->json, "ranks", k->n, &k->json_ok);
			nrt_json_str(k->json, "all_reduce_algorithm",
				     nrt_comm_describe(k->comm, o->max_bytes), &k->json_ok);
			nrt_json_u64(k->json, "iters", o->iters, &k->json_ok);
			nrt_json_u64(k->json, "warmup_iters", o->warmup, &k->json_ok);
			nrt_json_bool(k->json, "check", o->check, &k->json_ok);
			nrt_json_child(k->json, "results", true, &k->json_ok);
		}
	}
	for (op = 0; op < NRT_CC_OP_COUNT; op++) {
		if (!o->ops[op])
			continue;
		if (op == NRT_CC_SENDRECV && (k->send_to < 0 || k->recv_from < 0)) {
			if (!k->me)
				nrt_tool_error("sendrecv: the ranks' ring is not cabled all round: skipped");
			continue;
		}
		for (dt = NRT_DTYPE_FP32; dt <= NRT_DTYPE_INT32; dt++) {
			if (!o->dtypes[dt])
				continue;
			for (r = 0; r < 5; r++) {
				if (!o->redops[r] || (r && !nrt_cc_op_reduces((enum nrt_cc_op)op)))
					continue;
				sweep(k, (enum nrt_cc_op)op, (nrt_dtype)dt, (nrt_redop)r);
			}
		}
	}
	if (!k->me) {
		double avg = k->busbw_count ? k->busbw_sum / k->busbw_count : 0;

		if (o->json) {
			nrt_json_num(k->json, "avg_busbw_gbps", avg, 6, &k->json_ok);
			nrt_json_u64(k->json, "wrong", k->wrong_total, &k->json_ok);
			if (!k->json_ok || nrt_json_print(stdout, k->json, JSON_C_TO_STRING_PRETTY))
				nrt_tool_die("JSON output: out of memory or write error");
			json_object_put(k->json);
		} else {
			nrt_comm_stats cs = { .struct_size = sizeof(cs) };

			printf("# Out of bounds values : %" PRIu64 " %s\n", k->wrong_total,
			       k->wrong_total ? "FAILED" : "OK");
			printf("# Avg bus bandwidth    : %g\n", avg);
			if (nrt_comm_get_stats(k->comm, &cs) == NRT_SUCCESS && cs.collectives)
				printf("# Rank 0: %" PRIu64 " calls, %.1f jobs and %.1f us on the host per call (%.1f us waiting for other ranks), reductions %.1f us on the NeuronCores per call\n",
				       cs.collectives, (double)cs.jobs / cs.collectives,
				       cs.submit_ns / 1e3 / cs.collectives,
				       cs.peer_wait_ns / 1e3 / cs.collectives,
				       cs.reduce_ns / 1e3 / cs.collectives);
			printf("#\n");
		}
		ret = nrt_tool_flush();
	}
	if (k->wrong_total)
		ret = 1;
	nrt_buffer_free(k->send);
	nrt_buffer_free(k->recv);
	nrt_buffer_free(k->agg);
	free(k->host);
	return ret;
}

/* ------------------------------------------------------------------------
 * Processes
 */

/* A forked rank: device @dev, rank @me of @n. Does not return. */
static void forked_rank(const struct options *o, const nrt_comm_id *id, unsigned int me,
			unsigned int dev)
{
	struct rank k = { .o = o };
	nrt_status st;
	int ret;

	st = nrt_device_open(dev, &k.dev);
	if (st != NRT_SUCCESS)
		nrt_tool_die("rank %u: device %u: %s", me, dev, nrt_tool_reason(st));
	st = nrt_comm_init_rank(k.dev, id, o->nranks, me, &o->config, &k.comm);
	if (st != NRT_SUCCESS)
		nrt_tool_die("rank %u: %s", me, nrt_tool_reason(st));
	ret = run_rank(&k);
	nrt_comm_destroy(k.comm);
	nrt_device_close(k.dev);
	exit(ret);
}

static int fork_ranks(struct options *o)
{
	pid_t *pids;
	nrt_comm_id id;
	unsigned int count = 0, r;
	int ret = 0;
	nrt_status st;

	if (!o->nranks) {
		st = nrt_device_count(&count);
		if (st != NRT_SUCCESS || !count)
			nrt_tool_die("no devices: %s", st ? nrt_tool_reason(st) : "none found");
		o->nranks = count < MAX_FORKED ? count : MAX_FORKED;
	}
	st = nrt_comm_get_unique_id(&id);
	if (st != NRT_SUCCESS)
		nrt_tool_die("%s", nrt_tool_reason(st));
	pids = nrt_tool_xmalloc(o->nranks * sizeof(*pids));
	fflush(stdout);
	for (r = 0; r < o->nranks; r++) {
		pids[r] = fork();
		if (pids[r] < 0)
			nrt_tool_die("fork: %s", strerror(errno));
		if (!pids[r])
			forked_rank(o, &id, r, o->devices ? o->devices[r] : r);
	}
	for (r = 0; r < o->nranks; r++) {
		int status;

		while (waitpid(pids[r], &status, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(status)) {
			nrt_tool_error("rank %u: killed by signal %d", r, WTERMSIG(status));
			ret = 1;
		} else if (WEXITSTATUS(status)) {
			ret = ret ? ret : WEXITSTATUS(status);
		}
	}
	free(pids);
	return ret;
}

/* A rank started by a launcher (NRT_COMM_ID, NRT_COMM_RANK, NRT_COMM_SIZE). */
static int launched_rank(struct options *o)
{
	const char *env = secure_getenv("NRT_COMM_DEVICE");
	const char *rank_env = secure_getenv("NRT_COMM_RANK");
	struct rank k = { .o = o };
	unsigned int dev = 0, count = 0;
	nrt_status st;
	int ret;

	if (o->device >= 0)
		dev = (unsigned int)o->device;
	else if (env && nrt_tool_parse_uint(env, 0, 1 << 20, &dev))
		;
	else if (nrt_device_count(&count) == NRT_SUCCESS && count && rank_env)
		dev = (unsigned int)strtoul(rank_env, NULL, 10) % count;
	st = nrt_device_open(dev, &k.dev);
	if (st != NRT_SUCCESS)
		nrt_tool_die("device %u: %s", dev, nrt_tool_reason(st));
	st = nrt_comm_init_env(k.dev, &o->config, &k.comm);
	if (st != NRT_SUCCESS)
		nrt_tool_die("%s", nrt_tool_reason(st));
	ret = run_rank(&k);
	nrt_comm_destroy(k.comm);
	nrt_device_close(k.dev);
	return ret;
}

int main(int argc, char **argv)
{
	struct options o;

	nrt_tool_init("nrt-ccl-test");
	parse_options(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	if (secure_getenv("NRT_COMM_ID"))
		return launched_rank(&o);
	return fork_ranks(&o);
}
