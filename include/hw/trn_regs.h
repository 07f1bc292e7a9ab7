/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * trn accelerator: hardware interface definitions.
 *
 * This header is the single definition of the device's PCI identity and
 * register map. The QEMU device model (qemu/), the kernel driver (kernel/),
 * libnrt and the tests include it, so they cannot drift apart. The prose
 * specification is Documentation/hw-interface.rst; keep the two in step.
 *
 * Only preprocessor constants live here, so that the file compiles unchanged
 * in the kernel, in QEMU and in userspace. BIT() and BIT_ULL() come from
 * <linux/bits.h> in the kernel; elsewhere they are defined here unless the
 * includer has them, with the very definitions of QEMU's "qemu/bitops.h"
 * (so that including that header after this one is a valid redefinition).
 * All registers are little endian.
 */
#ifndef TRN_REGS_H
#define TRN_REGS_H

#ifdef __KERNEL__
#include <linux/bits.h>
#else
#ifndef BIT
#define BIT(nr)                 (1UL << (nr))
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr)             (1ULL << (nr))
#endif
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
#define TRN_BLOCK_DMA_QUEUE		0x10000	/* TRN_DMA_Q_STRIDE per queue */
#define TRN_BLOCK_DMA_ENGINE		0x20000	/* TRN_DMA_E_STRIDE per engine */
#define TRN_BLOCK_CORE			0x30000	/* TRN_CORE_STRIDE per NeuronCore */
#define TRN_BLOCK_LINK			0x40000	/* TRN_LINK_STRIDE per NeuronLink port */
#define TRN_MSIX_TABLE_OFFSET		0xf0000
#define TRN_MSIX_PBA_OFFSET		0xf8000

/* Interface version: the driver accepts any minor of the major it knows. */
#define TRN_MAGIC			0x314e5254	/* "TRN1" as little-endian bytes */
#define TRN_VERSION_MAJOR		1
#define TRN_VERSION_MINOR		9
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
#define TRN_REG_DMA_ENGINES		0x048	/* RO  number of DMA engines */
#define TRN_REG_DMA_QUEUES		0x04c	/* RO  queues per DMA engine */
#define TRN_REG_NUM_ASIDS		0x050	/* RO  address spaces (contexts) */
#define TRN_REG_NUM_SEMS		0x054	/* RO  semaphores per address space */
#define TRN_REG_SEM_RESET		0x058	/* WO  ASID: zero its semaphores */
#define TRN_REG_TLB_INVALIDATE		0x05c	/* WO  ASID: drop its cached translations */
#define TRN_REG_NUM_LINKS		0x060	/* RO  NeuronLink ports (1.3) */
#define TRN_REG_PEER_ROOT		0x068	/* RW 64  export space root, ENABLE (1.4) */
#define TRN_REG_TEMP			0x070	/* RO  die temperature, millidegrees C (1.5) */
#define TRN_REG_TEMP_MAX		0x074	/* RO  throttling threshold, millidegrees C */
#define TRN_REG_TEMP_CRIT		0x078	/* RO  shutdown threshold, millidegrees C */
#define TRN_REG_POWER			0x07c	/* RO  board power, milliwatts */
#define TRN_REG_POWER_MAX		0x080	/* RO  rated board power, milliwatts */
#define TRN_REG_ECC_CORRECTED		0x088	/* RO 64  HBM errors corrected */
#define TRN_REG_ECC_UNCORRECTED		0x090	/* RO 64  HBM errors not correctable */
#define TRN_REG_ECC_CORRECTED_TOTAL	0x098	/* RO 64  ... ever: kept by resets (1.6) */
#define TRN_REG_ECC_UNCORRECTED_TOTAL	0x0a0	/* RO 64  ... ever: kept by resets (1.6) */
#define TRN_REG_ECC_LOG_COUNT		0x0a8	/* RO  pages the error log recorded */
#define TRN_REG_ECC_LOG_SIZE		0x0ac	/* RO  entries the log holds */
#define TRN_REG_ECC_LOG_INDEX		0x0b0	/* RW  entry ECC_LOG_ADDR shows */
#define TRN_REG_ECC_LOG_ADDR		0x0b8	/* RO 64  HBM offset of that page */
/* Identity (1.7, TRN_CAP_INVENTORY) */
#define TRN_REG_SERIAL			0x0c0	/* RO 64  serial number, bits 47:0 */
#define TRN_REG_FW_VERSION		0x0c8	/* RO  TRN_FW_VERSION(major, minor, patch) */
/* Power cap and throttling (1.8, TRN_CAP_POWER) */
#define TRN_REG_POWER_CAP		0x0d0	/* RW  board power cap, milliwatts */
#define TRN_REG_POWER_CAP_MIN		0x0d4	/* RO  lowest cap, milliwatts */
#define TRN_REG_POWER_CAP_MAX		0x0d8	/* RO  highest cap, milliwatts */
#define TRN_REG_THROTTLE		0x0dc	/* RO  TRN_THROTTLE_* now */
#define TRN_REG_THROTTLE_NS		0x0e0	/* RO 64  ns the cores ran slowed */
/* Racks (1.9, TRN_CAP_RACK) */
#define TRN_REG_HOST_ID			0x0e8	/* RO  the host (rack position) of this chip */

