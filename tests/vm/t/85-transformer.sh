#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# examples/transformer: one transformer block on a NeuronCore against a CPU
# reference, in fp32 and bf16, on every core of the first working device.
. "$TRNVM_REPO/tests/vm/lib.sh"

long_test_or_exit
ex=$TRNVM_REPO/build/examples/transformer
for dt in fp32 bf16; do
	out=$("$ex" --dtype "$dt" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	check_eq "transformer block, $dt, matches the CPU reference" "$rc" 0
done
# Another core and seed: the program is not tied to core 0.
out=$("$ex" --dtype fp32 --core 1 --seed 7 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check_eq "transformer block on core 1, another seed" "$rc" 0
