/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * DMA (nrt_dma.c): copies, fills and jobs of caller-made descriptors.
 */
#ifndef NRT_DMA_H
#define NRT_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_buffer.h"
#include "nrt_fence.h"

/*
 * nrt_dma_split_count() - descriptors needed for @len bytes
 * @len: bytes of the operation
 * @max_len: most bytes of one descriptor, at least 1
 *
 * Return: ceil(@len / @max_len); 0 for @len 0.
 */
NRT_HIDDEN uint64_t nrt_dma_split_count(uint64_t len, uint64_t max_len);

/*
 * nrt_dma_split() - descriptors @first .. @first + @n - 1 of an operation
 * @descs: receives @n descriptors
 * @first: index of the first descriptor to produce
 * @n: number of descriptors to produce
 * @opcode: DRM_TRN_DMA_OP_COPY (@src is an address that advances) or
 *	DRM_TRN_DMA_OP_FILL (@src is the pattern, the same in every descriptor)
 * @dst: device address of the first byte of the destination
 * @src: device address of the source, or the fill pattern
 * @len: bytes of the whole operation
 * @max_len: most bytes of one descriptor
 *
 * Descriptor i covers bytes [i * @max_len, min((i + 1) * @max_len, @len)).
 * The caller makes sure that @first + @n <= nrt_dma_split_count().
 */
NRT_HIDDEN void nrt_dma_split(struct drm_trn_dma_desc *descs, uint64_t first,
			      unsigned int n, uint32_t opcode, uint64_t dst,
			      uint64_t src, uint64_t len, uint64_t max_len);

/*
 * nrt_dma_job_count() - jobs needed for @ndescs descriptors, at most
 * @max_descs (>= 1) per job
 */
NRT_HIDDEN uint64_t nrt_dma_job_count(uint64_t ndescs, uint32_t max_descs);

/*
 * nrt_dma_pick_queue() - the queue of the @n-th job without a queue
 * @n: value of the device's round-robin counter
 * @queues: number of queues, at least 1
 * @engines: number of engines (queue q is on engine q / (queues / engines))
 *
 * Return: a queue in 0..@queues-1. Any @queues consecutive values of @n give
 * every queue once, and consecutive values alternate between engines when
 * the queues divide evenly among them.
 */
NRT_HIDDEN unsigned int nrt_dma_pick_queue(unsigned int n, unsigned int queues,
					   unsigned int engines);

/*
 * nrt_check_wait() - check fences to wait for: @wait_count of them at @wait,
 * each of @dev; @wname names the array in the message
 */
NRT_HIDDEN nrt_status nrt_check_wait(const struct nrt_device *dev,
				     nrt_fence *const *wait, size_t wait_count,
				     const char *wname);

/*
 * nrt_job_run() - submit one job of @count (<= max_descs) descriptors to
 * any queue
 * @queue: a queue the caller has checked, DMA or NeuronCore
 * @wait: fences to wait for, checked with nrt_check_wait()
 * @ops: operations added to the job's fence, or NULL
 * @ctx: their context
 * @consumed: receives whether @ctx now belongs to the fence (@ops->release
 *	frees it): true once the job was submitted, also when the call then
 *	waited and failed; false when the call failed before (the caller
 *	frees @ctx)
 * @fence: NULL to wait for the job and free its fence, or receives it
 *
 * Return: as for nrt_submit_raw(), with messages that do not name the
 * caller's function.
 */
NRT_HIDDEN nrt_status nrt_job_run(struct nrt_device *dev,
				  unsigned int queue,
				  const struct drm_trn_dma_desc *descs,
				  unsigned int count, nrt_fence *const *wait,
				  size_t wait_count, const struct nrt_fence_ops *ops,
				  void *ctx, bool *consumed, nrt_fence **fence);

/*
 * nrt_job_run_syncs() - nrt_job_run() whose job also waits for @nsyncs
 * in-syncs of its own (timeline points of syncobjs of the handle, e.g. of
 * another device's fences imported by the collectives)
 */
NRT_HIDDEN nrt_status nrt_job_run_syncs(struct nrt_device *dev, unsigned int queue,
					const struct drm_trn_dma_desc *descs,
					unsigned int count, nrt_fence *const *wait,
					size_t wait_count,
					const struct drm_trn_sync *syncs, size_t nsyncs,
					const struct nrt_fence_ops *ops, void *ctx,
					bool *consumed, nrt_fence **fence);

/*
 * nrt_dma_copy_async() - internal nrt_copy() without argument checks, on
 * any queue; used by the staging of nrt_buffer_read() and write()
 */
NRT_HIDDEN nrt_status nrt_dma_copy_async(struct nrt_buffer *dst, size_t dst_off,
					 struct nrt_buffer *src, size_t src_off,
					 size_t len, struct nrt_fence **fence);

#endif /* NRT_DMA_H */
