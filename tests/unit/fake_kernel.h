/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2026 The trn authors
 *
 * A fake trn kernel driver for the unit tests of libnrt, shared by the test
 * programs that link the library objects with -Wl,--wrap (see mk/user.mk).
 *
 * Every call the library makes into the kernel interface is replaced:
 * drmIoctl (the trn ioctls, WAIT included, and GEM_CLOSE), drmGetVersion,
 * the drmSyncobj* calls, ioctl (the sync_file ioctls of fence export) and
 * mmap/munmap of buffer objects.
 * The fake runs every job at submission (unless told to keep jobs pending)
 * against buffer objects backed by host memory, so data paths can be
 * checked end to end. EXEC descriptors on the queues of the NeuronCores
 * (dma_queues + c, c < core_queues) run their program with the reference
 * executor of tests/common/trn_ref.c and write its status record; a test
 * can also make them report an error of its choice (fake.exec_inject). A
 * fake sysfs tree as in fake_device.c makes nrt_device_open() work.
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>
#include <xf86drm.h>
#include "drm/trn_accel.h"

#include "nrt.h"
#include "nrt_dma.h"
#include "nrt_fence_pool.h"
#include "nrt_tensor.h"
#include "nrt_transfer.h"
#include "fake_fs.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define GIB (UINT64_C(1) << 30)
#define PAGE 4096u

/* --- fake kernel ------------------------------------------------------ */

drmVersionPtr __wrap_drmGetVersion(int fd);
void __wrap_drmFreeVersion(drmVersionPtr v);
int __wrap_drmIoctl(int fd, unsigned long request, void *arg);
int __wrap_drmSyncobjCreate(int fd, uint32_t flags, uint32_t *handle);
int __wrap_drmSyncobjDestroy(int fd, uint32_t handle);
int __wrap_drmSyncobjWait(int fd, uint32_t *handles, unsigned int num_handles,
			  int64_t timeout_nsec, unsigned int flags,
			  uint32_t *first_signaled);
int __wrap_drmSyncobjSignal(int fd, const uint32_t *handles, uint32_t count);
int __wrap_drmSyncobjExportSyncFile(int fd, uint32_t handle, int *sync_file_fd);
int __wrap_ioctl(int fd, unsigned long request, ...);
int __real_ioctl(int fd, unsigned long request, ...);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_munmap(void *addr, size_t len);
int __real_munmap(void *addr, size_t len);

#define FAKE_BOS 256
/* Syncobjs alive at once: more than the runs of test_run_records(). */
#define FAKE_SYNCOBJS 8192
#define FAKE_FDS 4096
#define FAKE_LOG 64
#define FAKE_VA_START 0x100000u
/* Buffer objects above this size get no memory; jobs on them move nothing. */
#define FAKE_BIG_BO (64 * MIB)

struct fake_bo {
	bool live;
	uint32_t placement;
	uint64_t size;
	uint64_t va;
	unsigned char *mem;
	unsigned int maps;
};

struct fake_syncobj {
	bool live;
	bool has_fence;
	int status;             /* 1 ok, 0 pending, < 0 error */
};

struct fake_submit {
	uint32_t queue;
	uint32_t count;
	uint32_t in_count;
	uint32_t in[8];
	uint32_t out;
	struct drm_trn_dma_desc descs[8];
};

/* Semaphores of the fake address space (kinfo.num_sems of them are valid). */
#define FAKE_SEMS 64

struct fake_kernel {
	pthread_mutex_t lock;
	struct drm_trn_device_info kinfo;
	uint32_t kinfo_size;
	unsigned int versions;

	struct fake_bo bos[FAKE_BOS];
	uint64_t next_va;
	uint64_t hbm_used;
	unsigned int bos_created;
	unsigned int live_bos;
	int bo_create_errno;

	/* DRM_IOCTL_TRN_PEER_IMPORT: the last request, and its outcome */
	struct drm_trn_peer_import peer_req;
	unsigned int peer_imports;
	int peer_errno;             /* nonzero: the import fails */
	uint64_t peer_size;         /* size of the imported object */

	struct fake_syncobj syncobjs[FAKE_SYNCOBJS];
	unsigned int live_syncobjs;
	unsigned int next_syncobj;      /* where the search for a free one starts */
	int64_t last_timeout;
	unsigned int exports;           /* drmSyncobjExportSyncFile calls */
	unsigned int file_infos;        /* SYNC_IOC_FILE_INFO calls */

