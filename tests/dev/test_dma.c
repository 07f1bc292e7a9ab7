// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Device tests of libnrt DMA: run on a machine (or VM) with a trn device
 * and the driver loaded.
 *
 *   NRT_TEST_DEVICE=N      device index (default 0)
 *   NRT_TEST_MAX_SIZE=S    largest transfer, bytes with optional K/M/G
 *                          (default 256M); larger cases are skipped
 *
 * Data written to a buffer before a DMA, and checked after it, goes through
 * the CPU mapping (nrt_buffer_map: the HBM BAR for HBM buffers), so the
 * check does not rely on the DMA paths it tests. Every destination is
 * filled with a guard byte first, and the bytes around the target range
 * are checked to be untouched.
 *
 * Exit status: that of cmocka (the number of failed tests).
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nrt.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define PAGE ((size_t)4096)
#define GUARD 0xee

static nrt_device *dev;
static nrt_device_info info;
static unsigned int dev_index;
static size_t max_size = 256 * MIB;

static const size_t sizes[] = {
	1, 3, 4095, 4096, 4097, 65537, MIB + 7, 16 * MIB, 256 * MIB,
};
static const size_t offsets[] = { 0, 1, 7, 4095 };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Offsets tried for a size: all of them for small sizes; for 16 MiB and
 * more, whose CPU-side pattern work dominates the run time in an emulated
 * guest, only the unaligned offset 7.
 */
static unsigned int first_offset(size_t len)
{
	return len >= 16 * MIB ? 2 : 0;
}

static unsigned int end_offset(size_t len)
{
	return len >= 16 * MIB ? 3 : ARRAY_SIZE(offsets);
}

static const char *pname(nrt_placement p)
{
	return p == NRT_PLACEMENT_HOST ? "HOST" : "HBM";
}

#define CHECK(call, what, ...) do { \
	nrt_status st_ = (call); \
	if (st_ != NRT_SUCCESS) \
		fail_msg(what ": %s: %s", ##__VA_ARGS__, nrt_strerror(st_), \
			 nrt_last_error()); \
} while (0)

/* --- patterns ---------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/*
 * The bytes start .. start + n - 1 of the pattern @seed: pseudo-random, so
 * that a byte landing at a wrong offset is caught. Byte k of the 8-byte word
 * at position 8w is byte k (little-endian) of mix64(w + seed * phi); whole
 * words are stored at once, which matters in an emulated guest.
 */
static uint64_t pattern_word(uint64_t seed, size_t word)
{
	return mix64((uint64_t)word + seed * UINT64_C(0x9e3779b97f4a7c15));
}

static void pattern_gen(unsigned char *out, uint64_t seed, size_t start,
			size_t n)
{
	size_t i = 0;

	/* Up to the first word boundary, and the last partial word, by byte */
	while (i < n && ((start + i) & 7)) {
		out[i] = (unsigned char)(pattern_word(seed, (start + i) >> 3) >>
					 (8 * ((start + i) & 7)));
		i++;
	}
	for (; n - i >= 8; i += 8) {
		uint64_t w = htole64(pattern_word(seed, (start + i) >> 3));

		memcpy(out + i, &w, sizeof(w));
	}
	for (; i < n; i++)
		out[i] = (unsigned char)(pattern_word(seed, (start + i) >> 3) >>
					 (8 * ((start + i) & 7)));
}

/* Index of the first byte of @p that differs from the pattern, or SIZE_MAX. */
static size_t pattern_check(const unsigned char *p, size_t len, uint64_t seed,
			    size_t start, unsigned char *expect_byte)
{
	unsigned char tmp[16384];
	size_t pos, i;

	for (pos = 0; pos < len; pos += sizeof(tmp)) {
		size_t n = len - pos < sizeof(tmp) ? len - pos : sizeof(tmp);

		pattern_gen(tmp, seed, start + pos, n);
		if (!memcmp(p + pos, tmp, n))
			continue;
		for (i = 0; i < n && p[pos + i] == tmp[i]; i++)
			;
		*expect_byte = tmp[i];
		return pos + i;
	}
	return SIZE_MAX;
}

