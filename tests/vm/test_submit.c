// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest test of buffer objects and DMA job submission through the raw uapi:
 * every field of BO_CREATE, BO_INFO and SUBMIT validated, CPU mappings
 * after a partial munmap, data moved by
 * every opcode, a fault and a timeout that fail only their job, HBM
 * exhaustion, and thousands of random submissions.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/time.h>
#include <cmocka.h>
#include "trn_test.h"

static int fd;
static struct drm_trn_device_info info;
static char sysdev[256];

static unsigned long long sysfs_u64(const char *attr)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", sysdev, attr);
	return tt_read_u64(path);
}

static int setup(void **state)
{
	(void)state;
	fd = tt_open(getenv("TRN_NODE"));
	if (fd < 0 || tt_info(fd, &info))
		return -1;
	snprintf(sysdev, sizeof(sysdev), "/sys/class/accel/%s/device",
		 strrchr(getenv("TRN_NODE") ? getenv("TRN_NODE") : "/accel0", '/') + 1);
	return info.dma_queues ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	close(fd);
	return 0;
}

static void test_info(void **state)
{
	(void)state;
	assert_true(info.dma_engines >= 1);
	assert_true(info.dma_queues >= info.dma_engines);
	assert_true(info.va_start > 0 && info.va_start < info.va_end);
	assert_true(info.max_descs >= 16);
	assert_true(info.num_sems >= 8);
}

static void test_bo_create_validation(void **state)
{
	struct drm_trn_bo_create c;
	unsigned long long used = sysfs_u64("hbm_used");
	unsigned long long bos = sysfs_u64("buffer_objects");

	(void)state;
	c = (struct drm_trn_bo_create){ .size = 0 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_CREATE, &c), -1);
	assert_int_equal(errno, EINVAL);
	c = (struct drm_trn_bo_create){ .size = 4096, .placement = 2 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_CREATE, &c), -1);
	assert_int_equal(errno, EINVAL);
	c = (struct drm_trn_bo_create){ .size = 4096, .flags = 1 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_CREATE, &c), -1);
	assert_int_equal(errno, EINVAL);
	c = (struct drm_trn_bo_create){ .size = 4096, .pad = 1 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_CREATE, &c), -1);
	assert_int_equal(errno, EINVAL);
	/* More HBM than the device has, and an absurd size. */
	c = (struct drm_trn_bo_create){ .size = sysfs_u64("hbm_size") + 4096 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_CREATE, &c), -1);
	assert_int_equal(errno, ENOMEM);
	c = (struct drm_trn_bo_create){ .size = 1ULL << 62,
					.placement = DRM_TRN_PLACEMENT_HOST };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_CREATE, &c), -1);
	assert_int_equal(errno, ENOMEM);
	/* Nothing was left behind by the failures. */
	assert_int_equal(sysfs_u64("hbm_used"), used);
	assert_int_equal(sysfs_u64("buffer_objects"), bos);
}

/* KiB after "key:" in this process's fdinfo of the device file, or -1. */
static long long fdinfo_kib(const char *key)
{
	return tt_fdinfo_num(fd, key);
}

static void test_fdinfo_memory(void **state)
{
	long long hbm = fdinfo_kib("drm-total-hbm");
	long long mem = fdinfo_kib("drm-total-memory");
	uint32_t h1, h2;

	(void)state;
	assert_true(hbm >= 0 && mem >= 0);
	assert_int_equal(tt_bo_create(fd, 1 << 20, DRM_TRN_PLACEMENT_HBM, &h1, NULL), 0);
	assert_int_equal(tt_bo_create(fd, 5000, DRM_TRN_PLACEMENT_HOST, &h2, NULL), 0);
	assert_int_equal(fdinfo_kib("drm-total-hbm"), hbm + 1024);
	assert_int_equal(fdinfo_kib("drm-total-memory"), mem + 8);
	assert_int_equal(tt_bo_close(fd, h1), 0);
	assert_int_equal(tt_bo_close(fd, h2), 0);
	assert_int_equal(fdinfo_kib("drm-total-hbm"), hbm);
	assert_int_equal(fdinfo_kib("drm-total-memory"), mem);
}

