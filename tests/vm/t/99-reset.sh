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
#   link); after each the device runs jobs;
# - the power cap root set (hwmon power1_cap, interface 1.8) outlives the
#   reset.
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
# The power cap root set (interface 1.8) is set again after the reset,
# which gives the device its default back.
hw=$(grep -l '^trn$' "$D"/hwmon/hwmon*/name 2>/dev/null | head -n 1)
hw=${hw%/name}
if [ -n "$hw" ] && [ -e "$hw/power1_cap" ]; then
	capmin=$(cat "$hw/power1_cap_min")
	echo "$capmin" > "$hw/power1_cap"
fi
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
if [ -n "${capmin:-}" ]; then
	check_eq "the power cap root set survives the reset" "$(cat "$hw/power1_cap")" "$capmin"
	cat "$hw/power1_cap_max" > "$hw/power1_cap"
fi

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

# --- the driver's own resets ------------------------------------------------------
# Jobs that time out waiting on a semaphore are the user's doing, which any
# user can cause: however many in a row, they never reset the device.
before=$(count) row0=$(klines "jobs in a row timed out")
out=$("$VICTIM" "/dev/accel/$(ls "$D/accel")" wait 4 2>&1)
check_eq "4 SEM_WAIT jobs in a row time out" "$out" "timeouts=4"
check_eq "and do not reset the device (reset_count)" "$(count)" "$before"
check_eq "nor is the queue called hung" "$(klines "jobs in a row timed out")" "$row0"

