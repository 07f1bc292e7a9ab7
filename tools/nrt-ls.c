// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-ls - list trn accelerator devices.
 *
 * Device facts come from libnrt; PCI facts (NUMA node, PCIe link) from
 * libpci, which needs root to read the PCI Express capability. Whatever
 * cannot be read is shown as "-" (null in JSON).
 *
 * Exit status: 0 on success, 1 if no device was found or a device could not
 * be read (the devices that could be read are still listed), 2 on a usage
 * error.
 */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pci/pci.h>

#include "nrt.h"
#include "nrt_ls_fmt.h"

#define NRT_LS_NAME "nrt-ls"

static void nrt_ls_usage(FILE *out)
{
	fprintf(out,
		"Usage: " NRT_LS_NAME " [OPTION]...\n"
		"List the trn accelerator devices of this system.\n"
		"\n"
		"  -j, --json     print a JSON document instead of a table\n"
		"  -h, --help     print this help and exit\n"
		"  -V, --version  print the version and exit\n"
		"\n"
		"Exit status: 0 on success, 1 if no device was found or a device\n"
		"could not be read, 2 on a usage error.\n");
}

static void nrt_ls_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void nrt_ls_usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fputs(NRT_LS_NAME ": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs("usage: " NRT_LS_NAME " [-j|--json] [-h|--help] [-V|--version]\n",
	      stderr);
	exit(2);
}

/* Flush stdout. Return: 0, or 1 after a message if the output failed. */
static int nrt_ls_flush(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, NRT_LS_NAME ": cannot write the output\n");
		return 1;
	}
	return 0;
}

/* The library's detail message, or the generic text of @st without one. */
static const char *nrt_ls_reason(nrt_status st)
{
	const char *detail = nrt_last_error();

	return *detail ? detail : nrt_strerror(st);
}

/* --- PCI facts via libpci -------------------------------------------- */

