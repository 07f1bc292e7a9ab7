// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * A fake trn kernel driver for the unit tests of libnrt (see fake_kernel.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sync_file.h>

#include "fake_kernel.h"

#include "trn_isa.h"
#include "trn_regs.h"
#include "trn_ref.h"

struct fake_kernel fake;

void fake_reset(void)
{
	unsigned int i;

	for (i = 0; i < FAKE_BOS; i++)
		free(fake.bos[i].mem);
	pthread_mutex_destroy(&fake.lock);
	memset(&fake, 0, sizeof(fake));
	pthread_mutex_init(&fake.lock, NULL);
	fake.kinfo.chip_id = 7;
	fake.kinfo.num_cores = 2;
	fake.kinfo.hbm_size = GIB;
	fake.kinfo.hw_version_major = 1;
	fake.kinfo.hw_version_minor = 1;
	/* DRM_IOCTL_TRN_WAIT came with 0.5. */
	fake.kinfo.driver_version_minor = 5;
	fake.kinfo.dma_engines = 2;
	fake.kinfo.dma_queues = 4;
	fake.kinfo.va_start = FAKE_VA_START;
	fake.kinfo.va_end = UINT64_C(1) << 39;
	fake.kinfo.max_descs = 64;
	fake.kinfo.num_sems = 32;
	fake.kinfo.core_queues = 2;
	fake.kinfo_size = sizeof(fake.kinfo);
	fake.next_va = FAKE_VA_START;
}

drmVersionPtr __wrap_drmGetVersion(int fd)
{
	drmVersionPtr v = calloc(1, sizeof(*v));

	(void)fd;
	assert_non_null(v);
	v->name = strdup("trn");
	assert_non_null(v->name);
	v->name_len = 3;
	fake.versions++;
	return v;
}

void __wrap_drmFreeVersion(drmVersionPtr v)
{
	if (!v)
		return;
	fake.versions--;
	free(v->name);
	free(v);
}

static int fake_errno(int err)
{
	errno = err;
	return -1;
}

struct fake_bo *fake_bo_of_handle(uint32_t handle)
{
	if (handle == 0 || handle > FAKE_BOS || !fake.bos[handle - 1].live)
		return NULL;
	return &fake.bos[handle - 1];
}

/* The buffer object that holds all of [va, va + len), if any. */
struct fake_bo *fake_bo_of_range(uint64_t va, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < FAKE_BOS; i++) {
		struct fake_bo *bo = &fake.bos[i];

		if (bo->live && va >= bo->va && len <= bo->size &&
		    va - bo->va <= bo->size - len)
			return bo;
	}
	return NULL;
}

struct fake_syncobj *fake_syncobj(uint32_t handle)
{
	if (handle == 0 || handle > FAKE_SYNCOBJS ||
	    !fake.syncobjs[handle - 1].live)
		return NULL;
	return &fake.syncobjs[handle - 1];
}

static int fake_query(struct drm_trn_query *q)
{
	uint32_t len;

	if (q->flags || q->pad || q->query != DRM_TRN_QUERY_DEVICE_INFO)
		return fake_errno(EINVAL);
	if (!q->size) {
		q->size = fake.kinfo_size;
		return 0;
	}
	len = q->size < fake.kinfo_size ? q->size : fake.kinfo_size;
	memcpy((void *)(uintptr_t)q->data, &fake.kinfo, len);
	q->size = len;
	return 0;
}

