// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of nrt-top: the collection from fake sysfs and /proc trees
 * (NRT_SYSFS_ROOT, NRT_PROC_ROOT), the rates between snapshots, the JSON
 * documents, the Prometheus exposition, the screen at odd sizes and the
 * keys.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json.h>

#include "fake_fs.h"
#include "nrt_top_json.h"
#include "nrt_top_prom.h"
#include "nrt_top_snap.h"
#include "nrt_top_view.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define SEC UINT64_C(1000000000)

/* --- fake trees ------------------------------------------------------------ */

struct tree {
	char root[64];
	char sys[PATH_MAX];
	char proc[PATH_MAX];
};

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	if (fake_fs_tmpdir(t->root, sizeof(t->root), "nrt-top"))
		return -1;
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->root);
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->root);
	if (mkdir(t->sys, 0755) || mkdir(t->proc, 0755) ||
	    setenv("NRT_SYSFS_ROOT", t->sys, 1) || setenv("NRT_PROC_ROOT", t->proc, 1) ||
	    setenv("TZ", "UTC", 1))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	int ret;

	unsetenv("NRT_SYSFS_ROOT");
	unsetenv("NRT_PROC_ROOT");
	ret = fake_fs_remove(t->root);
	free(t);
	return ret;
}

/* Write @value and a newline to @rel in the directory of device @bdf. */
static void attr(struct tree *t, const char *bdf, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void attr(struct tree *t, const char *bdf, const char *rel, const char *fmt, ...)
{
	char path[PATH_MAX], dir[PATH_MAX], val[256];
	va_list ap;
	char *slash;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	strcat(val, "\n");
	xsnprintf(path, sizeof(path), "%s/devices/pci0000:00/%s/%s", t->sys, bdf, rel);
	xsnprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	mkdir_p(dir);
	write_file(path, val, 0444);
}

/*
 * /sys/class/accel/accel<minor> for PCI function @bdf bound to @driver,
 * with the attributes of a driver from before the observability counters.
 */
static void add_accel(struct tree *t, unsigned int minor, const char *bdf,
		      const char *driver, unsigned int cores, unsigned int links)
{
	char path[PATH_MAX], target[PATH_MAX];
	unsigned int p;

	xsnprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", t->sys, driver);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/devices/pci0000:00/%s", t->sys, bdf);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/devices/pci0000:00/%s/driver", t->sys, bdf);
	xsnprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
	make_link(target, path);
	xsnprintf(path, sizeof(path), "%s/class/accel/accel%u", t->sys, minor);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/class/accel/accel%u/device", t->sys, minor);
	xsnprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	make_link(target, path);

	attr(t, bdf, "chip_id", "%u", minor + 10);
	attr(t, bdf, "neuron_cores", "%u", cores);
	attr(t, bdf, "hbm_size", "%llu", (unsigned long long)GIB);
	attr(t, bdf, "hbm_used", "%llu", (unsigned long long)(256 * MIB));
	attr(t, bdf, "host_used", "%llu", (unsigned long long)(8 * MIB));
	attr(t, bdf, "buffer_objects", "12");
	attr(t, bdf, "num_links", "%u", links);
	for (p = 0; p < links; p++) {
		char dir[32];

		xsnprintf(dir, sizeof(dir), "links/port%u", p);
		attr(t, bdf, strcat(strcpy(path, dir), "/state"), p ? "down" : "up");
		attr(t, bdf, strcat(strcpy(path, dir), "/peer_chip"), p ? "%s" : "3", "");
		attr(t, bdf, strcat(strcpy(path, dir), "/peer_port"), p ? "%s" : "1", "");
		attr(t, bdf, strcat(strcpy(path, dir), "/peer_device"), p ? "%s" : "accel3", "");
		attr(t, bdf, strcat(strcpy(path, dir), "/speed"), "%u", p ? 0 : 100);
		attr(t, bdf, strcat(strcpy(path, dir), "/width"), "4");
		attr(t, bdf, strcat(strcpy(path, dir), "/err_crc"), "%u", p);
		attr(t, bdf, strcat(strcpy(path, dir), "/err_replay"), "0");
		attr(t, bdf, strcat(strcpy(path, dir), "/tx_bytes"), "1000");
		attr(t, bdf, strcat(strcpy(path, dir), "/rx_bytes"), "2000");
	}
}

/* The counters of this driver: stats/, cores/ and hwmon. */
static void add_counters(struct tree *t, const char *bdf, unsigned int cores)
{
	static const char *const stats[] = {
		"jobs_completed", "jobs_failed", "jobs_timed_out", "dma_bytes",
		"dma_busy_ns", "hbm_peak", "ecc_corrected", "ecc_uncorrected",
	};
	char path[64];
	unsigned int c, i;

	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		xsnprintf(path, sizeof(path), "stats/%s", stats[i]);
		attr(t, bdf, path, "%u", (i + 1) * 100);
	}
	for (c = 0; c < cores; c++) {
		for (i = 0; i < NRT_TOP_CORE_NCTRS; i++) {
			xsnprintf(path, sizeof(path), "cores/core%u/%s", c,
				  nrt_top_core_ctr_names[i]);
			attr(t, bdf, path, "%u", 1000 * (c + 1) + i);
		}
	}
	attr(t, bdf, "hwmon/hwmon0/name", "other");
	attr(t, bdf, "hwmon/hwmon3/name", "trn");
	attr(t, bdf, "hwmon/hwmon3/temp1_input", "51500");
	attr(t, bdf, "hwmon/hwmon3/temp1_max", "95000");
	attr(t, bdf, "hwmon/hwmon3/temp1_crit", "105000");
	attr(t, bdf, "hwmon/hwmon3/temp1_label", "chip");
	attr(t, bdf, "hwmon/hwmon3/power1_input", "23400000");
	attr(t, bdf, "hwmon/hwmon3/power1_rated_max", "75000000");
}

