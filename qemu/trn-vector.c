/*
 * trn: element-wise instructions and reductions of the NeuronCore.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * BINARY, ACTIVATE, TRANSPOSE, CAST and DMA map every element of their
 * inputs to one of the output; REDUCE combines the elements along one
 * axis. Both work on rows of at most TRN_CHUNK elements converted to
 * double, and ask TrnMemOps.poll between pieces. Where Documentation/isa.rst
 * leaves a choice (NaN, signed zeros, the limits of gelu and silu), the
 * choice is made here, and the reference executor (tests/common/trn_ref.c)
 * makes the same one with the same expressions.
 */

#include <math.h>
#include <string.h>

#include "trn-vector.h"

#define TRN_TILE                64      /* row piece with strided inputs */

/* --- Arithmetic --- */

/* IEEE 754-2019 maximum and minimum: NaN wins, then +0 > -0. */
static inline double trn_max(double x, double y)
{
    if (isnan(x)) {
        return x;
    }
    if (isnan(y)) {
        return y;
    }
    if (x == y) {
        return signbit(x) ? y : x;
    }
    return x > y ? x : y;
}

static inline double trn_min(double x, double y)
{
    if (isnan(x)) {
        return x;
    }
    if (isnan(y)) {
        return y;
    }
    if (x == y) {
        return signbit(x) ? x : y;
    }
    return x < y ? x : y;
}

static void trn_binary_row(unsigned func, double *o, const double *a,
                           const double *b, size_t n)
{
    size_t i;

    switch (func) {
    case TRN_BIN_ADD:
        for (i = 0; i < n; i++) {
            o[i] = a[i] + b[i];
        }
        break;
    case TRN_BIN_SUB:
        for (i = 0; i < n; i++) {
            o[i] = a[i] - b[i];
        }
        break;
    case TRN_BIN_MUL:
        for (i = 0; i < n; i++) {
            o[i] = a[i] * b[i];
        }
        break;
    case TRN_BIN_DIV:
        for (i = 0; i < n; i++) {
            o[i] = a[i] / b[i];
        }
        break;
    case TRN_BIN_MAX:
        for (i = 0; i < n; i++) {
            o[i] = trn_max(a[i], b[i]);
        }
        break;
    case TRN_BIN_MIN:
        for (i = 0; i < n; i++) {
            o[i] = trn_min(a[i], b[i]);
        }
        break;
    }
}

static inline double trn_sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* f(x) of the functions that are not a plain expression per element. */
static void trn_activate_fn(unsigned func, double *o, size_t n)
{
    size_t i;

    switch (func) {
    case TRN_ACT_RELU:
        for (i = 0; i < n; i++) {
            o[i] = trn_max(o[i], 0.0);
        }
        break;
    case TRN_ACT_GELU:
        for (i = 0; i < n; i++) {
            /* Its limit -0 at -inf, as silu, not -inf * 0 = NaN */
            o[i] = isinf(o[i]) && o[i] < 0
                   ? -0.0 : 0.5 * o[i] * (1.0 + erf(o[i] * M_SQRT1_2));
        }
        break;
    case TRN_ACT_SILU:
        for (i = 0; i < n; i++) {
            /* x / (1 + exp(-x)), with its limit -0 at -inf, not NaN */
            o[i] = isinf(o[i]) && o[i] < 0 ? -0.0 : o[i] * trn_sigmoid(o[i]);
        }
        break;
    case TRN_ACT_SIGMOID:
        for (i = 0; i < n; i++) {
            o[i] = trn_sigmoid(o[i]);
        }
        break;
    }
}

/* out = f(alpha * a + beta); NaN stays NaN through every function. */
static void trn_activate_row(unsigned func, double alpha, double beta,
                             double *o, const double *a, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        o[i] = alpha * a[i] + beta;
    }
    switch (func) {
    case TRN_ACT_IDENTITY:
        break;
    case TRN_ACT_EXP:
        for (i = 0; i < n; i++) {
            o[i] = exp(o[i]);
        }
        break;
    case TRN_ACT_TANH:
        for (i = 0; i < n; i++) {
            o[i] = tanh(o[i]);
        }
        break;
    case TRN_ACT_RECIPROCAL:
        for (i = 0; i < n; i++) {
            o[i] = 1.0 / o[i];
        }
        break;
    case TRN_ACT_RSQRT:
        for (i = 0; i < n; i++) {
            o[i] = 1.0 / sqrt(o[i]);
        }
        break;
    case TRN_ACT_SQRT:
        for (i = 0; i < n; i++) {
            o[i] = sqrt(o[i]);
        }
        break;
    case TRN_ACT_SQUARE:
        for (i = 0; i < n; i++) {
            o[i] = o[i] * o[i];
        }
        break;
    case TRN_ACT_ABS:
        for (i = 0; i < n; i++) {
            o[i] = fabs(o[i]);
        }
        break;
    default:
        trn_activate_fn(func, o, n);
        break;
    }
}

