// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "trn_drv.h"
#include "trn_event.h"
#include "trn_hw.h"
#include "trn_power.h"
#include "trn_regs.h"

/*
 * Power cap and throttling (TRN_CAP_POWER, interface 1.8). The device slows
 * its NeuronCores while its board power is above the cap
 * (TRN_REG_POWER_CAP) or its die above TRN_REG_TEMP_MAX, and says why in
 * TRN_REG_THROTTLE; TRN_IRQ_THROTTLE tells of each change.
 *
 * hwmon's power1_cap sets the cap (root only: CAP_SYS_ADMIN, checked here
 * as well as by the file's mode), within power1_cap_min and power1_cap_max:
 * the device would clamp any value, the driver refuses one outside with
 * -EINVAL rather than set another than asked. A reset gives the device its
 * default cap back; the driver writes the one it was given again.
 *
 * A change of the reasons is handled in process context (@power_work):
 * a kernel log line with its event code (201 to 204) for each reason that
 * starts or ends (trn_event(), rate limited per device), and a
 * KOBJ_CHANGE uevent of the PCI device
 * (TRN_EVENT=throttle, TRN_THROTTLE=<reasons>), at most one a second per
 * device: changes within the second are told by one event, with the
 * reasons at its end. Documentation/sysfs.rst describes the files,
 * Documentation/operator-guide.rst what to do.
 */

/* The names of TRN_THROTTLE_* in throttle_reasons, the log and uevents */
static const char *const trn_throttle_names[] = {
	"power_cap",		/* TRN_THROTTLE_POWER */
	"thermal",		/* TRN_THROTTLE_THERMAL */
};

static_assert(BIT(ARRAY_SIZE(trn_throttle_names)) - 1 == TRN_THROTTLE_ALL);

/* Longest text of trn_power_reasons(): every name and "unknown" */
#define TRN_REASONS_LEN		sizeof("power_cap,thermal,unknown")

/* @reasons as a comma-separated list; "none" for 0. */
static void trn_power_reasons(u32 reasons, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int i;

	buf[0] = '\0';
	if (!reasons) {
		strscpy(buf, "none", size);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(trn_throttle_names); i++)
		if (reasons & BIT(i))
			len += scnprintf(buf + len, size - len, "%s%s",
					 len ? "," : "", trn_throttle_names[i]);
	if (reasons & ~TRN_THROTTLE_ALL)
		scnprintf(buf + len, size - len, "%sunknown", len ? "," : "");
}

/*
 * The kernel log lines of a change of the reasons from @old to @reasons:
 * one event (operator-guide.rst, "Event codes") per reason that starts or
 * ends, rate limited per device (trn_event.h).
 */
static void trn_power_report(struct trn_device *tdev, u32 old, u32 reasons)
{
	u32 on = reasons & ~old, off = old & ~reasons;

	if (on & TRN_THROTTLE_POWER)
		trn_event(tdev, warn, POWER_THROTTLE,
			  "NeuronCores throttled: power_cap (board power at the cap of %u mW)\n",
			  tdev->power_cap ?: trn_read32(tdev, TRN_REG_POWER_CAP));
	if (on & TRN_THROTTLE_THERMAL)
		trn_event(tdev, warn, THERMAL_THROTTLE,
			  "NeuronCores throttled: thermal (die above temp1_max)\n");
	if (off & TRN_THROTTLE_POWER)
		trn_event(tdev, info, POWER_THROTTLE_END,
			  "NeuronCores no longer throttled: power_cap\n");
	if (off & TRN_THROTTLE_THERMAL)
		trn_event(tdev, info, THERMAL_THROTTLE_END,
			  "NeuronCores no longer throttled: thermal\n");
	if (on & ~TRN_THROTTLE_ALL)
		drm_warn_once(&tdev->drm, "NeuronCores throttled for reasons unknown to the driver: 0x%x\n",
			      (u32)(on & ~TRN_THROTTLE_ALL));
}

static void trn_power_uevent(struct trn_device *tdev, u32 reasons)
{
	char event_env[] = "TRN_EVENT=throttle", names[TRN_REASONS_LEN];
	char reasons_env[sizeof("TRN_THROTTLE=") + TRN_REASONS_LEN];
	char *envp[3];

	trn_power_reasons(reasons, names, sizeof(names));
	snprintf(reasons_env, sizeof(reasons_env), "TRN_THROTTLE=%s", names);
	envp[0] = event_env;
	envp[1] = reasons_env;
	envp[2] = NULL;
	kobject_uevent_env(&tdev->pdev->dev.kobj, KOBJ_CHANGE, envp);
}

