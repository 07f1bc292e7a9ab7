#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fences outlive their device and the driver: a job's out_sync exported as
# a sync_file, kept after the device is closed and unbound, still answers
# SYNC_IOC_FILE_INFO (names included), and rmmod waits for it: refused while
# it lives, done once it is closed. Under the debug kernel nothing is
# reported (use after free of the queue, or of the module's code).
# budget: 120 s
. "$TRNVM_REPO/tests/vm/lib.sh"

PROG=$TRNVM_REPO/build/tests/vm/fence_orphan
first=$(good_devices | head -n 1)
if [ -z "$first" ]; then
	pass "no working device in this VM"
	exit 0
fi
read -r idx bdf _ <<<"$first"
minors() { ls /sys/class/accel 2>/dev/null | sort | tr '\n' ' '; }
before=$(minors)

in=$(mktemp -u) out=$(mktemp)
mkfifo "$in"
"$PROG" "/dev/accel/$(ls "/sys/bus/pci/devices/$bdf/accel")" < "$in" > "$out" 2>&1 &
pid=$!
exec 3> "$in"
for ((i = 0; i < 300; i++)); do
	grep -q '^ready' "$out" && break
	sleep 0.1
done
check "a NOP and a timed-out job, exported as sync_files, device closed" grep -q '^ready' "$out"
check "the NOP succeeded" grep -q '^job 0 status=0$' "$out"
check "the SEM_WAIT timed out" grep -q '^job 1 status=-110$' "$out"

check "rmmod refuses while the fences live" bash -c '! rmmod trn 2> /dev/null'
ok=1
while read -r _ b _; do
	echo "$b" > /sys/bus/pci/drivers/trn/unbind || ok=0
done < <(good_devices)
check "every device unbound: the queues are freed" test "$ok" = 1

echo info >&3
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c '^fence ' "$out")" -ge 2 ] && break
	sleep 0.1
done
# From Linux 7.x the core itself names a signalled fence so, without
# asking its driver.
names="driver=(trn timeline=trn-$bdf-q0|detached-driver timeline=signaled-timeline)"
check "SYNC_IOC_FILE_INFO on the NOP's fence after unbind: signalled, names intact" \
	grep -Eq "^fence 0 status=1 $names count=1$" "$out"
check "and on the timed-out job's: its error, names intact" \
	grep -Eq "^fence 1 status=-110 $names count=1$" "$out"
echo close >&3
exec 3>&-
wait "$pid"
check_eq "the program could do all of it" "$?" 0
sed 's/^/# /' "$out"
rm -f "$in" "$out"

check "rmmod once the sync_files are closed" unload_trn
check "insmod" load_trn
for ((i = 0; i < 100; i++)); do
	[ "$(minors)" = "$before" ] && break
	sleep 0.1
done
check_eq "the same devices are back" "$(minors)" "$before"
