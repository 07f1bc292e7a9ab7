// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of libnrt device discovery and device handles: discovery,
 * open, nrt_device_get_info() against older and newer kernels, status
 * codes and the per-thread error message. The environment variables that
 * select devices and cores and the log are tested in test_nrt_env.c.
 *
 * Each test builds a fake sysfs and /dev tree in a temporary directory and
 * points the library at it with NRT_SYSFS_ROOT and NRT_DEV_ROOT. Device
 * nodes are regular files; the DRM calls the library makes on them
 * (drmGetVersion, drmFreeVersion, drmIoctl) are replaced at link time with
 * -Wl,--wrap by the fake DRM driver of fake_device.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include "drm/trn_accel.h"

#include "nrt.h"
#include "fake_device.h"
#include "fake_fs.h"

#define NOBODY_UID 65534

/* The lowest free file descriptor: unchanged if nothing leaked. */
static int next_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/* --- discovery ------------------------------------------------------- */

static void test_count_sorted_by_bdf(void **state)
{
	static const struct {
		unsigned int minor;
		const char *bdf;
	} expect[] = {
		{ 1, "0000:01:00.0" },
		{ 0, "0000:03:00.0" },
		{ 10, "0000:0a:00.0" },
		{ 3, "0001:00:00.0" },
	};
	struct fake_device_tree *t = *state;
	char path[PATH_MAX];
	unsigned int count = 99, i;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:03:00.0", "trn", "0\n");
	fake_device_add_accel(t, 1, "0000:01:00.0", "trn", "1\n");
	fake_device_add_accel(t, 2, "0000:02:00.0", "habanalabs", "0\n");
	fake_device_add_accel(t, 3, "0001:00:00.0", "trn", NULL);
	fake_device_add_accel(t, 5, "0000:05:00.0", NULL, NULL);
	fake_device_add_accel(t, 10, "0000:0a:00.0", "trn", "-1\n");
	/* Entries that are not accel devices. */
	xsnprintf(path, sizeof(path), "%s/class/accel/accel", t->sysfs);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/class/accel/accel1x", t->sysfs);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/class/accel/card0", t->sysfs);
	mkdir_p(path);

	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 4);

	for (i = 0; i < count; i++) {
		nrt_device_info info;
		nrt_device *dev = fake_device_open_ok(i);

		fake_device_get_info_ok(dev, &info);
		assert_int_equal(info.index, i);
		assert_int_equal(info.minor, expect[i].minor);
		assert_string_equal(info.pci_bdf, expect[i].bdf);
		nrt_device_close(dev);
	}
}

static void test_count_no_module(void **state)
{
	struct fake_device_tree *t = *state;
	unsigned int count = 99;

	/* Not even the accel class exists. */
	assert_int_equal(nrt_device_count(&count), NRT_NO_DRIVER);
	assert_int_equal(count, 0);
	assert_string_equal(nrt_last_error(), "the trn kernel module is not loaded");

	/* Another accel driver is loaded, trn is not. */
	fake_device_add_accel(t, 0, "0000:01:00.0", "habanalabs", NULL);
	count = 99;
	assert_int_equal(nrt_device_count(&count), NRT_NO_DRIVER);
	assert_int_equal(count, 0);
	assert_string_equal(nrt_last_error(), "the trn kernel module is not loaded");
}

static void test_count_module_no_devices(void **state)
{
	struct fake_device_tree *t = *state;
	unsigned int count = 99;

	fake_device_load_module(t);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 0);

	fake_device_add_accel(t, 0, "0000:01:00.0", "habanalabs", NULL);
	count = 99;
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 0);
}

