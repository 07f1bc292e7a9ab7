// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * trn-fuzz: a coverage-guided fuzzer of the trn uapi, run as root in the
 * debug guest kernel (Documentation/testing.rst, "The uapi fuzzer").
 *
 * An input is a sequence of 32-byte records, each one operation: open or
 * close a device file, an ioctl of the driver (QUERY, BO_CREATE, BO_INFO,
 * SUBMIT with generated descriptor chains and programs, WAIT, PEER_IMPORT), a
 * syncobj or PRIME call, mmap/munmap/mremap of an object and accesses to
 * it, a request of the trn_link netlink family, a sysfs read or write, a
 * child that shares the files and is killed in the middle of its work. The
 * first byte picks the operation, the others its arguments, mostly valid:
 * handles, addresses and sizes are taken from what the input made before
 * (a device file or an object is made on demand), with now and then a
 * value that is not. Every input starts from nothing and closes everything
 * at its end.
 *
 * Coverage comes from KCOV: each worker process enables it for itself and
 * keeps the program counters that lie in trn.ko's code (the only code the
 * build instruments: make kernel-debug). An input that reaches a PC, or a
 * pair of successive PCs, no input reached before is kept in the corpus
 * directory. Workers run at once on the same devices, and the parent kills
 * one of them now and then and starts it again.
 *
 * Crashes: before running an input a worker writes it into its slot file
 * OUT/last.W (the last four inputs, see struct slot), on the host's output
 * share, so that the host finds it if the guest dies (tests/fuzz/run saves
 * them). The parent reads the kernel log; on a report (tests/vm/kernel-
 * reports) it copies every worker's last inputs and the log into
 * OUT/crashes/N/ and stops.
 *
 *   trn-fuzz --ko trn.ko --repo DIR --out DIR [--corpus DIR]... [--seconds N]
 *            [--workers N] [--seed N]        fuzz
 *   trn-fuzz --ko trn.ko --repo DIR --replay DIR|FILE...   run inputs once
 *
 * Output: TAP lines (prefix $T, or "fuzz") and "# fuzz:" figures: inputs
 * run, trn.ko PCs reached of those instrumented, source lines (addr2line
 * against trn.ko's debug information), corpus and crashes.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kcov.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <xf86drm.h>

#include "drm/trn_accel.h"
#include "linux/trn_link.h"
#include "trn_isa.h"
#include "kdebug.h"

#define REC		32		/* bytes per operation */
#define MAX_RECS	64		/* operations per input */
#define IN_MAX	(REC * MAX_RECS)
#define COVER_SIZE	(1u << 18)	/* PCs one input may record */
#define EDGE_BITS	18
#define MAX_DEVS	16
#define MAX_WORKERS	8
#define SLOTS		4
#define DBG_KCOV	"/sys/kernel/debug/kcov"

/* --- shared state --------------------------------------------------------- */

struct stats {
	uint64_t execs;
	uint64_t pcs;		/* distinct trn.ko PCs reached */
	uint64_t edges;		/* distinct (previous, current) PC pairs */
	uint64_t new_inputs;
	uint32_t stop;
};

static struct stats *stats;
static uint8_t *pcmap;		/* one byte per byte of trn.ko text */
static uint8_t *edgemap;	/* 1 << EDGE_BITS buckets */
static struct kd_text text;

/* What a worker saves before running an input (OUT/last.W, SLOTS of them). */
struct slot {
	uint32_t len;
	uint32_t seq;
	uint8_t data[4096 - 8];
};

struct dev {
	char node[64];
	char bdf[16];
	unsigned int queues;	/* DMA and NeuronCore queues */
	unsigned int dma_queues;
	unsigned int sems;
	unsigned int links;
	unsigned int index;
};

static struct dev devs[MAX_DEVS];
static unsigned int ndevs;
static char sysfs_files[256][160];	/* trn attributes to read or write */
static unsigned int nsysfs;
static const char *tname = "fuzz";
static const char *outdir;
static const char *ko_path;

struct input {
	uint32_t len;
	uint8_t data[IN_MAX];
};

/* --- random numbers: xorshift64* ---------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

/* --- the state of one input's execution --------------------------------------------- */

struct bo {
	int fd;			/* index in ex.fd */
	uint32_t handle;
	uint64_t va;
	uint64_t size;
	uint32_t placement;
};

struct map {
	uint8_t *addr;
	size_t len;
};

struct ex {
	int fd[8];
	int fd_dev[8];
	unsigned int nfd;
	struct bo bo[24];
	unsigned int nbo;
	struct {
		int fd;
		uint32_t handle;
	} so[8];
	unsigned int nso;
	int other[8];		/* dma-buf and sync_file descriptors */
	unsigned int nother;
	struct map map[8];
	unsigned int nmap;
	uint64_t rng;
};

/* The arguments of a record (its 31 bytes after the operation's): taken in
 * order, zeros past the end. */
struct rd {
	const uint8_t *b;
	unsigned int pos;
};

static uint8_t g8(struct rd *r)
{
	return r->pos < REC - 1 ? r->b[r->pos++] : 0;
}

static uint16_t g16(struct rd *r)
{
	return g8(r) | (uint16_t)g8(r) << 8;
}

static uint32_t g32(struct rd *r)
{
	return g16(r) | (uint32_t)g16(r) << 16;
}

static uint64_t g64(struct rd *r)
{
	return g32(r) | (uint64_t)g32(r) << 32;
}

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

static void on_fault(int sig)
{
	if (in_access) {
		in_access = 0;
		siglongjmp(access_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void touch(uint8_t *p, bool write, uint8_t val)
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
static int pick_fd(struct ex *e, struct rd *r)
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
static int pick_bo(struct ex *e, struct rd *r, int f)
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

static void op_open(struct ex *e, struct rd *r)
{
	add_fd(e, g8(r));
}

static void op_close(struct ex *e, struct rd *r)
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

static void op_dup(struct ex *e, struct rd *r)
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

static void op_query(struct ex *e, struct rd *r)
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

static void op_bo_create(struct ex *e, struct rd *r)
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

static void op_bo_info(struct ex *e, struct rd *r)
{
	int f = pick_fd(e, r);
	struct drm_trn_bo_info i;

	if (f < 0)
		return;
	i = (struct drm_trn_bo_info){ .handle = pick_handle(e, r, f), .pad = g_flags(r) };
	drmIoctl(e->fd[f], DRM_IOCTL_TRN_BO_INFO, &i);
}

static void op_gem_close(struct ex *e, struct rd *r)
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

static void op_submit(struct ex *e, struct rd *r)
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

static void op_write_program(struct ex *e, struct rd *r)
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

static void op_peer_import(struct ex *e, struct rd *r)
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

static void op_prime(struct ex *e, struct rd *r)
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

static void op_syncobj(struct ex *e, struct rd *r)
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
static void op_wait(struct ex *e, struct rd *r)
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

static void op_mmap(struct ex *e, struct rd *r)
{
	int f = pick_fd(e, r), b;
	struct drm_trn_bo_info i;
	uint64_t pgoff, len;
	uint8_t c;
	void *p;

	if (f < 0 || e->nmap >= 8)
		return;
	b = pick_bo(e, r, f);
	if (b < 0)
		return;
	i = (struct drm_trn_bo_info){ .handle = e->bo[b].handle };
	if (drmIoctl(e->fd[f], DRM_IOCTL_TRN_BO_INFO, &i))
		return;
	c = g8(r);
	pgoff = c < 180 ? 0 : (g8(r) % 8) * 4096ULL;
	len = g8(r) < 200 ? e->bo[b].size : (1 + g8(r) % 16) * 4096ULL;
	if (!len || len > (1ULL << 30))
		return;
	c = g8(r);
	p = mmap(NULL, len, c < 230 ? PROT_READ | PROT_WRITE : PROT_READ,
		 c < 245 ? MAP_SHARED : MAP_PRIVATE, e->fd[f], i.mmap_offset + pgoff);
	if (p == MAP_FAILED)
		return;
	e->map[e->nmap++] = (struct map){ p, len };
	touch(p, true, g8(r));
	touch((uint8_t *)p + len - 1, false, 0);
}

static void op_munmap(struct ex *e, struct rd *r)
{
	struct map *m;
	size_t pages, first, n;
	unsigned int k;

	if (!e->nmap)
		return;
	k = g8(r) % e->nmap;
	m = &e->map[k];
	pages = m->len / 4096;
	first = g8(r) % (pages ? pages : 1);
	n = 1 + g8(r) % (pages - first ? pages - first : 1);
	if (first == 0 && n >= pages) {
		munmap(m->addr, m->len);
		e->map[k] = e->map[--e->nmap];
		return;
	}
	/* A hole or a cut end: the mapping splits; keep the first part. */
	munmap(m->addr + first * 4096, n * 4096);
	if (first)
		m->len = first * 4096;
	else {
		m->addr += n * 4096;
		m->len -= n * 4096;
	}
}

static void op_mremap(struct ex *e, struct rd *r)
{
	struct map *m;
	size_t len;
	void *p;

	if (!e->nmap)
		return;
	m = &e->map[g8(r) % e->nmap];
	len = (1 + g8(r) % 32) * 4096;
	p = mremap(m->addr, m->len, len, g8(r) & 1 ? MREMAP_MAYMOVE : 0);
	if (p == MAP_FAILED)
		return;
	m->addr = p;
	m->len = len;
	touch((uint8_t *)p + len - 1, g8(r) & 1, 0x5a);
}

static void op_access(struct ex *e, struct rd *r)
{
	struct map *m;
	size_t off;

	if (!e->nmap)
		return;
	m = &e->map[g8(r) % e->nmap];
	off = (g32(r) % (m->len + 8192)) & ~7UL;
	/*
	 * Reads may go past the end (a fault there is caught); writes stay
	 * inside: past the end may be another mapping of the process, such as
	 * a library's data, and a write there corrupts the fuzzer itself (its
	 * workers died of "symbol lookup error: undefined symbol: nlmsg_alloc").
	 */
	touch(m->addr + off, off < m->len && (g8(r) & 1), g8(r));
}

static void op_fdinfo(struct ex *e, struct rd *r)
{
	char path[64], buf[2048];
	int f = pick_fd(e, r), fd;

	if (f < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", e->fd[f]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static void op_sysfs(struct ex *e, struct rd *r)
{
	static const char *const vals[] = { "0", "1", "y", "n", "on", "4294967295",
					    "4294967296", "-1", "0x10", "abc", "", "1\n" };
	char buf[4096];
	const char *file;
	uint8_t c = g8(r);
	int fd;

	(void)e;
	if (!nsysfs)
		return;
	file = sysfs_files[g16(r) % nsysfs];
	if (c < 150) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf)) < 0) {
				/* errors are fine */
			}
			close(fd);
		}
		return;
	}
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (c < 240) {
		const char *v = vals[g8(r) % (sizeof(vals) / sizeof(vals[0]))];

		if (write(fd, v, strlen(v)) < 0) {
			/* errors are fine */
		}
	} else {
		uint8_t junk[24];
		unsigned int i;

		for (i = 0; i < sizeof(junk); i++)
			junk[i] = g8(r);
		if (write(fd, junk, 1 + junk[0] % sizeof(junk)) < 0) {
			/* errors are fine */
		}
	}
	close(fd);
}

/* --- netlink ------------------------------------------------------------------------- */

static struct nl_sock *nl;
static int nl_family = -1;

static int nl_ignore(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static void nl_setup(void)
{
	struct timeval tv = { .tv_sec = 2 };

	nl = nl_socket_alloc();
	if (!nl)
		return;
	if (genl_connect(nl)) {
		nl_socket_free(nl);
		nl = NULL;
		return;
	}
	nl_family = genl_ctrl_resolve(nl, TRN_LINK_FAMILY_NAME);
	setsockopt(nl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl_socket_modify_cb(nl, NL_CB_VALID, NL_CB_CUSTOM, nl_ignore, NULL);
}

static void op_netlink(struct ex *e, struct rd *r)
{
	struct nl_msg *msg;
	uint8_t c = g8(r), cmd;
	int flags = 0;

	(void)e;
	if (!nl || nl_family < 0)
		return;
	cmd = c < 150 ? TRN_LINK_CMD_GET : c < 230 ? TRN_LINK_CMD_SET : c % 8;
	if (cmd == TRN_LINK_CMD_GET && g8(r) & 1)
		flags |= NLM_F_DUMP;
	msg = nlmsg_alloc();
	if (!msg)
		return;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl_family, 0, flags, cmd,
			 g8(r) < 250 ? TRN_LINK_FAMILY_VERSION : 0))
		goto out;
	c = g8(r);
	if (c < 220)
		nla_put_u32(msg, TRN_LINK_A_DEV_INDEX,
			    c < 200 && ndevs ? devs[c % ndevs].index : g32(r));
	c = g8(r);
	if (c < 220)
		nla_put_u32(msg, TRN_LINK_A_PORT, c < 200 ? c % 4 : g32(r));
	c = g8(r);
	if (c > 128)
		nla_put_u32(msg, TRN_LINK_A_ERR_THRESHOLD, c < 200 ? c % 8 : g32(r));
	if (g8(r) > 180)
		nla_put_flag(msg, TRN_LINK_A_CLEAR_COUNTERS);
	c = g8(r);
	if (c > 230) {
		/* An attribute of the wrong size or an unknown one. */
		uint8_t payload[12] = { 0 };

		payload[0] = g8(r);
		nla_put(msg, g8(r) % (TRN_LINK_A_MAX + 3), c % 12, payload);
	}
	if (nl_send_auto(nl, msg) >= 0)
		nl_recvmsgs_default(nl);
out:
	nlmsg_free(msg);
}

/* --- a child that shares the files and is killed ----------------------------------------- */

static void op_fork_kill(struct ex *e, struct rd *r)
{
	unsigned int delay_us = g8(r) * 200;
	uint64_t seed = g64(r) | 1;
	pid_t pid;

	if (!e->nfd)
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		struct drm_trn_dma_desc d = { .opcode = DRM_TRN_DMA_OP_NOP };
		struct drm_trn_submit s = { .descs = (uintptr_t)&d, .desc_count = 1,
					    .desc_size = sizeof(d) };
		unsigned int i;

		for (i = 0; i < 200; i++) {
			unsigned int f = rng_below(&seed, e->nfd);
			struct drm_trn_bo_create c = { .size = 4096 * (1 + rng_below(&seed, 8)),
						       .placement = rng_below(&seed, 2) };

			switch (rng_below(&seed, 4)) {
			case 0:
				drmIoctl(e->fd[f], DRM_IOCTL_TRN_BO_CREATE, &c);
				break;
			case 1:
				s.queue = rng_below(&seed, devs[e->fd_dev[f]].queues);
				drmIoctl(e->fd[f], DRM_IOCTL_TRN_SUBMIT, &s);
				break;
			case 2:
				if (e->nbo) {
					struct drm_gem_close gc = {
						.handle = e->bo[rng_below(&seed, e->nbo)].handle
					};

					drmIoctl(e->fd[f], DRM_IOCTL_GEM_CLOSE, &gc);
				}
				break;
			default:
				close(open(devs[e->fd_dev[f]].node, O_RDWR));
				break;
			}
		}
		_exit(0);
	}
	usleep(delay_us);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* --- execution ---------------------------------------------------------------------------- */

typedef void (*op_fn)(struct ex *e, struct rd *r);

/*
 * Operations, weighted by how often they appear in the table. The corpus
 * selects them by index (byte 0 of a record modulo the table's size): an
 * operation added takes the place of a duplicate, so that the inputs of
 * the corpus keep doing what they did (op_wait took the SUBMIT that the
 * fewest of them used).
 */
static const op_fn ops[] = {
	op_open, op_close, op_dup, op_query, op_query,
	op_bo_create, op_bo_create, op_bo_create, op_bo_info, op_gem_close, op_gem_close,
	op_submit, op_wait, op_submit, op_submit, op_submit, op_write_program,
	op_peer_import, op_peer_import, op_prime, op_syncobj, op_syncobj, op_syncobj,
	op_mmap, op_mmap, op_munmap, op_mremap, op_access, op_access,
	op_fdinfo, op_sysfs, op_sysfs, op_netlink, op_netlink, op_fork_kill,
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static void ex_reset(struct ex *e)
{
	unsigned int i;

	for (i = 0; i < e->nmap; i++)
		munmap(e->map[i].addr, e->map[i].len);
	for (i = 0; i < e->nother; i++)
		close(e->other[i]);
	for (i = 0; i < e->nfd; i++)
		close(e->fd[i]);
	memset(e, 0, sizeof(*e));
}

static void exec_input(const struct input *in)
{
	struct ex e = { 0 };
	unsigned int i;

	for (i = 0; i + REC <= in->len; i += REC) {
		struct rd r = { in->data + i + 1, 0 };

		ops[in->data[i] % NOPS](&e, &r);
	}
	ex_reset(&e);
}

/* --- coverage ----------------------------------------------------------------------------- */

struct kcov {
	int fd;
	uint64_t *cover;
};

static int kcov_open(struct kcov *k)
{
	k->fd = open(DBG_KCOV, O_RDWR | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (ioctl(k->fd, KCOV_INIT_TRACE, (unsigned long)COVER_SIZE))
		return -errno;
	k->cover = mmap(NULL, COVER_SIZE * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			MAP_SHARED, k->fd, 0);
	if (k->cover == MAP_FAILED)
		return -errno;
	if (ioctl(k->fd, KCOV_ENABLE, KCOV_TRACE_PC))
		return -errno;
	return 0;
}

/* Run @in with coverage; true if it reached something new. */
static bool run_covered(struct kcov *k, const struct input *in)
{
	uint64_t n, i, prev = 0;
	bool fresh = false;

	__atomic_store_n(&k->cover[0], 0, __ATOMIC_RELAXED);
	exec_input(in);
	n = __atomic_load_n(&k->cover[0], __ATOMIC_RELAXED);
	if (n > COVER_SIZE - 1)
		n = COVER_SIZE - 1;
	for (i = 1; i <= n; i++) {
		uint64_t pc = k->cover[i], off, edge;

		if (pc < text.start || pc >= text.end)
			continue;
		off = pc - text.start;
		if (!__atomic_load_n(&pcmap[off], __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(&pcmap[off], 1, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(&stats->pcs, 1, __ATOMIC_RELAXED);
			fresh = true;
		}
		edge = ((prev * 0x9e3779b97f4a7c15ULL) ^ off) & ((1u << EDGE_BITS) - 1);
		if (!__atomic_load_n(&edgemap[edge], __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(&edgemap[edge], 1, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(&stats->edges, 1, __ATOMIC_RELAXED);
			fresh = true;
		}
		prev = off;
	}
	__atomic_add_fetch(&stats->execs, 1, __ATOMIC_RELAXED);
	return fresh;
}

/* --- the corpus ----------------------------------------------------------------------------- */

struct corpus {
	struct input *in;
	unsigned int n, cap;
	char (*names)[24];
};

static uint64_t input_hash(const struct input *in)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t i;

	for (i = 0; i < in->len; i++)
		h = (h ^ in->data[i]) * 0x100000001b3ULL;
	return h;
}

static bool corpus_has(const struct corpus *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name))
			return true;
	return false;
}

static void corpus_add(struct corpus *c, const struct input *in, const char *name)
{
	if (c->n == c->cap) {
		unsigned int cap = c->cap ? 2 * c->cap : 256;
		struct input *bigger = realloc(c->in, cap * sizeof(*c->in));
		char (*names)[24];

		if (!bigger)
			return;
		c->in = bigger;
		names = realloc(c->names, cap * sizeof(*c->names));
		if (!names)
			return;
		c->names = names;
		c->cap = cap;
	}
	c->in[c->n] = *in;
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s", name);
	c->n++;
}

static int read_input(const char *path, struct input *in)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, in->data, sizeof(in->data));
	close(fd);
	if (n < 0)
		return -errno;
	in->len = n - n % REC;
	return in->len ? 0 : -EINVAL;
}

/* Every input file of @dir not loaded yet (names are their hashes). */
static unsigned int corpus_load(struct corpus *c, const char *dir)
{
	struct dirent *ent;
	unsigned int added = 0;
	char path[PATH_MAX];
	struct input in;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.' || strlen(ent->d_name) >= 24 ||
		    corpus_has(c, ent->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		if (read_input(path, &in))
			continue;
		corpus_add(c, &in, ent->d_name);
		added++;
	}
	closedir(d);
	return added;
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* --- mutation --------------------------------------------------------------------------------- */

static void random_record(uint64_t *rng, uint8_t *rec)
{
	unsigned int i;

	for (i = 0; i < REC; i += 8) {
		uint64_t v = rng_next(rng);

		memcpy(rec + i, &v, 8);
	}
	/* Small values are the valid ones, mostly. */
	for (i = 1; i < REC; i++)
		if (rng_below(rng, 3))
			rec[i] %= 1 + rng_below(rng, 8) * 32;
}

static void generate(uint64_t *rng, struct input *in)
{
	unsigned int n = 2 + rng_below(rng, 14), i;

	in->len = n * REC;
	for (i = 0; i < n; i++)
		random_record(rng, in->data + i * REC);
}

static void mutate(uint64_t *rng, struct input *in, const struct corpus *c)
{
	unsigned int rounds = 1 + rng_below(rng, 4), nrec, k, j;
	static const uint8_t interesting[] = { 0, 1, 2, 7, 8, 0x10, 0x1f, 0x20, 0x3f, 0x40,
					       0x7f, 0x80, 0xfe, 0xff };

	while (rounds--) {
		nrec = in->len / REC;
		k = rng_below(rng, nrec);
		switch (rng_below(rng, 9)) {
		case 0:	/* flip a bit */
			in->data[k * REC + rng_below(rng, REC)] ^= 1 << rng_below(rng, 8);
			break;
		case 1:	/* an interesting byte */
			in->data[k * REC + 1 + rng_below(rng, REC - 1)] =
				interesting[rng_below(rng, sizeof(interesting))];
			break;
		case 2:	/* another operation, same arguments */
			in->data[k * REC] = rng_next(rng);
			break;
		case 3:	/* a new record */
			random_record(rng, in->data + k * REC);
			break;
		case 4:	/* insert one */
			if (nrec < MAX_RECS) {
				memmove(in->data + (k + 1) * REC, in->data + k * REC,
					(nrec - k) * REC);
				random_record(rng, in->data + k * REC);
				in->len += REC;
			}
			break;
		case 5:	/* remove one */
			if (nrec > 1) {
				memmove(in->data + k * REC, in->data + (k + 1) * REC,
					(nrec - k - 1) * REC);
				in->len -= REC;
			}
			break;
		case 6:	/* repeat one */
			if (nrec < MAX_RECS) {
				memmove(in->data + (k + 1) * REC, in->data + k * REC,
					(nrec - k) * REC);
				in->len += REC;
			}
			break;
		case 7:	/* records of another input */
			if (c->n) {
				const struct input *o = &c->in[rng_below(rng, c->n)];
				unsigned int on = o->len / REC, from = rng_below(rng, on);
				unsigned int cnt = 1 + rng_below(rng, on - from);

				if (cnt > MAX_RECS - nrec)
					cnt = MAX_RECS - nrec;
				memmove(in->data + (k + cnt) * REC, in->data + k * REC,
					(nrec - k) * REC);
				memcpy(in->data + k * REC, o->data + from * REC, cnt * REC);
				in->len += cnt * REC;
			}
			break;
		default: /* arithmetic on a byte */
			j = k * REC + 1 + rng_below(rng, REC - 1);
			in->data[j] += (int)rng_below(rng, 9) - 4;
			break;
		}
	}
}

/* --- workers ----------------------------------------------------------------------------------- */

static const char *const *seed_dirs;
static unsigned int nseed_dirs;
static char corpus_dir[PATH_MAX];

static void worker(unsigned int w, uint64_t seed, uint64_t deadline_ms)
{
	char path[PATH_MAX + 32], name[24];
	struct corpus c = { 0 };
	struct slot *slots;
	struct kcov k;
	uint64_t rng = seed * 0x9e3779b97f4a7c15ULL + w + 1;
	unsigned int i, execs = 0;
	int slot_fd;
	struct input in;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	if (kcov_open(&k)) {
		fprintf(stderr, "trn-fuzz: worker %u: cannot enable KCOV\n", w);
		_exit(3);
	}
	nl_setup();
	snprintf(path, sizeof(path), "%s/last.%u", outdir, w);
	slot_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	slots = calloc(1, sizeof(*slots));
	for (i = 0; i < nseed_dirs; i++)
		corpus_load(&c, seed_dirs[i]);
	corpus_load(&c, corpus_dir);

	while (!__atomic_load_n(&stats->stop, __ATOMIC_RELAXED) && kd_now_ms() < deadline_ms) {
		if (!c.n || !rng_below(&rng, 10)) {
			generate(&rng, &in);
		} else {
			in = c.in[rng_below(&rng, c.n)];
			mutate(&rng, &in, &c);
		}
		/* Where the host finds it if the kernel dies running it. */
		if (slot_fd >= 0 && slots) {
			slots->len = in.len;
			slots->seq = execs;
			memcpy(slots->data, in.data, in.len);
			if (pwrite(slot_fd, slots, 8 + in.len,
				   (off_t)(execs % SLOTS) * sizeof(*slots)) < 0) {
				/* the slot is a help only */
			}
		}
		if (run_covered(&k, &in)) {
			snprintf(name, sizeof(name), "%016" PRIx64, input_hash(&in));
			snprintf(path, sizeof(path), "%s/%s", corpus_dir, name);
			if (!write_file(path, in.data, in.len)) {
				corpus_add(&c, &in, name);
				__atomic_add_fetch(&stats->new_inputs, 1, __ATOMIC_RELAXED);
			}
		}
		if (!(++execs % 64))
			corpus_load(&c, corpus_dir);
	}
	_exit(0);
}

static pid_t start_worker(unsigned int w, uint64_t seed, uint64_t deadline_ms)
{
	pid_t pid = fork();

	if (!pid)
		worker(w, seed, deadline_ms);
	return pid;
}

/* --- crashes ------------------------------------------------------------------------------------ */

static unsigned int crashes;

/* The last inputs of workers 0 .. @nworkers - 1 into files of @dir. */
static unsigned int save_slots(unsigned int nworkers, const char *dir)
{
	char path[PATH_MAX + 64];
	unsigned int w, i, n = 0;
	struct slot s;

	for (w = 0; w < nworkers; w++) {
		int fd;

		snprintf(path, sizeof(path), "%s/last.%u", outdir, w);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		for (i = 0; i < SLOTS; i++) {
			if (pread(fd, &s, sizeof(s), (off_t)i * sizeof(s)) < 8 || !s.len ||
			    s.len > sizeof(s.data))
				continue;
			snprintf(path, sizeof(path), "%s/w%u-seq%u", dir, w, s.seq);
			if (!write_file(path, s.data, s.len))
				n++;
		}
		close(fd);
	}
	return n;
}

/* Copy each worker's last inputs and the kernel log into OUT/crashes/N/. */
static void save_crash(unsigned int nworkers, const char *log)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];

	snprintf(dir, sizeof(dir), "%s/crashes", outdir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/crashes/%u", outdir, crashes++);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/kernel.log", dir);
	write_file(path, log, strlen(log));
	save_slots(nworkers, dir);
}

/* --- coverage figures --------------------------------------------------------------------------- */

/* Call sites of the KCOV hook in trn.ko: the PCs there are to reach. */
static unsigned int kcov_sites(const char *ko)
{
	const Elf64_Shdr *sh;
	const Elf64_Ehdr *eh;
	unsigned int i, n = 0;
	struct stat st;
	void *map;
	int fd;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	eh = map;
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > (uint64_t)st.st_size)
		goto out;
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *symtab, *strtab, *target;
		const Elf64_Rela *rela;
		const char *names = (const char *)map + sh[eh->e_shstrndx].sh_offset;
		uint64_t j;

		if (sh[i].sh_type != SHT_RELA || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_info >= eh->e_shnum)
			continue;
		target = &sh[sh[i].sh_info];
		if (!(target->sh_flags & SHF_EXECINSTR) ||
		    !strncmp(names + target->sh_name, ".init", 5))
			continue;
		symtab = &sh[sh[i].sh_link];
		if (symtab->sh_link >= eh->e_shnum)
			continue;
		strtab = &sh[symtab->sh_link];
		rela = (const Elf64_Rela *)((const char *)map + sh[i].sh_offset);
		for (j = 0; j < sh[i].sh_size / sizeof(*rela); j++) {
			const Elf64_Sym *sym = (const Elf64_Sym *)((const char *)map +
				symtab->sh_offset) + ELF64_R_SYM(rela[j].r_info);
			const char *name = (const char *)map + strtab->sh_offset + sym->st_name;

			if (!strcmp(name, "__sanitizer_cov_trace_pc"))
				n++;
		}
	}
