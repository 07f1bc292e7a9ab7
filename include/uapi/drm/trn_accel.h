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
#define DRM_TRN_BO_CREATE		0x01
#define DRM_TRN_BO_INFO			0x02
#define DRM_TRN_SUBMIT			0x03
#define DRM_TRN_PEER_IMPORT		0x04
#define DRM_TRN_WAIT			0x05

#define DRM_IOCTL_TRN_QUERY \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TRN_QUERY, struct drm_trn_query)
#define DRM_IOCTL_TRN_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TRN_BO_CREATE, struct drm_trn_bo_create)
#define DRM_IOCTL_TRN_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TRN_BO_INFO, struct drm_trn_bo_info)
#define DRM_IOCTL_TRN_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TRN_SUBMIT, struct drm_trn_submit)
#define DRM_IOCTL_TRN_PEER_IMPORT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TRN_PEER_IMPORT, struct drm_trn_peer_import)
#define DRM_IOCTL_TRN_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TRN_WAIT, struct drm_trn_wait)

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

	/** @dma_engines: number of DMA engines. */
	__u32 dma_engines;

	/**
	 * @dma_queues: number of DMA queues in all; &drm_trn_submit.queue
	 * takes 0 .. @dma_queues - 1. Queue q belongs to engine
	 * q / (@dma_queues / @dma_engines).
	 */
	__u32 dma_queues;

	/** @va_start: lowest device virtual address a buffer can get. */
	__u64 va_start;

	/** @va_end: end (exclusive) of the device virtual address space. */
	__u64 va_end;

	/** @max_descs: most descriptors one &drm_trn_submit may carry. */
	__u32 max_descs;

	/**
	 * @num_sems: semaphores per address space: the valid range of
	 * &drm_trn_dma_desc.aux for SEM_SIGNAL and SEM_WAIT. They start at
	 * zero when the device file is opened.
	 */
	__u32 num_sems;

	/**
	 * @core_queues: NeuronCores that take jobs: the queue of core c is
	 * number @dma_queues + c, c < @core_queues. Zero when the device has
	 * no compute capability.
	 */
	__u32 core_queues;

	/**
	 * @fw_version: the device's firmware version, major << 24 | minor << 16
	 * | patch, when @hw_caps has TRN_CAP_INVENTORY (driver 0.5 and older
	 * return zero here, as a pad; driver 0.6 on).
	 */
	__u32 fw_version;

	/**
	 * @serial: the device's serial number, 48 bits, when @hw_caps has
	 * TRN_CAP_INVENTORY; zero otherwise.
	 */
	__u64 serial;
};

/**
 * enum drm_trn_placement - where the memory of a buffer object lives
 *
 * @DRM_TRN_PLACEMENT_HBM: device memory, CPU access through the HBM BAR
 *	(write-combined).
 * @DRM_TRN_PLACEMENT_HOST: system memory pages the device reaches by DMA.
 * @DRM_TRN_PLACEMENT_PEER: HBM of another device, reached over a NeuronLink
 *	port; only %DRM_IOCTL_TRN_PEER_IMPORT makes such objects, and the CPU
 *	cannot map them.
 */
enum drm_trn_placement {
	DRM_TRN_PLACEMENT_HBM = 0,
	DRM_TRN_PLACEMENT_HOST = 1,
	DRM_TRN_PLACEMENT_PEER = 2,
};

/**
 * struct drm_trn_bo_create - argument of %DRM_IOCTL_TRN_BO_CREATE
 *
 * Allocates a buffer object and maps it into the device virtual address
 * space of the file (each open file has its own). The object is released
 * with DRM_IOCTL_GEM_CLOSE; its memory returns once no job of the file can
 * still use it.
 *
 * Errors: -EINVAL for a zero size, an unknown placement, nonzero @flags or
 * @pad; -ENOMEM when the placement or the address space has no room for
 * @size bytes (nothing is left allocated).
 */
struct drm_trn_bo_create {
	/** @size: in: bytes, rounded up to the 4 KiB page size. */
	__u64 size;

	/** @placement: in: &enum drm_trn_placement. */
	__u32 placement;

	/** @flags: in: reserved, must be zero. */
	__u32 flags;

	/** @handle: out: GEM handle. */
	__u32 handle;

	/** @pad: reserved, must be zero. */
	__u32 pad;

