#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Resets from outside the driver, each of which must bring the device back
# with nothing lost but the jobs it was running:
# - nrt-reset refuses while a process has the device open, naming it, and
#   resets it (FLR through the PCI core's reset attribute) without one, or
#   with --force;
# - a job in the ring when the reset comes fails with ECANCELED, its file
#   goes on, and once the process is gone the device's memory is as before;
# - PCIe errors injected through the host's QMP agent (AER): a non-fatal
#   one (COMP_TIME) and a fatal one (MALF_TLP, recovered by a reset of the
#   link); after each the device runs jobs.
# Last of the tests: a reset disturbs the device.
# budget: 400 s
. "$TRNVM_REPO/tests/vm/lib.sh"

RESET=$TRNVM_REPO/build/tools/nrt-reset
LOAD=$TRNVM_REPO/build/tests/dev/nrt_load
first=$(good_devices | head -n 1)
if [ -z "$first" ]; then
	pass "no working device in this VM"
	exit 0
fi
read -r idx bdf _ <<<"$first"
D=/sys/bus/pci/devices/$bdf

# --- refused while in use ---------------------------------------------------------
fifo=$(mktemp -u)
mkfifo "$fifo"
"$LOAD" -d "$idx" -c 0 -s 60 -m 4 -H 1 > "$fifo" 2>/dev/null &
pid=$!
read -r -t 60 ready < "$fifo"
echo "# $ready"
out=$("$RESET" "$idx" 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
check_eq "nrt-reset $idx while nrt_load runs: exit 1" "$st" 1
check "it names the process ($pid nrt_load)" grep -q "^  $pid .*nrt_load" <<<"$out"
check "and how to go on (--force)" grep -q -- "--force" <<<"$out"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -f "$fifo"

if command -v setpriv > /dev/null; then
	check "nobody may not reset it" bash -c "! setpriv --reuid=65534 --regid=65534 \
		--clear-groups $RESET --timeout 1 $bdf > /dev/null 2>&1"
fi

# --- the reset -----------------------------------------------------------------------
count() { cat "$D/reset_count"; }
# Lines of the kernel log: counted before and after, the log may have some.
klines() { dmesg | grep -c -- "$1"; }
state() { echo "$(cat "$D/hbm_used") $(cat "$D/host_used") $(cat "$D/buffer_objects")"; }
base=$(state)
before=$(count) flr0=$(klines "function level reset: the device is back")
out=$("$RESET" --timeout 20 "$bdf" 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
check_eq "nrt-reset $bdf: exit 0, the device is back" "$st" 0
check "it opened the device and ran a job" grep -q "opens and runs jobs" <<<"$out"
check "reset_count grew ($before -> $(count))" test "$(count)" -gt "$before"
check "the kernel log says so" \
	test "$(klines "function level reset: the device is back")" -gt "$flr0"
check "a job runs after the reset" "$LOAD" -d "$idx" -c 0 -s 1 -m 4 -H 1

# --- a reset under jobs ---------------------------------------------------------------
VICTIM=$TRNVM_REPO/build/tests/vm/reset_victim
vout=$(mktemp)
"$VICTIM" "/dev/accel/$(ls "$D/accel")" > "$vout" 2>&1 &
vpid=$!
for ((i = 0; i < 300; i++)); do
	grep -q '^ready' "$vout" && break
	sleep 0.1
done
out=$("$RESET" --force --timeout 20 "$bdf" 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
check_eq "nrt-reset --force under a waiting job: exit 0" "$st" 0
check "it named the process it interrupted" grep -q "^  $vpid " <<<"$out"
wait "$vpid"
check_eq "the victim could tell what happened" "$?" 0
sed 's/^/# /' "$vout"
check "its job in the ring failed with ECANCELED" grep -q "^status=-125 " "$vout"
check "and its file then ran a job" grep -q " after=0$" "$vout"
rm -f "$vout"
# Its file's memory is freed after close() returns: wait for it.
for ((i = 0; i < 300; i++)); do
	[ "$(state)" = "$base" ] && break
	sleep 0.1
done
check_eq "memory and objects back to the baseline (hbm, host, objects)" "$(state)" "$base"

# --- PCIe errors (AER) ----------------------------------------------------------------
if ! qmp_available; then
	pass "PCIe error recovery # SKIP the host QMP agent is not running"
	exit 0
fi
# The model's id: devices are trn0, trn1, ... on buses 1, 2, ...
qdev=trn$((16#${bdf:5:2} - 1))
recovered() { klines "PCIe error recovery: the device is back"; }
# What the driver is told: a non-fatal error, or a fatal one with the link frozen.
declare -A kind=([COMP_TIME]="PCIe error (non-fatal)" [MALF_TLP]="PCIe error (fatal, link frozen)")
for err in COMP_TIME MALF_TLP; do
	before=$(count) done0=$(recovered) kind0=$(klines "${kind[$err]}")
	check "QEMU injects $err at $qdev" qmp_request "aer-inject $qdev $err"
	for ((i = 0; i < 300; i++)); do
		[ "$(recovered)" -gt "$done0" ] && break
		sleep 0.1
	done
	check "$err: the driver was told: ${kind[$err]}" \
		test "$(klines "${kind[$err]}")" -gt "$kind0"
	check "$err: the kernel log says the device is back" test "$(recovered)" -gt "$done0"
	check "$err: the driver reset the device (reset_count $before -> $(count))" \
		test "$(count)" -gt "$before"
	check "$err: a job runs after the recovery" "$LOAD" -d "$idx" -c 0 -s 1 -m 4 -H 1
done