static void add_proc(struct tree *t, int pid, const char *comm, const char *pdev,
		     int client, unsigned long long hbm_kib, unsigned long long core_ns)
{
	char path[PATH_MAX], text[512];

	xsnprintf(path, sizeof(path), "%s/%d/fdinfo", t->proc, pid);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/%d/comm", t->proc, pid);
	write_file(path, comm, 0444);
	xsnprintf(path, sizeof(path), "%s/%d/fdinfo/3", t->proc, pid);
	xsnprintf(text, sizeof(text),
		  "drm-driver:\ttrn\ndrm-pdev:\t%s\ndrm-client-id:\t%d\n"
		  "drm-total-hbm:\t%llu KiB\ndrm-resident-hbm:\t%llu KiB\n"
		  "drm-total-memory:\t1024 KiB\ndrm-resident-memory:\t1024 KiB\n"
		  "drm-engine-dma:\t0 ns\ndrm-engine-capacity-dma:\t4\n"
		  "drm-engine-core:\t%llu ns\ndrm-engine-capacity-core:\t2\n",
		  pdev, client, hbm_kib, hbm_kib, core_ns);
	write_file(path, text, 0444);
}

/* Two devices (listed in the class out of PCI order) and an unrelated one. */
static void standard_tree(struct tree *t)
{
	add_accel(t, 0, "0000:02:00.0", "trn", 2, 2);
	add_accel(t, 1, "0000:01:00.0", "trn", 2, 0);
	add_accel(t, 2, "0000:03:00.0", "habanalabs", 1, 0);
	add_counters(t, "0000:01:00.0", 2);
	add_counters(t, "0000:02:00.0", 2);
	add_proc(t, 300, "train\n", "0000:01:00.0", 7, 65536, 1000);
	add_proc(t, 200, "infer\n", "0000:02:00.0", 8, 1024, 0);
	add_proc(t, 400, "ghost\n", "0000:09:00.0", 9, 4, 0);
}

static void collect(struct nrt_top_snap *s)
{
	assert_int_equal(nrt_top_collect(s), 0);
}

/* Collect, pretending that @dt_ns passed since @prev, and take the rates. */
static void collect_after(struct nrt_top_snap *s, const struct nrt_top_snap *prev,
			  uint64_t dt_ns)
{
	collect(s);
	s->mono_ns = prev->mono_ns + dt_ns;
	nrt_top_delta(s, prev);
}

/* --- collection -------------------------------------------------------------- */

static void collect_nothing(void **state)
{
	struct nrt_top_snap s;

	(void)state;
	collect(&s);
	assert_int_equal(s.num_devs, 0);
	assert_int_equal(s.num_procs, 0);
	assert_string_equal(s.error, "");
	assert_false(s.have_rates);
	nrt_top_snap_free(&s);
}

static void collect_devices(void **state)
{
	struct tree *t = *state;
	const struct nrt_top_dev *d;
	struct nrt_top_snap s;

	standard_tree(t);
	collect(&s);
	assert_int_equal(s.num_devs, 2);
	/* Indexed by PCI address, as libnrt does; the other driver's is left out. */
	d = &s.devs[0];
	assert_string_equal(d->pci_bdf, "0000:01:00.0");
	assert_string_equal(d->accel, "accel1");
	assert_int_equal(d->index, 0);
	assert_int_equal(d->minor, 1);
	assert_int_equal(d->chip_id, 11);
	assert_int_equal(d->num_cores, 2);
	assert_int_equal(d->hbm_size, GIB);
	assert_int_equal(d->hbm_used, 256 * MIB);
	assert_int_equal(d->host_used, 8 * MIB);
	assert_int_equal(d->buffer_objects, 12);
	assert_int_equal(d->ctr[NRT_TOP_DEV_JOBS_COMPLETED], 100);
	assert_int_equal(d->ctr[NRT_TOP_DEV_HBM_PEAK], 600);
	assert_int_equal(d->ctr[NRT_TOP_DEV_ECC_UNCORRECTED], 800);
	assert_int_equal(d->cores[1].ctr[NRT_TOP_CORE_BUSY_NS], 2000);
	assert_int_equal(d->cores[1].ctr[NRT_TOP_CORE_JOBS_TIMED_OUT], 2011);
	assert_true(d->cores[0].util < 0);
	assert_true(d->have_temp);
	assert_int_equal(d->temp_mc, 51500);
	assert_int_equal(d->temp_max_mc, 95000);
	assert_int_equal(d->temp_crit_mc, 105000);
	assert_int_equal(d->power_uw, 23400000);
	assert_int_equal(d->power_max_uw, 75000000);
	assert_int_equal(d->num_links, 0);

	d = &s.devs[1];
	assert_string_equal(d->pci_bdf, "0000:02:00.0");
	assert_int_equal(d->num_links, 2);
	assert_string_equal(d->links[0].state, "up");
	assert_int_equal(d->links[0].peer_chip, 3);
	assert_int_equal(d->links[0].peer_port, 1);
	assert_string_equal(d->links[0].peer_device, "accel3");
	assert_int_equal(d->links[0].speed_gbps, 100);
	assert_int_equal(d->links[0].tx_bytes, 1000);
	/* Empty peer files of a port that is down. */
	assert_string_equal(d->links[1].state, "down");
	assert_int_equal(d->links[1].peer_chip, -1);
	assert_int_equal(d->links[1].peer_port, -1);
	assert_string_equal(d->links[1].peer_device, "");
	assert_int_equal(d->links[1].err_crc, 1);

	/* Processes by pid, with their device; one on no known device. */
	assert_int_equal(s.num_procs, 3);
	assert_int_equal(s.procs[0].c.pid, 200);
	assert_int_equal(s.procs[0].dev, 1);
	assert_int_equal(s.procs[1].c.pid, 300);
	assert_int_equal(s.procs[1].dev, 0);
	assert_int_equal(s.procs[1].c.fd.hbm_resident, 64 * MIB);
	assert_int_equal(s.procs[2].dev, -1);
	nrt_top_snap_free(&s);
}