out:
	munmap(map, st.st_size);
	return n;
}

/*
 * Source lines of the PCs reached, by addr2line against trn.ko's debug
 * information (section-relative addresses); the list goes to OUT/lines.txt.
 * Returns the number of distinct lines.
 */
static unsigned int covered_lines(void)
{
	char path[PATH_MAX], cmd[PATH_MAX * 2 + 64];
	unsigned int s, lines = 0;
	uint64_t off;

	snprintf(path, sizeof(path), "%s/pcs.txt", outdir);
	for (s = 0; s < text.nsec; s++) {
		FILE *f = fopen(path, "we");

		if (!f)
			return 0;
		for (off = 0; off < text.sec[s].size; off++) {
			uint64_t at = text.sec[s].addr - text.start + off;

			/* KCOV gives return addresses: the call is just before. */
			if (at < text.end - text.start && pcmap[at])
				fprintf(f, "0x%" PRIx64 "\n", off ? off - 1 : 0);
		}
		fclose(f);
		snprintf(cmd, sizeof(cmd),
			 "addr2line -e '%s' -j '%s' < '%s/pcs.txt' | grep -v '^[?][?]' %s '%s/lines.txt'",
			 ko_path, text.sec[s].name, outdir, s ? ">>" : ">", outdir);
		if (system(cmd) < 0)
			return 0;
	}
	snprintf(cmd, sizeof(cmd), "sed 's/ (discriminator [0-9]*)//' '%s/lines.txt' | sort -u -o '%s/lines.txt'",
		 outdir, outdir);
	if (system(cmd))
		return 0;
	snprintf(path, sizeof(path), "%s/lines.txt", outdir);
	{
		FILE *f = fopen(path, "re");
		char line[512];

		if (!f)
			return 0;
		while (fgets(line, sizeof(line), f))
			lines++;
		fclose(f);
	}
	return lines;
}

