#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The layout rules of the tree (issue 13), checked so that they cannot
# regress; `make check-static` runs this script.
#
#   scripts/check-layout.sh        rule 1 in kernel/, qemu/, lib/, tools/ and
#                                  tests/, rule 2 in all but tests/
#   scripts/check-layout.sh DIR... both rules in these directories only
#
# 1. No source file (.c or .h) in a directory or below it is longer than
#    MAX_LINES lines. The public header lib/nrt.h, the library's API
#    reference, is exempt.
# 2. No module of a directory depends on itself through others. A module is
#    a .c file and the header of the same name; module A uses module B when
#    a file of A includes B's header and that header is an interface: B.c
#    exists and the header declares something B.c defines (a function or an
#    extern variable). A header that only defines types, constants and
#    inline functions shared by the directory (kernel/trn_drv.h and
#    qemu/trn.h hold the device state, kernel/trn_compat.h the kernel API)
#    is no module's interface: including it is not a call into anything.
#    Only includes of headers of the same directory count.
#
# Prints each violation and exits 1 if there is any.
set -euo pipefail

MAX_LINES=1000
EXEMPT=(lib/nrt.h)

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# The test programs (tests/unit, tests/dev, tests/vm, ...) are held to the
# size of a file, not to the module graph: each is a program of its own.
if [ $# -gt 0 ]; then
	size_dirs=("$@")
	circle_dirs=("$@")
else
	size_dirs=(kernel qemu lib tools tests)
	circle_dirs=(kernel qemu lib tools)
fi
fail=0

exempt() {
	local e
	for e in "${EXEMPT[@]}"; do
		[ "$1" = "$e" ] && return 0
	done
	return 1
}

# Generated files kbuild leaves in kernel/ are not sources.
sources() {
	local f
	for f in "$1"/*.[ch]; do
		case "$f" in *.mod.c) continue ;; esac
		[ -f "$f" ] && echo "$f"
	done
}

# The sources of DIR and of the directories below it.
sources_below() {
	find "$1" -type f -name '*.[ch]' ! -name '*.mod.c' | LC_ALL=C sort
}

check_sizes() {
	local f n
	for f in $(sources_below "$1"); do
		n=$(wc -l < "$f")
		if [ "$n" -gt "$MAX_LINES" ] && ! exempt "$f"; then
			echo "layout: $f has $n lines, more than $MAX_LINES: split it along its seams"
			fail=1
		fi
	done
}

# is_interface HEADER: whether HEADER declares what the .c of its name
# defines: a prototype (name and parenthesis at the start of a line, or
# after a type; not static) or an extern variable. Not grep -q: it would
# stop reading at the first match, and the first grep, killed by SIGPIPE,
# would fail the pipeline (pipefail).
is_interface() {
	[ -f "${1%.h}.c" ] || return 1
	grep -v '^static' "$1" |
		grep -E -e '^[A-Za-z_][A-Za-z0-9_ 	*]*[ 	*][a-z_][a-z0-9_]*\(' \
			-e '^[a-z_][a-z0-9_]*\(' -e '(^|[ 	])extern[ 	]' > /dev/null
}

# The module graph of DIR as "USER USED" lines.
module_edges() {
	local dir=$1 f m inc t
	for f in $(sources "$dir"); do
		m=$(basename "${f%.*}")
		sed -n 's/^#include "\([^"/]*\)".*/\1/p' "$f" | while read -r inc; do
			t=${inc%.h}
			# An if, so that the loop does not end with the status
			# of the last include that is no edge (set -e).
			if [ "$t" != "$m" ] && [ -f "$dir/$inc" ] && is_interface "$dir/$inc"; then
				echo "$m $t"
			fi
		done
	done | sort -u
}

check_cycles() {
	local dir=$1 edges out
	edges=$(module_edges "$dir")
	[ -n "$edges" ] || return 0
	# tsort names the modules of each circle it finds, one per line.
	if ! out=$(tsort <<< "$edges" 2>&1 > /dev/null); then
		awk -v dir="$dir" '
			/input contains a loop/ { if (c) print c; c = ""; next }
			{ sub(/^tsort: /, ""); c = c ? c ", " $0 : "layout: modules of " dir "/ in a circle: " $0 }
			END { if (c) print c }' <<< "$out" | sort -u
		fail=1
	fi
}

for d in "${size_dirs[@]}" "${circle_dirs[@]}"; do
	[ -d "$d" ] || { echo "layout: no directory $d" >&2; exit 2; }
done
for d in "${size_dirs[@]}"; do
	check_sizes "$d"
done
for d in "${circle_dirs[@]}"; do
	check_cycles "$d"
done
exit $fail
