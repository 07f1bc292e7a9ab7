#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Inventory: each device's serial number, UUID and firmware version in
# sysfs are those QEMU was given (serial=, firmware-version=) or derived
# from its chip id, readable without root, and the same in
# DRM_IOCTL_TRN_QUERY; nrt-ls --wide --json shows them with the PCIe link's
# maximum, the AER counts and the CPU affinity; NRT_VISIBLE_DEVICES
# selects a device by that UUID.
# budget: 300 s
. "$TRNVM_REPO/tests/vm/lib.sh"

if [ -z "$(good_devices)" ]; then
	pass "needs a working device"
	exit 0
fi

# want_identity PROPS CHIP: "SERIAL UUID FIRMWARE" as the device must show them.
want_identity() {
	local props=$1 chip=$2 kv serial= fw=1.0.0
	local -a kvs
	IFS=, read -ra kvs <<< "$props"
	for kv in "${kvs[@]}"; do
		case "$kv" in
		serial=*) serial=$(( ${kv#*=} )) ;;
		firmware-version=*) fw=${kv#*=} ;;
		esac
	done
	[ -n "$serial" ] || serial=$(( 0x54524e000000 + (chip & 0xffffff) ))
	printf '%012X 1af410f0-0000-8000-8000-%012x %s\n' "$serial" "$serial" "$fw"
}

# query_identity NODE: "SERIAL FW_VERSION" from DRM_IOCTL_TRN_QUERY, in hex.
query_identity() {
	python3 - "$1" <<'PY'
import ctypes, fcntl, os, struct, sys
# DRM_IOWR(0x40 + DRM_TRN_QUERY, struct drm_trn_query): 24 bytes
req = (3 << 30) | (24 << 16) | (ord('d') << 8) | 0x40
info = ctypes.create_string_buffer(96)
fd = os.open(sys.argv[1], os.O_RDWR)
q = bytearray(struct.pack("<IIQII", 0, 96, ctypes.addressof(info), 0, 0))
fcntl.ioctl(fd, req, q, True)
size = struct.unpack_from("<I", q, 4)[0]
fw, serial = struct.unpack_from("<IQ", info.raw, 84) if size >= 96 else (None, None)
print(size, "%x" % serial, "%08x" % fw)
PY
}

uuids=()
while read -r idx bdf chip cores hbm good props; do
	D=/sys/bus/pci/devices/$bdf
	read -r serial uuid fw < <(want_identity "$props" "$chip")
	check_eq "$bdf serial_number" "$(sysval "$D/serial_number")" "$serial"
	check_eq "$bdf uuid" "$(sysval "$D/uuid")" "$uuid"
	check_eq "$bdf firmware_version" "$(sysval "$D/firmware_version")" "$fw"
	uuids[idx]=$uuid
	IFS=. read -r fmaj fmin fpat <<< "$fw"
	node=/dev/accel/$(basename "$(ls -d "$D"/accel/accel* | head -n 1)")
	check_eq "$bdf QUERY: size, serial, fw_version" "$(query_identity "$node")" \
		"$(printf '96 %x %08x' $((16#$serial)) $(( fmaj << 24 | fmin << 16 | fpat )))"
	if command -v setpriv > /dev/null; then
		check_eq "$bdf identity, link and AER readable by nobody" \
			"$(setpriv --reuid=65534 --regid=65534 --clear-groups \
				cat "$D/serial_number" "$D/uuid" "$D/firmware_version" \
				"$D/max_link_speed" "$D/local_cpulist" "$D/aer_dev_correctable" \
				> /dev/null 2>&1 && echo yes)" yes
	fi
	json=$("$NRT_LS" --wide --json)
	check_eq "$bdf: nrt-ls --wide --json inventory" "$(printf '%s' "$json" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
d = [d for d in doc["devices"] if d["pci_bdf"] == sys.argv[1]][0]
l = d["pcie_link"]
print(doc["schema_version"], d["serial_number"], d["uuid"], d["firmware_version"],
      l["speed_gts"], l["width"], l["max_speed_gts"], l["max_width"], l["degraded"],
      d["cpu_affinity"] is not None,
      d["aer"] is not None and all(isinstance(d["aer"][k], int)
                                   for k in ("fatal", "nonfatal", "correctable")))' "$bdf")" \
		"5 $serial $uuid $fw 32 16 32 16 False True True"
	check "$bdf: nrt-ls --wide shows the serial, UUID and firmware" \
		bash -c "'$NRT_LS' --wide | grep '| $bdf |' | grep '$serial' | grep '$uuid' | grep -q ' $fw '"
done < <(good_devices)

n=${#uuids[@]}
last=$((n - 1))
check_eq "NRT_VISIBLE_DEVICES=<uuid of device $last>: that device, index 0" \
	"$(NRT_VISIBLE_DEVICES=${uuids[last]} "$NRT_LS" --json | python3 -c '
import json, sys
print(" ".join("%d %s" % (d["index"], d["uuid"]) for d in json.load(sys.stdin)["devices"]))')" \
	"0 ${uuids[last]}"
check_eq "the UUID in upper case selects it too" \
	"$(NRT_VISIBLE_DEVICES=${uuids[last]^^} "$NRT_LS" --json | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["devices"]))')" 1
