/*
 * QTest testcase for the trn accelerator model (hw/misc/trn)
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The register semantics of Documentation/hw-interface.rst, without a
 * guest driver: reset values, doorbells and write-back records, MSI-X,
 * descriptors and page tables that break the rules, and peer DMA over
 * NeuronLink between several devices, one of them unplugged while a peer
 * copies from it. The test plays the driver: it writes descriptor rings
 * into guest RAM, page tables into device memory through BAR2, and
 * registers through BAR0.
 *
 * Built and run by the trn project's "make check-model" (this file and
 * trn-test.h are copied to tests/qtest/ of QEMU's tree, see
 * Documentation/qemu.rst of the trn project).
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "libqos/libqos-malloc.h"
#include "libqos/malloc-pc.h"
#include "libqos/pci-pc.h"
#include "hw/pci/pci_regs.h"
#include "hw/misc/trn/trn_isa.h"
#include "hw/misc/trn/trn_regs.h"

#include "trn-test.h"

/* --- Reset values --- */

static void check_reset_values(TrnDev *d, unsigned cores)
{
    unsigned nq = 2 * 4 + cores, q, c, p;

    g_assert_cmphex(rd32(d, TRN_REG_MAGIC), ==, TRN_MAGIC);
    g_assert_cmphex(rd32(d, TRN_REG_VERSION), ==,
                    TRN_VERSION(TRN_VERSION_MAJOR, TRN_VERSION_MINOR));
    g_assert_cmphex(rd64(d, TRN_REG_CAPS), ==,
                    TRN_CAP_HBM_BAR | TRN_CAP_IRQ_TEST | TRN_CAP_DMA |
                    TRN_CAP_MMU | TRN_CAP_COMPUTE | TRN_CAP_LINK |
                    TRN_CAP_PEER | TRN_CAP_HEALTH | TRN_CAP_ECC_LOG |
                    TRN_CAP_INVENTORY | TRN_CAP_POWER | TRN_CAP_RACK);
    /* A 64-bit register read as two halves */
    g_assert_cmphex(rd32(d, TRN_REG_CAPS), ==, (uint32_t)rd64(d, TRN_REG_CAPS));
    g_assert_cmphex(rd32(d, TRN_REG_CAPS + 4), ==, rd64(d, TRN_REG_CAPS) >> 32);
    g_assert_cmpuint(rd32(d, TRN_REG_NUM_CORES), ==, cores);
    g_assert_cmpuint(rd64(d, TRN_REG_HBM_SIZE), ==, 16 * MiB_);
    g_assert_cmphex(rd32(d, TRN_REG_SCRATCH), ==, 0);
    g_assert_cmphex(rd32(d, TRN_REG_STATUS), ==, TRN_STATUS_READY);
    g_assert_cmpuint(rd32(d, TRN_REG_MSIX_VECTORS), ==, 1 + nq);
    g_assert_cmphex(rd32(d, TRN_REG_IRQ_CAUSE), ==, 0);
    g_assert_cmphex(rd32(d, TRN_REG_IRQ_MASK), ==, 0);
    g_assert_cmpuint(rd32(d, TRN_REG_DMA_ENGINES), ==, 2);
    g_assert_cmpuint(rd32(d, TRN_REG_DMA_QUEUES), ==, 4);
    g_assert_cmpuint(rd32(d, TRN_REG_NUM_ASIDS), ==, 64);
    g_assert_cmpuint(rd32(d, TRN_REG_NUM_SEMS), ==, 32);
    g_assert_cmpuint(rd32(d, TRN_REG_NUM_LINKS), ==, 4);
    g_assert_cmphex(rd64(d, TRN_REG_PEER_ROOT), ==, 0);
    g_assert_cmpuint(rd64(d, TRN_REG_ECC_CORRECTED), ==, 0);
    g_assert_cmpuint(rd64(d, TRN_REG_ECC_UNCORRECTED), ==, 0);
    g_assert_cmpuint(rd32(d, TRN_REG_ECC_LOG_SIZE), ==, 64);
    g_assert_cmphex(rd32(d, TRN_REG_ECC_LOG_INDEX), ==, 0);
    /* 1.8: the cap the properties give, full speed, nothing counted */
    g_assert_cmpuint(rd32(d, TRN_REG_POWER_CAP), ==,
                     rd32(d, TRN_REG_POWER_CAP_MAX));
    g_assert_cmpuint(rd32(d, TRN_REG_POWER_CAP_MIN), ==, 65000);
    g_assert_cmpuint(rd32(d, TRN_REG_POWER_CAP_MAX), ==,
                     rd32(d, TRN_REG_POWER_MAX));
    g_assert_cmphex(rd32(d, TRN_REG_THROTTLE), ==, 0);
    g_assert_cmpuint(rd64(d, TRN_REG_THROTTLE_NS), ==, 0);
    /* Write-only registers and unknown ones read 0 */
    g_assert_cmphex(rd32(d, TRN_REG_RESET), ==, 0);
    g_assert_cmphex(rd32(d, TRN_REG_TLB_INVALIDATE), ==, 0);
    g_assert_cmphex(rd32(d, 0xffc), ==, 0);
    for (q = 0; q < nq; q++) {
        g_assert_cmphex(rd64(d, TRN_DMA_Q_REG(q, TRN_DMA_Q_RING_BASE)), ==, 0);
        g_assert_cmphex(qrd(d, q, TRN_DMA_Q_RING_SIZE), ==, 0);
        g_assert_cmphex(qrd(d, q, TRN_DMA_Q_CONTROL), ==, 0);
        g_assert_cmphex(qrd(d, q, TRN_DMA_Q_TAIL), ==, 0);
        g_assert_cmphex(qrd(d, q, TRN_DMA_Q_HEAD), ==, 0);
        g_assert_cmphex(qrd(d, q, TRN_DMA_Q_STATUS), ==, 0);
        g_assert_cmphex(qrd(d, q, TRN_DMA_Q_ERROR), ==, 0);
        g_assert_cmphex(qrd(d, q, TRN_DMA_Q_IRQ_STATUS), ==, 0);
        g_assert_cmphex(qrd(d, q, TRN_DMA_Q_IRQ_MASK), ==, 0);
        g_assert_cmphex(qrd(d, q, TRN_DMA_Q_ASID), ==, 0xffffffff);
    }
    /* Queues that do not exist read 0 */
    g_assert_cmphex(qrd(d, nq, TRN_DMA_Q_ASID), ==, 0);
    for (q = 0; q < 2; q++) {
        g_assert_cmpuint(rd64(d, TRN_DMA_E_REG(q, TRN_DMA_E_BYTES)), ==, 0);
        g_assert_cmpuint(rd64(d, TRN_DMA_E_REG(q, TRN_DMA_E_DESCS)), ==, 0);
    }
    for (c = 0; c < cores; c++) {
        for (q = 0; q < TRN_CORE_COUNTERS; q++) {
            g_assert_cmpuint(rd64(d, TRN_CORE_REG(c, 8 * q)), ==, 0);
        }
    }
    for (p = 0; p < 4; p++) {
        g_assert_cmpuint(rd32(d, TRN_LINK_REG(p, TRN_LINK_STATE)), ==,
                         TRN_LINK_STATE_DOWN);
        g_assert_cmphex(rd32(d, TRN_LINK_REG(p, TRN_LINK_PEER_CHIP)), ==,
                        TRN_LINK_PEER_NONE);
        g_assert_cmphex(rd32(d, TRN_LINK_REG(p, TRN_LINK_EVENT_MASK)), ==, 0);
    }
}

