#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot a rack: one VM per host of a rack file (Documentation/rack.rst), with
# the host's chips as trn devices, cabled as the file says. Cables within a
# host are cables of its QEMU process; cables between hosts go between the
# QEMU processes over Unix sockets, with the devices' HBM in shared memory
# (port<P>-chardev, Documentation/qemu.rst). The VMs share a network on the
# loopback (virtio-net on a multicast datagram socket of QEMU): host H is
# host<H> at 10.77.0.<H+1>. They also share a directory (9p) in which the
# guest tests meet.
#
#   rack.sh --rack FILE [options] test            the rack's tests on every host
#   rack.sh --rack FILE [options] cmd 'command'   a command on every host
#
# Options:
#   --rack FILE        the rack file (required)
#   --out DIR          where results go: DIR/h<H> per host (default: a new
#                      temporary directory, removed if everything passed)
#   --scenario NAME    name of the reports (default: rack); host H's is
#                      NAME-h<H>
#   --hbm SIZE         HBM of every chip (default 64M)
#   --props P          other properties of every chip (default cores=1)
#   --mem SIZE         memory of every VM (default 1536M)
#   --tests LIST       the tests to run on every host (test mode; default
#                      86, the rack's own test)
#   --kernel NAME, --budget-scale N, --timeout S, --qemu-arg ARG, --append STR
#                      passed to every tests/vm/vm.sh
#
# In the guests: TRNVM_HOST (this host), TRNVM_HOSTS (how many),
# TRNVM_RACK_DIR (the shared directory; the rack file is rack.txt in it).
# Exit status: the worst of the hosts' (0 if every host passed).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
NRT_RACK=${NRT_RACK:-$TOP/build/tools/nrt-rack}

die() { echo "rack.sh: $*" >&2; exit 2; }

rack=
out=
scenario=rack
hbm=64M
props=cores=1
mem=1536M
tests=86
pass=()
while [ $# -gt 0 ]; do
	case "$1" in
	--rack) rack=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--hbm) hbm=$2; shift 2 ;;
	--props) props=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--kernel|--budget-scale|--timeout|--qemu-arg|--append) pass+=("$1" "$2"); shift 2 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
mode=${1:-}
shift || true
command="$*"
case "$mode" in
test) ;;
cmd) [ -n "$command" ] || die "cmd wants a command" ;;
*) die "usage: rack.sh --rack FILE [options] test|cmd 'command'" ;;
esac
[ -n "$rack" ] || die "--rack FILE is required"
[ -x "$NRT_RACK" ] || die "$NRT_RACK missing: run make first"
[[ "$hbm" =~ ^[0-9]+[MG]$ ]] || die "--hbm $hbm: want a size such as 64M or 1G"

# The rack, normalised: "hosts N chips N ports N", then the cables.
list=$("$NRT_RACK" list "$rack") || die "$rack: not a valid rack file"
read -r _ hosts _ chips _ ports <<< "$(head -n 1 <<< "$list")"
[ "$hosts" -ge 1 ] && [ "$chips" -ge 1 ] && [ "$chips" -le 16 ] ||
	die "$rack: $hosts hosts of $chips chips: the VMs take 1 to 16 chips each"

keep=${TRN_KEEP:-0}
[ -n "$out" ] && keep=1
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/trnrack.XXXXXX")
mkdir -p "$out"
out=$(cd "$out" && pwd)
shared=$out/shared
rm -rf "$shared"
mkdir -p "$shared"
cp "$rack" "$shared/rack.txt"
# Unix socket paths are short (108 bytes): the cables' sockets live apart.
socks=$(mktemp -d /tmp/trncable.XXXXXX)

# Per chip "H.C": the properties its cables add; per host: QEMU arguments.
declare -A cprops=()
declare -A hargs=()
k=0
while read -r kw a b; do
	[ "$kw" = cable ] || continue
	IFS=. read -r ha ca pa <<< "$a"
	IFS=. read -r hb cb pb <<< "$b"
	if [ "$ha" = "$hb" ]; then
		cprops[$ha.$ca]+=",port$pa=trn$cb:$pb"
		cprops[$hb.$cb]+=",port$pb=trn$ca:$pa"
		continue
	fi
	# The lower host's end listens; the other connects, and again after a
	# restart of the listener.
	sock=$socks/$k.sock
	cprops[$ha.$ca]+=",port$pa-chardev=cable$k"
	cprops[$hb.$cb]+=",port$pb-chardev=cable$k"
	hargs[$ha]+=" -chardev socket,id=cable$k,path=$sock,server=on,wait=off"
	hargs[$hb]+=" -chardev socket,id=cable$k,path=$sock,reconnect-ms=200"
	k=$((k + 1))
done <<< "$list"

# The network: one multicast group and port per run, so that two racks on
# one machine do not hear each other.
port=$((20000 + RANDOM % 40000))
group=239.255.$((RANDOM % 256)).$((1 + RANDOM % 254))

pids=()
for ((h = 0; h < hosts; h++)); do
	args=(--scenario "$scenario-h$h" --out "$out/h$h" --mem "$mem" "${pass[@]}"
	      --append "TRNVM_HOST=$h TRNVM_HOSTS=$hosts TRNVM_NET=10.77.0.$((h + 1))/24"
	      --append "TRNVM_RACK_DIR=$shared"
	      --qemu-arg -virtfs
	      --qemu-arg "local,path=$shared,mount_tag=trnrack,security_model=none"
	      --qemu-arg -netdev
	      --qemu-arg "dgram,id=rack,remote.type=inet,remote.host=$group,remote.port=$port,local.type=inet,local.host=127.0.0.1,local.port=0"
	      --qemu-arg -device
	      --qemu-arg "virtio-net-pci,netdev=rack,romfile=,mac=52:54:00:77:$(printf '%02x:%02x' $((h / 256)) $((h % 256)))")
	for ((c = 0; c < chips; c++)); do
		args+=(--qemu-arg -object
		       --qemu-arg "memory-backend-memfd,id=hbm$c,size=$hbm,share=on"
		       --device "chip-id=$c,host=$h,$props,hbm-size=$hbm,memdev=hbm$c,links=$ports${cprops[$h.$c]:-}")
	done
	# shellcheck disable=SC2086
	set -- ${hargs[$h]:-}
	while [ $# -gt 0 ]; do args+=(--qemu-arg "$1" --qemu-arg "$2"); shift 2; done
	if [ "$mode" = test ]; then
		args+=(--tests "$tests" test)
	else
		args+=(cmd "$command")
	fi
	"$TOP/tests/vm/vm.sh" "${args[@]}" > "$out/h$h.log" 2>&1 &
	pids+=($!)
done

rc=0
for ((h = 0; h < hosts; h++)); do
	st=0
	wait "${pids[$h]}" || st=$?
	echo "=== host $h: status $st"
	cat "$out/h$h.log"
	[ "$st" -gt "$rc" ] && rc=$st
done
rm -rf "$socks"
[ "$rc" -eq 0 ] && [ "$keep" = 0 ] && rm -rf "$out"
exit "$rc"