/* Index of the first byte of @p that is not @v, or SIZE_MAX. */
static size_t byte_check(const unsigned char *p, size_t len, unsigned char v)
{
	unsigned char want[16384];
	size_t pos, i;

	memset(want, v, sizeof(want));
	for (pos = 0; pos < len; pos += sizeof(want)) {
		size_t n = len - pos < sizeof(want) ? len - pos : sizeof(want);

		if (!memcmp(p + pos, want, n))
			continue;
		for (i = 0; p[pos + i] == v; i++)
			;
		return pos + i;
	}
	return SIZE_MAX;
}

/*
 * Check a destination buffer of @total bytes at @p: GUARD before @off and
 * after @off + @len, the pattern @seed from @src_off in between.
 */
static void check_dst(const char *what, const unsigned char *p, size_t total,
		      size_t off, size_t len, uint64_t seed, size_t src_off)
{
	unsigned char want = 0;
	size_t bad;

	bad = byte_check(p, off, GUARD);
	if (bad != SIZE_MAX)
		fail_msg("%s: byte %zu before the range was changed to 0x%02x",
			 what, bad, p[bad]);
	bad = pattern_check(p + off, len, seed, src_off, &want);
	if (bad != SIZE_MAX)
		fail_msg("%s: byte %zu of %zu (buffer offset %zu) is 0x%02x, expected 0x%02x",
			 what, bad, len, off + bad, p[off + bad], want);
	bad = byte_check(p + off + len, total - off - len, GUARD);
	if (bad != SIZE_MAX)
		fail_msg("%s: byte %zu after the range (buffer offset %zu) was changed to 0x%02x",
			 what, bad, off + len + bad, p[off + len + bad]);
}

/* --- helpers ----------------------------------------------------------- */

static nrt_buffer *xalloc(size_t size, nrt_placement p)
{
	nrt_buffer *buf = NULL;

	CHECK(nrt_buffer_alloc(dev, size, p, &buf), "allocating %zu bytes of %s",
	      size, pname(p));
	return buf;
}

static unsigned char *xmap(nrt_buffer *buf)
{
	void *p = NULL;

	CHECK(nrt_buffer_map(buf, &p), "mapping the %s buffer of %zu bytes",
	      pname(nrt_buffer_placement(buf)), nrt_buffer_size(buf));
	return p;
}

/* Whether the device has room for @n HBM buffers of @size bytes. */
static bool hbm_fits(size_t size, unsigned int n)
{
	uint64_t need = (uint64_t)((size + PAGE - 1) / PAGE * PAGE) * n;

	/* Leave some room for what the driver keeps itself. */
	return need + 16 * MIB <= info.hbm_size;
}

static bool parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (*end) {
	case 'K': case 'k':
		v <<= 10;
		end++;
		break;
	case 'M': case 'm':
		v <<= 20;
		end++;
		break;
	case 'G': case 'g':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	if (*end || v == 0)
		return false;
	*out = (size_t)v;
	return true;
}

static int group_setup(void **state)
{
	const char *s;
	nrt_status st;

	(void)state;
	s = getenv("NRT_TEST_DEVICE");
	if (s && *s)
		dev_index = (unsigned int)strtoul(s, NULL, 10);
	s = getenv("NRT_TEST_MAX_SIZE");
	if (s && *s && !parse_size(s, &max_size)) {
		fprintf(stderr, "test_dma: invalid NRT_TEST_MAX_SIZE '%s'\n", s);
		return -1;
	}

	st = nrt_device_open(dev_index, &dev);
	if (st != NRT_SUCCESS) {
		fprintf(stderr, "test_dma: cannot open device %u: %s: %s\n",
			dev_index, nrt_strerror(st), nrt_last_error());
		return -1;
	}
	info.struct_size = sizeof(info);
	st = nrt_device_get_info(dev, &info);
	if (st != NRT_SUCCESS) {
		fprintf(stderr, "test_dma: device info: %s\n", nrt_last_error());
		return -1;
	}
	if (!info.dma_queues || !info.max_descs) {
		fprintf(stderr, "test_dma: device %u: the driver reports no DMA (dma_queues %u, max_descs %u)\n",
			dev_index, info.dma_queues, info.max_descs);
		return -1;
	}
	printf("test_dma: device %u (%s): %" PRIu64 " bytes HBM, %u DMA queues on %u engines, VA 0x%" PRIx64 "..0x%" PRIx64 ", %u descriptors per job\n",
	       dev_index, info.pci_bdf, info.hbm_size, info.dma_queues,
	       info.dma_engines, info.va_start, info.va_end, info.max_descs);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	nrt_device_close(dev);
	return 0;
}

