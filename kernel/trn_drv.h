/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_DRV_H__
#define __TRN_DRV_H__

#include <linux/completion.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/ratelimit_types.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <drm/drm_device.h>

#include "trn_compat.h"
#include "trn_link.h"
#include "trn_regs.h"

#define TRN_DRIVER_NAME		"trn"
#define TRN_DRIVER_DESC		"Trainium-style accelerator"
#define TRN_DRIVER_MAJOR	0
#define TRN_DRIVER_MINOR	6
#define TRN_DRIVER_PATCH	0

struct pci_dev;
struct trn_queue;
struct trn_vm;

/* Limits of what the driver asks of a device. */
#define TRN_MAX_QUEUES		64
#define TRN_MAX_CORES		64
#define TRN_EVENT_GROUPS	5	/* enum drm_trn_event's hundreds, thermal */
#define TRN_RING_ENTRIES	4096
/*
 * Descriptors one file's jobs may hold in a ring: half of them, so that
 * two files' shares fit (trn_share.c).
 */
#define TRN_RING_SHARE		((TRN_RING_ENTRIES - 1) / 2)
/*
 * Most descriptors of a user in one job: a job with its CONTEXT descriptor
 * (TRN_JOB_EXTRA_DESCS) fits in a file's share.
 */
#define TRN_MAX_USER_DESCS	(TRN_RING_SHARE - 1)

