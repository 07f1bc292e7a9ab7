// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of libnrt device discovery and device handles.
 *
 * Each test builds a fake sysfs and /dev tree in a temporary directory and
 * points the library at it with NRT_SYSFS_ROOT and NRT_DEV_ROOT. Device
 * nodes are regular files; the DRM calls the library makes on them
 * (drmGetVersion, drmFreeVersion, drmIoctl) are replaced at link time with
 * -Wl,--wrap by the fake kernel below.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include <xf86drm.h>
#include "drm/trn_accel.h"

#include "nrt.h"
#include "nrt_log.h"
#include "fake_fs.h"

#define GIB (UINT64_C(1) << 30)
#define NOBODY_UID 65534

/* --- fake DRM driver -------------------------------------------------- */

drmVersionPtr __wrap_drmGetVersion(int fd);
void __wrap_drmFreeVersion(drmVersionPtr v);
int __wrap_drmIoctl(int fd, unsigned long request, void *arg);

static struct {
	const char *name;       /* driver name; NULL: drmGetVersion fails */
	int version_errno;      /* errno when drmGetVersion fails */
	int ioctl_errno;        /* nonzero: DRM_IOCTL_TRN_QUERY fails */
	uint32_t kinfo_size;    /* size of the kernel's drm_trn_device_info */
	unsigned char kinfo[sizeof(struct drm_trn_device_info) + 64];
	unsigned int versions;  /* live drmVersion allocations */
	unsigned int queries;
	int fd;                 /* fd of the last call */
} fake;

static void fake_reset(void)
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

	memset(&fake, 0, sizeof(fake));
	fake.name = "trn";
	fake.kinfo_size = sizeof(info);
	/* A newer kernel's fields beyond ours: must never be seen. */
	memset(fake.kinfo, 0xa5, sizeof(fake.kinfo));
	memcpy(fake.kinfo, &info, sizeof(info));
	fake.fd = -1;
}

