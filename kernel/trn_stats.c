// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/error-injection.h>
#include <linux/hwmon.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>

#include "trn_drv.h"
#include "trn_event.h"
#include "trn_hw.h"
#include "trn_job.h"
#include "trn_mode.h"
#include "trn_power.h"
#include "trn_stats.h"
#include "trn_sysfs.h"
#include "trn_regs.h"

/*
 * Activity and health counters (Documentation/sysfs.rst): stats/ and
 * core<c>/ on the PCI device, and a hwmon device for the sensors.
 *
 * The job counters are the driver's own, per queue; the others are the
 * device's registers, read at each read of a file. Everyone may read them.
 * Writing 1 to stats/clear (CAP_SYS_ADMIN) makes the activity counters
 * read zero from then on: job counters are zeroed, register counters get a
 * base that is subtracted, and the HBM peak restarts from what is in use.
 * The ECC counts are health, not activity: stats/clear leaves them alone.
 * stats/ecc_clear (CAP_SYS_ADMIN) makes the volatile ones (ecc_corrected,
 * ecc_uncorrected) read zero, in a kernel log line that says what they
 * were and who cleared them (event DRM_TRN_EVENT_ECC_COUNTS_CLEARED). The
 * aggregate ECC counters (interface 1.6) the device keeps for its life,
 * and nothing clears them.
 */

static u64 trn_jobs(struct trn_device *tdev, u32 first, u32 count,
		    enum trn_job_outcome what)
{
	u64 n = 0;
	u32 q;

	for (q = first; q < first + count; q++)
		n += atomic64_read(&tdev->queues[q].jobs[what]);
	return n;
}

static u64 trn_dma_counter(struct trn_device *tdev, u32 reg)
{
	u64 n = 0;
	u32 e;

	for (e = 0; e < tdev->dma_engines; e++)
		n += trn_read64(tdev, TRN_DMA_E_REG(e, reg));
	return n;
}

/*
 * @raw less its base, under stats_lock. A value below the base means the
 * device's counters restarted from zero in a reset the driver did not see
 * (trn_stats_restart() handles those it does): so does the base.
 */
static u64 trn_rebase(u64 raw, u64 *base)
{
	if (raw < *base)
		*base = 0;
	return raw - *base;
}

/* A device register: the read of trn_counter() for most counters. */
static u64 trn_register(struct trn_device *tdev, u32 reg)
{
	return trn_read64(tdev, reg);
}

/* A device counter, @read(@tdev, @reg), less its base; or -ENODEV. */
static int trn_counter(struct trn_device *tdev,
		       u64 (*read)(struct trn_device *tdev, u32 reg), u32 reg,
		       u64 *base, u64 *val)
{
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	mutex_lock(&tdev->stats_lock);
	*val = trn_rebase(read(tdev, reg), base);
	mutex_unlock(&tdev->stats_lock);
	drm_dev_exit(idx);
	return 0;
}

/* ---- stats/ ---- */

static struct trn_device *dev_to_trn(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static ssize_t trn_jobs_show(struct device *dev, char *buf,
			     enum trn_job_outcome what)
{
	struct trn_device *tdev = dev_to_trn(dev);

	return sysfs_emit(buf, "%llu\n", trn_jobs(tdev, 0, tdev->num_queues, what));
}

static ssize_t jobs_completed_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return trn_jobs_show(dev, buf, TRN_JOB_DONE);
}
static DEVICE_ATTR_RO(jobs_completed);

static ssize_t jobs_failed_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return trn_jobs_show(dev, buf, TRN_JOB_FAILED);
}
static DEVICE_ATTR_RO(jobs_failed);

static ssize_t jobs_timed_out_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return trn_jobs_show(dev, buf, TRN_JOB_TIMEDOUT);
}
static DEVICE_ATTR_RO(jobs_timed_out);

/* A file of stats/ that shows a device counter less its base. */
static ssize_t trn_counter_show(struct device *dev, char *buf,
				u64 (*read)(struct trn_device *tdev, u32 reg),
				u32 reg, u64 *base)
{
	u64 val;
	int ret;

	ret = trn_counter(dev_to_trn(dev), read, reg, base, &val);
	if (ret)
		return ret;
	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t dma_bytes_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return trn_counter_show(dev, buf, trn_dma_counter, TRN_DMA_E_BYTES,
				&dev_to_trn(dev)->dma_base[0]);
}
static DEVICE_ATTR_RO(dma_bytes);

