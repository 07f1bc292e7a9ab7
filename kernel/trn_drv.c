// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_accel.h>
#include <drm/drm_print.h>
#include <drm/trn_accel.h>

#include "trn_drv.h"
#include "trn_ecc.h"
#include "trn_event.h"
#include "trn_file.h"
#include "trn_gem.h"
#include "trn_hw.h"
#include "trn_job.h"
#include "trn_link.h"
#include "trn_mem.h"
#include "trn_mode.h"
#include "trn_peer.h"
#include "trn_power.h"
#include "trn_regs.h"
#include "trn_reset.h"
#include "trn_stats.h"
#include "trn_sysfs.h"
#include "trn_user.h"
#include "trn_vm.h"

/*
 * The PCI driver and the DRM device: probe and removal, the ioctl table,
 * open and close. The rest of trn.ko, one header per file, each using only
 * files listed after it:
 *
 *   trn_reset  resets from the PCI core: FLR and PCIe error recovery;
 *              the driver's own reset of a hung device
 *   trn_ecc    uncorrectable memory errors: page retirement, events
 *   trn_peer   peer DMA: a device's export space, imports of other
 *              devices' objects
 *   trn_gem    buffer objects: HBM, host (drm_gem_shmem), CPU mappings,
 *              dma-buf export
 *   trn_stats  counters: stats/, core<c>/, hwmon
 *   trn_power  the power cap (hwmon power1_cap) and throttling: reasons,
 *              log lines, uevents
 *   trn_submit the SUBMIT ioctl: descriptors checked, jobs made
 *   trn_job    queues and their schedulers, recovery; how files share
 *              a ring (trn_share)
 *   trn_mode   compute modes: a device or a NeuronCore shared or held by
 *              one file
 *   trn_fence  fences that outlive the device and the module
 *   trn_file   an open file: scheduler entities, accounting, fdinfo, the
 *              WAIT ioctl on its syncobjs; it holds its address space
 *   trn_vm     address spaces: ASID and semaphores, VA allocator, page
 *              tables, the last fence per queue
 *   trn_user   quotas: what each user holds of the device
 *   trn_mem    the HBM allocator
 *   trn_hw     identity, reset, interrupts
 *   trn_link   NeuronLink ports: link<p>/, uevents, the trn_link family
 *              (its policies and op table generated in trn_link_nl)
 *   trn_sysfs  the device's attributes, and numbered directories of
 *              attribute groups (link<p>/, core<c>/)
 *
 * trn_drv.h holds struct trn_device, which they all use; trn_event.h the
 * kernel log lines that carry an event code (enum drm_trn_event).
 */

static int trn_query_device_info(struct trn_device *tdev, void *out)
{
	struct drm_trn_device_info *info = out;

	info->chip_id = tdev->chip_id;
	info->num_cores = tdev->num_cores;
	info->hbm_size = tdev->hbm_size;
	info->hw_version_major = TRN_VERSION_GET_MAJOR(tdev->hw_version);
	info->hw_version_minor = TRN_VERSION_GET_MINOR(tdev->hw_version);
	info->hw_caps = tdev->hw_caps;
	info->driver_version_major = TRN_DRIVER_MAJOR;
	info->driver_version_minor = TRN_DRIVER_MINOR;
	info->driver_version_patch = TRN_DRIVER_PATCH;
	info->dma_engines = tdev->dma_engines;
	info->dma_queues = tdev->num_dma_queues;
	info->va_start = TRN_VA_START;
	info->va_end = 1ULL << TRN_VA_BITS;
	info->max_descs = TRN_MAX_USER_DESCS;
	info->num_sems = tdev->num_sems;
	info->core_queues = tdev->num_core_queues;
	info->fw_version = tdev->fw_version;
	info->serial = tdev->serial;
	return 0;
}

static const struct {
	u32 size;
	int (*fill)(struct trn_device *tdev, void *out);
} trn_queries[] = {
	[DRM_TRN_QUERY_DEVICE_INFO] = {
		.size = sizeof(struct drm_trn_device_info),
		.fill = trn_query_device_info,
	},
};

static int trn_ioctl_query(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct trn_device *tdev = to_trn_device(drm);
	struct drm_trn_query *args = data;
	union {
		struct drm_trn_device_info device_info;
	} result = {};
	u32 len;
	int ret, idx;

	if (args->flags || args->pad)
		return -EINVAL;
	if (args->query >= ARRAY_SIZE(trn_queries) || !trn_queries[args->query].fill)
		return -EINVAL;

	if (!args->size) {
		args->size = trn_queries[args->query].size;
		return 0;
	}

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = trn_queries[args->query].fill(tdev, &result);
	drm_dev_exit(idx);
	if (ret)
		return ret;

	len = min(args->size, trn_queries[args->query].size);
	if (copy_to_user(u64_to_user_ptr(args->data), &result, len))
		return -EFAULT;
	args->size = len;
	return 0;
}