static void test_reset_values(void)
{
    TrnTest t;
    TrnDev d;

    trn_start(&t, "-device trn,addr=04.0,chip-id=7,hbm-size=16M,cores=3");
    trn_open(&t, &d, QPCI_DEVFN(4, 0));
    g_assert_cmpuint(rd32(&d, TRN_REG_CHIP_ID), ==, 7);
    check_reset_values(&d, 3);
    wr64(&d, TRN_REG_SERIAL, 0);        /* 1.7: from the chip id, read-only */
    g_assert_cmphex(rd64(&d, TRN_REG_SERIAL), ==, 0x54524e000007ULL);
    g_assert_cmphex(rd32(&d, TRN_REG_FW_VERSION), ==, TRN_FW_VERSION(1, 0, 0));
    /* ambient-temp 30 by default: 30 C + 0.15 C/W x 60 W idle */
    g_assert_cmpuint(rd32(&d, TRN_REG_TEMP), ==, 39000);

    /* Change what can be changed; a bad key does not reset */
    wr32(&d, TRN_REG_SCRATCH, 0x12345678);
    wr32(&d, TRN_REG_IRQ_MASK, 0xffffffff);
    g_assert_cmphex(rd32(&d, TRN_REG_IRQ_MASK), ==, TRN_IRQ_ALL);
    wr64(&d, TRN_REG_PEER_ROOT, 0x5000 | TRN_PEER_ROOT_ENABLE | 0x6);
    g_assert_cmphex(rd64(&d, TRN_REG_PEER_ROOT), ==,
                    0x5000 | TRN_PEER_ROOT_ENABLE);
    qwr(&d, 2, TRN_DMA_Q_RING_SIZE, 64);
    qwr(&d, 2, TRN_DMA_Q_IRQ_MASK, 3);
    wr32(&d, TRN_LINK_REG(1, TRN_LINK_EVENT_MASK), TRN_LINK_EV_ALL);
    wr32(&d, TRN_REG_POWER_CAP, 100000);
    wr32(&d, TRN_REG_RESET, 0x1234);
    g_assert_cmphex(rd32(&d, TRN_REG_SCRATCH), ==, 0x12345678);
    /* Read-only registers ignore writes */
    wr32(&d, TRN_REG_MAGIC, 0);
    wr32(&d, TRN_REG_NUM_CORES, 9);
    wr32(&d, TRN_REG_POWER_CAP_MIN, 1);
    wr32(&d, TRN_REG_THROTTLE, TRN_THROTTLE_ALL);
    g_assert_cmphex(rd32(&d, TRN_REG_MAGIC), ==, TRN_MAGIC);
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP_MIN), ==, 65000);
    g_assert_cmphex(rd32(&d, TRN_REG_THROTTLE), ==, 0);
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP), ==, 100000);

    wr32(&d, TRN_REG_RESET, TRN_RESET_KEY);
    check_reset_values(&d, 3);
    trn_close(&d);
    trn_stop(&t);
}

/* --- Doorbells --- */

static void test_doorbell(void)
{
    uint8_t buf[8192], want[8192];
    TrnTest t;
    TrnRing r;
    TrnDev d;
    unsigned i;

    trn_start(&t, "-device trn,addr=04.0,hbm-size=16M");
    trn_open(&t, &d, QPCI_DEVFN(4, 0));
    pt_map_hbm(&d, 0x10000000, 0x200000, 4 * MiB_);
    ring_open(&t, &r, &d, 1);

    /* A doorbell with nothing new does nothing */
    ring_doorbell(&r);
    g_assert_cmpuint(qrd(&d, 1, TRN_DMA_Q_HEAD), ==, 0);

    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_FILL, 0, 0, 0x0102030405060708ULL,
             0x10000000 + 3, sizeof(buf) - 5);
    ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, 0x10000000, 0x10100000,
             sizeof(buf));
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, 0x10200000,
             0xfeedfacecafebeefULL);
    ring_put(&t, &r, TRN_DMA_OP_NOP, 0, 0, 0, 0, 0);
    g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
    g_assert_cmpuint(qrd(&d, 1, TRN_DMA_Q_HEAD), ==, 5);
    g_assert_cmpuint(qrd(&d, 1, TRN_DMA_Q_ASID), ==, 1);
    /* The write-back record: HEAD, no error */
    g_assert_cmphex(qtest_readq(t.qts, r.wb), ==, 5);

    memset(want, 0, sizeof(want));
    for (i = 3; i < sizeof(buf) - 2; i++) {
        want[i] = 8 - (i - 3) % 8;
    }
    qpci_memread(d.pdev, d.bar2, 0x200000, buf, sizeof(buf));
    g_assert(!memcmp(buf, want, sizeof(buf)));
    qpci_memread(d.pdev, d.bar2, 0x300000, buf, sizeof(buf));
    g_assert(!memcmp(buf, want, sizeof(buf)));
    g_assert_cmphex(hbm_rd64(&d, 0x400000), ==, 0xfeedfacecafebeefULL);
    /* Engine 0 (queues 0..3) counted them */
    g_assert_cmpuint(rd64(&d, TRN_DMA_E_REG(0, TRN_DMA_E_DESCS)), ==, 5);
    g_assert_cmpuint(rd64(&d, TRN_DMA_E_REG(0, TRN_DMA_E_BYTES)), ==,
                     2 * sizeof(buf) - 5 + 8);

    /* Semaphores: queue 2 waits for queue 1 */
    {
        TrnRing r2;

        ring_open(&t, &r2, &d, 2);
        ring_context(&t, &r2, 1, d.root);
        ring_put(&t, &r2, TRN_DMA_OP_SEM_WAIT, 0, 5, 0, 0, 2);
        ring_put(&t, &r2, TRN_DMA_OP_WRITE, 0, 0, 0, 0x10200008, 77);
        ring_doorbell(&r2);
        g_usleep(20000);
        g_assert_cmphex(qrd(&d, 2, TRN_DMA_Q_STATUS) &
                        TRN_DMA_Q_STS_WAITING, ==, TRN_DMA_Q_STS_WAITING);
        g_assert_cmpuint(qrd(&d, 2, TRN_DMA_Q_HEAD), ==, 1);
        ring_put(&t, &r, TRN_DMA_OP_SEM_SIGNAL, 0, 5, 0, 0, 2);
        g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
        g_assert_cmpuint(ring_wait(&r2), ==, TRN_DMA_ERR_NONE);
        g_assert_cmpuint(hbm_rd64(&d, 0x400008), ==, 77);
    }
    trn_close(&d);
    trn_stop(&t);
}

/*
 * A queue with descriptors pending is BUSY, enabled or not, so software
 * must not ring a queue it waits to see stop; x-reset-busy-ms stretches
 * the BUSY of a reset through CONTROL, not of a device reset.
 */
static void test_reset_busy(void)
{
    const uint32_t busy = TRN_DMA_Q_STS_BUSY;
    gint64 t0, waited;
    TrnTest t;
    TrnDev d;
    char *err;

    trn_start(&t, "-device trn,id=t0,addr=04.0,hbm-size=16M,"
              "x-reset-busy-ms=200");
    trn_open(&t, &d, QPCI_DEVFN(4, 0));
    g_assert_cmphex(qrd(&d, 1, TRN_DMA_Q_STATUS) & busy, ==, 0);
    qwr(&d, 1, TRN_DMA_Q_CONTROL, TRN_DMA_Q_CTRL_RESET);
    t0 = g_get_monotonic_time();
    g_assert_cmphex(qrd(&d, 1, TRN_DMA_Q_STATUS) & busy, ==, busy);
    while (qrd(&d, 1, TRN_DMA_Q_STATUS) & busy) {
        g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_USEC_PER_SEC);
        g_usleep(5000);
    }
    waited = g_get_monotonic_time() - t0;
    g_assert_cmpint(waited, >=, 190 * 1000);
    /* The other queues were not touched */
    g_assert_cmphex(qrd(&d, 2, TRN_DMA_Q_STATUS) & busy, ==, 0);

    /* A doorbell on the reset, disabled queue: busy until the next reset */
    qwr(&d, 1, TRN_DMA_Q_TAIL, 3);
    g_usleep(300 * 1000);
    g_assert_cmphex(qrd(&d, 1, TRN_DMA_Q_STATUS) & busy, ==, busy);
    g_assert_cmpuint(qrd(&d, 1, TRN_DMA_Q_HEAD), ==, 0);
    g_assert_null(qom_set_t0(&t, "x-reset-busy-ms", 0));
    qwr(&d, 1, TRN_DMA_Q_CONTROL, TRN_DMA_Q_CTRL_RESET);
    g_assert_cmphex(qrd(&d, 1, TRN_DMA_Q_STATUS) & busy, ==, 0);

    err = qom_set_t0(&t, "x-reset-busy-ms", 60001);
    g_assert_nonnull(err);
    g_free(err);
    trn_close(&d);
    trn_stop(&t);
}

