#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Compute modes: a device in exclusive_process mode admits one open file
# (open() fails with EBUSY for the others, and succeeds again once it is
# closed); the switch to it is refused while two files are open; only root
# sets it and only to a known mode; nrt-ls shows the modes, also while the
# holder keeps the device from being opened. A NeuronCore in
# exclusive_process mode runs the programs of one process: another one's
# fail with EBUSY, other cores stay shared.
# budget: 420 s
. "$TRNVM_REPO/tests/vm/lib.sh"

LOAD=$TRNVM_REPO/build/tests/dev/nrt_load

read -r dev bdf _ cores _ < <(good_devices | head -n 1)
if [ -z "$bdf" ]; then
	pass "needs a working device"
	exit 0
fi
D=/sys/bus/pci/devices/$bdf
node=/dev/accel/$(basename "$(ls -d "$D"/accel/accel* | head -n 1)")
work=$(mktemp -d)
holders=()

# hold: keep $node open in a background process, whose pid goes to holders.
hold() {
	(exec sleep 3600) 3<> "$node" &
	holders+=($!)
}
release() {
	local p
	for p in "${holders[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	holders=()
}
# open_errno: what open(O_RDWR) of $node gives: OK or the errno's name.
open_errno() {
	python3 -c '
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDWR))
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$node"
}
ls_mode() {
	"$NRT_LS" --json | python3 -c '
import json, sys
print(" ".join(d["compute_mode"] or "null" for d in json.load(sys.stdin)["devices"]
               if d["pci_bdf"] == sys.argv[1]))' "$bdf"
}
cleanup() {
	release
	[ -z "$load_pid" ] || { kill "$load_pid" 2>/dev/null; wait "$load_pid" 2>/dev/null; }
	echo shared > "$D/compute_mode" 2>/dev/null
	echo shared > "$D/core0/compute_mode" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# --- the device -----------------------------------------------------------------
check_eq "compute_mode is shared after probe" "$(sysval "$D/compute_mode")" shared
check "an unknown mode is refused" bash -c "! echo exclusive 2>/dev/null > $D/compute_mode"
check "'exclusive-process' (a dash) is refused" \
	bash -c "! echo exclusive-process 2>/dev/null > $D/compute_mode"
check_eq "and the mode stays shared" "$(sysval "$D/compute_mode")" shared
if command -v setpriv > /dev/null; then
	check "nobody may not set it" bash -c "! setpriv --reuid=65534 --regid=65534 \
		--clear-groups sh -c 'echo exclusive_process > $D/compute_mode' 2>/dev/null"
fi

hold
hold
check_eq "shared: a third file opens" "$(open_errno)" OK
check "exclusive_process is refused while two files are open" \
	bash -c "! echo exclusive_process > $D/compute_mode 2>/dev/null"
check_eq "the refused switch left it shared" "$(sysval "$D/compute_mode")" shared
release

hold
check "exclusive_process with one file open" \
	sh -c "echo exclusive_process > $D/compute_mode"
check_eq "compute_mode reads exclusive_process" "$(sysval "$D/compute_mode")" \
	exclusive_process
check_eq "a second open() fails with EBUSY" "$(open_errno)" EBUSY
check_eq "nrt-ls --json shows the mode while the device is held" "$(ls_mode)" \
	exclusive_process
check "nrt-ls exits 0 while the device is held" "$NRT_LS" > /dev/null
check "nrt-ls --wide shows exclusive_process" \
	bash -c "'$NRT_LS' --wide | grep '| $bdf |' | grep -q exclusive_process"
check "a job cannot start on it (nrt_load fails)" \
	bash -c "! '$LOAD' -d $dev -c 0 -s 0 -m 1 -H 1 2>/dev/null"
release
check_eq "once the holder is gone, open() succeeds" "$(open_errno)" OK
check "a job runs on it alone" "$LOAD" -d "$dev" -c 0 -s 0 -m 1 -H 1
check "the switch was logged" dmesg_has "compute mode exclusive_process"
check "back to shared" sh -c "echo shared > $D/compute_mode"
hold
hold
check_eq "shared again: two files and a third open" "$(open_errno)" OK
release

# --- a NeuronCore ------------------------------------------------------------------
if [ ! -e "$D/core1/compute_mode" ] || [ "${cores:-0}" -lt 2 ]; then
	pass "per-core mode needs a device with two cores"
	exit 0
fi
check_eq "core0/compute_mode is shared" "$(sysval "$D/core0/compute_mode")" shared
check "core 0 to exclusive_process" \
	sh -c "echo exclusive_process > $D/core0/compute_mode"
check_eq "nrt-ls --json: exclusive_cores [0]" "$("$NRT_LS" --json | python3 -c '
import json, sys
print([d["exclusive_cores"] for d in json.load(sys.stdin)["devices"] if d["pci_bdf"] == sys.argv[1]])' "$bdf")" "[[0]]"
check "nrt-ls --wide: shared, cores 0 exclusive_process" \
	bash -c "'$NRT_LS' --wide | grep '| $bdf |' | grep -q 'shared, cores 0 exclusive_process'"
jobs0=$(sysval "$D/core0/jobs_completed")
"$LOAD" -d "$dev" -c 0 -s 3600 -m 1 -H 1 > "$work/load.out" 2> "$work/load.err" &
load_pid=$!
# It uses core 0 from its first program on.
core0_ran() { [ "$(sysval "$D/core0/jobs_completed")" -gt "$jobs0" ]; }
if ! wait_for 60 core0_ran; then
	fail "nrt_load did not run on core 0: $(cat "$work/load.err")"
	exit 0
fi
pass "a process runs programs on core 0"
"$LOAD" -d "$dev" -c 0 -s 1 -m 1 -H 1 > /dev/null 2> "$work/second.err"
ret=$?
check_eq "another process's program on core 0 fails" "$ret" 1
check "with EBUSY (\"$(tr -d '\n' < "$work/second.err")\")" \
	grep -qi "busy" "$work/second.err"
check "another process's program on core 1 runs" \
	"$LOAD" -d "$dev" -c 1 -s 1 -m 1 -H 1
check "core 0 stays exclusive_process" \
	test "$(sysval "$D/core0/compute_mode")" = exclusive_process
check_eq "the device stays shared" "$(sysval "$D/compute_mode")" shared
kill "$load_pid"
wait "$load_pid"
check_eq "the holder ends cleanly" "$?" 0
load_pid=
check "once it is gone, another process runs on core 0" \
	"$LOAD" -d "$dev" -c 0 -s 1 -m 1 -H 1
check "the core's switch was logged" dmesg_has "core 0: compute mode exclusive_process"
check "core 0 back to shared" sh -c "echo shared > $D/core0/compute_mode"
