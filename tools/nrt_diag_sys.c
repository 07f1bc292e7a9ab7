// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-diag level 1: seconds, no work on the devices. The driver is loaded
 * and libnrt can use it; every trn PCI function is bound; the NeuronLink
 * wiring matches the expected (or recognised) shape; and, for each device,
 * no uncorrectable ECC error, temperature and power within limits, not
 * wedged, not throttled, and its PCIe link at its maximum without
 * uncorrectable AER errors.
 *
 * Attributes a driver does not have yet (wedged, throttle_reasons, a power
 * cap) make their check a "skip", saying so, never a failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nrt.h"
#include "nrt_diag_sys.h"
#include "nrt_facts.h"
#include "nrt_ls_rack.h"
#include "nrt_ls_topo.h"
#include "nrt_tool.h"

#define NO_ATTR "not supported by this driver (no %s attribute)"

/* What level 1 knows of one trn PCI function. */
struct nrt_diag_dev {
	char bdf[32];
	char dir[PATH_MAX];
	int index;                      /* libnrt's, -1 if not listed */
	struct nrt_facts f;
};

/* The driver the PCI function is bound to, "" for none. */
static void nrt_diag_driver_of(const char *dir, char *buf, size_t size)
{
	char path[PATH_MAX + 16], target[PATH_MAX];
	const char *slash;
	ssize_t len;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/driver", dir);
	len = readlink(path, target, sizeof(target) - 1);
	if (len <= 0)
		return;
	target[len] = '\0';
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	len = (ssize_t)strlen(slash);
	if ((size_t)len >= size)
		len = (ssize_t)size - 1;
	memcpy(buf, slash, (size_t)len);
	buf[len] = '\0';
}

/* The driver module: loaded, and its version. Return: false if not loaded. */
static bool nrt_diag_module(struct nrt_diag_report *r, const struct nrt_diag_opts *o,
			    char *version, size_t size)
{
	char dir[PATH_MAX];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/module/trn", o->sysfs);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		nrt_diag_add(r, "driver", 1, -1, NULL, NRT_DIAG_FAIL,
			     "load it (modprobe trn, or insmod trn.ko) and check dmesg for its errors",
			     "the trn kernel module is not loaded");
		return false;
	}
	if (!nrt_facts_attr(dir, "version", version, size))
		snprintf(version, size, "?");
	return true;
}

/* Every trn PCI function is bound to trn.ko. */
static void nrt_diag_bound(struct nrt_diag_report *r, const struct nrt_diag_opts *o,
			   struct nrt_diag_dev *d, size_t n)
{
	char drv[64];
	size_t i, bound = 0;

	for (i = 0; i < n; i++) {
		nrt_diag_driver_of(d[i].dir, drv, sizeof(drv));
		if (!strcmp(drv, "trn") && d[i].f.bound) {
			bound++;
			nrt_diag_add(r, "bound", 1, d[i].index, d[i].bdf, NRT_DIAG_PASS, NULL,
				     "bound to trn %s", d[i].f.driver_version);
		} else if (drv[0]) {
			nrt_diag_add(r, "bound", 1, d[i].index, d[i].bdf, NRT_DIAG_FAIL,
				     "unbind it from that driver and bind it to trn",
				     "bound to %s, not trn", drv);
		} else {
			nrt_diag_add(r, "bound", 1, d[i].index, d[i].bdf, NRT_DIAG_FAIL,
				     "the driver refused it: see dmesg for why (a hardware interface the driver does not support, or a failed self-test); reset or replace the device",
				     "not bound to any driver");
		}
	}
	if (o->expect_devices >= 0 && (long)bound != o->expect_devices)
		nrt_diag_add(r, "devices", 1, -1, NULL, NRT_DIAG_FAIL,
			     "find the missing devices with lspci -d 1af4:10f0 and dmesg; reseat or replace them",
			     "%zu devices bound to trn, %ld expected", bound, o->expect_devices);
	else if (o->expect_devices >= 0)
		nrt_diag_add(r, "devices", 1, -1, NULL, NRT_DIAG_PASS, NULL,
			     "%zu devices bound to trn, as expected", bound);
}

