// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Device tests of peer DMA over NeuronLink: run on a machine (or VM) with
 * cabled trn devices and the driver loaded.
 *
 *   test_peer                 the suite (cmocka): every up port in both
 *                             directions, data passed around every ring of
 *                             the topology and to the farthest device, lifetimes, the
 *                             errors of imports and jobs
 *   test_peer --link-down DEV PORT DOWN-CMD UP-CMD
 *                             import over PORT and another port of DEV, run
 *                             DOWN-CMD (sh -c) which takes PORT down, check
 *                             that peer jobs over PORT fail with
 *                             NRT_NO_LINK while the other port works, run
 *                             UP-CMD and check that PORT works again; TAP
 *                             output
 *   test_peer --hold DEV PORT MIB
 *                             share MIB MiB of the device at the far end of
 *                             PORT with DEV, keep a copy into it running,
 *                             print "ready" and wait to be killed
 *
 * Source data is written, and destinations are read back, through the
 * owning device (its CPU mapping or host-staged DMA), never through the peer
 * path under test. Destinations are filled with a guard byte first and the
 * bytes around the target range are checked to be untouched.
 *
 * Exit status: that of cmocka (the number of failed tests), or for
 * --link-down the number of failed checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nrt.h"
#include "tap.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define GUARD 0xee
#define MAX_DEVS 64

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK(call, what, ...) do { \
	nrt_status st_ = (call); \
	if (st_ != NRT_SUCCESS) \
		fail_msg(what ": %s: %s", ##__VA_ARGS__, nrt_strerror(st_), \
			 nrt_last_error()); \
} while (0)

static nrt_device *devs[MAX_DEVS];
static unsigned int ndevs;
static nrt_topology *topo;

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

static void pattern_gen(unsigned char *out, uint64_t seed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 8) {
		uint64_t w = mix64((i >> 3) + seed * UINT64_C(0x9e3779b97f4a7c15));
		size_t k;

		for (k = 0; k < 8 && i + k < n; k++)
			out[i + k] = (unsigned char)(w >> (8 * k));
	}
}

/* A buffer of @size bytes on @d holding the pattern @seed. */
static nrt_buffer *pattern_buffer(nrt_device *d, size_t size, uint64_t seed)
{
	unsigned char *tmp = malloc(size);
	nrt_buffer *b = NULL;

	assert_non_null(tmp);
	pattern_gen(tmp, seed, size);
	CHECK(nrt_buffer_alloc(d, size, NRT_PLACEMENT_HBM, &b), "alloc %zu", size);
	CHECK(nrt_buffer_write(b, 0, tmp, size), "write %zu", size);
	free(tmp);
	return b;
}

/* A buffer of @size bytes on @d filled with GUARD. */
static nrt_buffer *guard_buffer(nrt_device *d, size_t size)
{
	nrt_buffer *b = NULL;

	CHECK(nrt_buffer_alloc(d, size, NRT_PLACEMENT_HBM, &b), "alloc %zu", size);
	CHECK(nrt_fill(b, 0, size, GUARD, NULL, NULL), "fill %zu", size);
	return b;
}

/*
 * Whether @b (read through its own device) holds GUARD outside
 * [@off, @off + @len) and the pattern @seed inside; prints the first
 * difference.
 */
static bool buffer_matches(nrt_buffer *b, size_t off, size_t len, uint64_t seed,
			   const char *what)
{
	size_t size = nrt_buffer_size(b), i;
	unsigned char *got = malloc(size), *want = malloc(len ? len : 1);
	bool ok = true;

	assert_non_null(got);
	assert_non_null(want);
	CHECK(nrt_buffer_read(b, 0, got, size), "read back %zu", size);
	pattern_gen(want, seed, len);
	for (i = 0; i < size && ok; i++) {
		unsigned char w = i >= off && i < off + len ? want[i - off] : GUARD;

		if (got[i] != w) {
			print_error("%s: byte %zu of %zu is 0x%02x, want 0x%02x\n",
				    what, i, size, got[i], w);
			ok = false;
		}
	}
	free(got);
	free(want);
	return ok;
}

/* --- topology ---------------------------------------------------------- */

/* The device at the far end of @dev's @port if it is up, else -1. */
static int far_device(unsigned int dev, unsigned int port)
{
	const nrt_link *l = nrt_topology_find(topo, dev, port);

	if (!l || l->state != NRT_LINK_UP || !l->has_peer || l->peer_device < 0 ||
	    (unsigned int)l->peer_device >= ndevs)
		return -1;
	return l->peer_device;
}

