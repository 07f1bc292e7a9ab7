#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Uncorrectable memory errors, injected through the host's QMP agent
# (inject-ecc-uncorrected-addr, hardware interface 1.6):
# - in a free page: a kernel log line, a uevent and a netlink event
#   (build/tests/vm/ecc_watch), the page in retired_pages, and the
#   allocator never hands it out again: all of HBM taken and FILLed by the
#   device (build/tests/vm/ecc_victim), no job fails, and there is a page
#   less of it;
# - in a page of live objects (all of HBM held by ecc_victim): the jobs
#   that reach it fail with EIO, the others succeed; the page is pending
#   until the objects are freed, then retired;
# - the counters: stats/clear leaves them; stats/ecc_clear (root only,
#   logged as event 110), an FLR and a reload of the driver zero the
#   volatile ones and leave the aggregate ones; the retired pages stay
#   retired across both;
# - every kernel log line carries its event code (operator-guide.rst,
#   "Event codes");
# - a full error log: errors past its end poison pages the driver cannot
#   retire; it counts them (unlogged_pages), says so in the kernel log, a
#   uevent and a netlink event, nrt-diag fails, and a reload keeps the
#   count; then the model's x-ecc-replace puts a new board in the slot.
# The later tests of the same VM get the new board: nothing poisoned.
# budget: 420 s
. "$TRNVM_REPO/tests/vm/lib.sh"

VICTIM=$TRNVM_REPO/build/tests/vm/ecc_victim
WATCH=$TRNVM_REPO/build/tests/vm/ecc_watch
first=$(good_devices | head -n 1)
if [ -z "$first" ]; then
	pass "no working device in this VM"
	exit 0
fi
read -r idx bdf _ <<<"$first"
D=/sys/bus/pci/devices/$bdf
if ! qmp_available; then
	fail "ECC injection needs the host QMP agent (run through vm.sh)"
	exit 0
fi
if [ ! -e "$D/retired_pages" ]; then
	fail "no retired_pages: the device has no ECC log (interface $(cat "$D/hw_version"))"
	exit 0
