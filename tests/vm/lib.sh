# SPDX-License-Identifier: GPL-2.0-only
# Helpers for guest tests (sourced). Results are TAP lines "ok - T: desc".

T=${T:-$(basename "$0" .sh)}
DEVICES_TXT=$TRNVM_OUT/devices.txt
NRT_LS=$TRNVM_REPO/build/tools/nrt-ls
# trn.ko built for the guest kernel (vm.sh --kernel), the tree's by default
TRN_KO=${TRNVM_TRNKO:-$TRNVM_REPO/kernel/trn.ko}

pass() { echo "ok - $T: $*"; }
fail() { echo "not ok - $T: $*"; }

# check DESC CMD...: pass if CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# sysval FILE: the first line of a sysfs file, read without starting a
# process, or "missing: FILE".
sysval() {
	local v=
	if { read -r v || [ -n "$v" ]; } 2> /dev/null < "$1"; then
		echo "$v"
	else
		echo "missing: $1"
	fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (got '$2', want '$3')"; fi
}

# Devices as QEMU was told: "index bdf chip cores hbm_bytes good" per line.
# Root port i sits at 00:(16+i).0, so its device is on bus i+1.
expected_devices() {
	local kw idx props kv chip cores hbm good
	local -a kvs
	# Shell builtins only: with 16 devices, a few processes per device cost
	# seconds under TCG, and the tests call this often.
	while read -r kw idx _ props; do
		[ "$kw" = device ] || continue
		chip= cores= hbm=
		IFS=, read -ra kvs <<< "$props"
		for kv in "${kvs[@]}"; do
			case "$kv" in
			chip-id=*) chip=${kv#*=} ;;
			cores=*) cores=${kv#*=} ;;
			hbm-size=*) hbm=${kv#*=} ;;
			esac
		done
		case "$hbm" in
		*G) hbm=$(( ${hbm%G} * 1024 * 1024 * 1024 )) ;;
		*M) hbm=$(( ${hbm%M} * 1024 * 1024 )) ;;
		"") hbm=$((1024 * 1024 * 1024)) ;;
		esac
		case "$props" in *x-magic=*|*x-version=*) good=0 ;; *) good=1 ;; esac
		printf '%d 0000:%02x:00.0 %s %s %s %s %s\n' "$idx" $((idx + 1)) \
			"${chip:-0}" "${cores:-2}" "$hbm" "$good" "$props"
	done < "$DEVICES_TXT"
}

good_devices() {
	local line f
	while read -r line; do
		read -r _ _ _ _ _ f _ <<< "$line"
		[ "$f" = 1 ] && echo "$line"
	done < <(expected_devices)
}

dmesg_has() { dmesg | grep -q -- "$1"; }

# wait_for SECONDS CMD...: until CMD succeeds, polling every 0.1 s; false
# if it did not within SECONDS.
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Load the driver the way the tests expect it (short job timeout).
load_trn() {
	"$TRNVM_REPO/tests/vm/load-trn" job_timeout_ms=2000
}

# Unload the driver. A fence of trn's holds the module until a grace period
# after its release, so right after the last program exits rmmod may find
# it in use for a moment: try again for up to 10 s.
unload_trn() {
	local i
	for ((i = 0; i < 100; i++)); do
		rmmod trn 2> /dev/null && return 0
		grep -q '^trn ' /proc/modules || return 1
		sleep 0.1
	done
	rmmod trn && return 0
	# Why, in the report: how many hold the module, and whether files do.
	fail "rmmod trn: still in use after 10 s, refcnt" \
	     "$(cat /sys/module/trn/refcnt 2> /dev/null), open device files:" \
	     "$(find /proc/[0-9]*/fd -lname '/dev/accel/*' 2> /dev/null | wc -l)"
	return 1
}

# children_of PID: the pids of the children of PID (not the calling shell),
# oldest first, from /proc: neither procps, which a minimal Debian lacks, nor
# /proc/PID/task/*/children, which Debian's kernels are built without.
children_of() {
	local st
	for st in /proc/[0-9]*/status; do
		awk -v p="$1" '/^PPid:/ { if ($2 == p) print FILENAME; exit }' "$st" 2> /dev/null
	done | sed 's|^/proc/||; s|/status$||' | sort -n
}

# --- kernel reports: what the debug kernel's checkers (and any kernel) print
# when something is wrong (tests/vm/kernel-reports). An allocation failure
# is reported too, with its stack, except where a test expects them.
KREPORT_RE=$(grep -v '^#' "$TRNVM_REPO/tests/vm/kernel-reports" | paste -sd '|')

# kernel_reports [ALLOWED_ERE]: the report lines of the kernel log read on
# stdin. Lines matching ALLOWED_ERE (e.g. 'page allocation failure') are
# expected, and so is the stack trace that follows them.
kernel_reports() {
	awk -v re="$KREPORT_RE" -v allow="${1:-}" '
		allow != "" && $0 ~ allow { expect_trace = 1; next }
		/Call Trace:/ { if (!expect_trace) print; next }
		$0 ~ re { print; expect_trace = 0 }'
}

# kmsg_mark TEXT: a line in the kernel log, so that reports can be told
# apart by test (see kmsg_window).
kmsg_mark() { echo "trnvm: $*" > /dev/kmsg 2>/dev/null || true; }

# kmsg_window BEGIN END: the kernel log between two marks (from the start of
# the log if BEGIN is gone, to its end if END is not there yet).
kmsg_window() {
	dmesg | awk -v b="trnvm: $1" -v e="trnvm: $2" '
		function ends(x) { return substr($0, length($0) - length(x) + 1) == x }
		{ line[NR] = $0 }
		ends(b) && !s { s = NR }
		ends(e) && !t { t = NR }
		END { if (!t) t = NR + 1; for (i = s + 1; i < t; i++) print line[i] }'
}

