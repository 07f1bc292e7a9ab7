// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Fault-injection sweep of trn.ko, run as root in the debug guest kernel
 * (tests/vm/t/15-faults.sh): every operation of the driver is made to meet
 * a failure at each of its error-capable points in turn, and must come out
 * clean.
 *
 * An operation (open, BO_CREATE, SUBMIT, PEER_IMPORT, a netlink request, a
 * sysfs write, probe through sysfs bind, ...) runs once without injection,
 * then again for N = 1, 2, ... with /proc/thread-self/fail-nth set to N: the
 * Nth call in this thread of a fault-injection point fails. The points
 * counted are slab and page allocations (failslab, fail_page_alloc) made
 * with trn.ko code on the stack (the stack-trace filter of each capability
 * is set to trn.ko's text), and in a second pass the calls of each function
 * trn.ko marks with ALLOW_ERROR_INJECTION (fail_function), one function at a
 * time. The sweep of an operation ends at the first N that reaches no
 * point: the operation then ran to its end with every point before it
 * having failed once.
 *
 * After every run: all files closed, the device's counters in sysfs
 * (buffer_objects, hbm_used, host_used, address_spaces_used) must come back to what they were
 * before the operation, and the kernel log must hold no report
 * (tests/vm/kernel-reports) but the allocation failures it was told of.
 * An injected failure the operation returns as an error is what is
 * expected; one it absorbs (a fallback, a retry, an ignored uevent) is
 * counted apart. Leaks are found by kmemleak afterwards (the test script).
 *
 * Output: TAP lines "ok - faults: ..." per operation and function, and a
 * summary; a failure prints the operation, N and what went wrong, which is
 * the reproducer: fault_sweep --op NAME --nth N [--fn FUNCTION].
 *
 * The operations and the devices are in tests/vm/fault_ops.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdebug.h"
#include "fault_sweep.h"

#define DBG		"/sys/kernel/debug"
#define FAIL_FN		DBG "/fail_function"

static struct kd_text trn_text;
/*
 * The code of a module whose own allocations are spared (--spare-ko): the
 * stack-trace filter's reject range. Empty when there is none.
 */
static struct kd_text spare_text;
static struct kd_kmsg kmsg;
static int fail_nth_fd = -1;
static const char *repo = ".";
static const char *tname = "faults";	/* TAP prefix: the test's name ($T) */

/* --- the device counters ---------------------------------------------------- */

#define NCOUNTERS	4

struct counters {
	uint64_t v[MAX_DEVS][NCOUNTERS];
};

static const char *const counter_names[NCOUNTERS] = {
	"buffer_objects", "hbm_used", "host_used", "address_spaces_used",
};

static void counters_read(struct counters *c)
{
	unsigned int d, i;

	memset(c, 0, sizeof(*c));
	for (d = 0; d < ndevs; d++)
		for (i = 0; i < NCOUNTERS; i++)
			if (kd_read_u64(dev_path(d, counter_names[i]), &c->v[d][i]))
				c->v[d][i] = UINT64_MAX;
}

/*
 * The counters once the deferred frees of what ran before are done (a file's
 * address space is freed by a worker after close() returns): read until
 * they hold still for 200 ms, 10 s at most.
 */
static void counters_settle(struct counters *c)
{
	uint64_t deadline = kd_now_ms() + 10000;
	struct counters prev;
	int still = 0;

	counters_read(c);
	while (still < 4 && kd_now_ms() < deadline) {
		usleep(50000);
		prev = *c;
		counters_read(c);
		still = memcmp(&prev, c, sizeof(prev)) ? 0 : still + 1;
	}
}

/* Wait (deferred frees) until the counters are back to @base; 0 or -1. */
static int counters_wait(const struct counters *base, char *why, size_t len)
{
	uint64_t deadline = kd_now_ms() + 10000;
	struct counters now;
	unsigned int d, i;

	for (;;) {
		counters_read(&now);
		if (!memcmp(&now, base, sizeof(now)))
			return 0;
		if (kd_now_ms() > deadline)
			break;
		usleep(20000);
	}
	for (d = 0; d < ndevs; d++)
		for (i = 0; i < NCOUNTERS; i++)
			if (now.v[d][i] != base->v[d][i]) {
				snprintf(why, len, "%s %s is %" PRIu64 ", was %" PRIu64,
					 devs[d].bdf, counter_names[i], now.v[d][i],
					 base->v[d][i]);
				return -1;
			}
	return -1;
}

/* --- fault injection knobs -------------------------------------------------- */

static int set_fail_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fail_nth_fd, buf, len, 0) != len)
		return -errno;
	return 0;
}