static int fake_bo_create(struct drm_trn_bo_create *c)
{
	uint64_t size = (c->size + PAGE - 1) / PAGE * PAGE;
	unsigned int i;

	/* A 0.1 kernel does not know the ioctl. */
	if (fake.kinfo_size <= offsetof(struct drm_trn_device_info, dma_engines))
		return fake_errno(EINVAL);
	if (fake.bo_create_errno)
		return fake_errno(fake.bo_create_errno);
	if (!c->size || c->placement > DRM_TRN_PLACEMENT_HOST || c->flags || c->pad)
		return fake_errno(EINVAL);
	if (c->placement == DRM_TRN_PLACEMENT_HBM &&
	    size > fake.kinfo.hbm_size - fake.hbm_used)
		return fake_errno(ENOMEM);
	for (i = 0; i < FAKE_BOS && fake.bos[i].live; i++)
		;
	if (i == FAKE_BOS)
		return fake_errno(ENOMEM);

	memset(&fake.bos[i], 0, sizeof(fake.bos[i]));
	fake.bos[i].live = true;
	fake.bos[i].placement = c->placement;
	fake.bos[i].size = size;
	fake.bos[i].va = fake.next_va;
	if (size <= FAKE_BIG_BO) {
		fake.bos[i].mem = calloc(1, size);
		assert_non_null(fake.bos[i].mem);
	}
	/* A guard page between buffers, so that overruns fault. */
	fake.next_va += size + PAGE;
	if (c->placement == DRM_TRN_PLACEMENT_HBM)
		fake.hbm_used += size;
	fake.bos_created++;
	fake.live_bos++;
	c->handle = i + 1;
	c->va = fake.bos[i].va;
	return 0;
}

/* A peer import: an object without memory the test can touch. */
static int fake_peer_import(struct drm_trn_peer_import *imp)
{
	unsigned int i;

	fake.peer_req = *imp;
	fake.peer_imports++;
	if (fake.peer_errno)
		return fake_errno(fake.peer_errno);
	if ((imp->flags & ~DRM_TRN_PEER_FLAGS) || imp->pad)
		return fake_errno(EINVAL);
	for (i = 0; i < FAKE_BOS && fake.bos[i].live; i++)
		;
	if (i == FAKE_BOS)
		return fake_errno(ENOMEM);
	memset(&fake.bos[i], 0, sizeof(fake.bos[i]));
	fake.bos[i].live = true;
	fake.bos[i].placement = DRM_TRN_PLACEMENT_PEER;
	fake.bos[i].size = fake.peer_size;
	fake.bos[i].mem = calloc(1, fake.peer_size);
	assert_non_null(fake.bos[i].mem);
	fake.bos[i].va = fake.next_va;
	fake.next_va += fake.peer_size + PAGE;
	fake.live_bos++;
	imp->handle = i + 1;
	imp->size = fake.peer_size;
	imp->va = fake.bos[i].va;
	return 0;
}

static int fake_bo_info(struct drm_trn_bo_info *info)
{
	struct fake_bo *bo;

	if (info->pad)
		return fake_errno(EINVAL);
	bo = fake_bo_of_handle(info->handle);
	if (!bo)
		return fake_errno(ENOENT);
	info->size = bo->size;
	info->va = bo->va;
	info->mmap_offset = (uint64_t)info->handle << 32;
	info->placement = bo->placement;
	info->pad2 = 0;
	return 0;
}

static int fake_gem_close(struct drm_gem_close *gc)
{
	struct fake_bo *bo = fake_bo_of_handle(gc->handle);

	if (!bo || gc->pad)
		return fake_errno(EINVAL);
	assert_int_equal(bo->maps, 0);   /* the library unmaps first */
	if (bo->placement == DRM_TRN_PLACEMENT_HBM)
		fake.hbm_used -= bo->size;
	free(bo->mem);
	memset(bo, 0, sizeof(*bo));
	fake.live_bos--;
	return 0;
}

/* The reference executor's view of the fake address space. */
static int fake_resolve(void *ctx, uint64_t va, uint64_t len, bool write,
			void **host)
{
	struct fake_bo *bo = fake_bo_of_range(va, len);

	(void)ctx;
	(void)write;
	if (!bo || !bo->mem)
		return TRN_DMA_ERR_UNMAPPED;
	*host = bo->mem + (va - bo->va);
	return TRN_DMA_ERR_NONE;
}

/* The fence status of a job whose program stopped with @error. */
static int fake_exec_status(int error)
{
	switch (error) {
	case TRN_DMA_ERR_NONE:
		return 0;
	case TRN_DMA_ERR_UNMAPPED:
	case TRN_DMA_ERR_READONLY:
	case TRN_DMA_ERR_BAD_PT:
		return -EFAULT;
	case TRN_REF_BLOCKED:
		/* The driver's job timeout ends a wait that nothing satisfies. */
		return -ETIMEDOUT;
	default:
		return -EINVAL;
	}
}

