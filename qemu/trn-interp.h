/*
 * trn: the NeuronCore instruction interpreter.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A pure function of an instruction and the memory its operands are in:
 * the interpreter decodes an instruction (trn-insn.h), checks it, and
 * executes it against memory reached through TrnMemOps (trn-operand.h),
 * which its owner provides. It depends on nothing of QEMU (C11, glib, the
 * host's BLAS and the headers of include/hw), so that it is unit-tested on
 * the host (tests/unit/test_trn_interp.c) against the reference executor.
 * In QEMU, trn-core.c is its owner: it fetches the program, handles the
 * semaphores and counters, and maps operands through the device's MMU.
 *
 * The files: trn-interp.c (this API), trn-insn.c (decoding),
 * trn-operand.c (operand memory and conversions), trn-vector.c
 * (element-wise instructions and REDUCE), trn-matmul.c (MATMUL).
 */

#ifndef HW_MISC_TRN_TRN_INTERP_H
#define HW_MISC_TRN_TRN_INTERP_H

#include "trn-insn.h"
#include "trn-operand.h"

/*
 * A new interpreter whose operands live in the memory of @ops, with
 * @opaque passed to them. One thread at a time may use it.
 */
TrnExec *trn_interp_new(const TrnMemOps *ops, void *opaque);

void trn_interp_free(TrnExec *ex);

/*
 * Execute the TRN_INSN_SIZE bytes of @insn, at device address @va, with
 * @nsems semaphores per address space. @in receives the decoded
 * instruction; semaphore instructions are only checked: their owner
 * applies them. Returns TRN_DMA_ERR_NONE, or the error, with its address in
 * ex->fault; ex->decoded tells whether it passed its checks, ex->abort
 * whether TrnMemOps.poll ended it (then nothing is known of its result),
 * and ex->flops counts the floating point operations of a MATMUL. Every
 * translation is forgotten when it returns.
 */
uint32_t trn_interp_exec(TrnExec *ex, const uint8_t *insn, uint64_t va,
                         unsigned nsems, TrnInsn *in);

#endif /* HW_MISC_TRN_TRN_INTERP_H */
