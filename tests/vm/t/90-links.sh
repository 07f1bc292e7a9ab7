#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# NeuronLink ports: every cabled port trains up and sees the port at the
# other end of its cable (devices.txt), uncabled ports stay down, and a port
# taken down through QMP (qom-set portP-admin) goes down at both ends and
# comes back. Reads the driver's sysfs (link*/state, peer_chip,
# peer_port, peer_host; host_id: one VM is one host, host 0); passes with a
# note while the driver has no link support.
# budget: 360 s
. "$TRNVM_REPO/tests/vm/lib.sh"

bdf_of() { printf '0000:%02x:00.0' $(($1 + 1)); }

# The cabling, read once: FAR[d.p] is the far end of the cable at port p of
# device d. Ports are read with shell builtins only: a guest of 16 devices
# under TCG on a loaded host takes most of a second to start a process, and
# the checks below read 64 ports.
declare -A FAR
while read -r a b; do
	FAR[$a]=$b
	FAR[$b]=$a
done < <(cables)

# read_port DEV PORT: st (its state, lower case), pr (peer chip.port) and
# ph (peer host; "none" if the file is missing).
read_port() {
	local dir s= c= p= h=none
	printf -v dir '/sys/bus/pci/devices/0000:%02x:00.0/link%s' $(($1 + 1)) "$2"
	read -r s < "$dir/state" 2> /dev/null
	read -r c < "$dir/peer_chip" 2> /dev/null
	read -r p < "$dir/peer_port" 2> /dev/null
	[ -e "$dir/peer_host" ] && { h=; read -r h < "$dir/peer_host"; }
	st=${s,,} pr=$c.$p ph=$h
}

