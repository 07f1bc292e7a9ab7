// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

/*
 * NeuronLink ports: discovery at probe, events, sysfs (link<p>/) and
 * the generic netlink family "trn_link" (include/uapi/linux/trn_link.h).
 *
 * Locking: trn_link_devices_lock protects the list of bound devices and is
 * taken before any device's link_lock. A device is on the list from the end
 * of its probe to the start of its removal, so whoever holds the list lock
 * may use the registers of the devices on it.
 */

#include <linux/device.h>
#include <linux/error-injection.h>
#include <linux/interrupt.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <linux/trn_link.h>

#include "trn_drv.h"
#include "trn_event.h"
#include "trn_link.h"
#include "trn_link_nl.h"
#include "trn_sysfs.h"
#include "trn_regs.h"

static LIST_HEAD(trn_link_devices);	/* sorted by accel index */
static DEFINE_MUTEX(trn_link_devices_lock);

static struct genl_family trn_link_family;

static const u32 trn_link_counter_regs[TRN_LINK_NUM_COUNTERS] = {
	[TRN_LINK_CNT_ERR_CRC] = TRN_LINK_ERR_CRC,
	[TRN_LINK_CNT_ERR_REPLAY] = TRN_LINK_ERR_REPLAY,
	[TRN_LINK_CNT_TX_BYTES] = TRN_LINK_TX_BYTES,
	[TRN_LINK_CNT_RX_BYTES] = TRN_LINK_RX_BYTES,
};

/* A consistent copy of one port, for sysfs and netlink. */
struct trn_link_info {
	u32 state;
	u32 peer_chip;
	u32 peer_port;
	u32 peer_host;
	u32 speed;
	u32 width;
	u32 err_threshold;
	u64 counters[TRN_LINK_NUM_COUNTERS];
};

static unsigned int trn_accel_index(struct trn_device *tdev)
{
	return tdev->drm.accel->index;
}

static u64 trn_link_read_counter(struct trn_device *tdev, unsigned int p,
				 unsigned int c)
{
	return trn_read64(tdev, TRN_LINK_REG(p, trn_link_counter_regs[c]));
}

/* A counter as link<p>/ shows it: less what clear_counters took off. */
static u64 trn_link_counter(struct trn_device *tdev, unsigned int p,
			    unsigned int c)
{
	u64 hw = trn_link_read_counter(tdev, p, c);
	u64 base = tdev->link_ports[p].base[c];

	/* A counter below its baseline has been reset: report it all. */
	return hw >= base ? hw - base : hw;
}

/* Re-read a port's state; true if the state or the peer changed. */
static bool trn_link_port_update(struct trn_device *tdev, unsigned int p)
{
	struct trn_link_port *port = &tdev->link_ports[p];
	u32 state, peer_chip = TRN_LINK_PEER_NONE, peer_port = TRN_LINK_PEER_NONE;
	u32 peer_host = TRN_LINK_PEER_NONE;
	bool changed;

	lockdep_assert_held(&tdev->link_lock);

	state = trn_read32(tdev, TRN_LINK_REG(p, TRN_LINK_STATE));
	if (state > TRN_LINK_STATE_UP) {
		drm_warn_once(&tdev->drm, "link port %u reports unknown state %u\n",
			      p, state);
		state = TRN_LINK_STATE_DOWN;
	}
	if (state == TRN_LINK_STATE_UP) {
		peer_chip = trn_read32(tdev, TRN_LINK_REG(p, TRN_LINK_PEER_CHIP));
		peer_port = trn_read32(tdev, TRN_LINK_REG(p, TRN_LINK_PEER_PORT));
		/* Before interface 1.9, every cable stays within the host. */
		peer_host = tdev->hw_caps & TRN_CAP_RACK ?
			    trn_read32(tdev, TRN_LINK_REG(p, TRN_LINK_PEER_HOST)) :
			    tdev->host_id;
	}
	port->speed = trn_read32(tdev, TRN_LINK_REG(p, TRN_LINK_SPEED));
	port->width = trn_read32(tdev, TRN_LINK_REG(p, TRN_LINK_WIDTH));

	changed = state != port->state || peer_chip != port->peer_chip ||
		  peer_port != port->peer_port || peer_host != port->peer_host;
	port->state = state;
	port->peer_chip = peer_chip;
	port->peer_port = peer_port;
	port->peer_host = peer_host;
	return changed;
}

static void trn_link_snapshot(struct trn_device *tdev, unsigned int p,
			      struct trn_link_info *info)
{
	struct trn_link_port *port = &tdev->link_ports[p];
	unsigned int c;