static unsigned int get_fail_nth(void)
{
	char buf[16] = "";

	if (pread(fail_nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return UINT_MAX;
	return strtoul(buf, NULL, 10);
}

/*
 * The function fail_function injects into, or NULL. Its kprobe must run in
 * the calling task's context for fail-nth to count its calls: the debug
 * kernel puts kprobes on ftrace (an int3 kprobe counts as an NMI, where
 * fail-nth does not apply).
 */
static const char *armed_fn;

/*
 * Make capability @cap (failslab, fail_page_alloc, fail_function) count the
 * calls made with trn.ko on the stack (@on) or none (!@on); it only ever
 * fails a call through fail-nth (probability 0), silently.
 */
static int cap_setup(const char *cap, bool on)
{
	char dir[128], path[192];
	static const struct {
		const char *file;
		const char *val;
	} knobs[] = {
		{ "probability", "0" }, { "interval", "1" }, { "times", "-1" },
		{ "space", "0" }, { "verbose", "0" }, { "task-filter", "N" },
		{ "stacktrace-depth", "32" }, { "ignore-gfp-wait", "N" },
		{ "ignore-gfp-highmem", "N" }, { "min-order", "0" },
	};
	unsigned int i;
	int ret;

	snprintf(dir, sizeof(dir), DBG "/%s", cap);
	if (!kd_exists(dir))
		return -ENOENT;
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, knobs[i].file);
		if (kd_exists(path)) {
			ret = kd_write(path, "%s", knobs[i].val);
			if (ret)
				return ret;
		}
	}
	/* An empty range that no frame is in when off. */
	snprintf(path, sizeof(path), "%s/require-start", dir);
	ret = kd_write(path, "%" PRIu64, on ? trn_text.start : 0);
	snprintf(path, sizeof(path), "%s/require-end", dir);
	ret = ret ?: kd_write(path, "%" PRIu64, on ? trn_text.end : 1);
	/* Nothing with the spared module on the stack fails. */
	snprintf(path, sizeof(path), "%s/reject-start", dir);
	ret = ret ?: kd_write(path, "%" PRIu64, on ? spare_text.start : 0);
	snprintf(path, sizeof(path), "%s/reject-end", dir);
	return ret ?: kd_write(path, "%" PRIu64, on ? spare_text.end : 0);
}

/* --- the sweep ---------------------------------------------------------------------- */

struct tally {
	unsigned int injected;	/* runs in which a failure was injected */
	unsigned int errors;	/* ... and the operation failed */
	unsigned int absorbed;	/* ... and the operation succeeded anyway */
	unsigned int bad;	/* runs that left something behind or a report */
};

static struct tally total;
static unsigned int first_nth = 1, max_nth = 2000;
static bool verbose;

static const char *errname(int err)
{
	static char buf[32];

	if (!err)
		return "success";
	snprintf(buf, sizeof(buf), "%s", strerror(-err));
	return buf;
}

static bool op_usable(const struct op *op)
{
	if (op->need_devs > ndevs)
		return false;
	if (op->need_link && devs[0].port_to_other < 0)
		return false;
	return true;
}

/*
 * One run of @op with fail-nth @nth (0: none): *@hit tells whether a
 * failure was injected, *@result what the operation returned. Returns 0, or
 * -1 if the run went wrong (described in @why): a kernel report, or
 * counters other than @base afterwards (not judged if @base is NULL).
 */
static int run_once(const struct op *op, unsigned int nth, const struct counters *base,
		    bool *hit, int *result, char *why, size_t len)
{
	char first[256];
	struct st st;
	int ret, reports;

	st_init(&st);
	why[0] = '\0';
	*hit = false;
	*result = 0;
	kd_kmsg_poll(&kmsg, NULL, NULL, 0);
	ret = op->prep ? op->prep(&st) : 0;
	if (ret) {
		snprintf(why, len, "preparation failed: %s", errname(ret));
		if (op->done)
			op->done(&st);
		st_release(&st);
		return -1;
	}
	kd_kmsg_mark("fault sweep: %s%s%s, call %u", op->name, armed_fn ? " via " : "",
		     armed_fn ? armed_fn : "", nth);
	if (nth)
		set_fail_nth(nth);
	*result = op->run(&st);
	if (nth) {
		*hit = !get_fail_nth();
		set_fail_nth(0);
	}
	if (op->done)
		op->done(&st);
	st_release(&st);

	if (!op->no_counters && base && counters_wait(base, why, len))
		return -1;
	reports = kd_kmsg_poll(&kmsg, NULL, first, sizeof(first));
	if (reports > 0) {
		snprintf(why, len, "kernel report: %s", first);
		return -1;
	}
	return 0;
}

