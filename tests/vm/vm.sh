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
mem=2G
while [ $# -gt 0 ]; do
	case "$1" in
	--devices) ndev=$2; shift 2 ;;
	--device) devices+=("$2"); shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--qemu-arg) extra+=("$2"); shift 2 ;;
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
[ -n "$scenario" ] || scenario=devices-${#devices[@]}
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
			xz -dc "$GUEST_ROOT/lib/modules/$KVER/kernel/$m.ko.xz" \
				> "$dir/lib/modules/$(basename "$m").ko"
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
for i in "${!devices[@]}"; do
	args+=(-device "pcie-root-port,id=rp$i,bus=pcie.0,chassis=$((i + 1)),addr=$(printf '0x%x' $((i + 16)))"
	       -device "trn,id=trn$i,bus=rp$i,${devices[$i]}")
done
args+=("${extra[@]}")
append="console=ttyS0 panic=-1 oops=panic loglevel=4 TRNVM_MODE=$mode TRNVM_REPO=$TOP"
append+=" TRNVM_OUT=$out TRNVM_KVER=$KVER TRNVM_MODULES=$GUEST_ROOT/lib/modules/$KVER"

# What the guest tests compare against: the devices as given to QEMU.
{
	echo "scenario=$scenario"
	for i in "${!devices[@]}"; do
		echo "device $i bus=rp$i ${devices[$i]}"
	done
} > "$out/devices.txt"
printf '%q ' "$QEMU" "${args[@]}" -append "$append" > "$out/qemu.cmdline"

case "$mode" in
shell)
	exec "$QEMU" "${args[@]}" -serial mon:stdio -append "$append"
	;;
cmd)
	printf '%s\n' "$*" > "$out/cmd"
	timeout "$timeout" "$QEMU" "${args[@]}" -serial stdio -append "$append quiet" < /dev/null
	rc=$(cat "$out/guest.status" 2>/dev/null || echo 1)
	[ "$keep" = 0 ] && rm -rf "$out"
	exit "$rc"
	;;
test)
	rc=0
	timeout "$timeout" "$QEMU" "${args[@]}" -serial "file:$out/console.log" \
		-append "$append" < /dev/null > "$out/qemu.log" 2>&1 || rc=$?
	rc2=0
	"$TOP/tests/vm/report" "$scenario" "$out" "$rc" || rc2=$?
	[ "$rc2" -eq 0 ] && [ "$keep" = 0 ] && rm -rf "$out"
	exit "$rc2"
	;;
esac