	mutex_lock(&tdev->link_lock);
	info->state = port->state;
	info->peer_chip = port->peer_chip;
	info->peer_port = port->peer_port;
	info->peer_host = port->peer_host;
	info->speed = port->speed;
	info->width = port->width;
	info->err_threshold = port->err_threshold;
	for (c = 0; c < TRN_LINK_NUM_COUNTERS; c++)
		info->counters[c] = trn_link_counter(tdev, p, c);
	mutex_unlock(&tdev->link_lock);
}

static void trn_link_set_threshold(struct trn_device *tdev, unsigned int p,
				   u32 val)
{
	mutex_lock(&tdev->link_lock);
	trn_write32(tdev, TRN_LINK_REG(p, TRN_LINK_ERR_THRESHOLD), val);
	tdev->link_ports[p].err_threshold = val;
	mutex_unlock(&tdev->link_lock);
}

static void trn_link_clear_counters(struct trn_device *tdev, unsigned int p)
{
	unsigned int c;

	mutex_lock(&tdev->link_lock);
	for (c = 0; c < TRN_LINK_NUM_COUNTERS; c++)
		tdev->link_ports[p].base[c] = trn_link_read_counter(tdev, p, c);
	mutex_unlock(&tdev->link_lock);
}

/*
 * The device bound here that is at the far end of a port of @tdev, from
 * the port's snapshot @info; NULL if none is. Chip ids are unique only
 * within a host: a far end on another host is never a local device, even
 * one with the same chip id.
 */
static struct trn_device *trn_link_find_peer(struct trn_device *tdev,
					     const struct trn_link_info *info)
{
	struct trn_device *pos;

	lockdep_assert_held(&trn_link_devices_lock);
	if (info->state != TRN_LINK_STATE_UP || info->peer_host != tdev->host_id)
		return NULL;
	list_for_each_entry(pos, &trn_link_devices, link_node)
		if (pos->host_id == tdev->host_id && pos->chip_id == info->peer_chip)
			return pos;
	return NULL;
}

static struct trn_device *trn_link_find_index(u32 index)
{
	struct trn_device *tdev;

	lockdep_assert_held(&trn_link_devices_lock);
	list_for_each_entry(tdev, &trn_link_devices, link_node)
		if (trn_accel_index(tdev) == index)
			return tdev;
	return NULL;
}

/* ---- netlink ---- */

/* One port as attributes; called with trn_link_devices_lock held. */
static int trn_link_fill(struct sk_buff *skb, struct trn_device *tdev,
			 unsigned int p, u32 events)
{
	struct trn_link_info info;
	struct trn_device *peer;

	trn_link_snapshot(tdev, p, &info);

	if (nla_put_u32(skb, TRN_LINK_A_DEV_INDEX, trn_accel_index(tdev)) ||
	    nla_put_u32(skb, TRN_LINK_A_DEV_CHIP, tdev->chip_id) ||
	    nla_put_string(skb, TRN_LINK_A_DEV_BDF, pci_name(tdev->pdev)) ||
	    nla_put_u32(skb, TRN_LINK_A_DEV_HOST, tdev->host_id) ||
	    nla_put_u32(skb, TRN_LINK_A_PORT, p) ||
	    nla_put_u32(skb, TRN_LINK_A_STATE, info.state))
		return -EMSGSIZE;
	if (info.state == TRN_LINK_STATE_UP) {
		if (nla_put_u32(skb, TRN_LINK_A_PEER_CHIP, info.peer_chip) ||
		    nla_put_u32(skb, TRN_LINK_A_PEER_PORT, info.peer_port) ||
		    nla_put_u32(skb, TRN_LINK_A_PEER_HOST, info.peer_host))
			return -EMSGSIZE;
		peer = trn_link_find_peer(tdev, &info);
		if (peer && nla_put_u32(skb, TRN_LINK_A_PEER_DEV_INDEX,
					trn_accel_index(peer)))
			return -EMSGSIZE;
	}
	if (nla_put_u32(skb, TRN_LINK_A_SPEED, info.speed) ||
	    nla_put_u32(skb, TRN_LINK_A_WIDTH, info.width) ||
	    nla_put_u64_64bit(skb, TRN_LINK_A_ERR_CRC,
			      info.counters[TRN_LINK_CNT_ERR_CRC], TRN_LINK_A_PAD) ||
	    nla_put_u64_64bit(skb, TRN_LINK_A_ERR_REPLAY,
			      info.counters[TRN_LINK_CNT_ERR_REPLAY], TRN_LINK_A_PAD) ||
	    nla_put_u64_64bit(skb, TRN_LINK_A_TX_BYTES,
			      info.counters[TRN_LINK_CNT_TX_BYTES], TRN_LINK_A_PAD) ||
	    nla_put_u64_64bit(skb, TRN_LINK_A_RX_BYTES,
			      info.counters[TRN_LINK_CNT_RX_BYTES], TRN_LINK_A_PAD) ||
	    nla_put_u32(skb, TRN_LINK_A_ERR_THRESHOLD, info.err_threshold))
		return -EMSGSIZE;
	if (events && nla_put_u32(skb, TRN_LINK_A_EVENT, events))
		return -EMSGSIZE;
	return 0;
}

