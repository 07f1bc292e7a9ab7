// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * The operations of the fault-injection sweep (tests/vm/fault_sweep.c):
 * each prepares what it needs, runs one thing a process or the PCI core
 * does to trn.ko, and is undone by st_release(); and the devices they work
 * on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <xf86drm.h>

#include "drm/trn_accel.h"
#include "linux/trn_link.h"
#include "kdebug.h"
#include "fault_sweep.h"

#define SMALL_BO	(64 * 1024)

struct dev devs[MAX_DEVS];
unsigned int ndevs;

/* --- small helpers -------------------------------------------------------- */

static int dev_open(unsigned int d)
{
	int fd = open(devs[d].node, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int ioctl_err(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? -errno : 0;
}

static int bo_create(int fd, uint64_t size, uint32_t placement, uint32_t *handle,
		     uint64_t *va)
{
	struct drm_trn_bo_create c = { .size = size, .placement = placement };
	int ret = ioctl_err(fd, DRM_IOCTL_TRN_BO_CREATE, &c);

	if (!ret) {
		*handle = c.handle;
		if (va)
			*va = c.va;
	}
	return ret;
}

void st_init(struct st *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < MAX_DEVS; i++)
		st->fd[i] = -1;
	st->dmabuf = -1;
}

void st_release(struct st *st)
{
	unsigned int i;

	if (st->map)
		munmap(st->map, st->map_len);
	if (st->nl)
		nl_socket_free(st->nl);
	if (st->dmabuf >= 0)
		close(st->dmabuf);
	for (i = 0; i < MAX_DEVS; i++)
		if (st->fd[i] >= 0)
			close(st->fd[i]);
	st_init(st);
}

char *dev_path(unsigned int d, const char *file)
{
	static char path[256];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", devs[d].bdf, file);
	return path;
}

static bool dev_bound(unsigned int d)
{
	return kd_exists(dev_path(d, "driver"));
}

int dev_bind(unsigned int d)
{
	if (dev_bound(d))
		return 0;
	kd_write("/sys/bus/pci/drivers/trn/bind", "%s", devs[d].bdf);
	return dev_bound(d) ? 0 : -ENODEV;
}

static int dev_unbind(unsigned int d)
{
	if (!dev_bound(d))
		return 0;
	return kd_write("/sys/bus/pci/drivers/trn/unbind", "%s", devs[d].bdf);
}

/* --- operations ----------------------------------------------------------------- */

static int prep_open0(struct st *st)
{
	st->fd[0] = dev_open(0);
	return st->fd[0] < 0 ? st->fd[0] : 0;
}

static int prep_bo0(struct st *st)
{
	int ret = prep_open0(st);

	return ret ?: bo_create(st->fd[0], SMALL_BO, DRM_TRN_PLACEMENT_HBM, &st->bo[0],
				&st->bo_va[0]);
}

static int run_open(struct st *st)
{
	return prep_open0(st);
}

static int run_query(struct st *st)
{
	struct drm_trn_device_info info;
	struct drm_trn_query q = {
		.query = DRM_TRN_QUERY_DEVICE_INFO,
		.size = sizeof(info),
		.data = (uintptr_t)&info,
	};

	return ioctl_err(st->fd[0], DRM_IOCTL_TRN_QUERY, &q);
}

static int run_bo_hbm(struct st *st)
{
	return bo_create(st->fd[0], SMALL_BO, DRM_TRN_PLACEMENT_HBM, &st->bo[0], NULL);
}

/* Enough to need page tables of every level anew after the first object. */
static int run_bo_hbm_big(struct st *st)
{
	return bo_create(st->fd[0], 6u << 20, DRM_TRN_PLACEMENT_HBM, &st->bo[0], NULL);
}

static int run_bo_host(struct st *st)
{
	return bo_create(st->fd[0], SMALL_BO, DRM_TRN_PLACEMENT_HOST, &st->bo[0], NULL);
}

static int run_bo_info(struct st *st)
{
	struct drm_trn_bo_info i = { .handle = st->bo[0] };

	return ioctl_err(st->fd[0], DRM_IOCTL_TRN_BO_INFO, &i);
}

static int run_gem_close(struct st *st)
{
	struct drm_gem_close c = { .handle = st->bo[0] };

	return ioctl_err(st->fd[0], DRM_IOCTL_GEM_CLOSE, &c);
}

static int run_close(struct st *st)
{
	int ret = close(st->fd[0]) ? -errno : 0;

	st->fd[0] = -1;
	return ret;
}

/* An object and its mmap offset (kept in bo_va). */
static int prep_map(struct st *st, uint32_t placement)
{
	struct drm_trn_bo_info i;
	int ret;

	ret = prep_open0(st) ?: bo_create(st->fd[0], SMALL_BO, placement, &st->bo[0], NULL);
	if (ret)
		return ret;
	i = (struct drm_trn_bo_info){ .handle = st->bo[0] };
	ret = ioctl_err(st->fd[0], DRM_IOCTL_TRN_BO_INFO, &i);
	st->bo_va[0] = i.mmap_offset;
	return ret;
}

static int prep_map_hbm(struct st *st)
{
	return prep_map(st, DRM_TRN_PLACEMENT_HBM);
}

static int prep_map_host(struct st *st)
{
	return prep_map(st, DRM_TRN_PLACEMENT_HOST);
}

static int run_mmap(struct st *st)
{
	volatile uint8_t *p;

	st->map_len = SMALL_BO;
	st->map = mmap(NULL, st->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, st->fd[0],
		       st->bo_va[0]);
	if (st->map == MAP_FAILED) {
		st->map = NULL;
		return -errno;
	}
	p = st->map;
	p[0] = 1;
	return p[SMALL_BO - 1] == 0 ? 0 : -EIO;
}

static int prep_syncobj(struct st *st)
{
	int ret = prep_bo0(st);

	return ret ?: (drmSyncobjCreate(st->fd[0], 0, &st->syncobj) ? -errno : 0);
}

static int submit(struct st *st, const struct drm_trn_dma_desc *d, uint32_t n,
		  uint64_t point, bool in_sync)
{
	struct drm_trn_sync in = { .handle = st->syncobj };
	struct drm_trn_submit s = {
		.descs = (uintptr_t)d,
		.desc_count = n,
		.desc_size = sizeof(*d),
		.out_sync = { .handle = st->syncobj, .point = point },
	};

	if (in_sync) {
		s.in_syncs = (uintptr_t)&in;
		s.in_sync_count = 1;
	}
	return ioctl_err(st->fd[0], DRM_IOCTL_TRN_SUBMIT, &s);
}

static int run_submit_nop(struct st *st)
{
	struct drm_trn_dma_desc d = { .opcode = DRM_TRN_DMA_OP_NOP };

	return submit(st, &d, 1, 0, false);
}

static int run_submit_copy(struct st *st)
{
	struct drm_trn_dma_desc d[2] = {
		{ .opcode = DRM_TRN_DMA_OP_FILL, .src = 0x5a5a5a5a5a5a5a5aULL,
		  .dst = st->bo_va[0], .len = SMALL_BO / 2 },
		{ .opcode = DRM_TRN_DMA_OP_COPY, .src = st->bo_va[0],
		  .dst = st->bo_va[0] + SMALL_BO / 2, .len = SMALL_BO / 2 },
	};

	return submit(st, d, 2, 0, false);
}

static int prep_timeline(struct st *st)
{
	int ret = prep_bo0(st);

	return ret ?: (drmSyncobjCreate(st->fd[0], 0, &st->syncobj) ? -errno : 0);
}

static int run_submit_timeline(struct st *st)
{
	struct drm_trn_dma_desc d = { .opcode = DRM_TRN_DMA_OP_NOP };

	return submit(st, &d, 1, 1, false);
}

/* A job waiting for a signalled syncobj, and a second one on the queue. */
static int prep_in_sync(struct st *st)
{
	int ret = prep_syncobj(st);

	return ret ?: (drmSyncobjSignal(st->fd[0], &st->syncobj, 1) ? -errno : 0);
}

static int run_submit_in_sync(struct st *st)
{
	struct drm_trn_dma_desc d = { .opcode = DRM_TRN_DMA_OP_NOP };

	return submit(st, &d, 1, 0, true);
}

/* A NOP submitted, whose status DRM_IOCTL_TRN_WAIT then returns. */
static int prep_submitted(struct st *st)
{
	return prep_syncobj(st) ?: run_submit_nop(st);
}

static int run_wait(struct st *st)
{
	struct drm_trn_wait w = { .handle = st->syncobj };
	struct timespec now;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &now);
	w.timeout_ns = (int64_t)(now.tv_sec + 10) * 1000000000LL + now.tv_nsec;
	ret = ioctl_err(st->fd[0], DRM_IOCTL_TRN_WAIT, &w);
	return ret ?: w.status;
}

