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

kmemleak_clear
"$TRNVM_REPO/build/tests/vm/fault_sweep" --ko "$TRN_KO" --repo "$TRNVM_REPO"
st=$?
check "the sweep completed" test "$st" -le 1

leaks=$(kmemleak_scan)
if [ -n "$leaks" ]; then
	fail "kmemleak: $(echo "$leaks" | grep -c '^unreferenced object') suspected leaks after the sweep"
	echo "$leaks" | head -n 200
else
	pass "kmemleak: no leak after the sweep"
fi
