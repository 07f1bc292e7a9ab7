/*
 * trn: queues, DMA engine counters and the threads that execute descriptors.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The queues are the DMA queues (engine by engine), then one queue per
 * NeuronCore. Worker threads execute their descriptors: one worker serves
 * all DMA queues, and each NeuronCore has a worker of its own, so that a
 * long program never holds up the DMA queues or the other cores. A worker
 * serves its enabled queues round-robin, at most TRN_TURN_DESCS descriptors
 * or TRN_TURN_BYTES bytes per queue per turn; a long COPY or FILL continues
 * in the next turn of its queue. EXEC descriptors (NeuronCore programs) are
 * executed by trn-core.c.
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
 *
 * A reset of a queue (CONTROL.RESET or a device reset) does not wait for
 * the worker: it increments the queue's generation, and the worker, seeing
 * the change when it commits (or, in a program, between instructions and
 * within long ones), drops the results of its step (no HEAD advance, no
 * write-back, no interrupt). Until then the queue reads as BUSY and the
 * device as not READY.
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "system/dma.h"
#include "trace.h"
#include "trn.h"
#include "trn_errors.h"

#define TRN_TURN_DESCS          64
#define TRN_TURN_BYTES          (16 * MiB)
#define TRN_RING_MIN            16
#define TRN_RING_MAX            65536
#define TRN_ENGINE_BLOCK_SIZE   (TRN_DMA_MAX_QUEUES * TRN_DMA_E_STRIDE)

#define TRN_DMA_Q_STS_ALL       (TRN_DMA_Q_STS_ENABLED | TRN_DMA_Q_STS_BUSY | \
                                 TRN_DMA_Q_STS_ERROR | TRN_DMA_Q_STS_WAITING)
#define TRN_DMA_Q_IRQ_ALL       (TRN_DMA_Q_IRQ_DONE | TRN_DMA_Q_IRQ_ERROR)

/* The DMA engine of @q, or NULL for the queue of a NeuronCore. */
static TrnEngine *trn_queue_engine(TrnState *s, TrnQueue *q)
{
    return q->index < s->ndma ? &s->engines[q->index / s->dma_queues] : NULL;
}

static AddressSpace *trn_as(TrnState *s)
{
    return pci_get_address_space(PCI_DEVICE(s));
}

/* Called with s->lock held. */
static bool trn_queue_runnable(TrnState *s, TrnQueue *q)
{
    if (!s->running || !q->enabled || q->stopped) {
        return false;
    }
    if (q->waiting) {
        return *trn_sem(s, q->ctx.asid, q->wait_sem) >= q->wait_value;
    }
    return q->has_cur || q->head != q->tail;
}

/* Wake the worker of @q. Called with s->lock held. */
static void trn_queue_kick(TrnState *s, TrnQueue *q)
{
    qemu_cond_signal(&q->worker->work);
}

/* Wake every worker. Called with s->lock held. */
void trn_dma_kick_all(TrnState *s)
{
    unsigned i;

    for (i = 0; i < s->nworkers; i++) {
        qemu_cond_signal(&s->workers[i].work);
    }
}

/* Called with s->lock held. */
static void trn_queue_reset(TrnState *s, TrnQueue *q, bool device)
{
    trace_trn_dma_queue_reset(s->chip_id, q->index,
                              device ? "device" : "register");
    /* Read without the lock by a program that runs (trn-core.c) */
    qatomic_set(&q->gen, q->gen + 1);
    q->enabled = false;
    q->stopped = false;
    q->head = 0;
    q->tail = 0;
    q->error = TRN_DMA_ERR_NONE;
    q->error_index = 0;
    q->error_insn = 0;
    q->error_addr = 0;
    q->irq_status = 0;
    q->ctx.valid = false;
    q->ctx.asid = TRN_ASID_NONE;
    q->ctx.root = 0;
    q->has_cur = false;
    q->waiting = false;
    q->wait_sem = 0;
    q->wait_value = 0;
    q->cur_done = 0;
    q->cur_ns = 0;
    /* A program paused within an instruction must see the reset */
    trn_queue_kick(s, q);
    if (device) {
        q->ring_base = 0;
        q->ring_size = 0;
        q->wb_addr = 0;
        q->irq_mask = 0;
    }
}

/* Send the MSI-X message of @q. Called with the BQL, without s->lock. */
static void trn_queue_notify(TrnState *s, TrnQueue *q, uint32_t pending)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    unsigned vector = TRN_MSIX_VEC_DMA_QUEUE(q->index);

    if (msix_enabled(pdev)) {
        trace_trn_dma_irq(s->chip_id, q->index, pending, vector);
        msix_notify(pdev, vector);
    }
}

/*
 * The worker's way to send the MSI-X message of @q: take the BQL (never
 * while holding s->lock), and check that the queue was not reset and that
 * the cause is still pending and enabled.
 */
static void trn_queue_notify_from_worker(TrnState *s, TrnQueue *q,
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
        trn_queue_notify(s, q, pending);
    }
    bql_unlock();
}

/* --- Host memory --- */

/*
 * Map host memory at bus address @addr for direct access, if it is RAM.
 * Returns NULL when it is not (MMIO, nothing, an IOMMU fault): the caller
 * then goes through pci_dma_read()/pci_dma_write(), which report errors,
 * rather than through a bounce buffer of the memory core, which does not.
 */
static void *trn_sys_map(TrnState *s, dma_addr_t addr, dma_addr_t *len,
                         bool write)
{
    AddressSpace *as = trn_as(s);
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemoryRegion *mr;
    hwaddr xlat, l = *len;
    bool direct;

    WITH_RCU_READ_LOCK_GUARD() {
        mr = address_space_translate(as, addr, &xlat, &l, write, attrs);
        direct = memory_access_is_direct(mr, write, attrs);
    }
    if (!direct) {
        return NULL;
    }
    return dma_memory_map(as, addr, len, write ? DMA_DIRECTION_FROM_DEVICE
                                               : DMA_DIRECTION_TO_DEVICE,
                          attrs);
}

static void trn_sys_unmap(TrnState *s, void *ptr, dma_addr_t len, bool write,
                          dma_addr_t used)
{
    dma_memory_unmap(trn_as(s), ptr, len, write ? DMA_DIRECTION_FROM_DEVICE
                                                : DMA_DIRECTION_TO_DEVICE,
                     used);
}

