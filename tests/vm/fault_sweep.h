// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * The fault-injection sweep (tests/vm/fault_sweep.c): the devices it works
 * on, and the operations of the driver it sweeps (tests/vm/fault_ops.c).
 */
#ifndef TRN_FAULT_SWEEP_H
#define TRN_FAULT_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_DEVS	2

struct nl_sock;

struct dev {
	char bdf[16];
	char node[64];		/* /dev/accel/accelN */
	unsigned int index;	/* N */
	int port_to_other;	/* link port reaching the other device, or -1 */
};

/* The bound trn devices in bus order, found by find_devices(). */
extern struct dev devs[MAX_DEVS];
extern unsigned int ndevs;

/* What an operation holds between its steps; released by st_release(). */
struct st {
	int fd[MAX_DEVS];
	uint32_t bo[MAX_DEVS];
	uint64_t bo_va[MAX_DEVS];
	uint32_t syncobj;
	int dmabuf;
	void *map;
	size_t map_len;
	struct nl_sock *nl;
	int family;
};

struct op {
	const char *name;
	const char *what;
	unsigned int need_devs;
	bool need_link;
	int (*prep)(struct st *st);
	int (*run)(struct st *st);
	void (*done)(struct st *st);
	bool no_counters;	/* the device is rebound: its counters restart */
	bool functions_only;	/* its allocations are not failed (see fault_ops[]) */
};

/* The operations swept, in the order they run. */
extern const struct op fault_ops[];
extern const unsigned int fault_nops;

void st_init(struct st *st);
void st_release(struct st *st);

/* A file of device @d's sysfs directory (a static buffer). */
char *dev_path(unsigned int d, const char *file);
/* Bind device @d to trn.ko if it is not: 0 or -ENODEV. */
int dev_bind(unsigned int d);
/* After probe or removal: device 1 bound again, its accel minor read again. */
void done_rebind(struct st *st);
/* Fill devs[]: 0 or -errno. */
int find_devices(void);

#endif /* TRN_FAULT_SWEEP_H */
