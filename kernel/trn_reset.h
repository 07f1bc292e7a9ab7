/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_RESET_H__
#define __TRN_RESET_H__

#include <linux/pci.h>

struct trn_device;

extern const struct pci_error_handlers trn_err_handlers;

void trn_reset_init(struct trn_device *tdev);
void trn_reset_remove(struct trn_device *tdev);

#endif /* __TRN_RESET_H__ */
