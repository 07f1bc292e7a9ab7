// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of the libnrt topology API: the sysfs fallback against a fake
 * sysfs tree (NRT_SYSFS_ROOT; the trn_link netlink family is not
 * registered on the build host) and the netlink message parser against
 * messages built with libnl.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "linux/trn_link.h"
#include "nrt.h"
#include "nrt_topology.h"

static char root[64], sysfs[128], devroot[128];

static void put(const char *text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Create the file at the formatted path (parents too) holding @text. */
static void put(const char *text, const char *fmt, ...)
{
	char path[PATH_MAX], *p;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	if (!text) {
		mkdir(path, 0755);
		return;
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *target, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void link_to(const char *target, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	assert_int_equal(symlink(target, path), 0);
}

/* A trn device accel<minor> at @bdf with chip id @chip. */
static void add_dev(unsigned int minor, const char *bdf, unsigned int chip)
{
	char buf[32], target[PATH_MAX];

	put(NULL, "%s/bus/pci/drivers/trn", sysfs);
	put(NULL, "%s/devices/pci0000:00/%s", sysfs, bdf);
	snprintf(buf, sizeof(buf), "%u\n", chip);
	put(buf, "%s/devices/pci0000:00/%s/chip_id", sysfs, bdf);
	/* The PCI core's own link/ (ASPM) is not a port. */
	put("0\n", "%s/devices/pci0000:00/%s/link/l1_aspm", sysfs, bdf);
	link_to("../../../bus/pci/drivers/trn", "%s/devices/pci0000:00/%s/driver",
		sysfs, bdf);
	put(NULL, "%s/bus/pci/devices", sysfs);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	link_to(target, "%s/bus/pci/devices/%s", sysfs, bdf);
	put(NULL, "%s/class/accel/accel%u", sysfs, minor);
	link_to(target, "%s/class/accel/accel%u/device", sysfs, minor);
	/* Its node, so that the process sees it (lib/nrt_enum.c). */
	put("", "%s/dev/accel/accel%u", root, minor);
}

static void add_port(const char *bdf, unsigned int port, const char *state,
		     const char *peer_chip, const char *peer_port,
		     const char *peer_dev)
{
	const char *d = "%s/devices/pci0000:00/%s/link%u/%s";

	put(state, d, sysfs, bdf, port, "state");
	if (peer_chip)
		put(peer_chip, d, sysfs, bdf, port, "peer_chip");
	if (peer_port)
		put(peer_port, d, sysfs, bdf, port, "peer_port");
	if (peer_dev)
		put(peer_dev, d, sysfs, bdf, port, "peer_device");
	put("100\n", d, sysfs, bdf, port, "speed");
	put("4\n", d, sysfs, bdf, port, "width");
	put("3\n", d, sysfs, bdf, port, "err_crc");
	put("0\n", d, sysfs, bdf, port, "err_replay");
	put("123456789012\n", d, sysfs, bdf, port, "tx_bytes");
	put("42\n", d, sysfs, bdf, port, "rx_bytes");
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/nrt-topo-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	mkdir(sysfs, 0755);
	put(NULL, "%s/module/trn", sysfs);
	snprintf(devroot, sizeof(devroot), "%s/dev", root);
	if (setenv("NRT_DEV_ROOT", devroot, 1))
		return -1;
	return setenv("NRT_SYSFS_ROOT", sysfs, 1);
}

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("NRT_SYSFS_ROOT");
	unsetenv("NRT_DEV_ROOT");
	return nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_sysfs_two_devices(void **state)
{
	const nrt_link *l;
	nrt_topology *t;

	(void)state;
	/* accel1 sorts after accel0 by PCI address: devices 0 and 1. */
	add_dev(1, "0000:02:00.0", 7);
	add_dev(0, "0000:01:00.0", 3);
	add_port("0000:01:00.0", 0, "up\n", "7\n", "2\n", "accel1\n");
	add_port("0000:01:00.0", 1, "down\n", "\n", "\n", "\n");
	add_port("0000:02:00.0", 2, "up\n", "3\n", "0\n", NULL); /* by chip */
	add_port("0000:02:00.0", 10, "training\n", NULL, NULL, NULL);
	add_port("0000:02:00.0", 3, "2\n", "99\n", "1\n", "-1\n"); /* not here */

	assert_int_equal(nrt_topology_get(&t), NRT_SUCCESS);
	assert_int_equal(nrt_topology_get_source(t), NRT_TOPOLOGY_SYSFS);
	assert_int_equal(nrt_topology_num_links(t), 5);

	l = nrt_topology_link(t, 0);
	assert_int_equal(l->device, 0);
	assert_int_equal(l->minor, 0);
	assert_int_equal(l->chip_id, 3);
	assert_string_equal(l->pci_bdf, "0000:01:00.0");
	assert_int_equal(l->port, 0);
	assert_int_equal(l->state, NRT_LINK_UP);
	assert_true(l->has_peer);
	assert_int_equal(l->peer_chip, 7);
	assert_int_equal(l->peer_port, 2);
	assert_int_equal(l->peer_device, 1);
	assert_int_equal(l->speed_gbps, 100);
	assert_int_equal(l->width, 4);
	assert_int_equal(l->err_crc, 3);
	assert_int_equal(l->tx_bytes, 123456789012ULL);
	assert_int_equal(l->rx_bytes, 42);

	l = nrt_topology_link(t, 1);
	assert_int_equal(l->state, NRT_LINK_DOWN);
	assert_false(l->has_peer);
	assert_int_equal(l->peer_device, -1);

	/* Sorted by port: 2, 3, 10. */
	l = nrt_topology_link(t, 2);
	assert_int_equal(l->device, 1);
	assert_int_equal(l->port, 2);
	assert_int_equal(l->peer_device, 0);
	l = nrt_topology_link(t, 3);
	assert_int_equal(l->port, 3);
	assert_int_equal(l->peer_chip, 99);
	assert_int_equal(l->peer_device, -1);
	l = nrt_topology_link(t, 4);
	assert_int_equal(l->port, 10);
	assert_int_equal(l->state, NRT_LINK_TRAINING);

	/* No host_id nor peer_host (an older driver): host 0 at both ends. */
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(nrt_topology_link(t, i)->host, 0);
		if (nrt_topology_link(t, i)->has_peer)
			assert_int_equal(nrt_topology_link(t, i)->peer_host, 0);
	}

	assert_ptr_equal(nrt_topology_find(t, 1, 3), nrt_topology_link(t, 3));
	assert_null(nrt_topology_find(t, 1, 4));
	assert_null(nrt_topology_link(t, 5));
	nrt_topology_free(t);
}

/*
 * Host 1 of a rack: a cable to chip 7 of host 2 is not one to the local
 * chip 7, whether sysfs names no peer device or (a bad driver) names one.
 */
static void test_sysfs_rack(void **state)
{
	const nrt_link *l;
	nrt_topology *t;

	(void)state;
	add_dev(0, "0000:01:00.0", 3);
	add_dev(1, "0000:02:00.0", 7);
	put("1\n", "%s/devices/pci0000:00/0000:01:00.0/host_id", sysfs);
	put("1\n", "%s/devices/pci0000:00/0000:02:00.0/host_id", sysfs);
	add_port("0000:01:00.0", 0, "up\n", "7\n", "2\n", "\n");
	put("2\n", "%s/devices/pci0000:00/0000:01:00.0/link0/peer_host", sysfs);
	add_port("0000:01:00.0", 1, "up\n", "7\n", "1\n", "accel1\n");
	put("2\n", "%s/devices/pci0000:00/0000:01:00.0/link1/peer_host", sysfs);
	add_port("0000:01:00.0", 2, "up\n", "7\n", "0\n", NULL);
	put("1\n", "%s/devices/pci0000:00/0000:01:00.0/link2/peer_host", sysfs);
	add_port("0000:02:00.0", 0, "down\n", "\n", "\n", "\n");
	put("\n", "%s/devices/pci0000:00/0000:02:00.0/link0/peer_host", sysfs);

	assert_int_equal(nrt_topology_get(&t), NRT_SUCCESS);
	assert_int_equal(nrt_topology_num_links(t), 4);
	l = nrt_topology_link(t, 0);
	assert_int_equal(l->host, 1);
	assert_int_equal(l->peer_host, 2);
	assert_int_equal(l->peer_chip, 7);
	assert_int_equal(l->peer_device, -1);
	l = nrt_topology_link(t, 1);
	assert_int_equal(l->peer_host, 2);
	assert_int_equal(l->peer_device, -1);
	/* The same host: found by chip. */
	l = nrt_topology_link(t, 2);
	assert_int_equal(l->peer_host, 1);
	assert_int_equal(l->peer_device, 1);
	l = nrt_topology_link(t, 3);
	assert_int_equal(l->host, 1);
	assert_false(l->has_peer);
	nrt_topology_free(t);
}

static void test_sysfs_bad_state(void **state)
{
	nrt_topology *t = NULL;

	(void)state;
	add_dev(0, "0000:01:00.0", 0);
	add_port("0000:01:00.0", 0, "sideways\n", NULL, NULL, NULL);
	assert_int_equal(nrt_topology_get(&t), NRT_FAILURE);
	assert_null(t);
	assert_non_null(strstr(nrt_last_error(), "link0/state: unknown state \"sideways\""));
}

static void test_sysfs_bad_counter(void **state)
{
	nrt_topology *t = NULL;

	(void)state;
	add_dev(0, "0000:01:00.0", 0);
	add_port("0000:01:00.0", 0, "up\n", "1\n", "2\n", NULL);
	put("lots\n", "%s/devices/pci0000:00/0000:01:00.0/link0/err_crc", sysfs);
	assert_int_equal(nrt_topology_get(&t), NRT_FAILURE);
	assert_non_null(strstr(nrt_last_error(), "err_crc: not a number"));
}

static void test_no_links_no_devices(void **state)
{
	nrt_topology *t;

	(void)state;
	/* Module loaded, no device: empty. */
	assert_int_equal(nrt_topology_get(&t), NRT_SUCCESS);
	assert_int_equal(nrt_topology_num_links(t), 0);
	nrt_topology_free(t);
	/* A device without link ports. */
	add_dev(0, "0000:01:00.0", 0);
	assert_int_equal(nrt_topology_get(&t), NRT_SUCCESS);
	assert_int_equal(nrt_topology_num_links(t), 0);
	nrt_topology_free(t);
	assert_int_equal(nrt_topology_get(NULL), NRT_INVALID);
	assert_int_equal(nrt_topology_num_links(NULL), 0);
	assert_null(nrt_topology_link(NULL, 0));
	nrt_topology_free(NULL);
	assert_string_equal(nrt_link_state_name(NRT_LINK_TRAINING), "training");
	assert_string_equal(nrt_link_state_name((nrt_link_state)9), "unknown");
}

static void test_no_driver(void **state)
{
	nrt_topology *t;

	(void)state;
	assert_int_equal(rmdir(sysfs), -1); /* not empty */
	remove(strcat(strcpy((char[160]){ 0 }, sysfs), "/module/trn"));
	assert_int_equal(nrt_topology_get(&t), NRT_NO_DRIVER);
}

static void test_listener_no_family(void **state)
{
	nrt_link_listener *l = NULL;

	(void)state;
	assert_int_equal(nrt_link_listener_open(NULL), NRT_INVALID);
	/* The build host has no trn_link family. */
	add_dev(0, "0000:01:00.0", 0);
	assert_int_not_equal(nrt_link_listener_open(&l), NRT_SUCCESS);
	assert_null(l);
	assert_int_equal(nrt_link_listener_fd(NULL), -1);
	nrt_link_listener_close(NULL);
}

/* --- netlink message parsing --------------------------------------------- */

static struct nl_msg *msg_new(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	assert_non_null(m);
	assert_non_null(genlmsg_put(m, 0, 0, 20, 0, 0, cmd, TRN_LINK_FAMILY_VERSION));
	return m;
}

/* Port 0 of accel4 up, to chip 11 port 0; no host attribute yet. */
static struct nl_msg *msg_up_to_chip11(void)
{
	struct nl_msg *m = msg_new(TRN_LINK_CMD_GET);

	nla_put_u32(m, TRN_LINK_A_DEV_INDEX, 4);
	nla_put_u32(m, TRN_LINK_A_PORT, 0);
	nla_put_u32(m, TRN_LINK_A_STATE, TRN_LINK_PORT_UP);
	nla_put_u32(m, TRN_LINK_A_PEER_CHIP, 11);
	nla_put_u32(m, TRN_LINK_A_PEER_PORT, 0);
	return m;
}

static void test_parse_msg(void **state)
{
	struct nrt_devmap dm;
	struct nl_msg *m;
	nrt_link l;
	uint32_t ev = 0;

	(void)state;
	add_dev(4, "0000:01:00.0", 10);
	add_dev(5, "0000:02:00.0", 11);
	assert_int_equal(nrt_devmap_get(&dm), NRT_SUCCESS);

	m = msg_new(TRN_LINK_CMD_EVENT);
	nla_put_u32(m, TRN_LINK_A_DEV_INDEX, 5);
	nla_put_u32(m, TRN_LINK_A_DEV_CHIP, 11);
	nla_put_string(m, TRN_LINK_A_DEV_BDF, "0000:02:00.0");
	nla_put_u32(m, TRN_LINK_A_PORT, 1);
	nla_put_u32(m, TRN_LINK_A_STATE, TRN_LINK_PORT_UP);
	nla_put_u32(m, TRN_LINK_A_PEER_CHIP, 10);
	nla_put_u32(m, TRN_LINK_A_PEER_PORT, 3);
	nla_put_u32(m, TRN_LINK_A_PEER_DEV_INDEX, 4);
	nla_put_u32(m, TRN_LINK_A_SPEED, 112);
	nla_put_u32(m, TRN_LINK_A_WIDTH, 8);
	nla_put_u64(m, TRN_LINK_A_ERR_CRC, 17);
	nla_put_u64(m, TRN_LINK_A_RX_BYTES, 1ULL << 40);
	nla_put_u32(m, TRN_LINK_A_EVENT, TRN_LINK_EVENT_STATE | TRN_LINK_EVENT_ERRORS);
	assert_int_equal(nrt_link_parse_msg(nlmsg_hdr(m), &dm, &l, &ev), NRT_SUCCESS);
	assert_int_equal(l.device, 1);
	assert_int_equal(l.minor, 5);
	assert_int_equal(l.chip_id, 11);
	assert_int_equal(l.port, 1);
	assert_int_equal(l.state, NRT_LINK_UP);
	assert_true(l.has_peer);
	assert_int_equal(l.peer_chip, 10);
	assert_int_equal(l.peer_port, 3);
	assert_int_equal(l.peer_device, 0);
	assert_int_equal(l.speed_gbps, 112);
	assert_int_equal(l.width, 8);
	assert_int_equal(l.err_crc, 17);
	assert_int_equal(l.rx_bytes, 1ULL << 40);
	assert_int_equal(ev, NRT_LINK_EVENT_STATE | NRT_LINK_EVENT_ERRORS);
	nlmsg_free(m);

	/* A device that is not here. */
	m = msg_new(TRN_LINK_CMD_GET);
	nla_put_u32(m, TRN_LINK_A_DEV_INDEX, 9);
	nla_put_u32(m, TRN_LINK_A_PORT, 0);
	nla_put_u32(m, TRN_LINK_A_STATE, 0);
	assert_int_equal(nrt_link_parse_msg(nlmsg_hdr(m), &dm, &l, NULL), NRT_NO_DEVICE);
	nlmsg_free(m);

	/* Missing the state; a bad state; a wrongly sized attribute. */
	m = msg_new(TRN_LINK_CMD_GET);
	nla_put_u32(m, TRN_LINK_A_DEV_INDEX, 4);
	nla_put_u32(m, TRN_LINK_A_PORT, 0);
	assert_int_equal(nrt_link_parse_msg(nlmsg_hdr(m), &dm, &l, NULL), NRT_FAILURE);
	nla_put_u32(m, TRN_LINK_A_STATE, 7);
	assert_int_equal(nrt_link_parse_msg(nlmsg_hdr(m), &dm, &l, NULL), NRT_FAILURE);
	assert_non_null(strstr(nrt_last_error(), "unknown state 7"));
	nlmsg_free(m);
	m = msg_new(TRN_LINK_CMD_GET);
	nla_put_u8(m, TRN_LINK_A_DEV_INDEX, 4);
	assert_int_equal(nrt_link_parse_msg(nlmsg_hdr(m), &dm, &l, NULL), NRT_FAILURE);
	nlmsg_free(m);

	/* Down, no peer, chip from sysfs. */
	m = msg_new(TRN_LINK_CMD_GET);
	nla_put_u32(m, TRN_LINK_A_DEV_INDEX, 4);
	nla_put_u32(m, TRN_LINK_A_PORT, 2);
	nla_put_u32(m, TRN_LINK_A_STATE, TRN_LINK_PORT_DOWN);
	assert_int_equal(nrt_link_parse_msg(nlmsg_hdr(m), &dm, &l, NULL), NRT_SUCCESS);
	assert_int_equal(l.device, 0);
	assert_int_equal(l.chip_id, 10);
	assert_false(l.has_peer);
	assert_int_equal(l.peer_device, -1);
	nlmsg_free(m);

	/* An older kernel: no hosts, the far device found by chip on host 0. */
	m = msg_up_to_chip11();
	assert_int_equal(nrt_link_parse_msg(nlmsg_hdr(m), &dm, &l, NULL), NRT_SUCCESS);
	assert_int_equal(l.host, 0);
	assert_int_equal(l.peer_host, 0);
	assert_int_equal(l.peer_device, 1);
	nlmsg_free(m);

	/*
	 * A kernel of hosts: a far end on host 3 is no local device, though
	 * chip 11 is here; without PEER_DEV_INDEX, none on host 0 either.
	 */
	m = msg_up_to_chip11();
	nla_put_u32(m, TRN_LINK_A_DEV_HOST, 0);
	nla_put_u32(m, TRN_LINK_A_PEER_HOST, 3);
	nla_put_u32(m, TRN_LINK_A_PEER_DEV_INDEX, 5);
	assert_int_equal(nrt_link_parse_msg(nlmsg_hdr(m), &dm, &l, NULL), NRT_SUCCESS);
	assert_int_equal(l.host, 0);
	assert_int_equal(l.peer_host, 3);
	assert_int_equal(l.peer_chip, 11);
	assert_int_equal(l.peer_device, -1);
	nlmsg_free(m);
	m = msg_up_to_chip11();
	nla_put_u32(m, TRN_LINK_A_DEV_HOST, 0);
	nla_put_u32(m, TRN_LINK_A_PEER_HOST, 0);
	assert_int_equal(nrt_link_parse_msg(nlmsg_hdr(m), &dm, &l, NULL), NRT_SUCCESS);
	assert_int_equal(l.peer_device, -1);
	nlmsg_free(m);
	nrt_devmap_free(&dm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sysfs_two_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_rack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_bad_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_bad_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_links_no_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listener_no_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_msg, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