/* --- data integrity ----------------------------------------------------- */

static void copy_cases(nrt_placement ps, nrt_placement pd)
{
	unsigned int si, k;

	for (si = 0; si < ARRAY_SIZE(sizes); si++) {
		const size_t len = sizes[si];
		const size_t total = len + PAGE + 16;   /* room for offsets and guards */
		unsigned int nhbm = (ps == NRT_PLACEMENT_HBM) + (pd == NRT_PLACEMENT_HBM);
		nrt_buffer *src, *dst;
		unsigned char *s, *d;

		if (len > max_size) {
			print_message("  skipping %zu bytes %s->%s: above NRT_TEST_MAX_SIZE\n",
				      len, pname(ps), pname(pd));
			continue;
		}
		if (nhbm && !hbm_fits(total, nhbm)) {
			print_message("  skipping %zu bytes %s->%s: HBM has %" PRIu64 " bytes\n",
				      len, pname(ps), pname(pd), info.hbm_size);
			continue;
		}
		src = xalloc(total, ps);
		dst = xalloc(total, pd);
		s = xmap(src);
		d = xmap(dst);

		/*
		 * Every offset pair for small sizes; one (aligned source,
		 * unaligned destination) for the large ones, whose CPU-side
		 * pattern checks dominate the run time in an emulated guest.
		 */
		for (k = 0; k < (len >= 16 * MIB ? 1 : ARRAY_SIZE(offsets)); k++) {
			const size_t soff = offsets[k];
			const size_t doff = offsets[(k + 1) % ARRAY_SIZE(offsets)];
			const uint64_t seed = si * 16 + k + 1 + (uint64_t)ps * 1000 + pd * 2000;
			char what[128];

			snprintf(what, sizeof(what), "%s->%s copy of %zu bytes from offset %zu to offset %zu",
				 pname(ps), pname(pd), len, soff, doff);
			pattern_gen(s, seed, 0, total);
			memset(d, GUARD, total);
			CHECK(nrt_copy(dst, doff, src, soff, len, NULL, NULL), "%s", what);
			check_dst(what, d, total, doff, len, seed, soff);
			/* The source is untouched. */
			if (pattern_check(s, total, seed, 0, &(unsigned char){ 0 }) != SIZE_MAX)
				fail_msg("%s: the source changed", what);
		}
		nrt_buffer_free(src);
		nrt_buffer_free(dst);
	}
}

static void test_copy_host_to_hbm(void **state)
{
	(void)state;
	copy_cases(NRT_PLACEMENT_HOST, NRT_PLACEMENT_HBM);
}

static void test_copy_hbm_to_host(void **state)
{
	(void)state;
	copy_cases(NRT_PLACEMENT_HBM, NRT_PLACEMENT_HOST);
}

static void test_copy_hbm_to_hbm(void **state)
{
	(void)state;
	copy_cases(NRT_PLACEMENT_HBM, NRT_PLACEMENT_HBM);
}

static void test_copy_host_to_host(void **state)
{
	(void)state;
	copy_cases(NRT_PLACEMENT_HOST, NRT_PLACEMENT_HOST);
}

/* nrt_buffer_write() then nrt_buffer_read(), checked also through the map. */
static void roundtrip_cases(nrt_placement p)
{
	unsigned int si, k;

	for (si = 0; si < ARRAY_SIZE(sizes); si++) {
		const size_t len = sizes[si];
		const size_t total = len + PAGE + 16;
		unsigned char *in, *out, *m;
		nrt_buffer *buf;

		if (len > max_size || (p == NRT_PLACEMENT_HBM && !hbm_fits(total, 1)))
			continue;
		in = malloc(total);
		out = malloc(len);
		if (!in || !out)
			fail_msg("out of memory for %zu bytes", total);
		buf = xalloc(total, p);
		m = xmap(buf);

		for (k = first_offset(len); k < end_offset(len); k++) {
			const size_t off = offsets[k];
			const uint64_t seed = 5000 + si * 16 + k + (uint64_t)p * 100;
			char what[128];
			size_t bad;

			snprintf(what, sizeof(what), "%s buffer_write/read of %zu bytes at offset %zu",
				 pname(p), len, off);
			pattern_gen(in, seed, off, len);
			memset(m, GUARD, total);
			CHECK(nrt_buffer_write(buf, off, in, len), "%s: write", what);
			check_dst(what, m, total, off, len, seed, off);
			memset(out, 0, len);
			CHECK(nrt_buffer_read(buf, off, out, len), "%s: read", what);
			for (bad = 0; bad < len && out[bad] == in[bad]; bad++)
				;
			if (bad < len)
				fail_msg("%s: read byte %zu is 0x%02x, written 0x%02x",
					 what, bad, out[bad], in[bad]);
		}
		nrt_buffer_free(buf);
		free(in);
		free(out);
	}
}

