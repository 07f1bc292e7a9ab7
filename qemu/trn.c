/*
 * trn: model of a Trainium-style ML accelerator (PCI Express endpoint).
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * BAR0 holds the registers and the MSI-X table, BAR2 exposes device memory
 * (HBM). The register map is defined in trn_regs.h, shared with the Linux
 * driver, and specified in Documentation/hw-interface.rst of the trn project.
 *
 * This file has the PCI function, its properties and the global register
 * block; trn.h lists the other files of the model.
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/cutils.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_aer.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "migration/vmstate.h"
#include "trace.h"
#include "trn.h"
#include "trn-cable.h"
#include "trn-core.h"
#include "trn-irq.h"
#include "trn-mem.h"
#include "trn-queue.h"
#include "trn-sem.h"
#include "trn-worker.h"

#define TRN_DEFAULT_HBM_SIZE    (1 * GiB)
#define TRN_MIN_HBM_SIZE        (16 * MiB)

static uint64_t trn_caps(TrnState *s)
{
    return TRN_CAP_HBM_BAR | TRN_CAP_IRQ_TEST | TRN_CAP_DMA | TRN_CAP_MMU |
           TRN_CAP_COMPUTE | TRN_CAP_LINK | TRN_CAP_PEER | TRN_CAP_HEALTH |
           TRN_CAP_ECC_LOG | TRN_CAP_INVENTORY | TRN_CAP_POWER |
           TRN_CAP_RACK;
}

/* Device-internal reset: what TRN_REG_RESET, FLR and a bus reset share. */
static void trn_soft_reset(TrnState *s, const char *why)
{
    trace_trn_reset(s->chip_id, why);
    s->scratch = 0;
    s->irq_cause = 0;
    s->irq_mask = 0;
    s->reset_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    qatomic_set(&s->peer_root, 0);
    trn_link_remap_peers(s);
    trn_queue_reset_all(s);
    trn_core_reset(s);
    trn_link_reset(s);
    trn_health_reset(s);
    trn_power_reset(s);
}

/*
 * TRN_REG_TLB_INVALIDATE: the workers drop the translations they hold, of
 * every ASID, and so do those of the peers, which may hold translations into
 * the export space.
 */
static void trn_tlb_invalidate(TrnState *s, uint32_t asid)
{
    if (asid >= s->asids) {
        qemu_log_mask(LOG_GUEST_ERROR, "trn: TLB_INVALIDATE of ASID %u, the "
                      "device has %u\n", asid, s->asids);
        return;
    }
    trace_trn_tlb_invalidate(s->chip_id, asid);
    trn_mem_remap(s);
    trn_link_remap_peers(s);
}

/* 64-bit registers: read whole by an 8-byte access, or as two halves. */
static bool trn_reg_read64(TrnState *s, hwaddr reg, uint64_t *val)
{
    switch (reg) {
    case TRN_REG_CAPS:
        *val = trn_caps(s);
        return true;
    case TRN_REG_HBM_SIZE:
        *val = s->hbm_bytes;
        return true;
    case TRN_REG_TIMESTAMP:
        *val = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->reset_ns;
        return true;
    case TRN_REG_PEER_ROOT:
        *val = s->peer_root;
        return true;
    case TRN_REG_SERIAL:
        *val = s->serial;
        return true;
    default:
        return trn_health_read64(s, reg, val);
    }
}

/*
 * TRN_REG_PEER_ROOT, whole or one half: peers' workers read it without the
 * BQL and must then forget what they translated through the old value.
 */
static void trn_peer_root_write(TrnState *s, hwaddr addr, uint64_t val,
                                unsigned size)
{
    uint64_t root = s->peer_root;

    if (size == 8) {
        root = val;
    } else {
        root = deposit64(root, (addr & 4) * 8, 32, val);
    }
    root &= TRN_PEER_ROOT_ADDR_MASK | TRN_PEER_ROOT_ENABLE;
    trace_trn_peer_root(s->chip_id, root);
    qatomic_set(&s->peer_root, root);
    trn_link_remap_peers(s);
}