/* The first up port of @a that leads to @b, or -1. */
static int port_to(unsigned int a, unsigned int b)
{
	size_t i;

	for (i = 0; i < nrt_topology_num_links(topo); i++) {
		const nrt_link *l = nrt_topology_link(topo, i);

		if (l->device == a && far_device(a, l->port) == (int)b)
			return (int)l->port;
	}
	return -1;
}

static unsigned int up_links(void)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < nrt_topology_num_links(topo); i++) {
		const nrt_link *l = nrt_topology_link(topo, i);

		n += far_device(l->device, l->port) >= 0;
	}
	return n;
}

/* --- one peer copy ----------------------------------------------------- */

/*
 * Copy @len bytes of the pattern @seed from device @a to device @b over
 * @port of the device that runs the job: @a pushes (writes the peer) if
 * @push, else @b pulls (reads the peer). Checks the result on @b.
 */
static bool peer_copy(unsigned int a, unsigned int b, int port, size_t len,
		      size_t off, bool push, uint64_t seed)
{
	nrt_buffer *src = pattern_buffer(devs[a], len, seed);
	nrt_buffer *dst = guard_buffer(devs[b], len + 2 * off);
	nrt_buffer *peer = NULL;
	char what[96];
	bool ok;

	if (push) {
		CHECK(nrt_buffer_peer(devs[a], dst, port, 0, &peer),
		      "import on %u of %u over port %d", a, b, port);
		assert_int_equal(nrt_buffer_placement(peer), NRT_PLACEMENT_PEER);
		CHECK(nrt_copy(peer, off, src, 0, len, NULL, NULL),
		      "push %zu bytes %u -> %u", len, a, b);
	} else {
		CHECK(nrt_buffer_peer(devs[b], src, port, 0, &peer),
		      "import on %u of %u over port %d", b, a, port);
		CHECK(nrt_copy(dst, off, peer, 0, len, NULL, NULL),
		      "pull %zu bytes %u <- %u", len, b, a);
	}
	snprintf(what, sizeof(what), "%s %zu bytes chip %u -> %u",
		 push ? "push" : "pull", len, a, b);
	ok = buffer_matches(dst, off, len, seed, what);
	nrt_buffer_free(peer);
	nrt_buffer_free(src);
	nrt_buffer_free(dst);
	return ok;
}

/* --- tests ------------------------------------------------------------- */

/* Every up port, pushing and pulling, a small and an odd-sized transfer. */
static void test_every_link(void **state)
{
	static const size_t sizes[] = { 1, 65536 + 13 };
	unsigned int checked = 0, bad = 0;
	size_t i, k;

	(void)state;
	if (!up_links())
		skip();
	for (i = 0; i < nrt_topology_num_links(topo); i++) {
		const nrt_link *l = nrt_topology_link(topo, i);
		int b = far_device(l->device, l->port);

		if (b < 0)
			continue;
		for (k = 0; k < ARRAY_SIZE(sizes); k++) {
			bool push = (k + i) & 1;

			if (push)
				bad += !peer_copy(l->device, b, l->port, sizes[k], 5,
						  true, i * 7 + k);
			else
				bad += !peer_copy(b, l->device, l->port, sizes[k], 5,
						  false, i * 7 + k);
			checked++;
		}
	}
	print_message("# %u peer copies over %u up ports\n", checked, up_links());
	assert_int_equal(bad, 0);
}

/*
 * Follow a cycle: from @start, leave each device by the port numbered @out
 * and record the devices until @start comes back. Returns the length, or 0
 * if the path leaves the devices, stops or is longer than MAX_DEVS.
 */
static unsigned int cycle(unsigned int start, unsigned int out,
			  unsigned int *path)
{
	unsigned int n = 0, d = start;

	do {
		int next = far_device(d, out);

		if (next < 0 || n == MAX_DEVS)
			return 0;
		path[n++] = d;
		d = (unsigned int)next;
	} while (d != start);
	return n;
}

/*
 * Pass a buffer around a cycle, each device pushing it to the next over
 * NeuronLink, and check what comes back to the start; the sizes cover a
 * partial page, a page-crossing odd size and several MiB.
 */
