/*
 * QTest testcase for the trn accelerator model: the test's driver
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What trn-test.c plays the driver with: register and device memory
 * accessors, starting QEMU and finding a device, page tables in device
 * memory and descriptor rings in guest RAM, and what several tests share:
 * QMP, MSI-X, faults, the ECC log, the clock, NeuronLink. Included by
 * trn-test.c and trn-test-cable.h only; copied next to them into QEMU's
 * tree (scripts/deps.sh).
 */
#ifndef TRN_TEST_H
#define TRN_TEST_H

#include "qemu/bswap.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "libqos/libqos-malloc.h"
#include "libqos/malloc-pc.h"
#include "libqos/pci-pc.h"
#include "hw/pci/pci_regs.h"
#include "hw/misc/trn/trn_regs.h"

#define MiB_ (1024 * 1024)
#define RING_ENTRIES 64
#define WAIT_US (20 * 1000 * 1000)

/* Where the test puts a device's page tables in its HBM. */
#define PT_BASE 0x100000

typedef struct TrnDev {
    QPCIDevice *pdev;
    QPCIBar bar0, bar2;
    uint64_t hbm;               /* bytes */
    uint64_t pt_next;           /* next free page table page in HBM */
    uint64_t root;              /* the page table of ASID 1 */
} TrnDev;

typedef struct TrnTest {
    QTestState *qts;
    QPCIBus *bus;
    QGuestAllocator alloc;
} TrnTest;

/* A queue's ring, write-back record and descriptors, in guest RAM. */
typedef struct TrnRing {
    TrnDev *d;
    unsigned q;
    uint64_t ring, wb;
    uint32_t tail;
} TrnRing;

static uint32_t rd32(TrnDev *d, uint64_t reg)
{
    return qpci_io_readl(d->pdev, d->bar0, reg);
}

static uint64_t rd64(TrnDev *d, uint64_t reg)
{
    return qpci_io_readq(d->pdev, d->bar0, reg);
}

static void wr32(TrnDev *d, uint64_t reg, uint32_t val)
{
    qpci_io_writel(d->pdev, d->bar0, reg, val);
}

static void wr64(TrnDev *d, uint64_t reg, uint64_t val)
{
    qpci_io_writeq(d->pdev, d->bar0, reg, val);
}

static uint32_t qrd(TrnDev *d, unsigned q, uint64_t reg)
{
    return rd32(d, TRN_DMA_Q_REG(q, reg));
}

static void qwr(TrnDev *d, unsigned q, uint64_t reg, uint32_t val)
{
    wr32(d, TRN_DMA_Q_REG(q, reg), val);
}

static void hbm_wr64(TrnDev *d, uint64_t off, uint64_t val)
{
    qpci_io_writeq(d->pdev, d->bar2, off, val);
}

static uint64_t hbm_rd64(TrnDev *d, uint64_t off)
{
    return qpci_io_readq(d->pdev, d->bar2, off);
}

