#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Before trn.ko is loaded, nrt-ls explains why it shows nothing.
. "$TRNVM_REPO/tests/vm/lib.sh"

out=$("$NRT_LS" 2>&1)
rc=$?
check_eq "nrt-ls without the driver exits 1" "$rc" 1
check_eq "nrt-ls without the driver prints one line" "$(printf '%s\n' "$out" | wc -l)" 1
case "$out" in
*"not loaded"*) pass "nrt-ls names the missing module: $out" ;;
*) fail "nrt-ls reason does not say the module is not loaded: $out" ;;
esac
"$NRT_LS" --json > /dev/null 2>&1
check_eq "nrt-ls --json without the driver exits 1" "$?" 1
