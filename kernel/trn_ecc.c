// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/pci.h>
#include <linux/trn_link.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "trn_drv.h"
#include "trn_ecc.h"
#include "trn_event.h"
#include "trn_hw.h"
#include "trn_link.h"
#include "trn_mem.h"
#include "trn_regs.h"

/*
 * Uncorrectable memory errors (TRN_CAP_ECC_LOG, interface 1.6). The device
 * poisons the page an error hits, so that every access to it fails
 * (TRN_DMA_ERR_ECC: the job gets -EIO), and records the page in an error
 * log that lasts as long as the device, across resets and driver reloads.
 * TRN_IRQ_ECC tells of a new entry.
 *
 * The log is the device's table of retired pages: the driver reads it from
 * the entry after the last it handled and retires each page
 * (trn_hbm_retire()): it leaves the allocator, now or when the memory that
 * holds it is freed. A page that met no memory to split it off is read
 * again a second later. Each new entry is reported three ways,
 * rate-limited in the kernel log, as a KOBJ_CHANGE uevent of the PCI device
 * (TRN_EVENT=ecc) and on the health group of the trn_link netlink family.
 * At bind, the pages the log already holds are retired with one line in the
 * kernel log and no event: those reported while a driver was bound were
 * reported then, and those of errors while none was are only in that line
 * and in sysfs.
 *
 * The log is bounded, as a board's retired-page table is. Once it is full,
 * the device still poisons the page of a new error and counts it in
 * TRN_REG_ECC_LOG_COUNT, but keeps no entry: the driver cannot know the
 * page, nor retire it. It keeps the count of such pages it has seen
 * (sysfs unlogged_pages) and reports each growth, with the page state
 * "unlogged" and no address: the device needs replacing. The driver reads
 * at most TRN_ECC_LOG_MAX entries, which keeps the sysfs lists within a
 * page; entries past those count as unlogged. Documentation/sysfs.rst
 * describes the files, Documentation/operator-guide.rst what to do.
 */

#define TRN_ECC_LOG_MAX		128

/* Every line of retired_pages fits a sysfs page (trn_hbm_show_bad()). */
static_assert(TRN_ECC_LOG_MAX * sizeof("0x0123456789abcdef\n") <= PAGE_SIZE);

static const char *const trn_ecc_state_names[] = {
	[TRN_LINK_PAGE_RETIRED] = "retired",
	[TRN_LINK_PAGE_PENDING] = "pending",
	[TRN_LINK_PAGE_UNLOGGED] = "unlogged",
};

static void trn_ecc_uevent(struct trn_device *tdev, u64 addr, u32 state,
			   u32 unlogged)
{
	char event_env[] = "TRN_EVENT=ecc", addr_env[40], state_env[32];
	char *envp[4];

	if (state == TRN_LINK_PAGE_UNLOGGED)
		snprintf(addr_env, sizeof(addr_env), "TRN_ECC_UNLOGGED=%u",
			 unlogged);
	else
		snprintf(addr_env, sizeof(addr_env), "TRN_ECC_ADDR=0x%llx", addr);
	snprintf(state_env, sizeof(state_env), "TRN_ECC_PAGE=%s",
		 trn_ecc_state_names[state]);
	envp[0] = event_env;
	envp[1] = addr_env;
	envp[2] = state_env;
	envp[3] = NULL;
	kobject_uevent_env(&tdev->pdev->dev.kobj, KOBJ_CHANGE, envp);
}

/* The uevent and the netlink event of a page in @state; ecc_lock held. */
static void trn_ecc_notify(struct trn_device *tdev, u64 addr, u32 state)
{
	u64 total = trn_read64(tdev, TRN_REG_ECC_UNCORRECTED_TOTAL);
	u32 nretired;

	mutex_lock(&tdev->hbm_lock);
	nretired = tdev->hbm_retired;
	mutex_unlock(&tdev->hbm_lock);
	trn_ecc_uevent(tdev, addr, state, tdev->ecc_unlogged);
	trn_link_ecc_notify(tdev, addr, state, total, nretired,
			    tdev->ecc_unlogged);
}

