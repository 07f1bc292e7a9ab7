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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/** Version of the library this header belongs to. */
#define NRT_VERSION_MAJOR 0
#define NRT_VERSION_MINOR 8
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
	NRT_NO_LINK = 12,       /**< A NeuronLink port needed is down (0.5). */
	NRT_PEER_LOST = 13,     /**< Another rank of a communicator failed or
				 *   went away (0.7). */
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
 * driver whose node the process sees in /dev/accel (a character device of
 * the device's number, under any name, or else a file accelN that is no
 * other device's node), selected and ordered by NRT_VISIBLE_DEVICES when
 * it is set (Documentation/libnrt.rst, "Which devices a process sees").
 * Without it they are indexed 0..count-1 in ascending PCI address order, so
 * an index stays the same across driver rebinds as long as the set of
 * devices does not change.
 *
 * Return: NRT_SUCCESS, also with *count == 0 when the driver is loaded but
 * bound to no device; NRT_NO_DRIVER with *count == 0 when no device is found
 * and the trn kernel module is not loaded; NRT_INVALID if @count is NULL;
 * another status if sysfs cannot be read.
 */
NRT_API nrt_status nrt_device_count(unsigned int *count);

/**
 * struct nrt_device_entry - a device, as found without opening it (0.6)
 *
 * Returned by pointer, owned by its list: fields may be appended in later
 * versions, so do not rely on sizeof(nrt_device_entry) across versions.
 */
typedef struct nrt_device_entry {
	unsigned int index;      /**< Index as nrt_device_open() takes it. */
	unsigned int minor;      /**< N of /dev/accel/accelN. */
	char pci_bdf[32];        /**< PCI address, e.g. "0000:01:00.0". */
	char device_node[64];    /**< Path of the device node (NRT_DEV_ROOT
				  *   redirects /dev). */
	const char *sysfs_dir;   /**< The device's sysfs directory,
				  *   /sys/class/accel/accelN/device, with the
				  *   attributes of Documentation/sysfs.rst
				  *   (NRT_SYSFS_ROOT redirects /sys). */
} nrt_device_entry;

/** The devices of the system at one instant (0.6). Opaque, immutable. */
typedef struct nrt_device_list nrt_device_list;

/**
 * nrt_device_list_get() - list the devices without opening any (0.6)
 * @out: receives the list, untouched on failure; free it with
 *	nrt_device_list_free()
 *
 * Reads sysfs only, so it works for a user who may not open the device
 * nodes (a monitoring tool). The list holds the devices nrt_device_count()
 * counts, in index order: entry i is device index i, the index that
 * nrt_device_open() takes and that the topology and the tools use, so that
 * a program numbers the devices as the library does: those whose nodes
 * the process sees, selected by NRT_VISIBLE_DEVICES (see
 * nrt_device_count()), so that nrt_device_count(), nrt_device_open() and
 * this list always agree.
 *
 * Return: NRT_SUCCESS, also with an empty list when the driver is loaded
 * but bound to no device; NRT_NO_DRIVER when no device is found and the trn
 * kernel module is not loaded; NRT_INVALID if @out is NULL; NRT_PERMISSION
 * or NRT_FAILURE if sysfs cannot be read; NRT_RESOURCE if out of memory.
 */
NRT_API nrt_status nrt_device_list_get(nrt_device_list **out);

/**
 * nrt_device_list_count() - number of devices in a list (0.6)
 * @l: list
 *
 * Return: the number, or 0 if @l is NULL.
 */
NRT_API size_t nrt_device_list_count(const nrt_device_list *l);

/**
 * nrt_device_list_entry() - one device of a list (0.6)
 * @l: list
 * @i: 0..nrt_device_list_count()-1, the device index
 *
 * Return: the entry, valid as long as @l; NULL if @l is NULL or @i is out
 * of range.
 */
NRT_API const nrt_device_entry *nrt_device_list_entry(const nrt_device_list *l,
						      size_t i);

/**
 * nrt_device_list_free() - free a list (0.6)
 * @l: list, or NULL (then nothing is done)
 */
NRT_API void nrt_device_list_free(nrt_device_list *l);

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
 *
 * The handle must not be used afterwards. Buffers and fences of the device
 * that are still allocated stay usable: the device file is closed when the
 * last of them is freed.
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
 *
 * The fields from @dma_engines on were added in version 0.2, those from
 * @num_sems on in version 0.3. They are zero when the kernel driver does
 * not report them (a driver without DMA, or without NeuronCore queues).
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
	/* --- version 0.2 --- */
	uint32_t dma_engines;       /**< Number of DMA engines; 0: no DMA. */
	uint32_t dma_queues;        /**< DMA queues in all (0..dma_queues-1); 0: no DMA. */
	uint64_t va_start;          /**< Lowest device virtual address of a buffer. */
	uint64_t va_end;            /**< End (exclusive) of the device address space. */
	uint32_t max_descs;         /**< Most descriptors in one job; 0: no DMA. */
	uint32_t reserved0;         /**< Always zero. */
	/* --- version 0.3 --- */
	uint32_t num_sems;          /**< Semaphores of the handle's address space
				     *   (0..num_sems-1), shared by DMA jobs and
				     *   programs; 0: none reported. */
	uint32_t core_queues;       /**< NeuronCores that run programs: the cores
				     *   0..core_queues-1 of nrt_program_run();
				     *   0: no compute (at most num_cores). */
} nrt_device_info;

/**
 * NRT_DEVICE_INFO_SIZE_0_1 - sizeof(nrt_device_info) in version 0.1
 *
 * The smallest @struct_size nrt_device_get_info() accepts: that of callers
 * built against the 0.1 header, which ends at @numa_node.
 */
#define NRT_DEVICE_INFO_SIZE_0_1 160u

/**
 * NRT_DEVICE_INFO_SIZE_0_2 - sizeof(nrt_device_info) in version 0.2, which
 * ends at @reserved0
 */
#define NRT_DEVICE_INFO_SIZE_0_2 192u

/**
 * nrt_device_get_info() - static properties of an open device
 * @dev: device handle
 * @info: receives the properties; @info->struct_size must be set
 *
 * @info->struct_size must be at least NRT_DEVICE_INFO_SIZE_0_1. The library
 * writes exactly @info->struct_size bytes: the first
 * min(@info->struct_size, sizeof(nrt_device_info)) bytes of its own
 * structure (so a caller built against an older header gets the fields it
 * knows, and nothing past its structure is touched), and zeroes beyond that
 * (fields of a newer header that this library does not know).
 * @info->struct_size itself is left unchanged. Fields the kernel driver does
 * not report are zero.
 *
 * Return: NRT_SUCCESS; NRT_INVALID if an argument is NULL or
 * @info->struct_size is too small.
 */
NRT_API nrt_status nrt_device_get_info(const nrt_device *dev,
				       nrt_device_info *info);

/* ------------------------------------------------------------------------
 * Buffers (version 0.2)
 */

/** Where the memory of a buffer lives. The values are ABI. */
typedef enum nrt_placement {
	/** Device memory. The CPU reaches it through the HBM BAR, which is
	 *  write-combined: writing is fast, reading through it is slow. */
	NRT_PLACEMENT_HBM = 0,
	/** System memory that the device reaches by DMA. */
	NRT_PLACEMENT_HOST = 1,
	/** HBM of another device, reached over a NeuronLink port: only
	 *  nrt_buffer_import_peer() and nrt_buffer_peer() make these (0.5). */
	NRT_PLACEMENT_PEER = 2,
} nrt_placement;

/**
 * A buffer object: memory of one device, mapped into that device's address
 * space at a fixed device virtual address. Opaque.
 *
 * A buffer keeps its device's file open: nrt_device_close() may be called
 * before the device's buffers and fences are freed, but the handle passed to
 * it must not be used any more.
 */
typedef struct nrt_buffer nrt_buffer;

/**
 * nrt_buffer_alloc() - allocate a buffer
 * @dev: device the buffer belongs to
 * @size: bytes, at least 1; the device reserves whole 4 KiB pages
 * @placement: NRT_PLACEMENT_HBM or NRT_PLACEMENT_HOST
 * @out: receives the buffer on success, untouched on failure
 *
 * The contents of a new buffer are unspecified. Release the buffer with
 * nrt_buffer_free().
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument, a zero @size or an
 * unknown @placement; NRT_RESOURCE when the placement or the device address
 * space has no room for @size bytes, or out of memory; NRT_UNSUPPORTED if
 * the kernel driver cannot allocate buffers; NRT_NO_DEVICE if the device is
 * gone; NRT_FAILURE otherwise.
 */
NRT_API nrt_status nrt_buffer_alloc(nrt_device *dev, size_t size,
				    nrt_placement placement, nrt_buffer **out);

/**
 * nrt_buffer_free() - free a buffer
 * @buf: buffer, or NULL (then nothing is done)
 *
 * Unmaps the buffer if it is mapped and releases it. Jobs that still use the
 * buffer complete normally: the kernel keeps its memory until they are done.
 * No other call may use @buf at the same time or afterwards.
 */
NRT_API void nrt_buffer_free(nrt_buffer *buf);

/**
 * nrt_buffer_map() - map a buffer into the address space of the process
 * @buf: buffer
 * @ptr: receives the address of the first byte
 *
 * The mapping is shared with the device and covers nrt_buffer_size() bytes
 * (it may extend up to the next 4 KiB boundary). Calling it again while the
 * buffer is mapped returns the same address. An HBM buffer is mapped
 * through the write-combined BAR: reading it that way is slow, use
 * nrt_buffer_read() for large reads. Stores through the mapping are visible
 * to jobs submitted afterwards.
 *
 * Return: NRT_SUCCESS; NRT_INVALID if an argument is NULL; NRT_RESOURCE if
 * out of address space; NRT_FAILURE if the kernel refuses the mapping.
 */
NRT_API nrt_status nrt_buffer_map(nrt_buffer *buf, void **ptr);

/**
 * nrt_buffer_unmap() - remove the mapping made by nrt_buffer_map()
 * @buf: buffer
 *
 * Pointers into the mapping are invalid afterwards; a later
 * nrt_buffer_map() may return another address. Unmapping a buffer that is
 * not mapped does nothing. The mapping is also the one nrt_buffer_read()
 * and nrt_buffer_write() use; when one of them is using it in another
 * thread, it is removed when that call is done.
 *
 * Return: NRT_SUCCESS; NRT_INVALID if @buf is NULL.
 */