void trn_sys_cache_drop(TrnSysCache *sc)
{
    if (sc->valid) {
        address_space_cache_destroy(&sc->mrc);
        sc->valid = false;
    }
}

/*
 * Point @sc at the RAM section around bus address @addr. The window starts
 * at a 1 GiB or 2 MiB boundary below @addr if the same section reaches down
 * there, so that pages below @addr, which come as often as those above it,
 * do not need a window of their own.
 */
static void trn_sys_cache_init(TrnState *s, TrnSysCache *sc, uint64_t addr,
                               bool write)
{
    static const uint64_t aligns[] = { 1 * GiB, 2 * MiB };
    unsigned i;

    trn_sys_cache_drop(sc);
    for (i = 0; i < ARRAY_SIZE(aligns); i++) {
        uint64_t base = addr & ~(aligns[i] - 1);

        if (base == addr) {
            break;
        }
        address_space_cache_init(&sc->mrc, trn_as(s), base,
                                 MAX(HWADDR_MAX - base, 1), write);
        if (sc->mrc.ptr && addr - base < sc->mrc.len) {
            sc->base = base;
            sc->valid = true;
            return;
        }
        address_space_cache_destroy(&sc->mrc);
    }
    sc->base = addr;
    address_space_cache_init(&sc->mrc, trn_as(s), addr,
                             MAX(HWADDR_MAX - addr, 1), write);
    sc->valid = true;
}

/*
 * A host pointer to bus address @addr if it is RAM that can be accessed
 * directly, and in *@avail the bytes that follow it in the same RAM. NULL
 * otherwise (MMIO, nothing, an IOMMU in the way). A new window invalidates
 * the pointers into the previous one.
 */
uint8_t *trn_sys_ptr(TrnState *s, TrnSysCache *sc, uint64_t addr,
                     bool write, uint64_t *avail)
{
    if (!sc->valid || addr < sc->base ||
        addr - sc->base >= sc->mrc.len) {
        trn_sys_cache_init(s, sc, addr, write);
    }
    if (!sc->mrc.ptr || addr - sc->base >= sc->mrc.len) {
        return NULL;
    }
    *avail = sc->mrc.len - (addr - sc->base);
    return sc->mrc.ptr + (addr - sc->base);
}

/*
 * Give the worker a host pointer to up to @n bytes at the start of @run:
 * straight into HBM or host RAM, or @bounce (at most to the end of the bus
 * page, so that an error names the page). A source bounce buffer is filled
 * here. Returns false if host memory could not be read.
 */
bool trn_view_get(TrnState *s, TrnStep *st, const TrnRun *run, uint64_t n,
                  bool write, uint8_t *bounce, TrnView *v)
{
    TrnSysCache *sc = &st->sys[write];
    uint64_t avail;

    v->sc = NULL;
    if (!run->system) {
        v->ptr = run->dev->hbm_ptr + run->addr;
        v->len = n;
        return true;
    }
    v->ptr = trn_sys_ptr(s, sc, run->addr, write, &avail);
    if (v->ptr) {
        v->sc = sc;
        v->len = MIN(n, avail);
        return true;
    }
    v->ptr = bounce;
    v->len = MIN(n, TRN_PAGE_SIZE - (run->addr & (TRN_PAGE_SIZE - 1)));
    return write ||
           pci_dma_read(PCI_DEVICE(s), run->addr, bounce, v->len) == MEMTX_OK;
}

/*
 * Release a view of which @used bytes were accessed: written host RAM is
 * marked dirty (which also drops TCG translations of it), a destination
 * bounce buffer is written out. Returns false if host memory could not be
 * written.
 */
bool trn_view_put(TrnState *s, const TrnRun *run, TrnView *v, uint64_t used,
                  bool write)
{
    if (!run->system) {
        if (write) {
            memory_region_set_dirty(run->dev->hbm, run->addr, used);
        }
        trn_link_count(run->link, used, write);
        return true;
    }
    if (v->sc) {
        if (write && used) {
            address_space_cache_invalidate(&v->sc->mrc,
                                           run->addr - v->sc->base, used);
        }
        return true;
    }
    return !write ||
           pci_dma_write(PCI_DEVICE(s), run->addr, v->ptr, used) == MEMTX_OK;
}

static void trn_run_advance(TrnRun *run, uint64_t n)
{
    run->addr += n;
    run->len -= n;
}

/*
 * Make the workers forget the translations and host mappings they hold:
 * after TRN_REG_TLB_INVALIDATE (of any ASID), and when the function stops
 * being a bus master. A step sees it at its next piece of work
 * (trn_step_remap()). Called with the BQL, after the change took effect.
 */
void trn_dma_remap(TrnState *s)
{
    qatomic_inc(&s->map_gen);
}

/*
 * Whether the mappings changed since @st last looked: if so, its windows
 * into host RAM are dropped, and the caller must translate again what it
 * had translated.
 */
