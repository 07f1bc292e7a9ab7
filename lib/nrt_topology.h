/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Topology (nrt_topology.c): NeuronLink ports and link events.
 */
#ifndef NRT_TOPOLOGY_H
#define NRT_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_enum.h"

/*
 * The devices of a snapshot or a listener, to map accel minors to device
 * indices and chip ids to devices.
 */
struct nrt_devmap {
	struct nrt_dev_ent *ents;
	uint32_t *chip;         /* chip id of device i, when chip_known[i] */
	bool *chip_known;
	uint32_t *host;         /* host of device i (host_id), 0 if unknown */
	size_t n;
};

NRT_HIDDEN nrt_status nrt_devmap_get(struct nrt_devmap *m);
NRT_HIDDEN void nrt_devmap_free(struct nrt_devmap *m);

struct nlmsghdr;
/*
 * nrt_link_parse_msg() - one port of a trn_link GET or EVENT message
 * @nlh: the message
 * @m: the devices, to map minors to device indices
 * @link: receives the port
 * @events: receives TRN_LINK_A_EVENT (0 if absent), or NULL
 *
 * Return: NRT_SUCCESS; NRT_NO_DEVICE for a device that is not in @m (gone
 * or bound since: skip it); NRT_FAILURE for a malformed message.
 */
NRT_HIDDEN nrt_status nrt_link_parse_msg(struct nlmsghdr *nlh,
					 const struct nrt_devmap *m,
					 nrt_link *link, uint32_t *events);

#endif /* NRT_TOPOLOGY_H */
