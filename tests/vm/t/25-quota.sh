#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Quotas per user (build/tests/vm/test_quota): address spaces and HBM of
# two unprivileged users and root on the first device, whose node everybody
# may open meanwhile.
# budget: 120 s
. "$TRNVM_REPO/tests/vm/lib.sh"

if [ "$(good_devices | wc -l)" -eq 0 ]; then
	pass "no working device in this VM"
	exit 0
fi
node=/dev/accel/accel0
mode=$(stat -c %a "$node")
chmod 0666 "$node"
"$TRNVM_REPO/build/tests/vm/test_quota"
rc=$?
chmod "$mode" "$node"
for p in user_address_spaces=0 user_hbm_percent=100; do
	{ echo "${p#*=}" > "/sys/module/trn/parameters/${p%=*}"; } 2> /dev/null
done
exit $rc
