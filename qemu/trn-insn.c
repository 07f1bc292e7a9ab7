/*
 * trn: decoding and checking of NeuronCore instructions.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * An instruction (trn_isa.h, Documentation/isa.rst) is checked in full
 * before it runs: its header against the table of opcodes below, the
 * operand slots it does not use (all zero), the types, element counts and
 * shapes of those it uses, and their alignment. A pure function of the
 * instruction's bytes: no memory is touched.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "trn-insn.h"
#include "trn_numerics.h"
#include "trn_regs.h"

enum {
    TRN_AUX_NONE,
    TRN_AUX_SEM,
    TRN_AUX_AXIS,
    TRN_AUX_DIMS,
};

typedef struct TrnOpInfo {
    const char *name;
    uint8_t slots;              /* operand slots used */
    uint8_t flags;              /* flags allowed */
    uint16_t nfunc;             /* functions; 0: FUNC must be 0 */
    uint8_t aux;                /* TRN_AUX_* */
    bool imm;                   /* uses IMM */
    bool alpha;                 /* uses ALPHA */
    bool beta;                  /* uses BETA */
    uint8_t engine;             /* TrnEngineKind */
} TrnOpInfo;

static const TrnOpInfo trn_ops[TRN_OP_COUNT] = {
    [TRN_OP_NOP] = {
        .name = "nop",
    },
    [TRN_OP_MATMUL] = {
        .name = "matmul", .slots = 7, .flags = TRN_IF_ACCUMULATE,
        .alpha = true, .engine = TRN_ENGINE_TENSOR,
    },
    [TRN_OP_BINARY] = {         /* slot 2 and ALPHA: see TRN_IF_SCALAR_B */
        .name = "binary", .slots = 7, .flags = TRN_IF_SCALAR_B,
        .nfunc = TRN_BIN_COUNT, .engine = TRN_ENGINE_VECTOR,
    },
    [TRN_OP_ACTIVATE] = {
        .name = "activate", .slots = 3, .nfunc = TRN_ACT_COUNT,
        .alpha = true, .beta = true, .engine = TRN_ENGINE_SCALAR,
    },
    [TRN_OP_REDUCE] = {
        .name = "reduce", .slots = 3, .nfunc = TRN_RED_COUNT,
        .aux = TRN_AUX_AXIS, .alpha = true, .engine = TRN_ENGINE_VECTOR,
    },
    [TRN_OP_TRANSPOSE] = {
        .name = "transpose", .slots = 3, .aux = TRN_AUX_DIMS,
        .engine = TRN_ENGINE_VECTOR,
    },
    [TRN_OP_CAST] = {
        .name = "cast", .slots = 3, .engine = TRN_ENGINE_VECTOR,
    },
    [TRN_OP_DMA] = {
        .name = "dma", .slots = 3, .engine = TRN_ENGINE_DMA,
    },
    [TRN_OP_SEM_SIGNAL] = {
        .name = "sem_signal", .aux = TRN_AUX_SEM, .imm = true,
    },
    [TRN_OP_SEM_WAIT] = {
        .name = "sem_wait", .aux = TRN_AUX_SEM, .imm = true,
    },
};

/* The decoder's state: where the reason of a failure goes. */
typedef struct TrnDecoder {
    const uint8_t *buf;
    unsigned nsems;
    TrnInsn *in;
    const TrnOpInfo *info;
    TrnInsnLogFn log;
    void *opaque;
} TrnDecoder;

const char *trn_insn_name(unsigned opcode)
{
    return opcode < TRN_OP_COUNT ? trn_ops[opcode].name : NULL;
}

TrnEngineKind trn_insn_engine(unsigned opcode)
{
    return opcode < TRN_OP_COUNT ? trn_ops[opcode].engine : TRN_ENGINE_NONE;
}

static uint16_t trn_ld16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint32_t trn_ld32(const uint8_t *p)
{
    return (uint32_t)trn_ld16(p) | (uint32_t)trn_ld16(p + 2) << 16;
}

static uint64_t trn_ld64(const uint8_t *p)
{
    return (uint64_t)trn_ld32(p) | (uint64_t)trn_ld32(p + 4) << 32;
}

/* Tell why the instruction is refused; returns @err. */
static uint32_t G_GNUC_PRINTF(3, 4) trn_decode_fail(TrnDecoder *dc,
                                                    uint32_t err,
                                                    const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (dc->log) {
        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        dc->log(dc->opaque, msg);
    }
    return err;
}

