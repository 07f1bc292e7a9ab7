/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-diag: checks of a node's trn devices, in levels, and one verdict.
 *
 *   nrt_diag.c       the report: results, verdict, text, one line, JSON
 *   nrt_diag_sys.c   level 1: what sysfs, the topology and an open say
 *                    (nrt_diag_sys.h)
 *   nrt_diag_run.c   levels 2 and 3: work on the devices, checked against
 *                    the CPU, with bandwidth floors (nrt_diag_run.h)
 *
 * Each check adds results to a report: one per device it looked at (or
 * one for the node), each passed, failed, skipped (it could not be made:
 * the driver has no such attribute, no permission) or a warning. The
 * verdict: healthy (exit status 0) when no result failed, unhealthy (1)
 * when one did, and "could not run" (2) when the checks themselves could
 * not be made (no trn device, no permission for the work of level 2).
 */
#ifndef NRT_DIAG_H
#define NRT_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json.h>

#include "nrt_ls_topo.h"
#include "nrt_rack.h"

/* Version of the JSON document (Documentation/nrt-diag.schema.json). */
#define NRT_DIAG_JSON_SCHEMA_VERSION 1

enum nrt_diag_status {
	NRT_DIAG_PASS,
	NRT_DIAG_WARN,
	NRT_DIAG_SKIP,
	NRT_DIAG_FAIL,
};

/* Exit statuses (the verdict). */
enum {
	NRT_DIAG_HEALTHY = 0,
	NRT_DIAG_UNHEALTHY = 1,
	NRT_DIAG_NOT_RUN = 2,
};

struct nrt_diag_result {
	char check[24];                 /* "ecc", "dma", ... */
	unsigned int level;
	int device;                     /* device index; -1: the node, or a
					 * device libnrt does not list */
	char pci_bdf[32];               /* "" for the node */
	enum nrt_diag_status status;
	char message[320];
	char remedy[256];               /* "" when there is nothing to do */
	bool has_value;                 /* a measurement: */
	double value;
	char unit[16];
};

struct nrt_diag_report {
	unsigned int level;
	struct nrt_diag_result *v;
	size_t n, cap;
	bool not_run;                   /* the checks could not be made */
	char not_run_why[256];
	double seconds;                 /* how long the checks took */
};

/* What the checks are given (nrt-diag's options). */
struct nrt_diag_opts {
	unsigned int level;             /* 1..3 */
	bool have_expect;               /* --expect: the wiring's shape */
	struct nrt_topo_shape expect;
	const struct nrt_rack *rack;    /* --expect FILE, a rack file: this
					 * host's cables; have_expect too */
	long expect_devices;            /* --expect-devices, -1: not given */
	double min_dma_mbps;            /* --min-dma-bw, 0: no absolute floor */
	double min_relative;            /* --min-relative: floor against the
					 * median of the devices, 0: none */
	unsigned int duration_s;        /* level 3: --duration */
	bool allow_power_cap;           /* --allow-power-cap: throttling by the
					 * power cap alone warns, not fails */
	const char *sysfs;              /* the sysfs root */
};

/* nrt_diag_add() - add a result (the report's memory: exits if out of it) */
struct nrt_diag_result *nrt_diag_add(struct nrt_diag_report *r, const char *check,
				     unsigned int level, int device,
				     const char *pci_bdf, enum nrt_diag_status status,
				     const char *remedy, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/* nrt_diag_not_run() - the checks could not be made: say why */
void nrt_diag_not_run(struct nrt_diag_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* nrt_diag_verdict() - the exit status of a report */
int nrt_diag_verdict(const struct nrt_diag_report *r);

/* The name of a verdict ("healthy") and of a status ("pass"). */
const char *nrt_diag_verdict_name(int verdict);
const char *nrt_diag_status_name(enum nrt_diag_status s);

/* Count the results of @status. */
size_t nrt_diag_count(const struct nrt_diag_report *r, enum nrt_diag_status status);

/*
 * nrt_diag_print_text() - the report for people: one line per result
 * (@verbose) or per result that did not pass, each failure's remedy, and
 * the verdict. Return: 0, or -1 if writing failed.
 */
int nrt_diag_print_text(FILE *out, const struct nrt_diag_report *r, bool verbose);

/*
 * nrt_diag_print_brief() - one line: "healthy", or the verdict and the
 * failed checks ("unhealthy: ecc: device 1 (0000:02:00.0): ...; ..."),
 * for a node problem detector's message or a Slurm drain reason.
 * Return: 0, or -1 if writing failed.
 */
int nrt_diag_print_brief(FILE *out, const struct nrt_diag_report *r);

/* nrt_diag_json() - the JSON document; NULL if out of memory */
struct json_object *nrt_diag_json(const struct nrt_diag_report *r);

void nrt_diag_report_free(struct nrt_diag_report *r);

/*
 * nrt_diag_throttle_remedy() - what to do about a device throttled for
 * @reasons (a throttle_reasons line); every level's throttle check
 */
const char *nrt_diag_throttle_remedy(const char *reasons);

#endif /* NRT_DIAG_H */
