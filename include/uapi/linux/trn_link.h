/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * trn NeuronLink generic netlink family.
 *
 * Described by Documentation/netlink/specs/trn_link.yaml; keep the two in
 * step. One message describes one link port of one device: a GET request
 * with TRN_LINK_A_DEV_INDEX and TRN_LINK_A_PORT (both required) answers
 * with that port; a GET dump with every port of every device, or, if the
 * dump request carries TRN_LINK_A_DEV_INDEX, of that device only. SET
 * (CAP_NET_ADMIN) changes what a port's attributes allow. The multicast
 * group "events" carries an EVENT message, with the port's attributes and
 * TRN_LINK_A_EVENT, when a port changes state or counts
 * TRN_LINK_A_ERR_THRESHOLD more errors.
 *
 * Chip ids are unique within a host only: in a rack, a port's far end is
 * (TRN_LINK_A_PEER_HOST, TRN_LINK_A_PEER_CHIP), and TRN_LINK_A_DEV_HOST is
 * the host of the device itself (both 0 on devices older than hardware
 * interface 1.9, which know of one host). TRN_LINK_A_PEER_DEV_INDEX is
 * given only for a far end on the device's own host.
 *
 * The multicast group "health" carries an ECC_EVENT message, with the
 * attributes of enum trn_link_ecc_attr, when an uncorrectable error hits a
 * page of a device's memory (once per page): the driver retired the page,
 * or retires it when the memory that holds it is freed. Once the device's
 * error log is full, pages are poisoned without an entry the driver could
 * read: each time their count (TRN_LINK_ECC_A_UNLOGGED_PAGES) grows, an
 * ECC_EVENT with TRN_LINK_PAGE_UNLOGGED and no TRN_LINK_ECC_A_ADDR.
 */
#ifndef _UAPI_LINUX_TRN_LINK_H
#define _UAPI_LINUX_TRN_LINK_H

#define TRN_LINK_FAMILY_NAME		"trn_link"
#define TRN_LINK_FAMILY_VERSION		1
#define TRN_LINK_MCGRP_EVENTS		"events"
#define TRN_LINK_MCGRP_HEALTH		"health"

enum trn_link_cmd {
	TRN_LINK_CMD_UNSPEC,
	TRN_LINK_CMD_GET,	/* do: one device's ports; dump: all */
	TRN_LINK_CMD_SET,	/* admin: ERR_THRESHOLD, CLEAR_COUNTERS */
	TRN_LINK_CMD_EVENT,	/* notification on "events" */
	TRN_LINK_CMD_ECC_EVENT,	/* notification on "health" */

	__TRN_LINK_CMD_MAX,
	TRN_LINK_CMD_MAX = __TRN_LINK_CMD_MAX - 1
};

/* Port states (TRN_LINK_A_STATE), as the hardware reports them. */
enum trn_link_port_state {
	TRN_LINK_PORT_DOWN = 0,
	TRN_LINK_PORT_TRAINING = 1,
	TRN_LINK_PORT_UP = 2,
};

/* TRN_LINK_ECC_A_PAGE_STATE */
enum trn_link_page_state {
	TRN_LINK_PAGE_RETIRED = 0,	/* out of the allocator */
	TRN_LINK_PAGE_PENDING = 1,	/* in use; retired when freed */
	TRN_LINK_PAGE_UNLOGGED = 2,	/* log full: unknown, never retired */
};

/* TRN_LINK_A_EVENT bits */
#define TRN_LINK_EVENT_STATE		(1U << 0)	/* the state changed */
#define TRN_LINK_EVENT_ERRORS		(1U << 1)	/* errors crossed the threshold */

enum trn_link_attr {
	TRN_LINK_A_UNSPEC,
	TRN_LINK_A_PAD,
	TRN_LINK_A_DEV_INDEX,		/* u32: N of /dev/accel/accelN */
	TRN_LINK_A_DEV_CHIP,		/* u32: the device's chip id */
	TRN_LINK_A_DEV_BDF,		/* string: PCI address */
	TRN_LINK_A_PORT,		/* u32: port number */
	TRN_LINK_A_STATE,		/* u32: enum trn_link_port_state */
	TRN_LINK_A_PEER_CHIP,		/* u32: chip id at the other end (UP) */
	TRN_LINK_A_PEER_PORT,		/* u32: port at the other end (UP) */
	TRN_LINK_A_PEER_DEV_INDEX,	/* u32: its accel index, if bound here */
	TRN_LINK_A_SPEED,		/* u32: lane rate, Gb/s */
	TRN_LINK_A_WIDTH,		/* u32: lanes */
	TRN_LINK_A_ERR_CRC,		/* u64 */
	TRN_LINK_A_ERR_REPLAY,		/* u64 */
	TRN_LINK_A_TX_BYTES,		/* u64 */
	TRN_LINK_A_RX_BYTES,		/* u64 */
	TRN_LINK_A_ERR_THRESHOLD,	/* u32: errors per ERRORS event, 0: none */
	TRN_LINK_A_EVENT,		/* u32: TRN_LINK_EVENT_* (EVENT only) */
	TRN_LINK_A_CLEAR_COUNTERS,	/* flag (SET): zero the counters */
	TRN_LINK_A_DEV_HOST,		/* u32: the device's host (rack position) */
	TRN_LINK_A_PEER_HOST,		/* u32: host at the other end (UP) */

	__TRN_LINK_A_MAX,
	TRN_LINK_A_MAX = __TRN_LINK_A_MAX - 1
};

/* Attributes of ECC_EVENT */
enum trn_link_ecc_attr {
	TRN_LINK_ECC_A_UNSPEC,
	TRN_LINK_ECC_A_PAD,
	TRN_LINK_ECC_A_DEV_INDEX,	/* u32: N of /dev/accel/accelN */
	TRN_LINK_ECC_A_DEV_CHIP,	/* u32: the device's chip id */
	TRN_LINK_ECC_A_DEV_BDF,		/* string: PCI address */
	TRN_LINK_ECC_A_ADDR,		/* u64: HBM offset of the page, if known */
	TRN_LINK_ECC_A_PAGE_STATE,	/* u32: enum trn_link_page_state */
	TRN_LINK_ECC_A_UNCORRECTED_TOTAL, /* u64: aggregate count */
	TRN_LINK_ECC_A_RETIRED_PAGES,	/* u32: pages retired so far */
	TRN_LINK_ECC_A_UNLOGGED_PAGES,	/* u32: pages poisoned past the full log */

	__TRN_LINK_ECC_A_MAX,
	TRN_LINK_ECC_A_MAX = __TRN_LINK_ECC_A_MAX - 1
};

#endif /* _UAPI_LINUX_TRN_LINK_H */