static bool trn_all_zero(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

static void trn_header_decode(const uint8_t *buf, TrnInsn *in)
{
    memset(in, 0, sizeof(*in));
    in->opcode = buf[TRN_I_OPCODE];
    in->flags = buf[TRN_I_FLAGS];
    in->func = trn_ld16(buf + TRN_I_FUNC);
    in->aux = trn_ld32(buf + TRN_I_AUX);
    in->imm = trn_ld64(buf + TRN_I_IMM);
    in->alpha_bits = trn_ld32(buf + TRN_I_ALPHA);
    in->beta_bits = trn_ld32(buf + TRN_I_BETA);
    in->alpha = trn_bits_to_f32(in->alpha_bits);
    in->beta = trn_bits_to_f32(in->beta_bits);
}

/* AUX as the opcode uses it. */
static uint32_t trn_aux_check(TrnDecoder *dc)
{
    const TrnInsn *in = dc->in;

    switch (dc->info->aux) {
    case TRN_AUX_NONE:
        if (in->aux) {
            return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                                   "AUX 0x%x must be 0", in->aux);
        }
        break;
    case TRN_AUX_SEM:
        if (in->aux >= dc->nsems) {
            return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                                   "semaphore %u, the device has %u",
                                   in->aux, dc->nsems);
        }
        break;
    case TRN_AUX_AXIS:
        if (in->aux >= TRN_MAX_DIMS) {
            return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN, "axis %u",
                                   in->aux);
        }
        break;
    case TRN_AUX_DIMS:
        if (in->aux & ~0xffffu ||
            TRN_TRANSPOSE_D0(in->aux) >= TRN_MAX_DIMS ||
            TRN_TRANSPOSE_D1(in->aux) >= TRN_MAX_DIMS) {
            return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                                   "AUX 0x%x is not two dimensions", in->aux);
        }
        break;
    }
    return TRN_DMA_ERR_NONE;
}

/* The header's fields against the opcode's rules. */
static uint32_t trn_header_check(TrnDecoder *dc)
{
    TrnInsn *in = dc->in;
    bool scalar_b, uses_alpha;
    uint32_t err;

    if (in->opcode >= TRN_OP_COUNT) {
        return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                               "unknown opcode 0x%x", in->opcode);
    }
    dc->info = &trn_ops[in->opcode];
    scalar_b = in->opcode == TRN_OP_BINARY && (in->flags & TRN_IF_SCALAR_B);
    uses_alpha = dc->info->alpha || scalar_b;
    in->slots = scalar_b ? 3 : dc->info->slots;

    if (in->flags & ~dc->info->flags) {
        return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                               "flags 0x%x not allowed", in->flags);
    }
    if (dc->info->nfunc ? in->func >= dc->info->nfunc : in->func != 0) {
        return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                               "function %u not allowed", in->func);
    }
    err = trn_aux_check(dc);
    if (err) {
        return err;
    }
    if (!dc->info->imm && in->imm) {
        return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN, "IMM must be 0");
    }
    if ((!uses_alpha && in->alpha_bits) ||
        (!dc->info->beta && in->beta_bits)) {
        return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                               "ALPHA or BETA must be 0");
    }
    if (!trn_all_zero(dc->buf + TRN_I_RSVD, TRN_I_OPERAND(0) - TRN_I_RSVD)) {
        return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                               "reserved bytes of the header are set");
    }
    return TRN_DMA_ERR_NONE;
}

static void trn_operand_decode(const uint8_t *p, TrnOperand *o)
{
    unsigned d;

    o->va = trn_ld64(p + TRN_O_VA);
    o->dt = p[TRN_O_DTYPE];
    o->esz = trn_dt_size(o->dt);
    for (d = 0; d < TRN_MAX_DIMS; d++) {
        o->shape[d] = trn_ld32(p + TRN_O_SHAPE(d));
        o->stride[d] = (int32_t)trn_ld32(p + TRN_O_STRIDE(d));
    }
}