static void trn_ecc_report(struct trn_device *tdev, u64 addr, bool retired)
{
	if (retired)
		trn_event(tdev, err, ECC_PAGE_RETIRED,
			  "uncorrectable ECC error in HBM page 0x%llx: page retired\n",
			  addr);
	else
		trn_event(tdev, err, ECC_PAGE_IN_USE,
			  "uncorrectable ECC error in HBM page 0x%llx: in use, jobs that touch it fail; retired when freed\n",
			  addr);
	trn_ecc_notify(tdev, addr,
		       retired ? TRN_LINK_PAGE_RETIRED : TRN_LINK_PAGE_PENDING);
}

/*
 * The device counted @count pages: those past the log it has no entry for.
 * Report those the driver had not seen; @bind: in one line, no event.
 * ecc_lock held.
 */
static void trn_ecc_unlogged(struct trn_device *tdev, u32 count, bool bind)
{
	u32 unlogged, more;

	unlogged = count > tdev->ecc_log_size ? count - tdev->ecc_log_size : 0;
	if (unlogged <= tdev->ecc_unlogged)
		return;
	more = unlogged - tdev->ecc_unlogged;
	tdev->ecc_unlogged = unlogged;
	if (bind) {
		trn_event_always(tdev, err, ECC_LOG_FULL,
				 "%u HBM pages with uncorrectable ECC errors not in the full error log: they cannot be retired, replace the device\n",
				 unlogged);
		return;
	}
	trn_event(tdev, err, ECC_LOG_FULL,
		  "uncorrectable ECC error in %u more HBM page%s, not logged: the error log is full, %u pages cannot be retired; replace the device\n",
		  more, more == 1 ? "" : "s", unlogged);
	trn_ecc_notify(tdev, 0, TRN_LINK_PAGE_UNLOGGED);
}

/*
 * Handle the entries of the log the driver has not seen, and the pages past
 * its end; @bind: those of earlier binds, reported in one line. Called with
 * ecc_lock held, inside drm_dev_enter() or before the device is registered.
 *
 * Return: 0, or -ENOMEM if a page could not be retired for want of memory:
 * it and the entries after it are read again later.
 */
static int trn_ecc_scan(struct trn_device *tdev, bool bind)
{
	u32 count = trn_read32(tdev, TRN_REG_ECC_LOG_COUNT);
	u32 n = min(count, tdev->ecc_log_size);
	u32 i, old = 0;
	u64 addr;
	int ret = 0;

	/* All ones: the device has fallen off the bus. */
	if (count == U32_MAX)
		return 0;
	for (i = tdev->ecc_seen; i < n; i++) {
		trn_write32(tdev, TRN_REG_ECC_LOG_INDEX, i);
		addr = trn_read64(tdev, TRN_REG_ECC_LOG_ADDR);
		if (addr >= tdev->hbm_size || addr % TRN_PAGE_SIZE) {
			trn_event(tdev, err, ECC_LOG_BAD_ENTRY,
				  "ECC log entry %u: bad address 0x%llx\n",
				  i, addr);
			continue;
		}
		ret = trn_hbm_retire(tdev, addr);
		if (ret < 0) {
			trn_event(tdev, err, ECC_RETIRE_PENDING,
				  "cannot retire HBM page 0x%llx yet: %d\n",
				  addr, ret);
			break;
		}
		if (bind)
			old++;
		else
			trn_ecc_report(tdev, addr, ret);
	}
	tdev->ecc_seen = i;
	if (old)
		trn_event_always(tdev, info, ECC_PAGES_RETIRED_AT_PROBE,
				 "%u HBM pages retired after earlier uncorrectable ECC errors\n",
				 old);
	trn_ecc_unlogged(tdev, count, bind);
	return ret < 0 ? ret : 0;
}

/*
 * Not while a reset keeps the device from decoding its registers. A page
 * that could not be retired for want of memory is tried again a second
 * later.
 */
static void trn_ecc_work(struct work_struct *work)
{
	struct trn_device *tdev = container_of(to_delayed_work(work),
					       struct trn_device, ecc_work);
	int idx, hw, ret = 0;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return;
	hw = trn_hw_enter(tdev);
	if (!READ_ONCE(tdev->wedged)) {
		mutex_lock(&tdev->ecc_lock);
		ret = trn_ecc_scan(tdev, false);
		mutex_unlock(&tdev->ecc_lock);
	}
	trn_hw_exit(tdev, hw);
	drm_dev_exit(idx);
	if (ret == -ENOMEM && !READ_ONCE(tdev->ecc_stopped))
		queue_delayed_work(tdev->wq, &tdev->ecc_work, HZ);
}