static int trn_link_put_msg(struct sk_buff *skb, struct trn_device *tdev,
			    unsigned int p, u32 portid, u32 seq, int flags,
			    u8 cmd, u32 events)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &trn_link_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (trn_link_fill(skb, tdev, p, events)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Finds the device and port a request names; trn_link_devices_lock held. */
static struct trn_device *trn_link_lookup(struct genl_info *info,
					  unsigned int *port)
{
	struct trn_device *tdev;

	tdev = trn_link_find_index(nla_get_u32(info->attrs[TRN_LINK_A_DEV_INDEX]));
	if (!tdev) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TRN_LINK_A_DEV_INDEX],
				    "no trn device with this index");
		return ERR_PTR(-ENODEV);
	}
	*port = nla_get_u32(info->attrs[TRN_LINK_A_PORT]);
	if (*port >= tdev->num_links) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TRN_LINK_A_PORT],
				    "the device has no such link port");
		return ERR_PTR(-EINVAL);
	}
	return tdev;
}

int trn_link_nl_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct trn_device *tdev;
	struct sk_buff *msg;
	unsigned int port;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, TRN_LINK_A_DEV_INDEX) ||
	    GENL_REQ_ATTR_CHECK(info, TRN_LINK_A_PORT))
		return -EINVAL;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&trn_link_devices_lock);
	tdev = trn_link_lookup(info, &port);
	if (IS_ERR(tdev)) {
		ret = PTR_ERR(tdev);
		goto err_unlock;
	}
	ret = trn_link_put_msg(msg, tdev, port, info->snd_portid, info->snd_seq,
			       0, TRN_LINK_CMD_GET, 0);
	if (ret)
		goto err_unlock;
	mutex_unlock(&trn_link_devices_lock);

	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&trn_link_devices_lock);
	nlmsg_free(msg);
	return ret;
}

/*
 * Every port of every device (or of the device TRN_LINK_A_DEV_INDEX names),
 * in order of accel index then port. cb->args[0] is the accel index and
 * cb->args[1] the port to resume at.
 */
int trn_link_nl_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct nlattr *filter = info->attrs[TRN_LINK_A_DEV_INDEX];
	struct trn_device *tdev;
	unsigned int p;
	int ret = 0;

	mutex_lock(&trn_link_devices_lock);
	list_for_each_entry(tdev, &trn_link_devices, link_node) {
		unsigned int index = trn_accel_index(tdev);

		if (index < cb->args[0])
			continue;
		if (filter && index != nla_get_u32(filter))
			continue;
		if (index > cb->args[0]) {
			cb->args[0] = index;
			cb->args[1] = 0;
		}
		for (p = cb->args[1]; p < tdev->num_links; p++) {
			ret = trn_link_put_msg(skb, tdev, p,
					       NETLINK_CB(cb->skb).portid,
					       cb->nlh->nlmsg_seq, NLM_F_MULTI,
					       TRN_LINK_CMD_GET, 0);
			if (ret) {
				cb->args[1] = p;
				goto out;
			}
		}
		cb->args[0] = index + 1;
		cb->args[1] = 0;
	}
out:
	mutex_unlock(&trn_link_devices_lock);
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret;
}

int trn_link_nl_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *threshold = info->attrs[TRN_LINK_A_ERR_THRESHOLD];
	bool clear = nla_get_flag(info->attrs[TRN_LINK_A_CLEAR_COUNTERS]);
	struct trn_device *tdev;
	unsigned int port;

	if (GENL_REQ_ATTR_CHECK(info, TRN_LINK_A_DEV_INDEX) ||
	    GENL_REQ_ATTR_CHECK(info, TRN_LINK_A_PORT))
		return -EINVAL;
	if (!threshold && !clear) {
		NL_SET_ERR_MSG(info->extack, "nothing to set");
		return -EINVAL;
	}

	mutex_lock(&trn_link_devices_lock);
	tdev = trn_link_lookup(info, &port);
	if (IS_ERR(tdev)) {
		mutex_unlock(&trn_link_devices_lock);
		return PTR_ERR(tdev);
	}
	if (threshold)
		trn_link_set_threshold(tdev, port, nla_get_u32(threshold));
	if (clear)
		trn_link_clear_counters(tdev, port);
	mutex_unlock(&trn_link_devices_lock);
	return 0;
}

/*
 * The policies and the op table are generated from the spec
 * (trn_link_nl.c); the family and its multicast group are defined here, as
 * genetlink-c families do.
 */
