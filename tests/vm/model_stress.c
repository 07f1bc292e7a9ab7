// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * model_stress: a hostile guest against the trn device model.
 *
 *   model_stress BDF SECONDS [SEED]
 *
 * Runs as root in the test VM, on a trn device that no driver is bound to:
 * it maps BAR0 and BAR2 through sysfs (resource0, resource2), takes host
 * memory for DMA from its own locked pages (bus addresses from
 * /proc/self/pagemap: the VM has no IOMMU), and for SECONDS seconds throws
 * at the device what a broken or malicious driver could: random writes to
 * every register block (but the MSI-X table), random page tables, random
 * descriptors (COPY, FILL, WRITE, semaphores, CONTEXT with any root, EXEC
 * of programs of random instructions), rings and write-back records at odd
 * places, resets of queues and of the device while work runs, TLB
 * invalidations. Addresses in host memory are only ever its own pages,
 * the device's own BARs, or addresses where nothing is: the guest kernel's
 * memory stays untouched, so that the VM survives to tell.
 *
 * The model must not crash (then the VM dies and the test harness reports
 * it), and afterwards the device must do correct work again: a device
 * reset, then a COPY and a WRITE whose results are checked. Exit status 0
 * if so. Disables bus mastering before it exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "trn_isa.h"
#include "trn_regs.h"

#define NPAGES		64		/* host pages for DMA */
#define RING_ENTRIES	64
#define PT_OFF		0x100000	/* page tables in HBM */
#define PT_PAGES	64
#define DATA_OFF	0x200000	/* data in HBM */
#define PROG_OFF	0x180000	/* programs in HBM */
#define VA_HBM		0x10000000ull	/* mapped to HBM data */
#define VA_SYS		0x20000000ull	/* mapped to our host pages */
#define VA_PROG		0x30000000ull	/* mapped to the programs */

static volatile uint8_t *bar0, *hbm;
static uint64_t hbm_size, bar0_phys, bar2_phys;
static uint8_t *pages;			/* NPAGES host pages */
static uint64_t phys[NPAGES];		/* their bus addresses */
static uint64_t seed = 88172645463325252ull;
static unsigned int nqueues, ndma, nsems, nasids;
static unsigned long stats[8];

enum { ST_REGS, ST_EPISODES, ST_DESCS, ST_DONE, ST_FAULTS, ST_RESETS, ST_TIMEOUTS };

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return rndn(100) < percent;
}

static uint32_t rd32(uint64_t reg)
{
	return *(volatile uint32_t *)(bar0 + reg);
}

static uint64_t rd64(uint64_t reg)
{
	return *(volatile uint64_t *)(bar0 + reg);
}

static void wr32(uint64_t reg, uint32_t v)
{
	*(volatile uint32_t *)(bar0 + reg) = v;
}

static void wr64(uint64_t reg, uint64_t v)
{
	*(volatile uint64_t *)(bar0 + reg) = v;
}

static void hbm_wr64(uint64_t off, uint64_t v)
{
	*(volatile uint64_t *)(hbm + off) = v;
}

static uint64_t hbm_rd64(uint64_t off)
{
	return *(volatile uint64_t *)(hbm + off);
}

