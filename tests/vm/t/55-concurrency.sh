#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Four processes of two threads each submit at once, over all queues; each
# checks that its jobs on a queue complete in order and that its data is
# right.
. "$TRNVM_REPO/tests/vm/lib.sh"

if [ "$(good_devices | wc -l)" -eq 0 ]; then
	pass "no working device in this VM"
	exit 0
fi
err=$(mktemp)
trap 'rm -f "$err"' EXIT
pids=()
for p in 1 2 3 4; do
	"$TRNVM_REPO/build/tests/vm/dma_stress" "$p" 2>> "$err" &
	pids+=($!)
done
bad=0
for pid in "${pids[@]}"; do
	wait "$pid" || bad=$((bad + 1))
done
# Which check of which process failed, in the report.
while read -r line; do
	fail "$line"
done < "$err"
check_eq "4 processes x 2 threads: in-order completion and data" "$bad" 0