	/** @va: out: device virtual address of the first byte. */
	__u64 va;
};

/**
 * struct drm_trn_bo_info - argument of %DRM_IOCTL_TRN_BO_INFO
 *
 * Errors: -EINVAL for nonzero @pad, -ENOENT for an unknown @handle.
 */
struct drm_trn_bo_info {
	/** @handle: in: GEM handle. */
	__u32 handle;

	/** @pad: reserved, must be zero. */
	__u32 pad;

	/** @size: out: bytes (a multiple of 4 KiB). */
	__u64 size;

	/** @va: out: device virtual address. */
	__u64 va;

	/** @mmap_offset: out: offset to pass to mmap() on the device file. */
	__u64 mmap_offset;

	/** @placement: out: &enum drm_trn_placement. */
	__u32 placement;

	/** @pad2: out: zero. */
	__u32 pad2;
};

/*
 * DMA descriptor opcodes and flags: the hardware's (Documentation/
 * hw-interface.rst). Userspace may use every opcode listed here; EXEC, which
 * runs a NeuronCore program (Documentation/isa.rst), only on the queue of a
 * NeuronCore.
 */
#define DRM_TRN_DMA_OP_NOP		0x00
#define DRM_TRN_DMA_OP_COPY		0x01
#define DRM_TRN_DMA_OP_FILL		0x02
#define DRM_TRN_DMA_OP_WRITE		0x03
#define DRM_TRN_DMA_OP_SEM_SIGNAL	0x04
#define DRM_TRN_DMA_OP_SEM_WAIT		0x05
#define DRM_TRN_DMA_OP_EXEC		0x10

/**
 * struct drm_trn_dma_desc - one DMA descriptor of a job
 *
 * Addresses are device virtual addresses of the submitting file's buffer
 * objects; an address outside them makes the job fail with -EFAULT.
 */
struct drm_trn_dma_desc {
	/**
	 * @opcode: DRM_TRN_DMA_OP_* in bits 7..0; bits 31..8 must be zero.
	 */
	__u32 opcode;

	/** @aux: semaphore index for SEM_SIGNAL and SEM_WAIT, else zero. */
	__u32 aux;

	/**
	 * @src: COPY: source address; FILL: 8-byte pattern; EXEC: address of
	 * the program (64-byte aligned); else zero.
	 */
	__u64 src;

	/**
	 * @dst: COPY, FILL, WRITE: destination address; EXEC: address of the
	 * 32-byte execution status record (32-byte aligned), or zero; else
	 * zero.
	 */
	__u64 dst;

	/**
	 * @len: COPY, FILL: bytes; WRITE: the value written (dst 8-byte
	 * aligned); SEM_SIGNAL: increment; SEM_WAIT: value to wait for;
	 * EXEC: program bytes, a nonzero multiple of 256, at most 16 MiB.
	 */
	__u64 len;
};

/**
 * struct drm_trn_sync - a syncobj and, for a timeline syncobj, a point
 */
struct drm_trn_sync {
	/** @handle: syncobj handle. */
	__u32 handle;

	/** @flags: reserved, must be zero. */
	__u32 flags;

	/** @point: timeline point, or 0 for a binary syncobj. */
	__u64 point;
};

