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
#   --timeout SECONDS    kill the VM after this long (default: in test mode,
#                        the budgets of the tests it runs plus 180 s to boot
#                        and load the driver; 600 otherwise)
#   --budget-scale N     multiply every test's budget (and so the default
#                        timeout) by N, for slow guests such as a debug kernel
#   --mem SIZE           guest memory (default 2G)
#   --qemu-arg ARG       pass ARG to QEMU (e.g. --qemu-arg -trace
#                        --qemu-arg 'trn_*'); may be repeated
#   --append STR         add STR to the guest kernel's command line (the
#                        guest sees NAME=VALUE words as variables: the rack
#                        harness, tests/vm/rack.sh, passes TRNVM_NET and the
#                        like); may be repeated
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
#   --root DIR           boot DIR (a Debian tree with the guest kernel's
#                        modules installed, e.g. tests/pkg/check-packages'
#                        chroot) as the root file system instead of the host's
#                        tree: cmd and shell modes only; the driver is the
#                        one installed in DIR, loaded with modprobe in shell
#                        mode and by the command itself in cmd mode
#   --kernel NAME        boot guest kernel NAME of scripts/kernels.conf (e.g.
#                        7) instead of the default one, with the trn.ko built
#                        for it by scripts/check-kernels.sh NAME; or the
#                        debug kernel (NAME debug: scripts/deps.sh
#                        debug-kernel, trn.ko from make kernel-debug), whose
#                        test budgets are scaled by DEBUG_BUDGET_SCALE unless
#                        --budget-scale says otherwise; reports name the run
#                        SCENARIO@NAME
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
# $TRN_CACHE/env.mk through the Makefile; --kernel sets the last three);
# TRN_ACCEL=kvm|tcg forces the accelerator, otherwise KVM is used when a
# probe boot shows it works.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
TRN_CACHE=${TRN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trn}
if [ -z "${QEMU:-}" ] || [ -z "${GUEST_KERNEL:-}" ]; then
	[ -f "$TRN_CACHE/env.mk" ] || { echo "vm.sh: run scripts/deps.sh first" >&2; exit 1; }
	# What the environment sets wins: QEMU=... picks another QEMU.
	eval "$(sed -n 's/^\([A-Z_]*\) [:?]*= \(.*\)$/\1="${\1:-\2}"/p' "$TRN_CACHE/env.mk")"
fi

devices=()
extra=()
append_extra=
ndev=0
scenario=
out=
timeout=
budget_scale=
topo_props=cores=1,hbm-size=128M
mem=2G
topology=
swaps=()
tests=
root=
kernel=
while [ $# -gt 0 ]; do
	case "$1" in
	--devices) ndev=$2; shift 2 ;;
	--device) devices+=("$2"); shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--budget-scale) budget_scale=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--qemu-arg) extra+=("$2"); shift 2 ;;
	--append) append_extra+=" $2"; shift 2 ;;
	--topology) topology=$2; shift 2 ;;
	--topology-props) topo_props=$2; shift 2 ;;
	--swap-cables) swaps+=("$2"); shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--root) root=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	-*) echo "vm.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
mode=${1:-shell}
shift || true
case "$mode" in test|shell|cmd) ;; *) echo "vm.sh: unknown mode $mode" >&2; exit 2 ;; esac
if [ -n "$root" ]; then
	[ "$mode" != test ] || { echo "vm.sh: --root runs cmd and shell only" >&2; exit 2; }
	[ -x "$root/bin/sh" ] || { echo "vm.sh: --root $root: no /bin/sh in it" >&2; exit 2; }
	root=$(cd "$root" && pwd)
fi

# --- guest kernel: the default one (env.mk) and its trn.ko from the tree, or
# one pinned in scripts/kernels.conf, unpacked by scripts/deps.sh kernel into
# $TRN_CACHE/kernel/ABI, with the trn.ko scripts/check-kernels.sh built for it.
ko=$TOP/kernel/trn.ko
. "$TOP/scripts/kernels.conf"
label=
if [ "$kernel" = debug ]; then
	# Built by scripts/deps.sh debug-kernel, which writes where it is here.
	f=$TRN_CACHE/debug-kernel.mk
	[ -f "$f" ] || { echo "vm.sh: no debug kernel: run scripts/deps.sh debug-kernel" >&2; exit 2; }
	eval "$(sed -n 's/^DEBUG_\(KVER\|GUEST_ROOT\|GUEST_KERNEL\) := \(.*\)$/\1="\2"/p' "$f")"
	ko=$TOP/build/kernel-debug/kernel/trn.ko
	[ -f "$ko" ] || { echo "vm.sh: no trn.ko for the debug kernel: run make kernel-debug" >&2; exit 2; }
	budget_scale=${budget_scale:-$DEBUG_BUDGET_SCALE}
	label=@$kernel
