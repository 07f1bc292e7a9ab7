// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Output formatting of nrt-ls.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "nrt_json.h"
#include "nrt_ls_fmt.h"
#include "nrt_proc.h"
#include "nrt_tool.h"

char *nrt_ls_format_link(unsigned int speed_dgts, unsigned int width,
			 char *buf, size_t size)
{
	if (!speed_dgts || !width)
		snprintf(buf, size, "-");
	else if (speed_dgts % 10)
		snprintf(buf, size, "%u.%u GT/s x%u", speed_dgts / 10,
			 speed_dgts % 10, width);
	else
		snprintf(buf, size, "%u GT/s x%u", speed_dgts / 10, width);
	return buf;
}

/* --- table ------------------------------------------------------------ */

enum {
	NRT_LS_COL_DEVICE,
	NRT_LS_COL_BDF,
	NRT_LS_COL_CORES,
	NRT_LS_COL_HBM,
	NRT_LS_COL_NUMA,
	NRT_LS_COL_LINK,
	NRT_LS_COL_DRIVER,
	NRT_LS_COL_CONNECTED,
	NRT_LS_COL_SERIAL,             /* --wide only from here on */
	NRT_LS_COL_UUID,
	NRT_LS_COL_FIRMWARE,
	NRT_LS_COL_LINK_MAX,
	NRT_LS_COL_AER,
	NRT_LS_COL_CPUS,
	NRT_LS_COL_MODE,
	NRT_LS_COL_ECC,
	NRT_LS_COL_PROCESSES,          /* the last column */
	NRT_LS_NCOLS
};

#define NRT_LS_CELL_LEN 256

static const char *const nrt_ls_headers[NRT_LS_NCOLS] = {
	[NRT_LS_COL_DEVICE] = "DEVICE",
	[NRT_LS_COL_BDF] = "PCI BDF",
	[NRT_LS_COL_CORES] = "NEURON CORES",
	[NRT_LS_COL_HBM] = "HBM",
	[NRT_LS_COL_NUMA] = "NUMA NODE",
	[NRT_LS_COL_LINK] = "PCIE LINK",
	[NRT_LS_COL_DRIVER] = "DRIVER",
	[NRT_LS_COL_CONNECTED] = "CONNECTED DEVICES",
	[NRT_LS_COL_SERIAL] = "SERIAL",
	[NRT_LS_COL_UUID] = "UUID",
	[NRT_LS_COL_FIRMWARE] = "FIRMWARE",
	[NRT_LS_COL_LINK_MAX] = "PCIE MAX",
	[NRT_LS_COL_AER] = "AER F/NF/C",
	[NRT_LS_COL_CPUS] = "CPU AFFINITY",
	[NRT_LS_COL_MODE] = "MODE",
	[NRT_LS_COL_ECC] = "ECC UE NOW/LIFE",
	[NRT_LS_COL_PROCESSES] = "PROCESSES",
};

/* "-" for an unknown string. */
static const char *nrt_ls_or_dash(const char *s)
{
	return s[0] ? s : "-";
}

/* "1/0/12" (fatal, non-fatal, correctable), "-" without AER counts. */
static void nrt_ls_aer_cell(const struct nrt_facts *f, char *buf, size_t size)
{
	const uint64_t v[3] = { f->aer_fatal, f->aer_nonfatal, f->aer_correctable };
	size_t len = 0;
	int i;

	if (v[0] == NRT_FACT_NA && v[1] == NRT_FACT_NA && v[2] == NRT_FACT_NA) {
		snprintf(buf, size, "-");
		return;
	}
	for (i = 0; i < 3 && len < size; i++) {
		if (v[i] == NRT_FACT_NA)
			len += (size_t)snprintf(buf + len, size - len, "%s-", i ? "/" : "");
		else
			len += (size_t)snprintf(buf + len, size - len, "%s%llu", i ? "/" : "",
						(unsigned long long)v[i]);
	}
}

/*
 * The device's mode, the cores in exclusive_process mode ("shared, cores
 * 0,3 exclusive_process") and "wedged" when the driver says so.
 */
static void nrt_ls_mode_cell(const struct nrt_facts *f, char *buf, size_t size)
{
	size_t len;
	int c, n = 0;

	len = (size_t)snprintf(buf, size, "%s", nrt_ls_or_dash(f->compute_mode));
	for (c = 0; c < 64 && len < size; c++) {
		if (!(f->exclusive_cores & (UINT64_C(1) << c)))
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%d",
					n++ ? "," : ", cores ", c);
	}
	if (n && len < size)
		len += (size_t)snprintf(buf + len, size - len, " exclusive_process");
	if (f->wedged == 1 && len < size)
		snprintf(buf + len, size - len, " wedged");
}