	/* DRM_IOCTL_TRN_WAIT */
	unsigned int waits;             /* calls, also the failed ones */
	struct drm_trn_wait last_wait;  /* the argument of the last call */
	int wait_errno;                 /* nonzero: the next calls fail so */
	unsigned int wait_errno_count;  /* ... this many of them */

	int sync_status[FAKE_FDS];
	bool sync_valid[FAKE_FDS];

	unsigned int submits;
	struct fake_submit log[FAKE_LOG];
	int submit_errno;        /* nonzero: SUBMIT fails */
	unsigned int submit_errno_at; /* ... from this submission on */
	int fail_submit;         /* nonzero: submission number fail_at faults */
	unsigned int fail_at;
	bool defer;              /* jobs stay pending */

	/* NeuronCores */
	uint64_t sems[FAKE_SEMS];
	unsigned int execs;      /* EXEC descriptors run */
	struct {
		bool on;         /* EXEC reports this instead of running */
		uint32_t error;  /* record: TRN_DMA_ERR_* */
		uint32_t insn;   /* record: failed instruction */
		uint64_t addr;   /* record: faulting address */
		int status;      /* fence status of the job, e.g. -EFAULT */
		bool no_record;  /* write no record (a job stopped early) */
	} exec_inject;
};

extern struct fake_kernel fake;

/* Reset the fake to a device with 4 DMA queues, 2 cores and 32 semaphores. */
void fake_reset(void);
struct fake_bo *fake_bo_of_handle(uint32_t handle);
/* The buffer object that holds all of [va, va + len), if any. */
struct fake_bo *fake_bo_of_range(uint64_t va, uint64_t len);
struct fake_syncobj *fake_syncobj(uint32_t handle);
/* Complete the pending job whose fence is in @handle with @status. */
void fake_complete(uint32_t handle, int status);
/* The job submitted @back submissions before the last one. */
const struct fake_submit *fake_last(unsigned int back);
/* Host memory behind a buffer, as the fake device sees it. */
unsigned char *fake_mem(const nrt_buffer *buf);
/* sync_file round trips (export + info) since the counters were @e, @i. */
#define assert_no_status_query(e, i) do { \
	assert_int_equal(fake.exports, (e)); \
	assert_int_equal(fake.file_infos, (i)); \
} while (0)

/* --- fake sysfs and /dev ---------------------------------------------- */

struct env {
	char root[64];
	nrt_device *dev;
};

nrt_device *open_ok(unsigned int index);
/* cmocka setup and teardown: a fake tree with two devices, device 0 open. */
int setup(void **state);
int teardown(void **state);
nrt_buffer *alloc_ok(nrt_device *dev, size_t size, nrt_placement p);
void fill_pattern(unsigned char *p, size_t len, unsigned int seed);

/* An fp32 HBM tensor, or the test fails; T(dev, NRT_DTYPE_FP32, 2, 3) is 2x3. */
nrt_tensor *tensor_ok(nrt_device *dev, nrt_dtype dt, unsigned int rank,
		      const uint32_t *shape, nrt_placement pl);
#define T(dev, dt, ...) \
	tensor_ok(dev, dt, sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t), \
		  (const uint32_t[]){ __VA_ARGS__ }, NRT_PLACEMENT_HBM)
#define SHAPE(...) sizeof((uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t), \
	(const uint32_t[]){ __VA_ARGS__ }
nrt_program *program_ok(nrt_device *dev);
/* The elements of a tensor from and to fp32 host arrays. */
void write_f32(nrt_tensor *t, const float *v);
void read_f32(const nrt_tensor *t, float *v);
/* The device node of the test device, for expected messages. */
const char *node(const struct env *e);

#define assert_status(call, expect) do { \
	nrt_status st_ = (call); \
	if (st_ != (expect)) \
		fail_msg("%s: %s (%s), expected %s", #call, nrt_strerror(st_), \
			 nrt_last_error(), nrt_strerror(expect)); \
} while (0)

#define assert_error_contains(text) do { \
	if (!strstr(nrt_last_error(), (text))) \
		fail_msg("error \"%s\" lacks \"%s\"", nrt_last_error(), (text)); \
} while (0)

#endif /* FAKE_KERNEL_H */
