// SPDX-License-Identifier: GPL-2.0-only
/*
 * A fence that outlives its device and the driver (tests/vm/t/41-fences.sh).
 * On NODE it runs a NOP, and a SEM_WAIT that nothing signals (it times out),
 * each with an out_sync exported as a sync_file, then closes the device and
 * prints "ready". Then, one command a line on stdin:
 *
 *   info   SYNC_IOC_FILE_INFO on both sync_files, which reads the fences'
 *          driver and timeline names; prints per fence
 *          "fence N status=S driver=D timeline=T"
 *   close  closes the sync_files; prints "closed"
 *
 * Exit 0 at the end of stdin once each command could be carried out.
 *
 *   fence_orphan NODE
 */
#include "trn_test.h"

static const struct drm_trn_dma_desc blocker = {
	.opcode = DRM_TRN_DMA_OP_SEM_WAIT, .aux = 5, .len = 1,
};

static int info(int sfd, int n)
{
	struct sync_fence_info fi[4] = { 0 };
	struct sync_file_info si = { 0 };

	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &si))
		return -errno;
	if (si.num_fences < 1 || si.num_fences > 4)
		return -ERANGE;
	si.sync_fence_info = (uintptr_t)fi;
	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &si))
		return -errno;
	/* One fence: the job's (an out fence is not a container). */
	printf("fence %d status=%d driver=%.32s timeline=%.32s count=%u\n", n,
	       fi[0].status, fi[0].driver_name, fi[0].obj_name, si.num_fences);
	return 0;
}

int main(int argc, char **argv)
{
	struct drm_trn_dma_desc nop = { .opcode = DRM_TRN_DMA_OP_NOP };
	int fd, sfd[2] = { -1, -1 }, i;
	int32_t status = 0;
	uint32_t so[2];
	char line[64];

	if (argc != 2) {
		fprintf(stderr, "usage: fence_orphan NODE\n");
		return 1;
	}
	fd = tt_open(argv[1]);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (tt_submit(fd, 0, &nop, 1, &so[0]) || tt_submit(fd, 0, &blocker, 1, &so[1])) {
		perror("submit");
		return 1;
	}
	for (i = 0; i < 2; i++) {
		if (tt_wait(fd, so[i], tt_now_ns() + 60 * 1000000000LL, &status)) {
			perror("wait");
			return 1;
		}
		if (drmSyncobjExportSyncFile(fd, so[i], &sfd[i])) {
			perror("export");
			return 1;
		}
		printf("job %d status=%d\n", i, status);
	}
	close(fd);
	printf("ready\n");
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin)) {
		if (!strcmp(line, "info\n")) {
			for (i = 0; i < 2; i++) {
				int ret = info(sfd[i], i);

				if (ret) {
					fprintf(stderr, "SYNC_IOC_FILE_INFO: %s\n", strerror(-ret));
					return 1;
				}
			}
		} else if (!strcmp(line, "close\n")) {
			close(sfd[0]);
			close(sfd[1]);
			printf("closed\n");
		} else {
			fprintf(stderr, "unknown command %s", line);
			return 1;
		}
		fflush(stdout);
	}
	return 0;
}
