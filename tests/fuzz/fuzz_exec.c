// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * trn-fuzz: the operations on mappings, /proc and sysfs files, the trn_link
 * netlink family and killed children; the table of all operations and the
 * execution of an input; the devices and their sysfs files.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <xf86drm.h>

#include "drm/trn_accel.h"
#include "linux/trn_link.h"
#include "kdebug.h"
#include "fuzz.h"

struct dev devs[MAX_DEVS];
unsigned int ndevs;
char sysfs_files[256][160];
unsigned int nsysfs;

static void op_mmap(struct ex *e, struct rd *r)
{
	int f = pick_fd(e, r), b;
	struct drm_trn_bo_info i;
	uint64_t pgoff, len;
	uint8_t c;
	void *p;

	if (f < 0 || e->nmap >= 8)
		return;
	b = pick_bo(e, r, f);
	if (b < 0)
		return;
	i = (struct drm_trn_bo_info){ .handle = e->bo[b].handle };
	if (drmIoctl(e->fd[f], DRM_IOCTL_TRN_BO_INFO, &i))
		return;
	c = g8(r);
	pgoff = c < 180 ? 0 : (g8(r) % 8) * 4096ULL;
	len = g8(r) < 200 ? e->bo[b].size : (1 + g8(r) % 16) * 4096ULL;
	if (!len || len > (1ULL << 30))
		return;
	c = g8(r);
	p = mmap(NULL, len, c < 230 ? PROT_READ | PROT_WRITE : PROT_READ,
		 c < 245 ? MAP_SHARED : MAP_PRIVATE, e->fd[f], i.mmap_offset + pgoff);
	if (p == MAP_FAILED)
		return;
	e->map[e->nmap++] = (struct map){ p, len };
	touch(p, true, g8(r));
	touch((uint8_t *)p + len - 1, false, 0);
}

static void op_munmap(struct ex *e, struct rd *r)
{
	struct map *m;
	size_t pages, first, n;
	unsigned int k;

	if (!e->nmap)
		return;
	k = g8(r) % e->nmap;
	m = &e->map[k];
	pages = m->len / 4096;
	first = g8(r) % (pages ? pages : 1);
	n = 1 + g8(r) % (pages - first ? pages - first : 1);
	if (first == 0 && n >= pages) {
		munmap(m->addr, m->len);
		e->map[k] = e->map[--e->nmap];
		return;
	}
	/* A hole or a cut end: the mapping splits; keep the first part. */
	munmap(m->addr + first * 4096, n * 4096);
	if (first)
		m->len = first * 4096;
	else {
		m->addr += n * 4096;
		m->len -= n * 4096;
	}
}

static void op_mremap(struct ex *e, struct rd *r)
{
	struct map *m;
	size_t len;
	void *p;

	if (!e->nmap)
		return;
	m = &e->map[g8(r) % e->nmap];
	len = (1 + g8(r) % 32) * 4096;
	p = mremap(m->addr, m->len, len, g8(r) & 1 ? MREMAP_MAYMOVE : 0);
	if (p == MAP_FAILED)
		return;
	m->addr = p;
	m->len = len;
	touch((uint8_t *)p + len - 1, g8(r) & 1, 0x5a);
}

static void op_access(struct ex *e, struct rd *r)
{
	struct map *m;
	size_t off;

	if (!e->nmap)
		return;
	m = &e->map[g8(r) % e->nmap];
	off = (g32(r) % (m->len + 8192)) & ~7UL;
	/*
	 * Reads may go past the end (a fault there is caught); writes stay
	 * inside: past the end may be another mapping of the process, such as
	 * a library's data, and a write there corrupts the fuzzer itself (its
	 * workers died of "symbol lookup error: undefined symbol: nlmsg_alloc").
	 */
	touch(m->addr + off, off < m->len && (g8(r) & 1), g8(r));
}

static void op_fdinfo(struct ex *e, struct rd *r)
{
	char path[64], buf[2048];
	int f = pick_fd(e, r), fd;

	if (f < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", e->fd[f]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static void op_sysfs(struct ex *e, struct rd *r)
{
	static const char *const vals[] = { "0", "1", "y", "n", "on", "4294967295",
					    "4294967296", "-1", "0x10", "abc", "", "1\n" };
	char buf[4096];
	const char *file;
	uint8_t c = g8(r);
	int fd;

	(void)e;
	if (!nsysfs)
		return;
	file = sysfs_files[g16(r) % nsysfs];
	if (c < 150) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf)) < 0) {
				/* errors are fine */
			}
			close(fd);
		}
		return;
	}
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (c < 240) {
		const char *v = vals[g8(r) % (sizeof(vals) / sizeof(vals[0]))];

		if (write(fd, v, strlen(v)) < 0) {
			/* errors are fine */
		}
	} else {
		uint8_t junk[24];
		unsigned int i;

		for (i = 0; i < sizeof(junk); i++)
			junk[i] = g8(r);
		if (write(fd, junk, 1 + junk[0] % sizeof(junk)) < 0) {
			/* errors are fine */
		}
	}
	close(fd);
}

