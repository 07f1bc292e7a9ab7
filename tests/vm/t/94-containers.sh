#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Containers: a process in a mount namespace whose /dev/accel is a tmpfs
# with one node bind-mounted (as a container runtime gives it) sees exactly
# that device, as index 0, and runs a job on it, also when the node has
# another device's name; NRT_VISIBLE_DEVICES selects and orders devices,
# stops at an invalid entry and says so in the log (NRT_LOG_LEVEL); a
# failure is logged with the text nrt_last_error() gives (NRT_LOG_FILE);
# nrt-ctk writes a CDI spec that validates against the CDI JSON Schema that
# Debian ships; podman, if the host has it, runs a job in a container given
# --device trn.dev/device=N.
# budget: 600 s
. "$TRNVM_REPO/tests/vm/lib.sh"

LOAD=$TRNVM_REPO/build/tests/dev/nrt_load
CTK=$TRNVM_REPO/build/tools/nrt-ctk
CDI_SCHEMA=/usr/share/gocode/src/github.com/container-orchestrated-devices/container-device-interface/schema

n=$(good_devices | wc -l)
if [ "$n" -eq 0 ] || [ "$n" -ne "$(expected_devices | wc -l)" ]; then
	pass "needs a VM whose devices all work"
	exit 0
fi
last=$((n - 1))
bdf_last=$(good_devices | awk -v i="$last" '$1 == i { print $2 }')
minor_of() { basename "$(ls -d /sys/bus/pci/devices/"$1"/accel/accel* 2>/dev/null | head -n 1)" | sed 's/accel//'; }
m_last=$(minor_of "$bdf_last")

# ls_json [ENV...]: nrt-ls --json's devices as "index bdf" lines.
ls_devices() {
	env "$@" "$NRT_LS" --json 2>/dev/null | python3 -c '
import json, sys
text = sys.stdin.read()
for d in (json.loads(text)["devices"] if text.strip() else []):
    print(d["index"], d["pci_bdf"])'
}

# --- one node in a mount namespace ----------------------------------------------
# in_ns NAME CMD: run CMD where /dev/accel holds only device $last's node,
# bind-mounted as /dev/accel/NAME.
in_ns() {
	local name=$1
	shift
	unshare -m --propagation private sh -c '
		node=/dev/accel/accel$1; name=$2; shift 2
		keep=$(mktemp) && mount --bind "$node" "$keep" &&
		mount -t tmpfs -o mode=0755 none /dev/accel &&
		: > "/dev/accel/$name" && mount --bind "$keep" "/dev/accel/$name" &&
		exec "$@"' ns "$m_last" "$name" "$@"
}
in_ns "accel$m_last" ls -l /dev/accel | sed 's/^/# /'
check_eq "in a namespace with one node of $n: one device, index 0" \
	"$(in_ns "accel$m_last" "$NRT_LS" --json | python3 -c '
import json, sys
print(" ".join("%d %s" % (d["index"], d["pci_bdf"]) for d in json.load(sys.stdin)["devices"]))')" \
	"0 $bdf_last"
check "a job runs on it there (nrt_load -d 0)" \
	in_ns "accel$m_last" "$LOAD" -d 0 -c 0 -s 1 -m 4 -H 1
if [ "$m_last" != 0 ]; then
	check_eq "the node named accel0 is still device $bdf_last (by its number)" \
		"$(in_ns accel0 "$NRT_LS" --json | python3 -c '
import json, sys
print(" ".join("%d %s %s" % (d["index"], d["pci_bdf"], d["device_node"]) for d in json.load(sys.stdin)["devices"]))')" \
		"0 $bdf_last /dev/accel/accel0"
	check "a job runs through it" in_ns accel0 "$LOAD" -d 0 -c 0 -s 1 -m 4 -H 1
fi

# --- NRT_VISIBLE_DEVICES ------------------------------------------------------------
if [ "$n" -ge 2 ]; then
	b0=$(good_devices | awk '$1 == 0 { print $2 }')
	b1=$(good_devices | awk '$1 == 1 { print $2 }')
	check_eq "NRT_VISIBLE_DEVICES=1: one device, index 0" \
		"$(ls_devices NRT_VISIBLE_DEVICES=1 | tr '\n' ' ')" "0 $b1 "
	check "a job runs on it" env NRT_VISIBLE_DEVICES=1 "$LOAD" -d 0 -c 0 -s 1 -m 4 -H 1
	check_eq "NRT_VISIBLE_DEVICES=1,0: in that order" \
		"$(ls_devices NRT_VISIBLE_DEVICES=1,0 | tr '\n' ' ')" "0 $b1 1 $b0 "
	log=$(mktemp)
	check_eq "NRT_VISIBLE_DEVICES=1,x,0 stops at x" \
		"$(ls_devices NRT_VISIBLE_DEVICES=1,x,0 NRT_LOG_LEVEL=warn NRT_LOG_FILE="$log" |
		   tr '\n' ' ')" "0 $b1 "
	check "and logs why (NRT_LOG_LEVEL=warn)" \
		grep -q 'libnrt warn: NRT_VISIBLE_DEVICES=1,x,0: entry "x" names no device' "$log"
	rm -f "$log"
