// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Communicators: the ranks joined (nrt_ccl_hub.c), their cables
 * (nrt_ccl_topo.c), a channel to every cabled neighbour, and failures.
 *
 * nrt_comm_init_rank() joins the ranks with the id, every rank describing
 * its device (chip, link ports, cores) and the parameters the schedules
 * depend on, which must be equal. Every rank computes the same topology
 * from the same descriptions, then sets up a channel to each neighbour
 * (nrt_comm.h): staging in its HBM, exported to the neighbour as a
 * dma-buf and imported there as a peer buffer over the cable, and two
 * timeline syncobjs whose descriptors the neighbour imports. The setup
 * ends in the hub's barrier, so that it fails on every rank or on none.
 *
 * Failures: the first one this rank sees (a job that failed, data that
 * did not arrive, a rank that did not come in time) is recorded and sent
 * to every rank as an ABORT; the hub's watch thread records those of the
 * others and the ranks that go away. A failed communicator fails every
 * later call with the same status and the message of the rank where it
 * happened. A rank that leaves (nrt_comm_destroy()) says BYE after its
 * n-th collective: the others' collectives after that fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "nrt_comm.h"
#include "nrt_dma.h"

_Static_assert(sizeof(struct nrt_ccl_id) == NRT_COMM_ID_BYTES, "nrt_ccl_id size");
_Static_assert((int)NRT_COMM_ALGO_CHAIN == (int)NRT_CCL_ALGO_CHAIN &&
	       (int)NRT_COMM_ALGO_TORUS2D == (int)NRT_CCL_ALGO_TORUS2D &&
	       (int)NRT_COMM_ALGO_TREE == (int)NRT_CCL_ALGO_TREE &&
	       (int)NRT_COMM_ALGO_RING == (int)NRT_CCL_ALGO_RING,
	       "nrt_comm_algo differs from enum nrt_ccl_algo");

/* Defaults of nrt_comm_config. */
#define NRT_COMM_TIMEOUT_DEFAULT 30000u
#define NRT_COMM_SLOT_DEFAULT (512u << 10)
#define NRT_COMM_SLOTS_DEFAULT 8u
#define NRT_COMM_SLOT_MAX (64u << 20)
#define NRT_COMM_SLOTS_MAX 64u

/* The 0.7 nrt_comm_config, the smallest struct_size accepted. */
#define NRT_COMM_CONFIG_SIZE_0_7 (offsetof(nrt_comm_config, slots) + sizeof(uint32_t))

/* Tags of the descriptors a rank passes to each neighbour. */
enum { NRT_CCL_TAG_STAGE = 1, NRT_CCL_TAG_PUSH, NRT_CCL_TAG_FREE };

/* errno of a libdrm call that returns -1 or -errno. */
static int nrt_drm_err(int ret)
{
	return ret == -1 ? errno : -ret;
}

/* ------------------------------------------------------------------------
 * The id
 */

NRT_API nrt_status nrt_comm_get_unique_id(nrt_comm_id *id)
{
	NRT_API_SCOPE();
	struct nrt_ccl_id cid;
	nrt_status st;

	if (!id)
		return nrt_fail(NRT_INVALID, "nrt_comm_get_unique_id: id is NULL");
	st = nrt_ccl_id_new(&cid);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "nrt_comm_get_unique_id");
	memcpy(id->internal, &cid, sizeof(cid));
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_comm_id_to_string(const nrt_comm_id *id, char *buf, size_t size)
{
	NRT_API_SCOPE();

	if (!id || !buf)
		return nrt_fail(NRT_INVALID, "nrt_comm_id_to_string: %s is NULL", id ? "buf" : "id");
	if (size < NRT_COMM_ID_STRLEN)
		return nrt_fail(NRT_INVALID, "nrt_comm_id_to_string: %zu bytes, %d needed", size,
				NRT_COMM_ID_STRLEN);
	nrt_ccl_id_format((const struct nrt_ccl_id *)id->internal, buf);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_comm_id_from_string(const char *s, nrt_comm_id *id)
{
	NRT_API_SCOPE();
	struct nrt_ccl_id cid;

	if (!s || !id)
		return nrt_fail(NRT_INVALID, "nrt_comm_id_from_string: %s is NULL", s ? "id" : "s");
	if (!nrt_ccl_id_parse(s, &cid))
		return nrt_fail(NRT_INVALID,
				"nrt_comm_id_from_string: not %d hexadecimal digits of nrt_comm_id_to_string()",
				NRT_COMM_ID_STRLEN - 1);
	memcpy(id->internal, &cid, sizeof(cid));
	return NRT_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Configuration
 */

/* An unsigned number from the environment variable @name, or @def. */
static nrt_status nrt_comm_env_u32(const char *name, uint32_t def, uint32_t *out)
{
	const char *v = secure_getenv(name);
	unsigned long long x;
	char *end;

	*out = def;
	if (!v || !*v)
		return NRT_SUCCESS;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end || x > UINT32_MAX || v[0] == '-')
		return nrt_fail(NRT_INVALID, "%s=%s is not a number", name, v);
	*out = (uint32_t)x;
	return NRT_SUCCESS;
}

static nrt_status nrt_comm_env_algo(uint32_t *algo)
{
	static const char *const names[] = { "auto", "ring", "torus2d", "tree", "chain" };
	const char *v = secure_getenv("NRT_COMM_ALGO");
	unsigned int i;

	if (!v || !*v)
		return NRT_SUCCESS;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(v, names[i])) {
			*algo = i;
			return NRT_SUCCESS;
		}
	}
	return nrt_fail(NRT_INVALID, "NRT_COMM_ALGO=%s: not auto, ring, torus2d, tree or chain", v);
}

