/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_USER_H__
#define __TRN_USER_H__

#include <linux/list.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct trn_device;

/**
 * struct trn_user - what one user holds of one device
 * @tdev: the device
 * @node: entry in the device's list of users
 * @uid: the user, as the initial user namespace sees it
 * @address_spaces: address spaces of the user; the structure lives while
 *	there is one
 * @hbm: bytes of HBM charged to the user: its HBM objects and the page
 *	tables of its address spaces
 *
 * Protected by trn_device.users_lock. Every HBM charge belongs to one of
 * the user's address spaces, which outlives it, so @hbm is zero when the
 * last address space goes.
 */
struct trn_user {
	struct trn_device *tdev;
	struct list_head node;
	kuid_t uid;
	unsigned int address_spaces;
	u64 hbm;
};

int trn_users_init(struct trn_device *tdev);
struct trn_user *trn_user_add_space(struct trn_device *tdev, bool *limited);
void trn_user_del_space(struct trn_user *user);
int trn_user_charge_hbm(struct trn_user *user, bool limited, u64 bytes);
void trn_user_uncharge_hbm(struct trn_user *user, u64 bytes);
void trn_user_usage(struct trn_user *user, unsigned int *address_spaces,
		    u64 *hbm);

#endif /* __TRN_USER_H__ */
