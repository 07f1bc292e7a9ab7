/*
 * trn: model of a Trainium-style ML accelerator, shared declarations.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_H
#define HW_MISC_TRN_TRN_H

#include "qemu/thread.h"
#include "qemu/queue.h"
#include "qemu/timer.h"
#include "qemu/stats64.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "system/hostmem.h"
#include "system/runstate.h"
#include "qom/object.h"
#include "trn_regs.h"

#define TYPE_TRN "trn"
OBJECT_DECLARE_SIMPLE_TYPE(TrnState, TRN)

#define TRN_MAX_DMA_ENGINES     16
#define TRN_MAX_DMA_QUEUES      16      /* per engine */
#define TRN_MAX_CORES           64
#define TRN_MAX_ASIDS           4096
#define TRN_MAX_SEMS            1024    /* per ASID */

/* Value of TRN_DMA_Q_ASID while a queue has no context. */
#define TRN_ASID_NONE           UINT32_MAX

/* A decoded descriptor. */
typedef struct TrnDesc {
    uint8_t opcode;
    uint8_t flags;
    uint16_t rsvd;
    uint32_t aux;
    uint64_t src;
    uint64_t dst;
    uint64_t len;
} TrnDesc;

/* The address space a queue works in, set by a CONTEXT descriptor. */
typedef struct TrnCtx {
    bool valid;
    uint32_t asid;
    uint64_t root;              /* HBM offset of the level 0 table */
} TrnCtx;

typedef struct TrnWorker TrnWorker;

/* Sensors and error counters (trn-health.c); used with the BQL held. */
typedef struct TrnHealth {
    QEMUTimer *timer;
    int64_t last_ns;            /* time of the last sample */
    uint64_t last_busy[2];      /* DMA engine, NeuronCore busy ns then */
    uint32_t power_mw;
    double temp_mc;
    uint64_t ecc[2];            /* corrected, uncorrected */
} TrnHealth;
typedef struct TrnScratch TrnScratch;

/*
 * A NeuronLink port (trn-link.c). Everything here is used with the BQL
 * held: MMIO, the training timer, qom-set and machine init done.
 */
typedef struct TrnLink {
    TrnState *s;
    unsigned index;
    char *cable;                /* property port<N>: "ID:Q", or NULL */
    TrnState *peer;             /* the other end of a valid cable */
    unsigned peer_port;
    bool admin;                 /* port<N>-admin: administratively enabled */
    bool warned;                /* a bad cable was reported */
    QEMUTimer *train;           /* TRAINING -> UP */

    /* Registers */
    uint32_t state;
    uint32_t events;
    uint32_t event_mask;
    uint32_t err_threshold;
    uint64_t err_crc;
    uint64_t err_replay;
    uint64_t err_since;         /* CRC errors since the last EV_ERRORS */

    /* Peer DMA payload, counted by the workers without the BQL */
    Stat64 tx_bytes;
    Stat64 rx_bytes;
} TrnLink;

/*
 * One queue: a DMA queue, or the queue of a NeuronCore. Everything here is
 * protected by TrnState.lock; the worker thread works on a copy while it
 * executes a descriptor (see trn-dma.c).
 */
typedef struct TrnQueue {
    unsigned index;
    TrnWorker *worker;          /* the thread that serves the queue */

    /* Registers */
    uint64_t ring_base;
    uint32_t ring_size;
    bool enabled;               /* CONTROL.ENABLE, STATUS.ENABLED */
    bool stopped;               /* STATUS.ERROR */
    uint32_t tail;
    uint32_t head;
    uint32_t error;
    uint32_t error_index;
    uint32_t error_insn;
    uint64_t error_addr;
    uint64_t wb_addr;
    uint32_t irq_status;
    uint32_t irq_mask;
    TrnCtx ctx;

    /* Execution state */
    uint32_t gen;               /* incremented by every reset of the queue */
    bool has_cur;               /* cur was fetched and is not finished */
    bool waiting;               /* cur waits for semaphore wait_sem */
    uint32_t wait_sem;
    uint64_t wait_value;        /* ... to reach this value */
    TrnDesc cur;
    uint64_t cur_done;          /* bytes done, EXEC: instructions */
    uint64_t cur_ns;            /* EXEC: nanoseconds the program has run */
    bool active;                /* the worker is executing a step */
    uint32_t active_gen;        /* gen when that step began */
} TrnQueue;

/* Per-engine counters: written by the worker, read by MMIO without locks. */
typedef struct TrnEngine {
    Stat64 bytes;
    Stat64 descs;
    Stat64 busy_ns;
} TrnEngine;

/* Per-NeuronCore counters, TRN_CORE_* / 8: written by its worker. */
typedef struct TrnCore {
    Stat64 ctr[TRN_CORE_COUNTERS];
} TrnCore;

/*
 * A thread that executes the descriptors of a set of queues: one for all
 * DMA queues, one for the queue of each NeuronCore.
 */
