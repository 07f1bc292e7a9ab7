// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of the bootstrap of communicators (lib/nrt_ccl_boot.c,
 * lib/nrt_ccl_hub.c), without a device: the ranks are forked processes
 * that join over the real abstract Unix sockets, exchange their
 * descriptions, pass descriptors, meet at the barrier and watch each
 * other. The parent is rank 0; a child reports through its exit status
 * (0: as expected) and its stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nrt.h"
#include "nrt_ccl_boot.h"
#include "nrt_error.h"

#define NS_PER_S INT64_C(1000000000)

struct blob {
	uint32_t rank;
	uint32_t magic;
	char name[24];
};

static int64_t in_s(int s)
{
	return nrt_ccl_now_ns() + s * NS_PER_S;
}

static void blob_of(unsigned int rank, struct blob *b)
{
	memset(b, 0, sizeof(*b));
	b->rank = rank;
	b->magic = 0xb10b0000u + rank;
	snprintf(b->name, sizeof(b->name), "rank-%u", rank);
}

static bool blobs_ok(const struct blob *all, unsigned int n)
{
	unsigned int r;

	for (r = 0; r < n; r++) {
		struct blob want;

		blob_of(r, &want);
		if (memcmp(&want, &all[r], sizeof(want)))
			return false;
	}
	return true;
}

/* A child's check: report and exit 1 when @ok is false. */
#define CHILD_CHECK(ok, ...) do { \
		if (!(ok)) { \
			fprintf(stderr, "rank %u: ", rank); \
			fprintf(stderr, __VA_ARGS__); \
			fprintf(stderr, " (%s)\n", nrt_last_error()); \
			_exit(1); \
		} \
	} while (0)

/* Wait for the children; every one must have exited with @want. */
static void reap(const pid_t *pids, unsigned int n, int want)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		int status = 0;

		if (pids[i] <= 0)
			continue;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != want)
			fail_msg("child %u: status 0x%x, want exit %d", i, status, want);
	}
}

/* What the watch callback saw. */
struct seen {
	unsigned int aborts, byes;
	struct nrt_ccl_event last;      /* the last abort */
	uint64_t bye_seq;
};

static void on_event(void *ctx, uint32_t type, const struct nrt_ccl_event *ev)
{
	struct seen *s = ctx;

	if (type == NRT_CCL_MSG_ABORT) {
		s->last = *ev;
		__atomic_add_fetch(&s->aborts, 1, __ATOMIC_SEQ_CST);
	} else {
		s->bye_seq = ev->seq;
		__atomic_add_fetch(&s->byes, 1, __ATOMIC_SEQ_CST);
	}
}

/* Wait up to @s seconds until @count is at least @want. */
static bool wait_for(unsigned int *count, unsigned int want, int s)
{
	int64_t deadline = in_s(s);

	while (__atomic_load_n(count, __ATOMIC_SEQ_CST) < want) {
		if (nrt_ccl_now_ns() > deadline)
			return false;
		usleep(2000);
	}
	return true;
}