drmVersionPtr __wrap_drmGetVersion(int fd)
{
	drmVersionPtr v;

	fake.fd = fd;
	if (!fake.name) {
		errno = fake.version_errno;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	assert_non_null(v);
	v->name = strdup(fake.name);
	assert_non_null(v->name);
	v->name_len = (int)strlen(v->name);
	v->version_major = 0;
	v->version_minor = 1;
	fake.versions++;
	return v;
}

void __wrap_drmFreeVersion(drmVersionPtr v)
{
	if (!v)
		return;
	assert_true(fake.versions > 0);
	fake.versions--;
	free(v->name);
	free(v);
}

/* Behaves like trn_ioctl_query() in the kernel driver. */
int __wrap_drmIoctl(int fd, unsigned long request, void *arg)
{
	struct drm_trn_query *q = arg;
	uint32_t len;

	fake.fd = fd;
	fake.queries++;
	assert_int_equal(request, DRM_IOCTL_TRN_QUERY);
	if (fake.ioctl_errno) {
		errno = fake.ioctl_errno;
		return -1;
	}
	if (q->flags || q->pad || q->query != DRM_TRN_QUERY_DEVICE_INFO) {
		errno = EINVAL;
		return -1;
	}
	if (!q->size) {
		q->size = fake.kinfo_size;
		return 0;
	}
	len = q->size < fake.kinfo_size ? q->size : fake.kinfo_size;
	memcpy((void *)(uintptr_t)q->data, fake.kinfo, len);
	q->size = len;
	return 0;
}

/* --- fake sysfs and /dev ---------------------------------------------- */

struct tree {
	char root[64];
	char sysfs[PATH_MAX];
	char dev[PATH_MAX];
};

static void tree_load_module(struct tree *t)
{
	char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/module/trn", t->sysfs);
	mkdir_p(path);
}

/*
 * Add /sys/class/accel/accel<minor> for the PCI function @bdf bound to
 * @driver (NULL: unbound), with numa_node @numa (NULL: no such file), and
 * its device node.
 */
static void tree_add_accel(struct tree *t, unsigned int minor, const char *bdf,
			   const char *driver, const char *numa)
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

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	/* Short and fixed, so that device node paths fit nrt_device_info. */
	snprintf(t->root, sizeof(t->root), "/tmp/nrt-unit-XXXXXX");
	if (!mkdtemp(t->root) || chmod(t->root, 0755)) {
		free(t);
		return -1;
	}
	snprintf(t->sysfs, sizeof(t->sysfs), "%s/sys", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	if (mkdir(t->sysfs, 0755) || mkdir(t->dev, 0755) ||
	    setenv("NRT_SYSFS_ROOT", t->sysfs, 1) ||
	    setenv("NRT_DEV_ROOT", t->dev, 1))
		return -1;
	fake_reset();
	*state = t;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct tree *t = *state;
	int ret;

	unsetenv("NRT_SYSFS_ROOT");
	unsetenv("NRT_DEV_ROOT");
	ret = nftw(t->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	/* Every drmVersion handed out was freed. */
	return ret || fake.versions ? -1 : 0;
}

/* The lowest free file descriptor: unchanged if nothing leaked. */
static int next_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static nrt_device *open_ok(unsigned int index)
{
	nrt_device *dev = NULL;
	nrt_status st = nrt_device_open(index, &dev);

	if (st != NRT_SUCCESS)
		fail_msg("nrt_device_open(%u): %s: %s", index, nrt_strerror(st),
			 nrt_last_error());
	assert_non_null(dev);
	return dev;
}

static void get_info_ok(const nrt_device *dev, nrt_device_info *info)
{
	memset(info, 0xff, sizeof(*info));
	info->struct_size = sizeof(*info);
	assert_int_equal(nrt_device_get_info(dev, info), NRT_SUCCESS);
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
	struct tree *t = *state;
	char path[PATH_MAX];
	unsigned int count = 99, i;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:03:00.0", "trn", "0\n");
	tree_add_accel(t, 1, "0000:01:00.0", "trn", "1\n");
	tree_add_accel(t, 2, "0000:02:00.0", "habanalabs", "0\n");
	tree_add_accel(t, 3, "0001:00:00.0", "trn", NULL);
	tree_add_accel(t, 5, "0000:05:00.0", NULL, NULL);
	tree_add_accel(t, 10, "0000:0a:00.0", "trn", "-1\n");
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
		nrt_device *dev = open_ok(i);

		get_info_ok(dev, &info);
		assert_int_equal(info.index, i);
		assert_int_equal(info.minor, expect[i].minor);
		assert_string_equal(info.pci_bdf, expect[i].bdf);
		nrt_device_close(dev);
	}
}

static void test_count_no_module(void **state)
{
	struct tree *t = *state;
	unsigned int count = 99;

	/* Not even the accel class exists. */
	assert_int_equal(nrt_device_count(&count), NRT_NO_DRIVER);
	assert_int_equal(count, 0);
	assert_string_equal(nrt_last_error(), "the trn kernel module is not loaded");

	/* Another accel driver is loaded, trn is not. */
	tree_add_accel(t, 0, "0000:01:00.0", "habanalabs", NULL);
	count = 99;
	assert_int_equal(nrt_device_count(&count), NRT_NO_DRIVER);
	assert_int_equal(count, 0);
	assert_string_equal(nrt_last_error(), "the trn kernel module is not loaded");
}

static void test_count_module_no_devices(void **state)
{
	struct tree *t = *state;
	unsigned int count = 99;

	tree_load_module(t);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 0);

	tree_add_accel(t, 0, "0000:01:00.0", "habanalabs", NULL);
	count = 99;
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 0);
}