static void test_roundtrip_hbm(void **state)
{
	(void)state;
	roundtrip_cases(NRT_PLACEMENT_HBM);
}

static void test_roundtrip_host(void **state)
{
	(void)state;
	roundtrip_cases(NRT_PLACEMENT_HOST);
}

static void fill_cases(nrt_placement p)
{
	unsigned int si, k;

	for (si = 0; si < ARRAY_SIZE(sizes); si++) {
		const size_t len = sizes[si];
		const size_t total = len + PAGE + 16;
		nrt_buffer *buf;
		unsigned char *m;

		if (len > max_size || (p == NRT_PLACEMENT_HBM && !hbm_fits(total, 1)))
			continue;
		buf = xalloc(total, p);
		m = xmap(buf);
		for (k = first_offset(len); k < end_offset(len); k++) {
			const size_t off = offsets[k];
			const unsigned char v = (unsigned char)(0x11 * (k + 1) + si);
			size_t bad;

			memset(m, GUARD, total);
			CHECK(nrt_fill(buf, off, len, v, NULL, NULL),
			      "%s fill of %zu bytes at offset %zu", pname(p), len, off);
			if ((bad = byte_check(m, off, GUARD)) != SIZE_MAX ||
			    (bad = byte_check(m + off + len, total - off - len, GUARD)) != SIZE_MAX)
				fail_msg("%s fill of %zu bytes at offset %zu: a byte outside the range changed",
					 pname(p), len, off);
			bad = byte_check(m + off, len, v);
			if (bad != SIZE_MAX)
				fail_msg("%s fill of %zu bytes at offset %zu: byte %zu is 0x%02x, expected 0x%02x",
					 pname(p), len, off, bad, m[off + bad], v);
		}
		nrt_buffer_free(buf);
	}
}

static void test_fill_hbm(void **state)
{
	(void)state;
	fill_cases(NRT_PLACEMENT_HBM);
}

static void test_fill_host(void **state)
{
	(void)state;
	fill_cases(NRT_PLACEMENT_HOST);
}

/* --- many threads --------------------------------------------------------- */

#define NTHREADS 8
#define NCOPIES 200
#define SLOT 8192

struct worker {
	unsigned int id;
	char error[512];
};

