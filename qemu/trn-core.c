/*
 * trn: NeuronCores, which execute programs (EXEC descriptors).
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each NeuronCore has a queue, served by a worker thread of its own
 * (trn-dma.c), which executes the DMA descriptors of that queue and, here,
 * the programs of its EXEC descriptors. The instruction set is defined in
 * trn_isa.h, the conversions between element types in trn_numerics.h, and
 * both are specified in Documentation/isa.rst of the trn project.
 *
 * A program runs as one step of its queue, without TrnState.lock; between
 * instructions the worker takes the lock to apply semaphore operations,
 * add to the core's counters, and see whether the queue was reset or
 * disabled, the VM stopped or the device is going away. Within a long
 * instruction it checks the queue's generation and the device's flags
 * without the lock, every TRN_CHUNK elements, row of a matmul block or BLAS
 * call: a reset ends the instruction there, and a stopped VM pauses it
 * until the VM runs again. There too, after a TLB invalidation or the end
 * of bus mastering, it forgets the translations of the operands
 * (trn_step_remap()).
 *
 * Operands are reached element by element through a small software TLB per
 * operand (TrnAcc), page by page for contiguous rows. MATMUL gathers blocks
 * of its inputs as fp32 into host buffers, multiplies them with the host's
 * BLAS (cblas_sgemm) and scatters the result; the other instructions work on
 * rows of at most TRN_CHUNK elements converted to double.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "system/dma.h"
#include "trace.h"
#include "trn.h"
#include "trn_isa.h"
#include "trn_numerics.h"

#include <cblas.h>

#define TRN_CHUNK               1024    /* elements per row piece */
#define TRN_TILE                64      /* row piece with strided inputs */
#define TRN_TLB_SIZE            256     /* pages cached per operand */
/*
 * MATMUL works on blocks of at most TRN_MM_BLOCK square, and calls BLAS
 * for at most TRN_MM_CALL_FLOPS at a time (a reset is seen between calls;
 * BLAS runs single-threaded, about 8 ms for 2^28 on a current x86 core),
 * but for at least TRN_MM_CALL_ROWS rows: each call packs the whole block
 * of b again.
 */
#define TRN_MM_BLOCK            1024
#define TRN_MM_CALL_FLOPS       (1ULL << 28)
#define TRN_MM_CALL_ROWS        128
QEMU_BUILD_BUG_ON(2ULL * TRN_MM_CALL_ROWS * TRN_MM_BLOCK * TRN_MM_BLOCK >
                  TRN_MM_CALL_FLOPS);
/*
 * The largest host buffer an instruction allocates for itself, beyond the
 * worker's fixed ones: the whole result of a MATMUL whose output overlaps
 * an input, as fp32. A larger one fails with TRN_DMA_ERR_OPERAND
 * (Documentation/isa.rst).
 */
#define TRN_HOST_TEMP_MAX       (64 * MiB)
#define TRN_CORE_BLOCK_SIZE     (TRN_DMA_MAX_QUEUES * TRN_CORE_STRIDE)

#define TRN_F32_ONE             0x3f800000u     /* 1.0f */

/* One cached translation of a page of an operand. */
typedef struct TrnTlbEntry {
    uint64_t tag;               /* page number + 1, 0 if empty */
    uint8_t *host;              /* the page in host memory, or NULL */
    uint64_t addr;              /* HBM offset or bus address of the page */
    bool system;
    uint16_t dirty_lo;          /* bytes written through host, if lo < hi */
    uint16_t dirty_hi;
} TrnTlbEntry;

/* Access to the memory of one operand. */
typedef struct TrnAcc {
    TrnState *s;
    uint64_t root;
    bool write;                 /* translated for writing (the output) */
    TrnSysCache sc;             /* window into host RAM */
    TrnTlbEntry tlb[TRN_TLB_SIZE];
} TrnAcc;

/*
 * Buffers of a core's worker, allocated at its first program (the matmul
 * blocks at its first MATMUL), of a fixed size: they never grow.
 */
struct TrnScratch {
    TrnAcc acc[TRN_I_NOPERANDS];
    double row[TRN_I_NOPERANDS][TRN_CHUNK];
    uint8_t raw[TRN_CHUNK * sizeof(double)];
    float *mm[3];               /* matmul blocks of a, b and out, */
                                /* TRN_MM_BLOCK^2 floats each */
};

/* A decoded operand; strides in elements. */
typedef struct TrnOperand {
    uint64_t va;
    unsigned dt;
    unsigned esz;
    uint64_t shape[TRN_MAX_DIMS];
    int64_t stride[TRN_MAX_DIMS];
} TrnOperand;

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

/* The instruction being executed. */
typedef struct TrnExec {
    TrnState *s;
    TrnStep *st;
    TrnQueue *q;
    TrnScratch *x;
    uint64_t index;             /* of the instruction in the program */
    uint64_t va;                /* of the instruction */
    const char *name;           /* of its opcode */
    uint32_t err;               /* the error, if it failed */
    uint64_t fault;             /* ... and the address */
    bool abort;                 /* ended by a reset or the device's exit */
    uint64_t flops;
    int64_t paused_ns;          /* time spent while the VM was stopped */
} TrnExec;

enum {
    TRN_AUX_NONE,
    TRN_AUX_SEM,
    TRN_AUX_AXIS,
    TRN_AUX_DIMS,
};

