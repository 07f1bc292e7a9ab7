/*
 * trn: element-wise instructions and reductions of the NeuronCore.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Part of the instruction interpreter (trn-interp.h), which depends on
 * nothing of QEMU: C11, glib and the headers of include/hw.
 */

#ifndef HW_MISC_TRN_TRN_VECTOR_H
#define HW_MISC_TRN_TRN_VECTOR_H

#include "trn-operand.h"

/* BINARY, ACTIVATE, TRANSPOSE, CAST and DMA: out = f(a[, b]) */
bool trn_vector_map(TrnExec *ex, const TrnInsn *in);

/* REDUCE: out = ALPHA * the reduction of a along axis AUX */
bool trn_vector_reduce(TrnExec *ex, const TrnInsn *in);

#endif /* HW_MISC_TRN_TRN_VECTOR_H */