static void worker_fail(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

static size_t worker_len(unsigned int id, unsigned int j)
{
	return 1 + (j * 997u + id * 31u) % SLOT;
}

/*
 * Each copy j goes HOST -> HBM on one queue, then HBM -> HOST on the next
 * queue after the first copy's fence; the fences are waited for in a
 * scrambled order.
 */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	nrt_buffer *src = NULL, *mid = NULL, *dst = NULL;
	nrt_fence *f1[NCOPIES] = { NULL }, *f2[NCOPIES] = { NULL };
	unsigned char *s = NULL, *d = NULL;
	unsigned int j, k;
	void *p;

	if (nrt_buffer_alloc(dev, NCOPIES * SLOT, NRT_PLACEMENT_HOST, &src) ||
	    nrt_buffer_alloc(dev, NCOPIES * SLOT, NRT_PLACEMENT_HBM, &mid) ||
	    nrt_buffer_alloc(dev, NCOPIES * SLOT, NRT_PLACEMENT_HOST, &dst)) {
		worker_fail(w, "allocation: %s", nrt_last_error());
		goto out;
	}
	if (nrt_buffer_map(src, &p)) {
		worker_fail(w, "map: %s", nrt_last_error());
		goto out;
	}
	s = p;
	if (nrt_buffer_map(dst, &p)) {
		worker_fail(w, "map: %s", nrt_last_error());
		goto out;
	}
	d = p;
	for (j = 0; j < NCOPIES; j++)
		pattern_gen(s + (size_t)j * SLOT, w->id * 1000 + j, 0, SLOT);
	memset(d, GUARD, NCOPIES * SLOT);

	for (j = 0; j < NCOPIES && !w->error[0]; j++) {
		nrt_copy_opts o1 = NRT_COPY_OPTS_INIT, o2 = NRT_COPY_OPTS_INIT;
		size_t off = (size_t)j * SLOT, len = worker_len(w->id, j);
		nrt_status st;

		o1.queue = (int)((w->id + j) % info.dma_queues);
		o2.queue = (int)((w->id + j + 1) % info.dma_queues);
		st = nrt_copy(mid, off, src, off, len, &o1, &f1[j]);
		if (st) {
			worker_fail(w, "copy %u to HBM on queue %d: %s", j, o1.queue,
				    nrt_last_error());
			break;
		}
		o2.wait = &f1[j];
		o2.wait_count = 1;
		st = nrt_copy(dst, off, mid, off, len, &o2, &f2[j]);
		if (st)
			worker_fail(w, "copy %u from HBM on queue %d: %s", j, o2.queue,
				    nrt_last_error());
	}

	/* 77 and NCOPIES are coprime: every fence once, out of order. */
	for (k = 0; k < NCOPIES; k++) {
		j = (k * 77 + w->id) % NCOPIES;
		if (f2[j] && nrt_fence_wait(f2[j], -1))
			worker_fail(w, "fence of copy %u from HBM: %s", j, nrt_last_error());
		if (f1[j] && nrt_fence_wait(f1[j], -1))
			worker_fail(w, "fence of copy %u to HBM: %s", j, nrt_last_error());
		nrt_fence_free(f2[j]);
		nrt_fence_free(f1[j]);
	}

	for (j = 0; j < NCOPIES && !w->error[0]; j++) {
		const unsigned char *slot = d + (size_t)j * SLOT;
		size_t len = worker_len(w->id, j), bad;
		unsigned char want = 0;

		bad = pattern_check(slot, len, w->id * 1000 + j, 0, &want);
		if (bad != SIZE_MAX)
			worker_fail(w, "copy %u (%zu bytes): byte %zu is 0x%02x, expected 0x%02x",
				    j, len, bad, slot[bad], want);
		else if (byte_check(slot + len, SLOT - len, GUARD) != SIZE_MAX)
			worker_fail(w, "copy %u (%zu bytes): bytes after it changed", j, len);
	}
out:
	nrt_buffer_free(src);
	nrt_buffer_free(mid);
	nrt_buffer_free(dst);
	return NULL;
}

static void test_threads(void **state)
{
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	unsigned int i;
	bool failed = false;

	(void)state;
	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (w[i].error[0]) {
			print_error("thread %u: %s\n", i, w[i].error);
			failed = true;
		}
	}
	if (failed)
		fail_msg("%d threads x %d copies: see the messages above", NTHREADS, NCOPIES);
}

/* --- faults ------------------------------------------------------------- */

static void expect_fault(nrt_status st, const char *what)
{
	if (st != NRT_HW_ERROR)
		fail_msg("%s: got %s (%s), expected NRT_HW_ERROR", what,
			 nrt_strerror(st), nrt_last_error());
	if (!strstr(nrt_last_error(), "device address fault"))
		fail_msg("%s: message \"%s\" does not say \"device address fault\"",
			 what, nrt_last_error());
}