/* The options of @config (NULL: defaults) with the environment's. */
static nrt_status nrt_comm_options(const nrt_comm_config *config, struct nrt_ccl_params *p,
				   uint32_t *timeout_ms)
{
	nrt_comm_config cfg = NRT_COMM_CONFIG_INIT;
	uint32_t det = 0;
	nrt_status st;

	if (config) {
		if (config->struct_size < NRT_COMM_CONFIG_SIZE_0_7)
			return nrt_fail(NRT_INVALID, "config->struct_size is %u, at least %zu needed",
					config->struct_size, NRT_COMM_CONFIG_SIZE_0_7);
		memcpy(&cfg, config, NRT_COMM_CONFIG_SIZE_0_7);
		if ((unsigned int)cfg.algo > NRT_COMM_ALGO_CHAIN)
			return nrt_fail(NRT_INVALID, "config->algo %d", (int)cfg.algo);
		if (cfg.flags & ~NRT_COMM_DETERMINISTIC)
			return nrt_fail(NRT_INVALID, "config->flags: unknown 0x%x",
					cfg.flags & ~NRT_COMM_DETERMINISTIC);
	}
	memset(p, 0, sizeof(*p));
	p->algo = (uint32_t)cfg.algo;
	p->flags = cfg.flags;
	st = p->algo ? NRT_SUCCESS : nrt_comm_env_algo(&p->algo);
	if (st == NRT_SUCCESS)
		st = nrt_comm_env_u32("NRT_COMM_DETERMINISTIC", 0, &det);
	if (st == NRT_SUCCESS && !cfg.timeout_ms)
		st = nrt_comm_env_u32("NRT_COMM_TIMEOUT_MS", NRT_COMM_TIMEOUT_DEFAULT, &cfg.timeout_ms);
	if (st == NRT_SUCCESS && !cfg.slot_bytes)
		st = nrt_comm_env_u32("NRT_COMM_SLOT_BYTES", NRT_COMM_SLOT_DEFAULT, &cfg.slot_bytes);
	if (st == NRT_SUCCESS && !cfg.slots)
		st = nrt_comm_env_u32("NRT_COMM_SLOTS", NRT_COMM_SLOTS_DEFAULT, &cfg.slots);
	if (st != NRT_SUCCESS)
		return st;
	if (det)
		p->flags |= NRT_COMM_DETERMINISTIC;
	if (cfg.slot_bytes < 4096 || cfg.slot_bytes > NRT_COMM_SLOT_MAX || cfg.slot_bytes % 4096)
		return nrt_fail(NRT_INVALID,
				"slot bytes %u: a multiple of 4096 from 4096 to %u needed",
				cfg.slot_bytes, NRT_COMM_SLOT_MAX);
	if (cfg.slots < 1 || cfg.slots > NRT_COMM_SLOTS_MAX)
		return nrt_fail(NRT_INVALID, "slots %u: 1 to %u", cfg.slots, NRT_COMM_SLOTS_MAX);
	if (!cfg.timeout_ms)
		cfg.timeout_ms = NRT_COMM_TIMEOUT_DEFAULT;
	p->slot_bytes = cfg.slot_bytes;
	p->slots = cfg.slots;
	*timeout_ms = cfg.timeout_ms;
	return NRT_SUCCESS;
}

