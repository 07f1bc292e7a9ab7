// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Fault-injection sweep of trn.ko, run as root in the debug guest kernel
 * (tests/vm/t/15-faults.sh): every operation of the driver is made to meet
 * a failure at each of its error-capable points in turn, and must come out
 * clean.
 *
 * An operation (open, BO_CREATE, SUBMIT, PEER_IMPORT, a netlink request, a
 * sysfs write, probe through sysfs bind, ...) runs once without injection,
 * then again for N = 1, 2, ... with /proc/thread-self/fail-nth set to N: the
 * Nth call in this thread of a fault-injection point fails. The points
 * counted are slab and page allocations (failslab, fail_page_alloc) made
 * with trn.ko code on the stack (the stack-trace filter of each capability
 * is set to trn.ko's text), and in a second pass the calls of each function
 * trn.ko marks with ALLOW_ERROR_INJECTION (fail_function), one function at a
 * time. The sweep of an operation ends at the first N that reaches no
 * point: the operation then ran to its end with every point before it
 * having failed once.
 *
 * After every run: all files closed, the device's counters in sysfs
 * (buffer_objects, hbm_used, host_used) must come back to what they were
 * before the operation, and the kernel log must hold no report
 * (tests/vm/kernel-reports) but the allocation failures it was told of.
 * An injected failure the operation returns as an error is what is
 * expected; one it absorbs (a fallback, a retry, an ignored uevent) is
 * counted apart. Leaks are found by kmemleak afterwards (the test script).
 *
 * Output: TAP lines "ok - faults: ..." per operation and function, and a
 * summary; a failure prints the operation, N and what went wrong, which is
 * the reproducer: fault_sweep --op NAME --nth N [--fn FUNCTION].
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
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

#define DBG		"/sys/kernel/debug"
#define FAIL_FN		DBG "/fail_function"
#define MAX_DEVS	2
#define SMALL_BO	(64 * 1024)

struct dev {
	char bdf[16];
	char node[64];		/* /dev/accel/accelN */
	unsigned int index;	/* N */
	int port_to_other;	/* link port reaching the other device, or -1 */
};

static struct dev devs[MAX_DEVS];
static unsigned int ndevs;
static struct kd_text trn_text;
/*
 * The code of a module whose own allocations are spared (--spare-ko): the
 * stack-trace filter's reject range. Empty when there is none.
 */
static struct kd_text spare_text;
static struct kd_kmsg kmsg;
static int fail_nth_fd = -1;
static const char *repo = ".";
static const char *tname = "faults";	/* TAP prefix: the test's name ($T) */

/* What an operation holds between its steps; released by st_release(). */
struct st {
	int fd[MAX_DEVS];
	uint32_t bo[MAX_DEVS];
	uint64_t bo_va[MAX_DEVS];
	uint32_t syncobj;
	int dmabuf;
	void *map;
	size_t map_len;
	struct nl_sock *nl;
	int family;
};

struct op {
	const char *name;
	const char *what;
	unsigned int need_devs;
	bool need_link;
	int (*prep)(struct st *st);
	int (*run)(struct st *st);
	void (*done)(struct st *st);
	bool no_counters;	/* the device is rebound: its counters restart */
	bool functions_only;	/* its allocations are not failed (see ops[]) */
};

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

static void st_init(struct st *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < MAX_DEVS; i++)
		st->fd[i] = -1;
	st->dmabuf = -1;
}

static void st_release(struct st *st)
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

static char *dev_path(unsigned int d, const char *file)
{
	static char path[256];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", devs[d].bdf, file);
	return path;
}

static bool dev_bound(unsigned int d)
{
	return kd_exists(dev_path(d, "driver"));
}

static int dev_bind(unsigned int d)
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

/* --- the device counters ---------------------------------------------------- */

struct counters {
	uint64_t v[MAX_DEVS][3];
};

static const char *const counter_names[3] = { "buffer_objects", "hbm_used", "host_used" };

