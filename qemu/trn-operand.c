/*
 * trn: the memory of instruction operands, and element conversions.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Operands are reached element by element through a small software TLB per
 * operand slot, page by page for contiguous rows. A miss asks the owner of
 * the memory (TrnMemOps.map) for the page; a page without a host pointer
 * (not plain RAM) is reached through TrnMemOps.access, element by element.
 * Bytes written through a host pointer are reported to the owner
 * (TrnMemOps.dirty) when their translation is forgotten: at the end of the
 * instruction, on a flush, or when its TLB slot is taken by another page.
 *
 * Elements are converted to double for arithmetic (fp32 and bf16 inline,
 * fp16 and the fp8 types through tables of all their values) and back
 * through trn_numerics.h, whose rules Documentation/isa.rst specifies.
 */

#include <math.h>
#include <string.h>

#include "trn-operand.h"
#include "trn_numerics.h"

/* Mark what was written through @e dirty, and forget it. */
static void trn_tlb_evict(TrnExec *ex, unsigned slot, TrnTlbEntry *e)
{
    if (e->tag && e->pg.host && e->dirty_lo < e->dirty_hi) {
        ex->ops->dirty(ex->opaque, slot, &e->pg, e->dirty_lo,
                       e->dirty_hi - e->dirty_lo);
    }
    e->tag = 0;
}

void trn_exec_evict_system(TrnExec *ex, unsigned slot)
{
    TrnTlb *t = &ex->tlb[slot];
    unsigned i;

    for (i = 0; i < TRN_TLB_SIZE; i++) {
        if (t->e[i].tag && t->e[i].pg.system) {
            trn_tlb_evict(ex, slot, &t->e[i]);
        }
    }
}

void trn_exec_flush(TrnExec *ex)
{
    unsigned slot, i;

    for (slot = 0; slot < TRN_I_NOPERANDS; slot++) {
        for (i = 0; i < TRN_TLB_SIZE; i++) {
            if (ex->tlb[slot].e[i].tag) {
                trn_tlb_evict(ex, slot, &ex->tlb[slot].e[i]);
            }
        }
    }
}

bool trn_exec_fail(TrnExec *ex, uint32_t err, uint64_t addr)
{
    ex->err = err;
    ex->fault = addr;
    return false;
}

void trn_exec_log(TrnExec *ex, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ex->ops->log(ex->opaque, msg);
}

bool trn_exec_poll(TrnExec *ex)
{
    if (!ex->ops->poll(ex->opaque)) {
        ex->abort = true;
        return false;
    }
    return true;
}

/* The translation of the page of @va in @slot, or NULL after a fault. */
static inline TrnTlbEntry *trn_tlb_page(TrnExec *ex, unsigned slot,
                                        uint64_t va)
{
    TrnTlb *t = &ex->tlb[slot];
    uint64_t tag = (va >> TRN_PAGE_SHIFT) + 1;
    /* Pages a power of two apart (matrix rows) must not all collide */
    TrnTlbEntry *e = &t->e[(tag ^ tag >> 8 ^ tag >> 16) % TRN_TLB_SIZE];
    uint32_t err;

    if (G_LIKELY(e->tag == tag)) {
        return e;
    }
    trn_tlb_evict(ex, slot, e);
    err = ex->ops->map(ex->opaque, slot, va & ~(TRN_PAGE_SIZE - 1), t->write,
                       &e->pg);
    if (err) {
        trn_exec_fail(ex, err, va);
        return NULL;
    }
    e->dirty_lo = TRN_PAGE_SIZE;
    e->dirty_hi = 0;
    e->tag = tag;
    return e;
}

/* Bytes of a page that is not plain memory, through its owner. */
static bool trn_tlb_access(TrnExec *ex, TrnTlbEntry *e, uint64_t va,
                           void *buf, unsigned len, bool write)
{
    if (!ex->ops->access(ex->opaque, &e->pg, va & (TRN_PAGE_SIZE - 1), buf,
                         len, write)) {
        return trn_exec_fail(ex, TRN_DMA_ERR_BAD_PT, va);
    }
    return true;
}

