#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/mkdeb.sh OUTDIR: build the Debian packages of the tree (debian/)
# into OUTDIR with dpkg-buildpackage, then check them with lintian.
#
# The tree's files (tracked and untracked, less what .gitignore ignores) are
# copied to OUTDIR/trn-VERSION, a native source package. VERSION is the
# release version of lib/nrt.h (NRT_VERSION_*), the only place it is
# written: debian/changelog is generated here from it and from the commit
# the tree is at, whose date makes the build reproducible.
# DEB_BUILD_OPTIONS is passed on (e.g. nocheck: no unit tests).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: mkdeb.sh OUTDIR}
cd "$TOP"

ver=$(sed -n 's/^#define NRT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' lib/nrt.h |
      paste -sd.)
[[ "$ver" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "mkdeb: no version in lib/nrt.h" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/trn-$ver
rm -rf "$src" "$out"/trn_* "$out"/trn-dkms_* "$out"/libnrt* "$out"/nrt-tools_*
mkdir -p "$src"

if git rev-parse --git-dir > /dev/null 2>&1; then
	git ls-files -z -c -o --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar -c --null -T - | tar -x -C "$src"
	commit=$(git rev-parse --short=12 HEAD)
	date=$(git log -1 --format=%cD HEAD)
	git diff --quiet HEAD || commit+=" with uncommitted changes"
else
	tar -c --exclude=./build --exclude=./.git . | tar -x -C "$src"
	commit="a tree without git history"
	date=$(date -R -r lib/nrt.h)
fi

cat > "$src/debian/changelog" <<EOT
trn ($ver) unstable; urgency=medium

  * trn $ver, built from $commit.

 -- trn developers <trn@example.invalid>  $date
EOT

echo "  DEB     $out (trn $ver)"
(cd "$src" && dpkg-buildpackage -us -uc > "$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
ls "$out"/*.deb | sed 's|^.*/|  DEB     |'

changes=$out/trn_${ver}_$(dpkg --print-architecture).changes
echo "  LINT    $changes"
# lintian advises against running as root: drop to nobody when root, if
# nobody can read the packages (not under /root, for example).
lint=(lintian --fail-on "error,warning,info" --display-info --color never "$changes")
nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp)
if [ "$(id -u)" -eq 0 ] && "${nobody[@]}" test -r "$changes" 2> /dev/null; then
	lint=("${nobody[@]}" "${lint[@]}")
fi
"${lint[@]}"