/* The list numbers the devices as nrt_device_open() does, opening none. */
static void test_list(void **state)
{
	struct fake_device_tree *t = *state;
	const nrt_device_entry *e;
	nrt_device_list *l = (nrt_device_list *)&l;
	char want[PATH_MAX];
	unsigned int count;
	size_t i;
	int fd;

	assert_int_equal(nrt_device_list_get(&l), NRT_NO_DRIVER);
	assert_ptr_equal(l, (nrt_device_list *)&l);
	assert_string_equal(nrt_last_error(), "the trn kernel module is not loaded");
	assert_int_equal(nrt_device_list_get(NULL), NRT_INVALID);
	assert_string_equal(nrt_last_error(), "nrt_device_list_get: out is NULL");

	fake_device_load_module(t);
	assert_int_equal(nrt_device_list_get(&l), NRT_SUCCESS);
	assert_int_equal(nrt_device_list_count(l), 0);
	assert_null(nrt_device_list_entry(l, 0));
	nrt_device_list_free(l);

	fake_device_add_accel(t, 7, "0000:03:00.0", "trn", NULL);
	fake_device_add_accel(t, 2, "0000:02:00.0", "habanalabs", NULL);
	fake_device_add_accel(t, 4, "0000:01:00.0", "trn", NULL);
	fd = next_fd();
	assert_int_equal(nrt_device_list_get(&l), NRT_SUCCESS);
	/* Nothing opened, no query made. */
	assert_int_equal(next_fd(), fd);
	assert_int_equal(fake_device.queries, 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(nrt_device_list_count(l), count);
	assert_int_equal(count, 2);
	for (i = 0; i < count; i++) {
		nrt_device_info info;
		nrt_device *dev = fake_device_open_ok((unsigned int)i);

		fake_device_get_info_ok(dev, &info);
		e = nrt_device_list_entry(l, i);
		assert_non_null(e);
		assert_int_equal(e->index, i);
		assert_int_equal(e->minor, info.minor);
		assert_string_equal(e->pci_bdf, info.pci_bdf);
		assert_string_equal(e->device_node, info.device_node);
		xsnprintf(want, sizeof(want), "%s/class/accel/accel%u/device",
			  t->sysfs, info.minor);
		assert_string_equal(e->sysfs_dir, want);
		nrt_device_close(dev);
	}
	assert_null(nrt_device_list_entry(l, count));
	assert_null(nrt_device_list_entry(NULL, 0));
	assert_int_equal(nrt_device_list_count(NULL), 0);
	nrt_device_list_free(l);
	nrt_device_list_free(NULL);
}

static void test_count_null(void **state)
{
	(void)state;
	assert_int_equal(nrt_device_count(NULL), NRT_INVALID);
	assert_string_not_equal(nrt_last_error(), "");
}

/* --- open ------------------------------------------------------------ */

static void test_open_null(void **state)
{
	struct fake_device_tree *t = *state;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	assert_int_equal(nrt_device_open(0, NULL), NRT_INVALID);
	assert_string_not_equal(nrt_last_error(), "");
}

static void test_open_out_of_range(void **state)
{
	struct fake_device_tree *t = *state;
	nrt_device *dev = (nrt_device *)&dev;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	fake_device_add_accel(t, 1, "0000:02:00.0", "trn", NULL);
	fake_device_add_accel(t, 2, "0000:03:00.0", "trn", NULL);

	assert_int_equal(nrt_device_open(4, &dev), NRT_NO_DEVICE);
	assert_string_equal(nrt_last_error(), "no trn device with index 4 (3 present)");
	assert_ptr_equal(dev, (nrt_device *)&dev);
	assert_int_equal(nrt_device_open(UINT_MAX, &dev), NRT_NO_DEVICE);
	assert_int_equal(fake_device.queries, 0);
}

static void test_open_no_driver(void **state)
{
	nrt_device *dev = NULL;

	(void)state;
	assert_int_equal(nrt_device_open(0, &dev), NRT_NO_DRIVER);
	assert_string_equal(nrt_last_error(), "the trn kernel module is not loaded");
	assert_null(dev);
}

/* A device without a node is not one this process sees. */
static void test_open_missing_node(void **state)
{
	struct fake_device_tree *t = *state;
	char path[PATH_MAX];
	nrt_device *dev = NULL;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	xsnprintf(path, sizeof(path), "%s/accel/accel0", t->dev);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(nrt_device_open(0, &dev), NRT_NO_DEVICE);
	assert_string_equal(nrt_last_error(), "no trn device with index 0 (0 present)");
	assert_null(dev);
}

static void test_open_permission_denied(void **state)
{
	struct fake_device_tree *t = *state;
	char path[PATH_MAX], expect[PATH_MAX + 64];
	nrt_device *dev = NULL;
	bool root = geteuid() == 0;
	nrt_status st;
	int fd = next_fd();

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	xsnprintf(path, sizeof(path), "%s/accel/accel0", t->dev);
	assert_int_equal(chmod(path, 0), 0);

	/* Root may open anything: test as nobody, if we can become nobody. */
	if (root && seteuid(NOBODY_UID))
		skip();
	st = nrt_device_open(0, &dev);
	if (root)
		assert_int_equal(seteuid(0), 0);

	assert_int_equal(st, NRT_PERMISSION);
	xsnprintf(expect, sizeof(expect), "open %s: Permission denied", path);
	assert_string_equal(nrt_last_error(), expect);
	assert_null(dev);
	assert_int_equal(next_fd(), fd);
}

static void test_open_get_info(void **state)
{
	struct fake_device_tree *t = *state;
	char node[PATH_MAX];
	nrt_device_info info;
	nrt_device *dev;
	int fd, flags;

	fake_device_load_module(t);
	fake_device_add_accel(t, 4, "0000:01:00.0", "trn", "1\n");
	xsnprintf(node, sizeof(node), "%s/accel/accel4", t->dev);

	dev = fake_device_open_ok(0);
	fd = nrt_device_fd(dev);
	assert_true(fd >= 0);
	assert_int_equal(fake_device.fd, fd);
	flags = fcntl(fd, F_GETFD);
	assert_true(flags >= 0 && (flags & FD_CLOEXEC));
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_int_equal(fake_device.versions, 0);
	assert_int_equal(fake_device.queries, 1);

	fake_device_get_info_ok(dev, &info);
	assert_int_equal(info.struct_size, sizeof(info));
	assert_int_equal(info.index, 0);
	assert_int_equal(info.minor, 4);
	assert_string_equal(info.pci_bdf, "0000:01:00.0");
	assert_string_equal(info.device_node, node);
	assert_int_equal(info.chip_id, 7);
	assert_int_equal(info.num_cores, 2);
	assert_true(info.hbm_size == GIB);
	assert_int_equal(info.hw_version_major, 1);
	assert_int_equal(info.hw_version_minor, 0);
	assert_true(info.hw_caps == 0x3);
	assert_int_equal(info.driver_version_major, 0);
	assert_int_equal(info.driver_version_minor, 1);
	assert_int_equal(info.driver_version_patch, 0);
	assert_int_equal(info.numa_node, 1);
	assert_int_equal(info.dma_engines, 2);
	assert_int_equal(info.dma_queues, 8);
	assert_true(info.va_start == 0x100000);
	assert_true(info.va_end == UINT64_C(1) << 39);
	assert_int_equal(info.max_descs, 1024);
	assert_int_equal(info.reserved0, 0);
	assert_int_equal(info.num_sems, 16);
	assert_int_equal(info.core_queues, 2);

	nrt_device_close(dev);
	assert_int_equal(next_fd(), fd);
}

static void test_numa_unknown(void **state)
{
	static const char *const values[] = { NULL, "-1\n", "", "x\n", "1x\n" };
	struct fake_device_tree *t = *state;
	nrt_device_info info;
	size_t i;

	fake_device_load_module(t);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char bdf[16];
		nrt_device *dev;

		xsnprintf(bdf, sizeof(bdf), "0000:%02zx:00.0", i + 1);
		fake_device_add_accel(t, (unsigned int)i, bdf, "trn", values[i]);
		dev = fake_device_open_ok((unsigned int)i);
		fake_device_get_info_ok(dev, &info);
		assert_string_equal(info.pci_bdf, bdf);
		assert_int_equal(info.numa_node, -1);
		nrt_device_close(dev);
	}
}