# kmemleak_scan: suspected leaks since the last call (or kmemleak_clear), on
# stdout; nothing if the kernel has no kmemleak. Objects must be 5 s old to
# be reported, and the second scan confirms what the first one found.
KMEMLEAK=/sys/kernel/debug/kmemleak
kmemleak_clear() { [ ! -w "$KMEMLEAK" ] || echo clear > "$KMEMLEAK"; }
kmemleak_scan() {
	[ -w "$KMEMLEAK" ] || return 0
	sleep 6
	echo scan > "$KMEMLEAK"
	sleep 2
	echo scan > "$KMEMLEAK"
	cat "$KMEMLEAK"
	echo clear > "$KMEMLEAK"
}

# The long data-path tests run in one scenario only (default: "single").
scenario() { sed -n 's/^scenario=//p' "$DEVICES_TXT"; }
full_run() { [ "$(scenario)" = "${TRN_FULL_SCENARIO:-single}" ] || [ "$(scenario)" = devices-1 ]; }

# The long tests on the first working device run only in the full-run
# scenario: exit with a passing line elsewhere, or without a working device.
long_test_or_exit() {
	if [ "$(good_devices | wc -l)" -eq 0 ]; then
		pass "no working device in this VM"
		exit 0
	fi
	if ! full_run; then
		pass "runs in the single-device scenario"
		exit 0
	fi
}

# The debug kernel (KASAN, lockdep, kmemleak) runs everything several times
# slower: tests that repeat something for its own sake repeat it less there.
debug_kernel() { [ -e /sys/kernel/debug/kmemleak ]; }

# Tests of the debug kernel (15-faults, 16-fuzz) run in the "faults"
# scenario under a kernel that has FILE (a debugfs file of the feature they
# use): exit with a passing line elsewhere, or without a working device.
debug_test_or_exit() {
	if [ ! -e "$1" ]; then
		pass "needs the debug kernel (vm.sh --kernel debug): no $1"
		exit 0
	fi
	if [ "$(scenario)" != faults ]; then
		pass "runs in the faults scenario"
		exit 0
	fi
	if [ "$(good_devices | wc -l)" -eq 0 ]; then
		pass "no working device in this VM"
		exit 0
	fi
}

# --- NeuronLink cables and the host's QMP agent (see tests/vm/qmp-agent)

# The cables as wired: "A.p B.q" per cable, device index.port at both ends.
cables() { sed -n 's/^cable //p' "$DEVICES_TXT"; }
topology() { sed -n 's/^topology=//p' "$DEVICES_TXT"; }
swapped_cables() { sed -n 's/^swap-cables=//p' "$DEVICES_TXT"; }
bdf_of() { printf '0000:%02x:00.0' $(($1 + 1)); }

# links_up: wait (30 s at most) until every cable's ports are up.
links_up() {
	local e d p i up
	for ((i = 0; i < 300; i++)); do
		up=1
		for e in $(cables | tr ' ' '\n'); do
			d=${e%.*} p=${e#*.}
			[ "$(cat "/sys/bus/pci/devices/$(bdf_of "$d")/link$p/state" \
				2> /dev/null)" = up ] || { up=0; break; }
		done
		[ "$up" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# reload_trn PARAM...: the driver again with these module parameters (the
# tests' are "job_timeout_ms=2000"), once its cables are up.
reload_trn() {
	unload_trn && "$TRNVM_REPO/tests/vm/load-trn" "$@" && links_up
}

# far_end A.p: the index.port at the other end of the cable at A.p, if any.
# The cables are read once, when this file is sourced: tests call far_end
# for every port, in command substitutions, where a cache would not last.
declare -A TRN_FAR_END=()
if [ -f "$DEVICES_TXT" ]; then
	while read -r kw a b; do
		[ "$kw" = cable ] || continue
		TRN_FAR_END[$a]=$b
		TRN_FAR_END[$b]=$a
	done < "$DEVICES_TXT"
	unset kw a b
fi
far_end() {
	[ -n "${TRN_FAR_END[$1]:-}" ] && echo "${TRN_FAR_END[$1]}"
	return 0
}

# The host agent answers requests (it runs unless the VM was started
# without vm.sh).
qmp_available() { [ -f "$TRNVM_OUT/qmp/agent.ready" ]; }

# qmp_request LINE [TIMEOUT_S]: hand one request to the host agent and wait
# for its answer; prints the answer (the value, or the error message) and
# succeeds if it was "ok".
qmp_request() {
	local line=$1 tmo=${2:-10} dir=$TRNVM_OUT/qmp name resp i
	name=g$$-$RANDOM-$SECONDS
	printf '%s\n' "$line" > "$dir/$name.tmp" &&
		mv "$dir/$name.tmp" "$dir/$name.req" || return 1
	for ((i = 0; i < tmo * 20; i++)); do
		if [ -f "$dir/$name.resp" ]; then
			resp=$(cat "$dir/$name.resp")
			rm -f "$dir/$name.resp"
			echo "${resp#* }"
			[ "${resp%% *}" = ok ]
			return
		fi
		sleep 0.05
	done
	rm -f "$dir/$name.req"
	echo "no answer from the host QMP agent within $tmo s"
	return 1
}

# qmp_set DEV PROP VALUE: qom-set on /machine/peripheral/DEV (e.g.
# qmp_set trn3 port1-admin false); qmp_get DEV PROP prints the value.
qmp_set() { qmp_request "qom-set $1 $2 $3"; }
qmp_get() { qmp_request "qom-get $1 $2"; }
