// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Quotas per user (Documentation/operator-guide.rst, "Quotas"), run as
 * root on the first device (tests/vm/t/25-quota.sh makes its node usable
 * by everybody meanwhile): user A, the ids of nobody, opens files until
 * refused, and gets EDQUOT at half the device's address spaces while user
 * B still opens; A allocates HBM until its quota, B still allocates;
 * closing gives the quota back; root is not limited; with a second device
 * cabled to the first, the page tables of a peer import are charged to the
 * importer, once however often it imports; the module parameters
 * take only what they document; the device's counters come back to where
 * they were. Prints TAP.
 */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include "tap.h"
#include "trn_test.h"

#define UID_A		65534
#define UID_B		65533
#define PARAMS		"/sys/module/trn/parameters/"
#define CHUNK		(4ULL << 20)
#define MAX_FILES	256

static char sysdir[128];

static long long sys_num(const char *dir, const char *name)
{
	char path[256], buf[64] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtoll(buf, NULL, 10) : -1;
}

/* Write a module parameter: 0 or -errno. */
static int param_set(const char *name, const char *val)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

/* Wait until the device's counter @name is @want again (deferred frees). */
static long long sys_wait(const char *name, long long want)
{
	long long v = -1;

	for (int i = 0; i < 500; i++) {
		v = sys_num(sysdir, name);
		if (v == want)
			break;
		usleep(20000);
	}
	return v;
}

/* Become @uid (its group too, no other groups), without capabilities. */
static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		_exit(120);
}

/* A child that runs @fn as @uid; its pipes: @ready to the parent, @go from it. */
struct child {
	pid_t pid;
	int ready;	/* read end: the child reports */
	int go;		/* write end: the parent lets it go on */
};

struct report {
	int n;		/* how many succeeded */
	int err;	/* errno of the first refusal, 0 if none */
	long long v;	/* what fdinfo said, or -1 */
};

static struct child spawn(uid_t uid, int (*fn)(int ready, int go))
{
	struct child c = { .pid = -1, .ready = -1, .go = -1 };
	int up[2], down[2];