/* Unused slots all zero; used ones with a type and no reserved bits. */
static uint32_t trn_slots_decode(TrnDecoder *dc)
{
    TrnInsn *in = dc->in;
    unsigned i;

    for (i = 0; i < TRN_I_NOPERANDS; i++) {
        const uint8_t *p = dc->buf + TRN_I_OPERAND(i);

        if (!(in->slots & (1u << i))) {
            if (!trn_all_zero(p, TRN_OPERAND_SIZE)) {
                return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                                       "operand %u is not used and must "
                                       "be zero", i);
            }
            continue;
        }
        trn_operand_decode(p, &in->op[i]);
        if (!trn_dt_valid(in->op[i].dt)) {
            return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                                   "operand %u: unknown type %u", i,
                                   in->op[i].dt);
        }
        if (!trn_all_zero(p + TRN_O_RSVD0, TRN_O_SHAPE(0) - TRN_O_RSVD0) ||
            !trn_all_zero(p + TRN_O_RSVD1,
                          TRN_OPERAND_SIZE - TRN_O_RSVD1)) {
            return trn_decode_fail(dc, TRN_DMA_ERR_BAD_INSN,
                                   "operand %u: reserved bytes are set", i);
        }
    }
    return TRN_DMA_ERR_NONE;
}

/* Every used operand has 1 to TRN_MAX_ELEMS elements. */
static uint32_t trn_counts_check(TrnDecoder *dc)
{
    const TrnInsn *in = dc->in;
    unsigned i, d;

    for (i = 0; i < TRN_I_NOPERANDS; i++) {
        uint64_t count = 1;

        if (!(in->slots & (1u << i))) {
            continue;
        }
        for (d = 0; d < TRN_MAX_DIMS; d++) {
            count *= in->op[i].shape[d];
            if (!count || count > TRN_MAX_ELEMS) {
                return trn_decode_fail(dc, TRN_DMA_ERR_OPERAND,
                                       "operand %u: a dimension is 0, or "
                                       "more than %u elements", i,
                                       TRN_MAX_ELEMS);
            }
        }
    }
    return TRN_DMA_ERR_NONE;
}

void trn_operand_extent(const TrnOperand *op, uint64_t *lo, uint64_t *hi)
{
    int64_t min = 0, max = 0;
    unsigned d;

    for (d = 0; d < TRN_MAX_DIMS; d++) {
        int64_t span = (int64_t)(op->shape[d] - 1) * op->stride[d];

        if (span < 0) {
            min += span;
        } else {
            max += span;
        }
    }
    *lo = op->va + (uint64_t)(min * op->esz);
    *hi = op->va + (uint64_t)(max * op->esz) + op->esz;
}

static bool trn_operands_overlap(const TrnOperand *x, const TrnOperand *y)
{
    uint64_t xlo, xhi, ylo, yhi;

    trn_operand_extent(x, &xlo, &xhi);
    trn_operand_extent(y, &ylo, &yhi);
    return xlo < yhi && ylo < xhi;
}

bool trn_insn_mm_keeps_result(const TrnInsn *in)
{
    return trn_operands_overlap(&in->op[0], &in->op[1]) ||
           trn_operands_overlap(&in->op[0], &in->op[2]);
}

static bool trn_same_shape(const TrnOperand *x, const TrnOperand *y)
{
    return !memcmp(x->shape, y->shape, sizeof(x->shape));
}

static uint32_t trn_matmul_shapes(TrnDecoder *dc)
{
    const TrnInsn *in = dc->in;
    const TrnOperand *o = &in->op[0], *a = &in->op[1], *b = &in->op[2];

    if (a->shape[0] != o->shape[0] || b->shape[0] != o->shape[0] ||
        a->shape[1] != o->shape[1] || b->shape[1] != o->shape[1] ||
        a->shape[2] != o->shape[2] || a->shape[3] != b->shape[2] ||
        b->shape[3] != o->shape[3]) {
        return trn_decode_fail(dc, TRN_DMA_ERR_OPERAND,
                               "shapes [%" PRIu64 ",%" PRIu64 ",%" PRIu64
                               ",%" PRIu64 "] @ [%" PRIu64 ",%" PRIu64 ",%"
                               PRIu64 ",%" PRIu64 "] -> [%" PRIu64 ",%"
                               PRIu64 ",%" PRIu64 ",%" PRIu64 "] do not fit",
                               a->shape[0], a->shape[1], a->shape[2],
                               a->shape[3], b->shape[0], b->shape[1],
                               b->shape[2], b->shape[3], o->shape[0],
                               o->shape[1], o->shape[2], o->shape[3]);
    }
    /* out has at most TRN_MAX_ELEMS elements: no overflow */
    if (trn_insn_mm_keeps_result(in) &&
        o->shape[0] * o->shape[1] * o->shape[2] * o->shape[3] >
        TRN_HOST_TEMP_MAX / sizeof(float)) {
        return trn_decode_fail(dc, TRN_DMA_ERR_OPERAND,
                               "out overlaps an input and has more than %"
                               PRIu64 " elements",
                               (uint64_t)(TRN_HOST_TEMP_MAX / sizeof(float)));
    }
    return TRN_DMA_ERR_NONE;
}

