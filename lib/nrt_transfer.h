/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Transfers between host memory and buffers (nrt_transfer.c):
 * nrt_buffer_read() and nrt_buffer_write() of nrt.h, which stage large HBM
 * transfers through bounce buffers copied by DMA. Nothing else of the
 * library calls into it; these are its sizes.
 */
#ifndef NRT_TRANSFER_H
#define NRT_TRANSFER_H

#include <stddef.h>

/* nrt_buffer_read()/write() of HBM from this size on use DMA staging. */
#define NRT_STAGING_MIN ((size_t)64 << 10)

/* Bytes of one bounce buffer, and how many a handle keeps for reuse. */
#define NRT_BOUNCE_SIZE ((size_t)4 << 20)
#define NRT_BOUNCE_CACHE 8

#endif /* NRT_TRANSFER_H */
