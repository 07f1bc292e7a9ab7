// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The ranks of a communicator joined as a star around rank 0
 * (nrt_ccl_boot.h).
 *
 * Rank 0 listens on the rendezvous of the id and every other rank keeps
 * one connection to it. Rank 0 passes on what one rank sends to another
 * (descriptors of staging memory and of timeline syncobjs while the
 * channels are set up), so that a rank needs to know no address but the
 * id's. Every message that is for rank 0 itself waits in an inbox until
 * asked for; so do those of the other ranks, which rank 0 pushes to them.
 *
 * Setup ends in a barrier that carries the first failure: every rank
 * reports READY with its status, rank 0 answers GO with the first failure
 * once it has one, or with success once every rank is ready, so that a
 * failure on one rank fails the setup on every rank with the same status
 * and a message naming the rank. A rank waiting for a descriptor sees a
 * failed GO and stops waiting.
 *
 * Afterwards a thread watches the connections: an ABORT or BYE from a rank
 * goes to every rank (rank 0 passes it on), and a connection that ends
 * without a BYE is a rank that went away (its process died): rank 0 tells
 * every rank, and every rank learns that rank 0 went away from its own
 * connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nrt_ccl_boot.h"
#include "nrt_error.h"

/* How long a rank that connected may take to say who it is. */
#define NRT_CCL_HELLO_NS (5 * INT64_C(1000000000))

/* Messages to every rank (@to of an ABORT or BYE a rank sends to rank 0). */
#define NRT_CCL_ALL UINT32_MAX

struct nrt_ccl_hub {
	unsigned int n, rank;
	int *fds;               /* rank 0: fds[k] to rank k; others: fds[0] */
	uint32_t *pids;         /* the processes at the other ends */
	atomic_bool *gone;      /* the connection ended, or the rank said BYE
				 * (the watch thread sets it, rank 0 reads) */
	struct nrt_ccl_msg *inbox, **inbox_tail;

	/* The barrier, on rank 0 */
	unsigned int ready;
	nrt_status failed;      /* the first failure seen (setup) */
	char failed_text[NRT_ERROR_MAX];

	/*
	 * Rank 0's broadcasts, from the calling thread (an abort) and from
	 * the watch (what it passes on, a rank gone), one after the other:
	 * every rank sees them in the same order.
	 */
	pthread_mutex_t send_lock;

	/* The watch */
	pthread_t thread;
	bool watching;
	int wake[2];
	nrt_ccl_event_fn fn;
	void *ctx;
};

static struct nrt_ccl_hub *nrt_ccl_hub_new(unsigned int n, unsigned int rank)
{
	struct nrt_ccl_hub *h = calloc(1, sizeof(*h));
	unsigned int i;

	if (!h)
		return NULL;
	h->n = n;
	h->rank = rank;
	h->fds = calloc(n, sizeof(*h->fds));
	h->pids = calloc(n, sizeof(*h->pids));
	h->gone = calloc(n, sizeof(*h->gone));
	h->inbox_tail = &h->inbox;
	h->wake[0] = h->wake[1] = -1;
	if (!h->fds || !h->pids || !h->gone) {
		free(h->fds);
		free(h->pids);
		free(h->gone);
		free(h);
		return NULL;
	}
	for (i = 0; i < n; i++)
		h->fds[i] = -1;
	pthread_mutex_init(&h->send_lock, NULL);
	return h;
}

/* The connection to rank @k: rank 0 has one per rank, the others one. */
static int nrt_ccl_hub_fd(const struct nrt_ccl_hub *h, unsigned int k)
{
	return h->rank == 0 ? h->fds[k] : h->fds[0];
}

static nrt_status nrt_ccl_hub_msg(struct nrt_ccl_hub *h, unsigned int to, uint32_t type,
				  uint64_t arg, const void *payload, size_t len, int fd)
{
	struct nrt_ccl_hdr hdr = {
		.type = type, .len = (uint32_t)len, .from = h->rank, .to = to, .arg = arg,
	};

	return nrt_ccl_send(nrt_ccl_hub_fd(h, to == NRT_CCL_ALL ? 0 : to), &hdr, payload, fd);
}

