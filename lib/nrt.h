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

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/** Version of the library this header belongs to. */
#define NRT_VERSION_MAJOR 0
#define NRT_VERSION_MINOR 2
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
 * The fields from @dma_engines on were added in version 0.2. They are zero
 * when the kernel driver does not report them (a driver without DMA).
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
} nrt_device_info;

/**
 * NRT_DEVICE_INFO_SIZE_0_1 - sizeof(nrt_device_info) in version 0.1
 *
 * The smallest @struct_size nrt_device_get_info() accepts: that of callers
 * built against the 0.1 header, which ends at @numa_node.
 */
#define NRT_DEVICE_INFO_SIZE_0_1 160u

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

/* ------------------------------------------------------------------------
 * Fences (version 0.2)
 */

/**
 * The completion of a piece of work submitted to a device: a DRM syncobj
 * owned by the library. Opaque. Any number of threads may wait for, poll
 * or export the same fence at once; nrt_fence_free() must be the last call.
 *
 * Jobs the library builds end with a completion marker the device writes
 * to memory once all of the job's descriptors have executed; a fence whose
 * markers are all present counts as completed without a system call, which
 * can be a moment before the kernel signals the syncobj itself (and so an
 * exported sync_file).
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
 * kernel driver has no DMA; a submission failure (NRT_RESOURCE,
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

#if defined(__cplusplus)
}
#endif

#endif /* NRT_H */