static ssize_t dma_busy_ns_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return trn_counter_show(dev, buf, trn_dma_counter, TRN_DMA_E_BUSY_NS,
				&dev_to_trn(dev)->dma_base[1]);
}
static DEVICE_ATTR_RO(dma_busy_ns);

static ssize_t hbm_peak_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct trn_device *tdev = dev_to_trn(dev);
	u64 peak;

	mutex_lock(&tdev->hbm_lock);
	peak = tdev->hbm_peak;
	mutex_unlock(&tdev->hbm_lock);
	return sysfs_emit(buf, "%llu\n", peak);
}
static DEVICE_ATTR_RO(hbm_peak);

static ssize_t ecc_corrected_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return trn_counter_show(dev, buf, trn_register, TRN_REG_ECC_CORRECTED,
				&dev_to_trn(dev)->ecc_base[0]);
}
static DEVICE_ATTR_RO(ecc_corrected);

static ssize_t ecc_uncorrected_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return trn_counter_show(dev, buf, trn_register, TRN_REG_ECC_UNCORRECTED,
				&dev_to_trn(dev)->ecc_base[1]);
}
static DEVICE_ATTR_RO(ecc_uncorrected);

/* The device's own totals: no base, stats/clear leaves them alone. */
static ssize_t trn_aggregate_show(struct device *dev, char *buf, u32 reg)
{
	struct trn_device *tdev = dev_to_trn(dev);
	u64 val;
	int idx;

	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	val = trn_read64(tdev, reg);
	drm_dev_exit(idx);
	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t ecc_corrected_aggregate_show(struct device *dev,
					    struct device_attribute *attr,
					    char *buf)
{
	return trn_aggregate_show(dev, buf, TRN_REG_ECC_CORRECTED_TOTAL);
}
static DEVICE_ATTR_RO(ecc_corrected_aggregate);

static ssize_t ecc_uncorrected_aggregate_show(struct device *dev,
					      struct device_attribute *attr,
					      char *buf)
{
	return trn_aggregate_show(dev, buf, TRN_REG_ECC_UNCORRECTED_TOTAL);
}
static DEVICE_ATTR_RO(ecc_uncorrected_aggregate);

/* Interface 1.8: how long the NeuronCores ran slowed (trn_power.c) */
static ssize_t throttled_ns_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return trn_counter_show(dev, buf, trn_register, TRN_REG_THROTTLE_NS,
				&dev_to_trn(dev)->throttle_base);
}
static DEVICE_ATTR_RO(throttled_ns);

/**
 * trn_stats_restart() - the device's counters started again from zero
 * @tdev: the device, after a reset
 *
 * The DMA, ECC and NeuronCore counter registers count from zero after a
 * reset, and so do the files that show them (Documentation/sysfs.rst).
 */
void trn_stats_restart(struct trn_device *tdev)
{
	u32 n = tdev->num_cores * TRN_CORE_COUNTERS;

	mutex_lock(&tdev->stats_lock);
	memset(tdev->dma_base, 0, sizeof(tdev->dma_base));
	memset(tdev->ecc_base, 0, sizeof(tdev->ecc_base));
	tdev->throttle_base = 0;
	if (tdev->core_base)
		memset(tdev->core_base, 0, n * sizeof(*tdev->core_base));
	mutex_unlock(&tdev->stats_lock);
}

