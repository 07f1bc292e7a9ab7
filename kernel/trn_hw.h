/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_HW_H__
#define __TRN_HW_H__

struct trn_device;

int trn_hw_init(struct trn_device *tdev);
int trn_irq_init(struct trn_device *tdev);
int trn_hw_restart(struct trn_device *tdev);

#endif /* __TRN_HW_H__ */