static void test_kernel_struct_smaller(void **state)
{
	struct fake_device_tree *t = *state;
	nrt_device_info info;
	nrt_device *dev;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	/* An old kernel that knows the fields up to hbm_size only. */
	fake_device.kinfo_size = offsetof(struct drm_trn_device_info, hw_version_major);
	dev = fake_device_open_ok(0);
	fake_device_get_info_ok(dev, &info);
	assert_int_equal(info.chip_id, 7);
	assert_int_equal(info.num_cores, 2);
	assert_true(info.hbm_size == GIB);
	assert_int_equal(info.hw_version_major, 0);
	assert_int_equal(info.hw_version_minor, 0);
	assert_true(info.hw_caps == 0);
	assert_int_equal(info.driver_version_major, 0);
	assert_int_equal(info.driver_version_minor, 0);
	assert_int_equal(info.driver_version_patch, 0);
	assert_int_equal(info.dma_queues, 0);
	nrt_device_close(dev);

	/* The 0.1 kernel: everything up to the driver version, no DMA. */
	fake_device.kinfo_size = offsetof(struct drm_trn_device_info, dma_engines);
	dev = fake_device_open_ok(0);
	fake_device_get_info_ok(dev, &info);
	assert_int_equal(info.driver_version_minor, 1);
	assert_int_equal(info.dma_engines, 0);
	assert_int_equal(info.dma_queues, 0);
	assert_true(info.va_start == 0 && info.va_end == 0);
	assert_int_equal(info.max_descs, 0);
	nrt_device_close(dev);

	/* A kernel that stops in the middle of the new fields. */
	fake_device.kinfo_size = offsetof(struct drm_trn_device_info, va_start);
	dev = fake_device_open_ok(0);
	fake_device_get_info_ok(dev, &info);
	assert_int_equal(info.dma_engines, 2);
	assert_int_equal(info.dma_queues, 8);
	assert_true(info.va_start == 0 && info.va_end == 0);
	assert_int_equal(info.max_descs, 0);
	nrt_device_close(dev);

	/* Up to the hardware version: the rest reads as zero. */
	fake_device.kinfo_size = offsetof(struct drm_trn_device_info, hw_caps);
	dev = fake_device_open_ok(0);
	fake_device_get_info_ok(dev, &info);
	assert_int_equal(info.hw_version_major, 1);
	assert_true(info.hw_caps == 0);
	nrt_device_close(dev);
}