/**
 * struct drm_trn_submit - argument of %DRM_IOCTL_TRN_SUBMIT
 *
 * Queues a job of descriptors on one queue: a DMA queue, or the queue of a
 * NeuronCore, which also runs EXEC descriptors. The call returns once
 * the job is queued; the job runs after the fences of @in_syncs signal,
 * and after the file's earlier jobs on the same queue. When it completes,
 * successfully or not, its fence is installed in @out_sync (replacing the
 * fence of a binary syncobj, or adding @out_sync.point to a timeline).
 * %DRM_IOCTL_TRN_WAIT waits for the job of a binary syncobj and returns
 * how it ended; the DRM core syncobj ioctls wait too. A job that faulted
 * completes with -EFAULT, one that exceeded the driver's timeout with
 * -ETIMEDOUT, and the queue goes on serving other jobs.
 *
 * A job that faulted or ran a bad program completes with -EFAULT (a
 * translation fault) or -EINVAL (a malformed descriptor or instruction, a
 * misaligned operand); the EXEC status record says which instruction. A job
 * that touched a peer object (%DRM_TRN_PLACEMENT_PEER) completes with
 * -ENOLINK if the object's port was not up, and with -EREMOTEIO if the peer
 * refused the access (its export space was switched off as its driver was
 * being unbound); NeuronCore instructions reach local memory only and get
 * -EREMOTEIO for peer objects.
 *
 * Files share each queue (Documentation/uapi.rst, "Sharing the queues"): a
 * file may have max_file_jobs (module parameter, default 1024) unfinished
 * jobs on a queue; at that cap the call sleeps until one of them completes,
 * or fails with -EAGAIN if the file was opened with O_NONBLOCK. Once another
 * file's job waits behind a run of this file's jobs in the queue's ring,
 * the run must complete within the timeout from then, or its remaining
 * jobs fail with -ETIMEDOUT. When the file is closed, jobs that have not
 * entered the ring complete with -ESRCH without running.
 *
 * Errors: -EAGAIN at the cap with O_NONBLOCK; -EINTR (or a restart) when a
 * signal came while waiting at the cap; -EINVAL for an unknown @queue,
 * zero or too many descriptors (see &drm_trn_device_info.max_descs),
 * @desc_size other than
 * sizeof(struct drm_trn_dma_desc), an invalid descriptor (unknown opcode,
 * a nonzero field the opcode does not use, a semaphore index out of range,
 * a WRITE to an unaligned address, an EXEC on a DMA queue or with a
 * misaligned or badly sized program or status record), too many
 * @in_syncs (more than 64), an
 * @out_sync point without a handle, or nonzero @flags, @pad or sync
 * flags; -ENOENT for an unknown syncobj, or -EINVAL for an in-syncobj
 * without a fence; -EFAULT for unreadable arrays; -ENOMEM.
 */
struct drm_trn_submit {
	/** @descs: user pointer to @desc_count &struct drm_trn_dma_desc. */
	__u64 descs;

	/** @desc_count: number of descriptors, at least 1. */
	__u32 desc_count;

	/** @desc_size: sizeof(struct drm_trn_dma_desc). */
	__u32 desc_size;

	/**
	 * @queue: a DMA queue, 0 .. &drm_trn_device_info.dma_queues - 1, or
	 * the queue of NeuronCore c, &drm_trn_device_info.dma_queues + c.
	 */
	__u32 queue;

	/** @flags: reserved, must be zero. */
	__u32 flags;

	/** @in_syncs: user pointer to @in_sync_count &struct drm_trn_sync. */
	__u64 in_syncs;

	/** @in_sync_count: number of fences to wait for before running. */
	__u32 in_sync_count;

	/** @pad: reserved, must be zero. */
	__u32 pad;

	/** @out_sync: where the job's fence goes; handle 0 for none. */
	struct drm_trn_sync out_sync;
};

/* &drm_trn_peer_import.flags */
#define DRM_TRN_PEER_READONLY		(1 << 0)
#define DRM_TRN_PEER_FLAGS		DRM_TRN_PEER_READONLY

/**
 * struct drm_trn_peer_import - argument of %DRM_IOCTL_TRN_PEER_IMPORT
 *
 * Maps an HBM object of another trn device into the address space of the
 * calling file, so that its DMA descriptors move data to and from it over a
 * NeuronLink port without going through the host (peer DMA).
 *
 * The object is named by a dma-buf file descriptor: its owner exports it
 * with DRM_IOCTL_PRIME_HANDLE_TO_FD on the other device's file and passes
 * the descriptor on (to another process over a Unix socket, if need be);
 * holding the descriptor is the permission to use the memory (to read and
 * write it: %DRM_TRN_PEER_READONLY is the importer's choice, whatever the
 * descriptor's flags). Only HBM
 * objects can be exported, and trn dma-bufs cannot be attached by other
 * drivers. @port must be a port of this device whose link is up and whose
 * far end is the exporting device.
 *
 * The result is a buffer object of placement %DRM_TRN_PLACEMENT_PEER with
 * its own handle and device virtual address; it keeps the exported memory
 * alive until it is closed (DRM_IOCTL_GEM_CLOSE), even if the exporting
 * process exits. Jobs that use it while the link is down fail with -ENOLINK
 * and the link coming back up to the same far end (host, chip and port)
 * makes it usable again; the mapping is not moved to another port. If the
 * port comes up to any other far end, or the exporting device is unbound,
 * the object is unmapped for good: jobs that use it then fail with -EFAULT,
 * and only a new import helps. A cable to another host is a trust
 * boundary: that host's software programs the far end of the link.
 *
 * Errors: -EINVAL for unknown @flags, nonzero @pad, a @port the device does
 * not have, or a descriptor that is not a trn HBM object of another device;
 * -EBADF if @fd is not an open file; -ENOLINK if @port is not up or leads
 * elsewhere; -EOPNOTSUPP if either device cannot do peer DMA (or this one
 * has no NeuronLink port); -ENOMEM
 * when the address space has no room (nothing is left mapped); -ENODEV
 * once either device is gone.
 */