/* Run an EXEC descriptor as a NeuronCore does. Return: 0 or -errno. */
static int fake_exec(const struct drm_trn_dma_desc *d)
{
	struct trn_ref_env env = {
		fake_resolve, NULL, fake.sems, fake.kinfo.num_sems,
	};
	struct trn_ref_status st = { 0, 0, 0 };
	unsigned char rec[TRN_EXEC_ST_SIZE];
	struct fake_bo *prog, *out = NULL;
	int status;

	fake.execs++;
	if (d->dst) {
		out = fake_bo_of_range(d->dst, TRN_EXEC_ST_SIZE);
		if (!out || !out->mem)
			return -EFAULT;
	}
	if (fake.exec_inject.on) {
		st.error = (int)fake.exec_inject.error;
		st.insn = fake.exec_inject.insn;
		st.addr = fake.exec_inject.addr;
		status = fake.exec_inject.status;
		if (fake.exec_inject.no_record)
			return status;
	} else {
		prog = fake_bo_of_range(d->src, d->len);
		if (!prog || !prog->mem) {
			st.error = TRN_DMA_ERR_UNMAPPED;
			st.addr = d->src;
		} else {
			trn_ref_run(prog->mem + (d->src - prog->va), d->len, d->src,
				    &env, &st);
		}
		status = fake_exec_status(st.error);
		if (st.error == TRN_REF_BLOCKED)
			return status;  /* stopped by the driver: no record */
	}
	if (out) {
		uint64_t ns = 1000 + st.insn;
		uint32_t err = (uint32_t)st.error;

		memset(rec, 0, sizeof(rec));
		memcpy(rec + TRN_EXEC_ST_ERROR, &err, 4);
		memcpy(rec + TRN_EXEC_ST_INSN, &st.insn, 4);
		memcpy(rec + TRN_EXEC_ST_ADDR, &st.addr, 8);
		memcpy(rec + TRN_EXEC_ST_NS, &ns, 8);
		memcpy(out->mem + (d->dst - out->va), rec, sizeof(rec));
	}
	return status;
}

/* Run one descriptor. Return: 0 or -errno. */
static int fake_run_desc(const struct drm_trn_dma_desc *d)
{
	struct fake_bo *s, *t;

	switch (d->opcode) {
	case DRM_TRN_DMA_OP_NOP:
		return 0;
	case DRM_TRN_DMA_OP_SEM_SIGNAL:
		if (d->aux < FAKE_SEMS)
			fake.sems[d->aux] += d->len;
		return 0;
	case DRM_TRN_DMA_OP_SEM_WAIT:
		return 0;
	case DRM_TRN_DMA_OP_EXEC:
		return fake_exec(d);
	case DRM_TRN_DMA_OP_COPY:
		s = fake_bo_of_range(d->src, d->len);
		t = fake_bo_of_range(d->dst, d->len);
		if (!s || !t)
			return -EFAULT;
		if (s->mem && t->mem)
			memmove(t->mem + (d->dst - t->va), s->mem + (d->src - s->va),
				d->len);
		return 0;
	case DRM_TRN_DMA_OP_FILL:
		t = fake_bo_of_range(d->dst, d->len);
		if (!t)
			return -EFAULT;
		if (t->mem) {
			uint64_t i;

			for (i = 0; i < d->len; i++)
				t->mem[d->dst - t->va + i] =
					(unsigned char)(d->src >> (8 * ((d->dst + i) % 8)));
		}
		return 0;
	case DRM_TRN_DMA_OP_WRITE:
		t = fake_bo_of_range(d->dst, 8);
		if (!t)
			return -EFAULT;
		if (t->mem)
			memcpy(t->mem + (d->dst - t->va), &d->len, 8);
		return 0;
	default:
		return -EFAULT;
	}
}

