/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Device enumeration (nrt_enum.c): the trn devices this process sees, in
 * device index order, without opening any of them: those of sysfs whose
 * node is in /dev/accel, selected and ordered by NRT_VISIBLE_DEVICES; and
 * the cores of a device it sees (NRT_VISIBLE_CORES).
 */
#ifndef NRT_ENUM_H
#define NRT_ENUM_H

#include <stddef.h>

#include "nrt_error.h"

/* A trn device: entry i of nrt_enum_devices() is device index i. */
struct nrt_dev_ent {
	unsigned int minor;             /* N of accelN */
	char pci_bdf[32];               /* "DDDD:BB:DD.F" */
	char device_node[64];           /* <NRT_DEV_ROOT>/accel/<its node> */
};

/*
 * nrt_enum_devices() - the trn devices, in device index order
 * @out: receives them (free()), NULL when there are none
 * @n: receives their number
 *
 * Return: NRT_SUCCESS; NRT_NO_DRIVER when there is none and the module is
 * not loaded; NRT_PERMISSION or NRT_FAILURE when sysfs cannot be read;
 * NRT_INVALID when a path built from NRT_SYSFS_ROOT or NRT_DEV_ROOT is too
 * long; NRT_RESOURCE.
 */
NRT_HIDDEN nrt_status nrt_enum_devices(struct nrt_dev_ent **out, size_t *n);

/*
 * nrt_enum_device() - device @index, for nrt_device_open()
 *
 * Return: as nrt_enum_devices(); NRT_NO_DEVICE ("no trn device with index
 * 4 (3 present)") when there is no such device.
 */
NRT_HIDDEN nrt_status nrt_enum_device(unsigned int index, struct nrt_dev_ent *e);

/*
 * nrt_enum_cores() - the cores of a device this process uses
 * @ncores: the device's cores that run programs
 * @map: receives (free()) the device's core for each core number the
 *	process uses: all in order, or those NRT_VISIBLE_CORES lists
 * @n: receives their number
 *
 * NRT_VISIBLE_CORES is a comma-separated list of cores ("1") and ranges
 * ("0-3"); the list stops at the first entry that is malformed, names a
 * core the device does not have or one named before.
 *
 * Return: NRT_SUCCESS or NRT_RESOURCE.
 */
NRT_HIDDEN nrt_status nrt_enum_cores(unsigned int ncores, unsigned int **map,
				     unsigned int *n);

/* NUMA node of the device of accel minor @minor, or -1 if unknown. */
NRT_HIDDEN int nrt_enum_numa_node(unsigned int minor);

/* The root of sysfs: NRT_SYSFS_ROOT or "/sys". */
NRT_HIDDEN const char *nrt_sysfs_path(void);

#endif /* NRT_ENUM_H */