/* --- MSI-X --- */

static void test_msix(void)
{
    TrnTest t;
    TrnRing r;
    TrnDev d;
    uint64_t msg;
    uint8_t cap;

    trn_start(&t, "-device trn,addr=04.0,hbm-size=16M");
    trn_open(&t, &d, QPCI_DEVFN(4, 0));
    msg = guest_alloc(&t.alloc, 64);
    qtest_memset(t.qts, msg, 0, 64);
    cap = qpci_find_capability(d.pdev, PCI_CAP_ID_MSIX, 0);
    g_assert(cap);
    g_assert_cmpuint((qpci_config_readw(d.pdev, cap + PCI_MSIX_FLAGS) &
                      PCI_MSIX_FLAGS_QSIZE) + 1, ==,
                     rd32(&d, TRN_REG_MSIX_VECTORS));
    qpci_config_writew(d.pdev, cap + PCI_MSIX_FLAGS,
                       qpci_config_readw(d.pdev, cap + PCI_MSIX_FLAGS) |
                       PCI_MSIX_FLAGS_ENABLE);

    /* The test interrupt, on the misc vector, only when enabled */
    msix_entry(&d, TRN_MSIX_VEC_MISC, msg, 0xcafe0001, false);
    wr32(&d, TRN_REG_IRQ_TEST, 1);
    g_assert_cmphex(rd32(&d, TRN_REG_IRQ_CAUSE), ==, TRN_IRQ_TEST);
    g_assert_cmphex(qtest_readl(t.qts, msg), ==, 0);
    wr32(&d, TRN_REG_IRQ_MASK, TRN_IRQ_TEST);
    g_assert_cmphex(qtest_readl(t.qts, msg), ==, 0xcafe0001);
    /* RW1C */
    wr32(&d, TRN_REG_IRQ_CAUSE, TRN_IRQ_TEST);
    g_assert_cmphex(rd32(&d, TRN_REG_IRQ_CAUSE), ==, 0);

    /* A masked vector keeps the message pending until unmasked */
    qtest_writel(t.qts, msg, 0);
    msix_entry(&d, TRN_MSIX_VEC_MISC, msg, 0xcafe0002, true);
    wr32(&d, TRN_REG_IRQ_TEST, 1);
    g_assert_cmphex(qtest_readl(t.qts, msg), ==, 0);
    g_assert(msix_pending(&d, TRN_MSIX_VEC_MISC));
    msix_entry(&d, TRN_MSIX_VEC_MISC, msg, 0xcafe0002, false);
    g_assert_cmphex(qtest_readl(t.qts, msg), ==, 0xcafe0002);
    g_assert(!msix_pending(&d, TRN_MSIX_VEC_MISC));

    /* A descriptor with TRN_DMA_F_IRQ signals its queue's vector */
    msix_entry(&d, TRN_MSIX_VEC_DMA_QUEUE(3), msg + 8, 0xcafe0303, false);
    ring_open(&t, &r, &d, 3);
    ring_put(&t, &r, TRN_DMA_OP_NOP, 0, 0, 0, 0, 0);
    g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
    g_assert_cmphex(qtest_readl(t.qts, msg + 8), ==, 0);
    ring_put(&t, &r, TRN_DMA_OP_NOP, TRN_DMA_F_IRQ, 0, 0, 0, 0);
    g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
    g_assert_cmphex(qrd(&d, 3, TRN_DMA_Q_IRQ_STATUS), ==, TRN_DMA_Q_IRQ_DONE);
    g_assert_cmphex(qtest_readl(t.qts, msg + 8), ==, 0xcafe0303);
    qwr(&d, 3, TRN_DMA_Q_IRQ_STATUS, TRN_DMA_Q_IRQ_DONE);
    g_assert_cmphex(qrd(&d, 3, TRN_DMA_Q_IRQ_STATUS), ==, 0);
    trn_close(&d);
    trn_stop(&t);
}

/* --- Descriptors and page tables that break the rules --- */

static void test_bad_descriptor(void)
{
    TrnTest t;
    TrnRing r;
    TrnDev d;

    trn_start(&t, "-device trn,addr=04.0,hbm-size=16M");
    trn_open(&t, &d, QPCI_DEVFN(4, 0));
    pt_map_hbm(&d, 0x10000000, 0x200000, 64 * 1024);

    /* An unknown opcode */
    ring_open(&t, &r, &d, 0);
    ring_put(&t, &r, TRN_DMA_OP_NOP, 0, 0, 0, 0, 0);
    ring_put(&t, &r, 0x42, 0, 0, 0, 0, 0);
    expect_fault(&t, &r, TRN_DMA_ERR_BAD_DESC, 1, 0);
    /* A stopped queue ignores its doorbell until reset */
    ring_put(&t, &r, TRN_DMA_OP_NOP, 0, 0, 0, 0, 0);
    ring_doorbell(&r);
    g_usleep(10000);
    g_assert_cmpuint(qrd(&d, 0, TRN_DMA_Q_HEAD), ==, 1);

    /* Reserved flags; AUX on a COPY; EXEC on a DMA queue; semaphore 999 */
    ring_open(&t, &r, &d, 0);
    ring_put(&t, &r, TRN_DMA_OP_NOP, 0x80, 0, 0, 0, 0);
    expect_fault(&t, &r, TRN_DMA_ERR_BAD_DESC, 0, 0);
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 1, 0x10000000, 0x10001000, 8);
    expect_fault(&t, &r, TRN_DMA_ERR_BAD_DESC, 1, 0);
    ring_open(&t, &r, &d, 0);
    ring_put(&t, &r, TRN_DMA_OP_EXEC, 0, 0, 0x10000000, 0, TRN_INSN_SIZE);
    expect_fault(&t, &r, TRN_DMA_ERR_BAD_DESC, 0, 0);
    ring_open(&t, &r, &d, 0);
    ring_put(&t, &r, TRN_DMA_OP_SEM_SIGNAL, 0, 999, 0, 0, 1);
    expect_fault(&t, &r, TRN_DMA_ERR_BAD_DESC, 0, 0);
    /* Data before any CONTEXT */
    ring_open(&t, &r, &d, 0);
    ring_put(&t, &r, TRN_DMA_OP_FILL, 0, 0, 0, 0x10000000, 8);
    expect_fault(&t, &r, TRN_DMA_ERR_NO_CONTEXT, 0, 0);
    /* A ring whose size is not a power of two */
    ring_open(&t, &r, &d, 0);
    qwr(&d, 0, TRN_DMA_Q_CONTROL, 0);
    qwr(&d, 0, TRN_DMA_Q_RING_SIZE, 24);
    qwr(&d, 0, TRN_DMA_Q_CONTROL, TRN_DMA_Q_CTRL_ENABLE);
    ring_put(&t, &r, TRN_DMA_OP_NOP, 0, 0, 0, 0, 0);
    g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_RING);
    /* Ring registers cannot change while the queue is enabled */
    qwr(&d, 0, TRN_DMA_Q_RING_SIZE, 32);
    g_assert_cmpuint(qrd(&d, 0, TRN_DMA_Q_RING_SIZE), ==, 24);

    /* After a reset the queue works again */
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, 0x10000000, 5);
    g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
    g_assert_cmpuint(hbm_rd64(&d, 0x200000), ==, 5);
    trn_close(&d);
    trn_stop(&t);
}

