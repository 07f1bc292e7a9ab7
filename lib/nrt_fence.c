// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Fences: the completion of jobs, as binary DRM syncobjs.
 *
 * A fence owns one syncobj per job it covers (usually one; a copy too large
 * for one job is split into several on one queue): the job's out_sync.
 * DRM_IOCTL_TRN_WAIT (driver 0.5) waits for the job of a syncobj and
 * returns how it ended, in one system call; the outcome of the fence (the
 * first job error, or success) is kept in it once known, so that later
 * waits and polls make no system call.
 *
 * The submitter of a fence's jobs may attach nrt_fence_ops: a program run
 * (nrt_run.c) rewrites the message of a failed job from the EXEC status
 * record to name the failing step, and gives its record back when the
 * fence is freed (nrt_rec_release(), which keeps the record until the job's
 * syncobj has signalled if the job may still be running).
 *
 * The syncobjs and records come from per-handle pools (nrt_fence_pool.c);
 * the rest of the library sees only the interface of nrt_fence.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/sync_file.h>
#include <xf86drm.h>

#include "nrt_fence.h"
#include "nrt_fence_pool.h"

struct nrt_fence {
	struct nrt_device *dev;         /* holds a reference */
	int queue;                      /* queue of its jobs, -1 for none */
	unsigned int count;             /* syncobjs, one per job */
	uint32_t *syncobjs;             /* @one or an allocated array */
	uint32_t one;
	atomic_int state;               /* NRT_FENCE_* or -errno, once final */
	const struct nrt_fence_ops *ops; /* or NULL */
	void *ctx;                      /* of @ops */
};

/* errno of a libdrm syncobj call, which returns -1 or -errno. */
static int nrt_drm_errno(int ret)
{
	return ret == -1 ? errno : -ret;
}

nrt_status nrt_fence_new(struct nrt_device *dev, int queue,
			 unsigned int count, struct nrt_fence **out)
{
	struct nrt_fence *f;
	unsigned int n = count ? count : 1;
	unsigned int i;
	nrt_status st;

	f = calloc(1, sizeof(*f));
	if (!f)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	f->syncobjs = &f->one;
	if (n > 1) {
		f->syncobjs = calloc(n, sizeof(*f->syncobjs));
		if (!f->syncobjs) {
			free(f);
			return nrt_fail(NRT_RESOURCE, "out of memory");
		}
	}
	for (i = 0; i < n; i++) {
		st = nrt_syncobj_get(dev, &f->syncobjs[i]);
		if (st != NRT_SUCCESS)
			goto err;
	}
	f->count = n;

	if (!count) {
		/* No job: a fence that has already signalled without error. */
		int ret = drmSyncobjSignal(dev->fd, f->syncobjs, 1);

		if (ret) {
			int err = nrt_drm_errno(ret);

			st = nrt_fail_errno(nrt_status_from_errno(err), err,
					    "cannot signal a syncobj on %s",
					    dev->device_node);
			goto err;
		}
		atomic_init(&f->state, NRT_FENCE_OK);
	} else {
		atomic_init(&f->state, NRT_FENCE_PENDING);
	}
	f->dev = dev;
	f->queue = count ? queue : -1;
	nrt_device_ref(dev);
	*out = f;
	return NRT_SUCCESS;

err:
	while (i--)
		nrt_syncobj_put(dev, f->syncobjs[i]);
	if (f->syncobjs != &f->one)
		free(f->syncobjs);
	free(f);
	return st;
}

NRT_API void nrt_fence_free(nrt_fence *f)
{
	unsigned int i;

	if (!f)
		return;
	/* May take over syncobjs (zeroing their entries). */
	if (f->ops && f->ops->release)
		f->ops->release(f, !nrt_fence_pending(f));
	for (i = 0; i < f->count; i++) {
		if (f->syncobjs[i])
			nrt_syncobj_put(f->dev, f->syncobjs[i]);
	}
	if (f->syncobjs != &f->one)
		free(f->syncobjs);
	nrt_device_unref(f->dev);
	free(f);
}

unsigned int nrt_fence_jobs(const struct nrt_fence *f)
{
	return f->count;
}

uint32_t nrt_fence_syncobj(const struct nrt_fence *f, unsigned int job)
{
	return f->syncobjs[job];
}

void nrt_fence_set_ops(struct nrt_fence *f, const struct nrt_fence_ops *ops,
		       void *ctx)
{
	f->ops = ops;
	f->ctx = ctx;
}

const struct nrt_fence_ops *nrt_fence_ops_of(const struct nrt_fence *f)
{
	return f->ops;
}