# wait_state DEV PORT STATE: 100 tries, 50 ms apart
wait_state() {
	local i
	for ((i = 0; i < 100; i++)); do
		read_port "$1" "$2"
		[ "$st" = "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

have=0
while read -r idx _; do
	[ -d "/sys/bus/pci/devices/$(bdf_of "$idx")/link0" ] && have=1
done < <(good_devices)
if [ "$have" = 0 ]; then
	pass "driver has no link support yet"
	exit 0
fi

ncab=$(cables | wc -l)
bad=0 checked=0 hostbad=0
while read -r idx _; do
	# One VM is one host of a rack: host 0, the model's default.
	h=none
	read -r h < "/sys/bus/pci/devices/$(bdf_of "$idx")/host_id" 2> /dev/null
	if [ "$h" != 0 ]; then
		fail "chip $idx host_id is '$h', want 0"
		hostbad=$((hostbad + 1))
	fi
	for d in "/sys/bus/pci/devices/$(bdf_of "$idx")"/link[0-9]*; do
		[ -d "$d" ] || continue
		p=${d##*link}
		far=${FAR[$idx.$p]:-}
		checked=$((checked + 1))
		if [ -n "$far" ]; then
			if ! wait_state "$idx" "$p" up; then
				fail "chip $idx port $p is '$st', want up"
				bad=$((bad + 1))
			elif [ "$pr" != "$far" ]; then
				fail "chip $idx port $p peer $pr, want $far"
				bad=$((bad + 1))
			elif [ "$ph" != 0 ]; then
				fail "chip $idx port $p peer_host '$ph', want 0"
				hostbad=$((hostbad + 1))
			fi
		else
			read_port "$idx" "$p"
			if [ "$st" != down ]; then
				fail "uncabled chip $idx port $p is '$st', want down"
				bad=$((bad + 1))
			elif [ -n "$ph" ]; then
				fail "uncabled chip $idx port $p peer_host '$ph', want empty"
				hostbad=$((hostbad + 1))
			fi
		fi
	done
done < <(good_devices)
check_eq "$checked ports, $ncab cables ($(topology)): every port as wired" "$bad" 0
check_eq "host_id 0, peer_host 0 while up and empty while down" "$hostbad" 0

# A miswired torus differs from the nominal one at the ends of the swapped
# cables: four port ends per swap.
case "$(topology)" in
torus:*)
	rc=$(topology); rc=${rc#torus:}
	rows=${rc%x*} cols=${rc#*x} diff=0
	for ((r = 0; r < rows; r++)); do
		for ((c = 0; c < cols; c++)); do
			d=$((r * cols + c))
			[ "${FAR[$d.0]:-}" = "$((r * cols + (c + 1) % cols)).2" ] || diff=$((diff + 1))
			[ "${FAR[$d.1]:-}" = "$((((r + 1) % rows) * cols + c)).3" ] || diff=$((diff + 1))
			[ "${FAR[$d.2]:-}" = "$((r * cols + (c + cols - 1) % cols)).0" ] || diff=$((diff + 1))
			[ "${FAR[$d.3]:-}" = "$((((r + rows - 1) % rows) * cols + c)).1" ] || diff=$((diff + 1))
		done
	done
	nswap=$(swapped_cables | wc -w)
	check_eq "port ends off the nominal torus" "$diff" $((4 * nswap))
	;;
esac

# Round trip through the host's QMP agent on the first cable.
first=$(cables | head -n 1)
if [ -z "$first" ]; then
	pass "no cable in this scenario, no admin round trip"
	exit 0
fi
if ! qmp_available; then
	fail "the host QMP agent is not running"
	exit 0
fi
a=${first% *} b=${first#* }
ad=${a%.*} ap=${a#*.} bd=${b%.*} bp=${b#*.}
# The kernel log lines of the catalogue (operator-guide.rst, "Event codes"),
# counted before and after: earlier tests may have logged the same.
down_line="$(bdf_of "$ad"): event 302: link port $ap to chip $bd port $bp went down"
up_line="$(bdf_of "$ad"): event 303: link port $ap is up again, to chip $bd port $bp"
klines() { dmesg | grep -c -- "$1"; }
more_lines() { [ "$(klines "$1")" -gt "$2" ]; }
down0=$(klines "$down_line") up0=$(klines "$up_line")
check "qom-set trn$ad port$ap-admin false" qmp_set "trn$ad" "port$ap-admin" false
check "chip $ad port $ap down" wait_state "$ad" "$ap" down
check "far end chip $bd port $bp down" wait_state "$bd" "$bp" down
check_eq "qom-get trn$ad port$ap-admin" "$(qmp_get "trn$ad" "port$ap-admin")" false
check "qom-set trn$ad port$ap-admin true" qmp_set "trn$ad" "port$ap-admin" true
check "chip $ad port $ap up again" wait_state "$ad" "$ap" up
check "far end chip $bd port $bp up again" wait_state "$bd" "$bp" up
read_port "$ad" "$ap"
check_eq "peer after the round trip" "$pr" "$b"
check "the kernel log: event 302, the port went down" wait_for 10 more_lines "$down_line" "$down0"
check "event 303, it came back" wait_for 10 more_lines "$up_line" "$up0"

# Errors: a threshold, CRC errors injected past it, an event 301 line.
thr_file=/sys/bus/pci/devices/$(bdf_of "$ad")/link$ap/err_threshold
thr0=$(cat "$thr_file")
err_line="$(bdf_of "$ad"): event 301: link port $ap passed its error threshold of 10:"
err0=$(klines "$err_line")
check "echo 10 > link$ap/err_threshold" sh -c "echo 10 > $thr_file"
# Two thresholds' worth: the model keeps no remainder for the next test.
check "qom-set trn$ad port$ap-inject-errors 20" qmp_set "trn$ad" "port$ap-inject-errors" 20
check "the kernel log: event 301, the error threshold passed" \
	wait_for 10 more_lines "$err_line" "$err0"
check "err_threshold restored" sh -c "echo $thr0 > $thr_file"
check "counters cleared at both ends" sh -c "echo 1 > ${thr_file%/*}/clear_counters &&
	echo 1 > /sys/bus/pci/devices/$(bdf_of "$bd")/link$bp/clear_counters"
