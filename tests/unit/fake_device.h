/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2026 The trn authors
 *
 * The fake devices of the unit tests of libnrt's device discovery and
 * device handles (test_nrt_device.c, test_nrt_env.c): a fake sysfs and
 * /dev tree in a temporary directory, which NRT_SYSFS_ROOT and
 * NRT_DEV_ROOT point at, and a fake DRM driver behind its device nodes.
 *
 * Device nodes are regular files; the DRM calls the library makes on them
 * (drmGetVersion, drmFreeVersion, drmIoctl) are replaced at link time with
 * -Wl,--wrap (see mk/user.mk) by the __wrap_ functions of fake_device.c,
 * which answer DRM_IOCTL_TRN_QUERY as the kernel driver does. A test
 * changes the driver's answers through fake_device. The fake of the whole
 * kernel interface, for the tests of buffers, jobs and runs, is
 * fake_kernel.c.
 */
#ifndef FAKE_DEVICE_H
#define FAKE_DEVICE_H

#include <limits.h>
#include <stdint.h>

#include <xf86drm.h>
#include "drm/trn_accel.h"

#include "nrt.h"

#define GIB (UINT64_C(1) << 30)

drmVersionPtr __wrap_drmGetVersion(int fd);
void __wrap_drmFreeVersion(drmVersionPtr v);
int __wrap_drmIoctl(int fd, unsigned long request, void *arg);

/*
 * The fake DRM driver. fake_device_setup() makes it the trn driver of a
 * device with two cores and 1 GiB of HBM (the values in fake_device.c).
 */
struct fake_device_state {
	const char *name;       /* driver name; NULL: drmGetVersion fails */
	int version_errno;      /* errno when drmGetVersion fails */
	int ioctl_errno;        /* nonzero: DRM_IOCTL_TRN_QUERY fails */
	uint32_t kinfo_size;    /* size of the kernel's drm_trn_device_info */
	unsigned char kinfo[sizeof(struct drm_trn_device_info) + 64];
	unsigned int versions;  /* live drmVersion allocations */
	unsigned int queries;
	int fd;                 /* fd of the last call */
};

extern struct fake_device_state fake_device;

/* The fake sysfs and /dev tree of a test, its cmocka state. */
struct fake_device_tree {
	char root[64];
	char sysfs[PATH_MAX];
	char dev[PATH_MAX];
};

/*
 * cmocka setup and teardown: an empty tree, the environment pointing at it,
 * the driver as above. Teardown fails if a drmVersion was not freed.
 */
int fake_device_setup(void **state);
int fake_device_teardown(void **state);

/* A test of fake_device_setup() and fake_device_teardown(). */
#define FAKE_DEVICE_TEST(f) \
	cmocka_unit_test_setup_teardown(f, fake_device_setup, fake_device_teardown)

/* /sys/module/trn: the trn kernel module is loaded. */
void fake_device_load_module(struct fake_device_tree *t);

/*
 * Add /sys/class/accel/accel<minor> for the PCI function @bdf bound to
 * @driver (NULL: unbound), with numa_node @numa (NULL: no such file), and
 * its device node.
 */
void fake_device_add_accel(struct fake_device_tree *t, unsigned int minor,
			   const char *bdf, const char *driver, const char *numa);

/* nrt_device_open(@index), which must succeed. */
nrt_device *fake_device_open_ok(unsigned int index);

/* nrt_device_get_info() of the whole @info, which must succeed. */
void fake_device_get_info_ok(const nrt_device *dev, nrt_device_info *info);

#endif /* FAKE_DEVICE_H */