static int fake_submit(struct drm_trn_submit *sub)
{
	const struct drm_trn_dma_desc *descs = (const void *)(uintptr_t)sub->descs;
	const struct drm_trn_sync *in = (const void *)(uintptr_t)sub->in_syncs;
	struct fake_syncobj *out = NULL;
	struct fake_submit *log;
	unsigned int i, n = fake.submits;
	int status = 1;

	if (fake.submit_errno && n >= fake.submit_errno_at)
		return fake_errno(fake.submit_errno);
	if (sub->flags || sub->pad || sub->desc_size != sizeof(*descs) ||
	    !sub->desc_count || sub->desc_count > fake.kinfo.max_descs ||
	    sub->queue >= fake.kinfo.dma_queues + fake.kinfo.core_queues ||
	    sub->out_sync.flags || sub->out_sync.point)
		return fake_errno(EINVAL);
	for (i = 0; i < sub->desc_count; i++) {
		const struct drm_trn_dma_desc *d = &descs[i];

		/* What the kernel checks (trn_job_copy_descs()). */
		if (d->opcode == DRM_TRN_DMA_OP_EXEC) {
			if (sub->queue < fake.kinfo.dma_queues || d->aux ||
			    d->src % TRN_INSN_ALIGN || d->dst % TRN_EXEC_ST_SIZE || !d->len ||
			    d->len > TRN_PROGRAM_MAX_BYTES || d->len % TRN_INSN_SIZE)
				return fake_errno(EINVAL);
		} else if (d->opcode > DRM_TRN_DMA_OP_SEM_WAIT) {
			return fake_errno(EINVAL);
		}
	}
	for (i = 0; i < sub->in_sync_count; i++) {
		if (!fake_syncobj(in[i].handle) || in[i].flags || in[i].point)
			return fake_errno(ENOENT);
	}
	if (sub->out_sync.handle) {
		out = fake_syncobj(sub->out_sync.handle);
		if (!out)
			return fake_errno(ENOENT);
	}

	log = &fake.log[n % FAKE_LOG];
	memset(log, 0, sizeof(*log));
	log->queue = sub->queue;
	log->count = sub->desc_count;
	log->in_count = sub->in_sync_count;
	for (i = 0; i < sub->in_sync_count && i < 8; i++)
		log->in[i] = in[i].handle;
	log->out = sub->out_sync.handle;
	for (i = 0; i < sub->desc_count && i < 8; i++)
		log->descs[i] = descs[i];
	fake.submits++;

	if (fake.defer) {
		status = 0;
	} else if (fake.fail_submit && n == fake.fail_at) {
		status = fake.fail_submit;
	} else {
		for (i = 0; i < sub->desc_count && status == 1; i++) {
			int r = fake_run_desc(&descs[i]);

			if (r)
				status = r;
		}
	}
	if (out) {
		out->has_fence = true;
		out->status = status;
	}
	return 0;
}

/*
 * DRM_IOCTL_TRN_WAIT, with the kernel's checks (trn_ioctl_wait()). Never
 * blocks: a pending job's deadline passes at once. An older driver than
 * 0.5 does not know the ioctl.
 */
static int fake_wait(struct drm_trn_wait *w)
{
	struct fake_syncobj *s;

	fake.waits++;
	fake.last_wait = *w;
	fake.last_timeout = w->timeout_ns;
	if (fake.kinfo.driver_version_major == 0 && fake.kinfo.driver_version_minor < 5)
		return fake_errno(EINVAL);
	if (fake.wait_errno_count) {
		fake.wait_errno_count--;
		return fake_errno(fake.wait_errno);
	}
	if (w->flags || w->pad)
		return fake_errno(EINVAL);
	s = fake_syncobj(w->handle);
	if (!s)
		return fake_errno(ENOENT);
	if (!s->has_fence)
		return fake_errno(EINVAL);
	if (s->status == 0)
		return fake_errno(ETIME);
	w->status = s->status < 0 ? s->status : 0;
	return 0;
}

