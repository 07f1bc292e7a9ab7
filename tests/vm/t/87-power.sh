#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The power cap and throttling (hardware interface 1.8):
# - hwmon power1_cap: root sets it within power1_cap_min..power1_cap_max,
#   EINVAL outside or for garbage; nobody cannot open it for writing, and
#   root without CAP_SYS_ADMIN gets EPERM; each cap set is logged;
# - under a sustained compute load (build/tests/dev/nrt_load on core 0:
#   one core, so that the board can meet the lowest cap with it at 1/8 of
#   its speed), the lowest cap makes throttle_reasons say power_cap, logs it,
#   makes stats/throttled_ns grow and the programs per second drop against
#   the same load uncapped in the same run (means over several seconds,
#   wide margins: the host is noisy); nrt-ls --json shows the cap, nrt-top
#   the throttling, and nrt-diag level 2 fails naming power_cap; lifting
#   the cap ends it; the log and a uevent (build/tests/vm/uevent_watch)
#   tell of the start and of the end;
# - heat, through the host's QMP agent (ambient-temp): throttle_reasons
#   says thermal and nrt-diag level 1 names it; cooled, it ends.
# That the cap survives a reset of the device is checked by 99-reset.
# budget: 300 s
. "$TRNVM_REPO/tests/vm/lib.sh"

LOAD=$TRNVM_REPO/build/tests/dev/nrt_load
WATCH=$TRNVM_REPO/build/tests/vm/uevent_watch
DIAG=$TRNVM_REPO/build/tools/nrt-diag
TOP=$TRNVM_REPO/build/tools/nrt-top
first=$(good_devices | head -n 1)
if [ -z "$first" ]; then
	pass "no working device in this VM"
	exit 0
fi
read -r idx bdf _ <<<"$first"
D=/sys/bus/pci/devices/$bdf
hw=$(grep -l '^trn$' "$D"/hwmon/hwmon*/name 2>/dev/null | head -n 1)
hw=${hw%/name}
if [ -z "$hw" ] || [ ! -e "$hw/power1_cap" ]; then
	fail "no hwmon power1_cap: the device has no power cap (interface $(sysval "$D/hw_version"))"
	exit 0
