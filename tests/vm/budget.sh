# SPDX-License-Identifier: GPL-2.0-only
# Time budgets of the VM tests (sourced by vm.sh on the host and guest-run in
# the guest). A test declares its budget in its header as "# budget: N s",
# at least twice what it takes under TCG on a loaded 2-core machine; the
# default is 120 s. TRNVM_BUDGET_SCALE (vm.sh --budget-scale) multiplies it
# for slow guests.

# test_budget FILE: the budget of one test, in seconds, scaled.
test_budget() {
	local b
	b=$(sed -n 's/^# budget: \([0-9][0-9]*\) s$/\1/p' "$1" | head -n 1)
	echo $(( ${b:-120} * ${TRNVM_BUDGET_SCALE:-1} ))
}

# test_selected FILE LIST: whether a run with --tests LIST (comma-separated
# number prefixes; empty: all) runs FILE. Tests numbered 0* always run.
test_selected() {
	local n
	n=$(basename "$1")
	n=${n%%-*}
	case "$n" in 0*) return 0 ;; esac
	case ",${2:-$n}," in *",$n,"*) return 0 ;; esac
	return 1
}
