#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# libnrt's buffers, copies and fences on the first working device.
. "$TRNVM_REPO/tests/vm/lib.sh"

if [ "$(good_devices | wc -l)" -eq 0 ]; then
	pass "no working device in this VM"
	exit 0
fi
if ! full_run; then
	pass "runs in the single-device scenario"
	exit 0
fi
CMOCKA_MESSAGE_OUTPUT=TAP "$TRNVM_REPO/build/tests/dev/test_dma"