static void test_bad_page_table(void)
{
    uint64_t va = 0x10000000, l1, l2;
    TrnTest t;
    TrnRing r;
    TrnDev d;
    unsigned i;

    trn_start(&t, "-device trn,addr=04.0,hbm-size=16M");
    trn_open(&t, &d, QPCI_DEVFN(4, 0));
    pt_map_hbm(&d, va, 0x200000, 2 * TRN_PAGE_SIZE);
    l1 = hbm_rd64(&d, d.root + 8 * TRN_PT_INDEX(va, 0)) & TRN_PTE_ADDR_MASK;
    l2 = hbm_rd64(&d, l1 + 8 * TRN_PT_INDEX(va, 1)) & TRN_PTE_ADDR_MASK;

    /* Unmapped, at the first byte that is not mapped */
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_FILL, 0, 0, 0, va + 100,
             2 * TRN_PAGE_SIZE);
    expect_fault(&t, &r, TRN_DMA_ERR_UNMAPPED, 1, va + 2 * TRN_PAGE_SIZE);
    /* Read-only */
    hbm_wr64(&d, l2 + 8 * TRN_PT_INDEX(va, 2), 0x200000 | TRN_PTE_VALID);
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, va + TRN_PAGE_SIZE, va, 8);
    expect_fault(&t, &r, TRN_DMA_ERR_READONLY, 1, va);
    /* A leaf beyond HBM */
    hbm_wr64(&d, l2 + 8 * TRN_PT_INDEX(va, 2),
             d.hbm | TRN_PTE_VALID | TRN_PTE_WRITE);
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, va, 1);
    expect_fault(&t, &r, TRN_DMA_ERR_BAD_PT, 1, va);
    /* A table pointer beyond HBM, then one marked SYSTEM */
    hbm_wr64(&d, l1 + 8 * TRN_PT_INDEX(va, 1),
             (64ULL << 30) | TRN_PTE_VALID);
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, va, 1);
    expect_fault(&t, &r, TRN_DMA_ERR_BAD_PT, 1, va);
    hbm_wr64(&d, l1 + 8 * TRN_PT_INDEX(va, 1),
             l2 | TRN_PTE_VALID | TRN_PTE_SYSTEM);
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, va, 1);
    expect_fault(&t, &r, TRN_DMA_ERR_BAD_PT, 1, va);
    /* A peer entry to a port that does not exist */
    hbm_wr64(&d, l1 + 8 * TRN_PT_INDEX(va, 1), l2 | TRN_PTE_VALID);
    hbm_wr64(&d, l2 + 8 * TRN_PT_INDEX(va, 2), TRN_PTE_VALID | TRN_PTE_WRITE |
             TRN_PTE_PEER | (9ULL << TRN_PTE_PORT_SHIFT));
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, va, 1);
    expect_fault(&t, &r, TRN_DMA_ERR_LINK, 1, va);
    /* A root that is not in HBM */
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.hbm);
    expect_fault(&t, &r, TRN_DMA_ERR_BAD_PT, 0, 0);

    /* Tables of random entries: each COPY succeeds or fails, nothing else */
    for (i = 0; i < 200; i++) {
        uint64_t e = g_test_rand_int() | (uint64_t)g_test_rand_int() << 32;
        unsigned level = g_test_rand_int_range(0, 3);
        uint64_t table = level == 0 ? d.root : level == 1 ? l1 : l2;

        if (g_test_rand_bit()) {
            e = (e & ~TRN_PTE_ADDR_MASK) |
                (g_test_rand_int_range(0, d.hbm / TRN_PAGE_SIZE + 16) *
                 TRN_PAGE_SIZE);
        }
        hbm_wr64(&d, table + 8 * TRN_PT_INDEX(va, level), e);
        ring_open(&t, &r, &d, 0);
        ring_context(&t, &r, 1, d.root);
        ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, va, va + TRN_PAGE_SIZE,
                 g_test_rand_int_range(1, 3 * TRN_PAGE_SIZE));
        ring_run(&r);
    }
    trn_close(&d);
    trn_stop(&t);
}

/*
 * An uncorrectable error poisons a page (1.6): it is logged once, raises
 * TRN_IRQ_ECC, and any access to it fails with TRN_DMA_ERR_ECC at its
 * first byte, data or page table; the neighbours work. A reset zeroes the
 * volatile counters and keeps the totals, the log and the poison.
 */
static void test_ecc_poison(void)
{
    uint64_t va = 0x10000000, hbm = 0x200000, l1, l2;
    g_autofree char *err = NULL;
    TrnTest t;
    TrnRing r;
    TrnDev d;

    trn_start(&t, "-device trn,id=t0,addr=04.0,hbm-size=16M");
    trn_open(&t, &d, QPCI_DEVFN(4, 0));
    pt_map_hbm(&d, va, hbm, 4 * TRN_PAGE_SIZE);
    l1 = hbm_rd64(&d, d.root + 8 * TRN_PT_INDEX(va, 0)) & TRN_PTE_ADDR_MASK;
    l2 = hbm_rd64(&d, l1 + 8 * TRN_PT_INDEX(va, 1)) & TRN_PTE_ADDR_MASK;
    g_assert_cmpuint(rd32(&d, TRN_REG_ECC_LOG_COUNT), ==, 0);
    g_assert_cmphex(ecc_log_addr(&d, 0), ==, TRN_ECC_LOG_NONE);

    /* Outside device memory: refused, nothing counted */
    err = qom_set_t0(&t, "inject-ecc-uncorrected-addr", d.hbm);
    g_assert_nonnull(err);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_UNCORRECTED_TOTAL), ==, 0);

    /* Page 1 of the mapping, by an address inside it */
    g_assert_null(qom_set_t0(&t, "inject-ecc-uncorrected-addr",
                             hbm + TRN_PAGE_SIZE + 100));
    g_assert_cmpuint(rd32(&d, TRN_REG_ECC_LOG_COUNT), ==, 1);
    g_assert_cmphex(ecc_log_addr(&d, 0), ==, hbm + TRN_PAGE_SIZE);
    g_assert_cmphex(ecc_log_addr(&d, 1), ==, TRN_ECC_LOG_NONE);
    g_assert_cmphex(ecc_log_addr(&d, 0xffffffff), ==, TRN_ECC_LOG_NONE);
    g_assert_cmphex(rd32(&d, TRN_REG_IRQ_CAUSE) & TRN_IRQ_ECC, ==,
                    TRN_IRQ_ECC);
    wr32(&d, TRN_REG_IRQ_CAUSE, TRN_IRQ_ECC);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_UNCORRECTED), ==, 1);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_UNCORRECTED_TOTAL), ==, 1);

    /* Page 0 works; a read or a write that reaches page 1 fails there */
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, va, va + 2 * TRN_PAGE_SIZE,
             TRN_PAGE_SIZE);
    g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
    ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, va, va + 2 * TRN_PAGE_SIZE,
             2 * TRN_PAGE_SIZE);
    expect_fault(&t, &r, TRN_DMA_ERR_ECC, 2, va + TRN_PAGE_SIZE);
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, va + TRN_PAGE_SIZE + 8, 1);
    expect_fault(&t, &r, TRN_DMA_ERR_ECC, 1, va + TRN_PAGE_SIZE + 8);

    /* The same page again: counted, not logged again, no interrupt */
    g_assert_null(qom_set_t0(&t, "inject-ecc-uncorrected-addr",
                             hbm + TRN_PAGE_SIZE));
    g_assert_cmpuint(rd32(&d, TRN_REG_ECC_LOG_COUNT), ==, 1);
    g_assert_cmphex(rd32(&d, TRN_REG_IRQ_CAUSE) & TRN_IRQ_ECC, ==, 0);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_UNCORRECTED), ==, 2);

    /* A page table: every translation through it fails */
    g_assert_null(qom_set_t0(&t, "inject-ecc-uncorrected-addr", l2));
    g_assert_cmphex(ecc_log_addr(&d, 1), ==, l2);
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, va, 1);
    expect_fault(&t, &r, TRN_DMA_ERR_ECC, 1, va);

    /* Count-only errors still count into both */
    g_assert_null(qom_set_t0(&t, "inject-ecc-corrected", 5));
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_CORRECTED_TOTAL), ==, 5);

    /* A reset: volatile to 0, totals, log and poison kept */
    wr32(&d, TRN_REG_RESET, TRN_RESET_KEY);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_UNCORRECTED), ==, 0);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_CORRECTED), ==, 0);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_UNCORRECTED_TOTAL), ==, 3);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_CORRECTED_TOTAL), ==, 5);
    g_assert_cmpuint(rd32(&d, TRN_REG_ECC_LOG_COUNT), ==, 2);
    g_assert_cmphex(ecc_log_addr(&d, 0), ==, hbm + TRN_PAGE_SIZE);
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, va, 1);
    expect_fault(&t, &r, TRN_DMA_ERR_ECC, 1, va);

    /* A new board (x-ecc-replace): nothing poisoned, logged or counted */
    qobject_unref(qtest_qmp_assert_success_ref(t.qts,
        "{'execute': 'qom-set', 'arguments': {'path': "
        "'/machine/peripheral/t0', 'property': 'x-ecc-replace', "
        "'value': true}}"));
    g_assert_cmpuint(rd32(&d, TRN_REG_ECC_LOG_COUNT), ==, 0);
    g_assert_cmphex(ecc_log_addr(&d, 0), ==, TRN_ECC_LOG_NONE);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_UNCORRECTED_TOTAL), ==, 0);
    g_assert_cmpuint(rd64(&d, TRN_REG_ECC_CORRECTED_TOTAL), ==, 0);
    ring_open(&t, &r, &d, 0);
    ring_context(&t, &r, 1, d.root);
    ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, va + TRN_PAGE_SIZE, 1);
    g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
    trn_close(&d);
    trn_stop(&t);
}

