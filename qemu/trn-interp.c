/*
 * trn: the NeuronCore instruction interpreter.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * See trn-interp.h. The instruction set is defined in trn_isa.h, the
 * conversions between element types in trn_numerics.h, and both are
 * specified in Documentation/isa.rst of the trn project.
 */

#include "trn-interp.h"
#include "trn-matmul.h"
#include "trn-vector.h"

TrnExec *trn_interp_new(const TrnMemOps *ops, void *opaque)
{
    TrnExec *ex = g_new0(TrnExec, 1);

    trn_operand_init();
    ex->ops = ops;
    ex->opaque = opaque;
    ex->tlb[0].write = true;
    return ex;
}

void trn_interp_free(TrnExec *ex)
{
    if (ex) {
        trn_matmul_free(ex);
        g_free(ex);
    }
}

static void trn_interp_log(void *opaque, const char *msg)
{
    TrnExec *ex = opaque;

    ex->ops->log(ex->opaque, msg);
}

/* The work of a decoded instruction; the semaphores are its owner's. */
static bool trn_interp_run(TrnExec *ex, const TrnInsn *in)
{
    switch (in->opcode) {
    case TRN_OP_MATMUL:
        return trn_matmul(ex, in);
    case TRN_OP_REDUCE:
        return trn_vector_reduce(ex, in);
    case TRN_OP_BINARY:
    case TRN_OP_ACTIVATE:
    case TRN_OP_TRANSPOSE:
    case TRN_OP_CAST:
    case TRN_OP_DMA:
        return trn_vector_map(ex, in);
    default:                    /* NOP, SEM_SIGNAL, SEM_WAIT */
        return true;
    }
}

uint32_t trn_interp_exec(TrnExec *ex, const uint8_t *insn, uint64_t va,
                         unsigned nsems, TrnInsn *in)
{
    uint32_t err;

    ex->va = va;
    ex->name = trn_insn_name(insn[TRN_I_OPCODE]);
    ex->err = TRN_DMA_ERR_NONE;
    ex->fault = 0;
    ex->abort = false;
    ex->flops = 0;
    ex->decoded = false;
    err = trn_insn_decode(insn, nsems, in, trn_interp_log, ex);
    if (err) {
        /* Instruction errors are reported at the instruction */
        trn_exec_fail(ex, err, va);
        return err;
    }
    ex->decoded = true;
    trn_interp_run(ex, in);
    trn_exec_flush(ex);
    return ex->err;
}