/* A driver without the new counters, a device with odd attributes. */
static void collect_old_driver(void **state)
{
	struct tree *t = *state;
	const struct nrt_top_dev *d;
	struct nrt_top_snap s;
	unsigned int i;

	add_accel(t, 0, "0000:01:00.0", "trn", 2, 1);
	attr(t, "0000:01:00.0", "hbm_used", "garbage");
	attr(t, "0000:01:00.0", "links/port0/tx_bytes", "-5");
	/* More cores than nrt-top keeps. */
	attr(t, "0000:01:00.0", "neuron_cores", "1000");
	collect(&s);
	assert_int_equal(s.num_devs, 1);
	d = &s.devs[0];
	assert_int_equal(d->num_cores, NRT_TOP_MAX_CORES);
	assert_int_equal(d->hbm_used, NRT_TOP_NA);
	assert_int_equal(d->links[0].tx_bytes, NRT_TOP_NA);
	for (i = 0; i < NRT_TOP_DEV_NCTRS; i++)
		assert_int_equal(d->ctr[i], NRT_TOP_NA);
	for (i = 0; i < NRT_TOP_CORE_NCTRS; i++)
		assert_int_equal(d->cores[1].ctr[i], NRT_TOP_NA);
	assert_false(d->have_temp);
	assert_int_equal(d->power_uw, NRT_TOP_NA);
	assert_int_equal(d->temp_max_mc, NRT_TOP_NA);
	nrt_top_snap_free(&s);
}

/* --- rates ------------------------------------------------------------------- */

static void rates(void **state)
{
	(void)state;
	assert_true(fabs(nrt_top_rate(100, 600, SEC / 2) - 1000) < 1e-9);
	/* Cleared or wrapped counters: zero, never negative. */
	assert_true(nrt_top_rate(600, 100, SEC) == 0);
	assert_true(nrt_top_rate(UINT64_MAX - 1, 5, SEC) == 0);
	/* Unknown. */
	assert_true(nrt_top_rate(NRT_TOP_NA, 5, SEC) < 0);
	assert_true(nrt_top_rate(5, NRT_TOP_NA, SEC) < 0);
	assert_true(nrt_top_rate(5, 6, 0) < 0);

	assert_true(fabs(nrt_top_ratio(0, SEC / 4, SEC, 1) - 0.25) < 1e-9);
	assert_true(fabs(nrt_top_ratio(0, SEC / 2, SEC, 2) - 0.25) < 1e-9);
	/* No capacity counts as one engine. */
	assert_true(fabs(nrt_top_ratio(0, SEC / 2, SEC, 0) - 0.5) < 1e-9);
	assert_true(fabs(nrt_top_ratio(0, SEC / 2, SEC, NRT_TOP_NA) - 0.5) < 1e-9);
	/* Clamped: a counter read a little later than the clock. */
	assert_true(nrt_top_ratio(0, 3 * SEC, SEC, 1) == 1);
	assert_true(nrt_top_ratio(SEC, 0, SEC, 1) == 0);
	assert_true(nrt_top_ratio(NRT_TOP_NA, 0, SEC, 1) < 0);
}

/* Snapshot 2 of standard_tree(), one second after snapshot 1. */
static void advance(struct tree *t)
{
	attr(t, "0000:01:00.0", "cores/core0/busy_ns", "%llu",
	     (unsigned long long)(1000 + SEC / 2));
	/* Core 1 was cleared: its counter went backwards. */
	attr(t, "0000:01:00.0", "cores/core1/busy_ns", "5");
	attr(t, "0000:01:00.0", "stats/dma_bytes", "%llu",
	     (unsigned long long)(400 + 3 * MIB));
	attr(t, "0000:01:00.0", "stats/dma_busy_ns", "%llu",
	     (unsigned long long)(500 + SEC / 10));
	attr(t, "0000:01:00.0", "stats/ecc_corrected", "701");
	attr(t, "0000:02:00.0", "links/port0/tx_bytes", "%llu",
	     (unsigned long long)(1000 + 2 * MIB));
	add_proc(t, 300, "train\n", "0000:01:00.0", 7, 65536, 1000 + SEC);
}