/* acc = acc op row, element by element. */
static void trn_reduce_row(unsigned func, double *acc, const double *v,
                           size_t n)
{
    size_t i;

    switch (func) {
    case TRN_RED_SUM:
        for (i = 0; i < n; i++) {
            acc[i] += v[i];
        }
        break;
    case TRN_RED_MAX:
        for (i = 0; i < n; i++) {
            acc[i] = trn_max(acc[i], v[i]);
        }
        break;
    case TRN_RED_MIN:
        for (i = 0; i < n; i++) {
            acc[i] = trn_min(acc[i], v[i]);
        }
        break;
    }
}

/* The reduction of the @n values at @v into one, in index order. */
static double trn_reduce_vec(unsigned func, double acc, const double *v,
                             size_t n)
{
    size_t i;

    switch (func) {
    case TRN_RED_SUM:
        for (i = 0; i < n; i++) {
            acc += v[i];
        }
        break;
    case TRN_RED_MAX:
        for (i = 0; i < n; i++) {
            acc = trn_max(acc, v[i]);
        }
        break;
    case TRN_RED_MIN:
        for (i = 0; i < n; i++) {
            acc = trn_min(acc, v[i]);
        }
        break;
    }
    return acc;
}

/* --- Element-wise instructions: BINARY, ACTIVATE, TRANSPOSE, CAST, DMA --- */

/*
 * The views of an element-wise instruction: out, then its inputs, all with
 * out's shape (an input's strides rearranged for TRANSPOSE).
 */
typedef struct TrnMap {
    unsigned nv;
    bool raw;                   /* move the bits, no arithmetic */
    uint64_t shape[TRN_MAX_DIMS];
    int64_t stride[TRN_I_NOPERANDS][TRN_MAX_DIMS];
} TrnMap;

/*
 * Merge dimensions that are contiguous in every view and drop those of size
 * 1, so that rows are as long as possible: [1, 1, 1000000, 1] and
 * [2, 3, 4, 5] without gaps become one row. The result is right-aligned.
 */
static void trn_map_coalesce(TrnMap *m)
{
    uint64_t shape[TRN_MAX_DIMS];
    int64_t stride[TRN_I_NOPERANDS][TRN_MAX_DIMS];
    int d, k = TRN_MAX_DIMS;
    unsigned v;

    for (d = TRN_MAX_DIMS - 1; d >= 0; d--) {
        bool merge = k < TRN_MAX_DIMS;

        if (m->shape[d] == 1) {
            continue;
        }
        for (v = 0; v < m->nv && merge; v++) {
            merge = m->stride[v][d] ==
                    stride[v][k] * (int64_t)shape[k];
        }
        if (merge) {
            shape[k] *= m->shape[d];
            continue;
        }
        k--;
        shape[k] = m->shape[d];
        for (v = 0; v < m->nv; v++) {
            stride[v][k] = m->stride[v][d];
        }
    }
    for (d = 0; d < TRN_MAX_DIMS; d++) {
        bool in = d >= k;

        m->shape[d] = in ? shape[d] : 1;
        for (v = 0; v < m->nv; v++) {
            m->stride[v][d] = in ? stride[v][d] : 0;
        }
    }
}

