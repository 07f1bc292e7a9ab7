/*
 * trn: NeuronCores, which execute programs (EXEC descriptors).
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each NeuronCore has a queue, served by a worker thread of its own
 * (trn-queue.c), which executes the DMA descriptors of that queue and, here,
 * the programs of its EXEC descriptors. The instructions themselves are
 * executed by the interpreter (trn-interp.h), which knows nothing of QEMU:
 * this file is its owner. It fetches the program through the queue's
 * address space, translates the operands' pages through the MMU into HBM
 * and host RAM (TrnMemOps), applies the semaphore instructions, and keeps
 * the core's counters.
 *
 * A program runs as one step of its queue, without TrnState.lock; between
 * instructions the worker takes the lock to apply semaphore operations,
 * add to the core's counters, and see whether the queue was reset or
 * disabled, the VM stopped or the device is going away. Within a long
 * instruction the interpreter asks (TrnMemOps.poll) every TRN_CHUNK
 * elements, row of a matmul block or BLAS call; the answer looks at the
 * queue's generation and the device's flags without the lock: a reset ends
 * the instruction there, and a stopped VM pauses it until the VM runs
 * again. There too, after a TLB invalidation or the end of bus mastering,
 * the translations of the operands are forgotten (trn_step_remap()).
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "hw/pci/pci_device.h"
#include "system/dma.h"
#include "trace.h"
#include "trn.h"
#include "trn-core.h"
#include "trn-interp.h"
#include "trn-power.h"
#include "trn-queue.h"
#include "trn-sem.h"

#include <cblas.h>

#define TRN_CORE_BLOCK_SIZE     (TRN_DMA_MAX_QUEUES * TRN_CORE_STRIDE)

/* The counter of each engine's busy time */
static const unsigned trn_engine_ctr[] = {
    [TRN_ENGINE_TENSOR] = TRN_CORE_TENSOR_BUSY_NS / 8,
    [TRN_ENGINE_VECTOR] = TRN_CORE_VECTOR_BUSY_NS / 8,
    [TRN_ENGINE_SCALAR] = TRN_CORE_SCALAR_BUSY_NS / 8,
    [TRN_ENGINE_DMA] = TRN_CORE_DMA_BUSY_NS / 8,
};

/* A program at work: the owner's side of the interpreter (TrnMemOps). */
typedef struct TrnProgram {
    TrnState *s;
    TrnStep *st;
    TrnQueue *q;
    TrnCore *core;
    TrnExec *ex;
    uint64_t n;                 /* instructions */
    uint64_t index;             /* of the instruction being executed */
    int64_t paused_ns;          /* ... time it spent while the VM stopped */
    TrnSysCache sc[TRN_I_NOPERANDS];    /* host RAM windows per operand */
} TrnProgram;

/* What an instruction left for the program to do, under the lock. */
typedef enum TrnCommit {
    TRN_COMMIT_NEXT,            /* go on with the next instruction */
    TRN_COMMIT_PAUSE,           /* ... in a later step */
    TRN_COMMIT_DROP,            /* the queue was reset, or the device goes */
    TRN_COMMIT_WAIT,            /* a SEM_WAIT blocks */
    TRN_COMMIT_FAIL,            /* the instruction failed */
} TrnCommit;

TrnCore *trn_queue_core(TrnState *s, const TrnQueue *q)
{
    return trn_queue_is_core(s, q) ? &s->core_stats[q->index - s->ndma]
                                   : NULL;
}

/* --- Operand memory for the interpreter --- */

static void trn_program_drop_windows(TrnProgram *p)
{
    unsigned i;

    for (i = 0; i < TRN_I_NOPERANDS; i++) {
        trn_sys_cache_drop(&p->sc[i]);
    }
}

