/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_HW_H__
#define __TRN_HW_H__

struct trn_device;

int trn_hw_init(struct trn_device *tdev);
int trn_irq_init(struct trn_device *tdev);
int trn_hw_restart(struct trn_device *tdev);
int trn_hw_enter(struct trn_device *tdev) __acquires(&tdev->reset_srcu);
void trn_hw_exit(struct trn_device *tdev, int idx) __releases(&tdev->reset_srcu);
void trn_hw_block(struct trn_device *tdev);
void trn_hw_unblock(struct trn_device *tdev);

#endif /* __TRN_HW_H__ */