/* Make every activity counter read zero from now on; stats_lock held. */
static void trn_stats_clear(struct trn_device *tdev)
{
	u32 q, c, i;

	for (q = 0; q < tdev->num_queues; q++)
		for (i = 0; i < TRN_JOB_OUTCOMES; i++)
			atomic64_set(&tdev->queues[q].jobs[i], 0);
	tdev->dma_base[0] = trn_dma_counter(tdev, TRN_DMA_E_BYTES);
	tdev->dma_base[1] = trn_dma_counter(tdev, TRN_DMA_E_BUSY_NS);
	if (tdev->hw_caps & TRN_CAP_POWER)
		tdev->throttle_base = trn_read64(tdev, TRN_REG_THROTTLE_NS);
	for (c = 0; c < tdev->num_cores && (tdev->hw_caps & TRN_CAP_COMPUTE); c++)
		for (i = 0; i < TRN_CORE_COUNTERS; i++)
			tdev->core_base[c * TRN_CORE_COUNTERS + i] =
				trn_read64(tdev, TRN_CORE_REG(c, 8 * i));
	mutex_lock(&tdev->hbm_lock);
	tdev->hbm_peak = tdev->hbm_used;
	mutex_unlock(&tdev->hbm_lock);
}

/*
 * What a write to clear or ecc_clear must be: from CAP_SYS_ADMIN, a true
 * value. Return: 0, or the error of the write.
 */
static int trn_clear_allowed(const char *buf)
{
	bool val;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = kstrtobool(buf, &val);
	if (ret)
		return ret;
	return val ? 0 : -EINVAL;
}

static ssize_t clear_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct trn_device *tdev = dev_to_trn(dev);
	int ret, idx;

	ret = trn_clear_allowed(buf);
	if (ret)
		return ret;
	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	mutex_lock(&tdev->stats_lock);
	trn_stats_clear(tdev);
	mutex_unlock(&tdev->stats_lock);
	drm_dev_exit(idx);
	return count;
}
static DEVICE_ATTR_WO(clear);

/* Write 1 (as root): the volatile ECC counts read zero from now on. */
static ssize_t ecc_clear_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct trn_device *tdev = dev_to_trn(dev);
	u64 raw[2], corrected, uncorrected;
	int ret, idx, hw;

	ret = trn_clear_allowed(buf);
	if (ret)
		return ret;
	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	/* Not in a reset, when the registers may read as all ones. */
	hw = trn_hw_enter(tdev);
	if (READ_ONCE(tdev->wedged)) {
		ret = -EIO;
		goto out;
	}
	mutex_lock(&tdev->stats_lock);
	raw[0] = trn_read64(tdev, TRN_REG_ECC_CORRECTED);
	raw[1] = trn_read64(tdev, TRN_REG_ECC_UNCORRECTED);
	corrected = trn_rebase(raw[0], &tdev->ecc_base[0]);
	uncorrected = trn_rebase(raw[1], &tdev->ecc_base[1]);
	tdev->ecc_base[0] = raw[0];
	tdev->ecc_base[1] = raw[1];
	mutex_unlock(&tdev->stats_lock);
	/* An audit line: never rate limited, and only root can cause it. */
	trn_event_always(tdev, notice, ECC_COUNTS_CLEARED,
			 "volatile ECC counts cleared by %s[%d]: they were %llu corrected, %llu uncorrected\n",
			 current->comm, task_pid_nr(current), corrected,
			 uncorrected);
	ret = count;
out:
	trn_hw_exit(tdev, hw);
	drm_dev_exit(idx);
	return ret;
}
static DEVICE_ATTR_WO(ecc_clear);

static struct attribute *trn_stats_attrs[] = {
	&dev_attr_jobs_completed.attr,
	&dev_attr_jobs_failed.attr,
	&dev_attr_jobs_timed_out.attr,
	&dev_attr_dma_bytes.attr,
	&dev_attr_dma_busy_ns.attr,
	&dev_attr_hbm_peak.attr,
	&dev_attr_ecc_corrected.attr,
	&dev_attr_ecc_uncorrected.attr,
	&dev_attr_ecc_corrected_aggregate.attr,
	&dev_attr_ecc_uncorrected_aggregate.attr,
	&dev_attr_throttled_ns.attr,
	&dev_attr_clear.attr,
	&dev_attr_ecc_clear.attr,
	NULL
};

/*
 * The ECC counters exist from interface 1.5 (TRN_CAP_HEALTH) on, their
 * aggregates from 1.6 (TRN_CAP_ECC_LOG), throttled_ns from 1.8
 * (TRN_CAP_POWER).
 */
