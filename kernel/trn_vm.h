/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_VM_H__
#define __TRN_VM_H__

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <drm/drm_mm.h>

struct dma_fence;
struct sg_table;
struct trn_device;
struct trn_pt;
struct trn_user;

/* Device virtual addresses handed out: the first 64 KiB stay unmapped. */
#define TRN_VA_START		0x10000ULL

/**
 * struct trn_vm - a device address space
 * @ref: held by its owner (an open file, or the device for its export
 *	space), and by every buffer object mapped in it
 * @tdev: the device
 * @asid: address space id given to the device in CONTEXT descriptors, and
 *	the id of the semaphores of the space
 * @user: the user charged for the space and its page tables, and for the
 *	HBM objects mapped in it (trn_user.c); NULL for the export space
 * @limited: the quotas of @user apply to this space
 * @lock: protects @va_mm, the page tables, @pt_bytes and @last_fences
 * @va_mm: allocator of device virtual addresses
 * @root: level 0 page table
 * @pt_blocks: HBM blocks holding this space's page tables
 * @pt_bytes: bytes of HBM in @pt_blocks; it only grows, and fdinfo reads it
 *	without the lock
 * @last_fences: per queue, finished fence of the newest job submitted in
 *	this space (jobs of one space on one queue complete in order)
 *
 * An address space belongs to no file: an open file has one (struct
 * trn_file_priv), and the export space that peers reach has no file at all.
 */
struct trn_vm {
	struct kref ref;
	struct trn_device *tdev;
	u32 asid;
	struct trn_user *user;
	bool limited;

	struct mutex lock; /* va_mm, page tables, pt_bytes, last_fences */
	struct drm_mm va_mm;
	struct trn_pt *root;
	struct list_head pt_blocks;
	u64 pt_bytes;
	struct dma_fence **last_fences;
};

struct trn_vm *trn_vm_create(struct trn_device *tdev, bool user_space);
struct trn_vm *trn_vm_get(struct trn_vm *vm);
void trn_vm_put(struct trn_vm *vm);
u64 trn_vm_pt_root(struct trn_vm *vm);

int trn_vm_insert(struct trn_vm *vm, struct drm_mm_node *node, u64 size);
void trn_vm_remove(struct trn_vm *vm, struct drm_mm_node *node);
int trn_vm_map_hbm(struct trn_vm *vm, struct drm_mm_node *node,
		   struct list_head *blocks);
int trn_vm_map_sgt(struct trn_vm *vm, struct drm_mm_node *node,
		   struct sg_table *sgt);
int trn_vm_map_peer(struct trn_vm *vm, struct drm_mm_node *node, u32 port,
		    u32 peer_chip, u64 xva, bool writable);
void trn_vm_unmap(struct trn_vm *vm, struct drm_mm_node *node);

void trn_vm_set_last_fence(struct trn_vm *vm, u32 queue,
			   struct dma_fence *fence);
bool trn_vm_idle(struct trn_vm *vm);
void trn_vm_wait_idle(struct trn_vm *vm);

#endif /* __TRN_VM_H__ */