/* --- devices ------------------------------------------------------------------------------------ */

static void find_devices(void)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct dirent *ent;
	DIR *d = opendir("/sys/class/accel");
	unsigned int p;

	if (!d)
		return;
	while ((ent = readdir(d)) && ndevs < MAX_DEVS) {
		struct drm_trn_device_info info = { 0 };
		struct drm_trn_query q = { .size = sizeof(info), .data = (uintptr_t)&info };
		struct dev *v = &devs[ndevs];
		ssize_t n;
		int fd;

		if (strncmp(ent->d_name, "accel", 5))
			continue;
		snprintf(path, sizeof(path), "/sys/class/accel/%s/device/driver", ent->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(strrchr(target, '/') ? strrchr(target, '/') + 1 : target, "trn"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/accel/%s/device", ent->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		snprintf(v->bdf, sizeof(v->bdf), "%.15s",
			 strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
		snprintf(v->node, sizeof(v->node), "/dev/accel/%.50s", ent->d_name);
		v->index = strtoul(ent->d_name + 5, NULL, 10);
		fd = open(v->node, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!drmIoctl(fd, DRM_IOCTL_TRN_QUERY, &q)) {
			v->dma_queues = info.dma_queues;
			v->queues = info.dma_queues + info.core_queues;
			v->sems = info.num_sems;
		}
		close(fd);
		for (p = 0; p < 16; p++) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/link%u", v->bdf, p);
			if (!kd_exists(path))
				break;
		}
		v->links = p;
		ndevs++;
	}
	closedir(d);
}

