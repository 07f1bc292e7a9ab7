/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-diag levels 2 and 3: work on every device and core, checked against
 * the CPU, with bandwidth floors; level 3 sustained and over every link
 * (nrt_diag_run.c).
 */
#ifndef NRT_DIAG_RUN_H
#define NRT_DIAG_RUN_H

#include "nrt_diag.h"

/* nrt_diag_level2() - add level 2's results to @r */
void nrt_diag_level2(struct nrt_diag_report *r, const struct nrt_diag_opts *o);

/* nrt_diag_level3() - add level 3's results to @r */
void nrt_diag_level3(struct nrt_diag_report *r, const struct nrt_diag_opts *o);

#endif /* NRT_DIAG_RUN_H */