static void deltas(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	const struct nrt_top_dev *d;

	standard_tree(t);
	collect(&a);
	nrt_top_delta(&a, NULL);
	assert_false(a.have_rates);
	advance(t);
	collect_after(&b, &a, SEC);
	assert_true(b.have_rates);
	assert_true(fabs(b.interval_s - 1) < 1e-9);
	d = &b.devs[0];
	assert_true(fabs(d->cores[0].util - 0.5) < 1e-9);
	assert_true(d->cores[1].util == 0);
	assert_true(fabs(d->dma_bps - 3.0 * MIB) < 1e-6);
	assert_true(fabs(d->dma_util - 0.1) < 1e-9);
	/* No ports: no link rate. */
	assert_true(d->link_tx_bps < 0);
	d = &b.devs[1];
	assert_true(d->cores[0].util == 0);
	assert_true(fabs(d->links[0].tx_bps - 2.0 * MIB) < 1e-6);
	assert_true(d->links[1].tx_bps == 0);
	assert_true(fabs(d->link_tx_bps - 2.0 * MIB) < 1e-6);
	assert_true(d->link_rx_bps == 0);
	/* Process 300: one second of core time over two cores in one second. */
	assert_int_equal(b.procs[1].c.pid, 300);
	assert_true(fabs(b.procs[1].core_util - 0.5) < 1e-9);
	assert_true(b.procs[1].dma_util == 0);
	assert_true(b.procs[0].core_util == 0);

	/* A device or process that is new has no rates yet. */
	add_accel(t, 5, "0000:04:00.0", "trn", 1, 0);
	add_counters(t, "0000:04:00.0", 1);
	add_proc(t, 500, "new\n", "0000:04:00.0", 1, 4, 0);
	nrt_top_snap_free(&a);
	collect_after(&a, &b, SEC);
	assert_int_equal(a.num_devs, 3);
	assert_true(a.devs[2].cores[0].util < 0);
	assert_true(a.devs[2].dma_bps < 0);
	assert_int_equal(a.procs[3].c.pid, 500);
	assert_true(a.procs[3].core_util < 0);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

/* --- JSON --------------------------------------------------------------------- */

static struct json_object *json_of(const struct nrt_top_snap *s)
{
	struct json_object *doc;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(nrt_top_json_print(f, s), 0);
	assert_int_equal(fclose(f), 0);
	/* One document, one line. */
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_null(memchr(text, '\n', len - 1));
	doc = json_tokener_parse(text);
	assert_non_null(doc);
	free(text);
	return doc;
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL, *tok;

	xsnprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		if (isdigit((unsigned char)*tok)) {
			assert_true(json_object_is_type(o, json_type_array));
			assert_true((size_t)atoi(tok) < json_object_array_length(o));
			o = json_object_array_get_idx(o, (size_t)atoi(tok));
		} else if (!json_object_object_get_ex(o, tok, &o)) {
			fail_msg("no member %s in %s", tok, path);
		}
	}
	return o;
}

static void json_document(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	struct json_object *doc;
	const char *ts;

	standard_tree(t);
	collect(&a);
	advance(t);
	collect_after(&b, &a, SEC);
	b.real_ms = INT64_C(1795000000123);
	doc = json_of(&b);
	assert_int_equal(json_object_get_int(get(doc, "schema_version")),
			 NRT_TOP_JSON_SCHEMA_VERSION);
	ts = json_object_get_string(get(doc, "timestamp"));
	assert_string_equal(ts, "2026-11-18T11:06:40.123Z");
	assert_true(fabs(json_object_get_double(get(doc, "interval_s")) - 1) < 1e-9);
	assert_int_equal(json_object_array_length(get(doc, "devices")), 2);
	assert_string_equal(json_object_get_string(get(doc, "devices.0.pci_bdf")),
			    "0000:01:00.0");
	assert_string_equal(json_object_get_string(get(doc, "devices.0.accel")), "accel1");
	assert_int_equal(json_object_get_int(get(doc, "devices.0.chip_id")), 11);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.cores.0.utilization"))
			 - 0.5) < 1e-9);
	assert_int_equal(json_object_get_double(get(doc, "devices.0.cores.1.utilization")), 0);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.cores.1.busy_ns")), 5);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.cores.1.flops")), 2007);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.memory.hbm_total")),
			 (int64_t)GIB);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.memory.hbm_peak")), 600);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.errors.ecc_corrected")),
			 701);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.jobs.timed_out")), 300);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.temperature_c")) - 51.5)
		    < 1e-9);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.power_w")) - 23.4) < 1e-9);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.dma.bytes_per_s")) -
			 3.0 * MIB) < 1);
	assert_int_equal(json_object_array_length(get(doc, "devices.0.links")), 0);
	assert_string_equal(json_object_get_string(get(doc, "devices.1.links.0.state")), "up");
	assert_int_equal(json_object_get_int(get(doc, "devices.1.links.0.peer_chip")), 3);
	assert_null(get(doc, "devices.1.links.1.peer_chip"));
	assert_null(get(doc, "devices.1.links.1.peer_device"));
	assert_int_equal(json_object_array_length(get(doc, "processes")), 3);
	assert_int_equal(json_object_get_int(get(doc, "processes.1.pid")), 300);
	assert_int_equal(json_object_get_int(get(doc, "processes.1.device")), 0);
	assert_string_equal(json_object_get_string(get(doc, "processes.1.command")), "train");
	assert_int_equal(json_object_get_int64(get(doc, "processes.1.hbm_bytes")),
			 (int64_t)(64 * MIB));
	assert_int_equal(json_object_get_int64(get(doc, "processes.1.host_bytes")),
			 (int64_t)MIB);
	assert_int_equal(json_object_get_int64(get(doc, "processes.1.client_id")), 7);
	assert_true(fabs(json_object_get_double(get(doc, "processes.1.core_util")) - 0.5)
		    < 1e-9);
	assert_null(get(doc, "processes.2.device"));
	json_object_put(doc);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