struct drm_trn_peer_import {
	/** @fd: in: dma-buf file descriptor of the peer's object. */
	__s32 fd;

	/** @port: in: local NeuronLink port that reaches the peer. */
	__u32 port;

	/**
	 * @flags: in: %DRM_TRN_PEER_READONLY to map the object without write
	 * access, so that descriptors writing it fail with -EFAULT.
	 */
	__u32 flags;

	/** @handle: out: GEM handle of the new object. */
	__u32 handle;

	/** @size: out: bytes, the size of the exported object. */
	__u64 size;

	/** @va: out: device virtual address of its first byte. */
	__u64 va;

	/** @pad: reserved, must be zero. */
	__u64 pad;
};

/**
 * struct drm_trn_wait - argument of %DRM_IOCTL_TRN_WAIT
 *
 * Waits until the job whose fence a binary syncobj holds has completed,
 * and returns how it completed: one system call where a syncobj wait
 * followed by a sync_file export and its SYNC_IOC_FILE_INFO take three and
 * a file. The syncobj is normally the @out_sync of a &drm_trn_submit with
 * point 0; any fence it holds is waited for, and its error reported.
 *
 * The ioctl returns 0 once the job has completed, whether it succeeded or
 * not: @status says which. The wait is interruptible; as @timeout_ns is
 * absolute, the call is restarted after a signal without waiting longer.
 *
 * Errors: -EINVAL for nonzero @flags or @pad, a syncobj that holds no
 * fence (nothing was submitted with it yet, or it was reset), or one that
 * holds a timeline (whose signalled points drop their jobs' errors: wait
 * for those with DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT); -ENOENT for an unknown
 * @handle (handles are per file: another file's syncobj is reached only by
 * exporting and importing it); -ETIME if @timeout_ns passed first (not to
 * be confused with a job that timed out, which completes with @status
 * -ETIMEDOUT); -ENODEV once the device is gone.
 */
struct drm_trn_wait {
	/** @handle: in: a binary syncobj. */
	__u32 handle;

	/** @flags: in: reserved, must be zero. */
	__u32 flags;

	/**
	 * @timeout_ns: in: when to give up, in CLOCK_MONOTONIC nanoseconds
	 * (absolute). 0, or any time already past (negative ones too), only
	 * looks; INT64_MAX waits without limit.
	 */
	__s64 timeout_ns;

	/**
	 * @status: out: 0 if the job completed without error; otherwise its
	 * error, a negative errno: -EFAULT (translation fault), -EINVAL
	 * (malformed descriptor or instruction, misaligned operand),
	 * -ENOLINK and -EREMOTEIO (peer objects, see &drm_trn_submit),
	 * -ETIMEDOUT (the driver's job timeout), -EIO (a fault of the device
	 * itself), -ENODEV (the device went away before the job completed),
	 * -ESRCH (its file was closed by a killed process before the job
	 * ran). Set only when the ioctl returns 0.
	 */
	__s32 status;

	/** @pad: reserved, must be zero. */
	__u32 pad;
};