static void test_kernel_struct_too_small(void **state)
{
	struct fake_device_tree *t = *state;
	nrt_device *dev = NULL;
	int fd = next_fd();

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	fake_device.kinfo_size = offsetof(struct drm_trn_device_info, hbm_size);
	assert_int_equal(nrt_device_open(0, &dev), NRT_UNSUPPORTED);
	assert_non_null(strstr(nrt_last_error(), "returned 8 bytes, at least 16 needed"));
	assert_null(dev);
	assert_int_equal(next_fd(), fd);
}

static void test_kernel_struct_larger(void **state)
{
	struct fake_device_tree *t = *state;
	nrt_device_info info;
	nrt_device *dev;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	/* A newer kernel: we get our prefix of its structure. */
	fake_device.kinfo_size = sizeof(fake_device.kinfo);
	dev = fake_device_open_ok(0);
	fake_device_get_info_ok(dev, &info);
	assert_int_equal(info.chip_id, 7);
	assert_int_equal(info.driver_version_minor, 1);
	nrt_device_close(dev);
}

static void test_ioctl_errno(void **state)
{
	static const struct {
		int err;
		nrt_status st;
	} map[] = {
		{ EACCES, NRT_PERMISSION },
		{ EPERM, NRT_PERMISSION },
		{ ENOENT, NRT_NO_DEVICE },
		{ ENODEV, NRT_NO_DEVICE },
		{ ENXIO, NRT_NO_DEVICE },
		{ ENOMEM, NRT_RESOURCE },
		{ EINVAL, NRT_UNSUPPORTED },
		{ EIO, NRT_FAILURE },
		{ EFAULT, NRT_FAILURE },
	};
	struct fake_device_tree *t = *state;
	char expect[PATH_MAX + 64];
	int fd = next_fd();
	size_t i;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		nrt_device *dev = NULL;

		fake_device.ioctl_errno = map[i].err;
		assert_int_equal(nrt_device_open(0, &dev), map[i].st);
		assert_null(dev);
		xsnprintf(expect, sizeof(expect), "device info query on %s/accel/accel0: %s",
			  t->dev, strerror(map[i].err));
		assert_string_equal(nrt_last_error(), expect);
		assert_int_equal(next_fd(), fd);
	}
}

static void test_not_trn(void **state)
{
	struct fake_device_tree *t = *state;
	char expect[PATH_MAX + 64];
	nrt_device *dev = NULL;
	int fd = next_fd();

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	fake_device.name = "i915";
	assert_int_equal(nrt_device_open(0, &dev), NRT_NO_DEVICE);
	xsnprintf(expect, sizeof(expect),
		  "%s/accel/accel0 belongs to DRM driver \"i915\", not \"trn\"", t->dev);
	assert_string_equal(nrt_last_error(), expect);
	assert_null(dev);
	assert_int_equal(fake_device.queries, 0);

	fake_device.name = NULL;
	fake_device.version_errno = ENOTTY;
	assert_int_equal(nrt_device_open(0, &dev), NRT_NO_DEVICE);
	xsnprintf(expect, sizeof(expect),
		  "%s/accel/accel0 is not a DRM device: %s", t->dev, strerror(ENOTTY));
	assert_string_equal(nrt_last_error(), expect);
	assert_null(dev);
	assert_int_equal(next_fd(), fd);
}