/* ------------------------------------------------------------------------
 * This rank's description
 */

/* The host: the kernel's boot id, hashed (FNV-1a); 0 if unreadable. */
static uint64_t nrt_comm_host(void)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	uint64_t h = 0xcbf29ce484222325ull;
	int ch;

	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF && ch != '\n')
		h = (h ^ (unsigned char)ch) * 0x100000001b3ull;
	fclose(f);
	return h;
}

static nrt_status nrt_comm_describe_self(struct nrt_comm *c, struct nrt_comm_info *info)
{
	struct nrt_ccl_rank_info *r = &info->rank;
	nrt_topology *t = NULL;
	size_t i, n;
	nrt_status st;

	memset(info, 0, sizeof(*info));
	info->version = (uint32_t)NRT_VERSION_MAJOR << 16 | NRT_VERSION_MINOR;
	info->params = c->params;
	r->host = nrt_comm_host();
	r->chip = c->dev->kinfo.chip_id;
	r->pid = (uint32_t)getpid();
	r->device = c->dev->index;
	r->ncores = c->dev->ncores;
	st = nrt_topology_get(&t);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "the links of %s", c->dev->device_node);
	n = nrt_topology_num_links(t);
	for (i = 0; i < n && r->nports < NRT_CCL_MAX_PORTS; i++) {
		const nrt_link *l = nrt_topology_link(t, i);
		struct nrt_ccl_port *p = &r->ports[r->nports];

		if (l->device != c->dev->index)
			continue;
		p->port = l->port;
		/*
		 * A cable that leaves the host leads to no rank of this
		 * communicator: chip ids repeat from host to host, and the far
		 * chip must not be taken for the local one of the same id.
		 */
		p->up = l->state == NRT_LINK_UP && l->has_peer &&
			l->peer_host == l->host;
		p->peer_chip = l->peer_chip;
		p->peer_port = l->peer_port;
		r->nports++;
	}
	nrt_topology_free(t);
	return NRT_SUCCESS;
}

/* Check what the ranks said about themselves: the same for all where it must. */
static nrt_status nrt_comm_check_infos(struct nrt_comm *c, const struct nrt_comm_info *all)
{
	const struct nrt_comm_info *me = &all[c->rank];
	unsigned int i, j;

	for (i = 0; i < c->n; i++) {
		const struct nrt_comm_info *o = &all[i];

		if (o->version >> 16 != me->version >> 16 || o->version != me->version)
			return nrt_fail(NRT_INVALID, "rank %u runs libnrt %u.%u, rank %u %u.%u",
					i, o->version >> 16, o->version & 0xffff, c->rank,
					me->version >> 16, me->version & 0xffff);
		if (memcmp(&o->params, &me->params, sizeof(me->params)))
			return nrt_fail(NRT_INVALID,
					"rank %u has other options (algorithm %u, flags 0x%x, %u slots of %u bytes) than rank %u (%u, 0x%x, %u of %u): NRT_COMM_* must be the same on every rank",
					i, o->params.algo, o->params.flags, o->params.slots,
					o->params.slot_bytes, c->rank, me->params.algo,
					me->params.flags, me->params.slots, me->params.slot_bytes);
		for (j = 0; j < i; j++) {
			if (all[j].rank.host == o->rank.host && all[j].rank.chip == o->rank.chip)
				return nrt_fail(NRT_INVALID,
						"ranks %u and %u use the same chip %u: one device per rank",
						j, i, o->rank.chip);
		}
	}
	return NRT_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Channels
 */

static void nrt_comm_chan_free(struct nrt_comm *c, struct nrt_ccl_chan *ch)
{
	uint32_t *tl[] = { &ch->tl_push_out, &ch->tl_free_in, &ch->tl_push_in, &ch->tl_free_out };
	unsigned int i;

	for (i = 0; i < sizeof(tl) / sizeof(tl[0]); i++) {
		if (*tl[i])
			drmSyncobjDestroy(c->dev->fd, *tl[i]);
		*tl[i] = 0;
	}
	if (ch->out_stage)
		nrt_buffer_destroy(ch->out_stage);
	if (ch->in_stage)
		nrt_buffer_destroy(ch->in_stage);
	ch->out_stage = ch->in_stage = NULL;
}

/* A new timeline syncobj, and a descriptor of it for the neighbour. */
static nrt_status nrt_comm_timeline(struct nrt_comm *c, uint32_t *handle, int *fd)
{
	int ret = drmSyncobjCreate(c->dev->fd, 0, handle);

	if (ret)
		return nrt_fail_errno(NRT_RESOURCE, nrt_drm_err(ret), "syncobj of a channel");
	ret = drmSyncobjHandleToFD(c->dev->fd, *handle, fd);
	if (ret)
		return nrt_fail_errno(NRT_RESOURCE, nrt_drm_err(ret), "export of a syncobj");
	return NRT_SUCCESS;
}

/* Pass @fd to @peer with @tag and close it. */
static nrt_status nrt_comm_pass(struct nrt_comm *c, unsigned int peer, uint64_t tag, int fd)
{
	nrt_status st = nrt_ccl_hub_send_fd(c->hub, peer, tag, fd);

	close(fd);
	return st;
}

/* This rank's half of the channel to @ch->peer: made and passed on. */
static nrt_status nrt_comm_chan_offer(struct nrt_comm *c, struct nrt_ccl_chan *ch)
{
	uint64_t slots = c->params.slots, bytes = slots * c->params.slot_bytes + slots * 8;
	nrt_status st;
	int fd = -1;

	st = nrt_buffer_create(c->dev, bytes, NRT_PLACEMENT_HBM, false, &ch->in_stage);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "staging of %" PRIu64 " bytes for rank %u", bytes, ch->peer);
	/* Validity cells start empty: nothing arrived */
	st = nrt_fill(ch->in_stage, slots * c->params.slot_bytes, slots * 8, 0, NULL, NULL);
	if (st == NRT_SUCCESS)
		st = nrt_buffer_export_fd(ch->in_stage, &fd);
	if (st == NRT_SUCCESS)
		st = nrt_comm_pass(c, ch->peer, NRT_CCL_TAG_STAGE, fd);
	if (st == NRT_SUCCESS)
		st = nrt_comm_timeline(c, &ch->tl_push_out, &fd);
	if (st == NRT_SUCCESS)
		st = nrt_comm_pass(c, ch->peer, NRT_CCL_TAG_PUSH, fd);
	if (st == NRT_SUCCESS)
		st = nrt_comm_timeline(c, &ch->tl_free_in, &fd);
	if (st == NRT_SUCCESS)
		st = nrt_comm_pass(c, ch->peer, NRT_CCL_TAG_FREE, fd);
	return st;
}

