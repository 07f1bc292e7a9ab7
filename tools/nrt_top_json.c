// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-top --json documents.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "nrt_facts.h"
#include "nrt_json.h"
#include "nrt_top_json.h"

/* A counter, or null when the driver does not provide it. */
static void nrt_top_json_u64(struct json_object *o, const char *key, uint64_t v,
			     bool *ok)
{
	nrt_json_add_opt(o, key, v == NRT_TOP_NA || !*ok ? NULL : json_object_new_uint64(v),
			 v != NRT_TOP_NA, ok);
}

/* A rate or ratio with 9 significant digits, or null for @v < 0 (unknown). */
static void nrt_top_json_num(struct json_object *o, const char *key, double v,
			     bool *ok)
{
	nrt_json_num(o, key, v, 9, ok);
}

/* A string; an empty one is null when @nullable. */
static void nrt_top_json_str(struct json_object *o, const char *key,
			     const char *v, bool nullable, bool *ok)
{
	if (nullable && !*v)
		nrt_json_null(o, key, ok);
	else
		nrt_json_str(o, key, v, ok);
}

/* Milli-units (millidegrees, milliwatts...) to units; NA to unknown. */
static double nrt_top_json_scaled(uint64_t v, double scale)
{
	return v == NRT_TOP_NA ? -1 : (double)v / scale;
}

/* Why the NeuronCores are slowed (hardware interface 1.8); null without. */
static void nrt_top_json_throttle(struct json_object *dj, const struct nrt_top_dev *d,
				  bool *ok)
{
	struct json_object *t, *reasons;
	unsigned int i;

	if (!d->have_throttle) {
		nrt_json_null(dj, "throttle", ok);
		return;
	}
	t = nrt_json_child(dj, "throttle", false, ok);
	reasons = nrt_json_child(t, "reasons", true, ok);
	for (i = 0; i < NRT_THROTTLE_NREASONS; i++)
		if (d->throttle & (1u << i))
			nrt_json_add(reasons, NULL, *ok ?
				     json_object_new_string(nrt_throttle_names[i]) : NULL, ok);
	nrt_top_json_u64(t, "throttled_ns", d->ctr[NRT_TOP_DEV_THROTTLED_NS], ok);
	nrt_top_json_num(t, "ratio", d->throttle_util, ok);
}

static void nrt_top_json_cores(struct json_object *dj, const struct nrt_top_dev *d,
			       bool *ok)
{
	struct json_object *cores = nrt_json_child(dj, "cores", true, ok);
	unsigned int c, i;

	for (c = 0; *ok && c < d->num_cores; c++) {
		struct json_object *cj = nrt_json_child(cores, NULL, false, ok);

		if (!cj)
			return;
		nrt_json_i64(cj, "core", c, ok);
		nrt_top_json_num(cj, "utilization", d->cores[c].util, ok);
		for (i = 0; i < NRT_TOP_CORE_NCTRS; i++)
			nrt_top_json_u64(cj, nrt_top_core_ctr_names[i],
					 d->cores[c].ctr[i], ok);
	}
}

static void nrt_top_json_links(struct json_object *dj, const struct nrt_top_dev *d,
			       bool *ok)
{
	struct json_object *links = nrt_json_child(dj, "links", true, ok);
	unsigned int p;

	for (p = 0; *ok && p < d->num_links; p++) {
		const struct nrt_top_link *l = &d->links[p];
		struct json_object *lj = nrt_json_child(links, NULL, false, ok);

		if (!lj)
			return;
		nrt_json_i64(lj, "port", l->port, ok);
		nrt_top_json_str(lj, "state", l->state, true, ok);
		nrt_top_json_u64(lj, "peer_chip",
				 l->peer_chip < 0 ? NRT_TOP_NA : (uint64_t)l->peer_chip, ok);
		nrt_top_json_u64(lj, "peer_port",
				 l->peer_port < 0 ? NRT_TOP_NA : (uint64_t)l->peer_port, ok);
		nrt_top_json_str(lj, "peer_device", l->peer_device, true, ok);
		nrt_top_json_u64(lj, "peer_host",
				 l->peer_host < 0 ? NRT_TOP_NA : (uint64_t)l->peer_host, ok);
		nrt_top_json_u64(lj, "speed_gbps", l->speed_gbps, ok);
		nrt_top_json_u64(lj, "width", l->width, ok);
		nrt_top_json_u64(lj, "tx_bytes", l->tx_bytes, ok);
		nrt_top_json_u64(lj, "rx_bytes", l->rx_bytes, ok);
		nrt_top_json_num(lj, "tx_bytes_per_s", l->tx_bps, ok);
		nrt_top_json_num(lj, "rx_bytes_per_s", l->rx_bps, ok);
		nrt_top_json_u64(lj, "err_crc", l->err_crc, ok);
		nrt_top_json_u64(lj, "err_replay", l->err_replay, ok);
	}
}