NRT_API nrt_status nrt_buffer_unmap(nrt_buffer *buf);

/**
 * nrt_buffer_va() - device virtual address of a buffer
 * @buf: buffer
 *
 * The address of the first byte in the address space of the buffer's device
 * handle, for use in nrt_dma_desc. It stays the same for the life of the
 * buffer.
 *
 * Return: the address, or 0 if @buf is NULL.
 */
NRT_API uint64_t nrt_buffer_va(const nrt_buffer *buf);

/**
 * nrt_buffer_size() - size of a buffer
 * @buf: buffer
 *
 * Return: the size passed to nrt_buffer_alloc(), or 0 if @buf is NULL.
 */
NRT_API size_t nrt_buffer_size(const nrt_buffer *buf);

/**
 * nrt_buffer_placement() - placement of a buffer
 * @buf: buffer
 *
 * Return: the placement passed to nrt_buffer_alloc(), or NRT_PLACEMENT_HBM
 * if @buf is NULL.
 */
NRT_API nrt_placement nrt_buffer_placement(const nrt_buffer *buf);

/**
 * nrt_buffer_write() - copy host memory into a buffer
 * @dst: destination buffer
 * @off: byte offset in @dst
 * @src: source in host memory
 * @len: bytes; 0 does nothing
 *
 * Synchronous: when it returns the data is in @dst and @src may be reused.
 * HOST buffers and small writes to HBM buffers go through the CPU mapping
 * (made if needed, and kept); writes of 64 KiB or more to HBM go through
 * the device's pool of HOST bounce buffers and DMA. Any number of threads
 * may read and write the same buffer at once; the result of overlapping
 * writes is unspecified. The call does not order itself after jobs still
 * running on @dst: wait for their fences first.
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument or a range outside
 * @dst; a status of nrt_buffer_map() or nrt_fence_wait() if the transfer
 * fails.
 */
NRT_API nrt_status nrt_buffer_write(nrt_buffer *dst, size_t off,
				    const void *src, size_t len);

/**
 * nrt_buffer_read() - copy a buffer into host memory
 * @src: source buffer
 * @off: byte offset in @src
 * @dst: destination in host memory
 * @len: bytes; 0 does nothing
 *
 * The counterpart of nrt_buffer_write(), with the same rules; reads of
 * 64 KiB or more from HBM go through bounce buffers and DMA.
 *
 * Return: as for nrt_buffer_write().
 */
NRT_API nrt_status nrt_buffer_read(const nrt_buffer *src, size_t off,
				   void *dst, size_t len);

/**
 * DOC: Peer buffers
 *
 * A device's DMA engines reach the HBM of the devices cabled to it over
 * NeuronLink: a buffer of device B becomes a buffer of device A, of
 * placement NRT_PLACEMENT_PEER, usable in nrt_copy() and nrt_fill() on A
 * like any other; the data moves chip to chip without the host. The CPU
 * cannot map peer buffers: nrt_buffer_read() and nrt_buffer_write() move
 * their data by DMA through host memory of A.
 *
 * Within one process, nrt_buffer_peer() does it all. Between processes,
 * the owner of the buffer exports it with nrt_buffer_export_fd() and passes
 * the descriptor (over a Unix socket); the other process imports it with
 * nrt_buffer_import_peer(). Holding the descriptor is the permission: a
 * process reaches no other memory of the peer.
 *
 * A peer buffer keeps the memory alive until it is freed, even if the
 * exporter frees its buffer or exits. Jobs that use it while its link is
 * down fail with NRT_NO_LINK; they work again once the link is back up.
 */

/**
 * nrt_buffer_export_fd() - a dma-buf file descriptor for a buffer
 * @buf: an NRT_PLACEMENT_HBM buffer
 * @fd: receives the descriptor (close-on-exec), which the caller closes
 *
 * Return: NRT_SUCCESS; NRT_INVALID for NULL arguments; NRT_UNSUPPORTED for
 * a buffer that is not in HBM or a driver or device without peer DMA;
 * NRT_RESOURCE when out of file descriptors.
 */
NRT_API nrt_status nrt_buffer_export_fd(nrt_buffer *buf, int *fd);

/** nrt_buffer_import_peer() @flags: map without write access. */
#define NRT_PEER_READONLY (1u << 0)

/**
 * nrt_buffer_import_peer() - use another device's buffer over NeuronLink
 * @dev: the device whose DMA engines will use the buffer
 * @fd: a descriptor from nrt_buffer_export_fd() on a device cabled to @dev;
 *	it stays open (close it when no more imports need it)
 * @port: the port of @dev whose far end is that device, or -1 to pick the
 *	first such port that is up (nrt_topology_get())
 * @flags: 0 or NRT_PEER_READONLY
 * @out: receives the buffer, of placement NRT_PLACEMENT_PEER; free it with
 *	nrt_buffer_free()
 *
 * Return: NRT_SUCCESS; NRT_INVALID for NULL arguments, unknown @flags, a
 * port @dev does not have, or a descriptor that is not a trn HBM buffer of
 * another device; NRT_NO_LINK if the port is not up, leads elsewhere, or
 * (with @port -1) no port of @dev reaches the buffer's device;
 * NRT_UNSUPPORTED without peer DMA; NRT_RESOURCE when @dev's address space
 * is full.
 */
NRT_API nrt_status nrt_buffer_import_peer(nrt_device *dev, int fd, int port,
					  unsigned int flags, nrt_buffer **out);

/**
 * nrt_buffer_peer() - nrt_buffer_import_peer() of a buffer of this process
 * @dev: the device whose DMA engines will use the buffer
 * @remote: an NRT_PLACEMENT_HBM buffer of a device cabled to @dev
 * @port: as for nrt_buffer_import_peer(), usually -1
 * @flags: 0 or NRT_PEER_READONLY
 * @out: receives the peer buffer
 *
 * Return: as nrt_buffer_export_fd() and nrt_buffer_import_peer().
 */
NRT_API nrt_status nrt_buffer_peer(nrt_device *dev, nrt_buffer *remote,
				   int port, unsigned int flags,
				   nrt_buffer **out);

/* ------------------------------------------------------------------------
 * Fences (version 0.2)
 */

/**
 * The completion of a piece of work submitted to a device: a DRM syncobj
 * owned by the library. Opaque. Any number of threads may wait for, poll
 * or export the same fence at once; nrt_fence_free() must be the last call.
 *
 * A wait or poll learns the outcome of each job of the fence in one system
 * call (DRM_IOCTL_TRN_WAIT); once known, the outcome is kept and later
 * calls make none.
 */
typedef struct nrt_fence nrt_fence;

/**
 * nrt_fence_wait() - wait for the work of a fence to complete
 * @f: fence
 * @timeout_ns: longest time to wait in nanoseconds, relative to now; 0
 *	polls, a negative value waits forever
 *
 * Return: NRT_SUCCESS when the work completed without error; NRT_TIMEOUT if
 * it did not complete in time ("... still running"), and also when the job
 * itself exceeded the kernel driver's job timeout ("... failed: timed out
 * on the device"): the detail message tells the two apart, and only in the
 * second case is the fence done; NRT_HW_ERROR if the job failed, e.g. "job
 * on queue 2 failed: device address fault" when it used an address that
 * is not mapped; NRT_NO_DEVICE if the device went away; NRT_INVALID if @f
 * is NULL. A fence that completed with an error reports it on every later
 * call.
 */
NRT_API nrt_status nrt_fence_wait(nrt_fence *f, int64_t timeout_ns);

/**
 * nrt_fence_poll() - check whether the work of a fence has completed
 * @f: fence
 *
 * Same as nrt_fence_wait(@f, 0).
 *
 * Return: NRT_SUCCESS if done without error; NRT_TIMEOUT if not done yet
 * (or the job timed out on the device, see nrt_fence_wait()); the error
 * statuses of nrt_fence_wait().
 */
NRT_API nrt_status nrt_fence_poll(nrt_fence *f);

/**
 * nrt_fence_export_fd() - the fence as a sync_file
 * @f: fence
 * @fd: receives a new sync_file file descriptor (close-on-exec); the caller
 *	closes it
 *
 * The sync_file signals when the work of @f completes; it can be polled
 * with poll(2) and passed to other processes and APIs that take sync
 * files. It stays valid after nrt_fence_free().
 *
 * Return: NRT_SUCCESS; NRT_INVALID if an argument is NULL; NRT_RESOURCE if
 * out of file descriptors; NRT_FAILURE otherwise.
 */
NRT_API nrt_status nrt_fence_export_fd(nrt_fence *f, int *fd);

/**
 * nrt_fence_free() - free a fence
 * @f: fence, or NULL (then nothing is done)
 *
 * The fence need not be signalled: its work still runs to completion, but
 * nobody can learn its outcome any more.
 */
NRT_API void nrt_fence_free(nrt_fence *f);

/* ------------------------------------------------------------------------
 * Copies and fills by device DMA (version 0.2)
 */

/**
 * struct nrt_copy_opts - options of nrt_copy() and nrt_fill()
 *
 * Set @struct_size to sizeof(nrt_copy_opts); NRT_COPY_OPTS_INIT gives the
 * defaults. Fields may be appended in later versions.
 */
typedef struct nrt_copy_opts {
	uint32_t struct_size;     /**< sizeof(nrt_copy_opts). */
	int queue;                /**< DMA queue, or negative (-1): the library picks one. */
	nrt_fence *const *wait;   /**< Fences to wait for before starting. */
	size_t wait_count;        /**< Number of fences at @wait. */
} nrt_copy_opts;

/** Initialiser of nrt_copy_opts with the defaults: no fences, any queue. */
#define NRT_COPY_OPTS_INIT { sizeof(nrt_copy_opts), -1, NULL, 0 }

/** Bytes one DMA descriptor of nrt_copy() and nrt_fill() moves at most. */
#define NRT_DMA_MAX_DESC_LEN (UINT64_C(1) << 30)