/* Rank 0: a message to every rank but @except, ignoring those gone. */
static void nrt_ccl_hub_bcast(struct nrt_ccl_hub *h, const struct nrt_ccl_hdr *hdr,
			      const void *payload, unsigned int except)
{
	struct nrt_error_saved saved;
	unsigned int k;

	nrt_error_save(&saved);
	pthread_mutex_lock(&h->send_lock);
	for (k = 1; k < h->n; k++) {
		if (k != except && h->fds[k] >= 0 && !h->gone[k])
			nrt_ccl_send(h->fds[k], hdr, payload, -1);
	}
	pthread_mutex_unlock(&h->send_lock);
	nrt_error_restore(&saved);
}

/* Record the first failure of the setup, its message from the thread's. */
static nrt_status nrt_ccl_hub_fail(struct nrt_ccl_hub *h, nrt_status st)
{
	if (h->failed == NRT_SUCCESS) {
		h->failed = st;
		snprintf(h->failed_text, sizeof(h->failed_text), "%s", nrt_last_error());
	}
	return st;
}

/* The setup failed (h->failed): as the calling thread's error. */
static nrt_status nrt_ccl_hub_failure(const struct nrt_ccl_hub *h)
{
	return nrt_fail(h->failed, "%s", h->failed_text);
}

/* ------------------------------------------------------------------------
 * The join
 */

/* Rank 0: check the hello of a connection; NRT_SUCCESS also to drop it. */
static nrt_status nrt_ccl_hello_check(struct nrt_ccl_hub *h, const struct nrt_ccl_id *id,
				      const struct nrt_ccl_msg *m, size_t blob_len,
				      unsigned int *rank)
{
	struct nrt_ccl_hello hello;

	*rank = 0;
	if (m->hdr.type != NRT_CCL_MSG_HELLO || m->hdr.len < sizeof(hello)) {
		nrt_log(NRT_LOG_WARN, "communicator: a connection to the rendezvous sent no hello: dropped");
		return NRT_SUCCESS;
	}
	memcpy(&hello, m->payload, sizeof(hello));
	if (!nrt_ccl_secret_equal(id, hello.secret)) {
		nrt_log(NRT_LOG_WARN, "communicator: a connection to the rendezvous had the wrong secret: dropped");
		return NRT_SUCCESS;
	}
	if (hello.nranks != h->n)
		return nrt_fail(NRT_INVALID, "rank %u joined %u ranks, rank 0 %u",
				hello.rank, hello.nranks, h->n);
	if (hello.rank == 0 || hello.rank >= h->n)
		return nrt_fail(NRT_INVALID, "a process joined as rank %u of %u",
				hello.rank, h->n);
	if (h->fds[hello.rank] >= 0)
		return nrt_fail(NRT_INVALID, "two processes joined as rank %u", hello.rank);
	if (hello.blob_len != blob_len || m->hdr.len != sizeof(hello) + blob_len)
		return nrt_fail(NRT_INVALID, "rank %u: a description of %u bytes, not %zu (another libnrt?)",
				hello.rank, hello.blob_len, blob_len);
	*rank = hello.rank;
	return NRT_SUCCESS;
}

/*
 * Rank 0: tell every rank that joined, and the process at @fd (the one
 * whose hello conflicts, or -1), that the join failed.
 */
static nrt_status nrt_ccl_join_failed(struct nrt_ccl_hub *h, nrt_status st, int fd)
{
	struct nrt_ccl_hdr hdr = { .type = NRT_CCL_MSG_GO, .arg = (uint64_t)st };
	struct nrt_error_saved saved;
	char text[NRT_ERROR_MAX];

	snprintf(text, sizeof(text), "rank 0: %s", nrt_last_error());
	hdr.len = (uint32_t)strlen(text) + 1;
	nrt_ccl_hub_bcast(h, &hdr, text, 0);
	if (fd >= 0) {
		nrt_error_save(&saved);
		nrt_ccl_send(fd, &hdr, text, -1);
		nrt_error_restore(&saved);
	}
	return st;
}