static void pass_around(const unsigned int *path, unsigned int n, size_t len,
			uint64_t seed)
{
	nrt_buffer *hop[MAX_DEVS + 1];
	unsigned int i;
	char what[64];

	hop[0] = pattern_buffer(devs[path[0]], len, seed);
	for (i = 1; i <= n; i++)
		hop[i] = guard_buffer(devs[path[i % n]], len);
	for (i = 0; i < n; i++) {
		nrt_buffer *peer = NULL;
		int port = port_to(path[i], path[(i + 1) % n]);

		assert_true(port >= 0);
		CHECK(nrt_buffer_peer(devs[path[i]], hop[i + 1], port, 0, &peer),
		      "import hop %u", i);
		CHECK(nrt_copy(peer, 0, hop[i], 0, len, NULL, NULL), "hop %u", i);
		nrt_buffer_free(peer);
	}
	snprintf(what, sizeof(what), "%zu bytes around %u devices", len, n);
	assert_true(buffer_matches(hop[n], 0, len, seed, what));
	for (i = 0; i <= n; i++)
		nrt_buffer_free(hop[i]);
}

static void test_rings(void **state)
{
	static const size_t sizes[] = { 100, 4096 * 3 + 7, 4 * MIB + 1 };
	unsigned int path[MAX_DEVS], rings = 0, port, start, n, i;
	uint64_t seen[4 * MAX_DEVS], mask;
	unsigned int nseen = 0, k;
	bool dup;

	(void)state;
	/*
	 * The rings the ports form, whatever the port numbering: the ring of a
	 * ring topology, the rows and columns of a torus. A ring followed the
	 * other way, or from another of its devices, is the same set.
	 */
	for (port = 0; port < 16; port++) {
		for (start = 0; start < ndevs; start++) {
			n = cycle(start, port, path);
			if (n < 2)
				continue;
			mask = 0;
			for (i = 0; i < n; i++)
				mask |= UINT64_C(1) << path[i];
			dup = false;
			for (k = 0; k < nseen; k++)
				dup |= seen[k] == mask;
			if (dup || nseen == ARRAY_SIZE(seen))
				continue;
			seen[nseen++] = mask;
			for (k = 0; k < ARRAY_SIZE(sizes); k++)
				pass_around(path, n, sizes[k], rings * 3 + k + 100);
			print_message("# ring of %u devices from chip %u by port %u\n",
				      n, start, port);
			rings++;
		}
	}
	if (!rings)
		skip();
}

/*
 * Across the topology: from device 0 to the device farthest from it (in
 * hops), along a shortest path, with the data checked only at the end.
 */
static void test_across(void **state)
{
	unsigned int dist[MAX_DEVS], prev[MAX_DEVS], queue[MAX_DEVS];
	unsigned int path[MAX_DEVS], head = 0, tail = 0, far = 0, n, i, port;
	nrt_buffer *hop[MAX_DEVS];
	const size_t len = 2 * MIB + 3;

	(void)state;
	for (i = 0; i < ndevs; i++)
		dist[i] = UINT32_MAX;
	dist[0] = 0;
	queue[tail++] = 0;
	while (head < tail) {
		unsigned int d = queue[head++];

		for (port = 0; port < 16; port++) {
			int next = far_device(d, port);

			if (next >= 0 && dist[next] == UINT32_MAX) {
				dist[next] = dist[d] + 1;
				prev[next] = d;
				queue[tail++] = (unsigned int)next;
				if (dist[next] > dist[far])
					far = (unsigned int)next;
			}
		}
	}
	if (dist[far] < 2)
		skip();
	n = dist[far] + 1;
	for (i = n, port = far; i > 0; i--, port = prev[port])
		path[i - 1] = port;

	hop[0] = pattern_buffer(devs[0], len, 4242);
	for (i = 1; i < n; i++) {
		nrt_buffer *peer = NULL;

		hop[i] = guard_buffer(devs[path[i]], len);
		CHECK(nrt_buffer_peer(devs[path[i - 1]], hop[i], -1, 0, &peer),
		      "import hop %u", i);
		CHECK(nrt_copy(peer, 0, hop[i - 1], 0, len, NULL, NULL), "hop %u", i);
		nrt_buffer_free(peer);
	}
	print_message("# across: chip 0 to chip %u in %u hops\n", path[n - 1], n - 1);
	assert_true(buffer_matches(hop[n - 1], 0, len, 4242, "across"));
	for (i = 0; i < n; i++)
		nrt_buffer_free(hop[i]);
}

