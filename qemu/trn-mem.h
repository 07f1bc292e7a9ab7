/*
 * trn: the host memory the device's workers reach: HBM and host RAM.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_MEM_H
#define HW_MISC_TRN_TRN_MEM_H

#include "exec/memory.h"
#include "system/dma.h"
#include "trn-mmu.h"

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

/* Host access to part of a run. */
typedef struct TrnView {
    uint8_t *ptr;
    dma_addr_t len;
    TrnSysCache *sc;            /* ptr points into sc, else not host RAM */
} TrnView;

/*
 * A host pointer to bus address @addr if it is RAM that can be accessed
 * directly, and in *@avail the bytes that follow it in the same RAM. NULL
 * otherwise (MMIO, nothing, an IOMMU in the way). A new window invalidates
 * the pointers into the previous one.
 */
uint8_t *trn_sys_ptr(TrnState *s, TrnSysCache *sc, uint64_t addr,
                     bool write, uint64_t *avail);

/* Forget the window of @sc. */
void trn_sys_cache_drop(TrnSysCache *sc);

/*
 * Map @len bytes of host memory at bus address @addr for direct access, if
 * it is RAM; NULL if not. *@len is set to what was mapped.
 */
void *trn_sys_map(TrnState *s, dma_addr_t addr, dma_addr_t *len, bool write);
void trn_sys_unmap(TrnState *s, void *ptr, dma_addr_t len, bool write,
                   dma_addr_t used);

/*
 * Give the worker a host pointer to up to @n bytes at the start of @run:
 * straight into HBM or host RAM (through the window @sc), or @bounce (at
 * most to the end of the bus page, so that an error names the page). A
 * source bounce buffer is filled here. Returns false if host memory could
 * not be read.
 */
bool trn_view_get(TrnState *s, TrnSysCache *sc, const TrnRun *run,
                  uint64_t n, bool write, uint8_t *bounce, TrnView *v);

/*
 * Release a view of which @used bytes were accessed: written memory is
 * marked dirty (which also drops TCG translations of it), a destination
 * bounce buffer is written out, peer traffic is counted. Returns false if
 * host memory could not be written.
 */
bool trn_view_put(TrnState *s, const TrnRun *run, TrnView *v, uint64_t used,
                  bool write);

/*
 * Count @n bytes moved over the link of @run (if it leads to a peer): sent
 * if @write, else received; the other end counts the reverse.
 */
void trn_run_count(const TrnRun *run, uint64_t n, bool write);

static inline void trn_run_advance(TrnRun *run, uint64_t n)
{
    run->addr += n;
    run->len -= n;
}

/*
 * Make the workers forget the translations and host mappings they hold:
 * after TRN_REG_TLB_INVALIDATE (of any ASID, here or at a peer), and when
 * the function stops being a bus master. A worker sees it at its next
 * piece of work (trn_mem_remapped()). Called after the change took effect.
 */
void trn_mem_remap(TrnState *s);

/*
 * Whether the mappings changed since *@gen was taken (then it is updated):
 * if so, the caller must drop its windows and translate again what it had
 * translated.
 */
bool trn_mem_remapped(TrnState *s, uint32_t *gen);

/* The current generation of the mappings, for trn_mem_remapped(). */
uint32_t trn_mem_gen(TrnState *s);

#endif /* HW_MISC_TRN_TRN_MEM_H */