/* Wait (10 s at most) for what was submitted, so that closing frees at once. */
static void done_wait(struct st *st)
{
	struct timespec now;

	if (st->fd[0] < 0 || !st->syncobj)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	drmSyncobjWait(st->fd[0], &st->syncobj, 1,
		       (int64_t)(now.tv_sec + 10) * 1000000000LL + now.tv_nsec, 0, NULL);
}

/* Device 1's object, exported; device 0 imports it through its port. */
static int prep_export(struct st *st)
{
	int ret;

	st->fd[1] = dev_open(1);
	if (st->fd[1] < 0)
		return st->fd[1];
	ret = bo_create(st->fd[1], SMALL_BO, DRM_TRN_PLACEMENT_HBM, &st->bo[1], NULL);
	return ret;
}

static int run_prime_export(struct st *st)
{
	return drmPrimeHandleToFD(st->fd[1], st->bo[1], DRM_CLOEXEC | DRM_RDWR,
				  &st->dmabuf) ? -errno : 0;
}

static int prep_import(struct st *st)
{
	int ret = prep_export(st) ?: run_prime_export(st);

	if (ret)
		return ret;
	st->fd[0] = dev_open(0);
	return st->fd[0] < 0 ? st->fd[0] : 0;
}

static int run_peer_import(struct st *st)
{
	struct drm_trn_peer_import p = {
		.fd = st->dmabuf,
		.port = devs[0].port_to_other,
	};

	return ioctl_err(st->fd[0], DRM_IOCTL_TRN_PEER_IMPORT, &p);
}