int __wrap_drmIoctl(int fd, unsigned long request, void *arg)
{
	int ret;

	(void)fd;
	pthread_mutex_lock(&fake.lock);
	switch (request) {
	case DRM_IOCTL_TRN_QUERY:
		ret = fake_query(arg);
		break;
	case DRM_IOCTL_TRN_BO_CREATE:
		ret = fake_bo_create(arg);
		break;
	case DRM_IOCTL_TRN_BO_INFO:
		ret = fake_bo_info(arg);
		break;
	case DRM_IOCTL_TRN_SUBMIT:
		ret = fake_submit(arg);
		break;
	case DRM_IOCTL_GEM_CLOSE:
		ret = fake_gem_close(arg);
		break;
	case DRM_IOCTL_TRN_PEER_IMPORT:
		ret = fake_peer_import(arg);
		break;
	case DRM_IOCTL_TRN_WAIT:
		ret = fake_wait(arg);
		break;
	default:
		ret = fake_errno(EINVAL);
		break;
	}
	pthread_mutex_unlock(&fake.lock);
	return ret;
}

int __wrap_drmSyncobjCreate(int fd, uint32_t flags, uint32_t *handle)
{
	unsigned int i = 0, n;

	(void)fd;
	pthread_mutex_lock(&fake.lock);
	for (n = 0; n < FAKE_SYNCOBJS; n++) {
		i = (fake.next_syncobj + n) % FAKE_SYNCOBJS;
		if (!fake.syncobjs[i].live)
			break;
	}
	assert_true(n < FAKE_SYNCOBJS);
	fake.next_syncobj = (i + 1) % FAKE_SYNCOBJS;
	fake.syncobjs[i].live = true;
	fake.syncobjs[i].has_fence = flags & DRM_SYNCOBJ_CREATE_SIGNALED;
	fake.syncobjs[i].status = 1;
	fake.live_syncobjs++;
	*handle = i + 1;
	pthread_mutex_unlock(&fake.lock);
	return 0;
}

int __wrap_drmSyncobjDestroy(int fd, uint32_t handle)
{
	struct fake_syncobj *s;

	(void)fd;
	pthread_mutex_lock(&fake.lock);
	s = fake_syncobj(handle);
	assert_non_null(s);
	memset(s, 0, sizeof(*s));
	fake.live_syncobjs--;
	pthread_mutex_unlock(&fake.lock);
	return 0;
}

int __wrap_drmSyncobjSignal(int fd, const uint32_t *handles, uint32_t count)
{
	uint32_t i;

	(void)fd;
	pthread_mutex_lock(&fake.lock);
	for (i = 0; i < count; i++) {
		struct fake_syncobj *s = fake_syncobj(handles[i]);

		assert_non_null(s);
		s->has_fence = true;
		s->status = 1;
	}
	pthread_mutex_unlock(&fake.lock);
	return 0;
}

/* Never blocks: a pending fence times out at once (returns -ETIME). */
int __wrap_drmSyncobjWait(int fd, uint32_t *handles, unsigned int num_handles,
			  int64_t timeout_nsec, unsigned int flags,
			  uint32_t *first_signaled)
{
	unsigned int i;
	int ret = 0;

	(void)fd;
	(void)first_signaled;
	assert_true(flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL);
	pthread_mutex_lock(&fake.lock);
	fake.last_timeout = timeout_nsec;
	for (i = 0; i < num_handles; i++) {
		struct fake_syncobj *s = fake_syncobj(handles[i]);

		if (!s) {
			ret = -ENOENT;
			break;
		}
		if (!s->has_fence && !(flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)) {
			ret = -EINVAL;
			break;
		}
		if (!s->has_fence || s->status == 0)
			ret = -ETIME;
	}
	pthread_mutex_unlock(&fake.lock);
	return ret;
}

static int fake_new_sync_fd(int status)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	assert_true(fd >= 0 && fd < FAKE_FDS);
	fake.sync_status[fd] = status;
	fake.sync_valid[fd] = true;
	return fd;
}

