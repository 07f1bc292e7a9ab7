// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-diag - check the trn devices of this node and give one verdict.
 *
 * Levels as dcgmi diag has them: 1 reads sysfs and opens the devices
 * (seconds), 2 adds DMA and a program on every core (about a minute), 3
 * adds a sustained load and DMA over every NeuronLink (minutes). The
 * checks are in nrt_diag_sys.c and nrt_diag_run.c, the report in
 * nrt_diag.c.
 *
 * Exit status: 0 healthy, 1 unhealthy (a check failed), 2 the checks could
 * not be made, or a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "nrt.h"
#include "nrt_diag.h"
#include "nrt_diag_run.h"
#include "nrt_diag_sys.h"
#include "nrt_facts.h"
#include "nrt_json.h"
#include "nrt_ls_topo.h"
#include "nrt_tool.h"

enum nrt_diag_format { FMT_TEXT, FMT_JSON, FMT_BRIEF };

static void nrt_diag_usage(FILE *out)
{
	fprintf(out,
		"Usage: nrt-diag [OPTION]...\n"
		"Check the trn devices of this node and print a verdict.\n"
		"\n"
		"  -r, --run LEVEL          1: sysfs, wiring, an open (seconds, the default)\n"
		"                           2: and DMA and a program on every core (a minute)\n"
		"                           3: and a sustained load and peer DMA (minutes)\n"
		"  -e, --expect SHAPE|FILE  the NeuronLink wiring to expect: torus:RxC,\n"
		"                           ring:N, a file holding one, or a rack file\n"
		"                           (nrt-rack(1): this host's cables); default:\n"
		"                           the torus or ring recognised\n"
		"  -n, --expect-devices N   fail unless N devices are bound to trn\n"
		"  -d, --duration SECONDS   the load of level 3 (default 120)\n"
		"      --min-dma-bw MB/S    fail a bandwidth below MB/S (default: none)\n"
		"      --min-relative F     fail a bandwidth below F times the median of the\n"
		"                           devices or links (default 0.25; 0: none)\n"
		"      --allow-power-cap    throttling by the power cap alone is a warning\n"
		"                           in levels 2 and 3, not a failure\n"
		"  -j, --json               print a JSON document\n"
		"  -b, --brief              print one line: the verdict and what failed\n"
		"  -q, --quiet              print only what did not pass, and the verdict\n"
		"  -h, --help               print this help and exit\n"
		"  -V, --version            print the version and exit\n"
		"\n"
		"Exit status: 0 healthy, 1 unhealthy, 2 the checks could not be made\n"
		"or a usage error.\n");
}

/* A number of @what in [@min, @max], or a usage error. */
static double nrt_diag_number(const char *s, const char *what, double min, double max)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= min && v <= max))
		nrt_tool_usage_error("invalid %s '%s'", what, s);
	return v;
}

/* The rack file of --expect FILE; freed at exit. */
static struct nrt_rack nrt_diag_rack;

/*
 * --expect: a shape, a file whose first line holds one, or a rack file
 * (Documentation/rack.rst).
 */
static void nrt_diag_expect(const char *arg, struct nrt_diag_opts *o)
{
	char line[64], err[NRT_RACK_ERR_LEN];
	FILE *f;

	o->rack = NULL;
	if (!nrt_topo_parse_shape(arg, &o->expect))
		return;
	f = fopen(arg, "r");
	if (!f)
		nrt_tool_usage_error("invalid shape '%s' (torus:RxC or ring:N, or a file holding one or a rack)",
				     arg);
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, " \t\r\n")] = '\0';
	if (!nrt_topo_parse_shape(line, &o->expect))
		return;
	nrt_rack_free(&nrt_diag_rack);
	if (nrt_rack_load(arg, &nrt_diag_rack, err, sizeof(err)))
		nrt_tool_usage_error("%s (neither a shape, torus:RxC or ring:N, nor a rack)",
				     err);
	o->rack = &nrt_diag_rack;
}