/*
 * DMA while the memory map of the machine changes: every memory
 * transaction (here, another device's memory decoding turned off and on)
 * replaces the flatviews of all address spaces, and QEMU frees the old
 * ones after an RCU grace period, which must wait for the workers in the
 * middle of a translation (they are RCU readers). The copies between host
 * RAM and HBM must all complete with the right data. A race: it fails
 * only now and then without the fix (under AddressSanitizer, as a use
 * after free), but it must never fail.
 */
static void test_dma_under_remap(void)
{
    const uint64_t chunk = 64 * 1024;
    uint8_t *want = g_malloc(chunk), *got = g_malloc(chunk);
    uint64_t sys, o;
    TrnTest t;
    TrnRing r;
    TrnDev a, b;
    gint64 end;
    unsigned i, rounds = 0;
    uint16_t cmd;

    trn_start(&t, "-device trn,addr=04.0,hbm-size=16M "
              "-device trn,addr=05.0,hbm-size=16M,serial=0xabcdef012345,"
              "firmware-version=2.13.4097");
    trn_open(&t, &a, QPCI_DEVFN(4, 0));
    trn_open(&t, &b, QPCI_DEVFN(5, 0));
    g_assert_cmphex(rd64(&b, TRN_REG_SERIAL), ==, 0xabcdef012345);
    g_assert_cmphex(rd32(&b, TRN_REG_FW_VERSION), ==, 0x020d1001);
    sys = QEMU_ALIGN_UP(guest_alloc(&t.alloc, chunk + TRN_PAGE_SIZE),
                        TRN_PAGE_SIZE);
    for (i = 0; i < chunk; i++) {
        want[i] = i * 13 + 5;
    }
    qtest_memwrite(t.qts, sys, want, chunk);
    pt_map_hbm(&a, 0x10000000, 0x200000, 2 * chunk);
    for (o = 0; o < chunk; o += TRN_PAGE_SIZE) {
        pt_map(&a, a.root, 0x20000000 + o, (sys + o) | TRN_PTE_VALID |
               TRN_PTE_WRITE | TRN_PTE_SYSTEM);
    }
    cmd = qpci_config_readw(b.pdev, PCI_COMMAND);
    end = g_get_monotonic_time() + 4 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        /* host -> HBM -> HBM -> host, in 4 KiB pieces and whole */
        ring_open(&t, &r, &a, rounds % 8);
        ring_context(&t, &r, 1, a.root);
        for (o = 0; o < chunk; o += 4 * TRN_PAGE_SIZE) {
            ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, 0x20000000 + o,
                     0x10000000 + o, 4 * TRN_PAGE_SIZE);
        }
        ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, 0x10000000,
                 0x10000000 + chunk, chunk);
        ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, 0x10000000 + chunk,
                 0x20000000, chunk);
        ring_doorbell(&r);
        while (qrd(&a, r.q, TRN_DMA_Q_HEAD) != r.tail &&
               !(qrd(&a, r.q, TRN_DMA_Q_STATUS) & TRN_DMA_Q_STS_ERROR)) {
            qpci_config_writew(b.pdev, PCI_COMMAND,
                               cmd & ~PCI_COMMAND_MEMORY);
            qpci_config_writew(b.pdev, PCI_COMMAND, cmd);
        }
        g_assert_cmpuint(ring_wait(&r), ==, TRN_DMA_ERR_NONE);
        qtest_memread(t.qts, sys, got, chunk);
        g_assert(!memcmp(got, want, chunk));
        rounds++;
    }
    g_test_message("%u rounds", rounds);
    g_free(want);
    g_free(got);
    trn_close(&a);
    trn_close(&b);
    trn_stop(&t);
}

/* --- Power cap and throttling (1.8) --- */

/*
 * The cap is clamped to [power-cap-min, power-cap-max]; an idle board above
 * a cap below its idle power throttles for power, a hot one for heat (with
 * 5 degrees of hysteresis), each change of reasons raises TRN_IRQ_THROTTLE,
 * THROTTLE_NS counts while any reason holds; a reset restores the cap and
 * zeroes the count. ambient-temp takes only what a board can stand.
 */
static void test_power_throttle(void)
{
    g_autofree char *err = NULL;
    uint64_t ns, ns2;
    uint32_t temp;
    TrnTest t;
    TrnDev d;

    /* A cap down to 10 W: below the idle board's 60 W */
    trn_start(&t, "-device trn,id=t0,addr=04.0,hbm-size=16M,"
              "power-cap-min=10000,power-cap-max=200000,power-cap=150000");
    trn_open(&t, &d, QPCI_DEVFN(4, 0));
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP_MIN), ==, 10000);
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP_MAX), ==, 200000);
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP), ==, 150000);
    g_assert_cmphex(rd32(&d, TRN_REG_TEMP_MAX), ==, 85000);

    /* Clamped, whatever the guest writes; 64-bit writes are ignored */
    wr32(&d, TRN_REG_POWER_CAP, 0);
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP), ==, 10000);
    wr32(&d, TRN_REG_POWER_CAP, 0xffffffff);
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP), ==, 200000);
    wr32(&d, TRN_REG_POWER_CAP, 123456);
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP), ==, 123456);
    wr64(&d, TRN_REG_POWER_CAP, 20000);
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP), ==, 123456);

    /* Idle at 60 W under a 10 W cap: throttled for power, signalled */
    wr32(&d, TRN_REG_IRQ_MASK, TRN_IRQ_THROTTLE);
    clock_ms(&t, 1000);
    g_assert_cmphex(rd32(&d, TRN_REG_THROTTLE), ==, 0);
    g_assert_false(throttle_irq(&d));
    g_assert_cmpuint(rd64(&d, TRN_REG_THROTTLE_NS), ==, 0);
    wr32(&d, TRN_REG_POWER_CAP, 10000);
    throttle_wait(&t, &d, TRN_THROTTLE_POWER, 3000);
    g_assert_true(throttle_irq(&d));
    ns = rd64(&d, TRN_REG_THROTTLE_NS);
    clock_ms(&t, 2000);
    ns2 = rd64(&d, TRN_REG_THROTTLE_NS);
    g_assert_cmpuint(ns2, >=, ns + 2000ULL * 1000 * 1000);
    g_assert_cmpuint(ns2, <=, ns + 2100ULL * 1000 * 1000);
    /* The same reasons: no new interrupt */
    g_assert_false(throttle_irq(&d));
    /* The cap lifted: the cores recover within a few ticks */
    wr32(&d, TRN_REG_POWER_CAP, 200000);
    throttle_wait(&t, &d, 0, 3000);
    g_assert_true(throttle_irq(&d));
    ns = rd64(&d, TRN_REG_THROTTLE_NS);
    clock_ms(&t, 1000);
    g_assert_cmpuint(rd64(&d, TRN_REG_THROTTLE_NS), ==, ns);

    /* Heat: above temp-max, thermal; it ends 5 degrees below */
    err = qom_set_t0(&t, "ambient-temp", 151);
    g_assert_nonnull(err);
    g_assert_null(qom_set_t0(&t, "ambient-temp", 120));
    throttle_wait(&t, &d, TRN_THROTTLE_THERMAL, 10000);
    g_assert_true(throttle_irq(&d));
    g_assert_cmpuint(rd32(&d, TRN_REG_TEMP), >, 85000);
    /* Both reasons at once */
    wr32(&d, TRN_REG_POWER_CAP, 10000);
    throttle_wait(&t, &d, TRN_THROTTLE_THERMAL | TRN_THROTTLE_POWER, 3000);
    g_assert_true(throttle_irq(&d));
    wr32(&d, TRN_REG_POWER_CAP, 200000);
    throttle_wait(&t, &d, TRN_THROTTLE_THERMAL, 3000);
    throttle_irq(&d);
    /* Cooling: still thermal just below temp-max */
    g_assert_null(qom_set_t0(&t, "ambient-temp", 30));
    do {
        clock_ms(&t, 100);
        temp = rd32(&d, TRN_REG_TEMP);
    } while (temp > 84000);
    g_assert_cmphex(rd32(&d, TRN_REG_THROTTLE), ==, TRN_THROTTLE_THERMAL);
    throttle_wait(&t, &d, 0, 20000);
    g_assert_cmpuint(rd32(&d, TRN_REG_TEMP), <, 80000);
    g_assert_true(throttle_irq(&d));

    /* A reset: the cap of the properties, the count from zero */
    wr32(&d, TRN_REG_POWER_CAP, 10000);
    throttle_wait(&t, &d, TRN_THROTTLE_POWER, 3000);
    wr32(&d, TRN_REG_RESET, TRN_RESET_KEY);
    g_assert_cmpuint(rd32(&d, TRN_REG_POWER_CAP), ==, 150000);
    g_assert_cmphex(rd32(&d, TRN_REG_THROTTLE), ==, 0);
    g_assert_cmpuint(rd64(&d, TRN_REG_THROTTLE_NS), ==, 0);
    g_assert_cmphex(rd32(&d, TRN_REG_IRQ_CAUSE), ==, 0);
    trn_close(&d);
    trn_stop(&t);
}