/*
 * Read the reasons; report a change, and the uevent due. Called with
 * power_lock held, inside drm_dev_enter() and trn_hw_enter().
 */
static void trn_power_check(struct trn_device *tdev)
{
	u32 reasons = trn_read32(tdev, TRN_REG_THROTTLE);
	u32 old = tdev->power_reasons;

	/* All ones: the device has fallen off the bus. */
	if (reasons == U32_MAX || reasons == old)
		return;
	tdev->power_reasons = reasons;
	tdev->power_event = true;
	trn_power_report(tdev, old, reasons);
}

static void trn_power_work(struct work_struct *work)
{
	struct trn_device *tdev = container_of(to_delayed_work(work),
					       struct trn_device, power_work);
	unsigned long next = 0;
	int idx, hw;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return;
	hw = trn_hw_enter(tdev);
	mutex_lock(&tdev->power_lock);
	if (!READ_ONCE(tdev->wedged))
		trn_power_check(tdev);
	if (tdev->power_event) {
		next = tdev->power_uevent_at + HZ;
		if (!tdev->power_uevent_at || time_after_eq(jiffies, next)) {
			tdev->power_event = false;
			tdev->power_uevent_at = jiffies ?: 1;
			trn_power_uevent(tdev, tdev->power_reasons);
			next = 0;
		}
	}
	mutex_unlock(&tdev->power_lock);
	trn_hw_exit(tdev, hw);
	drm_dev_exit(idx);
	/* The event of this second, at its end */
	if (next && !READ_ONCE(tdev->power_stopped))
		queue_delayed_work(tdev->wq, &tdev->power_work,
				   max_t(long, (long)(next - jiffies), 1));
}

/* Enable TRN_IRQ_THROTTLE and read the reasons, which may have changed. */
static void trn_power_start(struct trn_device *tdev)
{
	trn_write32(tdev, TRN_REG_IRQ_MASK,
		    trn_read32(tdev, TRN_REG_IRQ_MASK) | TRN_IRQ_THROTTLE);
	if (!READ_ONCE(tdev->power_stopped))
		mod_delayed_work(tdev->wq, &tdev->power_work, 0);
}

/**
 * trn_power_restart() - after a reset, the cap set and TRN_IRQ_THROTTLE
 *	enabled again
 * @tdev: the device, after trn_hw_restart()
 */
void trn_power_restart(struct trn_device *tdev)
{
	if (!(tdev->hw_caps & TRN_CAP_POWER))
		return;
	mutex_lock(&tdev->power_lock);
	if (tdev->power_cap)
		trn_write32(tdev, TRN_REG_POWER_CAP, tdev->power_cap);
	mutex_unlock(&tdev->power_lock);
	trn_power_start(tdev);
}

static void trn_power_fini(void *arg)
{
	struct trn_device *tdev = arg;

	trn_write32(tdev, TRN_REG_IRQ_MASK,
		    trn_read32(tdev, TRN_REG_IRQ_MASK) & ~TRN_IRQ_THROTTLE);
	WRITE_ONCE(tdev->power_stopped, true);
	cancel_delayed_work_sync(&tdev->power_work);
}

/**
 * trn_power_init() - the cap's limits, and the work item of TRN_IRQ_THROTTLE
 * @tdev: the device, with its work queue, before its interrupts are set up
 *	and before its hwmon device
 *
 * trn_irq_init() then enables TRN_IRQ_THROTTLE and reads the reasons once:
 * throttling under way at bind is reported as it starts. The cap the
 * device has at bind is its default: the driver writes one only once root
 * has set it.
 *
 * Return: 0 or a negative error code.
 */