fi
qdev=trn$((16#${bdf:5:2} - 1))
node() { echo "/dev/accel/$(ls "$D/accel")"; }
val() { cat "$D/$1" 2>/dev/null || echo missing; }
klines() { dmesg | grep -c -- "$1"; }
used0=$(val hbm_used)
# The memory of a process is freed after close() returns: wait for it.
settle() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(val hbm_used)" = "$used0" ] && return 0
		sleep 0.1
	done
	return 1
}
# fill: "BYTES FAILED" of ecc_victim fill
fill() { "$VICTIM" fill "$(node)" | sed -n 's/^filled=\([0-9]*\) failed=\([0-9]*\)$/\1 \2/p'; }
# watch_start: ecc_watch in the background, listening, its output in $wout;
# watch_end: wait for it, its exit status in $st, show what it heard.
watch_start() {
	local i
	wout=$(mktemp)
	"$WATCH" "$bdf" 30 > "$wout" 2>&1 &
	wpid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$wout" && break
		sleep 0.1
	done
}
watch_end() {
	wait "$wpid"
	st=$?
	sed 's/^/# /' "$wout"
}

# --- before -----------------------------------------------------------------------------
read -r filled0 failed0 <<<"$(fill)"
check_eq "all of HBM taken and FILLed before any error: no job fails" "$failed0" 0
check "it is memory returned" settle
agg0=$(val stats/ecc_uncorrected_aggregate)
vol0=$(val stats/ecc_uncorrected)
retired0=$(wc -l < "$D/retired_pages")

# --- a free page ----------------------------------------------------------------------------
# The allocator hands out memory from the top down: on an idle device,
# what the driver holds (the export space's tables) is at the end, and the
# page at 1 MiB is free. The driver must say "retired", not "pending".
addr=0x100000
watch_start
line="$bdf: event 101: uncorrectable ECC error in HBM page $addr: page retired"
log0=$(klines "$line")
check "qom-set $qdev inject-ecc-uncorrected-addr $addr" \
	qmp_set "$qdev" inject-ecc-uncorrected-addr "$addr"
watch_end
check_eq "ecc_watch heard a uevent and a netlink event" "$st" 0
check "uevent: TRN_EVENT=ecc, the address, retired" \
	grep -qx "uevent TRN_ECC_ADDR=$addr TRN_ECC_PAGE=retired" "$wout"
check "netlink: the device, the address, retired, the aggregate count, the retired pages" \
	grep -qx "netlink bdf=$bdf addr=$addr page=retired total=$((agg0 + 1)) retired=$((retired0 + 1)) unlogged=0" \
	"$wout"
rm -f "$wout"
check "the kernel log says so: $line" test "$(klines "$line")" -gt "$log0"
check "retired_pages lists $addr" grep -qx "$addr" "$D/retired_pages"
check_eq "retired_pages_pending is empty" "$(val retired_pages_pending)" ""
check_eq "stats/ecc_uncorrected counts it" "$(val stats/ecc_uncorrected)" $((vol0 + 1))
check_eq "stats/ecc_uncorrected_aggregate counts it" \
	"$(val stats/ecc_uncorrected_aggregate)" $((agg0 + 1))
read -r filled1 failed1 <<<"$(fill)"
check_eq "all of HBM taken and FILLed again: no job meets the page" "$failed1" 0
check_eq "a page less to take" "$filled1" $((filled0 - 4096))
check "memory returned" settle

# --- a page in use ------------------------------------------------------------------------
# All of HBM held by objects: the page in the middle is one of theirs, or
# one of their page tables.
vaddr=$(printf '0x%x' $(($(val hbm_size) / 2)))
fifo=$(mktemp -u)
mkfifo "$fifo"
vout=$(mktemp)
"$VICTIM" hold "$(node)" < "$fifo" > "$vout" 2>&1 &
vpid=$!
exec 3> "$fifo"
for ((i = 0; i < 600; i++)); do
	grep -q '^ready' "$vout" && break
	sleep 0.1
done
check "ecc_victim holds all of HBM" grep -q '^ready' "$vout"
check "qom-set $qdev inject-ecc-uncorrected-addr $vaddr" \
	qmp_set "$qdev" inject-ecc-uncorrected-addr "$vaddr"
for ((i = 0; i < 100; i++)); do
	grep -qx "$vaddr" "$D/retired_pages_pending" && break
	sleep 0.1
done
check "retired_pages_pending lists it" grep -qx "$vaddr" "$D/retired_pages_pending"
check "retired_pages does not" bash -c "! grep -qx '$vaddr' '$D/retired_pages'"
check "the kernel log says it is in use" \
	dmesg_has "$bdf: event 102: uncorrectable ECC error in HBM page $vaddr: in use"
# A victim that died early must fail the checks below, not end the script.
trap '' PIPE
echo go >&3
exec 3>&-
trap - PIPE
wait "$vpid"
check_eq "the victim ran its jobs" "$?" 0
sed 's/^/# /' "$vout"
check "jobs that reach the page fail with EIO, the others succeed" \
	grep -qE '^ok=[1-9][0-9]* eio=[1-9][0-9]* other=0$' "$vout"
rm -f "$fifo" "$vout"
for ((i = 0; i < 300; i++)); do
	grep -qx "$vaddr" "$D/retired_pages" && break
	sleep 0.1
done
check "once the objects are freed, retired_pages lists it" grep -qx "$vaddr" "$D/retired_pages"
check_eq "and nothing is pending" "$(val retired_pages_pending)" ""
check "the kernel log says so" \
	dmesg_has "$bdf: event 106: HBM page $vaddr retired: its last user freed it"
check "memory returned" settle

# --- volatile and aggregate counters --------------------------------------------------
agg=$(val stats/ecc_uncorrected_aggregate)
check_eq "aggregate: the two errors" "$agg" $((agg0 + 2))
unc=$(val stats/ecc_uncorrected)
check "echo 1 > stats/clear" sh -c "echo 1 > $D/stats/clear"
check_eq "stats/clear leaves stats/ecc_uncorrected" "$(val stats/ecc_uncorrected)" "$unc"
check "stats/ecc_clear is write-only for root" test "$(stat -c %a "$D/stats/ecc_clear")" = 200
check "stats/clear kept a count to clear" test "$unc" -gt 0
if command -v setpriv > /dev/null; then
	# Root without CAP_SYS_ADMIN opens the file (mode 0200) and must be
	# refused by the driver's own check, with EPERM.
	# (bash, not dash: dash says "I/O error" whatever the errno)
	out=$(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin \
		bash -c "echo 1 > $D/stats/ecc_clear" 2>&1)
	check "stats/ecc_clear refused without CAP_SYS_ADMIN (EPERM)" \
		grep -q "Operation not permitted" <<<"$out"
	check "stats/ecc_clear refused to an ordinary user" \
		bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups \
			sh -c 'echo 1 > $D/stats/ecc_clear' 2>/dev/null"
	check_eq "who may not clear clears nothing" "$(val stats/ecc_uncorrected)" "$unc"
fi
check "echo 0 > stats/ecc_clear is refused" sh -c "! echo 0 > $D/stats/ecc_clear 2>/dev/null"
cleared="$bdf: event 110: volatile ECC counts cleared by"
cleared0=$(klines "$cleared")
check "echo 1 > stats/ecc_clear" sh -c "echo 1 > $D/stats/ecc_clear"
check_eq "stats/ecc_clear zeroes stats/ecc_uncorrected" "$(val stats/ecc_uncorrected)" 0
check_eq "and stats/ecc_corrected" "$(val stats/ecc_corrected)" 0
check_eq "and leaves the aggregate" "$(val stats/ecc_uncorrected_aggregate)" "$agg"
ecc_logged() {
	[ "$(klines "$cleared")" -gt "$cleared0" ] &&
		dmesg | grep -- "$cleared" | tail -n 1 |
		grep -qE "they were [0-9]+ corrected, $unc uncorrected\$"
}
check "the kernel log says who and what (event 110)" ecc_logged
dmesg | grep -- "$cleared" | tail -n 1 | sed 's/^/# /'

check "qom-set $qdev inject-ecc-uncorrected 1 (no address)" \
	qmp_set "$qdev" inject-ecc-uncorrected 1
check "qom-set $qdev inject-ecc-corrected 2" qmp_set "$qdev" inject-ecc-corrected 2
agg=$((agg + 1))
cagg=$(val stats/ecc_corrected_aggregate)
check_eq "volatile counts it" "$(val stats/ecc_uncorrected)" 1
check_eq "aggregate counts it" "$(val stats/ecc_uncorrected_aggregate)" "$agg"
back="$bdf: event 404: function level reset: the device is back"
flr0=$(klines "$back")
check "FLR: echo 1 > $D/reset" sh -c "echo 1 > $D/reset"
for ((i = 0; i < 100; i++)); do
	[ "$(klines "$back")" -gt "$flr0" ] && break
	sleep 0.1
done
check "the device is back" test "$(klines "$back")" -gt "$flr0"
check_eq "after the FLR, stats/ecc_uncorrected is 0" "$(val stats/ecc_uncorrected)" 0
check_eq "stats/ecc_corrected is 0" "$(val stats/ecc_corrected)" 0
check_eq "stats/ecc_uncorrected_aggregate is kept" "$(val stats/ecc_uncorrected_aggregate)" "$agg"
check_eq "stats/ecc_corrected_aggregate is kept" "$(val stats/ecc_corrected_aggregate)" "$cagg"
check "both pages stay retired" \
	bash -c "grep -qx '$addr' '$D/retired_pages' && grep -qx '$vaddr' '$D/retired_pages'"

check "rmmod trn" rmmod trn
check "load trn.ko again" load_trn
wait_for 10 test -e "$D/retired_pages"
check_eq "after the reload, stats/ecc_uncorrected is 0" "$(val stats/ecc_uncorrected)" 0
check_eq "stats/ecc_uncorrected_aggregate is kept" "$(val stats/ecc_uncorrected_aggregate)" "$agg"
check_eq "stats/ecc_corrected_aggregate is kept" "$(val stats/ecc_corrected_aggregate)" "$cagg"
check "the driver retired both pages again at bind" \
	bash -c "grep -qx '$addr' '$D/retired_pages' && grep -qx '$vaddr' '$D/retired_pages'"
check "and said so" \
	dmesg_has "$bdf: event 107: [0-9]* HBM pages retired after earlier uncorrectable ECC errors"
read -r filled2 failed2 <<<"$(fill)"
check_eq "all of HBM taken and FILLed after the reload: no job meets the pages" "$failed2" 0
check "memory returned" settle

# --- what the tools say ----------------------------------------------------------------
got=$("$NRT_LS" --json | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin)["devices"] if x["pci_bdf"] == sys.argv[1]][0]["ecc"]
print(d["uncorrected"], d["uncorrected_aggregate"], d["retired_pages"], d["retired_pages_pending"])
' "$bdf")
check_eq "nrt-ls --json ecc: volatile, aggregate, retired, pending" "$got" "0 $agg 2 0"
check "nrt-ls --wide shows them" bash -c "'$NRT_LS' --wide | grep -q '| 0/$agg 2 retired '"
got=$("$TRNVM_REPO/build/tools/nrt-diag" -r 1 -j 2>/dev/null | python3 -c '
import json, sys
for c in json.load(sys.stdin)["checks"]:
    if c["check"] == "ecc" and c["pci_bdf"] == sys.argv[1]:
        print(c["status"], c["message"])
' "$bdf")
check_eq "nrt-diag -r 1: ecc passes, naming the retired pages" "$got" \
	"pass no uncorrectable ECC error (0 corrected, 2 HBM pages retired)"

# --- a full error log --------------------------------------------------------------------
# The log is the device's bounded table of retired pages (64 entries in the
# model). Fill it with errors in free pages from 2 MiB up, until the driver
# counts a page past its end; then one more error: it is poisoned but
# cannot be retired, and the driver says so every way it can.
full=
for ((i = 0; i < 300; i++)); do
	qmp_set "$qdev" inject-ecc-uncorrected-addr \
		"$(printf '0x%x' $((0x200000 + i * 4096)))" > /dev/null || break
	n=$(val unlogged_pages)
	[ "$n" != 0 ] && [ "$n" != missing ] && { full=1; break; }
done
check "the driver counts a page past the full log ($((i + 1)) errors injected)" test -n "$full"
for ((i = 0; i < 50; i++)); do
	[ -n "$(val unlogged_pages)" ] && [ "$(val unlogged_pages)" != 0 ] && break
	sleep 0.1
done
sleep 1
nfull=$(val unlogged_pages)
logged=$(($(wc -l < "$D/retired_pages") + $(wc -l < "$D/retired_pages_pending")))
check_eq "the log's pages are all retired or pending: 64 in the model" "$logged" 64
check "retired_pages holds whole lines only" \
	bash -c "! grep -qvxE '0x[0-9a-f]+' '$D/retired_pages'"
agg=$(val stats/ecc_uncorrected_aggregate)
retired=$(wc -l < "$D/retired_pages")
ulog=0x1000
watch_start
line="not logged: the error log is full"
log0=$(klines "$line")
check "qom-set $qdev inject-ecc-uncorrected-addr $ulog (past the full log)" \
	qmp_set "$qdev" inject-ecc-uncorrected-addr "$ulog"
watch_end
check_eq "ecc_watch heard a uevent and a netlink event" "$st" 0
check "uevent: TRN_EVENT=ecc, no address, the unlogged count, unlogged" \
	grep -qx "uevent TRN_ECC_UNLOGGED=$((nfull + 1)) TRN_ECC_PAGE=unlogged" "$wout"
check "netlink: no address, unlogged, the counts" \
	grep -qx "netlink bdf=$bdf addr=none page=unlogged total=$((agg + 1)) retired=$retired unlogged=$((nfull + 1))" \
	"$wout"
rm -f "$wout"
check "the kernel log says so: $line" test "$(klines "$line")" -gt "$log0"
check_eq "unlogged_pages counts it" "$(val unlogged_pages)" $((nfull + 1))
check "retired_pages does not list it" bash -c "! grep -qx '$ulog' '$D/retired_pages'"
got=$("$TRNVM_REPO/build/tools/nrt-diag" -r 1 -j 2>/dev/null | python3 -c '
import json, sys
for c in json.load(sys.stdin)["checks"]:
    if c["check"] == "ecc" and c["pci_bdf"] == sys.argv[1]:
        print(c["status"], c["message"], "|", c["remedy"])
' "$bdf")
echo "# nrt-diag: $got"
check "nrt-diag -r 1: ecc fails, the device to be replaced" \
	grep -qE "^fail $((nfull + 1)) HBM pages? with an uncorrectable error not retired.*\| replace the device" <<<"$got"
read -r _ failedu <<<"$(fill)"
check "all of HBM taken and FILLed: a job meets an unretired page" test "${failedu:-0}" -gt 0
check "memory returned" settle

check "rmmod trn" rmmod trn
check "load trn.ko again" load_trn
wait_for 10 test -e "$D/unlogged_pages"
check_eq "after the reload, unlogged_pages is kept" "$(val unlogged_pages)" $((nfull + 1))
check_eq "and the 64 pages of the log are retired again" "$(wc -l < "$D/retired_pages")" 64
check "the kernel log says the device needs replacing" \
	dmesg_has "$bdf: event 103: [0-9]* HBM pages with uncorrectable ECC errors not in the full error log"

# --- a new board ------------------------------------------------------------------------
# The remedy, in the model: x-ecc-replace stands for a new board in the
# slot, so that the next tests of this VM get a healthy device.
check "rmmod trn" rmmod trn
check "qom-set $qdev x-ecc-replace true (a new board)" qmp_set "$qdev" x-ecc-replace true
check "load trn.ko again" load_trn
wait_for 10 test -e "$D/unlogged_pages"
check_eq "the new board: unlogged_pages 0" "$(val unlogged_pages)" 0
check_eq "no retired page" "$(val retired_pages)" ""
check_eq "no uncorrectable error in its life" "$(val stats/ecc_uncorrected_aggregate)" 0
read -r _ failedn <<<"$(fill)"
check_eq "all of HBM taken and FILLed: no job fails" "$failedn" 0
check "memory returned" settle