static uint32_t trn_program_map(void *opaque, unsigned slot, uint64_t va,
                                bool write, TrnPage *pg)
{
    TrnProgram *p = opaque;
    TrnSysCache *sc = &p->sc[slot];
    uint64_t avail;
    TrnRun run;
    uint32_t err;
    uint8_t *host;

    err = trn_mmu_run(p->s, p->st->ctx.root, va, TRN_PAGE_SIZE, write, &run);
    if (err) {
        return err;
    }
    /* NeuronCores reach local memory only: peer memory is for DMA */
    if (run.link) {
        return TRN_DMA_ERR_REMOTE;
    }
    pg->addr = run.addr;
    pg->system = run.system;
    if (!run.system) {
        pg->host = p->s->hbm_ptr + run.addr;
        return TRN_DMA_ERR_NONE;
    }
    /* A new window invalidates the pointers into the old one */
    if (sc->valid && (run.addr < sc->base ||
                      run.addr - sc->base >= sc->mrc.len)) {
        trn_exec_evict_system(p->ex, slot);
    }
    host = trn_sys_ptr(p->s, sc, run.addr, write, &avail);
    pg->host = host && avail >= TRN_PAGE_SIZE ? host : NULL;
    return TRN_DMA_ERR_NONE;
}

static void trn_program_log(void *opaque, const char *msg)
{
    TrnProgram *p = opaque;

    qemu_log_mask(LOG_GUEST_ERROR, "trn: chip %u queue %u: descriptor %u: "
                  "instruction %" PRIu64 " at 0x%" PRIx64 " (%s): %s\n",
                  p->s->chip_id, p->st->queue, p->st->index, p->index,
                  p->ex->va, p->ex->name ? p->ex->name : "?", msg);
}

/* Bytes of a page that is not plain RAM, through the memory core. */
static bool trn_program_access(void *opaque, const TrnPage *pg, unsigned off,
                               void *buf, unsigned len, bool write)
{
    TrnProgram *p = opaque;
    PCIDevice *pdev = PCI_DEVICE(p->s);
    uint64_t addr = pg->addr + off;
    g_autofree char *msg = NULL;
    MemTxResult r;

    r = write ? pci_dma_write(pdev, addr, buf, len)
              : pci_dma_read(pdev, addr, buf, len);
    if (r != MEMTX_OK) {
        msg = g_strdup_printf("cannot %s host memory at 0x%" PRIx64,
                              write ? "write" : "read", addr);
        trn_program_log(p, msg);
        return false;
    }
    return true;
}

static void trn_program_dirty(void *opaque, unsigned slot, const TrnPage *pg,
                              unsigned off, unsigned len)
{
    TrnProgram *p = opaque;
    TrnSysCache *sc = &p->sc[slot];

    if (!pg->system) {
        memory_region_set_dirty(p->s->hbm, pg->addr + off, len);
    } else {
        address_space_cache_invalidate(&sc->mrc, pg->addr + off - sc->base,
                                       len);
    }
}

/*
 * Whether the instruction may go on: not if its queue was reset or the
 * device is going away. While the VM is stopped, wait for it to run again.
 * After a TLB invalidation or the end of bus mastering, forget the
 * translations and host mappings of the operands: the next access
 * translates again, and fails if the mapping is gone. Cheap unless
 * something happened.
 */
static bool trn_program_poll(void *opaque)
{
    TrnProgram *p = opaque;
    TrnState *s = p->s;
    TrnQueue *q = p->q;
    int64_t t0;
    bool ok;

    if (unlikely(trn_step_remap(s, p->st))) {
        trn_exec_flush(p->ex);
        trn_program_drop_windows(p);
    }
    if (likely(qatomic_read(&s->running) && !qatomic_read(&s->stopping) &&
               qatomic_read(&q->gen) == p->st->gen)) {
        return true;
    }
    t0 = get_clock();
    qemu_mutex_lock(&s->lock);
    while (!s->running && !s->stopping && q->gen == p->st->gen) {
        qemu_cond_wait(q->wake, &s->lock);
    }
    ok = !s->stopping && q->gen == p->st->gen;
    qemu_mutex_unlock(&s->lock);
    p->paused_ns += get_clock() - t0;
    return ok;
}

static const TrnMemOps trn_program_ops = {
    .map = trn_program_map,
    .access = trn_program_access,
    .dirty = trn_program_dirty,
    .poll = trn_program_poll,
    .log = trn_program_log,
};