struct TrnWorker {
    TrnState *s;
    unsigned first;             /* queues first .. first + count - 1 */
    unsigned count;
    unsigned rr;                /* next queue it looks at */
    QemuCond work;              /* wakes it, with TrnState.lock */
    QemuThread thread;
    bool started;
    /* Bounce buffers for host memory that cannot be mapped */
    uint8_t bounce[2][TRN_PAGE_SIZE];
    TrnScratch *scratch;        /* compute buffers (trn-core.c) */
};

struct TrnState {
    PCIDevice parent_obj;

    MemoryRegion bar0;          /* container: registers + MSI-X */
    MemoryRegion regs;
    MemoryRegion dma_queue_regs;
    MemoryRegion dma_engine_regs;
    MemoryRegion core_regs;
    MemoryRegion link_regs;
    MemoryRegion hbm_bar;       /* container sized to a power of two */
    MemoryRegion hbm_ram;       /* used when no memdev is given */
    MemoryRegion *hbm;          /* device memory, wherever it comes from */
    uint8_t *hbm_ptr;           /* host address of the device memory */
    uint64_t hbm_bytes;
    unsigned ndma;              /* DMA queues: dma_engines * dma_queues */
    unsigned nqueues;           /* ndma + cores */
    unsigned nvectors;          /* MSI-X table size */

    /* Registers */
    uint32_t scratch;
    uint32_t irq_cause;
    uint32_t irq_mask;
    int64_t reset_ns;
    uint64_t peer_root;         /* TRN_REG_PEER_ROOT, read atomically */

    /* Queues: see trn-dma.c for the locking rules */
    QemuMutex lock;
    bool stopping;              /* the workers must exit */
    bool running;               /* the VM is running */
    /*
     * Incremented (atomically, without the lock) when the workers must
     * forget their translations and host mappings: TLB invalidation, bus
     * mastering turned off. See trn_step_remap().
     */
    uint32_t map_gen;
    VMChangeStateEntry *vmstate_entry;
    TrnWorker *workers;         /* 1 + cores: DMA queues, then each core */
    unsigned nworkers;
    TrnQueue *queues;           /* ndma DMA queues, then one per core */
    TrnEngine *engines;
    TrnCore *core_stats;
    uint64_t *sems;             /* asids * sems counters */

    /* Properties */
    uint32_t chip_id;
    uint32_t cores;
    uint64_t hbm_size;
    HostMemoryBackend *memdev;
    PCIExpLinkSpeed link_speed;
    PCIExpLinkWidth link_width;
    uint32_t dma_engines;
    uint32_t dma_queues;        /* per engine */
    uint32_t asids;
    uint32_t nsems;             /* per ASID */
    uint32_t nlinks;            /* links: NeuronLink ports */
    uint32_t link_lane_gbps;
    uint32_t link_lanes;
    uint32_t magic;             /* fault injection: x-magic */
    uint32_t version;           /* fault injection: x-version */

    uint32_t ambient_temp;      /* degrees C around the board */
    TrnHealth health;

    /* NeuronLink ports (trn-link.c) */
    TrnLink links[TRN_MAX_LINKS];
    QTAILQ_ENTRY(TrnState) link_next;   /* all realized trn devices */
};

/*
 * The host RAM a worker last accessed, from the bus address @base on: a
 * window as large as the RAM section behind it, so that the guest's
 * scattered pages cost a lookup only when they leave it.
 */
typedef struct TrnSysCache {
    bool valid;                 /* mrc is initialized */
    uint64_t base;
    MemoryRegionCache mrc;      /* mrc.ptr is NULL if not direct RAM */
} TrnSysCache;

typedef enum TrnStepResult {
    TRN_STEP_DONE,              /* the descriptor completed */
    TRN_STEP_PARTIAL,           /* a slice is done, more is left */
    TRN_STEP_FAULT,             /* the descriptor failed */
    TRN_STEP_WAIT,              /* EXEC: blocked in a SEM_WAIT instruction */
} TrnStepResult;

/* What a worker works on while it does not hold the lock. */
typedef struct TrnStep {
    TrnWorker *w;
    TrnQueue *q;
    unsigned queue;
    uint32_t gen;
    uint32_t index;             /* ring index of the descriptor (HEAD) */
    uint32_t tail;
    uint64_t ring_base;
    uint32_t ring_size;
    uint64_t wb_addr;
    TrnCtx ctx;
    bool has_cur;               /* desc was fetched by an earlier step */
    TrnDesc desc;
    uint64_t done;              /* bytes (EXEC: instructions) done so far */
    uint64_t bytes;             /* bytes transferred by this step */
    uint32_t err;
    uint64_t err_addr;
    TrnSysCache sys[2];         /* host RAM last read [0] and written [1] */
    uint32_t map_gen;           /* TrnState.map_gen the step translated at */
    /* EXEC */
    bool program;               /* the step ran part of a program */
    uint32_t err_insn;          /* TRN_DMA_Q_ERROR_INSN on a fault */
    uint64_t exec_ns;           /* nanoseconds the program has run */
    uint32_t wait_sem;          /* TRN_STEP_WAIT: what it waits for */
    uint64_t wait_value;
} TrnStep;