/* The object is shared already: the second import reuses the export range. */
static int prep_import2(struct st *st)
{
	int ret = prep_import(st);

	return ret ?: run_peer_import(st);
}

static int prep_nl(struct st *st)
{
	int ret;

	st->nl = nl_socket_alloc();
	if (!st->nl)
		return -ENOMEM;
	ret = genl_connect(st->nl);
	if (ret)
		return -ENOTCONN;
	st->family = genl_ctrl_resolve(st->nl, TRN_LINK_FAMILY_NAME);
	if (st->family < 0)
		return -ENOENT;
	/* An answer that does not come fails the request instead of hanging. */
	return setsockopt(nl_socket_get_fd(st->nl), SOL_SOCKET, SO_RCVTIMEO,
			  &(struct timeval){ .tv_sec = 10 }, sizeof(struct timeval)) ? -errno : 0;
}

static int nl_request(struct st *st, uint8_t cmd, int flags, bool port, bool set)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, st->family, 0, flags, cmd,
			 TRN_LINK_FAMILY_VERSION) ||
	    nla_put_u32(msg, TRN_LINK_A_DEV_INDEX, devs[0].index) ||
	    (port && nla_put_u32(msg, TRN_LINK_A_PORT, 0)) ||
	    (set && nla_put_u32(msg, TRN_LINK_A_ERR_THRESHOLD, 0))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	ret = nl_send_auto(st->nl, msg);
	nlmsg_free(msg);
	if (ret < 0)
		return -EIO;
	/*
	 * libnl asks for an ACK: GET answers with its reply and then the ACK,
	 * a dump with its parts and DONE, SET with the ACK alone (waiting for
	 * a reply first would wait for a second ACK that never comes).
	 */
	ret = 0;
	if (cmd == TRN_LINK_CMD_GET)
		ret = nl_recvmsgs_default(st->nl);
	if (!ret && !(flags & NLM_F_DUMP))
		ret = nl_wait_for_ack(st->nl);
	/* libnl's error codes: what matters is failure or not. */
	return ret < 0 ? -EIO : 0;
}

