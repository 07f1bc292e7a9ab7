// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * What the parts of trn-fuzz share: an input and its records, the devices,
 * the state of an input's execution and the operations, which are in
 * fuzz_uapi.c (the device files and the driver's ioctls) and fuzz_exec.c
 * (the others, their table, the execution of an input; the devices).
 */
#ifndef TRN_FUZZ_H
#define TRN_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC		32		/* bytes per operation */
#define MAX_RECS	64		/* operations per input */
#define IN_MAX	(REC * MAX_RECS)
#define MAX_DEVS	16

struct dev {
	char node[64];
	char bdf[16];
	unsigned int queues;	/* DMA and NeuronCore queues */
	unsigned int dma_queues;
	unsigned int sems;
	unsigned int links;
	unsigned int index;
};

struct input {
	uint32_t len;
	uint8_t data[IN_MAX];
};

/* The trn devices and their sysfs files (find_devices(), find_sysfs()). */
extern struct dev devs[MAX_DEVS];
extern unsigned int ndevs;
extern char sysfs_files[256][160];	/* trn attributes to read or write */
extern unsigned int nsysfs;

/* --- random numbers: xorshift64* ------------------------------------------------------------ */

static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

/* --- the state of one input's execution ----------------------------------------------------- */

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

static inline uint8_t g8(struct rd *r)
{
	return r->pos < REC - 1 ? r->b[r->pos++] : 0;
}

static inline uint16_t g16(struct rd *r)
{
	return g8(r) | (uint16_t)g8(r) << 8;
}

static inline uint32_t g32(struct rd *r)
{
	return g16(r) | (uint32_t)g16(r) << 16;
}

static inline uint64_t g64(struct rd *r)
{
	return g32(r) | (uint64_t)g32(r) << 32;
}

/* --- fuzz_uapi.c ------------------------------------------------------------------------------ */

/* A device file of the input (made if there is none): its index, or -1. */
int pick_fd(struct ex *e, struct rd *r);
/* An object of file @f (made if it has none; @f < 0: of any file), or -1. */
int pick_bo(struct ex *e, struct rd *r, int f);
/* Read or write a byte of a mapping; a fault there is caught. */
void touch(uint8_t *p, bool write, uint8_t val);
/* SIGSEGV and SIGBUS: back out of touch(), or die of the signal. */
void on_fault(int sig);

/* The operations on device files and ioctls, each reading its record. */
void op_open(struct ex *e, struct rd *r);
void op_close(struct ex *e, struct rd *r);
void op_dup(struct ex *e, struct rd *r);
void op_query(struct ex *e, struct rd *r);
void op_bo_create(struct ex *e, struct rd *r);
void op_bo_info(struct ex *e, struct rd *r);
void op_gem_close(struct ex *e, struct rd *r);
void op_submit(struct ex *e, struct rd *r);
void op_write_program(struct ex *e, struct rd *r);
void op_peer_import(struct ex *e, struct rd *r);
void op_prime(struct ex *e, struct rd *r);
void op_syncobj(struct ex *e, struct rd *r);
void op_wait(struct ex *e, struct rd *r);

/* --- fuzz_exec.c ------------------------------------------------------------------------------ */

/* Run the records of @in, then close what they left. */
void exec_input(const struct input *in);
/* The netlink socket of this process (each worker opens its own). */
void nl_setup(void);
void find_devices(void);
void find_sysfs(void);

#endif /* TRN_FUZZ_H */
