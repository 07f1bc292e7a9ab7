// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-reset - reset a trn device and wait until it works again.
 *
 * The reset is the PCI core's: a write of 1 to the function's sysfs
 * "reset" attribute, which the kernel carries out as a Function Level
 * Reset for a trn device, with the driver's reset_prepare and reset_done
 * around it. Before, the processes that have the device open are listed
 * from the DRM fdinfo of /proc (nrt_proc.c), and the reset refused while
 * there are any, unless forced. After, the device must be back within the
 * timeout: its node present, its properties readable, a job completed on
 * every DMA queue and a program on every NeuronCore.
 *
 * Exit status: 0 the device was reset and works; 1 refused, the reset
 * failed or the device did not come back; 2 a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nrt.h"
#include "nrt_facts.h"
#include "nrt_proc.h"
#include "nrt_tool.h"

static void nrt_reset_usage(FILE *out)
{
	fprintf(out,
		"Usage: nrt-reset [OPTION]... DEVICE\n"
		"Reset a trn device (an index as nrt-ls shows it, or a PCI address)\n"
		"and wait until it works again.\n"
		"\n"
		"  -f, --force          reset even while processes use the device\n"
		"  -t, --timeout SECS   how long to wait for the device (default 30)\n"
		"  -h, --help           print this help and exit\n"
		"  -V, --version        print the version and exit\n"
		"\n"
		"Exit status: 0 reset and working, 1 refused, failed or not back in\n"
		"time, 2 on a usage error.\n");
}

static double nrt_reset_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* DEVICE as a PCI address: an index of libnrt's list, or an address. */
static void nrt_reset_resolve(const char *arg, char *bdf, size_t size)
{
	nrt_device_list *l;
	char *end;
	unsigned long idx;
	nrt_status st;

	if (strchr(arg, ':')) {
		snprintf(bdf, size, "%s", arg);
		return;
	}
	idx = strtoul(arg, &end, 10);
	if (!*arg || *end)
		nrt_tool_usage_error("invalid device '%s' (an index or a PCI address)", arg);
	st = nrt_device_list_get(&l);
	if (st != NRT_SUCCESS)
		nrt_tool_die("cannot list the devices: %s", nrt_tool_reason(st));
	if (idx >= nrt_device_list_count(l))
		nrt_tool_die("no device %lu (%zu devices)", idx, nrt_device_list_count(l));
	snprintf(bdf, size, "%s", nrt_device_list_entry(l, idx)->pci_bdf);
	nrt_device_list_free(l);
}

/* The users of @bdf, one "PID COMMAND" per line into @buf. Return: count. */
static size_t nrt_reset_users(const char *bdf, char *buf, size_t size)
{
	struct nrt_proc_client *c;
	size_t n, i, users = 0, len = 0;

	buf[0] = '\0';
	if (nrt_proc_scan(&c, &n)) {
		nrt_tool_error("cannot list the processes in %s: %s", nrt_proc_root(),
			       strerror(errno));
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(c[i].fd.pdev, bdf))
			continue;
		/* A process with several clients of the device: once. */
		if (i && c[i - 1].pid == c[i].pid && !strcmp(c[i - 1].fd.pdev, bdf))
			continue;
		users++;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "  %ld %s (%s)\n",
						(long)c[i].pid, c[i].cmdline, c[i].user);
	}
	free(c);
	return users;
}