/* libnrt opens each device it lists and reads its properties. */
static void nrt_diag_open(struct nrt_diag_report *r, const char *modver)
{
	nrt_device_list *l;
	nrt_status st;
	size_t i;

	st = nrt_device_list_get(&l);
	if (st != NRT_SUCCESS) {
		nrt_diag_add(r, "driver", 1, -1, NULL, NRT_DIAG_FAIL,
			     "check /sys/class/accel and the driver", "libnrt cannot list the devices: %s",
			     nrt_tool_reason(st));
		return;
	}
	for (i = 0; i < nrt_device_list_count(l); i++) {
		const nrt_device_entry *e = nrt_device_list_entry(l, i);
		nrt_device_info info = { .struct_size = sizeof(info) };
		nrt_device *dev;

		st = nrt_device_open(e->index, &dev);
		if (st == NRT_SUCCESS) {
			st = nrt_device_get_info(dev, &info);
			nrt_device_close(dev);
		}
		if (st == NRT_SUCCESS)
			nrt_diag_add(r, "driver", 1, (int)e->index, e->pci_bdf, NRT_DIAG_PASS,
				     NULL, "libnrt %d.%d.%d uses driver %s (hardware interface %u.%u)",
				     NRT_VERSION_MAJOR, NRT_VERSION_MINOR, NRT_VERSION_PATCH,
				     modver, info.hw_version_major, info.hw_version_minor);
		else if (st == NRT_PERMISSION)
			nrt_diag_add(r, "driver", 1, (int)e->index, e->pci_bdf, NRT_DIAG_SKIP,
				     "run nrt-diag as root or as a member of the group of the device node",
				     "cannot open %s: %s", e->device_node, nrt_tool_reason(st));
		else if (st == NRT_UNSUPPORTED)
			nrt_diag_add(r, "driver", 1, (int)e->index, e->pci_bdf, NRT_DIAG_FAIL,
				     "install a trn driver and libnrt of the same release",
				     "driver %s does not match libnrt %d.%d.%d: %s", modver,
				     NRT_VERSION_MAJOR, NRT_VERSION_MINOR, NRT_VERSION_PATCH,
				     nrt_tool_reason(st));
		else
			nrt_diag_add(r, "driver", 1, (int)e->index, e->pci_bdf, NRT_DIAG_FAIL,
				     "reset the device (nrt-reset); see dmesg",
				     "libnrt cannot use it: %s", nrt_tool_reason(st));
	}
	nrt_device_list_free(l);
}

static void nrt_diag_ecc(struct nrt_diag_report *r, const struct nrt_diag_dev *d)
{
	const struct nrt_facts *f = &d->f;

	char retired[48] = "";

	if (f->retired_pages != NRT_FACT_NA && f->retired_pages)
		snprintf(retired, sizeof(retired), ", %" PRIu64 " HBM page%s retired",
			 f->retired_pages, f->retired_pages == 1 ? "" : "s");
	/* The error log is full: pages with errors the driver cannot retire */
	if (f->unlogged_pages != NRT_FACT_NA && f->unlogged_pages)
		nrt_diag_add(r, "ecc", 1, d->index, d->bdf, NRT_DIAG_FAIL,
			     "replace the device: its table of retired pages is full, so the pages of new uncorrectable errors can no longer be retired and memory handed to jobs may hold them",
			     "%" PRIu64 " HBM page%s with an uncorrectable error not retired: the device's error log is full",
			     f->unlogged_pages, f->unlogged_pages == 1 ? "" : "s");
	/* A page in use when it failed: a job lost data, the page is not retired yet */
	else if (f->retired_pending != NRT_FACT_NA && f->retired_pending)
		nrt_diag_add(r, "ecc", 1, d->index, d->bdf, NRT_DIAG_FAIL,
			     "restart the jobs on the device: their memory had an uncorrectable error, and its page is retired once they end",
			     "%" PRIu64 " HBM page%s with an uncorrectable error still in use",
			     f->retired_pending, f->retired_pending == 1 ? "" : "s");
	else if (f->ecc_uncorrected == NRT_FACT_NA)
		nrt_diag_add(r, "ecc", 1, d->index, d->bdf, NRT_DIAG_SKIP, NULL, NO_ATTR,
			     "stats/ecc_uncorrected");
	else if (f->ecc_uncorrected)
		nrt_diag_add(r, "ecc", 1, d->index, d->bdf, NRT_DIAG_FAIL,
			     "drain the node, then reset the device (nrt-reset); replace it if uncorrectable errors come back",
			     "%" PRIu64 " uncorrectable ECC error%s in device memory",
			     f->ecc_uncorrected, f->ecc_uncorrected == 1 ? "" : "s");
	else
		nrt_diag_add(r, "ecc", 1, d->index, d->bdf, NRT_DIAG_PASS, NULL,
			     "no uncorrectable ECC error (%" PRIu64 " corrected%s)",
			     f->ecc_corrected == NRT_FACT_NA ? 0 : f->ecc_corrected, retired);
}

