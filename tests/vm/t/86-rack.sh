#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A host of a rack (tests/vm/rack.sh): the rack's network reaches every
# host; every chip knows its host; nrt-ls --expect with the rack file finds
# this host's cables right, those that leave it included. Then, the hosts
# meeting in the shared directory: host 0 takes a cable to another host
# down, both ends see it down and back up; the last host leaves (its VM
# powers off) and the others see their cables to it go down, never hang.
# Only in a rack.
# budget: 420 s
. "$TRNVM_REPO/tests/vm/lib.sh"

if [ -z "${TRNVM_RACK_DIR:-}" ]; then
	pass "not a host of a rack"
	exit 0
fi
H=$TRNVM_HOST
N=$TRNVM_HOSTS
dir=$TRNVM_RACK_DIR
rack=$dir/rack.txt
list=$("$TRNVM_REPO/build/tools/nrt-rack" list "$rack")

# meet NAME SECONDS: say this host reached NAME, wait for every host to.
meet() {
	local i n
	touch "$dir/$1.$H"
	for ((i = 0; i < $2 * 10; i++)); do
		n=$(ls "$dir" | grep -c "^$1\.[0-9]*$")
		[ "$n" -ge "$N" ] && return 0
		sleep 0.1
	done
	return 1
}

# posted NAME SECONDS: wait for the file NAME another host writes.
posted() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$dir/$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# state C P: the state of port P of chip C of this host.
state() { sysval "/sys/bus/pci/devices/$(bdf_of "$1")/link$2/state"; }

# port_is C P STATE: port P of chip C is in STATE now.
port_is() { [ "$(state "$1" "$2")" = "$3" ]; }

# wait_state C P STATE
wait_state() { wait_for 30 port_is "$1" "$2" "$3"; }

check_eq "hostname" "$(hostname)" "host$H"
for ((h = 0; h < N; h++)); do
	[ "$h" = "$H" ] && continue
	check "host$h answers on the rack's network" \
		wait_for 60 busybox ping -c 1 -W 1 -q "host$h" > /dev/null
done

for ((c = 0; c < $(grep -c "^device " "$DEVICES_TXT"); c++)); do
	check_eq "chip $c: host_id" \
		"$(sysval "/sys/bus/pci/devices/$(bdf_of "$c")/host_id")" "$H"
done

# Every host booted: then the cables from here are all up.
check "every host booted" meet booted 240
links_ok() { "$NRT_LS" --expect "$rack" > "$TRNVM_OUT/86-expect.txt" 2>&1; }
if wait_for 60 links_ok; then
	pass "nrt-ls --expect $rack: this host's cables as the rack file says"
else
	fail "nrt-ls --expect $rack: $(head -n 3 "$TRNVM_OUT/86-expect.txt" | tr '\n' ' ')"
fi
n=$("$NRT_LS" --json --expect "$rack" | jq '.topology.mismatches | length')
check_eq "nrt-ls --json --expect: no mismatch" "$n" 0
# A cable that leaves this host: the far host in sysfs
read -r a b < <(awk -v h="$H" '$1 == "cable" {
	split($2, x, "."); split($3, y, ".")
	if (x[1] == h && y[1] != h) { print $2, $3; exit }
	if (y[1] == h && x[1] != h) { print $3, $2; exit } }' <<< "$list")
if [ -n "$a" ]; then
	IFS=. read -r _ c p <<< "$a"
	IFS=. read -r fh fc fp <<< "$b"
	sys=/sys/bus/pci/devices/$(bdf_of "$c")/link$p
	check_eq "chip $c port $p: peer_host" "$(sysval "$sys/peer_host")" "$fh"
	check_eq "chip $c port $p: peer_chip" "$(sysval "$sys/peer_chip")" "$fc"
	check_eq "chip $c port $p: peer_port" "$(sysval "$sys/peer_port")" "$fp"
	check_eq "chip $c port $p: no local device at the far end" \
		"$(sysval "$sys/peer_device")" ""
fi
meet checked 120 || fail "every host checked its cables"

# Host 0 takes its first cable to host 1 down, and up again.
if [ "$N" -ge 2 ]; then
	read -r a b < <(awk '$1 == "cable" {
		split($2, x, "."); split($3, y, ".")
		if (x[1] == 0 && y[1] == 1) { print $2, $3; exit }
		if (y[1] == 0 && x[1] == 1) { print $3, $2; exit } }' <<< "$list")
	IFS=. read -r _ c0 p0 <<< "$a"
	IFS=. read -r _ c1 p1 <<< "$b"
	case $H in
	0)
		check "admin down of chip $c0 port $p0" qmp_set "trn$c0" "port$p0-admin" false
		check "chip $c0 port $p0 down" wait_state "$c0" "$p0" down
		touch "$dir/down"
		check "host 1 saw it down" posted seen-down 60
		out=$("$NRT_LS" --expect "$rack" 2>&1) && st=0 || st=$?
		check_eq "nrt-ls --expect fails on the down cable" "$st" 1
		check "... and names it" grep -q "chip $c0 port $p0: down (expected host 1 chip $c1 port $p1)" <<< "$out"
		check "admin up of chip $c0 port $p0" qmp_set "trn$c0" "port$p0-admin" true
		check "chip $c0 port $p0 up again" wait_state "$c0" "$p0" up
		touch "$dir/up"
		;;
	1)
		check "the far end was taken down" posted down 60
		check "chip $c1 port $p1 down at the far host" wait_state "$c1" "$p1" down
		touch "$dir/seen-down"
		check "the far end was taken up" posted up 60
		check "chip $c1 port $p1 up again" wait_state "$c1" "$p1" up
		;;
	esac
	meet bounced 120 || fail "every host saw the cable bounce"
fi

# The last host leaves: its VM powers off after this test. The others
# see every cable to it go down, and nrt-ls name them.
if [ "$N" -ge 2 ]; then
	last=$((N - 1))
	if [ "$H" = "$last" ]; then
		touch "$dir/leaving"
		pass "host $H leaves the rack"
		exit 0
	fi
	posted leaving 120 || fail "host $last said it leaves"
	ends=$(awk -v h="$H" -v l="$last" '$1 == "cable" {
		split($2, x, "."); split($3, y, ".")
		if (x[1] == h && y[1] == l) print x[2] "." x[3]
		if (y[1] == h && x[1] == l) print y[2] "." y[3] }' <<< "$list")
	for e in $ends; do
		check "chip ${e%.*} port ${e#*.}: down once host $last is gone" \
			wait_for 60 port_is "${e%.*}" "${e#*.}" down
	done
	if [ -n "$ends" ]; then
		out=$("$NRT_LS" --expect "$rack" 2>&1) && st=0 || st=$?
		check_eq "nrt-ls --expect fails once host $last is gone" "$st" 1
		e=${ends%%$'\n'*}
		check "... and names chip ${e%.*} port ${e#*.} down" \
			grep -q "chip ${e%.*} port ${e#*.}: down (expected host $last " <<< "$out"
	fi
fi