/* drm-engine-*: the time this file's jobs occupied queues of each kind. */
static void test_fdinfo_engines(void **state)
{
	long long dma = fdinfo_kib("drm-engine-dma");
	long long core = fdinfo_kib("drm-engine-core");
	struct drm_trn_dma_desc d;
	uint32_t h;
	uint64_t va;

	(void)state;
	assert_int_equal(fdinfo_kib("drm-engine-capacity-dma"), info.dma_queues);
	assert_int_equal(fdinfo_kib("drm-engine-capacity-core"), info.core_queues);
	assert_true(dma >= 0 && core >= 0);
	assert_int_equal(fdinfo_kib("drm-resident-hbm"), fdinfo_kib("drm-total-hbm"));
	assert_int_equal(tt_bo_create(fd, 32 << 20, DRM_TRN_PLACEMENT_HBM, &h, &va), 0);
	d = tt_copy(va + (16 << 20), va, 16 << 20);
	assert_int_equal(tt_submit_wait(fd, 1, &d, 1, 10), 0);
	assert_true(fdinfo_kib("drm-engine-dma") > dma);
	assert_int_equal(fdinfo_kib("drm-engine-core"), core);
	/* A program of NOPs (the zeroed buffer) on core 0. */
	d = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_EXEC, .src = va,
				       .len = 1 << 20 };
	assert_int_equal(tt_submit_wait(fd, info.dma_queues, &d, 1, 10), 0);
	assert_true(fdinfo_kib("drm-engine-core") > core);
	assert_int_equal(tt_bo_close(fd, h), 0);
}

static void test_bo_info(void **state)
{
	struct drm_trn_bo_info i = { 0 };
	uint32_t h;
	uint64_t va;

	(void)state;
	i.handle = 0xdead;
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_INFO, &i), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(tt_bo_create(fd, 5000, DRM_TRN_PLACEMENT_HOST, &h, &va), 0);
	i = (struct drm_trn_bo_info){ .handle = h, .pad = 1 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_INFO, &i), -1);
	assert_int_equal(errno, EINVAL);
	i = (struct drm_trn_bo_info){ .handle = h };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_INFO, &i), 0);
	assert_int_equal(i.size, 8192);
	assert_int_equal(i.va, va);
	assert_int_equal(i.placement, DRM_TRN_PLACEMENT_HOST);
	assert_true(va >= info.va_start && va + i.size <= info.va_end);
	assert_int_equal(tt_bo_close(fd, h), 0);
	assert_int_equal(tt_bo_close(fd, h), -EINVAL);
}

/*
 * CPU mappings follow the object's pages, not the start of the mapping:
 * after the first or the middle page of a 3-page mapping is unmapped, page
 * 2 of the object still reads as page 2 (issue 12, finding 6).
 */
static void check_mmap_offsets(uint32_t placement)
{
	struct drm_trn_bo_info i = { 0 };
	const size_t pg = 4096;
	volatile uint64_t *p;
	void *q;
	uint32_t h;
	int n;

	assert_int_equal(tt_bo_create(fd, 3 * pg, placement, &h, NULL), 0);
	i.handle = h;
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_TRN_BO_INFO, &i), 0);
	p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, i.mmap_offset);
	assert_true(p != MAP_FAILED);
	for (n = 0; n < 3; n++)
		p[n * pg / 8] = 0x1000 + n;
	assert_int_equal(munmap((void *)p, 3 * pg), 0);

	/* A fresh mapping, split before any page of it faults in. */
	p = mmap(NULL, 3 * pg, PROT_READ, MAP_SHARED, fd, i.mmap_offset);
	assert_true(p != MAP_FAILED);
	assert_int_equal(munmap((void *)p, pg), 0);
	assert_int_equal(p[2 * pg / 8], 0x1002);
	assert_int_equal(p[pg / 8], 0x1001);
	assert_int_equal(munmap((void *)(p + pg / 8), 2 * pg), 0);

	/* Its middle page unmapped: two mappings, of pages 0 and 2. */
	p = mmap(NULL, 3 * pg, PROT_READ, MAP_SHARED, fd, i.mmap_offset);
	assert_true(p != MAP_FAILED);
	assert_int_equal(munmap((void *)(p + pg / 8), pg), 0);
	assert_int_equal(p[2 * pg / 8], 0x1002);
	assert_int_equal(p[0], 0x1000);
	assert_int_equal(munmap((void *)p, 3 * pg), 0);

	/* A mapping starts at an object's mmap offset, and no further. */
	q = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, i.mmap_offset + 2 * pg);
	assert_true(q == MAP_FAILED);
	q = mmap(NULL, 4 * pg, PROT_READ, MAP_SHARED, fd, i.mmap_offset);
	assert_true(q == MAP_FAILED);
	assert_int_equal(tt_bo_close(fd, h), 0);
}