/* Rank 0: accept the others and collect their blobs. */
static nrt_status nrt_ccl_join0(struct nrt_ccl_hub *h, const struct nrt_ccl_id *id,
				size_t blob_len, unsigned char *blobs, int64_t deadline)
{
	unsigned int joined = 1, rank, k, per;
	nrt_status st = NRT_SUCCESS;
	int lfd;

	st = nrt_ccl_listen(id, h->n, &lfd);
	if (st != NRT_SUCCESS)
		return st;
	while (joined < h->n && st == NRT_SUCCESS) {
		struct nrt_ccl_msg *m = NULL;
		uint32_t pid = 0;
		int fd;
		int64_t hd;

		st = nrt_ccl_accept(lfd, deadline, &fd);
		if (st == NRT_TIMEOUT)
			st = nrt_fail(NRT_TIMEOUT, "%u of %u ranks joined before the timeout",
				      joined, h->n);
		if (st != NRT_SUCCESS)
			break;
		if (nrt_ccl_check_peer(fd, "a process at the rendezvous", &pid) != NRT_SUCCESS) {
			nrt_log(NRT_LOG_WARN, "communicator: %s: dropped", nrt_last_error());
			close(fd);
			continue;
		}
		hd = nrt_ccl_now_ns() + NRT_CCL_HELLO_NS;
		if (nrt_ccl_recv(fd, hd < deadline ? hd : deadline, &m) != NRT_SUCCESS) {
			nrt_log(NRT_LOG_WARN, "communicator: a process at the rendezvous said nothing: dropped");
			close(fd);
			continue;
		}
		st = nrt_ccl_hello_check(h, id, m, blob_len, &rank);
		if (st != NRT_SUCCESS)
			nrt_ccl_join_failed(h, st, fd);
		if (st == NRT_SUCCESS && rank) {
			memcpy(blobs + rank * blob_len, m->payload + sizeof(struct nrt_ccl_hello),
			       blob_len);
			h->fds[rank] = fd;
			h->pids[rank] = pid;
			joined++;
		} else {
			close(fd);
		}
		nrt_ccl_msg_free(m);
	}
	close(lfd);
	if (st == NRT_TIMEOUT)
		return nrt_ccl_join_failed(h, st, -1);
	if (st != NRT_SUCCESS)
		return st;      /* those that joined were told */
	/* Everyone's blobs to everyone, as many per message as fit */
	per = NRT_CCL_MSG_MAX / (unsigned int)(blob_len ? blob_len : 1);
	if (per > h->n)
		per = h->n;
	for (k = 1; k < h->n && st == NRT_SUCCESS; k++) {
		for (rank = 0; rank < h->n && st == NRT_SUCCESS; rank += per) {
			unsigned int cnt = h->n - rank < per ? h->n - rank : per;

			st = nrt_ccl_hub_msg(h, k, NRT_CCL_MSG_BLOBS, rank, blobs + rank * blob_len,
					     cnt * blob_len, -1);
		}
	}
	if (st != NRT_SUCCESS)
		return nrt_ccl_join_failed(h, nrt_fail_prefix(st, "sending the descriptions"), -1);
	return NRT_SUCCESS;
}

/* A failed GO from rank 0 as the calling thread's error. */
static nrt_status nrt_ccl_go_status(const struct nrt_ccl_msg *m)
{
	nrt_status st = (nrt_status)m->hdr.arg;
	char text[NRT_ERROR_MAX];
	size_t len = m->hdr.len < sizeof(text) ? m->hdr.len : sizeof(text) - 1;

	memcpy(text, m->payload, len);
	text[len] = '\0';
	if (st == NRT_SUCCESS)
		st = NRT_FAILURE;
	return nrt_fail(st, "%s", text);
}