/* Import a syncobj descriptor of a neighbour. */
static nrt_status nrt_comm_import_tl(struct nrt_comm *c, int fd, uint32_t *handle)
{
	int ret = drmSyncobjFDToHandle(c->dev->fd, fd, handle);

	close(fd);
	if (ret)
		return nrt_fail_errno(NRT_FAILURE, nrt_drm_err(ret), "import of a neighbour's syncobj");
	return NRT_SUCCESS;
}

/* The neighbour's half: its staging over the cable, its timelines. */
static nrt_status nrt_comm_chan_accept(struct nrt_comm *c, struct nrt_ccl_chan *ch,
				       int64_t deadline)
{
	nrt_status st;
	int fd = -1;

	st = nrt_ccl_hub_take_fd(c->hub, ch->peer, NRT_CCL_TAG_STAGE, deadline, &fd);
	if (st != NRT_SUCCESS)
		return st;
	st = nrt_buffer_import_peer(c->dev, fd, (int)ch->port, 0, &ch->out_stage);
	close(fd);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "the staging of rank %u through port %u", ch->peer,
				       ch->port);
	st = nrt_ccl_hub_take_fd(c->hub, ch->peer, NRT_CCL_TAG_PUSH, deadline, &fd);
	if (st == NRT_SUCCESS)
		st = nrt_comm_import_tl(c, fd, &ch->tl_push_in);
	if (st == NRT_SUCCESS)
		st = nrt_ccl_hub_take_fd(c->hub, ch->peer, NRT_CCL_TAG_FREE, deadline, &fd);
	if (st == NRT_SUCCESS)
		st = nrt_comm_import_tl(c, fd, &ch->tl_free_out);
	return st;
}