#define TRN_GLOBAL_SIZE			0x1000

/* TRN_REG_CAPS */
#define TRN_CAP_HBM_BAR			BIT_ULL(0)	/* HBM visible through BAR2 */
#define TRN_CAP_IRQ_TEST		BIT_ULL(1)	/* TRN_REG_IRQ_TEST present */
#define TRN_CAP_DMA			BIT_ULL(2)	/* DMA engines and queues */
#define TRN_CAP_MMU			BIT_ULL(3)	/* per-ASID page tables */
#define TRN_CAP_COMPUTE			BIT_ULL(4)	/* NeuronCore queues, EXEC (1.2) */
#define TRN_CAP_LINK			BIT_ULL(5)	/* NeuronLink ports (1.3) */
#define TRN_CAP_PEER			BIT_ULL(6)	/* peer DMA over NeuronLink (1.4) */
#define TRN_CAP_HEALTH			BIT_ULL(7)	/* sensors, ECC counters (1.5) */
#define TRN_CAP_ECC_LOG			BIT_ULL(8)	/* poisoned pages, error log (1.6) */

/* TRN_REG_ECC_LOG_ADDR of an entry the log does not hold */
#define TRN_ECC_LOG_NONE		(~0ULL)

#define TRN_CAP_INVENTORY		BIT_ULL(9)	/* serial, firmware version (1.7) */

/* TRN_REG_SERIAL: the serial number's bits; the others read as 0 */
#define TRN_SERIAL_MASK			0xffffffffffffULL
/* TRN_REG_FW_VERSION */
#define TRN_FW_VERSION(maj, min, pat)	(((maj) << 24) | ((min) << 16) | (pat))
#define TRN_FW_VERSION_GET_MAJOR(v)	(((v) >> 24) & 0xff)
#define TRN_FW_VERSION_GET_MINOR(v)	(((v) >> 16) & 0xff)
#define TRN_FW_VERSION_GET_PATCH(v)	((v) & 0xffff)

#define TRN_CAP_POWER			BIT_ULL(10)	/* power cap, throttling (1.8) */
#define TRN_CAP_RACK			BIT_ULL(11)	/* host id, far host of a link (1.9) */

/* TRN_REG_THROTTLE: why the NeuronCores run slowed; 0: at full speed */
#define TRN_THROTTLE_POWER		BIT(0)	/* board power above the cap */
#define TRN_THROTTLE_THERMAL		BIT(1)	/* die above TRN_REG_TEMP_MAX */
#define TRN_THROTTLE_ALL		(TRN_THROTTLE_POWER | TRN_THROTTLE_THERMAL)

/* TRN_REG_STATUS */
#define TRN_STATUS_READY		BIT(0)