static const struct genl_multicast_group trn_link_mcgrps[] = {
	[TRN_LINK_NLGRP_EVENTS] = { .name = TRN_LINK_MCGRP_EVENTS },
	[TRN_LINK_NLGRP_HEALTH] = { .name = TRN_LINK_MCGRP_HEALTH },
};

static struct genl_family trn_link_family __ro_after_init = {
	.name = TRN_LINK_FAMILY_NAME,
	.version = TRN_LINK_FAMILY_VERSION,
	.netnsok = false,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.split_ops = trn_link_nl_ops,
	.n_split_ops = ARRAY_SIZE(trn_link_nl_ops),
	/* Commands past it validate strictly: unknown attributes fail. */
	.resv_start_op = TRN_LINK_CMD_EVENT + 1,
	.mcgrps = trn_link_mcgrps,
	.n_mcgrps = ARRAY_SIZE(trn_link_mcgrps),
};

int trn_link_genl_init(void)
{
	return genl_register_family(&trn_link_family);
}

void trn_link_genl_exit(void)
{
	genl_unregister_family(&trn_link_family);
}

/* ---- events ---- */

static void trn_link_notify(struct trn_device *tdev, unsigned int p,
			    u32 events)
{
	struct sk_buff *skb;
	int ret;

	if (!genl_has_listeners(&trn_link_family, &init_net,
				TRN_LINK_NLGRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	mutex_lock(&trn_link_devices_lock);
	ret = trn_link_put_msg(skb, tdev, p, 0, 0, 0, TRN_LINK_CMD_EVENT, events);
	mutex_unlock(&trn_link_devices_lock);
	if (ret) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast(&trn_link_family, skb, 0, TRN_LINK_NLGRP_EVENTS,
			  GFP_KERNEL);
}

/**
 * trn_link_ecc_notify() - tell the health group of an uncorrectable error
 * @tdev: the device
 * @addr: HBM offset of the page the error hit; not sent for
 *	TRN_LINK_PAGE_UNLOGGED
 * @state: enum trn_link_page_state
 * @total: the device's aggregate count of uncorrectable errors
 * @retired_pages: pages of the device retired so far
 * @unlogged_pages: pages poisoned since the device's error log filled
 *
 * The family is the NeuronLink ports', and the only one of the driver: its
 * health group carries the device's memory errors (trn_ecc.c). Sleeps.
 */
void trn_link_ecc_notify(struct trn_device *tdev, u64 addr, u32 state,
			 u64 total, u32 retired_pages, u32 unlogged_pages)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&trn_link_family, &init_net,
				TRN_LINK_NLGRP_HEALTH))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &trn_link_family, 0, TRN_LINK_CMD_ECC_EVENT);
	if (!hdr)
		goto err;
	if (nla_put_u32(skb, TRN_LINK_ECC_A_DEV_INDEX, trn_accel_index(tdev)) ||
	    nla_put_u32(skb, TRN_LINK_ECC_A_DEV_CHIP, tdev->chip_id) ||
	    nla_put_string(skb, TRN_LINK_ECC_A_DEV_BDF, pci_name(tdev->pdev)) ||
	    (state != TRN_LINK_PAGE_UNLOGGED &&
	     nla_put_u64_64bit(skb, TRN_LINK_ECC_A_ADDR, addr, TRN_LINK_ECC_A_PAD)) ||
	    nla_put_u32(skb, TRN_LINK_ECC_A_PAGE_STATE, state) ||
	    nla_put_u64_64bit(skb, TRN_LINK_ECC_A_UNCORRECTED_TOTAL, total,
			      TRN_LINK_ECC_A_PAD) ||
	    nla_put_u32(skb, TRN_LINK_ECC_A_RETIRED_PAGES, retired_pages) ||
	    nla_put_u32(skb, TRN_LINK_ECC_A_UNLOGGED_PAGES, unlogged_pages))
		goto err;
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&trn_link_family, skb, 0, TRN_LINK_NLGRP_HEALTH,
			  GFP_KERNEL);
	return;
err:
	nlmsg_free(skb);
}

static const char *const trn_link_state_names[] = {
	[TRN_LINK_STATE_DOWN] = "down",
	[TRN_LINK_STATE_TRAINING] = "training",
	[TRN_LINK_STATE_UP] = "up",
};