/* The channels to every neighbour, and the queues of the engines. */
static nrt_status nrt_comm_channels(struct nrt_comm *c, int64_t deadline)
{
	const struct nrt_device *dev = c->dev;
	unsigned int p, k;
	nrt_status st = NRT_SUCCESS;

	c->chans = calloc(c->n, sizeof(*c->chans));
	if (!c->chans)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	for (p = 0; p < c->n; p++) {
		struct nrt_ccl_chan *ch;

		if (!nrt_ccl_adjacent(&c->topo, c->rank, p))
			continue;
		k = c->nchans++;
		c->chan_of[p] = (int)k;
		ch = &c->chans[k];
		ch->peer = p;
		ch->port = (unsigned int)c->topo.port[c->rank * c->n + p];
		ch->q_out = nrt_dma_pick_queue(2 * k, dev->kinfo.dma_queues, dev->kinfo.dma_engines);
		ch->q_in = nrt_dma_pick_queue(2 * k + 1, dev->kinfo.dma_queues,
					      dev->kinfo.dma_engines);
	}
	c->q_local = nrt_dma_pick_queue(2 * c->nchans, dev->kinfo.dma_queues,
					dev->kinfo.dma_engines);
	for (k = 0; k < c->nchans && st == NRT_SUCCESS; k++)
		st = nrt_comm_chan_offer(c, &c->chans[k]);
	for (k = 0; k < c->nchans && st == NRT_SUCCESS; k++)
		st = nrt_comm_chan_accept(c, &c->chans[k], deadline);
	return st;
}

/* ------------------------------------------------------------------------
 * Failures
 */

/* The watch thread: another rank failed, went away or left. */
static void nrt_comm_event(void *ctx, uint32_t type, const struct nrt_ccl_event *ev)
{
	struct nrt_comm *c = ctx;

	pthread_mutex_lock(&c->fail_lock);
	if (type == NRT_CCL_MSG_BYE) {
		c->left[ev->rank] = ev->seq;
	} else if (c->failed == NRT_SUCCESS) {
		c->failed = ev->status != NRT_SUCCESS ? (nrt_status)ev->status : NRT_FAILURE;
		c->fail_rank = ev->rank;
		/* A rank that went away: in which collective is not known */
		c->fail_seq = ev->seq ? ev->seq : UINT64_MAX;
		if (strncmp(ev->text, "rank ", 5))
			snprintf(c->fail_text, sizeof(c->fail_text), "rank %u: %s", ev->rank,
				 ev->text);
		else
			snprintf(c->fail_text, sizeof(c->fail_text), "%s", ev->text);
	}
	pthread_cond_broadcast(&c->fail_cond);
	pthread_mutex_unlock(&c->fail_lock);
}

void nrt_comm_fail(struct nrt_comm *c, nrt_status st, uint64_t seq)
{
	struct nrt_ccl_event ev = { .status = (uint32_t)st, .seq = seq };
	bool first = false;

	snprintf(ev.text, sizeof(ev.text), "%s", nrt_last_error());
	pthread_mutex_lock(&c->fail_lock);
	if (c->failed == NRT_SUCCESS) {
		first = true;
		c->failed = st;
		c->fail_rank = c->rank;
		c->fail_seq = seq;
		snprintf(c->fail_text, sizeof(c->fail_text), "rank %u: %s", c->rank, ev.text);
		pthread_cond_broadcast(&c->fail_cond);
	}
	pthread_mutex_unlock(&c->fail_lock);
	if (first && c->hub)
		nrt_ccl_hub_abort(c->hub, &ev);
}

/* The failure as the calling thread's error (c->fail_lock held). */
static nrt_status nrt_comm_failure_locked(struct nrt_comm *c)
{
	return nrt_fail(c->failed, "the communicator failed: %s", c->fail_text);
}

nrt_status nrt_comm_check(struct nrt_comm *c, uint64_t seq)
{
	nrt_status st = NRT_SUCCESS;
	unsigned int r;

	pthread_mutex_lock(&c->fail_lock);
	if (c->failed != NRT_SUCCESS) {
		st = nrt_comm_failure_locked(c);
	} else {
		for (r = 0; r < c->n; r++) {
			if (c->left[r] < seq) {
				st = nrt_fail(NRT_PEER_LOST,
					      "rank %u left the communicator after %" PRIu64 " collectives",
					      r, c->left[r]);
				break;
			}
		}
	}
	pthread_mutex_unlock(&c->fail_lock);
	return st;
}

nrt_status nrt_comm_failed_at(struct nrt_comm *c, uint64_t seq)
{
	nrt_status st = NRT_SUCCESS;

	pthread_mutex_lock(&c->fail_lock);
	if (c->failed != NRT_SUCCESS && c->fail_seq <= seq)
		st = nrt_comm_failure_locked(c);
	pthread_mutex_unlock(&c->fail_lock);
	return st;
}

