// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Output formatting of nrt-ls.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "nrt_ls_fmt.h"

unsigned int nrt_ls_link_speed_dgts(unsigned int code)
{
	static const unsigned int speeds[] = { 25, 50, 80, 160, 320, 640 };

	if (code < 1 || code > sizeof(speeds) / sizeof(speeds[0]))
		return 0;
	return speeds[code - 1];
}

char *nrt_ls_format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	const unsigned int last = sizeof(units) / sizeof(units[0]) - 1;
	unsigned int u = 0;
	uint64_t unit, whole, rem, tenths;

	while (u < last && bytes >> (10 * (u + 1)))
		u++;
	if (u == 0) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
		return buf;
	}

	unit = UINT64_C(1) << (10 * u);
	whole = bytes >> (10 * u);
	rem = bytes & (unit - 1);
	/* rem < 2^60, so this cannot overflow even for EiB. */
	tenths = (rem * 10 + unit / 2) / unit;
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	if (whole == 1024 && u < last) {
		/* Rounded up to the next unit, e.g. 1023.96 MiB. */
		u++;
		whole = 1;
	}

	if (tenths)
		snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
			 (unsigned long long)tenths, units[u]);
	else
		snprintf(buf, size, "%llu %s", (unsigned long long)whole,
			 units[u]);
	return buf;
}

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
	NRT_LS_COL_PROCESSES,          /* --wide only: the last column */
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
	[NRT_LS_COL_PROCESSES] = "PROCESSES",
};

