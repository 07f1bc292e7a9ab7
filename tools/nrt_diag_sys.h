/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-diag level 1: the checks that read sysfs, the topology and an open
 * of each device, in seconds (nrt_diag_sys.c).
 */
#ifndef NRT_DIAG_SYS_H
#define NRT_DIAG_SYS_H

#include "nrt_diag.h"

/* nrt_diag_level1() - add level 1's results to @r */
void nrt_diag_level1(struct nrt_diag_report *r, const struct nrt_diag_opts *o);

#endif /* NRT_DIAG_SYS_H */
