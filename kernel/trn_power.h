/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_POWER_H__
#define __TRN_POWER_H__

#include <linux/hwmon.h>
#include <linux/sysfs.h>
#include <linux/types.h>

struct trn_device;

/* The device's throttle_reasons attribute (interface 1.8). */
extern const struct attribute_group trn_power_group;

int trn_power_init(struct trn_device *tdev);
void trn_power_restart(struct trn_device *tdev);

/* hwmon power1_cap, power1_cap_min, power1_cap_max (trn_stats.c's hwmon). */
umode_t trn_power_hwmon_visible(const struct trn_device *tdev, u32 attr);
int trn_power_hwmon_read(struct trn_device *tdev, u32 attr, long *val);
int trn_power_hwmon_write(struct trn_device *tdev, u32 attr, long val);

#endif /* __TRN_POWER_H__ */
