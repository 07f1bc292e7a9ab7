/*
 * trn: the worker threads that serve the queues.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Worker threads execute the descriptors of the queues (trn-queue.c): one
 * worker serves all DMA queues, and each NeuronCore has a worker of its
 * own, so that a long program never holds up the DMA queues or the other
 * cores. A worker serves its enabled queues round-robin, at most
 * TRN_TURN_DESCS descriptors or TRN_TURN_BYTES bytes per queue per turn; a
 * long COPY or FILL continues in the next turn of its queue. The
 * descriptors are executed by trn-dma.c, and EXEC descriptors (NeuronCore
 * programs) by trn-core.c.
 *
 * Locking. TrnState.lock protects the queue registers, the semaphores and
 * the flags shared with the workers. MMIO handlers run with the BQL held and
 * take the lock: the lock order is BQL, then TrnState.lock. A worker takes
 * the BQL only to send MSI-X messages, and never while it holds the lock.
 * It holds the lock only for bookkeeping: it copies what a step needs out of
 * the queue, drops the lock, fetches and executes the descriptor (memory
 * accesses to MMIO may take the BQL inside the memory core, so may address
 * translation by a vIOMMU), and takes the lock again to commit the result.
 * The one memory access made under the lock is the store of the write-back
 * record when it is plain RAM, mapped before the lock is taken: it needs no
 * BQL, and so a reset can never be followed by a stale write-back to RAM.
 * A program takes the lock between its instructions, for the semaphores and
 * its counters, and to see whether it must stop.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "hw/pci/pci_device.h"
#include "system/dma.h"
#include "trace.h"
#include "trn.h"
#include "trn-core.h"
#include "trn-dma.h"
#include "trn-irq.h"
#include "trn-queue.h"
#include "trn-sem.h"
#include "trn-worker.h"

#define TRN_TURN_DESCS          64
#define TRN_TURN_BYTES          (16 * MiB)

/*
 * The worker's way to send the MSI-X message of @q: take the BQL (never
 * while holding s->lock), and check that the queue was not reset and that
 * the cause is still pending and enabled.
 */
static void trn_worker_notify(TrnState *s, TrnQueue *q,
                              uint32_t gen)
{
    uint32_t pending = 0;

    bql_lock();
    qemu_mutex_lock(&s->lock);
    if (q->gen == gen) {
        pending = q->irq_status & q->irq_mask;
    }
    qemu_mutex_unlock(&s->lock);
    if (pending) {
        trn_irq_queue(s, q->index, pending);
    }
    bql_unlock();
}


/* A mapping of the write-back record, made without s->lock. */
typedef struct TrnWbMap {
    uint64_t addr;
    void *ptr;                  /* NULL: not plain RAM, or not mapped */
    bool used;
} TrnWbMap;

static void trn_wb_map(TrnState *s, uint64_t addr, TrnWbMap *m)
{
    dma_addr_t len = TRN_DMA_WB_SIZE;

    m->addr = addr;
    m->used = false;
    m->ptr = NULL;
    if (addr & (TRN_DMA_WB_SIZE - 1)) {
        return;
    }
    m->ptr = trn_sys_map(s, addr, &len, true);
    if (m->ptr && len != TRN_DMA_WB_SIZE) {
        trn_sys_unmap(s, m->ptr, len, true, 0);
        m->ptr = NULL;
    }
}

static void trn_wb_unmap(TrnState *s, TrnWbMap *m)
{
    if (m->ptr) {
        trn_sys_unmap(s, m->ptr, TRN_DMA_WB_SIZE, true,
                      m->used ? TRN_DMA_WB_SIZE : 0);
        m->ptr = NULL;
    }
}

/*
 * Write the write-back record of @q. Called with s->lock held. Plain RAM,
 * mapped in @m beforehand, is written under the lock; anything else may need
 * the BQL, so the lock is dropped for it, and *@stale tells whether the queue
 * was reset meanwhile. Returns false if the record could not be written.
 */