static uint32_t trn_reduce_shapes(TrnDecoder *dc)
{
    const TrnInsn *in = dc->in;
    unsigned d;

    for (d = 0; d < TRN_MAX_DIMS; d++) {
        if (in->op[0].shape[d] != (d == in->aux ? 1 : in->op[1].shape[d])) {
            return trn_decode_fail(dc, TRN_DMA_ERR_OPERAND,
                                   "out is not a with dimension %u of size 1",
                                   in->aux);
        }
    }
    return TRN_DMA_ERR_NONE;
}

static uint32_t trn_transpose_shapes(TrnDecoder *dc)
{
    const TrnInsn *in = dc->in;
    unsigned d, d0 = TRN_TRANSPOSE_D0(in->aux), d1 = TRN_TRANSPOSE_D1(in->aux);

    for (d = 0; d < TRN_MAX_DIMS; d++) {
        unsigned s = d == d0 ? d1 : d == d1 ? d0 : d;

        if (in->op[0].shape[d] != in->op[1].shape[s]) {
            return trn_decode_fail(dc, TRN_DMA_ERR_OPERAND,
                                   "out is not a with dimensions %u and %u "
                                   "swapped", d0, d1);
        }
    }
    return TRN_DMA_ERR_NONE;
}

/* Whether the shapes of the operands fit the opcode. */
static uint32_t trn_shapes_check(TrnDecoder *dc)
{
    const TrnInsn *in = dc->in;
    const TrnOperand *o = &in->op[0], *a = &in->op[1], *b = &in->op[2];

    switch (in->opcode) {
    case TRN_OP_MATMUL:
        return trn_matmul_shapes(dc);
    case TRN_OP_BINARY:
        if (!trn_same_shape(o, a) ||
            (!(in->flags & TRN_IF_SCALAR_B) && !trn_same_shape(o, b))) {
            return trn_decode_fail(dc, TRN_DMA_ERR_OPERAND,
                                   "out, a and b differ in shape");
        }
        return TRN_DMA_ERR_NONE;
    case TRN_OP_DMA:
        if (a->dt != o->dt) {
            return trn_decode_fail(dc, TRN_DMA_ERR_OPERAND,
                                   "types of out (%u) and a (%u) differ",
                                   o->dt, a->dt);
        }
        /* fall through */
    case TRN_OP_ACTIVATE:
    case TRN_OP_CAST:
        if (!trn_same_shape(o, a)) {
            return trn_decode_fail(dc, TRN_DMA_ERR_OPERAND,
                                   "out and a differ in shape");
        }
        return TRN_DMA_ERR_NONE;
    case TRN_OP_REDUCE:
        return trn_reduce_shapes(dc);
    case TRN_OP_TRANSPOSE:
        return trn_transpose_shapes(dc);
    default:
        return TRN_DMA_ERR_NONE;
    }
}

static uint32_t trn_align_check(TrnDecoder *dc)
{
    const TrnInsn *in = dc->in;
    unsigned i;

    for (i = 0; i < TRN_I_NOPERANDS; i++) {
        if ((in->slots & (1u << i)) &&
            (in->op[i].va & (in->op[i].esz - 1))) {
            return trn_decode_fail(dc, TRN_DMA_ERR_ALIGN,
                                   "operand %u: address 0x%" PRIx64 " is not "
                                   "aligned to its element size", i,
                                   in->op[i].va);
        }
    }
    return TRN_DMA_ERR_NONE;
}

uint32_t trn_insn_decode(const uint8_t *buf, unsigned nsems, TrnInsn *in,
                         TrnInsnLogFn log, void *opaque)
{
    TrnDecoder dc = {
        .buf = buf,
        .nsems = nsems,
        .in = in,
        .log = log,
        .opaque = opaque,
    };
    uint32_t err;

    trn_header_decode(buf, in);
    err = trn_header_check(&dc);
    if (!err) {
        err = trn_slots_decode(&dc);
    }
    if (!err) {
        err = trn_counts_check(&dc);
    }
    if (!err) {
        err = trn_shapes_check(&dc);
    }
    if (!err) {
        err = trn_align_check(&dc);
    }
    return err;
}