/* Read the log soon, as the interrupt handler does on TRN_IRQ_ECC. */
static void trn_ecc_kick(struct trn_device *tdev)
{
	if (!READ_ONCE(tdev->ecc_stopped))
		mod_delayed_work(tdev->wq, &tdev->ecc_work, 0);
}

/**
 * trn_ecc_restart() - after a reset, enable TRN_IRQ_ECC again
 * @tdev: the device, after trn_hw_restart()
 *
 * The log outlived the reset; an error that came during it is read now.
 */
void trn_ecc_restart(struct trn_device *tdev)
{
	if (!tdev->ecc_log_size)
		return;
	trn_write32(tdev, TRN_REG_IRQ_MASK,
		    trn_read32(tdev, TRN_REG_IRQ_MASK) | TRN_IRQ_ECC);
	trn_ecc_kick(tdev);
}

static void trn_ecc_fini(void *arg)
{
	struct trn_device *tdev = arg;

	trn_write32(tdev, TRN_REG_IRQ_MASK,
		    trn_read32(tdev, TRN_REG_IRQ_MASK) & ~TRN_IRQ_ECC);
	WRITE_ONCE(tdev->ecc_stopped, true);
	cancel_delayed_work_sync(&tdev->ecc_work);
}

/**
 * trn_ecc_init() - retire the pages of the log
 * @tdev: the device, with its memory allocator and work queue, before
 *	anything is allocated and before its interrupts are set up
 *
 * trn_irq_init() then enables TRN_IRQ_ECC and reads the log once more, for
 * an error that came in between.
 *
 * Return: 0 or a negative error code.
 */
int trn_ecc_init(struct trn_device *tdev)
{
	u32 size;
	int ret;

	ret = drmm_mutex_init(&tdev->drm, &tdev->ecc_lock);
	if (ret)
		return ret;
	INIT_DELAYED_WORK(&tdev->ecc_work, trn_ecc_work);
	if (!(tdev->hw_caps & TRN_CAP_ECC_LOG))
		return 0;
	size = trn_read32(tdev, TRN_REG_ECC_LOG_SIZE);
	if (size > TRN_ECC_LOG_MAX) {
		drm_warn(&tdev->drm, "ECC error log of %u entries: reading the first %u, later pages count as unlogged\n",
			 size, TRN_ECC_LOG_MAX);
		size = TRN_ECC_LOG_MAX;
	}
	tdev->ecc_log_size = size;
	mutex_lock(&tdev->ecc_lock);
	/* -ENOMEM: trn_irq_init() reads the log again */
	trn_ecc_scan(tdev, true);
	mutex_unlock(&tdev->ecc_lock);
	return devm_add_action_or_reset(&tdev->pdev->dev, trn_ecc_fini, tdev);
}

/* ---- sysfs: retired_pages, retired_pages_pending, unlogged_pages ---- */

static struct trn_device *dev_to_trn(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static ssize_t retired_pages_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return trn_hbm_show_bad(dev_to_trn(dev), true, buf);
}
static DEVICE_ATTR_RO(retired_pages);

static ssize_t retired_pages_pending_show(struct device *dev,
					  struct device_attribute *attr,
					  char *buf)
{
	return trn_hbm_show_bad(dev_to_trn(dev), false, buf);
}
static DEVICE_ATTR_RO(retired_pages_pending);

static ssize_t unlogged_pages_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct trn_device *tdev = dev_to_trn(dev);
	u32 n;

	mutex_lock(&tdev->ecc_lock);
	n = tdev->ecc_unlogged;
	mutex_unlock(&tdev->ecc_lock);
	return sysfs_emit(buf, "%u\n", n);
}
static DEVICE_ATTR_RO(unlogged_pages);

static struct attribute *trn_ecc_attrs[] = {
	&dev_attr_retired_pages.attr,
	&dev_attr_retired_pages_pending.attr,
	&dev_attr_unlogged_pages.attr,
	NULL
};

/* From interface 1.6 (TRN_CAP_ECC_LOG) on. */
static umode_t trn_ecc_visible(struct kobject *kobj, struct attribute *attr,
			       int n)
{
	struct trn_device *tdev = dev_to_trn(kobj_to_dev(kobj));

	return tdev->hw_caps & TRN_CAP_ECC_LOG ? attr->mode : 0;
}

const struct attribute_group trn_ecc_group = {
	.attrs = trn_ecc_attrs,
	.is_visible = trn_ecc_visible,
};
