// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest test of the trn uapi as the kernel implements it: DRM version, the
 * query ioctl's size negotiation and its validation of every field. Runs
 * against every trn device found in /sys/class/accel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <cmocka.h>
#include <xf86drm.h>
#include "drm/trn_accel.h"

#define MAX_DEVICES 64

struct tdev {
	char node[PATH_MAX];
	char sysdev[PATH_MAX];
	int fd;
};

static struct tdev devs[MAX_DEVICES];
static int ndevs;

static int read_sysfs(const struct tdev *d, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d->sysdev, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static unsigned long long sysfs_u64(const struct tdev *d, const char *attr)
{
	char buf[64];

	assert_int_equal(read_sysfs(d, attr, buf, sizeof(buf)), 0);
	return strtoull(buf, NULL, 0);
}

static int setup(void **state)
{
	DIR *dir = opendir("/sys/class/accel");
	struct dirent *de;

	(void)state;
	if (!dir)
		return -1;
	while ((de = readdir(dir)) && ndevs < MAX_DEVICES) {
		struct tdev *d = &devs[ndevs];
		char link[PATH_MAX], drv[PATH_MAX];
		ssize_t n;

		if (strncmp(de->d_name, "accel", 5))
			continue;
		snprintf(link, sizeof(link), "/sys/class/accel/%s/device/driver", de->d_name);
		n = readlink(link, drv, sizeof(drv) - 1);
		if (n < 0)
			continue;
		drv[n] = 0;
		if (strcmp(strrchr(drv, '/') + 1, "trn"))
			continue;
		snprintf(d->node, sizeof(d->node), "/dev/accel/%s", de->d_name);
		snprintf(d->sysdev, sizeof(d->sysdev), "/sys/class/accel/%s/device", de->d_name);
		d->fd = open(d->node, O_RDWR | O_CLOEXEC);
		if (d->fd < 0)
			return -1;
		ndevs++;
	}
	closedir(dir);
	return ndevs > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++)
		close(devs[i].fd);
	return 0;
}

static int query(int fd, struct drm_trn_query *q)
{
	return drmIoctl(fd, DRM_IOCTL_TRN_QUERY, q) ? -errno : 0;
}

/*
 * The DRM version is the driver's version (Documentation/uapi.rst); the
 * query returns the same, and so does the module's version in sysfs.
 */
static void test_version(void **state)
{
	char module[64] = "";
	FILE *f;

	(void)state;
	f = fopen("/sys/module/trn/version", "r");
	assert_non_null(f);
	assert_non_null(fgets(module, sizeof(module), f));
	fclose(f);
	module[strcspn(module, "\n")] = 0;
	for (int i = 0; i < ndevs; i++) {
		drmVersionPtr v = drmGetVersion(devs[i].fd);
		struct drm_trn_device_info info = { 0 };
		struct drm_trn_query q = {
			.query = DRM_TRN_QUERY_DEVICE_INFO,
			.size = sizeof(info),
			.data = (uintptr_t)&info,
		};
		char got[64];

		assert_non_null(v);
		assert_string_equal(v->name, "trn");
		snprintf(got, sizeof(got), "%d.%d.%d", v->version_major,
			 v->version_minor, v->version_patchlevel);
		assert_string_equal(got, module);
		assert_int_equal(drmIoctl(devs[i].fd, DRM_IOCTL_TRN_QUERY, &q), 0);
		assert_int_equal(info.driver_version_major, v->version_major);
		assert_int_equal(info.driver_version_minor, v->version_minor);
		assert_int_equal(info.driver_version_patch, v->version_patchlevel);
		drmFreeVersion(v);
	}
}

static void test_query_size_probe(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		struct drm_trn_query q = { .query = DRM_TRN_QUERY_DEVICE_INFO };

		assert_int_equal(query(devs[i].fd, &q), 0);
		assert_int_equal(q.size, sizeof(struct drm_trn_device_info));
	}
}