static void die(const char *what)
{
	fprintf(stderr, "model_stress: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- setup ---------------------------------------------------------------- */

static volatile uint8_t *map_bar(const char *bdf, int bar, uint64_t *size)
{
	char path[128];
	void *p;
	off_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", bdf, bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		die(path);
	n = lseek(fd, 0, SEEK_END);
	p = mmap(NULL, (size_t)n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap BAR");
	close(fd);
	*size = (uint64_t)n;
	return p;
}

/* The bus address of BAR @bar, from the resource file. */
static uint64_t bar_phys(const char *bdf, int bar)
{
	unsigned long long start = 0, end, flags;
	char path[128], line[256];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		die(path);
	for (i = 0; i <= bar && fgets(line, sizeof(line), f); i++)
		sscanf(line, "%llx %llx %llx", &start, &end, &flags);
	fclose(f);
	return start;
}

/* Enable memory decoding and bus mastering (or only memory). */
static void set_command(const char *bdf, bool master)
{
	char path[128];
	uint16_t cmd;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
		die(path);
	cmd |= 0x2;
	cmd = master ? cmd | 0x4 : cmd & ~0x4;
	if (pwrite(fd, &cmd, 2, 4) != 2)
		die("write PCI_COMMAND");
	close(fd);
}

static void host_pages(void)
{
	uint64_t e;
	int fd, i;

	pages = mmap(NULL, NPAGES * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (pages == MAP_FAILED || mlock(pages, NPAGES * 4096))
		die("host pages");
	memset(pages, 0, NPAGES * 4096);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		die("pagemap");
	for (i = 0; i < NPAGES; i++) {
		if (pread(fd, &e, 8, ((uintptr_t)pages / 4096 + i) * 8) != 8)
			die("pagemap read");
		if (!(e & (1ull << 63)) || !(e & ((1ull << 55) - 1))) {
			fprintf(stderr, "model_stress: no frame for page %d\n", i);
			exit(2);
		}
		phys[i] = (e & ((1ull << 55) - 1)) * 4096;
	}
	close(fd);
}

/* --- addresses -------------------------------------------------------------- */

/* A host bus address that is safe to DMA to: ours, the BARs, or nothing. */
static uint64_t rnd_bus_addr(void)
{
	switch (rndn(8)) {
	case 0:
		return bar0_phys + (rndn(TRN_BAR_REGS_SIZE) & ~7ull);
	case 1:
		return bar2_phys + rndn(hbm_size);
	case 2:
		return (1ull << 44) + rndn(1ull << 30);	/* nothing there */
	case 3:
		return ~0ull - rndn(4096);		/* nor there */
	default:
		return phys[rndn(NPAGES)] + rndn(4096);
	}
}

/* A device virtual address, mostly where something is mapped. */
static uint64_t rnd_va(void)
{
	switch (rndn(8)) {
	case 0:
		return rnd() & ((1ull << TRN_VA_BITS) - 1);
	case 1:
		return rnd();
	case 2:
		return VA_SYS + rndn(NPAGES * 4096);
	case 3:
		return VA_PROG + rndn(64 * 1024);
	default:
		return VA_HBM + rndn(8 << 20);
	}
}

static uint64_t rnd_len(void)
{
	switch (rndn(10)) {
	case 0:
		return rnd();
	case 1:
		return rndn(64 << 20);
	case 2:
		return 0;
	default:
		return 1 + rndn(64 * 1024);
	}
}

/* --- page tables ------------------------------------------------------------ */

static uint64_t pt_next;

static uint64_t pt_alloc(void)
{
	uint64_t t = PT_OFF + (pt_next++ % PT_PAGES) * 4096;
	int i;

	for (i = 0; i < 512; i++)
		hbm_wr64(t + 8 * i, 0);
	return t;
}

static void pt_map(uint64_t root, uint64_t va, uint64_t leaf)
{
	uint64_t table = root, pte;
	int level;

	for (level = 0; level < TRN_PT_LEVELS - 1; level++) {
		uint64_t e = table + 8 * TRN_PT_INDEX(va, level);

		pte = hbm_rd64(e);
		if (!(pte & TRN_PTE_VALID) || (pte & TRN_PTE_ADDR_MASK) < PT_OFF ||
		    (pte & TRN_PTE_ADDR_MASK) >= PT_OFF + PT_PAGES * 4096) {
			pte = pt_alloc() | TRN_PTE_VALID;
			hbm_wr64(e, pte);
		}
		table = pte & TRN_PTE_ADDR_MASK;
	}
	hbm_wr64(table + 8 * TRN_PT_INDEX(va, TRN_PT_LEVELS - 1), leaf);
}

/* A fresh address space with the three ranges mapped; returns its root. */
static uint64_t pt_build(void)
{
	uint64_t root, o;
	int i;

	pt_next = 0;
	root = pt_alloc();
	for (o = 0; o < (8 << 20); o += 4096)
		pt_map(root, VA_HBM + o, (DATA_OFF + o) | TRN_PTE_VALID | TRN_PTE_WRITE);
	for (i = 0; i < NPAGES; i++)
		pt_map(root, VA_SYS + i * 4096ull,
		       phys[i] | TRN_PTE_VALID | TRN_PTE_WRITE | TRN_PTE_SYSTEM);
	for (o = 0; o < 64 * 1024; o += 4096)
		pt_map(root, VA_PROG + o, (PROG_OFF + o) | TRN_PTE_VALID);
	return root;
}

/* Random damage to the tables: any entry of any table page. */
static void pt_damage(void)
{
	uint64_t e = rnd(), at = PT_OFF + rndn(PT_PAGES * 4096) / 8 * 8;

	switch (rndn(4)) {
	case 0:		/* an HBM address, maybe a table, maybe beyond */
		e = (e & ~TRN_PTE_ADDR_MASK & ~TRN_PTE_SYSTEM) |
		    (rndn(hbm_size / 4096 + 64) * 4096);
		break;
	case 1:		/* host memory, safe */
		e = (rnd_bus_addr() & TRN_PTE_ADDR_MASK) | TRN_PTE_VALID |
		    TRN_PTE_SYSTEM | (e & TRN_PTE_WRITE);
		break;
	case 2:		/* a peer entry to any port */
		e = (e & (TRN_PTE_ADDR_MASK | TRN_PTE_PORT_MASK | TRN_PTE_PEER_CHIP_MASK |
			  TRN_PTE_WRITE)) | TRN_PTE_VALID | TRN_PTE_PEER;
		break;
	default:	/* anything without SYSTEM: never a random host address */
		e &= ~TRN_PTE_SYSTEM;
		break;
	}
	hbm_wr64(at, e);
}

/* --- programs ---------------------------------------------------------------- */

static void put_le(volatile uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A random instruction at @p: well formed more often than not. */
static void rnd_insn(volatile uint8_t *p)
{
	int slot, d, i;

	if (chance(10)) {
		for (i = 0; i < TRN_INSN_SIZE; i++)
			p[i] = (uint8_t)rnd();
		return;
	}
	for (i = 0; i < TRN_INSN_SIZE; i++)
		p[i] = 0;
	p[TRN_I_OPCODE] = (uint8_t)rndn(TRN_OP_COUNT + 1);
	p[TRN_I_FLAGS] = chance(20) ? (uint8_t)rndn(4) : 0;
	put_le(p + TRN_I_FUNC, rndn(12), 2);
	put_le(p + TRN_I_AUX, chance(50) ? rndn(4) : rndn(1u << 20), 4);
	put_le(p + TRN_I_IMM, chance(80) ? 0 : rndn(4), 8);
	put_le(p + TRN_I_ALPHA, chance(50) ? 0x3f800000 : rnd(), 4);
	for (slot = 0; slot < TRN_I_NOPERANDS; slot++) {
		volatile uint8_t *o = p + TRN_I_OPERAND(slot);

		if (chance(15))
			continue;
		put_le(o + TRN_O_VA, rnd_va() & ~7ull, 8);
		o[TRN_O_DTYPE] = (uint8_t)(1 + rndn(TRN_DT_COUNT));
		for (d = 0; d < TRN_MAX_DIMS; d++) {
			put_le(o + TRN_O_SHAPE(d), chance(5) ? rnd() : 1 + rndn(d < 2 ? 3 : 300), 4);
			put_le(o + TRN_O_STRIDE(d), chance(10) ? rnd() : rndn(600) - 100, 4);
		}
	}
}

static void rnd_program(void)
{
	unsigned int i, n = 1 + rndn(8);

	for (i = 0; i < n; i++)
		rnd_insn(hbm + PROG_OFF + (uint64_t)i * TRN_INSN_SIZE);
}

/* --- queues -------------------------------------------------------------- */

/* Ring in page 0, write-back records in page 1: bus addresses. */
#define RING_PHYS	(phys[0])
#define WB_PHYS		(phys[1])

static void put_desc(uint32_t index, uint8_t opcode, uint8_t flags, uint32_t aux,
		     uint64_t src, uint64_t dst, uint64_t len)
{
	uint8_t *d = pages + (index % RING_ENTRIES) * TRN_DMA_DESC_SIZE;

	memset(d, 0, TRN_DMA_DESC_SIZE);
	d[TRN_DMA_D_OPCODE] = opcode;
	d[TRN_DMA_D_FLAGS] = flags;
	put_le(d + TRN_DMA_D_AUX, aux, 4);
	put_le(d + TRN_DMA_D_SRC, src, 8);
	put_le(d + TRN_DMA_D_DST, dst, 8);
	put_le(d + TRN_DMA_D_LEN, len, 8);
}

static void rnd_desc(uint32_t index, unsigned int q, uint64_t root)
{
	static const uint8_t ops[] = {
		TRN_DMA_OP_NOP, TRN_DMA_OP_COPY, TRN_DMA_OP_FILL, TRN_DMA_OP_WRITE,
		TRN_DMA_OP_SEM_SIGNAL, TRN_DMA_OP_SEM_WAIT, TRN_DMA_OP_EXEC,
		TRN_DMA_OP_CONTEXT, TRN_DMA_OP_COPY, TRN_DMA_OP_COPY,
	};
	uint8_t op = chance(5) ? (uint8_t)rnd() : ops[rndn(sizeof(ops))];
	uint8_t flags = chance(10) ? (uint8_t)rnd() : (uint8_t)rndn(2);
	uint32_t aux = chance(80) ? 0 : (uint32_t)rndn(nsems + 2);

	if (op == TRN_DMA_OP_EXEC && (q >= ndma || chance(20))) {
		rnd_program();
		put_desc(index, op, flags, 0, VA_PROG + (chance(90) ? 0 : rndn(256)),
			 chance(50) ? 0 : VA_HBM + rndn(4096) * 32,
			 chance(90) ? TRN_INSN_SIZE * (1 + rndn(8)) : rnd_len());
		return;
	}
	if (op == TRN_DMA_OP_CONTEXT) {
		aux = (uint32_t)rndn(nasids + 1);
		put_desc(index, op, 0, aux, chance(80) ? root : rndn(hbm_size + 8192),
			 0, 0);
		return;
	}
	if (op == TRN_DMA_OP_SEM_WAIT || op == TRN_DMA_OP_SEM_SIGNAL) {
		put_desc(index, op, flags, aux, 0, 0, rndn(3));
		return;
	}
	put_desc(index, op, flags, aux, op == TRN_DMA_OP_FILL ? rnd() : rnd_va(),
		 rnd_va(), op == TRN_DMA_OP_WRITE ? rnd() : rnd_len());
}

/* Wait up to @ms for @q to finish or stop. */
static bool queue_wait(unsigned int q, uint32_t tail, unsigned int ms)
{
	double end = now() + ms / 1000.0;

	while (now() < end) {
		uint32_t sts = rd32(TRN_DMA_Q_REG(q, TRN_DMA_Q_STATUS));

		if (sts & TRN_DMA_Q_STS_ERROR) {
			stats[ST_FAULTS]++;
			return true;
		}
		if (rd32(TRN_DMA_Q_REG(q, TRN_DMA_Q_HEAD)) == tail &&
		    !(sts & TRN_DMA_Q_STS_BUSY)) {
			stats[ST_DONE]++;
			return true;
		}
		usleep(200);
	}
	stats[ST_TIMEOUTS]++;
	return false;
}

/* Reset @q and give it our ring and record, or odd ones now and then. */
static void queue_setup(unsigned int q)
{
	uint64_t base = chance(95) ? RING_PHYS : rnd_bus_addr();
	uint64_t wb = chance(95) ? WB_PHYS + 8 * (q % 512) : rnd_bus_addr();

	wr32(TRN_DMA_Q_REG(q, TRN_DMA_Q_CONTROL), TRN_DMA_Q_CTRL_RESET);
	wr64(TRN_DMA_Q_REG(q, TRN_DMA_Q_RING_BASE), base);
	wr32(TRN_DMA_Q_REG(q, TRN_DMA_Q_RING_SIZE),
	     chance(95) ? RING_ENTRIES : (uint32_t)rnd());
	wr64(TRN_DMA_Q_REG(q, TRN_DMA_Q_WB_ADDR), wb);
	wr32(TRN_DMA_Q_REG(q, TRN_DMA_Q_IRQ_MASK), (uint32_t)rnd());
	wr32(TRN_DMA_Q_REG(q, TRN_DMA_Q_CONTROL), TRN_DMA_Q_CTRL_ENABLE);
}

/* One episode: a queue, a batch of descriptors, maybe a reset meanwhile. */
static void episode(uint64_t root)
{
	unsigned int q = (unsigned int)rndn(nqueues), i, n = 1 + rndn(RING_ENTRIES - 1);

	stats[ST_EPISODES]++;
	queue_setup(q);
	put_desc(0, TRN_DMA_OP_CONTEXT, 0, 1 + rndn(nasids - 1), root, 0, 0);
	for (i = 1; i < n; i++)
		rnd_desc(i, q, root);
	stats[ST_DESCS] += n;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr32(TRN_DMA_Q_REG(q, TRN_DMA_Q_TAIL), chance(95) ? n : (uint32_t)rnd());
	if (chance(10)) {
		usleep(rndn(3000));
		if (chance(50)) {
			wr32(TRN_DMA_Q_REG(q, TRN_DMA_Q_CONTROL), TRN_DMA_Q_CTRL_RESET);
		} else {
			wr32(TRN_REG_RESET, TRN_RESET_KEY);
			stats[ST_RESETS]++;
		}
	}
	if (chance(10))
		wr32(TRN_REG_TLB_INVALIDATE, (uint32_t)rndn(nasids + 1));
	if (chance(5))
		pt_damage();
	if (!queue_wait(q, n, 100))
		wr32(TRN_DMA_Q_REG(q, TRN_DMA_Q_CONTROL), TRN_DMA_Q_CTRL_RESET);
}

/* --- registers ----------------------------------------------------------- */

/* A random register write anywhere in BAR0 but the MSI-X table. */
static void rnd_reg_write(void)
{
	static const uint64_t blocks[] = {
		TRN_BLOCK_GLOBAL, TRN_BLOCK_DMA_QUEUE, TRN_BLOCK_DMA_ENGINE,
		TRN_BLOCK_CORE, TRN_BLOCK_LINK,
	};
	uint64_t reg = blocks[rndn(5)] + rndn(0x10000) / 4 * 4, v = rnd();

	stats[ST_REGS]++;
	/* Whatever can make the device DMA gets an address that is safe */
	if (reg >= TRN_BLOCK_DMA_QUEUE && reg < TRN_BLOCK_DMA_ENGINE) {
		uint64_t r = (reg - TRN_BLOCK_DMA_QUEUE) % TRN_DMA_Q_STRIDE;

		if ((r & ~7ull) == TRN_DMA_Q_RING_BASE || (r & ~7ull) == TRN_DMA_Q_WB_ADDR) {
			v = rnd_bus_addr();
			if (r & 4)
				v >>= 32;
		}
	}
	if (reg == TRN_REG_RESET && chance(50))
		v = TRN_RESET_KEY;
	if (reg == TRN_REG_PEER_ROOT || reg == TRN_REG_PEER_ROOT + 4)
		v = rndn(hbm_size + 8192) | rndn(2);
	if (chance(30) && !(reg & 7))
		wr64(reg, v);
	else
		wr32(reg, (uint32_t)v);
}

/* --- afterwards ------------------------------------------------------------ */

/* Reset the device and check that it works: a COPY and a WRITE. */
static bool works(void)
{
	uint64_t root;
	double end;
	int i;

	wr32(TRN_REG_RESET, TRN_RESET_KEY);
	end = now() + 5;
	while (!(rd32(TRN_REG_STATUS) & TRN_STATUS_READY) && now() < end)
		usleep(1000);
	if (!(rd32(TRN_REG_STATUS) & TRN_STATUS_READY)) {
		fprintf(stderr, "model_stress: not READY 5 s after a reset\n");
		return false;
	}
	if (rd32(TRN_REG_MAGIC) != TRN_MAGIC)
		return false;
	root = pt_build();
	for (i = 0; i < 4096; i++)
		pages[2 * 4096 + i] = (uint8_t)(i * 7 + 3);
	queue_setup(0);
	wr32(TRN_DMA_Q_REG(0, TRN_DMA_Q_RING_SIZE), RING_ENTRIES);
	wr32(TRN_DMA_Q_REG(0, TRN_DMA_Q_CONTROL), TRN_DMA_Q_CTRL_RESET);
	wr64(TRN_DMA_Q_REG(0, TRN_DMA_Q_RING_BASE), RING_PHYS);
	wr32(TRN_DMA_Q_REG(0, TRN_DMA_Q_RING_SIZE), RING_ENTRIES);
	wr64(TRN_DMA_Q_REG(0, TRN_DMA_Q_WB_ADDR), WB_PHYS);
	wr32(TRN_DMA_Q_REG(0, TRN_DMA_Q_CONTROL), TRN_DMA_Q_CTRL_ENABLE);
	put_desc(0, TRN_DMA_OP_CONTEXT, 0, 1, root, 0, 0);
	/* host page 2 -> HBM -> host page 3, then a value into page 3 */
	put_desc(1, TRN_DMA_OP_COPY, 0, 0, VA_SYS + 2 * 4096, VA_HBM, 4096);
	put_desc(2, TRN_DMA_OP_COPY, 0, 0, VA_HBM, VA_SYS + 3 * 4096, 4096);
	put_desc(3, TRN_DMA_OP_WRITE, 0, 0, 0, VA_SYS + 3 * 4096 + 4096 - 8,
		 0x1122334455667788ull);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr32(TRN_DMA_Q_REG(0, TRN_DMA_Q_TAIL), 4);
	if (!queue_wait(0, 4, 5000) ||
	    rd32(TRN_DMA_Q_REG(0, TRN_DMA_Q_STATUS)) & TRN_DMA_Q_STS_ERROR) {
		fprintf(stderr, "model_stress: the check did not complete: error %u\n",
			rd32(TRN_DMA_Q_REG(0, TRN_DMA_Q_ERROR)));
		return false;
	}
	if (memcmp(pages + 2 * 4096, pages + 3 * 4096, 4096 - 8) ||
	    *(volatile uint64_t *)(pages + 4 * 4096 - 8) != 0x1122334455667788ull) {
		fprintf(stderr, "model_stress: wrong data after the check\n");
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	uint64_t root, bar0_size;
	double end;
	bool ok;

	if (argc < 3) {
		fprintf(stderr, "usage: model_stress BDF SECONDS [SEED]\n");
		return 2;
	}
	if (argc > 3)
		seed = strtoull(argv[3], NULL, 0) | 1;
	set_command(argv[1], true);
	bar0 = map_bar(argv[1], TRN_BAR_REGS, &bar0_size);
	hbm = map_bar(argv[1], TRN_BAR_HBM, &hbm_size);
	bar0_phys = bar_phys(argv[1], TRN_BAR_REGS);
	bar2_phys = bar_phys(argv[1], TRN_BAR_HBM);
	if (rd32(TRN_REG_MAGIC) != TRN_MAGIC) {
		fprintf(stderr, "model_stress: %s: magic 0x%x\n", argv[1], rd32(TRN_REG_MAGIC));
		return 2;
	}
	hbm_size = rd64(TRN_REG_HBM_SIZE);
	nqueues = rd32(TRN_REG_DMA_ENGINES) * rd32(TRN_REG_DMA_QUEUES) + rd32(TRN_REG_NUM_CORES);
	ndma = rd32(TRN_REG_DMA_ENGINES) * rd32(TRN_REG_DMA_QUEUES);
	nsems = rd32(TRN_REG_NUM_SEMS);
	nasids = rd32(TRN_REG_NUM_ASIDS);
	host_pages();
	printf("model_stress: %s, %u queues, %" PRIu64 " MiB, seed 0x%" PRIx64 "\n",
	       argv[1], nqueues, hbm_size >> 20, seed);

	root = pt_build();
	end = now() + atof(argv[2]);
	while (now() < end) {
		if (chance(40))
			rnd_reg_write();
		else
			episode(root);
		if (chance(2))
			root = pt_build();
		if (rd32(TRN_REG_MAGIC) != TRN_MAGIC) {
			fprintf(stderr, "model_stress: the device stopped answering\n");
			return 1;
		}
	}
	printf("model_stress: %lu register writes, %lu episodes, %lu descriptors, "
	       "%lu ran to the end, %lu faulted, %lu timed out, %lu device resets\n",
	       stats[ST_REGS], stats[ST_EPISODES], stats[ST_DESCS], stats[ST_DONE],
	       stats[ST_FAULTS], stats[ST_TIMEOUTS], stats[ST_RESETS]);
	ok = works();
	/*
	 * Nothing may reach our pages once they go back to the kernel: reset,
	 * wait until no step of a reset queue is left (READY), stop mastering.
	 */
	wr32(TRN_REG_RESET, TRN_RESET_KEY);
	end = now() + 5;
	while (!(rd32(TRN_REG_STATUS) & TRN_STATUS_READY) && now() < end)
		usleep(1000);
	set_command(argv[1], false);
	printf("model_stress: the device %s after it\n", ok ? "works" : "does NOT work");
	return ok ? 0 : 1;
}