/* The list numbers the devices as nrt_device_open() does, opening none. */
static void test_list(void **state)
{
	struct tree *t = *state;
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

	tree_load_module(t);
	assert_int_equal(nrt_device_list_get(&l), NRT_SUCCESS);
	assert_int_equal(nrt_device_list_count(l), 0);
	assert_null(nrt_device_list_entry(l, 0));
	nrt_device_list_free(l);

	tree_add_accel(t, 7, "0000:03:00.0", "trn", NULL);
	tree_add_accel(t, 2, "0000:02:00.0", "habanalabs", NULL);
	tree_add_accel(t, 4, "0000:01:00.0", "trn", NULL);
	fd = next_fd();
	assert_int_equal(nrt_device_list_get(&l), NRT_SUCCESS);
	/* Nothing opened, no query made. */
	assert_int_equal(next_fd(), fd);
	assert_int_equal(fake.queries, 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(nrt_device_list_count(l), count);
	assert_int_equal(count, 2);
	for (i = 0; i < count; i++) {
		nrt_device_info info;
		nrt_device *dev = open_ok((unsigned int)i);

		get_info_ok(dev, &info);
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
	struct tree *t = *state;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	assert_int_equal(nrt_device_open(0, NULL), NRT_INVALID);
	assert_string_not_equal(nrt_last_error(), "");
}

static void test_open_out_of_range(void **state)
{
	struct tree *t = *state;
	nrt_device *dev = (nrt_device *)&dev;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	tree_add_accel(t, 1, "0000:02:00.0", "trn", NULL);
	tree_add_accel(t, 2, "0000:03:00.0", "trn", NULL);

	assert_int_equal(nrt_device_open(4, &dev), NRT_NO_DEVICE);
	assert_string_equal(nrt_last_error(), "no trn device with index 4 (3 present)");
	assert_ptr_equal(dev, (nrt_device *)&dev);
	assert_int_equal(nrt_device_open(UINT_MAX, &dev), NRT_NO_DEVICE);
	assert_int_equal(fake.queries, 0);
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
	struct tree *t = *state;
	char path[PATH_MAX];
	nrt_device *dev = NULL;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	xsnprintf(path, sizeof(path), "%s/accel/accel0", t->dev);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(nrt_device_open(0, &dev), NRT_NO_DEVICE);
	assert_string_equal(nrt_last_error(), "no trn device with index 0 (0 present)");
	assert_null(dev);
}

static void test_open_permission_denied(void **state)
{
	struct tree *t = *state;
	char path[PATH_MAX], expect[PATH_MAX + 64];
	nrt_device *dev = NULL;
	bool root = geteuid() == 0;
	nrt_status st;
	int fd = next_fd();

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
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
	struct tree *t = *state;
	char node[PATH_MAX];
	nrt_device_info info;
	nrt_device *dev;
	int fd, flags;

	tree_load_module(t);
	tree_add_accel(t, 4, "0000:01:00.0", "trn", "1\n");
	xsnprintf(node, sizeof(node), "%s/accel/accel4", t->dev);

	dev = open_ok(0);
	fd = nrt_device_fd(dev);
	assert_true(fd >= 0);
	assert_int_equal(fake.fd, fd);
	flags = fcntl(fd, F_GETFD);
	assert_true(flags >= 0 && (flags & FD_CLOEXEC));
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_int_equal(fake.versions, 0);
	assert_int_equal(fake.queries, 1);

	get_info_ok(dev, &info);
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
	struct tree *t = *state;
	nrt_device_info info;
	size_t i;

	tree_load_module(t);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char bdf[16];
		nrt_device *dev;

		xsnprintf(bdf, sizeof(bdf), "0000:%02zx:00.0", i + 1);
		tree_add_accel(t, (unsigned int)i, bdf, "trn", values[i]);
		dev = open_ok((unsigned int)i);
		get_info_ok(dev, &info);
		assert_string_equal(info.pci_bdf, bdf);
		assert_int_equal(info.numa_node, -1);
		nrt_device_close(dev);
	}
}

static void test_kernel_struct_smaller(void **state)
{
	struct tree *t = *state;
	nrt_device_info info;
	nrt_device *dev;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	/* An old kernel that knows the fields up to hbm_size only. */
	fake.kinfo_size = offsetof(struct drm_trn_device_info, hw_version_major);
	dev = open_ok(0);
	get_info_ok(dev, &info);
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
	fake.kinfo_size = offsetof(struct drm_trn_device_info, dma_engines);
	dev = open_ok(0);
	get_info_ok(dev, &info);
	assert_int_equal(info.driver_version_minor, 1);
	assert_int_equal(info.dma_engines, 0);
	assert_int_equal(info.dma_queues, 0);
	assert_true(info.va_start == 0 && info.va_end == 0);
	assert_int_equal(info.max_descs, 0);
	nrt_device_close(dev);

	/* A kernel that stops in the middle of the new fields. */
	fake.kinfo_size = offsetof(struct drm_trn_device_info, va_start);
	dev = open_ok(0);
	get_info_ok(dev, &info);
	assert_int_equal(info.dma_engines, 2);
	assert_int_equal(info.dma_queues, 8);
	assert_true(info.va_start == 0 && info.va_end == 0);
	assert_int_equal(info.max_descs, 0);
	nrt_device_close(dev);

	/* Up to the hardware version: the rest reads as zero. */
	fake.kinfo_size = offsetof(struct drm_trn_device_info, hw_caps);
	dev = open_ok(0);
	get_info_ok(dev, &info);
	assert_int_equal(info.hw_version_major, 1);
	assert_true(info.hw_caps == 0);
	nrt_device_close(dev);
}

static void test_kernel_struct_too_small(void **state)
{
	struct tree *t = *state;
	nrt_device *dev = NULL;
	int fd = next_fd();

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	fake.kinfo_size = offsetof(struct drm_trn_device_info, hbm_size);
	assert_int_equal(nrt_device_open(0, &dev), NRT_UNSUPPORTED);
	assert_non_null(strstr(nrt_last_error(), "returned 8 bytes, at least 16 needed"));
	assert_null(dev);
	assert_int_equal(next_fd(), fd);
}

static void test_kernel_struct_larger(void **state)
{
	struct tree *t = *state;
	nrt_device_info info;
	nrt_device *dev;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	/* A newer kernel: we get our prefix of its structure. */
	fake.kinfo_size = sizeof(fake.kinfo);
	dev = open_ok(0);
	get_info_ok(dev, &info);
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
	struct tree *t = *state;
	char expect[PATH_MAX + 64];
	int fd = next_fd();
	size_t i;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		nrt_device *dev = NULL;

		fake.ioctl_errno = map[i].err;
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
	struct tree *t = *state;
	char expect[PATH_MAX + 64];
	nrt_device *dev = NULL;
	int fd = next_fd();

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);

	fake.name = "i915";
	assert_int_equal(nrt_device_open(0, &dev), NRT_NO_DEVICE);
	xsnprintf(expect, sizeof(expect),
		  "%s/accel/accel0 belongs to DRM driver \"i915\", not \"trn\"", t->dev);
	assert_string_equal(nrt_last_error(), expect);
	assert_null(dev);
	assert_int_equal(fake.queries, 0);

	fake.name = NULL;
	fake.version_errno = ENOTTY;
	assert_int_equal(nrt_device_open(0, &dev), NRT_NO_DEVICE);
	xsnprintf(expect, sizeof(expect),
		  "%s/accel/accel0 is not a DRM device: %s", t->dev, strerror(ENOTTY));
	assert_string_equal(nrt_last_error(), expect);
	assert_null(dev);
	assert_int_equal(next_fd(), fd);
}