static void test_mmap_offsets(void **state)
{
	(void)state;
	check_mmap_offsets(DRM_TRN_PLACEMENT_HOST);
	check_mmap_offsets(DRM_TRN_PLACEMENT_HBM);
}

static int submit_raw(struct drm_trn_submit *s)
{
	return drmIoctl(fd, DRM_IOCTL_TRN_SUBMIT, s) ? errno : 0;
}

static void test_submit_validation(void **state)
{
	struct drm_trn_dma_desc d[2] = { { .opcode = DRM_TRN_DMA_OP_NOP } };
	struct drm_trn_sync sync = { .handle = 0xbad };
	const struct drm_trn_submit good = {
		.descs = (uintptr_t)d, .desc_count = 1, .desc_size = sizeof(d[0]),
	};
	struct drm_trn_submit s;
	uint32_t so;

	(void)state;
	s = good;
	assert_int_equal(submit_raw(&s), 0);
	s = good; s.desc_size = 16;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.desc_size = 64;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.desc_count = 0;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.desc_count = info.max_descs + 1;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.queue = info.dma_queues + info.core_queues;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.queue = 0xffffffff;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.flags = 1;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.pad = 1;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.descs = 0;
	assert_int_equal(submit_raw(&s), EFAULT);
	s = good; s.desc_count = 2; s.descs = (uintptr_t)&d[1] + 4096 * 1024;
	assert_int_equal(submit_raw(&s), EFAULT);

	/* Descriptors: unknown or privileged opcodes, reserved bits. */
	const uint32_t bad_ops[] = { 0x06, 0x7f, 0x80, 0xff, 0x100, 0x80000001 };
	for (size_t i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++) {
		d[0] = (struct drm_trn_dma_desc){ .opcode = bad_ops[i] };
		s = good;
		assert_int_equal(submit_raw(&s), EINVAL);
	}
	d[0] = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_COPY, .aux = 1 };
	s = good;
	assert_int_equal(submit_raw(&s), EINVAL);
	d[0] = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_SEM_SIGNAL, .aux = 1u << 20 };
	s = good;
	assert_int_equal(submit_raw(&s), EINVAL);
	d[0] = tt_write(info.va_start + 4, 1);
	s = good;
	assert_int_equal(submit_raw(&s), EINVAL);
	/* Fields an opcode does not use must be zero. */
	d[0] = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_NOP, .len = 1 };
	s = good;
	assert_int_equal(submit_raw(&s), EINVAL);
	d[0] = tt_write(info.va_start, 1);
	d[0].src = 8;
	s = good;
	assert_int_equal(submit_raw(&s), EINVAL);
	d[0] = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_SEM_SIGNAL, .dst = 8 };
	s = good;
	assert_int_equal(submit_raw(&s), EINVAL);
	d[0] = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_NOP };

	/* Syncobjs: unknown handles, reserved flags. */
	s = good; s.in_syncs = (uintptr_t)&sync; s.in_sync_count = 1;
	assert_int_not_equal(submit_raw(&s), 0);
	s = good; s.in_syncs = 0; s.in_sync_count = 1;
	assert_int_equal(submit_raw(&s), EFAULT);
	s = good; s.in_sync_count = 1000;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.out_sync.handle = 0xbad;
	assert_int_equal(submit_raw(&s), ENOENT);
	s = good; s.out_sync.point = 5;
	assert_int_equal(submit_raw(&s), EINVAL);
	assert_int_equal(drmSyncobjCreate(fd, 0, &so), 0);
	sync = (struct drm_trn_sync){ .handle = so, .flags = 1 };
	s = good; s.in_syncs = (uintptr_t)&sync; s.in_sync_count = 1;
	assert_int_equal(submit_raw(&s), EINVAL);
	s = good; s.out_sync.handle = so; s.out_sync.flags = 1;
	assert_int_equal(submit_raw(&s), EINVAL);
	/* A good job still goes through afterwards. */
	assert_int_equal(tt_submit_wait(fd, 0, d, 1, 10), 0);
	drmSyncobjDestroy(fd, so);
}

