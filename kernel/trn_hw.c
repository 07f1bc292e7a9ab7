// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/device.h>
#include <linux/error-injection.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/pci.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "trn_drv.h"
#include "trn_hw.h"
#include "trn_link.h"
#include "trn_regs.h"

#define TRN_RESET_TIMEOUT_US	100000
#define TRN_IRQ_TEST_TIMEOUT_MS	1000
#define TRN_SCRATCH_PATTERN	0xa5c3e10fU

/*
 * Hardware waits are functions of their own, marked for fault injection
 * (CONFIG_FUNCTION_ERROR_INJECTION, Documentation/fault-injection/): the
 * tests make them time out to exercise what follows.
 */
static noinline int trn_hw_wait_ready(struct trn_device *tdev, u32 *status)
{
	return readl_poll_timeout(tdev->regs + TRN_REG_STATUS, *status,
				  *status & TRN_STATUS_READY, 10,
				  TRN_RESET_TIMEOUT_US);
}
ALLOW_ERROR_INJECTION(trn_hw_wait_ready, ERRNO);

static int trn_hw_reset(struct trn_device *tdev)
{
	u32 status = 0;
	int ret;

	trn_write32(tdev, TRN_REG_RESET, TRN_RESET_KEY);
	ret = trn_hw_wait_ready(tdev, &status);
	if (ret)
		drm_err(&tdev->drm, "device not ready %u ms after reset (status 0x%08x)\n",
			TRN_RESET_TIMEOUT_US / 1000, status);
	return ret;
}

static void trn_hw_srcu_fini(struct drm_device *drm, void *arg)
{
	struct trn_device *tdev = arg;

	cleanup_srcu_struct(&tdev->reset_srcu);
}

/**
 * trn_hw_init() - identify the device and bring it to a known state
 * @tdev: the device, with BAR0 mapped
 *
 * Checks the identity magic and the interface version before anything else
 * is touched, so that a device the driver does not understand is left alone.
 *
 * Return: 0 on success, -ENODEV for a device of the wrong kind or version,
 * -EIO if it does not respond correctly.
 */
int trn_hw_init(struct trn_device *tdev)
{
	u32 magic, version, scratch;
	int ret;

	init_waitqueue_head(&tdev->reset_wq);
	ret = init_srcu_struct(&tdev->reset_srcu);
	if (ret)
		return ret;
	ret = drmm_add_action_or_reset(&tdev->drm, trn_hw_srcu_fini, tdev);
	if (ret)
		return ret;

	magic = trn_read32(tdev, TRN_REG_MAGIC);
	if (magic != TRN_MAGIC) {
		drm_err(&tdev->drm, "bad identity magic 0x%08x (expected 0x%08x): not a trn device, or it does not respond\n",
			magic, TRN_MAGIC);
		return -ENODEV;
	}

	version = trn_read32(tdev, TRN_REG_VERSION);
	if (TRN_VERSION_GET_MAJOR(version) != TRN_VERSION_MAJOR) {
		drm_err(&tdev->drm, "unsupported hardware interface version %u.%u (this driver supports %u.x)\n",
			TRN_VERSION_GET_MAJOR(version),
			TRN_VERSION_GET_MINOR(version), TRN_VERSION_MAJOR);
		return -ENODEV;
	}
	tdev->hw_version = version;

	ret = trn_hw_reset(tdev);
	if (ret)
		return ret;

	trn_write32(tdev, TRN_REG_SCRATCH, TRN_SCRATCH_PATTERN);
	scratch = trn_read32(tdev, TRN_REG_SCRATCH);
	if (scratch != TRN_SCRATCH_PATTERN) {
		drm_err(&tdev->drm, "scratch register test failed: wrote 0x%08x, read 0x%08x\n",
			TRN_SCRATCH_PATTERN, scratch);
		return -EIO;
	}
	trn_write32(tdev, TRN_REG_SCRATCH, 0);

	tdev->hw_caps = trn_read64(tdev, TRN_REG_CAPS);
	tdev->chip_id = trn_read32(tdev, TRN_REG_CHIP_ID);
	/* Interface 1.9: chip ids are unique within a host of a rack. */
	tdev->host_id = tdev->hw_caps & TRN_CAP_RACK ?
			trn_read32(tdev, TRN_REG_HOST_ID) : 0;
	tdev->num_cores = trn_read32(tdev, TRN_REG_NUM_CORES);
	tdev->hbm_size = trn_read64(tdev, TRN_REG_HBM_SIZE);
	/* Interface 1.7: which device this is, and its firmware. */
	if (tdev->hw_caps & TRN_CAP_INVENTORY) {
		tdev->serial = trn_read64(tdev, TRN_REG_SERIAL) & TRN_SERIAL_MASK;
		tdev->fw_version = trn_read32(tdev, TRN_REG_FW_VERSION);
	}

	/* The core register blocks end where the link blocks begin. */
	if (!tdev->num_cores || !tdev->hbm_size ||
	    tdev->num_cores > (TRN_BLOCK_LINK - TRN_BLOCK_CORE) / TRN_CORE_STRIDE) {
		drm_err(&tdev->drm, "device reports %u cores and %llu bytes of HBM\n",
			tdev->num_cores, tdev->hbm_size);
		return -EIO;
	}
	if (tdev->num_cores > TRN_MAX_CORES) {
		drm_warn(&tdev->drm, "device reports %u NeuronCores, using %u\n",
			 tdev->num_cores, TRN_MAX_CORES);
		tdev->num_cores = TRN_MAX_CORES;
	}
	if ((tdev->hw_caps & TRN_CAP_HBM_BAR) &&
	    tdev->hbm_size > pci_resource_len(tdev->pdev, TRN_BAR_HBM)) {
		drm_err(&tdev->drm, "HBM size %llu exceeds BAR%d (%llu bytes)\n",
			tdev->hbm_size, TRN_BAR_HBM,
			(u64)pci_resource_len(tdev->pdev, TRN_BAR_HBM));
		return -EIO;
	}
	return 0;
}
ALLOW_ERROR_INJECTION(trn_hw_init, ERRNO);