/**
 * nrt_copy() - copy between two buffers by device DMA
 * @dst: destination buffer
 * @dst_off: byte offset in @dst
 * @src: source buffer, of the same device handle as @dst; may be @dst if
 *	the ranges do not overlap
 * @src_off: byte offset in @src
 * @len: bytes to copy
 * @opts: options, or NULL for the defaults
 * @fence: NULL to wait for the copy (synchronous), or receives a new fence
 *	(asynchronous) that the caller frees with nrt_fence_free()
 *
 * Any placements may be combined. The copy is one job of descriptors of at
 * most NRT_DMA_MAX_DESC_LEN bytes, or several jobs on the same queue when
 * it needs more descriptors than the device takes in one job
 * (nrt_device_info.max_descs); the fence covers them all. The job starts
 * once the fences in @opts->wait have signalled and after the earlier jobs
 * of the device handle on the same queue. The library does not look at the
 * outcome of the wait fences: check them if a failed predecessor matters.
 * With a negative @opts->queue the library spreads jobs over the device's
 * queues round-robin, alternating between DMA engines. A @len of 0 submits
 * nothing and succeeds; *@fence then receives a signalled fence.
 *
 * Return: NRT_SUCCESS (for a synchronous copy: the data has arrived);
 * NRT_INVALID for a NULL buffer, buffers of different device handles, a
 * range outside its buffer (the message names the buffer), overlapping
 * ranges of one buffer, bad @opts (struct_size, a queue outside
 * 0..dma_queues-1, a NULL or foreign wait fence); NRT_UNSUPPORTED if the
 * kernel driver has no DMA, or predates 0.5; a submission failure (NRT_RESOURCE,
 * NRT_NO_DEVICE, NRT_FAILURE); for a synchronous copy, the statuses of
 * nrt_fence_wait(), e.g. NRT_HW_ERROR. When the call fails, none of its
 * jobs is left running.
 */
NRT_API nrt_status nrt_copy(nrt_buffer *dst, size_t dst_off,
			    const nrt_buffer *src, size_t src_off, size_t len,
			    const nrt_copy_opts *opts, nrt_fence **fence);

/**
 * nrt_fill() - set the bytes of a buffer range by device DMA
 * @dst: destination buffer
 * @off: byte offset in @dst
 * @len: bytes to set
 * @byte: value of every byte
 * @opts: options, or NULL for the defaults
 * @fence: NULL for a synchronous fill, or receives a new fence
 *
 * As nrt_copy(), with FILL descriptors.
 *
 * Return: as for nrt_copy().
 */
NRT_API nrt_status nrt_fill(nrt_buffer *dst, size_t off, size_t len,
			    uint8_t byte, const nrt_copy_opts *opts,
			    nrt_fence **fence);

/* ------------------------------------------------------------------------
 * Raw job submission (version 0.2), for tools and tests
 */

/** DMA descriptor opcodes of nrt_dma_desc.opcode (the hardware's). */
#define NRT_DMA_OP_NOP        0x00u /**< Nothing. */
#define NRT_DMA_OP_COPY       0x01u /**< @len bytes from @src to @dst. */
#define NRT_DMA_OP_FILL       0x02u /**< @len bytes at @dst with the 8-byte pattern @src. */
#define NRT_DMA_OP_WRITE      0x03u /**< The 64-bit value @len to @dst (8-byte aligned). */
#define NRT_DMA_OP_SEM_SIGNAL 0x04u /**< Semaphore @aux += @len. */
#define NRT_DMA_OP_SEM_WAIT   0x05u /**< Wait until semaphore @aux >= @len. */

/**
 * struct nrt_dma_desc - one DMA descriptor
 *
 * The layout (32 bytes, native byte order) is that of struct
 * drm_trn_dma_desc of <drm/trn_accel.h>, which is passed to the kernel
 * unchanged. Addresses are device virtual addresses of buffers of the
 * submitting device handle (nrt_buffer_va()); an address outside them makes
 * the job fail with NRT_HW_ERROR. Semaphores belong to the device handle.
 */
typedef struct nrt_dma_desc {
	uint32_t opcode; /**< NRT_DMA_OP_*; bits 31..8 zero. */
	uint32_t aux;    /**< Semaphore index for SEM_SIGNAL, SEM_WAIT; else 0. */
	uint64_t src;    /**< COPY: source address; FILL: pattern; else 0. */
	uint64_t dst;    /**< COPY, FILL, WRITE: destination address; else 0. */
	uint64_t len;    /**< COPY, FILL: bytes; WRITE: value; SEM_*: amount. */
} nrt_dma_desc;

/**
 * nrt_submit_raw() - submit one job of DMA descriptors
 * @dev: device handle
 * @queue: DMA queue, 0..dma_queues-1
 * @descs: @count descriptors, copied before the call returns
 * @count: 1..max_descs (nrt_device_info)
 * @wait: fences to wait for before the job starts, or NULL if @wait_count
 *	is 0
 * @wait_count: number of fences at @wait
 * @fence: NULL to wait for the job, or receives a new fence
 *
 * The descriptors are not checked by the library beyond their number: the
 * kernel rejects invalid ones (NRT_INVALID) and faults of valid ones are
 * reported by the fence (NRT_HW_ERROR).
 *
 * Return: as for nrt_copy(); NRT_INVALID also for a zero or too large
 * @count or an invalid descriptor.
 */
NRT_API nrt_status nrt_submit_raw(nrt_device *dev, unsigned int queue,
				  const nrt_dma_desc *descs, unsigned int count,
				  nrt_fence *const *wait, size_t wait_count,
				  nrt_fence **fence);

/* ------------------------------------------------------------------------
 * Data types (version 0.3)
 */

/**
 * Element types of tensors. The values are ABI and equal to the hardware's
 * TRN_DT_* codes (Documentation/isa.rst, "Data types"); 0 is invalid.
 */
typedef enum nrt_dtype {
	NRT_DTYPE_INVALID = 0,  /**< No type; never valid as an argument. */
	NRT_DTYPE_FP32 = 1,     /**< IEEE 754 binary32. */
	NRT_DTYPE_BF16 = 2,     /**< bfloat16. */
	NRT_DTYPE_FP16 = 3,     /**< IEEE 754 binary16. */
	NRT_DTYPE_FP8_E4M3 = 4, /**< OCP fp8 E4M3: no infinities, largest 448. */
	NRT_DTYPE_FP8_E5M2 = 5, /**< OCP fp8 E5M2: largest finite 57344. */
	NRT_DTYPE_INT8 = 6,     /**< Two's complement 8-bit integer. */
	NRT_DTYPE_INT32 = 7,    /**< Two's complement 32-bit integer. */
} nrt_dtype;

/**
 * nrt_dtype_size() - bytes of one element of a data type
 * @dt: data type
 *
 * Return: 4, 2 or 1; 0 if @dt is not a valid data type.
 */
NRT_API size_t nrt_dtype_size(nrt_dtype dt);

/**
 * nrt_dtype_name() - name of a data type
 * @dt: data type
 *
 * Return: a static string: "fp32", "bf16", "fp16", "fp8_e4m3", "fp8_e5m2",
 * "int8", "int32", or "invalid" if @dt is not a valid data type.
 */
NRT_API const char *nrt_dtype_name(nrt_dtype dt);

/* ------------------------------------------------------------------------
 * Tensors (version 0.3)
 */

/** Most dimensions of a tensor. */
#define NRT_MAX_RANK 4

/** Most elements of a tensor or view (the hardware's limit of an operand). */
#define NRT_TENSOR_MAX_ELEMS (UINT32_C(1) << 28)

/**
 * A tensor: a strided array of elements of one data type in a buffer of a
 * device. It is a reference to its storage (a buffer), a byte offset into
 * it, a data type, a rank of 1 to NRT_MAX_RANK, and per dimension, outermost
 * first, a size (at least 1) and a stride in elements (at least 0).
 * Element (i0, ..., ir-1) is at byte offset + (i0 * stride0 + ... +
 * ir-1 * stride r-1) * element size of the buffer. Opaque.
 *
 * Views (nrt_tensor_slice() and friends) are tensors that share the storage
 * of another: the storage lives as long as any tensor or program refers to
 * it, so tensors may be freed in any order. A tensor's shape, strides and
 * type never change; any number of threads may use the same tensor at
 * once, and nrt_tensor_free() must be its last use.
 *
 * A tensor of which a dimension of size above 1 has stride 0 repeats its
 * elements: it is a broadcast view, which can only be read (as a program
 * input or by nrt_tensor_read()).
 */
typedef struct nrt_tensor nrt_tensor;

/**
 * nrt_tensor_alloc() - allocate a tensor with a buffer of its own
 * @dev: device
 * @dtype: element type
 * @rank: number of dimensions, 1..NRT_MAX_RANK
 * @shape: @rank sizes, outermost first, each at least 1, at most
 *	NRT_TENSOR_MAX_ELEMS elements in all
 * @placement: where the buffer lives (NRT_PLACEMENT_HBM for tensors that
 *	programs use heavily)
 * @out: receives the tensor, untouched on failure
 *
 * The tensor is contiguous and row-major (the last dimension has stride 1)
 * at offset 0 of a new buffer of exactly its size. The contents are
 * unspecified.
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument, an invalid @dtype
 * or @placement, a @rank outside 1..4, a size of 0 or too many elements;
 * the statuses of nrt_buffer_alloc().
 */
NRT_API nrt_status nrt_tensor_alloc(nrt_device *dev, nrt_dtype dtype,
				    unsigned int rank, const uint32_t *shape,
				    nrt_placement placement, nrt_tensor **out);

/**
 * nrt_tensor_wrap() - a tensor over an existing buffer
 * @buf: the buffer; it must stay allocated as long as the tensor, its views,
 *	the programs that use them and the fences of their runs (a freed
 *	buffer's device addresses may be given to the next allocation)
 * @offset: byte offset of element 0 in @buf, a multiple of the element size
 * @dtype: element type
 * @rank: number of dimensions, 1..NRT_MAX_RANK
 * @shape: @rank sizes, outermost first, each at least 1
 * @strides: @rank strides in elements, each at least 0, or NULL for
 *	row-major contiguous
 * @out: receives the tensor, untouched on failure
 *
 * The tensor does not own @buf: freeing it leaves @buf allocated. The
 * strides are not checked for elements that overlap: such a tensor must
 * not be an output (the hardware's result is undefined).
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument, a bad @dtype,
 * @rank, size or stride, a misaligned @offset, more than
 * NRT_TENSOR_MAX_ELEMS elements, or elements outside @buf; NRT_RESOURCE
 * if out of memory.
 */
NRT_API nrt_status nrt_tensor_wrap(nrt_buffer *buf, size_t offset,
				   nrt_dtype dtype, unsigned int rank,
				   const uint32_t *shape, const int32_t *strides,
				   nrt_tensor **out);

