/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Interface between the trn accelerator driver and userspace.
 * Documentation: Documentation/uapi.rst
 */
#ifndef _UAPI_DRM_TRN_ACCEL_H_
#define _UAPI_DRM_TRN_ACCEL_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * Ioctl numbers are never reused or reordered; new ioctls are appended.
 */
#define DRM_TRN_QUERY			0x00

#define DRM_IOCTL_TRN_QUERY \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TRN_QUERY, struct drm_trn_query)

/**
 * enum drm_trn_query_id - what &drm_trn_query.query asks for
 *
 * @DRM_TRN_QUERY_DEVICE_INFO: static facts about the device, returned as
 *	&struct drm_trn_device_info.
 */
enum drm_trn_query_id {
	DRM_TRN_QUERY_DEVICE_INFO = 0,
};

/**
 * struct drm_trn_query - argument of %DRM_IOCTL_TRN_QUERY
 *
 * Queries are extensible by size negotiation. Structures returned by a query
 * only ever grow at the end; a field once defined keeps its offset and
 * meaning.
 *
 * If @size is zero, the kernel sets it to the size of the structure it
 * would return and copies nothing. Otherwise the kernel copies
 * min(@size, its own size) bytes to @data and sets @size to the number of
 * bytes copied. Userspace that knows a larger structure than the kernel
 * therefore sees which of its fields were filled in, and userspace that
 * knows a smaller one gets a consistent prefix.
 *
 * Errors: -EINVAL for an unknown @query, nonzero @flags or @pad;
 * -EFAULT if @data cannot be written; -ENODEV once the device is gone.
 */
struct drm_trn_query {
	/** @query: one of &enum drm_trn_query_id. */
	__u32 query;

	/** @size: in: bytes available at @data; out: bytes written (see above). */
	__u32 size;

	/** @data: user pointer to the buffer receiving the result. */
	__u64 data;

	/** @flags: reserved for future use, must be zero. */
	__u32 flags;

	/** @pad: reserved, must be zero. */
	__u32 pad;
};

/**
 * struct drm_trn_device_info - result of %DRM_TRN_QUERY_DEVICE_INFO
 *
 * Fields are appended at the end only; see &struct drm_trn_query.
 */
struct drm_trn_device_info {
	/** @chip_id: chip identifier reported by the device. */
	__u32 chip_id;

	/** @num_cores: number of NeuronCores. */
	__u32 num_cores;

	/** @hbm_size: bytes of device memory (HBM). */
	__u64 hbm_size;

	/** @hw_version_major: hardware interface major version. */
	__u32 hw_version_major;

	/** @hw_version_minor: hardware interface minor version. */
	__u32 hw_version_minor;

	/** @hw_caps: hardware capability bits, TRN_CAP_* of the interface spec. */
	__u64 hw_caps;

	/** @driver_version_major: kernel driver major version. */
	__u32 driver_version_major;

	/** @driver_version_minor: kernel driver minor version. */
	__u32 driver_version_minor;

	/** @driver_version_patch: kernel driver patch level. */
	__u32 driver_version_patch;

	/** @pad: always returned as zero. */
	__u32 pad;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_DRM_TRN_ACCEL_H_ */