static int nrt_reset_write(const char *dir)
{
	char path[PATH_MAX + 8];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/reset", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, "1", 1) != 1)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/* A program (one semaphore signal) on every NeuronCore's queue. */
static nrt_status nrt_reset_cores(nrt_device *dev, const nrt_device_info *info,
				  char *why, size_t wsize)
{
	nrt_program *p = NULL;
	unsigned int c;
	nrt_status st;

	if (!info->core_queues)
		return NRT_SUCCESS;
	st = nrt_program_new(dev, &p);
	if (st == NRT_SUCCESS)
		st = nrt_program_sem_signal(p, 0, 1);
	if (st == NRT_SUCCESS)
		st = nrt_program_finalize(p);
	for (c = 0; st == NRT_SUCCESS && c < info->core_queues; c++)
		st = nrt_program_run(p, c, NULL, NULL);
	if (st != NRT_SUCCESS)
		snprintf(why, wsize, "a program did not complete: %s", nrt_tool_reason(st));
	nrt_program_free(p);
	return st;
}

/*
 * One try at using the device again: listed with a node, opened, its
 * properties read, a small job run. Return: NRT_SUCCESS, or the status
 * with what failed in @why.
 */
static nrt_status nrt_reset_probe(const char *bdf, char *node, size_t nsize,
				  char *why, size_t wsize)
{
	nrt_device_info info = { .struct_size = sizeof(info) };
	nrt_copy_opts opts = NRT_COPY_OPTS_INIT;
	nrt_device_list *l;
	nrt_device *dev = NULL;
	nrt_buffer *buf = NULL;
	unsigned int idx = 0, q;
	nrt_status st;
	size_t i;
	bool found = false;

	st = nrt_device_list_get(&l);
	for (i = 0; st == NRT_SUCCESS && i < nrt_device_list_count(l); i++) {
		const nrt_device_entry *e = nrt_device_list_entry(l, i);

		if (!strcmp(e->pci_bdf, bdf)) {
			found = true;
			idx = e->index;
			snprintf(node, nsize, "%s", e->device_node);
		}
	}
	if (st == NRT_SUCCESS)
		nrt_device_list_free(l);
	if (st != NRT_SUCCESS || !found) {
		snprintf(why, wsize, "not listed again: %s",
			 st != NRT_SUCCESS ? nrt_tool_reason(st) : "no bound device with a node");
		return st != NRT_SUCCESS ? st : NRT_NO_DEVICE;
	}
	st = nrt_device_open(idx, &dev);
	if (st == NRT_SUCCESS)
		st = nrt_device_get_info(dev, &info);
	if (st != NRT_SUCCESS) {
		snprintf(why, wsize, "its properties cannot be read: %s", nrt_tool_reason(st));
		nrt_device_close(dev);
		return st;
	}
	/* A job on every DMA queue: a reset may leave some queues dead. */
	st = nrt_buffer_alloc(dev, 4096, NRT_PLACEMENT_HBM, &buf);
	for (q = 0; st == NRT_SUCCESS && q < (info.dma_queues ? info.dma_queues : 1); q++) {
		opts.queue = info.dma_queues ? (int)q : -1;
		st = nrt_fill(buf, 0, 4096, 0x5a, &opts, NULL);
	}
	if (st != NRT_SUCCESS)
		snprintf(why, wsize, "a job did not complete: %s", nrt_tool_reason(st));
	else
		st = nrt_reset_cores(dev, &info, why, wsize);
	nrt_buffer_free(buf);
	nrt_device_close(dev);
	return st;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char bdf[64], dir[PATH_MAX], users[4096], node[64] = "", why[512] = "";
	struct nrt_facts before, after;
	double timeout = 30, t0, end;
	bool force = false;
	nrt_status st;
	size_t n;
	char *e;
	int opt, err;

	nrt_tool_init("nrt-reset");
	while ((opt = getopt_long(argc, argv, "ft:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			force = true;
			break;
		case 't':
			timeout = strtod(optarg, &e);
			if (!*optarg || *e || !(timeout > 0 && timeout <= 3600))
				nrt_tool_usage_error("invalid timeout '%s'", optarg);
			break;
		case 'h':
			nrt_reset_usage(stdout);
			return nrt_tool_flush() ? 2 : 0;
		case 'V':
			return nrt_tool_version() ? 2 : 0;
		default:
			nrt_tool_usage_error(NULL);
		}
	}
	if (optind != argc - 1)
		nrt_tool_usage_error(optind < argc ? "one device only" : "which device?");
	nrt_reset_resolve(argv[optind], bdf, sizeof(bdf));

	snprintf(dir, sizeof(dir), "%s/bus/pci/devices/%s", nrt_facts_sysfs_root(), bdf);
	if (!nrt_facts_attr(dir, "device", users, sizeof(users)) ||
	    strtoul(users, NULL, 16) != NRT_FACTS_DEVICE ||
	    !nrt_facts_attr(dir, "vendor", users, sizeof(users)) ||
	    strtoul(users, NULL, 16) != NRT_FACTS_VENDOR)
		nrt_tool_die("%s is not a trn device", bdf);

	n = nrt_reset_users(bdf, users, sizeof(users));
	if (n && !force) {
		nrt_tool_error("%s is in use by %zu process%s; stop %s or use --force:\n%s",
			       bdf, n, n == 1 ? "" : "es", n == 1 ? "it" : "them", users);
		return 1;
	}
	if (n)
		printf("%s: resetting while %zu process%s use it (--force):\n%s", bdf, n,
		       n == 1 ? "" : "es", users);

	nrt_facts_read(dir, &before);
	err = nrt_reset_write(dir);
	if (err) {
		nrt_tool_error("%s: cannot reset: %s/reset: %s%s", bdf, dir, strerror(err),
			       err == EACCES || err == EPERM ? " (needs root)" :
			       err == ENOENT ? " (the function cannot be reset)" : "");
		return 1;
	}
	t0 = nrt_reset_now();
	end = t0 + timeout;
	/* Wait for the device; the job's own timeout bounds a try. */
	do {
		st = nrt_reset_probe(bdf, node, sizeof(node), why, sizeof(why));
		if (st == NRT_SUCCESS)
			break;
		usleep(200 * 1000);
	} while (nrt_reset_now() < end);
	nrt_facts_read(dir, &after);
	if (st != NRT_SUCCESS) {
		nrt_tool_error("%s: reset, but not back after %.0f s: %s; see dmesg (unbinding and binding the driver may bring it back)",
			       bdf, timeout, why);
		return 1;
	}
	printf("%s: reset, back after %.1f s: %s opens and runs jobs", bdf,
	       nrt_reset_now() - t0, node);
	if (after.reset_count != NRT_FACT_NA)
		printf("; reset_count %" PRIu64 "%s\n", after.reset_count,
		       before.reset_count != NRT_FACT_NA && after.reset_count > before.reset_count ?
		       "" : " (did not grow)");
	else
		printf("; reset_count not supported by this driver\n");
	return nrt_tool_flush();
}