/**
 * nrt_tensor_free() - free a tensor or view
 * @t: tensor, or NULL (then nothing is done)
 *
 * The storage (and the buffer of nrt_tensor_alloc()) is released when the
 * last tensor, view or program referring to it is gone. Freeing a tensor
 * before its views, or before programs that use it, is safe.
 */
NRT_API void nrt_tensor_free(nrt_tensor *t);

/**
 * nrt_tensor_slice() - view of a range of one dimension
 * @t: tensor or view
 * @dim: dimension, 0..rank-1
 * @start: first index kept
 * @len: number of indices kept, at least 1; @start + @len at most the size
 *	of @dim
 * @view: receives the view: same rank, strides and type, size @len in
 *	@dim, its offset moved to index @start
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument or a range outside
 * the dimension; NRT_RESOURCE if out of memory.
 */
NRT_API nrt_status nrt_tensor_slice(const nrt_tensor *t, unsigned int dim,
				    uint32_t start, uint32_t len,
				    nrt_tensor **view);

/**
 * nrt_tensor_transpose() - view with two dimensions swapped
 * @t: tensor or view
 * @d0: a dimension, 0..rank-1
 * @d1: another dimension (or the same: a plain view)
 * @view: receives the view: the sizes and strides of @d0 and @d1 swapped;
 *	no data moves
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument or a dimension out
 * of range; NRT_RESOURCE if out of memory.
 */
NRT_API nrt_status nrt_tensor_transpose(const nrt_tensor *t, unsigned int d0,
					unsigned int d1, nrt_tensor **view);

/**
 * nrt_tensor_reshape() - view of a contiguous tensor with another shape
 * @t: contiguous tensor or view (nrt_tensor_is_contiguous())
 * @rank: new rank, 1..NRT_MAX_RANK
 * @shape: @rank sizes with the same number of elements as @t
 * @view: receives the contiguous row-major view
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument, a tensor that is
 * not contiguous, a bad @rank or size, or another element count;
 * NRT_RESOURCE if out of memory.
 */
NRT_API nrt_status nrt_tensor_reshape(const nrt_tensor *t, unsigned int rank,
				      const uint32_t *shape, nrt_tensor **view);

/**
 * nrt_tensor_broadcast() - read-only view repeating a tensor to a shape
 * @t: tensor or view
 * @rank: rank of the result, at least that of @t, at most NRT_MAX_RANK
 * @shape: @rank sizes. As in NumPy, the dimensions of @t are aligned with
 *	the last ones of @shape; each must be equal to its counterpart or 1.
 * @view: receives the view: a dimension of size 1 that grows, and a new
 *	leading dimension, gets stride 0
 *
 * The view repeats elements, so it cannot be written (see nrt_tensor).
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument, a bad @rank or a
 * shape @t does not broadcast to, or more than NRT_TENSOR_MAX_ELEMS
 * elements; NRT_RESOURCE if out of memory.
 */
NRT_API nrt_status nrt_tensor_broadcast(const nrt_tensor *t, unsigned int rank,
					const uint32_t *shape, nrt_tensor **view);

/**
 * nrt_tensor_dtype() - element type of a tensor
 * @t: tensor
 *
 * Return: the type, or NRT_DTYPE_INVALID if @t is NULL.
 */
NRT_API nrt_dtype nrt_tensor_dtype(const nrt_tensor *t);

/**
 * nrt_tensor_rank() - number of dimensions of a tensor
 * @t: tensor
 *
 * Return: 1..NRT_MAX_RANK, or 0 if @t is NULL.
 */
NRT_API unsigned int nrt_tensor_rank(const nrt_tensor *t);

/**
 * nrt_tensor_shape() - sizes of the dimensions of a tensor
 * @t: tensor
 *
 * Return: an array of nrt_tensor_rank() sizes, outermost first, valid as
 * long as @t; NULL if @t is NULL.
 */
NRT_API const uint32_t *nrt_tensor_shape(const nrt_tensor *t);

/**
 * nrt_tensor_strides() - strides of the dimensions of a tensor, in elements
 * @t: tensor
 *
 * Return: an array of nrt_tensor_rank() strides, valid as long as @t; NULL
 * if @t is NULL.
 */
NRT_API const int32_t *nrt_tensor_strides(const nrt_tensor *t);

/**
 * nrt_tensor_elems() - number of elements of a tensor
 * @t: tensor
 *
 * Return: the product of the sizes, or 0 if @t is NULL.
 */
NRT_API size_t nrt_tensor_elems(const nrt_tensor *t);

/**
 * nrt_tensor_is_contiguous() - whether a tensor is dense and row-major
 * @t: tensor
 *
 * Return: true if its elements fill nrt_tensor_elems() * element size bytes
 * from its offset in row-major order (strides of dimensions of size 1 do
 * not matter); false otherwise or if @t is NULL.
 */
NRT_API bool nrt_tensor_is_contiguous(const nrt_tensor *t);

/**
 * nrt_tensor_buffer() - the buffer holding a tensor's elements
 * @t: tensor
 *
 * Return: the buffer, valid as long as @t (do not free it), or NULL if @t
 * is NULL.
 */
NRT_API nrt_buffer *nrt_tensor_buffer(const nrt_tensor *t);

/**
 * nrt_tensor_offset() - byte offset of a tensor's element 0 in its buffer
 * @t: tensor
 *
 * Return: the offset, or 0 if @t is NULL.
 */
NRT_API size_t nrt_tensor_offset(const nrt_tensor *t);

/**
 * nrt_tensor_va() - device virtual address of a tensor's element 0
 * @t: tensor
 *
 * Return: nrt_buffer_va() of its buffer plus its offset, or 0 if @t is
 * NULL.
 */
NRT_API uint64_t nrt_tensor_va(const nrt_tensor *t);

/**
 * nrt_tensor_write() - set the elements of a tensor from host memory
 * @t: tensor or view; not a broadcast view
 * @src: nrt_tensor_elems(@t) elements of type @src_dtype, dense and
 *	row-major in the shape of @t (whatever its strides)
 * @src_dtype: type of the elements at @src
 *
 * Elements of another type are converted as the hardware converts
 * (Documentation/isa.rst, "Numerics": round to nearest even, saturating
 * fp8 and integers, NaN to 0 in integers); the same type is copied bit for
 * bit. Only the elements of @t are written, also in a strided view. The
 * call is synchronous and, like nrt_buffer_write(), not ordered after jobs
 * still running on the buffer. Threads may write disjoint views of one
 * buffer at once.
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument, an invalid
 * @src_dtype or a broadcast view; NRT_RESOURCE if out of memory; the
 * statuses of nrt_buffer_write() and nrt_buffer_map().
 */
NRT_API nrt_status nrt_tensor_write(nrt_tensor *t, const void *src,
				    nrt_dtype src_dtype);

/**
 * nrt_tensor_read() - copy the elements of a tensor to host memory
 * @t: tensor or view, broadcast views included
 * @dst: receives nrt_tensor_elems(@t) elements of type @dst_dtype, dense
 *	and row-major in the shape of @t
 * @dst_dtype: type of the elements at @dst
 *
 * Converts as nrt_tensor_write() does. A strided view is read as the span
 * of the buffer that covers it, then gathered.
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument or an invalid
 * @dst_dtype; NRT_RESOURCE if out of memory; the statuses of
 * nrt_buffer_read().
 */
NRT_API nrt_status nrt_tensor_read(const nrt_tensor *t, void *dst,
				   nrt_dtype dst_dtype);

/* ------------------------------------------------------------------------
 * Programs (version 0.3)
 */

/** Functions of nrt_program_binary(); the values are the hardware's TRN_BIN_*. */
typedef enum nrt_binary_op {
	NRT_BINARY_ADD = 0,     /**< a + b */
	NRT_BINARY_SUB = 1,     /**< a - b */
	NRT_BINARY_MUL = 2,     /**< a * b */
	NRT_BINARY_DIV = 3,     /**< a / b */
	NRT_BINARY_MAX = 4,     /**< the larger; NaN if either is NaN */
	NRT_BINARY_MIN = 5,     /**< the smaller; NaN if either is NaN */
} nrt_binary_op;

/** Functions of nrt_program_activate(); the values are the hardware's TRN_ACT_*. */
typedef enum nrt_activation {
	NRT_ACT_IDENTITY = 0,   /**< x */
	NRT_ACT_RELU = 1,       /**< max(x, 0) */
	NRT_ACT_GELU = 2,       /**< x/2 * (1 + erf(x / sqrt(2))) */
	NRT_ACT_SILU = 3,       /**< x * sigmoid(x); -0 at -inf */
	NRT_ACT_EXP = 4,        /**< exp(x) */
	NRT_ACT_TANH = 5,       /**< tanh(x) */
	NRT_ACT_SIGMOID = 6,    /**< 1 / (1 + exp(-x)) */
	NRT_ACT_RECIPROCAL = 7, /**< 1 / x */
	NRT_ACT_RSQRT = 8,      /**< 1 / sqrt(x) */
	NRT_ACT_SQRT = 9,       /**< sqrt(x) */
	NRT_ACT_SQUARE = 10,    /**< x * x */
	NRT_ACT_ABS = 11,       /**< |x| */
} nrt_activation;

/** Functions of nrt_program_reduce(); the values are the hardware's TRN_RED_*. */
typedef enum nrt_reduce_op {
	NRT_REDUCE_SUM = 0,     /**< sum, in double precision, in index order */
	NRT_REDUCE_MAX = 1,     /**< largest; NaN if any is NaN */
	NRT_REDUCE_MIN = 2,     /**< smallest; NaN if any is NaN */
} nrt_reduce_op;

/** Most steps of a program (16 MiB of 256-byte instructions). */
#define NRT_PROGRAM_MAX_STEPS 65536u

/**
 * A program for the NeuronCores of one device handle: a sequence of steps
 * (one hardware instruction each) over tensors, built by the
 * nrt_program_*() append calls, made ready with nrt_program_finalize() and
 * then run any number of times, also concurrently, with nrt_program_run().
 * Opaque.
 *
 * Steps are numbered from 0 in the order they were added; step i is
 * instruction i, and errors name steps by these numbers. The tensors of a
 * step are given as the tensor's rank: a tensor of rank r is the operand of
 * rank 4 with 4 - r leading dimensions of size 1. Inputs broadcast as in
 * NumPy where a step says so: their dimensions are aligned with the last
 * ones of the output, and a dimension of size 1 (or missing) repeats.
 * Element arithmetic is the hardware's (Documentation/isa.rst): in double
 * precision rounded once to the output's type, except matmul (fp32).
 *
 * A program keeps the storage of every tensor it uses (see nrt_tensor), so
 * the tensors themselves may be freed once the steps are added; what runs
 * is the tensors' memory at run time. The output of a step may be one of
 * its inputs (in place) for binary, activate, cast and copy; matmul reads
 * all inputs before writing; other overlaps are undefined.
 *
 * Every call is thread-safe. Appends and nrt_program_finalize() are
 * serialised by the program; runs of a finalized program need no lock.
 */
