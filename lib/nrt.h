/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * libnrt - userspace runtime library for trn accelerators.
 *
 * All functions are thread-safe. Functions that can fail return an
 * nrt_status; on failure a human-readable description of what went wrong is
 * available from nrt_last_error() in the calling thread.
 */
#ifndef NRT_H
#define NRT_H

#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/** Version of the library this header belongs to. */
#define NRT_VERSION_MAJOR 0
#define NRT_VERSION_MINOR 1
#define NRT_VERSION_PATCH 0

#if defined(__GNUC__) && __GNUC__ >= 4
#define NRT_API __attribute__((visibility("default")))
#else
#define NRT_API
#endif

/**
 * Result of a library call. The numeric values are part of the ABI: they are
 * never renumbered and new codes are only ever appended.
 */
typedef enum nrt_status {
	NRT_SUCCESS = 0,        /**< The call succeeded. */
	NRT_FAILURE = 1,        /**< Unspecified failure. */
	NRT_INVALID = 2,        /**< An argument was invalid. */
	NRT_INVALID_HANDLE = 3, /**< A handle was invalid or already closed. */
	NRT_RESOURCE = 4,       /**< Out of memory or another resource. */
	NRT_TIMEOUT = 5,        /**< The operation timed out. */
	NRT_HW_ERROR = 6,       /**< The device reported a hardware error. */
	NRT_QUEUE_FULL = 7,     /**< A submission queue is full. */
	NRT_NO_DEVICE = 8,      /**< No such device, or it has gone away. */
	NRT_NO_DRIVER = 9,      /**< The trn kernel driver is not loaded. */
	NRT_PERMISSION = 10,    /**< Permission denied. */
	NRT_UNSUPPORTED = 11,   /**< Not supported by the driver or device. */
} nrt_status;

/**
 * nrt_strerror() - short description of a status code
 * @s: status code
 *
 * Return: a static, constant string such as "permission denied", or
 * "unknown status" for a value that is not an nrt_status.
 */
NRT_API const char *nrt_strerror(nrt_status s);

/**
 * nrt_last_error() - details of the last failure in the calling thread
 *
 * Every call that fails records a message naming what was wrong, for example
 * "open /dev/accel/accel3: Permission denied". The message is per thread and
 * stays until the next failing call in the same thread; successful calls do
 * not clear it.
 *
 * Return: the message, or "" if no call has failed in this thread. The
 * string stays valid until the next library call in the same thread.
 */
NRT_API const char *nrt_last_error(void);

/** An open trn device. Opaque. */
typedef struct nrt_device nrt_device;

/**
 * nrt_device_count() - number of trn devices in the system
 * @count: receives the number of devices
 *
 * Devices are the accel devices (/sys/class/accel/accelN) bound to the trn
 * driver. They are indexed 0..count-1 in ascending PCI address order, so an
 * index stays the same across driver rebinds as long as the set of devices
 * does not change.
 *
 * Return: NRT_SUCCESS, also with *count == 0 when the driver is loaded but
 * bound to no device; NRT_NO_DRIVER with *count == 0 when no device is found
 * and the trn kernel module is not loaded; NRT_INVALID if @count is NULL;
 * another status if sysfs cannot be read.
 */
NRT_API nrt_status nrt_device_count(unsigned int *count);

/**
 * nrt_device_open() - open a trn device
 * @index: device index, 0..count-1 (see nrt_device_count())
 * @dev: receives the device handle on success, untouched on failure
 *
 * Opens the device's DRM accel node read-write and reads its static
 * properties. The handle must be released with nrt_device_close().
 *
 * Return: NRT_SUCCESS; NRT_INVALID if @dev is NULL; NRT_NO_DEVICE if there
 * is no device with this index, its node is missing or it is not a trn
 * device; NRT_NO_DRIVER if the trn kernel module is not loaded;
 * NRT_PERMISSION if the node cannot be opened for lack of permission;
 * NRT_UNSUPPORTED if the kernel driver does not support the device query
 * this library needs; NRT_RESOURCE if out of memory; NRT_FAILURE otherwise.
 */
NRT_API nrt_status nrt_device_open(unsigned int index, nrt_device **dev);

/**
 * nrt_device_close() - close a device handle
 * @dev: handle from nrt_device_open(), or NULL (then nothing is done)
 */
NRT_API void nrt_device_close(nrt_device *dev);

/**
 * nrt_device_fd() - file descriptor of an open device
 * @dev: device handle
 *
 * The descriptor belongs to the handle: do not close it, and do not use it
 * after nrt_device_close().
 *
 * Return: the DRM file descriptor, or -1 if @dev is NULL.
 */
NRT_API int nrt_device_fd(const nrt_device *dev);

/**
 * struct nrt_device_info - static properties of a device
 *
 * Fields are only ever appended. The caller sets @struct_size to
 * sizeof(nrt_device_info) before calling nrt_device_get_info(), which lets a
 * newer library fill in exactly the fields an older caller knows about.
 */
typedef struct nrt_device_info {
	uint32_t struct_size;       /**< Set by the caller: sizeof(nrt_device_info). */
	unsigned int index;         /**< Index as passed to nrt_device_open(). */
	unsigned int minor;         /**< N of /dev/accel/accelN. */
	char pci_bdf[32];           /**< PCI address, e.g. "0000:01:00.0". */
	char device_node[64];       /**< Path of the device node. */
	uint32_t chip_id;           /**< Chip identifier reported by the device. */
	uint32_t num_cores;         /**< Number of NeuronCores. */
	uint64_t hbm_size;          /**< Bytes of device memory (HBM). */
	uint32_t hw_version_major;  /**< Hardware interface version, major. */
	uint32_t hw_version_minor;  /**< Hardware interface version, minor. */
	uint64_t hw_caps;           /**< Hardware capability bits. */
	uint32_t driver_version_major; /**< Kernel driver version, major. */
	uint32_t driver_version_minor; /**< Kernel driver version, minor. */
	uint32_t driver_version_patch; /**< Kernel driver version, patch level. */
	int numa_node;              /**< NUMA node of the device, -1 if unknown. */
} nrt_device_info;

/**
 * nrt_device_get_info() - static properties of an open device
 * @dev: device handle
 * @info: receives the properties; @info->struct_size must be set
 *
 * @info->struct_size must be at least the size of the first version of
 * struct nrt_device_info, which is sizeof(nrt_device_info) of this library
 * version. The library fills in the fields it knows and zeroes any further
 * bytes up to @info->struct_size (fields of a newer header that this library
 * does not know); @info->struct_size itself is left unchanged. Fields the
 * kernel driver does not report are zero.
 *
 * Return: NRT_SUCCESS; NRT_INVALID if an argument is NULL or
 * @info->struct_size is too small.
 */
NRT_API nrt_status nrt_device_get_info(const nrt_device *dev,
				       nrt_device_info *info);

#if defined(__cplusplus)
}
#endif

#endif /* NRT_H */