static void nrt_top_json_dev(struct json_object *devs, const struct nrt_top_dev *d,
			     bool *ok)
{
	struct json_object *dj = nrt_json_child(devs, NULL, false, ok);
	struct json_object *m, *dma, *jobs, *err;

	if (!dj)
		return;
	nrt_json_i64(dj, "index", d->index, ok);
	nrt_top_json_str(dj, "accel", d->accel, false, ok);
	nrt_top_json_str(dj, "pci_bdf", d->pci_bdf, false, ok);
	nrt_top_json_u64(dj, "chip_id", d->chip_id, ok);
	nrt_top_json_u64(dj, "host_id", d->host_id, ok);
	nrt_json_i64(dj, "neuron_cores", d->num_cores, ok);
	nrt_top_json_cores(dj, d, ok);

	m = nrt_json_child(dj, "memory", false, ok);
	if (m) {
		nrt_top_json_u64(m, "hbm_total", d->hbm_size, ok);
		nrt_top_json_u64(m, "hbm_used", d->hbm_used, ok);
		nrt_top_json_u64(m, "hbm_peak", d->ctr[NRT_TOP_DEV_HBM_PEAK], ok);
		nrt_top_json_u64(m, "host_used", d->host_used, ok);
		nrt_top_json_u64(m, "buffer_objects", d->buffer_objects, ok);
	}
	dma = nrt_json_child(dj, "dma", false, ok);
	if (dma) {
		nrt_top_json_u64(dma, "bytes", d->ctr[NRT_TOP_DEV_DMA_BYTES], ok);
		nrt_top_json_u64(dma, "busy_ns", d->ctr[NRT_TOP_DEV_DMA_BUSY_NS], ok);
		nrt_top_json_num(dma, "bytes_per_s", d->dma_bps, ok);
		nrt_top_json_num(dma, "utilization", d->dma_util, ok);
	}
	jobs = nrt_json_child(dj, "jobs", false, ok);
	if (jobs) {
		nrt_top_json_u64(jobs, "completed", d->ctr[NRT_TOP_DEV_JOBS_COMPLETED], ok);
		nrt_top_json_u64(jobs, "failed", d->ctr[NRT_TOP_DEV_JOBS_FAILED], ok);
		nrt_top_json_u64(jobs, "timed_out", d->ctr[NRT_TOP_DEV_JOBS_TIMED_OUT], ok);
	}
	err = nrt_json_child(dj, "errors", false, ok);
	if (err) {
		nrt_top_json_u64(err, "ecc_corrected", d->ctr[NRT_TOP_DEV_ECC_CORRECTED], ok);
		nrt_top_json_u64(err, "ecc_uncorrected",
				 d->ctr[NRT_TOP_DEV_ECC_UNCORRECTED], ok);
		nrt_top_json_u64(err, "jobs_failed", d->ctr[NRT_TOP_DEV_JOBS_FAILED], ok);
		nrt_top_json_u64(err, "jobs_timed_out", d->ctr[NRT_TOP_DEV_JOBS_TIMED_OUT], ok);
	}
	/* Temperatures may be below zero: unknown is have_temp, not < 0. */
	if (d->have_temp) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%.6g", (double)d->temp_mc / 1000);
		nrt_json_add(dj, "temperature_c", !*ok ? NULL :
			     json_object_new_double_s((double)d->temp_mc / 1000, buf), ok);
	} else {
		nrt_json_null(dj, "temperature_c", ok);
	}
	nrt_top_json_num(dj, "temperature_max_c", nrt_top_json_scaled(d->temp_max_mc, 1e3), ok);
	nrt_top_json_num(dj, "temperature_crit_c", nrt_top_json_scaled(d->temp_crit_mc, 1e3), ok);
	nrt_top_json_num(dj, "power_w", nrt_top_json_scaled(d->power_uw, 1e6), ok);
	nrt_top_json_num(dj, "power_max_w", nrt_top_json_scaled(d->power_max_uw, 1e6), ok);
	nrt_top_json_num(dj, "power_cap_w", nrt_top_json_scaled(d->power_cap_uw, 1e6), ok);
	nrt_top_json_throttle(dj, d, ok);
	nrt_top_json_links(dj, d, ok);
}

