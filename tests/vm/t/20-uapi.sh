#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The query ioctl and DRM version against every trn device (cmocka, TAP).
. "$TRNVM_REPO/tests/vm/lib.sh"

if [ "$(good_devices | wc -l)" -eq 0 ]; then
	pass "no working device in this VM, nothing to query"
	exit 0
fi
CMOCKA_MESSAGE_OUTPUT=TAP "$TRNVM_REPO/build/tests/vm/test_uapi"