static bool trn_reg_read32(TrnState *s, hwaddr reg, uint64_t *val)
{
    switch (reg) {
    case TRN_REG_MAGIC:
        *val = s->magic;
        return true;
    case TRN_REG_VERSION:
        *val = s->version;
        return true;
    case TRN_REG_CHIP_ID:
        *val = s->chip_id;
        return true;
    case TRN_REG_HOST_ID:
        *val = s->host;
        return true;
    case TRN_REG_NUM_CORES:
        *val = s->cores;
        return true;
    case TRN_REG_SCRATCH:
        *val = s->scratch;
        return true;
    case TRN_REG_STATUS:
        *val = trn_queue_quiescent(s) ? TRN_STATUS_READY : 0;
        return true;
    case TRN_REG_MSIX_VECTORS:
        *val = s->nvectors;
        return true;
    case TRN_REG_IRQ_CAUSE:
        *val = s->irq_cause;
        return true;
    case TRN_REG_IRQ_MASK:
        *val = s->irq_mask;
        return true;
    case TRN_REG_DMA_ENGINES:
        *val = s->dma_engines;
        return true;
    case TRN_REG_DMA_QUEUES:
        *val = s->dma_queues;
        return true;
    case TRN_REG_NUM_ASIDS:
        *val = s->asids;
        return true;
    case TRN_REG_NUM_SEMS:
        *val = s->nsems;
        return true;
    case TRN_REG_NUM_LINKS:
        *val = s->nlinks;
        return true;
    case TRN_REG_FW_VERSION:
        *val = s->fw_version;
        return true;
    case TRN_REG_RESET:
    case TRN_REG_IRQ_TEST:
    case TRN_REG_SEM_RESET:
    case TRN_REG_TLB_INVALIDATE:
        *val = 0;               /* write-only */
        return true;
    default:
        if (trn_health_read(s, reg, val)) {
            return true;
        }
        if (trn_reg_read64(s, reg & ~7ULL, val)) {
            *val = trn_reg_half(*val, reg);
            return true;
        }
        return false;
    }
}

static uint64_t trn_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    TrnState *s = opaque;
    uint64_t val = 0;
    bool ok;

    ok = size == 8 ? trn_reg_read64(s, addr, &val)
                   : trn_reg_read32(s, addr, &val);
    if (!ok) {
        trace_trn_mmio_unhandled(s->chip_id, "read", addr, size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: read of unknown register 0x%"
                      HWADDR_PRIx " size %u\n", addr, size);
        return 0;
    }
    trace_trn_mmio_read(s->chip_id, addr, size, val);
    return val;
}

static void trn_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    TrnState *s = opaque;

    trace_trn_mmio_write(s->chip_id, addr, size, val);
    if ((addr & ~7ULL) == TRN_REG_PEER_ROOT && !(addr & (size - 1))) {
        trn_peer_root_write(s, addr, val, size);
        return;
    }
    if (size != 4 || (addr & 3)) {
        goto bad;
    }
    switch (addr) {
    case TRN_REG_SCRATCH:
        s->scratch = val;
        return;
    case TRN_REG_RESET:
        if (val == TRN_RESET_KEY) {
            trn_soft_reset(s, "register");
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "trn: bad reset key 0x%"
                          PRIx64 "\n", val);
        }
        return;
    case TRN_REG_IRQ_CAUSE:
        s->irq_cause &= ~(uint32_t)val;
        return;
    case TRN_REG_IRQ_MASK:
        s->irq_mask = val & TRN_IRQ_ALL;
        trn_irq_update(s);
        return;
    case TRN_REG_IRQ_TEST:
        if (val & 1) {
            trn_irq_set(s, TRN_IRQ_TEST);
        }
        return;
    case TRN_REG_SEM_RESET:
        trn_sem_reset(s, val);
        return;
    case TRN_REG_TLB_INVALIDATE:
        trn_tlb_invalidate(s, val);
        return;
    default:
        if (trn_health_write(s, addr, val)) {
            return;
        }
    }
bad:
    trace_trn_mmio_unhandled(s->chip_id, "write", addr, size);
    qemu_log_mask(LOG_GUEST_ERROR, "trn: write to unknown or read-only "
                  "register 0x%" HWADDR_PRIx " size %u\n", addr, size);
}

static const MemoryRegionOps trn_mmio_ops =
    TRN_REG_OPS(trn_mmio_read, trn_mmio_write);

