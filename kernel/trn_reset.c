// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/pci.h>
#include <drm/drm_print.h>

#include "trn_drv.h"
#include "trn_hw.h"
#include "trn_job.h"
#include "trn_link.h"
#include "trn_peer.h"
#include "trn_reset.h"
#include "trn_stats.h"

/*
 * Resets that come from outside the driver, through the PCI core: a
 * function level reset asked for with /sys/bus/pci/devices/.../reset (what
 * nrt-reset does), and the recovery of a PCIe error reported by AER. The
 * PCI core holds the device lock around every call, so they never overlap
 * each other, probe or removal.
 *
 * Before the reset the queues are suspended: the schedulers hold the jobs
 * that have not reached a ring, and the device is stopped if it still
 * answers. After it the driver checks that the device is back, writes again
 * what it had set in its registers (interrupt masks, link ports, the export
 * space), fails the jobs that were in the rings with -ECANCELED (they may
 * have partly run: they are never run again) and lets the others run. The
 * device's memory is kept: buffer objects, page tables and peer imports
 * survive, semaphores do not. A device that does not come back is wedged:
 * every job fails at once with -EIO until a reset that succeeds or a rebind.
 */

/* What the reset cleared, written again; 0 or -EIO if the device is not back. */
static int trn_reset_restore(struct trn_device *tdev)
{
	int ret;

	atomic_inc(&tdev->reset_count);
	ret = trn_hw_restart(tdev);
	if (ret)
		return ret;
	trn_link_restart(tdev);
	trn_peer_restart(tdev);
	trn_stats_restart(tdev);
	return 0;
}

static void trn_reset_report(struct trn_device *tdev, const char *what, int ret)
{
	if (ret)
		drm_err(&tdev->drm, "%s: the device did not come back; every job fails until it is reset again or rebound\n",
			what);
	else
		drm_info(&tdev->drm, "%s: the device is back; the jobs it was running failed\n",
			 what);
}

/* A function level reset comes: stop the queues. */
static void trn_reset_prepare(struct pci_dev *pdev)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);

	/* Within an AER recovery the queues are already suspended. */
	if (tdev->recovering)
		return;
	trn_queues_suspend(tdev, true);
}

static void trn_reset_done(struct pci_dev *pdev)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);
	int ret;

	/* Within an AER recovery, slot_reset() restores the device. */
	if (tdev->recovering)
		return;
	ret = trn_reset_restore(tdev);
	/* The PCI core restored the saved state, which it then forgets. */
	pci_save_state(pdev);
	trn_queues_resume(tdev, !ret);
	trn_reset_report(tdev, "function level reset", ret);
}

static pci_ers_result_t trn_error_detected(struct pci_dev *pdev,
					   pci_channel_state_t state)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);

	if (state == pci_channel_io_perm_failure) {
		drm_err(&tdev->drm, "PCIe error: the device is lost; every job fails until it is rebound\n");
		trn_queues_suspend(tdev, false);
		trn_queues_resume(tdev, false);
		return PCI_ERS_RESULT_DISCONNECT;
	}
	drm_err(&tdev->drm, "PCIe error (%s): resetting the device\n",
		state == pci_channel_io_frozen ? "fatal, link frozen" : "non-fatal");
	tdev->recovering = true;
	trn_queues_suspend(tdev, state == pci_channel_io_normal);
	return PCI_ERS_RESULT_NEED_RESET;
}

/*
 * After the link's reset (fatal errors), or before any reset at all
 * (non-fatal ones): trn_hw_restart() resets the device itself in both cases.
 */
static pci_ers_result_t trn_slot_reset(struct pci_dev *pdev)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);
	int ret;

	/* A reset of the link cleared the configuration space too. */
	pci_restore_state(pdev);
	pci_save_state(pdev);
	ret = trn_reset_restore(tdev);
	if (ret) {
		tdev->recovering = false;
		trn_queues_resume(tdev, false);
		trn_reset_report(tdev, "PCIe error recovery", ret);
		return PCI_ERS_RESULT_DISCONNECT;
	}
	return PCI_ERS_RESULT_RECOVERED;
}

static void trn_error_resume(struct pci_dev *pdev)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);

	tdev->recovering = false;
	trn_queues_resume(tdev, true);
	trn_reset_report(tdev, "PCIe error recovery", 0);
}

const struct pci_error_handlers trn_err_handlers = {
	.error_detected = trn_error_detected,
	.slot_reset = trn_slot_reset,
	.resume = trn_error_resume,
	.reset_prepare = trn_reset_prepare,
	.reset_done = trn_reset_done,
};
