// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest test of DRM_IOCTL_TRN_WAIT on peer DMA, through the raw uapi: a copy
 * into a peer object completes with status 0 while its port is up, with
 * -ENOLINK while it is down, and with 0 again once it is back up.
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

/* The node of the PCI device @bdf. */
static int open_bdf(const char *bdf)
{
	char path[PATH_MAX], node[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/accel", bdf);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "accel", 5)) {
			snprintf(node, sizeof(node), "/dev/accel/%s", de->d_name);
			fd = tt_open(node);
			break;
		}
	closedir(d);
	return fd;
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
	near = open_bdf(argv[1]);
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