static void test_get_info_args(void **state)
{
	struct tree *t = *state;
	struct {
		nrt_device_info info;
		unsigned char newer[16];   /* fields of a future version */
	} big;
	nrt_device_info info;
	nrt_device *dev;
	size_t i;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	dev = open_ok(0);

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
	struct tree *t = *state;
	union {
		nrt_device_info info;
		unsigned char bytes[sizeof(nrt_device_info) + 8];
	} u;
	nrt_device *dev;
	size_t i;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", "0\n");
	dev = open_ok(0);

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

/* --- the devices and cores a process sees -------------------------------- */

/* The PCI addresses of the devices listed, joined by spaces. */
static void listed(char *buf, size_t size)
{
	nrt_device_list *l;
	size_t i, len = 0;

	buf[0] = '\0';
	assert_int_equal(nrt_device_list_get(&l), NRT_SUCCESS);
	for (i = 0; i < nrt_device_list_count(l); i++) {
		const nrt_device_entry *e = nrt_device_list_entry(l, i);

		assert_int_equal(e->index, i);
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "",
					e->pci_bdf);
		assert_true(len < size);
	}
	nrt_device_list_free(l);
}

static void tree_four(struct tree *t)
{
	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	tree_add_accel(t, 1, "0000:02:00.0", "trn", NULL);
	tree_add_accel(t, 2, "0000:03:00.0", "trn", NULL);
	tree_add_accel(t, 3, "0000:04:00.0", "trn", NULL);
}

