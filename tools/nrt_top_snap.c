// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-top's snapshots: sysfs, hwmon and fdinfo, and rates between two.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nrt.h"
#include "nrt_facts.h"
#include "nrt_top_snap.h"

#define NRT_TOP_DRIVER "trn"

const char *const nrt_top_core_ctr_names[NRT_TOP_CORE_NCTRS] = {
	[NRT_TOP_CORE_BUSY_NS] = "busy_ns",
	[NRT_TOP_CORE_TENSOR_BUSY_NS] = "tensor_busy_ns",
	[NRT_TOP_CORE_VECTOR_BUSY_NS] = "vector_busy_ns",
	[NRT_TOP_CORE_SCALAR_BUSY_NS] = "scalar_busy_ns",
	[NRT_TOP_CORE_DMA_BUSY_NS] = "dma_busy_ns",
	[NRT_TOP_CORE_PROGRAMS] = "programs",
	[NRT_TOP_CORE_INSTRUCTIONS] = "instructions",
	[NRT_TOP_CORE_FLOPS] = "flops",
	[NRT_TOP_CORE_ERRORS] = "errors",
	[NRT_TOP_CORE_JOBS_COMPLETED] = "jobs_completed",
	[NRT_TOP_CORE_JOBS_FAILED] = "jobs_failed",
	[NRT_TOP_CORE_JOBS_TIMED_OUT] = "jobs_timed_out",
};

const char *const nrt_top_dev_ctr_names[NRT_TOP_DEV_NCTRS] = {
	[NRT_TOP_DEV_JOBS_COMPLETED] = "jobs_completed",
	[NRT_TOP_DEV_JOBS_FAILED] = "jobs_failed",
	[NRT_TOP_DEV_JOBS_TIMED_OUT] = "jobs_timed_out",
	[NRT_TOP_DEV_DMA_BYTES] = "dma_bytes",
	[NRT_TOP_DEV_DMA_BUSY_NS] = "dma_busy_ns",
	[NRT_TOP_DEV_HBM_PEAK] = "hbm_peak",
	[NRT_TOP_DEV_ECC_CORRECTED] = "ecc_corrected",
	[NRT_TOP_DEV_ECC_UNCORRECTED] = "ecc_uncorrected",
	[NRT_TOP_DEV_THROTTLED_NS] = "throttled_ns",
};

/* --- attributes ------------------------------------------------------------ */

/* A line of text without its newline; false if unreadable or too long. */
static bool nrt_top_read_str(int dirfd, const char *path, char *buf, size_t size)
{
	char tmp[64];
	ssize_t len = nrt_proc_read_text(dirfd, path, tmp, sizeof(tmp));

	if (len < 0)
		return false;
	while (len > 0 && isspace((unsigned char)tmp[len - 1]))
		tmp[--len] = '\0';
	if ((size_t)len >= size)
		return false;
	memcpy(buf, tmp, (size_t)len + 1);
	return true;
}

/* A decimal attribute: digits, an optional minus sign, a newline. */
static bool nrt_top_read_i64(int dirfd, const char *path, int64_t *out)
{
	char buf[32], *end;
	long long v;

	if (!nrt_top_read_str(dirfd, path, buf, sizeof(buf)) || !buf[0])
		return false;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* An unsigned decimal attribute, or NRT_TOP_NA. */
static uint64_t nrt_top_read_u64(int dirfd, const char *path)
{
	char buf[32], *end;
	unsigned long long v;

	if (!nrt_top_read_str(dirfd, path, buf, sizeof(buf)) ||
	    !isdigit((unsigned char)buf[0]))
		return NRT_TOP_NA;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end || v == NRT_TOP_NA)
		return NRT_TOP_NA;
	return v;
}

/* --- devices --------------------------------------------------------------- */