enum {
    TRN_ENGINE_NONE,
    TRN_ENGINE_TENSOR,
    TRN_ENGINE_VECTOR,
    TRN_ENGINE_SCALAR,
    TRN_ENGINE_DMA,
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
    uint8_t engine;             /* TRN_ENGINE_* */
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

/* The counter of each engine's busy time */
static const unsigned trn_engine_ctr[] = {
    [TRN_ENGINE_TENSOR] = TRN_CORE_TENSOR_BUSY_NS / 8,
    [TRN_ENGINE_VECTOR] = TRN_CORE_VECTOR_BUSY_NS / 8,
    [TRN_ENGINE_SCALAR] = TRN_CORE_SCALAR_BUSY_NS / 8,
    [TRN_ENGINE_DMA] = TRN_CORE_DMA_BUSY_NS / 8,
};

bool trn_core_is_queue(TrnState *s, const TrnQueue *q)
{
    return q->index >= s->ndma;
}

/* The counters of the core whose queue @q is, or NULL for a DMA queue. */
TrnCore *trn_queue_core(TrnState *s, const TrnQueue *q)
{
    return trn_core_is_queue(s, q) ? &s->core_stats[q->index - s->ndma]
                                   : NULL;
}

static void G_GNUC_PRINTF(2, 3) trn_insn_log(TrnExec *ex, const char *fmt,
                                             ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qemu_log_mask(LOG_GUEST_ERROR, "trn: chip %u queue %u: descriptor %u: "
                  "instruction %" PRIu64 " at 0x%" PRIx64 " (%s): %s\n",
                  ex->s->chip_id, ex->st->queue, ex->st->index, ex->index,
                  ex->va, ex->name ? ex->name : "?", msg);
}

/* Fail the instruction with @err at @addr. */
static bool trn_exec_fail(TrnExec *ex, uint32_t err, uint64_t addr)
{
    ex->err = err;
    ex->fault = addr;
    return false;
}

static void trn_acc_release(TrnAcc *a);

/*
 * Whether the instruction may go on: not if its queue was reset or the
 * device is going away. While the VM is stopped, wait for it to run again.
 * After a TLB invalidation or the end of bus mastering, forget the
 * translations and host mappings of the operands: the next access
 * translates again, and fails if the mapping is gone. Cheap unless
 * something happened.
 */
static bool trn_exec_poll(TrnExec *ex)
{
    TrnState *s = ex->s;
    TrnQueue *q = ex->q;
    int64_t t0;
    unsigned i;
    bool ok;

    if (unlikely(trn_step_remap(s, ex->st))) {
        for (i = 0; i < TRN_I_NOPERANDS; i++) {
            trn_acc_release(&ex->x->acc[i]);
        }
    }
    if (likely(qatomic_read(&s->running) && !qatomic_read(&s->stopping) &&
               qatomic_read(&q->gen) == ex->st->gen)) {
        return true;
    }
    t0 = get_clock();
    qemu_mutex_lock(&s->lock);
    while (!s->running && !s->stopping && q->gen == ex->st->gen) {
        qemu_cond_wait(&q->worker->work, &s->lock);
    }
    ok = !s->stopping && q->gen == ex->st->gen;
    qemu_mutex_unlock(&s->lock);
    ex->paused_ns += get_clock() - t0;
    if (!ok) {
        ex->abort = true;
    }
    return ok;
}

/* --- Operand memory --- */

/* Mark what was written through @e dirty, and forget it. */
static void trn_acc_evict(TrnAcc *a, TrnTlbEntry *e)
{
    if (e->tag && e->host && e->dirty_lo < e->dirty_hi) {
        uint64_t addr = e->addr + e->dirty_lo;
        uint64_t len = e->dirty_hi - e->dirty_lo;

        if (!e->system) {
            memory_region_set_dirty(a->s->hbm, addr, len);
        } else {
            address_space_cache_invalidate(&a->sc.mrc, addr - a->sc.base,
                                           len);
        }
    }
    e->tag = 0;
}

/* Forget the pages that point into the window of host RAM. */
static void trn_acc_evict_system(TrnAcc *a)
{
    unsigned i;

    for (i = 0; i < TRN_TLB_SIZE; i++) {
        if (a->tlb[i].tag && a->tlb[i].system) {
            trn_acc_evict(a, &a->tlb[i]);
        }
    }
}

static void trn_acc_init(TrnAcc *a, TrnState *s, uint64_t root, bool write)
{
    a->s = s;
    a->root = root;
    a->write = write;
}

/* At the end of an instruction: forget every translation. */
static void trn_acc_release(TrnAcc *a)
{
    unsigned i;

    for (i = 0; i < TRN_TLB_SIZE; i++) {
        if (a->tlb[i].tag) {
            trn_acc_evict(a, &a->tlb[i]);
        }
    }
    trn_sys_cache_drop(&a->sc);
}

/* Translate the page of @va into @e. */
static uint32_t trn_acc_fill(TrnAcc *a, TrnTlbEntry *e, uint64_t va)
{
    TrnState *s = a->s;
    TrnSysCache *sc = &a->sc;
    uint64_t avail;
    TrnRun run;
    uint32_t err;
    uint8_t *p;

    trn_acc_evict(a, e);
    err = trn_mmu_run(s, a->root, va & ~(TRN_PAGE_SIZE - 1), TRN_PAGE_SIZE,
                      a->write, &run);
    if (err) {
        return err;
    }
    /* NeuronCores reach local memory only: peer memory is for DMA */
    if (run.link) {
        return TRN_DMA_ERR_REMOTE;
    }
    e->addr = run.addr;
    e->system = run.system;
    e->dirty_lo = TRN_PAGE_SIZE;
    e->dirty_hi = 0;
    if (!run.system) {
        e->host = s->hbm_ptr + run.addr;
    } else {
        /* A new window invalidates the pointers into the old one */
        if (sc->valid && (run.addr < sc->base ||
                          run.addr - sc->base >= sc->mrc.len)) {
            trn_acc_evict_system(a);
        }
        p = trn_sys_ptr(s, sc, run.addr, a->write, &avail);
        e->host = p && avail >= TRN_PAGE_SIZE ? p : NULL;
    }
    e->tag = (va >> TRN_PAGE_SHIFT) + 1;
    return TRN_DMA_ERR_NONE;
}

/* The translation of the page of @va, or NULL after a fault. */
static inline TrnTlbEntry *trn_acc_page(TrnExec *ex, TrnAcc *a, uint64_t va)
{
    uint64_t tag = (va >> TRN_PAGE_SHIFT) + 1;
    /* Pages a power of two apart (matrix rows) must not all collide */
    TrnTlbEntry *e = &a->tlb[(tag ^ tag >> 8 ^ tag >> 16) % TRN_TLB_SIZE];
    uint32_t err;

    if (likely(e->tag == tag)) {
        return e;
    }
    err = trn_acc_fill(a, e, va);
    if (err) {
        trn_exec_fail(ex, err, va);
        return NULL;
    }
    return e;
}

/* Bytes of a page that is not plain RAM, through the memory core. */
static bool trn_acc_dma(TrnExec *ex, TrnTlbEntry *e, uint64_t va, void *buf,
                        uint64_t len, bool write)
{
    PCIDevice *pdev = PCI_DEVICE(ex->s);
    uint64_t addr = e->addr + (va & (TRN_PAGE_SIZE - 1));
    MemTxResult r;

    r = write ? pci_dma_write(pdev, addr, buf, len)
              : pci_dma_read(pdev, addr, buf, len);
    if (r != MEMTX_OK) {
        trn_insn_log(ex, "cannot %s host memory at 0x%" PRIx64,
                     write ? "write" : "read", addr);
        return trn_exec_fail(ex, TRN_DMA_ERR_BAD_PT, va);
    }
    return true;
}

static inline QEMU_ALWAYS_INLINE bool
trn_raw_strided(TrnExec *ex, TrnAcc *a, uint64_t va, int64_t sb,
                const unsigned esz, size_t n, uint8_t *buf, bool write)
{
    size_t i;

    for (i = 0; i < n; i++, va += sb, buf += esz) {
        TrnTlbEntry *e = trn_acc_page(ex, a, va);
        unsigned off = va & (TRN_PAGE_SIZE - 1);

        if (!e) {
            return false;
        }
        if (unlikely(!e->host)) {
            if (!trn_acc_dma(ex, e, va, buf, esz, write)) {
                return false;
            }
        } else if (write) {
            memcpy(e->host + off, buf, esz);
            e->dirty_lo = MIN(e->dirty_lo, off);
            e->dirty_hi = MAX(e->dirty_hi, off + esz);
        } else {
            memcpy(buf, e->host + off, esz);
        }
    }
    return true;
}

/*
 * Move the @n elements of @esz bytes at @va, @va + @sb, @va + 2 * @sb...
 * (byte stride @sb, any sign) between memory and @buf, where they are
 * packed. An element never crosses a page: it is aligned to its size.
 */
static bool trn_raw(TrnExec *ex, TrnAcc *a, uint64_t va, int64_t sb,
                    unsigned esz, size_t n, uint8_t *buf, bool write)
{
    uint64_t len;

    if (n == 1 || sb == esz) {
        for (len = (uint64_t)n * esz; len; ) {
            TrnTlbEntry *e = trn_acc_page(ex, a, va);
            unsigned off = va & (TRN_PAGE_SIZE - 1);
            uint64_t c = MIN(len, TRN_PAGE_SIZE - off);

            if (!e) {
                return false;
            }
            if (unlikely(!e->host)) {
                if (!trn_acc_dma(ex, e, va, buf, c, write)) {
                    return false;
                }
            } else if (write) {
                memcpy(e->host + off, buf, c);
                e->dirty_lo = MIN(e->dirty_lo, off);
                e->dirty_hi = MAX(e->dirty_hi, off + c);
            } else {
                memcpy(buf, e->host + off, c);
            }
            va += c;
            buf += c;
            len -= c;
        }
        return true;
    }
    switch (esz) {
    case 1:
        return trn_raw_strided(ex, a, va, sb, 1, n, buf, write);
    case 2:
        return trn_raw_strided(ex, a, va, sb, 2, n, buf, write);
    default:
        return trn_raw_strided(ex, a, va, sb, 4, n, buf, write);
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

static void trn_values_init(void)
{
    static bool done;
    uint8_t b[2];
    unsigned i;

    if (done) {
        return;
    }
    for (i = 0; i < ARRAY_SIZE(trn_fp16_values); i++) {
        stw_le_p(b, i);
        trn_fp16_values[i] = trn_load(TRN_DT_FP16, b);
    }
    for (i = 0; i < ARRAY_SIZE(trn_e4m3_values); i++) {
        b[0] = i;
        trn_e4m3_values[i] = trn_load(TRN_DT_FP8_E4M3, b);
        trn_e5m2_values[i] = trn_load(TRN_DT_FP8_E5M2, b);
    }
    done = true;
}

static void trn_cvt_to_f64(unsigned dt, const uint8_t *p, size_t n,
                           double *o)
{
    unsigned esz = trn_dt_size(dt);
    size_t i;
    float f;

    switch (dt) {
    case TRN_DT_FP32:
        for (i = 0; i < n; i++) {
            memcpy(&f, p + 4 * i, 4);
            o[i] = f;
        }
        break;
    case TRN_DT_BF16:
        for (i = 0; i < n; i++) {
            o[i] = trn_bf16_to_f32(lduw_le_p(p + 2 * i));
        }
        break;
    case TRN_DT_FP16:
        for (i = 0; i < n; i++) {
            o[i] = trn_fp16_values[lduw_le_p(p + 2 * i)];
        }
        break;
    case TRN_DT_FP8_E4M3:
        for (i = 0; i < n; i++) {
            o[i] = trn_e4m3_values[p[i]];
        }
        break;
    case TRN_DT_FP8_E5M2:
        for (i = 0; i < n; i++) {
            o[i] = trn_e5m2_values[p[i]];
        }
        break;
    default:
        for (i = 0; i < n; i++) {
            o[i] = trn_load(dt, p + esz * i);
        }
        break;
    }
}

static void trn_cvt_to_f32(unsigned dt, const uint8_t *p, size_t n, float *o)
{
    unsigned esz = trn_dt_size(dt);
    size_t i;

    switch (dt) {
    case TRN_DT_FP32:
        memcpy(o, p, n * 4);
        break;
    case TRN_DT_BF16:
        for (i = 0; i < n; i++) {
            o[i] = trn_bf16_to_f32(lduw_le_p(p + 2 * i));
        }
        break;
    case TRN_DT_FP16:
        for (i = 0; i < n; i++) {
            o[i] = trn_fp16_values[lduw_le_p(p + 2 * i)];
        }
        break;
    case TRN_DT_FP8_E4M3:
        for (i = 0; i < n; i++) {
            o[i] = trn_e4m3_values[p[i]];
        }
        break;
    case TRN_DT_FP8_E5M2:
        for (i = 0; i < n; i++) {
            o[i] = trn_e5m2_values[p[i]];
        }
        break;
    default:
        for (i = 0; i < n; i++) {
            o[i] = trn_load(dt, p + esz * i);
        }
        break;
    }
}

static void trn_cvt_from_f64(unsigned dt, const double *x, size_t n,
                             uint8_t *p)
{
    unsigned esz = trn_dt_size(dt);
    size_t i;
    float f;

    switch (dt) {
    case TRN_DT_FP32:
        for (i = 0; i < n; i++) {
            f = x[i];
            memcpy(p + 4 * i, &f, 4);
        }
        break;
    default:
        for (i = 0; i < n; i++) {
            trn_store(dt, p + esz * i, x[i]);
        }
        break;
    }
}

/* Read @n <= TRN_CHUNK elements of @op as doubles. */
static bool trn_read_f64(TrnExec *ex, TrnAcc *a, const TrnOperand *op,
                         uint64_t va, int64_t stride, size_t n, double *o)
{
    uint8_t *raw = ex->x->raw;

    if (!trn_raw(ex, a, va, stride * op->esz, op->esz, n, raw, false)) {
        return false;
    }
    trn_cvt_to_f64(op->dt, raw, n, o);
    return true;
}

/* Write @n <= TRN_CHUNK doubles to elements of @op. */
static bool trn_write_f64(TrnExec *ex, TrnAcc *a, const TrnOperand *op,
                          uint64_t va, int64_t stride, size_t n,
                          const double *x)
{
    uint8_t *raw = ex->x->raw;

    trn_cvt_from_f64(op->dt, x, n, raw);
    return trn_raw(ex, a, va, stride * op->esz, op->esz, n, raw, true);
}

/* Read @n elements of @op as fp32, any @n. */
static bool trn_read_f32(TrnExec *ex, TrnAcc *a, const TrnOperand *op,
                         uint64_t va, int64_t stride, size_t n, float *o)
{
    int64_t sb = stride * op->esz;
    size_t done, c;

    if (op->dt == TRN_DT_FP32) {
        return trn_raw(ex, a, va, sb, 4, n, (uint8_t *)o, false);
    }
    for (done = 0; done < n; done += c) {
        c = MIN(n - done, TRN_CHUNK);
        if (!trn_raw(ex, a, va + done * sb, sb, op->esz, c, ex->x->raw,
                     false)) {
            return false;
        }
        trn_cvt_to_f32(op->dt, ex->x->raw, c, o + done);
    }
    return true;
}

/* The address of element @off (in elements) of @op. */
static inline uint64_t trn_elem_va(const TrnOperand *op, int64_t off)
{
    return op->va + (uint64_t)(off * op->esz);
}

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
    case TRN_ACT_SIGMOID:
        for (i = 0; i < n; i++) {
            o[i] = trn_sigmoid(o[i]);
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
                          const int64_t *off, size_t c, bool raw)
{
    TrnScratch *x = ex->x;
    const TrnOperand *out = &in->op[0], *a = &in->op[1], *b = &in->op[2];
    size_t i;

    if (!trn_exec_poll(ex)) {
        return false;
    }
    if (raw) {
        return trn_raw(ex, &x->acc[1], trn_elem_va(a, off[1]),
                       m->stride[1][3] * a->esz, a->esz, c, x->raw, false) &&
               trn_raw(ex, &x->acc[0], trn_elem_va(out, off[0]),
                       m->stride[0][3] * out->esz, out->esz, c, x->raw,
                       true);
    }
    if (!trn_read_f64(ex, &x->acc[1], a, trn_elem_va(a, off[1]),
                      m->stride[1][3], c, x->row[1])) {
        return false;
    }
    if (m->nv > 2 &&
        !trn_read_f64(ex, &x->acc[2], b, trn_elem_va(b, off[2]),
                      m->stride[2][3], c, x->row[2])) {
        return false;
    }
    switch (in->opcode) {
    case TRN_OP_BINARY:
        if (m->nv == 2) {       /* TRN_IF_SCALAR_B */
            for (i = 0; i < c; i++) {
                x->row[2][i] = in->alpha;
            }
        }
        trn_binary_row(in->func, x->row[0], x->row[1], x->row[2], c);
        break;
    case TRN_OP_ACTIVATE:
        trn_activate_row(in->func, in->alpha, in->beta, x->row[0], x->row[1],
                         c);
        break;
    default:
        memcpy(x->row[0], x->row[1], c * sizeof(double));
        break;
    }
    return trn_write_f64(ex, &x->acc[0], out, trn_elem_va(out, off[0]),
                         m->stride[0][3], c, x->row[0]);
}

static bool trn_map(TrnExec *ex, const TrnInsn *in)
{
    const TrnOperand *out = &in->op[0], *a = &in->op[1], *b = &in->op[2];
    bool binary = in->opcode == TRN_OP_BINARY &&
                  !(in->flags & TRN_IF_SCALAR_B);
    /* Same type, no arithmetic: move the bits, NaN payloads included */
    bool raw = (in->opcode == TRN_OP_DMA || in->opcode == TRN_OP_CAST ||
                in->opcode == TRN_OP_TRANSPOSE) && a->dt == out->dt;
    TrnMap m = { .nv = binary ? 3 : 2 };
    uint64_t i0, i1, i2, j, jb, tile, end;
    int64_t off[TRN_I_NOPERANDS];
    unsigned d, v;
    size_t c;

    for (d = 0; d < TRN_MAX_DIMS; d++) {
        m.shape[d] = out->shape[d];
        m.stride[0][d] = out->stride[d];
        m.stride[1][d] = a->stride[d];
        if (binary) {
            m.stride[2][d] = b->stride[d];
        }
    }
    if (in->opcode == TRN_OP_TRANSPOSE) {
        unsigned d0 = TRN_TRANSPOSE_D0(in->aux), d1 = TRN_TRANSPOSE_D1(in->aux);

        m.stride[1][d0] = a->stride[d1];
        m.stride[1][d1] = a->stride[d0];
    }
    trn_map_coalesce(&m);
    /*
     * Rows are done piece by piece. When a view is strided along them (a
     * transpose), every element of a row may be on a page of its own: then
     * a narrow column of pieces is done for all rows before the next, so
     * that its pages stay in the TLB.
     */
    tile = m.shape[3];
    for (v = 0; v < m.nv; v++) {
        if (m.shape[2] > 1 && m.stride[v][3] && m.stride[v][3] != 1) {
            tile = MIN(tile, TRN_TILE);
        }
    }

    for (i0 = 0; i0 < m.shape[0]; i0++) {
        for (i1 = 0; i1 < m.shape[1]; i1++) {
            for (jb = 0; jb < m.shape[3]; jb += tile) {
                end = MIN(m.shape[3], jb + tile);
                for (i2 = 0; i2 < m.shape[2]; i2++) {
                    for (j = jb; j < end; j += c) {
                        c = MIN(end - j, TRN_CHUNK);
                        for (v = 0; v < m.nv; v++) {
                            off[v] = i0 * m.stride[v][0] +
                                     i1 * m.stride[v][1] +
                                     i2 * m.stride[v][2] +
                                     j * m.stride[v][3];
                        }
                        if (!trn_map_piece(ex, in, &m, off, c, raw)) {
                            return false;
                        }
                    }
                }
            }
        }
    }
    return true;
}

/* --- REDUCE --- */

static bool trn_reduce(TrnExec *ex, const TrnInsn *in)
{
    TrnScratch *x = ex->x;
    const TrnOperand *out = &in->op[0], *a = &in->op[1];
    unsigned axis = in->aux;
    bool inner = axis == TRN_MAX_DIMS - 1;
    /* out is written along dimension rd, TRN_CHUNK elements at a time */
    unsigned rd = inner ? 2 : 3;
    uint64_t n = a->shape[axis];
    uint64_t n2 = inner ? 1 : out->shape[2];
    double *acc = x->row[0], *row = x->row[1];
    uint64_t i0, i1, i2, j, t;
    unsigned d;
    size_t c, e, rc;

    for (i0 = 0; i0 < out->shape[0]; i0++) {
        for (i1 = 0; i1 < out->shape[1]; i1++) {
            for (i2 = 0; i2 < n2; i2++) {
                for (j = 0; j < out->shape[rd]; j += c) {
                    uint64_t idx[TRN_MAX_DIMS] = {
                        i0, i1, inner ? j : i2, inner ? 0 : j
                    };
                    int64_t ao = 0, oo = 0;

                    c = MIN(out->shape[rd] - j, TRN_CHUNK);
                    for (d = 0; d < TRN_MAX_DIMS; d++) {
                        ao += idx[d] * a->stride[d];
                        oo += idx[d] * out->stride[d];
                    }
                    if (inner) {
                        /* Each row of a gives one element of out */
                        for (e = 0; e < c; e++) {
                            int64_t ro = ao + e * a->stride[2];

                            for (t = 0; t < n; t += rc) {
                                rc = MIN(n - t, TRN_CHUNK);
                                if (!trn_exec_poll(ex) ||
                                    !trn_read_f64(ex, &x->acc[1], a,
                                                  trn_elem_va(a, ro + t *
                                                              a->stride[3]),
                                                  a->stride[3], rc, row)) {
                                    return false;
                                }
                                acc[e] = trn_reduce_vec(in->func,
                                                        t ? acc[e] : row[0],
                                                        row + !t, rc - !t);
                            }
                        }
                    } else {
                        /* Rows of a along the axis, combined in order */
                        for (t = 0; t < n; t++) {
                            if (!trn_exec_poll(ex) ||
                                !trn_read_f64(ex, &x->acc[1], a,
                                              trn_elem_va(a, ao + t *
                                                          a->stride[axis]),
                                              a->stride[3], c,
                                              t ? row : acc)) {
                                return false;
                            }
                            if (t) {
                                trn_reduce_row(in->func, acc, row, c);
                            }
                        }
                    }
                    for (e = 0; e < c; e++) {
                        acc[e] *= in->alpha;
                    }
                    if (!trn_write_f64(ex, &x->acc[0], out,
                                       trn_elem_va(out, oo),
                                       out->stride[rd], c, acc)) {
                        return false;
                    }
                }
            }
        }
    }
    return true;
}

/* --- MATMUL --- */

/* A block of an input, gathered into a host buffer of fp32. */
typedef struct TrnMatBlock {
    bool valid;
    uint64_t va;                /* element (r0, c0) */
    uint64_t rows, cols;
    bool trans;                 /* stored as cols x rows */
    int ld;
} TrnMatBlock;

/* Matmul block buffer @i of the worker, TRN_MM_BLOCK^2 floats. */
static float *trn_mm_buf(TrnScratch *x, unsigned i)
{
    if (!x->mm[i]) {
        x->mm[i] = g_new(float, TRN_MM_BLOCK * TRN_MM_BLOCK);
    }
    return x->mm[i];
}

/*
 * Gather rows r0.. and columns c0.. of the matrix at @base (row stride
 * @sr, column stride @sc, in elements) into @dst: row by row, or, when the
 * columns are contiguous in memory and the rows are not, column by column,
 * to be passed to BLAS as transposed.
 */
static bool trn_mm_gather(TrnExec *ex, TrnAcc *acc, const TrnOperand *op,
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
                !trn_read_f32(ex, acc, op, base + r * sc * op->esz, sr, rows,
                              dst + r * rows)) {
                return false;
            }
        }
        blk->ld = rows;
    } else {
        for (r = 0; r < rows; r++) {
            if (!trn_exec_poll(ex) ||
                !trn_read_f32(ex, acc, op, base + r * sr * op->esz, sc, cols,
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

/*
 * Write rows x cols results (row stride @ldc) to out at @base:
 * out = ALPHA * c, or out = out + ALPHA * c, rounded once.
 */
static bool trn_mm_scatter(TrnExec *ex, const TrnInsn *in, uint64_t base,
                           uint64_t rows, uint64_t cols, const float *c,
                           uint64_t ldc)
{
    TrnScratch *x = ex->x;
    TrnAcc *acc = &x->acc[0];
    const TrnOperand *out = &in->op[0];
    bool accumulate = in->flags & TRN_IF_ACCUMULATE;
    int64_t sr = out->stride[2], sc = out->stride[3];
    double *old = x->row[1], *v = x->row[0];
    uint64_t r, j, e;
    size_t n;

    for (r = 0; r < rows; r++) {
        const float *cr = c + r * ldc;
        uint64_t va = base + r * sr * out->esz;

        for (j = 0; j < cols; j += n) {
            uint64_t cva = va + j * sc * out->esz;

            n = MIN(cols - j, TRN_CHUNK);
            if (!trn_exec_poll(ex)) {
                return false;
            }
            if (out->dt == TRN_DT_FP32 && !accumulate &&
                in->alpha_bits == TRN_F32_ONE) {
                if (!trn_raw(ex, acc, cva, sc * 4, 4, n, (uint8_t *)(cr + j),
                             true)) {
                    return false;
                }
                continue;
            }
            if (accumulate) {
                /* out is read as fp32 first, as the inputs are */
                if (!trn_read_f64(ex, acc, out, cva, sc, n, old)) {
                    return false;
                }
                for (e = 0; e < n; e++) {
                    v[e] = (double)(float)old[e] + in->alpha * cr[j + e];
                }
            } else {
                for (e = 0; e < n; e++) {
                    v[e] = in->alpha * cr[j + e];
                }
            }
            if (!trn_write_f64(ex, acc, out, cva, sc, n, v)) {
                return false;
            }
        }
    }
    return true;
}

/* The lowest and the highest byte address of @op, plus 1. */
static void trn_operand_extent(const TrnOperand *op, uint64_t *lo,
                               uint64_t *hi)
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

/*
 * Whether the output of MATMUL @in may overlap an input: then its whole
 * result is kept in a host buffer until the inputs are read.
 */
static bool trn_mm_keeps_result(const TrnInsn *in)
{
    return trn_operands_overlap(&in->op[0], &in->op[1]) ||
           trn_operands_overlap(&in->op[0], &in->op[2]);
}

static bool trn_matmul(TrnExec *ex, const TrnInsn *in)
{
    TrnScratch *x = ex->x;
    const TrnOperand *o = &in->op[0], *a = &in->op[1], *b = &in->op[2];
    uint64_t nb0 = o->shape[0], nb1 = o->shape[1];
    uint64_t M = o->shape[2], N = o->shape[3], K = a->shape[3];
    uint64_t mb = MIN(M, TRN_MM_BLOCK), nb = MIN(N, TRN_MM_BLOCK);
    uint64_t kb = MIN(K, TRN_MM_BLOCK);
    TrnMatBlock ablk = { 0 }, bblk = { 0 };
    g_autofree float *full = NULL;
    float *abuf, *bbuf, *cbuf;
    uint64_t b0, b1, i0, j0, k0;

    abuf = trn_mm_buf(x, 0);
    bbuf = trn_mm_buf(x, 1);
    cbuf = trn_mm_buf(x, 2);
    /*
     * MATMUL reads all of its inputs before it writes its output. When
     * out may overlap an input, the whole result is kept until the end,
     * in at most TRN_HOST_TEMP_MAX (trn_shapes_fit() checked), freed
     * when the instruction ends.
     */
    if (trn_mm_keeps_result(in)) {
        full = g_new(float, nb0 * nb1 * M * N);
    }

    for (b0 = 0; b0 < nb0; b0++) {
        for (b1 = 0; b1 < nb1; b1++) {
            uint64_t batch = b0 * nb1 + b1;
            uint64_t abase = trn_elem_va(a, b0 * a->stride[0] +
                                         b1 * a->stride[1]);
            uint64_t bbase = trn_elem_va(b, b0 * b->stride[0] +
                                         b1 * b->stride[1]);
            uint64_t obase = trn_elem_va(o, b0 * o->stride[0] +
                                         b1 * o->stride[1]);

            for (i0 = 0; i0 < M; i0 += mb) {
                uint64_t mc = MIN(mb, M - i0);

                for (j0 = 0; j0 < N; j0 += nb) {
                    uint64_t nc = MIN(nb, N - j0);
                    float *cp = full ? full + (batch * M + i0) * N + j0
                                     : cbuf;
                    uint64_t ldc = full ? N : nc;

                    for (k0 = 0; k0 < K; k0 += kb) {
                        uint64_t kc = MIN(kb, K - k0);
                        uint64_t rs, r0;

                        if (!trn_mm_gather(ex, &x->acc[1], a,
                                           abase + (i0 * a->stride[2] +
                                                    k0 * a->stride[3]) *
                                                   a->esz,
                                           a->stride[2], a->stride[3],
                                           mc, kc, abuf, &ablk) ||
                            !trn_mm_gather(ex, &x->acc[2], b,
                                           bbase + (k0 * b->stride[2] +
                                                    j0 * b->stride[3]) *
                                                   b->esz,
                                           b->stride[2], b->stride[3],
                                           kc, nc, bbuf, &bblk)) {
                            return false;
                        }
                        /*
                         * Slices of rows, so that a reset or a change of
                         * the mappings is seen soon
                         */
                        rs = MAX(TRN_MM_CALL_ROWS,
                                 TRN_MM_CALL_FLOPS / (2 * nc * kc));
                        for (r0 = 0; r0 < mc; r0 += rs) {
                            uint64_t rc = MIN(rs, mc - r0);
                            const float *ap = ablk.trans
                                              ? abuf + r0
                                              : abuf + r0 * ablk.ld;

                            cblas_sgemm(CblasRowMajor,
                                        ablk.trans ? CblasTrans
                                                   : CblasNoTrans,
                                        bblk.trans ? CblasTrans
                                                   : CblasNoTrans,
                                        rc, nc, kc, 1.0f, ap, ablk.ld,
                                        bbuf, bblk.ld, k0 ? 1.0f : 0.0f,
                                        cp + r0 * ldc, ldc);
                            if (!trn_exec_poll(ex)) {
                                return false;
                            }
                        }
                    }
                    if (!full &&
                        !trn_mm_scatter(ex, in,
                                        obase + (i0 * o->stride[2] +
                                                 j0 * o->stride[3]) * o->esz,
                                        mc, nc, cbuf, nc)) {
                        return false;
                    }
                }
            }
        }
    }
    for (b0 = 0; full && b0 < nb0; b0++) {
        for (b1 = 0; b1 < nb1; b1++) {
            if (!trn_mm_scatter(ex, in,
                                trn_elem_va(o, b0 * o->stride[0] +
                                            b1 * o->stride[1]),
                                M, N, full + (b0 * nb1 + b1) * M * N, N)) {
                return false;
            }
        }
    }
    ex->flops = 2 * nb0 * nb1 * M * N * K;
    return true;
}

/* --- Decoding --- */

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

static void trn_operand_decode(const uint8_t *p, TrnOperand *o)
{
    unsigned d;

    o->va = ldq_le_p(p + TRN_O_VA);
    o->dt = p[TRN_O_DTYPE];
    o->esz = trn_dt_size(o->dt);
    for (d = 0; d < TRN_MAX_DIMS; d++) {
        o->shape[d] = ldl_le_p(p + TRN_O_SHAPE(d));
        o->stride[d] = (int32_t)ldl_le_p(p + TRN_O_STRIDE(d));
    }
}

static bool trn_same_shape(const TrnOperand *x, const TrnOperand *y)
{
    return !memcmp(x->shape, y->shape, sizeof(x->shape));
}

/* Whether the shapes of the operands fit the opcode. */
static bool trn_shapes_fit(TrnExec *ex, const TrnInsn *in)
{
    const TrnOperand *o = &in->op[0], *a = &in->op[1], *b = &in->op[2];
    unsigned d, d0, d1;

    switch (in->opcode) {
    case TRN_OP_MATMUL:
        if (a->shape[0] != o->shape[0] || b->shape[0] != o->shape[0] ||
            a->shape[1] != o->shape[1] || b->shape[1] != o->shape[1] ||
            a->shape[2] != o->shape[2] || a->shape[3] != b->shape[2] ||
            b->shape[3] != o->shape[3]) {
            trn_insn_log(ex, "shapes [%" PRIu64 ",%" PRIu64 ",%" PRIu64
                         ",%" PRIu64 "] @ [%" PRIu64 ",%" PRIu64 ",%" PRIu64
                         ",%" PRIu64 "] -> [%" PRIu64 ",%" PRIu64 ",%" PRIu64
                         ",%" PRIu64 "] do not fit",
                         a->shape[0], a->shape[1], a->shape[2], a->shape[3],
                         b->shape[0], b->shape[1], b->shape[2], b->shape[3],
                         o->shape[0], o->shape[1], o->shape[2], o->shape[3]);
            return false;
        }
        /* out has at most TRN_MAX_ELEMS elements: no overflow */
        if (trn_mm_keeps_result(in) &&
            o->shape[0] * o->shape[1] * o->shape[2] * o->shape[3] >
            TRN_HOST_TEMP_MAX / sizeof(float)) {
            trn_insn_log(ex, "out overlaps an input and has more than %"
                         PRIu64 " elements",
                         (uint64_t)(TRN_HOST_TEMP_MAX / sizeof(float)));
            return false;
        }
        return true;
    case TRN_OP_BINARY:
        if (!trn_same_shape(o, a) ||
            (!(in->flags & TRN_IF_SCALAR_B) && !trn_same_shape(o, b))) {
            trn_insn_log(ex, "out, a and b differ in shape");
            return false;
        }
        return true;
    case TRN_OP_DMA:
        if (a->dt != o->dt) {
            trn_insn_log(ex, "types of out (%u) and a (%u) differ", o->dt,
                         a->dt);
            return false;
        }
        /* fall through */
    case TRN_OP_ACTIVATE:
    case TRN_OP_CAST:
        if (!trn_same_shape(o, a)) {
            trn_insn_log(ex, "out and a differ in shape");
            return false;
        }
        return true;
    case TRN_OP_REDUCE:
        for (d = 0; d < TRN_MAX_DIMS; d++) {
            if (o->shape[d] != (d == in->aux ? 1 : a->shape[d])) {
                trn_insn_log(ex, "out is not a with dimension %u of size 1",
                             in->aux);
                return false;
            }
        }
        return true;
    case TRN_OP_TRANSPOSE:
        d0 = TRN_TRANSPOSE_D0(in->aux);
        d1 = TRN_TRANSPOSE_D1(in->aux);
        for (d = 0; d < TRN_MAX_DIMS; d++) {
            unsigned s = d == d0 ? d1 : d == d1 ? d0 : d;

            if (o->shape[d] != a->shape[s]) {
                trn_insn_log(ex, "out is not a with dimensions %u and %u "
                             "swapped", d0, d1);
                return false;
            }
        }
        return true;
    default:
        return true;
    }
}

/*
 * Decode and check the instruction in @buf, in this order: the header and
 * the operand slots (TRN_DMA_ERR_BAD_INSN), the shapes
 * (TRN_DMA_ERR_OPERAND), the alignment of the operands
 * (TRN_DMA_ERR_ALIGN). The address of all three errors is the
 * instruction's.
 */
static bool trn_insn_decode(TrnExec *ex, const uint8_t *buf, TrnInsn *in)
{
    const TrnOpInfo *info;
    bool scalar_b, uses_alpha;
    unsigned i, d;

    memset(in, 0, sizeof(*in));
    in->opcode = buf[TRN_I_OPCODE];
    in->flags = buf[TRN_I_FLAGS];
    in->func = lduw_le_p(buf + TRN_I_FUNC);
    in->aux = ldl_le_p(buf + TRN_I_AUX);
    in->imm = ldq_le_p(buf + TRN_I_IMM);
    in->alpha_bits = ldl_le_p(buf + TRN_I_ALPHA);
    in->beta_bits = ldl_le_p(buf + TRN_I_BETA);
    in->alpha = trn_bits_to_f32(in->alpha_bits);
    in->beta = trn_bits_to_f32(in->beta_bits);

    trace_trn_core_insn(ex->s->chip_id, ex->st->queue, ex->index, in->opcode,
                        in->opcode < TRN_OP_COUNT ? trn_ops[in->opcode].name
                                                  : "?");
    if (in->opcode >= TRN_OP_COUNT) {
        trn_insn_log(ex, "unknown opcode 0x%x", in->opcode);
        goto bad;
    }
    info = &trn_ops[in->opcode];
    ex->name = info->name;
    scalar_b = in->opcode == TRN_OP_BINARY && (in->flags & TRN_IF_SCALAR_B);
    uses_alpha = info->alpha || scalar_b;
    in->slots = scalar_b ? 3 : info->slots;

    if (in->flags & ~info->flags) {
        trn_insn_log(ex, "flags 0x%x not allowed", in->flags);
        goto bad;
    }
    if (info->nfunc ? in->func >= info->nfunc : in->func != 0) {
        trn_insn_log(ex, "function %u not allowed", in->func);
        goto bad;
    }
    switch (info->aux) {
    case TRN_AUX_NONE:
        if (in->aux) {
            trn_insn_log(ex, "AUX 0x%x must be 0", in->aux);
            goto bad;
        }
        break;
    case TRN_AUX_SEM:
        if (in->aux >= ex->s->nsems) {
            trn_insn_log(ex, "semaphore %u, the device has %u", in->aux,
                         ex->s->nsems);
            goto bad;
        }
        break;
    case TRN_AUX_AXIS:
        if (in->aux >= TRN_MAX_DIMS) {
            trn_insn_log(ex, "axis %u", in->aux);
            goto bad;
        }
        break;
    case TRN_AUX_DIMS:
        if (in->aux & ~0xffffu ||
            TRN_TRANSPOSE_D0(in->aux) >= TRN_MAX_DIMS ||
            TRN_TRANSPOSE_D1(in->aux) >= TRN_MAX_DIMS) {
            trn_insn_log(ex, "AUX 0x%x is not two dimensions", in->aux);
            goto bad;
        }
        break;
    }
    if (!info->imm && in->imm) {
        trn_insn_log(ex, "IMM must be 0");
        goto bad;
    }
    if ((!uses_alpha && in->alpha_bits) || (!info->beta && in->beta_bits)) {
        trn_insn_log(ex, "ALPHA or BETA must be 0");
        goto bad;
    }
    if (!trn_all_zero(buf + TRN_I_RSVD, TRN_I_OPERAND(0) - TRN_I_RSVD)) {
        trn_insn_log(ex, "reserved bytes of the header are set");
        goto bad;
    }
    for (i = 0; i < TRN_I_NOPERANDS; i++) {
        const uint8_t *p = buf + TRN_I_OPERAND(i);

        if (!(in->slots & BIT(i))) {
            if (!trn_all_zero(p, TRN_OPERAND_SIZE)) {
                trn_insn_log(ex, "operand %u is not used and must be zero",
                             i);
                goto bad;
            }
            continue;
        }
        trn_operand_decode(p, &in->op[i]);
        if (!trn_dt_valid(in->op[i].dt)) {
            trn_insn_log(ex, "operand %u: unknown type %u", i,
                         in->op[i].dt);
            goto bad;
        }
        if (!trn_all_zero(p + TRN_O_RSVD0, TRN_O_SHAPE(0) - TRN_O_RSVD0) ||
            !trn_all_zero(p + TRN_O_RSVD1,
                          TRN_OPERAND_SIZE - TRN_O_RSVD1)) {
            trn_insn_log(ex, "operand %u: reserved bytes are set", i);
            goto bad;
        }
    }

    for (i = 0; i < TRN_I_NOPERANDS; i++) {
        uint64_t count = 1;

        if (!(in->slots & BIT(i))) {
            continue;
        }
        for (d = 0; d < TRN_MAX_DIMS; d++) {
            count *= in->op[i].shape[d];
            if (!count || count > TRN_MAX_ELEMS) {
                trn_insn_log(ex, "operand %u: a dimension is 0, or more "
                             "than %u elements", i, TRN_MAX_ELEMS);
                return trn_exec_fail(ex, TRN_DMA_ERR_OPERAND, ex->va);
            }
        }
    }
    if (!trn_shapes_fit(ex, in)) {
        return trn_exec_fail(ex, TRN_DMA_ERR_OPERAND, ex->va);
    }
    for (i = 0; i < TRN_I_NOPERANDS; i++) {
        if ((in->slots & BIT(i)) &&
            (in->op[i].va & (in->op[i].esz - 1))) {
            trn_insn_log(ex, "operand %u: address 0x%" PRIx64 " is not "
                         "aligned to its element size", i, in->op[i].va);
            return trn_exec_fail(ex, TRN_DMA_ERR_ALIGN, ex->va);
        }
    }
    return true;

bad:
    return trn_exec_fail(ex, TRN_DMA_ERR_BAD_INSN, ex->va);
}

/* --- Programs --- */

/*
 * Read (or write) @len bytes at @va through the queue's address space, for
 * the instructions and the status record.
 */
static uint32_t trn_core_rw(TrnState *s, TrnStep *st, uint64_t va,
                            uint8_t *buf, uint64_t len, bool write,
                            uint64_t *fault)
{
    uint64_t done = 0;
    uint32_t err;

    while (done < len) {
        TrnRun run;

        err = trn_mmu_run(s, st->ctx.root, va + done, len - done, write,
                          &run);
        if (!err && run.link) {
            err = TRN_DMA_ERR_REMOTE;   /* programs and records are local */
        }
        if (err) {
            *fault = va + done;
            return err;
        }
        while (run.len) {
            TrnView v;
            bool ok;

            if (!trn_view_get(s, st, &run, run.len, write,
                              st->w->bounce[write], &v)) {
                trn_step_log(s, st, "cannot read host memory at 0x%" PRIx64,
                             run.addr);
                *fault = va + done;
                return TRN_DMA_ERR_BAD_PT;
            }
            if (write) {
                memcpy(v.ptr, buf + done, v.len);
            } else {
                memcpy(buf + done, v.ptr, v.len);
            }
            ok = trn_view_put(s, &run, &v, v.len, write);
            if (!ok) {
                trn_step_log(s, st, "cannot write host memory at 0x%" PRIx64,
                             run.addr);
                *fault = va + done;
                return TRN_DMA_ERR_BAD_PT;
            }
            done += v.len;
            run.addr += v.len;
            run.len -= v.len;
        }
    }
    return TRN_DMA_ERR_NONE;
}

/*
 * The program ended, at instruction @insn with error @err at @addr, or
 * after @insn instructions: write the status record, then let the step
 * complete or fail the descriptor.
 */
static TrnStepResult trn_core_end(TrnState *s, TrnStep *st, uint32_t err,
                                  uint64_t insn, uint64_t addr)
{
    uint8_t rec[TRN_EXEC_ST_SIZE] = { 0 };
    uint64_t fault = 0;
    uint32_t rerr;

    st->err_insn = insn;
    if (st->desc.dst) {
        stl_le_p(rec + TRN_EXEC_ST_ERROR, err);
        stl_le_p(rec + TRN_EXEC_ST_INSN, insn);
        stq_le_p(rec + TRN_EXEC_ST_ADDR, addr);
        stq_le_p(rec + TRN_EXEC_ST_NS, st->exec_ns);
        /* What the program wrote, then its status */
        smp_wmb();
        rerr = trn_core_rw(s, st, st->desc.dst, rec, sizeof(rec), true,
                           &fault);
        if (rerr) {
            trn_step_log(s, st, "cannot write the status record at 0x%"
                         PRIx64, fault);
            trace_trn_core_exec_fault(s->chip_id, st->queue, st->index,
                                      insn, rerr, fault);
            st->err = rerr;
            st->err_addr = fault;
            return TRN_STEP_FAULT;
        }
    }
    if (err) {
        trace_trn_core_exec_fault(s->chip_id, st->queue, st->index, insn,
                                  err, addr);
        st->err = err;
        st->err_addr = addr;
        return TRN_STEP_FAULT;
    }
    trace_trn_core_exec_end(s->chip_id, st->queue, st->index, insn,
                            st->exec_ns);
    return TRN_STEP_DONE;
}

static TrnScratch *trn_scratch(TrnState *s, TrnWorker *w, uint64_t root)
{
    unsigned i;

    if (!w->scratch) {
        w->scratch = g_new0(TrnScratch, 1);
    }
    for (i = 0; i < TRN_I_NOPERANDS; i++) {
        trn_acc_init(&w->scratch->acc[i], s, root, i == 0);
    }
    return w->scratch;
}

/* Check the fields of an EXEC descriptor; SRC is checked when it runs. */
uint32_t trn_core_check_exec(TrnState *s, TrnStep *st)
{
    const TrnDesc *d = &st->desc;

    if (!d->len || d->len % TRN_INSN_SIZE || d->len > TRN_PROGRAM_MAX_BYTES) {
        trn_step_log(s, st, "EXEC of 0x%" PRIx64 " bytes, not a multiple of "
                     "%u up to %u", d->len, TRN_INSN_SIZE,
                     TRN_PROGRAM_MAX_BYTES);
        return TRN_DMA_ERR_BAD_DESC;
    }
    /* Aligned to its size, so that it never crosses a page */
    if (d->dst & (TRN_EXEC_ST_SIZE - 1)) {
        trn_step_log(s, st, "EXEC status record at 0x%" PRIx64 ", not "
                     "%u-byte aligned", d->dst, TRN_EXEC_ST_SIZE);
        return TRN_DMA_ERR_BAD_DESC;
    }
    return TRN_DMA_ERR_NONE;
}

/*
 * Run the program of an EXEC descriptor from instruction st->done on,
 * until it ends, an instruction fails, a SEM_WAIT blocks, or the queue must
 * pause (disabled, VM stopped) or was reset.
 */
TrnStepResult trn_core_exec(TrnState *s, TrnStep *st)
{
    const TrnDesc *d = &st->desc;
    TrnQueue *q = st->q;
    TrnCore *core = trn_queue_core(s, q);
    uint64_t n = d->len / TRN_INSN_SIZE;
    uint8_t buf[TRN_INSN_SIZE];
    TrnScratch *x = trn_scratch(s, st->w, st->ctx.root);
    unsigned i;

    st->program = true;
    if (!st->has_cur) {
        trace_trn_core_exec_start(s->chip_id, st->queue, st->index, d->src,
                                  d->len, d->dst);
        /* It passed the descriptor checks: it counts from here on */
        qemu_mutex_lock(&s->lock);
        if (q->gen == st->gen) {
            stat64_add(&core->ctr[TRN_CORE_PROGRAMS / 8], 1);
        }
        qemu_mutex_unlock(&s->lock);
    }
    if (d->src & (TRN_INSN_ALIGN - 1)) {
        trn_step_log(s, st, "program at 0x%" PRIx64 " is not %u-byte "
                     "aligned", d->src, TRN_INSN_ALIGN);
        return trn_core_end(s, st, TRN_DMA_ERR_ALIGN, 0, d->src);
    }

    while (st->done < n) {
        TrnExec ex = {
            .s = s,
            .st = st,
            .q = q,
            .x = x,
            .index = st->done,
            .va = d->src + st->done * TRN_INSN_SIZE,
        };
        TrnInsn in = { 0 };
        unsigned engine = TRN_ENGINE_NONE;
        int64_t t0 = get_clock(), dt;
        uint64_t fault;
        uint32_t err;
        bool ok, pause;

        /* Mappings changed since the last instruction: translate afresh */
        trn_step_remap(s, st);
        err = trn_core_rw(s, st, ex.va, buf, sizeof(buf), false, &fault);
        if (err) {
            trn_step_log(s, st, "cannot fetch instruction %" PRIu64
                         " at 0x%" PRIx64, ex.index, fault);
            ok = trn_exec_fail(&ex, err, fault);
        } else {
            ok = trn_insn_decode(&ex, buf, &in);
        }
        if (ok) {
            engine = trn_ops[in.opcode].engine;
            switch (in.opcode) {
            case TRN_OP_MATMUL:
                ok = trn_matmul(&ex, &in);
                break;
            case TRN_OP_REDUCE:
                ok = trn_reduce(&ex, &in);
                break;
            case TRN_OP_BINARY:
            case TRN_OP_ACTIVATE:
            case TRN_OP_TRANSPOSE:
            case TRN_OP_CAST:
            case TRN_OP_DMA:
                ok = trn_map(&ex, &in);
                break;
            default:            /* NOP; semaphores below */
                break;
            }
        }
        for (i = 0; i < TRN_I_NOPERANDS; i++) {
            trn_acc_release(&x->acc[i]);
        }
        dt = get_clock() - t0 - ex.paused_ns;

        qemu_mutex_lock(&s->lock);
        if (q->gen != st->gen || ex.abort) {
            /* Reset: the step is dropped. Exit: it is not resumed. */
            qemu_mutex_unlock(&s->lock);
            return TRN_STEP_PARTIAL;
        }
        st->exec_ns += dt;
        stat64_add(&core->ctr[TRN_CORE_BUSY_NS / 8], dt);
        if (engine != TRN_ENGINE_NONE) {
            stat64_add(&core->ctr[trn_engine_ctr[engine]], dt);
        }
        if (ok && in.opcode == TRN_OP_SEM_WAIT &&
            *trn_sem(s, st->ctx.asid, in.aux) < in.imm) {
            trace_trn_core_sem_wait(s->chip_id, st->queue, ex.index,
                                    st->ctx.asid, in.aux,
                                    *trn_sem(s, st->ctx.asid, in.aux),
                                    in.imm);
            st->wait_sem = in.aux;
            st->wait_value = in.imm;
            qemu_mutex_unlock(&s->lock);
            return TRN_STEP_WAIT;   /* and then this instruction again */
        }
        if (ok && in.opcode == TRN_OP_SEM_SIGNAL) {
            *trn_sem(s, st->ctx.asid, in.aux) += in.imm;
            trn_dma_kick_all(s);
        }
        if (ok) {
            stat64_add(&core->ctr[TRN_CORE_INSNS / 8], 1);
            stat64_add(&core->ctr[TRN_CORE_FLOPS / 8], ex.flops);
        }
        pause = s->stopping || !s->running || !q->enabled;
        qemu_mutex_unlock(&s->lock);

        if (!ok) {
            return trn_core_end(s, st, ex.err, ex.index, ex.fault);
        }
        st->done++;
        if (pause && st->done < n) {
            return TRN_STEP_PARTIAL;
        }
    }
    return trn_core_end(s, st, TRN_DMA_ERR_NONE, n, 0);
}

/* --- Counters --- */

static uint64_t trn_core_read(void *opaque, hwaddr addr, unsigned size)
{
    TrnState *s = opaque;
    unsigned ci = addr / TRN_CORE_STRIDE;
    hwaddr reg = addr % TRN_CORE_STRIDE;
    uint64_t val;

    if (ci >= s->cores || reg >= TRN_CORE_COUNTERS * 8) {
        trace_trn_mmio_unhandled(s->chip_id, "read", TRN_BLOCK_CORE + addr,
                                 size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: read of %s register 0x%"
                      HWADDR_PRIx " of NeuronCore %u\n",
                      ci >= s->cores ? "a" : "unknown", reg, ci);
        return 0;
    }
    val = stat64_get(&s->core_stats[ci].ctr[reg / 8]);
    if (size == 4) {
        val = trn_reg_half(val, reg);
    }
    trace_trn_mmio_read(s->chip_id, TRN_BLOCK_CORE + addr, size, val);
    return val;
}

static void trn_core_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    TrnState *s = opaque;

    trace_trn_mmio_write(s->chip_id, TRN_BLOCK_CORE + addr, size, val);
    trace_trn_mmio_unhandled(s->chip_id, "write", TRN_BLOCK_CORE + addr,
                             size);
    qemu_log_mask(LOG_GUEST_ERROR, "trn: write to read-only NeuronCore "
                  "register 0x%" HWADDR_PRIx "\n",
                  (hwaddr)TRN_BLOCK_CORE + addr);
}

static const MemoryRegionOps trn_core_ops =
    TRN_REG_OPS(trn_core_read, trn_core_write);

void trn_core_realize(TrnState *s)
{
    static bool blas_init;

    /*
     * Each NeuronCore is one engine, and its worker its one thread: the
     * device's parallelism comes from its cores. So BLAS runs in the
     * calling thread, which also keeps OpenBLAS's pool threads from
     * spinning on host CPUs that the vCPUs need, and one core's matmul
     * from waiting for another's to release the pool. Called with the BQL.
     */
    if (!blas_init) {
        openblas_set_num_threads(1);
        blas_init = true;
    }
    trn_values_init();
    memory_region_init_io(&s->core_regs, OBJECT(s), &trn_core_ops, s,
                          "trn.cores", TRN_CORE_BLOCK_SIZE);
    memory_region_add_subregion(&s->bar0, TRN_BLOCK_CORE, &s->core_regs);
}

/* Set the counters to 0. Called with s->lock held. */
void trn_core_reset(TrnState *s)
{
    unsigned c, i;

    for (c = 0; c < s->cores; c++) {
        for (i = 0; i < TRN_CORE_COUNTERS; i++) {
            stat64_set(&s->core_stats[c].ctr[i], 0);
        }
    }
}

void trn_core_worker_free(TrnWorker *w)
{
    unsigned i;

    if (w->scratch) {
        for (i = 0; i < ARRAY_SIZE(w->scratch->mm); i++) {
            g_free(w->scratch->mm[i]);
        }
        g_free(w->scratch);
        w->scratch = NULL;
    }
}