static void check_copy(uint32_t from, uint32_t to, size_t len, size_t soff, size_t doff)
{
	uint32_t hs, hd;
	uint64_t vs, vd;
	size_t size = len + 8192;
	uint8_t *ps, *pd;
	struct drm_trn_dma_desc d;

	assert_int_equal(tt_bo_create(fd, size, from, &hs, &vs), 0);
	assert_int_equal(tt_bo_create(fd, size, to, &hd, &vd), 0);
	ps = tt_bo_map(fd, hs, size);
	pd = tt_bo_map(fd, hd, size);
	assert_non_null(ps);
	assert_non_null(pd);
	for (size_t i = 0; i < size; i++)
		ps[i] = (uint8_t)(i * 131 + 7);
	memset(pd, 0x5a, size);
	d = tt_copy(vd + doff, vs + soff, len);
	assert_int_equal(tt_submit_wait(fd, 1 % info.dma_queues, &d, 1, 30), 0);
	for (size_t i = 0; i < size; i++) {
		uint8_t want = (i >= doff && i < doff + len) ?
			(uint8_t)((i - doff + soff) * 131 + 7) : 0x5a;
		if (pd[i] != want)
			fail_msg("copy %u->%u len %zu: byte %zu is 0x%02x, want 0x%02x",
				 from, to, len, i, pd[i], want);
	}
	munmap(ps, size);
	munmap(pd, size);
	assert_int_equal(tt_bo_close(fd, hs), 0);
	assert_int_equal(tt_bo_close(fd, hd), 0);
}

static void test_copy_directions(void **state)
{
	const uint32_t p[2] = { DRM_TRN_PLACEMENT_HOST, DRM_TRN_PLACEMENT_HBM };
	const size_t lens[] = { 1, 4095, 4097, 65537 };

	(void)state;
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++)
			for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
				check_copy(p[a], p[b], lens[l], l * 3, 4095 - l);
}

static void test_fill_write_sem(void **state)
{
	uint32_t h;
	uint64_t va;
	uint64_t *p;
	struct drm_trn_dma_desc d[4];

	(void)state;
	assert_int_equal(tt_bo_create(fd, 8192, DRM_TRN_PLACEMENT_HBM, &h, &va), 0);
	p = tt_bo_map(fd, h, 8192);
	assert_non_null(p);
	d[0] = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_FILL, .dst = va,
					  .src = 0x0807060504030201ULL, .len = 8192 };
	d[1] = tt_write(va + 8, 0x1122334455667788ULL);
	d[2] = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_SEM_SIGNAL, .aux = 3, .len = 2 };
	d[3] = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_SEM_WAIT, .aux = 3, .len = 2 };
	assert_int_equal(tt_submit_wait(fd, 0, d, 4, 10), 0);
	assert_int_equal(p[0], 0x0807060504030201ULL);
	assert_int_equal(p[1], 0x1122334455667788ULL);
	assert_int_equal(p[1023], 0x0807060504030201ULL);
	munmap(p, 8192);
	assert_int_equal(tt_bo_close(fd, h), 0);
}

/* A fault fails its job only; the same queue then runs good jobs. */
static void test_fault(void **state)
{
	uint32_t h;
	uint64_t va;
	uint64_t *p;
	struct drm_trn_dma_desc d;

	(void)state;
	assert_int_equal(tt_bo_create(fd, 4096, DRM_TRN_PLACEMENT_HBM, &h, &va), 0);
	p = tt_bo_map(fd, h, 4096);
	assert_non_null(p);
	p[0] = 42;
	d = tt_copy(va, info.va_end - 4096, 8);
	assert_int_equal(tt_submit_wait(fd, 0, &d, 1, 10), -EFAULT);
	d = tt_copy(va, 0, 8);
	assert_int_equal(tt_submit_wait(fd, 0, &d, 1, 10), -EFAULT);
	d = tt_copy(va, va + 8192 * 16, 8);
	assert_int_equal(tt_submit_wait(fd, 0, &d, 1, 10), -EFAULT);
	assert_int_equal(p[0], 42);
	d = tt_write(va, 7);
	assert_int_equal(tt_submit_wait(fd, 0, &d, 1, 10), 0);
	assert_int_equal(p[0], 7);
	munmap(p, 4096);
	assert_int_equal(tt_bo_close(fd, h), 0);
}

