#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# nrt-ls lists exactly the working devices, with BDF and HBM as QEMU was told.
# budget: 240 s
. "$TRNVM_REPO/tests/vm/lib.sh"

table=$("$NRT_LS")
check_eq "nrt-ls exits 0" "$?" 0
echo "$table"
json=$("$NRT_LS" --json)
check_eq "nrt-ls --json exits 0" "$?" 0
echo "$json"

want=$(good_devices | awk '{ print $2, $4, $5 }')
got=$(printf '%s' "$json" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
assert doc["schema_version"] == 5
# Version 5: the host of the rack the devices are on; a VM is host 0
assert doc["topology"]["host"] == 0, doc["topology"]
for d in doc["devices"]:
    # Version 4: the power cap of interface 1.8, at its maximum
    p = d["power"]
    assert p is not None and p["cap_w"] == p["cap_max_w"] > p["cap_min_w"] > 0, p
    assert isinstance(p["throttled_ns"], int), p
    print(d["pci_bdf"], d["neuron_cores"], d["hbm_bytes"])
')
check_eq "nrt-ls --json devices (bdf cores hbm)" "$got" "$want"

n=$(good_devices | wc -l)
rows=$(printf '%s\n' "$table" | grep -c '| 0000:')
check_eq "nrt-ls table rows" "$rows" "$n"
while read -r idx bdf chip cores hbm good props; do
	row=$(printf '%s\n' "$table" | grep "| $bdf |")
	check "nrt-ls row for $bdf shows the PCIe link" \
		grep -q "32 GT/s x16" <<< "$row"
done < <(good_devices)
