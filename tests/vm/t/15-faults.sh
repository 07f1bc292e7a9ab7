#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fault-injection sweep (build/tests/vm/fault_sweep; debug kernel, "faults"
# scenario): every driver operation meets a failure at each allocation with
# trn.ko on the stack and at each call of a function trn.ko marks for
# fail_function, one at a time; each must fail cleanly or recover, leave the
# device counters where they were and the kernel log without a report.
# Afterwards kmemleak must find nothing.
# budget: 600 s
# kernel-reports-allowed: page allocation failure
. "$TRNVM_REPO/tests/vm/lib.sh"

debug_test_or_exit /sys/kernel/debug/failslab

# The buddy allocator's own allocations are spared: when it cannot allocate
# the halves of a block it splits, its error path (alloc_from_freelist,
# err_undo) frees a block that is still free, which corrupts its free tree
# (kernel BUG at drivers/gpu/drm/drm_buddy.c:779 on 6.12.95). trn.ko's
# allocations around it are still failed, and so is trn_hbm_alloc itself
# (fail_function).
buddy=$(modinfo -n drm_buddy 2> /dev/null)
kmemleak_clear
"$TRNVM_REPO/build/tests/vm/fault_sweep" --ko "$TRN_KO" --repo "$TRNVM_REPO" \
	${buddy:+--spare-ko "$buddy"}
st=$?
check "the sweep completed" test "$st" -le 1

leaks=$(kmemleak_scan)
if [ -n "$leaks" ]; then
	fail "kmemleak: $(echo "$leaks" | grep -c '^unreferenced object') suspected leaks after the sweep"
	echo "$leaks" | head -n 200
else
	pass "kmemleak: no leak after the sweep"
fi