int __wrap_drmSyncobjExportSyncFile(int fd, uint32_t handle, int *sync_file_fd)
{
	struct fake_syncobj *s;
	int ret = 0;

	(void)fd;
	pthread_mutex_lock(&fake.lock);
	fake.exports++;
	s = fake_syncobj(handle);
	if (!s || !s->has_fence)
		ret = fake_errno(EINVAL);
	else
		*sync_file_fd = fake_new_sync_fd(s->status);
	pthread_mutex_unlock(&fake.lock);
	return ret;
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	void *arg;
	va_list ap;
	int ret = 0;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (request != SYNC_IOC_FILE_INFO && request != SYNC_IOC_MERGE)
		return __real_ioctl(fd, request, arg);

	pthread_mutex_lock(&fake.lock);
	if (fd < 0 || fd >= FAKE_FDS || !fake.sync_valid[fd]) {
		ret = fake_errno(ENOTTY);
	} else if (request == SYNC_IOC_FILE_INFO) {
		struct sync_file_info *info = arg;

		fake.file_infos++;
		if (info->flags || info->pad || info->num_fences)
			ret = fake_errno(EINVAL);
		else
			info->status = fake.sync_status[fd];
	} else {
		struct sync_merge_data *m = arg;
		int a = fake.sync_status[fd], b;

		assert_true(m->fd2 >= 0 && m->fd2 < FAKE_FDS && fake.sync_valid[m->fd2]);
		b = fake.sync_status[m->fd2];
		m->fence = fake_new_sync_fd(a < 0 ? a : b < 0 ? b : a && b ? 1 : 0);
	}
	pthread_mutex_unlock(&fake.lock);
	return ret;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fake_bo *bo;
	void *p = MAP_FAILED;

	assert_null(addr);
	assert_int_equal(prot, PROT_READ | PROT_WRITE);
	assert_int_equal(flags, MAP_SHARED);
	(void)fd;
	pthread_mutex_lock(&fake.lock);
	bo = fake_bo_of_handle((uint32_t)((uint64_t)off >> 32));
	if (!bo || ((uint64_t)off & 0xffffffffu) || len != bo->size) {
		errno = EINVAL;
	} else if (!bo->mem) {
		errno = ENOMEM;
	} else {
		bo->maps++;
		p = bo->mem;
	}
	pthread_mutex_unlock(&fake.lock);
	return p;
}

int __wrap_munmap(void *addr, size_t len)
{
	unsigned int i;

	pthread_mutex_lock(&fake.lock);
	for (i = 0; i < FAKE_BOS; i++) {
		struct fake_bo *bo = &fake.bos[i];

		if (bo->live && bo->mem == addr) {
			assert_int_equal(len, bo->size);
			assert_true(bo->maps > 0);
			bo->maps--;
			break;
		}
	}
	assert_true(i < FAKE_BOS);
	pthread_mutex_unlock(&fake.lock);
	return 0;
}

/* Complete the pending job whose fence is in @handle with @status. */
void fake_complete(uint32_t handle, int status)
{
	pthread_mutex_lock(&fake.lock);
	assert_non_null(fake_syncobj(handle));
	fake.syncobjs[handle - 1].status = status;
	pthread_mutex_unlock(&fake.lock);
}

const struct fake_submit *fake_last(unsigned int back)
{
	assert_true(fake.submits > back);
	return &fake.log[(fake.submits - 1 - back) % FAKE_LOG];
}

/* Host memory behind a buffer, as the fake device sees it. */
unsigned char *fake_mem(const nrt_buffer *buf)
{
	struct fake_bo *bo = fake_bo_of_range(nrt_buffer_va(buf), 1);

	assert_non_null(bo);
	assert_non_null(bo->mem);
	return bo->mem + (nrt_buffer_va(buf) - bo->va);
}

/* --- fake sysfs and /dev ---------------------------------------------- */

