// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest test of the trn uapi as the kernel implements it: DRM version, the
 * query ioctl's size negotiation and its validation of every field, and
 * DRM_IOCTL_TRN_WAIT attacked with bad input: reserved fields, every flag
 * bit, handles that are not this file's syncobjs, deadlines of every kind,
 * structures of other sizes. Runs against every trn device found in
 * /sys/class/accel. (test_submit checks the statuses WAIT returns.)
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
#include "trn_test.h"
#include "trn_regs.h"

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
		/* The model is always of the interface version the headers describe. */
		assert_int_equal(info.hw_version_minor, TRN_VERSION_MINOR);
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

/* ---- DRM_IOCTL_TRN_WAIT ---- */

/* A status the kernel never writes: a call that fails must leave it. */
#define UNTOUCHED ((int32_t)0x5a5a5a5a)

static int wait_ioctl(int fd, struct drm_trn_wait *w)
{
	return ioctl(fd, DRM_IOCTL_TRN_WAIT, w) ? -errno : 0;
}

/* A new file of device @i, with nothing in it yet. */
static int fresh_file(int i)
{
	int fd = tt_open(devs[i].node);

	assert_true(fd >= 0);
	return fd;
}

/*
 * A job of @fd that has completed with -EFAULT (a copy between unmapped
 * addresses), in a binary syncobj returned in *@so.
 */
static void failed_job(int fd, uint32_t *so)
{
	struct drm_trn_device_info info;
	struct drm_trn_dma_desc d;
	int32_t status = UNTOUCHED;

	assert_int_equal(tt_info(fd, &info), 0);
	d = tt_copy(info.va_start, info.va_end - 4096, 8);
	assert_int_equal(tt_submit(fd, 0, &d, 1, so), 0);
	assert_int_equal(tt_wait(fd, *so, INT64_MAX, &status), 0);
	assert_int_equal(status, -EFAULT);
}

/* Every flag bit and any pad are refused, and the status is not written. */
static void test_wait_rejects_bad_fields(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		int fd = fresh_file(i);
		struct drm_trn_wait good, w;
		uint32_t so;

		failed_job(fd, &so);
		good = (struct drm_trn_wait){ .handle = so, .timeout_ns = INT64_MAX,
					      .status = UNTOUCHED };
		/* Bits 0..31 of flags, then of pad. */
		for (int bit = 0; bit < 64; bit++) {
			w = good;
			*(bit < 32 ? &w.flags : &w.pad) = 1u << (bit % 32);
			assert_int_equal(wait_ioctl(fd, &w), -EINVAL);
			assert_int_equal(w.status, UNTOUCHED);
		}
		w = good;
		w.flags = UINT32_MAX;
		assert_int_equal(wait_ioctl(fd, &w), -EINVAL);
		/* A bad field is refused before the handle is looked up. */
		w = good;
		w.handle = 0;
		w.flags = 1;
		assert_int_equal(wait_ioctl(fd, &w), -EINVAL);
		/* Nothing above consumed the status: it is still there. */
		w = good;
		assert_int_equal(wait_ioctl(fd, &w), 0);
		assert_int_equal(w.status, -EFAULT);
		assert_int_equal(w.flags, 0);
		assert_int_equal(w.pad, 0);
		close(fd);
	}
}