/* TRN_REG_RESET */
#define TRN_RESET_KEY			0x52534554

/* TRN_REG_IRQ_CAUSE / TRN_REG_IRQ_MASK; all signalled on TRN_MSIX_VEC_MISC */
#define TRN_IRQ_TEST			BIT(0)
#define TRN_IRQ_LINK			BIT(1)	/* a link port has an event (1.3) */
#define TRN_IRQ_ECC			BIT(2)	/* the ECC log has a new entry (1.6) */
#define TRN_IRQ_THROTTLE		BIT(3)	/* TRN_REG_THROTTLE changed (1.8) */
#define TRN_IRQ_ALL			(TRN_IRQ_TEST | TRN_IRQ_LINK | TRN_IRQ_ECC | \
					 TRN_IRQ_THROTTLE)

/*
 * MSI-X vector assignment: vector 0 for TRN_REG_IRQ_CAUSE, then one vector
 * per queue. Queues are numbered globally: DMA queue i of engine e is
 * q = e * TRN_REG_DMA_QUEUES + i; with TRN_CAP_COMPUTE, the queue of
 * NeuronCore c follows them all, q = TRN_REG_DMA_ENGINES *
 * TRN_REG_DMA_QUEUES + c. Every queue has the same registers.
 */
#define TRN_MSIX_VEC_MISC		0
#define TRN_MSIX_VEC_DMA_QUEUE(q)	(1 + (q))

/*
 * DMA queues. A queue is a ring of TRN_DMA_DESC_SIZE-byte descriptors in host
 * memory, written by the driver. The driver advances TAIL (the doorbell); the
 * device executes descriptors in order, advances HEAD after each one, and
 * writes a struct trn_dma_wb completion record to WB_ADDR. Indices count
 * descriptors modulo 2^32; the ring slot is index & (RING_SIZE - 1).
 */
#define TRN_DMA_MAX_QUEUES		256
#define TRN_DMA_Q_STRIDE		0x100
#define TRN_DMA_Q_REG(q, r)		(TRN_BLOCK_DMA_QUEUE + (q) * TRN_DMA_Q_STRIDE + (r))

#define TRN_DMA_Q_RING_BASE		0x00	/* RW 64  bus address, 64-byte aligned */
#define TRN_DMA_Q_RING_SIZE		0x08	/* RW  entries, power of two 16..65536 */
#define TRN_DMA_Q_CONTROL		0x0c	/* RW  TRN_DMA_Q_CTRL_* */
#define TRN_DMA_Q_TAIL			0x10	/* RW  producer index; write rings the doorbell */
#define TRN_DMA_Q_HEAD			0x14	/* RO  descriptors completed */
#define TRN_DMA_Q_STATUS		0x18	/* RO  TRN_DMA_Q_STS_* */
#define TRN_DMA_Q_ERROR			0x1c	/* RO  TRN_DMA_ERR_* of the stopped queue */
#define TRN_DMA_Q_ERROR_ADDR		0x20	/* RO 64  faulting device VA */
#define TRN_DMA_Q_WB_ADDR		0x28	/* RW 64  bus address of struct trn_dma_wb */
#define TRN_DMA_Q_IRQ_STATUS		0x30	/* RW1C  TRN_DMA_Q_IRQ_* */
#define TRN_DMA_Q_IRQ_MASK		0x34	/* RW  TRN_DMA_Q_IRQ_* enabled */
#define TRN_DMA_Q_ERROR_INDEX		0x38	/* RO  ring index of the failed descriptor */
#define TRN_DMA_Q_ASID			0x3c	/* RO  ASID of the last CONTEXT descriptor */
#define TRN_DMA_Q_ERROR_INSN		0x40	/* RO  EXEC: index of the failed instruction */

#define TRN_DMA_Q_CTRL_ENABLE		BIT(0)	/* fetch and execute descriptors */
#define TRN_DMA_Q_CTRL_RESET		BIT(1)	/* W: stop; HEAD = TAIL = 0; clear error */