nrt_status nrt_comm_wait_failure(struct nrt_comm *c, int64_t timeout_ns)
{
	int64_t deadline;
	struct timespec ts;
	nrt_status st;

	if (timeout_ns < 0)
		timeout_ns = (int64_t)c->timeout_ms * 1000000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + timeout_ns;
	ts.tv_sec = (time_t)(deadline / 1000000000);
	ts.tv_nsec = (long)(deadline % 1000000000);
	pthread_mutex_lock(&c->fail_lock);
	while (c->failed == NRT_SUCCESS && timeout_ns > 0 &&
	       pthread_cond_timedwait(&c->fail_cond, &c->fail_lock, &ts) != ETIMEDOUT)
		;
	st = c->failed != NRT_SUCCESS ? nrt_comm_failure_locked(c) : NRT_SUCCESS;
	pthread_mutex_unlock(&c->fail_lock);
	return st;
}

/* ------------------------------------------------------------------------
 * Buffers of collectives
 */

static void nrt_comm_buf_free(struct nrt_buffer *buf, unsigned char *map)
{
	if (map)
		nrt_buffer_unpin(buf);
	nrt_buffer_destroy(buf);
}

nrt_status nrt_comm_buf_get(struct nrt_comm *c, nrt_placement placement, uint64_t size,
			    struct nrt_buffer **out, unsigned char **map)
{
	struct nrt_ccl_pooled *best = NULL;
	unsigned int i;
	nrt_status st;

