#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build trn.ko against every kernel pinned in scripts/kernels.conf, each with
# W=1 -Werror and sparse, in a chroot of the kernel's Debian release with the
# compiler its headers package names (scripts/deps.sh kernels prepares them),
# and print a table: headers, compiler, sparse, result.
#
#   scripts/check-kernels.sh           every kernel (make check-kernels)
#   scripts/check-kernels.sh KERNEL... only these: an ABI (7.3.4+deb13-amd64)
#                                      or a guest kernel name (7)
#
# Kernels listed as REFUSE_KERNEL_<n> must fail, with the one-line error of
# kernel/Kbuild. Each kernel keeps its build tree in its chroot, so only what
# changed is rebuilt, and a clean build is not repeated while its inputs stay
# the same; a failed build starts afresh the next time.
# The module built for each kernel is left in build/kernels/ABI/trn.ko (the
# VM tests boot the 7.x guest with it). Needs root for the chroots.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deps.sh
. "$TOP/scripts/deps.sh"

OUT=$TOP/build/kernels
# Sources a build needs, relative to the tree (not what kbuild generates).
SRCS=()
for f in "$TOP"/kernel/*.[ch] "$TOP"/kernel/Kbuild "$TOP"/include/uapi/drm/trn_accel.h \
	 "$TOP"/include/uapi/linux/trn_link.h "$TOP"/include/hw/*.h; do
	case "$f" in *.mod.c) ;; *) SRCS+=("${f#"$TOP"/}") ;; esac
done

# sync_tree DEST: copy the sources into DEST, only what changed, so that
# kbuild rebuilds only that; drop files no longer in the tree.
sync_tree() {
	local dest=$1 f
	(cd "$TOP" && for f in "${SRCS[@]}"; do
		mkdir -p "$dest/$(dirname "$f")"
		cmp -s "$f" "$dest/$f" || cp "$f" "$dest/$f"
	done)
	for f in "$dest"/kernel/*.[ch] "$dest"/include/*/*.h "$dest"/include/*/*/*.h; do
		case "$f" in *.mod.c) continue ;; esac
		[ -e "$TOP/${f#"$dest"/}" ] || rm -f "$f"
	done
}

# Every kernel to check, as "kind spec" lines, in table order.
kernel_list() {
	local v
	for v in $(compgen -v GUEST_KERNEL_); do echo "guest ${!v}"; done
	for v in $(compgen -v CHECK_KERNEL_ | sort -t_ -k3n); do echo "check ${!v}"; done
	for v in $(compgen -v REFUSE_KERNEL_ | sort -t_ -k3n); do echo "refuse ${!v}"; done
}

