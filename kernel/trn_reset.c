// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/device.h>
#include <linux/pci.h>
#include <drm/drm_print.h>

#include "trn_compat.h"
#include "trn_drv.h"
#include "trn_ecc.h"
#include "trn_event.h"
#include "trn_hw.h"
#include "trn_job.h"
#include "trn_link.h"
#include "trn_peer.h"
#include "trn_power.h"
#include "trn_reset.h"
#include "trn_stats.h"

/*
 * Resets of the device. Most come from outside the driver, through the PCI
 * core: a function level reset asked for with /sys/bus/pci/devices/.../reset
 * (what nrt-reset does), and the recovery of a PCIe error reported by AER.
 * The PCI core holds the device lock around every call; it drops it between
 * the steps of an error recovery. The driver resets the device itself, with
 * the device lock held too, when a queue hangs (trn_reset_work()).
 *
 * Before the reset the queues are suspended (the schedulers hold the jobs
 * that have not reached a ring; the device is stopped if it still answers)
 * and writes to device memory wait (trn_hw_block()): the device may not
 * decode its BARs until the reset is over, and a page table entry cleared
 * meanwhile would come back. After it the driver checks that the device is
 * back, writes again what it had set in its registers (interrupt masks,
 * link ports, the export space), fails the jobs that were in the rings with
 * -ECANCELED (they may have partly run: they are never run again) and lets
 * the others run. The device's memory is kept: buffer objects, page tables
 * and peer imports survive, semaphores do not.
 *
 * A device that does not come back, is lost to the bus, or whose error
 * recovery the PCI core abandons is wedged: its bus mastering is turned
 * off, every job fails at once with -EIO and nothing is written to it any
 * more, until the driver is bound to it again.
 */

/* How long a PCIe error recovery may take before the driver gives up on it. */
#define TRN_RECOVERY_TIMEOUT_MS	60000

/* The device is back to decoding its BARs: restore what a reset cleared. */
static int trn_reset_restore(struct trn_device *tdev)
{
	int ret;

	atomic_inc(&tdev->reset_count);
	trn_hw_unblock(tdev);
	ret = trn_hw_restart(tdev);
	if (ret)
		return ret;
	trn_link_restart(tdev);
	trn_peer_restart(tdev);
	trn_stats_restart(tdev);
	trn_ecc_restart(tdev);
	trn_power_restart(tdev);
	return 0;
}

/*
 * Nothing reaches the device any more; every job fails. Device lock held.
 * The device did not come back and may not have stopped: with bus mastering
 * off it can no longer reach memory, so the jobs' memory may go.
 */
static void trn_reset_wedge(struct trn_device *tdev, const char *why)
{
	WRITE_ONCE(tdev->wedged, true);
	tdev->recovering = false;
	pci_clear_master(tdev->pdev);
	trn_hw_unblock(tdev);
	trn_queues_resume(tdev, false);
	trn_event_always(tdev, err, DEVICE_LOST,
			 "%s; every job fails until the driver is bound again\n",
			 why);
}

static void trn_reset_begin(struct trn_device *tdev, bool hw_ok)
{
	trn_hw_block(tdev);
	trn_queues_suspend(tdev, hw_ok);
}

/* A function level reset comes: stop the queues. */
static void trn_reset_prepare(struct pci_dev *pdev)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);

	/* Within an error recovery the queues are suspended already. */
	if (tdev->wedged || tdev->recovering)
		return;
	trn_reset_begin(tdev, true);
}

static void trn_reset_done(struct pci_dev *pdev)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);

	if (tdev->wedged)
		return;
	/* An FLR in the middle of an error recovery ends it here. */
	tdev->recovering = false;
	if (trn_reset_restore(tdev)) {
		trn_reset_wedge(tdev, "function level reset: the device did not come back");
		return;
	}
	/* The PCI core restored the saved state, which it then forgets. */
	pci_save_state(pdev);
	trn_queues_resume(tdev, true);
	trn_event_always(tdev, info, DEVICE_RESET,
			 "function level reset: the device is back; the jobs it was running failed\n");
}

static pci_ers_result_t trn_error_detected(struct pci_dev *pdev,
					   pci_channel_state_t state)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);

	if (tdev->wedged)
		return PCI_ERS_RESULT_DISCONNECT;
	if (state == pci_channel_io_perm_failure) {
		if (!tdev->recovering)
			trn_reset_begin(tdev, false);
		trn_reset_wedge(tdev, "PCIe error: the device is lost");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	trn_event(tdev, err, PCIE_ERROR, "PCIe error (%s): resetting the device\n",
		  state == pci_channel_io_frozen ? "fatal, link frozen" : "non-fatal");
	if (!tdev->recovering) {
		tdev->recovering = true;
		trn_reset_begin(tdev, state == pci_channel_io_normal);
	}
	mod_delayed_work(system_wq, &tdev->recover_work,
			 msecs_to_jiffies(TRN_RECOVERY_TIMEOUT_MS));
	return PCI_ERS_RESULT_NEED_RESET;
}

