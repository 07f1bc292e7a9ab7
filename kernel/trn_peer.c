// SPDX-License-Identifier: GPL-2.0-only
/* Copyright (c) 2026 The trn authors */

#include <linux/dma-buf.h>
#include <linux/error-injection.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/trn_accel.h>

#include "trn_drv.h"
#include "trn_gem.h"
#include "trn_link.h"
#include "trn_peer.h"
#include "trn_regs.h"
#include "trn_vm.h"

/*
 * Peer DMA: HBM objects of one device used by the DMA engines of a device
 * cabled to it, over NeuronLink (Documentation/hw-interface.rst, "Peer
 * DMA").
 *
 * Each device has an export space: an address space of its own (a struct
 * trn_vm with no file) whose page table the hardware follows for accesses
 * that arrive from peers. An object is mapped there, at trn_bo.xva, while at
 * least one peer object uses it, and nothing else ever is: a peer reaches
 * exactly the objects that were shared with it.
 *
 * Sharing goes through dma-buf. The owner of an HBM object exports it with
 * DRM_IOCTL_PRIME_HANDLE_TO_FD and hands the file descriptor to whoever may
 * use it; DRM_IOCTL_TRN_PEER_IMPORT on a cabled device turns the descriptor
 * into a peer object there, mapped in the importing file's address space by
 * entries that name a port and an export space address. The peer object
 * holds a reference to the exported object, whose memory therefore outlives
 * its owner's file. The dma-buf itself (trn_gem.c) cannot be attached by
 * other drivers: the memory is only reachable over the links.
 *
 * When the exporting device goes away, every peer object of its memory is
 * unmapped from its importer's address space and the export space is
 * switched off, so that nothing reaches memory that a later binding of the
 * device hands to someone else.
 *
 * A port whose far end changes to another device while up (a cable moved,
 * possibly to a chip of the same id on another host, which the entries'
 * chip field cannot tell apart) has the peer objects mapped through it
 * unmapped by the link work (trn_peer_revoke_port()); an import checks the
 * port again under the exporter's peer_lock, so that it is either refused
 * or found by that revocation.
 *
 * Locking: trn_device.peer_lock of the exporting device protects its list of
 * imports, peer_gone, and the xva/xcount of its objects; it is taken before
 * the lock of any address space and the link_lock of any device, and after
 * trn_link_devices_lock (trn_link.c).
 */

#ifdef TRN_IMPORT_NS_BARE
MODULE_IMPORT_NS(DMA_BUF);
#else
MODULE_IMPORT_NS("DMA_BUF");
#endif

/* Map @src in the export space of @tdev at src->xva; peer_lock held. */
static int trn_peer_share(struct trn_device *tdev, struct trn_bo *src)
{
	struct trn_vm *x = tdev->export_vm;
	int ret;

	lockdep_assert_held(&tdev->peer_lock);
	ret = trn_vm_insert(x, &src->xva, src->base.base.size);
	if (ret)
		return ret;
	ret = trn_vm_map_hbm(x, &src->xva, &src->blocks);
	if (ret)
		trn_vm_remove(x, &src->xva);
	return ret;
}

/* Remove @src from the export space: no peer job can use it any more. */
static void trn_peer_unshare(struct trn_device *tdev, struct trn_bo *src)
{
	struct trn_vm *x = tdev->export_vm;

	lockdep_assert_held(&tdev->peer_lock);
	trn_vm_unmap(x, &src->xva);
	trn_vm_remove(x, &src->xva);
}

/*
 * Whether @port of @tdev is up with @peer at its far end: both ends must
 * name each other, host, chip and port, so that a chip id that two devices
 * share by mistake does not lead an import to the wrong one. Chip ids are
 * unique only within a host (interface 1.9): a cable to chip 2 of another
 * host is not one to the local chip 2, and with two such cables crossed
 * the chip and port numbers alone would match in both directions while
 * the entries lead to another host's export space.
 */
static bool trn_peer_port_reaches(struct trn_device *tdev, u32 port,
				  struct trn_device *peer)
{
	struct trn_link_port *p = &tdev->link_ports[port];
	u32 far_port;
	bool ok;