static void nrt_top_json_proc(struct json_object *procs, const struct nrt_top_snap *s,
			      const struct nrt_top_proc *p, bool *ok)
{
	struct json_object *pj = nrt_json_child(procs, NULL, false, ok);
	const struct nrt_proc_fdinfo *f = &p->c.fd;

	if (!pj)
		return;
	nrt_json_i64(pj, "pid", p->c.pid, ok);
	nrt_top_json_str(pj, "user", p->c.user, false, ok);
	nrt_top_json_str(pj, "command", p->c.cmdline, false, ok);
	nrt_top_json_u64(pj, "device", p->dev < 0 ? NRT_TOP_NA : s->devs[p->dev].index, ok);
	nrt_top_json_str(pj, "pci_bdf", f->pdev, false, ok);
	nrt_top_json_u64(pj, "client_id", f->client_id, ok);
	nrt_top_json_u64(pj, "hbm_bytes", f->hbm_resident, ok);
	nrt_top_json_u64(pj, "host_bytes", f->host_resident, ok);
	nrt_top_json_u64(pj, "dma_busy_ns", f->dma_ns, ok);
	nrt_top_json_u64(pj, "core_busy_ns", f->core_ns, ok);
	nrt_top_json_num(pj, "dma_util", p->dma_util, ok);
	nrt_top_json_num(pj, "core_util", p->core_util, ok);
}

struct json_object *nrt_top_json(const struct nrt_top_snap *s)
{
	struct json_object *root = json_object_new_object(), *devs, *procs;
	time_t secs = (time_t)(s->real_ms / 1000);
	char ts[64], base[32];
	bool ok = root != NULL;
	struct tm tm;
	size_t i;

	if (!root)
		return NULL;
	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts, sizeof(ts), "%s.%03dZ", base, (int)(s->real_ms % 1000));
	nrt_json_i64(root, "schema_version", NRT_TOP_JSON_SCHEMA_VERSION, &ok);
	nrt_top_json_str(root, "timestamp", ts, false, &ok);
	nrt_top_json_num(root, "interval_s", s->have_rates ? s->interval_s : -1, &ok);
	devs = nrt_json_child(root, "devices", true, &ok);
	for (i = 0; ok && i < s->num_devs; i++)
		nrt_top_json_dev(devs, &s->devs[i], &ok);
	procs = nrt_json_child(root, "processes", true, &ok);
	for (i = 0; ok && i < s->num_procs; i++)
		nrt_top_json_proc(procs, s, &s->procs[i], &ok);
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

int nrt_top_json_print(FILE *out, const struct nrt_top_snap *s)
{
	struct json_object *doc = nrt_top_json(s);
	int ret;

	if (!doc)
		return -1;
	ret = nrt_json_print(out, doc, JSON_C_TO_STRING_PLAIN |
			     JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(doc);
	return ret;
}
