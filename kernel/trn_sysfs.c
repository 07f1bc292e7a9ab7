// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "trn_drv.h"
#include "trn_regs.h"
#include "trn_sysfs.h"

/*
 * Read-only facts about the device, on the PCI device (and so also under
 * /sys/class/accel/accelN/device/), and the numbered directories of
 * attribute groups that trn_link.c and trn_stats.c describe. Documented in
 * Documentation/sysfs.rst. The driver core adds them after probe succeeds
 * and removes them before remove() runs, so the device structure is always
 * valid here.
 */

static struct trn_device *dev_to_trn(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static ssize_t chip_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_trn(dev)->chip_id);
}
static DEVICE_ATTR_RO(chip_id);

static ssize_t host_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_trn(dev)->host_id);
}
static DEVICE_ATTR_RO(host_id);

static ssize_t neuron_cores_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_trn(dev)->num_cores);
}
static DEVICE_ATTR_RO(neuron_cores);

static ssize_t hbm_size_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", dev_to_trn(dev)->hbm_size);
}
static DEVICE_ATTR_RO(hbm_size);

static ssize_t hw_version_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	u32 v = dev_to_trn(dev)->hw_version;

	return sysfs_emit(buf, "%u.%u\n", TRN_VERSION_GET_MAJOR(v),
			  TRN_VERSION_GET_MINOR(v));
}
static DEVICE_ATTR_RO(hw_version);

static ssize_t hw_caps_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "0x%016llx\n", dev_to_trn(dev)->hw_caps);
}
static DEVICE_ATTR_RO(hw_caps);

static ssize_t dma_queues_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_trn(dev)->num_dma_queues);
}
static DEVICE_ATTR_RO(dma_queues);

static ssize_t dma_engines_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_trn(dev)->dma_engines);
}
static DEVICE_ATTR_RO(dma_engines);

static ssize_t hbm_used_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct trn_device *tdev = dev_to_trn(dev);
	u64 used;

	mutex_lock(&tdev->hbm_lock);
	used = tdev->hbm_used;
	mutex_unlock(&tdev->hbm_lock);
	return sysfs_emit(buf, "%llu\n", used);
}
static DEVICE_ATTR_RO(hbm_used);

static ssize_t host_used_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&dev_to_trn(dev)->host_used));
}
static DEVICE_ATTR_RO(host_used);

static ssize_t buffer_objects_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&dev_to_trn(dev)->num_bos));
}
static DEVICE_ATTR_RO(buffer_objects);

static ssize_t address_spaces_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_trn(dev)->num_asids);
}
static DEVICE_ATTR_RO(address_spaces);

static ssize_t address_spaces_used_show(struct device *dev,
					struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&dev_to_trn(dev)->num_spaces));
}
static DEVICE_ATTR_RO(address_spaces_used);

static ssize_t num_links_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_trn(dev)->num_links);
}
static DEVICE_ATTR_RO(num_links);

static ssize_t reset_count_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&dev_to_trn(dev)->reset_count));
}
static DEVICE_ATTR_RO(reset_count);

/*
 * Identity (interface 1.7): the serial number as 12 hexadecimal digits, and
 * a UUID made of the PCI IDs and the serial number (Documentation/sysfs.rst),
 * which firmware updates leave alone.
 */
static ssize_t serial_number_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%012llX\n", dev_to_trn(dev)->serial);
}
static DEVICE_ATTR_RO(serial_number);

static ssize_t uuid_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%04x%04x-0000-8000-8000-%012llx\n",
			  TRN_PCI_VENDOR_ID, TRN_PCI_DEVICE_ID,
			  dev_to_trn(dev)->serial);
}
static DEVICE_ATTR_RO(uuid);

static ssize_t firmware_version_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	u32 v = dev_to_trn(dev)->fw_version;

	return sysfs_emit(buf, "%u.%u.%u\n", TRN_FW_VERSION_GET_MAJOR(v),
			  TRN_FW_VERSION_GET_MINOR(v), TRN_FW_VERSION_GET_PATCH(v));
}
static DEVICE_ATTR_RO(firmware_version);

static struct attribute *trn_attrs[] = {
	&dev_attr_chip_id.attr,
	&dev_attr_host_id.attr,
	&dev_attr_neuron_cores.attr,
	&dev_attr_hbm_size.attr,
	&dev_attr_hw_version.attr,
	&dev_attr_hw_caps.attr,
	&dev_attr_dma_queues.attr,
	&dev_attr_dma_engines.attr,
	&dev_attr_hbm_used.attr,
	&dev_attr_host_used.attr,
	&dev_attr_buffer_objects.attr,
	&dev_attr_address_spaces.attr,
	&dev_attr_address_spaces_used.attr,
	&dev_attr_num_links.attr,
	&dev_attr_reset_count.attr,
	&dev_attr_serial_number.attr,
	&dev_attr_uuid.attr,
	&dev_attr_firmware_version.attr,
	NULL
};

/* A device without TRN_CAP_INVENTORY has no identity to show. */
static umode_t trn_attr_visible(struct kobject *kobj, struct attribute *attr,
				int n)
{
	struct trn_device *tdev = dev_to_trn(kobj_to_dev(kobj));

	if ((attr == &dev_attr_serial_number.attr || attr == &dev_attr_uuid.attr ||
	     attr == &dev_attr_firmware_version.attr) &&
	    !(tdev->hw_caps & TRN_CAP_INVENTORY))
		return 0;
	return attr->mode;
}

const struct attribute_group trn_sysfs_group = {
	.attrs = trn_attrs,
	.is_visible = trn_attr_visible,
};

/**
 * trn_sysfs_fill_dirs() - module load: fill in numbered directories
 * @d: the directories, with room for their groups
 * @out: receives a pointer to each of the @d->count groups
 *
 * The groups are the same for every device, which @d->is_visible trims to
 * what the device has; they go in the PCI driver's dev_groups.
 */
void __init trn_sysfs_fill_dirs(const struct trn_sysfs_dirs *d,
				const struct attribute_group **out)
{
	unsigned int i, f;

	for (i = 0; i < d->count; i++) {
		struct attribute **list = &d->lists[i * (d->nfiles + 1)];

		for (f = 0; f < d->nfiles; f++) {
			struct trn_sysfs_attr *a = &d->attrs[i * d->nfiles + f];

			a->dattr.attr.name = d->files[f].name;
			a->dattr.attr.mode = d->files[f].mode;
			a->dattr.show = d->show;
			a->dattr.store = d->store;
			a->index = i;
			a->file = f;
			list[f] = &a->dattr.attr;
		}
		snprintf(d->names[i], sizeof(d->names[i]), "%s%u", d->prefix, i);
		d->groups[i].name = d->names[i];
		d->groups[i].attrs = list;
		d->groups[i].is_visible = d->is_visible;
		out[i] = &d->groups[i];
	}
}
