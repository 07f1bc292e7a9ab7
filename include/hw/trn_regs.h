/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * trn accelerator: hardware interface definitions.
 *
 * This header is the single definition of the device's PCI identity and
 * register map. The QEMU device model (qemu/) and the kernel driver (kernel/)
 * both include it, so they cannot drift apart. The prose specification is
 * Documentation/hw-interface.rst; keep the two in step.
 *
 * Only preprocessor constants live here, so that the file compiles unchanged
 * in the kernel and in QEMU (which provides BIT() and BIT_ULL() through
 * "qemu/bitops.h"). All registers are little endian.
 */
#ifndef TRN_REGS_H
#define TRN_REGS_H

#ifdef __KERNEL__
#include <linux/bits.h>
#endif

/*
 * PCI identity: an ID from the range QEMU sets aside for experimental devices
 * (1af4:10f0-10ff, docs/specs/pci-ids.rst of QEMU); see
 * Documentation/hw-interface.rst.
 */
#define TRN_PCI_VENDOR_ID		0x1af4
#define TRN_PCI_DEVICE_ID		0x10f0
#define TRN_PCI_REVISION		0x01
#define TRN_PCI_CLASS			0x1200	/* processing accelerator */

/* BARs */
#define TRN_BAR_REGS			0	/* 64-bit MMIO registers + MSI-X */
#define TRN_BAR_HBM			2	/* 64-bit prefetchable device memory */
#define TRN_BAR_REGS_SIZE		0x100000

/* Register blocks inside BAR0 */
#define TRN_BLOCK_GLOBAL		0x00000
#define TRN_MSIX_TABLE_OFFSET		0xf0000
#define TRN_MSIX_PBA_OFFSET		0xf8000

/* Interface version: the driver accepts any minor of the major it knows. */
#define TRN_MAGIC			0x314e5254	/* "TRN1" as little-endian bytes */
#define TRN_VERSION_MAJOR		1
#define TRN_VERSION_MINOR		0
#define TRN_VERSION(maj, min)		(((maj) << 16) | (min))
#define TRN_VERSION_GET_MAJOR(v)	(((v) >> 16) & 0xffff)
#define TRN_VERSION_GET_MINOR(v)	((v) & 0xffff)

/* Global block: 32-bit registers unless marked 64 (readable as two halves). */
#define TRN_REG_MAGIC			0x000	/* RO */
#define TRN_REG_VERSION			0x004	/* RO  TRN_VERSION(major, minor) */
#define TRN_REG_CAPS			0x008	/* RO 64  TRN_CAP_* */
#define TRN_REG_CHIP_ID			0x010	/* RO */
#define TRN_REG_NUM_CORES		0x014	/* RO  NeuronCores */
#define TRN_REG_HBM_SIZE		0x018	/* RO 64  bytes of device memory */
#define TRN_REG_SCRATCH			0x020	/* RW  no side effects */
#define TRN_REG_STATUS			0x024	/* RO  TRN_STATUS_* */
#define TRN_REG_RESET			0x028	/* WO  write TRN_RESET_KEY */
#define TRN_REG_MSIX_VECTORS		0x02c	/* RO  MSI-X table size */
#define TRN_REG_IRQ_CAUSE		0x030	/* RW1C  TRN_IRQ_* pending */
#define TRN_REG_IRQ_MASK		0x034	/* RW  TRN_IRQ_* enabled */
#define TRN_REG_IRQ_TEST		0x038	/* WO  1: raise TRN_IRQ_TEST */
#define TRN_REG_TIMESTAMP		0x040	/* RO 64  ns since last reset */

#define TRN_GLOBAL_SIZE			0x1000

/* TRN_REG_CAPS */
#define TRN_CAP_HBM_BAR			BIT_ULL(0)	/* HBM visible through BAR2 */
#define TRN_CAP_IRQ_TEST		BIT_ULL(1)	/* TRN_REG_IRQ_TEST present */

/* TRN_REG_STATUS */
#define TRN_STATUS_READY		BIT(0)

/* TRN_REG_RESET */
#define TRN_RESET_KEY			0x52534554

/* TRN_REG_IRQ_CAUSE / TRN_REG_IRQ_MASK; all signalled on TRN_MSIX_VEC_MISC */
#define TRN_IRQ_TEST			BIT(0)
#define TRN_IRQ_ALL			(TRN_IRQ_TEST)

/* MSI-X vector assignment */
#define TRN_MSIX_VEC_MISC		0

#endif /* TRN_REGS_H */
