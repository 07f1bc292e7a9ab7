/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/trn_link.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_TRN_LINK_GEN_H
#define _LINUX_TRN_LINK_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/trn_link.h>
#include <linux/trn_link.h>

/* Ops table for trn_link */
extern const struct genl_split_ops trn_link_nl_ops[3];

int trn_link_nl_get_doit(struct sk_buff *skb, struct genl_info *info);
int trn_link_nl_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int trn_link_nl_set_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	TRN_LINK_NLGRP_EVENTS,
	TRN_LINK_NLGRP_HEALTH,
};

#endif /* _LINUX_TRN_LINK_GEN_H */