/* Anything but a binary syncobj of this file that holds a fence. */
static void test_wait_rejects_bad_handles(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		int fd = fresh_file(i);
		struct drm_trn_dma_desc d = { .opcode = DRM_TRN_DMA_OP_NOP };
		struct drm_trn_submit s = {
			.descs = (uintptr_t)&d,
			.desc_count = 1,
			.desc_size = sizeof(d),
		};
		const uint32_t bad[] = { 0, 1, 2, 0x7fffffff, UINT32_MAX };
		int32_t status = UNTOUCHED;
		uint32_t bo, empty, line, so;

		/* No syncobj yet: every number is unknown, a GEM handle too. */
		assert_int_equal(tt_bo_create(fd, 4096, DRM_TRN_PLACEMENT_HBM, &bo, NULL), 0);
		assert_int_equal(bo, 1);
		for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++)
			assert_int_equal(tt_wait(fd, bad[j], INT64_MAX, &status), -ENOENT);

		/* A syncobj that holds no fence: nothing submitted with it. */
		assert_int_equal(drmSyncobjCreate(fd, 0, &empty), 0);
		assert_int_equal(tt_wait(fd, empty, INT64_MAX, &status), -EINVAL);
		/* A timeline: its points forget the jobs' errors. */
		assert_int_equal(drmSyncobjCreate(fd, 0, &line), 0);
		s.out_sync.handle = line;
		s.out_sync.point = 1;
		assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_SUBMIT, &s), 0);
		assert_int_equal(tt_wait(fd, line, INT64_MAX, &status), -EINVAL);
		/* A reset syncobj has no fence again. */
		failed_job(fd, &so);
		assert_int_equal(drmSyncobjReset(fd, &so, 1), 0);
		assert_int_equal(tt_wait(fd, so, INT64_MAX, &status), -EINVAL);
		/* A destroyed one is unknown. */
		assert_int_equal(drmSyncobjDestroy(fd, so), 0);
		assert_int_equal(tt_wait(fd, so, INT64_MAX, &status), -ENOENT);
		assert_int_equal(status, UNTOUCHED);

		assert_int_equal(drmSyncobjDestroy(fd, line), 0);
		assert_int_equal(drmSyncobjDestroy(fd, empty), 0);
		assert_int_equal(tt_bo_close(fd, bo), 0);
		close(fd);
	}
}

/*
 * A file reaches another file's job only through a syncobj the owner
 * exported: a handle number means this file's own syncobj, or nothing.
 */
static void test_wait_other_files(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		int owner = fresh_file(i), other = fresh_file(i), sfd;
		int32_t status = UNTOUCHED;
		uint32_t so, mine = 0, imported;

		failed_job(owner, &so);
		assert_int_equal(tt_wait(other, so, INT64_MAX, &status), -ENOENT);
		/* The same number in the other file: that file's own syncobj. */
		while (mine < so)
			assert_int_equal(drmSyncobjCreate(other, DRM_SYNCOBJ_CREATE_SIGNALED,
							  &mine), 0);
		assert_int_equal(mine, so);
		assert_int_equal(tt_wait(other, so, INT64_MAX, &status), 0);
		assert_int_equal(status, 0);
		/* Exported by the owner and imported: the owner's job. */
		assert_int_equal(drmSyncobjHandleToFD(owner, so, &sfd), 0);
		assert_int_equal(drmSyncobjFDToHandle(other, sfd, &imported), 0);
		close(sfd);
		status = UNTOUCHED;
		assert_int_equal(tt_wait(other, imported, INT64_MAX, &status), 0);
		assert_int_equal(status, -EFAULT);
		/* The owner gone, the imported syncobj still has the status. */
		close(owner);
		status = UNTOUCHED;
		assert_int_equal(tt_wait(other, imported, 0, &status), 0);
		assert_int_equal(status, -EFAULT);
		close(other);

		/* A file of another device does not know the handle either. */
		if (ndevs > 1) {
			int far = fresh_file((i + 1) % ndevs);

			owner = fresh_file(i);
			failed_job(owner, &so);
			assert_int_equal(tt_wait(far, so, INT64_MAX, &status), -ENOENT);
			close(far);
			close(owner);
		}
	}
}

/*
 * Deadlines: absolute CLOCK_MONOTONIC times. Any time already past (0,
 * negative, INT64_MIN) only looks; a job still running gives ETIME and
 * leaves the status alone; a completed job answers at any deadline.
 */
