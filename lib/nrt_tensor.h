/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Tensors (nrt_tensor.c): storage shared by tensors, views and programs.
 */
#ifndef NRT_TENSOR_H
#define NRT_TENSOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_buffer.h"

/*
 * Tensors (nrt_tensor.c). The storage is shared by a tensor, its views and
 * the programs that use them; it frees an owned buffer with the last
 * reference.
 */
struct nrt_storage {
	atomic_uint refs;
	struct nrt_buffer *buf;
	bool owned;                     /* nrt_tensor_alloc(): free @buf */
};

struct nrt_tensor {
	struct nrt_storage *st;         /* holds a reference */
	size_t offset;                  /* bytes */
	nrt_dtype dtype;
	unsigned int rank;
	uint32_t shape[NRT_MAX_RANK];
	int32_t strides[NRT_MAX_RANK];  /* elements, >= 0 */
};

NRT_HIDDEN void nrt_storage_ref(struct nrt_storage *s);
NRT_HIDDEN void nrt_storage_unref(struct nrt_storage *s);

/* Number of elements of @t. */
NRT_HIDDEN size_t nrt_tensor_count(const struct nrt_tensor *t);

/*
 * nrt_tensor_bcast_dim() - whether @t repeats elements (a broadcast view)
 * @dim: receives the first dimension of size > 1 with stride 0
 */
NRT_HIDDEN bool nrt_tensor_bcast_dim(const struct nrt_tensor *t,
				     unsigned int *dim);

/* "64x32": the @rank sizes at @shape, truncated to @size bytes. */
NRT_HIDDEN void nrt_shape_str(char *buf, size_t size, unsigned int rank,
			      const uint32_t *shape);

#endif /* NRT_TENSOR_H */
