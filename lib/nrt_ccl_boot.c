// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The unique id of a communicator, and the sockets and messages between
 * its ranks (nrt_ccl_boot.h).
 *
 * On one host the id names an abstract Unix socket (a name in the network
 * namespace, nothing in the file system, gone with its last descriptor)
 * that rank 0 listens on, and carries a random secret that every rank
 * presents when it joins. Sockets are SOCK_SEQPACKET: a message is one
 * datagram, file descriptors travel with it (SCM_RIGHTS), and a peer that
 * goes away is seen as the end of its stream. Both ends check that the
 * other process belongs to the same user (SO_PEERCRED): the abstract name
 * is visible to every process of the namespace, and a process of another
 * user could bind it first.
 *
 * A message is a header (struct nrt_ccl_hdr), a payload of at most
 * NRT_CCL_MSG_MAX bytes and at most one descriptor. Ranks of one host
 * share their structures' layout, so they travel as they are: ranks on
 * several hosts (a later kind of id, naming a TCP address) will need a
 * wire format.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "nrt_ccl_boot.h"
#include "nrt_error.h"

static const char nrt_ccl_magic[4] = { 'N', 'R', 'T', 'C' };

int64_t nrt_ccl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int nrt_ccl_left_ms(int64_t deadline)
{
	int64_t left = deadline - nrt_ccl_now_ns();

	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

nrt_status nrt_ccl_id_new(struct nrt_ccl_id *id)
{
	unsigned char rnd[sizeof(id->name) + sizeof(id->secret)];
	size_t got = 0;

	memset(id, 0, sizeof(*id));
	while (got < sizeof(rnd)) {
		ssize_t r = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return nrt_fail_errno(NRT_FAILURE, errno, "getrandom");
		got += (size_t)r;
	}
	memcpy(id->magic, nrt_ccl_magic, sizeof(id->magic));
	id->version = NRT_CCL_ID_VERSION;
	id->kind = NRT_CCL_ID_UNIX;
	memcpy(id->name, rnd, sizeof(id->name));
	memcpy(id->secret, rnd + sizeof(id->name), sizeof(id->secret));
	return NRT_SUCCESS;
}

nrt_status nrt_ccl_id_check(const struct nrt_ccl_id *id)
{
	if (memcmp(id->magic, nrt_ccl_magic, sizeof(id->magic)) ||
	    id->version != NRT_CCL_ID_VERSION)
		return nrt_fail(NRT_INVALID, "not a communicator id (from nrt_comm_get_unique_id())");
	if (id->kind != NRT_CCL_ID_UNIX)
		return nrt_fail(NRT_UNSUPPORTED,
				"communicator id of kind %u: this libnrt joins ranks of one host only",
				id->kind);
	return NRT_SUCCESS;
}

static const char nrt_ccl_hex[] = "0123456789abcdef";

void nrt_ccl_id_format(const struct nrt_ccl_id *id, char *buf)
{
	const unsigned char *b = (const unsigned char *)id;
	size_t i;

	for (i = 0; i < sizeof(*id); i++) {
		buf[2 * i] = nrt_ccl_hex[b[i] >> 4];
		buf[2 * i + 1] = nrt_ccl_hex[b[i] & 15];
	}
	buf[2 * sizeof(*id)] = '\0';
}

static int nrt_ccl_hexval(char c)
{
	const char *p = c ? strchr(nrt_ccl_hex, tolower((unsigned char)c)) : NULL;

	return p ? (int)(p - nrt_ccl_hex) : -1;
}

bool nrt_ccl_id_parse(const char *s, struct nrt_ccl_id *id)
{
	unsigned char *b = (unsigned char *)id;
	size_t i;

	if (strlen(s) != 2 * sizeof(*id))
		return false;
	for (i = 0; i < sizeof(*id); i++) {
		int hi = nrt_ccl_hexval(s[2 * i]), lo = nrt_ccl_hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

bool nrt_ccl_secret_equal(const struct nrt_ccl_id *id, const unsigned char *secret)
{
	unsigned char diff = 0;
	size_t i;

	/* In constant time: the secret is what keeps strangers out */
	for (i = 0; i < sizeof(id->secret); i++)
		diff |= id->secret[i] ^ secret[i];
	return !diff;
}

/* The abstract socket address of @id: "\0nrt-comm-" and the name in hex. */
static socklen_t nrt_ccl_addr(const struct nrt_ccl_id *id, struct sockaddr_un *sa)
{
	size_t i, len;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	len = 1 + (size_t)snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "nrt-comm-");
	for (i = 0; i < sizeof(id->name); i++) {
		sa->sun_path[len++] = nrt_ccl_hex[id->name[i] >> 4];
		sa->sun_path[len++] = nrt_ccl_hex[id->name[i] & 15];
	}
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

nrt_status nrt_ccl_listen(const struct nrt_ccl_id *id, unsigned int backlog, int *out)
{
	struct sockaddr_un sa;
	socklen_t len = nrt_ccl_addr(id, &sa);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return nrt_fail_errno(NRT_RESOURCE, errno, "socket");
	if (bind(fd, (struct sockaddr *)&sa, len)) {
		int err = errno;

		close(fd);
		return nrt_fail_errno(err == EADDRINUSE ? NRT_INVALID : NRT_FAILURE, err,
				      "rank 0: the rendezvous of the communicator id%s",
				      err == EADDRINUSE ? " is taken (an id joins one communicator at a time)" : "");
	}
	if (listen(fd, (int)(backlog < 4096 ? backlog : 4096))) {
		int err = errno;

		close(fd);
		return nrt_fail_errno(NRT_FAILURE, err, "listen");
	}
	*out = fd;
	return NRT_SUCCESS;
}

nrt_status nrt_ccl_check_peer(int fd, const char *who, uint32_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return nrt_fail_errno(NRT_FAILURE, errno, "SO_PEERCRED of %s", who);
	if (cred.uid != getuid())
		return nrt_fail(NRT_PERMISSION,
				"%s belongs to user %u, not to this process's user %u",
				who, (unsigned int)cred.uid, (unsigned int)getuid());
	if (pid)
		*pid = (uint32_t)cred.pid;
	return NRT_SUCCESS;
}

nrt_status nrt_ccl_connect(const struct nrt_ccl_id *id, int64_t deadline, int *out)
{
	struct sockaddr_un sa;
	socklen_t len = nrt_ccl_addr(id, &sa);
	int err = 0;

	do {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		nrt_status st;

		if (fd < 0)
			return nrt_fail_errno(NRT_RESOURCE, errno, "socket");
		if (!connect(fd, (struct sockaddr *)&sa, len)) {
			st = nrt_ccl_check_peer(fd, "the process at the rendezvous", NULL);
			if (st != NRT_SUCCESS) {
				close(fd);
				return st;
			}
			*out = fd;
			return NRT_SUCCESS;
		}
		err = errno;
		close(fd);
		if (err != ECONNREFUSED && err != ENOENT && err != EAGAIN)
			return nrt_fail_errno(NRT_FAILURE, err, "connect to rank 0's rendezvous");
		/* Rank 0 is not listening yet */
		usleep(10000);
	} while (nrt_ccl_now_ns() < deadline);
	return nrt_fail(NRT_TIMEOUT,
			"rank 0 of the communicator did not open its rendezvous in time (%s)",
			strerror(err));
}

/* Wait until @fd is readable or @deadline (INT64_MAX: do not wait at all). */
static nrt_status nrt_ccl_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	if (deadline == INT64_MAX)
		return NRT_SUCCESS;
	do {
		r = poll(&p, 1, nrt_ccl_left_ms(deadline));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return nrt_fail_errno(NRT_FAILURE, errno, "poll");
	if (!r)
		return nrt_fail_quiet(NRT_TIMEOUT, "no message in time");
	return NRT_SUCCESS;
}

nrt_status nrt_ccl_accept(int lfd, int64_t deadline, int *out)
{
	nrt_status st = nrt_ccl_readable(lfd, deadline);
	int fd;

	if (st == NRT_TIMEOUT)
		return nrt_fail_quiet(NRT_TIMEOUT, "no rank joined in time");
	if (st != NRT_SUCCESS)
		return st;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return nrt_fail_errno(errno == EMFILE || errno == ENFILE ? NRT_RESOURCE :
				      NRT_FAILURE, errno, "accept");
	*out = fd;
	return NRT_SUCCESS;
}

nrt_status nrt_ccl_send(int fd, const struct nrt_ccl_hdr *h, const void *payload,
			int pass_fd)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)h, .iov_len = sizeof(*h) },
		{ .iov_base = (void *)payload, .iov_len = h->len },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = h->len ? 2 : 1 };
	ssize_t r;

	if (h->len > NRT_CCL_MSG_MAX)
		return nrt_fail(NRT_INVALID, "message of %u bytes", h->len);
	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	do {
		r = sendmsg(fd, &m, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return nrt_fail_errno(errno == EPIPE || errno == ECONNRESET ? NRT_PEER_LOST :
				      NRT_FAILURE, errno, "send to another rank");
	return NRT_SUCCESS;
}

/* The first descriptor of @m's control data; the others are closed. */
static int nrt_ccl_take_rights(struct msghdr *m)
{
	struct cmsghdr *c;
	int fd = -1;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t i, n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = got;
			else
				close(got);
		}
	}
	return fd;
}

