/*
 * trn: MATMUL, the NeuronCore's tensor engine.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * MATMUL gathers blocks of its inputs as fp32 into host buffers,
 * multiplies them with the host's BLAS (cblas_sgemm) and scatters the
 * result: out = ALPHA * (a @ b), or out + ALPHA * (a @ b) with
 * TRN_IF_ACCUMULATE, computed in double from the fp32 sum and rounded once
 * to the type of out.
 */

#include <string.h>

#include <cblas.h>

#include "trn-matmul.h"

/*
 * MATMUL works on blocks of at most TRN_MM_BLOCK square, and calls BLAS
 * for at most TRN_MM_CALL_FLOPS at a time (TrnMemOps.poll is asked between
 * calls; BLAS runs single-threaded, about 8 ms for 2^28 on a current x86
 * core), but for at least TRN_MM_CALL_ROWS rows: each call packs the whole
 * block of b again.
 */
#define TRN_MM_BLOCK            1024
#define TRN_MM_CALL_FLOPS       (1ULL << 28)
#define TRN_MM_CALL_ROWS        128
G_STATIC_ASSERT(2ULL * TRN_MM_CALL_ROWS * TRN_MM_BLOCK * TRN_MM_BLOCK <=
                TRN_MM_CALL_FLOPS);

#define TRN_F32_ONE             0x3f800000u     /* 1.0f */

/* A block of an input, gathered into a host buffer of fp32. */
typedef struct TrnMatBlock {
    bool valid;
    uint64_t va;                /* element (r0, c0) */
    uint64_t rows, cols;
    bool trans;                 /* stored as cols x rows */
    int ld;
} TrnMatBlock;

/* A MATMUL at work. */
typedef struct TrnMatmul {
    TrnExec *ex;
    const TrnInsn *in;
    uint64_t M, N, K;
    uint64_t mb, nb, kb;        /* block sizes */
    float *abuf, *bbuf, *cbuf;  /* the blocks of a, b and out */
    float *full;                /* the whole result, if it is kept */
    TrnMatBlock ablk, bblk;
} TrnMatmul;

/* Matmul block buffer @i of the interpreter, TRN_MM_BLOCK^2 floats. */
static float *trn_mm_buf(TrnExec *ex, unsigned i)
{
    if (!ex->mm[i]) {
        ex->mm[i] = g_new(float, TRN_MM_BLOCK * TRN_MM_BLOCK);
    }
    return ex->mm[i];
}

void trn_matmul_free(TrnExec *ex)
{
    unsigned i;

    for (i = 0; i < G_N_ELEMENTS(ex->mm); i++) {
        g_free(ex->mm[i]);
        ex->mm[i] = NULL;
    }
}

/*
 * Gather rows r0.. and columns c0.. of the matrix of @slot at @base (row
 * stride @sr, column stride @sc, in elements) into @dst: row by row, or,
 * when the columns are contiguous in memory and the rows are not, column
 * by column, to be passed to BLAS as transposed.
 */
static bool trn_mm_gather(TrnExec *ex, unsigned slot, const TrnOperand *op,
                          uint64_t base, int64_t sr, int64_t sc,
                          uint64_t rows, uint64_t cols, float *dst,
                          TrnMatBlock *blk)
{
    bool row_contig = sc == 1 || cols == 1;
    bool col_contig = sr == 1 || rows == 1;
    uint64_t r;

    if (blk->valid && blk->va == base && blk->rows == rows &&
        blk->cols == cols) {
        return true;            /* the same block as before */
    }
    blk->valid = false;
    blk->trans = col_contig && (!row_contig || rows > cols);
    if (blk->trans) {
        for (r = 0; r < cols; r++) {
            if (!trn_exec_poll(ex) ||
                !trn_read_f32(ex, slot, op, base + r * sc * op->esz, sr, rows,
                              dst + r * rows)) {
                return false;
            }
        }
        blk->ld = rows;
    } else {
        for (r = 0; r < rows; r++) {
            if (!trn_exec_poll(ex) ||
                !trn_read_f32(ex, slot, op, base + r * sr * op->esz, sc, cols,
                              dst + r * cols)) {
                return false;
            }
        }
        blk->ld = cols;
    }
    blk->valid = true;
    blk->va = base;
    blk->rows = rows;
    blk->cols = cols;
    return true;
}

