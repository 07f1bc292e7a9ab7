#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# nrt-diag: levels 1 to 3 pass on a healthy VM (exit 0, JSON valid against
# Documentation/nrt-diag.schema.json) and fail (exit 1), naming the check,
# the device and a remedy, on an uncorrectable ECC error injected through
# QMP, on a NeuronLink taken down, on a miswired rack and on a device the
# driver refused. Under TCG the bandwidths of a busy host swing widely (one
# peer link of a ring measured below a tenth of the median under a load of
# 19), and a bandwidth is no fact a test may assert: the floors are off in
# the runs that must pass, and one run with a floor no device reaches must
# fail and name it.
# budget: 900 s
. "$TRNVM_REPO/tests/vm/lib.sh"

DIAG=$TRNVM_REPO/build/tools/nrt-diag
SCHEMA=$TRNVM_REPO/Documentation/nrt-diag.schema.json
FLOOR=(--min-relative 0)

# diag ARGS...: run nrt-diag, keep its output in $out and status in $st.
diag() {
	out=$("$DIAG" "$@" 2>&1)
	st=$?
	echo "# nrt-diag $*: exit $st"
	echo "$out" | sed 's/^/#   /'
}

# schema_ok: $out is a document of the schema, with exit_status $st.
schema_ok() {
	printf '%s' "$out" | python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(sys.stdin)
jsonschema.Draft202012Validator(schema).validate(doc)
assert doc["exit_status"] == int(sys.argv[2]), doc["exit_status"]
' "$SCHEMA" "$st"
}

topo=$(topology)
all=$(expected_devices | wc -l)
good=$(good_devices | wc -l)

# --- a device the driver refused (the broken scenario) ------------------------
if [ "$good" -ne "$all" ]; then
	diag -q
	check_eq "level 1 with a refused device: exit 1" "$st" 1
	while read -r _ bdf _ _ _ g _; do
		[ "$g" = 1 ] && continue
		check "the refused device $bdf is named (bound)" \
			grep -q "FAIL  bound .*$bdf.*not bound" <<<"$out"
	done < <(expected_devices)
	exit 0
fi

# --- the miswired rack -----------------------------------------------------------
if [ -n "$(swapped_cables)" ]; then
	diag -b --expect "$topo"
	check_eq "level 1 on a miswired $topo: exit 1" "$st" 1
	for s in $(swapped_cables | tr ',' ' '); do
		d=${s%.*} p=${s#*.}
		check "the swapped end chip $d port $p is named" \
			grep -q "links: device $d ([^)]*): chip $d port $p: expected .*miswired" <<<"$out"
	done
	diag -j --expect "$topo"
	check "the JSON document is valid and says unhealthy" schema_ok
	exit 0
fi

# --- healthy ---------------------------------------------------------------------
expect=()
case "$topo" in ring:* | torus:*) expect=(--expect "$topo") ;; esac
diag -n "$good" "${expect[@]}"
check_eq "level 1 on a healthy VM: exit 0" "$st" 0
check "level 1 checked ECC, temperature and the PCIe link" \
	grep -q "PASS  pcie" <<<"$out"
diag -j -n "$good" "${expect[@]}"
check "level 1 JSON valid against the schema" schema_ok

case "$topo" in
ring:* | torus:*)
	# The 16-device scenarios: level 3 (load and peer DMA over every link).
	diag -r 3 -d 10 "${FLOOR[@]}" -q "${expect[@]}"
	check_eq "level 3 on $topo: exit 0" "$st" 0
	n_links=$(cables | wc -l)
	diag -r 3 -d 5 "${FLOOR[@]}" -j "${expect[@]}"
	check "level 3 JSON valid" schema_ok
	got=$(printf '%s' "$out" | python3 -c '
import json, sys
print(sum(1 for c in json.load(sys.stdin)["checks"] if c["check"] == "peer" and c["status"] == "pass"))')
	check_eq "peer DMA over every cable" "$got" "$n_links"

	if qmp_available; then
		check "qom-set trn0 port0-admin false" qmp_set trn0 port0-admin false
		sleep 1
		diag -b "${expect[@]}"
		check_eq "level 1 with a link down: exit 1" "$st" 1
		check "the link down is named (chip 0 port 0)" \
			grep -q "links: device 0 (0000:01:00.0): chip 0 port 0: .*(down" <<<"$out"
		qmp_set trn0 port0-admin true > /dev/null
		for ((i = 0; i < 40; i++)); do
			"$DIAG" "${expect[@]}" > /dev/null 2>&1 && break
			sleep 0.5
		done
		diag -q "${expect[@]}"
		check_eq "level 1 passes again with the link back up" "$st" 0
	else
		fail "a link taken down needs the host QMP agent"
	fi
	exit 0
	;;
esac

diag -r 2 "${FLOOR[@]}" -q
check_eq "level 2 on $good devices: exit 0" "$st" 0
diag -r 2 "${FLOOR[@]}" -j
check "level 2 JSON valid" schema_ok
cores=$(good_devices | awk '{ s += $4 } END { print s }')
got=$(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for c in d["checks"] if c["check"] == "compute" and c["status"] == "pass"),
      sum(1 for c in d["checks"] if c["check"] == "dma" and c["status"] == "pass" and c["value"] > 0))')
check_eq "a program on every core, DMA in 3 directions on every device" \
	"$got" "$cores $((3 * good))"
diag -r 2 "${FLOOR[@]}" --min-dma-bw 900000000
check_eq "level 2 with a floor of 900 TB/s: exit 1" "$st" 1
check "the floor is named" grep -q "below the floor of 900000000 MB/s" <<<"$out"
diag -r 3 -d 8 "${FLOOR[@]}" -q
check_eq "level 3 (8 s of load) on $good devices: exit 0" "$st" 0

# --- an uncorrectable ECC error ------------------------------------------------------
if ! qmp_available; then
	fail "ECC injection needs the host QMP agent (run through vm.sh)"
	exit 0
fi
read -r idx bdf _ <<<"$(good_devices | tail -n 1)"
check "qom-set trn$idx inject-ecc-uncorrected 1" qmp_set "trn$idx" inject-ecc-uncorrected 1
diag -b
check_eq "level 1 with an uncorrectable ECC error: exit 1" "$st" 1
check "the ECC error is named with its device" \
	grep -q "^unhealthy: ecc: device $idx ($bdf): 1 uncorrectable ECC error" <<<"$out"
diag
check "with a remedy" grep -q "remedy: drain the node, then reset the device" <<<"$out"
diag -r 2 -j
check "level 2 does not load an unhealthy node, JSON valid" schema_ok
check "level 2 says why it did not start" grep -q "level 1 failed" <<<"$out"
# Leave the device as it was for the tests after this one.
check "echo 1 > stats/ecc_clear" sh -c "echo 1 > /sys/bus/pci/devices/$bdf/stats/ecc_clear"
diag -b
check_eq "level 1 healthy again once the count is cleared" "$st" 0
