#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side of tests/pkg/check-packages: runs in a VM whose root file system
# is the chroot the packages were installed in (tests/vm/vm.sh --root), with
# one trn device. Nothing of the build tree is here: the driver, the udev
# rule and the tools are the installed ones.

# The VM tests' helpers (pass, fail, check, check_eq), which
# check-packages puts next to this script; TAP lines go to standard output.
# shellcheck disable=SC2034 # T names the test in lib.sh's lines
T=packages
. "$TRNVM_OUT/lib.sh"

# as USER CMD...: run CMD as USER with the user's groups.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups --reset-env "$@"
}
node_gone() {
	for _ in $(seq 50); do [ -e /dev/accel/accel0 ] || return 0; sleep 0.1; done
	return 1
}

kver=$(uname -r)
node=/dev/accel/accel0

# udev from the installed system; no coldplug yet, so nothing has loaded trn.
/lib/systemd/systemd-udevd --daemon
check "systemd-udevd of the installed system runs" udevadm control --ping
check "trn is not loaded before modprobe" test ! -d /sys/module/trn

check "modprobe trn loads the driver and the modules it needs" modprobe trn
check "the loaded trn is the one DKMS installed" \
	bash -c "modinfo -n trn | grep -q '^/lib/modules/$kver/updates/dkms/trn\\.ko'"
udevadm settle
check_eq "udev gives $node the group render and mode 0660" \
	"$(stat -c '%G %a' "$node" 2>&1)" "render 660"

# A member of render uses the device; anybody else is refused.
useradd -m -G render trn-user
useradd -m trn-outsider
out=$(as trn-user nrt-ls 2>&1)
echo "$out" | sed 's/^/# /'
check "nrt-ls, run by a member of render, lists the device" \
	grep -q '^| 0 .*0000:01:00.0' <<< "$out"
out=$(as trn-user nrt-top -b -n 1 2>&1)
echo "$out" | sed 's/^/# /'
check "nrt-top -b -n 1 shows the device" grep -q '^Device 0 .*0000:01:00.0' <<< "$out"
out=$(as trn-user trn-transformer --dtype fp32 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check_eq "the example built with pkg-config nrt runs and matches its CPU reference" "$rc" 0
out=$(as trn-outsider trn-transformer --dtype fp32 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "a user outside render cannot open the device" \
	bash -c "[ $rc -ne 0 ] && grep -qi 'permission denied' <<< '$out'"

# The exporter as the unit runs it, as an unprivileged user.
setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env \
	nrt-top --prometheus 9400 --listen 127.0.0.1 2> /tmp/prom.err &
prom=$!
metrics=
for _ in $(seq 50); do
	if exec 3<> /dev/tcp/127.0.0.1/9400; then
		printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
		metrics=$(cat <&3)
		exec 3<&-
		break
	fi 2> /dev/null
	sleep 0.2
done
kill "$prom" 2> /dev/null
wait "$prom"
check_eq "nrt-top --prometheus, unprivileged, exits cleanly on SIGTERM" "$?" 0
sed 's/^/# /' /tmp/prom.err
check "the exporter serves the device's metrics" \
	grep -q '^trn_hbm_total_bytes{.*} 1073741824' <<< "$metrics"

# The modules-load.d entry, as systemd-modules-load reads it at boot.
modprobe -r trn
check "modprobe -r trn removes the device node" node_gone
check "systemd-modules-load loads trn from modules-load.d" \
	bash -c '/lib/systemd/systemd-modules-load && test -d /sys/module/trn'
modprobe -r trn
node_gone
# Coldplug: udev finds the device and loads its driver by the PCI id.
udevadm trigger --action=add --subsystem-match=pci
udevadm settle
check "udev loads trn for the device by its PCI id (modules.alias)" test -d /sys/module/trn
udevadm settle
check_eq "and gives the new node the group render and mode 0660" \
	"$(stat -c '%G %a' "$node" 2>&1)" "render 660"

if dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection'; then
	fail "dmesg: kernel warnings during the run"
else
	pass "dmesg: no kernel warning, oops or BUG during the run"
fi
udevadm control --exit
exit 0