static void nrt_diag_parse(int argc, char **argv, struct nrt_diag_opts *o,
			   enum nrt_diag_format *fmt, bool *quiet)
{
	enum { OPT_MIN_BW = 256, OPT_MIN_REL, OPT_ALLOW_CAP };
	static const struct option options[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "expect", required_argument, NULL, 'e' },
		{ "expect-devices", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "min-dma-bw", required_argument, NULL, OPT_MIN_BW },
		{ "min-relative", required_argument, NULL, OPT_MIN_REL },
		{ "allow-power-cap", no_argument, NULL, OPT_ALLOW_CAP },
		{ "json", no_argument, NULL, 'j' },
		{ "brief", no_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->level = 1;
	o->expect_devices = -1;
	o->duration_s = 120;
	o->min_relative = 0.25;
	o->sysfs = nrt_facts_sysfs_root();
	*fmt = FMT_TEXT;
	*quiet = false;
	while ((opt = getopt_long(argc, argv, "r:e:n:d:jbqhV", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			o->level = (unsigned int)nrt_diag_number(optarg, "level", 1, 3);
			if (strcmp(optarg, "1") && strcmp(optarg, "2") && strcmp(optarg, "3"))
				nrt_tool_usage_error("invalid level '%s' (1, 2 or 3)", optarg);
			break;
		case 'e':
			nrt_diag_expect(optarg, o);
			o->have_expect = true;
			break;
		case 'n':
			o->expect_devices = (long)nrt_diag_number(optarg, "device count", 0, 4096);
			break;
		case 'd':
			o->duration_s = (unsigned int)nrt_diag_number(optarg, "duration", 1, 86400);
			break;
		case OPT_MIN_BW:
			o->min_dma_mbps = nrt_diag_number(optarg, "bandwidth", 0, 1e9);
			break;
		case OPT_MIN_REL:
			o->min_relative = nrt_diag_number(optarg, "fraction", 0, 1);
			break;
		case OPT_ALLOW_CAP:
			o->allow_power_cap = true;
			break;
		case 'j':
			*fmt = FMT_JSON;
			break;
		case 'b':
			*fmt = FMT_BRIEF;
			break;
		case 'q':
			*quiet = true;
			break;
		case 'h':
			nrt_diag_usage(stdout);
			exit(nrt_tool_flush() ? 2 : 0);
		case 'V':
			exit(nrt_tool_version() ? 2 : 0);
		default:
			nrt_tool_usage_error(NULL);
		}
	}
	if (optind < argc)
		nrt_tool_usage_error("unexpected argument '%s'", argv[optind]);
}

static double nrt_diag_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct nrt_diag_report r = { 0 };
	struct nrt_diag_opts o;
	enum nrt_diag_format fmt;
	struct json_object *doc;
	double t0 = nrt_diag_now();
	bool quiet;
	int ret = 0, verdict;

	nrt_tool_init("nrt-diag");
	nrt_diag_parse(argc, argv, &o, &fmt, &quiet);
	r.level = o.level;

	nrt_diag_level1(&r, &o);
	/*
	 * Work only on a node that level 1 found healthy: its verdict stands,
	 * and a device with errors is not loaded further.
	 */
	if (o.level >= 2 && (r.not_run || nrt_diag_count(&r, NRT_DIAG_FAIL))) {
		nrt_diag_add(&r, "levels", 1, -1, NULL, NRT_DIAG_SKIP, NULL,
			     "the work of level %u was not started: level 1 %s", o.level,
			     r.not_run ? "could not run" : "failed");
	} else {
		if (o.level >= 2)
			nrt_diag_level2(&r, &o);
		if (o.level >= 3 && !r.not_run)
			nrt_diag_level3(&r, &o);
	}
	r.seconds = nrt_diag_now() - t0;
	verdict = nrt_diag_verdict(&r);

	switch (fmt) {
	case FMT_JSON:
		doc = nrt_diag_json(&r);
		ret = doc ? nrt_json_print(stdout, doc, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_SPACED |
					   JSON_C_TO_STRING_NOSLASHESCAPE) : -1;
		json_object_put(doc);
		break;
	case FMT_BRIEF:
		ret = nrt_diag_print_brief(stdout, &r);
		break;
	default:
		ret = nrt_diag_print_text(stdout, &r, !quiet);
		break;
	}
	nrt_diag_report_free(&r);
	nrt_rack_free(&nrt_diag_rack);
	if (ret || nrt_tool_flush()) {
		nrt_tool_error("cannot write the output");
		return NRT_DIAG_NOT_RUN;
	}
	return verdict;
}