/* The trn attributes in sysfs: read at random, written where they can be. */
static void find_sysfs(void)
{
	static const char *const files[] = {
		"hbm_used", "host_used", "buffer_objects", "num_links", "chip_id",
		"stats/jobs_completed", "stats/jobs_failed", "stats/dma_bytes", "stats/hbm_peak",
		"stats/ecc_corrected", "stats/clear", "core0/jobs_completed",
		"core0/busy_ns",
	};
	static const char *const port_files[] = {
		"state", "peer_device", "err_crc", "tx_bytes", "err_threshold", "clear_counters",
	};
	unsigned int d, i, p;

	for (d = 0; d < ndevs; d++) {
		for (i = 0; i < sizeof(files) / sizeof(files[0]) && nsysfs < 256; i++) {
			snprintf(sysfs_files[nsysfs], sizeof(sysfs_files[0]),
				 "/sys/bus/pci/devices/%s/%s", devs[d].bdf, files[i]);
			if (kd_exists(sysfs_files[nsysfs]))
				nsysfs++;
		}
		for (p = 0; p < devs[d].links && p < 4; p++)
			for (i = 0; i < sizeof(port_files) / sizeof(port_files[0]) && nsysfs < 256;
			     i++) {
				snprintf(sysfs_files[nsysfs], sizeof(sysfs_files[0]),
					 "/sys/bus/pci/devices/%s/link%u/%s", devs[d].bdf, p,
					 port_files[i]);
				if (kd_exists(sysfs_files[nsysfs]))
					nsysfs++;
			}
	}
}

