#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# NeuronLink topology as the tools see it, through the driver's netlink
# family: nrt-ls --expect finds the wiring of the VM (devices.txt) correct,
# or names exactly the port ends of swapped cables; so does --expect with a
# rack file of one host (the VM's cables as cabled pass, nrt-rack's torus
# names the swapped ends as the shape does); a link taken down
# through QMP is announced to a listener (nrt-ls --watch-links), shown down
# by nrt-ls, and comes back. Only in VMs with a ring or torus topology.
# budget: 360 s
. "$TRNVM_REPO/tests/vm/lib.sh"

topo=$(topology)
case "$topo" in
ring:* | torus:*) ;;
*)
	pass "no cabled topology in this VM"
	exit 0
	;;
esac

# The wiring as cabled (devices.txt) against the nominal shape: every port
# end that differs must be named by nrt-ls. Device index = chip id here.
rows=1 cols=${topo#ring:}
[ "${topo%%:*}" = torus ] && { rc=${topo#torus:}; rows=${rc%x*}; cols=${rc#*x}; }
nominal() { # nominal DEV PORT -> "dev.port" of the other end
	local d=$1 p=$2 r=$(($1 / cols)) c=$(($1 % cols))
	if [ "${topo%%:*}" = ring ]; then
		case $p in
		0) echo "$(((d + 1) % cols)).1" ;;
		1) echo "$(((d + cols - 1) % cols)).0" ;;
		esac
		return
	fi
	case $p in
	0) echo "$((r * cols + (c + 1) % cols)).2" ;;
	1) echo "$((((r + 1) % rows) * cols + c)).3" ;;
	2) echo "$((r * cols + (c + cols - 1) % cols)).0" ;;
	3) echo "$((((r + rows - 1) % rows) * cols + c)).1" ;;
	esac
}

out=$("$NRT_LS" --topology --expect "$topo" 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
want_lines=0 missing=0
for ((d = 0; d < rows * cols; d++)); do
	for p in 0 1 2 3; do
		n=$(nominal "$d" "$p")
		[ -n "$n" ] || continue
		f=$(far_end "$d.$p")
		[ "$f" = "$n" ] && continue
		want_lines=$((want_lines + 1))
		line="chip $d port $p: expected chip ${n%.*} port ${n#*.}, found chip ${f%.*} port ${f#*.}"
		if ! grep -qF "$line" <<<"$out"; then
			fail "nrt-ls --expect does not say: $line"
			missing=$((missing + 1))
		fi
	done
done
if [ "$want_lines" -eq 0 ]; then
	check_eq "nrt-ls --expect $topo: the wiring matches (exit status)" "$st" 0
else
	check_eq "nrt-ls --expect $topo: miswired (exit status)" "$st" 1
	check_eq "nrt-ls --expect names all $want_lines miswired port ends" "$missing" 0
fi

# Rack files of one host, host 0 (a VM is one host): the cables as
# devices.txt has them match; nrt-rack's torus is the shape's.
NRT_RACK=$TRNVM_REPO/build/tools/nrt-rack
rack=$TRNVM_OUT/rack.txt
{
	printf 'rack vm\nhosts 1\nchips %u\nports 4\n' $((rows * cols))
	cables | while read -r a b; do echo "cable 0.$a 0.$b"; done
} > "$rack"
check "nrt-rack check: the VM's cables as a rack file" "$NRT_RACK" check "$rack"
out=$("$NRT_LS" --expect "$rack" 2>&1)
st=$?
echo "$out" | sed 's/^/# /'
check_eq "nrt-ls --expect FILE, the cables as cabled: exit status" "$st" 0
check "nrt-ls --expect FILE: vm host 0, all wired as expected" \
	grep -q "^vm host 0: all $((rows * cols)) chips wired as expected" <<<"$out"
if [ "${topo%%:*}" = torus ] && [ "$rows" -ge 2 ] && [ "$cols" -ge 2 ]; then
	"$NRT_RACK" gen "torus-ring:1x${rows}x${cols}" > "$rack"
	out=$("$NRT_LS" --expect "$rack" 2>&1)
	st=$?
	echo "$out" | sed 's/^/# /'
	got=$(grep -c ': expected host 0 chip' <<<"$out")
	check_eq "nrt-ls --expect torus-ring:1x${rows}x${cols}: miswired port ends" "$got" "$want_lines"
	check_eq "nrt-ls --expect torus-ring:1x${rows}x${cols}: exit status" "$st" \
		$((want_lines ? 1 : 0))
fi
src=$("$NRT_LS" --json | sed -n 's/.*"source": *"\([a-z]*\)".*/\1/p' | head -1)
check_eq "nrt-ls reads the topology through netlink" "$src" netlink

# A link down and up again, seen by a listener, sysfs and nrt-ls.
if ! qmp_available; then
	fail "the host QMP agent is not running"
	exit 0
fi
# Device 5's port 0 (inside a 4x4 torus), or device 0's where the topology
# is smaller (ring:2).
dev=5 port=0
[ -n "$(far_end "$dev.$port")" ] || dev=0
far=$(far_end "$dev.$port")
sysstate() { cat "/sys/bus/pci/devices/$(printf '0000:%02x:00.0' $(($1 + 1)))/link$2/state"; }
wait_state() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(sysstate "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
events=$TRNVM_OUT/link-events.txt
"$NRT_LS" --watch-links > "$events" 2>&1 &
watcher=$!
sleep 1
check "qom-set trn$dev port$port-admin false" qmp_set "trn$dev" "port$port-admin" false
check "chip $dev port $port is down in sysfs" wait_state "$dev" "$port" down
check "the far end, chip ${far%.*} port ${far#*.}, is down in sysfs" wait_state "${far%.*}" "${far#*.}" down
out=$("$NRT_LS" --expect "$topo" 2>&1)
st=$?
check_eq "nrt-ls --expect fails while the link is down" "$st" 1
check "nrt-ls --expect names the down port" grep -q "chip $dev port $port.*down" <<<"$out"
check "qom-set trn$dev port$port-admin true" qmp_set "trn$dev" "port$port-admin" true
check "chip $dev port $port is up again" wait_state "$dev" "$port" up
sleep 1
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
sed 's/^/# /' "$events"
check "the listener saw chip $dev port $port go down" grep -q "accel$dev:port$port.*down" "$events"
check "the listener saw chip $dev port $port come back up" grep -q "accel$dev:port$port.*up" "$events"