elif [ -n "$kernel" ] && [ "$kernel" != "$GUEST_DEFAULT" ]; then
	v=GUEST_KERNEL_${kernel//./_}
	[[ "$v" =~ ^[A-Za-z0-9_]+$ ]] && [ -n "${!v:-}" ] || {
		echo "vm.sh: no guest kernel '$kernel' in scripts/kernels.conf" >&2; exit 2; }
	KVER=$(cut -d: -f2 <<< "${!v}")
	GUEST_ROOT=$TRN_CACHE/kernel/$KVER/root
	GUEST_KERNEL=$GUEST_ROOT/boot/vmlinuz-$KVER
	[ -f "$TRN_CACHE/kernel/$KVER/.done" ] || {
		echo "vm.sh: guest kernel $KVER missing: run scripts/deps.sh kernel" >&2; exit 2; }
	ko=$TOP/build/kernels/$KVER/trn.ko
	[ -f "$ko" ] || {
		echo "vm.sh: no trn.ko for $KVER: run scripts/check-kernels.sh $kernel" >&2; exit 2; }
	label=@$kernel
fi
budget_scale=${budget_scale:-1}

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
keep=${TRN_KEEP:-0}
[ -n "$out" ] && keep=1
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/trnvm.XXXXXX")
mkdir -p "$out"
out=$(cd "$out" && pwd)

# --- initramfs: busybox, the modules for 9p and overlayfs and our /init,
# keyed by its inputs. The modules are found by name in the guest kernel's
# modules.dep, with what they depend on, so that any kernel's layout, names
# and compression work; initramfs-init loads them in the order of
# lib/modules/load.
MODDIR=$GUEST_ROOT/lib/modules/$KVER

# mod_path NAME: the path of module NAME in modules.dep, empty if built in.
mod_path() {
	local n=${1//-/_}
	awk -F: -v n="$n" '{ m = $1; sub(/.*\//, "", m); sub(/\.ko.*$/, "", m); gsub(/-/, "_", m)
			     if (m == n) { print $1; exit } }' "$MODDIR/modules.dep"
}

# mod_closure PATH: PATH's dependencies, then PATH (load order).
mod_closure() {
	local d
	for d in $(awk -F: -v p="$1" '$1 == p { print $2; exit }' "$MODDIR/modules.dep"); do
		mod_closure "$d"
	done
	echo "$1"
}

initramfs() {
	local want=(9pnet_virtio 9p overlay)
	local key dir img m p
	local -a mods=()
	for m in "${want[@]}"; do
		p=$(mod_path "$m")
		if [ -z "$p" ]; then
			grep -q "/${m//_/[-_]}\.ko" "$MODDIR/modules.builtin" ||
				die "no module $m in $MODDIR"
			continue
		fi
		for p in $(mod_closure "$p"); do
			[[ " ${mods[*]} " == *" $p "* ]] || mods+=("$p")
		done
	done
	key=$( { cat "$TOP/tests/vm/initramfs-init"; echo "$KVER" "${mods[@]}"
		 busybox | head -n 1; } | sha256sum | cut -c1-16)
	img=$TRN_CACHE/initramfs/$key.cpio.gz
	if [ ! -f "$img" ]; then
		dir=$(mktemp -d)
		mkdir -p "$dir"/{bin,dev,proc,sys,newroot,lib/modules}
		cp "$(command -v busybox)" "$dir/bin/busybox"
		cp "$TOP/tests/vm/initramfs-init" "$dir/init"
		for p in "${mods[@]}"; do
			m=$(basename "${p%%.ko*}")
			case "$p" in
			*.ko.xz) xz -dc "$MODDIR/$p" ;;
			*.ko.zst) zstd -q -dc "$MODDIR/$p" ;;
			*.ko.gz) gzip -dc "$MODDIR/$p" ;;
			*) cat "$MODDIR/$p" ;;
			esac > "$dir/lib/modules/$m.ko"
			echo "$m" >> "$dir/lib/modules/load"
		done
		mkdir -p "$TRN_CACHE/initramfs"
		# Several VMs of a rack may build it at once: each its own file.
		(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) > "$img.$$.tmp"
		mv "$img.$$.tmp" "$img"
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
      -virtfs "local,path=${root:-/},mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
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
append+=" TRNVM_OUT=$out TRNVM_KVER=$KVER$append_extra"
if [ -n "$root" ]; then
	# The root has its own modules and no build tree: the guest side of
	# the harness comes through the output directory.
	cp "$TOP/tests/vm/guest-init" "$out/guest-init"
	append+=" TRNVM_ROOT=1 TRNVM_INIT=$out/guest-init"
else
	# The guest kernel's modules from the cache (see initramfs-init).
	args+=(-virtfs "local,path=$GUEST_ROOT/lib/modules/$KVER,mount_tag=trnmods,security_model=none,readonly=on")
	append+=" TRNVM_REPO=$TOP TRNVM_MODULES_SHARE=1 TRNVM_TRNKO=$ko"
fi
[ -n "$tests" ] && append+=" TRNVM_TESTS=$tests"
[ "$budget_scale" != 1 ] && append+=" TRNVM_BUDGET_SCALE=$budget_scale"
# The VM's own timeout: the budgets of the tests it runs, plus the boot.
if [ -z "$timeout" ]; then
	if [ "$mode" = test ]; then
		. "$TOP/tests/vm/budget.sh"
		timeout=$((180 * budget_scale))
		for t in "$TOP"/tests/vm/t/*; do
			test_selected "$t" "$tests" &&
				timeout=$((timeout + $(TRNVM_BUDGET_SCALE=$budget_scale test_budget "$t")))
		done
	else
		timeout=600
	fi
fi

# What the guest tests compare against: the devices as given to QEMU.
{
	echo "scenario=$scenario"
	echo "kernel=$KVER"
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
	SECONDS=0
	timeout "$timeout" "$QEMU" "${args[@]}" -serial "file:$out/console.log" \
		-append "$append" < /dev/null > "$out/qemu.log" 2>&1 || rc=$?
	stop_agent
	rc2=0
	"$TOP/tests/vm/report" "$scenario$label" "$out" "$rc" "$SECONDS" "$timeout" || rc2=$?
	[ "$rc2" -eq 0 ] && [ "$keep" = 0 ] && rm -rf "$out"
	exit "$rc2"
	;;
esac