static void counters_read(struct counters *c)
{
	unsigned int d, i;

	memset(c, 0, sizeof(*c));
	for (d = 0; d < ndevs; d++)
		for (i = 0; i < 3; i++)
			if (kd_read_u64(dev_path(d, counter_names[i]), &c->v[d][i]))
				c->v[d][i] = UINT64_MAX;
}

/* Wait (deferred frees) until the counters are back to @base; 0 or -1. */
static int counters_wait(const struct counters *base, char *why, size_t len)
{
	uint64_t deadline = kd_now_ms() + 10000;
	struct counters now;
	unsigned int d, i;

	for (;;) {
		counters_read(&now);
		if (!memcmp(&now, base, sizeof(now)))
			return 0;
		if (kd_now_ms() > deadline)
			break;
		usleep(20000);
	}
	for (d = 0; d < ndevs; d++)
		for (i = 0; i < 3; i++)
			if (now.v[d][i] != base->v[d][i]) {
				snprintf(why, len, "%s %s is %" PRIu64 ", was %" PRIu64,
					 devs[d].bdf, counter_names[i], now.v[d][i],
					 base->v[d][i]);
				return -1;
			}
	return -1;
}

/* --- fault injection knobs -------------------------------------------------- */

static int set_fail_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fail_nth_fd, buf, len, 0) != len)
		return -errno;
	return 0;
}