/* Bytes of HBM allocated on device @d: its sysfs hbm_used. */
static uint64_t hbm_used(nrt_device *d)
{
	nrt_device_info di = { .struct_size = sizeof(di) };
	unsigned long long v = 0;
	char path[128];
	FILE *f;

	CHECK(nrt_device_get_info(d, &di), "info");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/hbm_used", di.pci_bdf);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu", &v), 1);
	fclose(f);
	return v;
}

/* A peer buffer keeps the memory, and the exporter's address space, alive. */
static void test_lifetime(void **state)
{
	nrt_device *b_dev = NULL;
	uint64_t before, after;
	nrt_buffer *remote, *peer = NULL, *src, *dst;
	const size_t len = 3 * MIB;
	int port, b;

	(void)state;
	if (!up_links())
		skip();
	port = -1;
	for (b = 0; b < (int)ndevs && port < 0; b++)
		port = port_to(0, (unsigned int)b);
	b--;
	assert_true(port >= 0);
	before = hbm_used(devs[b]);

	/* A second handle of B: its own file, closed before the peer copy */
	CHECK(nrt_device_open((unsigned int)b, &b_dev), "open %d", b);
	remote = guard_buffer(b_dev, len);
	CHECK(nrt_buffer_peer(devs[0], remote, port, 0, &peer), "import");
	nrt_buffer_free(remote);
	nrt_device_close(b_dev);

	src = pattern_buffer(devs[0], len, 77);
	dst = guard_buffer(devs[0], len);
	CHECK(nrt_copy(peer, 0, src, 0, len, NULL, NULL), "push to freed");
	CHECK(nrt_copy(dst, 0, peer, 0, len, NULL, NULL), "pull back");
	assert_true(buffer_matches(dst, 0, len, 77, "through a freed export"));
	nrt_buffer_free(src);
	nrt_buffer_free(dst);

	/* The buffer, and the closed file's page tables, are still there */
	after = hbm_used(devs[b]);
	assert_true(after >= before + len);
	nrt_buffer_free(peer);
	/* The memory goes once no job can use it: give the free a moment */
	for (int i = 0; i < 200 && (after = hbm_used(devs[b])) > before; i++)
		usleep(10000);
	if (after > before)
		fail_msg("device %d: hbm_used %" PRIu64 " after the peer buffer went, %" PRIu64
			 " before", b, after, before);
}

/* What imports refuse, and what peer jobs may not do. */
static void test_errors(void **state)
{
	nrt_buffer *hbm, *host, *peer = NULL, *peer2 = NULL, *src;
	int fd = -1, port = -1, wrong = -1, b = -1, i, null_fd;
	nrt_status st;

	(void)state;
	for (i = 0; i < (int)ndevs && port < 0; i++)
		if ((port = port_to(0, (unsigned int)i)) >= 0)
			b = i;
	if (port < 0)
		skip();
	/* A port of device 0 that is up but leads elsewhere, if any */
	for (i = 0; i < 16 && wrong < 0; i++)
		if (far_device(0, (unsigned int)i) >= 0 &&
		    far_device(0, (unsigned int)i) != b)
			wrong = i;

	hbm = guard_buffer(devs[b], 8192);
	CHECK(nrt_buffer_alloc(devs[b], 8192, NRT_PLACEMENT_HOST, &host), "host");

	assert_int_equal(nrt_buffer_export_fd(host, &fd), NRT_UNSUPPORTED);
	assert_int_equal(nrt_buffer_export_fd(NULL, &fd), NRT_INVALID);
	assert_int_equal(nrt_buffer_peer(devs[0], hbm, port, 0x80, &peer),
			 NRT_INVALID);
	assert_int_equal(nrt_buffer_peer(devs[0], hbm, 4096, 0, &peer),
			 NRT_INVALID);
	/* Own memory is not a peer's */
	assert_int_equal(nrt_buffer_peer(devs[b], hbm, port, 0, &peer),
			 NRT_INVALID);
	if (wrong >= 0)
		assert_int_equal(nrt_buffer_peer(devs[0], hbm, wrong, 0, &peer),
				 NRT_NO_LINK);
	null_fd = open("/dev/null", 0);
	assert_true(null_fd >= 0);
	assert_int_equal(nrt_buffer_import_peer(devs[0], null_fd, port, 0, &peer),
			 NRT_INVALID);
	close(null_fd);
	assert_int_equal(nrt_buffer_import_peer(devs[0], 1 << 20, port, 0, &peer),
			 NRT_INVALID);

	/* Read-only: reads work, writes fault; peers cannot be re-exported */
	CHECK(nrt_buffer_peer(devs[0], hbm, port, NRT_PEER_READONLY, &peer), "ro");
	src = pattern_buffer(devs[0], 8192, 5);
	CHECK(nrt_copy(src, 0, peer, 0, 8192, NULL, NULL), "read ro");
	st = nrt_copy(peer, 0, src, 0, 8192, NULL, NULL);
	assert_int_equal(st, NRT_HW_ERROR);
	assert_true(buffer_matches(hbm, 0, 0, 0, "read-only peer after a write"));
	assert_int_equal(nrt_buffer_export_fd(peer, &fd), NRT_UNSUPPORTED);
	{
		void *p;

		assert_int_equal(nrt_buffer_map(peer, &p), NRT_UNSUPPORTED);
	}
	/* CPU access goes by DMA through host memory */
	CHECK(nrt_buffer_peer(devs[0], hbm, port, 0, &peer2), "rw");
	{
		unsigned char buf[100], back[100];

		pattern_gen(buf, 9, sizeof(buf));
		CHECK(nrt_buffer_write(peer2, 1000, buf, sizeof(buf)), "write peer");
		CHECK(nrt_buffer_read(hbm, 1000, back, sizeof(back)), "read owner");
		assert_memory_equal(buf, back, sizeof(buf));
		memset(back, 0, sizeof(back));
		CHECK(nrt_buffer_read(peer2, 1000, back, sizeof(back)), "read peer");
		assert_memory_equal(buf, back, sizeof(buf));
	}
	nrt_buffer_free(peer2);
	nrt_buffer_free(peer);
	nrt_buffer_free(src);
	nrt_buffer_free(host);
	nrt_buffer_free(hbm);
}