/* Rank k: say hello to rank 0 and receive every rank's blob. */
static nrt_status nrt_ccl_joink(struct nrt_ccl_hub *h, const struct nrt_ccl_id *id,
				const void *blob, size_t blob_len, unsigned char *blobs,
				int64_t deadline)
{
	struct nrt_ccl_hello *hello;
	unsigned int got = 0;
	nrt_status st;

	st = nrt_ccl_connect(id, deadline, &h->fds[0]);
	if (st != NRT_SUCCESS)
		return st;
	nrt_ccl_check_peer(h->fds[0], "rank 0", &h->pids[0]);
	hello = calloc(1, sizeof(*hello) + blob_len);
	if (!hello)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	memcpy(hello->secret, id->secret, sizeof(hello->secret));
	hello->nranks = h->n;
	hello->rank = h->rank;
	hello->pid = (uint32_t)getpid();
	hello->blob_len = (uint32_t)blob_len;
	memcpy(hello + 1, blob, blob_len);
	st = nrt_ccl_hub_msg(h, 0, NRT_CCL_MSG_HELLO, 0, hello, sizeof(*hello) + blob_len, -1);
	free(hello);
	while (st == NRT_SUCCESS && got < h->n) {
		struct nrt_ccl_msg *m;

		st = nrt_ccl_recv(h->fds[0], deadline, &m);
		if (st == NRT_TIMEOUT)
			st = nrt_fail(NRT_TIMEOUT, "not every rank joined before the timeout");
		if (st == NRT_PEER_LOST)
			st = nrt_fail(NRT_PEER_LOST, "rank 0 went away during the join");
		if (st != NRT_SUCCESS)
			break;
		if (m->hdr.type == NRT_CCL_MSG_GO) {
			st = nrt_ccl_go_status(m);
		} else if (m->hdr.type != NRT_CCL_MSG_BLOBS || m->hdr.arg != got ||
			   m->hdr.len % blob_len || got + m->hdr.len / blob_len > h->n) {
			st = nrt_fail(NRT_FAILURE, "rank 0 sent an unexpected message (type %u)",
				      m->hdr.type);
		} else {
			memcpy(blobs + got * blob_len, m->payload, m->hdr.len);
			got += m->hdr.len / (uint32_t)blob_len;
		}
		nrt_ccl_msg_free(m);
	}
	return st;
}

