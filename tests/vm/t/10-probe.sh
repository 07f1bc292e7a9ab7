#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every device QEMU was given is probed (or, if broken on purpose, refused
# with a clear message), with sysfs facts matching the QEMU command line.
# budget: 360 s
. "$TRNVM_REPO/tests/vm/lib.sh"

# The model implements the interface of include/hw/trn_regs.h.
hw_version=$(sed -n 's/^#define TRN_VERSION_MAJOR[[:space:]]*\([0-9]*\).*/\1/p' \
	"$TRNVM_REPO/include/hw/trn_regs.h").$(sed -n \
	's/^#define TRN_VERSION_MINOR[[:space:]]*\([0-9]*\).*/\1/p' "$TRNVM_REPO/include/hw/trn_regs.h")

ngood=0
while read -r idx bdf chip cores hbm good props; do
	dev=/sys/bus/pci/devices/$bdf
	check "device $idx present at $bdf" test -d "$dev"
	if [ "$good" = 1 ]; then
		ngood=$((ngood + 1))
		drv=$(readlink "$dev/driver")
		check_eq "$bdf bound to trn" "${drv##*/}" trn
		check_eq "$bdf chip_id" "$(sysval "$dev/chip_id")" "$chip"
		check_eq "$bdf neuron_cores" "$(sysval "$dev/neuron_cores")" "$cores"
		check_eq "$bdf hbm_size" "$(sysval "$dev/hbm_size")" "$hbm"
		check_eq "$bdf hw_version" "$(sysval "$dev/hw_version")" "$hw_version"
		check "$bdf: the driver's version is the module's, not the device's" \
			test ! -e "$dev/driver_version" -a -s /sys/module/trn/version
		nodes=("$dev"/accel/accel*)
		check "$bdf has an accel node" test -c "/dev/accel/${nodes[0]##*/}"
		irqs=$(awk -v n="trn-misc@$bdf" '$NF == n { s = 0; for (i = 2; i < NF - 2; i++) s += $i; print s }' /proc/interrupts)
		check "$bdf misc MSI-X interrupt delivered (count ${irqs:-none})" test "${irqs:-0}" -ge 1
	else
		check "$bdf not bound" test ! -e "$dev/driver"
		check "$bdf has no accel node" test ! -e "$dev/accel"
		case "$props" in
		*x-magic=*) want="$bdf: .*bad identity magic" ;;
		*) want="$bdf: .*unsupported hardware interface version" ;;
		esac
		check "$bdf refused with a clear dmesg line" dmesg_has "$want"
	fi
done < <(expected_devices)

check_eq "accel devices" "$(ls /sys/class/accel 2>/dev/null | wc -l)" "$ngood"