/*
 * Power: the device keeps its average at the cap by throttling, so a reading
 * may pass the cap for a moment; only power far above it, and staying
 * there, fails.
 */
#define POWER_OVER 1.25
#define POWER_SAMPLES 4
#define POWER_SAMPLE_MS 250

/* Whether the power stays above POWER_OVER x @limit, sampled a second. */
static bool nrt_diag_power_sustained(const struct nrt_diag_dev *d, int64_t limit)
{
	int64_t p;
	int i;

	for (i = 0; i < POWER_SAMPLES; i++) {
		usleep(POWER_SAMPLE_MS * 1000);
		p = nrt_facts_read_power(d->dir);
		if (p >= 0 && p <= POWER_OVER * limit)
			return false;
	}
	return true;
}

static void nrt_diag_sensors(struct nrt_diag_report *r, const struct nrt_diag_dev *d)
{
	const struct nrt_facts *f = &d->f;
	uint32_t reasons = 0;
	bool capped;
	int64_t limit;

	if (f->temp < 0 || f->temp_max <= 0) {
		nrt_diag_add(r, "temperature", 1, d->index, d->bdf, NRT_DIAG_SKIP, NULL,
			     "no temperature sensor (hwmon temp1_input, temp1_max)");
	} else if (f->temp >= f->temp_max) {
		nrt_diag_add(r, "temperature", 1, d->index, d->bdf, NRT_DIAG_FAIL,
			     "check the cooling (fans, airflow, inlet temperature) and the load",
			     "%.1f °C, at or above its limit of %.1f °C", f->temp / 1000.0,
			     f->temp_max / 1000.0);
	} else {
		nrt_diag_add(r, "temperature", 1, d->index, d->bdf, NRT_DIAG_PASS, NULL,
			     "%.1f °C, limit %.1f °C", f->temp / 1000.0, f->temp_max / 1000.0);
	}
	limit = f->power_cap > 0 ? f->power_cap : f->power_rated_max;
	capped = nrt_facts_parse_throttle(f->throttle_reasons, &reasons) &&
		 (reasons & NRT_THROTTLE_POWER_CAP);
	if (f->power < 0 || limit <= 0)
		nrt_diag_add(r, "power", 1, d->index, d->bdf, NRT_DIAG_SKIP, NULL,
			     "no power sensor (hwmon power1_input, power1_rated_max)");
	else if (f->power > POWER_OVER * limit && f->power_cap > 0 && capped &&
		 nrt_diag_power_sustained(d, limit))
		/* Throttled as far as it goes: the cap is below this load's floor */
		nrt_diag_add(r, "power", 1, d->index, d->bdf, NRT_DIAG_WARN,
			     "raise the power cap (hwmon power1_cap) or lighten the load",
			     "%.1f W, above its cap of %.1f W while throttled by it: the NeuronCores run at their lowest speed",
			     f->power / 1e6, limit / 1e6);
	else if (f->power > POWER_OVER * limit && nrt_diag_power_sustained(d, limit))
		nrt_diag_add(r, "power", 1, d->index, d->bdf, NRT_DIAG_FAIL,
			     "check the power supply and the power cap (hwmon power1_cap)",
			     "%.1f W, more than %.0f%% of its %s of %.1f W for %.1f s",
			     f->power / 1e6, POWER_OVER * 100,
			     f->power_cap > 0 ? "cap" : "rating", limit / 1e6,
			     POWER_SAMPLES * POWER_SAMPLE_MS / 1e3);
	else
		nrt_diag_add(r, "power", 1, d->index, d->bdf, NRT_DIAG_PASS, NULL,
			     "%.1f W, %s %.1f W", f->power / 1e6,
			     f->power_cap > 0 ? "cap" : "rating", limit / 1e6);
}

