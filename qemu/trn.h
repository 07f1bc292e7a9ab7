/*
 * trn: model of a Trainium-style ML accelerator, the device's state.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The files of the model, each with its header, from the top down (a file
 * calls only into those below it):
 *
 *   trn.c         the PCI function, its properties and global registers
 *   trn-health.c  sensors and ECC counters
 *   trn-link.c    NeuronLink ports and cables
 *   trn-cable.c   cables to devices of other QEMU processes (other hosts)
 *   trn-worker.c  the threads that serve the queues, and commit their work
 *   trn-dma.c     execution of descriptors: COPY, FILL, WRITE
 *   trn-core.c    NeuronCores: EXEC, the owner of the interpreter
 *   trn-power.c   the power cap, throttling: how fast the NeuronCores run
 *   trn-queue.c   queues and DMA engine counters: registers and state
 *   trn-interp.c  the instruction interpreter (with trn-insn.c,
 *                 trn-operand.c, trn-vector.c, trn-matmul.c), which
 *                 depends on nothing of QEMU
 *   trn-step.c    a step of a worker: its log, its reads and writes
 *   trn-mem.c     host memory: HBM, windows into host RAM, bounce pages
 *   trn-mmu.c     page table walks, into peers' export spaces too
 *   trn-sem.c     semaphores
 *   trn-irq.c     the misc interrupt and MSI-X messages
 *
 * This header holds the state they share, TrnState; each file's header
 * has its own types and functions. The files below the workers wake them
 * through the condition variables the workers publish (TrnState.wake,
 * TrnQueue.wake), without knowing them.
 */

#ifndef HW_MISC_TRN_TRN_H
#define HW_MISC_TRN_TRN_H

#include "qemu/thread.h"
#include "qemu/queue.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "system/hostmem.h"
#include "system/runstate.h"
#include "qom/object.h"
#include "trn_regs.h"
#include "trn-health.h"
#include "trn-link.h"
#include "trn-power.h"

#define TYPE_TRN "trn"
OBJECT_DECLARE_SIMPLE_TYPE(TrnState, TRN)

typedef struct TrnCore TrnCore;
typedef struct TrnEngine TrnEngine;
typedef struct TrnQueue TrnQueue;
typedef struct TrnWorker TrnWorker;

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

    /* Queues: see trn-worker.c for the locking rules */
    QemuMutex lock;
    bool stopping;              /* the workers must exit */
    bool running;               /* the VM is running */
    /*
     * Incremented (atomically, without the lock) when the workers must
     * forget their translations and host mappings: TLB invalidation, bus
     * mastering turned off. See trn_mem_remap().
     */
    uint32_t map_gen;
    VMChangeStateEntry *vmstate_entry;
    TrnWorker *workers;         /* 1 + cores: DMA queues, then each core */
    unsigned nworkers;
    QemuCond *wake;             /* per worker, the condition it sleeps on */
    TrnQueue *queues;           /* ndma DMA queues, then one per core */
    TrnEngine *engines;
    TrnCore *core_stats;        /* the NeuronCores */
    uint64_t *sems;             /* asids * sems counters */

    /* Properties */
    uint32_t chip_id;
    uint32_t host;              /* the host (rack position) it is in */
    uint32_t cores;
    uint64_t hbm_size;
    HostMemoryBackend *memdev;
    PCIExpLinkSpeed link_speed;
    PCIExpLinkWidth link_width;
    uint32_t dma_engines;
    uint32_t dma_queues;        /* per engine */
    uint32_t asids;
    uint32_t nsems;             /* per ASID */
    uint32_t reset_busy_ms;     /* x-reset-busy-ms (fault injection) */
    uint32_t nlinks;            /* links: NeuronLink ports */
    uint32_t link_lane_gbps;
    uint32_t link_lanes;
    uint64_t serial;            /* TRN_REG_SERIAL; UINT64_MAX: from chip-id */
    char *fw_version_str;       /* firmware-version, "major.minor.patch" */
    uint32_t fw_version;        /* TRN_REG_FW_VERSION, parsed at realize */
    uint32_t magic;             /* fault injection: x-magic */
    uint32_t version;           /* fault injection: x-version */

    uint32_t ambient_temp;      /* degrees C around the board, qom-set too */
    TrnHealth health;
    TrnPower power;             /* power cap, throttling (trn-power.c) */

    /* NeuronLink ports (trn-link.c) */
    TrnLink links[TRN_MAX_LINKS];
    QTAILQ_ENTRY(TrnState) link_next;   /* all realized trn devices */
};

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
 * Wake every worker: a semaphore moved, the VM stopped or runs again, the
 * device goes away. The modules below the workers wake them this way, or
 * through TrnQueue.wake, without knowing them. Called with TrnState.lock
 * held.
 */
static inline void trn_wake_workers(TrnState *s)
{
    unsigned i;

    for (i = 0; i < s->nworkers; i++) {
        qemu_cond_signal(&s->wake[i]);
    }
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
