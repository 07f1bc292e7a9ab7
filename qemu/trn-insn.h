/*
 * trn: decoding and checking of NeuronCore instructions.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Part of the instruction interpreter (trn-interp.h), which depends on
 * nothing of QEMU: C11, glib and the headers of include/hw.
 */

#ifndef HW_MISC_TRN_TRN_INSN_H
#define HW_MISC_TRN_TRN_INSN_H

#include <stdbool.h>
#include <stdint.h>

#include "trn_isa.h"

/* The engine an opcode runs on: which busy-time counter it adds to. */
typedef enum TrnEngineKind {
    TRN_ENGINE_NONE,
    TRN_ENGINE_TENSOR,
    TRN_ENGINE_VECTOR,
    TRN_ENGINE_SCALAR,
    TRN_ENGINE_DMA,
} TrnEngineKind;

/* A decoded operand; strides in elements. */
typedef struct TrnOperand {
    uint64_t va;
    unsigned dt;
    unsigned esz;
    uint64_t shape[TRN_MAX_DIMS];
    int64_t stride[TRN_MAX_DIMS];
} TrnOperand;

/* A decoded instruction. */
typedef struct TrnInsn {
    uint8_t opcode;
    uint8_t flags;
    uint16_t func;
    uint32_t aux;
    uint64_t imm;
    uint32_t alpha_bits;
    uint32_t beta_bits;
    double alpha;
    double beta;
    unsigned slots;             /* operand slots used, bit i for slot i */
    TrnOperand op[TRN_I_NOPERANDS];
} TrnInsn;

/* Receives what is wrong with an instruction, for the guest error log. */
typedef void (*TrnInsnLogFn)(void *opaque, const char *msg);

/*
 * Decode and check the TRN_INSN_SIZE bytes at @buf into @in, in this
 * order: the header and the operand slots (TRN_DMA_ERR_BAD_INSN), the
 * shapes (TRN_DMA_ERR_OPERAND), the alignment of the operands
 * (TRN_DMA_ERR_ALIGN). @nsems is the number of semaphores per address
 * space. Returns TRN_DMA_ERR_NONE or the error; @log (if not NULL) is told
 * why, once.
 */
uint32_t trn_insn_decode(const uint8_t *buf, unsigned nsems, TrnInsn *in,
                         TrnInsnLogFn log, void *opaque);

/* The name of @opcode ("matmul"), or NULL if there is no such opcode. */
const char *trn_insn_name(unsigned opcode);

/* The engine of @opcode, TRN_ENGINE_NONE for an unknown one. */
TrnEngineKind trn_insn_engine(unsigned opcode);

/* The lowest and the highest byte address of @op, plus 1. */
void trn_operand_extent(const TrnOperand *op, uint64_t *lo, uint64_t *hi);

/*
 * Whether the output of MATMUL @in may overlap an input: then its whole
 * result is kept in a host buffer until the inputs are read.
 */
bool trn_insn_mm_keeps_result(const TrnInsn *in);

/*
 * The largest host buffer an instruction allocates for itself, beyond the
 * interpreter's fixed ones: the whole result of a MATMUL whose output
 * overlaps an input, as fp32. A larger one fails with TRN_DMA_ERR_OPERAND
 * (Documentation/isa.rst).
 */
#define TRN_HOST_TEMP_MAX       (64u << 20)

/* The address of element @off (in elements) of @op. */
static inline uint64_t trn_elem_va(const TrnOperand *op, int64_t off)
{
    return op->va + (uint64_t)(off * op->esz);
}

#endif /* HW_MISC_TRN_TRN_INSN_H */