static void trn_link_uevent(struct trn_device *tdev, unsigned int p,
			    u32 state, u32 peer_chip, u32 peer_port, u32 peer_host)
{
	char port_env[32], state_env[32], chip_env[40], peer_port_env[40];
	char host_env[40];
	bool up = state == TRN_LINK_STATE_UP;
	char *envp[6];

	snprintf(port_env, sizeof(port_env), "TRN_LINK_PORT=%u", p);
	snprintf(state_env, sizeof(state_env), "TRN_LINK_STATE=%s",
		 trn_link_state_names[state]);
	if (up) {
		snprintf(chip_env, sizeof(chip_env), "TRN_LINK_PEER_CHIP=%u",
			 peer_chip);
		snprintf(peer_port_env, sizeof(peer_port_env),
			 "TRN_LINK_PEER_PORT=%u", peer_port);
		snprintf(host_env, sizeof(host_env), "TRN_LINK_PEER_HOST=%u",
			 peer_host);
	} else {
		strscpy(chip_env, "TRN_LINK_PEER_CHIP=", sizeof(chip_env));
		strscpy(peer_port_env, "TRN_LINK_PEER_PORT=", sizeof(peer_port_env));
		strscpy(host_env, "TRN_LINK_PEER_HOST=", sizeof(host_env));
	}
	envp[0] = port_env;
	envp[1] = state_env;
	envp[2] = chip_env;
	envp[3] = peer_port_env;
	envp[4] = host_env;
	envp[5] = NULL;
	kobject_uevent_env(&tdev->pdev->dev.kobj, KOBJ_CHANGE, envp);
}

/*
 * The kernel log lines of a port's state change, from @old, and of its
 * error threshold; link_lock held. A port that trains for the first time
 * is not news, nor one that a reset of its device took down: one that was
 * up and went down is (@bounced: down and up again between two looks),
 * and so is its return.
 */
static void trn_link_log(struct trn_device *tdev, unsigned int p, u32 old,
			 u32 old_chip, u32 old_port, bool bounced, bool errors)
{
	struct trn_link_port *port = &tdev->link_ports[p];
	bool up = port->state == TRN_LINK_STATE_UP;

	if (port->restarting) {
		port->restarting = !up;
	} else if (old == TRN_LINK_STATE_UP && (!up || bounced)) {
		port->lost = true;
		trn_event(tdev, warn, LINK_DOWN,
			  "link port %u to chip %u port %u went down\n",
			  p, old_chip, old_port);
	}
	if (port->lost && up) {
		port->lost = false;
		trn_event(tdev, info, LINK_UP,
			  "link port %u is up again, to chip %u port %u\n",
			  p, port->peer_chip, port->peer_port);
	}
	if (errors)
		trn_event(tdev, warn, LINK_ERRORS,
			  "link port %u passed its error threshold of %u: %llu CRC errors and %llu replays\n",
			  p, port->err_threshold,
			  trn_link_counter(tdev, p, TRN_LINK_CNT_ERR_CRC),
			  trn_link_counter(tdev, p, TRN_LINK_CNT_ERR_REPLAY));
}

/**
 * trn_link_visit_devices() - visit every bound device
 * @v: its visit() is called for each, with trn_link_devices_lock held, so
 *	with devices that stay bound meanwhile; it may sleep
 */
void trn_link_visit_devices(struct trn_link_visitor *v)
{
	struct trn_device *pos;

	mutex_lock(&trn_link_devices_lock);
	list_for_each_entry(pos, &trn_link_devices, link_node)
		v->visit(v, pos);
	mutex_unlock(&trn_link_devices_lock);
}

static void trn_link_work(struct work_struct *work)
{
	struct trn_device *tdev = container_of(work, struct trn_device, link_work);
	unsigned int p;

	for (p = 0; p < tdev->num_links; p++) {
		struct trn_link_port *port = &tdev->link_ports[p];
		u32 hw_events = atomic_xchg(&port->pending, 0);
		u32 state, peer_chip, peer_port, peer_host, events = 0;
		u32 old, old_chip, old_port;
		bool changed;

		mutex_lock(&tdev->link_lock);
		old = port->state;
		old_chip = port->peer_chip;
		old_port = port->peer_port;
		changed = trn_link_port_update(tdev, p);
		trn_link_log(tdev, p, old, old_chip, old_port,
			     hw_events & TRN_LINK_EV_STATE,
			     hw_events & TRN_LINK_EV_ERRORS);
		state = port->state;
		peer_chip = port->peer_chip;
		peer_port = port->peer_port;
		peer_host = port->peer_host;
		mutex_unlock(&tdev->link_lock);

		if (changed || (hw_events & TRN_LINK_EV_STATE))
			events |= TRN_LINK_EVENT_STATE;
		if (hw_events & TRN_LINK_EV_ERRORS)
			events |= TRN_LINK_EVENT_ERRORS;
		if (events)
			trn_link_notify(tdev, p, events);
		if (changed && state == TRN_LINK_STATE_UP) {
			struct trn_link_change c = { p, peer_host, peer_chip };

			/* trn_peer.c: what the port mapped of another chip */
			blocking_notifier_call_chain(&tdev->link_notifier, 0, &c);
		}
		if (changed) {
			drm_dbg_driver(&tdev->drm, "link port %u: %s\n", p,
				       trn_link_state_names[state]);
			trn_link_uevent(tdev, p, state, peer_chip, peer_port,
					peer_host);
		}
	}
}

