/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Fake sysfs and /proc trees for the unit tests of nrt-top (top_tree.c):
 * a temporary root that NRT_SYSFS_ROOT and NRT_PROC_ROOT point at, trn
 * devices with their attributes and counters, and processes with DRM
 * fdinfo.
 */
#ifndef TOP_TREE_H
#define TOP_TREE_H

#include <limits.h>
#include <stdint.h>

#include "nrt_top_snap.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define SEC UINT64_C(1000000000)

struct tree {
	char root[64];
	char sys[PATH_MAX];
	char proc[PATH_MAX];
	char dev[PATH_MAX];
};

/* cmocka setup and teardown: an empty tree, the environment pointing at it. */
int setup(void **state);
int teardown(void **state);

/* Write @value and a newline to @rel in the directory of device @bdf. */
void attr(struct tree *t, const char *bdf, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * /sys/class/accel/accel<minor> for PCI function @bdf bound to @driver,
 * with the attributes of a driver from before the observability counters.
 */
void add_accel(struct tree *t, unsigned int minor, const char *bdf,
	       const char *driver, unsigned int cores, unsigned int links);

/* The counters of the observability driver: stats/, cores/ and hwmon. */
void add_counters(struct tree *t, const char *bdf, unsigned int cores);

/* Process @pid with one DRM client of device @pdev. */
void add_proc(struct tree *t, int pid, const char *comm, const char *pdev,
	      int client, unsigned long long hbm_kib, unsigned long long core_ns);

/* Two devices (listed in the class out of PCI order) and an unrelated one. */
void standard_tree(struct tree *t);

/* Snapshot 2 of standard_tree(), one second after snapshot 1. */
void advance(struct tree *t);

/* Collect, or fail the test. */
void collect(struct nrt_top_snap *s);

/* Collect, pretending that @dt_ns passed since @prev, and take the rates. */
void collect_after(struct nrt_top_snap *s, const struct nrt_top_snap *prev,
		   uint64_t dt_ns);

#endif /* TOP_TREE_H */
