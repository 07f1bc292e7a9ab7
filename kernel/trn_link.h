/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_LINK_H__
#define __TRN_LINK_H__

#include <linux/atomic.h>
#include <linux/types.h>

struct trn_device;
struct trn_sysfs_dirs;

/* Counters of a port, in the order of trn_link_counter_regs[]. */
enum trn_link_counter {
	TRN_LINK_CNT_ERR_CRC,
	TRN_LINK_CNT_ERR_REPLAY,
	TRN_LINK_CNT_TX_BYTES,
	TRN_LINK_CNT_RX_BYTES,
	TRN_LINK_NUM_COUNTERS
};

/**
 * struct trn_link_port - what the driver knows of one NeuronLink port
 * @pending: TRN_LINK_EV_* acknowledged by the interrupt handler, for the work
 * @state: TRN_LINK_STATE_*, as last read
 * @peer_chip: chip id at the other end, TRN_LINK_PEER_NONE unless UP
 * @peer_port: port at the other end, TRN_LINK_PEER_NONE unless UP
 * @peer_host: host of the chip at the other end, TRN_LINK_PEER_NONE unless
 *	UP; without TRN_CAP_RACK, the device's own host while UP
 * @speed: lane rate, Gb/s
 * @width: lanes
 * @err_threshold: value of TRN_LINK_ERR_THRESHOLD
 * @base: hardware counter values that read as zero (clear_counters)
 * @lost: the port went down from UP and has not been up since (events
 *	DRM_TRN_EVENT_LINK_DOWN and DRM_TRN_EVENT_LINK_UP)
 * @restarting: a reset of the device took the port down; not an event
 *	until it is up again
 *
 * Everything but @pending is protected by trn_device.link_lock.
 */
struct trn_link_port {
	atomic_t pending;
	u32 state;
	u32 peer_chip;
	u32 peer_port;
	u32 peer_host;
	u32 speed;
	u32 width;
	u32 err_threshold;
	u64 base[TRN_LINK_NUM_COUNTERS];
	bool lost;
	bool restarting;
};

/**
 * struct trn_link_change - what the link notifier of a device tells
 * @port: a port that came up, or whose far end changed while up
 * @peer_host: host of its far end now
 * @peer_chip: chip of its far end now
 */
struct trn_link_change {
	u32 port;
	u32 peer_host;
	u32 peer_chip;
};

/**
 * struct trn_link_visitor - what trn_link_visit_devices() calls
 * @visit: called for each bound device; embed the visitor for its state
 */
struct trn_link_visitor {
	void (*visit)(struct trn_link_visitor *v, struct trn_device *tdev);
};

int trn_link_init(struct trn_device *tdev);
void trn_link_visit_devices(struct trn_link_visitor *v);
void trn_link_restart(struct trn_device *tdev);
void trn_link_irq(struct trn_device *tdev);
void trn_link_register(struct trn_device *tdev);
void trn_link_unregister(struct trn_device *tdev);
int trn_link_genl_init(void);
void trn_link_ecc_notify(struct trn_device *tdev, u64 addr, u32 state,
			 u64 total, u32 retired_pages, u32 unlogged_pages);

extern const struct trn_sysfs_dirs trn_link_dirs;
void trn_link_genl_exit(void);

#endif /* __TRN_LINK_H__ */