fi
qdev=trn$((16#${bdf:5:2} - 1))
cap() { sysval "$hw/power1_cap"; }
reasons() { sysval "$D/throttle_reasons"; }
klines() { dmesg | grep -c -- "$1"; }
# watch_start: uevent_watch for one TRN_EVENT=throttle uevent of the device
# in the background, listening, its output in $wout; watch_end: wait for
# it, its exit status in $wst, show what it heard.
watch_start() {
	wout=$(mktemp)
	"$WATCH" "$bdf" throttle 1 20 > "$wout" 2>&1 &
	wpid=$!
	wait_for 10 grep -q '^ready' "$wout"
}
watch_end() {
	wait "$wpid"
	wst=$?
	sed 's/^/# /' "$wout"
}
# setcap VALUE [PREFIX...]: write VALUE to power1_cap, as PREFIX runs a
# shell; prints the error of the write, if any, and fails with it. bash,
# whose echo names the errno (dash's says "I/O error").
setcap() {
	local v=$1 err
	shift
	err=$("$@" bash -c "echo $v > $hw/power1_cap" 2>&1) && return 0
	echo "$err"
	return 1
}
# refused VALUE ERRTEXT [PREFIX...]: the write fails with ERRTEXT
refused() {
	local v=$1 want=$2 err
	shift 2
	err=$(setcap "$v" "$@") && return 1
	grep -q "$want" <<<"$err"
}
min=$(sysval "$hw/power1_cap_min")
max=$(sysval "$hw/power1_cap_max")
loads=()
cleanup() {
	local p
	for p in "${loads[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	echo "$max" > "$hw/power1_cap" 2>/dev/null
	qmp_available && qmp_set "$qdev" ambient-temp 30 > /dev/null
}
trap cleanup EXIT

# --- the files ----------------------------------------------------------------------
check "power1_cap_min ($min) and power1_cap_max ($max) in microwatts, min <= max" \
	test "$min" -gt 0 -a "$min" -le "$max"
check_eq "power1_cap is at its maximum after the probe" "$(cap)" "$max"
check_eq "power1_cap is 0644" "$(stat -c %a "$hw/power1_cap")" 644
check_eq "power1_cap_min is 0444" "$(stat -c %a "$hw/power1_cap_min")" 444
check_eq "power1_cap_max is 0444" "$(stat -c %a "$hw/power1_cap_max")" 444
check_eq "throttle_reasons: none at rest" "$(reasons)" none
check "stats/throttled_ns holds a count of nanoseconds" grep -qxE "[0-9]+" "$D/stats/throttled_ns"

# --- who may set it, to what ---------------------------------------------------------
mid=$(((min + max) / 2 / 1000 * 1000))
n0=$(klines "power cap set to $((mid / 1000)) mW")
check "root sets $mid" setcap "$mid"
check_eq "power1_cap reads $mid" "$(cap)" "$mid"
check "the kernel log says so" test "$(klines "power cap set to $((mid / 1000)) mW")" -gt "$n0"
check "root sets the minimum" setcap "$min"
check_eq "power1_cap reads $min" "$(cap)" "$min"
check "root sets the maximum" setcap "$max"
check "below the minimum: EINVAL" refused $((min - 1000)) "Invalid argument"
check "above the maximum: EINVAL" refused $((max + 1000)) "Invalid argument"
check "negative: EINVAL" refused -1 "Invalid argument"
check "not a number: EINVAL" refused watts "Invalid argument"
check_eq "the refused writes left the cap alone" "$(cap)" "$max"
if command -v setpriv > /dev/null; then
	check "nobody cannot open it for writing" refused "$min" "Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups
	check "root without CAP_SYS_ADMIN: EPERM" refused "$min" "Operation not permitted" \
		setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin
	check_eq "neither changed it" "$(cap)" "$max"
fi

# --- a sustained load, capped ------------------------------------------------------------
# 512x512 matmuls: the core computes most of the time, and draws power
"$LOAD" -d "$idx" -c 0 -s 600 -m 4 -H 1 -n 512 > /dev/null 2>&1 &
loads+=($!)
# rate: programs per second over $1 s of the loaded cores, in thousandths
rate() {
	local s=$1 b=0 a=0 c
	for ((c = 0; c < ${#loads[@]}; c++)); do
		b=$((b + $(sysval "$D/core$c/programs")))
	done
	sleep "$s"
	for ((c = 0; c < ${#loads[@]}; c++)); do
		a=$((a + $(sysval "$D/core$c/programs")))
	done
	echo $(((a - b) * 1000 / s))
}
running() { test "$(sysval "$D/core0/programs")" -gt 0; }
check "the load runs on core 0" wait_for 20 running
sleep 2
free_rate=$(rate 5)
echo "# uncapped: $free_rate programs/ks, $(sysval "$hw/power1_input") uW, $(reasons)"
check "the uncapped load runs programs" test "$free_rate" -gt 0
check_eq "the uncapped load is not throttled" "$(reasons)" none

more_lines() { [ "$(klines "$1")" -gt "$2" ]; }
n0=$(klines "event 203: NeuronCores throttled: power_cap")
t0=$(sysval "$D/stats/throttled_ns")
watch_start
check "root caps it at $min uW" setcap "$min"
check "throttle_reasons says power_cap" wait_for 20 grep -q power_cap "$D/throttle_reasons"
check "the kernel log says the cores are throttled for power_cap (event 203)" \
	wait_for 10 more_lines "event 203: NeuronCores throttled: power_cap" "$n0"
watch_end
check_eq "a change uevent TRN_EVENT=throttle" "$wst" 0
check "it says TRN_THROTTLE=power_cap" grep -q "TRN_THROTTLE=power_cap" "$wout"
sleep 3
capped_rate=$(rate 5)
echo "# capped at $min uW: $capped_rate programs/ks, $(sysval "$hw/power1_input") uW, $(reasons)"
check "throughput drops under the cap ($capped_rate < 80% of $free_rate programs/ks)" \
	test $((capped_rate * 100)) -lt $((free_rate * 80))
check "stats/throttled_ns grows ($t0 -> $(sysval "$D/stats/throttled_ns"))" \
	test "$(sysval "$D/stats/throttled_ns")" -gt "$t0"
json=$("$NRT_LS" --json 2>/dev/null)
check "nrt-ls --json shows the cap ($((min / 1000000)) W)" \
	grep -qE "\"cap_w\": ?$((min / 1000000))(\.0+)?,?\$" <<<"$json"
check "nrt-ls --json shows the reason" grep -q '"throttle_reasons": "power_cap' <<<"$json"
top=$("$TOP" -b -n 2 -d 1 2>/dev/null)
check "nrt-top shows the throttling" grep -q "^Throttled power_cap" <<<"$top"
top=$("$TOP" --json -n 2 -d 1 2>/dev/null | tail -n 1)
check "nrt-top --json: the reason" grep -q '"reasons": *\[ *"power_cap"' <<<"$top"
check "nrt-top --json: a share of the interval throttled" \
	grep -qE '"ratio": *(0\.[0-9]*[1-9]|1)' <<<"$top"
out=$("$DIAG" -r 2 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
check_eq "nrt-diag -r 2 on the capped device: exit 1" "$st" 1
check "it names the cause: throttle, power_cap" \
	grep -qE "throttle.*power_cap|power_cap.*throttle" <<<"$out"
# A site that caps on purpose: --allow-power-cap makes it a warning.
out=$("$DIAG" -r 2 --allow-power-cap -j 2>&1)
got=$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
t = [c["status"] for c in d["checks"] if c["check"] == "throttle"]
print("warn" if "warn" in t and "fail" not in t else "bad: %s" % t)' <<<"$out" 2>&1)
check_eq "nrt-diag -r 2 --allow-power-cap: throttle only warns" "$got" warn

# --- the cap lifted ------------------------------------------------------------------------
n0=$(klines "event 204: NeuronCores no longer throttled: power_cap")
watch_start
check "root lifts the cap" setcap "$max"
check "throttle_reasons: none again" wait_for 20 grep -qx none "$D/throttle_reasons"
check "the kernel log says so (event 204)" \
	wait_for 10 more_lines "event 204: NeuronCores no longer throttled: power_cap" "$n0"
watch_end
check "a uevent says TRN_THROTTLE=none" grep -q "TRN_THROTTLE=none" "$wout"
back_rate=$(rate 5)
echo "# uncapped again: $back_rate programs/ks"
check "throughput recovers ($back_rate > capped $capped_rate programs/ks)" \
	test "$back_rate" -gt "$capped_rate"
for p in "${loads[@]}"; do
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
loads=()

# --- heat ---------------------------------------------------------------------------------
if ! qmp_available; then
	fail "heating the device needs the host QMP agent (run through vm.sh)"
	exit 0
fi
h0=$(klines "event 201: NeuronCores throttled: thermal")
c0=$(klines "event 202: NeuronCores no longer throttled: thermal")
check "qom-set $qdev ambient-temp 80" qmp_set "$qdev" ambient-temp 80
check "throttle_reasons says thermal" wait_for 30 grep -q thermal "$D/throttle_reasons"
check "the kernel log says so (event 201)" \
	wait_for 10 more_lines "event 201: NeuronCores throttled: thermal" "$h0"
echo "# $(sysval "$hw/temp1_input") mC, limit $(sysval "$hw/temp1_max") mC"
out=$("$DIAG" -r 1 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
check_eq "nrt-diag -r 1 on the hot device: exit 1" "$st" 1
check "it names the cause: throttled: thermal" grep -q "throttled: thermal" <<<"$out"
too_hot() { ! qmp_set "$qdev" ambient-temp 151 > /dev/null; }
check "qom-set ambient-temp 151 is refused" too_hot
check "qom-set $qdev ambient-temp 30" qmp_set "$qdev" ambient-temp 30
check "cooled, throttle_reasons: none" wait_for 30 grep -qx none "$D/throttle_reasons"
check "the kernel log says so (event 202)" \
	wait_for 10 more_lines "event 202: NeuronCores no longer throttled: thermal" "$c0"