typedef struct nrt_program nrt_program;

/**
 * nrt_program_new() - create an empty program
 * @dev: device handle whose tensors the program uses and whose cores run it
 * @out: receives the program, untouched on failure
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument; NRT_RESOURCE if
 * out of memory.
 */
NRT_API nrt_status nrt_program_new(nrt_device *dev, nrt_program **out);

/**
 * nrt_program_free() - free a program
 * @p: program, or NULL (then nothing is done)
 *
 * Runs still in flight are not affected: they and their fences keep what
 * they need until nrt_fence_free(). @p must not be used afterwards.
 */
NRT_API void nrt_program_free(nrt_program *p);

/*
 * The append calls below add one step at the end of @p. They fail with
 * NRT_INVALID, adding nothing, when an argument is invalid: the message
 * names the step number and kind, e.g. "step 3 (matmul): inner dimensions
 * differ: a is 64x32, b is 48x16". Every tensor must belong to the
 * program's device handle, and an output must not be a broadcast view.
 * They also fail with NRT_INVALID after nrt_program_finalize() or when the
 * program has NRT_PROGRAM_MAX_STEPS steps, and with NRT_RESOURCE when out
 * of memory.
 */

/**
 * nrt_program_matmul() - append out = alpha * a @ b (or out += ...)
 * @p: program
 * @out: [..., M, N]
 * @a: [..., M, K], rank at least 2
 * @b: [..., K, N], rank at least 2
 * @alpha: scale of the product
 * @accumulate: add to the contents of @out instead of replacing them
 *
 * The leading (batch) dimensions of @a and @b, at most two, broadcast to
 * those of @out. Any types; products accumulate in fp32.
 *
 * Return: as described above.
 */
NRT_API nrt_status nrt_program_matmul(nrt_program *p, nrt_tensor *out,
				      const nrt_tensor *a, const nrt_tensor *b,
				      float alpha, bool accumulate);

/**
 * nrt_program_binary() - append out = a op b, element by element
 * @p: program
 * @op: function
 * @out: result
 * @a: left operand, broadcast to the shape of @out
 * @b: right operand, broadcast to the shape of @out
 *
 * Return: as described above; NRT_INVALID also for an unknown @op.
 */
NRT_API nrt_status nrt_program_binary(nrt_program *p, nrt_binary_op op,
				      nrt_tensor *out, const nrt_tensor *a,
				      const nrt_tensor *b);

/**
 * nrt_program_binary_scalar() - append out = a op scalar
 * @p: program
 * @op: function
 * @out: result
 * @a: left operand, broadcast to the shape of @out
 * @scalar: right operand
 *
 * Return: as described above; NRT_INVALID also for an unknown @op.
 */
NRT_API nrt_status nrt_program_binary_scalar(nrt_program *p, nrt_binary_op op,
					     nrt_tensor *out, const nrt_tensor *a,
					     float scalar);

/**
 * nrt_program_activate() - append out = fn(scale * in + bias)
 * @p: program
 * @fn: function
 * @out: result
 * @in: input, broadcast to the shape of @out
 * @scale: factor applied to @in first
 * @bias: added after @scale
 *
 * Return: as described above; NRT_INVALID also for an unknown @fn.
 */
NRT_API nrt_status nrt_program_activate(nrt_program *p, nrt_activation fn,
					nrt_tensor *out, const nrt_tensor *in,
					float scale, float bias);

/**
 * nrt_program_reduce() - append out = scale * reduction of in along an axis
 * @p: program
 * @op: reduction
 * @out: the shape of @in with dimension @axis of size 1 (same rank), or
 *	with @axis removed (rank one less)
 * @in: input
 * @axis: dimension of @in, 0..rank-1
 * @scale: factor applied to the result (e.g. 1/n for a mean)
 *
 * Return: as described above; NRT_INVALID also for an unknown @op or an
 * @axis out of range.
 */
NRT_API nrt_status nrt_program_reduce(nrt_program *p, nrt_reduce_op op,
				      nrt_tensor *out, const nrt_tensor *in,
				      unsigned int axis, float scale);

/**
 * nrt_program_transpose() - append out = in with two dimensions swapped
 * @p: program
 * @out: the shape of @in with @d0 and @d1 swapped, same rank
 * @in: input
 * @d0: dimension of @in
 * @d1: dimension of @in
 *
 * Unlike nrt_tensor_transpose(), this moves data: @out is usually
 * contiguous. The types may differ (the elements are converted).
 *
 * Return: as described above; NRT_INVALID also for a dimension out of
 * range.
 */
NRT_API nrt_status nrt_program_transpose(nrt_program *p, nrt_tensor *out,
					 const nrt_tensor *in, unsigned int d0,
					 unsigned int d1);

/**
 * nrt_program_cast() - append out = in converted to the type of out
 * @p: program
 * @out: result, any type
 * @in: input, broadcast to the shape of @out; with other strides than @out
 *	it also changes the layout
 *
 * Return: as described above.
 */
NRT_API nrt_status nrt_program_cast(nrt_program *p, nrt_tensor *out,
				    const nrt_tensor *in);

/**
 * nrt_program_copy() - append a copy of in to out by the core's DMA engine
 * @p: program
 * @out: result, of the type of @in
 * @in: input, broadcast to the shape of @out
 *
 * Return: as described above; NRT_INVALID also for different types.
 */
NRT_API nrt_status nrt_program_copy(nrt_program *p, nrt_tensor *out,
				    const nrt_tensor *in);

/**
 * nrt_program_sem_signal() - append: add a value to a semaphore
 * @p: program
 * @sem: semaphore of the handle's address space, below
 *	nrt_device_info.num_sems; shared with DMA jobs (NRT_DMA_OP_SEM_*)
 * @value: amount added
 *
 * Return: as described above; NRT_INVALID also for @sem out of range.
 */
NRT_API nrt_status nrt_program_sem_signal(nrt_program *p, unsigned int sem,
					  uint64_t value);

/**
 * nrt_program_sem_wait() - append: wait until a semaphore reaches a value
 * @p: program
 * @sem: semaphore, as for nrt_program_sem_signal()
 * @value: the core goes on once the semaphore is at least @value
 *
 * A wait that is never satisfied ends with the kernel driver's job timeout
 * (NRT_TIMEOUT from the run's fence).
 *
 * Return: as described above; NRT_INVALID also for @sem out of range.
 */
NRT_API nrt_status nrt_program_sem_wait(nrt_program *p, unsigned int sem,
					uint64_t value);

/**
 * nrt_program_finalize() - make a program ready to run
 * @p: program with at least one step
 *
 * Copies the encoded instructions into a new HBM buffer of the device.
 * Afterwards no step can be added. Calling it again does nothing.
 *
 * Return: NRT_SUCCESS; NRT_INVALID if @p is NULL or has no steps; the
 * statuses of nrt_buffer_alloc() and nrt_buffer_write().
 */
NRT_API nrt_status nrt_program_finalize(nrt_program *p);

/**
 * nrt_program_steps() - number of steps of a program
 * @p: program
 *
 * Return: the number of steps added, or 0 if @p is NULL.
 */
NRT_API unsigned int nrt_program_steps(const nrt_program *p);

/**
 * nrt_program_step_name() - what a step does, as error messages name it
 * @p: program
 * @step: step number, 0..nrt_program_steps()-1
 *
 * Return: a static string such as "matmul", "binary add", "binary mul
 * scalar", "activate gelu", "reduce max", "transpose", "cast", "copy",
 * "sem_signal" or "sem_wait"; NULL if @p is NULL or @step out of range.
 */
NRT_API const char *nrt_program_step_name(const nrt_program *p,
					  unsigned int step);

/**
 * nrt_program_encoded() - the encoded instructions of a program
 * @p: program
 * @insns: receives the host copy of the instructions: step i is the 256
 *	bytes at offset i * 256, in the format of include/hw/trn_isa.h
 * @len: receives the number of bytes, 256 * nrt_program_steps()
 *
 * For tools and tests. Before nrt_program_finalize() the copy moves when a
 * step is added, so *@insns is only valid until the next append; after it,
 * as long as the program.
 *
 * Return: NRT_SUCCESS (*@insns is NULL and *@len 0 for an empty program);
 * NRT_INVALID for a NULL argument.
 */
NRT_API nrt_status nrt_program_encoded(const nrt_program *p,
				       const void **insns, size_t *len);

/**
 * struct nrt_run_opts - options of nrt_program_run()
 *
 * Set @struct_size to sizeof(nrt_run_opts); NRT_RUN_OPTS_INIT gives the
 * defaults. Fields may be appended in later versions.
 */
typedef struct nrt_run_opts {
	uint32_t struct_size;     /**< sizeof(nrt_run_opts). */
	nrt_fence *const *wait;   /**< Fences to wait for before starting. */
	size_t wait_count;        /**< Number of fences at @wait. */
} nrt_run_opts;

/** Initialiser of nrt_run_opts with the defaults: no fences. */
#define NRT_RUN_OPTS_INIT { sizeof(nrt_run_opts), NULL, 0 }