nrt_status nrt_ccl_hub_join(const struct nrt_ccl_id *id, unsigned int nranks,
			    unsigned int rank, const void *blob, size_t blob_len,
			    void *blobs, int64_t deadline, struct nrt_ccl_hub **out)
{
	struct nrt_ccl_hub *h;
	nrt_status st;

	if (!blob_len || blob_len > NRT_CCL_MSG_MAX - sizeof(struct nrt_ccl_hello))
		return nrt_fail(NRT_INVALID, "a rank's description of %zu bytes", blob_len);
	h = nrt_ccl_hub_new(nranks, rank);
	if (!h)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	h->pids[rank] = (uint32_t)getpid();
	memcpy((unsigned char *)blobs + rank * blob_len, blob, blob_len);
	if (nranks == 1)
		st = NRT_SUCCESS;
	else if (rank == 0)
		st = nrt_ccl_join0(h, id, blob_len, blobs, deadline);
	else
		st = nrt_ccl_joink(h, id, blob, blob_len, blobs, deadline);
	if (st != NRT_SUCCESS) {
		nrt_ccl_hub_close(h, false, 0);
		return st;
	}
	*out = h;
	return NRT_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Setup: descriptors and the barrier
 */

nrt_status nrt_ccl_hub_send_fd(struct nrt_ccl_hub *h, unsigned int to, uint64_t tag, int fd)
{
	return nrt_ccl_hub_msg(h, to, NRT_CCL_MSG_FD, tag, NULL, 0, fd);
}

/* Rank 0: a READY; a failure is the setup's first unless one came before. */
static void nrt_ccl_hub_ready(struct nrt_ccl_hub *h, struct nrt_ccl_msg *m)
{
	h->ready++;
	if ((nrt_status)m->hdr.arg != NRT_SUCCESS && h->failed == NRT_SUCCESS) {
		size_t len = m->hdr.len < NRT_ERROR_MAX - 16 ? m->hdr.len : NRT_ERROR_MAX - 16;

		h->failed = (nrt_status)m->hdr.arg;
		snprintf(h->failed_text, sizeof(h->failed_text), "rank %u: %.*s", m->hdr.from,
			 (int)len, (const char *)m->payload);
	}
}

/* Handle message @m that came from the connection to rank @k. */
static void nrt_ccl_hub_dispatch(struct nrt_ccl_hub *h, unsigned int k, struct nrt_ccl_msg *m)
{
	if (h->rank == 0 && m->hdr.from != k) {
		nrt_ccl_msg_free(m);    /* a rank speaks for itself only */
		return;
	}
	if (h->rank == 0 && m->hdr.type == NRT_CCL_MSG_FD && m->hdr.to != 0) {
		if (m->hdr.to < h->n && h->fds[m->hdr.to] >= 0) {
			struct nrt_error_saved saved;

			/* A rank that is gone learns nothing any more */
			nrt_error_save(&saved);
			nrt_ccl_send(h->fds[m->hdr.to], &m->hdr, m->payload, m->fd);
			nrt_error_restore(&saved);
		}
		nrt_ccl_msg_free(m);
		return;
	}
	if (h->rank == 0 && m->hdr.type == NRT_CCL_MSG_READY) {
		nrt_ccl_hub_ready(h, m);
		nrt_ccl_msg_free(m);
		return;
	}
	if (m->hdr.type == NRT_CCL_MSG_GO && h->rank && m->hdr.arg != NRT_SUCCESS &&
	    h->failed == NRT_SUCCESS) {
		nrt_ccl_go_status(m);
		nrt_ccl_hub_fail(h, (nrt_status)m->hdr.arg);
	}
	*h->inbox_tail = m;
	h->inbox_tail = &m->next;
}

/* Rank @k's connection ended during the setup. */
static void nrt_ccl_hub_lost(struct nrt_ccl_hub *h, unsigned int k)
{
	struct nrt_error_saved saved;

	h->gone[k] = true;
	nrt_error_save(&saved);
	nrt_ccl_hub_fail(h, nrt_fail(NRT_PEER_LOST, "rank %u (pid %u) went away during the setup",
				     k, h->pids[k]));
	nrt_error_restore(&saved);
}

/* Receive and handle what came before @deadline: one round of poll(). */
static nrt_status nrt_ccl_hub_pump(struct nrt_ccl_hub *h, int64_t deadline)
{
	struct pollfd *p = calloc(h->n, sizeof(*p));
	unsigned int k, np = 0;
	int r;

	if (!p)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	for (k = 0; k < h->n; k++) {
		int fd = h->rank == 0 ? (k ? h->fds[k] : -1) : (k ? -1 : h->fds[0]);

		p[k].fd = fd >= 0 && !h->gone[k] ? fd : -1;
		p[k].events = POLLIN;
		np += p[k].fd >= 0;
	}
	if (!np) {
		free(p);
		return nrt_fail(NRT_PEER_LOST, "no other rank is left");
	}
	do {
		r = poll(p, h->n, nrt_ccl_left_ms(deadline));
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		free(p);
		return nrt_fail_errno(NRT_FAILURE, errno, "poll");
	}
	for (k = 0; k < h->n && r > 0; k++) {
		struct nrt_ccl_msg *m;
		nrt_status st;

		if (!p[k].revents)
			continue;
		st = nrt_ccl_recv(p[k].fd, INT64_MAX, &m);
		if (st == NRT_SUCCESS)
			nrt_ccl_hub_dispatch(h, k, m);
		else if (st == NRT_PEER_LOST)
			nrt_ccl_hub_lost(h, k);
	}
	free(p);
	return r ? NRT_SUCCESS : nrt_fail_quiet(NRT_TIMEOUT, "nothing in time");
}

/* Take the first message of the inbox matching @type, @from and @arg. */
static struct nrt_ccl_msg *nrt_ccl_hub_take(struct nrt_ccl_hub *h, uint32_t type,
					    unsigned int from, uint64_t arg, bool any_arg)
{
	struct nrt_ccl_msg **pm;

	for (pm = &h->inbox; *pm; pm = &(*pm)->next) {
		struct nrt_ccl_msg *m = *pm;

		if (m->hdr.type != type || m->hdr.from != from || (!any_arg && m->hdr.arg != arg))
			continue;
		*pm = m->next;
		if (h->inbox_tail == &m->next)
			h->inbox_tail = pm;
		m->next = NULL;
		return m;
	}
	return NULL;
}

nrt_status nrt_ccl_hub_take_fd(struct nrt_ccl_hub *h, unsigned int from, uint64_t tag,
			       int64_t deadline, int *fd)
{
	for (;;) {
		struct nrt_ccl_msg *m = nrt_ccl_hub_take(h, NRT_CCL_MSG_FD, from, tag, false);
		nrt_status st;

		if (m) {
			*fd = m->fd;
			m->fd = -1;
			nrt_ccl_msg_free(m);
			if (*fd < 0)
				return nrt_fail(NRT_FAILURE, "rank %u passed no descriptor", from);
			return NRT_SUCCESS;
		}
		if (h->failed != NRT_SUCCESS)
			return nrt_ccl_hub_failure(h);
		st = nrt_ccl_hub_pump(h, deadline);
		if (st == NRT_TIMEOUT)
			return nrt_fail(NRT_TIMEOUT, "rank %u did not pass its part of the channel in time",
					from);
		if (st != NRT_SUCCESS)
			return st;
	}
}

/* Rank 0: GO to every rank with the outcome. */
static void nrt_ccl_hub_go(struct nrt_ccl_hub *h, nrt_status st)
{
	struct nrt_ccl_hdr hdr = { .type = NRT_CCL_MSG_GO, .arg = (uint64_t)st };
	const char *text = st == NRT_SUCCESS ? "" : h->failed_text;

	hdr.len = (uint32_t)strlen(text) + 1;
	nrt_ccl_hub_bcast(h, &hdr, text, 0);
}

/* Rank 0's side of the barrier; @own: its outcome's message. */
static nrt_status nrt_ccl_barrier0(struct nrt_ccl_hub *h, nrt_status st, const char *own,
				   int64_t deadline)
{
	nrt_status ps = NRT_SUCCESS;

	if (st != NRT_SUCCESS && h->failed == NRT_SUCCESS) {
		h->failed = st;
		snprintf(h->failed_text, sizeof(h->failed_text), "rank 0: %s", own);
	}
	while (h->failed == NRT_SUCCESS && h->ready + 1 < h->n && ps == NRT_SUCCESS)
		ps = nrt_ccl_hub_pump(h, deadline);
	if (h->failed == NRT_SUCCESS && ps != NRT_SUCCESS) {
		if (ps == NRT_TIMEOUT)
			ps = nrt_fail(NRT_TIMEOUT,
				      "%u of %u ranks set up their channels before the timeout",
				      h->ready + 1, h->n);
		nrt_ccl_hub_fail(h, ps);
	}
	nrt_ccl_hub_go(h, h->failed);
	if (st != NRT_SUCCESS)
		return nrt_fail(st, "%s", own);
	if (h->failed != NRT_SUCCESS)
		return nrt_ccl_hub_failure(h);
	return NRT_SUCCESS;
}

/* Rank k's side: READY with the outcome, then rank 0's GO. */
static nrt_status nrt_ccl_barrierk(struct nrt_ccl_hub *h, nrt_status st, const char *own,
				   int64_t deadline)
{
	struct nrt_error_saved saved;
	nrt_status ps = NRT_SUCCESS;

	/* Rank 0 may have failed the setup and left: its GO is still to read */
	nrt_error_save(&saved);
	nrt_ccl_hub_msg(h, 0, NRT_CCL_MSG_READY, (uint64_t)st, own, strlen(own) + 1, -1);
	nrt_error_restore(&saved);
	while (ps == NRT_SUCCESS) {
		struct nrt_ccl_msg *m = nrt_ccl_hub_take(h, NRT_CCL_MSG_GO, 0, 0, true);

		if (m) {
			ps = m->hdr.arg == NRT_SUCCESS ? NRT_SUCCESS : nrt_ccl_go_status(m);
			nrt_ccl_msg_free(m);
			break;
		}
		if (h->gone[0])
			ps = nrt_fail(NRT_PEER_LOST, "rank 0 went away during the setup");
		else
			ps = nrt_ccl_hub_pump(h, deadline);
		if (ps == NRT_TIMEOUT)
			ps = nrt_fail(NRT_TIMEOUT, "rank 0 did not finish the setup in time");
	}
	/* This rank's own failure is the one to report */
	if (st != NRT_SUCCESS)
		return nrt_fail(st, "%s", own);
	return ps;
}

nrt_status nrt_ccl_hub_barrier(struct nrt_ccl_hub *h, nrt_status st, int64_t deadline)
{
	char own[NRT_ERROR_MAX] = "";

	if (h->n == 1)
		return st;
	if (st != NRT_SUCCESS)
		snprintf(own, sizeof(own), "%s", nrt_last_error());
	if (h->rank == 0)
		return nrt_ccl_barrier0(h, st, own, deadline);
	return nrt_ccl_barrierk(h, st, own, deadline);
}

/* ------------------------------------------------------------------------
 * The watch
 */

/* An event from the payload of an ABORT or BYE (bounded, terminated). */
static bool nrt_ccl_event_of(const struct nrt_ccl_hub *h, const struct nrt_ccl_msg *m,
			     struct nrt_ccl_event *ev)
{
	if (m->hdr.len != sizeof(*ev))
		return false;
	memcpy(ev, m->payload, sizeof(*ev));
	ev->text[sizeof(ev->text) - 1] = '\0';
	return ev->rank < h->n;
}

/* Rank @k of the watched hub went away without a BYE. */
static void nrt_ccl_watch_lost(struct nrt_ccl_hub *h, unsigned int k)
{
	struct nrt_ccl_event ev = { .rank = k, .status = NRT_PEER_LOST };
	struct nrt_ccl_hdr hdr = {
		.type = NRT_CCL_MSG_ABORT, .len = sizeof(ev), .from = 0, .to = NRT_CCL_ALL,
	};

	h->gone[k] = true;
	snprintf(ev.text, sizeof(ev.text), "rank %u (pid %u) went away", k, h->pids[k]);
	if (h->rank == 0)
		nrt_ccl_hub_bcast(h, &hdr, &ev, k);
	h->fn(h->ctx, NRT_CCL_MSG_ABORT, &ev);
}

/* A message on the connection to rank @k while watching. */
static void nrt_ccl_watch_msg(struct nrt_ccl_hub *h, unsigned int k, struct nrt_ccl_msg *m)
{
	struct nrt_ccl_event ev;

	if ((m->hdr.type != NRT_CCL_MSG_ABORT && m->hdr.type != NRT_CCL_MSG_BYE) ||
	    !nrt_ccl_event_of(h, m, &ev) || (h->rank == 0 && ev.rank != k))
		return;         /* late setup messages, or nonsense */
	if (m->hdr.type == NRT_CCL_MSG_BYE)
		h->gone[ev.rank] = true;
	if (h->rank == 0)
		nrt_ccl_hub_bcast(h, &m->hdr, m->payload, k);
	h->fn(h->ctx, m->hdr.type, &ev);
}

static void *nrt_ccl_watch_thread(void *arg)
{
	struct nrt_ccl_hub *h = arg;
	struct pollfd *p = calloc(h->n + 1, sizeof(*p));
	unsigned int k;

	if (!p)
		return NULL;
	for (;;) {
		int r;

		for (k = 0; k < h->n; k++) {
			int fd = h->rank == 0 ? (k ? h->fds[k] : -1) : (k ? -1 : h->fds[0]);

			p[k].fd = fd >= 0 && !h->gone[k] ? fd : -1;
			p[k].events = POLLIN;
			p[k].revents = 0;
		}
		p[h->n].fd = h->wake[0];
		p[h->n].events = POLLIN;
		p[h->n].revents = 0;
		r = poll(p, h->n + 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || p[h->n].revents)
			break;
		for (k = 0; k < h->n; k++) {
			struct nrt_ccl_msg *m;
			nrt_status st;

			if (!p[k].revents)
				continue;
			st = nrt_ccl_recv(p[k].fd, INT64_MAX, &m);
			if (st == NRT_SUCCESS) {
				nrt_ccl_watch_msg(h, k, m);
				nrt_ccl_msg_free(m);
			} else if (st == NRT_PEER_LOST) {
				if (h->rank == 0 || !h->gone[0])
					nrt_ccl_watch_lost(h, k);
				h->gone[k] = true;
			}
		}
	}
	free(p);
	return NULL;
}

nrt_status nrt_ccl_hub_watch(struct nrt_ccl_hub *h, nrt_ccl_event_fn fn, void *ctx)
{
	int err;

	if (h->n == 1)
		return NRT_SUCCESS;
	if (pipe2(h->wake, O_CLOEXEC))
		return nrt_fail_errno(NRT_RESOURCE, errno, "pipe");
	h->fn = fn;
	h->ctx = ctx;
	err = pthread_create(&h->thread, NULL, nrt_ccl_watch_thread, h);
	if (err)
		return nrt_fail_errno(NRT_RESOURCE, err, "the communicator's watch thread");
	h->watching = true;
	return NRT_SUCCESS;
}

/* This rank's ABORT or BYE to every other rank. */
static void nrt_ccl_hub_tell(struct nrt_ccl_hub *h, uint32_t type, const struct nrt_ccl_event *ev)
{
	struct nrt_ccl_event e = *ev;
	struct nrt_ccl_hdr hdr = {
		.type = type, .len = sizeof(e), .from = h->rank, .to = NRT_CCL_ALL,
	};
	struct nrt_error_saved saved;

	e.rank = h->rank;
	e.text[sizeof(e.text) - 1] = '\0';
	nrt_error_save(&saved);
	if (h->rank == 0)
		nrt_ccl_hub_bcast(h, &hdr, &e, 0);
	else if (h->fds[0] >= 0)
		nrt_ccl_send(h->fds[0], &hdr, &e, -1);
	nrt_error_restore(&saved);
}

void nrt_ccl_hub_abort(struct nrt_ccl_hub *h, const struct nrt_ccl_event *ev)
{
	if (h->n > 1)
		nrt_ccl_hub_tell(h, NRT_CCL_MSG_ABORT, ev);
}

void nrt_ccl_hub_close(struct nrt_ccl_hub *h, bool bye, uint64_t seq)
{
	struct nrt_ccl_msg *m;
	unsigned int k;

	if (!h)
		return;
	if (bye && h->n > 1) {
		struct nrt_ccl_event ev = { .seq = seq };

		snprintf(ev.text, sizeof(ev.text), "rank %u left the communicator", h->rank);
		nrt_ccl_hub_tell(h, NRT_CCL_MSG_BYE, &ev);
	}
	if (h->watching) {
		char c = 0;

		while (write(h->wake[1], &c, 1) < 0 && errno == EINTR)
			;
		pthread_join(h->thread, NULL);
	}
	for (k = 0; k < 2; k++)
		if (h->wake[k] >= 0)
			close(h->wake[k]);
	for (k = 0; k < h->n; k++)
		if (h->fds[k] >= 0)
			close(h->fds[k]);
	while ((m = h->inbox)) {
		h->inbox = m->next;
		nrt_ccl_msg_free(m);
	}
	pthread_mutex_destroy(&h->send_lock);
	free(h->fds);
	free(h->pids);
	free(h->gone);
	free(h);
}