	if (tdev->host_id != peer->host_id)
		return false;
	mutex_lock(&tdev->link_lock);
	ok = p->state == TRN_LINK_STATE_UP && p->peer_chip == peer->chip_id &&
	     p->peer_host == peer->host_id;
	far_port = p->peer_port;
	mutex_unlock(&tdev->link_lock);
	if (!ok || far_port >= peer->num_links)
		return false;

	mutex_lock(&peer->link_lock);
	p = &peer->link_ports[far_port];
	ok = p->state == TRN_LINK_STATE_UP && p->peer_chip == tdev->chip_id &&
	     p->peer_host == tdev->host_id && p->peer_port == port;
	mutex_unlock(&peer->link_lock);
	return ok;
}

/*
 * The peer object of @fpriv that maps @src through @port with the same
 * access already, with a reference; or NULL. Importing an object again
 * shares that mapping rather than mapping it once more: page tables would
 * grow with every import. Nothing is shared of an exporter going away.
 */
static struct trn_bo *trn_peer_find_locked(struct trn_file_priv *fpriv, struct trn_bo *src,
					   struct trn_device *exporter, u32 port,
					   bool writable)
{
	struct trn_bo *bo;

	lockdep_assert_held(&exporter->peer_lock);
	if (exporter->peer_gone)
		return NULL;
	list_for_each_entry(bo, &exporter->imports, import_node)
		/* Not one whose last reference is being dropped. */
		if (bo->fpriv == fpriv && bo->src == src && bo->port == port &&
		    bo->writable == writable && bo->mapped &&
		    kref_get_unless_zero(&bo->base.base.refcount))
			return bo;
	return NULL;
}

static struct trn_bo *trn_peer_find(struct trn_file_priv *fpriv, struct trn_bo *src,
				    struct trn_device *exporter, u32 port, bool writable)
{
	struct trn_bo *bo;

	mutex_lock(&exporter->peer_lock);
	bo = trn_peer_find_locked(fpriv, src, exporter, port, writable);
	mutex_unlock(&exporter->peer_lock);
	return bo;
}

/*
 * Make @bo, a fresh peer object, use @src of @exporter through @port: share
 * @src, take the references, map @bo. On error what was done stays for
 * trn_peer_detach() and trn_peer_release() to undo. If the file has such a
 * peer object already, *@shared is that one, with a reference, and @bo is
 * left as it was.
 */
static int trn_peer_attach(struct trn_bo *bo, struct trn_bo *src,
			   struct trn_device *exporter, u32 port, bool writable,
			   struct trn_bo **shared)
{
	int ret = 0;

	mutex_lock(&exporter->peer_lock);
	if (exporter->peer_gone) {
		ret = -ENODEV;
		goto out_unlock;
	}
	/* The port may have changed since the ioctl looked: look again. */
	if (!trn_peer_port_reaches(bo->vm->tdev, port, exporter)) {
		ret = -ENOLINK;
		goto out_unlock;
	}
	/* Another import of the same file may have mapped it meanwhile. */
	*shared = trn_peer_find_locked(bo->fpriv, src, exporter, port, writable);
	if (*shared)
		goto out_unlock;
	if (!src->xcount) {
		ret = trn_peer_share(exporter, src);
		if (ret)
			goto out_unlock;
	}
	src->xcount++;
	drm_gem_object_get(&src->base.base);
	drm_dev_get(&exporter->drm);
	bo->src = src;
	bo->exporter = exporter;
	bo->port = port;
	bo->writable = writable;
	list_add_tail(&bo->import_node, &exporter->imports);
	ret = trn_vm_map_peer(bo->vm, &bo->va, port, exporter->chip_id,
			      src->xva.start, writable);
	bo->mapped = !ret;
out_unlock:
	mutex_unlock(&exporter->peer_lock);
	return ret;
}

/*
 * Destruction of a peer object, first step: after this, the exporter going
 * away no longer touches @bo's range.
 */
static void trn_peer_detach(struct trn_bo *bo)
{
	if (!bo->src)
		return;
	mutex_lock(&bo->exporter->peer_lock);
	list_del_init(&bo->import_node);
	mutex_unlock(&bo->exporter->peer_lock);
}

