#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Hot-unplug under load: device B, at the far end of the first cable, is
# removed with QMP device_del (through the host's agent) while device A
# copies into B's memory over the cable (test_peer --hold) and B runs
# programs of its own (nrt_load). QEMU must survive it (else the VM dies
# and the run fails), B must go away, and A must keep working. Runs last:
# the VM has one device less afterwards. Passes with a note where no
# device has a cable.
. "$TRNVM_REPO/tests/vm/lib.sh"

bdf_of() { printf '0000:%02x:00.0' $(($1 + 1)); }

first=$(cables | head -n 1)
if [ -z "$first" ] || [ ! -d "/sys/bus/pci/devices/$(bdf_of 0)/links" ]; then
	pass "no cabled devices in this scenario"
	exit 0
fi
if ! qmp_available; then
	fail "the host QMP agent is not running"
	exit 0
fi
a=${first% *} b=${first#* }
ad=${a%.*} ap=${a#*.} bd=${b%.*}
B=/sys/bus/pci/devices/$(bdf_of "$bd")
ndev=$("$NRT_LS" --json | grep -c '"pci_bdf"')

hold=$(mktemp)
"$TRNVM_REPO/build/tests/dev/test_peer" --hold "$ad" "$ap" 8 > "$hold" 2>&1 &
holder=$!
for ((i = 0; i < 100; i++)); do
	grep -q '^ready' "$hold" && break
	sleep 0.1
done
check "chip $ad copies into chip $bd over port $ap" grep -q "^ready far=$bd" "$hold"
# B's own index among the working devices is its chip id in a ring or torus
"$TRNVM_REPO/build/tests/dev/nrt_load" -d "$bd" -s 60 -m 16 -H 1 > /dev/null 2>&1 &
loader=$!
sleep 1

check "device_del trn$bd accepted" qmp_request "device_del trn$bd"
for ((i = 0; i < 300; i++)); do
	[ -e "$B" ] || break
	sleep 0.1
done
check "chip $bd is gone from the PCI bus" test ! -e "$B"
kill -KILL "$holder" "$loader" 2> /dev/null
wait "$holder" "$loader" 2> /dev/null
rm -f "$hold"

check_eq "nrt-ls lists one device less" \
	"$("$NRT_LS" --json | grep -c '"pci_bdf"')" $((ndev - 1))
check "chip $ad still runs programs" \
	"$TRNVM_REPO/build/tests/dev/nrt_load" -d "$ad" -s 2 -m 16 -H 1
check "QEMU's model still answers: chip $ad's link port $ap is down" \
	grep -qx down "/sys/bus/pci/devices/$(bdf_of "$ad")/link$ap/state"