static void nrt_ls_cells(const struct nrt_ls_row *r,
			 char cells[NRT_LS_NCOLS][NRT_LS_CELL_LEN])
{
	snprintf(cells[NRT_LS_COL_DEVICE], NRT_LS_CELL_LEN, "%u", r->index);
	snprintf(cells[NRT_LS_COL_BDF], NRT_LS_CELL_LEN, "%s", r->pci_bdf);
	snprintf(cells[NRT_LS_COL_CORES], NRT_LS_CELL_LEN, "%u",
		 (unsigned int)r->neuron_cores);
	nrt_ls_format_size(r->hbm_bytes, cells[NRT_LS_COL_HBM], NRT_LS_CELL_LEN);
	if (r->numa_node < 0)
		snprintf(cells[NRT_LS_COL_NUMA], NRT_LS_CELL_LEN, "-");
	else
		snprintf(cells[NRT_LS_COL_NUMA], NRT_LS_CELL_LEN, "%d",
			 r->numa_node);
	nrt_ls_format_link(r->link_speed_dgts, r->link_width,
			   cells[NRT_LS_COL_LINK], NRT_LS_CELL_LEN);
	snprintf(cells[NRT_LS_COL_DRIVER], NRT_LS_CELL_LEN, "%u.%u.%u",
		 (unsigned int)r->driver_version_major,
		 (unsigned int)r->driver_version_minor,
		 (unsigned int)r->driver_version_patch);
	snprintf(cells[NRT_LS_COL_CONNECTED], NRT_LS_CELL_LEN, "%s",
		 r->connected[0] ? r->connected : "-");
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

int nrt_ls_print_table(FILE *out, const struct nrt_ls_row *rows, size_t n)
{
	return nrt_ls_print_table_ext(out, rows, n, false);
}

int nrt_ls_print_table_ext(FILE *out, const struct nrt_ls_row *rows, size_t n,
			   bool wide)
{
	char cells[NRT_LS_NCOLS][NRT_LS_CELL_LEN];
	const char *text[NRT_LS_NCOLS];
	size_t width[NRT_LS_NCOLS];
	size_t ncols = wide ? NRT_LS_NCOLS : NRT_LS_COL_PROCESSES;
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

/*
 * Add @val under @key to @obj, taking over the reference. A NULL @val is
 * an allocation failure unless @nullable, in which case it is JSON null.
 */
static bool nrt_ls_json_add(struct json_object *obj, const char *key,
			    struct json_object *val, bool nullable)
{
	if (!val && !nullable)
		return false;
	if (json_object_object_add(obj, key, val)) {
		json_object_put(val);
		return false;
	}
	return true;
}

static struct json_object *nrt_ls_json_string(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static struct json_object *nrt_ls_json_string(const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return NULL;
	return json_object_new_string(buf);
}

static struct json_object *nrt_ls_json_link(const struct nrt_ls_row *r)
{
	struct json_object *link, *speed;
	bool ok;

	link = json_object_new_object();
	if (!link)
		return NULL;
	/* Whole speeds print as integers (32), the others as decimals (2.5). */
	if (r->link_speed_dgts % 10)
		speed = json_object_new_double(r->link_speed_dgts / 10.0);
	else
		speed = json_object_new_int((int32_t)(r->link_speed_dgts / 10));
	ok = nrt_ls_json_add(link, "speed_gts", speed, false);
	ok = ok && nrt_ls_json_add(link, "width",
				   json_object_new_int((int32_t)r->link_width),
				   false);
	if (!ok) {
		json_object_put(link);
		return NULL;
	}
	return link;
}

static struct json_object *nrt_ls_json_device(const struct nrt_ls_row *r)
{
	struct json_object *dev, *val;
	bool ok;

	dev = json_object_new_object();
	if (!dev)
		return NULL;

	ok = nrt_ls_json_add(dev, "index", json_object_new_int64(r->index), false);
	ok = ok && nrt_ls_json_add(dev, "minor", json_object_new_int64(r->minor), false);
	ok = ok && nrt_ls_json_add(dev, "device_node",
				   json_object_new_string(r->device_node), false);
	ok = ok && nrt_ls_json_add(dev, "pci_bdf",
				   json_object_new_string(r->pci_bdf), false);
	ok = ok && nrt_ls_json_add(dev, "chip_id",
				   json_object_new_int64(r->chip_id), false);
	ok = ok && nrt_ls_json_add(dev, "neuron_cores",
				   json_object_new_int64(r->neuron_cores), false);
	ok = ok && nrt_ls_json_add(dev, "hbm_bytes",
				   json_object_new_uint64(r->hbm_bytes), false);
	if (ok) {
		val = r->numa_node < 0 ? NULL : json_object_new_int(r->numa_node);
		ok = nrt_ls_json_add(dev, "numa_node", val, r->numa_node < 0);
	}
	if (ok) {
		bool known = r->link_speed_dgts && r->link_width;

		val = known ? nrt_ls_json_link(r) : NULL;
		ok = nrt_ls_json_add(dev, "pcie_link", val, !known);
	}
	ok = ok && nrt_ls_json_add(dev, "hw_version",
				   nrt_ls_json_string("%u.%u",
						      (unsigned int)r->hw_version_major,
						      (unsigned int)r->hw_version_minor),
				   false);
	ok = ok && nrt_ls_json_add(dev, "driver_version",
				   nrt_ls_json_string("%u.%u.%u",
						      (unsigned int)r->driver_version_major,
						      (unsigned int)r->driver_version_minor,
						      (unsigned int)r->driver_version_patch),
				   false);
	if (!ok) {
		json_object_put(dev);
		return NULL;
	}
	return dev;
}

int nrt_ls_print_json(FILE *out, const struct nrt_ls_row *rows, size_t n)
{
	return nrt_ls_print_json_ext(out, rows, n, NULL, NULL);
}

int nrt_ls_print_json_ext(FILE *out, const struct nrt_ls_row *rows, size_t n,
			  struct json_object **dev_links,
			  struct json_object *topology)
{
	return nrt_ls_print_json_wide(out, rows, n, dev_links, NULL, topology);
}

/* Add member @key of each row's device from @extra (taken over). */
static bool nrt_ls_json_extra(struct json_object *dev, const char *key,
			      struct json_object **extra, size_t i)
{
	bool ok = true;

	if (dev && extra && extra[i]) {
		ok = nrt_ls_json_add(dev, key, extra[i], false);
		extra[i] = NULL;
	}
	return ok;
}

int nrt_ls_print_json_wide(FILE *out, const struct nrt_ls_row *rows, size_t n,
			   struct json_object **dev_links,
			   struct json_object **dev_procs,
			   struct json_object *topology)
{
	struct json_object *root, *devices;
	const char *text;
	size_t i;
	bool ok;
	int ret = -1;

	root = json_object_new_object();
	if (!root)
		return -1;
	ok = nrt_ls_json_add(root, "schema_version",
			     json_object_new_int(NRT_LS_JSON_SCHEMA_VERSION), false);
	devices = json_object_new_array();
	/* Unconditionally, so that @devices is owned by @root or freed. */
	ok = nrt_ls_json_add(root, "devices", devices, false) && ok;
	for (i = 0; ok && i < n; i++) {
		struct json_object *dev = nrt_ls_json_device(&rows[i]);

		ok = nrt_ls_json_extra(dev, "links", dev_links, i);
		ok = nrt_ls_json_extra(dev, "processes", dev_procs, i) && ok;
		ok = ok && dev && json_object_array_add(devices, dev) == 0;
		if (!ok)
			json_object_put(dev);
	}
	for (i = 0; i < n; i++) {
		if (dev_links) {
			json_object_put(dev_links[i]);
			dev_links[i] = NULL;
		}
		if (dev_procs) {
			json_object_put(dev_procs[i]);
			dev_procs[i] = NULL;
		}
	}
	if (topology) {
		ok = nrt_ls_json_add(root, "topology", topology, false) && ok;
		topology = NULL;
	}
	if (ok) {
		text = json_object_to_json_string_ext(root,
						      JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_SPACED |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
		if (text && fputs(text, out) != EOF && fputc('\n', out) != EOF)
			ret = 0;
	}
	json_object_put(root);
	return ret;
}