/* @n results from @cr written to out at @va: ALPHA * c [+ out]. */
static bool trn_mm_scatter_piece(TrnExec *ex, const TrnInsn *in, uint64_t va,
                                 const float *cr, size_t n)
{
    const TrnOperand *out = &in->op[0];
    int64_t sc = out->stride[3];
    double *old = ex->row[1], *v = ex->row[0];
    size_t e;

    if (out->dt == TRN_DT_FP32 && !(in->flags & TRN_IF_ACCUMULATE) &&
        in->alpha_bits == TRN_F32_ONE) {
        return trn_raw(ex, 0, va, sc * 4, 4, n, (uint8_t *)cr, true);
    }
    if (in->flags & TRN_IF_ACCUMULATE) {
        /* out is read as fp32 first, as the inputs are */
        if (!trn_read_f64(ex, 0, out, va, sc, n, old)) {
            return false;
        }
        for (e = 0; e < n; e++) {
            v[e] = (double)(float)old[e] + in->alpha * cr[e];
        }
    } else {
        for (e = 0; e < n; e++) {
            v[e] = in->alpha * cr[e];
        }
    }
    return trn_write_f64(ex, 0, out, va, sc, n, v);
}

/*
 * Write rows x cols results (row stride @ldc) to out at @base:
 * out = ALPHA * c, or out = out + ALPHA * c, rounded once.
 */
static bool trn_mm_scatter(TrnExec *ex, const TrnInsn *in, uint64_t base,
                           uint64_t rows, uint64_t cols, const float *c,
                           uint64_t ldc)
{
    const TrnOperand *out = &in->op[0];
    int64_t sr = out->stride[2], sc = out->stride[3];
    uint64_t r, j;
    size_t n;

    for (r = 0; r < rows; r++) {
        uint64_t va = base + r * sr * out->esz;

        for (j = 0; j < cols; j += n) {
            n = MIN(cols - j, TRN_CHUNK);
            if (!trn_exec_poll(ex) ||
                !trn_mm_scatter_piece(ex, in, va + j * sc * out->esz,
                                      c + r * ldc + j, n)) {
                return false;
            }
        }
    }
    return true;
}

/*
 * cp += (or =, for the first block of K) the product of the gathered
 * blocks, mc x kc by kc x nc, in slices of rows, so that a reset or a
 * change of the mappings is seen soon.
 */
static bool trn_mm_gemm(TrnMatmul *mm, uint64_t mc, uint64_t nc, uint64_t kc,
                        bool first, float *cp, uint64_t ldc)
{
    const TrnMatBlock *ab = &mm->ablk, *bb = &mm->bblk;
    uint64_t rs = MAX(TRN_MM_CALL_ROWS, TRN_MM_CALL_FLOPS / (2 * nc * kc));
    uint64_t r0;

    for (r0 = 0; r0 < mc; r0 += rs) {
        const float *ap = ab->trans ? mm->abuf + r0 : mm->abuf + r0 * ab->ld;

        cblas_sgemm(CblasRowMajor, ab->trans ? CblasTrans : CblasNoTrans,
                    bb->trans ? CblasTrans : CblasNoTrans,
                    MIN(rs, mc - r0), nc, kc, 1.0f, ap, ab->ld, mm->bbuf,
                    bb->ld, first ? 0.0f : 1.0f, cp + r0 * ldc, ldc);
        if (!trn_exec_poll(mm->ex)) {
            return false;
        }
    }
    return true;
}

/*
 * The block of out at rows i0.., columns j0.. of batch (b0, b1): the sum
 * over K of the products of blocks, then, unless the result is kept whole,
 * written out.
 */