/* hwmon/hwmon<N>/ of the device whose name is "trn" (the first one). */
static void nrt_top_read_hwmon(int devfd, struct nrt_top_dev *d)
{
	char name[32], path[64];
	struct dirent *de;
	int fd, hw = -1;
	int64_t v;
	DIR *dir;

	d->temp_max_mc = d->temp_crit_mc = NRT_TOP_NA;
	d->power_uw = d->power_max_uw = d->power_cap_uw = NRT_TOP_NA;
	fd = openat(devfd, "hwmon", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (hw < 0 && (de = readdir(dir))) {
		if (strncmp(de->d_name, "hwmon", 5) || strlen(de->d_name) > 32)
			continue;
		snprintf(path, sizeof(path), "%s/name", de->d_name);
		if (!nrt_top_read_str(fd, path, name, sizeof(name)) ||
		    strcmp(name, NRT_TOP_DRIVER))
			continue;
		hw = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	closedir(dir);
	if (hw < 0)
		return;
	if (nrt_top_read_i64(hw, "temp1_input", &v)) {
		d->have_temp = true;
		d->temp_mc = v;
	}
	d->temp_max_mc = nrt_top_read_u64(hw, "temp1_max");
	d->temp_crit_mc = nrt_top_read_u64(hw, "temp1_crit");
	d->power_uw = nrt_top_read_u64(hw, "power1_input");
	/* The rating; an older driver called it power1_max */
	d->power_max_uw = nrt_top_read_u64(hw, "power1_rated_max");
	if (d->power_max_uw == NRT_TOP_NA)
		d->power_max_uw = nrt_top_read_u64(hw, "power1_max");
	d->power_cap_uw = nrt_top_read_u64(hw, "power1_cap");
	close(hw);
}

static void nrt_top_read_link(int devfd, unsigned int port, uint64_t host,
			      struct nrt_top_link *l)
{
	char path[32];
	int fd;

	memset(l, 0, sizeof(*l));
	l->port = port;
	l->peer_chip = l->peer_port = l->peer_host = -1;
	l->tx_bps = l->rx_bps = -1;
	snprintf(path, sizeof(path), "link%u", port);
	fd = openat(devfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (!nrt_top_read_str(fd, "state", l->state, sizeof(l->state)))
			l->state[0] = '\0';
		/* Empty unless the port is up. */
		if (!nrt_top_read_i64(fd, "peer_chip", &l->peer_chip))
			l->peer_chip = -1;
		if (!nrt_top_read_i64(fd, "peer_port", &l->peer_port))
			l->peer_port = -1;
		/* A driver without hosts: every cable stays within this one. */
		if (!nrt_top_read_i64(fd, "peer_host", &l->peer_host))
			l->peer_host = -1;
		if (l->peer_host < 0 && l->peer_chip >= 0 && faccessat(fd, "peer_host", F_OK, 0))
			l->peer_host = host == NRT_TOP_NA ? 0 : (int64_t)host;
		if (!nrt_top_read_str(fd, "peer_device", l->peer_device,
				      sizeof(l->peer_device)))
			l->peer_device[0] = '\0';
	}
	/* An unreadable port directory leaves every counter unknown. */
	l->speed_gbps = nrt_top_read_u64(fd, "speed");
	l->width = nrt_top_read_u64(fd, "width");
	l->err_crc = nrt_top_read_u64(fd, "err_crc");
	l->err_replay = nrt_top_read_u64(fd, "err_replay");
	l->tx_bytes = nrt_top_read_u64(fd, "tx_bytes");
	l->rx_bytes = nrt_top_read_u64(fd, "rx_bytes");
	if (fd >= 0)
		close(fd);
}

/* Everything of one device; @d has its accel name, minor and BDF. */
static void nrt_top_read_dev(int devfd, struct nrt_top_dev *d)
{
	char path[64], reasons[64];
	uint64_t v;
	unsigned int i, c;
	int fd;

	d->chip_id = nrt_top_read_u64(devfd, "chip_id");
	d->host_id = nrt_top_read_u64(devfd, "host_id");
	v = nrt_top_read_u64(devfd, "neuron_cores");
	d->num_cores = v == NRT_TOP_NA ? 0 :
		       v > NRT_TOP_MAX_CORES ? NRT_TOP_MAX_CORES : (unsigned int)v;
	d->dma_engines = nrt_top_read_u64(devfd, "dma_engines");
	d->hbm_size = nrt_top_read_u64(devfd, "hbm_size");
	d->hbm_used = nrt_top_read_u64(devfd, "hbm_used");
	d->host_used = nrt_top_read_u64(devfd, "host_used");
	d->buffer_objects = nrt_top_read_u64(devfd, "buffer_objects");
	for (i = 0; i < NRT_TOP_DEV_NCTRS; i++) {
		snprintf(path, sizeof(path), "stats/%s", nrt_top_dev_ctr_names[i]);
		d->ctr[i] = nrt_top_read_u64(devfd, path);
	}
	for (c = 0; c < d->num_cores; c++) {
		snprintf(path, sizeof(path), "core%u", c);
		fd = openat(devfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		for (i = 0; i < NRT_TOP_CORE_NCTRS; i++)
			d->cores[c].ctr[i] = nrt_top_read_u64(fd, nrt_top_core_ctr_names[i]);
		d->cores[c].util = -1;
		if (fd >= 0)
			close(fd);
	}
	v = nrt_top_read_u64(devfd, "num_links");
	d->num_links = v == NRT_TOP_NA ? 0 :
		       v > NRT_TOP_MAX_LINKS ? NRT_TOP_MAX_LINKS : (unsigned int)v;
	for (i = 0; i < d->num_links; i++)
		nrt_top_read_link(devfd, i, d->host_id, &d->links[i]);
	nrt_top_read_hwmon(devfd, d);
	d->have_throttle = nrt_top_read_str(devfd, "throttle_reasons", reasons,
					    sizeof(reasons)) &&
			   nrt_facts_parse_throttle(reasons, &d->throttle);
	d->dma_bps = d->dma_util = d->link_tx_bps = d->link_rx_bps = -1;
	d->throttle_util = -1;
}

/*
 * The devices as libnrt lists them, with their numbering: a device whose
 * sysfs directory cannot be read is left out, the others keep their index.
 * Return: -1 if out of memory, else 0.
 */
static int nrt_top_collect_devs(struct nrt_top_snap *s)
{
	nrt_device_list *l;
	nrt_status st;
	size_t n, i;

	st = nrt_device_list_get(&l);
	if (st == NRT_RESOURCE)
		return -1;
	if (st != NRT_SUCCESS) {
		/* No driver: no devices, and nothing wrong with nrt-top. */
		if (st != NRT_NO_DRIVER)
			snprintf(s->error, sizeof(s->error), "%s", nrt_last_error());
		return 0;
	}
	n = nrt_device_list_count(l);
	s->devs = calloc(n ? n : 1, sizeof(*s->devs));
	if (!s->devs) {
		nrt_device_list_free(l);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const nrt_device_entry *e = nrt_device_list_entry(l, i);
		struct nrt_top_dev *d = &s->devs[s->num_devs];
		int devfd = open(e->sysfs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (devfd < 0)
			continue;
		d->index = e->index;
		d->minor = e->minor;
		snprintf(d->accel, sizeof(d->accel), "accel%u", e->minor);
		snprintf(d->pci_bdf, sizeof(d->pci_bdf), "%s", e->pci_bdf);
		nrt_top_read_dev(devfd, d);
		close(devfd);
		s->num_devs++;
	}
	nrt_device_list_free(l);
	return 0;
}

static int nrt_top_collect_procs(struct nrt_top_snap *s)
{
	struct nrt_proc_client *c;
	size_t n, i, k;

	if (nrt_proc_scan(&c, &n)) {
		if (errno == ENOMEM)
			return -1;
		snprintf(s->error, sizeof(s->error), "cannot read %s: %s",
			 nrt_proc_root(), strerror(errno));
		return 0;
	}
	s->procs = calloc(n ? n : 1, sizeof(*s->procs));
	if (!s->procs) {
		free(c);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct nrt_top_proc *p = &s->procs[i];

		p->c = c[i];
		p->dev = -1;
		p->core_util = p->dma_util = -1;
		for (k = 0; k < s->num_devs; k++) {
			if (!strcmp(s->devs[k].pci_bdf, c[i].fd.pdev))
				p->dev = (int)k;
		}
	}
	s->num_procs = n;
	free(c);
	return 0;
}

int nrt_top_collect(struct nrt_top_snap *s)
{
	struct timespec mono, real;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	s->mono_ns = (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec;
	s->real_ms = (int64_t)real.tv_sec * 1000 + real.tv_nsec / 1000000;
	if (nrt_top_collect_devs(s) || nrt_top_collect_procs(s)) {
		nrt_top_snap_free(s);
		return -1;
	}
	return 0;
}

void nrt_top_snap_free(struct nrt_top_snap *s)
{
	free(s->devs);
	free(s->procs);
	memset(s, 0, sizeof(*s));
}

/* --- rates ------------------------------------------------------------------ */

double nrt_top_rate(uint64_t prev, uint64_t cur, uint64_t dt_ns)
{
	if (prev == NRT_TOP_NA || cur == NRT_TOP_NA || !dt_ns)
		return -1;
	if (cur < prev)
		return 0;
	return (double)(cur - prev) * 1e9 / (double)dt_ns;
}

double nrt_top_ratio(uint64_t prev, uint64_t cur, uint64_t dt_ns,
		     uint64_t capacity)
{
	double r = nrt_top_rate(prev, cur, dt_ns);

	if (r < 0)
		return -1;
	if (capacity == NRT_TOP_NA || !capacity)
		capacity = 1;
	r /= 1e9 * (double)capacity;
	return r > 1 ? 1 : r;
}

static const struct nrt_top_dev *nrt_top_find_dev(const struct nrt_top_snap *s,
						  const char *bdf)
{
	size_t i;

	for (i = 0; i < s->num_devs; i++) {
		if (!strcmp(s->devs[i].pci_bdf, bdf))
			return &s->devs[i];
	}
	return NULL;
}

static void nrt_top_dev_delta(struct nrt_top_dev *d, const struct nrt_top_dev *p,
			      uint64_t dt)
{
	unsigned int i;
	double tx = 0, rx = 0;
	bool have_tx = false, have_rx = false;

	for (i = 0; i < d->num_cores && i < p->num_cores; i++)
		d->cores[i].util = nrt_top_ratio(p->cores[i].ctr[NRT_TOP_CORE_BUSY_NS],
						 d->cores[i].ctr[NRT_TOP_CORE_BUSY_NS],
						 dt, 1);
	d->dma_bps = nrt_top_rate(p->ctr[NRT_TOP_DEV_DMA_BYTES],
				  d->ctr[NRT_TOP_DEV_DMA_BYTES], dt);
	/* dma_busy_ns adds up the engines: a share of all of them */
	d->dma_util = nrt_top_ratio(p->ctr[NRT_TOP_DEV_DMA_BUSY_NS],
				    d->ctr[NRT_TOP_DEV_DMA_BUSY_NS], dt, d->dma_engines);
	d->throttle_util = nrt_top_ratio(p->ctr[NRT_TOP_DEV_THROTTLED_NS],
					 d->ctr[NRT_TOP_DEV_THROTTLED_NS], dt, 1);
	for (i = 0; i < d->num_links && i < p->num_links; i++) {
		struct nrt_top_link *l = &d->links[i];

		l->tx_bps = nrt_top_rate(p->links[i].tx_bytes, l->tx_bytes, dt);
		l->rx_bps = nrt_top_rate(p->links[i].rx_bytes, l->rx_bytes, dt);
		if (l->tx_bps >= 0) {
			tx += l->tx_bps;
			have_tx = true;
		}
		if (l->rx_bps >= 0) {
			rx += l->rx_bps;
			have_rx = true;
		}
	}
	d->link_tx_bps = have_tx ? tx : -1;
	d->link_rx_bps = have_rx ? rx : -1;
}

void nrt_top_delta(struct nrt_top_snap *cur, const struct nrt_top_snap *prev)
{
	uint64_t dt;
	size_t i, j;

	if (!prev || cur->mono_ns <= prev->mono_ns)
		return;
	dt = cur->mono_ns - prev->mono_ns;
	cur->have_rates = true;
	cur->interval_s = (double)dt / 1e9;
	for (i = 0; i < cur->num_devs; i++) {
		const struct nrt_top_dev *p = nrt_top_find_dev(prev, cur->devs[i].pci_bdf);

		if (p)
			nrt_top_dev_delta(&cur->devs[i], p, dt);
	}
	for (i = 0; i < cur->num_procs; i++) {
		struct nrt_top_proc *c = &cur->procs[i];

		for (j = 0; j < prev->num_procs; j++) {
			const struct nrt_top_proc *p = &prev->procs[j];

			if (p->c.pid != c->c.pid || p->c.fd.client_id != c->c.fd.client_id ||
			    strcmp(p->c.fd.pdev, c->c.fd.pdev))
				continue;
			c->core_util = nrt_top_ratio(p->c.fd.core_ns, c->c.fd.core_ns,
						     dt, c->c.fd.core_capacity);
			c->dma_util = nrt_top_ratio(p->c.fd.dma_ns, c->c.fd.dma_ns,
						    dt, c->c.fd.dma_capacity);
			break;
		}
	}
}