static const struct drm_ioctl_desc trn_ioctls[] = {
	DRM_IOCTL_DEF_DRV(TRN_QUERY, trn_ioctl_query, 0),
	DRM_IOCTL_DEF_DRV(TRN_BO_CREATE, trn_ioctl_bo_create, 0),
	DRM_IOCTL_DEF_DRV(TRN_BO_INFO, trn_ioctl_bo_info, 0),
	DRM_IOCTL_DEF_DRV(TRN_SUBMIT, trn_ioctl_submit, 0),
	DRM_IOCTL_DEF_DRV(TRN_PEER_IMPORT, trn_ioctl_peer_import, 0),
	DRM_IOCTL_DEF_DRV(TRN_WAIT, trn_ioctl_wait, 0),
};

static int trn_open(struct drm_device *drm, struct drm_file *file)
{
	struct trn_device *tdev = to_trn_device(drm);
	struct trn_file_priv *fpriv;
	int ret;

	ret = trn_mode_open(tdev);
	if (ret)
		return ret;
	fpriv = trn_file_create(tdev);
	if (IS_ERR(fpriv)) {
		trn_mode_close(tdev, NULL);
		return PTR_ERR(fpriv);
	}
	file->driver_priv = fpriv;
	return 0;
}

static void trn_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	trn_file_show_fdinfo(p, file->driver_priv);
}

static void trn_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct trn_file_priv *fpriv = file->driver_priv;

	trn_job_file_close(fpriv);
	trn_mode_close(fpriv->tdev, fpriv);
	trn_file_put(fpriv);
}

static const struct file_operations trn_accel_fops = {
	.owner = THIS_MODULE,
	DRM_ACCEL_FOPS,
	.show_fdinfo = drm_show_fdinfo,
};

static const struct drm_driver trn_drm_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM | DRIVER_SYNCOBJ |
			   DRIVER_SYNCOBJ_TIMELINE,
	.open = trn_open,
	.gem_create_object = trn_gem_create_object,
	.postclose = trn_postclose,
	.show_fdinfo = trn_show_fdinfo,
	.fops = &trn_accel_fops,
	.ioctls = trn_ioctls,
	.num_ioctls = ARRAY_SIZE(trn_ioctls),
	.name = TRN_DRIVER_NAME,
	.desc = TRN_DRIVER_DESC,
#ifdef TRN_HAVE_DRM_DRIVER_DATE
	.date = "20261126",
#endif
	.major = TRN_DRIVER_MAJOR,
	.minor = TRN_DRIVER_MINOR,
	.patchlevel = TRN_DRIVER_PATCH,
};

static void trn_wq_fini(void *wq)
{
	destroy_workqueue(wq);
}

static int trn_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct trn_device *tdev;
	int ret;

	tdev = devm_drm_dev_alloc(dev, &trn_drm_driver, struct trn_device, drm);
	if (IS_ERR(tdev))
		return PTR_ERR(tdev);
	tdev->pdev = pdev;
	pci_set_drvdata(pdev, tdev);
	trn_event_init(tdev);

	ret = pcim_enable_device(pdev);
	if (ret) {
		dev_err(dev, "cannot enable PCI device: %d\n", ret);
		return ret;
	}

	/* Page table entries hold 52-bit addresses. */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(52));
	if (ret) {
		dev_err(dev, "no usable DMA configuration: %d\n", ret);
		return ret;
	}
	dma_set_max_seg_size(dev, UINT_MAX);

	tdev->regs = pcim_iomap_region(pdev, TRN_BAR_REGS, TRN_DRIVER_NAME);
	if (IS_ERR(tdev->regs)) {
		ret = PTR_ERR(tdev->regs);
		dev_err(dev, "cannot map BAR%d: %d\n", TRN_BAR_REGS, ret);
		return ret;
	}
	ret = trn_hw_init(tdev);
	if (ret)
		return ret;
	/* Bus mastering only once the reset has stopped whatever ran before. */
	pci_set_master(pdev);

	if ((tdev->hw_caps & (TRN_CAP_HBM_BAR | TRN_CAP_DMA | TRN_CAP_MMU)) !=
	    (TRN_CAP_HBM_BAR | TRN_CAP_DMA | TRN_CAP_MMU)) {
		drm_err(&tdev->drm, "device lacks HBM BAR, DMA or MMU (capabilities 0x%llx)\n",
			tdev->hw_caps);
		return -ENODEV;
	}
	ret = pcim_request_region(pdev, TRN_BAR_HBM, TRN_DRIVER_NAME);
	if (ret) {
		dev_err(dev, "cannot reserve BAR%d: %d\n", TRN_BAR_HBM, ret);
		return ret;
	}
	tdev->hbm_bus = pci_resource_start(pdev, TRN_BAR_HBM);
	tdev->hbm_io = devm_ioremap_wc(dev, tdev->hbm_bus, tdev->hbm_size);
	if (!tdev->hbm_io) {
		dev_err(dev, "cannot map BAR%d\n", TRN_BAR_HBM);
		return -ENOMEM;
	}
	ret = trn_hbm_init(tdev);
	if (ret)
		return ret;
	ret = trn_users_init(tdev);
	if (ret)
		return ret;

	/* Outlives the interrupt handlers and the work items that queue on it. */
	tdev->wq = alloc_workqueue("trn-%s", WQ_UNBOUND | WQ_MEM_RECLAIM, 0, pci_name(pdev));
	if (!tdev->wq)
		return -ENOMEM;
	ret = devm_add_action_or_reset(dev, trn_wq_fini, tdev->wq);
	if (ret)
		return ret;

	/* Pages earlier errors hit leave the allocator before anything is allocated. */
	ret = trn_ecc_init(tdev);
	if (ret)
		return ret;
	/* Its work item before the interrupt handler may queue it. */
	ret = trn_power_init(tdev);
	if (ret)
		return ret;

	ret = trn_irq_init(tdev);
	if (ret)
		return ret;

	ret = trn_link_init(tdev);
	if (ret)
		return ret;

	ret = trn_queues_init(tdev);
	if (ret)
		return ret;

	ret = trn_peer_init(tdev);
	if (ret)
		return ret;

	ret = trn_stats_init(tdev);
	if (ret)
		return ret;
	ret = trn_mode_init(tdev);
	if (ret)
		return ret;
	trn_reset_init(tdev);

	ret = drm_dev_register(&tdev->drm, 0);
	if (ret) {
		drm_err(&tdev->drm, "cannot register DRM device: %d\n", ret);
		return ret;
	}
	trn_link_register(tdev);
	/* What a reset of the link restores (trn_reset.c). */
	pci_save_state(pdev);

	drm_info(&tdev->drm, "chip %u: %u NeuronCores, %llu MiB HBM, %u DMA queues, %u links, interface %u.%u\n",
		 tdev->chip_id, tdev->num_cores, tdev->hbm_size >> 20, tdev->num_dma_queues,
		 tdev->num_links,
		 TRN_VERSION_GET_MAJOR(tdev->hw_version),
		 TRN_VERSION_GET_MINOR(tdev->hw_version));
	return 0;
}