/* --- netlink ------------------------------------------------------------------------- */

static struct nl_sock *nl;
static int nl_family = -1;

static int nl_ignore(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

void nl_setup(void)
{
	struct timeval tv = { .tv_sec = 2 };

	nl = nl_socket_alloc();
	if (!nl)
		return;
	if (genl_connect(nl)) {
		nl_socket_free(nl);
		nl = NULL;
		return;
	}
	nl_family = genl_ctrl_resolve(nl, TRN_LINK_FAMILY_NAME);
	setsockopt(nl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl_socket_modify_cb(nl, NL_CB_VALID, NL_CB_CUSTOM, nl_ignore, NULL);
}

static void op_netlink(struct ex *e, struct rd *r)
{
	struct nl_msg *msg;
	uint8_t c = g8(r), cmd;
	int flags = 0;

	(void)e;
	if (!nl || nl_family < 0)
		return;
	cmd = c < 150 ? TRN_LINK_CMD_GET : c < 230 ? TRN_LINK_CMD_SET : c % 8;
	if (cmd == TRN_LINK_CMD_GET && g8(r) & 1)
		flags |= NLM_F_DUMP;
	msg = nlmsg_alloc();
	if (!msg)
		return;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl_family, 0, flags, cmd,
			 g8(r) < 250 ? TRN_LINK_FAMILY_VERSION : 0))
		goto out;
	c = g8(r);
	if (c < 220)
		nla_put_u32(msg, TRN_LINK_A_DEV_INDEX,
			    c < 200 && ndevs ? devs[c % ndevs].index : g32(r));
	c = g8(r);
	if (c < 220)
		nla_put_u32(msg, TRN_LINK_A_PORT, c < 200 ? c % 4 : g32(r));
	c = g8(r);
	if (c > 128)
		nla_put_u32(msg, TRN_LINK_A_ERR_THRESHOLD, c < 200 ? c % 8 : g32(r));
	if (g8(r) > 180)
		nla_put_flag(msg, TRN_LINK_A_CLEAR_COUNTERS);
	c = g8(r);
	if (c > 230) {
		/* An attribute of the wrong size or an unknown one. */
		uint8_t payload[12] = { 0 };

		payload[0] = g8(r);
		nla_put(msg, g8(r) % (TRN_LINK_A_MAX + 3), c % 12, payload);
	}
	if (nl_send_auto(nl, msg) >= 0)
		nl_recvmsgs_default(nl);
out:
	nlmsg_free(msg);
}

/* --- a child that shares the files and is killed ----------------------------------------- */

static void op_fork_kill(struct ex *e, struct rd *r)
{
	unsigned int delay_us = g8(r) * 200;
	uint64_t seed = g64(r) | 1;
	pid_t pid;

	if (!e->nfd)
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		struct drm_trn_dma_desc d = { .opcode = DRM_TRN_DMA_OP_NOP };
		struct drm_trn_submit s = { .descs = (uintptr_t)&d, .desc_count = 1,
					    .desc_size = sizeof(d) };
		unsigned int i;

		for (i = 0; i < 200; i++) {
			unsigned int f = rng_below(&seed, e->nfd);
			struct drm_trn_bo_create c = { .size = 4096 * (1 + rng_below(&seed, 8)),
						       .placement = rng_below(&seed, 2) };

			switch (rng_below(&seed, 4)) {
			case 0:
				drmIoctl(e->fd[f], DRM_IOCTL_TRN_BO_CREATE, &c);
				break;
			case 1:
				s.queue = rng_below(&seed, devs[e->fd_dev[f]].queues);
				drmIoctl(e->fd[f], DRM_IOCTL_TRN_SUBMIT, &s);
				break;
			case 2:
				if (e->nbo) {
					struct drm_gem_close gc = {
						.handle = e->bo[rng_below(&seed, e->nbo)].handle
					};

					drmIoctl(e->fd[f], DRM_IOCTL_GEM_CLOSE, &gc);
				}
				break;
			default:
				close(open(devs[e->fd_dev[f]].node, O_RDWR));
				break;
			}
		}
		_exit(0);
	}
	usleep(delay_us);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* --- execution ---------------------------------------------------------------------------- */

typedef void (*op_fn)(struct ex *e, struct rd *r);