static void sweep(const struct op *op, const char *fn)
{
	char why[512], label[128];
	struct tally t = { 0 };
	struct counters base;
	unsigned int nth;
	int result, ret;
	bool hit;

	snprintf(label, sizeof(label), "%s%s%s", op->name, fn ? " via " : "", fn ? fn : "");
	/*
	 * Twice without injection: it must work. The first run may set up
	 * what stays (the page tables of the export space that a first
	 * PEER_IMPORT maps into, kept for the next ones until the device is
	 * unbound, as probe and removal do), the second must leave the
	 * counters where the first did. In the pass over a marked function
	 * the operation ran before: the first run is enough.
	 */
	ret = run_once(op, 0, NULL, &hit, &result, why, sizeof(why));
	if (!ret && !fn && !result) {
		counters_settle(&base);
		ret = run_once(op, 0, &base, &hit, &result, why, sizeof(why));
	}
	if (ret < 0 || (!fn && result)) {
		printf("not ok - %s: %s fails without injection: %s\n", tname, label,
		       ret < 0 ? why : errname(result));
		total.bad++;
		return;
	}
	counters_settle(&base);
	for (nth = first_nth; nth <= max_nth; nth++) {
		ret = run_once(op, nth, &base, &hit, &result, why, sizeof(why));
		if (!ret && !hit)
			break;
		if (hit) {
			t.injected++;
			if (result)
				t.errors++;
			else
				t.absorbed++;
			if (verbose)
				printf("# %s: call %u failed: %s\n", label, nth, errname(result));
		}
		if (ret < 0) {
			t.bad++;
			printf("# %s: call %u failed (operation: %s): %s\n", label, nth,
			       errname(result), why);
			printf("#   reproduce: fault_sweep --op %s --nth %u%s%s\n", op->name,
			       nth, fn ? " --fn " : "", fn ? fn : "");
			/* Re-read what stays: the next runs are judged on their own. */
			counters_settle(&base);
		}
	}
	/* Probe and removal leave the device unbound after a failure. */
	if (op->no_counters)
		done_rebind(NULL);
	total.injected += t.injected;
	total.errors += t.errors;
	total.absorbed += t.absorbed;
	total.bad += t.bad;
	if (!t.injected && !t.bad && fn)
		return;		/* the function is not on this operation's path */
	printf("%s - %s: %s (%s): %u injected failures, %u returned as errors, %u absorbed%s\n",
	       t.bad ? "not ok" : "ok", tname, label, op->what, t.injected, t.errors, t.absorbed,
	       t.bad ? "" : "; nothing left behind, no kernel report");
	if (nth > max_nth)
		printf("# %s: stopped at call %u\n", label, max_nth);
	fflush(stdout);
}

/* The functions of trn.ko marked for fail_function, with the error to return. */
static unsigned int injectable(char names[][64], unsigned int max)
{
	char line[256], name[64], mod[64], type[32];
	unsigned int n = 0;
	FILE *f = fopen(FAIL_FN "/injectable", "re");

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s [%63[^]]] %31s", name, mod, type) == 3 &&
		    !strcmp(mod, "trn"))
			snprintf(names[n++], 64, "%s", name);
	fclose(f);
	return n;
}

static int fn_arm(const char *fn)
{
	char path[192];
	/* The errors the real failures give: a timeout for the waits. */
	long err = strstr(fn, "wait") || strstr(fn, "selftest") ? -ETIMEDOUT : -ENOMEM;
	int ret;

	ret = kd_write(FAIL_FN "/inject", "%s", fn);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), FAIL_FN "/%s/retval", fn);
	return kd_write(path, "%#lx", (unsigned long)err);
}