/* Move @len bytes between @buf and the page of @e at @off. */
static inline G_ALWAYS_INLINE bool
trn_tlb_copy(TrnExec *ex, TrnTlbEntry *e, uint64_t va, uint8_t *buf,
             unsigned len, bool write)
{
    unsigned off = va & (TRN_PAGE_SIZE - 1);

    if (G_UNLIKELY(!e->pg.host)) {
        return trn_tlb_access(ex, e, va, buf, len, write);
    }
    if (write) {
        memcpy(e->pg.host + off, buf, len);
        e->dirty_lo = MIN(e->dirty_lo, off);
        e->dirty_hi = MAX(e->dirty_hi, off + len);
    } else {
        memcpy(buf, e->pg.host + off, len);
    }
    return true;
}

static inline G_ALWAYS_INLINE bool
trn_raw_strided(TrnExec *ex, unsigned slot, uint64_t va, int64_t sb,
                const unsigned esz, size_t n, uint8_t *buf, bool write)
{
    size_t i;

    for (i = 0; i < n; i++, va += sb, buf += esz) {
        TrnTlbEntry *e = trn_tlb_page(ex, slot, va);

        if (!e || !trn_tlb_copy(ex, e, va, buf, esz, write)) {
            return false;
        }
    }
    return true;
}

bool trn_raw(TrnExec *ex, unsigned slot, uint64_t va, int64_t sb,
             unsigned esz, size_t n, uint8_t *buf, bool write)
{
    uint64_t len;

    if (n == 1 || sb == esz) {
        for (len = (uint64_t)n * esz; len; ) {
            TrnTlbEntry *e = trn_tlb_page(ex, slot, va);
            unsigned c = MIN(len, TRN_PAGE_SIZE - (va & (TRN_PAGE_SIZE - 1)));

            if (!e || !trn_tlb_copy(ex, e, va, buf, c, write)) {
                return false;
            }
            va += c;
            buf += c;
            len -= c;
        }
        return true;
    }
    switch (esz) {
    case 1:
        return trn_raw_strided(ex, slot, va, sb, 1, n, buf, write);
    case 2:
        return trn_raw_strided(ex, slot, va, sb, 2, n, buf, write);
    default:
        return trn_raw_strided(ex, slot, va, sb, 4, n, buf, write);
    }
}

/* --- Conversions (trn_numerics.h; fp32 and bf16 inline, same results) --- */

/*
 * The values of every fp16, fp8 e4m3 and fp8 e5m2 encoding, as trn_load()
 * gives them (all are exact in fp32): a table lookup instead of a decode.
 */
static float trn_fp16_values[1 << 16];
static float trn_e4m3_values[1 << 8];
static float trn_e5m2_values[1 << 8];

void trn_operand_init(void)
{
    static gsize done;
    uint8_t b[2];
    unsigned i;

    if (!g_once_init_enter(&done)) {
        return;
    }
    for (i = 0; i < G_N_ELEMENTS(trn_fp16_values); i++) {
        b[0] = i;
        b[1] = i >> 8;
        trn_fp16_values[i] = trn_load(TRN_DT_FP16, b);
    }
    for (i = 0; i < G_N_ELEMENTS(trn_e4m3_values); i++) {
        b[0] = i;
        trn_e4m3_values[i] = trn_load(TRN_DT_FP8_E4M3, b);
        trn_e5m2_values[i] = trn_load(TRN_DT_FP8_E5M2, b);
    }
    g_once_init_leave(&done, 1);
}

static inline uint16_t trn_ld16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

/* The value of element @i of type @dt at @p, for the narrow float types. */
static inline float trn_narrow_value(unsigned dt, const uint8_t *p, size_t i)
{
    switch (dt) {
    case TRN_DT_BF16:
        return trn_bf16_to_f32(trn_ld16(p + 2 * i));
    case TRN_DT_FP16:
        return trn_fp16_values[trn_ld16(p + 2 * i)];
    case TRN_DT_FP8_E4M3:
        return trn_e4m3_values[p[i]];
    default:
        return trn_e5m2_values[p[i]];
    }
}

static bool trn_dt_narrow(unsigned dt)
{
    return dt == TRN_DT_BF16 || dt == TRN_DT_FP16 ||
           dt == TRN_DT_FP8_E4M3 || dt == TRN_DT_FP8_E5M2;
}

/*
 * Convert @n elements of type @dt at @p. Each case has its own loop, so
 * that the compiler makes one loop per type.
 */
