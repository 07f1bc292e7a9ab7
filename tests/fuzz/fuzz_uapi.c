// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * trn-fuzz: the arguments of a record, the state of an input's execution
 * (its files, objects, syncobjs, other descriptors and mappings) and the
 * operations on device files and the driver's ioctls.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "drm/trn_accel.h"
#include "trn_isa.h"
#include "fuzz.h"

/* --- arguments and the state of an input's execution ----------------------------------- */

/* Mostly 0, sometimes anything: reserved fields and flags. */
static uint32_t g_flags(struct rd *r)
{
	return g8(r) < 232 ? 0 : g32(r);
}

/* Object sizes: mostly a few pages, sometimes odd, zero or huge. */
static uint64_t g_size(struct rd *r)
{
	uint8_t c = g8(r);

	if (c < 150)
		return (1 + g8(r) % 16) * 4096ULL;
	if (c < 215)
		return (1 + g16(r) % 512) * 4096ULL;
	if (c < 240)
		return 1 + g16(r);
	if (c < 248)
		return 0;
	return g64(r);
}

/* Set *on by a guarded access that faulted (SIGBUS, SIGSEGV). */
static sigjmp_buf access_jmp;
static volatile sig_atomic_t in_access;

void on_fault(int sig)
{
	if (in_access) {
		in_access = 0;
		siglongjmp(access_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void touch(uint8_t *p, bool write, uint8_t val)
{
	if (sigsetjmp(access_jmp, 1))
		return;
	in_access = 1;
	if (write)
		*(volatile uint8_t *)p = val;
	else
		(void)*(volatile uint8_t *)p;
	in_access = 0;
}

static int add_fd(struct ex *e, unsigned int dev)
{
	int fd;

	if (e->nfd >= 8 || !ndevs)
		return -1;
	fd = open(devs[dev % ndevs].node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	e->fd[e->nfd] = fd;
	e->fd_dev[e->nfd] = dev % ndevs;
	return e->nfd++;
}

/* A device file of the input (made if there is none): its index. */
int pick_fd(struct ex *e, struct rd *r)
{
	uint8_t c = g8(r);

	if (!e->nfd)
		return add_fd(e, c);
	return c % e->nfd;
}

static void forget_fd_objects(struct ex *e, int i)
{
	unsigned int k;

	for (k = 0; k < e->nbo;)
		if (e->bo[k].fd == i)
			e->bo[k] = e->bo[--e->nbo];
		else
			k++;
	for (k = 0; k < e->nso;)
		if (e->so[k].fd == i)
			e->so[k] = e->so[--e->nso];
		else
			k++;
}

static int bo_new(struct ex *e, int f, uint64_t size, uint32_t placement)
{
	struct drm_trn_bo_create c = { .size = size, .placement = placement };

	if (f < 0 || drmIoctl(e->fd[f], DRM_IOCTL_TRN_BO_CREATE, &c))
		return -1;
	if (e->nbo >= 24)
		return -1;	/* the object stays, closed with the file */
	e->bo[e->nbo] = (struct bo){ f, c.handle, c.va, size, placement };
	return e->nbo++;
}

/* An object of file @f, made (4 pages of HBM) if it has none. */
int pick_bo(struct ex *e, struct rd *r, int f)
{
	unsigned int k, n = 0, c = g8(r);
	int found[24];

	for (k = 0; k < e->nbo; k++)
		if (e->bo[k].fd == f || f < 0)
			found[n++] = k;
	if (!n)
		return f < 0 ? -1 : bo_new(e, f, 16384, c & 1);
	return found[c % n];
}

static uint32_t pick_handle(struct ex *e, struct rd *r, int f)
{
	int b;

	if (g8(r) >= 240)
		return g32(r);
	b = pick_bo(e, r, f);
	return b < 0 ? 0 : e->bo[b].handle;
}

static int pick_syncobj(struct ex *e, struct rd *r, int f, bool make)
{
	unsigned int k, n = 0, c = g8(r);
	int found[8];

	for (k = 0; k < e->nso; k++)
		if (e->so[k].fd == f)
			found[n++] = k;
	if (n && (!make || c < 192))
		return found[c % n];
	if (e->nso >= 8 || drmSyncobjCreate(e->fd[f], c & 1 ? DRM_SYNCOBJ_CREATE_SIGNALED : 0,
					    &e->so[e->nso].handle))
		return -1;
	e->so[e->nso].fd = f;
	return e->nso++;
}

static void add_other(struct ex *e, int fd)
{
	if (fd < 0)
		return;
	if (e->nother >= 8) {
		close(fd);
		return;
	}
	e->other[e->nother++] = fd;
}

/* --- operations ------------------------------------------------------------------------- */

void op_open(struct ex *e, struct rd *r)
{
	add_fd(e, g8(r));
}

void op_close(struct ex *e, struct rd *r)
{
	int f;
	unsigned int k;

	if (!e->nfd)
		return;
	f = g8(r) % e->nfd;
	close(e->fd[f]);
	forget_fd_objects(e, f);
	e->nfd--;
	/* The last file takes the closed one's index. */
	if ((unsigned int)f != e->nfd) {
		e->fd[f] = e->fd[e->nfd];
		e->fd_dev[f] = e->fd_dev[e->nfd];
		for (k = 0; k < e->nbo; k++)
			if (e->bo[k].fd == (int)e->nfd)
				e->bo[k].fd = f;
		for (k = 0; k < e->nso; k++)
			if (e->so[k].fd == (int)e->nfd)
				e->so[k].fd = f;
	}
}

void op_dup(struct ex *e, struct rd *r)
{
	int f = pick_fd(e, r), fd;

	if (f < 0 || e->nfd >= 8)
		return;
	fd = dup(e->fd[f]);
	if (fd < 0)
		return;
	e->fd[e->nfd] = fd;
	e->fd_dev[e->nfd] = e->fd_dev[f];
	e->nfd++;
}

void op_query(struct ex *e, struct rd *r)
{
	uint8_t buf[256] = { 0 };
	int f = pick_fd(e, r);
	uint8_t c = g8(r);
	struct drm_trn_query q = {
		.query = c < 220 ? 0 : g32(r),
		.size = c < 120 ? sizeof(struct drm_trn_device_info) : c < 160 ? 0 : g8(r),
		.flags = g_flags(r),
		.pad = g_flags(r),
	};

	q.data = g8(r) < 245 ? (uintptr_t)buf : g64(r);
	if (f >= 0)
		drmIoctl(e->fd[f], DRM_IOCTL_TRN_QUERY, &q);
}

void op_bo_create(struct ex *e, struct rd *r)
{
	int f = pick_fd(e, r);
	uint8_t c = g8(r);
	struct drm_trn_bo_create bc = {
		.size = g_size(r),
		.placement = c < 140 ? 0 : c < 250 ? 1 : c,
		.flags = g_flags(r),
		.pad = g_flags(r),
	};

	if (f < 0 || drmIoctl(e->fd[f], DRM_IOCTL_TRN_BO_CREATE, &bc) || e->nbo >= 24)
		return;
	e->bo[e->nbo++] = (struct bo){ f, bc.handle, bc.va, bc.size, bc.placement };
}

void op_bo_info(struct ex *e, struct rd *r)
{
	int f = pick_fd(e, r);
	struct drm_trn_bo_info i;

	if (f < 0)
		return;
	i = (struct drm_trn_bo_info){ .handle = pick_handle(e, r, f), .pad = g_flags(r) };
	drmIoctl(e->fd[f], DRM_IOCTL_TRN_BO_INFO, &i);
}

void op_gem_close(struct ex *e, struct rd *r)
{
	int f = pick_fd(e, r), b;
	struct drm_gem_close c = { 0 };
	unsigned int k;

	if (f < 0)
		return;
	b = pick_bo(e, r, f);
	c.handle = g8(r) < 240 && b >= 0 ? e->bo[b].handle : g32(r);
	if (drmIoctl(e->fd[f], DRM_IOCTL_GEM_CLOSE, &c))
		return;
	for (k = 0; k < e->nbo; k++)
		if (e->bo[k].fd == f && e->bo[k].handle == c.handle) {
			e->bo[k] = e->bo[--e->nbo];
			break;
		}
}

/* An address in an object of file @f (or of any file, or anywhere). */
static uint64_t gen_addr(struct ex *e, uint64_t *rng, int f, uint64_t *room)
{
	uint64_t c = rng_below(rng, 100), off;
	unsigned int k, n = 0;
	int found[24];

	*room = 4096;
	for (k = 0; k < e->nbo; k++)
		if (e->bo[k].fd == f || c >= 90)
			found[n++] = k;
	if (!n || c >= 97)
		return rng_next(rng) & (c & 1 ? 0xffffffffffffULL : ~0ULL);
	k = found[rng_below(rng, n)];
	off = rng_below(rng, e->bo[k].size / 8 + 1) * 8;
	if (off >= e->bo[k].size)
		off = 0;
	*room = e->bo[k].size - off;
	return e->bo[k].va + off;
}

/* A program of NeuronCore instructions, mostly well formed. */
static void gen_program(struct ex *e, uint64_t *rng, int f, uint8_t *p, unsigned int n)
{
	unsigned int i, o, d;

	memset(p, 0, (size_t)n * TRN_INSN_SIZE);
	for (i = 0; i < n; i++) {
		uint8_t *insn = p + (size_t)i * TRN_INSN_SIZE;
		uint64_t room;

		insn[TRN_I_OPCODE] = rng_below(rng, 20) ? rng_below(rng, TRN_OP_COUNT) : rng_next(rng);
		insn[TRN_I_FLAGS] = rng_below(rng, 8) ? 0 : rng_below(rng, 4);
		insn[TRN_I_FUNC] = rng_below(rng, 12);
		insn[TRN_I_AUX] = rng_below(rng, 4);
		for (o = 0; o < TRN_I_NOPERANDS; o++) {
			uint8_t *op = insn + TRN_I_OPERAND(o);
			uint64_t va = gen_addr(e, rng, f, &room);

			memcpy(op + TRN_O_VA, &va, 8);
			op[TRN_O_DTYPE] = rng_below(rng, TRN_DT_COUNT + 1);
			for (d = 0; d < TRN_MAX_DIMS; d++) {
				uint32_t v = d < 2 ? 1 + rng_below(rng, 16) : 1;
				int32_t s = d == 0 ? 1 : (int32_t)rng_below(rng, 64);

				memcpy(op + TRN_O_SHAPE(d), &v, 4);
				memcpy(op + TRN_O_STRIDE(d), &s, 4);
			}
		}
	}
}

void op_submit(struct ex *e, struct rd *r)
{
	struct drm_trn_dma_desc d[16];
	struct drm_trn_sync in[3];
	struct drm_trn_submit s = { 0 };
	int f = pick_fd(e, r), so;
	uint64_t rng;
	unsigned int n, i, q;
	uint8_t c;

	if (f < 0)
		return;
	q = devs[e->fd_dev[f]].queues;
	c = g8(r);
	s.queue = c < 245 ? (q ? g8(r) % q : 0) : g32(r);
	c = g8(r);
	n = c < 250 ? 1 + c % 8 : c == 250 ? 0 : (c == 251 ? 16 : 1 + c % 16);
	s.desc_count = c == 252 ? 0x100000 : n;
	s.desc_size = g8(r) < 250 ? sizeof(d[0]) : g8(r);
	s.flags = g_flags(r);
	s.pad = g_flags(r);
	rng = g64(r) | 1;
	for (i = 0; i < n && i < 16; i++) {
		uint64_t room, k = rng_below(&rng, 100);

		d[i] = (struct drm_trn_dma_desc){ 0 };
		if (k < 15) {
			d[i].opcode = DRM_TRN_DMA_OP_NOP;
		} else if (k < 45) {
			d[i].opcode = DRM_TRN_DMA_OP_COPY;
			d[i].src = gen_addr(e, &rng, f, &room);
			d[i].dst = gen_addr(e, &rng, f, &room);
			d[i].len = rng_below(&rng, 10) ? rng_below(&rng, room + 1) : rng_next(&rng);
		} else if (k < 60) {
			d[i].opcode = DRM_TRN_DMA_OP_FILL;
			d[i].src = rng_next(&rng);
			d[i].dst = gen_addr(e, &rng, f, &room);
			d[i].len = rng_below(&rng, 10) ? rng_below(&rng, room + 1) : rng_next(&rng);
		} else if (k < 72) {
			d[i].opcode = DRM_TRN_DMA_OP_WRITE;
			d[i].dst = gen_addr(e, &rng, f, &room) & ~7ULL;
			d[i].len = rng_next(&rng);
		} else if (k < 82) {
			d[i].opcode = DRM_TRN_DMA_OP_SEM_SIGNAL;
			d[i].aux = rng_below(&rng, devs[e->fd_dev[f]].sems + 1);
			d[i].len = rng_below(&rng, 3);
		} else if (k < 86) {
			/* Waits that are met at once, mostly: a stuck job costs a timeout. */
			d[i].opcode = DRM_TRN_DMA_OP_SEM_WAIT;
			d[i].aux = rng_below(&rng, devs[e->fd_dev[f]].sems + 1);
			d[i].len = rng_below(&rng, 8) ? 0 : 1;
		} else if (k < 96) {
			d[i].opcode = DRM_TRN_DMA_OP_EXEC;
			d[i].src = gen_addr(e, &rng, f, &room) & ~(uint64_t)(TRN_INSN_ALIGN - 1);
			d[i].dst = rng_below(&rng, 3) ? gen_addr(e, &rng, f, &room) & ~31ULL : 0;
			d[i].len = TRN_INSN_SIZE * (1 + rng_below(&rng, 4));
			if (!rng_below(&rng, 10))
				d[i].len = rng_next(&rng) & 0x1ffffff;
		} else {
			d[i].opcode = rng_next(&rng) & (rng_below(&rng, 2) ? 0xff : ~0u);
			d[i].aux = rng_next(&rng);
			d[i].src = rng_next(&rng);
			d[i].dst = rng_next(&rng);
			d[i].len = rng_next(&rng);
		}
		if (!rng_below(&rng, 40))
			d[i].aux = rng_next(&rng);
	}
	s.descs = g8(r) < 250 ? (uintptr_t)d : g64(r);
	c = g8(r);
	s.in_sync_count = c < 180 ? 0 : c < 250 ? 1 + c % 3 : c;
	for (i = 0; i < s.in_sync_count && i < 3; i++) {
		so = pick_syncobj(e, r, f, true);
		in[i] = (struct drm_trn_sync){ so >= 0 ? e->so[so].handle : g32(r), g_flags(r),
					      g8(r) < 200 ? 0 : g8(r) };
	}
	s.in_syncs = (uintptr_t)in;
	c = g8(r);
	if (c < 200) {
		so = pick_syncobj(e, r, f, true);
		s.out_sync.handle = so >= 0 ? e->so[so].handle : 0;
		s.out_sync.point = c < 150 ? 0 : g8(r);
	} else if (c > 250) {
		s.out_sync = (struct drm_trn_sync){ g32(r), g_flags(r), g8(r) };
	}
	drmIoctl(e->fd[f], DRM_IOCTL_TRN_SUBMIT, &s);
}

void op_write_program(struct ex *e, struct rd *r)
{
	static uint8_t prog[8 * TRN_INSN_SIZE];
	int f = pick_fd(e, r), b;
	struct drm_trn_bo_info i;
	uint64_t rng;
	unsigned int n;
	void *p;

	if (f < 0)
		return;
	b = pick_bo(e, r, f);
	if (b < 0 || e->bo[b].placement > 1)
		return;
	n = 1 + g8(r) % 8;
	if ((uint64_t)n * TRN_INSN_SIZE > e->bo[b].size)
		n = e->bo[b].size / TRN_INSN_SIZE;
	rng = g64(r) | 1;
	if (!n)
		return;
	i = (struct drm_trn_bo_info){ .handle = e->bo[b].handle };
	if (drmIoctl(e->fd[f], DRM_IOCTL_TRN_BO_INFO, &i))
		return;
	p = mmap(NULL, (size_t)n * TRN_INSN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd[f],
		 i.mmap_offset);
	if (p == MAP_FAILED)
		return;
	gen_program(e, &rng, f, prog, n);
	if (!sigsetjmp(access_jmp, 1)) {
		in_access = 1;
		memcpy(p, prog, (size_t)n * TRN_INSN_SIZE);
		in_access = 0;
	}
	munmap(p, (size_t)n * TRN_INSN_SIZE);
}

void op_peer_import(struct ex *e, struct rd *r)
{
	struct drm_trn_peer_import p = { 0 };
	int f = pick_fd(e, r), g, b, dmabuf = -1;
	uint8_t c = g8(r);

	if (f < 0)
		return;
	if (c < 200) {
		/* Another device's object, exported now. */
		g = e->nfd > 1 && c & 1 ? (int)(g8(r) % e->nfd) : add_fd(e, e->fd_dev[f] + 1 + g8(r));
		if (g < 0)
			return;
		b = pick_bo(e, r, g);
		if (b < 0 || drmPrimeHandleToFD(e->fd[g], e->bo[b].handle, DRM_CLOEXEC | DRM_RDWR,
						 &dmabuf))
			dmabuf = -1;
		p.fd = dmabuf;
	} else if (c < 240 && e->nother) {
		p.fd = e->other[g8(r) % e->nother];
	} else {
		p.fd = c & 1 ? e->fd[f] : (int)g32(r);
	}
	p.port = g8(r) < 240 ? g8(r) % 4 : g32(r);
	p.flags = g8(r) < 200 ? g8(r) & 1 : g32(r);
	p.pad = g_flags(r);
	if (!drmIoctl(e->fd[f], DRM_IOCTL_TRN_PEER_IMPORT, &p) && e->nbo < 24)
		e->bo[e->nbo++] = (struct bo){ f, p.handle, p.va, p.size, DRM_TRN_PLACEMENT_PEER };
	add_other(e, dmabuf);
}

void op_prime(struct ex *e, struct rd *r)
{
	int f = pick_fd(e, r), fd = -1;
	uint32_t h;
	uint8_t c = g8(r);

	if (f < 0)
		return;
	if (c < 160) {
		h = pick_handle(e, r, f);
		if (drmPrimeHandleToFD(e->fd[f], h, c & 1 ? DRM_CLOEXEC | DRM_RDWR : DRM_CLOEXEC,
				       &fd))
			fd = -1;
		add_other(e, fd);
	} else if (e->nother) {
		fd = e->other[g8(r) % e->nother];
		if (!drmPrimeFDToHandle(e->fd[f], fd, &h) && e->nbo < 24)
			e->bo[e->nbo++] = (struct bo){ f, h, 0, 0, 9 };
	}
}

static int64_t soon_ns(unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + (int64_t)ms * 1000000;
}

void op_syncobj(struct ex *e, struct rd *r)
{
	int f = pick_fd(e, r), so, fd = -1;
	uint32_t h[2];
	uint64_t pt[2];
	uint8_t c = g8(r);

	if (f < 0)
		return;
	so = pick_syncobj(e, r, f, c < 30);
	if (so < 0)
		return;
	h[0] = e->so[so].handle;
	h[1] = h[0];
	pt[0] = g8(r) % 4;
	pt[1] = pt[0] + 1;
	switch (c % 12) {
	case 0:
		drmSyncobjWait(e->fd[f], h, 1, soon_ns(g8(r) % 20), g8(r) & 3, NULL);
		break;
	case 1:
		drmSyncobjTimelineWait(e->fd[f], h, pt, 1 + (g8(r) & 1), soon_ns(g8(r) % 20),
				       g8(r) & 7, NULL);
		break;
	case 2:
		drmSyncobjQuery(e->fd[f], h, pt, 1);
		break;
	case 3:
		drmSyncobjSignal(e->fd[f], h, 1);
		break;
	case 4:
		drmSyncobjTimelineSignal(e->fd[f], h, pt, 1);
		break;
	case 5:
		drmSyncobjReset(e->fd[f], h, 1);
		break;
	case 6: {
		int so2 = pick_syncobj(e, r, f, true);

		if (so2 >= 0)
			drmSyncobjTransfer(e->fd[f], e->so[so2].handle, g8(r) % 4, h[0], pt[0], 0);
		break;
	}
	case 7:
		if (!drmSyncobjExportSyncFile(e->fd[f], h[0], &fd))
			add_other(e, fd);
		break;
	case 8:
		if (e->nother)
			drmSyncobjImportSyncFile(e->fd[f], h[0], e->other[g8(r) % e->nother]);
		break;
	case 9:
		if (!drmSyncobjHandleToFD(e->fd[f], h[0], &fd))
			add_other(e, fd);
		break;
	case 10:
		drmSyncobjDestroy(e->fd[f], h[0]);
		e->so[so] = e->so[--e->nso];
		break;
	default:
		if (e->nother && e->nso < 8 &&
		    !drmSyncobjFDToHandle(e->fd[f], e->other[g8(r) % e->nother],
					  &e->so[e->nso].handle))
			e->so[e->nso++].fd = f;
		break;
	}
}

/*
 * DRM_IOCTL_TRN_WAIT on a syncobj of the file: mostly a job's out-sync
 * and a deadline of a few milliseconds, sometimes a deadline that only
 * looks (0 or past) or any at all, a syncobj without a fence or with a
 * timeline's chain, a handle of nothing.
 */
void op_wait(struct ex *e, struct rd *r)
{
	struct drm_trn_wait w = { 0 };
	int f = pick_fd(e, r), so;
	uint8_t c;

	if (f < 0)
		return;
	so = pick_syncobj(e, r, f, g8(r) < 40);
	w.handle = so >= 0 && g8(r) < 240 ? e->so[so].handle : g32(r);
	w.flags = g_flags(r);
	w.pad = g_flags(r);
	c = g8(r);
	if (c < 200)
		w.timeout_ns = soon_ns(c % 50);
	else if (c < 220)
		w.timeout_ns = 0;
	else if (c < 240)
		w.timeout_ns = -1 - (int64_t)g32(r);
	else
		/* Anything: far ones wait for the job, which the job timeout bounds. */
		w.timeout_ns = (int64_t)g64(r);
	drmIoctl(e->fd[f], DRM_IOCTL_TRN_WAIT, &w);
}