static void test_get_info_args(void **state)
{
	struct fake_device_tree *t = *state;
	struct {
		nrt_device_info info;
		unsigned char newer[16];   /* fields of a future version */
	} big;
	nrt_device_info info;
	nrt_device *dev;
	size_t i;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	dev = fake_device_open_ok(0);

	assert_int_equal(nrt_device_get_info(NULL, &info), NRT_INVALID);
	assert_int_equal(nrt_device_get_info(dev, NULL), NRT_INVALID);

	memset(&info, 0, sizeof(info));
	info.struct_size = NRT_DEVICE_INFO_SIZE_0_1 - 1;
	assert_int_equal(nrt_device_get_info(dev, &info), NRT_INVALID);
	assert_string_equal(nrt_last_error(),
			    "nrt_device_get_info: struct_size is 159, at least 160 needed");
	info.struct_size = 0;
	assert_int_equal(nrt_device_get_info(dev, &info), NRT_INVALID);

	memset(&big, 0xff, sizeof(big));
	big.info.struct_size = sizeof(big);
	assert_int_equal(nrt_device_get_info(dev, &big.info), NRT_SUCCESS);
	assert_int_equal(big.info.struct_size, sizeof(big));
	assert_int_equal(big.info.chip_id, 7);
	for (i = 0; i < sizeof(big.newer); i++)
		assert_int_equal(big.newer[i], 0);

	nrt_device_close(dev);
}

/* A caller built against the 0.1 header: only its 160 bytes are written. */
static void test_get_info_v01_caller(void **state)
{
	struct fake_device_tree *t = *state;
	union {
		nrt_device_info info;
		unsigned char bytes[sizeof(nrt_device_info) + 8];
	} u;
	nrt_device *dev;
	size_t i;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", "0\n");
	dev = fake_device_open_ok(0);

	assert_int_equal(NRT_DEVICE_INFO_SIZE_0_1, 160);
	assert_int_equal(offsetof(nrt_device_info, dma_engines), 160);
	memset(&u, 0xee, sizeof(u));
	u.info.struct_size = NRT_DEVICE_INFO_SIZE_0_1;
	assert_int_equal(nrt_device_get_info(dev, &u.info), NRT_SUCCESS);
	assert_int_equal(u.info.struct_size, NRT_DEVICE_INFO_SIZE_0_1);
	assert_int_equal(u.info.chip_id, 7);
	assert_int_equal(u.info.numa_node, 0);
	for (i = NRT_DEVICE_INFO_SIZE_0_1; i < sizeof(u.bytes); i++)
		assert_int_equal(u.bytes[i], 0xee);

	/* A size between the versions gets a prefix and nothing more. */
	memset(&u, 0xee, sizeof(u));
	u.info.struct_size = offsetof(nrt_device_info, va_start);
	assert_int_equal(nrt_device_get_info(dev, &u.info), NRT_SUCCESS);
	assert_int_equal(u.info.dma_engines, 2);
	assert_int_equal(u.info.dma_queues, 8);
	for (i = offsetof(nrt_device_info, va_start); i < sizeof(u.bytes); i++)
		assert_int_equal(u.bytes[i], 0xee);

	nrt_device_close(dev);
}

static void test_fd_close_null(void **state)
{
	(void)state;
	assert_int_equal(nrt_device_fd(NULL), -1);
	nrt_device_close(NULL);
}

/* --- status codes and error messages ---------------------------------- */

