#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# budget: 1800 s
# Collectives of libnrt across every cabled device, one process per device
# (build/tools/nrt-ccl-test): every collective in every type, every
# reduction, in place and not, checked against the CPU reference; the
# algorithms the topology offers forced one by one; the deterministic
# chain on random data; ranks started by a launcher of their own from the
# environment; JSON output. Then failures: a rank killed mid-collective and
# a link taken down mid-collective (through QMP) fail every other rank with
# the cause within a bounded time, the devices get their memory back, and
# a new communicator works once the link is up again.
# Passes with a note where the devices are not cabled.
. "$TRNVM_REPO/tests/vm/lib.sh"

CCL=$TRNVM_REPO/build/tools/nrt-ccl-test

first=$(cables | head -n 1)
n=$(good_devices | wc -l)
if [ -z "$first" ] || [ "$n" -lt 2 ]; then
	pass "no cabled devices in this scenario"
	exit 0
fi
out=$(mktemp -d)

# The tests load the driver with a job timeout of 2 s, meant for jobs that
# hang. 16 ranks queue many jobs, and a starved TCG guest can take longer
# than that for one: run with 30 s, and put the tests' driver back after.
reload() { reload_trn "job_timeout_ms=$1"; }
trap 'rm -rf "$out"; reload 2000 || echo "not ok - $T: the driver back with job_timeout_ms=2000"' EXIT
check "the driver with job_timeout_ms=30000, every cable up" reload 30000

# ccl NAME ARGS...: run nrt-ccl-test; pass if it exits 0 with no wrong element.
ccl() {
	local name=$1
	shift
	if "$CCL" -t 60000 "$@" > "$out/$name.txt" 2> "$out/$name.err" &&
		grep -q '^# Out of bounds values : 0 OK' "$out/$name.txt"; then
		pass "$name ($(grep -c '^ ' "$out/$name.txt") sizes)"
	else
		fail "$name: $(tail -n 3 "$out/$name.err" "$out/$name.txt" | tr '\n' ' ')"
	fi
}

# Every collective in every type (sum), in place and not; every reduction
# in every type; the roots at the far end.
ccl "$n ranks, every collective and type" -o all -d all -r sum -b 1K -e 1K -n 1 -w 0
ccl "$n ranks, every reduction and type" -o all_reduce,reduce_scatter,reduce -d all \
	-r prod,max,min,avg -b 2K -e 2K -n 1 -w 0 -p outofplace
ccl "$n ranks, broadcast and reduce from the last rank" -o broadcast,reduce -R $((n - 1)) \
	-d bf16 -b 64K -e 64K -n 1 -w 0

# The algorithms: what auto picks for the topology, then each forced
auto=$(sed -n 's/^# all_reduce of [0-9]* bytes: \([^;]*\);.*/\1/p' \
	"$out/$n ranks, broadcast and reduce from the last rank.txt")
case "$(topology)" in
torus:*) want="torus2d $(topology | sed 's/torus://')" ;;
*) want=ring ;;
esac
check_eq "all-reduce of 64 KiB picks the topology's algorithm" "$auto" "$want"
for a in ring tree chain $([ "${want%% *}" = torus2d ] && echo torus2d); do
	ccl "all-reduce, algorithm $a" -a "$a" -d fp32 -r sum,max -b 4K -e 256K -f 64 -n 1 -w 0 \
		-p outofplace
done

# Deterministic: random data folded in rank order, bit for bit; as JSON
if "$CCL" -t 60000 -J -D -o all_reduce,reduce_scatter -d bf16 -r sum -b 4K -e 16K -f 4 -n 1 \
	-w 0 > "$out/json.txt" 2> "$out/json.err" && python3 - "$out/json.txt" "$n" << 'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert d["ranks"] == n and d["wrong"] == 0 and d["all_reduce_algorithm"] == "chain"
assert [(r["op"], r["size"]) for r in d["results"]] == [
    ("all_reduce", 4096), ("all_reduce", 16384),
    ("reduce_scatter", 4096), ("reduce_scatter", 16384)]
for r in d["results"]:
    f = 2 * (n - 1) / n if r["op"] == "all_reduce" else (n - 1) / n
    for m in ("out_of_place", "in_place"):
        assert r[m]["wrong"] == 0 and r[m]["time_us"] > 0
        # Six significant digits each
        assert abs(r[m]["busbw_gbps"] - r[m]["algbw_gbps"] * f) <= 1e-4 * r[m]["algbw_gbps"]
EOF
then
	pass "deterministic reductions on random data bit for bit; JSON and nccl-tests' busbw"
else
	fail "deterministic reductions, JSON: $(tail -n 3 "$out/json.err" "$out/json.txt" | tr '\n' ' ')"