/**
 * struct trn_device - one trn accelerator
 * @drm: DRM device, embedded; owns the lifetime of this structure
 * @pdev: PCI function
 * @regs: BAR0 registers
 * @chip_id: chip identifier reported by the device, unique within its host
 * @host_id: the host (position in the rack) of the device
 *	(TRN_REG_HOST_ID); 0 without TRN_CAP_RACK
 * @num_cores: number of NeuronCores (at most TRN_MAX_CORES)
 * @hbm_size: bytes of device memory
 * @hw_version: interface version register, TRN_VERSION(major, minor)
 * @hw_caps: capability bits (TRN_CAP_*)
 * @serial: serial number (TRN_REG_SERIAL), 0 without TRN_CAP_INVENTORY
 * @fw_version: firmware version (TRN_REG_FW_VERSION), 0 without
 *	TRN_CAP_INVENTORY
 * @irq_test_done: completed by the misc interrupt handler on TRN_IRQ_TEST
 * @nvec: MSI-X vectors enabled
 * @wq: the device's work items: queue recovery and link events; it may
 *	reclaim memory, since recovery signals fences
 * @hbm_io: CPU mapping of device memory (BAR2), for page tables and clearing
 * @hbm_bus: bus address of BAR2, for user mappings of HBM objects
 * @hbm_lock: protects @hbm_mm and the memory counters
 * @hbm_mm: allocator of device memory (objects and page tables)
 * @hbm_used: bytes of HBM allocated, page tables included
 * @hbm_peak: highest @hbm_used since probe or the last clearing of stats/
 * @hbm_bad: pages an uncorrectable error hit, retired or pending (trn_mem.c)
 * @hbm_retired: pages of @hbm_bad out of the allocator for good
 * @hbm_pending: pages of @hbm_bad still in use, retired when freed
 * @host_used: bytes of host memory held by host objects
 * @num_bos: live buffer objects
 * @dma_engines: DMA engines
 * @num_dma_queues: DMA queues driven
 * @num_core_queues: NeuronCore queues driven (core c: queue num_dma_queues + c)
 * @num_queues: all queues driven, DMA then NeuronCore (at most TRN_MAX_QUEUES)
 * @num_asids: address spaces the device offers
 * @num_sems: semaphores per address space
 * @asid_ida: allocator of address space ids
 * @num_spaces: address spaces in use, the export space included
 * @users_lock: protects @users and what they hold
 * @users: the users holding address spaces (struct trn_user), with what
 *	they are charged for
 * @queues: the queues, by the number userspace gives them
 * @num_links: NeuronLink ports (0 without TRN_CAP_LINK)
 * @link_lock: protects the cached state of @link_ports and their registers
 * @link_ports: the NeuronLink ports
 * @link_work: re-reads the ports after TRN_IRQ_LINK and reports changes
 * @link_stopped: the interrupt handler no longer queues @link_work
 * @link_node: entry in the list of bound devices (trn_link.c)
 * @link_notifier: called by the link work, in its context, with a struct
 *	trn_link_change, when a port comes up or its far end changes while up
 * @peer_nb: trn_peer.c's block on @link_notifier
 * @peer_lock: protects @imports, @peer_gone and the export state of objects
 * @export_vm: with TRN_CAP_PEER, the export space peers reach: an address
 *	space of no file
 * @imports: peer objects on other devices that use this one's memory
 * @peer_gone: the device is going away: no more imports of its memory
 * @stats_lock: protects the bases of the counters (trn_stats.c)
 * @dma_base: DMA engine bytes and busy time that read as zero
 * @ecc_base: corrected and uncorrected ECC errors that read as zero
 * @core_base: per NeuronCore, its counter registers' values that read as zero
 * @ecc_lock: protects @ecc_seen, @ecc_unlogged and TRN_REG_ECC_LOG_INDEX
 * @ecc_work: reads the ECC error log after TRN_IRQ_ECC (trn_ecc.c), and
 *	again later if it had no memory to retire a page
 * @ecc_log_size: entries of the device's ECC error log the driver reads, 0
 *	without one
 * @ecc_seen: entries of the log the driver has handled
 * @ecc_unlogged: pages the device counted past the end of its full log, as
 *	last read: poisoned, unknown to the driver, never retired
 * @ecc_stopped: the interrupt handler no longer queues @ecc_work
 * @throttle_base: TRN_REG_THROTTLE_NS that reads as zero (stats_lock)
 * @power_lock: protects @power_cap, @power_reasons, @power_event and
 *	@power_uevent_at (trn_power.c)
 * @power_work: reads TRN_REG_THROTTLE after TRN_IRQ_THROTTLE, and sends
 *	the uevent held back within a second of the last
 * @power_cap: the cap root set, in mW, written again after a reset; 0 if
 *	none was set
 * @power_cap_min: the lowest cap the device takes, mW; 0 without one
 * @power_cap_max: the highest, mW; 0 without a cap
 * @power_reasons: TRN_THROTTLE_* as last read
 * @power_event: a change of the reasons not yet told by a uevent
 * @power_uevent_at: jiffies of the last uevent, 0 before the first
 * @power_stopped: the interrupt handler no longer queues @power_work
 * @reset_count: resets of the device (FLR, PCIe error recovery, and the
 *	driver's own after a queue hung), in sysfs
 * @recovering: a PCIe error recovery is under way (trn_reset.c); only
 *	touched with the device lock held
 * @wedged: the device did not come back from a reset, or is lost to the
 *	bus: nothing reaches it until the driver is bound again
 * @recover_work: gives up on a PCIe error recovery the PCI core abandoned
 * @reset_work: the driver's own reset of the device, after a queue did not
 *	stop or timed out too often (trn_reset.c)
 * @reset_pending: @reset_work is queued
 * @reset_asked: the @reset_count its latest requester had seen: if a reset
 *	came since, the request is met (a suspended queue is not: see
 *	trn_reset.c)
 * @reset_srcu: readers are the writes to device memory and registers that
 *	must not be lost in a reset (trn_hw_enter())
 * @reset_wq: where those writes wait for the end of a reset
 * @resetting: a reset is under way; the device may not decode its BARs
 * @mode_lock: protects @compute_mode, @open_files, @core_mode, @core_users
 *	and the files' &trn_file_priv.cores_used (trn_mode.c)
 * @compute_mode: the device's &enum trn_compute_mode
 * @open_files: files open on the device
 * @core_mode: per NeuronCore, its &enum trn_compute_mode
 * @core_users: per NeuronCore, files that use its queue
 * @event_rs: rate limits of the kernel log lines with an event code, one
 *	per group of codes (trn_event.h)
 */