bool trn_step_remap(TrnState *s, TrnStep *st)
{
    uint32_t gen = qatomic_load_acquire(&s->map_gen);

    if (likely(gen == st->map_gen)) {
        return false;
    }
    st->map_gen = gen;
    trn_sys_cache_drop(&st->sys[0]);
    trn_sys_cache_drop(&st->sys[1]);
    return true;
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
static bool trn_dma_writeback(TrnState *s, TrnQueue *q, TrnWbMap *m,
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

/* --- Descriptor execution, without s->lock --- */

static TrnStepResult trn_step_fault(TrnStep *st, uint32_t err, uint64_t addr)
{
    st->err = err;
    st->err_addr = addr;
    return TRN_STEP_FAULT;
}

void trn_step_log(TrnState *s, const TrnStep *st, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qemu_log_mask(LOG_GUEST_ERROR, "trn: chip %u queue %u: descriptor %u: "
                  "%s\n", s->chip_id, st->queue, st->index, msg);
}

/* Read the descriptor at HEAD from the ring. */
static uint32_t trn_dma_fetch(TrnState *s, TrnStep *st)
{
    uint8_t buf[TRN_DMA_DESC_SIZE];
    uint64_t addr;
    TrnDesc *d = &st->desc;

    if (!is_power_of_2(st->ring_size) || st->ring_size < TRN_RING_MIN ||
        st->ring_size > TRN_RING_MAX) {
        trn_step_log(s, st, "RING_SIZE %u is not a power of two in %u..%u",
                     st->ring_size, TRN_RING_MIN, TRN_RING_MAX);
        return TRN_DMA_ERR_RING;
    }
    if (st->ring_base & 63) {
        trn_step_log(s, st, "RING_BASE 0x%" PRIx64 " is not 64-byte aligned",
                     st->ring_base);
        return TRN_DMA_ERR_RING;
    }
    if (st->wb_addr & (TRN_DMA_WB_SIZE - 1)) {
        trn_step_log(s, st, "WB_ADDR 0x%" PRIx64 " is not 8-byte aligned",
                     st->wb_addr);
        return TRN_DMA_ERR_RING;
    }
    if (st->tail - st->index > st->ring_size) {
        trn_step_log(s, st, "TAIL %u is more than RING_SIZE ahead of HEAD",
                     st->tail);
        return TRN_DMA_ERR_RING;
    }
    addr = st->ring_base +
           (uint64_t)(st->index & (st->ring_size - 1)) * TRN_DMA_DESC_SIZE;
    if (pci_dma_read(PCI_DEVICE(s), addr, buf, sizeof(buf)) != MEMTX_OK) {
        trn_step_log(s, st, "cannot read the ring at 0x%" PRIx64, addr);
        return TRN_DMA_ERR_RING;
    }
    d->opcode = buf[TRN_DMA_D_OPCODE];
    d->flags = buf[TRN_DMA_D_FLAGS];
    d->rsvd = lduw_le_p(buf + TRN_DMA_D_RSVD);
    d->aux = ldl_le_p(buf + TRN_DMA_D_AUX);
    d->src = ldq_le_p(buf + TRN_DMA_D_SRC);
    d->dst = ldq_le_p(buf + TRN_DMA_D_DST);
    d->len = ldq_le_p(buf + TRN_DMA_D_LEN);
    st->done = 0;
    st->exec_ns = 0;
    return TRN_DMA_ERR_NONE;
}

/* Check a freshly fetched descriptor. */
static uint32_t trn_dma_check(TrnState *s, TrnStep *st)
{
    const TrnDesc *d = &st->desc;

    if (d->rsvd || (d->flags & ~TRN_DMA_F_ALL)) {
        trn_step_log(s, st, "reserved bits set (flags 0x%x, rsvd 0x%x)",
                     d->flags, d->rsvd);
        return TRN_DMA_ERR_BAD_DESC;
    }
    switch (d->opcode) {
    case TRN_DMA_OP_NOP:
        if (d->aux) {
            goto bad_aux;
        }
        return TRN_DMA_ERR_NONE;
    case TRN_DMA_OP_COPY:
    case TRN_DMA_OP_FILL:
        if (d->aux) {
            goto bad_aux;
        }
        break;
    case TRN_DMA_OP_WRITE:
        if (d->aux) {
            goto bad_aux;
        }
        if (d->dst & 7) {
            trn_step_log(s, st, "WRITE to unaligned 0x%" PRIx64, d->dst);
            return TRN_DMA_ERR_BAD_DESC;
        }
        break;
    case TRN_DMA_OP_SEM_SIGNAL:
    case TRN_DMA_OP_SEM_WAIT:
        if (d->aux >= s->nsems) {
            trn_step_log(s, st, "semaphore %u, the device has %u", d->aux,
                         s->nsems);
            return TRN_DMA_ERR_BAD_DESC;
        }
        break;
    case TRN_DMA_OP_EXEC: {
        uint32_t err;

        if (!trn_core_is_queue(s, st->q)) {
            trn_step_log(s, st, "EXEC on a DMA queue");
            return TRN_DMA_ERR_BAD_DESC;
        }
        if (d->aux) {
            goto bad_aux;
        }
        err = trn_core_check_exec(s, st);
        if (err) {
            return err;
        }
        break;
    }
    case TRN_DMA_OP_CONTEXT:
        if (d->aux >= s->asids) {
            trn_step_log(s, st, "ASID %u, the device has %u", d->aux,
                         s->asids);
            return TRN_DMA_ERR_BAD_DESC;
        }
        if ((d->src & (TRN_PAGE_SIZE - 1)) || d->src >= s->hbm_bytes) {
            trn_step_log(s, st, "page table root 0x%" PRIx64 " is not a "
                         "4 KiB aligned HBM offset", d->src);
            return TRN_DMA_ERR_BAD_PT;
        }
        return TRN_DMA_ERR_NONE;
    default:
        trn_step_log(s, st, "unknown opcode 0x%x", d->opcode);
        return TRN_DMA_ERR_BAD_DESC;
    }
    if (!st->ctx.valid) {
        trn_step_log(s, st, "opcode 0x%x before any CONTEXT", d->opcode);
        return TRN_DMA_ERR_NO_CONTEXT;
    }
    return TRN_DMA_ERR_NONE;

bad_aux:
    trn_step_log(s, st, "AUX 0x%x must be 0 for opcode 0x%x", d->aux,
                 d->opcode);
    return TRN_DMA_ERR_BAD_DESC;
}

/* The first byte of the step that is left to do, and the end of the slice. */
static uint64_t trn_step_end(const TrnStep *st, uint64_t budget)
{
    return st->desc.len - st->done > budget ? st->done + budget
                                            : st->desc.len;
}

static void trn_step_advance(TrnStep *st, TrnRun *a, TrnRun *b, uint64_t n)
{
    trn_run_advance(a, n);
    if (b) {
        trn_run_advance(b, n);
    }
    st->done += n;
    st->bytes += n;
}

/*
 * COPY. Overlapping source and destination ranges give an undefined result
 * (the model uses memmove() per piece, which is not the same as memmove()
 * of the whole range).
 */
static TrnStepResult trn_dma_copy(TrnState *s, TrnStep *st, uint64_t budget)
{
    const TrnDesc *d = &st->desc;
    uint64_t end = trn_step_end(st, budget);
    TrnRun src = { 0 }, dst = { 0 };
    uint32_t err;

    while (st->done < end) {
        uint64_t n;

        if (trn_step_remap(s, st)) {
            src.len = 0;
            dst.len = 0;
        }
        if (!src.len) {
            err = trn_mmu_run(s, st->ctx.root, d->src + st->done,
                              end - st->done, false, &src);
            if (err) {
                return trn_step_fault(st, err, d->src + st->done);
            }
        }
        if (!dst.len) {
            err = trn_mmu_run(s, st->ctx.root, d->dst + st->done,
                              end - st->done, true, &dst);
            if (err) {
                return trn_step_fault(st, err, d->dst + st->done);
            }
        }
        n = MIN(src.len, dst.len);

        if (!src.system && !dst.system) {
            memmove(dst.dev->hbm_ptr + dst.addr, src.dev->hbm_ptr + src.addr,
                    n);
            memory_region_set_dirty(dst.dev->hbm, dst.addr, n);
            trn_link_count(src.link, n, false);
            trn_link_count(dst.link, n, true);
            trn_step_advance(st, &src, &dst, n);
            continue;
        }
        while (n) {
            TrnView sv, dv;
            bool ok;

            if (!trn_view_get(s, st, &src, n, false, st->w->bounce[0], &sv)) {
                trn_step_log(s, st, "cannot read host memory at 0x%" PRIx64,
                             src.addr);
                return trn_step_fault(st, TRN_DMA_ERR_BAD_PT,
                                      d->src + st->done);
            }
            trn_view_get(s, st, &dst, sv.len, true, st->w->bounce[1], &dv);
            memmove(dv.ptr, sv.ptr, dv.len);
            ok = trn_view_put(s, &dst, &dv, dv.len, true);
            trn_view_put(s, &src, &sv, dv.len, false);
            if (!ok) {
                trn_step_log(s, st, "cannot write host memory at 0x%" PRIx64,
                             dst.addr);
                return trn_step_fault(st, TRN_DMA_ERR_BAD_PT,
                                      d->dst + st->done);
            }
            n -= dv.len;
            trn_step_advance(st, &src, &dst, dv.len);
        }
    }
    return st->done == d->len ? TRN_STEP_DONE : TRN_STEP_PARTIAL;
}

/* Fill @n bytes at @p with @pattern, starting at byte @phase of it. */
static void trn_fill_pattern(uint8_t *p, uint64_t n, uint64_t pattern,
                             unsigned phase)
{
    uint64_t done, i;

    if (pattern == 0x0101010101010101ULL * (pattern & 0xff)) {
        memset(p, pattern & 0xff, n);
        return;
    }
    done = MIN(n, 64);
    for (i = 0; i < done; i++) {
        p[i] = pattern >> (8 * ((phase + i) % 8));
    }
    /* Double the filled part: it stays a multiple of 8 bytes long. */
    while (done < n) {
        uint64_t c = MIN(done, n - done);

        memcpy(p + done, p, c);
        done += c;
    }
}

static TrnStepResult trn_dma_fill(TrnState *s, TrnStep *st, uint64_t budget)
{
    const TrnDesc *d = &st->desc;
    uint64_t end = trn_step_end(st, budget);
    TrnRun dst = { 0 };
    uint32_t err;

    while (st->done < end) {
        TrnView dv;

        if (trn_step_remap(s, st)) {
            dst.len = 0;
        }
        if (!dst.len) {
            err = trn_mmu_run(s, st->ctx.root, d->dst + st->done,
                              end - st->done, true, &dst);
            if (err) {
                return trn_step_fault(st, err, d->dst + st->done);
            }
        }
        trn_view_get(s, st, &dst, dst.len, true, st->w->bounce[1], &dv);
        trn_fill_pattern(dv.ptr, dv.len, d->src, st->done % 8);
        if (!trn_view_put(s, &dst, &dv, dv.len, true)) {
            trn_step_log(s, st, "cannot write host memory at 0x%" PRIx64,
                         dst.addr);
            return trn_step_fault(st, TRN_DMA_ERR_BAD_PT, d->dst + st->done);
        }
        trn_step_advance(st, &dst, NULL, dv.len);
    }
    return st->done == d->len ? TRN_STEP_DONE : TRN_STEP_PARTIAL;
}

static TrnStepResult trn_dma_write(TrnState *s, TrnStep *st)
{
    const TrnDesc *d = &st->desc;
    TrnRun dst;
    TrnView dv;
    uint32_t err;

    err = trn_mmu_run(s, st->ctx.root, d->dst, 8, true, &dst);
    if (err) {
        return trn_step_fault(st, err, d->dst);
    }
    /* Everything the queue wrote before, then this value */
    smp_wmb();
    trn_view_get(s, st, &dst, 8, true, st->w->bounce[1], &dv);
    stq_le_p(dv.ptr, d->len);
    if (!trn_view_put(s, &dst, &dv, 8, true)) {
        trn_step_log(s, st, "cannot write host memory at 0x%" PRIx64,
                     dst.addr);
        return trn_step_fault(st, TRN_DMA_ERR_BAD_PT, d->dst);
    }
    st->bytes += 8;
    return TRN_STEP_DONE;
}

/*
 * Execute one step: fetch and check the descriptor unless an earlier step
 * did, then move at most @budget bytes. NOP, CONTEXT and the semaphore
 * operations take effect when the step is committed, under the lock.
 */
static TrnStepResult trn_step_run(TrnState *s, TrnStep *st, uint64_t budget)
{
    const TrnDesc *d = &st->desc;
    uint32_t err;

    if (!st->has_cur) {
        err = trn_dma_fetch(s, st);
        if (err) {
            return trn_step_fault(st, err, 0);
        }
        trace_trn_dma_desc_start(s->chip_id, st->queue, st->index, d->opcode,
                                 d->src, d->dst, d->len);
        err = trn_dma_check(s, st);
        if (err) {
            return trn_step_fault(st, err, 0);
        }
    }
    switch (d->opcode) {
    case TRN_DMA_OP_COPY:
        return trn_dma_copy(s, st, budget);
    case TRN_DMA_OP_FILL:
        return trn_dma_fill(s, st, budget);
    case TRN_DMA_OP_WRITE:
        return trn_dma_write(s, st);
    case TRN_DMA_OP_EXEC:
        return trn_core_exec(s, st);
    default:
        return TRN_STEP_DONE;
    }
}

/* --- The worker --- */

/* Stop @q on an error. Called with s->lock held; returns causes to signal. */
static uint32_t trn_queue_fault(TrnState *s, TrnQueue *q, const TrnStep *st,
                                uint32_t err, uint64_t addr)
{
    char insn[32] = "";

    /* A NeuronCore queue: the instruction of the EXEC */
    if (trn_core_is_queue(s, q)) {
        snprintf(insn, sizeof(insn), ", instruction %u", st->err_insn);
    }
    trace_trn_dma_fault(s->chip_id, q->index, st->index, err, addr);
    qemu_log_mask(LOG_GUEST_ERROR, "trn: chip %u queue %u: descriptor %u "
                  "failed: error %u (%s), address 0x%" PRIx64 "%s\n",
                  s->chip_id, q->index, st->index, err,
                  trn_dma_err_desc(err) ?: "?", addr, insn);
    q->stopped = true;
    q->error = err;
    q->error_addr = addr;
    q->error_index = st->index;
    q->error_insn = st->err_insn;
    q->has_cur = false;
    q->waiting = false;
    q->irq_status |= TRN_DMA_Q_IRQ_ERROR;
    return q->irq_status & q->irq_mask;
}

/* A descriptor completed. Called with s->lock held; returns causes. */
static uint32_t trn_queue_complete(TrnState *s, TrnQueue *q, TrnStep *st)
{
    const TrnDesc *d = &st->desc;
    TrnEngine *e = trn_queue_engine(s, q);

    switch (d->opcode) {
    case TRN_DMA_OP_CONTEXT:
        trace_trn_dma_context(s->chip_id, q->index, d->aux, d->src);
        q->ctx.valid = true;
        q->ctx.asid = d->aux;
        q->ctx.root = d->src;
        break;
    case TRN_DMA_OP_SEM_SIGNAL:
        *trn_sem(s, st->ctx.asid, d->aux) += d->len;
        /* Queues of other workers may wait for it */
        trn_dma_kick_all(s);
        break;
    }
    q->head = st->index + 1;
    q->has_cur = false;
    q->waiting = false;
    q->cur_done = 0;
    q->cur_ns = 0;
    if (e) {
        stat64_add(&e->descs, 1);
    }
    trace_trn_dma_desc_done(s->chip_id, q->index, st->index, q->head);
    if (d->flags & TRN_DMA_F_IRQ) {
        q->irq_status |= TRN_DMA_Q_IRQ_DONE;
        return q->irq_status & q->irq_mask;
    }
    return 0;
}

/*
 * Execute one step of @q: a descriptor, or a slice of a long one. Called
 * with s->lock held, which it drops while it works. Returns true if the
 * turn of @q may go on.
 */
static bool trn_dma_step(TrnState *s, TrnWorker *w, TrnQueue *q,
                         uint64_t *budget)
{
    TrnEngine *e = trn_queue_engine(s, q);
    TrnCore *core = trn_queue_core(s, q);
    TrnStep st = {
        .w = w,
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
        .map_gen = qatomic_read(&s->map_gen),
    };
    TrnStepResult res;
    TrnWbMap wb = { 0 };
    uint32_t notify = 0;
    bool more = false, stale;
    int64_t t0;

    q->active = true;
    q->active_gen = q->gen;
    /* Picked because its semaphore is there: no longer waiting */
    q->waiting = false;
    qemu_mutex_unlock(&s->lock);

    t0 = get_clock();
    res = trn_step_run(s, &st, *budget);
    trn_sys_cache_drop(&st.sys[0]);
    trn_sys_cache_drop(&st.sys[1]);
    t0 = get_clock() - t0;
    /* Only a completed or failed descriptor writes the record */
    if (res == TRN_STEP_DONE || res == TRN_STEP_FAULT) {
        trn_wb_map(s, st.wb_addr, &wb);
    }

    qemu_mutex_lock(&s->lock);
    if (q->gen != st.gen) {
        goto dropped;
    }
    if (e) {
        stat64_add(&e->busy_ns, t0);
        stat64_add(&e->bytes, st.bytes);
    } else if (st.desc.opcode != TRN_DMA_OP_EXEC) {
        /*
         * A DMA descriptor on a core queue runs on the core's DMA engine;
         * programs count their DMA instructions themselves.
         */
        stat64_add(&core->ctr[TRN_CORE_DMA_BUSY_NS / 8], t0);
    }
    *budget -= MIN(*budget, st.bytes);

    switch (res) {
    case TRN_STEP_PARTIAL:
        trace_trn_dma_desc_slice(s->chip_id, q->index, st.index, st.done,
                                 st.desc.len);
        q->has_cur = true;
        q->cur = st.desc;
        q->cur_done = st.done;
        q->cur_ns = st.exec_ns;
        more = true;
        break;
    case TRN_STEP_WAIT:
        q->has_cur = true;
        q->waiting = true;
        q->wait_sem = st.wait_sem;
        q->wait_value = st.wait_value;
        q->cur = st.desc;
        q->cur_done = st.done;
        q->cur_ns = st.exec_ns;
        more = true;
        break;
    case TRN_STEP_DONE:
        if (st.desc.opcode == TRN_DMA_OP_SEM_WAIT &&
            *trn_sem(s, st.ctx.asid, st.desc.aux) < st.desc.len) {
            trace_trn_dma_sem_wait(s->chip_id, q->index, st.ctx.asid,
                                   st.desc.aux,
                                   *trn_sem(s, st.ctx.asid, st.desc.aux),
                                   st.desc.len);
            q->has_cur = true;
            q->waiting = true;
            q->wait_sem = st.desc.aux;
            q->wait_value = st.desc.len;
            q->cur = st.desc;
            q->cur_done = 0;
            break;
        }
        if (!trn_dma_writeback(s, q, &wb, st.gen, st.index + 1,
                               TRN_DMA_ERR_NONE, &stale)) {
            if (stale) {
                goto dropped;
            }
            qemu_log_mask(LOG_GUEST_ERROR, "trn: chip %u queue %u: cannot "
                          "write the write-back record at 0x%" PRIx64 "\n",
                          s->chip_id, q->index, q->wb_addr);
            if (core && st.program) {
                /* The program ran, but its descriptor failed */
                stat64_add(&core->ctr[TRN_CORE_ERRORS / 8], 1);
            }
            st.err_insn = 0;
            notify = trn_queue_fault(s, q, &st, TRN_DMA_ERR_RING, 0);
            break;
        }
        if (stale) {
            goto dropped;
        }
        notify = trn_queue_complete(s, q, &st);
        more = true;
        break;
    case TRN_STEP_FAULT:
        notify = trn_queue_fault(s, q, &st, st.err, st.err_addr);
        trn_dma_writeback(s, q, &wb, st.gen, st.index, st.err, &stale);
        if (stale) {
            goto dropped;
        }
        if (core && st.program) {
            /* trn-core.c counted it in TRN_CORE_PROGRAMS when it began */
            stat64_add(&core->ctr[TRN_CORE_ERRORS / 8], 1);
        }
        break;
    }
    if (notify || wb.ptr) {
        qemu_mutex_unlock(&s->lock);
        trn_wb_unmap(s, &wb);
        if (notify) {
            trn_queue_notify_from_worker(s, q, st.gen);
        }
        qemu_mutex_lock(&s->lock);
    }
    q->active = false;
    return more;

dropped:
    trace_trn_dma_drop(s->chip_id, q->index, st.index);
    if (wb.ptr) {
        qemu_mutex_unlock(&s->lock);
        trn_wb_unmap(s, &wb);
        qemu_mutex_lock(&s->lock);
    }
    q->active = false;
    return false;
}

/* Serve @q for one turn. Called with s->lock held. */
static void trn_dma_turn(TrnState *s, TrnWorker *w, TrnQueue *q)
{
    uint64_t budget = TRN_TURN_BYTES;
    unsigned n;

    for (n = 0; n < TRN_TURN_DESCS && budget && !s->stopping; n++) {
        if (!trn_queue_runnable(s, q) || !trn_dma_step(s, w, q, &budget)) {
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

static void *trn_worker_thread(void *opaque)
{
    TrnWorker *w = opaque;
    TrnState *s = w->s;

    qemu_mutex_lock(&s->lock);
    while (!s->stopping) {
        TrnQueue *q = trn_worker_pick(w);

        if (!q) {
            qemu_cond_wait(&w->work, &s->lock);
            continue;
        }
        trn_dma_turn(s, w, q);
    }
    qemu_mutex_unlock(&s->lock);
    return NULL;
}

static void trn_dma_vm_state(void *opaque, bool running, RunState state)
{
    TrnState *s = opaque;

    qemu_mutex_lock(&s->lock);
    /* Read without the lock by a program that runs (trn-core.c) */
    qatomic_set(&s->running, running);
    /* Programs paused within an instruction wait for it too */
    trn_dma_kick_all(s);
    qemu_mutex_unlock(&s->lock);
}

/* --- Registers --- */

static bool trn_queue_read64(TrnQueue *q, hwaddr reg, uint64_t *val)
{
    switch (reg) {
    case TRN_DMA_Q_RING_BASE:
        *val = q->ring_base;
        return true;
    case TRN_DMA_Q_ERROR_ADDR:
        *val = q->error_addr;
        return true;
    case TRN_DMA_Q_WB_ADDR:
        *val = q->wb_addr;
        return true;
    default:
        return false;
    }
}

static uint32_t trn_queue_status(TrnQueue *q)
{
    uint32_t sts = 0;

    if (q->enabled) {
        sts |= TRN_DMA_Q_STS_ENABLED;
    }
    if (q->head != q->tail || q->active) {
        sts |= TRN_DMA_Q_STS_BUSY;
    }
    if (q->stopped) {
        sts |= TRN_DMA_Q_STS_ERROR;
    }
    if (q->waiting) {
        sts |= TRN_DMA_Q_STS_WAITING;
    }
    return sts;
}

static bool trn_queue_read32(TrnQueue *q, hwaddr reg, uint64_t *val)
{
    switch (reg) {
    case TRN_DMA_Q_RING_SIZE:
        *val = q->ring_size;
        return true;
    case TRN_DMA_Q_CONTROL:
        *val = q->enabled ? TRN_DMA_Q_CTRL_ENABLE : 0;
        return true;
    case TRN_DMA_Q_TAIL:
        *val = q->tail;
        return true;
    case TRN_DMA_Q_HEAD:
        *val = q->head;
        return true;
    case TRN_DMA_Q_STATUS:
        *val = trn_queue_status(q);
        return true;
    case TRN_DMA_Q_ERROR:
        *val = q->error;
        return true;
    case TRN_DMA_Q_IRQ_STATUS:
        *val = q->irq_status;
        return true;
    case TRN_DMA_Q_IRQ_MASK:
        *val = q->irq_mask;
        return true;
    case TRN_DMA_Q_ERROR_INDEX:
        *val = q->error_index;
        return true;
    case TRN_DMA_Q_ASID:
        *val = q->ctx.asid;
        return true;
    case TRN_DMA_Q_ERROR_INSN:
        *val = q->error_insn;
        return true;
    default:
        if (trn_queue_read64(q, reg & ~7ULL, val)) {
            *val = trn_reg_half(*val, reg);
            return true;
        }
        return false;
    }
}

static uint64_t trn_dma_queue_read(void *opaque, hwaddr addr, unsigned size)
{
    TrnState *s = opaque;
    unsigned qi = addr / TRN_DMA_Q_STRIDE;
    hwaddr reg = addr % TRN_DMA_Q_STRIDE;
    uint64_t val = 0;
    bool ok;

    if (qi >= s->nqueues) {
        trace_trn_mmio_unhandled(s->chip_id, "read",
                                 TRN_BLOCK_DMA_QUEUE + addr, size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: read of register 0x%" HWADDR_PRIx
                      " of queue %u, which does not exist\n", reg, qi);
        return 0;
    }
    qemu_mutex_lock(&s->lock);
    ok = size == 8 ? trn_queue_read64(&s->queues[qi], reg, &val)
                   : trn_queue_read32(&s->queues[qi], reg, &val);
    qemu_mutex_unlock(&s->lock);
    if (!ok) {
        trace_trn_mmio_unhandled(s->chip_id, "read",
                                 TRN_BLOCK_DMA_QUEUE + addr, size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: read of unknown register 0x%"
                      HWADDR_PRIx " size %u of queue %u\n", reg, size, qi);
        return 0;
    }
    trace_trn_mmio_read(s->chip_id, TRN_BLOCK_DMA_QUEUE + addr, size, val);
    return val;
}

/* Set 32 or 64 bits of a 64-bit register written whole or in halves. */
static void trn_reg_deposit(uint64_t *r, hwaddr reg, uint64_t val,
                            unsigned size)
{
    if (size == 8) {
        *r = val;
    } else {
        *r = deposit64(*r, (reg & 4) * 8, 32, val);
    }
}

/*
 * A register write to @q. Called with s->lock held. Returns the interrupt
 * causes to signal.
 */
static uint32_t trn_queue_write(TrnState *s, TrnQueue *q, hwaddr reg,
                                uint64_t val, unsigned size)
{
    bool enable;

    switch (reg & ~7ULL) {
    case TRN_DMA_Q_RING_BASE:
    case TRN_DMA_Q_WB_ADDR:
        if (size == 8 && (reg & 4)) {
            goto bad;
        }
        if (q->enabled) {
            goto enabled;
        }
        trn_reg_deposit(reg < TRN_DMA_Q_WB_ADDR ? &q->ring_base : &q->wb_addr,
                        reg, val, size);
        return 0;
    }
    if (size != 4) {
        goto bad;
    }
    switch (reg) {
    case TRN_DMA_Q_RING_SIZE:
        if (q->enabled) {
            goto enabled;
        }
        q->ring_size = val;
        return 0;
    case TRN_DMA_Q_CONTROL:
        if (val & ~(uint64_t)(TRN_DMA_Q_CTRL_ENABLE | TRN_DMA_Q_CTRL_RESET)) {
            qemu_log_mask(LOG_GUEST_ERROR, "trn: queue %u: unknown "
                          "CONTROL bits 0x%" PRIx64 "\n", q->index, val);
        }
        if (val & TRN_DMA_Q_CTRL_RESET) {
            trn_queue_reset(s, q, false);
        }
        enable = val & TRN_DMA_Q_CTRL_ENABLE;
        if (enable != q->enabled) {
            trace_trn_dma_queue_enable(s->chip_id, q->index, enable);
            q->enabled = enable;
            trn_queue_kick(s, q);
        }
        return 0;
    case TRN_DMA_Q_TAIL:
        trace_trn_dma_doorbell(s->chip_id, q->index, val);
        q->tail = val;
        if (trn_queue_runnable(s, q)) {
            trn_queue_kick(s, q);
        }
        return 0;
    case TRN_DMA_Q_IRQ_STATUS:
        q->irq_status &= ~(uint32_t)val;
        return 0;
    case TRN_DMA_Q_IRQ_MASK:
        q->irq_mask = val & TRN_DMA_Q_IRQ_ALL;
        return q->irq_status & q->irq_mask;
    }
bad:
    trace_trn_mmio_unhandled(s->chip_id, "write",
                             TRN_DMA_Q_REG(q->index, reg), size);
    qemu_log_mask(LOG_GUEST_ERROR, "trn: write to unknown or read-only "
                  "register 0x%" HWADDR_PRIx " size %u of queue %u\n",
                  reg, size, q->index);
    return 0;
enabled:
    qemu_log_mask(LOG_GUEST_ERROR, "trn: queue %u: write to register 0x%"
                  HWADDR_PRIx " while the queue is enabled, ignored\n",
                  q->index, reg);
    return 0;
}

static void trn_dma_queue_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    TrnState *s = opaque;
    unsigned qi = addr / TRN_DMA_Q_STRIDE;
    hwaddr reg = addr % TRN_DMA_Q_STRIDE;
    uint32_t notify;

    trace_trn_mmio_write(s->chip_id, TRN_BLOCK_DMA_QUEUE + addr, size, val);
    if (qi >= s->nqueues) {
        trace_trn_mmio_unhandled(s->chip_id, "write",
                                 TRN_BLOCK_DMA_QUEUE + addr, size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: write to register 0x%"
                      HWADDR_PRIx " of queue %u, which does not exist\n",
                      reg, qi);
        return;
    }
    qemu_mutex_lock(&s->lock);
    notify = trn_queue_write(s, &s->queues[qi], reg, val, size);
    qemu_mutex_unlock(&s->lock);
    /* Outside the lock: the message could be aimed at this very device. */
    if (notify) {
        trn_queue_notify(s, &s->queues[qi], notify);
    }
}

static const MemoryRegionOps trn_dma_queue_ops =
    TRN_REG_OPS(trn_dma_queue_read, trn_dma_queue_write);

static uint64_t trn_dma_engine_read(void *opaque, hwaddr addr, unsigned size)
{
    TrnState *s = opaque;
    unsigned ei = addr / TRN_DMA_E_STRIDE;
    hwaddr reg = addr % TRN_DMA_E_STRIDE;
    TrnEngine *e;
    uint64_t val;

    if (ei >= s->dma_engines) {
        trace_trn_mmio_unhandled(s->chip_id, "read",
                                 TRN_BLOCK_DMA_ENGINE + addr, size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: read of register 0x%" HWADDR_PRIx
                      " of DMA engine %u, which does not exist\n", reg, ei);
        return 0;
    }
    e = &s->engines[ei];
    switch (reg & ~7ULL) {
    case TRN_DMA_E_BYTES:
        val = stat64_get(&e->bytes);
        break;
    case TRN_DMA_E_DESCS:
        val = stat64_get(&e->descs);
        break;
    case TRN_DMA_E_BUSY_NS:
        val = stat64_get(&e->busy_ns);
        break;
    default:
        trace_trn_mmio_unhandled(s->chip_id, "read",
                                 TRN_BLOCK_DMA_ENGINE + addr, size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: read of unknown register 0x%"
                      HWADDR_PRIx " of DMA engine %u\n", reg, ei);
        return 0;
    }
    if (size == 4) {
        val = trn_reg_half(val, reg);
    }
    trace_trn_mmio_read(s->chip_id, TRN_BLOCK_DMA_ENGINE + addr, size, val);
    return val;
}

static void trn_dma_engine_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    TrnState *s = opaque;

    trace_trn_mmio_write(s->chip_id, TRN_BLOCK_DMA_ENGINE + addr, size, val);
    trace_trn_mmio_unhandled(s->chip_id, "write", TRN_BLOCK_DMA_ENGINE + addr,
                             size);
    qemu_log_mask(LOG_GUEST_ERROR, "trn: write to read-only DMA engine "
                  "register 0x%" HWADDR_PRIx "\n",
                  (hwaddr)TRN_BLOCK_DMA_ENGINE + addr);
}

static const MemoryRegionOps trn_dma_engine_ops =
    TRN_REG_OPS(trn_dma_engine_read, trn_dma_engine_write);

/* --- Interface to trn.c --- */

/* Reset every queue, the semaphores and the counters. */
void trn_dma_reset(TrnState *s)
{
    unsigned i;

    qemu_mutex_lock(&s->lock);
    for (i = 0; i < s->nqueues; i++) {
        trn_queue_reset(s, &s->queues[i], true);
    }
    memset(s->sems, 0, (size_t)s->asids * s->nsems * sizeof(*s->sems));
    for (i = 0; i < s->dma_engines; i++) {
        stat64_set(&s->engines[i].bytes, 0);
        stat64_set(&s->engines[i].descs, 0);
        stat64_set(&s->engines[i].busy_ns, 0);
    }
    trn_core_reset(s);
    qemu_mutex_unlock(&s->lock);
}

/*
 * False while the worker is still executing a step of a queue that was
 * reset after the step began: its memory accesses are not over yet.
 */
bool trn_dma_quiescent(TrnState *s)
{
    bool quiet = true;
    unsigned i;

    qemu_mutex_lock(&s->lock);
    for (i = 0; i < s->nqueues; i++) {
        TrnQueue *q = &s->queues[i];

        if (q->active && q->active_gen != q->gen) {
            quiet = false;
        }
    }
    qemu_mutex_unlock(&s->lock);
    return quiet;
}

void trn_dma_sem_reset(TrnState *s, uint32_t asid)
{
    if (asid >= s->asids) {
        qemu_log_mask(LOG_GUEST_ERROR, "trn: SEM_RESET of ASID %u, the device "
                      "has %u\n", asid, s->asids);
        return;
    }
    trace_trn_sem_reset(s->chip_id, asid);
    qemu_mutex_lock(&s->lock);
    memset(trn_sem(s, asid, 0), 0, s->nsems * sizeof(*s->sems));
    qemu_mutex_unlock(&s->lock);
}

void trn_dma_tlb_invalidate(TrnState *s, uint32_t asid)
{
    if (asid >= s->asids) {
        qemu_log_mask(LOG_GUEST_ERROR, "trn: TLB_INVALIDATE of ASID %u, the "
                      "device has %u\n", asid, s->asids);
        return;
    }
    trace_trn_tlb_invalidate(s->chip_id, asid);
    /* Steps that run drop their translations, of every ASID */
    trn_dma_remap(s);
    trn_link_remap_peers(s);
}

bool trn_dma_realize(TrnState *s, Error **errp)
{
    unsigned i;

    if (!s->dma_engines || s->dma_engines > TRN_MAX_DMA_ENGINES) {
        error_setg(errp, "dma-engines must be between 1 and %d",
                   TRN_MAX_DMA_ENGINES);
        return false;
    }
    if (!s->dma_queues || s->dma_queues > TRN_MAX_DMA_QUEUES) {
        error_setg(errp, "dma-queues must be between 1 and %d",
                   TRN_MAX_DMA_QUEUES);
        return false;
    }
    if (s->dma_engines * s->dma_queues + s->cores > TRN_DMA_MAX_QUEUES) {
        error_setg(errp, "dma-engines * dma-queues + cores must be at most %d",
                   TRN_DMA_MAX_QUEUES);
        return false;
    }
    if (!s->asids || s->asids > TRN_MAX_ASIDS) {
        error_setg(errp, "asids must be between 1 and %d", TRN_MAX_ASIDS);
        return false;
    }
    if (!s->nsems || s->nsems > TRN_MAX_SEMS) {
        error_setg(errp, "sems must be between 1 and %d", TRN_MAX_SEMS);
        return false;
    }
    s->ndma = s->dma_engines * s->dma_queues;
    s->nqueues = s->ndma + s->cores;
    s->nvectors = 1 + s->nqueues;

    /* Worker 0 serves the DMA queues, worker 1 + c the queue of core c */
    s->nworkers = 1 + s->cores;
    s->workers = g_new0(TrnWorker, s->nworkers);
    for (i = 0; i < s->nworkers; i++) {
        TrnWorker *w = &s->workers[i];

        w->s = s;
        w->first = i ? s->ndma + i - 1 : 0;
        w->count = i ? 1 : s->ndma;
        qemu_cond_init(&w->work);
    }
    s->queues = g_new0(TrnQueue, s->nqueues);
    for (i = 0; i < s->nqueues; i++) {
        s->queues[i].index = i;
        s->queues[i].worker = &s->workers[i < s->ndma ? 0 : 1 + i - s->ndma];
    }
    s->engines = g_new0(TrnEngine, s->dma_engines);
    s->core_stats = g_new0(TrnCore, s->cores);
    s->sems = g_new0(uint64_t, (size_t)s->asids * s->nsems);
    qemu_mutex_init(&s->lock);

    memory_region_init_io(&s->dma_queue_regs, OBJECT(s), &trn_dma_queue_ops,
                          s, "trn.dma-queues",
                          TRN_DMA_MAX_QUEUES * TRN_DMA_Q_STRIDE);
    memory_region_add_subregion(&s->bar0, TRN_BLOCK_DMA_QUEUE,
                                &s->dma_queue_regs);
    memory_region_init_io(&s->dma_engine_regs, OBJECT(s), &trn_dma_engine_ops,
                          s, "trn.dma-engines", TRN_ENGINE_BLOCK_SIZE);
    memory_region_add_subregion(&s->bar0, TRN_BLOCK_DMA_ENGINE,
                                &s->dma_engine_regs);
    trn_core_realize(s);
    return true;
}

/* Start the workers, once the device is otherwise complete. */
void trn_dma_start(TrnState *s)
{
    unsigned i;

    s->running = runstate_is_running();
    s->vmstate_entry = qdev_add_vm_change_state_handler(DEVICE(s),
                                                        trn_dma_vm_state, s);
    for (i = 0; i < s->nworkers; i++) {
        TrnWorker *w = &s->workers[i];
        g_autofree char *name = i ? g_strdup_printf("trn-core%u", i - 1)
                                  : g_strdup("trn-dma");

        qemu_thread_create(&w->thread, name, trn_worker_thread, w,
                           QEMU_THREAD_JOINABLE);
        w->started = true;
    }
}

void trn_dma_unrealize(TrnState *s)
{
    bool bql = bql_locked();
    unsigned i;

    if (s->vmstate_entry) {
        qemu_mutex_lock(&s->lock);
        qatomic_set(&s->stopping, true);
        trn_dma_kick_all(s);
        qemu_mutex_unlock(&s->lock);
        /*
         * A worker may be waiting for the BQL, to send an interrupt or
         * inside an MMIO access: let it have it while we wait.
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
        qemu_del_vm_change_state_handler(s->vmstate_entry);
        s->vmstate_entry = NULL;
    }
    for (i = 0; i < s->nworkers; i++) {
        trn_core_worker_free(&s->workers[i]);
        qemu_cond_destroy(&s->workers[i].work);
    }
    qemu_mutex_destroy(&s->lock);
    g_free(s->workers);
    g_free(s->queues);
    g_free(s->engines);
    g_free(s->core_stats);
    g_free(s->sems);
    s->workers = NULL;
    s->nworkers = 0;
    s->queues = NULL;
    s->engines = NULL;
    s->core_stats = NULL;
    s->sems = NULL;
}