static void test_fault(void **state)
{
	nrt_buffer *dst = xalloc(PAGE, NRT_PLACEMENT_HBM);
	nrt_buffer *src = xalloc(PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *gone = xalloc(64 * KIB, NRT_PLACEMENT_HBM);
	unsigned char *d = xmap(dst), *s = xmap(src);
	uint64_t gone_va = nrt_buffer_va(gone);
	nrt_dma_desc desc;
	nrt_fence *f = NULL;
	size_t bad;
	unsigned int q;

	(void)state;
	nrt_buffer_free(gone);
	memset(d, 0x77, PAGE);

	/* Reading an address no buffer has, at the top of the space. */
	if (info.va_end > info.va_start + 2 * PAGE) {
		memset(&desc, 0, sizeof(desc));
		desc.opcode = NRT_DMA_OP_COPY;
		desc.src = info.va_end - PAGE;
		desc.dst = nrt_buffer_va(dst);
		desc.len = 64;
		expect_fault(nrt_submit_raw(dev, 0, &desc, 1, NULL, 0, NULL),
			     "COPY from va_end - 4096");
	} else {
		print_message("  va_end not reported: skipping the COPY from va_end - 4096\n");
	}

	/* Reading a freed buffer. */
	memset(&desc, 0, sizeof(desc));
	desc.opcode = NRT_DMA_OP_COPY;
	desc.src = gone_va;
	desc.dst = nrt_buffer_va(dst);
	desc.len = PAGE;
	expect_fault(nrt_submit_raw(dev, 0, &desc, 1, NULL, 0, NULL),
		     "COPY from a freed buffer");
	bad = byte_check(d, PAGE, 0x77);
	if (bad != SIZE_MAX)
		fail_msg("the destination of the faulting copies changed at byte %zu", bad);

	/* Writing a freed buffer, asynchronously on every queue. */
	for (q = 0; q < info.dma_queues; q++) {
		char what[64];

		memset(&desc, 0, sizeof(desc));
		desc.opcode = NRT_DMA_OP_FILL;
		desc.src = 0;
		desc.dst = gone_va + 8;
		desc.len = 100;
		CHECK(nrt_submit_raw(dev, q, &desc, 1, NULL, 0, &f),
		      "FILL of a freed buffer on queue %u", q);
		snprintf(what, sizeof(what), "FILL of a freed buffer on queue %u", q);
		expect_fault(nrt_fence_wait(f, -1), what);
		expect_fault(nrt_fence_poll(f), what);   /* it stays failed */
		nrt_fence_free(f);

		/* The same handle and queue then do good work. */
		pattern_gen(s, 42 + q, 0, PAGE);
		memset(d, GUARD, PAGE);
		{
			nrt_copy_opts o = NRT_COPY_OPTS_INIT;

			o.queue = (int)q;
			CHECK(nrt_copy(dst, 1, src, 1, PAGE - 2, &o, NULL),
			      "good copy on queue %u after a fault", q);
		}
		check_dst("good copy after a fault", d, PAGE, 1, PAGE - 2, 42 + q, 1);
	}

	nrt_buffer_free(dst);
	nrt_buffer_free(src);
}

/* --- fences ------------------------------------------------------------- */

static void test_fence_wait_timeout(void **state)
{
	nrt_device *own = NULL;
	nrt_dma_desc desc;
	nrt_fence *f = NULL;
	struct pollfd pfd;
	nrt_status st;
	int fd = -1;

	unsigned int other;

	(void)state;
	if (info.dma_queues < 2)
		skip();   /* the signal would queue behind the blocked wait */
	/* A queue of another engine if there is one. */
	other = info.dma_engines > 1 ? info.dma_queues / info.dma_engines : 1;
	/* A handle of its own: semaphores belong to the open file. */
	CHECK(nrt_device_open(dev_index, &own), "opening device %u", dev_index);

	memset(&desc, 0, sizeof(desc));
	desc.opcode = NRT_DMA_OP_SEM_WAIT;
	desc.aux = 0;
	desc.len = 1;
	CHECK(nrt_submit_raw(own, 0, &desc, 1, NULL, 0, &f), "SEM_WAIT job");

	st = nrt_fence_wait(f, 1000000);
	if (st != NRT_TIMEOUT || !strstr(nrt_last_error(), "still running"))
		fail_msg("waiting 1 ms for a blocked job: %s (%s), expected NRT_TIMEOUT ... still running",
			 nrt_strerror(st), nrt_last_error());
	st = nrt_fence_poll(f);
	if (st != NRT_TIMEOUT)
		fail_msg("polling a blocked job: %s (%s)", nrt_strerror(st),
			 nrt_last_error());
	CHECK(nrt_fence_export_fd(f, &fd), "exporting the fence");
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) != 0)
		fail_msg("the sync_file of a blocked job is readable");

	desc.opcode = NRT_DMA_OP_SEM_SIGNAL;
	desc.len = 1;
	CHECK(nrt_submit_raw(own, other, &desc, 1, NULL, 0, NULL),
	      "SEM_SIGNAL job on queue %u", other);
	CHECK(nrt_fence_wait(f, -1), "the SEM_WAIT job after the signal");
	if (poll(&pfd, 1, 1000) != 1 || !(pfd.revents & POLLIN))
		fail_msg("the sync_file did not signal");
	close(fd);
	nrt_fence_free(f);
	nrt_device_close(own);
}