struct trn_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;

	u32 chip_id;
	u32 host_id;
	u32 num_cores;
	u64 hbm_size;
	u32 hw_version;
	u64 hw_caps;
	u64 serial;
	u32 fw_version;

	struct completion irq_test_done;
	unsigned int nvec;
	struct workqueue_struct *wq;

	void __iomem *hbm_io;
	resource_size_t hbm_bus;
	struct mutex hbm_lock; /* protects hbm_mm and counters */
	struct gpu_buddy hbm_mm;
	u64 hbm_used;
	u64 hbm_peak;
	struct list_head hbm_bad;
	u32 hbm_retired;
	u32 hbm_pending;
	atomic64_t host_used;
	atomic_t num_bos;

	u32 dma_engines;
	u32 num_dma_queues;
	u32 num_core_queues;
	u32 num_queues;
	u32 num_asids;
	u32 num_sems;
	struct ida asid_ida;
	atomic_t num_spaces;
	struct mutex users_lock; /* users and their charges */
	struct list_head users;
	struct trn_queue *queues;

	u32 num_links;
	struct mutex link_lock; /* protects link_ports[] state */
	struct trn_link_port link_ports[TRN_MAX_LINKS];
	struct work_struct link_work;
	bool link_stopped;
	struct list_head link_node;
	struct blocking_notifier_head link_notifier;
	struct notifier_block peer_nb;

	struct mutex peer_lock; /* imports, peer_gone, trn_bo.xva/xcount */
	struct trn_vm *export_vm;
	struct list_head imports;
	bool peer_gone;

	struct mutex stats_lock; /* the bases below */
	u64 dma_base[2];
	u64 ecc_base[2];
	u64 *core_base;

	struct mutex ecc_lock; /* ecc_seen, ecc_unlogged, TRN_REG_ECC_LOG_INDEX */
	struct delayed_work ecc_work;
	u32 ecc_log_size;
	u32 ecc_seen;
	u32 ecc_unlogged;
	bool ecc_stopped;

	u64 throttle_base;
	struct mutex power_lock; /* power_cap, power_reasons, the uevent */
	struct delayed_work power_work;
	u32 power_cap;
	u32 power_cap_min;
	u32 power_cap_max;
	u32 power_reasons;
	bool power_event;
	unsigned long power_uevent_at;
	bool power_stopped;

	atomic_t reset_count;
	bool recovering;
	bool wedged;
	struct delayed_work recover_work;
	struct delayed_work reset_work;
	atomic_t reset_pending;
	int reset_asked;
	struct srcu_struct reset_srcu;
	wait_queue_head_t reset_wq;
	bool resetting;

	struct mutex mode_lock; /* the modes and their users */
	u8 compute_mode;
	u32 open_files;
	u8 core_mode[TRN_MAX_CORES];
	u32 core_users[TRN_MAX_CORES];

	struct ratelimit_state event_rs[TRN_EVENT_GROUPS];
};

/**
 * trn_device_reset_request() - ask for a reset of the device by the driver
 * @tdev: the device
 * @seen: @tdev->reset_count when the requester found the reason for it: a
 *	reset since then (an FLR, a PCIe error recovery) is enough
 *
 * For a queue that did not stop, or timed out too often. The reset runs in
 * process context, as an FLR's would (trn_reset.c); asking again before it
 * ran only updates @seen. Any context.
 */
static inline void trn_device_reset_request(struct trn_device *tdev, int seen)
{
	WRITE_ONCE(tdev->reset_asked, seen);
	if (!atomic_xchg(&tdev->reset_pending, 1))
		mod_delayed_work(tdev->wq, &tdev->reset_work, 0);
}

static inline struct trn_device *to_trn_device(struct drm_device *drm)
{
	return container_of(drm, struct trn_device, drm);
}

static inline u32 trn_read32(struct trn_device *tdev, u32 reg)
{
	return readl(tdev->regs + reg);
}

static inline u64 trn_read64(struct trn_device *tdev, u32 reg)
{
	return readq(tdev->regs + reg);
}

static inline void trn_write32(struct trn_device *tdev, u32 reg, u32 val)
{
	writel(val, tdev->regs + reg);
}

static inline void trn_write64(struct trn_device *tdev, u32 reg, u64 val)
{
	writeq(val, tdev->regs + reg);
}

#endif /* __TRN_DRV_H__ */
