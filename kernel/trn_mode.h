/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_MODE_H__
#define __TRN_MODE_H__

#include <linux/device.h>
#include <linux/types.h>

struct trn_device;
struct trn_file_priv;

/* Compute modes of a device and of a NeuronCore (Documentation/sysfs.rst). */
enum trn_compute_mode {
	TRN_MODE_SHARED,		/* every file may use it */
	TRN_MODE_EXCLUSIVE_PROCESS,	/* one file at a time */
};

/* The device's compute_mode attribute. */
extern const struct attribute_group trn_mode_group;

int trn_mode_init(struct trn_device *tdev);
int trn_mode_open(struct trn_device *tdev);
void trn_mode_close(struct trn_device *tdev, struct trn_file_priv *fpriv);
int trn_mode_use_core(struct trn_file_priv *fpriv, u32 core);
void trn_mode_unuse_core(struct trn_file_priv *fpriv, u32 core);
ssize_t trn_mode_core_show(struct trn_device *tdev, u32 core, char *buf);
ssize_t trn_mode_core_store(struct trn_device *tdev, u32 core,
			    const char *buf, size_t count);

#endif /* __TRN_MODE_H__ */