static void test_wait_deadlines(void **state)
{
	const int64_t past[] = { INT64_MIN, -1, 0, 1 };

	(void)state;
	for (int i = 0; i < ndevs; i++) {
		int fd = fresh_file(i);
		struct drm_trn_device_info info;
		/* Semaphore 5 starts at 0 in a new file: the job waits. */
		struct drm_trn_dma_desc hold = { .opcode = DRM_TRN_DMA_OP_SEM_WAIT,
						 .aux = 5, .len = 1 };
		struct drm_trn_dma_desc release = { .opcode = DRM_TRN_DMA_OP_SEM_SIGNAL,
						    .aux = 5, .len = 1 };
		int32_t status = UNTOUCHED;
		uint32_t so, rel;
		int64_t t0;

		assert_int_equal(tt_info(fd, &info), 0);
		assert_int_equal(tt_submit(fd, 0, &hold, 1, &so), 0);
		for (size_t j = 0; j < sizeof(past) / sizeof(past[0]); j++)
			assert_int_equal(tt_wait(fd, so, past[j], &status), -ETIME);
		t0 = tt_now_ns();
		assert_int_equal(tt_wait(fd, so, t0 - 1000000000LL, &status), -ETIME);
		assert_int_equal(tt_wait(fd, so, t0 + 20000000, &status), -ETIME);
		assert_true(tt_now_ns() - t0 >= 20000000);
		assert_int_equal(status, UNTOUCHED);

		/*
		 * Released by a job on another queue; with one queue the job
		 * ends with the driver's job timeout instead.
		 */
		if (info.dma_queues > 1) {
			assert_int_equal(tt_submit(fd, 1, &release, 1, &rel), 0);
			assert_int_equal(tt_wait(fd, so, INT64_MAX, &status), 0);
			assert_int_equal(status, 0);
			assert_int_equal(tt_wait(fd, rel, INT64_MAX, &status), 0);
			assert_int_equal(status, 0);
		} else {
			assert_int_equal(tt_wait(fd, so, INT64_MAX, &status), 0);
			assert_int_equal(status, -ETIMEDOUT);
		}
		for (size_t j = 0; j < sizeof(past) / sizeof(past[0]); j++) {
			status = UNTOUCHED;
			assert_int_equal(tt_wait(fd, so, past[j], &status), 0);
			assert_true(status == 0 || status == -ETIMEDOUT);
		}
		close(fd);
	}
}

/*
 * The structure as an older (16 bytes: no status) or newer (32 bytes)
 * program passes it: the DRM core gives the kernel zeroes for what is
 * missing, and neither copies back more than was passed nor touches the
 * rest. An unreadable argument is EFAULT.
 */
static void test_wait_struct_sizes(void **state)
{
	(void)state;
	for (int i = 0; i < ndevs; i++) {
		int fd = fresh_file(i);
		unsigned char buf[32];
		struct drm_trn_wait *w = (void *)buf;
		uint32_t so;

		failed_job(fd, &so);
		memset(buf, 0xa5, sizeof(buf));
		*w = (struct drm_trn_wait){ .handle = so, .timeout_ns = INT64_MAX,
					    .status = UNTOUCHED };
		assert_int_equal(ioctl(fd, DRM_IOWR(DRM_COMMAND_BASE + DRM_TRN_WAIT, char[16]),
				       buf), 0);
		assert_int_equal(w->status, UNTOUCHED);
		for (size_t j = sizeof(*w); j < sizeof(buf); j++)
			assert_int_equal(buf[j], 0xa5);

		*w = (struct drm_trn_wait){ .handle = so, .timeout_ns = INT64_MAX };
		assert_int_equal(ioctl(fd, DRM_IOWR(DRM_COMMAND_BASE + DRM_TRN_WAIT, char[32]),
				       buf), 0);
		assert_int_equal(w->status, -EFAULT);
		for (size_t j = sizeof(*w); j < sizeof(buf); j++)
			assert_int_equal(buf[j], 0xa5);

		assert_int_equal(ioctl(fd, DRM_IOCTL_TRN_WAIT, NULL), -1);
		assert_int_equal(errno, EFAULT);
		assert_int_equal(ioctl(fd, DRM_IOCTL_TRN_WAIT, (void *)0xffffffffffff0000ULL), -1);
		assert_int_equal(errno, EFAULT);
		close(fd);
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
		cmocka_unit_test(test_wait_rejects_bad_fields),
		cmocka_unit_test(test_wait_rejects_bad_handles),
		cmocka_unit_test(test_wait_other_files),
		cmocka_unit_test(test_wait_deadlines),
		cmocka_unit_test(test_wait_struct_sizes),
	};

	return cmocka_run_group_tests_name("uapi", tests, setup, teardown);
}