static bool trn_mm_block(TrnMatmul *mm, uint64_t b0, uint64_t b1,
                         uint64_t i0, uint64_t j0)
{
    const TrnInsn *in = mm->in;
    const TrnOperand *o = &in->op[0], *a = &in->op[1], *b = &in->op[2];
    uint64_t mc = MIN(mm->mb, mm->M - i0), nc = MIN(mm->nb, mm->N - j0);
    uint64_t batch = b0 * o->shape[1] + b1;
    uint64_t abase = trn_elem_va(a, b0 * a->stride[0] + b1 * a->stride[1]);
    uint64_t bbase = trn_elem_va(b, b0 * b->stride[0] + b1 * b->stride[1]);
    uint64_t obase = trn_elem_va(o, b0 * o->stride[0] + b1 * o->stride[1]);
    float *cp = mm->full ? mm->full + (batch * mm->M + i0) * mm->N + j0
                         : mm->cbuf;
    uint64_t ldc = mm->full ? mm->N : nc;
    uint64_t k0, kc;

    for (k0 = 0; k0 < mm->K; k0 += kc) {
        kc = MIN(mm->kb, mm->K - k0);
        if (!trn_mm_gather(mm->ex, 1, a,
                           abase + (i0 * a->stride[2] + k0 * a->stride[3]) *
                                   a->esz,
                           a->stride[2], a->stride[3], mc, kc, mm->abuf,
                           &mm->ablk) ||
            !trn_mm_gather(mm->ex, 2, b,
                           bbase + (k0 * b->stride[2] + j0 * b->stride[3]) *
                                   b->esz,
                           b->stride[2], b->stride[3], kc, nc, mm->bbuf,
                           &mm->bblk) ||
            !trn_mm_gemm(mm, mc, nc, kc, !k0, cp, ldc)) {
            return false;
        }
    }
    return mm->full ||
           trn_mm_scatter(mm->ex, in,
                          obase + (i0 * o->stride[2] + j0 * o->stride[3]) *
                                  o->esz,
                          mc, nc, mm->cbuf, nc);
}

/* Write the result kept whole, once all inputs are read. */
static bool trn_mm_scatter_full(TrnMatmul *mm)
{
    const TrnOperand *o = &mm->in->op[0];
    uint64_t b0, b1;

    for (b0 = 0; b0 < o->shape[0]; b0++) {
        for (b1 = 0; b1 < o->shape[1]; b1++) {
            if (!trn_mm_scatter(mm->ex, mm->in,
                                trn_elem_va(o, b0 * o->stride[0] +
                                            b1 * o->stride[1]),
                                mm->M, mm->N,
                                mm->full + (b0 * o->shape[1] + b1) *
                                           mm->M * mm->N,
                                mm->N)) {
                return false;
            }
        }
    }
    return true;
}

bool trn_matmul(TrnExec *ex, const TrnInsn *in)
{
    const TrnOperand *o = &in->op[0];
    g_autofree float *full = NULL;
    TrnMatmul mm = {
        .ex = ex,
        .in = in,
        .M = o->shape[2],
        .N = o->shape[3],
        .K = in->op[1].shape[3],
        .abuf = trn_mm_buf(ex, 0),
        .bbuf = trn_mm_buf(ex, 1),
        .cbuf = trn_mm_buf(ex, 2),
    };
    uint64_t b0, b1, i0, j0;

    mm.mb = MIN(mm.M, TRN_MM_BLOCK);
    mm.nb = MIN(mm.N, TRN_MM_BLOCK);
    mm.kb = MIN(mm.K, TRN_MM_BLOCK);
    /*
     * MATMUL reads all of its inputs before it writes its output. When
     * out may overlap an input, the whole result is kept until the end,
     * in at most TRN_HOST_TEMP_MAX (trn_insn_decode() checked), freed
     * when the instruction ends.
     */
    if (trn_insn_mm_keeps_result(in)) {
        full = g_new(float, o->shape[0] * o->shape[1] * mm.M * mm.N);
        mm.full = full;
    }
    for (b0 = 0; b0 < o->shape[0]; b0++) {
        for (b1 = 0; b1 < o->shape[1]; b1++) {
            for (i0 = 0; i0 < mm.M; i0 += mm.mb) {
                for (j0 = 0; j0 < mm.N; j0 += mm.nb) {
                    if (!trn_mm_block(&mm, b0, b1, i0, j0)) {
                        return false;
                    }
                }
            }
        }
    }
    if (mm.full && !trn_mm_scatter_full(&mm)) {
        return false;
    }
    ex->flops = 2 * o->shape[0] * o->shape[1] * mm.M * mm.N * mm.K;
    return true;
}