static void test_id(void **state)
{
	struct nrt_ccl_id a, b;
	char text[2 * sizeof(a) + 1];

	(void)state;
	assert_int_equal(sizeof(struct nrt_ccl_id), 128);
	assert_int_equal(nrt_ccl_id_new(&a), NRT_SUCCESS);
	assert_int_equal(nrt_ccl_id_new(&b), NRT_SUCCESS);
	assert_int_equal(nrt_ccl_id_check(&a), NRT_SUCCESS);
	assert_memory_not_equal(a.name, b.name, sizeof(a.name));
	assert_true(nrt_ccl_secret_equal(&a, a.secret));
	assert_false(nrt_ccl_secret_equal(&a, b.secret));
	nrt_ccl_id_format(&a, text);
	assert_int_equal(strlen(text), 2 * sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_true(nrt_ccl_id_parse(text, &b));
	assert_memory_equal(&a, &b, sizeof(a));
	text[7] = 'x';
	assert_false(nrt_ccl_id_parse(text, &b));
	assert_false(nrt_ccl_id_parse("abcd", &b));
	memset(&b, 0, sizeof(b));
	assert_int_equal(nrt_ccl_id_check(&b), NRT_INVALID);
	a.kind = 9;
	assert_int_equal(nrt_ccl_id_check(&a), NRT_UNSUPPORTED);
}

/*
 * Rank @rank of @n: join, check the blobs, pass a pipe to the next rank
 * and read the previous rank's, meet at the barrier; then what @then says.
 */
enum after { AFTER_BYE, AFTER_DIE, AFTER_WATCH_DIE, AFTER_ABORT };

static void child(const struct nrt_ccl_id *id, unsigned int n, unsigned int rank,
		  enum after then)
{
	struct blob mine, *all = calloc(n, sizeof(*all));
	struct nrt_ccl_hub *h = NULL;
	struct seen seen = { 0 };
	int p[2], fd = -1;
	uint32_t v = 0;
	nrt_status st;

	blob_of(rank, &mine);
	st = nrt_ccl_hub_join(id, n, rank, &mine, sizeof(mine), all, in_s(20), &h);
	CHILD_CHECK(st == NRT_SUCCESS, "join: %d", st);
	CHILD_CHECK(blobs_ok(all, n), "blobs differ");
	CHILD_CHECK(!pipe(p), "pipe");
	CHILD_CHECK(nrt_ccl_hub_send_fd(h, (rank + 1) % n, 7, p[0]) == NRT_SUCCESS, "send_fd");
	close(p[0]);
	v = 1000 + rank;
	CHILD_CHECK(write(p[1], &v, sizeof(v)) == sizeof(v), "write");
	close(p[1]);
	st = nrt_ccl_hub_take_fd(h, (rank + n - 1) % n, 7, in_s(20), &fd);
	CHILD_CHECK(st == NRT_SUCCESS, "take_fd: %d", st);
	CHILD_CHECK(read(fd, &v, sizeof(v)) == sizeof(v) && v == 1000 + (rank + n - 1) % n,
		    "the previous rank's pipe says %u", v);
	close(fd);
	st = nrt_ccl_hub_barrier(h, NRT_SUCCESS, in_s(20));
	CHILD_CHECK(st == NRT_SUCCESS, "barrier: %d", st);
	CHILD_CHECK(nrt_ccl_hub_watch(h, on_event, &seen) == NRT_SUCCESS, "watch");
	free(all);
	switch (then) {
	case AFTER_DIE:
		_exit(0);       /* no BYE: the others see a rank go away */
	case AFTER_WATCH_DIE:
		/* The parent kills rank 2; this rank must hear of it */
		CHILD_CHECK(wait_for(&seen.aborts, 1, 20), "no abort came");
		CHILD_CHECK(seen.last.rank == 2 && seen.last.status == NRT_PEER_LOST &&
			    strstr(seen.last.text, "went away"),
			    "abort of rank %u status %u: %s", seen.last.rank, seen.last.status,
			    seen.last.text);
		break;
	case AFTER_ABORT:
		if (rank == 1) {
			struct nrt_ccl_event ev = { .status = NRT_NO_LINK, .seq = 5 };

			snprintf(ev.text, sizeof(ev.text), "port 3 is down");
			nrt_ccl_hub_abort(h, &ev);
		} else {
			CHILD_CHECK(wait_for(&seen.aborts, 1, 20), "no abort came");
			CHILD_CHECK(seen.last.rank == 1 && seen.last.status == NRT_NO_LINK &&
				    seen.last.seq == 5 && !strcmp(seen.last.text, "port 3 is down"),
				    "abort of rank %u: %s", seen.last.rank, seen.last.text);
		}
		break;
	default:
		break;
	}
	nrt_ccl_hub_close(h, true, 3);
	_exit(0);
}

/* Rank 0 of @n in the parent, ranks 1.. forked: the whole protocol. */
static void run_ranks(unsigned int n, enum after then)
{
	struct nrt_ccl_id id;
	pid_t pids[16] = { 0 };
	struct blob mine, all[16];
	struct nrt_ccl_hub *h = NULL;
	struct seen seen = { 0 };
	unsigned int r;
	int p[2], fd;
	uint32_t v;

	assert_true(n <= 16);
	assert_int_equal(nrt_ccl_id_new(&id), NRT_SUCCESS);
	for (r = 1; r < n; r++) {
		pids[r] = fork();
		assert_true(pids[r] >= 0);
		if (!pids[r])
			child(&id, n, r, then == AFTER_WATCH_DIE && r == 2 ? AFTER_DIE : then);
	}
	blob_of(0, &mine);
	assert_int_equal(nrt_ccl_hub_join(&id, n, 0, &mine, sizeof(mine), all, in_s(20), &h),
			 NRT_SUCCESS);
	assert_true(blobs_ok(all, n));
	if (n == 1) {
		assert_int_equal(nrt_ccl_hub_barrier(h, NRT_SUCCESS, in_s(1)), NRT_SUCCESS);
		nrt_ccl_hub_close(h, true, 3);
		return;
	}
	assert_int_equal(pipe(p), 0);
	assert_int_equal(nrt_ccl_hub_send_fd(h, 1 % n, 7, p[0]), NRT_SUCCESS);
	close(p[0]);
	v = 1000;
	assert_int_equal(write(p[1], &v, sizeof(v)), sizeof(v));
	close(p[1]);
	assert_int_equal(nrt_ccl_hub_take_fd(h, n - 1, 7, in_s(20), &fd), NRT_SUCCESS);
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 1000 + n - 1);
	close(fd);
	assert_int_equal(nrt_ccl_hub_barrier(h, NRT_SUCCESS, in_s(20)), NRT_SUCCESS);
	assert_int_equal(nrt_ccl_hub_watch(h, on_event, &seen), NRT_SUCCESS);
	switch (then) {
	case AFTER_WATCH_DIE:
		assert_true(wait_for(&seen.aborts, 1, 20));
		assert_int_equal(seen.last.rank, 2);
		assert_int_equal(seen.last.status, NRT_PEER_LOST);
		assert_non_null(strstr(seen.last.text, "rank 2 (pid"));
		break;
	case AFTER_ABORT:
		assert_true(wait_for(&seen.aborts, 1, 20));
		assert_int_equal(seen.last.rank, 1);
		assert_int_equal(seen.last.status, NRT_NO_LINK);
		break;
	case AFTER_BYE:
		/* Every other rank says BYE after 3 collectives */
		if (!wait_for(&seen.byes, n - 1, 20))
			fail_msg("%u byes, %u aborts (last: %s)", seen.byes, seen.aborts, seen.last.text);
		assert_int_equal(seen.bye_seq, 3);
		assert_int_equal(seen.aborts, 0);
		break;
	default:
		break;
	}
	nrt_ccl_hub_close(h, true, 3);
	reap(pids, n, 0);
}