# selected SPEC: whether the command line asks for this kernel.
selected() {
	local abi n v
	[ ${#want[@]} -eq 0 ] && return 0
	abi=$(kernel_field "$1" 2)
	for n in "${want[@]}"; do
		[ "$n" = "$abi" ] && return 0
		v=GUEST_KERNEL_${n//./_}
		[[ "$v" =~ ^[A-Za-z0-9_]+$ ]] && [ "${!v:-}" = "$1" ] && return 0
	done
	return 1
}

# check_one KIND SPEC: build; prints "gcc|sparse|result" and returns nonzero
# on failure (the log is in build/kernels/ABI/build.log).
check_one() {
	local kind=$1 spec=$2 abi dir root hdr tree log cc gcc check sparse key rc=0 cc_n chk_n
	abi=$(kernel_field "$spec" 2)
	dir=$(headers_ensure "$spec")
	root=$dir/root
	hdr=/usr/src/linux-headers-$abi
	# One tree per kernel and per checkout sharing the cache.
	tree=/build/$(printf '%s' "$TOP" | sha256sum | cut -c1-8)/$abi
	log=$OUT/$abi/build.log
	mkdir -p "$OUT/$abi" "$root$tree"
	sync_tree "$root$tree"

	cc=$(sed -n 's/^CC = .*gcc-\([0-9]*\)$/gcc-\1/p' "$root$hdr/.kernelvariables")
	gcc=$(in_chroot "$dir" "${cc:-gcc}" -dumpfullversion 2>/dev/null || echo '?')
	check=$(cat "$root$hdr/.trn-check" 2>/dev/null || echo sparse)
	sparse=$(in_chroot "$dir" "$check" --version 2>/dev/null | sed 's/.*Debian: \(.*\))/\1/')
	[ "$check" = sparse ] || sparse+=" sid"

	# A clean build is not repeated while its inputs stay the same: the
	# sources, the kernel, the compiler, sparse and these scripts.
	key=$( { printf '%s\n' "$spec" "$gcc" "$sparse"; (cd "$TOP" && cat "${SRCS[@]}")
		 cat "$TOP/scripts/check-kernels.sh" "$TOP/scripts/deps.sh"; } | sha256sum)
	if [ "$kind" != refuse ] && [ -f "$OUT/$abi/trn.ko" ] &&
	   [ "$(cat "$OUT/$abi/clean" 2>/dev/null)" = "$key" ]; then
		echo "${cc:-gcc} $gcc|$sparse|ok (unchanged)"
		return 0
	fi
	rm -f "$OUT/$abi/clean"

	in_chroot "$dir" nice make -C "$hdr" M="$tree/kernel" W=1 KCFLAGS=-Werror \
		C=1 CHECK="$check" -j"$(nproc)" modules > "$log" 2>&1 || rc=$?

	if [ "$kind" = refuse ]; then
		rm -rf "${root:?}$tree"
		# Exactly one message of ours, and no compiler diagnostic.
		if [ $rc -ne 0 ] && [ "$(grep -c 'Kbuild:[0-9]*: \*\*\* ' "$log")" -eq 1 ] &&
		   grep -q 'Kbuild:[0-9]*: \*\*\* trn needs' "$log" &&
		   ! grep -q -E 'error:|warning:' "$log"; then
			echo "${cc:-gcc} $gcc|-|refused: $(sed -n 's/.*\*\*\* \(trn needs.*\)\.  Stop\./\1/p' "$log")"
			return 0
		fi
		echo "${cc:-gcc} $gcc|-|FAIL: not refused with one clear error"
		return 1
	fi
	# Clean means: built, no diagnostic, and sparse checked every file
	# compiled (kbuild prints CHECK before CC for each).
	cc_n=$(awk '/^ *CC \[M\] / { n = $NF; sub(/.*\//, "", n)
					if (n !~ /^\./ && n !~ /\.mod\.o$/) c++ }
		    END { print c + 0 }' "$log")
	chk_n=$(grep -c '^ *CHECK ' "$log" || true)
	if [ $rc -ne 0 ] || grep -q -E 'warning|error|not available or not up to date' "$log" ||
	   [ "$cc_n" -ne "$chk_n" ]; then
		# Start afresh next time: objects of a failed run hide their warnings.
		rm -rf "${root:?}$tree"
		[ "$cc_n" -eq "$chk_n" ] || echo "sparse checked $chk_n of $cc_n files" >> "$log"
		echo "${cc:-gcc} $gcc|$sparse|FAIL"
		return 1
	fi
	cp "$root$tree/kernel/trn.ko" "$OUT/$abi/trn.ko"
	echo "$key" > "$OUT/$abi/clean"
	if [ "$cc_n" -eq 0 ]; then
		echo "${cc:-gcc} $gcc|$sparse|ok (up to date)"
	else
		echo "${cc:-gcc} $gcc|$sparse|ok ($cc_n files built)"
	fi
}

want=("$@")
is_root || die "check-kernels needs root (it builds in chroots)"
need_pkgs debootstrap
fail=0
rows=()
while read -r kind spec; do
	selected "$spec" || continue
	abi=$(kernel_field "$spec" 2)
	printf '  %-6s %-28s ' "$kind" "$abi" >&2
	if res=$(check_one "$kind" "$spec"); then
		echo ok >&2
	else
		echo "FAIL (build/kernels/$abi/build.log)" >&2
		sed 's/^/    /' "$OUT/$abi/build.log" | grep -E 'warning|error|\*\*\*|sparse checked' |
			head -n 20 >&2 || true
		fail=1
	fi
	rows+=("$(kernel_field "$spec" 1)|$abi|$(kernel_field "$spec" 3)|$res")
done < <(kernel_list)
[ ${#rows[@]} -gt 0 ] || die "no kernel in scripts/kernels.conf matches: ${want[*]}"

printf '\n%-18s %-22s %-19s %-13s %-19s %s\n' suite headers version gcc sparse result
for r in "${rows[@]}"; do
	IFS='|' read -r suite abi ver gcc sparse res <<< "$r"
	printf '%-18s %-22s %-19s %-13s %-19s %s\n' "$suite" "$abi" "$ver" "$gcc" "$sparse" "$res"
done
exit $fail
