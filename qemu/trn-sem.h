/*
 * trn: semaphores, the counters queues and programs synchronise with.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_SEM_H
#define HW_MISC_TRN_TRN_SEM_H

typedef struct TrnState TrnState;

#define TRN_MAX_ASIDS           4096
#define TRN_MAX_SEMS            1024    /* per ASID */

/* Check the properties asids and sems, allocate the semaphores. */
bool trn_sem_realize(TrnState *s, Error **errp);
void trn_sem_unrealize(TrnState *s);

/* Whether semaphore @sem of @asid is at least @value. TrnState.lock held. */
bool trn_sem_reached(TrnState *s, uint32_t asid, uint32_t sem,
                     uint64_t value);

/* The value of semaphore @sem of @asid. TrnState.lock held. */
uint64_t trn_sem_value(TrnState *s, uint32_t asid, uint32_t sem);

/*
 * Add @n to semaphore @sem of @asid and wake every worker: queues of any
 * of them may wait for it. TrnState.lock held.
 */
void trn_sem_signal(TrnState *s, uint32_t asid, uint32_t sem, uint64_t n);

/* TRN_REG_SEM_RESET: zero the semaphores of @asid. BQL held. */
void trn_sem_reset(TrnState *s, uint32_t asid);

/* Device reset: zero every semaphore. TrnState.lock held. */
void trn_sem_reset_all(TrnState *s);

#endif /* HW_MISC_TRN_TRN_SEM_H */
