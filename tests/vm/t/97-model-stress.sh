#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The device model against a hostile guest (build/tests/vm/model_stress):
# with the driver unbound, random register writes, page tables, descriptors
# and programs, resets while work runs; the model must survive (else the VM
# dies and the run fails) and the device must work afterwards, and again
# once the driver is bound back. 60 s in the full run, 15 s elsewhere.
# budget: 240 s
. "$TRNVM_REPO/tests/vm/lib.sh"

read -r _ bdf _ < <(good_devices | head -n 1)
if [ -z "$bdf" ]; then
	pass "no working device in this VM"
	exit 0
fi
secs=15
full_run && secs=60
D=/sys/bus/pci/devices/$bdf

check "$bdf: unbind trn" sh -c "echo $bdf > /sys/bus/pci/drivers/trn/unbind"
out=$("$TRNVM_REPO/build/tests/vm/model_stress" "$bdf" "$secs" "$((RANDOM * 65536 + RANDOM))" 2>&1)
rc=$?
echo "$out"
check_eq "$bdf: $secs s of random registers, tables and descriptors; the device works after it" \
	"$rc" 0
check "$bdf: bind trn again" sh -c "echo $bdf > /sys/bus/pci/drivers/trn/bind"
check "$bdf: bound to trn, with an accel node" \
	test -e "$D/driver" -a -n "$(ls "$D/accel" 2> /dev/null)"
check "$bdf: nrt-ls lists it" sh -c "'$NRT_LS' | grep -q '$bdf'"
