// SPDX-License-Identifier: GPL-2.0-only
/*
 * What an operator's tools see of an uncorrectable memory error
 * (tests/vm/t/88-ecc.sh): the KOBJ_CHANGE uevent of the PCI device, and the
 * ECC_EVENT message on the "health" group of the trn_link generic netlink
 * family. It joins both, prints "ready", and prints each as one line:
 *
 *   uevent TRN_ECC_ADDR=0x3fff000 TRN_ECC_PAGE=retired
 *   netlink bdf=0000:01:00.0 addr=0x3fff000 page=retired total=1 retired=1 unlogged=0
 *
 * or, once the device's error log is full, for pages it could not log:
 *
 *   uevent TRN_ECC_UNLOGGED=3 TRN_ECC_PAGE=unlogged
 *   netlink bdf=0000:01:00.0 addr=none page=unlogged total=70 retired=64 unlogged=3
 *
 * until it has seen one of each for device BDF, or SECONDS have passed.
 * Exit 0 if it saw both, 1 if not, 2 if it could not listen.
 *
 *   ecc_watch BDF SECONDS
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <linux/trn_link.h>

static const char *want_bdf;
static bool got_uevent, got_netlink;

/* A uevent: NUL-separated "ACTION@DEVPATH", then KEY=VALUE strings. */
static void uevent(const char *buf, size_t len)
{
	const char *addr = NULL, *page = NULL, *p;
	bool ecc = false;

	if (!strstr(buf, want_bdf) || strncmp(buf, "change@", 7))
		return;
	for (p = buf; p < buf + len; p += strlen(p) + 1) {
		if (!strcmp(p, "TRN_EVENT=ecc"))
			ecc = true;
		else if (!strncmp(p, "TRN_ECC_ADDR=", 13) ||
			 !strncmp(p, "TRN_ECC_UNLOGGED=", 17))
			addr = p;
		else if (!strncmp(p, "TRN_ECC_PAGE=", 13))
			page = p;
	}
	if (!ecc)
		return;
	printf("uevent %s %s\n", addr ? addr : "(no address)", page ? page : "(no state)");
	fflush(stdout);
	got_uevent = addr && page;
}

static int health(struct nl_msg *msg, void *arg)
{
	struct nlattr *a[TRN_LINK_ECC_A_MAX + 1];
	static const char *const states[] = {
		[TRN_LINK_PAGE_RETIRED] = "retired",
		[TRN_LINK_PAGE_PENDING] = "pending",
		[TRN_LINK_PAGE_UNLOGGED] = "unlogged",
	};
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	const char *bdf, *state = "(bad state)";
	char addr[24] = "none";
	uint32_t st;

	(void)arg;
	if (gh->cmd != TRN_LINK_CMD_ECC_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, a, TRN_LINK_ECC_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (!a[TRN_LINK_ECC_A_DEV_BDF] || !a[TRN_LINK_ECC_A_PAGE_STATE] ||
	    !a[TRN_LINK_ECC_A_UNCORRECTED_TOTAL] || !a[TRN_LINK_ECC_A_RETIRED_PAGES] ||
	    !a[TRN_LINK_ECC_A_UNLOGGED_PAGES] || !a[TRN_LINK_ECC_A_DEV_INDEX]) {
		printf("netlink message lacks attributes\n");
		return NL_SKIP;
	}
	bdf = nla_get_string(a[TRN_LINK_ECC_A_DEV_BDF]);
	if (strcmp(bdf, want_bdf))
		return NL_SKIP;
	st = nla_get_u32(a[TRN_LINK_ECC_A_PAGE_STATE]);
	if (st < sizeof(states) / sizeof(states[0]))
		state = states[st];
	/* Every state but unlogged names the page; unlogged never does. */
	if (a[TRN_LINK_ECC_A_ADDR])
		snprintf(addr, sizeof(addr), "0x%" PRIx64,
			 (uint64_t)nla_get_u64(a[TRN_LINK_ECC_A_ADDR]));
	else if (st != TRN_LINK_PAGE_UNLOGGED)
		snprintf(addr, sizeof(addr), "missing");
	printf("netlink bdf=%s addr=%s page=%s total=%" PRIu64 " retired=%u unlogged=%u\n",
	       bdf, addr, state,
	       (uint64_t)nla_get_u64(a[TRN_LINK_ECC_A_UNCORRECTED_TOTAL]),
	       nla_get_u32(a[TRN_LINK_ECC_A_RETIRED_PAGES]),
	       nla_get_u32(a[TRN_LINK_ECC_A_UNLOGGED_PAGES]));
	fflush(stdout);
	got_netlink = true;
	return NL_OK;
}

static int uevent_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("uevent socket");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static struct nl_sock *health_socket(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int grp;

	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "genetlink: cannot connect\n");
		goto fail;
	}
	grp = genl_ctrl_resolve_grp(sk, TRN_LINK_FAMILY_NAME, TRN_LINK_MCGRP_HEALTH);
	if (grp < 0) {
		fprintf(stderr, "%s/%s: %s\n", TRN_LINK_FAMILY_NAME,
			TRN_LINK_MCGRP_HEALTH, nl_geterror(grp));
		goto fail;
	}
	nl_socket_disable_seq_check(sk);
	if (nl_socket_add_membership(sk, grp) < 0 ||
	    nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, health, NULL) < 0) {
		fprintf(stderr, "cannot join the health group\n");
		goto fail;
	}
	return sk;
fail:
	nl_socket_free(sk);
	return NULL;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[2];
	struct nl_sock *sk;
	char buf[8192];
	time_t end;
	ssize_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: ecc_watch BDF SECONDS\n");
		return 2;
	}
	want_bdf = argv[1];
	end = time(NULL) + atoi(argv[2]);
	pfd[0].fd = uevent_socket();
	sk = health_socket();
	if (pfd[0].fd < 0 || !sk)
		return 2;
	pfd[1].fd = nl_socket_get_fd(sk);
	pfd[0].events = pfd[1].events = POLLIN;
	printf("ready\n");
	fflush(stdout);
	while (!(got_uevent && got_netlink) && time(NULL) < end) {
		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			n = recv(pfd[0].fd, buf, sizeof(buf) - 1, 0);
			if (n > 0) {
				buf[n] = 0;
				uevent(buf, (size_t)n);
			}
		}
		if (pfd[1].revents & POLLIN)
			nl_recvmsgs_default(sk);
	}
	close(pfd[0].fd);
	nl_socket_free(sk);
	return got_uevent && got_netlink ? 0 : 1;
}
