/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Buffers (nrt_buffer.c): GEM buffer objects and their CPU mappings.
 */
#ifndef NRT_BUFFER_H
#define NRT_BUFFER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_device.h"

struct nrt_buffer {
	struct nrt_device *dev;
	bool internal;                  /* bounce buffer: holds no device ref */
	nrt_placement placement;
	uint32_t handle;
	uint64_t va;
	size_t size;                    /* as requested */
	uint64_t bo_size;               /* as allocated: whole pages */
	uint64_t mmap_offset;

	pthread_mutex_t lock;           /* protects the mapping state */
	void *map;
	unsigned int pins;              /* read/write calls using @map */
	bool unmap_pending;             /* unmap once @pins drops to 0 */
};

/* Allocate a buffer; an @internal one holds no reference to @dev. */
NRT_HIDDEN nrt_status nrt_buffer_create(struct nrt_device *dev, size_t size,
					nrt_placement placement, bool internal,
					struct nrt_buffer **out);
/* Free a buffer, also an internal one. */
NRT_HIDDEN void nrt_buffer_destroy(struct nrt_buffer *buf);

/*
 * nrt_range_check() - check that [@off, @off + @len) lies in @size bytes
 * @what: name of the buffer argument for the message
 *
 * Return: NRT_SUCCESS, or NRT_INVALID with a message naming @what.
 */
NRT_HIDDEN nrt_status nrt_range_check(const char *what, size_t size, size_t off,
				      size_t len);

/*
 * nrt_buffer_pin() - map @buf if needed and keep the mapping until
 * nrt_buffer_unpin(); *@ptr receives its first byte
 */
NRT_HIDDEN nrt_status nrt_buffer_pin(struct nrt_buffer *buf, unsigned char **ptr);
NRT_HIDDEN void nrt_buffer_unpin(struct nrt_buffer *buf);

#endif /* NRT_BUFFER_H */