else
	check_eq "NRT_VISIBLE_DEVICES=0: the one device" \
		"$(ls_devices NRT_VISIBLE_DEVICES=0 | tr '\n' ' ')" "0 $bdf_last "
fi
check_eq "NRT_VISIBLE_DEVICES= (empty): none" "$(ls_devices NRT_VISIBLE_DEVICES=)" ""

# --- the log carries nrt_last_error()'s text --------------------------------------
if command -v setpriv > /dev/null && [ "$(stat -c %a /dev/accel/accel0)" != 666 ]; then
	log=$(mktemp)
	chmod 666 "$log"
	err=$(NRT_LOG_LEVEL=error NRT_LOG_FILE=$log setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$NRT_LS" 2>&1 >/dev/null | head -n 1)
	cat "$log"
	reason=${err#nrt-ls: device 0: }
	check "nobody's failed open is logged with nrt_last_error()'s text ($reason)" \
		grep -qF "libnrt error: nrt_device_open() failed: $reason" "$log"
	rm -f "$log"
else
	pass "the log of a failure # SKIP the nodes are open to everyone here"
fi

# --- CDI ----------------------------------------------------------------------------
cdi=$(mktemp -d)
check "nrt-ctk cdi generate --output $cdi/trn.yaml" "$CTK" cdi generate --output "$cdi/trn.yaml"
check "nrt-ctk cdi generate --format json" "$CTK" cdi generate --format json -o "$cdi/trn.json"
sed 's/^/# /' "$cdi/trn.yaml"
if [ ! -f "$CDI_SCHEMA/schema.json" ]; then
	fail "the CDI schema is missing: install golang-github-container-orchestrated-devices-container-device-interface-dev (scripts/deps.sh)"
else
	for f in "$cdi/trn.yaml" "$cdi/trn.json"; do
		res=$(python3 - "$CDI_SCHEMA" "$f" "$n" <<'PY' 2>&1
import json, os, re, sys, yaml, jsonschema
sdir, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
schema = json.load(open(os.path.join(sdir, "schema.json")))
resolver = jsonschema.RefResolver("file://" + sdir + "/", schema)
spec = yaml.safe_load(open(path))
jsonschema.Draft7Validator(schema, resolver=resolver).validate(spec)
# What the CDI Go library checks beyond the schema (pkg/cdi, pkg/parser).
assert re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?/[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?", spec["kind"]), spec["kind"]
names = [d["name"] for d in spec["devices"]]
assert len(names) == len(set(names)), names
for name in names:
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", name), name
for i in range(n):
    assert str(i) in names, names
assert "all" in names
for d in spec["devices"]:
    for node in d["containerEdits"]["deviceNodes"]:
        assert os.path.exists(node["path"]), node
for m in spec.get("containerEdits", {}).get("mounts", []):
    assert os.path.exists(m["hostPath"]), m
print("valid: %s, %d devices" % (spec["cdiVersion"], len(names)))
PY
)
		echo "# $res"
		check "$(basename "$f") validates against the CDI schema and names" \
			grep -q "^valid:" <<<"$res"
	done
fi

# --- podman ---------------------------------------------------------------------------
if ! command -v podman > /dev/null; then
	pass "podman --device trn.dev/device=$last # SKIP podman is not installed on the host (the guest runs the host's tree)"
else
	out=$(timeout 120 podman --cdi-spec-dir "$cdi" run --rm --network none \
		--device "trn.dev/device=$last" --rootfs / "$NRT_LS" --json 2>&1)
	if grep -q '"pci_bdf"' <<<"$out"; then
		check_eq "podman --device trn.dev/device=$last: the container sees one device" \
			"$(grep -c '"pci_bdf"' <<<"$out")" 1
		check "and runs a job" timeout 120 podman --cdi-spec-dir "$cdi" run --rm \
			--network none --device "trn.dev/device=$last" --rootfs / \
			"$LOAD" -d 0 -c 0 -s 1 -m 4 -H 1
	else
		echo "$out" | head -n 5 | sed 's/^/# /'
		pass "podman --device trn.dev/device=$last # SKIP podman does not run in this guest"
	fi
fi
rm -rf "$cdi"