nrt_status nrt_ccl_recv(int fd, int64_t deadline, struct nrt_ccl_msg **out)
{
	struct nrt_ccl_msg *msg, *small;
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2];
	struct msghdr m = {
		.msg_iov = iov, .msg_iovlen = 2,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	nrt_status st;
	ssize_t r;

	st = nrt_ccl_readable(fd, deadline);
	if (st != NRT_SUCCESS)
		return st;
	msg = malloc(sizeof(*msg) + NRT_CCL_MSG_MAX);
	if (!msg)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	msg->next = NULL;
	iov[0].iov_base = &msg->hdr;
	iov[0].iov_len = sizeof(msg->hdr);
	iov[1].iov_base = msg->payload;
	iov[1].iov_len = NRT_CCL_MSG_MAX;
	/*
	 * A peer that closes with messages unread leaves ECONNRESET, which
	 * the next receive reports once, before the messages it sent: read on.
	 */
	do {
		r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	} while (r < 0 && (errno == EINTR || errno == ECONNRESET));
	if (r < 0) {
		int err = errno;

		free(msg);
		return nrt_fail_errno(NRT_PEER_LOST, err, "receive from another rank");
	}
	/* Descriptors that came with it are ours, whatever the message */
	msg->fd = nrt_ccl_take_rights(&m);
	if (!r) {
		nrt_ccl_msg_free(msg);
		return nrt_fail_quiet(NRT_PEER_LOST, "the other rank closed the connection");
	}
	if ((size_t)r < sizeof(msg->hdr) || msg->hdr.len != (size_t)r - sizeof(msg->hdr) ||
	    (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		nrt_ccl_msg_free(msg);
		return nrt_fail(NRT_FAILURE, "malformed message from another rank");
	}
	/* Keep what the message needs, not NRT_CCL_MSG_MAX */
	small = realloc(msg, sizeof(*msg) + msg->hdr.len);
	*out = small ? small : msg;
	return NRT_SUCCESS;
}

void nrt_ccl_msg_free(struct nrt_ccl_msg *msg)
{
	if (!msg)
		return;
	if (msg->fd >= 0)
		close(msg->fd);
	free(msg);
}