static void test_join_and_leave(void **state)
{
	(void)state;
	run_ranks(1, AFTER_BYE);
	run_ranks(2, AFTER_BYE);
	run_ranks(5, AFTER_BYE);
}

static void test_rank_dies(void **state)
{
	(void)state;
	run_ranks(4, AFTER_WATCH_DIE);
}

static void test_abort_reaches_all(void **state)
{
	(void)state;
	run_ranks(4, AFTER_ABORT);
}

/* A failure at the barrier reaches every rank, naming the rank. */
static void test_barrier_failure(void **state)
{
	struct nrt_ccl_id id;
	pid_t pids[4] = { 0 };
	struct blob mine, all[4];
	struct nrt_ccl_hub *h = NULL;
	unsigned int r, rank;
	nrt_status st;

	(void)state;
	assert_int_equal(nrt_ccl_id_new(&id), NRT_SUCCESS);
	for (r = 1; r < 4; r++) {
		pids[r] = fork();
		assert_true(pids[r] >= 0);
		if (pids[r])
			continue;
		rank = r;
		blob_of(rank, &mine);
		st = nrt_ccl_hub_join(&id, 4, rank, &mine, sizeof(mine), all, in_s(20), &h);
		CHILD_CHECK(st == NRT_SUCCESS, "join");
		if (rank == 2) {
			/* Fails before passing its descriptor on */
			st = nrt_fail(NRT_NO_LINK, "no cable to rank 3");
			st = nrt_ccl_hub_barrier(h, st, in_s(20));
			CHILD_CHECK(st == NRT_NO_LINK && !strcmp(nrt_last_error(), "no cable to rank 3"),
				    "own failure: %d", st);
		} else {
			int fd = -1;

			/* Rank 3 waits for rank 2's descriptor, which never comes */
			if (rank == 3)
				st = nrt_ccl_hub_take_fd(h, 2, 1, in_s(20), &fd);
			st = nrt_ccl_hub_barrier(h, st, in_s(20));
			CHILD_CHECK(st == NRT_NO_LINK &&
				    strstr(nrt_last_error(), "rank 2: no cable to rank 3"),
				    "barrier: %d", st);
		}
		nrt_ccl_hub_close(h, false, 0);
		_exit(0);
	}
	blob_of(0, &mine);
	assert_int_equal(nrt_ccl_hub_join(&id, 4, 0, &mine, sizeof(mine), all, in_s(20), &h),
			 NRT_SUCCESS);
	assert_int_equal(nrt_ccl_hub_barrier(h, NRT_SUCCESS, in_s(20)), NRT_NO_LINK);
	assert_string_equal(nrt_last_error(), "rank 2: no cable to rank 3");
	nrt_ccl_hub_close(h, false, 0);
	reap(pids, 4, 0);
}