/* One piece of @c elements of a row, at element offsets @off of the views. */
static bool trn_map_piece(TrnExec *ex, const TrnInsn *in, const TrnMap *m,
                          const int64_t *off, size_t c)
{
    const TrnOperand *out = &in->op[0], *a = &in->op[1], *b = &in->op[2];
    size_t i;

    if (!trn_exec_poll(ex)) {
        return false;
    }
    if (m->raw) {
        return trn_raw(ex, 1, trn_elem_va(a, off[1]),
                       m->stride[1][3] * a->esz, a->esz, c, ex->raw, false) &&
               trn_raw(ex, 0, trn_elem_va(out, off[0]),
                       m->stride[0][3] * out->esz, out->esz, c, ex->raw,
                       true);
    }
    if (!trn_read_f64(ex, 1, a, trn_elem_va(a, off[1]), m->stride[1][3], c,
                      ex->row[1])) {
        return false;
    }
    if (m->nv > 2 &&
        !trn_read_f64(ex, 2, b, trn_elem_va(b, off[2]), m->stride[2][3], c,
                      ex->row[2])) {
        return false;
    }
    switch (in->opcode) {
    case TRN_OP_BINARY:
        if (m->nv == 2) {       /* TRN_IF_SCALAR_B */
            for (i = 0; i < c; i++) {
                ex->row[2][i] = in->alpha;
            }
        }
        trn_binary_row(in->func, ex->row[0], ex->row[1], ex->row[2], c);
        break;
    case TRN_OP_ACTIVATE:
        trn_activate_row(in->func, in->alpha, in->beta, ex->row[0],
                         ex->row[1], c);
        break;
    default:
        memcpy(ex->row[0], ex->row[1], c * sizeof(double));
        break;
    }
    return trn_write_f64(ex, 0, out, trn_elem_va(out, off[0]),
                         m->stride[0][3], c, ex->row[0]);
}

/* The views of @in, coalesced. */
static void trn_map_init(const TrnInsn *in, TrnMap *m)
{
    const TrnOperand *out = &in->op[0], *a = &in->op[1], *b = &in->op[2];
    bool binary = in->opcode == TRN_OP_BINARY &&
                  !(in->flags & TRN_IF_SCALAR_B);
    unsigned d;

    m->nv = binary ? 3 : 2;
    /* Same type, no arithmetic: move the bits, NaN payloads included */
    m->raw = (in->opcode == TRN_OP_DMA || in->opcode == TRN_OP_CAST ||
              in->opcode == TRN_OP_TRANSPOSE) && a->dt == out->dt;
    for (d = 0; d < TRN_MAX_DIMS; d++) {
        m->shape[d] = out->shape[d];
        m->stride[0][d] = out->stride[d];
        m->stride[1][d] = a->stride[d];
        m->stride[2][d] = binary ? b->stride[d] : 0;
    }
    if (in->opcode == TRN_OP_TRANSPOSE) {
        unsigned d0 = TRN_TRANSPOSE_D0(in->aux), d1 = TRN_TRANSPOSE_D1(in->aux);

        m->stride[1][d0] = a->stride[d1];
        m->stride[1][d1] = a->stride[d0];
    }
    trn_map_coalesce(m);
}

/*
 * Rows are done piece by piece. When a view is strided along them (a
 * transpose), every element of a row may be on a page of its own: then a
 * narrow column of pieces is done for all rows before the next, so that
 * its pages stay in the TLB.
 */
static uint64_t trn_map_tile(const TrnMap *m)
{
    uint64_t tile = m->shape[3];
    unsigned v;

    for (v = 0; v < m->nv; v++) {
        if (m->shape[2] > 1 && m->stride[v][3] && m->stride[v][3] != 1) {
            tile = MIN(tile, TRN_TILE);
        }
    }
    return tile;
}

/* The columns jb..end - 1 of every row of the plane (i0, i1). */
static bool trn_map_columns(TrnExec *ex, const TrnInsn *in, const TrnMap *m,
                            uint64_t i0, uint64_t i1, uint64_t jb,
                            uint64_t end)
{
    int64_t off[TRN_I_NOPERANDS];
    uint64_t i2, j;
    unsigned v;
    size_t c;

    for (i2 = 0; i2 < m->shape[2]; i2++) {
        for (j = jb; j < end; j += c) {
            c = MIN(end - j, TRN_CHUNK);
            for (v = 0; v < m->nv; v++) {
                off[v] = i0 * m->stride[v][0] + i1 * m->stride[v][1] +
                         i2 * m->stride[v][2] + j * m->stride[v][3];
            }
            if (!trn_map_piece(ex, in, m, off, c)) {
                return false;
            }
        }
    }
    return true;
}