static void test_zero_and_invalid(void **state)
{
	nrt_buffer *a = xalloc(PAGE, NRT_PLACEMENT_HOST);
	nrt_buffer *b = xalloc(PAGE, NRT_PLACEMENT_HBM);
	nrt_copy_opts o = NRT_COPY_OPTS_INIT;
	nrt_fence *f = NULL;

	(void)state;
	CHECK(nrt_copy(b, 0, a, 0, 0, NULL, &f), "zero-length copy");
	CHECK(nrt_fence_poll(f), "fence of a zero-length copy");
	nrt_fence_free(f);
	o.queue = (int)info.dma_queues;
	if (nrt_copy(b, 0, a, 0, 1, &o, NULL) != NRT_INVALID)
		fail_msg("a copy on queue %u (of %u) was not refused", info.dma_queues,
			 info.dma_queues);
	if (nrt_copy(b, 1, a, 0, PAGE, NULL, NULL) != NRT_INVALID)
		fail_msg("a copy past the end of dst was not refused");
	nrt_buffer_free(a);
	nrt_buffer_free(b);
}

/* --- memory exhaustion -------------------------------------------------- */

static void test_hbm_exhaustion(void **state)
{
	size_t chunk = info.hbm_size / 64 > 16 * MIB ? 16 * MIB :
		       (size_t)(info.hbm_size / 64 / PAGE * PAGE);
	size_t cap, n = 0, i, again;
	nrt_buffer **bufs;
	nrt_status st;

	(void)state;
	if (chunk < PAGE)
		chunk = PAGE;
	cap = (size_t)(info.hbm_size / chunk) + 2;
	bufs = calloc(cap, sizeof(*bufs));
	assert_non_null(bufs);

	for (;;) {
		if (n == cap)
			fail_msg("allocated %zu buffers of %zu bytes (more than the %" PRIu64 " bytes of HBM) without NRT_RESOURCE",
				 n, chunk, info.hbm_size);
		st = nrt_buffer_alloc(dev, chunk, NRT_PLACEMENT_HBM, &bufs[n]);
		if (st == NRT_RESOURCE)
			break;
		if (st != NRT_SUCCESS)
			fail_msg("allocation %zu of %zu bytes of HBM: %s (%s), expected success or NRT_RESOURCE",
				 n, chunk, nrt_strerror(st), nrt_last_error());
		n++;
	}
	if (!strstr(nrt_last_error(), "HBM"))
		fail_msg("the NRT_RESOURCE message \"%s\" does not name HBM",
			 nrt_last_error());
	print_message("  HBM full after %zu buffers of %zu bytes (%zu bytes)\n", n,
		      chunk, n * chunk);
	if (n == 0)
		fail_msg("not even one %zu-byte HBM buffer could be allocated", chunk);
	for (i = 0; i < n; i++)
		nrt_buffer_free(bufs[i]);

	/* Everything came back: the same total fits again. */
	for (again = 0; again < n; again++) {
		st = nrt_buffer_alloc(dev, chunk, NRT_PLACEMENT_HBM, &bufs[again]);
		if (st != NRT_SUCCESS)
			fail_msg("after freeing all, allocation %zu of %zu failed: %s (%s): HBM leaked",
				 again, n, nrt_strerror(st), nrt_last_error());
	}
	for (i = 0; i < again; i++)
		nrt_buffer_free(bufs[i]);
	free(bufs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_host_to_hbm),
		cmocka_unit_test(test_copy_hbm_to_host),
		cmocka_unit_test(test_copy_hbm_to_hbm),
		cmocka_unit_test(test_copy_host_to_host),
		cmocka_unit_test(test_roundtrip_hbm),
		cmocka_unit_test(test_roundtrip_host),
		cmocka_unit_test(test_fill_hbm),
		cmocka_unit_test(test_fill_host),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_fault),
		cmocka_unit_test(test_fence_wait_timeout),
		cmocka_unit_test(test_zero_and_invalid),
		cmocka_unit_test(test_hbm_exhaustion),
	};

	return cmocka_run_group_tests_name("test_dma", tests, group_setup,
					   group_teardown);
}