static void nrt_diag_state(struct nrt_diag_report *r, const struct nrt_diag_dev *d)
{
	const struct nrt_facts *f = &d->f;

	if (f->wedged < 0)
		nrt_diag_add(r, "wedged", 1, d->index, d->bdf, NRT_DIAG_SKIP, NULL, NO_ATTR,
			     "wedged");
	else if (f->wedged)
		nrt_diag_add(r, "wedged", 1, d->index, d->bdf, NRT_DIAG_FAIL,
			     "stop its users, then reset it (nrt-reset); replace it if it wedges again",
			     "the driver marked the device wedged: every job fails until a reset");
	else
		nrt_diag_add(r, "wedged", 1, d->index, d->bdf, NRT_DIAG_PASS, NULL,
			     "not wedged (%s%" PRIu64 " resets)",
			     f->reset_count == NRT_FACT_NA ? "?" : "",
			     f->reset_count == NRT_FACT_NA ? 0 : f->reset_count);

	if (!f->throttle_reasons[0])
		nrt_diag_add(r, "throttle", 1, d->index, d->bdf, NRT_DIAG_SKIP, NULL, NO_ATTR,
			     "throttle_reasons");
	else if (strcmp(f->throttle_reasons, "none"))
		nrt_diag_add(r, "throttle", 1, d->index, d->bdf, NRT_DIAG_WARN,
			     nrt_diag_throttle_remedy(f->throttle_reasons),
			     "throttled: %s", f->throttle_reasons);
	else
		nrt_diag_add(r, "throttle", 1, d->index, d->bdf, NRT_DIAG_PASS, NULL,
			     "not throttled");
}

static void nrt_diag_pcie(struct nrt_diag_report *r, const struct nrt_diag_dev *d)
{
	const struct nrt_facts *f = &d->f;

	if (!f->link_speed_dgts || !f->link_max_speed_dgts || !f->link_width ||
	    !f->link_max_width)
		nrt_diag_add(r, "pcie", 1, d->index, d->bdf, NRT_DIAG_SKIP, NULL,
			     "link speed and width unknown (current_link_speed, max_link_speed, current_link_width, max_link_width)");
	else if (nrt_facts_link_degraded(f))
		nrt_diag_add(r, "pcie", 1, d->index, d->bdf, NRT_DIAG_FAIL,
			     "reseat the device or move it to another slot; check the riser and the BIOS link settings",
			     "link degraded: %u.%u GT/s x%u, capable of %u.%u GT/s x%u",
			     f->link_speed_dgts / 10, f->link_speed_dgts % 10, f->link_width,
			     f->link_max_speed_dgts / 10, f->link_max_speed_dgts % 10,
			     f->link_max_width);
	else
		nrt_diag_add(r, "pcie", 1, d->index, d->bdf, NRT_DIAG_PASS, NULL,
			     "link at its maximum, %u.%u GT/s x%u", f->link_speed_dgts / 10,
			     f->link_speed_dgts % 10, f->link_width);

	if (f->aer_fatal == NRT_FACT_NA && f->aer_nonfatal == NRT_FACT_NA)
		return;         /* a kernel without AER statistics: nothing to say */
	if (f->aer_fatal != NRT_FACT_NA && f->aer_fatal)
		nrt_diag_add(r, "aer", 1, d->index, d->bdf, NRT_DIAG_FAIL,
			     "reset the device (nrt-reset); reseat or replace it if fatal errors come back",
			     "%" PRIu64 " fatal uncorrectable PCIe errors", f->aer_fatal);
	else if (f->aer_nonfatal != NRT_FACT_NA && f->aer_nonfatal)
		nrt_diag_add(r, "aer", 1, d->index, d->bdf, NRT_DIAG_WARN,
			     "watch the count; reseat the device if it grows",
			     "%" PRIu64 " non-fatal uncorrectable PCIe errors", f->aer_nonfatal);
	else
		nrt_diag_add(r, "aer", 1, d->index, d->bdf, NRT_DIAG_PASS, NULL,
			     "no uncorrectable PCIe error (%" PRIu64 " corrected)",
			     f->aer_correctable == NRT_FACT_NA ? 0 : f->aer_correctable);
}

