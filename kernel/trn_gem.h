/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_GEM_H__
#define __TRN_GEM_H__

#include <linux/list.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>

struct dma_buf;
struct drm_device;
struct drm_file;
struct trn_bo;
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
 * struct trn_bo_ops - what a kind of object adds to its destruction
 * @detach: first of all, before the object is unmapped (optional)
 * @release: once no job can use it any more: give back what it holds
 *
 * HBM and host objects have none; peer objects (trn_peer.c) have theirs.
 */
struct trn_bo_ops {
	void (*detach)(struct trn_bo *bo);
	void (*release)(struct trn_bo *bo);
};

/**
 * struct trn_bo - a buffer object, mapped in one address space
 * @base: shmem GEM object; host objects use all of it, the others only
 *	its GEM object, base.base
 * @fpriv: the file that created it, charged for its memory (a reference)
 * @vm: address space it is mapped in, the file's (a reference)
 * @ops: for kinds of objects that need more on destruction, or NULL
 * @placement: DRM_TRN_PLACEMENT_*
 * @va: device virtual range
 * @blocks: HBM objects: the HBM blocks (trn_mem.c)
 * @runs: HBM objects: @nr_runs contiguous runs, for CPU page faults
 * @nr_runs: number of @runs
 * @xva: HBM objects imported by peers: range in the export space
 * @xcount: HBM objects: peer objects that use @xva
 * @src: peer objects: the exported HBM object of the peer (a reference)
 * @exporter: peer objects: the device of @src (a reference)
 * @port: peer objects: the NeuronLink port that reaches @exporter
 * @writable: peer objects: mapped for writes too
 * @mapped: peer objects: mapped, and so shared by later imports of @src
 *	through @port with the same access by the same file
 * @import_node: peer objects: entry in @exporter's list of imports
 * @free_work: destroys the object once no job of its file can use it
 *
 * @xva, @xcount, @mapped and @import_node belong to the exporting device's
 * trn_device.peer_lock.
 */
struct trn_bo {
	struct drm_gem_shmem_object base;
	struct trn_file_priv *fpriv;
	struct trn_vm *vm;
	const struct trn_bo_ops *ops;
	u32 placement;
	struct drm_mm_node va;

	struct list_head blocks;
	struct trn_hbm_run *runs;
	unsigned int nr_runs;

	struct drm_mm_node xva;
	unsigned int xcount;

	struct trn_bo *src;
	struct trn_device *exporter;
	u32 port;
	bool writable;
	bool mapped;
	struct list_head import_node;

	struct work_struct free_work;
};

static inline struct trn_bo *to_trn_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct trn_bo, base.base);
}

struct trn_bo *trn_bo_alloc(struct trn_file_priv *fpriv, u32 placement,
			    u64 size, const struct trn_bo_ops *ops);
struct trn_bo *trn_bo_from_dmabuf(struct dma_buf *dmabuf);

int trn_gem_init(void);
void trn_gem_exit(void);
struct drm_gem_object *trn_gem_create_object(struct drm_device *drm, size_t size);
int trn_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file);
int trn_ioctl_bo_info(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __TRN_GEM_H__ */