	pthread_mutex_lock(&c->pool_lock);
	for (i = 0; i < NRT_CCL_POOL; i++) {
		struct nrt_ccl_pooled *p = &c->pool[i];

		if (p->buf && p->buf->placement == placement && p->buf->size >= size &&
		    (!best || p->buf->size < best->buf->size))
			best = p;
	}
	if (best) {
		*out = best->buf;
		if (map)
			*map = best->map;
		best->buf = NULL;
		best->map = NULL;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (best)
		return NRT_SUCCESS;
	st = nrt_buffer_create(c->dev, size, placement, false, out);
	if (st == NRT_SUCCESS && map) {
		st = nrt_buffer_pin(*out, map);
		if (st != NRT_SUCCESS)
			nrt_buffer_destroy(*out);
	}
	return st;
}

void nrt_comm_buf_put(struct nrt_comm *c, struct nrt_buffer *buf, unsigned char *map,
		      bool idle)
{
	unsigned int i;

	if (!buf)
		return;
	if (idle) {
		pthread_mutex_lock(&c->pool_lock);
		for (i = 0; i < NRT_CCL_POOL && c->pool[i].buf; i++)
			;
		if (i < NRT_CCL_POOL) {
			c->pool[i].buf = buf;
			c->pool[i].map = map;
			buf = NULL;
		}
		pthread_mutex_unlock(&c->pool_lock);
	}
	if (buf)
		nrt_comm_buf_free(buf, map);
}

/* ------------------------------------------------------------------------
 * Life
 */

void nrt_comm_ref(struct nrt_comm *c)
{
	atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void nrt_comm_unref(struct nrt_comm *c)
{
	unsigned int k;

	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (k = 0; k < c->nchans; k++)
		nrt_comm_chan_free(c, &c->chans[k]);
	for (k = 0; k < NRT_CCL_CACHE; k++)
		if (c->cache[k])
			nrt_ccl_sched_unref(c->cache[k]);
	for (k = 0; k < NRT_CCL_POOL; k++)
		if (c->pool[k].buf)
			nrt_comm_buf_free(c->pool[k].buf, c->pool[k].map);
	nrt_ccl_topo_free(&c->topo);
	free(c->chans);
	free(c->chan_of);
	free(c->left);
	pthread_cond_destroy(&c->fail_cond);
	pthread_mutex_destroy(&c->fail_lock);
	pthread_mutex_destroy(&c->pool_lock);
	pthread_mutex_destroy(&c->lock);
	nrt_device_unref(c->dev);
	free(c);
}

static struct nrt_comm *nrt_comm_new(struct nrt_device *dev, unsigned int nranks,
				     unsigned int rank)
{
	struct nrt_comm *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;
	unsigned int r;

	if (!c)
		return NULL;
	c->chan_of = calloc(nranks, sizeof(*c->chan_of));
	c->left = calloc(nranks, sizeof(*c->left));
	if (!c->chan_of || !c->left || pthread_condattr_init(&ca)) {
		free(c->chan_of);
		free(c->left);
		free(c);
		return NULL;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->fail_lock, NULL);
	pthread_mutex_init(&c->pool_lock, NULL);
	pthread_cond_init(&c->fail_cond, &ca);
	pthread_condattr_destroy(&ca);
	for (r = 0; r < nranks; r++) {
		c->chan_of[r] = -1;
		c->left[r] = UINT64_MAX;
	}
	atomic_init(&c->refs, 1);
	c->dev = dev;
	nrt_device_ref(dev);
	c->n = nranks;
	c->rank = rank;
	return c;
}

/* Everything after the join: descriptions, topology, channels. */
static nrt_status nrt_comm_setup(struct nrt_comm *c, const struct nrt_comm_info *all,
				 int64_t deadline)
{
	struct nrt_ccl_rank_info *ri;
	unsigned int r;
	nrt_status st;

	st = nrt_comm_check_infos(c, all);
	if (st != NRT_SUCCESS)
		return st;
	ri = calloc(c->n, sizeof(*ri));
	if (!ri)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	for (r = 0; r < c->n; r++)
		ri[r] = all[r].rank;
	st = nrt_ccl_topo_build(c->n, ri, &c->topo);
	free(ri);
	if (st != NRT_SUCCESS)
		return st;
	if (c->topo.grid)
		snprintf(c->torus_desc, sizeof(c->torus_desc), "torus2d %ux%u", c->topo.rows,
			 c->topo.cols);
	return nrt_comm_channels(c, deadline);
}

NRT_API nrt_status nrt_comm_init_rank(nrt_device *dev, const nrt_comm_id *id,
				      unsigned int nranks, unsigned int rank,
				      const nrt_comm_config *config, nrt_comm **out)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_comm_init_rank";
	const struct nrt_ccl_id *cid;
	struct nrt_comm_info mine, *all = NULL;
	struct nrt_ccl_params params;
	struct nrt_comm *c;
	uint32_t timeout_ms = 0;
	int64_t deadline;
	nrt_status st;

	if (!dev || !id || !out)
		return nrt_fail(NRT_INVALID, "%s: %s is NULL", fn, !dev ? "dev" : !id ? "id" : "out");
	if (!nranks || nranks > NRT_CCL_MAX_RANKS || rank >= nranks)
		return nrt_fail(NRT_INVALID, "%s: rank %u of %u ranks (1 to %u ranks)", fn, rank,
				nranks, NRT_CCL_MAX_RANKS);
	cid = (const struct nrt_ccl_id *)id->internal;
	st = nrt_ccl_id_check(cid);
	if (st == NRT_SUCCESS)
		st = nrt_comm_options(config, &params, &timeout_ms);
	if (st == NRT_SUCCESS)
		st = nrt_device_need_dma(dev);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	c = nrt_comm_new(dev, nranks, rank);
	all = calloc(nranks, sizeof(*all));
	if (!c || !all) {
		if (c)
			nrt_comm_unref(c);
		free(all);
		return nrt_fail(NRT_RESOURCE, "%s: out of memory", fn);
	}
	c->params = params;
	c->timeout_ms = timeout_ms;
	c->ncores = dev->ncores ? dev->ncores : 1;
	deadline = nrt_ccl_now_ns() + (int64_t)timeout_ms * 1000000;
	st = nrt_comm_describe_self(c, &mine);
	if (st == NRT_SUCCESS)
		st = nrt_ccl_hub_join(cid, nranks, rank, &mine, sizeof(mine), all, deadline,
				      &c->hub);
	if (st == NRT_SUCCESS) {
		st = nrt_comm_setup(c, all, deadline);
		st = nrt_ccl_hub_barrier(c->hub, st, deadline);
	}
	if (st == NRT_SUCCESS)
		st = nrt_ccl_hub_watch(c->hub, nrt_comm_event, c);
	free(all);
	if (st != NRT_SUCCESS) {
		nrt_ccl_hub_close(c->hub, false, 0);
		c->hub = NULL;
		nrt_comm_unref(c);
		return nrt_fail_prefix(st, "%s: rank %u of %u", fn, rank, nranks);
	}
	nrt_log(NRT_LOG_INFO, "communicator: rank %u of %u on %s, %u neighbours, ring%s%s%s",
		rank, nranks, dev->device_node, c->nchans,
		c->topo.ring_direct ? " over cables" : " with relays",
		c->topo.grid ? ", " : "", c->topo.grid ? c->torus_desc : "");
	*out = c;
	return NRT_SUCCESS;
}

/* The value of environment variable @name as a number below @max. */
static nrt_status nrt_comm_env_rank(const char *name, unsigned int max, unsigned int *out)
{
	const char *v = secure_getenv(name);
	unsigned long x;
	char *end;

	if (!v || !*v)
		return nrt_fail(NRT_INVALID, "%s is not set", name);
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || v[0] == '-' || x >= max)
		return nrt_fail(NRT_INVALID, "%s=%s is not a number below %u", name, v, max);
	*out = (unsigned int)x;
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_comm_init_env(nrt_device *dev, const nrt_comm_config *config,
				     nrt_comm **out)
{
	NRT_API_SCOPE();
	const char *text = secure_getenv("NRT_COMM_ID");
	unsigned int size = 0, rank = 0;
	nrt_comm_id id;
	nrt_status st;

	if (!text || !*text)
		return nrt_fail(NRT_INVALID, "nrt_comm_init_env: NRT_COMM_ID is not set");
	if (nrt_comm_id_from_string(text, &id) != NRT_SUCCESS)
		return nrt_fail(NRT_INVALID,
				"nrt_comm_init_env: NRT_COMM_ID is not the text of nrt_comm_id_to_string()");
	st = nrt_comm_env_rank("NRT_COMM_SIZE", NRT_CCL_MAX_RANKS + 1, &size);
	if (st == NRT_SUCCESS)
		st = nrt_comm_env_rank("NRT_COMM_RANK", size ? size : 1, &rank);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "nrt_comm_init_env");
	return nrt_comm_init_rank(dev, &id, size, rank, config, out);
}