void *nrt_fence_ctx(const struct nrt_fence *f)
{
	return f->ctx;
}

struct nrt_device *nrt_fence_device(const struct nrt_fence *f)
{
	return f->dev;
}

int nrt_fence_queue(const struct nrt_fence *f)
{
	return f->queue;
}

bool nrt_fence_pending(const struct nrt_fence *f)
{
	return atomic_load(&((struct nrt_fence *)f)->state) == NRT_FENCE_PENDING;
}

size_t nrt_fence_in_syncs(struct nrt_fence *const *wait, size_t wait_count,
			  struct drm_trn_sync *syncs, size_t max)
{
	size_t i, n = 0;
	unsigned int k;

	/* Fences that have already completed need no waiting. */
	for (i = 0; i < wait_count; i++) {
		if (!nrt_fence_pending(wait[i]))
			continue;
		for (k = 0; k < wait[i]->count; k++, n++) {
			if (!syncs)
				continue;
			if (n == max)
				return n;
			memset(&syncs[n], 0, sizeof(syncs[n]));
			syncs[n].handle = wait[i]->syncobjs[k];
		}
	}
	return n;
}

void nrt_fence_settle(struct nrt_fence *f, unsigned int n)
{
	if (n)
		drmSyncobjWait(f->dev->fd, f->syncobjs, n, INT64_MAX,
			       DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
			       DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL);
}

void nrt_rec_release(struct nrt_fence *f, uint32_t rec, bool done)
{
	if (done)
		nrt_rec_put(f->dev, rec);
	else if (nrt_rec_defer(f->dev, rec, f->syncobjs[0]))
		f->syncobjs[0] = 0;     /* the pending list has it now */
}

nrt_status nrt_fence_status(int sync_status, int queue)
{
	char job[32];

	if (sync_status == NRT_FENCE_OK)
		return NRT_SUCCESS;
	if (queue >= 0)
		snprintf(job, sizeof(job), "job on queue %d", queue);
	else
		snprintf(job, sizeof(job), "job");

	if (sync_status > 0)
		return nrt_fail(NRT_FAILURE, "%s: unexpected fence status %d",
				job, sync_status);
	switch (-sync_status) {
	case 0:
		return nrt_fail_quiet(NRT_TIMEOUT, "%s still running", job);
	case EFAULT:
		return nrt_fail(NRT_HW_ERROR, "%s failed: device address fault",
				job);
	case ETIMEDOUT:
		return nrt_fail(NRT_TIMEOUT,
				"%s failed: timed out on the device (the driver's job timeout expired)",
				job);
	case ENODEV:
		return nrt_fail(NRT_NO_DEVICE,
				"%s failed: the device is gone", job);
	case ECANCELED:
		return nrt_fail(NRT_HW_ERROR, "%s failed: the device was reset while it ran",
				job);
	case ENOLINK:
		return nrt_fail(NRT_NO_LINK,
				"%s failed: the NeuronLink port of a peer buffer is down",
				job);
	case EREMOTEIO:
		return nrt_fail(NRT_HW_ERROR,
				"%s failed: the peer device no longer exports a peer buffer",
				job);
	default:
		return nrt_fail_errno(NRT_HW_ERROR, -sync_status, "%s failed",
				      job);
	}
}

/*
 * Wait for the job of @syncobj until @deadline (DRM_IOCTL_TRN_WAIT).
 * Return: 0 and the job's status (0 or -errno) in *@status, or an errno:
 * ETIME when the deadline came first.
 */
static int nrt_job_wait(int fd, uint32_t syncobj, int64_t deadline, int *status)
{
	struct drm_trn_wait w;

	memset(&w, 0, sizeof(w));
	w.handle = syncobj;
	w.timeout_ns = deadline;
	/* drmIoctl() restarts after a signal: the deadline is absolute. */
	if (drmIoctl(fd, DRM_IOCTL_TRN_WAIT, &w))
		return errno;
	*status = w.status;
	return 0;
}

/*
 * Wait until the absolute CLOCK_MONOTONIC time @deadline (0: poll,
 * INT64_MAX: forever) and learn the outcome of @f. Sets no error message.
 *
 * Return: 0 and in *@state NRT_FENCE_PENDING if not all jobs are done,
 * NRT_FENCE_OK, or the first job error (-errno); or the errno of a failed
 * wait.
 */