/* Unknown values are null, not missing; no devices is an empty array. */
static void json_unknown(void **state)
{
	struct tree *t = *state;
	struct json_object *doc;
	struct nrt_top_snap s;

	collect(&s);
	doc = json_of(&s);
	assert_null(get(doc, "interval_s"));
	assert_int_equal(json_object_array_length(get(doc, "devices")), 0);
	assert_int_equal(json_object_array_length(get(doc, "processes")), 0);
	json_object_put(doc);
	nrt_top_snap_free(&s);

	add_accel(t, 0, "0000:01:00.0", "trn", 1, 0);
	attr(t, "0000:01:00.0", "hwmon/hwmon0/name", "trn");
	attr(t, "0000:01:00.0", "hwmon/hwmon0/temp1_input", "-2500");
	collect(&s);
	doc = json_of(&s);
	assert_null(get(doc, "devices.0.cores.0.utilization"));
	assert_null(get(doc, "devices.0.cores.0.busy_ns"));
	assert_null(get(doc, "devices.0.memory.hbm_peak"));
	assert_null(get(doc, "devices.0.errors.ecc_corrected"));
	assert_null(get(doc, "devices.0.power_w"));
	assert_null(get(doc, "devices.0.dma.bytes_per_s"));
	/* Below zero is a temperature, not "unknown". */
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.temperature_c")) + 2.5)
		    < 1e-9);
	json_object_put(doc);
	nrt_top_snap_free(&s);
}

/* --- Prometheus --------------------------------------------------------------- */

static bool prom_name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/*
 * Check one sample line against the text format 0.0.4:
 * name [ "{" label="value" { "," label="value" } [","] "}" ] value
 * and return its metric name in @name.
 */
static void prom_check_sample(const char *line, char *name, size_t size)
{
	const char *p = line;
	size_t n = 0;
	char *end;

	while (prom_name_char(*p, p == line)) {
		assert_true(n + 1 < size);
		name[n++] = *p++;
	}
	name[n] = '\0';
	if (!n)
		fail_msg("no metric name: %s", line);
	if (*p == '{') {
		p++;
		while (*p != '}') {
			const char *l = p;

			while (prom_name_char(*p, p == l))
				p++;
			if (p == l || *p++ != '=' || *p++ != '"')
				fail_msg("bad label in: %s", line);
			while (*p && *p != '"') {
				if (*p == '\\') {
					p++;
					if (*p != '\\' && *p != '"' && *p != 'n')
						fail_msg("bad escape in: %s", line);
				}
				if (!*p || *p == '\n')
					fail_msg("bad label value in: %s", line);
				p++;
			}
			if (*p++ != '"')
				fail_msg("unterminated label in: %s", line);
			if (*p == ',')
				p++;
			else if (*p != '}')
				fail_msg("bad label list in: %s", line);
		}
		p++;
	}
	if (*p++ != ' ')
		fail_msg("no value in: %s", line);
	strtod(p, &end);
	if (end == p || *end)
		fail_msg("bad value in: %s", line);
}

/* Check the whole exposition; return it (free()). */
static char *prom_text(const struct nrt_top_snap *s)
{
	char *text = NULL, *line, *save = NULL, *copy;
	char typed[256][64], name[128];
	size_t len = 0, ntyped = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(nrt_top_prom_write(f, s), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 0 && text[len - 1] == '\n');
	copy = strdup(text);
	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool found = false;

		if (!strncmp(line, "# HELP ", 7))
			continue;
		if (!strncmp(line, "# TYPE ", 7)) {
			char type[32];

			assert_int_equal(sscanf(line + 7, "%63s %31s", typed[ntyped], type), 2);
			assert_true(!strcmp(type, "gauge") || !strcmp(type, "counter"));
			/* Counters, and only they, end in _total. */
			len = strlen(typed[ntyped]);
			assert_int_equal(!strcmp(type, "counter"),
					 len > 6 && !strcmp(typed[ntyped] + len - 6, "_total"));
			assert_int_equal(strncmp(typed[ntyped], "trn_", 4), 0);
			for (i = 0; i < ntyped; i++)
				assert_string_not_equal(typed[i], typed[ntyped]);
			assert_true(++ntyped < 256);
			continue;
		}
		assert_true(line[0] != '#');
		prom_check_sample(line, name, sizeof(name));
		/* Samples follow the TYPE line of their family. */
		assert_true(ntyped > 0);
		found = !strcmp(typed[ntyped - 1], name);
		if (!found)
			fail_msg("sample of %s under TYPE %s", name, typed[ntyped - 1]);
	}
	free(copy);
	return text;
}

