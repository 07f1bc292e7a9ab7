// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Peer buffers: HBM of another device, reached over NeuronLink. A buffer is
 * shared as a dma-buf (DRM PRIME) and imported on the cabled device with
 * DRM_IOCTL_TRN_PEER_IMPORT, which maps it into that device file's address
 * space (Documentation/uapi.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "nrt_buffer.h"

_Static_assert((int)NRT_PLACEMENT_PEER == (int)DRM_TRN_PLACEMENT_PEER,
	       "nrt_placement differs from enum drm_trn_placement");
_Static_assert(NRT_PEER_READONLY == DRM_TRN_PEER_READONLY,
	       "NRT_PEER_READONLY differs from DRM_TRN_PEER_READONLY");

NRT_API nrt_status nrt_buffer_export_fd(nrt_buffer *buf, int *fd)
{
	NRT_API_SCOPE();
	int out = -1;

	if (!buf || !fd)
		return nrt_fail(NRT_INVALID, "nrt_buffer_export_fd: %s is NULL",
				buf ? "fd" : "buf");
	if (buf->placement != NRT_PLACEMENT_HBM)
		return nrt_fail(NRT_UNSUPPORTED,
				"nrt_buffer_export_fd: only HBM buffers can be shared with peers");
	if (drmPrimeHandleToFD(buf->dev->fd, buf->handle, DRM_CLOEXEC | DRM_RDWR,
			       &out)) {
		int err = errno;

		return nrt_fail_errno(err == EMFILE || err == ENFILE || err == ENOMEM ?
				      NRT_RESOURCE : err == EOPNOTSUPP || err == ENOSYS ?
				      NRT_UNSUPPORTED : nrt_status_from_errno(err),
				      err, "nrt_buffer_export_fd: export of GEM handle %u on %s",
				      buf->handle, buf->dev->device_node);
	}
	*fd = out;
	return NRT_SUCCESS;
}

static nrt_status nrt_import_status(int err)
{
	switch (err) {
	case ENOLINK:
		return NRT_NO_LINK;
	case EOPNOTSUPP:
	case ENOTTY:
		return NRT_UNSUPPORTED;
	case EINVAL:
	case EBADF:
		return NRT_INVALID;
	case ENOMEM:
	case ENOSPC:
		return NRT_RESOURCE;
	default:
		return nrt_status_from_errno(err);
	}
}

/* One DRM_IOCTL_TRN_PEER_IMPORT; 0 or an errno. */
static int nrt_peer_ioctl(struct nrt_device *dev, int fd, unsigned int port,
			  unsigned int flags, struct drm_trn_peer_import *imp)
{
	memset(imp, 0, sizeof(*imp));
	imp->fd = fd;
	imp->port = port;
	imp->flags = flags;
	return drmIoctl(dev->fd, DRM_IOCTL_TRN_PEER_IMPORT, imp) ? errno : 0;
}

/*
 * Import through the first port of @dev that is up and accepts: the kernel
 * refuses ports that lead elsewhere with ENOLINK.
 */
static int nrt_peer_ioctl_any(struct nrt_device *dev, int fd, unsigned int flags,
			      struct drm_trn_peer_import *imp, unsigned int *port)
{
	nrt_topology *t = NULL;
	size_t i, n;
	int err = ENOLINK;

	if (nrt_topology_get(&t) != NRT_SUCCESS)
		return -1;
	n = nrt_topology_num_links(t);
	for (i = 0; i < n && err == ENOLINK; i++) {
		const nrt_link *l = nrt_topology_link(t, i);

		if (l->device != dev->index || l->state != NRT_LINK_UP)
			continue;
		*port = l->port;
		err = nrt_peer_ioctl(dev, fd, l->port, flags, imp);
	}
	nrt_topology_free(t);
	return err;
}

NRT_API nrt_status nrt_buffer_import_peer(nrt_device *dev, int fd, int port,
					  unsigned int flags, nrt_buffer **out)
{
	NRT_API_SCOPE();
	struct drm_trn_peer_import imp;
	struct nrt_buffer *buf;
	unsigned int used = 0;
	int err;

	if (!dev || !out)
		return nrt_fail(NRT_INVALID, "nrt_buffer_import_peer: %s is NULL",
				dev ? "out" : "dev");
	if (flags & ~NRT_PEER_READONLY)
		return nrt_fail(NRT_INVALID, "nrt_buffer_import_peer: unknown flags 0x%x",
				flags & ~NRT_PEER_READONLY);
	if (port < -1)
		return nrt_fail(NRT_INVALID, "nrt_buffer_import_peer: port %d", port);

	if (port >= 0) {
		used = (unsigned int)port;
		err = nrt_peer_ioctl(dev, fd, used, flags, &imp);
	} else {
		err = nrt_peer_ioctl_any(dev, fd, flags, &imp, &used);
		if (err < 0)
			return nrt_fail(NRT_FAILURE, "nrt_buffer_import_peer: %s",
					nrt_last_error());
	}
	if (err == ENOLINK && port < 0)
		return nrt_fail(NRT_NO_LINK,
				"nrt_buffer_import_peer: no port of %s that is up reaches the buffer's device",
				dev->device_node);
	if (err)
		return nrt_fail_errno(nrt_import_status(err), err,
				      "nrt_buffer_import_peer: import on %s through port %u",
				      dev->device_node, used);

	buf = calloc(1, sizeof(*buf));
	if (!buf || pthread_mutex_init(&buf->lock, NULL)) {
		struct drm_gem_close gc = { .handle = imp.handle };

		free(buf);
		drmIoctl(dev->fd, DRM_IOCTL_GEM_CLOSE, &gc);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	buf->dev = dev;
	buf->placement = NRT_PLACEMENT_PEER;
	buf->handle = imp.handle;
	buf->va = imp.va;
	buf->size = imp.size;
	buf->bo_size = imp.size;
	nrt_device_ref(dev);
	*out = buf;
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_buffer_peer(nrt_device *dev, nrt_buffer *remote,
				   int port, unsigned int flags,
				   nrt_buffer **out)
{
	NRT_API_SCOPE();
	nrt_status st;
	int fd;

	if (!dev || !remote || !out)
		return nrt_fail(NRT_INVALID, "nrt_buffer_peer: %s is NULL",
				!dev ? "dev" : !remote ? "remote" : "out");
	st = nrt_buffer_export_fd(remote, &fd);
	if (st)
		return st;
	st = nrt_buffer_import_peer(dev, fd, port, flags, out);
	close(fd);
	return st;
}