static int nrt_fence_sync(struct nrt_fence *f, int64_t deadline, int *state)
{
	int err, s, result = NRT_FENCE_OK;
	unsigned int i;

	s = atomic_load(&f->state);
	if (s != NRT_FENCE_PENDING) {
		*state = s;
		return 0;
	}
	/* A queue runs its jobs in order: the first failure is the one. */
	for (i = 0; i < f->count && result == NRT_FENCE_OK; i++) {
		err = nrt_job_wait(f->dev->fd, f->syncobjs[i], deadline, &s);
		if (err == ETIME) {
			*state = NRT_FENCE_PENDING;
			return 0;
		}
		if (err)
			return err;
		if (s < 0)
			result = s;
	}
	atomic_store(&f->state, result);
	*state = result;
	return 0;
}

int nrt_fence_outcome(struct nrt_fence *f)
{
	int state, err;

	err = nrt_fence_sync(f, 0, &state);
	return err ? -err : state;
}

int nrt_fence_finish(struct nrt_fence *f)
{
	int state, err;

	err = nrt_fence_sync(f, INT64_MAX, &state);
	if (err)
		return -err;
	return state;
}

static int64_t nrt_deadline(int64_t timeout_ns)
{
	struct timespec ts;
	int64_t now;

	if (timeout_ns < 0)
		return INT64_MAX;
	if (timeout_ns == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (timeout_ns > INT64_MAX - now)
		return INT64_MAX;
	return now + timeout_ns;
}

/* The outcome of @f, waiting for it up to @timeout_ns (-1: forever). */
static nrt_status nrt_fence_check(struct nrt_fence *f, int64_t timeout_ns)
{
	int state, err;
	nrt_status st;

	err = nrt_fence_sync(f, nrt_deadline(timeout_ns), &state);
	if (err)
		return nrt_fail_errno(nrt_status_from_errno(err), err,
				      "wait for the job on queue %d of %s",
				      f->queue, f->dev->device_node);
	if (state == NRT_FENCE_PENDING && timeout_ns > 0)
		return nrt_fail_quiet(NRT_TIMEOUT,
				      "job on queue %d still running after %" PRId64 " ns",
				      f->queue, timeout_ns);
	st = nrt_fence_status(state, f->queue);
	/* A failed job: its submitter may know more about the failure. */
	if (st != NRT_SUCCESS && state < 0 && f->ops && f->ops->failed)
		st = f->ops->failed(f, st);
	/* Jobs done: whether the work they were part of succeeded */
	if (st == NRT_SUCCESS && f->ops && f->ops->completed)
		st = f->ops->completed(f, timeout_ns);
	return st;
}

NRT_API nrt_status nrt_fence_wait(nrt_fence *f, int64_t timeout_ns)
{
	NRT_API_SCOPE();
	if (!f)
		return nrt_fail(NRT_INVALID, "nrt_fence_wait: fence is NULL");
	return nrt_fence_check(f, timeout_ns);
}

NRT_API nrt_status nrt_fence_poll(nrt_fence *f)
{
	NRT_API_SCOPE();
	if (!f)
		return nrt_fail(NRT_INVALID, "nrt_fence_poll: fence is NULL");
	return nrt_fence_check(f, 0);
}

NRT_API nrt_status nrt_fence_export_fd(nrt_fence *f, int *fd)
{
	NRT_API_SCOPE();
	unsigned int i;
	int out = -1, ret;

	if (!f)
		return nrt_fail(NRT_INVALID, "nrt_fence_export_fd: fence is NULL");
	if (!fd)
		return nrt_fail(NRT_INVALID, "nrt_fence_export_fd: fd is NULL");

	for (i = 0; i < f->count; i++) {
		struct sync_merge_data merge;
		int sfd;

		ret = drmSyncobjExportSyncFile(f->dev->fd, f->syncobjs[i], &sfd);
		if (ret) {
			int err = nrt_drm_errno(ret);

			if (out >= 0)
				close(out);
			return nrt_fail_errno(err == EMFILE || err == ENFILE ?
					      NRT_RESOURCE : nrt_status_from_errno(err),
					      err,
					      "nrt_fence_export_fd: sync_file export of the job on queue %d",
					      f->queue);
		}
		if (out < 0) {
			out = sfd;
			continue;
		}

		/* Several jobs: one sync_file that signals when all have. */
		memset(&merge, 0, sizeof(merge));
		snprintf(merge.name, sizeof(merge.name), "nrt");
		merge.fd2 = sfd;
		ret = ioctl(out, SYNC_IOC_MERGE, &merge);
		if (ret) {
			int err = errno;

			close(sfd);
			close(out);
			return nrt_fail_errno(err == EMFILE || err == ENFILE ?
					      NRT_RESOURCE : NRT_FAILURE, err,
					      "nrt_fence_export_fd: sync_file merge");
		}
		close(sfd);
		close(out);
		out = merge.fence;
	}
	*fd = out;
	return NRT_SUCCESS;
}