NRT_API void nrt_comm_destroy(nrt_comm *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	nrt_ccl_hub_close(c->hub, true, c->seq);
	c->hub = NULL;
	if (c->prev)
		nrt_ccl_run_unref(c->prev);
	c->prev = NULL;
	nrt_ccl_verify(c, true);
	pthread_mutex_unlock(&c->lock);
	nrt_comm_unref(c);
}

NRT_API unsigned int nrt_comm_rank(const nrt_comm *c)
{
	return c ? c->rank : 0;
}

NRT_API unsigned int nrt_comm_size(const nrt_comm *c)
{
	return c ? c->n : 0;
}

NRT_API nrt_device *nrt_comm_device(const nrt_comm *c)
{
	return c ? c->dev : NULL;
}

NRT_API int nrt_comm_ring_peer(const nrt_comm *c, int step)
{
	unsigned int pos;

	if (!c || (step != 1 && step != -1) || !c->topo.ring_direct || c->n < 2)
		return -1;
	pos = c->topo.ring_pos[c->rank];
	return (int)c->topo.ring[(pos + c->n + (unsigned int)step) % c->n];
}

NRT_API const char *nrt_comm_describe(const nrt_comm *c, size_t bytes)
{
	enum nrt_ccl_algo a;

	if (!c)
		return "";
	a = nrt_ccl_pick_algo(&c->topo, NRT_CCL_ALL_REDUCE, (enum nrt_ccl_algo)c->params.algo,
			      c->params.flags & NRT_COMM_DETERMINISTIC, bytes);
	if (a == NRT_CCL_ALGO_TORUS2D)
		return c->torus_desc;
	return nrt_ccl_algo_name(a);
}

NRT_API nrt_status nrt_comm_get_stats(const nrt_comm *c, nrt_comm_stats *stats)
{
	NRT_API_SCOPE();
	struct nrt_comm *m = (struct nrt_comm *)c;

	if (!c || !stats)
		return nrt_fail(NRT_INVALID, "nrt_comm_get_stats: %s is NULL", c ? "stats" : "c");
	if (stats->struct_size < sizeof(*stats))
		return nrt_fail(NRT_INVALID, "nrt_comm_get_stats: stats->struct_size is %u, %zu needed",
				stats->struct_size, sizeof(*stats));
	memset((char *)stats + sizeof(stats->struct_size), 0,
	       sizeof(*stats) - sizeof(stats->struct_size));
	stats->collectives = atomic_load(&m->stats.collectives);
	stats->jobs = atomic_load(&m->stats.jobs);
	stats->bytes_sent = atomic_load(&m->stats.bytes_sent);
	stats->submit_ns = atomic_load(&m->stats.submit_ns);
	stats->peer_wait_ns = atomic_load(&m->stats.peer_wait_ns);
	stats->reduce_ns = atomic_load(&m->stats.reduce_ns);
	stats->reduce_bytes = atomic_load(&m->stats.reduce_bytes);
	return NRT_SUCCESS;
}