int trn_power_init(struct trn_device *tdev)
{
	int ret;

	ret = drmm_mutex_init(&tdev->drm, &tdev->power_lock);
	if (ret)
		return ret;
	INIT_DELAYED_WORK(&tdev->power_work, trn_power_work);
	/* Without a power cap, the interrupt handler never queues the work. */
	if (!(tdev->hw_caps & TRN_CAP_POWER)) {
		tdev->power_stopped = true;
		return 0;
	}
	tdev->power_cap_min = trn_read32(tdev, TRN_REG_POWER_CAP_MIN);
	tdev->power_cap_max = trn_read32(tdev, TRN_REG_POWER_CAP_MAX);
	if (!tdev->power_cap_min || tdev->power_cap_min > tdev->power_cap_max ||
	    tdev->power_cap_max == U32_MAX) {
		drm_warn(&tdev->drm, "power cap limits %u..%u mW make no sense: no power cap\n",
			 tdev->power_cap_min, tdev->power_cap_max);
		tdev->power_cap_min = 0;
		tdev->power_cap_max = 0;
	}
	return devm_add_action_or_reset(&tdev->pdev->dev, trn_power_fini, tdev);
}

/* ---- hwmon: power1_cap, power1_cap_min, power1_cap_max ---- */

/* Interface 1.8; the cap itself writable (by root: see the write). */
umode_t trn_power_hwmon_visible(const struct trn_device *tdev, u32 attr)
{
	if (!(tdev->hw_caps & TRN_CAP_POWER) || !tdev->power_cap_max)
		return 0;
	return attr == hwmon_power_cap ? 0644 : 0444;
}

/* In microwatts, as hwmon wants; the device's milliwatts. */
int trn_power_hwmon_read(struct trn_device *tdev, u32 attr, long *val)
{
	u32 raw;
	int idx;

	switch (attr) {
	case hwmon_power_cap_min:
		*val = (long)tdev->power_cap_min * 1000;
		return 0;
	case hwmon_power_cap_max:
		*val = (long)tdev->power_cap_max * 1000;
		return 0;
	case hwmon_power_cap:
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	raw = trn_read32(tdev, TRN_REG_POWER_CAP);
	drm_dev_exit(idx);
	if (raw == U32_MAX)
		return -EIO;
	*val = (long)raw * 1000;
	return 0;
}

/*
 * power1_cap: root only, within [power1_cap_min, power1_cap_max]; kept to
 * be set again after a reset.
 */
int trn_power_hwmon_write(struct trn_device *tdev, u32 attr, long val)
{
	u32 mw;
	int idx, hw;

	if (attr != hwmon_power_cap)
		return -EOPNOTSUPP;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (val < (long)tdev->power_cap_min * 1000 ||
	    val > (long)tdev->power_cap_max * 1000)
		return -EINVAL;
	mw = DIV_ROUND_CLOSEST(val, 1000);
	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	hw = trn_hw_enter(tdev);
	if (READ_ONCE(tdev->wedged)) {
		trn_hw_exit(tdev, hw);
		drm_dev_exit(idx);
		return -EIO;
	}
	mutex_lock(&tdev->power_lock);
	tdev->power_cap = mw;
	trn_write32(tdev, TRN_REG_POWER_CAP, mw);
	mutex_unlock(&tdev->power_lock);
	trn_hw_exit(tdev, hw);
	drm_dev_exit(idx);
	drm_info(&tdev->drm, "power cap set to %u mW by %s[%d]\n", mw,
		 current->comm, task_pid_nr(current));
	return 0;
}

/* ---- sysfs: throttle_reasons ---- */

static struct trn_device *dev_to_trn(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

/* What the device says now, not what the last interrupt told. */
static ssize_t throttle_reasons_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct trn_device *tdev = dev_to_trn(dev);
	char names[TRN_REASONS_LEN];
	u32 reasons;
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	reasons = trn_read32(tdev, TRN_REG_THROTTLE);
	drm_dev_exit(idx);
	if (reasons == U32_MAX)
		return -EIO;
	trn_power_reasons(reasons, names, sizeof(names));
	return sysfs_emit(buf, "%s\n", names);
}
static DEVICE_ATTR_RO(throttle_reasons);

static struct attribute *trn_power_attrs[] = {
	&dev_attr_throttle_reasons.attr,
	NULL
};

/* From interface 1.8 (TRN_CAP_POWER) on. */
static umode_t trn_power_visible(struct kobject *kobj, struct attribute *attr,
				 int n)
{
	struct trn_device *tdev = dev_to_trn(kobj_to_dev(kobj));

	return tdev->hw_caps & TRN_CAP_POWER ? attr->mode : 0;
}

const struct attribute_group trn_power_group = {
	.attrs = trn_power_attrs,
	.is_visible = trn_power_visible,
};
