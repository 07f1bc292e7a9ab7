#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Buffer objects and DMA jobs through the raw uapi, then isolation between
# processes (both on the first working device).
# budget: 240 s
. "$TRNVM_REPO/tests/vm/lib.sh"

if [ "$(good_devices | wc -l)" -eq 0 ]; then
	pass "no working device in this VM"
	exit 0
fi
rc=0
CMOCKA_MESSAGE_OUTPUT=TAP "$TRNVM_REPO/build/tests/vm/test_submit" || rc=1
"$TRNVM_REPO/build/tests/vm/test_isolation" || rc=1
exit $rc