static struct drm_trn_dma_desc tt_exec(uint64_t prog, uint64_t len, uint64_t status)
{
	return (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_EXEC,
					  .src = prog, .len = len, .dst = status };
}

/* EXEC: the driver's checks, then programs through the raw uapi. */
static void test_exec(void **state)
{
	const uint32_t core = info.dma_queues;	/* NeuronCore 0 */
	struct drm_trn_dma_desc d;
	uint32_t h;
	uint64_t va, *st;
	uint8_t *p;

	(void)state;
	assert_true(info.core_queues >= 1);
	/* Program in pages 0 and 1, status record in page 2. */
	assert_int_equal(tt_bo_create(fd, 3 * 4096, DRM_TRN_PLACEMENT_HBM, &h, &va), 0);
	p = tt_bo_map(fd, h, 3 * 4096);
	assert_non_null(p);
	memset(p, 0, 3 * 4096);
	st = (uint64_t *)(p + 2 * 4096);

	/* Checked by the driver: queue kind and field rules. */
	d = tt_exec(va, 256, va + 2 * 4096);
	assert_int_equal(tt_submit_wait(fd, 0, &d, 1, 10), -EINVAL);
	d.aux = 1;
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), -EINVAL);
	d = tt_exec(va + 32, 256, va + 2 * 4096);
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), -EINVAL);
	d = tt_exec(va, 0, va + 2 * 4096);
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), -EINVAL);
	d = tt_exec(va, 300, va + 2 * 4096);
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), -EINVAL);
	d = tt_exec(va, (16 << 20) + 256, va + 2 * 4096);
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), -EINVAL);
	d = tt_exec(va, 256, va + 2 * 4096 + 4);
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), -EINVAL);
	d = tt_exec(va, 256, va + 2 * 4096 + 8);	/* the record is 32-byte aligned */
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), -EINVAL);

	/* Eight NOPs (all-zero instructions): the record counts them. */
	d = tt_exec(va, 8 * 256, va + 2 * 4096);
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), 0);
	assert_int_equal(st[0], (uint64_t)8 << 32);	/* error 0, 8 executed */
	assert_int_equal(st[1], 0);

	/* An unknown opcode in the third: the job fails, the record says where. */
	p[2 * 256] = 0xee;
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), -EINVAL);
	assert_int_equal(st[0], 7 | (uint64_t)2 << 32);	/* BAD_INSN at 2 */
	assert_int_equal(st[1], va + 2 * 256);

	/* A program across a page boundary; a program nothing maps faults. */
	p[2 * 256] = 0;
	d = tt_exec(va + 4096 - 256, 2 * 256, 0);
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), 0);
	d = tt_exec(info.va_end - 4096, 256, va + 2 * 4096);
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), -EFAULT);
	assert_int_equal(st[0], 1);	/* UNMAPPED at instruction 0 */
	assert_int_equal(st[1], info.va_end - 4096);

	/* The core goes on serving jobs. */
	d = tt_exec(va, 256, va + 2 * 4096);
	assert_int_equal(tt_submit_wait(fd, core, &d, 1, 10), 0);
	assert_int_equal(st[0], (uint64_t)1 << 32);
	munmap(p, 3 * 4096);
	assert_int_equal(tt_bo_close(fd, h), 0);
}

/* A job that never finishes times out; the queue recovers. */
static void test_timeout(void **state)
{
	struct drm_trn_dma_desc d = { .opcode = DRM_TRN_DMA_OP_SEM_WAIT, .aux = 5, .len = 1 };

	(void)state;
	assert_int_equal(tt_submit_wait(fd, 0, &d, 1, 60), -ETIMEDOUT);
	d = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_NOP };
	assert_int_equal(tt_submit_wait(fd, 0, &d, 1, 10), 0);
}