#define TRN_DMA_Q_STS_ENABLED		BIT(0)
#define TRN_DMA_Q_STS_BUSY		BIT(1)	/* descriptors pending (HEAD != TAIL) */
#define TRN_DMA_Q_STS_ERROR		BIT(2)	/* stopped on an error until RESET */
#define TRN_DMA_Q_STS_WAITING		BIT(3)	/* blocked in a SEM_WAIT */

#define TRN_DMA_Q_IRQ_DONE		BIT(0)	/* a descriptor with TRN_DMA_F_IRQ completed */
#define TRN_DMA_Q_IRQ_ERROR		BIT(1)	/* the queue stopped on an error */

/* Error codes (TRN_DMA_Q_ERROR and struct trn_dma_wb.error) */
#define TRN_DMA_ERR_NONE		0
#define TRN_DMA_ERR_UNMAPPED		1	/* VA has no valid translation */
#define TRN_DMA_ERR_READONLY		2	/* write through a read-only mapping */
#define TRN_DMA_ERR_BAD_DESC		3	/* unknown opcode, flags or reserved bits */
#define TRN_DMA_ERR_RING		4	/* ring or write-back address unreachable */
#define TRN_DMA_ERR_NO_CONTEXT		5	/* VA used before any CONTEXT descriptor */
#define TRN_DMA_ERR_BAD_PT		6	/* malformed page table entry */
#define TRN_DMA_ERR_BAD_INSN		7	/* EXEC: malformed instruction (trn_isa.h) */
#define TRN_DMA_ERR_OPERAND		8	/* EXEC: operand shapes do not fit the opcode */
#define TRN_DMA_ERR_ALIGN		9	/* EXEC: misaligned operand or program */
#define TRN_DMA_ERR_LINK		10	/* peer page: its port is not UP (1.4) */
#define TRN_DMA_ERR_REMOTE		11	/* peer page: the peer does not export it (1.4) */
#define TRN_DMA_ERR_ECC			12	/* a poisoned HBM page: uncorrectable error (1.6) */
#define TRN_DMA_ERR_COUNT		13	/* codes above; names in trn_errors.h */

/* Descriptor (little endian) */
#define TRN_DMA_DESC_SIZE		32
#define TRN_DMA_D_OPCODE		0	/* u8 */
#define TRN_DMA_D_FLAGS			1	/* u8 */
#define TRN_DMA_D_RSVD			2	/* u16, must be zero */
#define TRN_DMA_D_AUX			4	/* u32: semaphore index, CONTEXT asid */
#define TRN_DMA_D_SRC			8	/* u64: source VA, FILL pattern, CONTEXT root */
#define TRN_DMA_D_DST			16	/* u64: destination VA */
#define TRN_DMA_D_LEN			24	/* u64: bytes, or value */

#define TRN_DMA_OP_NOP			0x00
#define TRN_DMA_OP_COPY			0x01	/* LEN bytes from SRC to DST */
#define TRN_DMA_OP_FILL			0x02	/* LEN bytes at DST with the 8-byte SRC pattern */
#define TRN_DMA_OP_WRITE		0x03	/* the u64 LEN value to DST (8-byte aligned) */
#define TRN_DMA_OP_SEM_SIGNAL		0x04	/* semaphore AUX += LEN */
#define TRN_DMA_OP_SEM_WAIT		0x05	/* wait until semaphore AUX >= LEN */
/* NeuronCore queues only: run the program at SRC, LEN bytes (trn_isa.h) */
#define TRN_DMA_OP_EXEC			0x10
#define TRN_DMA_OP_CONTEXT		0x80	/* privileged: ASID AUX, page table root SRC */

#define TRN_DMA_F_IRQ			BIT(0)	/* raise TRN_DMA_Q_IRQ_DONE when done */
#define TRN_DMA_F_ALL			TRN_DMA_F_IRQ