static unsigned int get_fail_nth(void)
{
	char buf[16] = "";

	if (pread(fail_nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return UINT_MAX;
	return strtoul(buf, NULL, 10);
}

/*
 * The function fail_function injects into, or NULL. Its kprobe must run in
 * the calling task's context for fail-nth to count its calls: the debug
 * kernel puts kprobes on ftrace (an int3 kprobe counts as an NMI, where
 * fail-nth does not apply).
 */
static const char *armed_fn;

/*
 * Make capability @cap (failslab, fail_page_alloc, fail_function) count the
 * calls made with trn.ko on the stack (@on) or none (!@on); it only ever
 * fails a call through fail-nth (probability 0), silently.
 */
static int cap_setup(const char *cap, bool on)
{
	char dir[128], path[192];
	static const struct {
		const char *file;
		const char *val;
	} knobs[] = {
		{ "probability", "0" }, { "interval", "1" }, { "times", "-1" },
		{ "space", "0" }, { "verbose", "0" }, { "task-filter", "N" },
		{ "stacktrace-depth", "32" }, { "ignore-gfp-wait", "N" },
		{ "ignore-gfp-highmem", "N" }, { "min-order", "0" },
	};
	unsigned int i;
	int ret;

	snprintf(dir, sizeof(dir), DBG "/%s", cap);
	if (!kd_exists(dir))
		return -ENOENT;
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, knobs[i].file);
		if (kd_exists(path)) {
			ret = kd_write(path, "%s", knobs[i].val);
			if (ret)
				return ret;
		}
	}
	/* An empty range that no frame is in when off. */
	snprintf(path, sizeof(path), "%s/require-start", dir);
	ret = kd_write(path, "%" PRIu64, on ? trn_text.start : 0);
	snprintf(path, sizeof(path), "%s/require-end", dir);
	ret = ret ?: kd_write(path, "%" PRIu64, on ? trn_text.end : 1);
	/* Nothing with the spared module on the stack fails. */
	snprintf(path, sizeof(path), "%s/reject-start", dir);
	ret = ret ?: kd_write(path, "%" PRIu64, on ? spare_text.start : 0);
	snprintf(path, sizeof(path), "%s/reject-end", dir);
	return ret ?: kd_write(path, "%" PRIu64, on ? spare_text.end : 0);
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
static void done_rebind(struct st *st)
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

static const struct op ops[] = {
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

/* --- the sweep ---------------------------------------------------------------------- */

struct tally {
	unsigned int injected;	/* runs in which a failure was injected */
	unsigned int errors;	/* ... and the operation failed */
	unsigned int absorbed;	/* ... and the operation succeeded anyway */
	unsigned int bad;	/* runs that left something behind or a report */
};

static struct tally total;
static unsigned int first_nth = 1, max_nth = 2000;
static bool verbose;

static const char *errname(int err)
{
	static char buf[32];

	if (!err)
		return "success";
	snprintf(buf, sizeof(buf), "%s", strerror(-err));
	return buf;
}

static bool op_usable(const struct op *op)
{
	if (op->need_devs > ndevs)
		return false;
	if (op->need_link && devs[0].port_to_other < 0)
		return false;
	return true;
}

/*
 * One run of @op with fail-nth @nth (0: none): *@hit tells whether a
 * failure was injected, *@result what the operation returned. Returns 0, or
 * -1 if the run went wrong (described in @why): a kernel report, or
 * counters other than @base afterwards (not judged if @base is NULL).
 */
static int run_once(const struct op *op, unsigned int nth, const struct counters *base,
		    bool *hit, int *result, char *why, size_t len)
{
	char first[256];
	struct st st;
	int ret, reports;

	st_init(&st);
	why[0] = '\0';
	*hit = false;
	*result = 0;
	kd_kmsg_poll(&kmsg, NULL, NULL, 0);
	ret = op->prep ? op->prep(&st) : 0;
	if (ret) {
		snprintf(why, len, "preparation failed: %s", errname(ret));
		if (op->done)
			op->done(&st);
		st_release(&st);
		return -1;
	}
	kd_kmsg_mark("fault sweep: %s%s%s, call %u", op->name, armed_fn ? " via " : "",
		     armed_fn ? armed_fn : "", nth);
	if (nth)
		set_fail_nth(nth);
	*result = op->run(&st);
	if (nth) {
		*hit = !get_fail_nth();
		set_fail_nth(0);
	}
	if (op->done)
		op->done(&st);
	st_release(&st);

	if (!op->no_counters && base && counters_wait(base, why, len))
		return -1;
	reports = kd_kmsg_poll(&kmsg, NULL, first, sizeof(first));
	if (reports > 0) {
		snprintf(why, len, "kernel report: %s", first);
		return -1;
	}
	return 0;
}

static void sweep(const struct op *op, const char *fn)
{
	char why[512], label[128];
	struct tally t = { 0 };
	struct counters base;
	unsigned int nth;
	int result, ret;
	bool hit;

	snprintf(label, sizeof(label), "%s%s%s", op->name, fn ? " via " : "", fn ? fn : "");
	/*
	 * Twice without injection: it must work. The first run may set up
	 * what stays (the page tables of the export space that a first
	 * PEER_IMPORT maps into, kept for the next ones until the device is
	 * unbound, as probe and removal do), the second must leave the
	 * counters where the first did. In the pass over a marked function
	 * the operation ran before: the first run is enough.
	 */
	ret = run_once(op, 0, NULL, &hit, &result, why, sizeof(why));
	if (!ret && !fn && !result) {
		counters_read(&base);
		ret = run_once(op, 0, &base, &hit, &result, why, sizeof(why));
	}
	if (ret < 0 || (!fn && result)) {
		printf("not ok - %s: %s fails without injection: %s\n", tname, label,
		       ret < 0 ? why : errname(result));
		total.bad++;
		return;
	}
	counters_read(&base);
	for (nth = first_nth; nth <= max_nth; nth++) {
		ret = run_once(op, nth, &base, &hit, &result, why, sizeof(why));
		if (!ret && !hit)
			break;
		if (hit) {
			t.injected++;
			if (result)
				t.errors++;
			else
				t.absorbed++;
			if (verbose)
				printf("# %s: call %u failed: %s\n", label, nth, errname(result));
		}
		if (ret < 0) {
			t.bad++;
			printf("# %s: call %u failed (operation: %s): %s\n", label, nth,
			       errname(result), why);
			printf("#   reproduce: fault_sweep --op %s --nth %u%s%s\n", op->name,
			       nth, fn ? " --fn " : "", fn ? fn : "");
			/* Re-read what stays: the next runs are judged on their own. */
			counters_read(&base);
		}
	}
	/* Probe and removal leave the device unbound after a failure. */
	if (op->no_counters)
		done_rebind(NULL);
	total.injected += t.injected;
	total.errors += t.errors;
	total.absorbed += t.absorbed;
	total.bad += t.bad;
	if (!t.injected && !t.bad && fn)
		return;		/* the function is not on this operation's path */
	printf("%s - %s: %s (%s): %u injected failures, %u returned as errors, %u absorbed%s\n",
	       t.bad ? "not ok" : "ok", tname, label, op->what, t.injected, t.errors, t.absorbed,
	       t.bad ? "" : "; nothing left behind, no kernel report");
	if (nth > max_nth)
		printf("# %s: stopped at call %u\n", label, max_nth);
	fflush(stdout);
}

/* The functions of trn.ko marked for fail_function, with the error to return. */
static unsigned int injectable(char names[][64], unsigned int max)
{
	char line[256], name[64], mod[64], type[32];
	unsigned int n = 0;
	FILE *f = fopen(FAIL_FN "/injectable", "re");

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s [%63[^]]] %31s", name, mod, type) == 3 &&
		    !strcmp(mod, "trn"))
			snprintf(names[n++], 64, "%s", name);
	fclose(f);
	return n;
}