/* A container given one node of four, with the host's sysfs. */
static void test_visible_nodes(void **state)
{
	struct tree *t = *state;
	char path[PATH_MAX], got[256];
	nrt_device_info info;
	unsigned int count;
	nrt_device *dev;

	tree_four(t);
	xsnprintf(path, sizeof(path), "%s/accel/accel0", t->dev);
	assert_int_equal(unlink(path), 0);
	xsnprintf(path, sizeof(path), "%s/accel/accel1", t->dev);
	assert_int_equal(unlink(path), 0);
	xsnprintf(path, sizeof(path), "%s/accel/accel3", t->dev);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 1);
	listed(got, sizeof(got));
	assert_string_equal(got, "0000:03:00.0");
	dev = open_ok(0);
	get_info_ok(dev, &info);
	assert_int_equal(info.index, 0);
	assert_int_equal(info.minor, 2);
	xsnprintf(path, sizeof(path), "%s/accel/accel2", t->dev);
	assert_string_equal(info.device_node, path);
	nrt_device_close(dev);
	assert_int_equal(nrt_device_open(1, &dev), NRT_NO_DEVICE);

	/* No node at all: none seen, but the driver is there. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 0);
	xsnprintf(path, sizeof(path), "%s/accel", t->dev);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 0);
}

static void test_visible_devices(void **state)
{
	static const struct {
		const char *value;
		const char *want;
	} cases[] = {
		{ "2,0", "0000:03:00.0 0000:01:00.0" },
		{ " 3 ,\t1", "0000:04:00.0 0000:02:00.0" },
		{ "01", "0000:02:00.0" },
		{ "1,x,0", "0000:02:00.0" },          /* stops at x */
		{ "1,4,0", "0000:02:00.0" },          /* 4 does not exist */
		{ "1,1,0", "0000:02:00.0" },          /* twice */
		{ "1,,0", "0000:02:00.0" },           /* empty entry */
		{ "-1", "" },
		{ "+1", "" },
		{ "", "" },
		{ "0,1,2,3", "0000:01:00.0 0000:02:00.0 0000:03:00.0 0000:04:00.0" },
		{ "3,", "0000:04:00.0" },
		{ "b5c2a0c4-1e64-4a5e-9d2a-0000000000c3,0",
		  "0000:03:00.0 0000:01:00.0" },
		{ "B5C2A0C4-1E64-4A5E-9D2A-0000000000C3", "0000:03:00.0" },
		{ "b5c2a0c4-1e64-4a5e-9d2a-000000000000", "" },
	};
	struct tree *t = *state;
	char path[PATH_MAX], got[256];
	nrt_device_info info;
	unsigned int count;
	nrt_device *dev;
	size_t i;

	tree_four(t);
	xsnprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:03:00.0/uuid", t->sysfs);
	write_file(path, "b5c2a0c4-1e64-4a5e-9d2a-0000000000c3\n", 0444);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(setenv("NRT_VISIBLE_DEVICES", cases[i].value, 1), 0);
		listed(got, sizeof(got));
		if (strcmp(got, cases[i].want))
			fail_msg("NRT_VISIBLE_DEVICES=\"%s\": \"%s\", want \"%s\"",
				 cases[i].value, got, cases[i].want);
	}

	/* Count, list and open agree, numbered from 0. */
	assert_int_equal(setenv("NRT_VISIBLE_DEVICES", "3,1", 1), 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 2);
	dev = open_ok(0);
	get_info_ok(dev, &info);
	assert_int_equal(info.index, 0);
	assert_string_equal(info.pci_bdf, "0000:04:00.0");
	nrt_device_close(dev);
	dev = open_ok(1);
	get_info_ok(dev, &info);
	assert_string_equal(info.pci_bdf, "0000:02:00.0");
	nrt_device_close(dev);
	assert_int_equal(nrt_device_open(2, &dev), NRT_NO_DEVICE);

	/* Only devices with a node can be selected. */
	xsnprintf(path, sizeof(path), "%s/accel/accel3", t->dev);
	assert_int_equal(unlink(path), 0);
	listed(got, sizeof(got));
	assert_string_equal(got, "");
	assert_int_equal(setenv("NRT_VISIBLE_DEVICES", "2", 1), 0);
	listed(got, sizeof(got));
	assert_string_equal(got, "0000:03:00.0");
	unsetenv("NRT_VISIBLE_DEVICES");
}