fi

# A launcher's ranks: the id and the rank from the environment
id=$("$CCL" --new-id)
pids=()
for ((r = 0; r < n; r++)); do
	NRT_COMM_ID=$id NRT_COMM_RANK=$r NRT_COMM_SIZE=$n NRT_COMM_DEVICE=$r \
		"$CCL" -t 60000 -o all_gather -b 64K -e 64K -n 1 -w 0 -p outofplace \
		> "$out/env$r.txt" 2>&1 &
	pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
check_eq "$n ranks from NRT_COMM_ID, NRT_COMM_RANK and NRT_COMM_SIZE: ranks failed" "$bad" 0
check "the launched rank 0 printed the results" grep -q '^# Out of bounds values : 0 OK' \
	"$out/env0.txt"

# --- failures -----------------------------------------------------------

# The buffer objects of every device, to see that everything comes back.
bos() {
	local d
	for ((d = 0; d < n; d++)); do
		cat "/sys/bus/pci/devices/$(bdf_of "$d")/buffer_objects"
	done | tr '\n' ' '
}
bos0=$(bos)

# run_long NAME: an endless all-reduce in the background ($long: its pid)
run_long() {
	"$CCL" -t 20000 -b 256K -e 256K -n 1000000 -w 1 -c 0 > "$out/$1.txt" 2> "$out/$1.err" &
	long=$!
	# Until the ranks are set up (rank 0 prints its header) and running
	for ((i = 0; i < 1200; i++)); do
		grep -q '^# nrt-ccl-test' "$out/$1.txt" && break
		sleep 0.1
	done
	sleep 3
}

# ended NAME T0: wait for the run, the seconds it took after T0
ended() {
	wait "$long"
	rc=$?
	secs=$(( $(date +%s) - $2 ))
}

# check_failed NAME DESC PATTERN COUNT: COUNT ranks said they failed for
# PATTERN (one line each); the other lines in the message if not
check_failed() {
	local got
	got=$(grep -c "^nrt-ccl-test: rank [0-9]*: .*$3" "$out/$1.err")
	if [ "$got" = "$4" ]; then
		pass "$2: $got ranks"
	else
		fail "$2: $got ranks, not $4: $(grep -v "$3" "$out/$1.err" | head -n 3 | tr '\n' ' ')"
	fi
}

# Rank 2, or rank 1 where there are only two
vr=$((n > 2 ? 2 : 1))
run_long kill
victim=$(children_of "$long" | sed -n "$((vr + 1))p")
if [ -z "$victim" ]; then
	# Nothing to kill: end the endless run rather than wait for the budget.
	fail "rank killed: no rank $vr among the launcher's children"
	kill -KILL $(children_of "$long") "$long" 2> /dev/null
	wait "$long"
	exit 1
fi
t0=$(date +%s)
kill -KILL "$victim"
ended kill "$t0"
check_eq "rank killed: the run fails" "$rc" 1
check "rank killed: every other rank failed within 60 s (took $secs s)" test "$secs" -le 60
check_failed kill "rank killed: the ranks that name the rank that went away" \
	"rank $vr (pid [0-9]*) went away" $((n - 1))
for ((i = 0; i < 100; i++)); do
	[ "$(bos)" = "$bos0" ] && break
	sleep 0.1
done
check_eq "rank killed: every device's buffer objects come back" "$(bos)" "$bos0"

if ! qmp_available; then
	fail "the host QMP agent is not running"
	exit 0
fi
a=${first% *}
ad=${a%.*} ap=${a#*.}
state() { cat "/sys/bus/pci/devices/$(bdf_of "$ad")/link$ap/state"; }
run_long link
t0=$(date +%s)
qmp_set "trn$ad" "port$ap-admin" false > /dev/null
ended link "$t0"
check_eq "port $ad.$ap down: the run fails" "$rc" 1
check "port $ad.$ap down: every rank failed within 60 s (took $secs s)" test "$secs" -le 60
check_failed link "port $ad.$ap down: the ranks that fail for the link" \
	'NeuronLink port of a peer buffer is down' "$n"
check_eq "port $ad.$ap down: the state" "$(state)" down
qmp_set "trn$ad" "port$ap-admin" true > /dev/null
for ((i = 0; i < 200; i++)); do
	[ "$(state)" = up ] && break
	sleep 0.05
done
check_eq "port $ad.$ap up again" "$(state)" up
for ((i = 0; i < 100; i++)); do
	[ "$(bos)" = "$bos0" ] && break
	sleep 0.1
done
check_eq "link down: every device's buffer objects come back" "$(bos)" "$bos0"
ccl "a new communicator once the link is back" -b 1M -e 1M -n 1 -w 0
