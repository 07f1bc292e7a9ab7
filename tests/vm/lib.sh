# SPDX-License-Identifier: GPL-2.0-only
# Helpers for guest tests (sourced). Results are TAP lines "ok - T: desc".

T=${T:-$(basename "$0" .sh)}
DEVICES_TXT=$TRNVM_OUT/devices.txt
NRT_LS=$TRNVM_REPO/build/tools/nrt-ls

pass() { echo "ok - $T: $*"; }
fail() { echo "not ok - $T: $*"; }

# check DESC CMD...: pass if CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (got '$2', want '$3')"; fi
}

# Devices as QEMU was told: "index bdf chip cores hbm_bytes good" per line.
# Root port i sits at 00:(16+i).0, so its device is on bus i+1.
expected_devices() {
	local idx rest props chip cores hbm good
	grep '^device ' "$DEVICES_TXT" | while read -r _ idx _ props; do
		chip=$(echo "$props" | tr ',' '\n' | sed -n 's/^chip-id=//p')
		cores=$(echo "$props" | tr ',' '\n' | sed -n 's/^cores=//p')
		hbm=$(echo "$props" | tr ',' '\n' | sed -n 's/^hbm-size=//p')
		case "$hbm" in
		*G) hbm=$(( ${hbm%G} * 1024 * 1024 * 1024 )) ;;
		*M) hbm=$(( ${hbm%M} * 1024 * 1024 )) ;;
		"") hbm=$((1024 * 1024 * 1024)) ;;
		esac
		case "$props" in *x-magic=*|*x-version=*) good=0 ;; *) good=1 ;; esac
		printf '%d 0000:%02x:00.0 %s %s %s %s %s\n' "$idx" $((idx + 1)) \
			"${chip:-0}" "${cores:-2}" "$hbm" "$good" "$props"
	done
}

good_devices() { expected_devices | awk '$6 == 1'; }

dmesg_has() { dmesg | grep -q -- "$1"; }

# Load the driver the way the tests expect it (short job timeout).
load_trn() {
	modprobe -a drm drm_buddy drm_shmem_helper gpu-sched &&
		insmod "$TRNVM_REPO/kernel/trn.ko" job_timeout_ms=2000
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

# --- NeuronLink cables and the host's QMP agent (see tests/vm/qmp-agent)

# The cables as wired: "A.p B.q" per cable, device index.port at both ends.
cables() { sed -n 's/^cable //p' "$DEVICES_TXT"; }
topology() { sed -n 's/^topology=//p' "$DEVICES_TXT"; }
swapped_cables() { sed -n 's/^swap-cables=//p' "$DEVICES_TXT"; }

# far_end A.p: the index.port at the other end of the cable at A.p, if any.
far_end() {
	cables | awk -v e="$1" '$1 == e { print $2 } $2 == e { print $1 }'
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
