/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * The processes that use trn devices, from the DRM fdinfo of their open
 * accel files (the keys of the kernel's Documentation/gpu/drm-usage-stats.rst
 * that trn.ko prints). Shared by nrt-top and nrt-ls --wide.
 *
 * The root of procfs is NRT_PROC_ROOT (for tests; read with
 * secure_getenv()), /proc by default. Processes and files that cannot be
 * read (other users' processes for an ordinary user, processes that exit
 * during the scan) are skipped without a message.
 */
#ifndef NRT_PROC_H
#define NRT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A counter or size that the file did not report. */
#define NRT_PROC_NA UINT64_MAX

/* What one fdinfo file says about one DRM client (one open file). */
struct nrt_proc_fdinfo {
	char driver[16];         /* drm-driver */
	char pdev[32];           /* drm-pdev: PCI address */
	uint64_t client_id;      /* drm-client-id; NRT_PROC_NA if absent */
	uint64_t hbm_total;      /* drm-total-hbm, bytes */
	uint64_t hbm_resident;   /* drm-resident-hbm, bytes */
	uint64_t host_total;     /* drm-total-memory, bytes */
	uint64_t host_resident;  /* drm-resident-memory, bytes */
	uint64_t dma_ns;         /* drm-engine-dma, ns */
	uint64_t core_ns;        /* drm-engine-core, ns */
	uint64_t dma_capacity;   /* drm-engine-capacity-dma; NA: 1 engine */
	uint64_t core_capacity;  /* drm-engine-capacity-core; NA: 1 engine */
};

/* One DRM client of one process: a (pid, pdev, client id) seen once. */
struct nrt_proc_client {
	pid_t pid;
	uid_t uid;
	char user[33];           /* user name, or the uid in decimal */
	char comm[17];           /* /proc/PID/comm */
	char cmdline[256];       /* arguments joined by spaces, or comm */
	struct nrt_proc_fdinfo fd;
};

/*
 * nrt_proc_parse_fdinfo() - parse the text of one fdinfo file
 * @text: the file's contents, NUL-terminated (a last line without newline
 *	is parsed too)
 * @out: receives what the text says; fields it does not give are
 *	NRT_PROC_NA or empty
 *
 * Keys this parser does not know are ignored, and so are known keys whose
 * value is malformed or does not fit. Sizes may be given in bytes or with
 * the unit KiB, MiB or GiB; engine times in ns.
 *
 * Return: true if the file is that of a trn client: drm-driver is "trn"
 * and drm-pdev and drm-client-id are given.
 */
bool nrt_proc_parse_fdinfo(const char *text, struct nrt_proc_fdinfo *out);

/*
 * nrt_proc_read_text() - read a small text file (sysfs, procfs)
 * @dirfd: directory @path is relative to, or AT_FDCWD
 * @path: the file
 * @buf: receives the contents, NUL-terminated (cut at @size - 1 bytes)
 * @size: size of @buf, at least 1
 *
 * Return: the number of bytes read, or -1 with errno set.
 */
ssize_t nrt_proc_read_text(int dirfd, const char *path, char *buf,
			   size_t size);

/*
 * nrt_proc_root() - the procfs root used by nrt_proc_scan()
 *
 * Return: NRT_PROC_ROOT if set and non-empty, else "/proc".
 */
const char *nrt_proc_root(void);

/*
 * nrt_proc_scan() - find the trn clients of every readable process
 * @out: receives an array (free()) of the clients, ordered by pid, then
 *	PCI address, then client id; NULL when there are none
 * @n: receives the number of entries
 *
 * A client id met in several files of one process (dup(), or a file
 * inherited across fork() and still open in both) is counted once per
 * process, from its first file.
 *
 * Return: 0, or -1 with errno set if the procfs root cannot be read or
 * memory ran out.
 */
int nrt_proc_scan(struct nrt_proc_client **out, size_t *n);

#endif /* NRT_PROC_H */