/**
 * enum drm_trn_event - stable codes of the events the driver logs
 *
 * Each kernel log line about something an operator can act on starts with
 * "event N:" after the device's name (``trn 0000:01:00.0: event 101:
 * ...``), where N is one of these codes. A code keeps its meaning for
 * ever; new events get new codes. Documentation/operator-guide.rst has the
 * catalogue: what each means and what to do. Lines are rate limited.
 *
 * @DRM_TRN_EVENT_ECC_PAGE_RETIRED: an uncorrectable HBM error hit a free
 *	page; the page was retired.
 * @DRM_TRN_EVENT_ECC_PAGE_IN_USE: an uncorrectable HBM error hit a page in
 *	use; jobs that touch it fail, it is retired when freed.
 * @DRM_TRN_EVENT_ECC_LOG_FULL: the device's error log is full; pages hit
 *	since cannot be retired.
 * @DRM_TRN_EVENT_ECC_RETIRE_PENDING: a poisoned page could not be retired
 *	yet (no memory); the driver tries again.
 * @DRM_TRN_EVENT_ECC_LOG_BAD_ENTRY: the error log holds an address outside
 *	the device's memory.
 * @DRM_TRN_EVENT_ECC_PAGE_RETIRED_LATE: a poisoned page was retired when its
 *	last user freed it.
 * @DRM_TRN_EVENT_ECC_PAGES_RETIRED_AT_PROBE: pages poisoned before the
 *	driver bound were retired.
 * @DRM_TRN_EVENT_ECC_COUNTS_CLEARED: root cleared the volatile ECC counts.
 * @DRM_TRN_EVENT_THERMAL_THROTTLE: the die passed its throttling
 *	temperature; the NeuronCores slow down.
 * @DRM_TRN_EVENT_THERMAL_THROTTLE_END: back below it.
 * @DRM_TRN_EVENT_POWER_THROTTLE: board power reached the power cap; the
 *	NeuronCores slow down.
 * @DRM_TRN_EVENT_POWER_THROTTLE_END: power back under the cap.
 * @DRM_TRN_EVENT_LINK_ERRORS: a NeuronLink port counted its error threshold
 *	of CRC or replay errors.
 * @DRM_TRN_EVENT_LINK_DOWN: a NeuronLink port that was up went down.
 * @DRM_TRN_EVENT_LINK_UP: such a port is up again.
 * @DRM_TRN_EVENT_JOB_FAULT: the device stopped a job on a fault of its own
 *	(an application's bad address or instruction is not logged).
 * @DRM_TRN_EVENT_QUEUE_HUNG: jobs of a queue timed out again and again; the
 *	device is reset.
 * @DRM_TRN_EVENT_QUEUE_STUCK: a queue did not stop when told to.
 * @DRM_TRN_EVENT_DEVICE_RESET: the device was reset and is back; the jobs
 *	it was running failed.
 * @DRM_TRN_EVENT_DEVICE_LOST: the device did not come back from a reset;
 *	every job fails until the driver is bound again.
 * @DRM_TRN_EVENT_PCIE_ERROR: the PCIe link reported an error; the device is
 *	reset.
 */
enum drm_trn_event {
	DRM_TRN_EVENT_ECC_PAGE_RETIRED = 101,
	DRM_TRN_EVENT_ECC_PAGE_IN_USE = 102,
	DRM_TRN_EVENT_ECC_LOG_FULL = 103,
	DRM_TRN_EVENT_ECC_RETIRE_PENDING = 104,
	DRM_TRN_EVENT_ECC_LOG_BAD_ENTRY = 105,
	DRM_TRN_EVENT_ECC_PAGE_RETIRED_LATE = 106,
	DRM_TRN_EVENT_ECC_PAGES_RETIRED_AT_PROBE = 107,
	DRM_TRN_EVENT_ECC_COUNTS_CLEARED = 110,
	DRM_TRN_EVENT_THERMAL_THROTTLE = 201,
	DRM_TRN_EVENT_THERMAL_THROTTLE_END = 202,
	DRM_TRN_EVENT_POWER_THROTTLE = 203,
	DRM_TRN_EVENT_POWER_THROTTLE_END = 204,
	DRM_TRN_EVENT_LINK_ERRORS = 301,
	DRM_TRN_EVENT_LINK_DOWN = 302,
	DRM_TRN_EVENT_LINK_UP = 303,
	DRM_TRN_EVENT_JOB_FAULT = 401,
	DRM_TRN_EVENT_QUEUE_HUNG = 402,
	DRM_TRN_EVENT_QUEUE_STUCK = 403,
	DRM_TRN_EVENT_DEVICE_RESET = 404,
	DRM_TRN_EVENT_DEVICE_LOST = 405,
	DRM_TRN_EVENT_PCIE_ERROR = 406,
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_DRM_TRN_ACCEL_H_ */