/* --- --link-down ------------------------------------------------------- */

/* Push 64 KiB over @peer (a buffer of the far device @far) and check it. */
static nrt_status push_check(unsigned int dev, nrt_buffer *peer,
			     nrt_buffer *far_buf, uint64_t seed, bool *data_ok)
{
	const size_t len = 64 * KIB;
	unsigned char *want = malloc(len), *got = malloc(len);
	nrt_buffer *src = NULL;
	nrt_status st;

	*data_ok = false;
	if (!want || !got)
		abort();
	pattern_gen(want, seed, len);
	st = nrt_buffer_alloc(devs[dev], len, NRT_PLACEMENT_HBM, &src);
	if (!st)
		st = nrt_buffer_write(src, 0, want, len);
	if (!st)
		st = nrt_copy(peer, 0, src, 0, len, NULL, NULL);
	if (!st && nrt_buffer_read(far_buf, 0, got, len) == NRT_SUCCESS)
		*data_ok = !memcmp(want, got, len);
	nrt_buffer_free(src);
	free(want);
	free(got);
	return st;
}

static int link_down(unsigned int dev, unsigned int port, const char *down,
		     const char *up)
{
	nrt_buffer *far_buf, *other_buf, *peer = NULL, *other = NULL;
	unsigned int other_port;
	int far = far_device(dev, port), other_far = -1;
	bool data_ok;
	nrt_status st;

	if (far < 0) {
		printf("Bail out! port %u of device %u is not up\n", port, dev);
		return 1;
	}
	for (other_port = 0; other_port < 16; other_port++) {
		if (other_port != port &&
		    (other_far = far_device(dev, other_port)) >= 0)
			break;
	}
	if (other_far < 0) {
		printf("Bail out! device %u has no other up port\n", dev);
		return 1;
	}
	printf("# device %u: port %u to device %d, port %u to device %d\n", dev,
	       port, far, other_port, other_far);
	if (nrt_buffer_alloc(devs[far], 64 * KIB, NRT_PLACEMENT_HBM, &far_buf) ||
	    nrt_buffer_alloc(devs[other_far], 64 * KIB, NRT_PLACEMENT_HBM,
			     &other_buf) ||
	    nrt_buffer_peer(devs[dev], far_buf, (int)port, 0, &peer) ||
	    nrt_buffer_peer(devs[dev], other_buf, (int)other_port, 0, &other)) {
		printf("Bail out! setup: %s\n", nrt_last_error());
		return 1;
	}

	st = push_check(dev, peer, far_buf, 1, &data_ok);
	tap(!st && data_ok, "port %u up: peer copy arrives (%s)", port, nrt_strerror(st));

	tap(system(down) == 0, "take port %u down: %s", port, down);
	st = push_check(dev, peer, far_buf, 2, &data_ok);
	tap(st == NRT_NO_LINK, "port %u down: peer copy fails with NRT_NO_LINK (%s: %s)",
	    port, nrt_strerror(st), st ? nrt_last_error() : "");
	st = push_check(dev, other, other_buf, 3, &data_ok);
	tap(!st && data_ok, "port %u down: port %u still works (%s)", port,
	    other_port, nrt_strerror(st));
	{
		nrt_buffer *late = NULL;

		st = nrt_buffer_peer(devs[dev], far_buf, (int)port, 0, &late);
		tap(st == NRT_NO_LINK, "port %u down: import over it refused (%s)",
		    port, nrt_strerror(st));
		nrt_buffer_free(late);
	}

	tap(system(up) == 0, "bring port %u up: %s", port, up);
	st = push_check(dev, peer, far_buf, 4, &data_ok);
	tap(!st && data_ok, "port %u up again: the same peer buffer works (%s)",
	    port, nrt_strerror(st));

	nrt_buffer_free(peer);
	nrt_buffer_free(other);
	nrt_buffer_free(far_buf);
	nrt_buffer_free(other_buf);
	return tap_plan();
}