#define TRN_CVT_LOOP(dt, p, n, o) do {                                     \
    size_t i_;                                                             \
    switch (dt) {                                                          \
    case TRN_DT_BF16:                                                      \
        for (i_ = 0; i_ < (n); i_++) {                                     \
            (o)[i_] = trn_narrow_value(TRN_DT_BF16, (p), i_);              \
        }                                                                  \
        break;                                                             \
    case TRN_DT_FP16:                                                      \
        for (i_ = 0; i_ < (n); i_++) {                                     \
            (o)[i_] = trn_narrow_value(TRN_DT_FP16, (p), i_);              \
        }                                                                  \
        break;                                                             \
    case TRN_DT_FP8_E4M3:                                                  \
        for (i_ = 0; i_ < (n); i_++) {                                     \
            (o)[i_] = trn_narrow_value(TRN_DT_FP8_E4M3, (p), i_);          \
        }                                                                  \
        break;                                                             \
    default:                                                               \
        for (i_ = 0; i_ < (n); i_++) {                                     \
            (o)[i_] = trn_narrow_value(TRN_DT_FP8_E5M2, (p), i_);          \
        }                                                                  \
        break;                                                             \
    }                                                                      \
} while (0)

static void trn_cvt_to_f64(unsigned dt, const uint8_t *p, size_t n,
                           double *o)
{
    unsigned esz = trn_dt_size(dt);
    size_t i;
    float f;

    if (dt == TRN_DT_FP32) {
        for (i = 0; i < n; i++) {
            memcpy(&f, p + 4 * i, 4);
            o[i] = f;
        }
    } else if (trn_dt_narrow(dt)) {
        TRN_CVT_LOOP(dt, p, n, o);
    } else {
        for (i = 0; i < n; i++) {
            o[i] = trn_load(dt, p + esz * i);
        }
    }
}

static void trn_cvt_to_f32(unsigned dt, const uint8_t *p, size_t n, float *o)
{
    unsigned esz = trn_dt_size(dt);
    size_t i;

    if (dt == TRN_DT_FP32) {
        memcpy(o, p, n * 4);
    } else if (trn_dt_narrow(dt)) {
        TRN_CVT_LOOP(dt, p, n, o);
    } else {
        for (i = 0; i < n; i++) {
            o[i] = trn_load(dt, p + esz * i);
        }
    }
}

static void trn_cvt_from_f64(unsigned dt, const double *x, size_t n,
                             uint8_t *p)
{
    unsigned esz = trn_dt_size(dt);
    size_t i;
    float f;

    if (dt == TRN_DT_FP32) {
        for (i = 0; i < n; i++) {
            f = x[i];
            memcpy(p + 4 * i, &f, 4);
        }
    } else {
        for (i = 0; i < n; i++) {
            trn_store(dt, p + esz * i, x[i]);
        }
    }
}

bool trn_read_f64(TrnExec *ex, unsigned slot, const TrnOperand *op,
                  uint64_t va, int64_t stride, size_t n, double *o)
{
    if (!trn_raw(ex, slot, va, stride * op->esz, op->esz, n, ex->raw,
                 false)) {
        return false;
    }
    trn_cvt_to_f64(op->dt, ex->raw, n, o);
    return true;
}

bool trn_write_f64(TrnExec *ex, unsigned slot, const TrnOperand *op,
                   uint64_t va, int64_t stride, size_t n, const double *x)
{
    trn_cvt_from_f64(op->dt, x, n, ex->raw);
    return trn_raw(ex, slot, va, stride * op->esz, op->esz, n, ex->raw,
                   true);
}

bool trn_read_f32(TrnExec *ex, unsigned slot, const TrnOperand *op,
                  uint64_t va, int64_t stride, size_t n, float *o)
{
    int64_t sb = stride * op->esz;
    size_t done, c;

    if (op->dt == TRN_DT_FP32) {
        return trn_raw(ex, slot, va, sb, 4, n, (uint8_t *)o, false);
    }
    for (done = 0; done < n; done += c) {
        c = MIN(n - done, TRN_CHUNK);
        if (!trn_raw(ex, slot, va + done * sb, sb, op->esz, c, ex->raw,
                     false)) {
            return false;
        }
        trn_cvt_to_f32(op->dt, ex->raw, c, o + done);
    }
    return true;
}