static bool trn_init_hbm(TrnState *s, Error **errp)
{
    uint64_t size = s->hbm_size;

    if (s->memdev) {
        MemoryRegion *mr = host_memory_backend_get_memory(s->memdev);
        uint64_t msize = memory_region_size(mr);

        if (host_memory_backend_is_mapped(s->memdev)) {
            error_setg(errp, "memdev '%s' is already in use",
                       object_get_canonical_path_component(OBJECT(s->memdev)));
            return false;
        }
        if (size && size != msize) {
            error_setg(errp, "hbm-size 0x%" PRIx64 " differs from the size "
                       "of memdev (0x%" PRIx64 ")", size, msize);
            return false;
        }
        size = msize;
        if (size < TRN_MIN_HBM_SIZE || size % MiB) {
            error_setg(errp, "memdev size must be a multiple of 1 MiB and at "
                       "least %u MiB", (unsigned)(TRN_MIN_HBM_SIZE / MiB));
            return false;
        }
        s->hbm = mr;
        host_memory_backend_set_mapped(s->memdev, true);
    } else {
        if (!size) {
            size = TRN_DEFAULT_HBM_SIZE;
        }
        if (size < TRN_MIN_HBM_SIZE || size % MiB) {
            error_setg(errp, "hbm-size must be a multiple of 1 MiB and at "
                       "least %u MiB", (unsigned)(TRN_MIN_HBM_SIZE / MiB));
            return false;
        }
        /*
         * Anonymous RAM: host pages are allocated only when touched. Not
         * registered for migration, which the device refuses anyway: after
         * an unplug, the workers of its peers may use it until an RCU grace
         * period has passed (trn-link.c), and a device plugged in at the
         * same address meanwhile would clash with its migration name.
         */
        if (!memory_region_init_ram_nomigrate(&s->hbm_ram, OBJECT(s),
                                              "trn.hbm", size, errp)) {
            return false;
        }
        s->hbm = &s->hbm_ram;
    }
    s->hbm_bytes = size;
    s->hbm_ptr = memory_region_get_ram_ptr(s->hbm);

    memory_region_init(&s->hbm_bar, OBJECT(s), "trn.hbm-bar", pow2ceil(size));
    memory_region_add_subregion(&s->hbm_bar, 0, s->hbm);
    pci_register_bar(PCI_DEVICE(s), TRN_BAR_HBM,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->hbm_bar);
    return true;
}

/* The queues, their workers, semaphores and NeuronCores. */
static bool trn_realize_queues(TrnState *s, Error **errp)
{
    if (!trn_sem_realize(s, errp)) {
        return false;
    }
    if (!trn_queue_realize(s, errp)) {
        goto err_sem;
    }
    if (!trn_core_realize(s, errp)) {
        goto err_queue;
    }
    if (!trn_worker_realize(s, errp)) {
        goto err_core;
    }
    return true;

err_core:
    trn_core_unrealize(s);
err_queue:
    trn_queue_unrealize(s);
err_sem:
    trn_sem_unrealize(s);
    return false;
}

static void trn_unrealize_queues(TrnState *s)
{
    trn_worker_unrealize(s);
    trn_core_unrealize(s);
    trn_queue_unrealize(s);
    trn_sem_unrealize(s);
}

/*
 * The identity registers (1.7): serial defaults to "TRN" in ASCII above the
 * low 24 bits of the chip id, firmware-version must be three numbers that
 * fit their fields.
 */
#define TRN_SERIAL_FROM_CHIP    0x54524e000000ULL

static bool trn_realize_identity(TrnState *s, Error **errp)
{
    unsigned long maj, min, pat;
    const char *p = s->fw_version_str;

    if (s->serial == UINT64_MAX) {
        s->serial = TRN_SERIAL_FROM_CHIP | (s->chip_id & 0xffffff);
    } else if (s->serial & ~TRN_SERIAL_MASK) {
        error_setg(errp, "serial 0x%" PRIx64 " does not fit in 48 bits",
                   s->serial);
        return false;
    }
    if (!p) {
        p = "1.0.0";
    }
    if (qemu_strtoul(p, &p, 10, &maj) || *p++ != '.' || maj > 0xff ||
        qemu_strtoul(p, &p, 10, &min) || *p++ != '.' || min > 0xff ||
        qemu_strtoul(p, NULL, 10, &pat) || pat > 0xffff) {
        error_setg(errp, "firmware-version '%s' is not MAJOR.MINOR.PATCH "
                   "(at most 255.255.65535)", s->fw_version_str);
        return false;
    }
    s->fw_version = TRN_FW_VERSION((uint32_t)maj, (uint32_t)min,
                                   (uint32_t)pat);
    return true;
}

/* Configuration space: the capabilities (Documentation/hw-interface.rst) */
#define TRN_PCIE_CAP_OFFSET 0x80
#define TRN_AER_OFFSET      0x100

