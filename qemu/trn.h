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

/*
 * One DMA queue. Everything here is protected by TrnState.lock; the worker
 * thread works on a copy while it executes a descriptor (see trn-dma.c).
 */
typedef struct TrnQueue {
    unsigned index;

    /* Registers */
    uint64_t ring_base;
    uint32_t ring_size;
    bool enabled;               /* CONTROL.ENABLE, STATUS.ENABLED */
    bool stopped;               /* STATUS.ERROR */
    uint32_t tail;
    uint32_t head;
    uint32_t error;
    uint32_t error_index;
    uint64_t error_addr;
    uint64_t wb_addr;
    uint32_t irq_status;
    uint32_t irq_mask;
    TrnCtx ctx;

    /* Execution state */
    uint32_t gen;               /* incremented by every reset of the queue */
    bool has_cur;               /* cur was fetched and is not finished */
    bool waiting;               /* cur is a SEM_WAIT that is not satisfied */
    TrnDesc cur;
    uint64_t cur_done;          /* bytes of cur already transferred */
    bool active;                /* the worker is executing a step */
    uint32_t active_gen;        /* gen when that step began */
} TrnQueue;

/* Per-engine counters: written by the worker, read by MMIO without locks. */
typedef struct TrnEngine {
    Stat64 bytes;
    Stat64 descs;
    Stat64 busy_ns;
} TrnEngine;

struct TrnState {
    PCIDevice parent_obj;

    MemoryRegion bar0;          /* container: registers + MSI-X */
    MemoryRegion regs;
    MemoryRegion dma_queue_regs;
    MemoryRegion dma_engine_regs;
    MemoryRegion hbm_bar;       /* container sized to a power of two */
    MemoryRegion hbm_ram;       /* used when no memdev is given */
    MemoryRegion *hbm;          /* device memory, wherever it comes from */
    uint8_t *hbm_ptr;           /* host address of the device memory */
    uint64_t hbm_bytes;
    unsigned nqueues;           /* dma_engines * dma_queues */
    unsigned nvectors;          /* MSI-X table size */

    /* Registers */
    uint32_t scratch;
    uint32_t irq_cause;
    uint32_t irq_mask;
    int64_t reset_ns;

    /* DMA: see trn-dma.c for the locking rules */
    QemuMutex lock;
    QemuCond work;              /* wakes the worker */
    QemuThread thread;
    bool thread_started;
    bool stopping;              /* the worker must exit */
    bool running;               /* the VM is running */
    VMChangeStateEntry *vmstate_entry;
    unsigned rr;                /* next queue the worker looks at */
    TrnQueue *queues;
    TrnEngine *engines;
    uint64_t *sems;             /* asids * sems counters */
    /* Bounce buffers for host memory the worker cannot map */
    uint8_t bounce[2][TRN_PAGE_SIZE];

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
    uint32_t magic;             /* fault injection: x-magic */
    uint32_t version;           /* fault injection: x-version */
};

/* trn-dma.c */
bool trn_dma_realize(TrnState *s, Error **errp);
void trn_dma_start(TrnState *s);
void trn_dma_unrealize(TrnState *s);
void trn_dma_reset(TrnState *s);
bool trn_dma_quiescent(TrnState *s);
void trn_dma_sem_reset(TrnState *s, uint32_t asid);
void trn_dma_tlb_invalidate(TrnState *s, uint32_t asid);

/* trn-mmu.c */

/*
 * A run: bytes that are contiguous both in device virtual addresses and in
 * the memory behind them, with the same kind of memory.
 */
typedef struct TrnRun {
    bool system;                /* addr is a bus address, else an HBM offset */
    uint64_t addr;
    uint64_t len;
} TrnRun;

uint32_t trn_mmu_run(TrnState *s, uint64_t root, uint64_t va, uint64_t want,
                     bool write, TrnRun *run);

/*
 * The 32-bit half at register offset @reg of the 64-bit register value
 * @val: 64-bit registers may be read as two 32-bit halves.
 */
static inline uint64_t trn_reg_half(uint64_t val, hwaddr reg)
{
    return (reg & 4) ? val >> 32 : (uint32_t)val;
}

#endif /* HW_MISC_TRN_TRN_H */
