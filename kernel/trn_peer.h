/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_PEER_H__
#define __TRN_PEER_H__

struct dma_buf;
struct drm_device;
struct drm_file;
struct drm_gem_object;
struct trn_bo;
struct trn_device;

int trn_peer_init(struct trn_device *tdev);
void trn_peer_remove(struct trn_device *tdev);

struct dma_buf *trn_peer_export(struct drm_gem_object *obj, int flags);
void trn_peer_detach(struct trn_bo *bo);
void trn_peer_release(struct trn_bo *bo);
int trn_ioctl_peer_import(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __TRN_PEER_H__ */