static void test_visible_cores(void **state)
{
	static const struct {
		const char *value;
		unsigned int cores;
	} cases[] = {
		{ NULL, 2 }, { "1", 1 }, { "1,0", 2 }, { "0-1", 2 }, { "1-1", 1 },
		{ "0,0", 1 }, { "2", 0 }, { "0,2,1", 1 }, { "1-0", 0 }, { "x", 0 },
		{ "", 0 }, { " 1 ", 1 }, { "0-2", 0 }, { "0,0-1", 1 },
	};
	struct tree *t = *state;
	nrt_device_info info;
	nrt_device *dev;
	size_t i;

	tree_load_module(t);
	tree_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].value)
			assert_int_equal(setenv("NRT_VISIBLE_CORES", cases[i].value, 1), 0);
		else
			unsetenv("NRT_VISIBLE_CORES");
		dev = open_ok(0);
		get_info_ok(dev, &info);
		if (info.core_queues != cases[i].cores || info.num_cores != cases[i].cores)
			fail_msg("NRT_VISIBLE_CORES=\"%s\": %u cores, %u queues, want %u",
				 cases[i].value ? cases[i].value : "(unset)", info.num_cores,
				 info.core_queues, cases[i].cores);
		nrt_device_close(dev);
	}
	unsetenv("NRT_VISIBLE_CORES");
}

/* --- the log --------------------------------------------------------------- */

/* Point the log at a file of the tree at @level; return its path. */
static const char *log_to_file(struct tree *t, const char *level)
{
	static char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/nrt.log", t->root);
	unlink(path);
	assert_int_equal(setenv("NRT_LOG_LEVEL", level, 1), 0);
	assert_int_equal(setenv("NRT_LOG_FILE", path, 1), 0);
	nrt_log_reinit();
	return path;
}

static void log_off(void)
{
	unsetenv("NRT_LOG_LEVEL");
	unsetenv("NRT_LOG_FILE");
	nrt_log_reinit();
}