/* Conflicting joins fail on every rank; missing ranks time out. */
static void test_join_errors(void **state)
{
	struct nrt_ccl_id id, other;
	struct blob mine, all[4];
	struct nrt_ccl_hub *h = NULL;
	pid_t pids[4] = { 0 };
	unsigned int rank;
	nrt_status st;

	(void)state;
	/* Rank 1 twice */
	assert_int_equal(nrt_ccl_id_new(&id), NRT_SUCCESS);
	for (rank = 1; rank < 3; rank++) {
		pids[rank] = fork();
		assert_true(pids[rank] >= 0);
		if (!pids[rank]) {
			unsigned int me = 1;

			blob_of(me, &mine);
			st = nrt_ccl_hub_join(&id, 3, me, &mine, sizeof(mine), all, in_s(20), &h);
			_exit(st == NRT_INVALID ? 0 : 1);
		}
	}
	blob_of(0, &mine);
	assert_int_equal(nrt_ccl_hub_join(&id, 3, 0, &mine, sizeof(mine), all, in_s(20), &h),
			 NRT_INVALID);
	assert_non_null(strstr(nrt_last_error(), "two processes joined as rank 1"));
	/* The first of the two joined and was told; the second: no rendezvous */
	for (rank = 1; rank < 3; rank++) {
		int status;

		waitpid(pids[rank], &status, 0);
	}

	/* Another number of ranks */
	assert_int_equal(nrt_ccl_id_new(&id), NRT_SUCCESS);
	pids[1] = fork();
	assert_true(pids[1] >= 0);
	if (!pids[1]) {
		rank = 1;
		blob_of(rank, &mine);
		st = nrt_ccl_hub_join(&id, 4, rank, &mine, sizeof(mine), all, in_s(20), &h);
		CHILD_CHECK(st == NRT_INVALID && strstr(nrt_last_error(), "rank 0: rank 1 joined 4 ranks"),
			    "join of 4: %d", st);
		_exit(0);
	}
	blob_of(0, &mine);
	assert_int_equal(nrt_ccl_hub_join(&id, 2, 0, &mine, sizeof(mine), all, in_s(20), &h),
			 NRT_INVALID);
	reap(pids, 2, 0);

	/* A stranger with another secret is dropped; nobody else comes */
	assert_int_equal(nrt_ccl_id_new(&id), NRT_SUCCESS);
	other = id;
	other.secret[0] ^= 1;
	pids[1] = fork();
	assert_true(pids[1] >= 0);
	if (!pids[1]) {
		rank = 1;
		blob_of(rank, &mine);
		st = nrt_ccl_hub_join(&other, 2, rank, &mine, sizeof(mine), all, in_s(3), &h);
		_exit(st == NRT_SUCCESS ? 1 : 0);
	}
	assert_int_equal(nrt_ccl_hub_join(&id, 2, 0, &mine, sizeof(mine), all, in_s(2), &h),
			 NRT_TIMEOUT);
	assert_non_null(strstr(nrt_last_error(), "1 of 2 ranks joined"));
	reap(pids, 2, 0);

	/* Rank k without a rank 0 */
	assert_int_equal(nrt_ccl_id_new(&id), NRT_SUCCESS);
	assert_int_equal(nrt_ccl_hub_join(&id, 2, 1, &mine, sizeof(mine), all,
					  nrt_ccl_now_ns() + NS_PER_S / 4, &h), NRT_TIMEOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_join_and_leave),
		cmocka_unit_test(test_rank_dies),
		cmocka_unit_test(test_abort_reaches_all),
		cmocka_unit_test(test_barrier_failure),
		cmocka_unit_test(test_join_errors),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