static umode_t trn_stats_visible(struct kobject *kobj, struct attribute *attr,
				 int n)
{
	struct trn_device *tdev = dev_to_trn(kobj_to_dev(kobj));

	if ((attr == &dev_attr_ecc_corrected.attr ||
	     attr == &dev_attr_ecc_uncorrected.attr ||
	     attr == &dev_attr_ecc_clear.attr) &&
	    !(tdev->hw_caps & TRN_CAP_HEALTH))
		return 0;
	if ((attr == &dev_attr_ecc_corrected_aggregate.attr ||
	     attr == &dev_attr_ecc_uncorrected_aggregate.attr) &&
	    !(tdev->hw_caps & TRN_CAP_ECC_LOG))
		return 0;
	if (attr == &dev_attr_throttled_ns.attr &&
	    !(tdev->hw_caps & TRN_CAP_POWER))
		return 0;
	return attr->mode;
}

const struct attribute_group trn_stats_group = {
	.name = "stats",
	.attrs = trn_stats_attrs,
	.is_visible = trn_stats_visible,
};

/* ---- core<c>/ ---- */

/*
 * The directories core0/ to core<TRN_MAX_CORES - 1>/ are attribute groups of
 * the PCI device, as link<p>/ are (trn_link.c); those of cores the device
 * does not have, or all of them without TRN_CAP_COMPUTE, stay hidden.
 */

enum trn_core_file {
	TRN_CORE_F_BUSY_NS,
	TRN_CORE_F_TENSOR_BUSY_NS,
	TRN_CORE_F_VECTOR_BUSY_NS,
	TRN_CORE_F_SCALAR_BUSY_NS,
	TRN_CORE_F_DMA_BUSY_NS,
	TRN_CORE_F_PROGRAMS,
	TRN_CORE_F_INSNS,
	TRN_CORE_F_FLOPS,
	TRN_CORE_F_ERRORS,
	TRN_CORE_F_JOBS_COMPLETED,	/* the job counts, in trn_job_outcome order */
	TRN_CORE_F_JOBS_FAILED,
	TRN_CORE_F_JOBS_TIMED_OUT,
	TRN_CORE_F_COMPUTE_MODE,	/* trn_mode.c's */
	TRN_CORE_NUM_FILES
};

static_assert(TRN_CORE_F_JOBS_TIMED_OUT - TRN_CORE_F_JOBS_COMPLETED == TRN_JOB_TIMEDOUT);

static const struct trn_sysfs_file trn_core_files[TRN_CORE_NUM_FILES] = {
	[TRN_CORE_F_BUSY_NS] = { "busy_ns", 0444 },
	[TRN_CORE_F_TENSOR_BUSY_NS] = { "tensor_busy_ns", 0444 },
	[TRN_CORE_F_VECTOR_BUSY_NS] = { "vector_busy_ns", 0444 },
	[TRN_CORE_F_SCALAR_BUSY_NS] = { "scalar_busy_ns", 0444 },
	[TRN_CORE_F_DMA_BUSY_NS] = { "dma_busy_ns", 0444 },
	[TRN_CORE_F_PROGRAMS] = { "programs", 0444 },
	[TRN_CORE_F_INSNS] = { "instructions", 0444 },
	[TRN_CORE_F_FLOPS] = { "flops", 0444 },
	[TRN_CORE_F_ERRORS] = { "errors", 0444 },
	[TRN_CORE_F_JOBS_COMPLETED] = { "jobs_completed", 0444 },
	[TRN_CORE_F_JOBS_FAILED] = { "jobs_failed", 0444 },
	[TRN_CORE_F_JOBS_TIMED_OUT] = { "jobs_timed_out", 0444 },
	[TRN_CORE_F_COMPUTE_MODE] = { "compute_mode", 0644 },
};

