#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The uapi fuzzer (build/tests/fuzz/trn-fuzz; debug kernel, "faults"
# scenario): the committed corpus (tests/fuzz/corpus) is replayed, then
# FUZZ_SECONDS (default 120, the replay included) of coverage-guided
# fuzzing with two workers; no input may make the kernel report anything.
# New inputs and crashes stay in $TRNVM_OUT/fuzz (make fuzz runs longer and
# keeps them).
# budget: 150 s
. "$TRNVM_REPO/tests/vm/lib.sh"

debug_test_or_exit /sys/kernel/debug/kcov

"$TRNVM_REPO/build/tests/fuzz/trn-fuzz" --ko "$TRN_KO" --repo "$TRNVM_REPO" \
	--out "$TRNVM_OUT/fuzz" --corpus "$TRNVM_REPO/tests/fuzz/corpus" \
	--seconds "${FUZZ_SECONDS:-120}" --workers 2
st=$?
check "the fuzzer ran to its end" test "$st" -le 1
