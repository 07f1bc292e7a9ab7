// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-diag's report: see nrt_diag.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt.h"
#include "nrt_diag.h"
#include "nrt_facts.h"
#include "nrt_json.h"
#include "nrt_tool.h"

struct nrt_diag_result *nrt_diag_add(struct nrt_diag_report *r, const char *check,
				     unsigned int level, int device,
				     const char *pci_bdf, enum nrt_diag_status status,
				     const char *remedy, const char *fmt, ...)
{
	struct nrt_diag_result *res;
	va_list ap;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		struct nrt_diag_result *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			nrt_tool_die("out of memory");
		r->v = v;
		r->cap = cap;
	}
	res = &r->v[r->n++];
	memset(res, 0, sizeof(*res));
	snprintf(res->check, sizeof(res->check), "%s", check);
	res->level = level;
	res->device = device;
	snprintf(res->pci_bdf, sizeof(res->pci_bdf), "%s", pci_bdf ? pci_bdf : "");
	res->status = status;
	snprintf(res->remedy, sizeof(res->remedy), "%s", remedy ? remedy : "");
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return res;
}

void nrt_diag_not_run(struct nrt_diag_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->not_run)
		return;
	r->not_run = true;
	va_start(ap, fmt);
	vsnprintf(r->not_run_why, sizeof(r->not_run_why), fmt, ap);
	va_end(ap);
}

size_t nrt_diag_count(const struct nrt_diag_report *r, enum nrt_diag_status status)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->v[i].status == status;
	return n;
}

int nrt_diag_verdict(const struct nrt_diag_report *r)
{
	/* A failure found is a verdict even if other checks could not run. */
	if (nrt_diag_count(r, NRT_DIAG_FAIL))
		return NRT_DIAG_UNHEALTHY;
	return r->not_run ? NRT_DIAG_NOT_RUN : NRT_DIAG_HEALTHY;
}

const char *nrt_diag_verdict_name(int verdict)
{
	switch (verdict) {
	case NRT_DIAG_HEALTHY:
		return "healthy";
	case NRT_DIAG_UNHEALTHY:
		return "unhealthy";
	default:
		return "not_run";
	}
}

