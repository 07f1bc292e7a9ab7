// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest test of DRM_IOCTL_TRN_WAIT on peer DMA, through the raw uapi: a copy
 * into a peer object completes with status 0 while its port is up, with
 * -ENOLINK while it is down, and with 0 again once it is back up. Before
 * that, an object imported again through the same port with the same access
 * is the same peer object (same VA), and maps nothing more: the device's
 * hbm_used and the file's trn-page-tables in fdinfo stay where they were.
 *
 *   test_wait_link BDF PORT DOWN-CMD UP-CMD
 *
 * BDF is the PCI address of a trn device whose port PORT is up with another
 * trn device at its far end; DOWN-CMD and UP-CMD (run with system()) take
 * the port down and bring it back, and return once the driver says so.
 * Prints TAP; the exit status is the number of failed checks.
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include "trn_test.h"
#include "tap.h"

/* The node of the accel device whose name sysfs file @path holds. */
static int open_named(const char *path)
{
	char name[64] = "", node[96];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(name, sizeof(name), f))
		name[0] = 0;
	fclose(f);
	name[strcspn(name, "\n")] = 0;
	if (strncmp(name, "accel", 5))
		return -1;
	snprintf(node, sizeof(node), "/dev/accel/%s", name);
	return tt_open(node);
}

/* A number from a one-line sysfs file, or -1. */
static long long read_num(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * Import @imp->fd again through the same port, with @flags: the same object
 * (VA) when @flags are those of @imp, nothing more mapped either way but
 * for a first read-only import.
 */
static void import_again(int near, const char *bdf, const struct drm_trn_peer_import *imp)
{
	struct drm_trn_peer_import again = { .fd = imp->fd, .port = imp->port };
	struct drm_trn_peer_import ro = again;
	char path[PATH_MAX];
	long long hbm, pt, hbm2, pt2;
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/hbm_used", bdf);
	hbm = read_num(path);
	pt = tt_fdinfo_num(near, "trn-page-tables");
	tap(pt > 0, "fdinfo: trn-page-tables %lld KiB", pt);
	/* The calls first: the order a call's arguments are evaluated in is open. */
	ret = drmIoctl(near, DRM_IOCTL_TRN_PEER_IMPORT, &again);
	tap(!ret && again.va == imp->va && again.handle != imp->handle,
	    "imported again: a new handle (%u, %u) to the same object (VA 0x%llx, 0x%llx)",
	    imp->handle, again.handle, (unsigned long long)imp->va,
	    (unsigned long long)again.va);
	hbm2 = read_num(path);
	pt2 = tt_fdinfo_num(near, "trn-page-tables");
	tap(hbm2 == hbm && pt2 == pt,
	    "and nothing more mapped: hbm_used %lld -> %lld, page tables %lld -> %lld KiB",
	    hbm, hbm2, pt, pt2);
	ro.flags = DRM_TRN_PEER_READONLY;
	ret = drmIoctl(near, DRM_IOCTL_TRN_PEER_IMPORT, &ro);
	tap(!ret && ro.va && ro.va != imp->va, "read-only, it is another object (VA 0x%llx)",
	    (unsigned long long)ro.va);
	tap(!tt_bo_close(near, again.handle), "the second handle closes");
	tap(!tt_bo_close(near, ro.handle), "and so does the read-only object");
}

/* Copy 4 KiB from @src to @dst on queue 0; the status of the job. */
static int copy_status(int fd, uint64_t dst, uint64_t src, int32_t *status)
{
	struct drm_trn_dma_desc d = tt_copy(dst, src, 4096);
	uint32_t so;
	int ret;

	ret = tt_submit(fd, 0, &d, 1, &so);
	if (ret)
		return ret;
	ret = tt_wait(fd, so, tt_now_ns() + 30000000000LL, status);
	drmSyncobjDestroy(fd, so);
	return ret;
}

/*
 * Another file of the same device imports the same object: it gets an
 * object of its own, mapped in its own address space (a copy into it
 * works), not the first file's.
 */
static void import_other_file(const char *bdf, int dmabuf, uint32_t port)
{
	struct drm_trn_peer_import imp = { .fd = dmabuf, .port = port };
	uint64_t va;
	uint32_t h;
	int32_t status = 1;
	int fd = tt_open_bdf(bdf), ret = -1;

	if (fd >= 0 && !tt_bo_create(fd, 4096, DRM_TRN_PLACEMENT_HBM, &h, &va) &&
	    !drmIoctl(fd, DRM_IOCTL_TRN_PEER_IMPORT, &imp))
		ret = copy_status(fd, imp.va, va, &status);
	tap(!ret && !status, "another file imports it too, into its own address space: copy status %d",
	    status);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	struct drm_trn_peer_import imp = { 0 };
	uint32_t far_h, near_h;
	uint64_t near_va;
	char path[PATH_MAX];
	int near, far, ret;
	int32_t status;

	if (argc != 5) {
		fprintf(stderr, "usage: test_wait_link BDF PORT DOWN-CMD UP-CMD\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/link%s/peer_device",
		 argv[1], argv[2]);
	near = tt_open_bdf(argv[1]);
	far = open_named(path);
	if (near < 0 || far < 0) {
		printf("Bail out! cannot open %s or the device at the end of port %s\n",
		       argv[1], argv[2]);
		return 1;
	}
	if (tt_bo_create(far, 4096, DRM_TRN_PLACEMENT_HBM, &far_h, NULL) ||
	    tt_bo_create(near, 4096, DRM_TRN_PLACEMENT_HBM, &near_h, &near_va) ||
	    drmPrimeHandleToFD(far, far_h, DRM_CLOEXEC, &imp.fd)) {
		printf("Bail out! setup: %s\n", strerror(errno));
		return 1;
	}
	imp.port = (uint32_t)strtoul(argv[2], NULL, 10);
	if (drmIoctl(near, DRM_IOCTL_TRN_PEER_IMPORT, &imp)) {
		printf("Bail out! peer import: %s\n", strerror(errno));
		return 1;
	}
	import_again(near, argv[1], &imp);
	import_other_file(argv[1], imp.fd, imp.port);
	close(imp.fd);

	ret = copy_status(near, imp.va, near_va, &status);
	tap(!ret && !status, "port %s up: a copy to the peer object: status %d (%s)",
	    argv[2], status, strerror(-ret));
	tap(system(argv[3]) == 0, "take port %s down", argv[2]);
	ret = copy_status(near, imp.va, near_va, &status);
	tap(!ret && status == -ENOLINK, "port %s down: status %d, -ENOLINK (%s)",
	    argv[2], status, strerror(-ret));
	tap(system(argv[4]) == 0, "bring port %s up", argv[2]);
	ret = copy_status(near, imp.va, near_va, &status);
	tap(!ret && !status, "port %s up again: status %d (%s)", argv[2], status,
	    strerror(-ret));

	close(near);
	close(far);
	return tap_plan();
}