# A fault resets the queue, and the driver waits until the device stops
# using it (STATUS.BUSY, which the model stretches to 1 s here); jobs
# that reach the ring meanwhile must not ring the doorbell, which would keep
# the queue busy for good and have the driver reset the device.
if qmp_available; then
	qdev=trn$((16#${bdf:5:2} - 1))
	before=$(count) stop0=$(klines "did not stop")
	check "qom-set $qdev x-reset-busy-ms 1000" qmp_set "$qdev" x-reset-busy-ms 1000
	out=$("$VICTIM" "/dev/accel/$(ls "$D/accel")" late 10 2>&1)
	check_eq "a fault, then 10 jobs while the queue recovers: all run" \
		"$out" "fault=-14 writes=10 last=0"
	check_eq "no device reset (reset_count)" "$(count)" "$before"
	check_eq "no queue that does not stop" "$(klines "did not stop")" "$stop0"
	qmp_set "$qdev" x-reset-busy-ms 0
else
	pass "jobs during a queue's recovery # SKIP no QMP agent"
fi

# hang_limit (3) jobs in a row time out on queue 0 while the device works on
# them: the driver resets the device. reset_victim's FILLs, far longer than
# a timeout (2 s), do it; the job of its still in the ring fails with
# ECANCELED. Another file's memory is intact and its jobs run.
BYSTANDER=$TRNVM_REPO/build/tests/vm/bystander
node=/dev/accel/$(ls "$D/accel")
dreset() { klines "device reset: the device is back"; }
bin=$(mktemp -u) bout=$(mktemp)
mkfifo "$bin"
"$BYSTANDER" "$node" < "$bin" > "$bout" 2>&1 &
bpid=$!
exec 3> "$bin"
for ((i = 0; i < 300; i++)); do
	grep -q '^ready' "$bout" && break
	sleep 0.1
done
check "another file holds HBM objects with a pattern" grep -q '^ready' "$bout"
check_eq "hang_limit is 3" "$(cat /sys/module/trn/parameters/hang_limit)" 3
before=$(count) dr0=$(dreset) row0=$(klines "3 jobs in a row timed out")
vout=$(mktemp)
"$VICTIM" "$node" fill > "$vout" 2>&1
check_eq "reset_victim: its jobs time out until one ends otherwise" "$?" 0
sed 's/^/# /' "$vout"
check "that one, in the ring at the reset, failed with ECANCELED" grep -q "^status=-125 after=0$" "$vout"
check "the kernel log says why (3 jobs in a row timed out)" \
	test "$(klines "3 jobs in a row timed out")" -gt "$row0"
check "and that the device is back" test "$(dreset)" -gt "$dr0"
check_eq "reset_count grew by one" "$(count)" "$((before + 1))"
echo check >&3
exec 3>&-
wait "$bpid"
sed 's/^/# /' "$bout"
check "the other file's objects are intact and it runs jobs" grep -q '^intact=1 after=0$' "$bout"
rm -f "$bin" "$bout"
check "a job runs after the driver's reset" "$LOAD" -d "$idx" -c 0 -s 1 -m 4 -H 1

# A queue that does not stop (trn_queue_wait_idle made to fail: the debug
# kernel's fail_function): its job is kept until the driver has reset the
# device, then fails with ECANCELED. If the device does not come back from
# that reset either (trn_hw_wait_ready failing too), it is wedged: jobs,
# open() fail with EIO, and counted, until the driver is bound again.
FF=/sys/kernel/debug/fail_function
SUBMIT_ONE=$TRNVM_REPO/build/tests/vm/fence_orphan
ff_on() {
	local f
	echo > "$FF/inject"
	for f in "$@"; do
		echo "$f" > "$FF/inject" || return 1
		printf '%#x\n' -110 > "$FF/$f/retval" || return 1
	done
	# verbose 0: no stack dump per injected failure (a kernel report).
	echo N > "$FF/task-filter" && echo 100 > "$FF/probability" &&
		echo 0 > "$FF/interval" && echo -1 > "$FF/times" && echo 0 > "$FF/space" &&
		echo 0 > "$FF/verbose"
}
ff_off() { echo > "$FF/inject"; echo 2 > "$FF/verbose"; }
if [ ! -d "$FF" ]; then
	pass "a queue that does not stop # SKIP no fail_function in this kernel"
else
	before=$(count) dr0=$(dreset) hung0=$(klines "did not stop: its jobs are kept")
	check "fail_function: trn_queue_wait_idle fails" ff_on trn_queue_wait_idle
	out=$(timeout 60 "$SUBMIT_ONE" "$node" < /dev/null 2>&1)
	ff_off
	echo "$out" | sed 's/^/# /'
	check "a job whose queue did not stop after its timeout failed with ECANCELED" \
		grep -q "^job 1 status=-125$" <<<"$out"
	check "the kernel log says the queue did not stop" \
		test "$(klines "did not stop: its jobs are kept")" -gt "$hung0"
	check "and that the driver reset the device" test "$(dreset)" -gt "$dr0"
	check_eq "reset_count grew by one" "$(count)" "$((before + 1))"
	check "a job runs after it" "$LOAD" -d "$idx" -c 0 -s 1 -m 4 -H 1

	failed0=$(cat "$D/stats/jobs_failed")
	check "fail_function: trn_hw_wait_ready fails too" \
		ff_on trn_queue_wait_idle trn_hw_wait_ready
	timeout 60 "$VICTIM" "$node" > "$vout" 2>&1
	ff_off
	sed 's/^/# /' "$vout"
	check "wedged: the job in the ring failed (ECANCELED), the next one with EIO" \
		grep -q "^status=-125 after=-5$" "$vout"
	check "the kernel log says the device is wedged" \
		dmesg_has "device reset: the device did not come back; every job fails"
	check "that job counts in stats/jobs_failed" \
		test "$(cat "$D/stats/jobs_failed")" -gt "$failed0"
	check "open() fails with EIO" \
		bash -c "$SUBMIT_ONE $node < /dev/null 2>&1 | grep -q 'Input/output error'"
	check "bus mastering is off" bash -c \
		"[ \$(( 0x\$(setpci -s $bdf COMMAND) & 4 )) -eq 0 ]"
	echo "$bdf" > /sys/bus/pci/drivers/trn/unbind
	echo "$bdf" > /sys/bus/pci/drivers/trn/bind
	check "after unbind and bind a job runs" "$LOAD" -d "$idx" -c 0 -s 1 -m 4 -H 1
fi
rm -f "$vout"

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