/* --- main --------------------------------------------------------------------------------------- */

static void *shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void print_figures(uint64_t secs, unsigned int sites)
{
	unsigned int lines = covered_lines();

	printf("# %s: %" PRIu64 " inputs run in %" PRIu64 " s (%.1f/s), trn.ko PCs reached: %" PRIu64
	       " of %u instrumented (%.1f%%), %u source lines, %" PRIu64 " PC pairs, %" PRIu64
	       " new inputs, %u crashes\n",
	       tname, stats->execs, secs, secs ? (double)stats->execs / secs : 0.0, stats->pcs,
	       sites, sites ? 100.0 * stats->pcs / sites : 0.0, lines, stats->edges,
	       stats->new_inputs, crashes);
}

/*
 * Run every input of @paths (files, or directories of them) once, in this
 * process; their coverage becomes the baseline. Returns how many of them
 * made the kernel report something.
 */
static unsigned int replay(const char *const *paths, int npaths, struct kd_kmsg *km,
			   struct kcov *k)
{
	char first[256], path[PATH_MAX + 256];
	struct input in;
	unsigned int ran = 0, bad = 0;
	int i;

	for (i = 0; i < npaths; i++) {
		struct dirent **list;
		struct stat st;
		int n, j;

		if (stat(paths[i], &st))
			continue;
		n = S_ISDIR(st.st_mode) ? scandir(paths[i], &list, NULL, alphasort) : -2;
		for (j = 0; n == -2 ? j < 1 : j < n; j++) {
			if (n == -2)
				snprintf(path, sizeof(path), "%s", paths[i]);
			else if (list[j]->d_name[0] == '.')
				continue;
			else
				snprintf(path, sizeof(path), "%s/%s", paths[i], list[j]->d_name);
			if (read_input(path, &in))
				continue;
			run_covered(k, &in);
			ran++;
			if (kd_kmsg_poll(km, NULL, first, sizeof(first)) > 0) {
				printf("# %s: %s: kernel report: %s\n", tname, path, first);
				bad++;
			}
		}
		if (n >= 0) {
			for (j = 0; j < n; j++)
				free(list[j]);
			free(list);
		}
	}
	printf("%s - %s: replay of %u inputs: %s\n", bad ? "not ok" : "ok", tname, ran,
	       bad ? "kernel reports (above)" : "no kernel report");
	return bad;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: trn-fuzz --ko PATH --repo DIR --out DIR [--corpus DIR]... [--seconds N]\n"
		   "                [--workers N] [--seed N] [--kill-every S]\n"
		   "       trn-fuzz --ko PATH --repo DIR --out DIR --replay DIR|FILE...\n"
		   "       trn-fuzz --out DIR --salvage DEST   (the last inputs, after a crash)\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "ko", required_argument, NULL, 'k' },
		{ "repo", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "corpus", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "seed", required_argument, NULL, 'S' },
		{ "kill-every", required_argument, NULL, 'K' },
		{ "replay", no_argument, NULL, 'R' },
		{ "salvage", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *seeds[16];
	char reports[PATH_MAX], first[256], *log = NULL;
	const char *repo = ".";
	unsigned int nworkers = 2, seconds = 60, kill_every = 5, sites, w;
	uint64_t seed = (uint64_t)time(NULL), t0, deadline, next_kill;
	pid_t pids[MAX_WORKERS] = { 0 };
	bool do_replay = false;
	const char *salvage = NULL;
	unsigned int bad = 0;
	struct kd_kmsg km;
	struct kcov kc;
	size_t loglen = 0;
	FILE *logf;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'k': ko_path = optarg; break;
		case 'r': repo = optarg; break;
		case 'o': outdir = optarg; break;
		case 'c':
			if (nseed_dirs < 16)
				seeds[nseed_dirs++] = optarg;
			break;
		case 's': seconds = strtoul(optarg, NULL, 0); break;
		case 'w': nworkers = strtoul(optarg, NULL, 0); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'K': kill_every = strtoul(optarg, NULL, 0); break;
		case 'R': do_replay = true; break;
		case 'V': salvage = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (salvage && outdir) {
		/* On the host, after the guest died: what the workers last ran. */
		mkdir(salvage, 0755);
		printf("%u inputs saved in %s\n", save_slots(MAX_WORKERS, salvage), salvage);
		return 0;
	}
	if (!ko_path || !outdir || !nworkers || nworkers > MAX_WORKERS) {
		usage(stderr);
		return 2;
	}
	seed_dirs = seeds;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("T"))
		tname = getenv("T");
	mkdir(outdir, 0755);
	snprintf(corpus_dir, sizeof(corpus_dir), "%s/corpus", outdir);
	mkdir(corpus_dir, 0755);