/*
 * After the link's reset (fatal errors), or with no reset at all (non-fatal
 * ones): trn_hw_restart() resets the device itself in both cases.
 */
static pci_ers_result_t trn_slot_reset(struct pci_dev *pdev)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);

	if (tdev->wedged || !tdev->recovering)
		return PCI_ERS_RESULT_DISCONNECT;
	/* A reset of the link cleared the configuration space too. */
	pci_restore_state(pdev);
	if (trn_reset_restore(tdev)) {
		trn_reset_wedge(tdev, "PCIe error recovery: the device did not come back");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	pci_save_state(pdev);
	return PCI_ERS_RESULT_RECOVERED;
}

static void trn_error_resume(struct pci_dev *pdev)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);

	if (tdev->wedged || !tdev->recovering)
		return;
	tdev->recovering = false;
	trn_queues_resume(tdev, true);
	trn_event_always(tdev, info, DEVICE_RESET,
			 "PCIe error recovery: the device is back; the jobs it was running failed\n");
}

/*
 * The PCI core tells a driver nothing when it abandons a recovery (a reset
 * of the link that failed, another device's veto): without this the queues
 * would stay suspended for good.
 */
static void trn_reset_recover_timeout(struct work_struct *work)
{
	struct trn_device *tdev = container_of(work, struct trn_device,
					       recover_work.work);
	struct device *dev = &tdev->pdev->dev;

	/* Removal holds the lock while it cancels this work. */
	if (!device_trylock(dev)) {
		mod_delayed_work(system_wq, &tdev->recover_work, HZ);
		return;
	}
	if (tdev->recovering && !tdev->wedged)
		trn_reset_wedge(tdev, "PCIe error recovery abandoned after 60 s");
	device_unlock(dev);
}

/*
 * The driver's own reset of the device (trn_device_reset_request()): a queue
 * did not stop when told to, so the jobs in its ring stay until the device
 * provably let go of their memory, or a queue timed out hang_limit times in
 * a row. The same steps as a function level reset, without the PCI core:
 * the queues suspended, the device reset through its reset register
 * (trn_hw_restart()), what the driver had set restored, the jobs that were
 * in the rings failed with -ECANCELED, the others run. Counted in
 * reset_count.
 */
static void trn_reset_work(struct work_struct *work)
{
	struct trn_device *tdev = container_of(work, struct trn_device, reset_work.work);
	struct device *dev = &tdev->pdev->dev;

	/* Removal holds the lock while it disables this work; so does an FLR. */
	if (!device_trylock(dev)) {
		mod_delayed_work(tdev->wq, &tdev->reset_work, HZ / 10);
		return;
	}
	atomic_set(&tdev->reset_pending, 0);
	/*
	 * Wedged: nothing to do; a PCIe error recovery under way resets the
	 * device itself. A queue that did not stop and is still suspended
	 * needs a reset whatever came before; otherwise a reset since the
	 * request (FLR, PCIe error recovery) met it.
	 */
	if (tdev->wedged || tdev->recovering ||
	    (!trn_queues_suspended(tdev) &&
	     atomic_read(&tdev->reset_count) != READ_ONCE(tdev->reset_asked)))
		goto out;
	drm_warn(&tdev->drm, "resetting the device: a queue hung\n");
	trn_reset_begin(tdev, true);
	if (trn_reset_restore(tdev)) {
		trn_reset_wedge(tdev, "device reset: the device did not come back");
		goto out;
	}
	trn_queues_resume(tdev, true);
	trn_event_always(tdev, info, DEVICE_RESET,
			 "device reset: the device is back; the jobs it was running failed\n");
out:
	device_unlock(dev);
}

/**
 * trn_reset_remove() - the device is being unbound, perhaps mid-recovery
 * @tdev: the device; called with the device lock held
 *
 * Writes to device memory are no longer held back; trn_queues_stop() then
 * fails what the suspended queues hold.
 */
void trn_reset_remove(struct trn_device *tdev)
{
	disable_delayed_work_sync(&tdev->recover_work);
	disable_delayed_work_sync(&tdev->reset_work);
	tdev->recovering = false;
	trn_hw_unblock(tdev);
}

/**
 * trn_reset_init() - set up the handling of resets
 * @tdev: the device
 */
void trn_reset_init(struct trn_device *tdev)
{
	INIT_DELAYED_WORK(&tdev->recover_work, trn_reset_recover_timeout);
	INIT_DELAYED_WORK(&tdev->reset_work, trn_reset_work);
}

const struct pci_error_handlers trn_err_handlers = {
	.error_detected = trn_error_detected,
	.slot_reset = trn_slot_reset,
	.resume = trn_error_resume,
	.reset_prepare = trn_reset_prepare,
	.reset_done = trn_reset_done,
};
