/*
 * trn: device MMU, translation of device virtual addresses.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_MMU_H
#define HW_MISC_TRN_TRN_MMU_H

#include "exec/memory.h"
#include "qemu/stats64.h"

typedef struct TrnState TrnState;
typedef struct TrnLink TrnLink;

/*
 * A run: bytes that are contiguous both in device virtual addresses and in
 * the memory behind them, with the same kind of memory. A run into a
 * peer's HBM is valid only within the RCU read-side critical section it
 * was translated in: the peer may be unplugged, or its process go away,
 * after it.
 */
typedef struct TrnRun {
    bool system;                /* addr is a bus address, else an HBM offset */
    uint8_t *hbm;               /* !system: host address of that HBM */
    MemoryRegion *hbm_mr;       /* ... its region, NULL in another process */
    TrnLink *link;              /* a peer's HBM: the port it is reached by */
    Stat64 *far_tx;             /* ... and the counters of the port at the */
    Stat64 *far_rx;             /*     other end */
    uint64_t addr;
    uint64_t len;
} TrnRun;

/*
 * Translate @va and as many of the following bytes, up to @want (> 0), as
 * are mapped to contiguous memory of the same kind, through the page table
 * at HBM offset @root, for a write if @write. Returns TRN_DMA_ERR_NONE and
 * the run in @run, or the error of the page of @va. Called without locks;
 * a caller that may translate into a peer's HBM holds the RCU read lock.
 */
uint32_t trn_mmu_run(TrnState *s, uint64_t root, uint64_t va, uint64_t want,
                     bool write, TrnRun *run);

#endif /* HW_MISC_TRN_TRN_MMU_H */