	ret = kd_module_text(ko_path, "trn", &text);
	if (ret) {
		printf("not ok - %s: cannot locate trn.ko's code (%s)\n", tname, strerror(-ret));
		return 1;
	}
	find_devices();
	find_sysfs();
	if (!ndevs) {
		printf("not ok - %s: no trn device\n", tname);
		return 1;
	}
	stats = shared(sizeof(*stats));
	pcmap = shared(text.end - text.start);
	edgemap = shared(1u << EDGE_BITS);
	if (!stats || !pcmap || !edgemap) {
		printf("not ok - %s: out of memory\n", tname);
		return 1;
	}
	sites = kcov_sites(ko_path);
	snprintf(reports, sizeof(reports), "%s/tests/vm/kernel-reports", repo);
	if (kd_kmsg_open(&km, reports, NULL)) {
		printf("not ok - %s: cannot read the kernel log\n", tname);
		return 1;
	}
	printf("# %s: %u devices, %u sysfs files, trn.ko text 0x%" PRIx64 "-0x%" PRIx64
	       ", %u KCOV sites, seed %" PRIu64 "\n",
	       tname, ndevs, nsysfs, text.start, text.end, sites, seed);

	/* The inputs given (--replay) or the seeds, once: the baseline. */
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	if (kcov_open(&kc)) {
		printf("not ok - %s: cannot enable KCOV (%s)\n", tname, strerror(errno));
		return 1;
	}
	nl_setup();
	t0 = kd_now_ms();
	if (do_replay) {
		bad = replay((const char *const *)argv + optind, argc - optind, &km, &kc);
		print_figures((kd_now_ms() - t0) / 1000, sites);
		return bad ? 1 : 0;
	}
	if (nseed_dirs)
		bad = replay(seeds, nseed_dirs, &km, &kc);

