#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Observability: with a workload (build/tests/dev/nrt_load) keeping core 0
# of the first working device busy and holding 64 MiB of HBM and 8 MiB of
# host memory, the driver's counters (stats/, coreN/), the workload's
# fdinfo, nrt-top's screen (in tmux), its JSON stream (against the schema),
# its Prometheus endpoint (a real scrape with curl), nrt-ls --wide, and an
# ECC error injected through QMP (inject-ecc-corrected) must agree.
# A driver without these features fails the checks that need them, with
# the file that is missing.
# budget: 400 s
. "$TRNVM_REPO/tests/vm/lib.sh"

NRT_TOP=$TRNVM_REPO/build/tools/nrt-top
LOAD=$TRNVM_REPO/build/tests/dev/nrt_load
SCHEMA=$TRNVM_REPO/Documentation/nrt-top.schema.json
PORT=9469
HBM_MIB=64
HOST_MIB=8

first=$(good_devices | head -n 1)
if [ -z "$first" ]; then
	pass "no working device in this VM"
	exit 0
fi
read -r idx bdf _ cores _ <<< "$first"
D=/sys/bus/pci/devices/$bdf
# Devices the driver refused are not listed: the first working one is 0.
dev=0

work=$(mktemp -d)
sock=$work/tmux.sock
load_pid='' prom_pid=''
cleanup() {
	[ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null && wait "$load_pid" 2>/dev/null
	[ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
	tmux -S "$sock" kill-server 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# screen WIDTH HEIGHT SECONDS [ARGS]: nrt-top in tmux, the screen after SECONDS
screen() {
	tmux -S "$sock" kill-server 2>/dev/null
	TERM=xterm tmux -S "$sock" new-session -d -x "$1" -y "$2" "$NRT_TOP -d 0.5 $4" ||
		return 1
	sleep "$3"
	tmux -S "$sock" capture-pane -p
}

# screen_until WIDTH HEIGHT SECONDS ERE... : nrt-top in tmux, the first
# screen within SECONDS that has a line matching each ERE (else the last
# one): rates need two samples, which take longer than any fixed wait on a
# loaded host.
screen_until() {
	local w=$1 h=$2 t=$3 scr i re ok
	shift 3
	scr=$(screen "$w" "$h" 0.5) || return 1
	for ((i = 0; i < t * 4; i++)); do
		ok=1
		for re in "$@"; do
			grep -qE "$re" <<< "$scr" || ok=0
		done
		[ "$ok" = 1 ] && break
		sleep 0.25
		scr=$(tmux -S "$sock" capture-pane -p)
	done
	echo "$scr"
}

# --- the workload -----------------------------------------------------------

# It runs until the cleanup kills it (an hour at most): on a loaded host the
# checks below take longer than any fixed run would be sure to last. Its
# argv[0] is its name alone, so that the screen's command column shows it
# however deep the repository is.
(exec -a nrt_load "$LOAD" -d "$dev" -c 0 -s 3600 -m "$HBM_MIB" -H "$HOST_MIB" \
	> "$work/load.out" 2> "$work/load.err") &
load_pid=$!
if ! wait_for 20 grep -q '^ready' "$work/load.out"; then
	fail "nrt_load did not start: $(cat "$work/load.err")"
	exit 0
fi
pass "nrt_load runs on device $dev core 0 (pid $load_pid)"

# --- sysfs counters -----------------------------------------------------------

for f in stats/jobs_completed stats/dma_bytes stats/hbm_peak stats/ecc_corrected \
	 core0/busy_ns; do
	check "sysfs $f readable" test -r "$D/$f"
done
b0=$(cat "$D/core0/busy_ns" 2>/dev/null)
b1=$(cat "$D/core1/busy_ns" 2>/dev/null)
sleep 1
a0=$(cat "$D/core0/busy_ns" 2>/dev/null)
a1=$(cat "$D/core1/busy_ns" 2>/dev/null)
check "core 0 busy_ns grows under load ($b0 -> $a0)" \
	test "${a0:-0}" -gt "${b0:-0}"
if [ "${cores:-1}" -ge 2 ]; then
	check_eq "core 1 busy_ns stays put while idle" "$a1" "$b1"
fi
check "hbm_peak ($(cat "$D/stats/hbm_peak" 2>/dev/null)) >= hbm_used" \
	test "$(cat "$D/stats/hbm_peak" 2>/dev/null || echo 0)" -ge "$(cat "$D/hbm_used")"
hw=$(grep -l '^trn$' "$D"/hwmon/hwmon*/name 2>/dev/null | head -n 1)
check "hwmon device named trn" test -n "$hw"
hw=${hw%/name}
check "hwmon temp1_input readable" test -r "$hw/temp1_input"
check "hwmon power1_input readable" test -r "$hw/power1_input"

# --- the workload's fdinfo ------------------------------------------------------

# fdinfo KEY: the value (without unit) of the workload's trn file
fdinfo_file=
for f in /proc/"$load_pid"/fdinfo/*; do
	grep -q $'^drm-driver:\ttrn$' "$f" 2>/dev/null && { fdinfo_file=$f; break; }
done
fdinfo() { awk -v k="$1:" '$1 == k { print $2 }' "$fdinfo_file"; }
check "workload has a trn fdinfo" test -n "$fdinfo_file"
[ -n "$fdinfo_file" ] && cat "$fdinfo_file"
check_eq "fdinfo drm-pdev" "$(fdinfo drm-pdev)" "$bdf"
check "fdinfo drm-client-id" test -n "$(fdinfo drm-client-id)"
hbm_kib=$(fdinfo drm-resident-hbm)
host_kib=$(fdinfo drm-resident-memory)
# The buffers, the tensors and the library's own bookkeeping.
check "fdinfo drm-resident-hbm ${hbm_kib} KiB holds the ${HBM_MIB} MiB buffer" \
	test "${hbm_kib:-0}" -ge $((HBM_MIB * 1024)) -a "${hbm_kib:-0}" -le $((HBM_MIB * 1024 + 16384))
check "fdinfo drm-resident-memory ${host_kib} KiB holds the ${HOST_MIB} MiB buffer" \
	test "${host_kib:-0}" -ge $((HOST_MIB * 1024)) -a "${host_kib:-0}" -le $((HOST_MIB * 1024 + 32768))
check_eq "fdinfo drm-total-hbm = drm-resident-hbm" "$(fdinfo drm-total-hbm)" "$hbm_kib"
check_eq "fdinfo drm-engine-capacity-core" "$(fdinfo drm-engine-capacity-core)" "$cores"
c0=$(fdinfo drm-engine-core)
sleep 0.5
check "fdinfo drm-engine-core grows (${c0} ns -> $(fdinfo drm-engine-core) ns)" \
	test "$(fdinfo drm-engine-core)" -gt "${c0:-0}"

# --- the screen ----------------------------------------------------------------

# Wait for both the cores' rates and the workload's row.
scr=$(screen_until 100 30 60 'NC0 *\[[^]]*[0-9.]+%\]' "^ *$load_pid ")
echo "$scr"
nc0=$(grep -o 'NC0 *\[[^]]*\]' <<< "$scr" | grep -o '[0-9.]*%' | tr -d %)
nc1=$(grep -o 'NC1 *\[[^]]*\]' <<< "$scr" | grep -o '[0-9.]*%' | tr -d %)
check "screen: busy core 0 at ${nc0:-?}%" awk -v u="${nc0:--1}" 'BEGIN { exit !(u > 0) }'
if [ "${cores:-1}" -ge 2 ]; then
	check_eq "screen: idle core 1" "$nc1" "0.0"
fi
row=$(grep -E "^ *$load_pid " <<< "$scr")
check "screen: the workload's row ($row)" test -n "$row"
check "screen: the workload's HBM" grep -qE ' (6[4-9]|7[0-9])(\.[0-9])? MiB' <<< "$row"
check "screen: the workload's command" grep -q 'nrt_load' <<< "$row"
# Odd sizes and a resize, then q.
tmux -S "$sock" resize-window -x 40 -y 10 2>/dev/null
sleep 0.7
small=$(tmux -S "$sock" capture-pane -p)
check "screen: redrawn at 40x10" grep -q '^NC0 ' <<< "$small"
tmux -S "$sock" resize-window -x 1 -y 1 2>/dev/null
sleep 0.5
tmux -S "$sock" resize-window -x 100 -y 30 2>/dev/null
sleep 0.7
check "screen: alive after resizing to 1x1 and back" \
	grep -q '^Device 0 ' <<< "$(tmux -S "$sock" capture-pane -p)"
tmux -S "$sock" send-keys l
sleep 0.5
scr=$(tmux -S "$sock" capture-pane -p)
if [ "$(cat "$D/num_links" 2>/dev/null || echo 0)" -gt 0 ]; then
	check "screen: 'l' shows the ports" grep -q '^PORT STATE' <<< "$scr"
fi
tmux -S "$sock" send-keys q
check "screen: q quits" wait_for 3 sh -c "! tmux -S '$sock' has-session 2>/dev/null"

# --- JSON ------------------------------------------------------------------------

"$NRT_TOP" --json -n 2 -d 0.5 > "$work/top.ndjson"
check_eq "nrt-top --json -n 2 exits 0" "$?" 0
check_eq "nrt-top --json -n 2: two lines" "$(wc -l < "$work/top.ndjson")" 2
got=$(python3 - "$SCHEMA" "$work/top.ndjson" "$dev" "$load_pid" "$HBM_MIB" <<'EOF'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
dev, pid, hbm_mib = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
v = jsonschema.Draft202012Validator(schema)
problems = []
docs = []
for n, line in enumerate(open(sys.argv[2]), 1):
    doc = json.loads(line)
    problems += ["line %d: %s at %s" % (n, e.message, list(e.path)) for e in v.iter_errors(doc)]
    docs.append(doc)
d = docs[-1]["devices"][dev]
if not (d["cores"][0]["utilization"] or 0) > 0:
    problems.append("core 0 utilization %r" % d["cores"][0]["utilization"])
if len(d["cores"]) > 1 and d["cores"][1]["utilization"] != 0:
    problems.append("core 1 utilization %r" % d["cores"][1]["utilization"])
procs = [p for p in docs[-1]["processes"] if p["pid"] == pid]
if not procs:
    problems.append("no process %d" % pid)
elif procs[0]["device"] != dev or (procs[0]["hbm_bytes"] or 0) < hbm_mib << 20:
    problems.append("process %r" % procs[0])
elif not (procs[0]["core_util"] or 0) > 0:
    problems.append("process core_util %r" % procs[0]["core_util"])
print("; ".join(problems) or "ok")
EOF
)
check_eq "JSON: valid against the schema, busy and idle cores, the workload" "$got" ok

# As an ordinary user: the devices, not root's processes.
if command -v setpriv > /dev/null; then
	got=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$NRT_TOP" --json -n 1 -d 0.2 2>&1 | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
print(len(d["devices"]) > 0, any(p["pid"] == '"$load_pid"' for p in d["processes"]))')
	check_eq "nrt-top as nobody: devices, not root's processes" "$got" "True False"
fi

# --- Prometheus ---------------------------------------------------------------------

"$NRT_TOP" --prometheus "$PORT" 2> "$work/prom.err" &
prom_pid=$!
check "nrt-top --prometheus listens on 127.0.0.1:$PORT" \
	wait_for 5 curl -sf -o /dev/null "http://127.0.0.1:$PORT/metrics"
curl -sf -D "$work/headers" -o "$work/metrics" "http://127.0.0.1:$PORT/metrics"
check_eq "scrape succeeds" "$?" 0
check "Content-Type of format 0.0.4" grep -qi '^content-type: text/plain; version=0.0.4' \
	"$work/headers"
got=$(python3 - "$work/metrics" "$dev" "$load_pid" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
dev, pid = sys.argv[2], sys.argv[3]
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r"^(%s)(?:\{(?:%s(?:,%s)*)?,?\})? ([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf))$"
                    % (name, label, label))
problems, helps, types, values = [], set(), {}, {}
if not text.endswith("\n"):
    problems.append("no final newline")
for line in text.splitlines():
    if line.startswith("# HELP "):
        helps.add(line.split()[2])
    elif line.startswith("# TYPE "):
        _, _, n, t = line.split()
        types[n] = t
        if (t == "counter") != n.endswith("_total"):
            problems.append("counter naming: " + line)
    elif line.startswith("#"):
        continue
    else:
        m = sample.match(line)
        if not m:
            problems.append("malformed: " + line)
            continue
        if m.group(1) not in types or m.group(1) not in helps:
            problems.append("no HELP/TYPE before: " + line)
        values[line.rsplit(" ", 1)[0]] = float(line.rsplit(" ", 1)[1])
def find(metric, *labels):
    for k, v in values.items():
        if k.startswith(metric + "{") and all(l in k for l in labels):
            return v
    problems.append("missing %s %s" % (metric, labels))
    return None
d = 'device="%s"' % dev
if (find("trn_core_utilization_ratio", d, 'core="0"') or 0) <= 0:
    problems.append("core 0 utilization not > 0")
find("trn_core_busy_seconds_total", d, 'core="0"')
find("trn_hbm_used_bytes", d)
find("trn_hbm_total_bytes", d)
find("trn_jobs_completed_total", d)
find("trn_ecc_corrected_errors_total", d)
find("trn_temperature_celsius", d)
find("trn_power_watts", d)
if (find("trn_process_hbm_bytes", d, 'pid="%s"' % pid) or 0) < 64 << 20:
    problems.append("process HBM too small")
print("; ".join(problems[:5]) or "ok")
EOF
)
check_eq "metrics well-formed, HELP/TYPE present, key metrics" "$got" ok
check_eq "other paths answer 404" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")" 404
kill -TERM "$prom_pid"
wait "$prom_pid"
check_eq "nrt-top --prometheus exits 0 on SIGTERM" "$?" 0
prom_pid=

# --- nrt-ls --wide -------------------------------------------------------------------

wide=$("$NRT_LS" --wide)
echo "$wide"
check "nrt-ls --wide lists the workload" grep -q "$load_pid nrt_load" <<< "$wide"
got=$("$NRT_LS" --wide --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["devices"]['"$dev"']
print(any(p["pid"] == '"$load_pid"' for p in d.get("processes", [])))')
check_eq "nrt-ls --wide --json lists the workload" "$got" True

# --- an injected ECC error ------------------------------------------------------------

if ! qmp_available; then
	fail "ECC injection needs the host QMP agent (run through vm.sh)"
	exit 0
fi
before=$(cat "$D/stats/ecc_corrected" 2>/dev/null || echo missing)
check "qom-set trn$idx inject-ecc-corrected 1" qmp_set "trn$idx" inject-ecc-corrected 1
ecc_grew() { [ "$(cat "$D/stats/ecc_corrected" 2>/dev/null || echo 0)" -gt "${before:-0}" ]; }
check "sysfs stats/ecc_corrected counts it (was $before)" wait_for 5 ecc_grew
after=$(cat "$D/stats/ecc_corrected" 2>/dev/null)
got=$("$NRT_TOP" --json -n 1 -d 0.2 | python3 -c '
import json, sys
print(json.loads(sys.stdin.readline())["devices"]['"$dev"']["errors"]["ecc_corrected"])')
check_eq "JSON errors.ecc_corrected" "$got" "$after"
# The next redraw shows it, whenever a slow guest gets to it.
scr=$(screen_until 100 30 60 "ECC corrected $after ")
echo "$scr"
check "screen shows ECC corrected $after" grep -q "ECC corrected $after " <<< "$scr"
tmux -S "$sock" send-keys q