/**
 * trn_link_irq() - acknowledge the events of every port
 * @tdev: the device, whose TRN_IRQ_LINK the caller has acknowledged
 *
 * Called from the misc interrupt handler. The events are handed to
 * trn_link_work(), which reads the ports and tells userspace.
 */
void trn_link_irq(struct trn_device *tdev)
{
	unsigned int p, n = READ_ONCE(tdev->num_links);

	for (p = 0; p < n; p++) {
		u32 ev = trn_read32(tdev, TRN_LINK_REG(p, TRN_LINK_EVENTS));

		if (!ev || ev == U32_MAX)
			continue;
		trn_write32(tdev, TRN_LINK_REG(p, TRN_LINK_EVENTS), ev);
		atomic_or(ev & TRN_LINK_EV_ALL, &tdev->link_ports[p].pending);
	}
	if (n && !READ_ONCE(tdev->link_stopped))
		queue_work(tdev->wq, &tdev->link_work);
}

/*
 * No more link events: the interrupt handler stops queueing the work, then
 * the work is disabled. The flag is what keeps a late interrupt from queueing
 * it again where disable_work_sync() only cancels (trn_compat.h).
 */
static void trn_link_stop_work(struct trn_device *tdev)
{
	WRITE_ONCE(tdev->link_stopped, true);
	synchronize_irq(pci_irq_vector(tdev->pdev, TRN_MSIX_VEC_MISC));
	disable_work_sync(&tdev->link_work);
}

/* ---- sysfs: link<p>/ ---- */

/*
 * The directories link0/ to link<TRN_MAX_LINKS - 1>/ are attribute groups
 * of the PCI device, created by the driver core before it announces the
 * binding; those of ports the device does not have stay hidden. Removing
 * them waits for the show() and store() calls in progress.
 */

enum trn_link_file {
	TRN_LINK_F_STATE,
	TRN_LINK_F_PEER_CHIP,
	TRN_LINK_F_PEER_PORT,
	TRN_LINK_F_PEER_DEVICE,
	TRN_LINK_F_PEER_HOST,
	TRN_LINK_F_SPEED,
	TRN_LINK_F_WIDTH,
	TRN_LINK_F_ERR_CRC,		/* the counters, in trn_link_counter order */
	TRN_LINK_F_ERR_REPLAY,
	TRN_LINK_F_TX_BYTES,
	TRN_LINK_F_RX_BYTES,
	TRN_LINK_F_ERR_THRESHOLD,
	TRN_LINK_F_CLEAR_COUNTERS,
	TRN_LINK_NUM_FILES
};

static_assert(TRN_LINK_F_RX_BYTES - TRN_LINK_F_ERR_CRC == TRN_LINK_CNT_RX_BYTES);

static const struct trn_sysfs_file trn_link_files[TRN_LINK_NUM_FILES] = {
	[TRN_LINK_F_STATE] = { "state", 0444 },
	[TRN_LINK_F_PEER_CHIP] = { "peer_chip", 0444 },
	[TRN_LINK_F_PEER_PORT] = { "peer_port", 0444 },
	[TRN_LINK_F_PEER_DEVICE] = { "peer_device", 0444 },
	[TRN_LINK_F_PEER_HOST] = { "peer_host", 0444 },
	[TRN_LINK_F_SPEED] = { "speed", 0444 },
	[TRN_LINK_F_WIDTH] = { "width", 0444 },
	[TRN_LINK_F_ERR_CRC] = { "err_crc", 0444 },
	[TRN_LINK_F_ERR_REPLAY] = { "err_replay", 0444 },
	[TRN_LINK_F_TX_BYTES] = { "tx_bytes", 0444 },
	[TRN_LINK_F_RX_BYTES] = { "rx_bytes", 0444 },
	[TRN_LINK_F_ERR_THRESHOLD] = { "err_threshold", 0644 },
	[TRN_LINK_F_CLEAR_COUNTERS] = { "clear_counters", 0200 },
};