/**
 * trn_hw_enter() - begin writes to device memory or registers that a reset
 *	must not lose
 * @tdev: the device
 *
 * From the start of a reset until its end the device may not decode its
 * BARs, and writes to it are lost: a page table entry cleared then would
 * come back after the reset. Page table updates and clears of device memory
 * are made between trn_hw_enter() and trn_hw_exit(); they wait for a reset
 * in progress to end, and a reset waits for them. Sleeps; not nested.
 *
 * Return: the index to give trn_hw_exit().
 */
int trn_hw_enter(struct trn_device *tdev)
	__acquires(&tdev->reset_srcu)
{
	int idx;

	for (;;) {
		wait_event(tdev->reset_wq, !READ_ONCE(tdev->resetting));
		idx = srcu_read_lock(&tdev->reset_srcu);
		if (!READ_ONCE(tdev->resetting))
			return idx;
		srcu_read_unlock(&tdev->reset_srcu, idx);
	}
}

/**
 * trn_hw_exit() - end what trn_hw_enter() began
 * @tdev: the device
 * @idx: what trn_hw_enter() returned
 */
void trn_hw_exit(struct trn_device *tdev, int idx)
	__releases(&tdev->reset_srcu)
{
	srcu_read_unlock(&tdev->reset_srcu, idx);
}

/**
 * trn_hw_block() - a reset begins: wait for the writes under way, hold new ones
 * @tdev: the device
 */
void trn_hw_block(struct trn_device *tdev)
{
	WRITE_ONCE(tdev->resetting, true);
	synchronize_srcu(&tdev->reset_srcu);
}

/**
 * trn_hw_unblock() - the device decodes its BARs again: let the writes go on
 * @tdev: the device
 */
void trn_hw_unblock(struct trn_device *tdev)
{
	WRITE_ONCE(tdev->resetting, false);
	wake_up_all(&tdev->reset_wq);
}

/**
 * trn_hw_restart() - bring a device back to a known state after a reset
 * @tdev: the device, bound, its queues suspended
 *
 * After an FLR or a reset of its link the device has lost the state the
 * driver gave its registers; its memory is kept. This checks that it is the
 * same device, resets it once more (the recovery of a non-fatal error resets
 * nothing itself) and enables the interrupts trn_irq_init() enabled. The
 * link ports, the export space and the queues are restored by their own
 * files.
 *
 * Return: 0, or -EIO if the device does not answer or is not ready.
 */
int trn_hw_restart(struct trn_device *tdev)
{
	u32 magic, version;

	magic = trn_read32(tdev, TRN_REG_MAGIC);
	version = trn_read32(tdev, TRN_REG_VERSION);
	if (magic != TRN_MAGIC || version != tdev->hw_version) {
		drm_err(&tdev->drm, "device not back after reset: identity 0x%08x, interface 0x%08x\n",
			magic, version);
		return -EIO;
	}
	if (trn_hw_reset(tdev))
		return -EIO;
	trn_write32(tdev, TRN_REG_IRQ_MASK, TRN_IRQ_TEST);
	return 0;
}

