/*
 * trn: queues and DMA engine counters, their registers and state.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The queues are the DMA queues (engine by engine), then one queue per
 * NeuronCore; worker threads serve them (trn-worker.c), and that file
 * explains the locking. Here are their registers, which MMIO handlers
 * (BQL held) change under TrnState.lock, and what happens to a queue when a
 * descriptor completes or fails, which the workers call under the lock.
 *
 * A reset of a queue (CONTROL.RESET or a device reset) does not wait for
 * the worker: it increments the queue's generation, and the worker, seeing
 * the change when it commits (or, in a program, between instructions and
 * within long ones), drops the results of its step (no HEAD advance, no
 * write-back, no interrupt). Until then the queue reads as BUSY and the
 * device as not READY. The x-reset-busy-ms property stretches the BUSY of a
 * queue reset through its CONTROL register, as a device whose memory
 * accesses drain slowly would, for tests of what software does meanwhile.
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/timer.h"
#include "trace.h"
#include "trn.h"
#include "trn-irq.h"
#include "trn-queue.h"
#include "trn-sem.h"
#include "trn_errors.h"

#define TRN_ENGINE_BLOCK_SIZE   (TRN_DMA_MAX_QUEUES * TRN_DMA_E_STRIDE)

#define TRN_DMA_Q_STS_ALL       (TRN_DMA_Q_STS_ENABLED | TRN_DMA_Q_STS_BUSY | \
                                 TRN_DMA_Q_STS_ERROR | TRN_DMA_Q_STS_WAITING)
#define TRN_DMA_Q_IRQ_ALL       (TRN_DMA_Q_IRQ_DONE | TRN_DMA_Q_IRQ_ERROR)

bool trn_queue_is_core(TrnState *s, const TrnQueue *q)
{
    return q->index >= s->ndma;
}

/* The DMA engine of @q, or NULL for the queue of a NeuronCore. */
TrnEngine *trn_queue_engine(TrnState *s, TrnQueue *q)
{
    return q->index < s->ndma ? &s->engines[q->index / s->dma_queues] : NULL;
}

bool trn_queue_runnable(TrnState *s, TrnQueue *q)
{
    if (!s->running || !q->enabled || q->stopped) {
        return false;
    }
    if (q->waiting) {
        return trn_sem_reached(s, q->ctx.asid, q->wait_sem, q->wait_value);
    }
    return q->has_cur || q->head != q->tail;
}

/* Wake the worker of @q. Called with s->lock held. */
static void trn_queue_kick(TrnState *s, TrnQueue *q)
{
    qemu_cond_signal(q->wake);
}

/* Called with s->lock held. */
static void trn_queue_reset(TrnState *s, TrnQueue *q, bool device)
{
    uint32_t busy_ms;

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
    busy_ms = qatomic_read(&s->reset_busy_ms);
    q->busy_until = !device && busy_ms ?
                    qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + busy_ms : 0;
    /* A program paused within an instruction must see the reset */
    trn_queue_kick(s, q);
    if (device) {
        q->ring_base = 0;
        q->ring_size = 0;
        q->wb_addr = 0;
        q->irq_mask = 0;
    }
}