/* The contents of @path ("" if it does not exist). */
static char *slurp(const char *path)
{
	static char buf[256 * 1024];
	ssize_t n = 0;
	int fd = open(path, O_RDONLY);

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static size_t count_lines(const char *s, const char *needle)
{
	size_t n = 0;
	const char *p = s;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void test_log_failures(void **state)
{
	struct tree *t = *state;
	char want[1024];
	const char *path, *text;
	nrt_device *dev;
	unsigned int count;

	tree_four(t);
	path = log_to_file(t, "error");
	/* A success logs nothing. */
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	dev = open_ok(0);
	nrt_device_close(dev);
	assert_string_equal(slurp(path), "");

	/* A failure is one line, with the text of nrt_last_error(). */
	assert_int_equal(nrt_device_open(7, &dev), NRT_NO_DEVICE);
	xsnprintf(want, sizeof(want), "]: libnrt error: nrt_device_open() failed: %s\n",
		  nrt_last_error());
	text = slurp(path);
	assert_non_null(strstr(text, want));
	assert_int_equal(count_lines(text, "\n"), 1);
	/* "YYYY-MM-DDTHH:MM:SS.mmmZ prog[pid]: " */
	assert_true(strlen(text) > 25 && text[10] == 'T' && text[23] == 'Z');

	/* info: the opens too; off: nothing. */
	path = log_to_file(t, "INFO");
	dev = open_ok(1);
	nrt_device_close(dev);
	assert_non_null(strstr(slurp(path), "libnrt info: device 1 (0000:02:00.0, "));
	path = log_to_file(t, "off");
	assert_int_equal(nrt_device_open(7, &dev), NRT_NO_DEVICE);
	assert_string_equal(slurp(path), "");

	/* An unknown level: warn, and says so. */
	path = log_to_file(t, "loud");
	assert_int_equal(nrt_device_open(7, &dev), NRT_NO_DEVICE);
	text = slurp(path);
	assert_non_null(strstr(text, "libnrt warn: NRT_LOG_LEVEL: unknown level"));
	assert_non_null(strstr(text, "libnrt error: nrt_device_open() failed: "));
	log_off();
}

static void test_log_visible_warning(void **state)
{
	struct tree *t = *state;
	const char *path;
	unsigned int count;

	tree_four(t);
	path = log_to_file(t, "warn");
	assert_int_equal(setenv("NRT_VISIBLE_DEVICES", "1,7,0", 1), 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 1);
	unsetenv("NRT_VISIBLE_DEVICES");
	assert_non_null(strstr(slurp(path),
			       "libnrt warn: NRT_VISIBLE_DEVICES=1,7,0: entry \"7\" names no device"));
	log_off();
}

struct log_thread {
	unsigned int failures;
};

static void *log_thread(void *arg)
{
	struct log_thread *lt = arg;
	nrt_device *dev;
	unsigned int i;

	for (i = 0; i < 200; i++)
		if (nrt_device_open(9, &dev) == NRT_NO_DEVICE)
			lt->failures++;
	return NULL;
}

/* Four threads fail at once: every failure is one whole line. */
static void test_log_threads(void **state)
{
	struct tree *t = *state;
	struct log_thread lt[4];
	pthread_t th[4];
	const char *path, *text;
	unsigned int i;

	tree_four(t);
	path = log_to_file(t, "error");
	memset(lt, 0, sizeof(lt));
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, log_thread, &lt[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(lt[i].failures, 200);
	}
	text = slurp(path);
	assert_int_equal(count_lines(text, "\n"), 800);
	assert_int_equal(count_lines(text,
				     "]: libnrt error: nrt_device_open() failed: no trn device with index 9 (4 present)\n"),
			 800);
	log_off();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_count_sorted_by_bdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_no_module, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_module_no_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_no_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_permission_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_get_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numa_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_struct_smaller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_struct_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_struct_larger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioctl_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_trn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_info_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_info_v01_caller, setup, teardown),
		cmocka_unit_test(test_fd_close_null),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test_setup_teardown(test_last_error_thread_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visible_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visible_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visible_cores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_visible_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_threads, setup, teardown),
	};

	return cmocka_run_group_tests_name("nrt_device", tests, NULL, NULL);
}
