#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Two hosts of a rack in one VM (scenario "crossed"): devices 0 and 1 are
# chips 1 and 2 of host 0, cabled to each other on port 1; devices 2 and 3
# are chips 2 and 1 of host 1, and port 0 of each host-0 chip leads to the
# host-1 chip of the other's id (a crossed pair of cables between hosts).
# sysfs names the far hosts and no local device at a far end on another
# host; nrt-ls shows the far host and refuses a rack file on devices that
# disagree on their host; peer imports through the crossed cables fail
# with ENOLINK, through the in-host cable they work
# (build/tests/vm/test_crossed). Only in that scenario.
# budget: 120 s
. "$TRNVM_REPO/tests/vm/lib.sh"

if ! grep -q '^device 3 .*host=1' "$DEVICES_TXT"; then
	pass "not the crossed scenario"
	exit 0
fi

sys() { printf '/sys/bus/pci/devices/%s/%s' "$(bdf_of "$1")" "$2"; }
up() { [ "$(sysval "$(sys "$1" "link$2/state")")" = up ]; }
for e in 0.0 0.1 1.0 1.1 2.0 3.0; do
	check "device ${e%.*} port ${e#*.} up" wait_for 30 up "${e%.*}" "${e#*.}"
done
for d in 0 1 2 3; do
	check_eq "device $d: host_id" "$(sysval "$(sys "$d" host_id)")" $((d / 2))
done
# Port 0 of chip 1 of host 0: chip 2 port 0 of host 1, not the local chip 2.
check_eq "device 0 port 0: far end" \
	"$(sysval "$(sys 0 link0/peer_host)").$(sysval "$(sys 0 link0/peer_chip)").$(sysval "$(sys 0 link0/peer_port)")" \
	1.2.0
check_eq "device 0 port 0: no local device at a far end on another host" \
	"$(sysval "$(sys 0 link0/peer_device)")" ""
check_eq "device 1 port 0: far end" \
	"$(sysval "$(sys 1 link0/peer_host)").$(sysval "$(sys 1 link0/peer_chip)")" 1.1
check_eq "device 0 port 1: far end within host 0" \
	"$(sysval "$(sys 0 link1/peer_host)").$(sysval "$(sys 0 link1/peer_chip)")" 0.2
check_eq "device 0 port 1: the local device at its far end" \
	"$(sysval "$(sys 0 link1/peer_device)")" "$(ls "$(sys 1 accel)")"

out=$("$NRT_LS" --topology 2>&1)
echo "$out" | sed 's/^/# /'
check "nrt-ls --topology names the far host" grep -q 'port0 <-> host1:chip2:port0 up' <<<"$out"
printf 'hosts 2\nchips 3\nports 4\ncable 0.1.1 0.2.1\n' > "$TRNVM_OUT/crossed.rack"
out=$("$NRT_LS" --expect "$TRNVM_OUT/crossed.rack" 2>&1) && st=0 || st=$?
check_eq "nrt-ls --expect FILE: devices of two hosts (exit status)" "$st" 1
check "... says the devices disagree on their host" \
	grep -q 'the devices disagree on their host' <<<"$out"

"$TRNVM_REPO/build/tests/vm/test_crossed" "$(bdf_of 0)" "$(bdf_of 1)" "$(bdf_of 2)" 0 1