/* The register of each register counter. */
static const u32 trn_core_file_regs[TRN_CORE_F_JOBS_COMPLETED] = {
	[TRN_CORE_F_BUSY_NS] = TRN_CORE_BUSY_NS,
	[TRN_CORE_F_TENSOR_BUSY_NS] = TRN_CORE_TENSOR_BUSY_NS,
	[TRN_CORE_F_VECTOR_BUSY_NS] = TRN_CORE_VECTOR_BUSY_NS,
	[TRN_CORE_F_SCALAR_BUSY_NS] = TRN_CORE_SCALAR_BUSY_NS,
	[TRN_CORE_F_DMA_BUSY_NS] = TRN_CORE_DMA_BUSY_NS,
	[TRN_CORE_F_PROGRAMS] = TRN_CORE_PROGRAMS,
	[TRN_CORE_F_INSNS] = TRN_CORE_INSNS,
	[TRN_CORE_F_FLOPS] = TRN_CORE_FLOPS,
	[TRN_CORE_F_ERRORS] = TRN_CORE_ERRORS,
};

static ssize_t trn_core_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct trn_sysfs_attr *ca = to_trn_sysfs_attr(&attr->attr);
	struct trn_device *tdev = dev_to_trn(dev);
	u32 c = ca->index, reg;
	u64 val = 0;
	int ret;

	if (ca->file == TRN_CORE_F_COMPUTE_MODE)
		return trn_mode_core_show(tdev, c, buf);
	if (ca->file >= TRN_CORE_F_JOBS_COMPLETED) {
		if (c < tdev->num_core_queues)
			val = trn_jobs(tdev, tdev->num_dma_queues + c, 1,
				       ca->file - TRN_CORE_F_JOBS_COMPLETED);
		return sysfs_emit(buf, "%llu\n", val);
	}
	reg = trn_core_file_regs[ca->file];
	ret = trn_counter(tdev, trn_register, TRN_CORE_REG(c, reg),
			  &tdev->core_base[c * TRN_CORE_COUNTERS + reg / 8], &val);
	if (ret)
		return ret;
	return sysfs_emit(buf, "%llu\n", val);
}

/* Of the files, only compute_mode is writable (kernfs checks the mode). */
static ssize_t trn_core_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct trn_sysfs_attr *ca = to_trn_sysfs_attr(&attr->attr);

	if (ca->file != TRN_CORE_F_COMPUTE_MODE)
		return -EACCES;
	return trn_mode_core_store(dev_to_trn(dev), ca->index, buf, count);
}

static umode_t trn_core_visible(struct kobject *kobj, struct attribute *attr,
				int n)
{
	struct trn_device *tdev = dev_to_trn(kobj_to_dev(kobj));

	if (!(tdev->hw_caps & TRN_CAP_COMPUTE) ||
	    to_trn_sysfs_attr(attr)->index >= tdev->num_cores)
		return n ? 0 : SYSFS_GROUP_INVISIBLE;
	return attr->mode;
}

static struct trn_sysfs_attr trn_core_attrs[TRN_MAX_CORES * TRN_CORE_NUM_FILES] __ro_after_init;
static struct attribute *trn_core_lists[TRN_MAX_CORES * (TRN_CORE_NUM_FILES + 1)] __ro_after_init;
static char trn_core_names[TRN_MAX_CORES][TRN_SYSFS_NAME_LEN] __ro_after_init;
static struct attribute_group trn_core_groups[TRN_MAX_CORES] __ro_after_init;

const struct trn_sysfs_dirs trn_core_dirs = {
	.prefix = "core",
	.count = TRN_MAX_CORES,
	.files = trn_core_files,
	.nfiles = TRN_CORE_NUM_FILES,
	.show = trn_core_show,
	.store = trn_core_store,
	.is_visible = trn_core_visible,
	.attrs = trn_core_attrs,
	.lists = trn_core_lists,
	.names = trn_core_names,
	.groups = trn_core_groups,
};

/* ---- hwmon ---- */

/* The power cap's files are trn_power.c's, from interface 1.8 on. */
static umode_t trn_hwmon_visible(const void *data, enum hwmon_sensor_types type,
				 u32 attr, int channel)
{
	if (type == hwmon_power &&
	    (attr == hwmon_power_cap || attr == hwmon_power_cap_min ||
	     attr == hwmon_power_cap_max))
		return trn_power_hwmon_visible(data, attr);
	return 0444;
}