/*
 * Uncorrectable errors, volatile and aggregate, and the pages they cost:
 * "1/3 2 retired 1 pending"; "1" before interface 1.6, "-" without counters.
 */
static void nrt_ls_ecc_cell(const struct nrt_facts *f, char *buf, size_t size)
{
	int n;

	if (f->ecc_uncorrected == NRT_FACT_NA) {
		snprintf(buf, size, "-");
		return;
	}
	n = snprintf(buf, size, "%" PRIu64, f->ecc_uncorrected);
	if (f->ecc_uncorrected_aggregate != NRT_FACT_NA && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "/%" PRIu64,
			      f->ecc_uncorrected_aggregate);
	if (f->retired_pages != NRT_FACT_NA && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, " %" PRIu64 " retired",
			      f->retired_pages);
	if (f->retired_pending != NRT_FACT_NA && f->retired_pending && n >= 0 &&
	    (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " %" PRIu64 " pending",
			 f->retired_pending);
}

static void nrt_ls_cells(const struct nrt_ls_row *r,
			 char cells[NRT_LS_NCOLS][NRT_LS_CELL_LEN])
{
	snprintf(cells[NRT_LS_COL_DEVICE], NRT_LS_CELL_LEN, "%u", r->index);
	snprintf(cells[NRT_LS_COL_BDF], NRT_LS_CELL_LEN, "%s", r->pci_bdf);
	snprintf(cells[NRT_LS_COL_CORES], NRT_LS_CELL_LEN, "%u",
		 (unsigned int)r->neuron_cores);
	nrt_tool_format_size(r->hbm_bytes, cells[NRT_LS_COL_HBM], NRT_LS_CELL_LEN);
	if (r->numa_node < 0)
		snprintf(cells[NRT_LS_COL_NUMA], NRT_LS_CELL_LEN, "-");
	else
		snprintf(cells[NRT_LS_COL_NUMA], NRT_LS_CELL_LEN, "%d",
			 r->numa_node);
	nrt_ls_format_link(r->link_speed_dgts, r->link_width,
			   cells[NRT_LS_COL_LINK], NRT_LS_CELL_LEN);
	if (nrt_facts_link_degraded(&r->facts))
		strcat(cells[NRT_LS_COL_LINK], " degraded");
	snprintf(cells[NRT_LS_COL_DRIVER], NRT_LS_CELL_LEN, "%u.%u.%u",
		 (unsigned int)r->driver_version_major,
		 (unsigned int)r->driver_version_minor,
		 (unsigned int)r->driver_version_patch);
	snprintf(cells[NRT_LS_COL_CONNECTED], NRT_LS_CELL_LEN, "%s",
		 r->connected[0] ? r->connected : "-");
	snprintf(cells[NRT_LS_COL_SERIAL], NRT_LS_CELL_LEN, "%s",
		 nrt_ls_or_dash(r->facts.serial_number));
	snprintf(cells[NRT_LS_COL_UUID], NRT_LS_CELL_LEN, "%s",
		 nrt_ls_or_dash(r->facts.uuid));
	snprintf(cells[NRT_LS_COL_FIRMWARE], NRT_LS_CELL_LEN, "%s",
		 nrt_ls_or_dash(r->facts.firmware_version));
	nrt_ls_format_link(r->facts.link_max_speed_dgts, r->facts.link_max_width,
			   cells[NRT_LS_COL_LINK_MAX], NRT_LS_CELL_LEN);
	nrt_ls_aer_cell(&r->facts, cells[NRT_LS_COL_AER], NRT_LS_CELL_LEN);
	snprintf(cells[NRT_LS_COL_CPUS], NRT_LS_CELL_LEN, "%s",
		 nrt_ls_or_dash(r->facts.local_cpulist));
	nrt_ls_mode_cell(&r->facts, cells[NRT_LS_COL_MODE], NRT_LS_CELL_LEN);
	nrt_ls_ecc_cell(&r->facts, cells[NRT_LS_COL_ECC], NRT_LS_CELL_LEN);
	snprintf(cells[NRT_LS_COL_PROCESSES], NRT_LS_CELL_LEN, "%s",
		 r->processes[0] ? r->processes : "-");
}

static bool nrt_ls_border(FILE *out, const size_t *width, size_t ncols)
{
	bool ok = fputc('+', out) != EOF;
	size_t c, i;

	for (c = 0; c < ncols; c++) {
		for (i = 0; i < width[c] + 2; i++)
			ok &= fputc('-', out) != EOF;
		ok &= fputc('+', out) != EOF;
	}
	ok &= fputc('\n', out) != EOF;
	return ok;
}

static bool nrt_ls_line(FILE *out, const size_t *width,
			const char *const *text, size_t ncols)
{
	bool ok = fputc('|', out) != EOF;
	size_t c;

	for (c = 0; c < ncols; c++)
		ok &= fprintf(out, " %-*s |", (int)width[c], text[c]) >= 0;
	ok &= fputc('\n', out) != EOF;
	return ok;
}

int nrt_ls_print_table(FILE *out, const struct nrt_ls_row *rows, size_t n,
		       bool wide)
{
	char cells[NRT_LS_NCOLS][NRT_LS_CELL_LEN];
	const char *text[NRT_LS_NCOLS];
	size_t width[NRT_LS_NCOLS];
	size_t ncols = wide ? NRT_LS_NCOLS : NRT_LS_COL_SERIAL;
	size_t r, c;
	bool ok;

	for (c = 0; c < NRT_LS_NCOLS; c++) {
		width[c] = strlen(nrt_ls_headers[c]);
		text[c] = cells[c];
	}
	for (r = 0; r < n; r++) {
		nrt_ls_cells(&rows[r], cells);
		for (c = 0; c < NRT_LS_NCOLS; c++) {
			size_t len = strlen(cells[c]);

			if (len > width[c])
				width[c] = len;
		}
	}

	ok = nrt_ls_border(out, width, ncols);
	ok &= nrt_ls_line(out, width, nrt_ls_headers, ncols);
	ok &= nrt_ls_border(out, width, ncols);
	for (r = 0; r < n; r++) {
		nrt_ls_cells(&rows[r], cells);
		ok &= nrt_ls_line(out, width, text, ncols);
	}
	ok &= nrt_ls_border(out, width, ncols);
	return ok ? 0 : -1;
}

/* --- JSON ------------------------------------------------------------- */

/* Whole speeds print as integers (32), the others as decimals (2.5). */
static struct json_object *nrt_ls_json_speed(unsigned int dgts)
{
	if (dgts % 10)
		return json_object_new_double(dgts / 10.0);
	return json_object_new_int((int32_t)(dgts / 10));
}

static struct json_object *nrt_ls_json_link(const struct nrt_ls_row *r)
{
	struct json_object *link = json_object_new_object();
	bool ok = link != NULL;

	nrt_json_add(link, "speed_gts", ok ? nrt_ls_json_speed(r->link_speed_dgts) : NULL, &ok);
	nrt_json_i64(link, "width", r->link_width, &ok);
	if (r->facts.link_max_speed_dgts && r->facts.link_max_width) {
		nrt_json_add(link, "max_speed_gts",
			     ok ? nrt_ls_json_speed(r->facts.link_max_speed_dgts) : NULL, &ok);
		nrt_json_i64(link, "max_width", r->facts.link_max_width, &ok);
	} else {
		nrt_json_null(link, "max_speed_gts", &ok);
		nrt_json_null(link, "max_width", &ok);
	}
	nrt_json_bool(link, "degraded", nrt_facts_link_degraded(&r->facts), &ok);
	if (!ok) {
		json_object_put(link);
		return NULL;
	}
	return link;
}

/* A string member, null when unknown (""). */
static void nrt_ls_json_opt_str(struct json_object *o, const char *key, const char *v,
				bool *ok)
{
	if (v[0])
		nrt_json_str(o, key, v, ok);
	else
		nrt_json_null(o, key, ok);
}

static void nrt_ls_json_opt_u64(struct json_object *o, const char *key, uint64_t v,
				bool *ok)
{
	if (v != NRT_FACT_NA)
		nrt_json_u64(o, key, v, ok);
	else
		nrt_json_null(o, key, ok);
}

/* Version 2: the inventory and state members; version 3 exclusive_cores. */
static void nrt_ls_json_inventory(struct json_object *dev, const struct nrt_facts *f,
				  bool *ok)
{
	struct json_object *aer;

	nrt_ls_json_opt_str(dev, "serial_number", f->serial_number, ok);
	nrt_ls_json_opt_str(dev, "uuid", f->uuid, ok);
	nrt_ls_json_opt_str(dev, "firmware_version", f->firmware_version, ok);
	nrt_ls_json_opt_str(dev, "cpu_affinity", f->local_cpulist, ok);
	if (f->aer_fatal == NRT_FACT_NA && f->aer_nonfatal == NRT_FACT_NA &&
	    f->aer_correctable == NRT_FACT_NA) {
		nrt_json_null(dev, "aer", ok);
	} else {
		aer = nrt_json_child(dev, "aer", false, ok);
		nrt_ls_json_opt_u64(aer, "fatal", f->aer_fatal, ok);
		nrt_ls_json_opt_u64(aer, "nonfatal", f->aer_nonfatal, ok);
		nrt_ls_json_opt_u64(aer, "correctable", f->aer_correctable, ok);
	}
	nrt_ls_json_opt_str(dev, "compute_mode", f->compute_mode, ok);
	if (f->core_modes_known) {
		struct json_object *cores = nrt_json_child(dev, "exclusive_cores", true, ok);
		int c;

		for (c = 0; c < 64; c++)
			if (f->exclusive_cores & (UINT64_C(1) << c))
				nrt_json_add(cores, NULL, *ok ? json_object_new_int(c) : NULL, ok);
	} else {
		nrt_json_null(dev, "exclusive_cores", ok);
	}
	nrt_ls_json_opt_u64(dev, "reset_count", f->reset_count, ok);
	if (f->wedged < 0)
		nrt_json_null(dev, "wedged", ok);
	else
		nrt_json_bool(dev, "wedged", f->wedged == 1, ok);
	nrt_ls_json_opt_str(dev, "throttle_reasons", f->throttle_reasons, ok);
}

/* Version 3: device memory errors, null without the driver's counters. */
static void nrt_ls_json_ecc(struct json_object *dev, const struct nrt_facts *f,
			    bool *ok)
{
	struct json_object *ecc;

	if (f->ecc_uncorrected == NRT_FACT_NA) {
		nrt_json_null(dev, "ecc", ok);
		return;
	}
	ecc = nrt_json_child(dev, "ecc", false, ok);
	nrt_ls_json_opt_u64(ecc, "corrected", f->ecc_corrected, ok);
	nrt_ls_json_opt_u64(ecc, "uncorrected", f->ecc_uncorrected, ok);
	nrt_ls_json_opt_u64(ecc, "corrected_aggregate", f->ecc_corrected_aggregate, ok);
	nrt_ls_json_opt_u64(ecc, "uncorrected_aggregate", f->ecc_uncorrected_aggregate, ok);
	nrt_ls_json_opt_u64(ecc, "retired_pages", f->retired_pages, ok);
	nrt_ls_json_opt_u64(ecc, "retired_pages_pending", f->retired_pending, ok);
}

/* Watts from hwmon's microwatts, null when unknown. */
static void nrt_ls_json_watts(struct json_object *o, const char *key, int64_t uw, bool *ok)
{
	if (uw >= 0)
		nrt_json_num(o, key, uw / 1e6, 6, ok);
	else
		nrt_json_null(o, key, ok);
}

/*
 * Version 4: the power cap and throttling (hardware interface 1.8), null
 * without the driver's power cap.
 */
static void nrt_ls_json_power(struct json_object *dev, const struct nrt_facts *f,
			      bool *ok)
{
	struct json_object *p;

	if (f->power_cap < 0) {
		nrt_json_null(dev, "power", ok);
		return;
	}
	p = nrt_json_child(dev, "power", false, ok);
	nrt_ls_json_watts(p, "power_w", f->power, ok);
	nrt_ls_json_watts(p, "cap_w", f->power_cap, ok);
	nrt_ls_json_watts(p, "cap_min_w", f->power_cap_min, ok);
	nrt_ls_json_watts(p, "cap_max_w", f->power_cap_max, ok);
	nrt_ls_json_opt_u64(p, "throttled_ns", f->throttled_ns, ok);
}

static struct json_object *nrt_ls_json_device(const struct nrt_ls_row *r)
{
	struct json_object *dev = json_object_new_object();
	bool ok = dev != NULL, link = r->link_speed_dgts && r->link_width;
	char buf[64];

	nrt_json_i64(dev, "index", r->index, &ok);
	nrt_json_i64(dev, "minor", r->minor, &ok);
	nrt_json_str(dev, "device_node", r->device_node, &ok);
	nrt_json_str(dev, "pci_bdf", r->pci_bdf, &ok);
	nrt_json_i64(dev, "chip_id", r->chip_id, &ok);
	nrt_json_i64(dev, "neuron_cores", r->neuron_cores, &ok);
	nrt_json_u64(dev, "hbm_bytes", r->hbm_bytes, &ok);
	if (r->numa_node < 0)
		nrt_json_null(dev, "numa_node", &ok);
	else
		nrt_json_i64(dev, "numa_node", r->numa_node, &ok);
	nrt_json_add_opt(dev, "pcie_link", link && ok ? nrt_ls_json_link(r) : NULL,
			 link, &ok);
	snprintf(buf, sizeof(buf), "%u.%u", (unsigned int)r->hw_version_major,
		 (unsigned int)r->hw_version_minor);
	nrt_json_str(dev, "hw_version", buf, &ok);
	snprintf(buf, sizeof(buf), "%u.%u.%u", (unsigned int)r->driver_version_major,
		 (unsigned int)r->driver_version_minor,
		 (unsigned int)r->driver_version_patch);
	nrt_json_str(dev, "driver_version", buf, &ok);
	nrt_ls_json_inventory(dev, &r->facts, &ok);
	nrt_ls_json_ecc(dev, &r->facts, &ok);
	nrt_ls_json_power(dev, &r->facts, &ok);
	if (!ok) {
		json_object_put(dev);
		return NULL;
	}
	return dev;
}

struct json_object *nrt_ls_json_process(const struct nrt_proc_client *c)
{
	struct json_object *p = json_object_new_object();
	bool ok = p != NULL;

	nrt_json_i64(p, "pid", c->pid, &ok);
	nrt_json_str(p, "user", c->user, &ok);
	nrt_json_str(p, "command", c->cmdline, &ok);
	nrt_json_u64(p, "client_id", c->fd.client_id, &ok);
	nrt_json_add_opt(p, "hbm_bytes", c->fd.hbm_resident == NRT_PROC_NA || !ok ?
			 NULL : json_object_new_uint64(c->fd.hbm_resident),
			 c->fd.hbm_resident != NRT_PROC_NA, &ok);
	nrt_json_add_opt(p, "host_bytes", c->fd.host_resident == NRT_PROC_NA || !ok ?
			 NULL : json_object_new_uint64(c->fd.host_resident),
			 c->fd.host_resident != NRT_PROC_NA, &ok);
	if (!ok) {
		json_object_put(p);
		return NULL;
	}
	return p;
}

/* Take member @key of row @i's device from @extra, if there is one. */
static void nrt_ls_json_extra(struct json_object *dev, const char *key,
			      struct json_object **extra, size_t i, bool *ok)
{
	if (extra && extra[i]) {
		nrt_json_add(dev, key, extra[i], ok);
		extra[i] = NULL;
	}
}

/* Free what of @x was not taken over. */
static void nrt_ls_json_extra_free(struct nrt_ls_json_extra *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (x->dev_links) {
			json_object_put(x->dev_links[i]);
			x->dev_links[i] = NULL;
		}
		if (x->dev_procs) {
			json_object_put(x->dev_procs[i]);
			x->dev_procs[i] = NULL;
		}
	}
	json_object_put(x->topology);
	x->topology = NULL;
}

