/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_SYSFS_H__
#define __TRN_SYSFS_H__

#include <linux/sysfs.h>

/* The driver's attribute groups, created by the driver core on bind. */
extern const struct attribute_group *trn_sysfs_groups[];

#endif /* __TRN_SYSFS_H__ */
