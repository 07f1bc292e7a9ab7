// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Fake sysfs and /proc trees for the unit tests of nrt-top: see top_tree.h.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "fake_fs.h"
#include "top_tree.h"

int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	if (fake_fs_tmpdir(t->root, sizeof(t->root), "nrt-top"))
		return -1;
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->root);
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	if (mkdir(t->sys, 0755) || mkdir(t->proc, 0755) || mkdir(t->dev, 0755) ||
	    setenv("NRT_SYSFS_ROOT", t->sys, 1) || setenv("NRT_PROC_ROOT", t->proc, 1) ||
	    setenv("NRT_DEV_ROOT", t->dev, 1) || setenv("TZ", "UTC", 1))
		return -1;
	*state = t;
	return 0;
}

int teardown(void **state)
{
	struct tree *t = *state;
	int ret;

	unsetenv("NRT_SYSFS_ROOT");
	unsetenv("NRT_PROC_ROOT");
	unsetenv("NRT_DEV_ROOT");
	ret = fake_fs_remove(t->root);
	free(t);
	return ret;
}

/* Write @value and a newline to @rel in the directory of device @bdf. */
void attr(struct tree *t, const char *bdf, const char *rel, const char *fmt, ...)
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
void add_accel(struct tree *t, unsigned int minor, const char *bdf,
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
	/* Its node, so that the process sees it (lib/nrt_enum.c). */
	xsnprintf(path, sizeof(path), "%s/accel", t->dev);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/accel/accel%u", t->dev, minor);
	write_file(path, "", 0666);

	attr(t, bdf, "chip_id", "%u", minor + 10);
	attr(t, bdf, "neuron_cores", "%u", cores);
	attr(t, bdf, "hbm_size", "%llu", (unsigned long long)GIB);
	attr(t, bdf, "hbm_used", "%llu", (unsigned long long)(256 * MIB));
	attr(t, bdf, "host_used", "%llu", (unsigned long long)(8 * MIB));
	attr(t, bdf, "buffer_objects", "12");
	attr(t, bdf, "num_links", "%u", links);
	for (p = 0; p < links; p++) {
		char dir[32];

		xsnprintf(dir, sizeof(dir), "link%u", p);
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

/* The counters of this driver: stats/, core<c>/ and hwmon. */
void add_counters(struct tree *t, const char *bdf, unsigned int cores)
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
			xsnprintf(path, sizeof(path), "core%u/%s", c,
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

void add_proc(struct tree *t, int pid, const char *comm, const char *pdev,
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
void standard_tree(struct tree *t)
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

void collect(struct nrt_top_snap *s)
{
	assert_int_equal(nrt_top_collect(s), 0);
}

/* Collect, pretending that @dt_ns passed since @prev, and take the rates. */
void collect_after(struct nrt_top_snap *s, const struct nrt_top_snap *prev,
			  uint64_t dt_ns)
{
	collect(s);
	s->mono_ns = prev->mono_ns + dt_ns;
	nrt_top_delta(s, prev);
}

/* Snapshot 2 of standard_tree(), one second after snapshot 1. */
void advance(struct tree *t)
{
	attr(t, "0000:01:00.0", "core0/busy_ns", "%llu",
	     (unsigned long long)(1000 + SEC / 2));
	/* Core 1 was cleared: its counter went backwards. */
	attr(t, "0000:01:00.0", "core1/busy_ns", "5");
	attr(t, "0000:01:00.0", "stats/dma_bytes", "%llu",
	     (unsigned long long)(400 + 3 * MIB));
	attr(t, "0000:01:00.0", "stats/dma_busy_ns", "%llu",
	     (unsigned long long)(500 + SEC / 10));
	attr(t, "0000:01:00.0", "stats/ecc_corrected", "701");
	attr(t, "0000:02:00.0", "link0/tx_bytes", "%llu",
	     (unsigned long long)(1000 + 2 * MIB));
	add_proc(t, 300, "train\n", "0000:01:00.0", 7, 65536, 1000 + SEC);
}
