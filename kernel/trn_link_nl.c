// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/trn_link.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "trn_link_nl.h"

#include <uapi/linux/trn_link.h>
#include <linux/trn_link.h>

/* TRN_LINK_CMD_GET - do */
static const struct nla_policy trn_link_get_do_nl_policy[TRN_LINK_A_PORT + 1] = {
	[TRN_LINK_A_DEV_INDEX] = { .type = NLA_U32, },
	[TRN_LINK_A_PORT] = { .type = NLA_U32, },
};

/* TRN_LINK_CMD_GET - dump */
static const struct nla_policy trn_link_get_dump_nl_policy[TRN_LINK_A_DEV_INDEX + 1] = {
	[TRN_LINK_A_DEV_INDEX] = { .type = NLA_U32, },
};

/* TRN_LINK_CMD_SET - do */
static const struct nla_policy trn_link_set_nl_policy[TRN_LINK_A_CLEAR_COUNTERS + 1] = {
	[TRN_LINK_A_DEV_INDEX] = { .type = NLA_U32, },
	[TRN_LINK_A_PORT] = { .type = NLA_U32, },
	[TRN_LINK_A_ERR_THRESHOLD] = { .type = NLA_U32, },
	[TRN_LINK_A_CLEAR_COUNTERS] = { .type = NLA_FLAG, },
};

/* Ops table for trn_link */
const struct genl_split_ops trn_link_nl_ops[3] = {
	{
		.cmd		= TRN_LINK_CMD_GET,
		.doit		= trn_link_nl_get_doit,
		.policy		= trn_link_get_do_nl_policy,
		.maxattr	= TRN_LINK_A_PORT,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= TRN_LINK_CMD_GET,
		.dumpit		= trn_link_nl_get_dumpit,
		.policy		= trn_link_get_dump_nl_policy,
		.maxattr	= TRN_LINK_A_DEV_INDEX,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= TRN_LINK_CMD_SET,
		.doit		= trn_link_nl_set_doit,
		.policy		= trn_link_set_nl_policy,
		.maxattr	= TRN_LINK_A_CLEAR_COUNTERS,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group trn_link_nl_mcgrps[] = {
	[TRN_LINK_NLGRP_EVENTS] = { "events", },
	[TRN_LINK_NLGRP_HEALTH] = { "health", },
};
