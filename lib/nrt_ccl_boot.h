/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Collectives, internal: the bootstrap of a communicator, the messages
 * between its ranks outside the devices.
 *
 *   nrt_ccl_boot.c  the unique id; Unix sockets and messages (a header, a
 *                   payload, at most one file descriptor)
 *   nrt_ccl_hub.c   the ranks joined as a star around rank 0: the join
 *                   (every rank's description to every rank), file
 *                   descriptors passed from rank to rank, a barrier that
 *                   carries the first failure, and the watch of the ranks
 *                   afterwards (aborts, departures, processes that die)
 *
 * Nothing here knows devices: the descriptions of the ranks are opaque
 * blobs of a fixed size, so the unit tests run the whole protocol between
 * forked processes.
 */
#ifndef NRT_CCL_BOOT_H
#define NRT_CCL_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_log.h"

/* ------------------------------------------------------------------------
 * The id, sockets and messages (nrt_ccl_boot.c)
 */

#define NRT_CCL_ID_VERSION 1
#define NRT_CCL_ID_UNIX 1       /* rank 0 listens on an abstract Unix socket */

/*
 * struct nrt_ccl_id - what nrt_comm_id holds (NRT_COMM_ID_BYTES bytes)
 * @name: names the abstract socket of the rendezvous
 * @secret: presented by every rank that joins
 */
struct nrt_ccl_id {
	char magic[4];
	uint8_t version;
	uint8_t kind;
	uint8_t reserved[10];
	unsigned char name[16];
	unsigned char secret[32];
	unsigned char pad[64];
};

/* A random id (name and secret from getrandom()). */
NRT_HIDDEN nrt_status nrt_ccl_id_new(struct nrt_ccl_id *id);

/* NRT_SUCCESS if @id is one this library makes, else why not. */
NRT_HIDDEN nrt_status nrt_ccl_id_check(const struct nrt_ccl_id *id);

/*
 * nrt_ccl_id_format() - @id as 2 * sizeof(*id) lowercase hexadecimal digits
 * and a NUL in @buf (at least 2 * sizeof(*id) + 1 bytes)
 */
NRT_HIDDEN void nrt_ccl_id_format(const struct nrt_ccl_id *id, char *buf);

/* nrt_ccl_id_parse() - the id of nrt_ccl_id_format() text; false if not one. */
NRT_HIDDEN bool nrt_ccl_id_parse(const char *s, struct nrt_ccl_id *id);

/* Whether @secret (32 bytes) is the secret of @id, in constant time. */
NRT_HIDDEN bool nrt_ccl_secret_equal(const struct nrt_ccl_id *id,
				     const unsigned char *secret);

/* CLOCK_MONOTONIC in nanoseconds. */
NRT_HIDDEN int64_t nrt_ccl_now_ns(void);

/* Milliseconds left until @deadline (ns), 0 if past, for poll(). */
NRT_HIDDEN int nrt_ccl_left_ms(int64_t deadline);

/* Rank 0: listen on the rendezvous of @id; *@out receives the socket. */
NRT_HIDDEN nrt_status nrt_ccl_listen(const struct nrt_ccl_id *id,
				     unsigned int backlog, int *out);

/* Connect to the rendezvous of @id, retrying until @deadline. */
NRT_HIDDEN nrt_status nrt_ccl_connect(const struct nrt_ccl_id *id,
				      int64_t deadline, int *out);

/* Accept a connection on @lfd before @deadline (NRT_TIMEOUT, quiet, if not). */
NRT_HIDDEN nrt_status nrt_ccl_accept(int lfd, int64_t deadline, int *out);

/*
 * nrt_ccl_check_peer() - NRT_PERMISSION unless the process at the other
 * end of @fd (@who, for the message) is of this process's user
 * @pid: receives its pid, or NULL
 */
NRT_HIDDEN nrt_status nrt_ccl_check_peer(int fd, const char *who, uint32_t *pid);

/*
 * struct nrt_ccl_hdr - the header of every message
 * @type: NRT_CCL_MSG_*
 * @len: bytes of payload after the header
 * @from: the rank that sent it
 * @to: the rank it is for (the hub passes on what is not its own)
 * @arg: a status, a tag or a count, by type
 */
struct nrt_ccl_hdr {
	uint32_t type;
	uint32_t len;
	uint32_t from;
	uint32_t to;
	uint64_t arg;
};

/* Most payload bytes of a message. */
#define NRT_CCL_MSG_MAX (64u << 10)

enum nrt_ccl_msg_type {
	NRT_CCL_MSG_HELLO = 1,  /* rank -> 0: struct nrt_ccl_hello, then the blob */
	NRT_CCL_MSG_BLOBS,      /* 0 -> rank: blobs from rank @arg on */
	NRT_CCL_MSG_FD,         /* rank -> rank: a descriptor; @arg: its tag */
	NRT_CCL_MSG_READY,      /* rank -> 0: @arg: its status; text */
	NRT_CCL_MSG_GO,         /* 0 -> rank: @arg: the first failure; text */
	NRT_CCL_MSG_ABORT,      /* the ranks failed: struct nrt_ccl_event */
	NRT_CCL_MSG_BYE,        /* a rank leaves: struct nrt_ccl_event */
};

/* A received message; @payload is allocated with it. */
struct nrt_ccl_msg {
	struct nrt_ccl_msg *next;       /* the hub's inbox */
	struct nrt_ccl_hdr hdr;
	int fd;                         /* a descriptor that came with it, or -1 */
	unsigned char payload[];
};

/*
 * nrt_ccl_send() - send one message on @fd
 * @pass_fd: a descriptor to pass with it, or -1
 *
 * Return: NRT_SUCCESS; NRT_PEER_LOST if the other end is gone; NRT_INVALID
 * for a payload over NRT_CCL_MSG_MAX.
 */
NRT_HIDDEN nrt_status nrt_ccl_send(int fd, const struct nrt_ccl_hdr *h,
				   const void *payload, int pass_fd);

/*
 * nrt_ccl_recv() - receive one message from @fd
 * @deadline: absolute (ns); INT64_MAX: block
 * @out: receives the message, which the caller frees with nrt_ccl_msg_free()
 *
 * Return: NRT_SUCCESS; NRT_TIMEOUT (quiet) if none came in time;
 * NRT_PEER_LOST at the end of the stream (the other process is gone);
 * NRT_FAILURE for a malformed message; NRT_RESOURCE if out of memory.
 */
NRT_HIDDEN nrt_status nrt_ccl_recv(int fd, int64_t deadline, struct nrt_ccl_msg **out);

/* Free a message and close the descriptor that came with it, if any. */
NRT_HIDDEN void nrt_ccl_msg_free(struct nrt_ccl_msg *msg);

/* ------------------------------------------------------------------------
 * The star of ranks (nrt_ccl_hub.c)
 */

/* What a rank presents when it joins. */
struct nrt_ccl_hello {
	unsigned char secret[32];
	uint32_t nranks;
	uint32_t rank;
	uint32_t pid;
	uint32_t blob_len;
};

/*
 * struct nrt_ccl_event - an abort or a departure, as every rank learns it
 * @rank: the rank it is about
 * @status: ABORT: the nrt_status of the failure; BYE: NRT_SUCCESS
 * @seq: the collectives the rank had called (its collective count)
 * @text: what happened, NUL-terminated
 */
struct nrt_ccl_event {
	uint32_t rank;
	uint32_t status;
	uint64_t seq;
	char text[400];
};

/* Called by the watch thread, with its mutex not held, for each event. */
typedef void (*nrt_ccl_event_fn)(void *ctx, uint32_t type,
				 const struct nrt_ccl_event *ev);

struct nrt_ccl_hub;

/*
 * nrt_ccl_hub_join() - join the ranks of @id
 * @blob: this rank's description, @blob_len bytes (the same length on
 *	every rank)
 * @blobs: receives the descriptions of all ranks, rank by rank
 *	(@nranks * @blob_len bytes)
 * @deadline: when to give up (absolute, ns)
 * @out: receives the hub; free it with nrt_ccl_hub_close()
 *
 * Rank 0 listens and accepts the others; each presents the id's secret, the
 * number of ranks and its rank, from a process of the same user.
 * Connections with another secret or of another user are dropped (and
 * logged); two processes with one rank, or another number of ranks, fail
 * the join on every rank.
 *
 * Return: NRT_SUCCESS; NRT_TIMEOUT if not every rank joined in time;
 * NRT_INVALID for a conflicting rank or number of ranks; NRT_PEER_LOST if
 * rank 0 went away; the statuses of the sockets.
 */
NRT_HIDDEN nrt_status nrt_ccl_hub_join(const struct nrt_ccl_id *id, unsigned int nranks,
				       unsigned int rank, const void *blob, size_t blob_len,
				       void *blobs, int64_t deadline,
				       struct nrt_ccl_hub **out);

/*
 * nrt_ccl_hub_send_fd() - pass a descriptor to rank @to, with a @tag that
 * the receiver asks for (through rank 0 unless one end is rank 0)
 */
NRT_HIDDEN nrt_status nrt_ccl_hub_send_fd(struct nrt_ccl_hub *h, unsigned int to,
					  uint64_t tag, int fd);

/*
 * nrt_ccl_hub_take_fd() - the descriptor rank @from passed with @tag
 * @fd: receives it; the caller closes it
 *
 * Rank 0 passes on the messages of the others while it waits.
 *
 * Return: NRT_SUCCESS; NRT_TIMEOUT if it did not come by @deadline; the
 * failure another rank reported in the meantime (through the barrier);
 * NRT_PEER_LOST if a rank went away.
 */
NRT_HIDDEN nrt_status nrt_ccl_hub_take_fd(struct nrt_ccl_hub *h, unsigned int from,
					  uint64_t tag, int64_t deadline, int *fd);

/*
 * nrt_ccl_hub_barrier() - wait until every rank reached the barrier
 * @st: this rank's outcome; its message is the calling thread's error
 *	detail when not NRT_SUCCESS
 *
 * Return: NRT_SUCCESS if every rank reached it with NRT_SUCCESS; else the
 * first failure, with a message naming the rank ("rank 3: ..."), on every
 * rank; NRT_TIMEOUT if not every rank came by @deadline; NRT_PEER_LOST if
 * a rank went away.
 */
NRT_HIDDEN nrt_status nrt_ccl_hub_barrier(struct nrt_ccl_hub *h, nrt_status st,
					  int64_t deadline);

/*
 * nrt_ccl_hub_watch() - watch the ranks from a thread of the hub's own
 *
 * After the barrier: @fn is called for every ABORT and BYE any rank sends
 * (nrt_ccl_hub_abort(), nrt_ccl_hub_close()), and for every rank that goes
 * away without a BYE (an ABORT with NRT_PEER_LOST: "rank 3 (pid 1234) went
 * away"; all of them when rank 0 does).
 *
 * Return: NRT_SUCCESS; NRT_RESOURCE if no thread could be made.
 */
NRT_HIDDEN nrt_status nrt_ccl_hub_watch(struct nrt_ccl_hub *h, nrt_ccl_event_fn fn,
					void *ctx);

/* Tell every rank that this one failed (@ev->rank is set here). */
NRT_HIDDEN void nrt_ccl_hub_abort(struct nrt_ccl_hub *h, const struct nrt_ccl_event *ev);

/*
 * nrt_ccl_hub_close() - leave: say BYE after @seq collectives (if @bye),
 * stop the watch, close the sockets and free @h (NULL: nothing)
 */
NRT_HIDDEN void nrt_ccl_hub_close(struct nrt_ccl_hub *h, bool bye, uint64_t seq);

#endif /* NRT_CCL_BOOT_H */