static struct trn_device *trn_link_dev(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static ssize_t trn_link_show_peer_device(struct trn_device *tdev,
					 struct trn_link_info *info, char *buf)
{
	struct trn_device *peer;
	ssize_t ret;

	if (info->state != TRN_LINK_STATE_UP)
		return sysfs_emit(buf, "\n");
	mutex_lock(&trn_link_devices_lock);
	peer = trn_link_find_peer(tdev, info);
	if (peer)
		ret = sysfs_emit(buf, "accel%u\n", trn_accel_index(peer));
	else
		ret = sysfs_emit(buf, "\n");
	mutex_unlock(&trn_link_devices_lock);
	return ret;
}

static ssize_t trn_link_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct trn_sysfs_attr *la = to_trn_sysfs_attr(&attr->attr);
	struct trn_device *tdev = trn_link_dev(dev);
	struct trn_link_info info;
	bool up;

	trn_link_snapshot(tdev, la->index, &info);
	up = info.state == TRN_LINK_STATE_UP;
	switch (la->file) {
	case TRN_LINK_F_STATE:
		return sysfs_emit(buf, "%s\n", trn_link_state_names[info.state]);
	case TRN_LINK_F_PEER_CHIP:
		return up ? sysfs_emit(buf, "%u\n", info.peer_chip) : sysfs_emit(buf, "\n");
	case TRN_LINK_F_PEER_PORT:
		return up ? sysfs_emit(buf, "%u\n", info.peer_port) : sysfs_emit(buf, "\n");
	case TRN_LINK_F_PEER_DEVICE:
		return trn_link_show_peer_device(tdev, &info, buf);
	case TRN_LINK_F_PEER_HOST:
		return up ? sysfs_emit(buf, "%u\n", info.peer_host) : sysfs_emit(buf, "\n");
	case TRN_LINK_F_SPEED:
		return sysfs_emit(buf, "%u\n", info.speed);
	case TRN_LINK_F_WIDTH:
		return sysfs_emit(buf, "%u\n", info.width);
	case TRN_LINK_F_ERR_CRC ... TRN_LINK_F_RX_BYTES:
		return sysfs_emit(buf, "%llu\n",
				  info.counters[la->file - TRN_LINK_F_ERR_CRC]);
	case TRN_LINK_F_ERR_THRESHOLD:
		return sysfs_emit(buf, "%u\n", info.err_threshold);
	default:
		return -EIO;
	}
}

static ssize_t trn_link_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct trn_sysfs_attr *la = to_trn_sysfs_attr(&attr->attr);
	struct trn_device *tdev = trn_link_dev(dev);
	bool clear;
	u32 val;
	int ret, idx;

	if (la->file == TRN_LINK_F_ERR_THRESHOLD)
		ret = kstrtou32(buf, 0, &val);
	else
		ret = kstrtobool(buf, &clear);
	if (ret)
		return ret;
	if (la->file == TRN_LINK_F_CLEAR_COUNTERS && !clear)
		return -EINVAL;
	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	if (la->file == TRN_LINK_F_ERR_THRESHOLD)
		trn_link_set_threshold(tdev, la->index, val);
	else
		trn_link_clear_counters(tdev, la->index);
	drm_dev_exit(idx);
	return count;
}

/* The directory of a port the device does not have is not created. */
static umode_t trn_link_visible(struct kobject *kobj, struct attribute *attr,
				int n)
{
	struct trn_device *tdev = trn_link_dev(kobj_to_dev(kobj));

	if (to_trn_sysfs_attr(attr)->index >= tdev->num_links)
		return n ? 0 : SYSFS_GROUP_INVISIBLE;
	return attr->mode;
}

static struct trn_sysfs_attr trn_link_attrs[TRN_MAX_LINKS * TRN_LINK_NUM_FILES] __ro_after_init;
static struct attribute *trn_link_lists[TRN_MAX_LINKS * (TRN_LINK_NUM_FILES + 1)] __ro_after_init;
static char trn_link_names[TRN_MAX_LINKS][TRN_SYSFS_NAME_LEN] __ro_after_init;
static struct attribute_group trn_link_groups[TRN_MAX_LINKS] __ro_after_init;

const struct trn_sysfs_dirs trn_link_dirs = {
	.prefix = "link",
	.count = TRN_MAX_LINKS,
	.files = trn_link_files,
	.nfiles = TRN_LINK_NUM_FILES,
	.show = trn_link_show,
	.store = trn_link_store,
	.is_visible = trn_link_visible,
	.attrs = trn_link_attrs,
	.lists = trn_link_lists,
	.names = trn_link_names,
	.groups = trn_link_groups,
};

/* ---- probe and removal ---- */

static void trn_link_fini(void *arg)
{
	struct trn_device *tdev = arg;
	unsigned int p;

	for (p = 0; p < tdev->num_links; p++)
		trn_write32(tdev, TRN_LINK_REG(p, TRN_LINK_EVENT_MASK), 0);
	trn_write32(tdev, TRN_REG_IRQ_MASK,
		    trn_read32(tdev, TRN_REG_IRQ_MASK) & ~TRN_IRQ_LINK);
	trn_link_stop_work(tdev);
}

/**
 * trn_link_init() - discover the NeuronLink ports and enable their events
 * @tdev: the device, after trn_irq_init()
 *
 * Devices without TRN_CAP_LINK (interface 1.2 and older) have no ports.
 * Everything is undone by device-managed actions.
 *
 * Return: 0 or a negative error code.
 */