static int trn_hwmon_read(struct device *dev, enum hwmon_sensor_types type,
			  u32 attr, int channel, long *val)
{
	struct trn_device *tdev = dev_get_drvdata(dev);
	u32 reg, raw, scale = 1;
	int idx;

	switch (type) {
	case hwmon_temp:
		if (attr == hwmon_temp_input)
			reg = TRN_REG_TEMP;
		else if (attr == hwmon_temp_max)
			reg = TRN_REG_TEMP_MAX;
		else if (attr == hwmon_temp_crit)
			reg = TRN_REG_TEMP_CRIT;
		else
			return -EOPNOTSUPP;
		break;
	case hwmon_power:
		/* milliwatts in the device, microwatts in hwmon */
		scale = 1000;
		if (attr == hwmon_power_input)
			reg = TRN_REG_POWER;
		else if (attr == hwmon_power_rated_max)
			reg = TRN_REG_POWER_MAX;
		else
			return trn_power_hwmon_read(tdev, attr, val);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!drm_dev_enter(&tdev->drm, &idx))
		return -ENODEV;
	raw = trn_read32(tdev, reg);
	drm_dev_exit(idx);
	/* All ones: the device no longer answers */
	if (raw == U32_MAX)
		return -EIO;
	/* Temperatures are signed; power fits a long on 64-bit machines */
	*val = type == hwmon_temp ? (long)(s32)raw : (long)raw * scale;
	return 0;
}

static int trn_hwmon_write(struct device *dev, enum hwmon_sensor_types type,
			   u32 attr, int channel, long val)
{
	if (type != hwmon_power)
		return -EOPNOTSUPP;
	return trn_power_hwmon_write(dev_get_drvdata(dev), attr, val);
}

static int trn_hwmon_read_string(struct device *dev,
				 enum hwmon_sensor_types type, u32 attr,
				 int channel, const char **str)
{
	if (type != hwmon_temp || attr != hwmon_temp_label)
		return -EOPNOTSUPP;
	*str = "chip";
	return 0;
}

static const struct hwmon_channel_info * const trn_hwmon_info[] = {
	HWMON_CHANNEL_INFO(temp, HWMON_T_INPUT | HWMON_T_MAX | HWMON_T_CRIT |
			   HWMON_T_LABEL),
	HWMON_CHANNEL_INFO(power, HWMON_P_INPUT | HWMON_P_RATED_MAX |
			   HWMON_P_CAP | HWMON_P_CAP_MIN | HWMON_P_CAP_MAX),
	NULL
};

static const struct hwmon_ops trn_hwmon_ops = {
	.is_visible = trn_hwmon_visible,
	.read = trn_hwmon_read,
	.write = trn_hwmon_write,
	.read_string = trn_hwmon_read_string,
};

static const struct hwmon_chip_info trn_hwmon_chip = {
	.ops = &trn_hwmon_ops,
	.info = trn_hwmon_info,
};

/**
 * trn_stats_init() - the bases of the counters, and the hwmon device
 * @tdev: the device, its queues initialized
 *
 * The counters start from what the device shows after its reset at probe.
 * Everything is undone by managed actions.
 *
 * Return: 0 or a negative error code.
 */
int trn_stats_init(struct trn_device *tdev)
{
	struct device *dev = &tdev->pdev->dev;
	struct device *hwmon;
	int ret;

	ret = drmm_mutex_init(&tdev->drm, &tdev->stats_lock);
	if (ret)
		return ret;
	tdev->core_base = drmm_kcalloc(&tdev->drm, (size_t)tdev->num_cores * TRN_CORE_COUNTERS,
				       sizeof(*tdev->core_base), GFP_KERNEL);
	if (!tdev->core_base)
		return -ENOMEM;
	if (!(tdev->hw_caps & TRN_CAP_HEALTH) || !IS_REACHABLE(CONFIG_HWMON))
		return 0;
	hwmon = devm_hwmon_device_register_with_info(dev, TRN_DRIVER_NAME, tdev,
						     &trn_hwmon_chip, NULL);
	return PTR_ERR_OR_ZERO(hwmon);
}
ALLOW_ERROR_INJECTION(trn_stats_init, ERRNO);