/*
 * Destruction of a peer object, last step: @bo is unmapped and no job uses
 * it any more; drop what it holds of its exporter.
 */
static void trn_peer_release(struct trn_bo *bo)
{
	struct trn_device *exporter = bo->exporter;
	struct trn_bo *src = bo->src;

	if (!src)
		return;

	mutex_lock(&exporter->peer_lock);
	if (!--src->xcount)
		trn_peer_unshare(exporter, src);
	mutex_unlock(&exporter->peer_lock);
	drm_gem_object_put(&src->base.base);
	drm_dev_put(&exporter->drm);
	bo->src = NULL;
}

static const struct trn_bo_ops trn_peer_bo_ops = {
	.detach = trn_peer_detach,
	.release = trn_peer_release,
};

int trn_ioctl_peer_import(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct trn_device *tdev = to_trn_device(drm);
	struct trn_file_priv *fpriv = file->driver_priv;
	struct drm_trn_peer_import *args = data;
	struct trn_device *exporter;
	struct drm_gem_object *obj;
	struct dma_buf *dmabuf;
	struct trn_bo *src, *bo, *shared;
	bool writable;
	int ret;

	if ((args->flags & ~DRM_TRN_PEER_FLAGS) || args->pad)
		return -EINVAL;
	if (!(tdev->hw_caps & TRN_CAP_PEER) || !tdev->num_links)
		return -EOPNOTSUPP;
	if (args->port >= tdev->num_links)
		return -EINVAL;

	dmabuf = dma_buf_get(args->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	src = trn_bo_from_dmabuf(dmabuf);
	if (!src) {
		ret = -EINVAL;
		goto out_put_dmabuf;
	}
	obj = &src->base.base;
	exporter = to_trn_device(obj->dev);
	if (exporter == tdev) {
		ret = -EINVAL;
		goto out_put_dmabuf;
	}
	if (!trn_peer_port_reaches(tdev, args->port, exporter)) {
		ret = -ENOLINK;
		goto out_put_dmabuf;
	}

	writable = !(args->flags & DRM_TRN_PEER_READONLY);
	bo = trn_peer_find(fpriv, src, exporter, args->port, writable);
	if (bo)
		goto out_handle;
	bo = trn_bo_alloc(fpriv, DRM_TRN_PLACEMENT_PEER, obj->size, &trn_peer_bo_ops);
	if (IS_ERR(bo)) {
		ret = PTR_ERR(bo);
		goto out_put_dmabuf;
	}
	ret = trn_peer_attach(bo, src, exporter, args->port, writable, &shared);
	if (ret)
		goto out_put;
	if (shared) {
		drm_gem_object_put(&bo->base.base);
		bo = shared;
	}
out_handle:
	ret = drm_gem_handle_create(file, &bo->base.base, &args->handle);
	if (ret)
		goto out_put;
	args->size = obj->size;
	args->va = bo->va.start;

out_put:
	drm_gem_object_put(&bo->base.base);
out_put_dmabuf:
	dma_buf_put(dmabuf);
	return ret;
}

struct trn_peer_revoke {
	struct trn_link_visitor v;
	struct trn_device *importer;
	const struct trn_link_change *c;
};

/*
 * Peer objects of the importer that map memory of @exporter through the
 * changed port reach nothing from now on, unless @exporter is still at
 * its far end: their entries would lead to whatever export space the new
 * far end has at the same address. Their jobs fail; the objects stay until
 * their files close them, and a new import maps anew. trn_link_devices_lock
 * held.
 */
static void trn_peer_revoke(struct trn_link_visitor *v, struct trn_device *exporter)
{
	const struct trn_peer_revoke *r = container_of(v, struct trn_peer_revoke, v);
	struct trn_bo *bo;

	if (exporter == r->importer ||
	    (exporter->host_id == r->c->peer_host && exporter->chip_id == r->c->peer_chip &&
	     r->importer->host_id == r->c->peer_host))
		return;
	mutex_lock(&exporter->peer_lock);
	list_for_each_entry(bo, &exporter->imports, import_node) {
		if (bo->port != r->c->port || bo->vm->tdev != r->importer || !bo->mapped)
			continue;
		trn_vm_unmap(bo->vm, &bo->va);
		bo->mapped = false;
	}
	mutex_unlock(&exporter->peer_lock);
}

/* The link notifier of an importing device: a port leads elsewhere. */
static int trn_peer_link_changed(struct notifier_block *nb, unsigned long action,
				 void *data)
{
	struct trn_peer_revoke r = {
		.v.visit = trn_peer_revoke,
		.importer = container_of(nb, struct trn_device, peer_nb),
		.c = data,
	};

	trn_link_visit_devices(&r.v);
	return NOTIFY_DONE;
}

static void trn_peer_fini(struct drm_device *drm, void *arg)
{
	struct trn_device *tdev = arg;

	trn_vm_put(tdev->export_vm);
}

/* Unbind, or a probe that fails later: peers reach nothing from now on. */
static void trn_peer_disable(void *arg)
{
	struct trn_device *tdev = arg;

	trn_write64(tdev, TRN_REG_PEER_ROOT, 0);
}

/**
 * trn_peer_init() - set up the export space of a device
 * @tdev: the device, its queues initialized
 *
 * Return: 0 (also for a device without TRN_CAP_PEER) or a negative errno.
 */
int trn_peer_init(struct trn_device *tdev)
{
	struct trn_vm *x;
	int ret;

	INIT_LIST_HEAD(&tdev->imports);
	ret = drmm_mutex_init(&tdev->drm, &tdev->peer_lock);
	if (ret)
		return ret;
	if (!(tdev->hw_caps & TRN_CAP_PEER) || !tdev->num_links)
		return 0;
	/* Same lifetime as the chain, which the link work calls until unbind. */
	tdev->peer_nb.notifier_call = trn_peer_link_changed;
	ret = blocking_notifier_chain_register(&tdev->link_notifier, &tdev->peer_nb);
	if (ret)
		return ret;
	x = trn_vm_create(tdev, false);
	if (IS_ERR(x))
		return PTR_ERR(x);
	tdev->export_vm = x;
	ret = drmm_add_action_or_reset(&tdev->drm, trn_peer_fini, tdev);
	if (ret)
		return ret;
	trn_write64(tdev, TRN_REG_PEER_ROOT, trn_vm_pt_root(x) | TRN_PEER_ROOT_ENABLE);
	return devm_add_action_or_reset(&tdev->pdev->dev, trn_peer_disable, tdev);
}
ALLOW_ERROR_INJECTION(trn_peer_init, ERRNO);

/**
 * trn_peer_restart() - after a device reset: peers reach the export space
 * @tdev: the device, after trn_hw_restart()
 *
 * A reset clears TRN_REG_PEER_ROOT; the export space itself is in device
 * memory, which a reset keeps, so the objects peers imported are reachable
 * again as they were.
 */
void trn_peer_restart(struct trn_device *tdev)
{
	if (!tdev->export_vm)
		return;
	mutex_lock(&tdev->peer_lock);
	if (!tdev->peer_gone)
		trn_write64(tdev, TRN_REG_PEER_ROOT,
			    trn_vm_pt_root(tdev->export_vm) | TRN_PEER_ROOT_ENABLE);
	mutex_unlock(&tdev->peer_lock);
}

/**
 * trn_peer_remove() - the device goes away: revoke what peers use of it
 * @tdev: the device, still reachable
 *
 * Peer jobs that still run fail; peer objects stay until their files close
 * them, reaching nothing.
 */
void trn_peer_remove(struct trn_device *tdev)
{
	struct trn_bo *bo;

	if (!tdev->export_vm)
		return;
	mutex_lock(&tdev->peer_lock);
	tdev->peer_gone = true;
	trn_peer_disable(tdev);
	list_for_each_entry(bo, &tdev->imports, import_node) {
		trn_vm_unmap(bo->vm, &bo->va);
		bo->mapped = false;
	}
	mutex_unlock(&tdev->peer_lock);
}