static void prometheus(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	char *text;

	standard_tree(t);
	collect(&a);
	advance(t);
	collect_after(&b, &a, SEC);
	text = prom_text(&b);
	assert_non_null(strstr(text, "# TYPE trn_core_busy_seconds_total counter\n"));
	assert_non_null(strstr(text, "# HELP trn_hbm_used_bytes "));
	assert_non_null(strstr(text,
		"trn_core_utilization_ratio{device=\"0\",pci_bdf=\"0000:01:00.0\",core=\"0\"} 0.5\n"));
	assert_non_null(strstr(text,
		"trn_core_utilization_ratio{device=\"0\",pci_bdf=\"0000:01:00.0\",core=\"1\"} 0\n"));
	assert_non_null(strstr(text,
		"trn_core_busy_seconds_total{device=\"0\",pci_bdf=\"0000:01:00.0\",core=\"0\"} 0.500001\n"));
	assert_non_null(strstr(text,
		"trn_hbm_used_bytes{device=\"0\",pci_bdf=\"0000:01:00.0\"} 268435456\n"));
	assert_non_null(strstr(text,
		"trn_hbm_total_bytes{device=\"1\",pci_bdf=\"0000:02:00.0\"} 1073741824\n"));
	assert_non_null(strstr(text,
		"trn_ecc_corrected_errors_total{device=\"0\",pci_bdf=\"0000:01:00.0\"} 701\n"));
	assert_non_null(strstr(text,
		"trn_temperature_celsius{device=\"0\",pci_bdf=\"0000:01:00.0\"} 51.5\n"));
	assert_non_null(strstr(text,
		"trn_power_watts{device=\"0\",pci_bdf=\"0000:01:00.0\"} 23.4\n"));
	assert_non_null(strstr(text,
		"trn_link_tx_bytes_total{device=\"1\",pci_bdf=\"0000:02:00.0\",port=\"0\"} 2098152\n"));
	assert_non_null(strstr(text,
		"trn_link_up{device=\"1\",pci_bdf=\"0000:02:00.0\",port=\"1\"} 0\n"));
	assert_non_null(strstr(text, "trn_device_info{device=\"0\",pci_bdf=\"0000:01:00.0\","
				     "accel=\"accel1\",chip_id=\"11\"} 1\n"));
	assert_non_null(strstr(text, "trn_process_hbm_bytes{device=\"0\",pci_bdf=\"0000:01:00.0\","
				     "pid=\"300\",command=\"train\","));
	assert_non_null(strstr(text, "trn_devices 2\n"));
	/* A process on no known device has no samples. */
	assert_null(strstr(text, "pid=\"400\""));
	free(text);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

/*
 * What the driver does not provide has no sample; labels are escaped, and
 * a process name (which any process sets) reaches them printable only.
 */
static void prometheus_unknown(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap s;
	char *text, buf[16];

	add_accel(t, 0, "0000:01:00.0", "trn", 1, 0);
	add_proc(t, 10, "w\"\\\n\x1b[1m\xff\xfe", "0000:01:00.0", 1, 4, 0);
	collect(&s);
	text = prom_text(&s);
	assert_null(strstr(text, "trn_ecc_corrected_errors_total{"));
	assert_null(strstr(text, "trn_core_busy_seconds_total{"));
	assert_null(strstr(text, "trn_core_utilization_ratio{"));
	assert_null(strstr(text, "trn_temperature_celsius{"));
	assert_non_null(strstr(text, "# TYPE trn_temperature_celsius gauge\n"));
	assert_non_null(strstr(text, "trn_hbm_used_bytes{device=\"0\",pci_bdf=\"0000:01:00.0\"} "));
	assert_non_null(strstr(text, "command=\"w\\\"\\\\??[1m??\""));
	free(text);
	nrt_top_snap_free(&s);

	/* Cut to fit, never in the middle of an escape or a character. */
	assert_string_equal(nrt_top_prom_escape("ab\"cd", buf, 4), "ab");
	assert_string_equal(nrt_top_prom_escape("a\xc3\xa9z", buf, 3), "a");
	assert_string_equal(nrt_top_prom_escape("a\xc3\xa9z", buf, 16), "a\xc3\xa9z");
}

/* --- the screen --------------------------------------------------------------- */

/* The grid as lines of text, one string. */
static char *screen_text(const struct nrt_top_grid *g)
{
	size_t size = (size_t)(g->w + 1) * (size_t)g->h + 1, o = 0;
	char *text = calloc(1, size), *line = malloc((size_t)g->w + 2);
	int y;

	assert_non_null(text);
	assert_non_null(line);
	for (y = 0; y < g->h; y++) {
		nrt_top_grid_line(g, y, line, (size_t)g->w + 1);
		o += (size_t)sprintf(text + o, "%s\n", line);
	}
	free(line);
	return text;
}

static char *render(const struct nrt_top_snap *s, const struct nrt_top_view *v,
		    int w, int h, int *rows)
{
	struct nrt_top_grid g = { 0 };
	char *text;

	assert_int_equal(nrt_top_grid_resize(&g, w, h), 0);
	*rows = nrt_top_render(&g, s, v);
	assert_true(*rows >= 0 && *rows <= (h > 0 ? h : 0));
	text = screen_text(&g);
	nrt_top_grid_free(&g);
	return text;
}

static void screen(void **state)
{
	static const int sizes[][2] = {
		{ 80, 24 }, { 40, 10 }, { 200, 60 }, { 1, 1 }, { 0, 0 }, { 2, 1 },
		{ 1, 40 }, { 300, 2 }, { 81, 3 }, { -4, -1 },
	};
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	struct nrt_top_view v;
	char *text;
	size_t i;
	int rows;

	standard_tree(t);
	collect(&a);
	advance(t);
	collect_after(&b, &a, SEC);
	b.real_ms = INT64_C(1795000000123);
	nrt_top_view_init(&v, 1, "0.4.0");

	text = render(&b, &v, 80, 24, &rows);
	if (getenv("NRT_TOP_TEST_SHOW"))
		fputs(text, stderr);
	assert_int_equal(rows, 24);
	assert_non_null(strstr(text, "nrt-top 0.4.0  2 devices  3 processes  every 1s  "
				     "2026-11-18 11:06:40\n"));
	assert_non_null(strstr(text, "Devices: 0:01:00.0 25.0% 1:02:00.0 0.0%\n"));
	assert_non_null(strstr(text, "Device 0  accel1  0000:01:00.0  chip 11   51.5 C (max 95 C)  23.4 W (max 75 W)\n"));
	/* Two cores a row at 80 columns: core 0 half busy, core 1 idle. */
	assert_non_null(strstr(text, "NC0 [||||||||||||||||           50.0%]  NC1 ["));
	assert_non_null(strstr(text, "0.0%]\n"));
	assert_non_null(strstr(text, "HBM [|||||||||            256 MiB/1 GiB]"));
	assert_non_null(strstr(text, "DMA 3 MiB/s  busy 10.0%"));
	assert_non_null(strstr(text, "ECC corrected 701  uncorrected 800"));
	/* Only the picked device's process, its HBM and its share of the cores. */
	assert_non_null(strstr(text, "    300 "));
	assert_non_null(strstr(text, "64 MiB"));
	assert_non_null(strstr(text, "50.0% "));
	assert_null(strstr(text, "    200 "));
	assert_non_null(strstr(text, "h:Help q:Quit"));
	free(text);

	/* Every size draws without a fault, within the grid. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		v.links = i % 2;
		v.help = i == 5;
		text = render(&b, &v, sizes[i][0], sizes[i][1], &rows);
		if (sizes[i][0] > 0 && sizes[i][1] > 0)
			assert_int_equal(text[0], 'n');
		free(text);
	}

	/* 40x10: cut, one core a row, the key bar on the last row. */
	v.links = false;
	v.help = false;
	text = render(&b, &v, 40, 10, &rows);
	if (getenv("NRT_TOP_TEST_SHOW"))
		fputs(text, stderr);
	assert_non_null(strstr(text, "NC0 [|||||||||||||||||            50.0%]\nNC1 ["));
	assert_non_null(strstr(text, "\nh:Help q:Quit Tab:Device s:Sort l:Links\n"));
	free(text);

	/* The other device with its ports, and all processes. */
	v.dev = 1;
	v.links = true;
	v.all_procs = true;
	text = render(&b, &v, 100, 40, &rows);
	assert_non_null(strstr(text, "Device 1  accel0  0000:02:00.0"));
	assert_non_null(strstr(text, "Links 1/2 up  tx 2 MiB/s  rx 0 B/s"));
	assert_non_null(strstr(text, "0    up       chip 3.1 accel3  "));
	assert_non_null(strstr(text, "1    down     -  "));
	assert_non_null(strstr(text, "    200 "));
	assert_non_null(strstr(text, "    300 "));
	assert_non_null(strstr(text, "    400 "));
	free(text);

	/* Help. */
	v.help = true;
	text = render(&b, &v, 80, 24, &rows);
	assert_non_null(strstr(text, "  q F10       quit\n"));
	assert_null(strstr(text, "Device 1"));
	free(text);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

static void screen_batch_and_empty(void **state)
{
	struct tree *t = *state;
	struct nrt_top_grid g = { 0 };
	struct nrt_top_snap s;
	struct nrt_top_view v;
	char *text;
	int rows;

	collect(&s);
	nrt_top_view_init(&v, 2, "0.4.0");
	v.batch = true;
	text = render(&s, &v, 80, nrt_top_render_rows(&s, &v), &rows);
	assert_non_null(strstr(text, "No trn devices found"));
	assert_non_null(strstr(text, "(no process uses a trn device"));
	assert_null(strstr(text, "h:Help"));
	free(text);
	nrt_top_snap_free(&s);

	standard_tree(t);
	collect(&s);
	text = render(&s, &v, 100, nrt_top_render_rows(&s, &v), &rows);
	/* Every device, no tabs, rates not known yet. */
	assert_non_null(strstr(text, "Device 0  accel1"));
	assert_non_null(strstr(text, "Device 1  accel0"));
	assert_null(strstr(text, "Devices:"));
	assert_non_null(strstr(text, "-]"));
	assert_non_null(strstr(text, "DMA -  busy -"));
	assert_true(rows < nrt_top_render_rows(&s, &v));
	free(text);

	/* Printing stops at the rows used and leaves no trailing blanks. */
	assert_int_equal(nrt_top_grid_resize(&g, 30, 2), 0);
	nrt_top_render(&g, &s, &v);
	text = NULL;
	{
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		assert_non_null(f);
		assert_int_equal(nrt_top_grid_print(&g, 1, f), 0);
		assert_int_equal(fclose(f), 0);
	}
	assert_string_equal(text, "nrt-top 0.4.0  2 devices  3 pr\n");
	free(text);
	nrt_top_grid_free(&g);
	nrt_top_snap_free(&s);
}

static void process_sort(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap s;
	struct nrt_top_view v;
	char *text, *p200, *p300, *p400;
	int rows;

	standard_tree(t);
	collect(&s);
	nrt_top_view_init(&v, 1, "x");
	v.batch = true;
	v.sort = NRT_TOP_COL_HBM;
	text = render(&s, &v, 100, nrt_top_render_rows(&s, &v), &rows);
	p200 = strstr(text, "    200 ");
	p300 = strstr(text, "    300 ");
	p400 = strstr(text, "    400 ");
	assert_true(p200 && p300 && p400);
	/* Largest HBM first. */
	assert_true(p300 < p200 && p200 < p400);
	free(text);

	v.reverse = true;
	text = render(&s, &v, 100, nrt_top_render_rows(&s, &v), &rows);
	assert_true(strstr(text, "    400 ") < strstr(text, "    200 "));
	assert_true(strstr(text, "    200 ") < strstr(text, "    300 "));
	free(text);

	v.reverse = false;
	v.sort = NRT_TOP_COL_PID;
	text = render(&s, &v, 100, nrt_top_render_rows(&s, &v), &rows);
	assert_true(strstr(text, "    200 ") < strstr(text, "    300 "));
	assert_true(strstr(text, "    300 ") < strstr(text, "    400 "));
	free(text);
	nrt_top_snap_free(&s);
}

static void keys(void **state)
{
	struct nrt_top_view v;

	(void)state;
	nrt_top_view_init(&v, 1, "x");
	assert_int_equal(v.sort, NRT_TOP_COL_CORE);
	assert_true(v.procs);
	assert_int_equal(nrt_top_view_key(&v, '\t', 3), NRT_TOP_REDRAW);
	assert_int_equal(v.dev, 1);
	nrt_top_view_key(&v, NRT_TOP_KEY_RIGHT, 3);
	nrt_top_view_key(&v, NRT_TOP_KEY_DOWN, 3);
	assert_int_equal(v.dev, 0);
	nrt_top_view_key(&v, NRT_TOP_KEY_LEFT, 3);
	assert_int_equal(v.dev, 2);
	nrt_top_view_key(&v, NRT_TOP_KEY_BTAB, 3);
	assert_int_equal(v.dev, 1);
	assert_int_equal(nrt_top_view_key(&v, '0', 3), NRT_TOP_REDRAW);
	assert_int_equal(v.dev, 0);
	/* No such device. */
	assert_int_equal(nrt_top_view_key(&v, '5', 3), NRT_TOP_IGNORED);
	assert_int_equal(v.dev, 0);
	/* Devices went away: the pick follows. */
	v.dev = 2;
	nrt_top_view_key(&v, 'l', 1);
	assert_int_equal(v.dev, 0);
	assert_true(v.links);
	assert_int_equal(nrt_top_view_key(&v, '\t', 0), NRT_TOP_REDRAW);
	assert_int_equal(v.dev, 0);

	nrt_top_view_key(&v, 's', 1);
	assert_int_equal(v.sort, NRT_TOP_COL_DMA);
	nrt_top_view_key(&v, NRT_TOP_KEY_F6, 1);
	nrt_top_view_key(&v, '>', 1);
	assert_int_equal(v.sort, NRT_TOP_COL_PID);
	nrt_top_view_key(&v, '<', 1);
	assert_int_equal(v.sort, NRT_TOP_COL_COMMAND);
	nrt_top_view_key(&v, 'r', 1);
	assert_true(v.reverse);
	nrt_top_view_key(&v, 'p', 1);
	assert_false(v.procs);
	nrt_top_view_key(&v, 'a', 1);
	assert_true(v.all_procs);

	nrt_top_view_key(&v, '+', 1);
	assert_true(v.interval_s == 2);
	nrt_top_view_key(&v, '-', 1);
	nrt_top_view_key(&v, '-', 1);
	assert_true(v.interval_s == 0.5);
	v.interval_s = 0.7;
	nrt_top_view_key(&v, '+', 1);
	assert_true(v.interval_s == 1);
	v.interval_s = 0.1;
	nrt_top_view_key(&v, '-', 1);
	assert_true(v.interval_s == 0.1);
	v.interval_s = 60;
	nrt_top_view_key(&v, '+', 1);
	assert_true(v.interval_s == 60);

	/* Help: any key closes it, q still quits. */
	nrt_top_view_key(&v, 'h', 1);
	assert_true(v.help);
	assert_int_equal(nrt_top_view_key(&v, 'x', 1), NRT_TOP_REDRAW);
	assert_false(v.help);
	nrt_top_view_key(&v, '?', 1);
	assert_int_equal(nrt_top_view_key(&v, 'q', 1), NRT_TOP_QUIT);
	assert_int_equal(nrt_top_view_key(&v, 'x', 1), NRT_TOP_REDRAW);
	assert_int_equal(nrt_top_view_key(&v, 'x', 1), NRT_TOP_IGNORED);
	assert_int_equal(nrt_top_view_key(&v, NRT_TOP_KEY_F10, 1), NRT_TOP_QUIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(collect_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(collect_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(collect_old_driver, setup, teardown),
		cmocka_unit_test(rates),
		cmocka_unit_test_setup_teardown(deltas, setup, teardown),
		cmocka_unit_test_setup_teardown(json_document, setup, teardown),
		cmocka_unit_test_setup_teardown(json_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(prometheus, setup, teardown),
		cmocka_unit_test_setup_teardown(prometheus_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(screen, setup, teardown),
		cmocka_unit_test_setup_teardown(screen_batch_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(process_sort, setup, teardown),
		cmocka_unit_test(keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