static void test_query_device_info(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		struct drm_trn_device_info info;
		struct drm_trn_query q = {
			.query = DRM_TRN_QUERY_DEVICE_INFO,
			.size = sizeof(info),
			.data = (uintptr_t)&info,
		};

		memset(&info, 0xaa, sizeof(info));
		assert_int_equal(query(devs[i].fd, &q), 0);
		assert_int_equal(q.size, sizeof(info));
		assert_int_equal(info.chip_id, sysfs_u64(&devs[i], "chip_id"));
		assert_int_equal(info.num_cores, sysfs_u64(&devs[i], "neuron_cores"));
		assert_int_equal(info.hbm_size, sysfs_u64(&devs[i], "hbm_size"));
		assert_int_equal(info.hw_caps, sysfs_u64(&devs[i], "hw_caps"));
		assert_int_equal(info.hw_version_major, 1);
		assert_int_equal(info.hw_version_minor, 5);
		assert_int_equal(info.pad, 0);
	}
}

/* An older, smaller structure gets a consistent prefix and nothing more. */
static void test_query_short_buffer(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		uint8_t buf[sizeof(struct drm_trn_device_info)];
		struct drm_trn_query q = {
			.query = DRM_TRN_QUERY_DEVICE_INFO,
			.size = 8,
			.data = (uintptr_t)buf,
		};
		struct drm_trn_device_info *info = (void *)buf;

		memset(buf, 0xaa, sizeof(buf));
		assert_int_equal(query(devs[i].fd, &q), 0);
		assert_int_equal(q.size, 8);
		assert_int_equal(info->num_cores, sysfs_u64(&devs[i], "neuron_cores"));
		for (size_t j = 8; j < sizeof(buf); j++)
			assert_int_equal(buf[j], 0xaa);
	}
}

/* A newer, larger structure is filled up to what the kernel knows. */
static void test_query_long_buffer(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		uint8_t buf[sizeof(struct drm_trn_device_info) + 32];
		struct drm_trn_query q = {
			.query = DRM_TRN_QUERY_DEVICE_INFO,
			.size = sizeof(buf),
			.data = (uintptr_t)buf,
		};

		memset(buf, 0xaa, sizeof(buf));
		assert_int_equal(query(devs[i].fd, &q), 0);
		assert_int_equal(q.size, sizeof(struct drm_trn_device_info));
		for (size_t j = sizeof(struct drm_trn_device_info); j < sizeof(buf); j++)
			assert_int_equal(buf[j], 0xaa);
	}
}

static void test_query_rejects_bad_fields(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		struct drm_trn_device_info info;
		struct drm_trn_query good = {
			.query = DRM_TRN_QUERY_DEVICE_INFO,
			.size = sizeof(info),
			.data = (uintptr_t)&info,
		};
		struct drm_trn_query q;
		const uint32_t bad_queries[] = { 1, 2, 0x7fffffff, 0xffffffff };

		q = good;
		q.flags = 1;
		assert_int_equal(query(devs[i].fd, &q), -EINVAL);
		q = good;
		q.flags = 0x80000000;
		assert_int_equal(query(devs[i].fd, &q), -EINVAL);
		q = good;
		q.pad = 1;
		assert_int_equal(query(devs[i].fd, &q), -EINVAL);
		for (size_t j = 0; j < sizeof(bad_queries) / sizeof(bad_queries[0]); j++) {
			q = good;
			q.query = bad_queries[j];
			assert_int_equal(query(devs[i].fd, &q), -EINVAL);
			q.size = 0;
			assert_int_equal(query(devs[i].fd, &q), -EINVAL);
		}
		q = good;
		q.data = 0;
		assert_int_equal(query(devs[i].fd, &q), -EFAULT);
		q = good;
		q.data = 0xffffffffffff0000ULL;
		assert_int_equal(query(devs[i].fd, &q), -EFAULT);
		/* Nothing above changed the device: a good query still works. */
		q = good;
		assert_int_equal(query(devs[i].fd, &q), 0);
	}
}

static void test_unknown_ioctl(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		uint64_t arg[8] = { 0 };
		unsigned long nr;

		for (nr = DRM_TRN_WAIT + 1; nr < 0x40; nr++) {
			int ret = ioctl(devs[i].fd, DRM_IOWR(DRM_COMMAND_BASE + nr, arg), arg);

			assert_int_equal(ret, -1);
			assert_int_equal(errno, EINVAL);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_query_size_probe),
		cmocka_unit_test(test_query_device_info),
		cmocka_unit_test(test_query_short_buffer),
		cmocka_unit_test(test_query_long_buffer),
		cmocka_unit_test(test_query_rejects_bad_fields),
		cmocka_unit_test(test_unknown_ioctl),
	};

	return cmocka_run_group_tests_name("uapi", tests, setup, teardown);
}