bool trn_vector_map(TrnExec *ex, const TrnInsn *in)
{
    TrnMap m;
    uint64_t i0, i1, jb, tile;

    trn_map_init(in, &m);
    tile = trn_map_tile(&m);
    for (i0 = 0; i0 < m.shape[0]; i0++) {
        for (i1 = 0; i1 < m.shape[1]; i1++) {
            for (jb = 0; jb < m.shape[3]; jb += tile) {
                if (!trn_map_columns(ex, in, &m, i0, i1, jb,
                                     MIN(m.shape[3], jb + tile))) {
                    return false;
                }
            }
        }
    }
    return true;
}

/* --- REDUCE --- */

/*
 * Along the innermost axis: each of the @c rows of a from element offset
 * @ao gives one element of acc.
 */
static bool trn_reduce_inner(TrnExec *ex, const TrnInsn *in, int64_t ao,
                             size_t c)
{
    const TrnOperand *a = &in->op[1];
    uint64_t n = a->shape[TRN_MAX_DIMS - 1], t;
    double *acc = ex->row[0], *row = ex->row[1];
    size_t e, rc;

    for (e = 0; e < c; e++) {
        int64_t ro = ao + e * a->stride[2];

        for (t = 0; t < n; t += rc) {
            rc = MIN(n - t, TRN_CHUNK);
            if (!trn_exec_poll(ex) ||
                !trn_read_f64(ex, 1, a,
                              trn_elem_va(a, ro + t * a->stride[3]),
                              a->stride[3], rc, row)) {
                return false;
            }
            acc[e] = trn_reduce_vec(in->func, t ? acc[e] : row[0],
                                    row + !t, rc - !t);
        }
    }
    return true;
}

/* Along an outer axis: rows of a along it, combined in order into acc. */
static bool trn_reduce_outer(TrnExec *ex, const TrnInsn *in, int64_t ao,
                             size_t c)
{
    const TrnOperand *a = &in->op[1];
    uint64_t n = a->shape[in->aux], t;
    double *acc = ex->row[0], *row = ex->row[1];

    for (t = 0; t < n; t++) {
        if (!trn_exec_poll(ex) ||
            !trn_read_f64(ex, 1, a, trn_elem_va(a, ao + t * a->stride[in->aux]),
                          a->stride[3], c, t ? row : acc)) {
            return false;
        }
        if (t) {
            trn_reduce_row(in->func, acc, row, c);
        }
    }
    return true;
}

/*
 * The @c elements of out from index @idx on, along dimension @rd (2 for the
 * innermost axis, else 3).
 */
static bool trn_reduce_piece(TrnExec *ex, const TrnInsn *in,
                             const uint64_t *idx, unsigned rd, size_t c)
{
    const TrnOperand *out = &in->op[0], *a = &in->op[1];
    int64_t ao = 0, oo = 0;
    unsigned d;
    size_t e;
    bool ok;

    for (d = 0; d < TRN_MAX_DIMS; d++) {
        ao += idx[d] * a->stride[d];
        oo += idx[d] * out->stride[d];
    }
    ok = in->aux == TRN_MAX_DIMS - 1 ? trn_reduce_inner(ex, in, ao, c)
                                     : trn_reduce_outer(ex, in, ao, c);
    if (!ok) {
        return false;
    }
    for (e = 0; e < c; e++) {
        ex->row[0][e] *= in->alpha;
    }
    return trn_write_f64(ex, 0, out, trn_elem_va(out, oo), out->stride[rd],
                         c, ex->row[0]);
}

bool trn_vector_reduce(TrnExec *ex, const TrnInsn *in)
{
    const TrnOperand *out = &in->op[0];
    bool inner = in->aux == TRN_MAX_DIMS - 1;
    /* out is written along dimension rd, TRN_CHUNK elements at a time */
    unsigned rd = inner ? 2 : 3;
    uint64_t n2 = inner ? 1 : out->shape[2];
    uint64_t i0, i1, i2, j;
    size_t c;

    for (i0 = 0; i0 < out->shape[0]; i0++) {
        for (i1 = 0; i1 < out->shape[1]; i1++) {
            for (i2 = 0; i2 < n2; i2++) {
                for (j = 0; j < out->shape[rd]; j += c) {
                    uint64_t idx[TRN_MAX_DIMS] = {
                        i0, i1, inner ? j : i2, inner ? 0 : j
                    };

                    c = MIN(out->shape[rd] - j, TRN_CHUNK);
                    if (!trn_reduce_piece(ex, in, idx, rd, c)) {
                        return false;
                    }
                }
            }
        }
    }
    return true;
}
