#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Peer DMA over NeuronLink (build/tests/dev/test_peer): every up port both
# ways, data passed around every ring of the topology and across the torus,
# the lifetime of shared memory and the errors of imports; then a port taken
# down through QMP while a peer buffer uses it: its jobs fail with a link
# error while another port works, and work again once the port is back up.
# Passes with a note where no device has a cabled port.
. "$TRNVM_REPO/tests/vm/lib.sh"

bdf_of() { printf '0000:%02x:00.0' $(($1 + 1)); }

# 92-peer.sh --admin DEV PORT true|false: what test_peer --link-down runs to
# change the port through QMP and wait (5 s) until the driver reports it.
if [ "${1:-}" = --admin ]; then
	want=$([ "$4" = true ] && echo up || echo down)
	qmp_set "trn$2" "port$3-admin" "$4" > /dev/null || exit 1
	for ((i = 0; i < 100; i++)); do
		grep -qx "$want" "/sys/bus/pci/devices/$(bdf_of "$2")/links/port$3/state" &&
			exit 0
		sleep 0.05
	done
	exit 1
fi

first=$(cables | head -n 1)
if [ -z "$first" ] || [ ! -d "/sys/bus/pci/devices/$(bdf_of 0)/links" ]; then
	pass "no cabled devices in this scenario"
	exit 0
fi

CMOCKA_MESSAGE_OUTPUT=TAP "$TRNVM_REPO/build/tests/dev/test_peer"

if ! qmp_available; then
	fail "the host QMP agent is not running"
	exit 0
fi
a=${first% *}
ad=${a%.*} ap=${a#*.}
self=$TRNVM_REPO/tests/vm/t/92-peer.sh
"$TRNVM_REPO/build/tests/dev/test_peer" --link-down "$ad" "$ap" \
	"$self --admin $ad $ap false" "$self --admin $ad $ap true"
