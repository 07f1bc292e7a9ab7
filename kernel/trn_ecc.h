/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_ECC_H__
#define __TRN_ECC_H__

#include <linux/sysfs.h>

struct trn_device;

int trn_ecc_init(struct trn_device *tdev);
void trn_ecc_restart(struct trn_device *tdev);

extern const struct attribute_group trn_ecc_group;

#endif /* __TRN_ECC_H__ */