/* Completion record written to WB_ADDR after every descriptor */
#define TRN_DMA_WB_HEAD			0	/* u32: HEAD after the descriptor */
#define TRN_DMA_WB_ERROR		4	/* u32: TRN_DMA_ERR_* (0 unless stopped) */
#define TRN_DMA_WB_SIZE			8

/* Per-engine counters (RO 64), reset with the device */
#define TRN_DMA_E_STRIDE		0x40
#define TRN_DMA_E_REG(e, r)		(TRN_BLOCK_DMA_ENGINE + (e) * TRN_DMA_E_STRIDE + (r))
#define TRN_DMA_E_BYTES			0x00	/* bytes moved */
#define TRN_DMA_E_DESCS			0x08	/* descriptors completed */
#define TRN_DMA_E_BUSY_NS		0x10	/* time spent executing descriptors */

/* Per-NeuronCore counters (RO 64), reset with the device */
#define TRN_CORE_STRIDE			0x100
#define TRN_CORE_REG(c, r)		(TRN_BLOCK_CORE + (c) * TRN_CORE_STRIDE + (r))
#define TRN_CORE_PROGRAMS		0x00	/* EXEC descriptors that passed the checks */
#define TRN_CORE_INSNS			0x08	/* instructions completed */
#define TRN_CORE_BUSY_NS		0x10	/* time spent running programs */
#define TRN_CORE_TENSOR_BUSY_NS		0x18	/* time in MATMUL */
#define TRN_CORE_VECTOR_BUSY_NS		0x20	/* BINARY, REDUCE, TRANSPOSE, CAST */
#define TRN_CORE_SCALAR_BUSY_NS		0x28	/* ACTIVATE */
#define TRN_CORE_DMA_BUSY_NS		0x30	/* DMA instructions, DMA descriptors */
#define TRN_CORE_FLOPS			0x38	/* MATMUL floating point operations */
#define TRN_CORE_ERRORS			0x40	/* programs that ended with an error */
#define TRN_CORE_COUNTERS		(TRN_CORE_ERRORS / 8 + 1)	/* registers above */

/*
 * NeuronLink ports (TRN_CAP_LINK). Port p of a device is cabled to a port
 * of another device; the link trains (DOWN -> TRAINING -> UP) and, once
 * UP, reports the chip id and port number at the other end. A change of
 * state, or an error count crossing ERR_THRESHOLD, sets a bit in EVENTS
 * and, if enabled in EVENT_MASK, raises TRN_IRQ_LINK on the misc vector.
 */
#define TRN_MAX_LINKS			16
#define TRN_LINK_STRIDE			0x100
#define TRN_LINK_REG(p, r)		(TRN_BLOCK_LINK + (p) * TRN_LINK_STRIDE + (r))
#define TRN_LINK_STATE			0x00	/* RO  TRN_LINK_STATE_* */
#define TRN_LINK_PEER_CHIP		0x04	/* RO  chip id at the other end, while UP */
#define TRN_LINK_PEER_PORT		0x08	/* RO  port at the other end, while UP */
#define TRN_LINK_SPEED			0x0c	/* RO  lane rate, Gb/s */
#define TRN_LINK_WIDTH			0x10	/* RO  lanes */
#define TRN_LINK_EVENTS			0x14	/* RW1C  TRN_LINK_EV_* */
#define TRN_LINK_EVENT_MASK		0x18	/* RW  TRN_LINK_EV_* raising TRN_IRQ_LINK */
#define TRN_LINK_ERR_THRESHOLD		0x1c	/* RW  errors per TRN_LINK_EV_ERRORS, 0: none */
#define TRN_LINK_ERR_CRC		0x20	/* RO 64  frames received with a CRC error */
#define TRN_LINK_ERR_REPLAY		0x28	/* RO 64  frames sent again */
#define TRN_LINK_TX_BYTES		0x30	/* RO 64  payload bytes sent */
#define TRN_LINK_RX_BYTES		0x38	/* RO 64  payload bytes received */
#define TRN_LINK_PEER_HOST		0x40	/* RO  host id at the other end, while UP (1.9) */