/**
 * nrt_program_run() - run a finalized program on a NeuronCore
 * @p: finalized program
 * @core: core, 0..nrt_device_info.core_queues-1
 * @opts: options, or NULL for the defaults
 * @fence: NULL to wait for the program (synchronous), or receives a new
 *	fence that the caller frees with nrt_fence_free()
 *
 * Submits one job to the queue of @core: the EXEC descriptor of the program
 * (with a status record of the run's own, so that runs can overlap). The
 * job starts once the fences of @opts have signalled and after the earlier
 * jobs of the device handle on the core. Runs of one program may go on
 * several cores at once, and the program may be freed while they run.
 *
 * When the program fails on the device, the run's fence (nrt_fence_wait(),
 * or this call when synchronous) reports NRT_HW_ERROR with a message that
 * names the step, its kind and the hardware's error, e.g. "program step 5
 * (activate gelu): operand outside the mapped address space at
 * 0x7f0000123000 (core 1, TRN_DMA_ERR_UNMAPPED)"; see also
 * nrt_program_run_result().
 *
 * Return: NRT_SUCCESS (for a synchronous run: the program ran to its end);
 * NRT_INVALID for a NULL @p, a program that is not finalized, a @core out
 * of range, bad @opts (struct_size, a NULL or foreign wait fence);
 * NRT_UNSUPPORTED if the kernel driver offers no NeuronCore queues or
 * predates 0.5;
 * NRT_RESOURCE if out of memory or status records; a submission failure
 * (NRT_QUEUE_FULL, NRT_NO_DEVICE, NRT_FAILURE); for a synchronous run, the
 * statuses of nrt_fence_wait().
 */
NRT_API nrt_status nrt_program_run(nrt_program *p, unsigned int core,
				   const nrt_run_opts *opts, nrt_fence **fence);

/**
 * struct nrt_run_result - what the device reported about a program run
 *
 * The contents of the run's EXEC status record (Documentation/isa.rst).
 */
typedef struct nrt_run_result {
	uint32_t error;  /**< Hardware error code TRN_DMA_ERR_*: 0 on success,
			  *   e.g. 1 unmapped, 7 bad instruction, 8 operand,
			  *   9 alignment. */
	uint32_t step;   /**< On success the steps executed, else the step
			  *   that failed. */
	uint64_t addr;   /**< The device address at fault, or 0. */
	uint64_t ns;     /**< Nanoseconds the program ran. */
} nrt_run_result;

/**
 * nrt_program_run_result() - the device's report of a completed run
 * @f: fence of nrt_program_run(), completed (nrt_fence_wait() returned
 *	anything but NRT_TIMEOUT "still running")
 * @res: receives the report
 *
 * Return: NRT_SUCCESS, also when the program failed (see @res->error);
 * NRT_INVALID for a NULL argument or a fence that is not of a program run;
 * NRT_TIMEOUT if the run has not completed; NRT_FAILURE if the device
 * wrote no report (the job was stopped before the program ended, e.g. by
 * the driver's job timeout).
 */
NRT_API nrt_status nrt_program_run_result(nrt_fence *f, nrt_run_result *res);

/* ------------------------------------------------------------------------
 * Topology: the NeuronLink ports of the devices (version 0.4)
 */

/** State of a link port. The values are the kernel's TRN_LINK_PORT_*. */
typedef enum nrt_link_state {
	NRT_LINK_DOWN = 0,      /**< No link. */
	NRT_LINK_TRAINING = 1,  /**< Link training in progress. */
	NRT_LINK_UP = 2,        /**< Up: the peer fields are valid. */
} nrt_link_state;

/** Bits of nrt_link_event.events; the kernel's TRN_LINK_EVENT_*. */
#define NRT_LINK_EVENT_STATE  (1u << 0) /**< The port changed state. */
#define NRT_LINK_EVENT_ERRORS (1u << 1) /**< Its error counters crossed the
					  *   kernel's threshold. */

/**
 * struct nrt_link - one NeuronLink port of one device
 *
 * Returned by pointer, owned by the library: fields may be appended in
 * later versions, so do not rely on sizeof(nrt_link) across versions.
 */
typedef struct nrt_link {
	unsigned int device;     /**< Device index (as nrt_device_open()). */
	unsigned int minor;      /**< N of /dev/accel/accelN. */
	uint32_t chip_id;        /**< Chip id of the device. */
	char pci_bdf[32];        /**< PCI address of the device. */
	unsigned int port;       /**< Port number on the device. */
	nrt_link_state state;    /**< Port state. */
	bool has_peer;           /**< The peer fields are known (usually: UP). */
	uint32_t peer_chip;      /**< Chip id at the other end. */
	uint32_t peer_port;      /**< Port at the other end. */
	int peer_device;         /**< Device index of the other end when it is a
				  *   device of this system, else -1. */
	uint32_t speed_gbps;     /**< Lane rate in Gb/s, 0 if unknown. */
	uint32_t width;          /**< Lanes, 0 if unknown. */
	uint64_t err_crc;        /**< CRC errors counted. */
	uint64_t err_replay;     /**< Replays counted. */
	uint64_t tx_bytes;       /**< Bytes sent. */
	uint64_t rx_bytes;       /**< Bytes received. */
	/* Appended in 0.8: */
	uint32_t host;           /**< Host of the device: its position in the
				  *   rack (0 before hardware interface 1.9).
				  *   A chip of a rack is (host, chip_id). */
	uint32_t peer_host;      /**< Host at the other end, when has_peer.
				  *   A far end on another host is never a
				  *   device of this system: peer_device is
				  *   then -1, whatever peer_chip is. */
} nrt_link;

/** Where a topology snapshot was read from. */
typedef enum nrt_topology_source {
	NRT_TOPOLOGY_NETLINK = 0, /**< The trn_link generic netlink family. */
	NRT_TOPOLOGY_SYSFS = 1,   /**< sysfs link<p>/ (no netlink family). */
} nrt_topology_source;

/** A snapshot of all link ports of all devices. Opaque, immutable. */
typedef struct nrt_topology nrt_topology;

/**
 * nrt_topology_get() - read the link ports of all devices
 * @out: receives the snapshot, untouched on failure; free it with
 *	nrt_topology_free()
 *
 * Dumps the ports with a GET request of the "trn_link" generic netlink
 * family. When the family is not registered, reads sysfs instead:
 * /sys/bus/pci/devices/<bdf>/link<p>/{state,peer_chip,peer_port,
 * peer_device,peer_host,speed,width,err_crc,err_replay,tx_bytes,rx_bytes}
 * and <bdf>/host_id (both optional: host 0 at both ends without them) of every
 * device nrt_device_count() sees (NRT_SYSFS_ROOT redirects /sys). The
 * links are sorted by device index and port. A device without link ports
 * contributes none; no device at all gives an empty snapshot.
 *
 * Return: NRT_SUCCESS; NRT_INVALID if @out is NULL; NRT_NO_DRIVER if the
 * trn module is not loaded; NRT_PERMISSION if netlink or sysfs refuse;
 * NRT_RESOURCE if out of memory; NRT_FAILURE for a malformed answer or
 * attribute (the message names it).
 */
NRT_API nrt_status nrt_topology_get(nrt_topology **out);

/**
 * nrt_topology_free() - free a snapshot
 * @t: snapshot, or NULL (then nothing is done)
 *
 * The links of @t must not be used afterwards.
 */
NRT_API void nrt_topology_free(nrt_topology *t);

/**
 * nrt_topology_num_links() - number of link ports in a snapshot
 * @t: snapshot
 *
 * Return: the number, or 0 if @t is NULL.
 */
NRT_API size_t nrt_topology_num_links(const nrt_topology *t);

/**
 * nrt_topology_link() - one link port of a snapshot
 * @t: snapshot
 * @i: 0..nrt_topology_num_links()-1, in device and port order
 *
 * Return: the link, valid as long as @t; NULL if @t is NULL or @i is out
 * of range.
 */
NRT_API const nrt_link *nrt_topology_link(const nrt_topology *t, size_t i);

/**
 * nrt_topology_find() - the link port of a device by port number
 * @t: snapshot
 * @device: device index
 * @port: port number
 *
 * Return: the link, valid as long as @t; NULL if there is no such port
 * (or @t is NULL).
 */
NRT_API const nrt_link *nrt_topology_find(const nrt_topology *t,
					  unsigned int device,
					  unsigned int port);

/**
 * nrt_topology_get_source() - where a snapshot was read from
 * @t: snapshot
 *
 * Return: NRT_TOPOLOGY_NETLINK or NRT_TOPOLOGY_SYSFS (also for NULL).
 */
NRT_API nrt_topology_source nrt_topology_get_source(const nrt_topology *t);

/** A listener of link events. Opaque. */
typedef struct nrt_link_listener nrt_link_listener;

/**
 * struct nrt_link_event - one link event
 *
 * Returned by value: fields may only be appended, and the caller's copy is
 * written in full by nrt_link_listener_next(). The nrt_link it holds grew
 * in 0.8 (host, peer_host): programs linked against an older library call
 * the NRT_0.4 version of nrt_link_listener_next(), which writes the event
 * as it was then, without them.
 */
typedef struct nrt_link_event {
	nrt_link link;           /**< The port's attributes at the event. */
	uint32_t events;         /**< NRT_LINK_EVENT_* bits. */
} nrt_link_event;

/**
 * nrt_link_listener_open() - start listening to link events
 * @out: receives the listener, untouched on failure; close it with
 *	nrt_link_listener_close()
 *
 * Joins the "events" multicast group of the "trn_link" generic netlink
 * family. Events that happen before this call are not seen; take a
 * snapshot with nrt_topology_get() afterwards for the current state.
 *
 * Return: NRT_SUCCESS; NRT_INVALID if @out is NULL; NRT_NO_DRIVER with
 * "netlink family trn_link not found: is the trn module loaded?" when the
 * family is not registered (there is no sysfs fallback for events);
 * NRT_PERMISSION if netlink refuses; NRT_RESOURCE if out of memory;
 * NRT_FAILURE otherwise.
 */
NRT_API nrt_status nrt_link_listener_open(nrt_link_listener **out);

/**
 * nrt_link_listener_fd() - file descriptor to poll for events
 * @l: listener
 *
 * Readable (POLLIN) when nrt_link_listener_next() may have an event. The
 * descriptor belongs to the listener: do not read or close it.
 *
 * Return: the descriptor, or -1 if @l is NULL.
 */
NRT_API int nrt_link_listener_fd(const nrt_link_listener *l);

/**
 * nrt_link_listener_next() - wait for the next link event
 * @l: listener
 * @timeout_ms: longest wait in milliseconds; 0: do not wait; negative:
 *	wait without limit
 * @event: receives the event
 *
 * Returns events one at a time, in the order the kernel sent them. Safe to
 * call from several threads (each event goes to one caller).
 *
 * Return: NRT_SUCCESS with an event; NRT_TIMEOUT if none came within
 * @timeout_ms or a signal interrupted the wait; NRT_INVALID for a NULL
 * argument; NRT_RESOURCE if the kernel dropped events because they were
 * not read fast enough (the next call goes on with newer events: take a
 * new snapshot); NRT_FAILURE for a malformed message or a socket error.
 */
