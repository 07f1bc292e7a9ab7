#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot a VM with emulated trn devices, the Debian guest kernel and the host's
# file tree (read-only, over virtio-9p), and run something in it.
#
#   vm.sh [options] test      run tests/vm/guest-run, report on the host
#   vm.sh [options] shell     interactive shell, trn.ko loaded
#   vm.sh [options] cmd 'sh command'   run a command with trn.ko loaded
#
# Options:
#   --devices N          N trn devices, each behind its own PCIe root port
#   --device 'PROPS'     add one trn device with these extra properties
#                        (e.g. 'x-magic=0'); may be repeated
#   --scenario NAME      name shown in reports (default: devices-N)
#   --out DIR            where results go (default: a new temporary directory)
#   --timeout SECONDS    kill the VM after this long (default 600)
#   --mem SIZE           guest memory (default 2G)
#   --qemu-arg ARG       pass ARG to QEMU (e.g. --qemu-arg -trace
#                        --qemu-arg 'trn_*'); may be repeated
#   --topology SPEC      devices wired with NeuronLink cables (chip id =
#                        device index; instead of --devices):
#                          single    1 device, no cables
#                          ring:N    N devices; port 0 of device i to port 1
#                                    of device (i+1)%N
#                          torus:RxC R*C devices, device r*C+c; port 0 to
#                                    port 2 of the east neighbour, port 1 to
#                                    port 3 of the south one, wrapping around
#                        Ring and torus devices are small (cores=1,
#                        hbm-size=128M, links=4) so that 16 of them boot fast.
#   --topology-props P   properties of ring and torus devices instead of
#                        cores=1,hbm-size=128M (e.g. cores=2,hbm-size=1G)
#   --tests LIST         run only the tests numbered in LIST after loading
#                        the driver, e.g. 10,30,90 (test mode)
#   --swap-cables A.p,B.q  exchange the far ends of the cables at port p of
#                        device A and port q of device B (a miswired rack);
#                        may be repeated
#   --kernel NAME        boot guest kernel NAME instead of the pinned Debian
#                        one: its image, modules and release come from
#                        NAME_GUEST_KERNEL, NAME_GUEST_ROOT and NAME_KVER
#                        (upper case, from env.mk) and trn.ko from
#                        build/kernel-NAME/kernel/ (e.g. debug: the debug
#                        kernel of scripts/deps.sh debug-kernel, with trn.ko
#                        from make kernel-debug); reports say scenario@NAME
#
# The cables and the topology are written to OUT/devices.txt ("topology=",
# "swap-cables=" and "cable A.p B.q" lines) for the guest tests. A host-side
# QMP agent (tests/vm/qmp-agent) runs next to QEMU and executes the qom-set
# and qom-get requests that guest tests drop into OUT/qmp/ (see qmp_set in
# tests/vm/lib.sh).
#
# A temporary output directory is removed after a cmd run and after a test
# run in which every test passed, unless TRN_KEEP=1; an --out directory is
# always kept.
#
# Environment: TRN_CACHE, QEMU, GUEST_KERNEL, GUEST_ROOT, KVER (normally from
# $TRN_CACHE/env.mk through the Makefile); TRN_ACCEL=kvm|tcg forces the
# accelerator, otherwise KVM is used when a probe boot shows it works.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
TRN_CACHE=${TRN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trn}
if [ -z "${QEMU:-}" ] || [ -z "${GUEST_KERNEL:-}" ]; then
	[ -f "$TRN_CACHE/env.mk" ] || { echo "vm.sh: run scripts/deps.sh first" >&2; exit 1; }
	eval "$(sed -n 's/^\([A-Z_]*\) [:?]*= \(.*\)$/\1="\2"/p' "$TRN_CACHE/env.mk")"
fi