	if (pipe(up) || pipe(down))
		return c;
	c.pid = fork();
	if (c.pid == 0) {
		close(up[0]);
		close(down[1]);
		become(uid);
		_exit(fn(up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	c.ready = up[0];
	c.go = down[1];
	return c;
}

static int child_report(struct child *c, struct report *r)
{
	memset(r, 0, sizeof(*r));
	return read(c->ready, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

static void child_go(struct child *c)
{
	char b = 1;

	if (write(c->go, &b, 1) != 1)
		kill(c->pid, SIGKILL);
}

static int child_end(struct child *c)
{
	int status = -1;

	close(c->go);
	close(c->ready);
	waitpid(c->pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void send_report(int ready, int n, int err, long long v)
{
	struct report r = { .n = n, .err = err, .v = v };

	if (write(ready, &r, sizeof(r)) != sizeof(r))
		_exit(121);
}

static void wait_go(int go)
{
	char b;

	if (read(go, &b, 1) != 1)
		_exit(122);
}

/* --- address spaces ----------------------------------------------------- */

/*
 * User A: open until refused, report; then close one and open again,
 * report; then close everything.
 */
static int opener(int ready, int go)
{
	int fds[MAX_FILES], n = 0, err = 0, fd;

	while (n < MAX_FILES) {
		fd = tt_open(NULL);
		if (fd < 0) {
			err = errno;
			break;
		}
		fds[n++] = fd;
	}
	send_report(ready, n, err,
		    n ? tt_fdinfo_num(fds[0], "trn-user-address-spaces") : -1);
	wait_go(go);
	if (n)
		close(fds[--n]);
	fd = tt_open(NULL);
	send_report(ready, fd >= 0, fd < 0 ? errno : 0, -1);
	if (fd >= 0)
		close(fd);
	while (n)
		close(fds[--n]);
	return 0;
}

/* User B: two opens, while A holds all it may. */
static int second_user(int ready, int go)
{
	int fd1 = tt_open(NULL), err1 = errno;
	int fd2 = tt_open(NULL), err2 = errno;

	send_report(ready, (fd1 >= 0) + (fd2 >= 0), fd1 < 0 ? err1 : fd2 < 0 ? err2 : 0,
		    fd1 >= 0 ? tt_fdinfo_num(fd1, "trn-user-address-spaces") : -1);
	wait_go(go);
	return 0;
}

static void test_address_spaces(void)
{
	long long total = sys_num(sysdir, "address_spaces");
	long long base = sys_num(sysdir, "address_spaces_used");
	long long limit = total / 2;
	struct child a, b;
	struct report r;
	int fds[8], n = 0;
	bool ok;

	tap(total > 1 && base >= 0, "sysfs: %lld address spaces, %lld in use", total, base);
	tap(!param_set("user_address_spaces", "0"), "user_address_spaces=0: half of the device's");

	a = spawn(UID_A, opener);
	ok = !child_report(&a, &r);
	tap(ok && r.n == limit && r.err == EDQUOT,
	    "user A opens %d files, the %dth fails with %s (want %lld, EDQUOT)",
	    r.n, r.n + 1, strerror(r.err), limit);
	tap(r.v == limit, "A's fdinfo: trn-user-address-spaces %lld", r.v);
	tap(sys_num(sysdir, "address_spaces_used") == base + limit,
	    "address_spaces_used counts them");

	b = spawn(UID_B, second_user);
	ok = !child_report(&b, &r);
	tap(ok && r.n == 2,
	    "user B still opens while A holds its quota (%d of 2, %s)", r.n,
	    r.err ? strerror(r.err) : "no error");
	tap(r.v == 2, "B's fdinfo counts B's own: trn-user-address-spaces %lld", r.v);
	child_go(&b);
	child_end(&b);

	child_go(&a);
	ok = !child_report(&a, &r);
	tap(ok && r.n == 1,
	    "A closes one file and opens again (%s)", r.err ? strerror(r.err) : "ok");
	tap(child_end(&a) == 0, "user A done");
	tap(sys_wait("address_spaces_used", base) == base,
	    "address_spaces_used back to %lld", base);

	/* Root is counted but not limited. */
	tap(!param_set("user_address_spaces", "2"), "user_address_spaces=2");
	while (n < 3 && (fds[n] = tt_open(NULL)) >= 0)
		n++;
	tap(n == 3, "root opens 3 files over a quota of 2 (%d)", n);
	while (n)
		close(fds[--n]);
	a = spawn(UID_A, opener);
	ok = !child_report(&a, &r);
	tap(ok && r.n == 2 && r.err == EDQUOT,
	    "user A: 2 files with user_address_spaces=2 (%d, %s)", r.n, strerror(r.err));
	child_go(&a);
	child_report(&a, &r);
	child_end(&a);
	param_set("user_address_spaces", "0");
	tap(sys_wait("address_spaces_used", base) == base,
	    "address_spaces_used back to %lld", base);
}

/* --- user namespaces ------------------------------------------------------ */

#define NS_ID_BASE	200000	/* ids of the test's user namespace on the host */

/*
 * In a new user namespace (which the parent maps to NS_ID_BASE..), take id
 * 5 there, a host id that is not A's, and open the device.
 */
static int ns_opener(int ready, int go)
{
	int fd, err;

	if (unshare(CLONE_NEWUSER)) {
		send_report(ready, -1, errno, -1);
		return 0;
	}
	send_report(ready, 0, 0, -1);
	wait_go(go);
	if (setresuid(5, 5, 5)) {
		send_report(ready, -1, errno, -1);
		return 0;
	}
	fd = tt_open(NULL);
	err = errno;
	send_report(ready, fd >= 0, fd < 0 ? err : 0,
		    fd >= 0 ? tt_fdinfo_num(fd, "trn-user-address-spaces") : -1);
	wait_go(go);
	if (fd >= 0)
		close(fd);
	return 0;
}

static bool write_map(pid_t pid, const char *file)
{
	char path[64], map[64];
	int fd, len;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	len = snprintf(map, sizeof(map), "0 %d 1000\n", NS_ID_BASE);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return false;
	ok = write(fd, map, len) == len;
	close(fd);
	return ok;
}

/*
 * A rootless container: user A creates a user namespace whose ids an
 * administrator (newuidmap) mapped to other host ids, and switches to one.
 * The files it opens there are still A's: A's quota holds.
 */
static void test_user_namespace(void)
{
	long long base = sys_num(sysdir, "address_spaces_used");
	struct child a, ns;
	struct report r;
	bool ok;

	tap(!param_set("user_address_spaces", "2"), "user_address_spaces=2");
	a = spawn(UID_A, opener);
	ok = !child_report(&a, &r);
	tap(ok && r.n == 2 && r.err == EDQUOT, "user A holds its 2 files (%d, %s)",
	    r.n, strerror(r.err));

	ns = spawn(UID_A, ns_opener);
	ok = !child_report(&ns, &r);
	if (ok && r.n < 0) {
		printf("ok %u - # SKIP no user namespaces in this kernel (%s)\n",
		       ++tap_n, strerror(r.err));
		child_end(&ns);
	} else {
		tap(ok && write_map(ns.pid, "uid_map"),
		    "map the namespace's ids 0-999 to host ids %d-", NS_ID_BASE);
		child_go(&ns);
		ok = !child_report(&ns, &r);
		tap(ok && r.n == 0 && r.err == EDQUOT,
		    "A as id 5 of its namespace (host id %d) is still A: open fails with %s (want EDQUOT)",
		    NS_ID_BASE + 5, r.n < 0 ? "no setresuid" : r.err ? strerror(r.err) : "no error");
		child_go(&ns);
		child_end(&ns);
	}
	child_go(&a);
	child_report(&a, &r);
	child_end(&a);
	param_set("user_address_spaces", "0");
	tap(sys_wait("address_spaces_used", base) == base,
	    "address_spaces_used back to %lld", base);
}

/* --- HBM ------------------------------------------------------------------ */

static uint64_t hbm_quota;

/*
 * User A: one file, HBM objects of CHUNK until refused; report. Then free
 * one object and allocate again; report. The file stays open until the
 * parent says.
 */
static int hbm_hog(int ready, int go)
{
	uint32_t h, last = 0;
	int fd = tt_open(NULL), n = 0, ret;

	if (fd < 0)
		return 10;
	while ((ret = tt_bo_create(fd, CHUNK, DRM_TRN_PLACEMENT_HBM, &h, NULL)) == 0) {
		last = h;
		if (++n > 4096)
			break;
	}
	send_report(ready, n, -ret, tt_fdinfo_num(fd, "trn-user-hbm"));
	wait_go(go);
	if (n)
		tt_bo_close(fd, last);
	ret = tt_bo_create(fd, CHUNK, DRM_TRN_PLACEMENT_HBM, &h, NULL);
	send_report(ready, !ret, -ret, -1);
	wait_go(go);
	close(fd);
	return 0;
}

static int hbm_second(int ready, int go)
{
	uint32_t h;
	int fd = tt_open(NULL), ret = -errno;

	if (fd >= 0)
		ret = tt_bo_create(fd, 2 * CHUNK, DRM_TRN_PLACEMENT_HBM, &h, NULL);
	send_report(ready, !ret, -ret, fd >= 0 ? tt_fdinfo_num(fd, "trn-user-hbm") : -1);
	wait_go(go);
	return 0;
}

static void test_hbm(uint64_t hbm_size)
{
	long long base = sys_num(sysdir, "hbm_used");
	long long spaces = sys_num(sysdir, "address_spaces_used");
	uint64_t got, max_n;
	struct child a, b;
	struct report r;
	uint32_t h;
	int fd, first;
	bool ok;

	hbm_quota = hbm_size / 10;
	max_n = hbm_quota / CHUNK;
	tap(!param_set("user_hbm_percent", "10"), "user_hbm_percent=10: %llu MiB",
	    (unsigned long long)(hbm_quota >> 20));

	a = spawn(UID_A, hbm_hog);
	ok = !child_report(&a, &r);
	tap(ok && r.err == EDQUOT,
	    "user A allocates HBM until refused with EDQUOT (%s)", strerror(r.err));
	got = (uint64_t)r.n * CHUNK;
	first = r.n;
	/* Page tables count too: a little less than quota / CHUNK objects. */
	tap(got <= hbm_quota && got + CHUNK + (1 << 20) > hbm_quota,
	    "A got %llu MiB of a %llu MiB quota (%d objects, at most %llu)",
	    (unsigned long long)(got >> 20), (unsigned long long)(hbm_quota >> 20),
	    r.n, (unsigned long long)max_n);
	tap(r.v >= 0 && (uint64_t)r.v * 1024 >= got && (uint64_t)r.v * 1024 <= hbm_quota,
	    "A's fdinfo: trn-user-hbm %lld KiB, its objects and page tables", r.v);

	b = spawn(UID_B, hbm_second);
	ok = !child_report(&b, &r);
	tap(ok && r.n == 1,
	    "user B still allocates while A holds its quota (%s)",
	    r.err ? strerror(r.err) : "ok");
	tap(r.v >= (long long)(2 * CHUNK >> 10) && r.v < (long long)(3 * CHUNK >> 10),
	    "B's fdinfo counts B's own: trn-user-hbm %lld KiB", r.v);
	child_go(&b);
	child_end(&b);

	child_go(&a);
	ok = !child_report(&a, &r);
	tap(ok && r.n == 1,
	    "A frees an object and allocates again (%s)", r.err ? strerror(r.err) : "ok");
	child_go(&a);
	tap(child_end(&a) == 0, "user A done");
	tap(sys_wait("hbm_used", base) == base, "hbm_used back to %lld", base);
	tap(sys_wait("address_spaces_used", spaces) == spaces,
	    "address_spaces_used back to %lld", spaces);

	/* The quota came back with the file. */
	a = spawn(UID_A, hbm_hog);
	ok = !child_report(&a, &r);
	tap(ok && r.err == EDQUOT && r.n == first,
	    "user A again: %d objects, as the first time (%d)", r.n, first);
	child_go(&a);
	child_report(&a, &r);
	child_go(&a);
	child_end(&a);

	/* Root is not limited. */
	fd = tt_open(NULL);
	tap(fd >= 0 && !tt_bo_create(fd, hbm_quota + CHUNK, DRM_TRN_PLACEMENT_HBM, &h, NULL),
	    "root allocates more than the quota in one object");
	if (fd >= 0)
		close(fd);
	param_set("user_hbm_percent", "100");
	tap(sys_wait("hbm_used", base) == base, "hbm_used back to %lld", base);
}

/* --- page tables of peer imports ------------------------------------------ */

static int peer_dmabuf = -1, peer_port = -1;

/* The link port of accel0 that reaches accel1, or -1. */
static int port_to_accel1(void)
{
	char path[160], buf[32];
	int port;

	for (port = 0; port < 16; port++) {
		FILE *f;
		bool hit;

		snprintf(path, sizeof(path), "%s/link%d/peer_device", sysdir, port);
		f = fopen(path, "re");
		if (!f)
			return -1;
		hit = fgets(buf, sizeof(buf), f) && !strcmp(buf, "accel1\n");
		fclose(f);
		if (hit)
			return port;
	}
	return -1;
}

static int import_ioctl(int fd)
{
	struct drm_trn_peer_import imp = { .fd = peer_dmabuf, .port = peer_port };

	return drmIoctl(fd, DRM_IOCTL_TRN_PEER_IMPORT, &imp) ? -errno : 0;
}

/*
 * User B imports root's object of accel1 on accel0, twice: B's HBM grows by
 * the page tables of its file, once.
 */
static int importer(int ready, int go)
{
	int fd = tt_open(NULL), ret;
	long long u0, p0, u1, p1, u2;

	if (fd < 0)
		return 10;
	u0 = tt_fdinfo_num(fd, "trn-user-hbm");
	p0 = tt_fdinfo_num(fd, "trn-page-tables");
	ret = import_ioctl(fd);
	u1 = tt_fdinfo_num(fd, "trn-user-hbm");
	p1 = tt_fdinfo_num(fd, "trn-page-tables");
	ret = ret ?: import_ioctl(fd);
	u2 = tt_fdinfo_num(fd, "trn-user-hbm");
	send_report(ready, p1 - p0, -ret, u1 - u0);
	send_report(ready, 0, 0, u2 - u1);
	wait_go(go);
	close(fd);
	return 0;
}

static void test_peer(void)
{
	uint32_t h;
	struct child b;
	struct report r, r2;
	int fd1;
	bool ok;

	peer_port = port_to_accel1();
	if (peer_port < 0)
		return;
	fd1 = tt_open("/dev/accel/accel1");
	if (fd1 < 0 || tt_bo_create(fd1, 32 << 20, DRM_TRN_PLACEMENT_HBM, &h, NULL) ||
	    drmPrimeHandleToFD(fd1, h, DRM_CLOEXEC | DRM_RDWR, &peer_dmabuf)) {
		tap(false, "root exports an HBM object of accel1");
		if (fd1 >= 0)
			close(fd1);
		return;
	}
	/* The child gets the dma-buf with its descriptors. */
	b = spawn(UID_B, importer);
	ok = !child_report(&b, &r) && !child_report(&b, &r2);
	tap(ok && !r.err, "user B imports root's object of accel1 on accel0 through port %d (%s)",
	    peer_port, strerror(r.err));
	tap(r.n >= (32 << 20) / 512 / 1024 && r.v == r.n,
	    "the page tables of the import (%d KiB) are charged to B, the importer (%lld KiB)",
	    r.n, r.v);
	tap(r2.v == 0, "importing it again charges nothing more (%lld KiB)", r2.v);
	child_go(&b);
	child_end(&b);
	close(peer_dmabuf);
	close(fd1);
}

static void test_params(void)
{
	tap(param_set("user_hbm_percent", "0") == -EINVAL, "user_hbm_percent=0 refused");
	tap(param_set("user_hbm_percent", "101") == -EINVAL, "user_hbm_percent=101 refused");
	tap(sys_num(PARAMS, "user_hbm_percent") == 100, "user_hbm_percent still 100");
	tap(param_set("user_address_spaces", "-1") == -EINVAL, "user_address_spaces=-1 refused");
}

int main(void)
{
	struct drm_trn_device_info info;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	fd = tt_open(NULL);
	if (fd < 0 || tt_info(fd, &info)) {
		printf("Bail out! cannot open the device\n");
		return 1;
	}
	close(fd);
	snprintf(sysdir, sizeof(sysdir), "/sys/class/accel/accel0/device");
	tap(sys_num(PARAMS, "user_address_spaces") >= 0,
	    "trn.ko has the parameter user_address_spaces");
	test_address_spaces();
	test_user_namespace();
	test_hbm(info.hbm_size);
	test_peer();
	test_params();
	return tap_plan();
}
