#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The driver's counters and sensors (Documentation/sysfs.rst): job and DMA
# counters move with the jobs that ran, stats/clear zeroes them for root
# and is refused to others, the hwmon device reports a temperature and a
# power that rise under load (also through lm-sensors' `sensors`), and ECC
# errors injected through QMP (inject-ecc-uncorrected) are counted, kept by
# stats/clear and zeroed by stats/ecc_clear.
# budget: 240 s
. "$TRNVM_REPO/tests/vm/lib.sh"

LOAD=$TRNVM_REPO/build/tests/dev/nrt_load
first=$(good_devices | head -n 1)
if [ -z "$first" ]; then
	pass "no working device in this VM"
	exit 0
fi
read -r idx bdf _ cores _ <<< "$first"
D=/sys/bus/pci/devices/$bdf
if [ ! -d "$D/stats" ]; then
	fail "the driver has no stats/ directory"
	exit 0
fi
val() { cat "$D/$1" 2>/dev/null || echo missing; }

# --- clear: root only, everything to zero --------------------------------------

check "stats/clear is write-only for root" test "$(stat -c %a "$D/stats/clear")" = 200
if command -v setpriv > /dev/null; then
	check "stats/clear refused to an ordinary user" \
		bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups \
			sh -c 'echo 1 > $D/stats/clear' 2>/dev/null"
fi
check "echo 1 > stats/clear" sh -c "echo 1 > $D/stats/clear"
check "echo 0 > stats/clear is refused" sh -c "! echo 0 > $D/stats/clear 2>/dev/null"
for f in stats/jobs_completed stats/jobs_failed stats/jobs_timed_out stats/dma_bytes \
	 stats/dma_busy_ns core0/busy_ns core0/programs core0/jobs_completed; do
	check_eq "$f after clear" "$(val "$f")" 0
done
check_eq "stats/hbm_peak after clear = hbm_used" "$(val stats/hbm_peak)" "$(val hbm_used)"

# --- jobs and DMA ------------------------------------------------------------------

# The die cools towards its idle temperature with a time constant of 2 s
# (qemu/trn-health.c): wait until it has settled, so that an earlier test's
# heavier load cannot make this one's look like cooling.
temp_now() { cat "$D"/hwmon/hwmon*/temp1_input 2>/dev/null | head -n 1; }
temp0=$(temp_now)
for ((i = 0; i < 30; i++)); do
	sleep 1
	t=$(temp_now)
	[ $(( ${temp0:-0} - ${t:-0} )) -lt 20 ] && { temp0=$t; break; }
	temp0=$t
done
# The hottest the die gets while the load runs: it cools again within
# seconds of the end, faster than the checks below run on a loaded host.
"$LOAD" -d 0 -c 0 -s 4 -m 16 -H 1 > /dev/null 2>&1 &
load=$!
temp1=$temp0
while kill -0 "$load" 2>/dev/null; do
	t=$(temp_now)
	[ "${t:-0}" -gt "${temp1:-0}" ] && temp1=$t
	sleep 0.2
done
wait "$load"
check_eq "nrt_load runs 4 s on core 0" "$?" 0
jobs=$(val stats/jobs_completed)
check "stats/jobs_completed counts its jobs ($jobs)" test "$jobs" -gt 0
check "core0/jobs_completed ($(val core0/jobs_completed)) <= all" \
	test "$(val core0/jobs_completed)" -gt 0 -a "$(val core0/jobs_completed)" -le "$jobs"
check "core0/programs ($(val core0/programs))" test "$(val core0/programs)" -gt 0
check "core0/flops ($(val core0/flops))" test "$(val core0/flops)" -gt 0
check "stats/dma_bytes ($(val stats/dma_bytes)) counts nrt_load's fills (17 MiB)" \
	test "$(val stats/dma_bytes)" -ge $((17 << 20))
check "stats/dma_busy_ns ($(val stats/dma_busy_ns))" test "$(val stats/dma_busy_ns)" -gt 0
if [ "${cores:-1}" -ge 2 ]; then
	check_eq "core1/busy_ns of the idle core" "$(val core1/busy_ns)" 0
fi
check "stats/hbm_peak ($(val stats/hbm_peak)) saw the 16 MiB" \
	test "$(val stats/hbm_peak)" -ge $((16 << 20))
check_eq "stats/jobs_failed" "$(val stats/jobs_failed)" 0

# --- sensors ---------------------------------------------------------------------------

hw=$(grep -l '^trn$' "$D"/hwmon/hwmon*/name 2>/dev/null | head -n 1)
hw=${hw%/name}
check "hwmon device named trn" test -n "$hw"
check "temperature rose under load (${temp0:-?} -> ${temp1:-?} m°C)" \
	test "${temp1:-0}" -gt "${temp0:-0}"
check "temp1_max < temp1_crit" test "$(cat "$hw/temp1_max")" -lt "$(cat "$hw/temp1_crit")"
check_eq "temp1_label" "$(cat "$hw/temp1_label" 2>/dev/null)" chip
p=$(cat "$hw/power1_input" 2>/dev/null) pmax=$(cat "$hw/power1_rated_max" 2>/dev/null)
check "power1_input ${p:-?} uW within (0, power1_rated_max ${pmax:-?}]" \
	test "${p:-0}" -gt 0 -a "${p:-0}" -le "${pmax:-0}"
if command -v sensors > /dev/null; then
	out=$(sensors 2>&1)
	echo "$out"
	check "sensors lists the trn chip" grep -q '^trn-pci-' <<< "$out"
	check "sensors shows its temperature" grep -q '^chip: *+[0-9.]*°C' <<< "$out"
else
	fail "lm-sensors (sensors) is not installed on the host"
fi

# --- ECC ---------------------------------------------------------------------------------

if ! qmp_available; then
	fail "ECC injection needs the host QMP agent (run through vm.sh)"
	exit 0
fi
unc0=$(val stats/ecc_uncorrected)
check "qom-set trn$idx inject-ecc-uncorrected 3" qmp_set "trn$idx" inject-ecc-uncorrected 3
check_eq "stats/ecc_uncorrected counts 3" "$(val stats/ecc_uncorrected)" $((unc0 + 3))
check "echo 1 > stats/clear" sh -c "echo 1 > $D/stats/clear"
check_eq "stats/clear leaves stats/ecc_uncorrected" "$(val stats/ecc_uncorrected)" $((unc0 + 3))
check "echo 1 > stats/ecc_clear" sh -c "echo 1 > $D/stats/ecc_clear"
check_eq "stats/ecc_clear zeroes it" "$(val stats/ecc_uncorrected)" 0
