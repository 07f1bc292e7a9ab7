/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_RESET_H__
#define __TRN_RESET_H__

#include <linux/pci.h>

extern const struct pci_error_handlers trn_err_handlers;

#endif /* __TRN_RESET_H__ */