static void nrt_ls_pci_error(char *msg, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* libpci calls this on errors it cannot recover from; it must not return. */
static void nrt_ls_pci_error(char *msg, ...)
{
	va_list ap;

	fputs(NRT_LS_NAME ": libpci: ", stderr);
	va_start(ap, msg);
	vfprintf(stderr, msg, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void nrt_ls_pci_quiet(char *msg, ...)
	__attribute__((format(printf, 1, 2)));

/* Warnings (e.g. unreadable config space as non-root) are expected. */
static void nrt_ls_pci_quiet(char *msg, ...)
{
	(void)msg;
}

static struct pci_access *nrt_ls_pci_open(void)
{
	struct pci_access *acc = pci_alloc();

	if (!acc)
		return NULL;
	acc->error = nrt_ls_pci_error;
	acc->warning = nrt_ls_pci_quiet;
	acc->debug = nrt_ls_pci_quiet;
	pci_init(acc);
	return acc;
}

/*
 * Fill in the NUMA node and PCIe link of @row from the PCI device. Fields
 * that cannot be read are left as they are.
 */
static void nrt_ls_pci_facts(struct pci_access *acc, struct nrt_ls_row *row)
{
	unsigned int domain, bus, dev, fn;
	struct pci_dev *pdev;
	struct pci_cap *cap;
	int known;
	char path[PATH_MAX];
	const char *sysfs;
	char end;
	int len;

	if (sscanf(row->pci_bdf, "%x:%x:%x.%x%c", &domain, &bus, &dev, &fn,
		   &end) != 4)
		return;

	/*
	 * libpci treats a missing device as fatal (see nrt_ls_pci_error()):
	 * skip one that has gone away since it was opened.
	 */
	sysfs = pci_get_param(acc, "sysfs.path");
	if (sysfs) {
		len = snprintf(path, sizeof(path), "%s/devices/%s", sysfs,
			       row->pci_bdf);
		if (len < 0 || (size_t)len >= sizeof(path) || access(path, F_OK))
			return;
	}
	pdev = pci_get_dev(acc, (int)domain, (int)bus, (int)dev, (int)fn);
	if (!pdev)
		return;

	known = pci_fill_info(pdev, PCI_FILL_IDENT | PCI_FILL_NUMA_NODE |
				    PCI_FILL_CAPS);
	if ((known & PCI_FILL_NUMA_NODE) && pdev->numa_node >= 0)
		row->numa_node = pdev->numa_node;

	/* Without root the capability list is unreadable and not found. */
	cap = (known & PCI_FILL_CAPS) ?
	      pci_find_cap(pdev, PCI_CAP_ID_EXP, PCI_CAP_NORMAL) : NULL;
	if (cap) {
		unsigned int lnksta = pci_read_word(pdev, cap->addr + PCI_EXP_LNKSTA);
		unsigned int speed, width;

		speed = nrt_ls_link_speed_dgts(lnksta & PCI_EXP_LNKSTA_SPEED);
		width = (lnksta & PCI_EXP_LNKSTA_WIDTH) >> 4;
		/* All ones: the read failed. */
		if (lnksta != 0xffff && speed && width) {
			row->link_speed_dgts = speed;
			row->link_width = width;
		}
	}
	pci_free_dev(pdev);
}

/* --- gathering ------------------------------------------------------- */

static void nrt_ls_fill_row(const nrt_device_info *info, struct nrt_ls_row *row)
{
	memset(row, 0, sizeof(*row));
	row->index = info->index;
	row->minor = info->minor;
	snprintf(row->pci_bdf, sizeof(row->pci_bdf), "%s", info->pci_bdf);
	snprintf(row->device_node, sizeof(row->device_node), "%s",
		 info->device_node);
	row->chip_id = info->chip_id;
	row->neuron_cores = info->num_cores;
	row->hbm_bytes = info->hbm_size;
	row->numa_node = info->numa_node;
	row->hw_version_major = info->hw_version_major;
	row->hw_version_minor = info->hw_version_minor;
	row->driver_version_major = info->driver_version_major;
	row->driver_version_minor = info->driver_version_minor;
	row->driver_version_patch = info->driver_version_patch;
}

/* Read device @index into @row. Return: false (after a message) on error. */
static bool nrt_ls_read_device(unsigned int index, struct nrt_ls_row *row)
{
	nrt_device_info info;
	nrt_device *dev;
	nrt_status st;

	st = nrt_device_open(index, &dev);
	if (st != NRT_SUCCESS) {
		fprintf(stderr, NRT_LS_NAME ": device %u: %s\n", index,
			nrt_ls_reason(st));
		return false;
	}
	memset(&info, 0, sizeof(info));
	info.struct_size = sizeof(info);
	st = nrt_device_get_info(dev, &info);
	if (st != NRT_SUCCESS) {
		fprintf(stderr, NRT_LS_NAME ": device %u: %s\n", index,
			nrt_ls_reason(st));
		nrt_device_close(dev);
		return false;
	}
	nrt_device_close(dev);
	nrt_ls_fill_row(&info, row);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct pci_access *acc;
	struct nrt_ls_row *rows;
	unsigned int count, i;
	size_t n = 0;
	bool json = false, failed = false;
	nrt_status st;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "jhV", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			nrt_ls_usage(stdout);
			return nrt_ls_flush();
		case 'V':
			printf(NRT_LS_NAME " %d.%d.%d\n", NRT_VERSION_MAJOR,
			       NRT_VERSION_MINOR, NRT_VERSION_PATCH);
			return nrt_ls_flush();
		default:
			/* getopt_long() has already said what was wrong. */
			nrt_ls_usage_error(NULL);
		}
	}
	if (optind < argc)
		nrt_ls_usage_error("unexpected argument '%s'", argv[optind]);

	st = nrt_device_count(&count);
	if (st == NRT_NO_DRIVER) {
		fprintf(stderr, NRT_LS_NAME ": no trn devices found: %s (try: modprobe trn)\n",
			nrt_ls_reason(st));
		return 1;
	}
	if (st != NRT_SUCCESS) {
		fprintf(stderr, NRT_LS_NAME ": cannot list trn devices: %s\n",
			nrt_ls_reason(st));
		return 1;
	}
	if (count == 0) {
		fprintf(stderr, NRT_LS_NAME ": no trn devices found (the trn driver is loaded but bound to no device)\n");
		return 1;
	}

	rows = calloc(count, sizeof(*rows));
	if (!rows) {
		fprintf(stderr, NRT_LS_NAME ": out of memory\n");
		return 1;
	}
	acc = nrt_ls_pci_open();
	for (i = 0; i < count; i++) {
		if (!nrt_ls_read_device(i, &rows[n])) {
			failed = true;
			continue;
		}
		if (acc)
			nrt_ls_pci_facts(acc, &rows[n]);
		n++;
	}
	if (acc)
		pci_cleanup(acc);

	if (json)
		ret = nrt_ls_print_json(stdout, rows, n);
	else
		ret = n ? nrt_ls_print_table(stdout, rows, n) : 0;
	free(rows);
	if (ret) {
		fprintf(stderr, NRT_LS_NAME ": cannot write the output\n");
		return 1;
	}
	return nrt_ls_flush() || failed ? 1 : 0;
}
