/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_SYSFS_H__
#define __TRN_SYSFS_H__

#include <linux/device.h>
#include <linux/sysfs.h>
#include <linux/types.h>

/* Room for the name of a numbered directory: "link15", "core63". */
#define TRN_SYSFS_NAME_LEN	16

/**
 * struct trn_sysfs_file - a file of every directory of a numbered kind
 * @name: its name
 * @mode: its mode
 */
struct trn_sysfs_file {
	const char *name;
	umode_t mode;
};

/**
 * struct trn_sysfs_attr - a file of one numbered directory
 * @dattr: the attribute, whose show() and store() find this by container_of()
 * @index: the number of the directory: a port, a NeuronCore
 * @file: which file, an index into &trn_sysfs_dirs.files
 */
struct trn_sysfs_attr {
	struct device_attribute dattr;
	u32 index;
	u32 file;
};

/**
 * struct trn_sysfs_dirs - numbered directories of the PCI device,
 *	<prefix>0/ to <prefix><count - 1>/, each an attribute group of the
 *	same files
 * @prefix: the directories' name before the number
 * @count: the most directories a device can have; @is_visible hides the
 *	ones a device lacks
 * @files: the @nfiles files of each directory
 * @nfiles: number of @files
 * @show: show() of every file
 * @store: store() of every file, or NULL
 * @is_visible: is_visible() of every group
 * @attrs: room for @count * @nfiles attributes, filled at module load
 * @lists: room for @count NULL-terminated lists of @nfiles attributes
 * @names: room for @count names
 * @groups: room for @count groups
 */
struct trn_sysfs_dirs {
	const char *prefix;
	unsigned int count;
	const struct trn_sysfs_file *files;
	unsigned int nfiles;
	ssize_t (*show)(struct device *dev, struct device_attribute *attr,
			char *buf);
	ssize_t (*store)(struct device *dev, struct device_attribute *attr,
			 const char *buf, size_t count);
	umode_t (*is_visible)(struct kobject *kobj, struct attribute *attr, int n);
	struct trn_sysfs_attr *attrs;
	struct attribute **lists;
	char (*names)[TRN_SYSFS_NAME_LEN];
	struct attribute_group *groups;
};

static inline struct trn_sysfs_attr *to_trn_sysfs_attr(struct attribute *attr)
{
	return container_of(attr, struct trn_sysfs_attr, dattr.attr);
}

/* The device's own attributes, in its directory. */
extern const struct attribute_group trn_sysfs_group;

void trn_sysfs_fill_dirs(const struct trn_sysfs_dirs *d,
			 const struct attribute_group **out);

#endif /* __TRN_SYSFS_H__ */