static void trn_realize(PCIDevice *pdev, Error **errp)
{
    TrnState *s = TRN(pdev);
    unsigned i;

    if (!trn_realize_identity(s, errp)) {
        return;
    }
    if (pcie_endpoint_cap_init(pdev, TRN_PCIE_CAP_OFFSET) < 0) {
        error_setg(errp, "cannot add the PCI Express capability");
        return;
    }
    pcie_cap_flr_init(pdev);
    pcie_cap_deverr_init(pdev);
    pcie_cap_fill_link_ep_usp(pdev, s->link_width, s->link_speed);
    /* Advanced Error Reporting, so that errors can be injected (HMP). */
    if (pcie_aer_init(pdev, PCI_ERR_VER, TRN_AER_OFFSET, PCI_ERR_SIZEOF,
                      errp) < 0) {
        pcie_cap_exit(pdev);
        return;
    }

    memory_region_init(&s->bar0, OBJECT(s), "trn.bar0", TRN_BAR_REGS_SIZE);
    memory_region_init_io(&s->regs, OBJECT(s), &trn_mmio_ops, s, "trn.regs",
                          TRN_GLOBAL_SIZE);
    memory_region_add_subregion(&s->bar0, TRN_BLOCK_GLOBAL, &s->regs);
    if (!trn_realize_queues(s, errp)) {
        goto err_pcie;
    }
    if (!trn_health_realize_power(s, errp) || !trn_link_realize(s, errp)) {
        goto err_queues;
    }
    pci_register_bar(pdev, TRN_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->bar0);

    if (msix_init(pdev, s->nvectors, &s->bar0, TRN_BAR_REGS,
                  TRN_MSIX_TABLE_OFFSET, &s->bar0, TRN_BAR_REGS,
                  TRN_MSIX_PBA_OFFSET, 0, errp) < 0) {
        goto err_link;
    }
    for (i = 0; i < s->nvectors; i++) {
        msix_vector_use(pdev, i);
    }

    if (!trn_init_hbm(s, errp)) {
        goto err_msix;
    }
    trn_cable_start(s);
    trn_health_realize(s);
    trn_soft_reset(s, "realize");
    trn_worker_start(s);
    return;

err_msix:
    msix_uninit(pdev, &s->bar0, &s->bar0);
err_link:
    trn_link_unrealize(s);
err_queues:
    trn_unrealize_queues(s);
err_pcie:
    pcie_aer_exit(pdev);
    pcie_cap_exit(pdev);
}

static void trn_exit(PCIDevice *pdev)
{
    TrnState *s = TRN(pdev);

    trn_health_unrealize(s);
    trn_link_unrealize(s);
    trn_unrealize_queues(s);
    msix_uninit(pdev, &s->bar0, &s->bar0);
    pcie_aer_exit(pdev);
    pcie_cap_exit(pdev);
    if (s->memdev) {
        host_memory_backend_set_mapped(s->memdev, false);
    }
}

static void trn_reset_hold(Object *obj, ResetType type)
{
    TrnState *s = TRN(obj);

    trn_soft_reset(s, "bus");
}

static bool trn_bus_master(PCIDevice *pdev)
{
    return pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
}

static void trn_config_write(PCIDevice *pdev, uint32_t addr, uint32_t val,
                             int len)
{
    bool master = trn_bus_master(pdev);

    pci_default_write_config(pdev, addr, val, len);
    /*
     * Bus mastering off: host memory is out of reach now, and the workers
     * must not go on using what they mapped of it before.
     */
    if (master && !trn_bus_master(pdev)) {
        trn_mem_remap(TRN(pdev));
    }
    pcie_cap_flr_write_config(pdev, addr, val, len);
    pcie_aer_write_config(pdev, addr, val, len);
}

/*
 * port<N>=ID:Q: port N is cabled to port Q of the trn device with id ID;
 * port<N>-chardev=CHR: to a device of another process, over socket CHR.
 */