uint32_t trn_queue_fault(TrnState *s, TrnQueue *q, const TrnStep *st,
                         uint32_t err, uint64_t addr)
{
    char insn[32] = "";

    /* A NeuronCore queue: the instruction of the EXEC */
    if (trn_queue_is_core(s, q)) {
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

uint32_t trn_queue_complete(TrnState *s, TrnQueue *q, TrnStep *st)
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
        /* Queues of other workers may wait for it: it wakes them all */
        trn_sem_signal(s, st->ctx.asid, d->aux, d->len);
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
    if (q->head != q->tail || q->active ||
        (q->busy_until &&
         qemu_clock_get_ms(QEMU_CLOCK_REALTIME) < q->busy_until)) {
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

static uint64_t trn_queue_mmio_read(void *opaque, hwaddr addr, unsigned size)
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

static void trn_queue_mmio_write(void *opaque, hwaddr addr, uint64_t val,
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
        trn_irq_queue(s, qi, notify);
    }
}

static const MemoryRegionOps trn_queue_ops =
    TRN_REG_OPS(trn_queue_mmio_read, trn_queue_mmio_write);

static uint64_t trn_engine_mmio_read(void *opaque, hwaddr addr, unsigned size)
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

static void trn_engine_mmio_write(void *opaque, hwaddr addr, uint64_t val,
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

static const MemoryRegionOps trn_engine_ops =
    TRN_REG_OPS(trn_engine_mmio_read, trn_engine_mmio_write);

/* --- Life cycle --- */

static void trn_queue_get_busy_ms(Object *obj, Visitor *v, const char *name,
                                  void *opaque, Error **errp)
{
    TrnState *s = TRN(obj);
    uint32_t ms = qatomic_read(&s->reset_busy_ms);

    visit_type_uint32(v, name, &ms, errp);
}

static void trn_queue_set_busy_ms(Object *obj, Visitor *v, const char *name,
                                  void *opaque, Error **errp)
{
    TrnState *s = TRN(obj);
    uint32_t ms;

    if (!visit_type_uint32(v, name, &ms, errp)) {
        return;
    }
    if (ms > 60000) {
        error_setg(errp, "%s: at most 60000 ms", name);
        return;
    }
    qatomic_set(&s->reset_busy_ms, ms);
}

void trn_queue_class_init(ObjectClass *oc)
{
    object_class_property_add(oc, "x-reset-busy-ms", "uint32",
                              trn_queue_get_busy_ms, trn_queue_set_busy_ms,
                              NULL, NULL);
    object_class_property_set_description(oc, "x-reset-busy-ms",
        "A queue reset through its CONTROL register stays BUSY for this "
        "many ms (for tests; default 0)");
}

void trn_queue_reset_all(TrnState *s)
{
    unsigned i;

    qemu_mutex_lock(&s->lock);
    for (i = 0; i < s->nqueues; i++) {
        trn_queue_reset(s, &s->queues[i], true);
    }
    trn_sem_reset_all(s);
    for (i = 0; i < s->dma_engines; i++) {
        stat64_set(&s->engines[i].bytes, 0);
        stat64_set(&s->engines[i].descs, 0);
        stat64_set(&s->engines[i].busy_ns, 0);
    }
    qemu_mutex_unlock(&s->lock);
}

bool trn_queue_quiescent(TrnState *s)
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

static bool trn_queue_check_props(TrnState *s, Error **errp)
{
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
    return true;
}

bool trn_queue_realize(TrnState *s, Error **errp)
{
    unsigned i;

    if (!trn_queue_check_props(s, errp)) {
        return false;
    }
    s->ndma = s->dma_engines * s->dma_queues;
    s->nqueues = s->ndma + s->cores;
    s->nvectors = 1 + s->nqueues;

    s->queues = g_new0(TrnQueue, s->nqueues);
    for (i = 0; i < s->nqueues; i++) {
        s->queues[i].index = i;
    }
    s->engines = g_new0(TrnEngine, s->dma_engines);
    qemu_mutex_init(&s->lock);

    memory_region_init_io(&s->dma_queue_regs, OBJECT(s), &trn_queue_ops,
                          s, "trn.dma-queues",
                          TRN_DMA_MAX_QUEUES * TRN_DMA_Q_STRIDE);
    memory_region_add_subregion(&s->bar0, TRN_BLOCK_DMA_QUEUE,
                                &s->dma_queue_regs);
    memory_region_init_io(&s->dma_engine_regs, OBJECT(s), &trn_engine_ops,
                          s, "trn.dma-engines", TRN_ENGINE_BLOCK_SIZE);
    memory_region_add_subregion(&s->bar0, TRN_BLOCK_DMA_ENGINE,
                                &s->dma_engine_regs);
    return true;
}

/* After the workers are gone (trn_worker_unrealize()). */
void trn_queue_unrealize(TrnState *s)
{
    qemu_mutex_destroy(&s->lock);
    g_free(s->queues);
    g_free(s->engines);
    s->queues = NULL;
    s->nqueues = 0;
    s->engines = NULL;
}