/* Run a program of @n NOPs on NeuronCore 0; its busy time, ns. */
static uint64_t nops_busy_ns(TrnTest *t, TrnDev *d, uint64_t va, unsigned n)
{
    uint64_t b0 = rd64(d, TRN_CORE_REG(0, TRN_CORE_BUSY_NS));
    TrnRing r;

    ring_open(t, &r, d, 2 * 4);
    ring_context(t, &r, 1, d->root);
    ring_put(t, &r, TRN_DMA_OP_EXEC, 0, 0, va, 0, (uint64_t)n * TRN_INSN_SIZE);
    g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
    return rd64(d, TRN_CORE_REG(0, TRN_CORE_BUSY_NS)) - b0;
}

/*
 * Throttling slows real execution: the same program takes several times
 * as long on a core at 1/8 of its speed (busy time, which counts the
 * waits, and wall time alike), and every instruction still runs.
 */
static void test_power_slows_cores(void)
{
    const uint64_t va = 0x10000000, hbm = 0x200000;
    const unsigned n = 4096, rounds = 3;
    uint64_t free_ns = 0, slow_ns = 0, insns;
    gint64 t0, free_us, slow_us;
    unsigned i;
    TrnTest t;
    TrnDev d;

    trn_start(&t, "-device trn,addr=04.0,hbm-size=16M,power-cap-min=10000");
    trn_open(&t, &d, QPCI_DEVFN(4, 0));
    /* Zeroed HBM: all NOPs */
    pt_map_hbm(&d, va, hbm, (uint64_t)n * TRN_INSN_SIZE);
    t0 = g_get_monotonic_time();
    for (i = 0; i < rounds; i++) {
        free_ns += nops_busy_ns(&t, &d, va, n);
    }
    free_us = g_get_monotonic_time() - t0;
    /* An idle board's 60 W over a 10 W cap: down to 1/8 */
    wr32(&d, TRN_REG_POWER_CAP, 10000);
    throttle_wait(&t, &d, TRN_THROTTLE_POWER, 3000);
    clock_ms(&t, 3000);
    t0 = g_get_monotonic_time();
    for (i = 0; i < rounds; i++) {
        slow_ns += nops_busy_ns(&t, &d, va, n);
    }
    slow_us = g_get_monotonic_time() - t0;
    g_test_message("%u x %u NOPs: %" PRIu64 " ns busy, %" PRId64 " us at full "
                   "speed; %" PRIu64 " ns, %" PRId64 " us at 1/8", rounds, n,
                   free_ns, free_us, slow_ns, slow_us);
    g_assert_cmpuint(slow_ns, >, 3 * free_ns);
    g_assert_cmpint(slow_us, >, free_us);
    insns = rd64(&d, TRN_CORE_REG(0, TRN_CORE_INSNS));
    g_assert_cmpuint(insns, ==, 2ULL * rounds * n);
    trn_close(&d);
    trn_stop(&t);
}

/* Properties that do not fit the board are refused at realize. */
static void test_power_props(void)
{
    /* power-cap-min, power-cap-max, power-cap, temp-max; rated 270 W */
    static const uint32_t bad[][4] = {
        { 0, 0, 0, 85 },
        { 300000, 0, 0, 85 },
        { 65000, 300000, 0, 85 },
        { 100000, 90000, 0, 85 },
        { 65000, 0, 20000, 85 },
        { 65000, 0, 0, 0 },
        { 65000, 0, 0, 39 },
        { 65000, 0, 0, 95 },
    };
    TrnTest t;
    QDict *rsp;
    unsigned i;

    trn_start(&t, "-device pcie-root-port,id=rp1,addr=05.0,chassis=1,slot=1");
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        rsp = qtest_qmp(t.qts, "{'execute': 'device_add', 'arguments': "
                        "{'driver': 'trn', 'id': 'x', 'bus': 'rp1', "
                        "'hbm-size': 16777216, 'power-cap-min': %u, "
                        "'power-cap-max': %u, 'power-cap': %u, "
                        "'temp-max': %u}}",
                        bad[i][0], bad[i][1], bad[i][2], bad[i][3]);
        g_assert(qdict_haskey(rsp, "error"));
        qobject_unref(rsp);
    }
    /* The same with good values is added */
    rsp = qtest_qmp(t.qts, "{'execute': 'device_add', 'arguments': "
                    "{'driver': 'trn', 'id': 'x', 'bus': 'rp1', "
                    "'hbm-size': 16777216, 'power-cap-min': 100000, "
                    "'power-cap-max': 200000, 'temp-max': 90}}");
    g_assert(!qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    trn_stop(&t);
}

/* --- Peer DMA --- */

/*
 * One COPY across two peers' export spaces whose tables sit at the same
 * offset: the walk of the second must not use the first one's table
 * (issue 12, finding 1: X has 17 MiB, its level 2 table at 16.5 MiB, past
 * the end of Y's 16 MiB).
 */