/* --- --hold ------------------------------------------------------------ */

static int hold(unsigned int dev, unsigned int port, size_t mib)
{
	nrt_buffer *remote = NULL, *peer = NULL, *src = NULL;
	int far = far_device(dev, port);
	nrt_fence *f = NULL;

	if (far < 0) {
		fprintf(stderr, "test_peer: port %u of device %u is not up\n", port, dev);
		return 1;
	}
	if (nrt_buffer_alloc(devs[far], mib * MIB, NRT_PLACEMENT_HBM, &remote) ||
	    nrt_buffer_peer(devs[dev], remote, (int)port, 0, &peer) ||
	    nrt_buffer_alloc(devs[dev], mib * MIB, NRT_PLACEMENT_HBM, &src)) {
		fprintf(stderr, "test_peer: %s\n", nrt_last_error());
		return 1;
	}
	/* The sharing is what must go: the exporter's handle goes first */
	nrt_buffer_free(remote);
	printf("ready far=%d\n", far);
	fflush(stdout);
	for (;;) {
		if (nrt_copy(peer, 0, src, 0, mib * MIB, NULL, &f)) {
			fprintf(stderr, "test_peer: %s\n", nrt_last_error());
			return 1;
		}
		nrt_fence_wait(f, -1);
		nrt_fence_free(f);
	}
}

/* --- setup ------------------------------------------------------------- */

static int setup(void)
{
	unsigned int i;

	if (nrt_device_count(&ndevs) || !ndevs) {
		fprintf(stderr, "test_peer: no device: %s\n", nrt_last_error());
		return -1;
	}
	if (ndevs > MAX_DEVS)
		ndevs = MAX_DEVS;
	for (i = 0; i < ndevs; i++) {
		if (nrt_device_open(i, &devs[i])) {
			fprintf(stderr, "test_peer: device %u: %s\n", i,
				nrt_last_error());
			return -1;
		}
	}
	if (nrt_topology_get(&topo)) {
		fprintf(stderr, "test_peer: topology: %s\n", nrt_last_error());
		return -1;
	}
	return 0;
}

static void teardown(void)
{
	unsigned int i;

	nrt_topology_free(topo);
	for (i = 0; i < ndevs; i++)
		nrt_device_close(devs[i]);
}

static int group_setup(void **state)
{
	(void)state;
	return setup();
}

static int group_teardown(void **state)
{
	(void)state;
	teardown();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_link),
		cmocka_unit_test(test_rings),
		cmocka_unit_test(test_across),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_errors),
	};
	int ret;

	if (argc == 6 && !strcmp(argv[1], "--link-down")) {
		if (setup())
			return 1;
		ret = link_down((unsigned int)atoi(argv[2]),
				(unsigned int)atoi(argv[3]), argv[4], argv[5]);
		teardown();
		return ret;
	}
	if (argc == 5 && !strcmp(argv[1], "--hold")) {
		if (setup())
			return 1;
		return hold((unsigned int)atoi(argv[2]), (unsigned int)atoi(argv[3]),
			    (size_t)atoi(argv[4]));
	}
	if (argc != 1) {
		fprintf(stderr,
			"usage: test_peer\n"
			"       test_peer --link-down DEV PORT DOWN-CMD UP-CMD\n"
			"       test_peer --hold DEV PORT MIB\n");
		return 2;
	}
	return cmocka_run_group_tests_name("test_peer", tests, group_setup,
					   group_teardown);
}