int nrt_ls_print_json(FILE *out, const struct nrt_ls_row *rows, size_t n,
		      struct nrt_ls_json_extra *extra)
{
	struct nrt_ls_json_extra none = { NULL, NULL, NULL };
	struct nrt_ls_json_extra *x = extra ? extra : &none;
	struct json_object *root = json_object_new_object(), *devices;
	bool ok = root != NULL;
	size_t i;
	int ret = -1;

	nrt_json_i64(root, "schema_version", NRT_LS_JSON_SCHEMA_VERSION, &ok);
	devices = nrt_json_child(root, "devices", true, &ok);
	for (i = 0; ok && i < n; i++) {
		struct json_object *dev = nrt_ls_json_device(&rows[i]);

		ok = dev != NULL;
		nrt_ls_json_extra(dev, "links", x->dev_links, i, &ok);
		nrt_ls_json_extra(dev, "processes", x->dev_procs, i, &ok);
		nrt_json_add(devices, NULL, dev, &ok);
	}
	if (x->topology) {
		nrt_json_add(root, "topology", x->topology, &ok);
		x->topology = NULL;
	}
	nrt_ls_json_extra_free(x, n);
	if (ok)
		ret = nrt_json_print(out, root, JSON_C_TO_STRING_PRETTY |
				     JSON_C_TO_STRING_SPACED |
				     JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(root);
	return ret;
}