NRT_API nrt_status nrt_link_listener_next(nrt_link_listener *l, int timeout_ms,
					  nrt_link_event *event);

/**
 * nrt_link_listener_close() - stop listening and free a listener
 * @l: listener, or NULL (then nothing is done)
 */
NRT_API void nrt_link_listener_close(nrt_link_listener *l);

/**
 * nrt_link_state_name() - name of a link state
 * @s: state
 *
 * Return: "down", "training", "up", or "unknown" for another value.
 */
NRT_API const char *nrt_link_state_name(nrt_link_state s);

/* ------------------------------------------------------------------------
 * Collectives (version 0.7)
 */

/**
 * DOC: Communicators
 *
 * A communicator joins processes, one device each, into ranks 0..size-1
 * that run collectives together over the NeuronLink cables between their
 * devices: all-reduce, reduce-scatter, all-gather, broadcast, reduce,
 * all-to-all, and messages between two cabled ranks. Data moves device to
 * device; reductions run on the devices' NeuronCores. A communicator is
 * made from a unique id that one process creates and the launcher hands to
 * every rank (an environment variable, fork(), or MPI_Bcast() by the
 * caller: libnrt uses no MPI). Documentation/collectives.rst describes the
 * algorithms, the order of reductions and what happens on failures.
 *
 * Every rank calls the same collectives in the same order with matching
 * arguments. A collective call returns once its work is queued on the
 * devices; it waits for the ranks whose work its own depends on to have
 * queued theirs (at most the communicator's timeout), not for the data.
 * The fence it returns completes when the rank's part is done and says
 * whether the collective succeeded on this rank. Calls on one
 * communicator from several threads are serialised.
 */

/** Bytes of an nrt_comm_id. */
#define NRT_COMM_ID_BYTES 128

/**
 * struct nrt_comm_id - names a communicator before it exists
 *
 * Opaque and of fixed size, so that a launcher can copy it as bytes (e.g.
 * MPI_Bcast() of sizeof(nrt_comm_id) bytes) or as text
 * (nrt_comm_id_to_string()). It holds a secret: whoever has it can join.
 */
typedef struct nrt_comm_id {
	unsigned char internal[NRT_COMM_ID_BYTES]; /**< Opaque. */
} nrt_comm_id;

/** Length of the text of an nrt_comm_id, the NUL included. */
#define NRT_COMM_ID_STRLEN (2 * NRT_COMM_ID_BYTES + 1)

/**
 * nrt_comm_get_unique_id() - a new communicator id
 * @id: receives the id
 *
 * Names a rendezvous on this host (an abstract Unix socket that rank 0 of
 * nrt_comm_init_rank() listens on) and a random secret. Any process may
 * make it; every rank must get the same id.
 *
 * Return: NRT_SUCCESS; NRT_INVALID if @id is NULL; NRT_FAILURE if no
 * random bytes could be read.
 */
NRT_API nrt_status nrt_comm_get_unique_id(nrt_comm_id *id);

/**
 * nrt_comm_id_to_string() - an id as text, for an environment variable
 * @id: id
 * @buf: receives NRT_COMM_ID_STRLEN - 1 hexadecimal digits and a NUL
 * @size: bytes at @buf, at least NRT_COMM_ID_STRLEN
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument or a small @size.
 */
NRT_API nrt_status nrt_comm_id_to_string(const nrt_comm_id *id, char *buf,
					 size_t size);

/**
 * nrt_comm_id_from_string() - an id from the text of nrt_comm_id_to_string()
 * @s: text
 * @id: receives the id
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument or text that is not
 * an id.
 */
NRT_API nrt_status nrt_comm_id_from_string(const char *s, nrt_comm_id *id);

/** Algorithms of collectives (nrt_comm_config.algo, NRT_COMM_ALGO). */
typedef enum nrt_comm_algo {
	NRT_COMM_ALGO_AUTO = 0,    /**< Chosen by the topology and the size. */
	NRT_COMM_ALGO_RING = 1,    /**< Ring through all ranks. */
	NRT_COMM_ALGO_TORUS2D = 2, /**< All-reduce on a torus: rows, columns,
				    *   rows. */
	NRT_COMM_ALGO_TREE = 3,    /**< Small all-reduce: two chains to rank
				    *   ring[0], two chains back. */
	NRT_COMM_ALGO_CHAIN = 4,   /**< Reductions folded in rank order (what
				    *   NRT_COMM_DETERMINISTIC uses). */
} nrt_comm_algo;

/** nrt_comm_config.flags: reductions give the same bits whatever the
 *  algorithm and chunking (they fold in rank order; slower). */
#define NRT_COMM_DETERMINISTIC (1u << 0)

/**
 * struct nrt_comm_config - options of nrt_comm_init_rank()
 *
 * Set @struct_size to sizeof(nrt_comm_config); NRT_COMM_CONFIG_INIT gives
 * the defaults, which environment variables override
 * (Documentation/collectives.rst). Fields may be appended in later
 * versions.
 */
typedef struct nrt_comm_config {
	uint32_t struct_size;      /**< sizeof(nrt_comm_config). */
	nrt_comm_algo algo;        /**< AUTO: NRT_COMM_ALGO, else by topology. */
	uint32_t flags;            /**< NRT_COMM_DETERMINISTIC; also set by
				    *   NRT_COMM_DETERMINISTIC=1. */
	uint32_t timeout_ms;       /**< Longest wait for another rank; 0:
				    *   NRT_COMM_TIMEOUT_MS, else 30000. */
	uint32_t slot_bytes;       /**< Bytes of one transfer, a multiple of
				    *   4096 up to 64 MiB; 0:
				    *   NRT_COMM_SLOT_BYTES, else 512 KiB. */
	uint32_t slots;            /**< Slots of each neighbour's staging,
				    *   1..64; 0: NRT_COMM_SLOTS, else 8. */
} nrt_comm_config;

/** Initialiser of nrt_comm_config with the defaults. */
#define NRT_COMM_CONFIG_INIT { sizeof(nrt_comm_config), NRT_COMM_ALGO_AUTO, 0, 0, 0, 0 }

/** A communicator: one rank's handle. Opaque. */
typedef struct nrt_comm nrt_comm;

/**
 * nrt_comm_init_rank() - join a communicator
 * @dev: the device of this rank; the communicator keeps it open
 * @id: the id every rank got from the same nrt_comm_get_unique_id()
 * @nranks: number of ranks, 1..1024
 * @rank: this rank, 0..@nranks-1, each taken by one process
 * @config: options, or NULL for the defaults
 * @out: receives the communicator; free it with nrt_comm_destroy()
 *
 * Collective over the @nranks ranks: it returns when all of them have
 * joined and set up their channels, or fails on every rank. Rank 0 hosts
 * the rendezvous. The ranks learn each other's cables from the topology
 * of their devices (nrt_topology_get()) and set up a channel to every
 * cabled neighbour: staging memory on each device that the neighbour
 * imports, and fences shared between the two.
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument, @rank not below
 * @nranks, bad @config, an id that is not one, or a rank that joined
 * twice or with another @nranks; NRT_TIMEOUT if not all ranks joined
 * within the timeout; NRT_NO_LINK if the ranks' devices are not all
 * connected by cables that are up; NRT_PEER_LOST if another rank failed
 * during the setup; NRT_PERMISSION for a rank of another user;
 * NRT_UNSUPPORTED if the kernel driver has no DMA, or predates 0.5; the
 * statuses of buffer allocation and peer imports.
 */
NRT_API nrt_status nrt_comm_init_rank(nrt_device *dev, const nrt_comm_id *id,
				      unsigned int nranks, unsigned int rank,
				      const nrt_comm_config *config,
				      nrt_comm **out);

/**
 * nrt_comm_init_env() - nrt_comm_init_rank() with what the environment says
 * @dev: the device of this rank
 * @config: options, or NULL
 * @out: receives the communicator
 *
 * Reads NRT_COMM_ID (nrt_comm_id_to_string() text), NRT_COMM_RANK and
 * NRT_COMM_SIZE, as a launcher that starts one process per device sets
 * them.
 *
 * Return: as nrt_comm_init_rank(); NRT_INVALID also when a variable is
 * missing or malformed (the message names it).
 */
NRT_API nrt_status nrt_comm_init_env(nrt_device *dev,
				     const nrt_comm_config *config,
				     nrt_comm **out);

/**
 * nrt_comm_destroy() - leave a communicator and free it
 * @c: communicator, or NULL (then nothing is done)
 *
 * Does not wait for the other ranks: a rank still using the communicator
 * then fails with NRT_PEER_LOST. The fences of collectives stay usable
 * until freed; the devices finish the work already queued.
 */
NRT_API void nrt_comm_destroy(nrt_comm *c);

/**
 * nrt_comm_rank() - this rank's number
 * @c: communicator
 *
 * Return: the rank, or 0 if @c is NULL.
 */
NRT_API unsigned int nrt_comm_rank(const nrt_comm *c);

/**
 * nrt_comm_size() - number of ranks
 * @c: communicator
 *
 * Return: the number, or 0 if @c is NULL.
 */
NRT_API unsigned int nrt_comm_size(const nrt_comm *c);

/**
 * nrt_comm_device() - the device of this rank
 * @c: communicator
 *
 * Return: the device handle given to nrt_comm_init_rank(), or NULL.
 */
NRT_API nrt_device *nrt_comm_device(const nrt_comm *c);

/**
 * nrt_comm_ring_peer() - a neighbour of this rank on the communicator's ring
 * @c: communicator
 * @step: 1 for the next rank, -1 for the previous one
 *
 * The ring is the order of the ranks the ring algorithms go around: a
 * cycle over the cables when they allow one (a ring, a torus). Messages
 * (nrt_send(), nrt_recv()) go between cabled ranks only: these two are
 * such ranks when the ring is cabled all round.
 *
 * Return: the rank; -1 if @c is NULL, @step is neither 1 nor -1, or the
 * ring is not cabled all round (the communicator relays between ranks
 * that are not cabled).
 */
NRT_API int nrt_comm_ring_peer(const nrt_comm *c, int step);

/**
 * nrt_comm_describe() - the algorithm of an all-reduce and the topology
 * @c: communicator
 * @bytes: size of the all-reduce
 *
 * Return: a string such as "ring", "torus2d 4x4", "tree" or "chain",
 * valid as long as @c; "" if @c is NULL.
 */
