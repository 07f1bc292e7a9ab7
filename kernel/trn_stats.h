/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_STATS_H__
#define __TRN_STATS_H__

#include <linux/sysfs.h>

struct trn_device;
struct trn_sysfs_dirs;

int trn_stats_init(struct trn_device *tdev);
void trn_stats_restart(struct trn_device *tdev);

extern const struct attribute_group trn_stats_group;
extern const struct trn_sysfs_dirs trn_core_dirs;

#endif /* __TRN_STATS_H__ */