static int fn_arm(const char *fn)
{
	char path[192];
	/* The errors the real failures give: a timeout for the waits. */
	long err = strstr(fn, "wait") || strstr(fn, "selftest") ? -ETIMEDOUT : -ENOMEM;
	int ret;

	ret = kd_write(FAIL_FN "/inject", "%s", fn);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), FAIL_FN "/%s/retval", fn);
	/* NULL-returning functions take 0, the others an errno. */
	if (!strcmp(fn, "trn_pt_alloc"))
		return kd_write(path, "0");
	return kd_write(path, "%#lx", (unsigned long)err);
}

static void fn_disarm(const char *fn)
{
	kd_write(FAIL_FN "/inject", "!%s", fn);
}

/* --- setup ------------------------------------------------------------------------- */

static int find_devices(void)
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

static void usage(FILE *f)
{
	fprintf(f, "usage: fault_sweep --ko PATH [--spare-ko PATH] [--repo DIR] [--op NAME]\n"
		   "                   [--fn FUNCTION] [--nth N] [--max N] [--no-functions]\n"
		   "                   [--verbose]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "ko", required_argument, NULL, 'k' },
		{ "spare-ko", required_argument, NULL, 's' },
		{ "repo", required_argument, NULL, 'r' },
		{ "op", required_argument, NULL, 'o' },
		{ "fn", required_argument, NULL, 'f' },
		{ "nth", required_argument, NULL, 'n' },
		{ "max", required_argument, NULL, 'm' },
		{ "no-functions", no_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ko = NULL, *spare_ko = NULL, *only_op = NULL, *only_fn = NULL;
	char fns[32][64], reports[PATH_MAX];
	unsigned int nfns, i, j, nth = 0, ops_run = 0;
	bool functions = true;
	uint64_t t0 = kd_now_ms();
	int c, ret;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'k': ko = optarg; break;
		case 's': spare_ko = optarg; break;
		case 'r': repo = optarg; break;
		case 'o': only_op = optarg; break;
		case 'f': only_fn = optarg; break;
		case 'n': nth = strtoul(optarg, NULL, 0); break;
		case 'm': max_nth = strtoul(optarg, NULL, 0); break;
		case 'F': functions = false; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!ko) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("T"))
		tname = getenv("T");
	ret = kd_module_text(ko, "trn", &trn_text);
	if (ret) {
		printf("not ok - %s: cannot locate trn.ko's code (%s)\n", tname, strerror(-ret));
		return 1;
	}
	if (spare_ko) {
		const char *base = strrchr(spare_ko, '/');
		char name[64];

		snprintf(name, sizeof(name), "%s", base ? base + 1 : spare_ko);
		name[strcspn(name, ".")] = '\0';
		for (i = 0; name[i]; i++)
			if (name[i] == '-')
				name[i] = '_';
		ret = kd_module_text(spare_ko, name, &spare_text);
		if (ret) {
			printf("not ok - %s: cannot locate the code of %s (%s)\n", tname, name,
			       strerror(-ret));
			return 1;
		}
		printf("# allocations of %s (0x%" PRIx64 "-0x%" PRIx64 ") are spared\n", name,
		       spare_text.start, spare_text.end);
	}
	ret = find_devices();
	if (ret || !ndevs) {
		printf("not ok - %s: no trn device bound\n", tname);
		return 1;
	}
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fail_nth_fd < 0 || cap_setup("failslab", true) || cap_setup("fail_page_alloc", true) ||
	    (kd_exists(FAIL_FN) && cap_setup("fail_function", true))) {
		printf("not ok - %s: the kernel has no fault injection (debug kernel needed)\n", tname);
		return 1;
	}
	snprintf(reports, sizeof(reports), "%s/tests/vm/kernel-reports", repo);
	ret = kd_kmsg_open(&kmsg, reports, "page allocation failure");
	if (ret) {
		printf("not ok - %s: cannot read the kernel log (%s)\n", tname, strerror(-ret));
		return 1;
	}
	printf("# trn.ko text at 0x%" PRIx64 "-0x%" PRIx64 "; %u devices, port %d of %s reaches %s\n",
	       trn_text.start, trn_text.end, ndevs, devs[0].port_to_other, devs[0].bdf,
	       ndevs > 1 ? devs[1].bdf : "nothing");

	if (nth) {
		/* Reproduce one run. */
		first_nth = nth;
		max_nth = nth;
	}
	/* Allocations with trn.ko on the stack. */
	if (!only_fn) {
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			if (only_op && strcmp(only_op, ops[i].name))
				continue;
			if (!op_usable(&ops[i])) {
				printf("# %s: not run: needs %s\n", ops[i].name,
				       ops[i].need_devs > ndevs ? "two devices" :
				       "a cable between the two devices");
				continue;
			}
			if (ops[i].functions_only) {
				printf("# %s: allocations not failed (a bug of the DRM core's unwinding); the marked functions are\n",
				       ops[i].name);
				continue;
			}
			sweep(&ops[i], NULL);
			ops_run++;
		}
	}
	/* Then each marked function alone. */
	nfns = functions && kd_exists(FAIL_FN) ? injectable(fns, 32) : 0;
	if (nfns) {
		cap_setup("failslab", false);
		cap_setup("fail_page_alloc", false);
	}
	for (j = 0; j < nfns; j++) {
		if (only_fn && strcmp(only_fn, fns[j]))
			continue;
		if (fn_arm(fns[j])) {
			printf("not ok - %s: cannot inject %s\n", tname, fns[j]);
			total.bad++;
			continue;
		}
		armed_fn = fns[j];
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			if ((only_op && strcmp(only_op, ops[i].name)) || !op_usable(&ops[i]))
				continue;
			sweep(&ops[i], fns[j]);
		}
		fn_disarm(fns[j]);
		armed_fn = NULL;
	}
	cap_setup("failslab", false);
	cap_setup("fail_page_alloc", false);
	if (kd_exists(FAIL_FN))
		cap_setup("fail_function", false);
	for (i = 0; i < ndevs; i++)
		dev_bind(i);

	printf("# %s: %u injected failures (%u returned as errors, %u absorbed) in %u operations and %u marked functions, %u went wrong, %" PRIu64 " s\n",
	       tname, total.injected, total.errors, total.absorbed, ops_run, nfns, total.bad,
	       (kd_now_ms() - t0) / 1000);
	kd_kmsg_close(&kmsg);
	return total.bad ? 1 : 0;
}