static void test_peer_two_exporters(void)
{
    uint8_t buf[2 * 4096];
    TrnDev a, x, y;
    TrnTest t;
    TrnRing r;
    unsigned i;

    trn_start(&t, "-device trn,id=a,addr=04.0,chip-id=1,hbm-size=16M,"
              "port0=x:0,port1=y:0 "
              "-device trn,id=x,addr=05.0,chip-id=2,hbm-size=17M,port0=a:0 "
              "-device trn,id=y,addr=06.0,chip-id=3,hbm-size=16M,port0=a:1");
    trn_open(&t, &a, QPCI_DEVFN(4, 0));
    trn_open(&t, &x, QPCI_DEVFN(5, 0));
    trn_open(&t, &y, QPCI_DEVFN(6, 0));
    link_wait_up(&t, &a, 0);
    link_wait_up(&t, &a, 1);

    /* x exports a page of 0x11, y one of 0x22, at export addresses 0 and 4K */
    for (i = 0; i < 4096; i += 8) {
        hbm_wr64(&x, 0x800000 + i, 0x1111111111111111ULL);
        hbm_wr64(&y, 0x800000 + i, 0x2222222222222222ULL);
    }
    export_hbm(&x, 0, 0x800000, 4096, 33 * MiB_ / 2);
    export_hbm(&y, 4096, 0x800000, 4096, 0);
    /* Adjacent pages of a: x's page, then y's */
    map_peer(&a, 0x20000000, 0, 2, 0, 4096);
    map_peer(&a, 0x20001000, 1, 3, 4096, 4096);
    pt_map_hbm(&a, 0x30000000, 0x400000, sizeof(buf));

    ring_open(&t, &r, &a, 0);
    ring_context(&t, &r, 1, a.root);
    ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, 0x20000000, 0x30000000,
             sizeof(buf));
    g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
    qpci_memread(a.pdev, a.bar2, 0x400000, buf, sizeof(buf));
    for (i = 0; i < 4096; i++) {
        g_assert_cmphex(buf[i], ==, 0x11);
        g_assert_cmphex(buf[4096 + i], ==, 0x22);
    }
    /* Each port counted its page */
    g_assert_cmpuint(rd64(&a, TRN_LINK_REG(0, TRN_LINK_RX_BYTES)), ==, 4096);
    g_assert_cmpuint(rd64(&a, TRN_LINK_REG(1, TRN_LINK_RX_BYTES)), ==, 4096);
    g_assert_cmpuint(rd64(&y, TRN_LINK_REG(0, TRN_LINK_TX_BYTES)), ==, 4096);
    trn_close(&a);
    trn_close(&x);
    trn_close(&y);
    trn_stop(&t);
}

/*
 * Unplug a device while a peer copies from its HBM and into it, over and
 * over: the peer's worker must never touch the memory of the device that
 * went away (issue 12: hot-unplug). The copies fail with
 * TRN_DMA_ERR_LINK once it is gone; the peer keeps working.
 */
static void test_peer_unplug(void)
{
    const uint64_t n = 8 * MiB_;
    QPCIDevice *rp;
    TrnTest t;
    TrnDev a, b;
    TrnRing r;
    unsigned round, i;
    uint32_t err;

    trn_start(&t, "-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off "
              "-device trn,id=a,addr=04.0,chip-id=1,hbm-size=32M,port0=b:0 "
              "-device pcie-root-port,id=rp1,addr=05.0,chassis=1,slot=1 "
              "-device trn,id=b,bus=rp1,chip-id=2,hbm-size=32M,port0=a:0");
    rp = qpci_device_find(t.bus, QPCI_DEVFN(5, 0));
    g_assert(rp);
    qpci_secondary_buses_init(t.bus);
    qpci_device_enable(rp);

    for (round = 0; round < 4; round++) {
        if (round) {
            slot_power(rp, true);
            qtest_qmp_device_add(t.qts, "trn", "b", "{'bus': 'rp1', "
                                 "'chip-id': 2, 'hbm-size': 33554432, "
                                 "'port0': 'a:0'}");
        }
        open_behind_port(&t, &b, rp);
        if (!round) {
            trn_open(&t, &a, QPCI_DEVFN(4, 0));
            pt_map_hbm(&a, 0x30000000, 0x800000, n);
        }
        link_wait_up(&t, &a, 0);
        export_hbm(&b, 0, 0x800000, n, 0);
        map_peer(&a, 0x20000000, 0, 2, 0, n);

        /* Copies from b, then into b, until the ring is full */
        ring_open(&t, &r, &a, round % 4);
        ring_context(&t, &r, 1, a.root);
        for (i = 1; i < RING_ENTRIES; i++) {
            if (i & 1) {
                ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, 0x20000000,
                         0x30000000, n);
            } else {
                ring_put(&t, &r, TRN_DMA_OP_COPY, 0, 0, 0x30000000,
                         0x20000000, n);
            }
        }
        ring_doorbell(&r);
        g_usleep(2000 + round * 3000);
        trn_close(&b);
        slot_power(rp, false);
        /* Gone: a's copies stop on the link, or were all done */
        err = ring_wait(&r);
        g_assert(err == TRN_DMA_ERR_NONE || err == TRN_DMA_ERR_LINK);
        g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_STATE)), ==,
                         TRN_LINK_STATE_DOWN);
        /* a still works */
        ring_open(&t, &r, &a, 4);
        ring_context(&t, &r, 1, a.root);
        ring_put(&t, &r, TRN_DMA_OP_WRITE, 0, 0, 0, 0x30000000, round);
        g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_NONE);
        g_assert_cmpuint(hbm_rd64(&a, 0x800000), ==, round);
    }
    trn_close(&a);
    g_free(rp);
    trn_stop(&t);
}

/* --- Cables between processes --- */

/* qom-set of a bool property of device @id. */
static void qom_set_bool(TrnTest *t, const char *id, const char *prop,
                         bool val)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    QDict *rsp = qtest_qmp(t->qts, "{'execute': 'qom-set', 'arguments': "
                           "{'path': %s, 'property': %s, 'value': %i}}",
                           path, prop, val);

    g_assert(!qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
}

/*
 * Wait until port @port of @d reads @state, the clocks of both processes
 * moving (the far process's messages arrive in this one's main loop).
 */
static void link_wait_state(TrnTest *t, TrnDev *d, unsigned port,
                            TrnTest *far, uint32_t state)
{
    int i;

    for (i = 0; i < 2000; i++) {
        if (rd32(d, TRN_LINK_REG(port, TRN_LINK_STATE)) == state) {
            return;
        }
        qtest_clock_step(t->qts, 10 * 1000 * 1000);
        if (far) {
            qtest_clock_step(far->qts, 10 * 1000 * 1000);
        }
        g_usleep(1000);
    }
    g_assert_not_reached();
}

/* Run a COPY on ring @q of @d until it is not refused as REMOTE (yet). */
static uint32_t copy_settled(TrnTest *t, TrnDev *d, unsigned q, uint64_t src,
                             uint64_t dst, uint64_t n)
{
    TrnRing r;
    uint32_t err = TRN_DMA_ERR_REMOTE;
    int i;

    for (i = 0; i < 500 && err == TRN_DMA_ERR_REMOTE; i++) {
        if (i) {
            g_usleep(10 * 1000);
        }
        ring_open(t, &r, d, q);
        ring_context(t, &r, 1, d->root);
        ring_put(t, &r, TRN_DMA_OP_COPY, 0, 0, src, dst, n);
        err = ring_run(&r);
    }
    return err;
}

#define CABLE_DEV(mem, chr, host, port) \
    "-object memory-backend-memfd,id=m,size=16M,share=on " \
    "-device trn,id=h" #host ",addr=04.0,chip-id=5,memdev=m,host=" #host "," \
    "port" #port "-chardev=c0"

/*
 * Two QEMU processes, a device each (both chip 5, hosts 0 and 1), cabled
 * port 0 to port 1 over a Unix socket: the links train and name the far
 * host, chip and port; peer DMA both ways through the shared HBM; the
 * ports count it; admin down and up at the far end; the far process is
 * killed, the near link goes down and copies over it fail with LINK.
 */