const char *nrt_diag_status_name(enum nrt_diag_status s)
{
	static const char *const names[] = {
		[NRT_DIAG_PASS] = "pass", [NRT_DIAG_WARN] = "warn",
		[NRT_DIAG_SKIP] = "skip", [NRT_DIAG_FAIL] = "fail",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* "device 1 (0000:02:00.0)", "0000:02:00.0" or "node". */
static void nrt_diag_subject(const struct nrt_diag_result *res, char *buf, size_t size)
{
	if (res->device >= 0)
		snprintf(buf, size, "device %d (%s)", res->device, res->pci_bdf);
	else if (res->pci_bdf[0])
		snprintf(buf, size, "%s", res->pci_bdf);
	else
		snprintf(buf, size, "node");
}

int nrt_diag_print_text(FILE *out, const struct nrt_diag_report *r, bool verbose)
{
	int verdict = nrt_diag_verdict(r);
	char subject[64];
	bool ok = true;
	size_t i;

	ok &= fprintf(out, "nrt-diag level %u\n", r->level) >= 0;
	for (i = 0; i < r->n; i++) {
		const struct nrt_diag_result *res = &r->v[i];
		const char *st = res->status == NRT_DIAG_PASS ? "PASS" :
				 res->status == NRT_DIAG_WARN ? "WARN" :
				 res->status == NRT_DIAG_SKIP ? "SKIP" : "FAIL";

		if (!verbose && (res->status == NRT_DIAG_PASS || res->status == NRT_DIAG_SKIP))
			continue;
		nrt_diag_subject(res, subject, sizeof(subject));
		ok &= fprintf(out, "  %s  %-12s %s: %s\n", st, res->check, subject,
			      res->message) >= 0;
		if (res->remedy[0] && res->status != NRT_DIAG_PASS)
			ok &= fprintf(out, "        remedy: %s\n", res->remedy) >= 0;
	}
	if (r->not_run)
		ok &= fprintf(out, "could not run: %s\n", r->not_run_why) >= 0;
	ok &= fprintf(out, "verdict: %s (%zu passed, %zu failed, %zu warnings, %zu skipped, %.1f s)\n",
		      nrt_diag_verdict_name(verdict), nrt_diag_count(r, NRT_DIAG_PASS),
		      nrt_diag_count(r, NRT_DIAG_FAIL), nrt_diag_count(r, NRT_DIAG_WARN),
		      nrt_diag_count(r, NRT_DIAG_SKIP), r->seconds) >= 0;
	return ok ? 0 : -1;
}

int nrt_diag_print_brief(FILE *out, const struct nrt_diag_report *r)
{
	int verdict = nrt_diag_verdict(r);
	const char *sep = ": ";
	char subject[64];
	bool ok = true;
	size_t i;

	ok &= fputs(nrt_diag_verdict_name(verdict), out) != EOF;
	for (i = 0; i < r->n; i++) {
		const struct nrt_diag_result *res = &r->v[i];

		if (res->status != NRT_DIAG_FAIL)
			continue;
		nrt_diag_subject(res, subject, sizeof(subject));
		ok &= fprintf(out, "%s%s: %s: %s", sep, res->check, subject,
			      res->message) >= 0;
		sep = "; ";
	}
	if (verdict == NRT_DIAG_NOT_RUN)
		ok &= fprintf(out, ": %s", r->not_run_why) >= 0;
	ok &= fputc('\n', out) != EOF;
	return ok ? 0 : -1;
}

static struct json_object *nrt_diag_json_result(const struct nrt_diag_result *res)
{
	struct json_object *o = json_object_new_object();
	bool ok = o != NULL;

	nrt_json_str(o, "check", res->check, &ok);
	nrt_json_i64(o, "level", res->level, &ok);
	if (res->device >= 0)
		nrt_json_i64(o, "device", res->device, &ok);
	else
		nrt_json_null(o, "device", &ok);
	if (res->pci_bdf[0])
		nrt_json_str(o, "pci_bdf", res->pci_bdf, &ok);
	else
		nrt_json_null(o, "pci_bdf", &ok);
	nrt_json_str(o, "status", nrt_diag_status_name(res->status), &ok);
	nrt_json_str(o, "message", res->message, &ok);
	if (res->remedy[0])
		nrt_json_str(o, "remedy", res->remedy, &ok);
	else
		nrt_json_null(o, "remedy", &ok);
	if (res->has_value) {
		nrt_json_num(o, "value", res->value, 6, &ok);
		nrt_json_str(o, "unit", res->unit, &ok);
	}
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *nrt_diag_json(const struct nrt_diag_report *r)
{
	struct json_object *root = json_object_new_object(), *checks, *sum;
	int verdict = nrt_diag_verdict(r);
	bool ok = root != NULL;
	char ver[32];
	size_t i;

	snprintf(ver, sizeof(ver), "%d.%d.%d", NRT_VERSION_MAJOR, NRT_VERSION_MINOR,
		 NRT_VERSION_PATCH);
	nrt_json_i64(root, "schema_version", NRT_DIAG_JSON_SCHEMA_VERSION, &ok);
	nrt_json_str(root, "version", ver, &ok);
	nrt_json_i64(root, "level", r->level, &ok);
	nrt_json_str(root, "verdict", nrt_diag_verdict_name(verdict), &ok);
	nrt_json_i64(root, "exit_status", verdict, &ok);
	if (r->not_run)
		nrt_json_str(root, "not_run_reason", r->not_run_why, &ok);
	else
		nrt_json_null(root, "not_run_reason", &ok);
	nrt_json_num(root, "seconds", r->seconds, 4, &ok);
	sum = nrt_json_child(root, "summary", false, &ok);
	nrt_json_u64(sum, "pass", nrt_diag_count(r, NRT_DIAG_PASS), &ok);
	nrt_json_u64(sum, "fail", nrt_diag_count(r, NRT_DIAG_FAIL), &ok);
	nrt_json_u64(sum, "warn", nrt_diag_count(r, NRT_DIAG_WARN), &ok);
	nrt_json_u64(sum, "skip", nrt_diag_count(r, NRT_DIAG_SKIP), &ok);
	checks = nrt_json_child(root, "checks", true, &ok);
	for (i = 0; ok && i < r->n; i++)
		nrt_json_add(checks, NULL, nrt_diag_json_result(&r->v[i]), &ok);
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

void nrt_diag_report_free(struct nrt_diag_report *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The remedy of the reasons: the cap, the cooling, or both. */
const char *nrt_diag_throttle_remedy(const char *reasons)
{
	uint32_t m;

	nrt_facts_parse_throttle(reasons, &m);
	if (m == NRT_THROTTLE_POWER_CAP)
		return "raise the power cap (hwmon power1_cap) if the work needs full speed";
	if (m == NRT_THROTTLE_THERMAL)
		return "check the cooling (fans, airflow, inlet temperature)";
	return "check the cooling and the power cap (hwmon power1_cap)";
}