static void trn_start(TrnTest *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void trn_start(TrnTest *t, const char *fmt, ...)
{
    g_autofree char *args = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* Debian's firmware: the +ds tarball has none */
    t->qts = qtest_initf("-machine q35 -nodefaults -L /usr/share/qemu "
                         "-L /usr/share/seabios %s", args);
    pc_alloc_init(&t->alloc, t->qts, ALLOC_NO_FLAGS);
    t->bus = qpci_new_pc(t->qts, &t->alloc);
}

static void trn_stop(TrnTest *t)
{
    qpci_free_pc(t->bus);
    alloc_destroy(&t->alloc);
    qtest_quit(t->qts);
}

/* The device at @devfn, its BARs mapped (of @bar2 bytes), enabled. */
static void trn_map(TrnTest *t, TrnDev *d, int devfn, uint64_t *bar2)
{
    d->pdev = qpci_device_find(t->bus, devfn);
    g_assert(d->pdev);
    g_assert_cmphex(qpci_config_readw(d->pdev, PCI_VENDOR_ID), ==,
                    TRN_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(d->pdev, PCI_DEVICE_ID), ==,
                    TRN_PCI_DEVICE_ID);
    d->bar0 = qpci_iomap(d->pdev, TRN_BAR_REGS, NULL);
    d->bar2 = qpci_iomap(d->pdev, TRN_BAR_HBM, bar2);
    qpci_device_enable(d->pdev);
    d->pt_next = PT_BASE;
    d->root = 0;
}

static void trn_open(TrnTest *t, TrnDev *d, int devfn)
{
    trn_map(t, d, devfn, NULL);
    d->hbm = rd64(d, TRN_REG_HBM_SIZE);
}

static void trn_close(TrnDev *d)
{
    g_free(d->pdev);
    d->pdev = NULL;
}

/* --- Page tables in HBM --- */

static uint64_t pt_alloc(TrnDev *d)
{
    uint64_t t = d->pt_next;
    unsigned i;

    d->pt_next += TRN_PAGE_SIZE;
    g_assert_cmpuint(d->pt_next, <=, d->hbm);
    for (i = 0; i < TRN_PT_ENTRIES; i++) {
        hbm_wr64(d, t + 8 * i, 0);
    }
    return t;
}

/* Map @va in the table at @root to the leaf entry @leaf. */
static void pt_map(TrnDev *d, uint64_t root, uint64_t va, uint64_t leaf)
{
    uint64_t table = root, pte;
    int level;

    for (level = 0; level < TRN_PT_LEVELS - 1; level++) {
        uint64_t e = table + 8 * TRN_PT_INDEX(va, level);

        pte = hbm_rd64(d, e);
        if (!(pte & TRN_PTE_VALID)) {
            pte = pt_alloc(d) | TRN_PTE_VALID;
            hbm_wr64(d, e, pte);
        }
        table = pte & TRN_PTE_ADDR_MASK;
    }
    hbm_wr64(d, table + 8 * TRN_PT_INDEX(va, TRN_PT_LEVELS - 1), leaf);
}

/* Map @n bytes at @va to HBM at @hbm, writable. */
static void pt_map_hbm(TrnDev *d, uint64_t va, uint64_t hbm, uint64_t n)
{
    uint64_t o;

    if (!d->root) {
        d->root = pt_alloc(d);
    }
    for (o = 0; o < n; o += TRN_PAGE_SIZE) {
        pt_map(d, d->root, va + o, (hbm + o) | TRN_PTE_VALID | TRN_PTE_WRITE);
    }
}

/* --- Queues --- */

static void ring_open(TrnTest *t, TrnRing *r, TrnDev *d, unsigned q)
{
    r->d = d;
    r->q = q;
    r->ring = guest_alloc(&t->alloc, RING_ENTRIES * TRN_DMA_DESC_SIZE + 64);
    r->ring = QEMU_ALIGN_UP(r->ring, 64);
    r->wb = guest_alloc(&t->alloc, TRN_DMA_WB_SIZE);
    r->tail = 0;
    qtest_memset(t->qts, r->ring, 0, RING_ENTRIES * TRN_DMA_DESC_SIZE);
    qtest_writeq(t->qts, r->wb, 0);
    qwr(d, q, TRN_DMA_Q_CONTROL, TRN_DMA_Q_CTRL_RESET);
    wr64(d, TRN_DMA_Q_REG(q, TRN_DMA_Q_RING_BASE), r->ring);
    qwr(d, q, TRN_DMA_Q_RING_SIZE, RING_ENTRIES);
    wr64(d, TRN_DMA_Q_REG(q, TRN_DMA_Q_WB_ADDR), r->wb);
    qwr(d, q, TRN_DMA_Q_IRQ_MASK, TRN_DMA_Q_IRQ_DONE | TRN_DMA_Q_IRQ_ERROR);
    qwr(d, q, TRN_DMA_Q_CONTROL, TRN_DMA_Q_CTRL_ENABLE);
}

/* Put a descriptor at TAIL, without ringing the doorbell. */
static void ring_put(TrnTest *t, TrnRing *r, uint8_t opcode, uint8_t flags,
                     uint32_t aux, uint64_t src, uint64_t dst, uint64_t len)
{
    uint8_t desc[TRN_DMA_DESC_SIZE] = { 0 };
    uint64_t at = r->ring + (r->tail % RING_ENTRIES) * TRN_DMA_DESC_SIZE;

    desc[TRN_DMA_D_OPCODE] = opcode;
    desc[TRN_DMA_D_FLAGS] = flags;
    stl_le_p(desc + TRN_DMA_D_AUX, aux);
    stq_le_p(desc + TRN_DMA_D_SRC, src);
    stq_le_p(desc + TRN_DMA_D_DST, dst);
    stq_le_p(desc + TRN_DMA_D_LEN, len);
    qtest_memwrite(t->qts, at, desc, sizeof(desc));
    r->tail++;
}

static void ring_doorbell(TrnRing *r)
{
    qwr(r->d, r->q, TRN_DMA_Q_TAIL, r->tail);
}

/*
 * Wait until the queue has done everything up to TAIL or stopped on an
 * error; returns TRN_DMA_Q_ERROR.
 */
static uint32_t ring_wait(TrnRing *r)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;

    for (;;) {
        uint32_t sts = qrd(r->d, r->q, TRN_DMA_Q_STATUS);

        if (sts & TRN_DMA_Q_STS_ERROR) {
            return qrd(r->d, r->q, TRN_DMA_Q_ERROR);
        }
        if (qrd(r->d, r->q, TRN_DMA_Q_HEAD) == r->tail &&
            !(sts & TRN_DMA_Q_STS_BUSY)) {
            return TRN_DMA_ERR_NONE;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

/* Ring the doorbell and wait (ring_wait()). */
static uint32_t ring_run(TrnRing *r)
{
    ring_doorbell(r);
    return ring_wait(r);
}

static void ring_context(TrnTest *t, TrnRing *r, uint32_t asid, uint64_t root)
{
    ring_put(t, r, TRN_DMA_OP_CONTEXT, 0, asid, root, 0, 0);
}

/* --- What several tests share --- */

/* qom-set of the device "t0"; returns the error's description, or NULL. */
static char *qom_set_t0(TrnTest *t, const char *prop, uint64_t val)
{
    QDict *rsp = qtest_qmp(t->qts, "{'execute': 'qom-set', 'arguments': "
                           "{'path': '/machine/peripheral/t0', "
                           "'property': %s, 'value': %" PRIu64 "}}",
                           prop, val);
    char *err = NULL;

    if (qdict_haskey(rsp, "error")) {
        err = g_strdup(qdict_get_str(qdict_get_qdict(rsp, "error"), "desc"));
    }
    qobject_unref(rsp);
    return err;
}

/* Program MSI-X entry @vec to write @data to guest address @addr. */
static void msix_entry(TrnDev *d, unsigned vec, uint64_t addr, uint32_t data,
                       bool masked)
{
    uint64_t e = TRN_MSIX_TABLE_OFFSET + vec * PCI_MSIX_ENTRY_SIZE;

    wr32(d, e + PCI_MSIX_ENTRY_LOWER_ADDR, addr);
    wr32(d, e + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
    wr32(d, e + PCI_MSIX_ENTRY_DATA, data);
    wr32(d, e + PCI_MSIX_ENTRY_VECTOR_CTRL,
         masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

static bool msix_pending(TrnDev *d, unsigned vec)
{
    return rd32(d, TRN_MSIX_PBA_OFFSET + vec / 32 * 4) & (1u << (vec % 32));
}

/* Expect @q of @d stopped with @err at ring index @index, address @addr. */
static void expect_fault(TrnTest *t, TrnRing *r, uint32_t err, uint32_t index,
                         uint64_t addr)
{
    TrnDev *d = r->d;

    g_assert_cmpuint(ring_run(r), ==, err);
    g_assert_cmpuint(qrd(d, r->q, TRN_DMA_Q_ERROR_INDEX), ==, index);
    g_assert_cmphex(rd64(d, TRN_DMA_Q_REG(r->q, TRN_DMA_Q_ERROR_ADDR)), ==,
                    addr);
    g_assert_cmphex(qrd(d, r->q, TRN_DMA_Q_IRQ_STATUS) &
                    TRN_DMA_Q_IRQ_ERROR, ==, TRN_DMA_Q_IRQ_ERROR);
    /* HEAD stays at the failed descriptor, the record says why */
    g_assert_cmpuint(qrd(d, r->q, TRN_DMA_Q_HEAD), ==, index);
    g_assert_cmphex(qtest_readq(t->qts, r->wb), ==,
                    index | (uint64_t)err << 32);
}

static uint64_t ecc_log_addr(TrnDev *d, uint32_t index)
{
    wr32(d, TRN_REG_ECC_LOG_INDEX, index);
    return rd64(d, TRN_REG_ECC_LOG_ADDR);
}

/* Step the virtual clock by @ms, a sensor tick (100 ms) at a time. */
static void clock_ms(TrnTest *t, unsigned ms)
{
    unsigned i;

    for (i = 0; i < ms / 100; i++) {
        qtest_clock_step(t->qts, 100 * 1000 * 1000);
    }
}

/*
 * Step the clock until TRN_REG_THROTTLE reads @want, for at most @ms;
 * returns the ms it took.
 */
static unsigned throttle_wait(TrnTest *t, TrnDev *d, uint32_t want,
                              unsigned ms)
{
    unsigned waited = 0;

    while (rd32(d, TRN_REG_THROTTLE) != want) {
        g_assert_cmpuint(waited, <, ms);
        clock_ms(t, 100);
        waited += 100;
    }
    return waited;
}

/* Take TRN_IRQ_THROTTLE: whether it was pending. */
static bool throttle_irq(TrnDev *d)
{
    bool pending = rd32(d, TRN_REG_IRQ_CAUSE) & TRN_IRQ_THROTTLE;

    wr32(d, TRN_REG_IRQ_CAUSE, TRN_IRQ_THROTTLE);
    return pending;
}

/* Wait until port @port of @d is UP, the virtual clock moving. */
static void link_wait_up(TrnTest *t, TrnDev *d, unsigned port)
{
    int i;

    for (i = 0; i < 100; i++) {
        if (rd32(d, TRN_LINK_REG(port, TRN_LINK_STATE)) == TRN_LINK_STATE_UP) {
            return;
        }
        qtest_clock_step(t->qts, 10 * 1000 * 1000);
    }
    g_assert_not_reached();
}

/*
 * Export @n bytes of the HBM of @x at @hbm under export address @xva,
 * with the level 2 table at HBM offset @l2 (0: anywhere).
 */
static void export_hbm(TrnDev *x, uint64_t xva, uint64_t hbm, uint64_t n,
                       uint64_t l2)
{
    uint64_t root = rd64(x, TRN_REG_PEER_ROOT) & TRN_PEER_ROOT_ADDR_MASK;
    uint64_t o, l1;

    if (!root) {
        root = pt_alloc(x);
        wr64(x, TRN_REG_PEER_ROOT, root | TRN_PEER_ROOT_ENABLE);
    }
    if (l2) {
        /* Tables of our own: level 1 anywhere, level 2 at @l2 */
        unsigned i;

        l1 = pt_alloc(x);
        for (i = 0; i < TRN_PT_ENTRIES; i++) {
            hbm_wr64(x, l2 + 8 * i, 0);
        }
        hbm_wr64(x, root + 8 * TRN_PT_INDEX(xva, 0), l1 | TRN_PTE_VALID);
        hbm_wr64(x, l1 + 8 * TRN_PT_INDEX(xva, 1), l2 | TRN_PTE_VALID);
    }
    for (o = 0; o < n; o += TRN_PAGE_SIZE) {
        pt_map(x, root, xva + o, (hbm + o) | TRN_PTE_VALID | TRN_PTE_WRITE);
    }
}

/* Map @va of @d to export address @xva of the chip at @port. */
static void map_peer(TrnDev *d, uint64_t va, unsigned port, uint32_t chip,
                     uint64_t xva, uint64_t n)
{
    uint64_t o;

    if (!d->root) {
        d->root = pt_alloc(d);
    }
    for (o = 0; o < n; o += TRN_PAGE_SIZE) {
        pt_map(d, d->root, va + o, (xva + o) | TRN_PTE_VALID | TRN_PTE_WRITE |
               TRN_PTE_PEER | ((uint64_t)port << TRN_PTE_PORT_SHIFT) |
               ((uint64_t)chip << TRN_PTE_PEER_CHIP_SHIFT));
    }
}

/*
 * The device behind root port rp1 (bus 1), whose BARs must lie in the
 * port's windows: map them first, then open the windows around them.
 */
static void open_behind_port(TrnTest *t, TrnDev *d, QPCIDevice *rp)
{
    uint64_t b0, b2, n2;

    trn_map(t, d, QPCI_DEVFN(1 << 5, 0), &n2);
    b0 = d->bar0.addr;
    b2 = d->bar2.addr;
    qpci_config_writew(rp, PCI_MEMORY_BASE, (b0 >> 16) & 0xfff0);
    qpci_config_writew(rp, PCI_MEMORY_LIMIT,
                       ((b0 + TRN_BAR_REGS_SIZE - 1) >> 16) & 0xfff0);
    qpci_config_writew(rp, PCI_PREF_MEMORY_BASE, (b2 >> 16) & 0xfff0);
    qpci_config_writew(rp, PCI_PREF_MEMORY_LIMIT,
                       ((b2 + n2 - 1) >> 16) & 0xfff0);
    qpci_config_writel(rp, PCI_PREF_BASE_UPPER32, b2 >> 32);
    qpci_config_writel(rp, PCI_PREF_LIMIT_UPPER32, (b2 + n2 - 1) >> 32);
    g_assert_cmphex(rd32(d, TRN_REG_MAGIC), ==, TRN_MAGIC);
    d->hbm = rd64(d, TRN_REG_HBM_SIZE);
}

/* Power the slot of @rp on or off: off unplugs what is in it. */
static void slot_power(QPCIDevice *rp, bool on)
{
    uint8_t exp = qpci_find_capability(rp, PCI_CAP_ID_EXP, 0);
    uint16_t ctl = qpci_config_readw(rp, exp + PCI_EXP_SLTCTL);

    ctl &= ~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
    ctl |= on ? PCI_EXP_SLTCTL_PWR_ON | PCI_EXP_SLTCTL_PWR_IND_ON
              : PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF;
    qpci_config_writew(rp, exp + PCI_EXP_SLTCTL, ctl);
}

#endif /* TRN_TEST_H */