static int run_nl_get(struct st *st)
{
	return nl_request(st, TRN_LINK_CMD_GET, 0, true, false);
}

static int run_nl_dump(struct st *st)
{
	return nl_request(st, TRN_LINK_CMD_GET, NLM_F_DUMP, false, false);
}

static int run_nl_set(struct st *st)
{
	return nl_request(st, TRN_LINK_CMD_SET, NLM_F_ACK, true, true);
}

static int run_sysfs_threshold(struct st *st)
{
	(void)st;
	return kd_write(dev_path(0, "link0/err_threshold"), "0");
}

static int run_sysfs_clear(struct st *st)
{
	(void)st;
	return kd_write(dev_path(0, "link0/clear_counters"), "1") ?:
	       kd_write(dev_path(0, "stats/clear"), "1");
}

static int run_fdinfo(struct st *st)
{
	char path[64], buf[4096];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", st->fd[0]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Probe and removal of device 1 through sysfs (they run in this thread). */
static int prep_unbound(struct st *st)
{
	(void)st;
	return dev_unbind(1);
}

static int run_bind(struct st *st)
{
	(void)st;
	kd_write("/sys/bus/pci/drivers/trn/bind", "%s", devs[1].bdf);
	return dev_bound(1) ? 0 : -ENODEV;
}

static int prep_bound(struct st *st)
{
	(void)st;
	return dev_bind(1);
}

static int run_unbind(struct st *st)
{
	(void)st;
	return kd_write("/sys/bus/pci/drivers/trn/unbind", "%s", devs[1].bdf);
}

/* Bound again; its accel minor may have changed. */
void done_rebind(struct st *st)
{
	char path[256];
	struct dirent *e;
	DIR *dir;

	(void)st;
	if (dev_bind(1))
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/accel", devs[1].bdf);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, "accel", 5))
			devs[1].index = strtoul(e->d_name + 5, NULL, 10);
	closedir(dir);
	snprintf(devs[1].node, sizeof(devs[1].node), "/dev/accel/accel%u", devs[1].index);
}

const struct op fault_ops[] = {
	{ "open", "open()", 1, false, NULL, run_open, NULL, false, false },
	{ "query", "QUERY", 1, false, prep_open0, run_query, NULL, false, false },
	{ "bo-hbm", "BO_CREATE of 64 KiB of HBM", 1, false, prep_open0, run_bo_hbm, NULL, false, false },
	{ "bo-hbm-big", "BO_CREATE of 6 MiB of HBM", 1, false, prep_bo0, run_bo_hbm_big, NULL,
	  false, false },
	{ "bo-host", "BO_CREATE of 64 KiB of host memory", 1, false, prep_open0, run_bo_host,
	  NULL, false, false },
	{ "bo-info", "BO_INFO", 1, false, prep_bo0, run_bo_info, NULL, false, false },
	{ "gem-close", "GEM_CLOSE", 1, false, prep_bo0, run_gem_close, NULL, false, false },
	{ "close", "close() of a file with an object", 1, false, prep_bo0, run_close, NULL,
	  false, false },
	{ "mmap-hbm", "mmap() and page faults of an HBM object", 1, false, prep_map_hbm,
	  run_mmap, NULL, false, false },
	{ "mmap-host", "mmap() and page faults of a host object", 1, false, prep_map_host,
	  run_mmap, NULL, false, false },
	{ "fdinfo", "fdinfo of a file", 1, false, prep_bo0, run_fdinfo, NULL, false, false },
	{ "submit-nop", "SUBMIT of a NOP with a binary out-sync", 1, false, prep_syncobj,
	  run_submit_nop, done_wait, false, false },
	{ "submit-copy", "SUBMIT of FILL and COPY", 1, false, prep_syncobj, run_submit_copy,
	  done_wait, false, false },
	{ "submit-timeline", "SUBMIT with a timeline out-sync", 1, false, prep_timeline,
	  run_submit_timeline, done_wait, false, false },
	{ "submit-in-sync", "SUBMIT with an in-sync", 1, false, prep_in_sync,
	  run_submit_in_sync, done_wait, false, false },
	{ "wait", "WAIT for a NOP's status", 1, false, prep_submitted, run_wait, NULL, false,
	  false },
	{ "prime-export", "PRIME export of an HBM object", 2, false, prep_export,
	  run_prime_export, NULL, false, false },
	{ "peer-import", "PEER_IMPORT of another device's object", 2, true, prep_import,
	  run_peer_import, NULL, false, false },
	{ "peer-import-again", "PEER_IMPORT of an object imported already", 2, true,
	  prep_import2, run_peer_import, NULL, false, false },
	{ "nl-get", "trn_link GET", 1, true, prep_nl, run_nl_get, NULL, false, false },
	{ "nl-dump", "trn_link GET dump", 1, true, prep_nl, run_nl_dump, NULL, false, false },
	{ "nl-set", "trn_link SET", 1, true, prep_nl, run_nl_set, NULL, false, false },
	{ "sysfs-threshold", "sysfs write of err_threshold", 1, true, NULL,
	  run_sysfs_threshold, NULL, false, false },
	{ "sysfs-clear", "sysfs writes of clear_counters and stats/clear", 1, true, NULL,
	  run_sysfs_clear, NULL, false, false },
	/*
	 * Probe meets its failures at the marked functions only: an allocation
	 * failed inside devm_drm_dev_alloc() (drm_sysfs_minor_alloc() in
	 * drm_minor_alloc()) leaves an ERR_PTR in minor->kdev, which
	 * drm_minor_alloc_release() then puts: a general protection fault in
	 * kobject_put() on Debian's 6.12.95, a bug of the DRM core's unwinding.
	 */
	{ "probe", "probe (sysfs bind)", 2, false, prep_unbound, run_bind, NULL, true, true },
	{ "remove", "removal (sysfs unbind)", 2, false, prep_bound, run_unbind, NULL, true, false },
};

const unsigned int fault_nops = sizeof(fault_ops) / sizeof(fault_ops[0]);

/* --- devices ------------------------------------------------------------------------- */

int find_devices(void)
{
	struct dirent *e;
	DIR *dir = opendir("/sys/bus/pci/drivers/trn");
	char path[512], link[256];
	unsigned int i, p;

	if (!dir)
		return -errno;
	while ((e = readdir(dir)) && ndevs < MAX_DEVS) {
		if (strncmp(e->d_name, "0000:", 5) || strlen(e->d_name) >= sizeof(devs[0].bdf))
			continue;
		strcpy(devs[ndevs].bdf, e->d_name);
		ndevs++;
	}
	closedir(dir);
	/* In bus order: device 0 first. */
	if (ndevs == 2 && strcmp(devs[0].bdf, devs[1].bdf) > 0) {
		struct dev tmp = devs[0];

		devs[0] = devs[1];
		devs[1] = tmp;
	}
	for (i = 0; i < ndevs; i++) {
		DIR *acc;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/accel", devs[i].bdf);
		acc = opendir(path);
		if (!acc)
			return -ENODEV;
		while ((e = readdir(acc)))
			if (!strncmp(e->d_name, "accel", 5))
				devs[i].index = strtoul(e->d_name + 5, NULL, 10);
		closedir(acc);
		snprintf(devs[i].node, sizeof(devs[i].node), "/dev/accel/accel%u", devs[i].index);
		devs[i].port_to_other = -1;
	}
	if (ndevs < 2)
		return 0;
	for (p = 0; p < 16; p++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/link%u/peer_device",
			 devs[0].bdf, p);
		f = fopen(path, "re");
		if (!f)
			break;
		if (fgets(link, sizeof(link), f)) {
			link[strcspn(link, "\n")] = '\0';
			if (!strncmp(link, "accel", 5) &&
			    strtoul(link + 5, NULL, 10) == devs[1].index) {
				devs[0].port_to_other = p;
				fclose(f);
				break;
			}
		}
		fclose(f);
	}
	return 0;
}