/* Host access to part of a run. */
typedef struct TrnView {
    uint8_t *ptr;
    dma_addr_t len;
    TrnSysCache *sc;            /* ptr points into sc, else not host RAM */
} TrnView;

/* trn-dma.c */
bool trn_dma_realize(TrnState *s, Error **errp);
void trn_dma_start(TrnState *s);
void trn_dma_unrealize(TrnState *s);
void trn_dma_reset(TrnState *s);
bool trn_dma_quiescent(TrnState *s);
void trn_dma_sem_reset(TrnState *s, uint32_t asid);
void trn_dma_tlb_invalidate(TrnState *s, uint32_t asid);
void trn_dma_kick_all(TrnState *s);
void trn_dma_remap(TrnState *s);
bool trn_step_remap(TrnState *s, TrnStep *st);
void G_GNUC_PRINTF(3, 4) trn_step_log(TrnState *s, const TrnStep *st,
                                      const char *fmt, ...);
uint8_t *trn_sys_ptr(TrnState *s, TrnSysCache *sc, uint64_t addr,
                     bool write, uint64_t *avail);
void trn_sys_cache_drop(TrnSysCache *sc);

/* trn.c */
void trn_irq_set(TrnState *s, uint32_t cause);

/* trn-link.c */
void trn_link_class_init(ObjectClass *oc);
bool trn_link_realize(TrnState *s, Error **errp);
void trn_link_unrealize(TrnState *s);
void trn_link_reset(TrnState *s);

/* trn-health.c */
void trn_health_class_init(ObjectClass *oc);
void trn_health_realize(TrnState *s);
void trn_health_unrealize(TrnState *s);
void trn_health_reset(TrnState *s);
bool trn_health_read(TrnState *s, hwaddr reg, uint64_t *val);
bool trn_health_read64(TrnState *s, hwaddr reg, uint64_t *val);
void trn_link_remap_peers(TrnState *s);

/*
 * Count @n bytes of peer DMA over @l (NULL: local memory, nothing to
 * count): sent if @write, else received; the other end counts the reverse.
 */
static inline void trn_link_count(TrnLink *l, uint64_t n, bool write)
{
    if (l && n) {
        TrnLink *o = &l->peer->links[l->peer_port];

        stat64_add(write ? &l->tx_bytes : &l->rx_bytes, n);
        stat64_add(write ? &o->rx_bytes : &o->tx_bytes, n);
    }
}

/* trn-mmu.c */

/*
 * A run: bytes that are contiguous both in device virtual addresses and in
 * the memory behind them, with the same kind of memory.
 */
typedef struct TrnRun {
    bool system;                /* addr is a bus address, else an HBM offset */
    TrnState *dev;              /* !system: the device whose HBM it is */
    TrnLink *link;              /* a peer's HBM: the port it is reached by */
    uint64_t addr;
    uint64_t len;
} TrnRun;

uint32_t trn_mmu_run(TrnState *s, uint64_t root, uint64_t va, uint64_t want,
                     bool write, TrnRun *run);

bool trn_view_get(TrnState *s, TrnStep *st, const TrnRun *run, uint64_t n,
                  bool write, uint8_t *bounce, TrnView *v);
bool trn_view_put(TrnState *s, const TrnRun *run, TrnView *v, uint64_t used,
                  bool write);

/* trn-core.c */
bool trn_core_is_queue(TrnState *s, const TrnQueue *q);
TrnCore *trn_queue_core(TrnState *s, const TrnQueue *q);
uint32_t trn_core_check_exec(TrnState *s, TrnStep *st);
TrnStepResult trn_core_exec(TrnState *s, TrnStep *st);
void trn_core_realize(TrnState *s);
void trn_core_reset(TrnState *s);
void trn_core_worker_free(TrnWorker *w);

static inline uint64_t *trn_sem(TrnState *s, uint32_t asid, uint32_t sem)
{
    return &s->sems[(uint64_t)asid * s->nsems + sem];
}

/*
 * The access rules of every register block of BAR0: little endian, 32 or
 * 64 bits, aligned (Documentation/hw-interface.rst).
 */
#define TRN_REG_OPS(rd, wr) {                   \
    .read = (rd),                               \
    .write = (wr),                              \
    .endianness = DEVICE_LITTLE_ENDIAN,         \
    .valid = {                                  \
        .min_access_size = 4,                   \
        .max_access_size = 8,                   \
        .unaligned = false,                     \
    },                                          \
    .impl = {                                   \
        .min_access_size = 4,                   \
        .max_access_size = 8,                   \
    },                                          \
}

/*
 * The 32-bit half at register offset @reg of the 64-bit register value
 * @val: 64-bit registers may be read as two 32-bit halves.
 */
static inline uint64_t trn_reg_half(uint64_t val, hwaddr reg)
{
    return (reg & 4) ? val >> 32 : (uint32_t)val;
}

#endif /* HW_MISC_TRN_TRN_H */