/* One trn device, accel<minor>, at @bdf. */
static void env_add_device(struct env *e, unsigned int minor, const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	int fd;

	xsnprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/%s", e->root, bdf);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/trn", e->root);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/%s/driver",
		  e->root, bdf);
	make_link("../../../bus/pci/drivers/trn", path);
	xsnprintf(path, sizeof(path), "%s/sys/class/accel/accel%u", e->root, minor);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/sys/class/accel/accel%u/device",
		  e->root, minor);
	xsnprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	make_link(target, path);
	xsnprintf(path, sizeof(path), "%s/dev/accel", e->root);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/dev/accel/accel%u", e->root, minor);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	assert_true(fd >= 0);
	close(fd);
}

nrt_device *open_ok(unsigned int index)
{
	nrt_device *dev = NULL;
	nrt_status st = nrt_device_open(index, &dev);

	if (st != NRT_SUCCESS)
		fail_msg("nrt_device_open(%u): %s: %s", index, nrt_strerror(st),
			 nrt_last_error());
	return dev;
}

int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char path[PATH_MAX];

	if (!e)
		return -1;
	snprintf(e->root, sizeof(e->root), "/tmp/nrt-dma-XXXXXX");
	if (!mkdtemp(e->root) || chmod(e->root, 0755)) {
		free(e);
		return -1;
	}
	xsnprintf(path, sizeof(path), "%s/sys/module/trn", e->root);
	mkdir_p(path);
	env_add_device(e, 0, "0000:01:00.0");
	env_add_device(e, 1, "0000:02:00.0");
	xsnprintf(path, sizeof(path), "%s/sys", e->root);
	if (setenv("NRT_SYSFS_ROOT", path, 1))
		return -1;
	xsnprintf(path, sizeof(path), "%s/dev", e->root);
	if (setenv("NRT_DEV_ROOT", path, 1))
		return -1;
	fake_reset();
	e->dev = open_ok(0);
	*state = e;
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

int teardown(void **state)
{
	struct env *e = *state;
	int ret;

	nrt_device_close(e->dev);
	unsetenv("NRT_SYSFS_ROOT");
	unsetenv("NRT_DEV_ROOT");
	ret = nftw(e->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(e);
	/* Nothing leaked in the kernel either. */
	if (fake.live_bos || fake.live_syncobjs || fake.versions) {
		fprintf(stderr, "leaked: %u buffer objects, %u syncobjs, %u versions\n",
			fake.live_bos, fake.live_syncobjs, fake.versions);
		return -1;
	}
	return ret;
}

nrt_buffer *alloc_ok(nrt_device *dev, size_t size, nrt_placement p)
{
	nrt_buffer *buf = NULL;
	nrt_status st = nrt_buffer_alloc(dev, size, p, &buf);

	if (st != NRT_SUCCESS)
		fail_msg("nrt_buffer_alloc(%zu, %d): %s: %s", size, (int)p,
			 nrt_strerror(st), nrt_last_error());
	return buf;
}



void fill_pattern(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)((i * 131 + seed * 7 + (i >> 8)) ^ seed);
}

nrt_tensor *tensor_ok(nrt_device *dev, nrt_dtype dt, unsigned int rank,
		      const uint32_t *shape, nrt_placement pl)
{
	nrt_tensor *t = NULL;
	nrt_status st = nrt_tensor_alloc(dev, dt, rank, shape, pl, &t);

	if (st != NRT_SUCCESS)
		fail_msg("nrt_tensor_alloc: %s: %s", nrt_strerror(st), nrt_last_error());
	return t;
}

nrt_program *program_ok(nrt_device *dev)
{
	nrt_program *p = NULL;

	assert_status(nrt_program_new(dev, &p), NRT_SUCCESS);
	return p;
}

void write_f32(nrt_tensor *t, const float *v)
{
	assert_status(nrt_tensor_write(t, v, NRT_DTYPE_FP32), NRT_SUCCESS);
}

void read_f32(const nrt_tensor *t, float *v)
{
	assert_status(nrt_tensor_read(t, v, NRT_DTYPE_FP32), NRT_SUCCESS);
}

const char *node(const struct env *e)
{
	static char buf[128];

	xsnprintf(buf, sizeof(buf), "%s/dev/accel/accel0", e->root);
	return buf;
}