/* The device index of chip @chip in @links, or -1. */
static int nrt_diag_chip_device(const nrt_link *links, size_t n, uint32_t chip,
				char *bdf, size_t size)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (links[i].chip_id == chip) {
			snprintf(bdf, size, "%s", links[i].pci_bdf);
			return (int)links[i].device;
		}
	}
	bdf[0] = '\0';
	return -1;
}

static const char *nrt_diag_link_remedy(enum nrt_topo_mismatch_kind kind)
{
	switch (kind) {
	case NRT_TOPO_DOWN:
		return "check the cable at this port and at its far end; nrt-ls --watch-links shows the port come back up";
	case NRT_TOPO_MISWIRED:
	case NRT_TOPO_UNEXPECTED:
		return "recable as nrt-ls --topology --expect shows";
	default:
		return "check that every device of the shape is in this node and bound (nrt-ls)";
	}
}

/* The mismatches of the wiring, each a failure of the device it is on. */
static void nrt_diag_link_mismatches(struct nrt_diag_report *r, const nrt_link *links,
				     size_t n, const struct nrt_topo_mismatch *mm,
				     size_t n_mm, const char *name)
{
	char bdf[32];
	size_t i;

	for (i = 0; i < n_mm; i++) {
		int dev = nrt_diag_chip_device(links, n, mm[i].chip, bdf, sizeof(bdf));

		nrt_diag_add(r, "links", 1, dev, bdf, NRT_DIAG_FAIL,
			     nrt_diag_link_remedy(mm[i].kind), "%s (%s, %s)", mm[i].message,
			     nrt_topo_mismatch_kind_name(mm[i].kind), name);
	}
}

/* The wiring against this host's cables of a rack file. */
static void nrt_diag_links_rack(struct nrt_diag_report *r, const struct nrt_rack *rack,
				const nrt_link *links, size_t n)
{
	char name[NRT_RACK_NAME_LEN + 32], err[NRT_RACK_ERR_LEN];
	struct nrt_topo_mismatch *mm = NULL;
	size_t n_mm = 0;
	uint32_t host;

	if (nrt_ls_rack_host(rack, links, n, &host, err, sizeof(err))) {
		nrt_diag_add(r, "links", 1, -1, NULL, NRT_DIAG_FAIL,
			     "check the host ids of the devices (host_id) and the rack file",
			     "%s", err);
		return;
	}
	snprintf(name, sizeof(name), "%s host %u", rack->name[0] ? rack->name : "rack",
		 (unsigned int)host);
	if (nrt_ls_rack_compare(rack, host, links, n, &mm, &n_mm))
		nrt_tool_die("out of memory");
	nrt_diag_link_mismatches(r, links, n, mm, n_mm, name);
	if (!n_mm)
		nrt_diag_add(r, "links", 1, -1, NULL, NRT_DIAG_PASS, NULL,
			     "%s: all %u chips wired as expected, all links up", name,
			     nrt_ls_rack_chips(rack, host));
	free(mm);
}