/*
 * Operations, weighted by how often they appear in the table. The corpus
 * selects them by index (byte 0 of a record modulo the table's size): an
 * operation added takes the place of a duplicate, so that the inputs of
 * the corpus keep doing what they did (op_wait took the SUBMIT that the
 * fewest of them used).
 */
static const op_fn ops[] = {
	op_open, op_close, op_dup, op_query, op_query,
	op_bo_create, op_bo_create, op_bo_create, op_bo_info, op_gem_close, op_gem_close,
	op_submit, op_wait, op_submit, op_submit, op_submit, op_write_program,
	op_peer_import, op_peer_import, op_prime, op_syncobj, op_syncobj, op_syncobj,
	op_mmap, op_mmap, op_munmap, op_mremap, op_access, op_access,
	op_fdinfo, op_sysfs, op_sysfs, op_netlink, op_netlink, op_fork_kill,
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static void ex_reset(struct ex *e)
{
	unsigned int i;

	for (i = 0; i < e->nmap; i++)
		munmap(e->map[i].addr, e->map[i].len);
	for (i = 0; i < e->nother; i++)
		close(e->other[i]);
	for (i = 0; i < e->nfd; i++)
		close(e->fd[i]);
	memset(e, 0, sizeof(*e));
}

void exec_input(const struct input *in)
{
	struct ex e = { 0 };
	unsigned int i;

	for (i = 0; i + REC <= in->len; i += REC) {
		struct rd r = { in->data + i + 1, 0 };

		ops[in->data[i] % NOPS](&e, &r);
	}
	ex_reset(&e);
}

/* --- devices ------------------------------------------------------------------------------------ */

void find_devices(void)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct dirent *ent;
	DIR *d = opendir("/sys/class/accel");
	unsigned int p;

	if (!d)
		return;
	while ((ent = readdir(d)) && ndevs < MAX_DEVS) {
		struct drm_trn_device_info info = { 0 };
		struct drm_trn_query q = { .size = sizeof(info), .data = (uintptr_t)&info };
		struct dev *v = &devs[ndevs];
		ssize_t n;
		int fd;

		if (strncmp(ent->d_name, "accel", 5))
			continue;
		snprintf(path, sizeof(path), "/sys/class/accel/%s/device/driver", ent->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(strrchr(target, '/') ? strrchr(target, '/') + 1 : target, "trn"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/accel/%s/device", ent->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		snprintf(v->bdf, sizeof(v->bdf), "%.15s",
			 strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
		snprintf(v->node, sizeof(v->node), "/dev/accel/%.50s", ent->d_name);
		v->index = strtoul(ent->d_name + 5, NULL, 10);
		fd = open(v->node, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!drmIoctl(fd, DRM_IOCTL_TRN_QUERY, &q)) {
			v->dma_queues = info.dma_queues;
			v->queues = info.dma_queues + info.core_queues;
			v->sems = info.num_sems;
		}
		close(fd);
		for (p = 0; p < 16; p++) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/link%u", v->bdf, p);
			if (!kd_exists(path))
				break;
		}
		v->links = p;
		ndevs++;
	}
	closedir(d);
}

/* The trn attributes in sysfs: read at random, written where they can be. */
void find_sysfs(void)
{
	static const char *const files[] = {
		"hbm_used", "host_used", "buffer_objects", "num_links", "chip_id",
		"stats/jobs_completed", "stats/jobs_failed", "stats/dma_bytes", "stats/hbm_peak",
		"stats/ecc_corrected", "stats/clear", "stats/ecc_clear",
		"core0/jobs_completed",
		"core0/busy_ns",
	};
	static const char *const port_files[] = {
		"state", "peer_device", "err_crc", "tx_bytes", "err_threshold", "clear_counters",
	};
	unsigned int d, i, p;

	for (d = 0; d < ndevs; d++) {
		for (i = 0; i < sizeof(files) / sizeof(files[0]) && nsysfs < 256; i++) {
			snprintf(sysfs_files[nsysfs], sizeof(sysfs_files[0]),
				 "/sys/bus/pci/devices/%s/%s", devs[d].bdf, files[i]);
			if (kd_exists(sysfs_files[nsysfs]))
				nsysfs++;
		}
		for (p = 0; p < devs[d].links && p < 4; p++)
			for (i = 0; i < sizeof(port_files) / sizeof(port_files[0]) && nsysfs < 256;
			     i++) {
				snprintf(sysfs_files[nsysfs], sizeof(sysfs_files[0]),
					 "/sys/bus/pci/devices/%s/link%u/%s", devs[d].bdf, p,
					 port_files[i]);
				if (kd_exists(sysfs_files[nsysfs]))
					nsysfs++;
			}
	}
}
