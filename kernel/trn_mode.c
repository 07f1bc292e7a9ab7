// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/bitops.h>
#include <linux/capability.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "trn_drv.h"
#include "trn_file.h"
#include "trn_mode.h"

/*
 * Compute modes: whether a device, or one of its NeuronCores, is shared by
 * every file that opens the device or held by one file at a time.
 *
 * A device in exclusive_process mode admits one open file: open() fails
 * with -EBUSY while another file is open. A NeuronCore in exclusive_process
 * mode belongs to the first file that submits to its queue, until that file
 * is closed: SUBMIT to it fails with -EBUSY for every other file. A file
 * "uses" a core from its first SUBMIT to the core's queue (when the driver
 * makes the file's scheduler entity for it) to its close.
 *
 * Switching to exclusive_process is refused with -EBUSY while more than one
 * file is open (the device) or uses the core, so that once the switch
 * succeeds the mode holds for every file; the caller closes or kills the
 * others first. Switching back to shared always succeeds. The modes are
 * the driver's, not the hardware's: they last until the driver is unbound
 * and survive resets.
 */

static const char * const trn_mode_names[] = {
	[TRN_MODE_SHARED] = "shared",
	[TRN_MODE_EXCLUSIVE_PROCESS] = "exclusive_process",
};

static_assert(sizeof(u64) * BITS_PER_BYTE >= TRN_MAX_CORES);

/**
 * trn_mode_init() - probe: every mode shared
 * @tdev: the device
 *
 * Return: 0 or -ENOMEM.
 */
int trn_mode_init(struct trn_device *tdev)
{
	tdev->compute_mode = TRN_MODE_SHARED;
	memset(tdev->core_mode, TRN_MODE_SHARED, sizeof(tdev->core_mode));
	return drmm_mutex_init(&tdev->drm, &tdev->mode_lock);
}

/**
 * trn_mode_open() - a file is being opened: admit it
 * @tdev: the device
 *
 * Return: 0, counting the file as open (trn_mode_close() uncounts it), or
 * -EBUSY when the device is exclusive and another file is open.
 */
int trn_mode_open(struct trn_device *tdev)
{
	int ret = 0;

	mutex_lock(&tdev->mode_lock);
	if (tdev->compute_mode == TRN_MODE_EXCLUSIVE_PROCESS && tdev->open_files)
		ret = -EBUSY;
	else
		tdev->open_files++;
	mutex_unlock(&tdev->mode_lock);
	return ret;
}

/**
 * trn_mode_close() - a file admitted by trn_mode_open() is closed, its
 * scheduler entities destroyed: it no longer uses its cores
 * @tdev: the device
 * @fpriv: the file, or NULL if it was never made
 */
void trn_mode_close(struct trn_device *tdev, struct trn_file_priv *fpriv)
{
	unsigned int c;

	mutex_lock(&tdev->mode_lock);
	for (c = 0; fpriv && c < TRN_MAX_CORES; c++)
		if (fpriv->cores_used & BIT_ULL(c))
			tdev->core_users[c]--;
	if (fpriv)
		fpriv->cores_used = 0;
	tdev->open_files--;
	mutex_unlock(&tdev->mode_lock);
}

/**
 * trn_mode_use_core() - a file is about to use a NeuronCore's queue for
 * the first time
 * @fpriv: the file
 * @core: the core, below &trn_device.num_core_queues
 *
 * Return: 0, the file now using the core until it is closed or
 * trn_mode_unuse_core() is called; or -EBUSY when the core is exclusive
 * and another file uses it.
 */
int trn_mode_use_core(struct trn_file_priv *fpriv, u32 core)
{
	struct trn_device *tdev = fpriv->tdev;
	int ret = 0;

	mutex_lock(&tdev->mode_lock);
	if (fpriv->cores_used & BIT_ULL(core))
		goto out;
	if (tdev->core_mode[core] == TRN_MODE_EXCLUSIVE_PROCESS &&
	    tdev->core_users[core]) {
		ret = -EBUSY;
		goto out;
	}
	fpriv->cores_used |= BIT_ULL(core);
	tdev->core_users[core]++;
out:
	mutex_unlock(&tdev->mode_lock);
	return ret;
}

/**
 * trn_mode_unuse_core() - undo trn_mode_use_core() when the file could not
 * start using the core after all
 * @fpriv: the file
 * @core: the core
 */
void trn_mode_unuse_core(struct trn_file_priv *fpriv, u32 core)
{
	struct trn_device *tdev = fpriv->tdev;

	mutex_lock(&tdev->mode_lock);
	if (fpriv->cores_used & BIT_ULL(core)) {
		fpriv->cores_used &= ~BIT_ULL(core);
		tdev->core_users[core]--;
	}
	mutex_unlock(&tdev->mode_lock);
}

/*
 * Set *@mode from what was written to a compute_mode file, if @users (files
 * open, or using the core) allow it. Called with mode_lock held.
 */
static int trn_mode_set(u8 *mode, u32 users, const char *buf)
{
	int m = sysfs_match_string(trn_mode_names, buf);

	if (m < 0)
		return -EINVAL;
	if (m == TRN_MODE_EXCLUSIVE_PROCESS && users > 1)
		return -EBUSY;
	*mode = m;
	return 0;
}

static ssize_t compute_mode_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct trn_device *tdev = pci_get_drvdata(to_pci_dev(dev));
	u8 mode = READ_ONCE(tdev->compute_mode);

	return sysfs_emit(buf, "%s\n", trn_mode_names[mode]);
}

static ssize_t compute_mode_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct trn_device *tdev = pci_get_drvdata(to_pci_dev(dev));
	u8 old, new;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&tdev->mode_lock);
	old = tdev->compute_mode;
	ret = trn_mode_set(&tdev->compute_mode, tdev->open_files, buf);
	new = tdev->compute_mode;
	mutex_unlock(&tdev->mode_lock);
	if (ret)
		return ret;
	if (old != new)
		drm_info(&tdev->drm, "compute mode %s\n", trn_mode_names[new]);
	return count;
}
static DEVICE_ATTR_RW(compute_mode);

static struct attribute *trn_mode_attrs[] = {
	&dev_attr_compute_mode.attr,
	NULL
};

const struct attribute_group trn_mode_group = {
	.attrs = trn_mode_attrs,
};

/**
 * trn_mode_core_show() - show() of core<c>/compute_mode
 * @tdev: the device
 * @core: the core
 * @buf: the page to fill
 *
 * Return: bytes written.
 */
ssize_t trn_mode_core_show(struct trn_device *tdev, u32 core, char *buf)
{
	u8 mode = READ_ONCE(tdev->core_mode[core]);

	return sysfs_emit(buf, "%s\n", trn_mode_names[mode]);
}

/**
 * trn_mode_core_store() - store() of core<c>/compute_mode
 * @tdev: the device
 * @core: the core
 * @buf: what was written
 * @count: its length
 *
 * Return: @count, -EPERM without CAP_SYS_ADMIN, -EINVAL for an unknown
 * mode, -EBUSY for exclusive_process while several files use the core.
 */
ssize_t trn_mode_core_store(struct trn_device *tdev, u32 core,
			    const char *buf, size_t count)
{
	u8 old, new;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&tdev->mode_lock);
	old = tdev->core_mode[core];
	ret = trn_mode_set(&tdev->core_mode[core], tdev->core_users[core], buf);
	new = tdev->core_mode[core];
	mutex_unlock(&tdev->mode_lock);
	if (ret)
		return ret;
	if (old != new)
		drm_info(&tdev->drm, "core %u: compute mode %s\n", core,
			 trn_mode_names[new]);
	return count;
}