int trn_link_init(struct trn_device *tdev)
{
	struct device *dev = &tdev->pdev->dev;
	unsigned int p, n;
	int ret;

	INIT_LIST_HEAD(&tdev->link_node);
	INIT_WORK(&tdev->link_work, trn_link_work);
	BLOCKING_INIT_NOTIFIER_HEAD(&tdev->link_notifier);
	ret = drmm_mutex_init(&tdev->drm, &tdev->link_lock);
	if (ret)
		return ret;

	if (!(tdev->hw_caps & TRN_CAP_LINK) ||
	    TRN_VERSION_GET_MINOR(tdev->hw_version) < 3)
		return 0;

	n = trn_read32(tdev, TRN_REG_NUM_LINKS);
	if (n > TRN_MAX_LINKS) {
		drm_warn(&tdev->drm, "device reports %u link ports, using %u\n",
			 n, TRN_MAX_LINKS);
		n = TRN_MAX_LINKS;
	}

	mutex_lock(&tdev->link_lock);
	for (p = 0; p < n; p++) {
		struct trn_link_port *port = &tdev->link_ports[p];

		/*
		 * Drop stale events before reading the port: a change after
		 * the read sets EVENTS again and is reported by the work.
		 */
		trn_write32(tdev, TRN_LINK_REG(p, TRN_LINK_EVENTS), TRN_LINK_EV_ALL);
		atomic_set(&port->pending, 0);
		port->state = TRN_LINK_STATE_DOWN;
		port->peer_chip = TRN_LINK_PEER_NONE;
		port->peer_port = TRN_LINK_PEER_NONE;
		port->peer_host = TRN_LINK_PEER_NONE;
		trn_link_port_update(tdev, p);
		port->err_threshold =
			trn_read32(tdev, TRN_LINK_REG(p, TRN_LINK_ERR_THRESHOLD));
		trn_write32(tdev, TRN_LINK_REG(p, TRN_LINK_EVENT_MASK),
			    TRN_LINK_EV_ALL);
	}
	mutex_unlock(&tdev->link_lock);
	WRITE_ONCE(tdev->num_links, n);

	ret = devm_add_action_or_reset(dev, trn_link_fini, tdev);
	if (ret)
		return ret;
	trn_write32(tdev, TRN_REG_IRQ_MASK,
		    trn_read32(tdev, TRN_REG_IRQ_MASK) | TRN_IRQ_LINK);
	return 0;
}
ALLOW_ERROR_INJECTION(trn_link_init, ERRNO);

/**
 * trn_link_restart() - the ports' registers again, after a device reset
 * @tdev: the device, after trn_hw_restart()
 *
 * A reset takes every port down and clears its registers; the ports train
 * again on their own. Their error thresholds and event masks are written
 * again, their counters count from zero, and the link work reports the
 * states they pass through (down at once, up once trained).
 */
void trn_link_restart(struct trn_device *tdev)
{
	unsigned int p, c;

	if (!tdev->num_links)
		return;
	mutex_lock(&tdev->link_lock);
	for (p = 0; p < tdev->num_links; p++) {
		struct trn_link_port *port = &tdev->link_ports[p];

		trn_write32(tdev, TRN_LINK_REG(p, TRN_LINK_ERR_THRESHOLD),
			    port->err_threshold);
		for (c = 0; c < TRN_LINK_NUM_COUNTERS; c++)
			port->base[c] = 0;
		port->restarting = true;
		trn_write32(tdev, TRN_LINK_REG(p, TRN_LINK_EVENT_MASK),
			    TRN_LINK_EV_ALL);
	}
	mutex_unlock(&tdev->link_lock);
	trn_write32(tdev, TRN_REG_IRQ_MASK,
		    trn_read32(tdev, TRN_REG_IRQ_MASK) | TRN_IRQ_LINK);
	if (!READ_ONCE(tdev->link_stopped))
		queue_work(tdev->wq, &tdev->link_work);
}

/**
 * trn_link_register() - make a probed device visible to netlink and peers
 * @tdev: the device, registered with DRM
 */
void trn_link_register(struct trn_device *tdev)
{
	unsigned int index = trn_accel_index(tdev);
	struct trn_device *pos;

	mutex_lock(&trn_link_devices_lock);
	list_for_each_entry(pos, &trn_link_devices, link_node)
		if (trn_accel_index(pos) > index)
			break;
	list_add_tail(&tdev->link_node, &pos->link_node);
	mutex_unlock(&trn_link_devices_lock);
}

/**
 * trn_link_unregister() - hide a device being removed; stop its events
 * @tdev: the device
 *
 * After this, netlink requests no longer find the device and no event or
 * uevent is sent for it.
 */
void trn_link_unregister(struct trn_device *tdev)
{
	mutex_lock(&trn_link_devices_lock);
	list_del_init(&tdev->link_node);
	mutex_unlock(&trn_link_devices_lock);
	trn_link_stop_work(tdev);
}
