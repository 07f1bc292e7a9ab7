// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Running this rank's plan of a schedule on its device (nrt_comm.h).
 *
 * Every operation of the plan is one job, submitted in the plan's order:
 *
 *   SEND         COPY the piece into the neighbour's slot over the cable,
 *                COPY its validity cell into the slot's cell;
 *   RECV         COPY the slot's cell into the op's own cell, WRITE 0 to
 *                the slot's cell, then COPY the slot to its destination
 *                (or run the reducer's program, which also computes the
 *                op's cell), and for a forward COPY the slot (or the
 *                reduction's result) and the op's cell on into the next
 *                neighbour's slot;
 *   COPY         a local COPY.
 *
 * A job goes to the queue of its engine (nrt_ccl_sched.h: pushes to a
 * neighbour share a DMA queue, slots emptied without a forward another,
 * reductions the NeuronCores, local copies one more), waits for the jobs
 * of other engines it depends on (their fences), for the previous
 * collective's last jobs if it is the first of its engine, and for the
 * neighbours' timeline points: a RECV for the push of its transfer, a
 * push for the slot it reuses to have been emptied. Such a point must be
 * queued before a job can wait for it, so the host waits (polling the
 * communicator's failure) until the neighbour has queued it; the
 * submission protocol the schedules are checked against
 * (nrt_ccl_sched_check_progress()) makes sure that it comes. Once queued,
 * a job's fence is added to the channel timelines as the points it
 * provides (DRM_IOCTL_SYNCOBJ_TRANSFER). Every wait is for a job queued
 * earlier, so the devices cannot wait for each other in a cycle.
 *
 * Validity: a collective has a token (its sequence number; messages the
 * channel's message count) in a cell of its own. A push carries the cell
 * of the data it pushes (the token for the caller's data, else the cell
 * of the op that produced it); a receive copies the slot's cell and
 * empties it; the reducer takes the minimum of its inputs' cells. A job
 * that fails, or that of a rank that died, does not deliver its cell, and
 * an emptied slot holds 0: so a receive's cell holds the token if and
 * only if everything its data came from arrived. The fence of the
 * collective is a last job that waits for every engine's last job; when
 * it has completed, nrt_fence_wait() checks every job's outcome and every
 * receive's cell (nrt_ccl_run_completed()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xf86drm.h>

#include "nrt_ccl_reduce.h"
#include "nrt_comm.h"
#include "nrt_dma.h"
#include "trn_isa.h"

/* The control buffer of a run (HOST): token, cells, records, programs. */
#define NRT_CCL_CTL_CELLS 64u
#define NRT_CCL_PROG_BYTES ((uint64_t)NRT_CCL_RED_MAX_INSNS * TRN_INSN_SIZE)

/* Most in-syncs of a job (the kernel's limit). */
#define NRT_CCL_MAX_WAITS 64u

/* How often a host wait for a neighbour looks at the communicator. */
#define NRT_CCL_POLL_NS (20 * INT64_C(1000000))

/* One rank's part of one collective. */
struct nrt_ccl_run {
	atomic_uint refs;               /* the collective's fence, c->prev */
	struct nrt_comm *c;             /* holds a reference */
	struct nrt_ccl_sched_ref *ref;  /* holds a reference */
	const struct nrt_ccl_plan *plan;
	uint64_t seq;
	uint32_t token;
	unsigned int nengines;
	struct nrt_fence **fences;      /* the job of each op */
	int32_t *tail;                  /* the last op of each engine, or -1 */
	struct nrt_buffer *ctl;
	unsigned char *ctl_map;
	uint64_t rec_off, code_off;
	struct nrt_buffer *scratch;
	atomic_bool idle;               /* every job is known to be done */
	struct nrt_ccl_run *vnext;      /* c->vhead list */
	uint32_t checked;               /* ops seen done by nrt_ccl_verify() */
	pthread_mutex_t lock;           /* the outcome */
	bool decided;
	nrt_status outcome;
	char text[NRT_ERROR_MAX];
};

/* A submission in progress. */
struct nrt_ccl_sub {
	struct nrt_comm *c;
	struct nrt_ccl_run *run;
	const struct nrt_ccl_bufs *b;
	nrt_fence *const *wait;
	size_t wait_count;
	bool *started;                  /* per engine: an op was queued */
	uint32_t nred;                  /* reductions so far */
	int64_t wait_ns;
	uint64_t bytes_sent;
};

static int nrt_ccl_drm_err(int ret)
{
	return ret == -1 ? errno : -ret;
}

static uint64_t nrt_ccl_align(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

void nrt_ccl_sched_unref(struct nrt_ccl_sched_ref *ref)
{
	if (atomic_fetch_sub_explicit(&ref->refs, 1, memory_order_acq_rel) != 1)
		return;
	nrt_ccl_sched_free(ref->s);
	free(ref);
}

void nrt_ccl_run_unref(struct nrt_ccl_run *run)
{
	uint32_t i;

	if (atomic_fetch_sub_explicit(&run->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* Jobs still running keep their memory in the kernel */
	for (i = 0; i < run->plan->n; i++)
		nrt_fence_free(run->fences[i]);
	nrt_comm_buf_put(run->c, run->ctl, run->ctl_map, atomic_load(&run->idle));
	nrt_comm_buf_put(run->c, run->scratch, NULL, atomic_load(&run->idle));
	nrt_ccl_sched_unref(run->ref);
	nrt_comm_unref(run->c);
	pthread_mutex_destroy(&run->lock);
	free(run->fences);
	free(run->tail);
	free(run);
}

/* ------------------------------------------------------------------------
 * Addresses
 */

static uint64_t nrt_ccl_ctl_va(const struct nrt_ccl_run *run, uint64_t off)
{
	return run->ctl->va + off;
}

static uint64_t nrt_ccl_cell_va(const struct nrt_ccl_run *run, int32_t op)
{
	/* The caller's data carries the token (cell at 0) */
	return nrt_ccl_ctl_va(run, op < 0 ? 0 : NRT_CCL_CTL_CELLS + 8 * (uint64_t)op);
}

static nrt_status nrt_ccl_loc_va(const struct nrt_ccl_sub *s, const struct nrt_ccl_loc *l,
				 uint64_t *va)
{
	const struct nrt_buffer *buf = NULL;
	size_t off = 0;

	switch (l->space) {
	case NRT_CCL_SP_SEND:
		buf = s->b->send;
		off = s->b->send_off;
		break;
	case NRT_CCL_SP_RECV:
		buf = s->b->recv;
		off = s->b->recv_off;
		break;
	case NRT_CCL_SP_SCRATCH:
		buf = s->run->scratch;
		break;
	}
	if (!buf)
		return nrt_fail(NRT_FAILURE, "the schedule uses a buffer this rank has not (space %u)",
				l->space);
	*va = buf->va + off + l->off;
	return NRT_SUCCESS;
}

/* Slot and cell of transfer @q (from 1) of a channel's staging @stage. */
static uint64_t nrt_ccl_slot_va(const struct nrt_comm *c, const struct nrt_buffer *stage,
				uint64_t q)
{
	return stage->va + (q - 1) % c->params.slots * c->params.slot_bytes;
}

static uint64_t nrt_ccl_sval_va(const struct nrt_comm *c, const struct nrt_buffer *stage,
				uint64_t q)
{
	return stage->va + (uint64_t)c->params.slots * c->params.slot_bytes +
	       (q - 1) % c->params.slots * 8;
}

/* The queue of engine @e (NRT_CCL_ENGINE_*()). */
static unsigned int nrt_ccl_queue(const struct nrt_comm *c, unsigned int e)
{
	const struct nrt_device *dev = c->dev;
	unsigned int n = c->n;

	if (e < n)
		return c->chans[c->chan_of[e]].q_out;
	if (e < 2 * n)
		return c->chans[c->chan_of[e - n]].q_in;
	if (e < 2 * n + c->ncores)
		return dev->kinfo.dma_queues + dev->core_map[e - 2 * n];
	return c->q_local;
}

/* What an op is, for messages. */
static void nrt_ccl_op_text(const struct nrt_ccl_op *op, char *buf, size_t size)
{
	switch (op->kind) {
	case NRT_CCL_OP_SEND:
		snprintf(buf, size, "push to rank %d", op->peer);
		break;
	case NRT_CCL_OP_RECV:
		if (op->fwd != NRT_CCL_NONE)
			snprintf(buf, size, "transfer from rank %d on to rank %d", op->peer, op->fwd);
		else
			snprintf(buf, size, "%s from rank %d",
				 op->act == NRT_CCL_ACT_REDUCE ? "reduction" : "transfer", op->peer);
		break;
	default:
		snprintf(buf, size, "local copy");
		break;
	}
}

/* ------------------------------------------------------------------------
 * Failures seen early
 */

/* The failure of job @i of @run: the communicator fails with it. Return: its status. */
static nrt_status nrt_ccl_job_failed(struct nrt_ccl_run *run, uint32_t i, int state)
{
	const struct nrt_ccl_op *op = &run->plan->ops[i];
	char optext[80];
	nrt_status st;

	nrt_ccl_op_text(op, optext, sizeof(optext));
	st = nrt_fence_status(state, nrt_fence_queue(run->fences[i]));
	st = nrt_fail_prefix(st, "%s #%" PRIu64 ", %s", nrt_ccl_coll_name(run->ref->args.coll),
			     run->seq, optext);
	nrt_comm_fail(run->c, st, run->seq);
	return st;
}

void nrt_ccl_verify(struct nrt_comm *c, bool all)
{
	struct nrt_error_saved saved;
	struct nrt_ccl_run *run;

	nrt_error_save(&saved);
	while ((run = c->vhead)) {
		while (!all && run->checked < run->plan->n) {
			int state = nrt_fence_outcome(run->fences[run->checked]);

			if (state == NRT_FENCE_PENDING) {
				nrt_error_restore(&saved);
				return;
			}
			if (state != NRT_FENCE_OK) {
				nrt_ccl_job_failed(run, run->checked, state);
				break;
			}
			run->checked++;
		}
		if (run->checked == run->plan->n)
			atomic_store(&run->idle, true);
		c->vhead = run->vnext;
		if (!c->vhead)
			c->vtail = NULL;
		nrt_ccl_run_unref(run);
	}
	nrt_error_restore(&saved);
}

/* ------------------------------------------------------------------------
 * Submission
 */

static void nrt_ccl_desc(struct drm_trn_dma_desc *d, uint32_t opcode, uint64_t dst,
			 uint64_t src, uint64_t len)
{
	memset(d, 0, sizeof(*d));
	d->opcode = opcode;
	d->dst = dst;
	d->src = src;
	d->len = len;
}

/*
 * Wait until @handle has point @point, queued by rank @peer; the time goes
 * to the statistics. Return: NRT_SUCCESS; the communicator's failure;
 * NRT_TIMEOUT after the communicator's timeout.
 */
static nrt_status nrt_ccl_avail(struct nrt_ccl_sub *s, uint32_t handle, uint64_t point,
				unsigned int peer)
{
	struct nrt_comm *c = s->c;
	int64_t start = nrt_ccl_now_ns(), deadline = start + (int64_t)c->timeout_ms * 1000000;
	int64_t until = start;
	nrt_status st = NRT_SUCCESS;

	for (;;) {
		int ret = drmSyncobjTimelineWait(c->dev->fd, &handle, &point, 1, until,
						 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE, NULL);
		int64_t now;
		int err;

		if (!ret)
			break;
		err = nrt_ccl_drm_err(ret);
		if (err != ETIME && err != ETIMEDOUT && err != EINTR) {
			st = nrt_fail_errno(NRT_FAILURE, err, "wait for rank %u's point %" PRIu64,
					    peer, point);
			break;
		}
		/* This rank's own failures too: nobody may be waiting for them */
		nrt_ccl_verify(c, false);
		st = nrt_comm_check(c, s->run->seq);
		if (st != NRT_SUCCESS)
			break;
		now = nrt_ccl_now_ns();
		if (now >= deadline) {
			st = nrt_fail(NRT_TIMEOUT,
				      "rank %u did not queue its part within the communicator's timeout (%u ms)",
				      peer, c->timeout_ms);
			break;
		}
		until = now + NRT_CCL_POLL_NS < deadline ? now + NRT_CCL_POLL_NS : deadline;
	}
	s->wait_ns += nrt_ccl_now_ns() - start;
	return st;
}

/* The point @src's job provides: @point of timeline @handle. */
static nrt_status nrt_ccl_provide(struct nrt_ccl_sub *s, uint32_t handle, uint64_t point,
				  struct nrt_fence *f)
{
	int ret = drmSyncobjTransfer(s->c->dev->fd, handle, point, nrt_fence_syncobj(f, 0), 0, 0);

	if (ret)
		return nrt_fail_errno(NRT_FAILURE, nrt_ccl_drm_err(ret),
				      "timeline point %" PRIu64 " of a channel", point);
	return NRT_SUCCESS;
}

/* The descriptors that push @len bytes at @src with cell @vsrc as transfer @q. */
static unsigned int nrt_ccl_push_descs(const struct nrt_comm *c, const struct nrt_ccl_chan *ch,
				       uint64_t q, uint64_t src, uint64_t vsrc, uint64_t len,
				       struct drm_trn_dma_desc *d)
{
	nrt_ccl_desc(&d[0], DRM_TRN_DMA_OP_COPY, nrt_ccl_slot_va(c, ch->out_stage, q), src, len);
	nrt_ccl_desc(&d[1], DRM_TRN_DMA_OP_COPY, nrt_ccl_sval_va(c, ch->out_stage, q), vsrc, 8);
	return 2;
}

/* The job of RECV op @i: its descriptors, and its remote waits and points. */
static nrt_status nrt_ccl_recv_descs(struct nrt_ccl_sub *s, uint32_t i,
				     struct drm_trn_dma_desc *d, unsigned int *nd)
{
	struct nrt_comm *c = s->c;
	struct nrt_ccl_run *run = s->run;
	const struct nrt_ccl_op *op = &run->plan->ops[i];
	const struct nrt_ccl_chan *ch = nrt_comm_chan(c, (unsigned int)op->peer);
	uint64_t q = ch->rcvd + op->seq, slot = nrt_ccl_slot_va(c, ch->in_stage, q);
	uint64_t sval = nrt_ccl_sval_va(c, ch->in_stage, q), va, cell = nrt_ccl_cell_va(run, (int32_t)i);
	nrt_status st = NRT_SUCCESS;
	unsigned int n = 0;

	if (op->act == NRT_CCL_ACT_REDUCE) {
		struct nrt_ccl_red red = {
			.slot = slot, .vout = cell, .vslot = sval,
			.vlocal = nrt_ccl_cell_va(run, op->va),
			.elems = (uint32_t)(op->len / run->ref->args.esz),
			.dtype = run->ref->args.dtype, .redop = run->ref->args.redop,
			.divide = op->scale ? c->n : 0,
		};
		uint64_t prog = run->code_off + s->nred * NRT_CCL_PROG_BYTES;
		unsigned int ni;

		st = nrt_ccl_loc_va(s, &op->dst, &red.dst);
		if (st == NRT_SUCCESS)
			st = nrt_ccl_loc_va(s, &op->a, &red.local);
		if (st != NRT_SUCCESS)
			return st;
		ni = nrt_ccl_red_encode(&red, run->ctl_map + prog);
		nrt_ccl_desc(&d[n++], DRM_TRN_DMA_OP_EXEC,
			     nrt_ccl_ctl_va(run, run->rec_off + s->nred * TRN_EXEC_ST_SIZE),
			     nrt_ccl_ctl_va(run, prog), (uint64_t)ni * TRN_INSN_SIZE);
		s->nred++;
		nrt_ccl_desc(&d[n++], DRM_TRN_DMA_OP_WRITE, sval, 0, 0);
	} else {
		/* The cell first, and the slot's emptied before anything can fail */
		nrt_ccl_desc(&d[n++], DRM_TRN_DMA_OP_COPY, cell, sval, 8);
		nrt_ccl_desc(&d[n++], DRM_TRN_DMA_OP_WRITE, sval, 0, 0);
		if (op->act == NRT_CCL_ACT_COPY) {
			st = nrt_ccl_loc_va(s, &op->dst, &va);
			if (st != NRT_SUCCESS)
				return st;
			nrt_ccl_desc(&d[n++], DRM_TRN_DMA_OP_COPY, va, slot, op->len);
		}
	}
	if (op->fwd != NRT_CCL_NONE) {
		const struct nrt_ccl_chan *fc = nrt_comm_chan(c, (unsigned int)op->fwd);
		uint64_t from = slot;

		/* A reduction that pushes its result on: after the program */
		if (op->fwd_dst) {
			st = nrt_ccl_loc_va(s, &op->dst, &from);
			if (st != NRT_SUCCESS)
				return st;
		}
		n += nrt_ccl_push_descs(c, fc, fc->sent + op->fwd_seq, from, cell, op->len, &d[n]);
		s->bytes_sent += op->len;
	}
	*nd = n;
	return NRT_SUCCESS;
}

/* The fences op @i waits for on this device. */
static size_t nrt_ccl_local_waits(struct nrt_ccl_sub *s, uint32_t i, nrt_fence **w)
{
	const struct nrt_ccl_run *run = s->run;
	const struct nrt_ccl_plan *p = run->plan;
	const struct nrt_ccl_op *op = &p->ops[i];
	const struct nrt_ccl_run *prev = s->c->prev;
	size_t n = 0, k;
	uint32_t d;

	for (d = 0; d < op->ndeps; d++)
		w[n++] = run->fences[p->deps[op->deps + d]];
	if (s->started[op->engine])
		return n;
	/* The first op of its engine: after the previous collective, the caller's fences */
	s->started[op->engine] = true;
	for (k = 0; prev && k < prev->nengines; k++)
		if (prev->tail[k] >= 0)
			w[n++] = prev->fences[prev->tail[k]];
	for (k = 0; k < s->wait_count; k++)
		w[n++] = s->wait[k];
	return n;
}

/* Queue the job of op @i. */
static nrt_status nrt_ccl_submit_op(struct nrt_ccl_sub *s, uint32_t i)
{
	struct nrt_comm *c = s->c;
	struct nrt_ccl_run *run = s->run;
	const struct nrt_ccl_op *op = &run->plan->ops[i];
	struct drm_trn_dma_desc stack[8], *d = stack;
	struct drm_trn_sync syncs[2];
	nrt_fence *w[NRT_CCL_MAX_WAITS];
	unsigned int nd = 0, nsync = 0;
	const struct nrt_ccl_chan *ch = NULL, *fc = NULL;
	uint64_t q = 0, fq = 0, va;
	bool consumed;
	size_t nw;
	nrt_status st = NRT_SUCCESS;

	memset(syncs, 0, sizeof(syncs));
	if (op->kind == NRT_CCL_OP_SEND) {
		ch = nrt_comm_chan(c, (unsigned int)op->peer);
		q = ch->sent + op->seq;
		st = nrt_ccl_loc_va(s, &op->src, &va);
		if (st == NRT_SUCCESS)
			nd = nrt_ccl_push_descs(c, ch, q, va, nrt_ccl_cell_va(run, op->vsrc), op->len, d);
		s->bytes_sent += op->len;
		if (st == NRT_SUCCESS && q > c->params.slots) {
			syncs[nsync].handle = ch->tl_free_out;
			syncs[nsync++].point = q - c->params.slots;
		}
	} else if (op->kind == NRT_CCL_OP_RECV) {
		ch = nrt_comm_chan(c, (unsigned int)op->peer);
		q = ch->rcvd + op->seq;
		syncs[nsync].handle = ch->tl_push_in;
		syncs[nsync++].point = q;
		if (op->fwd != NRT_CCL_NONE) {
			fc = nrt_comm_chan(c, (unsigned int)op->fwd);
			fq = fc->sent + op->fwd_seq;
			if (fq > c->params.slots) {
				syncs[nsync].handle = fc->tl_free_out;
				syncs[nsync++].point = fq - c->params.slots;
			}
		}
		st = nrt_ccl_recv_descs(s, i, d, &nd);
	} else {
		uint64_t src, ndesc = nrt_dma_split_count(op->len, NRT_DMA_MAX_DESC_LEN);

		st = nrt_ccl_loc_va(s, &op->src, &src);
		if (st == NRT_SUCCESS)
			st = nrt_ccl_loc_va(s, &op->dst, &va);
		if (st == NRT_SUCCESS && ndesc > c->dev->kinfo.max_descs)
			st = nrt_fail(NRT_UNSUPPORTED, "a local copy of %" PRIu64 " bytes in one job",
				      op->len);
		if (st == NRT_SUCCESS && ndesc > sizeof(stack) / sizeof(stack[0])) {
			d = calloc(ndesc, sizeof(*d));
			if (!d)
				st = nrt_fail(NRT_RESOURCE, "out of memory");
		}
		if (st == NRT_SUCCESS) {
			nrt_dma_split(d, 0, (unsigned int)ndesc, DRM_TRN_DMA_OP_COPY, va, src, op->len,
				      NRT_DMA_MAX_DESC_LEN);
			nd = (unsigned int)ndesc;
		}
	}
	nw = st == NRT_SUCCESS ? nrt_ccl_local_waits(s, i, w) : 0;
	if (st == NRT_SUCCESS && nw + nsync > NRT_CCL_MAX_WAITS)
		st = nrt_fail(NRT_INVALID, "a job would wait for %zu fences, at most %u",
			      nw + nsync, NRT_CCL_MAX_WAITS);
	/* The neighbours' points must be queued before a job can wait for them */
	for (unsigned int k = 0; k < nsync && st == NRT_SUCCESS; k++)
		st = nrt_ccl_avail(s, syncs[k].handle, syncs[k].point,
				   k == 0 || !fc ? (unsigned int)op->peer : (unsigned int)op->fwd);
	if (st == NRT_SUCCESS)
		st = nrt_job_run_syncs(c->dev, nrt_ccl_queue(c, op->engine), d, nd, w, nw, syncs,
				       nsync, NULL, NULL, &consumed, &run->fences[i]);
	if (d != stack)
		free(d);
	if (st != NRT_SUCCESS)
		return st;
	run->tail[op->engine] = (int32_t)i;
	if (op->kind == NRT_CCL_OP_SEND)
		st = nrt_ccl_provide(s, ch->tl_push_out, q, run->fences[i]);
	else if (op->kind == NRT_CCL_OP_RECV)
		st = nrt_ccl_provide(s, ch->tl_free_in, q, run->fences[i]);
	if (st == NRT_SUCCESS && fc)
		st = nrt_ccl_provide(s, fc->tl_push_out, fq, run->fences[i]);
	return st;
}

/* ------------------------------------------------------------------------
 * The outcome
 */

/* The time the reductions of a successful run took, for the statistics. */
static void nrt_ccl_run_count(struct nrt_ccl_run *run)
{
	const struct nrt_ccl_plan *p = run->plan;
	uint64_t ns = 0, bytes = 0;
	uint32_t i, k = 0;

	for (i = 0; i < p->n; i++) {
		const unsigned char *rec;
		uint64_t v;

		if (p->ops[i].act != NRT_CCL_ACT_REDUCE || p->ops[i].kind != NRT_CCL_OP_RECV)
			continue;
		rec = run->ctl_map + run->rec_off + (uint64_t)k++ * TRN_EXEC_ST_SIZE;
		memcpy(&v, rec + TRN_EXEC_ST_NS, sizeof(v));
		ns += v;
		bytes += p->ops[i].len;
	}
	atomic_fetch_add(&run->c->stats.reduce_ns, ns);
	atomic_fetch_add(&run->c->stats.reduce_bytes, bytes);
}

/*
 * Whether the run succeeded on this rank. *@final: the answer will not
 * change (an unknown reason may still become known).
 */
static nrt_status nrt_ccl_run_verdict(struct nrt_ccl_run *run, int64_t timeout_ns, bool *final)
{
	const struct nrt_ccl_plan *p = run->plan;
	struct nrt_comm *c = run->c;
	const char *what = nrt_ccl_coll_name(run->ref->args.coll);
	nrt_status st;
	uint32_t i;

	*final = true;
	for (i = 0; i < p->n; i++) {
		int state = nrt_fence_finish(run->fences[i]);

		if (state == NRT_FENCE_OK)
			continue;
		return nrt_ccl_job_failed(run, i, state);
	}
	/* The device wrote the cells before the last job's fence signalled */
	atomic_thread_fence(memory_order_acquire);
	for (i = 0; i < p->n; i++) {
		uint64_t cell;

		if (p->ops[i].kind != NRT_CCL_OP_RECV)
			continue;
		memcpy(&cell, run->ctl_map + NRT_CCL_CTL_CELLS + 8 * (uint64_t)i, sizeof(cell));
		if ((uint32_t)cell == run->token)
			continue;
		/* Another rank failed: ask why, waiting for its word */
		st = nrt_comm_check(c, run->seq);
		if (st == NRT_SUCCESS && !timeout_ns) {
			*final = false;
			return nrt_fail(NRT_PEER_LOST,
					"%s #%" PRIu64 ": the data from rank %d did not arrive (why is not known yet)",
					what, run->seq, p->ops[i].peer);
		}
		if (st == NRT_SUCCESS)
			st = nrt_comm_wait_failure(c, timeout_ns);
		if (st != NRT_SUCCESS)
			return nrt_fail_prefix(st, "%s #%" PRIu64, what, run->seq);
		st = nrt_fail(NRT_PEER_LOST,
			      "%s #%" PRIu64 ": the data from rank %d did not arrive, and no rank said why",
			      what, run->seq, p->ops[i].peer);
		nrt_comm_fail(c, st, run->seq);
		return st;
	}
	st = nrt_comm_failed_at(c, run->seq);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s #%" PRIu64, what, run->seq);
	nrt_ccl_run_count(run);
	return NRT_SUCCESS;
}

/* nrt_fence_ops.completed of the collective's fence. */
static nrt_status nrt_ccl_run_completed(struct nrt_fence *f, int64_t timeout_ns)
{
	struct nrt_ccl_run *run = nrt_fence_ctx(f);
	bool final;
	nrt_status st;

	pthread_mutex_lock(&run->lock);
	if (run->decided) {
		st = run->outcome;
		if (st != NRT_SUCCESS)
			nrt_fail(st, "%s", run->text);
		pthread_mutex_unlock(&run->lock);
		return st;
	}
	atomic_store(&run->idle, true);
	st = nrt_ccl_run_verdict(run, timeout_ns, &final);
	if (final) {
		run->decided = true;
		run->outcome = st;
		snprintf(run->text, sizeof(run->text), "%s", st ? nrt_last_error() : "");
	}
	pthread_mutex_unlock(&run->lock);
	return st;
}

static void nrt_ccl_run_release(struct nrt_fence *f, bool done)
{
	struct nrt_ccl_run *run = nrt_fence_ctx(f);

	if (done)
		atomic_store(&run->idle, true);
	nrt_ccl_run_unref(run);
}

static const struct nrt_fence_ops nrt_ccl_run_ops = {
	.completed = nrt_ccl_run_completed,
	.release = nrt_ccl_run_release,
};

/* ------------------------------------------------------------------------
 * A run
 */

static nrt_status nrt_ccl_run_new(struct nrt_comm *c, struct nrt_ccl_sched_ref *ref,
				  bool p2p, struct nrt_ccl_run **out)
{
	const struct nrt_ccl_plan *p = &ref->s->plans[c->rank];
	struct nrt_ccl_run *run = calloc(1, sizeof(*run));
	uint64_t ctl, token_base;
	unsigned int e;
	nrt_status st;

	if (!run)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	atomic_init(&run->refs, 1);
	pthread_mutex_init(&run->lock, NULL);
	run->c = c;
	nrt_comm_ref(c);
	run->ref = ref;
	atomic_fetch_add(&ref->refs, 1);
	run->plan = p;
	run->nengines = 2 * c->n + c->ncores + 1;
	run->fences = calloc((size_t)p->n + 1, sizeof(*run->fences));
	run->tail = calloc(run->nengines, sizeof(*run->tail));
	if (!run->fences || !run->tail) {
		nrt_ccl_run_unref(run);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	for (e = 0; e < run->nengines; e++)
		run->tail[e] = -1;
	if (p2p) {
		const struct nrt_ccl_args *a = &ref->args;
		unsigned int other = c->rank == a->root ? a->peer : a->root;
		struct nrt_ccl_chan *ch = nrt_comm_chan(c, other);

		token_base = c->rank == a->root ? ch->msgs_out++ : ch->msgs_in++;
		run->seq = c->seq;
		run->token = (uint32_t)(2 * (token_base % 0x3ffffffe) + 1);
	} else {
		run->seq = ++c->seq;
		run->token = (uint32_t)(2 * (run->seq % 0x3ffffffe) + 2);
	}
	run->rec_off = nrt_ccl_align(NRT_CCL_CTL_CELLS + 8 * (uint64_t)p->n, TRN_EXEC_ST_SIZE);
	run->code_off = nrt_ccl_align(run->rec_off + (uint64_t)p->nreduce * TRN_EXEC_ST_SIZE,
				      TRN_INSN_SIZE);
	ctl = run->code_off + p->nreduce * NRT_CCL_PROG_BYTES;
	st = nrt_comm_buf_get(c, NRT_PLACEMENT_HOST, ctl, &run->ctl, &run->ctl_map);
	if (st == NRT_SUCCESS && p->scratch)
		st = nrt_comm_buf_get(c, NRT_PLACEMENT_HBM, p->scratch, &run->scratch, NULL);
	if (st != NRT_SUCCESS) {
		nrt_ccl_run_unref(run);
		return nrt_fail_prefix(st, "the buffers of a collective");
	}
	memset(run->ctl_map, 0, run->rec_off);
	memcpy(run->ctl_map, &(uint64_t){ run->token }, sizeof(uint64_t));
	*out = run;
	return NRT_SUCCESS;
}

/* The collective's fence: a job after every engine's last one. */
static nrt_status nrt_ccl_finish(struct nrt_ccl_sub *s, nrt_fence **fence)
{
	struct nrt_ccl_run *run = s->run;
	struct drm_trn_dma_desc nop = { .opcode = DRM_TRN_DMA_OP_NOP };
	nrt_fence *w[NRT_CCL_MAX_WAITS];
	const struct nrt_ccl_run *prev = s->c->prev;
	bool consumed = false;
	size_t n = 0, k;
	nrt_status st;

	for (k = 0; k < run->nengines; k++)
		if (run->tail[k] >= 0)
			w[n++] = run->fences[run->tail[k]];
	if (!n) {
		/* Nothing queued: the fence still follows what came before */
		for (k = 0; prev && k < prev->nengines; k++)
			if (prev->tail[k] >= 0)
				w[n++] = prev->fences[prev->tail[k]];
		for (k = 0; k < s->wait_count; k++)
			w[n++] = s->wait[k];
	}
	if (n > NRT_CCL_MAX_WAITS)
		return nrt_fail(NRT_INVALID, "the last job would wait for %zu fences", n);
	st = nrt_job_run_syncs(s->c->dev, s->c->q_local, &nop, 1, w, n, NULL, 0,
			       &nrt_ccl_run_ops, run, &consumed, fence);
	if (consumed)
		atomic_fetch_add(&run->refs, 1);        /* the fence's reference */
	return st;
}

nrt_status nrt_ccl_exec(struct nrt_comm *c, struct nrt_ccl_sched_ref *ref,
			const struct nrt_ccl_bufs *b, bool p2p, nrt_fence *const *wait,
			size_t wait_count, nrt_fence **fence)
{
	struct nrt_ccl_sub s = { .c = c, .b = b, .wait = wait, .wait_count = wait_count };
	int64_t t0 = nrt_ccl_now_ns();
	const struct nrt_ccl_plan *p;
	struct nrt_fence *f = NULL;
	unsigned int k;
	nrt_status st;
	uint32_t i;

	st = nrt_ccl_run_new(c, ref, p2p, &s.run);
	if (st != NRT_SUCCESS)
		return st;
	p = s.run->plan;
	s.started = calloc(s.run->nengines, sizeof(*s.started));
	if (!s.started)
		st = nrt_fail(NRT_RESOURCE, "out of memory");
	for (i = 0; i < p->n && st == NRT_SUCCESS; i++)
		st = nrt_ccl_submit_op(&s, i);
	if (st == NRT_SUCCESS)
		st = nrt_ccl_finish(&s, &f);
	free(s.started);
	if (st != NRT_SUCCESS) {
		/* The neighbours wait for what this rank will never queue */
		nrt_comm_fail(c, st, s.run->seq);
		nrt_ccl_run_unref(s.run);
		return st;
	}
	for (k = 0; k < c->nchans; k++) {
		c->chans[k].sent += p->sent[c->chans[k].peer];
		c->chans[k].rcvd += p->rcvd[c->chans[k].peer];
	}
	/* The next collective follows this one */
	if (c->prev)
		nrt_ccl_run_unref(c->prev);
	c->prev = s.run;
	/* Its jobs' failures are looked for at the next calls */
	atomic_fetch_add(&s.run->refs, 1);
	if (c->vtail)
		c->vtail->vnext = s.run;
	else
		c->vhead = s.run;
	c->vtail = s.run;
	atomic_fetch_add(&c->stats.collectives, 1);
	atomic_fetch_add(&c->stats.jobs, p->n + 1);
	atomic_fetch_add(&c->stats.bytes_sent, s.bytes_sent);
	atomic_fetch_add(&c->stats.submit_ns, (uint64_t)(nrt_ccl_now_ns() - t0));
	atomic_fetch_add(&c->stats.peer_wait_ns, (uint64_t)s.wait_ns);
	if (fence) {
		*fence = f;
		return NRT_SUCCESS;
	}
	st = nrt_fence_wait(f, -1);
	nrt_fence_free(f);
	return st;
}
