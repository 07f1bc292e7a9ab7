/*
 * trn: semaphores, the counters queues and programs synchronise with.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each address space (ASID) has TRN_REG_NUM_SEMS 64-bit semaphores.
 * SEM_SIGNAL descriptors and instructions add to them, SEM_WAIT ones block
 * their queue until a semaphore reaches a value. They are protected by
 * TrnState.lock; a signal wakes every worker, whose queues may wait for it
 * (trn-queue.c).
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "trace.h"
#include "trn.h"
#include "trn-sem.h"

static uint64_t *trn_sem_ptr(TrnState *s, uint32_t asid, uint32_t sem)
{
    return &s->sems[(uint64_t)asid * s->nsems + sem];
}

bool trn_sem_reached(TrnState *s, uint32_t asid, uint32_t sem,
                     uint64_t value)
{
    return *trn_sem_ptr(s, asid, sem) >= value;
}

uint64_t trn_sem_value(TrnState *s, uint32_t asid, uint32_t sem)
{
    return *trn_sem_ptr(s, asid, sem);
}

void trn_sem_signal(TrnState *s, uint32_t asid, uint32_t sem, uint64_t n)
{
    *trn_sem_ptr(s, asid, sem) += n;
    trn_wake_workers(s);
}

void trn_sem_reset(TrnState *s, uint32_t asid)
{
    if (asid >= s->asids) {
        qemu_log_mask(LOG_GUEST_ERROR, "trn: SEM_RESET of ASID %u, the device "
                      "has %u\n", asid, s->asids);
        return;
    }
    trace_trn_sem_reset(s->chip_id, asid);
    qemu_mutex_lock(&s->lock);
    memset(trn_sem_ptr(s, asid, 0), 0, s->nsems * sizeof(*s->sems));
    qemu_mutex_unlock(&s->lock);
}

void trn_sem_reset_all(TrnState *s)
{
    memset(s->sems, 0, (size_t)s->asids * s->nsems * sizeof(*s->sems));
}

bool trn_sem_realize(TrnState *s, Error **errp)
{
    if (!s->asids || s->asids > TRN_MAX_ASIDS) {
        error_setg(errp, "asids must be between 1 and %d", TRN_MAX_ASIDS);
        return false;
    }
    if (!s->nsems || s->nsems > TRN_MAX_SEMS) {
        error_setg(errp, "sems must be between 1 and %d", TRN_MAX_SEMS);
        return false;
    }
    s->sems = g_new0(uint64_t, (size_t)s->asids * s->nsems);
    return true;
}

void trn_sem_unrealize(TrnState *s)
{
    g_free(s->sems);
    s->sems = NULL;
}
