// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * The fake sysfs and /dev tree and the fake DRM driver of the unit tests of
 * libnrt's device discovery and device handles: see fake_device.h.
 */
#include <errno.h>
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
#include <xf86drm.h>
#include "drm/trn_accel.h"

#include "nrt.h"
#include "fake_device.h"
#include "fake_fs.h"

/* --- fake DRM driver -------------------------------------------------- */

struct fake_device_state fake_device;

static void fake_device_reset(void)
{
	struct drm_trn_device_info info = {
		.chip_id = 7,
		.num_cores = 2,
		.hbm_size = GIB,
		.hw_version_major = 1,
		.hw_version_minor = 0,
		.hw_caps = 0x3,
		.driver_version_major = 0,
		.driver_version_minor = 1,
		.driver_version_patch = 0,
		.dma_engines = 2,
		.dma_queues = 8,
		.va_start = 0x100000,
		.va_end = UINT64_C(1) << 39,
		.max_descs = 1024,
		.num_sems = 16,
		.core_queues = 2,
	};

	memset(&fake_device, 0, sizeof(fake_device));
	fake_device.name = "trn";
	fake_device.kinfo_size = sizeof(info);
	/* A newer kernel's fields beyond ours: must never be seen. */
	memset(fake_device.kinfo, 0xa5, sizeof(fake_device.kinfo));
	memcpy(fake_device.kinfo, &info, sizeof(info));
	fake_device.fd = -1;
}

drmVersionPtr __wrap_drmGetVersion(int fd)
{
	drmVersionPtr v;

	fake_device.fd = fd;
	if (!fake_device.name) {
		errno = fake_device.version_errno;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	assert_non_null(v);
	v->name = strdup(fake_device.name);
	assert_non_null(v->name);
	v->name_len = (int)strlen(v->name);
	v->version_major = 0;
	v->version_minor = 1;
	fake_device.versions++;
	return v;
}

void __wrap_drmFreeVersion(drmVersionPtr v)
{
	if (!v)
		return;
	assert_true(fake_device.versions > 0);
	fake_device.versions--;
	free(v->name);
	free(v);
}

/* Behaves like trn_ioctl_query() in the kernel driver. */
int __wrap_drmIoctl(int fd, unsigned long request, void *arg)
{
	struct drm_trn_query *q = arg;
	uint32_t len;

	fake_device.fd = fd;
	fake_device.queries++;
	assert_int_equal(request, DRM_IOCTL_TRN_QUERY);
	if (fake_device.ioctl_errno) {
		errno = fake_device.ioctl_errno;
		return -1;
	}
	if (q->flags || q->pad || q->query != DRM_TRN_QUERY_DEVICE_INFO) {
		errno = EINVAL;
		return -1;
	}
	if (!q->size) {
		q->size = fake_device.kinfo_size;
		return 0;
	}
	len = q->size < fake_device.kinfo_size ? q->size : fake_device.kinfo_size;
	memcpy((void *)(uintptr_t)q->data, fake_device.kinfo, len);
	q->size = len;
	return 0;
}

/* --- fake sysfs and /dev ---------------------------------------------- */

void fake_device_load_module(struct fake_device_tree *t)
{
	char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/module/trn", t->sysfs);
	mkdir_p(path);
}

void fake_device_add_accel(struct fake_device_tree *t, unsigned int minor,
			   const char *bdf, const char *driver, const char *numa)
{
	char path[PATH_MAX], target[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/devices/pci0000:00/%s", t->sysfs, bdf);
	mkdir_p(path);
	if (numa) {
		xsnprintf(path, sizeof(path), "%s/devices/pci0000:00/%s/numa_node",
			  t->sysfs, bdf);
		write_file(path, numa, 0444);
	}
	if (driver) {
		xsnprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", t->sysfs,
			  driver);
		mkdir_p(path);
		xsnprintf(path, sizeof(path), "%s/devices/pci0000:00/%s/driver",
			  t->sysfs, bdf);
		xsnprintf(target, sizeof(target), "../../../bus/pci/drivers/%s",
			  driver);
		make_link(target, path);
	}

	xsnprintf(path, sizeof(path), "%s/class/accel/accel%u", t->sysfs, minor);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/class/accel/accel%u/device", t->sysfs,
		  minor);
	xsnprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	make_link(target, path);

	xsnprintf(path, sizeof(path), "%s/accel", t->dev);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/accel/accel%u", t->dev, minor);
	write_file(path, "", 0666);
}

int fake_device_setup(void **state)
{
	struct fake_device_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	/* Short and fixed, so that device node paths fit nrt_device_info. */
	if (fake_fs_tmpdir(t->root, sizeof(t->root), "nrt-unit")) {
		free(t);
		return -1;
	}
	snprintf(t->sysfs, sizeof(t->sysfs), "%s/sys", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	if (mkdir(t->sysfs, 0755) || mkdir(t->dev, 0755) ||
	    setenv("NRT_SYSFS_ROOT", t->sysfs, 1) ||
	    setenv("NRT_DEV_ROOT", t->dev, 1))
		return -1;
	fake_device_reset();
	*state = t;
	return 0;
}

int fake_device_teardown(void **state)
{
	struct fake_device_tree *t = *state;
	int ret;

	unsetenv("NRT_SYSFS_ROOT");
	unsetenv("NRT_DEV_ROOT");
	ret = fake_fs_remove(t->root);
	free(t);
	/* Every drmVersion handed out was freed. */
	return ret || fake_device.versions ? -1 : 0;
}

nrt_device *fake_device_open_ok(unsigned int index)
{
	nrt_device *dev = NULL;
	nrt_status st = nrt_device_open(index, &dev);

	if (st != NRT_SUCCESS)
		fail_msg("nrt_device_open(%u): %s: %s", index, nrt_strerror(st),
			 nrt_last_error());
	assert_non_null(dev);
	return dev;
}

void fake_device_get_info_ok(const nrt_device *dev, nrt_device_info *info)
{
	memset(info, 0xff, sizeof(*info));
	info->struct_size = sizeof(*info);
	assert_int_equal(nrt_device_get_info(dev, info), NRT_SUCCESS);
}
