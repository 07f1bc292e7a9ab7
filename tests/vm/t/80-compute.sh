#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# NeuronCore instructions against the reference executor, malformed
# programs, semaphores and program reuse, on the first working device.
. "$TRNVM_REPO/tests/vm/lib.sh"

long_test_or_exit
CMOCKA_MESSAGE_OUTPUT=TAP "$TRNVM_REPO/build/tests/dev/test_compute"