#define TRN_LINK_STATE_DOWN		0	/* no cable, or taken down */
#define TRN_LINK_STATE_TRAINING		1	/* coming up */
#define TRN_LINK_STATE_UP		2

#define TRN_LINK_PEER_NONE		0xffffffff	/* PEER_CHIP/PORT/HOST when not UP */

#define TRN_LINK_EV_STATE		BIT(0)	/* STATE changed */
#define TRN_LINK_EV_ERRORS		BIT(1)	/* ERR_THRESHOLD more errors counted */
#define TRN_LINK_EV_ALL			(TRN_LINK_EV_STATE | TRN_LINK_EV_ERRORS)

/*
 * MMU: each ASID has a 3-level page table in HBM mapping a 39-bit device
 * virtual address space in 4 KiB pages: VA bits 38..30, 29..21 and 20..12
 * index the level 0, 1 and 2 tables (512 entries of 8 bytes, 4 KiB aligned,
 * in HBM). A level 2 entry maps one page; the device never caches
 * translations across a TRN_REG_TLB_INVALIDATE of the ASID.
 */
#define TRN_VA_BITS			39
#define TRN_PAGE_SHIFT			12
#define TRN_PAGE_SIZE			BIT_ULL(TRN_PAGE_SHIFT)
#define TRN_PT_LEVELS			3
#define TRN_PT_ENTRIES			512
#define TRN_PT_SHIFT(level)		(TRN_PAGE_SHIFT + 9 * (TRN_PT_LEVELS - 1 - (level)))
#define TRN_PT_INDEX(va, level)		(((va) >> TRN_PT_SHIFT(level)) & (TRN_PT_ENTRIES - 1))

#define TRN_PTE_VALID			BIT_ULL(0)
#define TRN_PTE_WRITE			BIT_ULL(1)	/* leaf: writable */
#define TRN_PTE_SYSTEM			BIT_ULL(2)	/* leaf: host bus address, not HBM */
#define TRN_PTE_PEER			BIT_ULL(3)	/* leaf: peer export space VA (1.4) */
#define TRN_PTE_PORT_SHIFT		4		/* leaf with PEER: the NeuronLink port */
#define TRN_PTE_PORT_MASK		(0xfULL << TRN_PTE_PORT_SHIFT)
/* leaf with PEER (1.5): low 12 bits of the chip id expected at the far end */
#define TRN_PTE_PEER_CHIP_SHIFT		52
#define TRN_PTE_PEER_CHIP_MASK		(0xfffULL << TRN_PTE_PEER_CHIP_SHIFT)
#define TRN_PTE_ADDR_MASK		0x000ffffffffff000ULL

/*
 * Peer DMA (TRN_CAP_PEER). A device exports memory to the devices cabled
 * to it through an export space: one more page table in the format above,
 * whose root TRN_REG_PEER_ROOT holds (4 KiB aligned, ORed with
 * TRN_PEER_ROOT_ENABLE). Its leaves must map HBM. A leaf entry of an
 * address space with TRN_PTE_PEER set maps one page of the export space of
 * the device at the other end of port TRN_PTE_PORT_MASK: the entry's
 * address is the export space address. A descriptor touching such a page
 * fails with TRN_DMA_ERR_LINK unless the port is UP with the chip whose
 * id's low 12 bits the entry holds in TRN_PTE_PEER_CHIP_MASK (1.5; so that
 * recabling never leads old entries to a new neighbour), and with
 * TRN_DMA_ERR_REMOTE unless the peer's export space maps the page (writable,
 * for a write) to its HBM. TRN_REG_TLB_INVALIDATE of any ASID also drops the
 * translations other devices hold into this device's export space.
 */
#define TRN_PEER_ROOT_ENABLE		BIT_ULL(0)
#define TRN_PEER_ROOT_ADDR_MASK		TRN_PTE_ADDR_MASK

#endif /* TRN_REGS_H */
