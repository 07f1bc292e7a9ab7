#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# libnrt's buffers, copies and fences on the first working device.
# budget: 400 s
. "$TRNVM_REPO/tests/vm/lib.sh"

long_test_or_exit
CMOCKA_MESSAGE_OUTPUT=TAP "$TRNVM_REPO/build/tests/dev/test_dma"