/* --- Programs --- */

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
        rerr = trn_step_rw(s, st, st->desc.dst, rec, sizeof(rec), true,
                           &fault);
        if (rerr) {
            trn_step_log(s, st, "cannot write the status record at 0x%"
                         PRIx64, fault);
            trace_trn_core_exec_fault(s->chip_id, st->queue, st->index,
                                      insn, rerr, fault);
            return trn_step_fault(st, rerr, fault);
        }
    }
    if (err) {
        trace_trn_core_exec_fault(s->chip_id, st->queue, st->index, insn,
                                  err, addr);
        return trn_step_fault(st, err, addr);
    }
    trace_trn_core_exec_end(s->chip_id, st->queue, st->index, insn,
                            st->exec_ns);
    return TRN_STEP_DONE;
}

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

/* A program starts: it passed the descriptor checks and counts from here. */
static void trn_program_begin(TrnProgram *p)
{
    TrnState *s = p->s;
    const TrnDesc *d = &p->st->desc;

    trace_trn_core_exec_start(s->chip_id, p->st->queue, p->st->index, d->src,
                              d->len, d->dst);
    qemu_mutex_lock(&s->lock);
    if (p->q->gen == p->st->gen) {
        stat64_add(&p->core->ctr[TRN_CORE_PROGRAMS / 8], 1);
    }
    qemu_mutex_unlock(&s->lock);
}

/* Fetch and execute instruction p->index; false if it failed. */
static bool trn_program_insn(TrnProgram *p, TrnInsn *in)
{
    TrnState *s = p->s;
    TrnStep *st = p->st;
    uint64_t va = st->desc.src + p->index * TRN_INSN_SIZE;
    uint8_t buf[TRN_INSN_SIZE];
    uint64_t fault;
    uint32_t err;

    /* Mappings changed since the last instruction: translate afresh */
    trn_step_remap(s, st);
    p->ex->opaque = p;
    p->ex->abort = false;
    err = trn_step_rw(s, st, va, buf, sizeof(buf), false, &fault);
    if (err) {
        trn_step_log(s, st, "cannot fetch instruction %" PRIu64
                     " at 0x%" PRIx64, p->index, fault);
        return trn_exec_fail(p->ex, err, fault);
    }
    trace_trn_core_insn(s->chip_id, st->queue, p->index, buf[TRN_I_OPCODE],
                        trn_insn_name(buf[TRN_I_OPCODE]) ?: "?");
    err = trn_interp_exec(p->ex, buf, va, s->nsems, in);
    trn_program_drop_windows(p);
    return !err;
}

/*
 * Account for the instruction (@ok, on @engine, @dt ns) and apply its
 * semaphore operation. Called with TrnState.lock held.
 */
static TrnCommit trn_program_commit(TrnProgram *p, const TrnInsn *in,
                                    bool ok, TrnEngineKind engine, int64_t dt)
{
    TrnState *s = p->s;
    TrnStep *st = p->st;
    TrnCore *core = p->core;

    if (p->q->gen != st->gen || p->ex->abort) {
        /* Reset: the step is dropped. Exit: it is not resumed. */
        return TRN_COMMIT_DROP;
    }
    st->exec_ns += dt;
    stat64_add(&core->ctr[TRN_CORE_BUSY_NS / 8], dt);
    if (engine != TRN_ENGINE_NONE) {
        stat64_add(&core->ctr[trn_engine_ctr[engine]], dt);
    }
    if (!ok) {
        return TRN_COMMIT_FAIL;
    }
    if (in->opcode == TRN_OP_SEM_WAIT &&
        !trn_sem_reached(s, st->ctx.asid, in->aux, in->imm)) {
        trace_trn_core_sem_wait(s->chip_id, st->queue, p->index,
                                st->ctx.asid, in->aux,
                                trn_sem_value(s, st->ctx.asid, in->aux),
                                in->imm);
        st->wait_sem = in->aux;
        st->wait_value = in->imm;
        return TRN_COMMIT_WAIT;     /* and then this instruction again */
    }
    if (in->opcode == TRN_OP_SEM_SIGNAL) {
        trn_sem_signal(s, st->ctx.asid, in->aux, in->imm);
    }
    stat64_add(&core->ctr[TRN_CORE_INSNS / 8], 1);
    stat64_add(&core->ctr[TRN_CORE_FLOPS / 8], p->ex->flops);
    return s->stopping || !s->running || !p->q->enabled ? TRN_COMMIT_PAUSE
                                                          : TRN_COMMIT_NEXT;
}

