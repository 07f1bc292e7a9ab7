#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Peer DMA over NeuronLink (build/tests/dev/test_peer): every up port both
# ways, data passed around every ring of the topology and across the torus,
# the lifetime of shared memory and the errors of imports; a process that
# holds a peer buffer in use killed: the far device's memory comes back; a
# port taken down through QMP while a peer buffer uses it: its jobs fail
# with a link error while another port works, and work again once the port
# is back up; DRM_IOCTL_TRN_WAIT reports that error
# (build/tests/vm/test_wait_link). Passes with a note where no device has a
# cabled port.
# budget: 240 s
. "$TRNVM_REPO/tests/vm/lib.sh"

bdf_of() { printf '0000:%02x:00.0' $(($1 + 1)); }

# 92-peer.sh --admin DEV PORT true|false: what test_peer --link-down runs to
# change the port through QMP and wait (5 s) until the driver reports it.
if [ "${1:-}" = --admin ]; then
	want=$([ "$4" = true ] && echo up || echo down)
	qmp_set "trn$2" "port$3-admin" "$4" > /dev/null || exit 1
	for ((i = 0; i < 100; i++)); do
		grep -qx "$want" "/sys/bus/pci/devices/$(bdf_of "$2")/link$3/state" &&
			exit 0
		sleep 0.05
	done
	exit 1
fi

first=$(cables | head -n 1)
if [ -z "$first" ] || [ ! -d "/sys/bus/pci/devices/$(bdf_of 0)/link0" ]; then
	pass "no cabled devices in this scenario"
	exit 0
fi

CMOCKA_MESSAGE_OUTPUT=TAP "$TRNVM_REPO/build/tests/dev/test_peer"

# Killed while a peer job runs: the shared memory goes back to its device.
# The export space keeps the page tables it once needed (one level 1 table
# and a level 2 table per 2 MiB shared), for the next share; a second
# round must need nothing more.
a=${first% *}
ad=${a%.*} ap=${a#*.} b=${first#* }
bd=${b%.*}
F=/sys/bus/pci/devices/$(bdf_of "$bd")
hold_and_kill() {
	local out pid i
	out=$(mktemp)
	"$TRNVM_REPO/build/tests/dev/test_peer" --hold "$ad" "$ap" 8 > "$out" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$out" && break
		sleep 0.1
	done
	check "round $1: test_peer --hold shares 8 MiB of chip $bd with chip $ad" \
		grep -q "^ready far=$bd" "$out"
	check "round $1: chip $bd holds the shared 8 MiB" \
		test "$(cat "$F/hbm_used")" -ge $((used0 + (8 << 20)))
	sleep 0.5
	kill -KILL "$pid"
	wait "$pid" 2> /dev/null
	rm -f "$out"
	for ((i = 0; i < 100; i++)); do
		[ "$(cat "$F/buffer_objects")" = "$bos0" ] &&
			[ "$(cat "$F/hbm_used")" -lt $((used0 + (1 << 20))) ] && break
		sleep 0.1
	done
	check_eq "round $1: killed, chip $bd's buffer objects" "$(cat "$F/buffer_objects")" "$bos0"
}
used0=$(cat "$F/hbm_used") bos0=$(cat "$F/buffer_objects")
hold_and_kill 1
used1=$(cat "$F/hbm_used")
check "round 1: chip $bd's hbm_used $used0 -> $used1, the export space's tables at most" \
	test "$used1" -le $((used0 + 6 * 4096))
hold_and_kill 2
check_eq "round 2: chip $bd's hbm_used back to $used1" "$(cat "$F/hbm_used")" "$used1"

if ! qmp_available; then
	fail "the host QMP agent is not running"
	exit 0
fi
self=$TRNVM_REPO/tests/vm/t/92-peer.sh
"$TRNVM_REPO/build/tests/dev/test_peer" --link-down "$ad" "$ap" \
	"$self --admin $ad $ap false" "$self --admin $ad $ap true"
# The same through the raw uapi: the job status of DRM_IOCTL_TRN_WAIT.
"$TRNVM_REPO/build/tests/vm/test_wait_link" "$(bdf_of "$ad")" "$ap" \
	"$self --admin $ad $ap false" "$self --admin $ad $ap true"
