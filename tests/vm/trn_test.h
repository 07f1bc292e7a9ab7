/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers for guest tests that talk to the trn uapi directly (no
 * libnrt), so that they test the kernel and nothing else.
 */
#ifndef TRN_TEST_H
#define TRN_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/sync_file.h>
#include <xf86drm.h>
#include "drm/trn_accel.h"

static inline int tt_open(const char *node)
{
	return open(node ? node : "/dev/accel/accel0", O_RDWR | O_CLOEXEC);
}

/* The node of the accel device of PCI function @bdf, opened; or -1. */
static inline int tt_open_bdf(const char *bdf)
{
	char path[PATH_MAX], node[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/accel", bdf);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "accel", 5)) {
			snprintf(node, sizeof(node), "/dev/accel/%s", de->d_name);
			fd = tt_open(node);
			break;
		}
	closedir(d);
	return fd;
}

static inline int tt_info(int fd, struct drm_trn_device_info *info)
{
	struct drm_trn_query q = {
		.query = DRM_TRN_QUERY_DEVICE_INFO,
		.size = sizeof(*info),
		.data = (uintptr_t)info,
	};

	memset(info, 0, sizeof(*info));
	return drmIoctl(fd, DRM_IOCTL_TRN_QUERY, &q) ? -errno : 0;
}

static inline int tt_bo_create(int fd, uint64_t size, uint32_t placement,
			       uint32_t *handle, uint64_t *va)
{
	struct drm_trn_bo_create c = { .size = size, .placement = placement };

	*handle = 0;
	if (va)
		*va = 0;
	if (drmIoctl(fd, DRM_IOCTL_TRN_BO_CREATE, &c))
		return -errno;
	*handle = c.handle;
	if (va)
		*va = c.va;
	return 0;
}

static inline void *tt_bo_map(int fd, uint32_t handle, uint64_t size)
{
	struct drm_trn_bo_info i = { .handle = handle };
	void *p;

	if (drmIoctl(fd, DRM_IOCTL_TRN_BO_INFO, &i))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, i.mmap_offset);
	return p == MAP_FAILED ? NULL : p;
}

static inline int tt_bo_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &c) ? -errno : 0;
}

/* Status of the fence in a binary syncobj: 1 done, 0 pending, <0 error. */
static inline int tt_sync_status(int fd, uint32_t syncobj)
{
	struct sync_file_info info = { 0 };
	int sfd, ret;

	if (drmSyncobjExportSyncFile(fd, syncobj, &sfd))
		return -errno;
	ret = ioctl(sfd, SYNC_IOC_FILE_INFO, &info) ? -errno : info.status;
	close(sfd);
	return ret;
}

/* The number after "@key:" in the fdinfo of @fd, or -1. */
static inline long long tt_fdinfo_num(int fd, const char *key)
{
	char path[64], line[256];
	size_t n = strlen(key);
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtoll(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* The number a (sysfs) file starts with, or ~0 if it cannot be read. */
static inline unsigned long long tt_read_u64(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return ~0ULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtoull(buf, NULL, 0);
}

static inline int64_t tt_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/*
 * Submit @n descriptors on @queue with a new binary syncobj, returned in
 * *@syncobj, as out_sync. Returns 0 or the ioctl error.
 */
static inline int tt_submit(int fd, uint32_t queue,
			    const struct drm_trn_dma_desc *d, uint32_t n,
			    uint32_t *syncobj)
{
	struct drm_trn_submit s = {
		.descs = (uintptr_t)d,
		.desc_count = n,
		.desc_size = sizeof(*d),
		.queue = queue,
	};
	int ret;

	if (drmSyncobjCreate(fd, 0, syncobj))
		return -errno;
	s.out_sync.handle = *syncobj;
	if (drmIoctl(fd, DRM_IOCTL_TRN_SUBMIT, &s)) {
		ret = -errno;
		drmSyncobjDestroy(fd, *syncobj);
		return ret;
	}
	return 0;
}

/*
 * DRM_IOCTL_TRN_WAIT on @syncobj until the absolute CLOCK_MONOTONIC time
 * @deadline_ns. Returns the ioctl's error, or 0 and the job's status in
 * *@status.
 */
static inline int tt_wait(int fd, uint32_t syncobj, int64_t deadline_ns,
			  int32_t *status)
{
	struct drm_trn_wait w = { .handle = syncobj, .timeout_ns = deadline_ns };

	/* Not drmIoctl(): it restarts on EINTR, which a test wants to see. */
	if (ioctl(fd, DRM_IOCTL_TRN_WAIT, &w))
		return -errno;
	*status = w.status;
	return 0;
}

/*
 * Submit @n descriptors on @queue and wait up to @timeout_s. Returns 0 on
 * success, the job's error (e.g. -EFAULT) if it failed, or the ioctl error.
 */
static inline int tt_submit_wait(int fd, uint32_t queue,
				 const struct drm_trn_dma_desc *d, uint32_t n,
				 int timeout_s)
{
	struct drm_trn_submit s = {
		.descs = (uintptr_t)d,
		.desc_count = n,
		.desc_size = sizeof(*d),
		.queue = queue,
	};
	struct timespec now;
	uint32_t so;
	int ret;

	if (drmSyncobjCreate(fd, 0, &so))
		return -errno;
	s.out_sync.handle = so;
	if (drmIoctl(fd, DRM_IOCTL_TRN_SUBMIT, &s)) {
		ret = -errno;
		drmSyncobjDestroy(fd, so);
		return ret;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ret = drmSyncobjWait(fd, &so, 1,
			     (int64_t)(now.tv_sec + timeout_s) * 1000000000LL + now.tv_nsec,
			     0, NULL);
	if (!ret) {
		ret = tt_sync_status(fd, so);
		ret = ret == 1 ? 0 : (ret == 0 ? -EBUSY : ret);
	}
	drmSyncobjDestroy(fd, so);
	return ret;
}

static inline struct drm_trn_dma_desc tt_copy(uint64_t dst, uint64_t src, uint64_t len)
{
	return (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_COPY,
					  .src = src, .dst = dst, .len = len };
}

static inline struct drm_trn_dma_desc tt_write(uint64_t dst, uint64_t value)
{
	return (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_WRITE,
					  .dst = dst, .len = value };
}

#endif /* TRN_TEST_H */
