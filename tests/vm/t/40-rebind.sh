#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# rmmod/insmod and sysfs unbind/bind, 10 cycles each (3 under the debug
# kernel): devices come back the same, nothing is left behind, the kernel
# log stays clean.
# budget: 300 s
. "$TRNVM_REPO/tests/vm/lib.sh"

if debug_kernel; then CYCLES=${CYCLES:-3}; else CYCLES=${CYCLES:-10}; fi
ko=$TRN_KO
ngood=$(good_devices | wc -l)
minors() { ls /sys/class/accel 2>/dev/null | sort | tr '\n' ' '; }
before=$(minors)
drm_refs() { awk '$1 == "drm" { print $3 }' /proc/modules; }
drm_base=

ok=1
for ((i = 0; i < CYCLES; i++)); do
	unload_trn || { ok=0; break; }
	[ -z "$drm_base" ] && drm_base=$(drm_refs)
	[ "$(drm_refs)" = "$drm_base" ] || { ok=0; echo "drm refcount $(drm_refs) != $drm_base"; }
	[ -z "$(ls /sys/class/accel 2>/dev/null)" ] || { ok=0; echo "accel nodes left after rmmod"; }
	insmod "$ko" job_timeout_ms=2000 || { ok=0; break; }
	[ "$(minors)" = "$before" ] || { ok=0; echo "cycle $i: minors '$(minors)' != '$before'"; }
done
check "$CYCLES rmmod/insmod cycles restore the same devices" test "$ok" = 1

ok=1
while read -r idx bdf _; do
	for ((i = 0; i < CYCLES; i++)); do
		echo "$bdf" > /sys/bus/pci/drivers/trn/unbind || { ok=0; break; }
		[ ! -e "/sys/bus/pci/devices/$bdf/accel" ] || { ok=0; echo "accel node left after unbind"; }
		echo "$bdf" > /sys/bus/pci/drivers/trn/bind || { ok=0; break; }
		[ -e "/sys/bus/pci/devices/$bdf/chip_id" ] || { ok=0; echo "$bdf not rebound"; }
	done
done < <(good_devices)
check "$CYCLES unbind/bind cycles per device" test "$ok" = 1
check_eq "same accel devices after the cycles" "$(minors)" "$before"
check_eq "device count after the cycles" "$(ls /sys/class/accel | wc -l)" "$ngood"
out=$("$NRT_LS" 2>&1)
check "nrt-ls works after the cycles" test $? -eq 0
if kmsg_window "begin $T" "end $T" | kernel_reports | grep .; then
	fail "dmesg clean after the cycles"
else
	pass "dmesg clean after the cycles"
fi