static void test_cable_processes(void)
{
    g_autofree char *dir = g_dir_make_tmp("trn-cable-XXXXXX", NULL);
    g_autofree char *sock = g_strdup_printf("%s/cable", dir);
    const uint64_t n = 64 * 1024;
    uint8_t buf[4096];
    TrnTest t0, t1;
    TrnDev a, b;
    unsigned i;

    trn_start(&t0, "-chardev socket,id=c0,path=%s,server=on,wait=off "
              CABLE_DEV(m, c0, 0, 0), sock);
    trn_start(&t1, "-chardev socket,id=c0,path=%s,reconnect-ms=100 "
              CABLE_DEV(m, c0, 1, 1), sock);
    trn_open(&t0, &a, QPCI_DEVFN(4, 0));
    trn_open(&t1, &b, QPCI_DEVFN(4, 0));
    g_assert(rd64(&a, TRN_REG_CAPS) & TRN_CAP_RACK);
    g_assert_cmpuint(rd32(&a, TRN_REG_HOST_ID), ==, 0);
    g_assert_cmpuint(rd32(&b, TRN_REG_HOST_ID), ==, 1);
    link_wait_state(&t0, &a, 0, &t1, TRN_LINK_STATE_UP);
    link_wait_state(&t1, &b, 1, &t0, TRN_LINK_STATE_UP);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_PEER_HOST)), ==, 1);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_PEER_CHIP)), ==, 5);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_PEER_PORT)), ==, 1);
    g_assert_cmpuint(rd32(&b, TRN_LINK_REG(1, TRN_LINK_PEER_HOST)), ==, 0);
    g_assert_cmpuint(rd32(&b, TRN_LINK_REG(1, TRN_LINK_PEER_PORT)), ==, 0);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_SPEED)), ==, 100);
    /* Other ports, and a port of an uncabled device, know nobody */
    g_assert_cmphex(rd32(&a, TRN_LINK_REG(1, TRN_LINK_PEER_HOST)), ==,
                    TRN_LINK_PEER_NONE);

    /* b exports 64 KiB of 0x5a; a pulls it, then pushes its own back */
    for (i = 0; i < n; i += 8) {
        hbm_wr64(&b, 0x800000 + i, 0x5a5a5a5a5a5a5a5aULL);
        hbm_wr64(&a, 0x400000 + i, 0xa5a5a5a5a5a5a5a5ULL);
    }
    export_hbm(&b, 0, 0x800000, n, 0);
    map_peer(&a, 0x20000000, 0, 5, 0, n);
    pt_map_hbm(&a, 0x30000000, 0x400000, 2 * n);
    g_assert_cmpuint(copy_settled(&t0, &a, 0, 0x20000000, 0x30000000 + n, n),
                     ==, TRN_DMA_ERR_NONE);
    qpci_memread(a.pdev, a.bar2, 0x400000 + n, buf, sizeof(buf));
    for (i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, 0x5a);
    }
    g_assert_cmpuint(copy_settled(&t0, &a, 1, 0x30000000, 0x20000000, n),
                     ==, TRN_DMA_ERR_NONE);
    qpci_memread(b.pdev, b.bar2, 0x800000 + n - sizeof(buf), buf,
                 sizeof(buf));
    for (i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, 0xa5);
    }
    /* a counted both; b learns its counts over the socket */
    g_assert_cmpuint(rd64(&a, TRN_LINK_REG(0, TRN_LINK_RX_BYTES)), ==, n);
    g_assert_cmpuint(rd64(&a, TRN_LINK_REG(0, TRN_LINK_TX_BYTES)), ==, n);
    for (i = 0; i < 2000; i++) {
        if (rd64(&b, TRN_LINK_REG(1, TRN_LINK_RX_BYTES)) == n &&
            rd64(&b, TRN_LINK_REG(1, TRN_LINK_TX_BYTES)) == n) {
            break;
        }
        qtest_clock_step(t0.qts, 100 * 1000 * 1000);
        g_usleep(1000);
    }
    g_assert_cmpuint(rd64(&b, TRN_LINK_REG(1, TRN_LINK_RX_BYTES)), ==, n);
    g_assert_cmpuint(rd64(&b, TRN_LINK_REG(1, TRN_LINK_TX_BYTES)), ==, n);

    /* b's port taken down: a's goes down, copies fail; and back up */
    qom_set_bool(&t1, "h1", "port1-admin", false);
    link_wait_state(&t0, &a, 0, &t1, TRN_LINK_STATE_DOWN);
    g_assert_cmpuint(copy_settled(&t0, &a, 2, 0x20000000, 0x30000000, n),
                     ==, TRN_DMA_ERR_LINK);
    qom_set_bool(&t1, "h1", "port1-admin", true);
    link_wait_state(&t0, &a, 0, &t1, TRN_LINK_STATE_UP);
    g_assert_cmpuint(copy_settled(&t0, &a, 3, 0x20000000, 0x30000000, n),
                     ==, TRN_DMA_ERR_NONE);

    /*
     * A reset of b: a's port goes down and trains again, and b's export
     * space is gone (its root was reset before its port went down).
     */
    wr32(&a, TRN_LINK_REG(0, TRN_LINK_EVENTS), TRN_LINK_EV_ALL);
    wr32(&b, TRN_REG_RESET, TRN_RESET_KEY);
    for (i = 0; i < 2000; i++) {
        if (rd32(&a, TRN_LINK_REG(0, TRN_LINK_EVENTS)) & TRN_LINK_EV_STATE) {
            break;
        }
        g_usleep(1000);
    }
    link_wait_state(&t0, &a, 0, &t1, TRN_LINK_STATE_UP);
    {
        TrnRing r;

        ring_open(&t0, &r, &a, 4);
        ring_context(&t0, &r, 1, a.root);
        ring_put(&t0, &r, TRN_DMA_OP_COPY, 0, 0, 0x20000000, 0x30000000, n);
        g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_REMOTE);
    }

    /* The far process dies: down, copies fail with LINK, a still works */
    trn_close(&b);
    trn_stop(&t1);
    link_wait_state(&t0, &a, 0, NULL, TRN_LINK_STATE_DOWN);
    g_assert_cmpuint(copy_settled(&t0, &a, 5, 0x20000000, 0x30000000, n),
                     ==, TRN_DMA_ERR_LINK);
    g_assert_cmphex(rd32(&a, TRN_LINK_REG(0, TRN_LINK_PEER_HOST)), ==,
                    TRN_LINK_PEER_NONE);
    trn_close(&a);
    trn_stop(&t0);
    unlink(sock);
    rmdir(dir);
}

/*
 * A cable to another process needs HBM that process can map, a port of
 * the device, and no in-process cable on the same port.
 */
static void test_cable_props(void)
{
    TrnTest t;
    QDict *rsp;

#define CABLE_ADD(args) \
    qtest_qmp(t.qts, "{'execute': 'device_add', 'arguments': " \
              "{'driver': 'trn', 'id': 'x', 'bus': 'rp1', " args "}}")

    trn_start(&t, "-device pcie-root-port,id=rp1,addr=05.0,chassis=1,slot=1 "
              "-object memory-backend-memfd,id=m,size=16M,share=on "
              "-chardev socket,id=c0,path=/nonexistent/trn,reconnect-ms=1000 "
              "-chardev socket,id=c1,path=/nonexistent/trn,reconnect-ms=1000 "
              "-chardev socket,id=c2,path=/nonexistent/trn,reconnect-ms=1000 "
              "-chardev socket,id=c3,path=/nonexistent/trn,reconnect-ms=1000");
    rsp = CABLE_ADD("'hbm-size': 16777216, 'port0-chardev': 'c0'");
    g_assert(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    rsp = CABLE_ADD("'memdev': 'm', 'port4-chardev': 'c1'");
    g_assert(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    rsp = CABLE_ADD("'memdev': 'm', 'port0-chardev': 'c2', 'port0': 'y:0'");
    g_assert(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    /* A device that failed is freed after an RCU grace: another chardev */
    rsp = CABLE_ADD("'memdev': 'm', 'port0-chardev': 'c3'");
    g_assert(!qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
#undef CABLE_ADD
    trn_stop(&t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/trn/reset-values", test_reset_values);
    qtest_add_func("/trn/doorbell", test_doorbell);
    qtest_add_func("/trn/reset-busy", test_reset_busy);
    qtest_add_func("/trn/msix", test_msix);
    qtest_add_func("/trn/bad-descriptor", test_bad_descriptor);
    qtest_add_func("/trn/bad-page-table", test_bad_page_table);
    qtest_add_func("/trn/dma-under-remap", test_dma_under_remap);
    qtest_add_func("/trn/ecc-poison", test_ecc_poison);
    qtest_add_func("/trn/power-throttle", test_power_throttle);
    qtest_add_func("/trn/power-props", test_power_props);
    qtest_add_func("/trn/power-slows-cores", test_power_slows_cores);
    qtest_add_func("/trn/peer-two-exporters", test_peer_two_exporters);
    qtest_add_func("/trn/peer-unplug", test_peer_unplug);
    qtest_add_func("/trn/cable-processes", test_cable_processes);
    qtest_add_func("/trn/cable-props", test_cable_props);
    return g_test_run();
}