static void trn_remove(struct pci_dev *pdev)
{
	struct trn_device *tdev = pci_get_drvdata(pdev);

	/* An error recovery may be under way: it is over. */
	trn_reset_remove(tdev);
	/* Out of netlink dumps and peer lookups, no more link events. */
	trn_link_unregister(tdev);
	/* Peers lose what they imported before the memory can be reused. */
	trn_peer_remove(tdev);
	/* No DMA may run once memory starts being released on unplug. */
	trn_queues_stop(tdev);
	drm_dev_unplug(&tdev->drm);
}

/*
 * The attribute groups of a bound device, created by the driver core before
 * it announces the binding: the device's attributes (trn_sysfs.c), its
 * compute mode (trn_mode.c), stats/, the ECC attributes (trn_ecc.c),
 * throttle_reasons (trn_power.c), link<p>/ and core<c>/. Filled in at
 * module load; NULL-terminated.
 */
static const struct attribute_group
	*trn_groups[5 + TRN_MAX_LINKS + TRN_MAX_CORES + 1] __ro_after_init;

static void __init trn_groups_setup(void)
{
	const struct attribute_group **g = trn_groups;

	*g++ = &trn_sysfs_group;
	*g++ = &trn_mode_group;
	*g++ = &trn_stats_group;
	*g++ = &trn_ecc_group;
	*g++ = &trn_power_group;
	trn_sysfs_fill_dirs(&trn_link_dirs, g);
	g += TRN_MAX_LINKS;
	trn_sysfs_fill_dirs(&trn_core_dirs, g);
}

static const struct pci_device_id trn_pci_ids[] = {
	{ PCI_DEVICE(TRN_PCI_VENDOR_ID, TRN_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, trn_pci_ids);

static struct pci_driver trn_pci_driver = {
	.name = TRN_DRIVER_NAME,
	.id_table = trn_pci_ids,
	.probe = trn_probe,
	.remove = trn_remove,
	.err_handler = &trn_err_handlers,
	.dev_groups = trn_groups,
};

static int __init trn_init(void)
{
	int ret;

	trn_groups_setup();
	ret = trn_gem_init();
	if (ret)
		return ret;
	ret = trn_link_genl_init();
	if (ret)
		goto err_gem;
	ret = pci_register_driver(&trn_pci_driver);
	if (ret)
		goto err_genl;
	return 0;

err_genl:
	trn_link_genl_exit();
err_gem:
	trn_gem_exit();
	return ret;
}
module_init(trn_init);

static void __exit trn_exit(void)
{
	pci_unregister_driver(&trn_pci_driver);
	trn_link_genl_exit();
	trn_gem_exit();
	/* The last fences' RCU callbacks run trn.ko's code (trn_fence.c). */
	rcu_barrier();
}
module_exit(trn_exit);

MODULE_DESCRIPTION("Driver for Trainium-style accelerators");
MODULE_AUTHOR("The trn authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(__stringify(TRN_DRIVER_MAJOR) "." __stringify(TRN_DRIVER_MINOR)
	       "." __stringify(TRN_DRIVER_PATCH));