#define TRN_PROP_PORT(n) \
    DEFINE_PROP_STRING("port" #n, TrnState, links[n].cable)
#define TRN_PROP_PORT_CHR(n) \
    DEFINE_PROP_CHR("port" #n "-chardev", TrnState, links[n].remote.chr)

static const Property trn_props[] = {
    DEFINE_PROP_UINT32("chip-id", TrnState, chip_id, 0),
    DEFINE_PROP_UINT32("host", TrnState, host, 0),
    DEFINE_PROP_UINT32("cores", TrnState, cores, 2),
    DEFINE_PROP_SIZE("hbm-size", TrnState, hbm_size, 0),
    DEFINE_PROP_LINK("memdev", TrnState, memdev, TYPE_MEMORY_BACKEND,
                     HostMemoryBackend *),
    DEFINE_PROP_PCIE_LINK_SPEED("link-speed", TrnState, link_speed,
                                PCIE_LINK_SPEED_32),
    DEFINE_PROP_PCIE_LINK_WIDTH("link-width", TrnState, link_width,
                                PCIE_LINK_WIDTH_16),
    DEFINE_PROP_UINT32("dma-engines", TrnState, dma_engines, 2),
    DEFINE_PROP_UINT32("dma-queues", TrnState, dma_queues, 4),
    DEFINE_PROP_UINT32("asids", TrnState, asids, 64),
    DEFINE_PROP_UINT32("sems", TrnState, nsems, 32),
    DEFINE_PROP_UINT32("links", TrnState, nlinks, 4),
    DEFINE_PROP_UINT32("link-lane-gbps", TrnState, link_lane_gbps, 100),
    DEFINE_PROP_UINT32("link-lanes", TrnState, link_lanes, 4),
    DEFINE_PROP_UINT32("temp-max", TrnState, power.temp_max, 85),
    DEFINE_PROP_UINT32("power-cap-min", TrnState, power.cap_min_mw, 65000),
    DEFINE_PROP_UINT32("power-cap-max", TrnState, power.cap_max_mw, 0),
    DEFINE_PROP_UINT32("power-cap", TrnState, power.cap_init_mw, 0),
    DEFINE_PROP_UINT64("serial", TrnState, serial, UINT64_MAX),
    DEFINE_PROP_STRING("firmware-version", TrnState, fw_version_str),
    TRN_PROP_PORT(0), TRN_PROP_PORT(1), TRN_PROP_PORT(2), TRN_PROP_PORT(3),
    TRN_PROP_PORT(4), TRN_PROP_PORT(5), TRN_PROP_PORT(6), TRN_PROP_PORT(7),
    TRN_PROP_PORT(8), TRN_PROP_PORT(9), TRN_PROP_PORT(10), TRN_PROP_PORT(11),
    TRN_PROP_PORT(12), TRN_PROP_PORT(13), TRN_PROP_PORT(14),
    TRN_PROP_PORT(15),
    TRN_PROP_PORT_CHR(0), TRN_PROP_PORT_CHR(1), TRN_PROP_PORT_CHR(2),
    TRN_PROP_PORT_CHR(3), TRN_PROP_PORT_CHR(4), TRN_PROP_PORT_CHR(5),
    TRN_PROP_PORT_CHR(6), TRN_PROP_PORT_CHR(7), TRN_PROP_PORT_CHR(8),
    TRN_PROP_PORT_CHR(9), TRN_PROP_PORT_CHR(10), TRN_PROP_PORT_CHR(11),
    TRN_PROP_PORT_CHR(12), TRN_PROP_PORT_CHR(13), TRN_PROP_PORT_CHR(14),
    TRN_PROP_PORT_CHR(15),
    DEFINE_PROP_UINT32("x-magic", TrnState, magic, TRN_MAGIC),
    DEFINE_PROP_UINT32("x-version", TrnState, version,
                       TRN_VERSION(TRN_VERSION_MAJOR, TRN_VERSION_MINOR)),
};

static const VMStateDescription trn_vmstate = {
    .name = "trn",
    .unmigratable = 1,
};

static void trn_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    pc->realize = trn_realize;
    pc->exit = trn_exit;
    pc->config_write = trn_config_write;
    pc->vendor_id = TRN_PCI_VENDOR_ID;
    pc->device_id = TRN_PCI_DEVICE_ID;
    pc->revision = TRN_PCI_REVISION;
    pc->class_id = TRN_PCI_CLASS;
    rc->phases.hold = trn_reset_hold;

    dc->desc = "Trainium-style ML accelerator (trn)";
    dc->vmsd = &trn_vmstate;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, trn_props);
    trn_queue_class_init(oc);
    trn_link_class_init(oc);
    trn_health_class_init(oc);
}

static void trn_instance_init(Object *obj)
{
    TrnState *s = TRN(obj);
    unsigned i;

    for (i = 0; i < TRN_MAX_LINKS; i++) {
        s->links[i].admin = true;
    }
}

static void trn_instance_finalize(Object *obj)
{
    trn_health_finalize(TRN(obj));
}

static const TypeInfo trn_types[] = {
    {
        .name          = TYPE_TRN,
        .parent        = TYPE_PCI_DEVICE,
        .instance_size = sizeof(TrnState),
        .instance_init = trn_instance_init,
        .instance_finalize = trn_instance_finalize,
        .class_init    = trn_class_init,
        .interfaces    = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { }
        },
    },
};

DEFINE_TYPES(trn_types)
