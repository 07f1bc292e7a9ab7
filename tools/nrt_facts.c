// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * What sysfs says about a device: see nrt_facts.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nrt_facts.h"

const char *nrt_facts_sysfs_root(void)
{
	const char *root = secure_getenv("NRT_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

/* Read the file @dir/@name, NUL-terminated, into @buf. Return: bytes, or -1. */
static ssize_t nrt_facts_file(const char *dir, const char *name, char *buf,
			      size_t size)
{
	char path[PATH_MAX];
	ssize_t n, len = 0;
	int fd, ret;

	ret = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ret < 0 || (size_t)ret >= sizeof(path) || size < 2)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - (size_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

bool nrt_facts_attr(const char *dir, const char *name, char *buf, size_t size)
{
	if (nrt_facts_file(dir, name, buf, size) < 0) {
		if (size)
			buf[0] = '\0';
		return false;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* An unsigned decimal attribute, or NRT_FACT_NA. */
static uint64_t nrt_facts_u64(const char *dir, const char *name)
{
	char buf[32], *end;
	unsigned long long v;

	if (!nrt_facts_attr(dir, name, buf, sizeof(buf)) || buf[0] < '0' ||
	    buf[0] > '9')
		return NRT_FACT_NA;
	errno = 0;
	v = strtoull(buf, &end, 10);
	return errno || *end ? NRT_FACT_NA : (uint64_t)v;
}

/* The lines of a list attribute (retired_pages), or NRT_FACT_NA. */
static uint64_t nrt_facts_lines(const char *dir, const char *name)
{
	char buf[4096];
	uint64_t n = 0;
	ssize_t len, i;

	/*
	 * The driver's lists fit a sysfs page, made of whole lines only
	 * (Documentation/sysfs.rst): 4095 bytes at most, all read.
	 */
	len = nrt_facts_file(dir, name, buf, sizeof(buf));
	if (len < 0)
		return NRT_FACT_NA;
	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* A signed decimal attribute, or -1 (also for negative values). */
static int64_t nrt_facts_s64(const char *dir, const char *name)
{
	uint64_t v = nrt_facts_u64(dir, name);

	return v == NRT_FACT_NA || v > INT64_MAX ? -1 : (int64_t)v;
}

unsigned int nrt_facts_parse_speed(const char *s)
{
	unsigned int whole = 0, tenth = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9' && whole < 100000)
		whole = whole * 10 + (unsigned int)(*p++ - '0');
	if (*p == '.') {
		p++;
		if (*p >= '0' && *p <= '9')
			tenth = (unsigned int)(*p - '0');
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (strncmp(p, " GT/s", 5))
		return 0;
	return whole * 10 + tenth;
}

uint64_t nrt_facts_parse_aer(const char *text)
{
	const char *p = text;
	unsigned long long v;

	while (p && *p) {
		if (!strncmp(p, "TOTAL_ERR_", 10)) {
			const char *sp = strchr(p, ' ');

			if (sp && sscanf(sp, " %llu", &v) == 1)
				return (uint64_t)v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NRT_FACT_NA;
}

const char *const nrt_throttle_names[NRT_THROTTLE_NREASONS] = {
	"power_cap", "thermal", "unknown",
};

bool nrt_facts_parse_throttle(const char *text, uint32_t *mask)
{
	const char *p = text, *end;
	size_t len;
	unsigned int i;

	*mask = 0;
	if (!text || !*text)
		return false;
	if (!strcmp(text, "none"))
		return true;
	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (!len) {
			*mask = 0;
			return false;
		}
		for (i = 0; i < NRT_THROTTLE_NREASONS; i++)
			if (strlen(nrt_throttle_names[i]) == len &&
			    !strncmp(p, nrt_throttle_names[i], len))
				break;
		*mask |= i < NRT_THROTTLE_NREASONS ? 1u << i : NRT_THROTTLE_UNKNOWN;
		if (!end)
			return true;
		p = end + 1;
	}
}

char *nrt_facts_format_throttle(uint32_t mask, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int i;
	int n;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (!mask) {
		snprintf(buf, size, "none");
		return buf;
	}
	for (i = 0; i < NRT_THROTTLE_NREASONS && len < size; i++) {
		if (!(mask & (1u << i)))
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
			     nrt_throttle_names[i]);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

static uint64_t nrt_facts_aer(const char *dir, const char *name)
{
	char buf[2048];

	if (nrt_facts_file(dir, name, buf, sizeof(buf)) < 0)
		return NRT_FACT_NA;
	return nrt_facts_parse_aer(buf);
}

/* The trn hwmon device's directory under @dir, into @out. */
static bool nrt_facts_hwmon(const char *dir, char *out, size_t size)
{
	char path[PATH_MAX], name[32];
	struct dirent *de;
	bool found = false;
	DIR *d;
	int ret;

	ret = snprintf(path, sizeof(path), "%s/hwmon", dir);
	if (ret < 0 || (size_t)ret >= sizeof(path))
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (strncmp(de->d_name, "hwmon", 5))
			continue;
		ret = snprintf(out, size, "%s/%s", path, de->d_name);
		found = ret >= 0 && (size_t)ret < size &&
			nrt_facts_attr(out, "name", name, sizeof(name)) &&
			!strcmp(name, "trn");
	}
	closedir(d);
	return found;
}

int64_t nrt_facts_read_power(const char *dir)
{
	char hw[PATH_MAX];

	if (!nrt_facts_hwmon(dir, hw, sizeof(hw)))
		return -1;
	return nrt_facts_s64(hw, "power1_input");
}

static void nrt_facts_sensors(const char *dir, struct nrt_facts *f)
{
	char hw[PATH_MAX];

	if (!nrt_facts_hwmon(dir, hw, sizeof(hw)))
		return;
	f->temp = nrt_facts_s64(hw, "temp1_input");
	f->temp_max = nrt_facts_s64(hw, "temp1_max");
	f->temp_crit = nrt_facts_s64(hw, "temp1_crit");
	f->power = nrt_facts_s64(hw, "power1_input");
	f->power_rated_max = nrt_facts_s64(hw, "power1_rated_max");
	f->power_cap = nrt_facts_s64(hw, "power1_cap");
	f->power_cap_min = nrt_facts_s64(hw, "power1_cap_min");
	f->power_cap_max = nrt_facts_s64(hw, "power1_cap_max");
}

/* The compute modes of the NeuronCores, core0/ up to the first missing. */
static void nrt_facts_core_modes(const char *dir, struct nrt_facts *f)
{
	char name[32], mode[32];
	unsigned int c;

	for (c = 0; c < 64; c++) {
		snprintf(name, sizeof(name), "core%u/compute_mode", c);
		if (!nrt_facts_attr(dir, name, mode, sizeof(mode)))
			break;
		f->core_modes_known = true;
		if (!strcmp(mode, "exclusive_process"))
			f->exclusive_cores |= UINT64_C(1) << c;
	}
}

static void nrt_facts_link(const char *dir, struct nrt_facts *f)
{
	char buf[64];
	uint64_t v;

	if (nrt_facts_attr(dir, "current_link_speed", buf, sizeof(buf)))
		f->link_speed_dgts = nrt_facts_parse_speed(buf);
	if (nrt_facts_attr(dir, "max_link_speed", buf, sizeof(buf)))
		f->link_max_speed_dgts = nrt_facts_parse_speed(buf);
	v = nrt_facts_u64(dir, "current_link_width");
	f->link_width = v == NRT_FACT_NA || v > 64 ? 0 : (unsigned int)v;
	v = nrt_facts_u64(dir, "max_link_width");
	f->link_max_width = v == NRT_FACT_NA || v > 64 ? 0 : (unsigned int)v;
}

void nrt_facts_init(struct nrt_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->aer_correctable = f->aer_nonfatal = f->aer_fatal = NRT_FACT_NA;
	f->numa_node = -1;
	f->wedged = -1;
	f->reset_count = f->ecc_corrected = f->ecc_uncorrected = NRT_FACT_NA;
	f->ecc_corrected_aggregate = f->ecc_uncorrected_aggregate = NRT_FACT_NA;
	f->retired_pages = f->retired_pending = f->unlogged_pages = NRT_FACT_NA;
	f->throttled_ns = NRT_FACT_NA;
	f->temp = f->temp_max = f->temp_crit = -1;
	f->power = f->power_rated_max = -1;
	f->power_cap = f->power_cap_min = f->power_cap_max = -1;
}

void nrt_facts_read(const char *dir, struct nrt_facts *f)
{
	char buf[32], *end;
	long v;

	nrt_facts_init(f);

	nrt_facts_attr(dir, "serial_number", f->serial_number, sizeof(f->serial_number));
	nrt_facts_attr(dir, "uuid", f->uuid, sizeof(f->uuid));
	nrt_facts_attr(dir, "firmware_version", f->firmware_version,
		       sizeof(f->firmware_version));
	nrt_facts_link(dir, f);
	f->aer_correctable = nrt_facts_aer(dir, "aer_dev_correctable");
	f->aer_nonfatal = nrt_facts_aer(dir, "aer_dev_nonfatal");
	f->aer_fatal = nrt_facts_aer(dir, "aer_dev_fatal");
	if (nrt_facts_attr(dir, "numa_node", buf, sizeof(buf))) {
		errno = 0;
		v = strtol(buf, &end, 10);
		if (!errno && end != buf && !*end && v >= 0 && v <= INT32_MAX)
			f->numa_node = (int)v;
	}
	nrt_facts_attr(dir, "local_cpulist", f->local_cpulist, sizeof(f->local_cpulist));
	nrt_facts_attr(dir, "compute_mode", f->compute_mode, sizeof(f->compute_mode));
	nrt_facts_core_modes(dir, f);
	nrt_facts_attr(dir, "throttle_reasons", f->throttle_reasons,
		       sizeof(f->throttle_reasons));
	if (nrt_facts_attr(dir, "wedged", buf, sizeof(buf)) &&
	    (!strcmp(buf, "0") || !strcmp(buf, "1")))
		f->wedged = buf[0] - '0';
	f->reset_count = nrt_facts_u64(dir, "reset_count");
	f->ecc_corrected = nrt_facts_u64(dir, "stats/ecc_corrected");
	f->ecc_uncorrected = nrt_facts_u64(dir, "stats/ecc_uncorrected");
	f->ecc_corrected_aggregate = nrt_facts_u64(dir, "stats/ecc_corrected_aggregate");
	f->ecc_uncorrected_aggregate = nrt_facts_u64(dir, "stats/ecc_uncorrected_aggregate");
	f->retired_pages = nrt_facts_lines(dir, "retired_pages");
	f->retired_pending = nrt_facts_lines(dir, "retired_pages_pending");
	f->unlogged_pages = nrt_facts_u64(dir, "unlogged_pages");
	f->throttled_ns = nrt_facts_u64(dir, "stats/throttled_ns");
	f->bound = nrt_facts_attr(dir, "chip_id", buf, sizeof(buf));
	/* The version of the module bound to the device (driver 0.5 has no per-device copy) */
	nrt_facts_attr(dir, "driver/module/version", f->driver_version,
		       sizeof(f->driver_version));
	nrt_facts_sensors(dir, f);
}

bool nrt_facts_link_degraded(const struct nrt_facts *f)
{
	if (!f->link_speed_dgts || !f->link_max_speed_dgts || !f->link_width ||
	    !f->link_max_width)
		return false;
	return f->link_speed_dgts < f->link_max_speed_dgts ||
	       f->link_width < f->link_max_width;
}

static int nrt_facts_bdf_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

long nrt_facts_pci_devices(const char *sysfs, char (**out)[32])
{
	char path[PATH_MAX], dir[PATH_MAX], buf[16];
	char (*v)[32] = NULL, (*nv)[32];
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret;

	*out = NULL;
	ret = snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs);
	if (ret < 0 || (size_t)ret >= sizeof(path))
		return -1;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;       /* no PCI bus at all */
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 32)
			continue;
		ret = snprintf(dir, sizeof(dir), "%s/%s", path, de->d_name);
		if (ret < 0 || (size_t)ret >= sizeof(dir) ||
		    !nrt_facts_attr(dir, "vendor", buf, sizeof(buf)) ||
		    strtoul(buf, NULL, 16) != NRT_FACTS_VENDOR ||
		    !nrt_facts_attr(dir, "device", buf, sizeof(buf)) ||
		    strtoul(buf, NULL, 16) != NRT_FACTS_DEVICE)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
		}
		snprintf(v[n++], sizeof(v[0]), "%s", de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), nrt_facts_bdf_cmp);
	*out = v;
	return (long)n;
}