static void fn_disarm(const char *fn)
{
	kd_write(FAIL_FN "/inject", "!%s", fn);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: fault_sweep --ko PATH [--spare-ko PATH] [--repo DIR] [--op NAME]\n"
		   "                   [--fn FUNCTION] [--nth N] [--max N] [--no-functions]\n"
		   "                   [--verbose]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "ko", required_argument, NULL, 'k' },
		{ "spare-ko", required_argument, NULL, 's' },
		{ "repo", required_argument, NULL, 'r' },
		{ "op", required_argument, NULL, 'o' },
		{ "fn", required_argument, NULL, 'f' },
		{ "nth", required_argument, NULL, 'n' },
		{ "max", required_argument, NULL, 'm' },
		{ "no-functions", no_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ko = NULL, *spare_ko = NULL, *only_op = NULL, *only_fn = NULL;
	char fns[32][64], reports[PATH_MAX];
	unsigned int nfns, i, j, nth = 0, ops_run = 0;
	bool functions = true;
	uint64_t t0 = kd_now_ms();
	int c, ret;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'k': ko = optarg; break;
		case 's': spare_ko = optarg; break;
		case 'r': repo = optarg; break;
		case 'o': only_op = optarg; break;
		case 'f': only_fn = optarg; break;
		case 'n': nth = strtoul(optarg, NULL, 0); break;
		case 'm': max_nth = strtoul(optarg, NULL, 0); break;
		case 'F': functions = false; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!ko) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("T"))
		tname = getenv("T");
	ret = kd_module_text(ko, "trn", &trn_text);
	if (ret) {
		printf("not ok - %s: cannot locate trn.ko's code (%s)\n", tname, strerror(-ret));
		return 1;
	}
	if (spare_ko) {
		const char *base = strrchr(spare_ko, '/');
		char name[64];

		snprintf(name, sizeof(name), "%s", base ? base + 1 : spare_ko);
		name[strcspn(name, ".")] = '\0';
		for (i = 0; name[i]; i++)
			if (name[i] == '-')
				name[i] = '_';
		ret = kd_module_text(spare_ko, name, &spare_text);
		if (ret) {
			printf("not ok - %s: cannot locate the code of %s (%s)\n", tname, name,
			       strerror(-ret));
			return 1;
		}
		printf("# allocations of %s (0x%" PRIx64 "-0x%" PRIx64 ") are spared\n", name,
		       spare_text.start, spare_text.end);
	}
	ret = find_devices();
	if (ret || !ndevs) {
		printf("not ok - %s: no trn device bound\n", tname);
		return 1;
	}
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fail_nth_fd < 0 || cap_setup("failslab", true) || cap_setup("fail_page_alloc", true) ||
	    (kd_exists(FAIL_FN) && cap_setup("fail_function", true))) {
		printf("not ok - %s: the kernel has no fault injection (debug kernel needed)\n", tname);
		return 1;
	}
	snprintf(reports, sizeof(reports), "%s/tests/vm/kernel-reports", repo);
	ret = kd_kmsg_open(&kmsg, reports, "page allocation failure");
	if (ret) {
		printf("not ok - %s: cannot read the kernel log (%s)\n", tname, strerror(-ret));
		return 1;
	}
	printf("# trn.ko text at 0x%" PRIx64 "-0x%" PRIx64 "; %u devices, port %d of %s reaches %s\n",
	       trn_text.start, trn_text.end, ndevs, devs[0].port_to_other, devs[0].bdf,
	       ndevs > 1 ? devs[1].bdf : "nothing");

	if (nth) {
		/* Reproduce one run. */
		first_nth = nth;
		max_nth = nth;
	}
	/* Allocations with trn.ko on the stack. */
	if (!only_fn) {
		for (i = 0; i < fault_nops; i++) {
			if (only_op && strcmp(only_op, fault_ops[i].name))
				continue;
			if (!op_usable(&fault_ops[i])) {
				printf("# %s: not run: needs %s\n", fault_ops[i].name,
				       fault_ops[i].need_devs > ndevs ? "two devices" :
				       "a cable between the two devices");
				continue;
			}
			if (fault_ops[i].functions_only) {
				printf("# %s: allocations not failed (a bug of the DRM core's unwinding); the marked functions are\n",
				       fault_ops[i].name);
				continue;
			}
			sweep(&fault_ops[i], NULL);
			ops_run++;
		}
	}
	/* Then each marked function alone. */
	nfns = functions && kd_exists(FAIL_FN) ? injectable(fns, 32) : 0;
	if (nfns) {
		cap_setup("failslab", false);
		cap_setup("fail_page_alloc", false);
	}
	for (j = 0; j < nfns; j++) {
		if (only_fn && strcmp(only_fn, fns[j]))
			continue;
		if (fn_arm(fns[j])) {
			printf("not ok - %s: cannot inject %s\n", tname, fns[j]);
			total.bad++;
			continue;
		}
		armed_fn = fns[j];
		for (i = 0; i < fault_nops; i++) {
			if ((only_op && strcmp(only_op, fault_ops[i].name)) ||
			    !op_usable(&fault_ops[i]))
				continue;
			sweep(&fault_ops[i], fns[j]);
		}
		fn_disarm(fns[j]);
		armed_fn = NULL;
	}
	cap_setup("failslab", false);
	cap_setup("fail_page_alloc", false);
	if (kd_exists(FAIL_FN))
		cap_setup("fail_function", false);
	for (i = 0; i < ndevs; i++)
		dev_bind(i);

	printf("# %s: %u injected failures (%u returned as errors, %u absorbed) in %u operations and %u marked functions, %u went wrong, %" PRIu64 " s\n",
	       tname, total.injected, total.errors, total.absorbed, ops_run, nfns, total.bad,
	       (kd_now_ms() - t0) / 1000);
	kd_kmsg_close(&kmsg);
	return total.bad ? 1 : 0;
}