static irqreturn_t trn_irq_misc(int irq, void *arg)
{
	struct trn_device *tdev = arg;
	u32 cause;

	cause = trn_read32(tdev, TRN_REG_IRQ_CAUSE);
	/* All ones: the device has fallen off the bus. */
	if (!cause || cause == U32_MAX)
		return IRQ_NONE;
	trn_write32(tdev, TRN_REG_IRQ_CAUSE, cause);

	if (cause & TRN_IRQ_TEST)
		complete(&tdev->irq_test_done);
	if (cause & TRN_IRQ_LINK)
		trn_link_irq(tdev);
	/* The ECC log is read by trn_ecc.c, in process context. */
	if ((cause & TRN_IRQ_ECC) && !READ_ONCE(tdev->ecc_stopped))
		mod_delayed_work(tdev->wq, &tdev->ecc_work, 0);
	/* So are the throttle reasons, by trn_power.c. */
	if ((cause & TRN_IRQ_THROTTLE) && !READ_ONCE(tdev->power_stopped))
		mod_delayed_work(tdev->wq, &tdev->power_work, 0);
	return IRQ_HANDLED;
}

static void trn_irq_fini(void *arg)
{
	struct trn_device *tdev = arg;

	trn_write32(tdev, TRN_REG_IRQ_MASK, 0);
}

/* Raise the test interrupt and wait for it: proves MSI-X works end to end. */
static noinline int trn_irq_selftest(struct trn_device *tdev)
{
	reinit_completion(&tdev->irq_test_done);
	trn_write32(tdev, TRN_REG_IRQ_TEST, 1);
	if (!wait_for_completion_timeout(&tdev->irq_test_done,
					 msecs_to_jiffies(TRN_IRQ_TEST_TIMEOUT_MS))) {
		drm_err(&tdev->drm, "interrupt self-test: no MSI-X interrupt within %u ms\n",
			TRN_IRQ_TEST_TIMEOUT_MS);
		return -EIO;
	}
	return 0;
}
ALLOW_ERROR_INJECTION(trn_irq_selftest, ERRNO);

/**
 * trn_irq_init() - enable MSI-X, install the handlers and test delivery
 * @tdev: the device, after trn_hw_init()
 *
 * Everything is device-managed; on unbind the device's interrupt mask is
 * cleared before the handlers are released.
 *
 * Return: 0 or a negative error code.
 */
int trn_irq_init(struct trn_device *tdev)
{
	struct pci_dev *pdev = tdev->pdev;
	struct device *dev = &pdev->dev;
	u32 nvec = trn_read32(tdev, TRN_REG_MSIX_VECTORS);
	const char *name;
	int ret;

	if (nvec <= TRN_MSIX_VEC_MISC) {
		drm_err(&tdev->drm, "device offers %u MSI-X vectors\n", nvec);
		return -EIO;
	}
	ret = pci_alloc_irq_vectors(pdev, 1, nvec, PCI_IRQ_MSIX);
	if (ret < 0) {
		drm_err(&tdev->drm, "cannot enable MSI-X: %d\n", ret);
		return ret;
	}
	tdev->nvec = ret;

	init_completion(&tdev->irq_test_done);
	name = devm_kasprintf(dev, GFP_KERNEL, "trn-misc@%s", pci_name(pdev));
	if (!name)
		return -ENOMEM;
	ret = devm_request_irq(dev, pci_irq_vector(pdev, TRN_MSIX_VEC_MISC),
			       trn_irq_misc, 0, name, tdev);
	if (ret)
		return ret;
	ret = devm_add_action_or_reset(dev, trn_irq_fini, tdev);
	if (ret)
		return ret;

	/*
	 * trn_link_init() adds TRN_IRQ_LINK on devices with link ports. The
	 * ECC log, read at bind (trn_ecc_init()), is read again after each
	 * TRN_IRQ_ECC, and once now: an error may have come since. So are the
	 * throttle reasons after TRN_IRQ_THROTTLE (trn_power.c).
	 */
	trn_write32(tdev, TRN_REG_IRQ_MASK, TRN_IRQ_TEST |
		    (tdev->ecc_log_size ? TRN_IRQ_ECC : 0) |
		    (tdev->power_stopped ? 0 : TRN_IRQ_THROTTLE));
	if (tdev->ecc_log_size)
		mod_delayed_work(tdev->wq, &tdev->ecc_work, 0);
	if (!tdev->power_stopped)
		mod_delayed_work(tdev->wq, &tdev->power_work, 0);
	if (!(tdev->hw_caps & TRN_CAP_IRQ_TEST))
		return 0;
	return trn_irq_selftest(tdev);
}
ALLOW_ERROR_INJECTION(trn_irq_init, ERRNO);
