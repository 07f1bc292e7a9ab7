/*
 * trn: execution of descriptors by the queues' workers.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_DMA_H
#define HW_MISC_TRN_TRN_DMA_H

#include "trn-step.h"

/*
 * Execute one step of @st: fetch and check the descriptor unless an
 * earlier step did, then move at most @budget bytes (or run the program of
 * an EXEC). Called without TrnState.lock.
 */
TrnStepResult trn_dma_run(TrnState *s, TrnStep *st, uint64_t budget);

#endif /* HW_MISC_TRN_TRN_DMA_H */
