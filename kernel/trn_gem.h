/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_GEM_H__
#define __TRN_GEM_H__

#include <linux/list.h>
#include <linux/types.h>
#include <drm/drm_gem.h>
#include <drm/drm_mm.h>

struct drm_device;
struct drm_file;
struct sg_table;
struct trn_device;
struct trn_file_priv;
struct trn_vm;

/**
 * struct trn_hbm_run - physically contiguous part of an HBM object
 * @first_page: index of its first page in the object
 * @hbm: HBM offset of that page
 */
struct trn_hbm_run {
	u64 first_page;
	u64 hbm;
};

/**
 * struct trn_bo - a buffer object, mapped in one address space
 * @base: GEM object
 * @fpriv: the file that created it, charged for its memory (a reference)
 * @vm: address space it is mapped in, the file's (a reference)
 * @placement: DRM_TRN_PLACEMENT_*
 * @va: device virtual range
 * @blocks: HBM objects: drm_buddy blocks
 * @runs: HBM objects: @nr_runs contiguous runs, for CPU page faults
 * @nr_runs: number of @runs
 * @pages: host objects: the shmem pages
 * @sgt: host objects: @pages mapped for the device
 * @xva: HBM objects imported by peers: range in the export space
 * @xcount: HBM objects: peer objects that use @xva
 * @src: peer objects: the exported HBM object of the peer (a reference)
 * @exporter: peer objects: the device of @src (a reference)
 * @port: peer objects: the NeuronLink port that reaches @exporter
 * @import_node: peer objects: entry in @exporter's list of imports
 * @free_work: destroys the object once no job of its file can use it
 *
 * @xva, @xcount and @import_node belong to the exporting device's
 * trn_device.peer_lock.
 */
struct trn_bo {
	struct drm_gem_object base;
	struct trn_file_priv *fpriv;
	struct trn_vm *vm;
	u32 placement;
	struct drm_mm_node va;

	struct list_head blocks;
	struct trn_hbm_run *runs;
	unsigned int nr_runs;

	struct page **pages;
	struct sg_table *sgt;

	struct drm_mm_node xva;
	unsigned int xcount;

	struct trn_bo *src;
	struct trn_device *exporter;
	u32 port;
	struct list_head import_node;

	struct work_struct free_work;
};

static inline struct trn_bo *to_trn_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct trn_bo, base);
}

struct trn_bo *trn_bo_alloc(struct trn_file_priv *fpriv, u32 placement, u64 size);

int trn_gem_init(void);
void trn_gem_exit(void);
int trn_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file);
int trn_ioctl_bo_info(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __TRN_GEM_H__ */