static bool trn_worker_writeback(TrnState *s, TrnQueue *q, TrnWbMap *m,
                                 uint32_t gen, uint32_t head, uint32_t err,
                                 bool *stale)
{
    uint64_t rec = head | (uint64_t)err << 32;
    uint64_t addr = q->wb_addr;
    MemTxResult r;

    *stale = false;
    if (addr & (TRN_DMA_WB_SIZE - 1)) {
        return false;
    }
    /* The data of the descriptor before its completion record */
    smp_wmb();
    if (m->ptr && m->addr == addr) {
        stq_le_p(m->ptr, rec);
        m->used = true;
        return true;
    }
    qemu_mutex_unlock(&s->lock);
    r = stq_le_pci_dma(PCI_DEVICE(s), addr, rec, MEMTXATTRS_UNSPECIFIED);
    qemu_mutex_lock(&s->lock);
    *stale = q->gen != gen;
    return r == MEMTX_OK;
}



/* --- The worker --- */

/*
 * Copy what a step of @q needs out of the queue, and mark the queue
 * active. Called with s->lock held.
 */
static void trn_step_begin(TrnState *s, TrnWorker *w, TrnQueue *q,
                           TrnStep *st)
{
    *st = (TrnStep) {
        .q = q,
        .queue = q->index,
        .gen = q->gen,
        .index = q->head,
        .tail = q->tail,
        .ring_base = q->ring_base,
        .ring_size = q->ring_size,
        .wb_addr = q->wb_addr,
        .ctx = q->ctx,
        .has_cur = q->has_cur,
        .desc = q->cur,
        .done = q->cur_done,
        .exec_ns = q->cur_ns,
        .map_gen = trn_mem_gen(s),
        .bounce = w->bounce,
    };
    q->active = true;
    q->active_gen = q->gen;
    /* Picked because its semaphore is there: no longer waiting */
    q->waiting = false;
}

/*
 * Keep the unfinished descriptor of @st in @q, @done of it done: a later
 * step resumes it, once semaphore @sem reaches @value if @waiting. Called
 * with s->lock held.
 */
static void trn_step_keep(TrnQueue *q, const TrnStep *st, uint64_t done,
                          bool waiting, uint32_t sem, uint64_t value)
{
    q->has_cur = true;
    q->cur = st->desc;
    q->cur_done = done;
    q->cur_ns = st->exec_ns;
    q->waiting = waiting;
    if (waiting) {
        q->wait_sem = sem;
        q->wait_value = value;
    }
}

/* Add the step's time and bytes to the counters. Called with s->lock held. */
static void trn_step_account(TrnState *s, TrnQueue *q, const TrnStep *st,
                             int64_t ns)
{
    TrnEngine *e = trn_queue_engine(s, q);
    TrnCore *core = trn_queue_core(s, q);

    if (e) {
        stat64_add(&e->busy_ns, ns);
        stat64_add(&e->bytes, st->bytes);
    } else if (st->desc.opcode != TRN_DMA_OP_EXEC) {
        /*
         * A DMA descriptor on a core queue runs on the core's DMA engine;
         * programs count their DMA instructions themselves.
         */
        stat64_add(&core->ctr[TRN_CORE_DMA_BUSY_NS / 8], ns);
    }
}

/* A program ran but its descriptor failed: count it. s->lock held. */
static void trn_step_count_error(TrnState *s, TrnQueue *q, const TrnStep *st)
{
    TrnCore *core = trn_queue_core(s, q);

    if (core && st->program) {
        /* trn-core.c counted it in TRN_CORE_PROGRAMS when it began */
        stat64_add(&core->ctr[TRN_CORE_ERRORS / 8], 1);
    }
}

/*
 * The descriptor of @st is done: a SEM_WAIT that cannot pass waits, the
 * rest writes its record and completes. Called with s->lock held, which it
 * may drop (trn_worker_writeback()). Returns false if the queue was reset
 * meanwhile; *@notify receives the causes to signal, *@more whether the
 * turn may go on.
 */
static bool trn_step_done(TrnState *s, TrnQueue *q, TrnStep *st,
                          TrnWbMap *wb, uint32_t *notify, bool *more)
{
    const TrnDesc *d = &st->desc;
    bool stale;

    if (d->opcode == TRN_DMA_OP_SEM_WAIT &&
        !trn_sem_reached(s, st->ctx.asid, d->aux, d->len)) {
        trace_trn_dma_sem_wait(s->chip_id, q->index, st->ctx.asid, d->aux,
                               trn_sem_value(s, st->ctx.asid, d->aux),
                               d->len);
        trn_step_keep(q, st, 0, true, d->aux, d->len);
        return true;
    }
    if (!trn_worker_writeback(s, q, wb, st->gen, st->index + 1,
                             TRN_DMA_ERR_NONE, &stale)) {
        if (stale) {
            return false;
        }
        qemu_log_mask(LOG_GUEST_ERROR, "trn: chip %u queue %u: cannot "
                      "write the write-back record at 0x%" PRIx64 "\n",
                      s->chip_id, q->index, q->wb_addr);
        trn_step_count_error(s, q, st);
        st->err_insn = 0;
        *notify = trn_queue_fault(s, q, st, TRN_DMA_ERR_RING, 0);
        return true;
    }
    if (stale) {
        return false;
    }
    *notify = trn_queue_complete(s, q, st);
    *more = true;
    return true;
}