NRT_API const char *nrt_comm_describe(const nrt_comm *c, size_t bytes);

/**
 * struct nrt_comm_stats - where the time of a communicator's collectives
 * went, counted since nrt_comm_init_rank()
 *
 * Set @struct_size to sizeof(nrt_comm_stats). Device times are counted
 * when a collective's fence is found complete (nrt_fence_wait()).
 */
typedef struct nrt_comm_stats {
	uint32_t struct_size;     /**< sizeof(nrt_comm_stats). */
	uint32_t reserved0;       /**< Zero. */
	uint64_t collectives;     /**< Collective calls that queued work. */
	uint64_t jobs;            /**< Jobs submitted to the device. */
	uint64_t bytes_sent;      /**< Bytes pushed to neighbours. */
	uint64_t submit_ns;       /**< Host time in collective calls. */
	uint64_t peer_wait_ns;    /**< Of it, waiting for other ranks. */
	uint64_t reduce_ns;       /**< NeuronCore time of reductions. */
	uint64_t reduce_bytes;    /**< Bytes the reductions produced. */
} nrt_comm_stats;

/**
 * nrt_comm_get_stats() - counters of a communicator
 * @c: communicator
 * @stats: receives them; @stats->struct_size must be set
 *
 * Return: NRT_SUCCESS; NRT_INVALID for a NULL argument or a small
 * struct_size.
 */
NRT_API nrt_status nrt_comm_get_stats(const nrt_comm *c, nrt_comm_stats *stats);

/** Reductions of collectives; the values are NCCL's. */
typedef enum nrt_redop {
	NRT_REDOP_SUM = 0,      /**< Sum. */
	NRT_REDOP_PROD = 1,     /**< Product. */
	NRT_REDOP_MAX = 2,      /**< Largest (NaN if any is NaN). */
	NRT_REDOP_MIN = 3,      /**< Smallest (NaN if any is NaN). */
	NRT_REDOP_AVG = 4,      /**< Sum divided by the number of ranks. */
} nrt_redop;

/**
 * struct nrt_coll_opts - options of the collective calls
 *
 * Set @struct_size to sizeof(nrt_coll_opts); NRT_COLL_OPTS_INIT gives the
 * defaults. Fields may be appended in later versions.
 */
typedef struct nrt_coll_opts {
	uint32_t struct_size;     /**< sizeof(nrt_coll_opts). */
	nrt_fence *const *wait;   /**< Fences of this rank's device handle to
				   *   wait for before touching the buffers. */
	size_t wait_count;        /**< Number of fences at @wait, at most 16. */
} nrt_coll_opts;

/** Initialiser of nrt_coll_opts with the defaults: no fences. */
#define NRT_COLL_OPTS_INIT { sizeof(nrt_coll_opts), NULL, 0 }

/*
 * The collective calls below take buffers of the communicator's device
 * handle (HBM or HOST) with byte offsets, which must be multiples of the
 * element size, and counts of elements. @fence is NULL to wait for the
 * collective (then the call returns its outcome), or receives a new fence
 * that the caller frees with nrt_fence_free(): nrt_fence_wait() on it
 * reports NRT_SUCCESS only if this rank's result is complete and valid;
 * as a wait fence of a later operation it orders that operation after
 * the collective on the device, without its outcome.
 *
 * Return, for all of them: NRT_SUCCESS; NRT_INVALID for a NULL
 * communicator or buffer, a buffer of another device handle, a range
 * outside its buffer, a misaligned offset, an invalid type or reduction,
 * a root or peer out of range, bad @opts; NRT_UNSUPPORTED for in-place
 * all-to-all, or a message between ranks that are not cabled; NRT_TIMEOUT
 * if a rank the call depends on did not call it within the timeout;
 * NRT_PEER_LOST or NRT_NO_LINK once the communicator has failed (every
 * later call fails the same way: destroy it); the statuses of job
 * submission; for a synchronous call, those of nrt_fence_wait().
 */

/**
 * nrt_all_reduce() - every rank gets the reduction of all ranks' data
 * @c: communicator
 * @send: @count elements of this rank at @send_off
 * @send_off: byte offset in @send
 * @recv: receives the @count reduced elements; in place when it is @send
 *	at the same offset
 * @recv_off: byte offset in @recv
 * @count: elements
 * @dtype: type of the elements (all types; Documentation/collectives.rst
 *	gives the numerics)
 * @op: reduction
 * @opts: options, or NULL
 * @fence: NULL (synchronous) or receives the fence
 */
NRT_API nrt_status nrt_all_reduce(nrt_comm *c, const nrt_buffer *send,
				  size_t send_off, nrt_buffer *recv,
				  size_t recv_off, size_t count, nrt_dtype dtype,
				  nrt_redop op, const nrt_coll_opts *opts,
				  nrt_fence **fence);

/**
 * nrt_reduce_scatter() - rank r gets block r of the reduction
 * @c: communicator
 * @send: size * @recv_count elements, block r for rank r
 * @send_off: byte offset in @send
 * @recv: receives @recv_count elements; in place when it is @send at
 *	@send_off + rank * @recv_count elements
 * @recv_off: byte offset in @recv
 * @recv_count: elements of each block
 * @dtype: type of the elements
 * @op: reduction
 * @opts: options, or NULL
 * @fence: NULL or receives the fence
 */
NRT_API nrt_status nrt_reduce_scatter(nrt_comm *c, const nrt_buffer *send,
				      size_t send_off, nrt_buffer *recv,
				      size_t recv_off, size_t recv_count,
				      nrt_dtype dtype, nrt_redop op,
				      const nrt_coll_opts *opts,
				      nrt_fence **fence);

/**
 * nrt_all_gather() - every rank gets the blocks of all ranks, in rank order
 * @c: communicator
 * @send: @send_count elements of this rank
 * @send_off: byte offset in @send
 * @recv: receives size * @send_count elements; in place when @send is
 *	@recv at @recv_off + rank * @send_count elements
 * @recv_off: byte offset in @recv
 * @send_count: elements of each block
 * @dtype: type of the elements
 * @opts: options, or NULL
 * @fence: NULL or receives the fence
 */
NRT_API nrt_status nrt_all_gather(nrt_comm *c, const nrt_buffer *send,
				  size_t send_off, nrt_buffer *recv,
				  size_t recv_off, size_t send_count,
				  nrt_dtype dtype, const nrt_coll_opts *opts,
				  nrt_fence **fence);

/**
 * nrt_broadcast() - every rank gets the root's data
 * @c: communicator
 * @send: the @count elements to broadcast; read on @root only (may be NULL
 *	elsewhere)
 * @send_off: byte offset in @send
 * @recv: receives the elements; in place on the root when it is @send at
 *	the same offset
 * @recv_off: byte offset in @recv
 * @count: elements
 * @dtype: type of the elements
 * @root: the rank whose data it is
 * @opts: options, or NULL
 * @fence: NULL or receives the fence
 */
NRT_API nrt_status nrt_broadcast(nrt_comm *c, const nrt_buffer *send,
				 size_t send_off, nrt_buffer *recv,
				 size_t recv_off, size_t count, nrt_dtype dtype,
				 unsigned int root, const nrt_coll_opts *opts,
				 nrt_fence **fence);

/**
 * nrt_reduce() - the root gets the reduction of all ranks' data
 * @c: communicator
 * @send: @count elements of this rank
 * @send_off: byte offset in @send
 * @recv: on @root, receives the @count reduced elements (in place when it
 *	is @send at the same offset); ignored elsewhere (may be NULL)
 * @recv_off: byte offset in @recv
 * @count: elements
 * @dtype: type of the elements
 * @op: reduction
 * @root: the rank that gets the result
 * @opts: options, or NULL
 * @fence: NULL or receives the fence
 */
NRT_API nrt_status nrt_reduce(nrt_comm *c, const nrt_buffer *send,
			      size_t send_off, nrt_buffer *recv, size_t recv_off,
			      size_t count, nrt_dtype dtype, nrt_redop op,
			      unsigned int root, const nrt_coll_opts *opts,
			      nrt_fence **fence);

/**
 * nrt_all_to_all() - block j of rank i goes to block i of rank j
 * @c: communicator
 * @send: size * @count elements, block j for rank j
 * @send_off: byte offset in @send
 * @recv: receives size * @count elements, block i from rank i; must not
 *	overlap @send's range
 * @recv_off: byte offset in @recv
 * @count: elements of each block
 * @dtype: type of the elements
 * @opts: options, or NULL
 * @fence: NULL or receives the fence
 *
 * Blocks between ranks that are not cabled are relayed by the ranks
 * between them.
 */
NRT_API nrt_status nrt_all_to_all(nrt_comm *c, const nrt_buffer *send,
				  size_t send_off, nrt_buffer *recv,
				  size_t recv_off, size_t count, nrt_dtype dtype,
				  const nrt_coll_opts *opts, nrt_fence **fence);

/**
 * nrt_send() - send a message to a cabled rank
 * @c: communicator
 * @buf: the @count elements to send
 * @off: byte offset in @buf
 * @count: elements
 * @dtype: type of the elements
 * @peer: the receiving rank, cabled to this one; it calls nrt_recv() with
 *	the same count and type
 * @opts: options, or NULL
 * @fence: NULL or receives the fence
 *
 * Messages between two ranks arrive in the order they were sent. The call
 * waits for the receiver to have called nrt_recv() once the message
 * is larger than the receiver's staging (slots * slot_bytes): two ranks
 * that exchange large messages send and receive in opposite orders.
 */
NRT_API nrt_status nrt_send(nrt_comm *c, const nrt_buffer *buf, size_t off,
			    size_t count, nrt_dtype dtype, unsigned int peer,
			    const nrt_coll_opts *opts, nrt_fence **fence);

/**
 * nrt_recv() - receive a message from a cabled rank
 * @c: communicator
 * @buf: receives the @count elements
 * @off: byte offset in @buf
 * @count: elements, as the sender's
 * @dtype: type, as the sender's
 * @peer: the sending rank
 * @opts: options, or NULL
 * @fence: NULL or receives the fence
 */
NRT_API nrt_status nrt_recv(nrt_comm *c, nrt_buffer *buf, size_t off,
			    size_t count, nrt_dtype dtype, unsigned int peer,
			    const nrt_coll_opts *opts, nrt_fence **fence);

#if defined(__cplusplus)
}
#endif

#endif /* NRT_H */
