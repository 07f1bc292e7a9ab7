#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Files sharing a queue (cmocka, TAP): another file's blocked jobs delay a
# job by about one job timeout (also jobs of max_descs, and two files that
# fill the ring: one per file), long jobs that alternate do not time out,
# close() cancels queued jobs at once; then, with the driver loaded again
# with max_file_jobs=16, the cap on a file's unfinished jobs.
# budget: 400 s
. "$TRNVM_REPO/tests/vm/lib.sh"

if [ "$(good_devices | wc -l)" -eq 0 ]; then
	pass "no working device in this VM"
	exit 0
fi
rc=0
CMOCKA_MESSAGE_OUTPUT=TAP "$TRNVM_REPO/build/tests/vm/test_fair" || rc=1
trap 'reload_trn job_timeout_ms=2000 || echo "not ok - $T: the driver back with its test parameters"' EXIT
if reload_trn job_timeout_ms=2000 max_file_jobs=16; then
	pass "the driver with max_file_jobs=16"
	CMOCKA_MESSAGE_OUTPUT=TAP "$TRNVM_REPO/build/tests/vm/test_fair" cap || rc=1
else
	fail "the driver with max_file_jobs=16"
	rc=1
fi
exit $rc
