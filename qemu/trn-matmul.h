/*
 * trn: MATMUL, the NeuronCore's tensor engine.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Part of the instruction interpreter (trn-interp.h), which depends on
 * nothing of QEMU: C11, glib, the host's BLAS and the headers of include/hw.
 */

#ifndef HW_MISC_TRN_TRN_MATMUL_H
#define HW_MISC_TRN_TRN_MATMUL_H

#include "trn-operand.h"

/* out = ALPHA * a @ b [+ out], batched over the two outer dimensions */
bool trn_matmul(TrnExec *ex, const TrnInsn *in);

/* Free the block buffers of @ex. */
void trn_matmul_free(TrnExec *ex);

#endif /* HW_MISC_TRN_TRN_MATMUL_H */