static void test_strerror(void **state)
{
	static const struct {
		nrt_status st;
		const char *text;
	} map[] = {
		{ NRT_SUCCESS, "success" },
		{ NRT_FAILURE, "failure" },
		{ NRT_INVALID, "invalid argument" },
		{ NRT_INVALID_HANDLE, "invalid handle" },
		{ NRT_RESOURCE, "out of resources" },
		{ NRT_TIMEOUT, "timed out" },
		{ NRT_HW_ERROR, "hardware error" },
		{ NRT_QUEUE_FULL, "queue full" },
		{ NRT_NO_DEVICE, "no such device" },
		{ NRT_NO_DRIVER, "driver not loaded" },
		{ NRT_PERMISSION, "permission denied" },
		{ NRT_UNSUPPORTED, "not supported" },
		{ NRT_NO_LINK, "link down" },
		{ NRT_PEER_LOST, "peer lost" },
	};
	size_t i;

	(void)state;
	/* The values are ABI. */
	assert_int_equal(NRT_SUCCESS, 0);
	assert_int_equal(NRT_FAILURE, 1);
	assert_int_equal(NRT_INVALID, 2);
	assert_int_equal(NRT_INVALID_HANDLE, 3);
	assert_int_equal(NRT_RESOURCE, 4);
	assert_int_equal(NRT_TIMEOUT, 5);
	assert_int_equal(NRT_HW_ERROR, 6);
	assert_int_equal(NRT_QUEUE_FULL, 7);
	assert_int_equal(NRT_NO_DEVICE, 8);
	assert_int_equal(NRT_NO_DRIVER, 9);
	assert_int_equal(NRT_PERMISSION, 10);
	assert_int_equal(NRT_UNSUPPORTED, 11);
	assert_int_equal(NRT_NO_LINK, 12);
	assert_int_equal(NRT_PEER_LOST, 13);

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		assert_string_equal(nrt_strerror(map[i].st), map[i].text);
	assert_string_equal(nrt_strerror((nrt_status)14), "unknown status");
	assert_string_equal(nrt_strerror((nrt_status)-1), "unknown status");
	assert_string_equal(nrt_strerror((nrt_status)1000), "unknown status");
}

struct thread_result {
	char before[256];
	char after[256];
	nrt_status st;
};

static void *error_thread(void *arg)
{
	struct thread_result *r = arg;

	snprintf(r->before, sizeof(r->before), "%s", nrt_last_error());
	r->st = nrt_device_get_info(NULL, NULL);
	snprintf(r->after, sizeof(r->after), "%s", nrt_last_error());
	return NULL;
}

static void test_last_error_thread_local(void **state)
{
	struct thread_result r;
	char mine[256];
	pthread_t th;
	nrt_device *dev;

	(void)state;
	/* Fail in this thread. */
	assert_int_equal(nrt_device_open(3, &dev), NRT_NO_DRIVER);
	xsnprintf(mine, sizeof(mine), "%s", nrt_last_error());
	assert_string_equal(mine, "the trn kernel module is not loaded");

	/* Another thread starts clean and fails differently. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(pthread_create(&th, NULL, error_thread, &r), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_string_equal(r.before, "");
	assert_int_equal(r.st, NRT_INVALID);
	assert_string_equal(r.after, "nrt_device_get_info: dev is NULL");

	/* Ours is untouched, and success does not clear it. */
	assert_string_equal(nrt_last_error(), mine);
	assert_int_equal(nrt_device_fd(NULL), -1);
	assert_string_equal(nrt_last_error(), mine);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FAKE_DEVICE_TEST(test_count_sorted_by_bdf),
		FAKE_DEVICE_TEST(test_count_no_module),
		FAKE_DEVICE_TEST(test_count_module_no_devices),
		FAKE_DEVICE_TEST(test_count_null),
		FAKE_DEVICE_TEST(test_list),
		FAKE_DEVICE_TEST(test_open_null),
		FAKE_DEVICE_TEST(test_open_out_of_range),
		FAKE_DEVICE_TEST(test_open_no_driver),
		FAKE_DEVICE_TEST(test_open_missing_node),
		FAKE_DEVICE_TEST(test_open_permission_denied),
		FAKE_DEVICE_TEST(test_open_get_info),
		FAKE_DEVICE_TEST(test_numa_unknown),
		FAKE_DEVICE_TEST(test_kernel_struct_smaller),
		FAKE_DEVICE_TEST(test_kernel_struct_too_small),
		FAKE_DEVICE_TEST(test_kernel_struct_larger),
		FAKE_DEVICE_TEST(test_ioctl_errno),
		FAKE_DEVICE_TEST(test_not_trn),
		FAKE_DEVICE_TEST(test_get_info_args),
		FAKE_DEVICE_TEST(test_get_info_v01_caller),
		cmocka_unit_test(test_fd_close_null),
		cmocka_unit_test(test_strerror),
		FAKE_DEVICE_TEST(test_last_error_thread_local),
	};

	return cmocka_run_group_tests_name("nrt_device", tests, NULL, NULL);
}