/* Execute instruction p->index, and commit it. */
static TrnCommit trn_program_step(TrnProgram *p)
{
    TrnState *s = p->s;
    TrnInsn in = { 0 };
    TrnEngineKind engine = TRN_ENGINE_NONE;
    int64_t t0 = get_clock(), dt;
    TrnCommit c;
    bool ok;

    p->paused_ns = 0;
    p->ex->decoded = false;
    ok = trn_program_insn(p, &in);
    if (p->ex->decoded) {
        engine = trn_insn_engine(in.opcode);
    }
    dt = get_clock() - t0 - p->paused_ns;
    /* A throttled core takes longer (1.8) */
    dt += trn_power_throttle(s, p->q, &p->core->throttle_debt_ns,
                             p->st->gen, dt);
    qemu_mutex_lock(&s->lock);
    c = trn_program_commit(p, &in, ok, engine, dt);
    qemu_mutex_unlock(&s->lock);
    return c;
}

TrnStepResult trn_core_exec(TrnState *s, TrnStep *st)
{
    const TrnDesc *d = &st->desc;
    TrnProgram p = {
        .s = s,
        .st = st,
        .q = st->q,
        .core = trn_queue_core(s, st->q),
        .n = d->len / TRN_INSN_SIZE,
    };

    st->program = true;
    if (!p.core->exec) {
        p.core->exec = trn_interp_new(&trn_program_ops, &p);
    }
    p.ex = p.core->exec;
    if (!st->has_cur) {
        trn_program_begin(&p);
    }
    if (d->src & (TRN_INSN_ALIGN - 1)) {
        trn_step_log(s, st, "program at 0x%" PRIx64 " is not %u-byte "
                     "aligned", d->src, TRN_INSN_ALIGN);
        return trn_core_end(s, st, TRN_DMA_ERR_ALIGN, 0, d->src);
    }
    while (st->done < p.n) {
        p.index = st->done;
        switch (trn_program_step(&p)) {
        case TRN_COMMIT_NEXT:
            st->done++;
            break;
        case TRN_COMMIT_PAUSE:
            st->done++;
            if (st->done < p.n) {
                return TRN_STEP_PARTIAL;
            }
            break;
        case TRN_COMMIT_DROP:
            return TRN_STEP_PARTIAL;
        case TRN_COMMIT_WAIT:
            return TRN_STEP_WAIT;
        case TRN_COMMIT_FAIL:
            return trn_core_end(s, st, p.ex->err, p.index, p.ex->fault);
        }
    }
    return trn_core_end(s, st, TRN_DMA_ERR_NONE, p.n, 0);
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

bool trn_core_realize(TrnState *s, Error **errp)
{
    static bool blas_init;

    if (!s->cores || s->cores > TRN_MAX_CORES) {
        error_setg(errp, "cores must be between 1 and %d", TRN_MAX_CORES);
        return false;
    }
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
    s->core_stats = g_new0(TrnCore, s->cores);
    memory_region_init_io(&s->core_regs, OBJECT(s), &trn_core_ops, s,
                          "trn.cores", TRN_CORE_BLOCK_SIZE);
    memory_region_add_subregion(&s->bar0, TRN_BLOCK_CORE, &s->core_regs);
    return true;
}

/* After the workers are gone. */
void trn_core_unrealize(TrnState *s)
{
    unsigned c;

    for (c = 0; s->core_stats && c < s->cores; c++) {
        trn_interp_free(s->core_stats[c].exec);
    }
    g_free(s->core_stats);
    s->core_stats = NULL;
}

void trn_core_reset(TrnState *s)
{
    unsigned c, i;

    qemu_mutex_lock(&s->lock);
    for (c = 0; c < s->cores; c++) {
        for (i = 0; i < TRN_CORE_COUNTERS; i++) {
            stat64_set(&s->core_stats[c].ctr[i], 0);
        }
    }
    qemu_mutex_unlock(&s->lock);
}