/*
 * Apply the result @res of step @st to @q. Called with s->lock held, which
 * it may drop. Returns false if the queue was reset meanwhile.
 */
static bool trn_step_commit(TrnState *s, TrnQueue *q, TrnStep *st,
                            TrnStepResult res, TrnWbMap *wb,
                            uint32_t *notify, bool *more)
{
    bool stale;

    switch (res) {
    case TRN_STEP_PARTIAL:
        trace_trn_dma_desc_slice(s->chip_id, q->index, st->index, st->done,
                                 st->desc.len);
        trn_step_keep(q, st, st->done, false, 0, 0);
        *more = true;
        return true;
    case TRN_STEP_WAIT:
        trn_step_keep(q, st, st->done, true, st->wait_sem, st->wait_value);
        *more = true;
        return true;
    case TRN_STEP_DONE:
        return trn_step_done(s, q, st, wb, notify, more);
    case TRN_STEP_FAULT:
        *notify = trn_queue_fault(s, q, st, st->err, st->err_addr);
        trn_worker_writeback(s, q, wb, st->gen, st->index, st->err, &stale);
        if (stale) {
            return false;
        }
        trn_step_count_error(s, q, st);
        return true;
    }
    g_assert_not_reached();
}

/*
 * Execute one step of @q: a descriptor, or a slice of a long one. Called
 * with s->lock held, which it drops while it works. Returns true if the
 * turn of @q may go on.
 */
static bool trn_worker_step(TrnState *s, TrnWorker *w, TrnQueue *q,
                            uint64_t *budget)
{
    TrnStep st;
    TrnStepResult res;
    TrnWbMap wb = { 0 };
    uint32_t notify = 0;
    bool more = false, committed = false;
    int64_t t0;

    trn_step_begin(s, w, q, &st);
    qemu_mutex_unlock(&s->lock);

    t0 = get_clock();
    res = trn_dma_run(s, &st, *budget);
    trn_step_release(&st);
    t0 = get_clock() - t0;
    /* Only a completed or failed descriptor writes the record */
    if (res == TRN_STEP_DONE || res == TRN_STEP_FAULT) {
        trn_wb_map(s, st.wb_addr, &wb);
    }

    qemu_mutex_lock(&s->lock);
    if (q->gen == st.gen) {
        trn_step_account(s, q, &st, t0);
        *budget -= MIN(*budget, st.bytes);
        committed = trn_step_commit(s, q, &st, res, &wb, &notify, &more);
    }
    if (!committed) {
        trace_trn_dma_drop(s->chip_id, q->index, st.index);
        notify = 0;
        more = false;
    }
    if (notify || wb.ptr) {
        qemu_mutex_unlock(&s->lock);
        trn_wb_unmap(s, &wb);
        if (notify) {
            trn_worker_notify(s, q, st.gen);
        }
        qemu_mutex_lock(&s->lock);
    }
    q->active = false;
    return more;
}


/* Serve @q for one turn. Called with s->lock held. */
static void trn_worker_turn(TrnState *s, TrnWorker *w, TrnQueue *q)
{
    uint64_t budget = TRN_TURN_BYTES;
    unsigned n;

    for (n = 0; n < TRN_TURN_DESCS && budget && !s->stopping; n++) {
        if (!trn_queue_runnable(s, q) || !trn_worker_step(s, w, q, &budget)) {
            break;
        }
    }
}

/* The next queue of @w with work, round-robin. Called with s->lock held. */
static TrnQueue *trn_worker_pick(TrnWorker *w)
{
    TrnState *s = w->s;
    unsigned i;

    for (i = 0; i < w->count; i++) {
        unsigned qi = w->first + (w->rr + i) % w->count;

        if (trn_queue_runnable(s, &s->queues[qi])) {
            w->rr = (qi - w->first + 1) % w->count;
            return &s->queues[qi];
        }
    }
    return NULL;
}

