#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Processes killed with jobs in flight leave nothing behind: HBM, host
# memory and buffer objects return to their baseline after every round
# (100 rounds in the full scenario, 10 in the others, 5 under the debug
# kernel).
# budget: 900 s
. "$TRNVM_REPO/tests/vm/lib.sh"

if debug_kernel; then
	ROUNDS=${ROUNDS:-5}
elif full_run; then
	ROUNDS=${ROUNDS:-100}
else
	ROUNDS=${ROUNDS:-10}
fi
if [ "$(good_devices | wc -l)" -eq 0 ]; then
	pass "no working device in this VM"
	exit 0
fi
dev=/sys/class/accel/accel0/device
state() { echo "$(cat $dev/hbm_used) $(cat $dev/host_used) $(cat $dev/buffer_objects)"; }
base=$(state)
hog=$TRNVM_REPO/build/tests/vm/dma_hog
bad=0
for ((i = 0; i < ROUNDS; i++)); do
	coproc HOG { exec "$hog"; }
	pid=$HOG_PID
	if ! read -r -t 30 line <&"${HOG[0]}" || [ "$line" != ready ]; then
		echo "round $i: the hog did not start"
		bad=1
		kill -9 "$pid" 2>/dev/null
		break
	fi
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	for ((t = 0; t < 300; t++)); do
		[ "$(state)" = "$base" ] && break
		sleep 0.1
	done
	if [ "$(state)" != "$base" ]; then
		echo "round $i: state '$(state)' != baseline '$base'"
		bad=1
		break
	fi
done
check "$ROUNDS rounds of allocate, submit, kill -9 return to the baseline ($base)" test "$bad" = 0
open=$(ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c '/dev/accel/')
check_eq "no process holds an accel file" "$open" 0
