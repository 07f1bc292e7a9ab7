// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <drm/drm_managed.h>

#include "trn_drv.h"
#include "trn_user.h"

/*
 * Quotas per user and device (Documentation/operator-guide.rst, "Quotas"):
 * how many address spaces, and so open files, one user may hold, and how
 * much HBM its objects and page tables may take, so that no user can keep
 * the others off a device.
 *
 * A user is the real user id of the task that opens the device file, as
 * the initial user namespace sees it (a kuid_t). A task in a user
 * namespace is charged to the owner of the outermost namespace below the
 * initial one instead, as the kernel's ucounts also charge a namespace's
 * creator: otherwise one user with a range of subordinate ids (rootless
 * containers) would hold a quota per id of the range. A file keeps the user
 * of its opener whoever uses it later. Files opened with CAP_SYS_ADMIN in
 * the initial namespace are counted but not limited.
 *
 * Over a quota the call fails with EDQUOT; a device that is full fails as
 * it did without quotas (ENOSPC for address spaces, ENOMEM for memory).
 */

static unsigned int user_address_spaces;
module_param(user_address_spaces, uint, 0644);
MODULE_PARM_DESC(user_address_spaces,
		 "Most address spaces (open files) one user may hold on a device; 0: half of the device's (default)");

static int trn_percent_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 100);
}

static const struct kernel_param_ops trn_percent_ops = {
	.set = trn_percent_set,
	.get = param_get_uint,
};

static unsigned int user_hbm_percent = 100;
module_param_cb(user_hbm_percent, &trn_percent_ops, &user_hbm_percent, 0644);
__MODULE_PARM_TYPE(user_hbm_percent, "uint");
MODULE_PARM_DESC(user_hbm_percent,
		 "Most HBM one user may hold on a device, in percent of it, 1 to 100 (default 100: no limit)");

static void trn_users_fini(struct drm_device *drm, void *arg)
{
	struct trn_device *tdev = arg;

	/* Every address space is gone with the last reference to the device. */
	WARN_ON(!list_empty(&tdev->users));
}

/**
 * trn_users_init() - probe: no user holds anything yet
 * @tdev: the device
 *
 * Return: 0 or -ENOMEM.
 */
int trn_users_init(struct trn_device *tdev)
{
	int ret;

	INIT_LIST_HEAD(&tdev->users);
	ret = drmm_mutex_init(&tdev->drm, &tdev->users_lock);
	if (ret)
		return ret;
	return drmm_add_action(&tdev->drm, trn_users_fini, tdev);
}

static unsigned int trn_user_max_spaces(struct trn_device *tdev)
{
	unsigned int max = READ_ONCE(user_address_spaces);

	return max ?: max(tdev->num_asids / 2, 1U);
}

/* Whom the calling task's files are charged to: see the comment at the top. */
static kuid_t trn_user_current(void)
{
	const struct user_namespace *ns = current_user_ns();

	if (ns == &init_user_ns)
		return current_uid();
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	return ns->owner;
}

static struct trn_user *trn_user_find(struct trn_device *tdev, kuid_t uid)
{
	struct trn_user *user;

	lockdep_assert_held(&tdev->users_lock);
	list_for_each_entry(user, &tdev->users, node)
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

/**
 * trn_user_add_space() - charge the calling task's user for a new address
 *	space
 * @tdev: the device
 * @limited: receives whether the quotas apply to the space: false for a
 *	caller with CAP_SYS_ADMIN
 *
 * Return: the user, to pass to trn_user_del_space() when the space goes;
 * ERR_PTR(-EDQUOT) when the user holds as many as it may, or -ENOMEM.
 */
struct trn_user *trn_user_add_space(struct trn_device *tdev, bool *limited)
{
	kuid_t uid = trn_user_current();
	struct trn_user *user;

	*limited = !ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
	mutex_lock(&tdev->users_lock);
	user = trn_user_find(tdev, uid);
	if (!user) {
		user = kzalloc(sizeof(*user), GFP_KERNEL);
		if (!user) {
			user = ERR_PTR(-ENOMEM);
			goto out_unlock;
		}
		user->tdev = tdev;
		user->uid = uid;
		list_add_tail(&user->node, &tdev->users);
	} else if (*limited && user->address_spaces >= trn_user_max_spaces(tdev)) {
		user = ERR_PTR(-EDQUOT);
		goto out_unlock;
	}
	user->address_spaces++;
out_unlock:
	mutex_unlock(&tdev->users_lock);
	return user;
}

/**
 * trn_user_del_space() - an address space of @user is gone
 * @user: the user of trn_user_add_space(), or NULL
 *
 * The space's HBM charges have been given back already.
 */
void trn_user_del_space(struct trn_user *user)
{
	struct trn_device *tdev;

	if (!user)
		return;
	tdev = user->tdev;
	mutex_lock(&tdev->users_lock);
	if (!--user->address_spaces) {
		WARN_ON(user->hbm);
		list_del(&user->node);
		kfree(user);
	}
	mutex_unlock(&tdev->users_lock);
}

/**
 * trn_user_charge_hbm() - charge @user for device memory
 * @user: the user, or NULL for memory of no user (the export space)
 * @limited: whether the quota applies
 * @bytes: how much
 *
 * Charge before allocating, and give the charge back with
 * trn_user_uncharge_hbm() if the allocation fails or when it is freed.
 *
 * Return: 0, or -EDQUOT when @user would hold more than its quota.
 */
int trn_user_charge_hbm(struct trn_user *user, bool limited, u64 bytes)
{
	struct trn_device *tdev;
	unsigned int percent;
	int ret = 0;

	if (!user)
		return 0;
	tdev = user->tdev;
	percent = READ_ONCE(user_hbm_percent);
	mutex_lock(&tdev->users_lock);
	if (limited && percent < 100 &&
	    user->hbm + bytes > div_u64(tdev->hbm_size * percent, 100))
		ret = -EDQUOT;
	else
		user->hbm += bytes;
	mutex_unlock(&tdev->users_lock);
	return ret;
}

/**
 * trn_user_uncharge_hbm() - give back a charge of trn_user_charge_hbm()
 * @user: the user, or NULL
 * @bytes: how much
 */
void trn_user_uncharge_hbm(struct trn_user *user, u64 bytes)
{
	if (!user)
		return;
	mutex_lock(&user->tdev->users_lock);
	user->hbm -= bytes;
	mutex_unlock(&user->tdev->users_lock);
}

/**
 * trn_user_usage() - what @user holds of its device
 * @user: the user
 * @address_spaces: receives the number of its address spaces
 * @hbm: receives the bytes of HBM charged to it
 */
void trn_user_usage(struct trn_user *user, unsigned int *address_spaces,
		    u64 *hbm)
{
	mutex_lock(&user->tdev->users_lock);
	*address_spaces = user->address_spaces;
	*hbm = user->hbm;
	mutex_unlock(&user->tdev->users_lock);
}