/*
 * The thread of @opaque. It is an RCU reader: its translations through the
 * memory core (address_space_*(), pci_dma_*(), MemoryRegionCache) and its
 * runs into peers' memory are in RCU read-side critical sections, which a
 * grace period must wait for; QEMU's RCU knows only the threads that
 * registered (qemu_thread_create() does not register them).
 */
static void *trn_worker_thread(void *opaque)
{
    TrnWorker *w = opaque;
    TrnState *s = w->s;

    rcu_register_thread();
    qemu_mutex_lock(&s->lock);
    while (!s->stopping) {
        TrnQueue *q = trn_worker_pick(w);

        if (!q) {
            qemu_cond_wait(w->work, &s->lock);
            continue;
        }
        trn_worker_turn(s, w, q);
    }
    qemu_mutex_unlock(&s->lock);
    rcu_unregister_thread();
    return NULL;
}

static void trn_worker_vm_state(void *opaque, bool running, RunState state)
{
    TrnState *s = opaque;

    qemu_mutex_lock(&s->lock);
    /* Read without the lock by a program that runs (trn-core.c) */
    qatomic_set(&s->running, running);
    /* Programs paused within an instruction wait for it too */
    trn_wake_workers(s);
    qemu_mutex_unlock(&s->lock);
}


/* --- Life cycle --- */

bool trn_worker_realize(TrnState *s, Error **errp)
{
    unsigned i;

    /* Worker 0 serves the DMA queues, worker 1 + c the queue of core c */
    s->nworkers = 1 + s->cores;
    s->workers = g_new0(TrnWorker, s->nworkers);
    s->wake = g_new0(QemuCond, s->nworkers);
    for (i = 0; i < s->nworkers; i++) {
        TrnWorker *w = &s->workers[i];

        w->s = s;
        w->first = i ? s->ndma + i - 1 : 0;
        w->count = i ? 1 : s->ndma;
        qemu_cond_init(&s->wake[i]);
        w->work = &s->wake[i];
    }
    for (i = 0; i < s->nqueues; i++) {
        s->queues[i].wake = &s->wake[i < s->ndma ? 0 : 1 + i - s->ndma];
    }
    return true;
}

void trn_worker_start(TrnState *s)
{
    unsigned i;

    s->running = runstate_is_running();
    s->vmstate_entry = qdev_add_vm_change_state_handler(DEVICE(s),
                                                        trn_worker_vm_state, s);
    for (i = 0; i < s->nworkers; i++) {
        TrnWorker *w = &s->workers[i];
        g_autofree char *name = i ? g_strdup_printf("trn-core%u", i - 1)
                                  : g_strdup("trn-dma");

        qemu_thread_create(&w->thread, name, trn_worker_thread, w,
                           QEMU_THREAD_JOINABLE);
        w->started = true;
    }
}

/* Stop the workers and wait until they are gone. */
static void trn_worker_stop(TrnState *s)
{
    bool bql = bql_locked();
    unsigned i;

    qemu_mutex_lock(&s->lock);
    qatomic_set(&s->stopping, true);
    trn_wake_workers(s);
    qemu_mutex_unlock(&s->lock);
    /*
     * A worker may be waiting for the BQL, to send an interrupt or inside
     * an MMIO access: let it have it while we wait.
     */
    if (bql) {
        bql_unlock();
    }
    for (i = 0; i < s->nworkers; i++) {
        if (s->workers[i].started) {
            qemu_thread_join(&s->workers[i].thread);
            s->workers[i].started = false;
        }
    }
    if (bql) {
        bql_lock();
    }
}

void trn_worker_unrealize(TrnState *s)
{
    unsigned i;

    if (s->vmstate_entry) {
        trn_worker_stop(s);
        qemu_del_vm_change_state_handler(s->vmstate_entry);
        s->vmstate_entry = NULL;
    }
    for (i = 0; i < s->nqueues; i++) {
        s->queues[i].wake = NULL;
    }
    for (i = 0; i < s->nworkers; i++) {
        qemu_cond_destroy(&s->wake[i]);
    }
    g_free(s->wake);
    g_free(s->workers);
    s->wake = NULL;
    s->workers = NULL;
    s->nworkers = 0;
}
