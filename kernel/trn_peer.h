/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_PEER_H__
#define __TRN_PEER_H__

struct drm_device;
struct drm_file;
struct trn_device;

int trn_peer_init(struct trn_device *tdev);
void trn_peer_restart(struct trn_device *tdev);
void trn_peer_remove(struct trn_device *tdev);

int trn_ioctl_peer_import(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __TRN_PEER_H__ */