/* The wiring against the expected shape or rack, or the shape recognised. */
static void nrt_diag_links(struct nrt_diag_report *r, const struct nrt_diag_opts *o)
{
	struct nrt_topo_shape shape;
	struct nrt_topo_mismatch *mm = NULL;
	char name[NRT_TOPO_NAME_LEN];
	nrt_link *links;
	nrt_topology *t;
	size_t n, n_mm = 0, i;
	nrt_status st;

	st = nrt_topology_get(&t);
	if (st != NRT_SUCCESS) {
		nrt_diag_add(r, "links", 1, -1, NULL, o->have_expect ? NRT_DIAG_FAIL : NRT_DIAG_SKIP,
			     "check the driver", "cannot read the NeuronLink wiring: %s",
			     nrt_tool_reason(st));
		return;
	}
	n = nrt_topology_num_links(t);
	links = nrt_tool_xmalloc((n ? n : 1) * sizeof(*links));
	for (i = 0; i < n; i++)
		links[i] = *nrt_topology_link(t, i);
	nrt_topology_free(t);

	if (o->rack) {
		nrt_diag_links_rack(r, o->rack, links, n);
		free(links);
		return;
	}
	if (o->have_expect) {
		shape = o->expect;
	} else if (!nrt_topo_detect(links, n, &shape)) {
		for (i = 0; i < n && links[i].state != NRT_LINK_UP; i++)
			;
		if (i < n)
			nrt_diag_add(r, "links", 1, -1, NULL, NRT_DIAG_WARN,
				     "give the rack's shape with --expect",
				     "links are up but form no torus or ring: nothing to compare them with");
		else
			nrt_diag_add(r, "links", 1, -1, NULL, NRT_DIAG_SKIP, NULL,
				     "no NeuronLink up and no --expect: no wiring to check");
		free(links);
		return;
	}
	nrt_topo_shape_name(&shape, name, sizeof(name));
	if (nrt_topo_compare(&shape, links, n, &mm, &n_mm))
		nrt_tool_die("out of memory");
	nrt_diag_link_mismatches(r, links, n, mm, n_mm, name);
	if (!n_mm)
		nrt_diag_add(r, "links", 1, -1, NULL, NRT_DIAG_PASS, NULL,
			     "%s: all %u chips wired as %s, all links up", name,
			     nrt_topo_shape_chips(&shape), o->have_expect ? "expected" : "recognised");
	free(mm);
	free(links);
}

/* The trn PCI functions, with libnrt's index where it lists them. */
static struct nrt_diag_dev *nrt_diag_devices(const struct nrt_diag_opts *o, size_t *n)
{
	struct nrt_diag_dev *d;
	char (*bdfs)[32];
	nrt_device_list *l = NULL;
	long count, i;
	size_t k;

	count = nrt_facts_pci_devices(o->sysfs, &bdfs);
	if (count < 0) {
		*n = 0;
		return NULL;
	}
	d = nrt_tool_xmalloc(((size_t)count ? (size_t)count : 1) * sizeof(*d));
	if (nrt_device_list_get(&l) != NRT_SUCCESS)
		l = NULL;
	for (i = 0; i < count; i++) {
		snprintf(d[i].bdf, sizeof(d[i].bdf), "%s", bdfs[i]);
		snprintf(d[i].dir, sizeof(d[i].dir), "%s/bus/pci/devices/%s", o->sysfs, bdfs[i]);
		d[i].index = -1;
		for (k = 0; l && k < nrt_device_list_count(l); k++)
			if (!strcmp(nrt_device_list_entry(l, k)->pci_bdf, bdfs[i]))
				d[i].index = (int)k;
		nrt_facts_read(d[i].dir, &d[i].f);
	}
	nrt_device_list_free(l);
	free(bdfs);
	*n = (size_t)count;
	return d;
}

void nrt_diag_level1(struct nrt_diag_report *r, const struct nrt_diag_opts *o)
{
	struct nrt_diag_dev *d;
	char modver[32];
	bool loaded;
	size_t n, i;

	d = nrt_diag_devices(o, &n);
	if (!d) {
		nrt_diag_not_run(r, "cannot list the PCI devices in %s/bus/pci/devices: %s",
				 o->sysfs, strerror(errno));
		return;
	}
	if (!n && o->expect_devices <= 0) {
		nrt_diag_not_run(r, "no trn device in this machine (PCI ID 1af4:10f0)");
		free(d);
		return;
	}
	loaded = nrt_diag_module(r, o, modver, sizeof(modver));
	nrt_diag_bound(r, o, d, n);
	if (loaded)
		nrt_diag_open(r, modver);
	for (i = 0; i < n; i++) {
		if (!d[i].f.bound)
			continue;
		nrt_diag_ecc(r, &d[i]);
		nrt_diag_sensors(r, &d[i]);
		nrt_diag_state(r, &d[i]);
		nrt_diag_pcie(r, &d[i]);
	}
	if (loaded)
		nrt_diag_links(r, o);
	free(d);
}