devices=()
extra=()
ndev=0
scenario=
out=
timeout=600
topo_props=cores=1,hbm-size=128M
mem=2G
topology=
swaps=()
tests=
kernel=
while [ $# -gt 0 ]; do
	case "$1" in
	--devices) ndev=$2; shift 2 ;;
	--device) devices+=("$2"); shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--qemu-arg) extra+=("$2"); shift 2 ;;
	--topology) topology=$2; shift 2 ;;
	--topology-props) topo_props=$2; shift 2 ;;
	--swap-cables) swaps+=("$2"); shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	-*) echo "vm.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
mode=${1:-shell}
shift || true
case "$mode" in test|shell|cmd) ;; *) echo "vm.sh: unknown mode $mode" >&2; exit 2 ;; esac

# Default devices: chip i gets 2 cores and (i+1) GiB of HBM.
for ((i = 0; i < ndev; i++)); do
	devices+=("chip-id=$i,cores=2,hbm-size=$((i + 1))G")
done

# --- NeuronLink topology: cable[A.p]=B.q for both ends of every cable.
declare -A cable=()
connect() { cable[$1]=$2; cable[$2]=$1; }
die() { echo "vm.sh: $*" >&2; exit 2; }
if [ -n "$topology" ]; then
	[ "$ndev" -eq 0 ] && [ ${#devices[@]} -eq 0 ] ||
		die "--topology replaces --devices and --device"
	case "$topology" in
	single)
		devices=("chip-id=0,cores=2,hbm-size=1G")
		;;
	ring:*)
		n=${topology#ring:}
		[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 2 ] && [ "$n" -le 16 ] ||
			die "ring:N needs 2 <= N <= 16"
		for ((i = 0; i < n; i++)); do connect "$i.0" "$(((i + 1) % n)).1"; done
		;;
	torus:*)
		rc=${topology#torus:}
		rows=${rc%x*} cols=${rc#*x}
		[[ "$rows" =~ ^[0-9]+$ && "$cols" =~ ^[0-9]+$ ]] &&
			[ "$rows" -ge 2 ] && [ "$cols" -ge 2 ] && [ $((rows * cols)) -le 16 ] ||
			die "torus:RxC needs R, C >= 2 and R*C <= 16"
		n=$((rows * cols))
		for ((r = 0; r < rows; r++)); do
			for ((c = 0; c < cols; c++)); do
				d=$((r * cols + c))
				connect "$d.0" "$((r * cols + (c + 1) % cols)).2"
				connect "$d.1" "$((((r + 1) % rows) * cols + c)).3"
			done
		done
		;;
	*) die "unknown topology $topology" ;;
	esac
	for s in "${swaps[@]}"; do
		a=${s%,*} b=${s#*,}
		x=${cable[$a]:-} y=${cable[$b]:-}
		[ -n "$x" ] && [ -n "$y" ] || die "--swap-cables $s: no cable at $a or $b"
		[ "$x" != "$b" ] || die "--swap-cables $s: $a and $b are the same cable"
		connect "$a" "$y"
		connect "$b" "$x"
	done
	if [ "$topology" != single ]; then
		for ((i = 0; i < n; i++)); do
			props="chip-id=$i,$topo_props,links=4"
			for ((p = 0; p < 4; p++)); do
				far=${cable[$i.$p]:-}
				[ -n "$far" ] && props+=",port$p=trn${far%.*}:${far#*.}"
			done
			devices+=("$props")
		done
	fi
elif [ ${#swaps[@]} -gt 0 ]; then
	die "--swap-cables needs --topology"
fi
[ -n "$scenario" ] || scenario=devices-${#devices[@]}

# --- the guest kernel and the trn.ko built for it
label=$scenario
trnko=$TOP/kernel/trn.ko
if [ -n "$kernel" ] && [ "$kernel" != plain ]; then
	[[ "$kernel" =~ ^[a-z0-9]+$ ]] || die "bad --kernel name $kernel"
	pfx=${kernel^^}_
	var=${pfx}GUEST_KERNEL
	# From env.mk, or from the file of the deps.sh step that made it.
	for f in "$TRN_CACHE/env.mk" "$TRN_CACHE/$kernel-kernel.mk"; do
		[ -z "${!var:-}" ] && [ -f "$f" ] &&
			eval "$(sed -n "s/^\(${pfx}[A-Z_]*\) [:?]*= \(.*\)\$/\1=\"\2\"/p" "$f")"
	done
	for v in GUEST_KERNEL GUEST_ROOT KVER; do
		var=$pfx$v
		[ -n "${!var:-}" ] || die "no guest kernel '$kernel' ($var unset: run scripts/deps.sh $kernel-kernel)"
		printf -v "$v" '%s' "${!var}"
	done
	trnko=$TOP/build/kernel-$kernel/kernel/trn.ko
	[ -f "$trnko" ] || die "$trnko missing (make kernel-$kernel)"
	label=$scenario@$kernel
fi
keep=${TRN_KEEP:-0}
[ -n "$out" ] && keep=1
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/trnvm.XXXXXX")
mkdir -p "$out"
out=$(cd "$out" && pwd)

# --- initramfs: busybox, the 9p modules and our /init, keyed by its inputs.
initramfs() {
	local mods=(fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p fs/overlayfs/overlay)
	local key dir img m
	key=$( { cat "$TOP/tests/vm/initramfs-init"; echo "$KVER"; busybox | head -n 1; } |
	       sha256sum | cut -c1-16)
	img=$TRN_CACHE/initramfs/$key.cpio.gz
	if [ ! -f "$img" ]; then
		dir=$(mktemp -d)
		mkdir -p "$dir"/{bin,dev,proc,sys,newroot,lib/modules}
		cp "$(command -v busybox)" "$dir/bin/busybox"
		cp "$TOP/tests/vm/initramfs-init" "$dir/init"
		for m in "${mods[@]}"; do
			m=$GUEST_ROOT/lib/modules/$KVER/kernel/$m
			if [ -f "$m.ko" ]; then
				cp "$m.ko" "$dir/lib/modules/"
			else
				xz -dc "$m.ko.xz" > "$dir/lib/modules/$(basename "$m").ko"
			fi
		done
		mkdir -p "$TRN_CACHE/initramfs"
		(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) > "$img.tmp"
		mv "$img.tmp" "$img"
		rm -rf "$dir"
	fi
	echo "$img"
}

# --- accelerator: KVM when a probe boot on this host boot shows it works.
pick_accel() {
	if [ -n "${TRN_ACCEL:-}" ]; then echo "$TRN_ACCEL"; return; fi
	if [ ! -w /dev/kvm ]; then echo tcg; return; fi
	local f
	f=$TRN_CACHE/accel-$(cat /proc/sys/kernel/random/boot_id)
	if [ ! -f "$f" ]; then
		if timeout 15 "$QEMU" -accel kvm -cpu host -machine q35 -m 256M \
			-nodefaults -display none -serial stdio -no-reboot \
			-kernel "$GUEST_KERNEL" -append "console=ttyS0 panic=-1 rdinit=/bin/true" \
			-L /usr/share/qemu -L /usr/share/seabios 2>&1 |
			grep -q "Kernel panic - not syncing\|Run /bin/true"; then
			echo kvm > "$f"
		else
			echo tcg > "$f"
		fi
	fi
	cat "$f"
}

accel=$(pick_accel)
if [ "$accel" = kvm ]; then cpu=host; else cpu=max; fi
img=$(initramfs)

args=(-machine q35 -accel "$accel" -cpu "$cpu" -smp 2 -m "$mem"
      -nodefaults -display none -no-reboot
      -L /usr/share/qemu -L /usr/share/seabios
      -kernel "$GUEST_KERNEL" -initrd "$img"
      -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
      -virtfs "local,path=$out,mount_tag=trnout,security_model=none"
      -qmp "unix:$out/qmp.sock,server=on,wait=off")
# Root port i at 00:(16+i).0, so that device i is on bus i+1. Slot 31 is the
# q35 LPC bridge: with 16 devices, the last two root ports share slot 30 as
# functions 0 and 1, which keeps the bus order.
[ ${#devices[@]} -le 16 ] || die "at most 16 devices"
for i in "${!devices[@]}"; do
	if [ "$i" -lt 14 ] || [ ${#devices[@]} -le 15 ]; then
		rpaddr=$(printf '0x%x' $((i + 16)))
	else
		rpaddr=0x1e.$((i - 14))
		[ "$i" -eq 14 ] && rpaddr+=",multifunction=on"
	fi
	args+=(-device "pcie-root-port,id=rp$i,bus=pcie.0,chassis=$((i + 1)),addr=$rpaddr"
	       -device "trn,id=trn$i,bus=rp$i,${devices[$i]}")
done
args+=("${extra[@]}")
append="console=ttyS0 panic=-1 oops=panic loglevel=4 log_buf_len=4M TRNVM_MODE=$mode"
append+=" TRNVM_REPO=$TOP TRNVM_OUT=$out TRNVM_KVER=$KVER"
append+=" TRNVM_MODULES=$GUEST_ROOT/lib/modules/$KVER TRNVM_TRNKO=$trnko"
[ -n "$tests" ] && append+=" TRNVM_TESTS=$tests"

# What the guest tests compare against: the devices as given to QEMU.
{
	echo "scenario=$scenario"
	echo "topology=${topology:-none}"
	echo "swap-cables=${swaps[*]:-}"
	for i in "${!devices[@]}"; do
		echo "device $i bus=rp$i ${devices[$i]}"
	done
	for end in "${!cable[@]}"; do
		echo "$end ${cable[$end]}"
	done | sort -t. -k1,1n -k2,2n | awk '!seen[$1] { seen[$2] = 1; print "cable " $0 }'
} > "$out/devices.txt"
printf '%q ' "$QEMU" "${args[@]}" -append "$append" > "$out/qemu.cmdline"

# --- the QMP agent for guest tests: started before QEMU (it waits for the
# socket), stopped when QEMU is gone.
rm -rf "$out/qmp" "$out/qmp.sock"
mkdir -p "$out/qmp"
agent=
start_agent() {
	python3 "$TOP/tests/vm/qmp-agent" --socket "$out/qmp.sock" --dir "$out/qmp" \
		--pid $$ 2>> "$out/qmp-agent.log" &
	agent=$!
}
stop_agent() {
	if [ -n "$agent" ]; then
		kill "$agent" 2>/dev/null || true
		wait "$agent" 2>/dev/null || true
		agent=
	fi
}
trap stop_agent EXIT

case "$mode" in
shell)
	start_agent
	"$QEMU" "${args[@]}" -serial mon:stdio -append "$append" || true
	;;
cmd)
	printf '%s\n' "$*" > "$out/cmd"
	start_agent
	timeout "$timeout" "$QEMU" "${args[@]}" -serial stdio -append "$append quiet" < /dev/null
	stop_agent
	rc=$(cat "$out/guest.status" 2>/dev/null || echo 1)
	[ "$keep" = 0 ] && rm -rf "$out"
	exit "$rc"
	;;
test)
	rc=0
	start_agent
	timeout "$timeout" "$QEMU" "${args[@]}" -serial "file:$out/console.log" \
		-append "$append" < /dev/null > "$out/qemu.log" 2>&1 || rc=$?
	stop_agent
	rc2=0
	"$TOP/tests/vm/report" "$label" "$out" "$rc" || rc2=$?
	[ "$rc2" -eq 0 ] && [ "$keep" = 0 ] && rm -rf "$out"
	exit "$rc2"
	;;
esac
