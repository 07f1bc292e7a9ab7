/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_MEM_H__
#define __TRN_MEM_H__

#include <linux/list.h>
#include <linux/types.h>

struct trn_device;

int trn_hbm_init(struct trn_device *tdev);
int trn_hbm_alloc(struct trn_device *tdev, u64 size, struct list_head *blocks);
int trn_hbm_alloc_page(struct trn_device *tdev, struct list_head *blocks,
		       u64 *hbm);
void trn_hbm_free(struct trn_device *tdev, struct list_head *blocks, u64 size);
int trn_hbm_clear(struct trn_device *tdev, struct list_head *blocks);
int trn_hbm_retire(struct trn_device *tdev, u64 addr);
ssize_t trn_hbm_show_bad(struct trn_device *tdev, bool retired, char *buf);
int trn_hbm_walk(struct trn_device *tdev, struct list_head *blocks,
		 int (*fn)(void *arg, u64 hbm, u64 len), void *arg);

#endif /* __TRN_MEM_H__ */