	logf = open_memstream(&log, &loglen);
	deadline = t0 + (uint64_t)seconds * 1000;
	next_kill = t0 + (uint64_t)kill_every * 1000;
	for (w = 0; w < nworkers; w++)
		pids[w] = start_worker(w, seed, deadline);
	while (kd_now_ms() < deadline) {
		int status;
		pid_t pid;

		usleep(200000);
		if (kd_kmsg_poll(&km, logf, first, sizeof(first)) > 0) {
			/* Let the report finish before saving it. */
			usleep(500000);
			kd_kmsg_poll(&km, logf, NULL, 0);
			fflush(logf);
			printf("not ok - %s: kernel report while fuzzing: %s\n", tname, first);
			save_crash(nworkers, log);
			printf("# %s: inputs and kernel log saved in %s/crashes/%u\n", tname, outdir,
			       crashes - 1);
			break;
		}
		/* Keep the log short between reports. */
		fflush(logf);
		if (loglen > (1u << 20)) {
			fclose(logf);
			free(log);
			log = NULL;
			logf = open_memstream(&log, &loglen);
		}
		/* Restart workers that ended, kill one now and then. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			for (w = 0; w < nworkers; w++)
				if (pids[w] == pid) {
					if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
						printf("# %s: worker %u died of signal %d\n", tname,
						       w, WTERMSIG(status));
					pids[w] = kd_now_ms() + 1000 < deadline ?
						  start_worker(w, seed + kd_now_ms(), deadline) : 0;
				}
		if (kill_every && kd_now_ms() >= next_kill) {
			w = rand() % nworkers;
			if (pids[w] > 0)
				kill(pids[w], SIGKILL);
			next_kill = kd_now_ms() + 1000 + (uint64_t)(rand() % (2 * kill_every)) * 1000 / 2;
		}
	}
	/* Workers stop by themselves; one stuck for a minute is killed, and
	 * one that does not die either (in the kernel) is left behind. */
	__atomic_store_n(&stats->stop, 1, __ATOMIC_RELAXED);
	for (w = 0; w < nworkers; w++) {
		uint64_t until = kd_now_ms() + 60000;
		bool killed = false;

		while (pids[w] > 0 && waitpid(pids[w], NULL, WNOHANG) == 0) {
			if (kd_now_ms() > until) {
				if (killed) {
					printf("not ok - %s: worker %u does not end (pid %d)\n",
					       tname, w, pids[w]);
					crashes++;
					break;
				}
				kill(pids[w], SIGKILL);
				killed = true;
				until = kd_now_ms() + 60000;
			}
			usleep(50000);
		}
	}
	/* What the last inputs left behind may still be reported. */
	usleep(500000);
	if (!crashes && kd_kmsg_poll(&km, logf, first, sizeof(first)) > 0) {
		fflush(logf);
		printf("not ok - %s: kernel report while fuzzing: %s\n", tname, first);
		save_crash(nworkers, log);
	}
	if (!crashes)
		printf("ok - %s: %u s of fuzzing with %u workers: no kernel report\n", tname,
		       seconds, nworkers);
	print_figures((kd_now_ms() - t0) / 1000, sites);
	fclose(logf);
	free(log);
	return crashes || bad ? 1 : 0;
}