/*
 * Submit @n descriptors @d on @queue, wait for the job with
 * DRM_IOCTL_TRN_WAIT (10 s at most) and check that its status and the
 * sync_file's are @want.
 */
static void check_wait_status(uint32_t queue, const struct drm_trn_dma_desc *d,
			      uint32_t n, int32_t want)
{
	int32_t status = 1;
	uint32_t so;
	int sf;

	assert_int_equal(tt_submit(fd, queue, d, n, &so), 0);
	assert_int_equal(tt_wait(fd, so, tt_now_ns() + 10000000000LL, &status), 0);
	assert_int_equal(status, want);
	sf = tt_sync_status(fd, so);
	assert_int_equal(sf == 1 ? 0 : sf, want);
	/* Done: a poll answers the same, as often as asked. */
	status = 1;
	assert_int_equal(tt_wait(fd, so, 0, &status), 0);
	assert_int_equal(status, want);
	assert_int_equal(drmSyncobjDestroy(fd, so), 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* DRM_IOCTL_TRN_WAIT: the status of each kind of job ending. */
static void test_wait_status(void **state)
{
	const uint32_t core = info.dma_queues;
	struct drm_trn_dma_desc d[2];
	uint32_t h;
	uint64_t va;
	uint8_t *p;

	(void)state;
	assert_int_equal(tt_bo_create(fd, 2 * 4096, DRM_TRN_PLACEMENT_HBM, &h, &va), 0);
	p = tt_bo_map(fd, h, 2 * 4096);
	assert_non_null(p);
	memset(p, 0, 2 * 4096);

	d[0] = tt_copy(va + 4096, va, 4096);
	check_wait_status(0, d, 1, 0);
	d[0] = tt_copy(va, info.va_end - 4096, 8);
	check_wait_status(0, d, 1, -EFAULT);
	/* A job fails at any of its descriptors. */
	d[1] = d[0];
	d[0] = tt_write(va + 4096, 1);
	check_wait_status(0, d, 2, -EFAULT);
	/* A program of NOPs, then one with an unknown opcode. */
	d[0] = (struct drm_trn_dma_desc){ .opcode = DRM_TRN_DMA_OP_EXEC, .src = va,
					  .len = 2 * 256 };
	check_wait_status(core, d, 1, 0);
	p[256] = 0xee;
	check_wait_status(core, d, 1, -EINVAL);
	munmap(p, 2 * 4096);
	assert_int_equal(tt_bo_close(fd, h), 0);
}

/*
 * DRM_IOCTL_TRN_WAIT on a job that runs until the driver's timeout: the
 * deadline passes first (-ETIME), a signal interrupts the wait (EINTR: the
 * handler has no SA_RESTART), and the job completes with -ETIMEDOUT.
 */
static void test_wait_timeout(void **state)
{
	struct drm_trn_dma_desc d = { .opcode = DRM_TRN_DMA_OP_SEM_WAIT, .aux = 6, .len = 1 };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	int32_t status = 1;
	int64_t t0;
	uint32_t so;

	(void)state;
	assert_int_equal(tt_submit(fd, 0, &d, 1, &so), 0);
	assert_int_equal(tt_wait(fd, so, 0, &status), -ETIME);
	t0 = tt_now_ns();
	assert_int_equal(tt_wait(fd, so, t0 + 100000000, &status), -ETIME);
	assert_true(tt_now_ns() - t0 >= 100000000);
	assert_int_equal(tt_wait(fd, so, t0 - 1000000000LL, &status), -ETIME);
	assert_int_equal(status, 1);

	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(tt_wait(fd, so, tt_now_ns() + 60000000000LL, &status), -EINTR);
	signal(SIGALRM, SIG_DFL);

	assert_int_equal(tt_wait(fd, so, tt_now_ns() + 60000000000LL, &status), 0);
	assert_int_equal(status, -ETIMEDOUT);
	assert_int_equal(drmSyncobjDestroy(fd, so), 0);
}

/*
 * Page tables stay with an address space until its file closes, so the
 * exhaustion runs in a file of its own and memory is compared after that
 * file is closed.
 */
static void test_hbm_exhaustion(void **state)
{
	unsigned long long used = sysfs_u64("hbm_used");
	unsigned long long bos = sysfs_u64("buffer_objects");
	uint32_t handles[4096];
	int n = 0, ret, main_fd = fd;

	(void)state;
	fd = tt_open(getenv("TRN_NODE"));
	assert_true(fd >= 0);
	while (n < 4096) {
		ret = tt_bo_create(fd, 64ULL << 20, DRM_TRN_PLACEMENT_HBM, &handles[n], NULL);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			break;
		}
		n++;
	}
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(tt_bo_close(fd, handles[i]), 0);
	assert_int_equal(sysfs_u64("buffer_objects"), bos);
	/* All of it can be had again. */
	for (int i = 0; i < n; i++)
		assert_int_equal(tt_bo_create(fd, 64ULL << 20, DRM_TRN_PLACEMENT_HBM,
					      &handles[i], NULL), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(tt_bo_close(fd, handles[i]), 0);
	close(fd);
	fd = main_fd;
	assert_int_equal(sysfs_u64("hbm_used"), used);
	assert_int_equal(sysfs_u64("buffer_objects"), bos);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random submissions: every one is refused or completes; nothing breaks. */
static void test_fuzz(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL, va;
	uint32_t h;
	int iterations = getenv("TRN_FUZZ") ? atoi(getenv("TRN_FUZZ")) : 3000;
	int accepted = 0;

	(void)state;
	assert_int_equal(tt_bo_create(fd, 1 << 20, DRM_TRN_PLACEMENT_HBM, &h, &va), 0);
	for (int it = 0; it < iterations; it++) {
		struct drm_trn_dma_desc d[8];
		struct drm_trn_submit s = { 0 };
		uint32_t n = 1 + rnd(&seed) % 8;

		for (uint32_t i = 0; i < n; i++) {
			uint64_t r = rnd(&seed);

			d[i].opcode = (r & 7) < 6 ? (r & 7) :
				      (r & 7) == 6 ? DRM_TRN_DMA_OP_EXEC : (uint32_t)rnd(&seed);
			if (d[i].opcode == DRM_TRN_DMA_OP_SEM_WAIT)
				d[i].len = 0;	/* never blocks */
			else
				d[i].len = rnd(&seed) % (1 << 21);
			d[i].aux = (r >> 8) % 4 == 0 ? (uint32_t)rnd(&seed) % 64 : 0;
			d[i].src = (r >> 16) % 3 ? va + rnd(&seed) % (1 << 20) : rnd(&seed);
			d[i].dst = (r >> 20) % 3 ? va + (rnd(&seed) % (1 << 20) & ~7ULL) : rnd(&seed);
		}
		s.descs = (uintptr_t)d;
		s.desc_count = n;
		s.desc_size = rnd(&seed) % 16 ? sizeof(d[0]) : (uint32_t)rnd(&seed) % 128;
		s.queue = rnd(&seed) % (info.dma_queues + info.core_queues + 1);
		s.flags = rnd(&seed) % 32 ? 0 : 1;
		if (!drmIoctl(fd, DRM_IOCTL_TRN_SUBMIT, &s))
			accepted++;
		else
			assert_true(errno == EINVAL || errno == EFAULT);
	}
	print_message("fuzz: %d of %d submissions accepted\n", accepted, iterations);
	assert_true(accepted > 0);
	/* The device still does correct work for this file. */
	struct drm_trn_dma_desc d = tt_write(va, 99);
	assert_int_equal(tt_submit_wait(fd, 0, &d, 1, 60), 0);
	assert_int_equal(tt_bo_close(fd, h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_bo_create_validation),
		cmocka_unit_test(test_bo_info),
		cmocka_unit_test(test_mmap_offsets),
		cmocka_unit_test(test_fdinfo_memory),
		cmocka_unit_test(test_fdinfo_engines),
		cmocka_unit_test(test_submit_validation),
		cmocka_unit_test(test_copy_directions),
		cmocka_unit_test(test_fill_write_sem),
		cmocka_unit_test(test_fault),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_wait_status),
		cmocka_unit_test(test_wait_timeout),
		cmocka_unit_test(test_hbm_exhaustion),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests_name("submit", tests, setup, teardown);
}
