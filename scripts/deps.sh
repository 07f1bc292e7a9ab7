#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install or locate everything the trn stack needs to build and test.
#
#   scripts/deps.sh host     Debian packages for building and host tests
#   scripts/deps.sh kernel   the guest kernel images pinned in scripts/kernels.conf,
#                            the default one's headers, and checkpatch, kernel-doc
#                            and ynl-gen from its source
#   scripts/deps.sh qemu     QEMU 10.0 source (apt-get source) built with the trn model
#                            and its qtest
#   scripts/deps.sh qemu-asan  the same in a second tree, a debug build with
#                            AddressSanitizer (make check-model-asan)
#   scripts/deps.sh packages Debian's packaging tools and debootstrap (make deb,
#                            make check-packages)
#   scripts/deps.sh all      all of the above but qemu-asan (default)
#   scripts/deps.sh kernels  for `make check-kernels`: every kernel's headers in a
#                            chroot of its suite, with that suite's compiler
#   scripts/deps.sh debug-kernel
#                            the debug guest kernel (DEBUG_KERNEL in kernels.conf):
#                            KASAN, UBSAN, lockdep, kmemleak, KCOV and fault
#                            injection, built from that kernel's linux-source with
#                            tests/vm/debug.config; run by make check, not by all
#                            (a cold build takes an hour)
#
# Heavy artefacts live in $TRN_CACHE (default ~/.cache/trn), outside the clone,
# keyed by their inputs. Every step is idempotent and returns quickly when its
# result is already present. Without root, missing packages are listed with the
# exact command to install them, and the script exits with status 1.
#
# On success $TRN_CACHE/env.mk holds the resolved paths for the Makefile.
#
# Sourced (as scripts/check-kernels.sh does), it only defines its functions.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TRN_CACHE=${TRN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trn}
# shellcheck source=kernels.conf
. "$TOP/scripts/kernels.conf"
QEMU_SUITE=${TRN_QEMU_SUITE:-bookworm-backports}
mkdir -p "$TRN_CACHE"

# dwarves: pahole, which Debian's kernels need to link modules with BTF
# (linux-kbuild-* depends on it, but the headers are unpacked, not installed).
# libyaml-dev: nrt-ctk's YAML; python3-yaml and the container-device-interface
# Go sources: the CDI JSON Schema (schema/schema.json, defs.json) that the
# container test validates nrt-ctk's spec against.
HOST_PKGS=(build-essential pkg-config bc kmod cpio xz-utils zstd busybox-static
	   sparse perl python3 libdrm-dev libnl-3-dev libnl-genl-3-dev libglib2.0-dev
	   libjson-c-dev libcmocka-dev libncurses-dev libmicrohttpd-dev libopenblas-dev
	   pciutils tmux curl python3-jsonschema lm-sensors libyaml-dev python3-yaml
	   golang-github-container-orchestrated-devices-container-device-interface-dev
	   dpkg-dev dwarves debootstrap)
# Files of the kernel source that check-static runs: checkpatch, kernel-doc,
# and ynl-gen with the genetlink schemas it validates specs against.
KSRC_FILES=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
	    scripts/kernel-doc tools/net/ynl/ynl-gen-c.py tools/net/ynl/lib
	    'Documentation/netlink/genetlink*.yaml')
QEMU_PKGS=(ninja-build libglib2.0-dev libpixman-1-dev flex bison libfdt-dev
	   zlib1g-dev libslirp-dev libcap-ng-dev libattr1-dev libopenblas-dev
	   python3-venv python3-pycotap python3-tomli qemu-system-data seabios)
# make deb and its test: the packages' build dependencies are in HOST_PKGS.
PKG_PKGS=(debhelper dh-dkms lintian debootstrap)

log() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# --- private apt configuration: the system's mirror plus bookworm-backports
# and the suites of the guest kernels, with deb-src, without touching
# /etc/apt. The lists live in a directory keyed by the sources, so that trees
# with different sources sharing $TRN_CACHE never update the same lists.
apt_mirror() {
	local uri
	uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null || true)
	echo "${uri:-http://deb.debian.org/debian}"
}
apt_secmirror() {
	local uri
	uri=$(awk '/^URIs:/ && $2 ~ /security/ { print $2; exit }' \
		/etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	echo "${uri:-http://deb.debian.org/debian-security}"
}
# apt_source TYPES URI SUITES...: one deb822 stanza.
apt_source() {
	printf 'Types: %s\nURIs: %s\nSuites: %s\nComponents: main\n' "$1" "$2" "${*:3}"
	printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n'
}
APTDIR=
apt_setup() {
	local m s v suite key sources
	local -a extra=() extra_sec=()
	m=$(apt_mirror)
	s=$(apt_secmirror)
	for v in $(compgen -v GUEST_KERNEL_); do
		suite=${!v%%:*}
		case " bookworm bookworm-updates bookworm-backports bookworm-security ${extra[*]} ${extra_sec[*]} " in
		*" $suite "*) continue ;;
		esac
		case "$suite" in
		*-security) extra_sec+=("$suite") ;;
		*) extra+=("$suite") ;;
		esac
	done
	sources=$(apt_source "deb deb-src" "$m" bookworm bookworm-updates bookworm-backports
		  apt_source "deb deb-src" "$s" bookworm-security
		  apt_source deb-src "$m" trixie
		  [ ${#extra[@]} -eq 0 ] || apt_source deb "$m" "${extra[@]}"
		  [ ${#extra_sec[@]} -eq 0 ] || apt_source deb "$s" "${extra_sec[@]}")
	key=$(printf '%s\n' "$sources" | sha256sum | cut -c1-12)
	APTDIR=$TRN_CACHE/apt/$key
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/archives/partial"
	[ -f "$APTDIR/trn.sources" ] || printf '%s\n' "$sources" > "$APTDIR/trn.sources"
}
APT_OPTS=()
apt_opts() {
	APT_OPTS=(-o "Dir::Etc::SourceList=$APTDIR/trn.sources"
		  -o "Dir::Etc::SourceParts=/nonexistent"
		  -o "Dir::State::Lists=$APTDIR/lists"
		  -o "Dir::Cache::Archives=$APTDIR/archives"
		  -o "APT::Get::List-Cleanup=0" -o "Acquire::Retries=3"
		  -o "APT::Sandbox::User=root")
}
apt_update() {
	apt_setup
	apt_opts
	# Refresh at most once a day; a failed fetch of an old list is not fatal.
	if [ -z "$(find "$APTDIR/updated" -mmin -1440 2>/dev/null)" ]; then
		log "apt-get update (private list in $APTDIR)"
		flock "$APTDIR/lists/.trn-lock" apt-get "${APT_OPTS[@]}" -qq update >&2
		touch "$APTDIR/updated"
	fi
}
apt_get() { apt_update; DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" -y -q "$@" >&2; }

missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			printf '%s\n' "$p"
	done
}

need_pkgs() {
	local -a miss
	mapfile -t miss < <(missing_pkgs "$@")
	[ ${#miss[@]} -eq 0 ] && return 0
	if ! is_root; then
		die "missing Debian packages; as root run:
    apt-get install ${miss[*]}
then run this command again."
	fi
	log "installing ${miss[*]}"
	apt_get install --no-install-recommends "${miss[@]}"
}

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

need_meson() {
	local v
	v=$(meson --version 2>/dev/null || echo 0)
	version_ge "$v" 1.5 && return 0
	if ! is_root; then
		die "meson >= 1.5 is needed (found $v); as root enable bookworm-backports and run:
    apt-get install -t bookworm-backports meson"
	fi
	log "installing meson from bookworm-backports"
	apt_get install --no-install-recommends meson/bookworm-backports
}

do_host() {
	need_pkgs "${HOST_PKGS[@]}"
}

# --- kernels: everything is pinned in scripts/kernels.conf as SUITE:ABI:VERSION.

# kernel_field SPEC N: field N (1 suite, 2 ABI, 3 package version) of a pin.
kernel_field() { cut -d: -f"$2" <<< "$1"; }

# guest_spec NAME: the pin of guest kernel NAME (6.12, 7, ...).
guest_spec() {
	local v=GUEST_KERNEL_${1//./_}
	[ -n "${!v:-}" ] || die "no guest kernel '$1' in scripts/kernels.conf (have: $(guest_names))"
	echo "${!v}"
}
guest_names() { compgen -v GUEST_KERNEL_ | sed 's/^GUEST_KERNEL_//; s/_/./g' | tr '\n' ' '; }

# Where scripts/kernels.conf pins $1 (a SUITE:ABI:VERSION value).
pin_line() {
	local n
	n=$(grep -n -F "=$1" "$TOP/scripts/kernels.conf" | head -n 1 | cut -d: -f1)
	echo "${n:+line $n of }scripts/kernels.conf"
}

# pkg_download SPEC PKG...: download PKG=VERSION of a pin into the current
# directory, or fail saying which line to change when it left the archive.
pkg_download() {
	local spec=$1 ver suite p
	shift
	suite=$(kernel_field "$spec" 1)
	ver=$(kernel_field "$spec" 3)
	apt_update
	for p in "$@"; do
		# apt-cache show succeeds, silently, for a version it does not know.
		# (Not grep -q: apt-cache would die of SIGPIPE, failing the pipe.)
		if ! apt-cache "${APT_OPTS[@]}" show "$p=$ver" 2> /dev/null |
			grep '^Package:' > /dev/null; then
			die "$p $ver is no longer in $suite and not in $TRN_CACHE:
    pick a newer version (apt-cache policy linux-headers-amd64 against $suite)
    and change $(pin_line "$spec"): $spec"
		fi
	done
	apt-get "${APT_OPTS[@]}" -q download "${@/%/=$ver}" >&2
}

# guest_fetch NAME [headers]: unpack the image of guest kernel NAME (and with
# "headers" its headers, for module builds on the host) into
# $TRN_CACHE/kernel/ABI/root, never installing anything. Newer images are
# split (linux-image-ABI depends on linux-binary-ABI, linux-modules-ABI and
# linux-base-ABI, under /usr/lib/modules): the unpacked tree gets the classic
# layout, lib/modules/ABI and boot/vmlinuz-ABI, whatever the package has.
guest_fetch() {
	local spec abi ver gdir want_headers=${2:-} deb p
	local -a pkgs
	spec=$(guest_spec "$1")
	abi=$(kernel_field "$spec" 2)
	ver=$(kernel_field "$spec" 3)
	gdir=$TRN_CACHE/kernel/$abi
	if [ -f "$gdir/.done" ] && [ "$(cat "$gdir/version" 2>/dev/null)" = "$ver" ] &&
	   { [ -z "$want_headers" ] || [ -f "$gdir/root/usr/src/linux-headers-$abi/Makefile" ]; }; then
		echo "$gdir"
		return
	fi
	apt_update
	rm -rf "$gdir.tmp" && mkdir -p "$gdir.tmp"
	log "fetching kernel $abi ($ver) for the guest${want_headers:+ and for module builds}"
	pkgs=("linux-image-$abi")
	for p in $(apt-cache "${APT_OPTS[@]}" depends "linux-image-$abi=$ver" 2>/dev/null |
		   awk '$1 == "Depends:" { print $2 }'); do
		case "$p" in linux-*-"$abi") pkgs+=("$p") ;; esac
	done
	if [ -n "$want_headers" ]; then
		pkgs+=("linux-headers-$abi" "linux-headers-${abi%-*}-common" "linux-kbuild-${abi%-*}")
	fi
	(cd "$gdir.tmp" && pkg_download "$spec" "${pkgs[@]}")
	for deb in "$gdir.tmp"/*.deb; do dpkg -x "$deb" "$gdir.tmp/root"; done
	rm -f "$gdir.tmp"/*.deb
	local r=$gdir.tmp/root
	if [ ! -e "$r/lib/modules/$abi" ] && [ -d "$r/usr/lib/modules/$abi" ]; then
		mkdir -p "$r/lib/modules"
		ln -s "../../usr/lib/modules/$abi" "$r/lib/modules/$abi"
	fi
	if [ ! -e "$r/boot/vmlinuz-$abi" ] && [ -f "$r/usr/lib/modules/$abi/vmlinuz" ]; then
		mkdir -p "$r/boot"
		ln -s "../usr/lib/modules/$abi/vmlinuz" "$r/boot/vmlinuz-$abi"
	fi
	[ -f "$r/boot/vmlinuz-$abi" ] || die "no kernel image in linux-image-$abi $ver"
	if [ -n "$want_headers" ]; then
		# The arch headers include the common ones by absolute path.
		sed -i "s|^include /usr/src/|include $gdir/root/usr/src/|" \
			"$r/usr/src/linux-headers-$abi/Makefile"
	fi
	depmod -b "$r" "$abi"
	echo "$ver" > "$gdir.tmp/version"
	touch "$gdir.tmp/.done"
	rm -rf "$gdir" && mv "$gdir.tmp" "$gdir"
	echo "$gdir"
}

do_kernel() {
	local spec abi ver gdir series name
	spec=$(guest_spec "$GUEST_DEFAULT")
	abi=$(kernel_field "$spec" 2)
	ver=$(kernel_field "$spec" 3)
	for name in $(guest_names); do
		[ "$name" = "$GUEST_DEFAULT" ] || guest_fetch "$name" > /dev/null
	done
	gdir=$(guest_fetch "$GUEST_DEFAULT" headers)
	# checkpatch.pl, kernel-doc, ynl-gen and the genetlink schemas come from
	# the kernel source package: only those files are kept, under a key of
	# their list.
	series=$(cut -d. -f1,2 <<< "$abi")
	local key cdir
	key=$(printf '%s\n' "${KSRC_FILES[@]}" | sha256sum | cut -c1-8)
	cdir=$TRN_CACHE/ksrc/$ver-$key
	if [ ! -f "$cdir/.done" ]; then
		rm -rf "$cdir.tmp" && mkdir -p "$cdir.tmp"
		log "fetching linux-source-$series ($ver) for checkpatch, kernel-doc and ynl-gen"
		(cd "$cdir.tmp" && pkg_download "$spec" "linux-source-$series")
		dpkg-deb --fsys-tarfile "$cdir.tmp"/linux-source-*.deb |
			tar -x -C "$cdir.tmp" --wildcards '*/linux-source-*.tar.xz'
		tar -xf "$cdir.tmp"/usr/src/linux-source-*.tar.xz -C "$cdir.tmp" --strip-components=1 \
			--wildcards "${KSRC_FILES[@]/#/*/}"
		rm -rf "$cdir.tmp"/usr "$cdir.tmp"/*.deb
		touch "$cdir.tmp/.done"
		rm -rf "$cdir" && mv "$cdir.tmp" "$cdir"
	fi
	{
		echo "KVER := $abi"
		echo "KDIR ?= $gdir/root/usr/src/linux-headers-$abi"
		echo "GUEST_ROOT := $gdir/root"
		echo "GUEST_KERNEL := $gdir/root/boot/vmlinuz-$abi"
		echo "CHECKPATCH := $cdir/scripts/checkpatch.pl"
		echo "KERNEL_DOC := $cdir/scripts/kernel-doc"
		echo "YNL_GEN := $cdir/tools/net/ynl/ynl-gen-c.py"
		echo "NETLINK_SCHEMAS := $cdir/Documentation/netlink"
	} > "$TRN_CACHE/kernel.mk"
}

# --- chroots for `make check-kernels`: each kernel's headers are built in a
# minimal chroot of its suite's Debian release, with the compiler its headers
# package asks for, as an operator on that release would. One chroot per
# release, keyed by its inputs; headers are added to it as kernels need them.
CHROOT_PKGS=(make libc6-dev sparse)
CHROOT_RECIPE=1

# chroot_base SUITE: the release whose chroot builds SUITE's kernels.
chroot_base() {
	case "$1" in
	sid | experimental) echo sid ;;
	*) echo "${1%%-*}" ;;
	esac
}

# chroot_sources BASE: its apt sources (one-line format, as debootstrap writes).
chroot_sources() {
	local m s
	m=$(apt_mirror)
	s=$(apt_secmirror)
	case "$1" in
	sid)
		echo "deb $m sid main"
		echo "deb $m experimental main"
		;;
	*)
		echo "deb $m $1 main"
		echo "deb $m $1-updates main"
		echo "deb $m $1-backports main"
		echo "deb $s $1-security main"
		;;
	esac
}

chroot_dir() {
	local key
	key=$( { echo "$1" "$CHROOT_RECIPE" "${CHROOT_PKGS[*]}"; chroot_sources "$1"; } |
	       sha256sum | cut -c1-12)
	echo "$TRN_CACHE/chroot/$1-$key"
}

# in_chroot DIR CMD...: run CMD in the chroot with a clean environment and
# /proc (objtool reads it). /proc is mounted in a mount namespace of its own,
# so that nothing stays mounted when CMD ends. Inside another chroot, whose
# root is no mount point, a namespace cannot be made private: there /proc is
# mounted for the time of CMD, one command at a time, and unmounted after.
in_chroot() {
	local dir=$1
	shift
	local -a env=(/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
		      LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive)
	if unshare --mount --propagation private true 2> /dev/null; then
		unshare --mount --propagation private -- /bin/sh -ec \
			'mount -t proc proc "$0/proc"; exec chroot "$0" "$@"' "$dir/root" \
			"${env[@]}" "$@"
		return
	fi
	(
		exec 8> "$dir/.proc-lock"
		flock 8
		mountpoint -q "$dir/root/proc" || mount -t proc proc "$dir/root/proc"
		trap 'umount "$dir/root/proc"' EXIT
		chroot "$dir/root" "${env[@]}" "$@"
	)
}

# chroot_update DIR [force]: refresh the chroot's apt lists, at most once a
# day unless forced (sid's Release files may be past their Valid-Until date
# on a mirror: that check is off in the chroot).
chroot_update() {
	if [ -n "${2:-}" ] || [ -z "$(find "$1/apt-updated" -mmin -1440 2>/dev/null)" ]; then
		in_chroot "$1" apt-get -qq update >&2
		touch "$1/apt-updated"
	fi
}

# chroot_ensure BASE: create the chroot of release BASE if needed; prints its
# directory (the tree is DIR/root). Needs root (debootstrap, chroot).
chroot_ensure() {
	local base=$1 dir
	dir=$(chroot_dir "$base")
	if [ ! -f "$dir/.done" ]; then
		is_root || die "building the $base chroot for check-kernels needs root"
		command -v debootstrap > /dev/null || die "debootstrap missing: run scripts/deps.sh host"
		log "debootstrap $base into $dir (once; a few minutes)"
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${CHROOT_PKGS[*]}")" \
			"$base" "$dir.tmp/root" "$(apt_mirror)" > "$dir.tmp/debootstrap.log" 2>&1; then
			tail -n 20 "$dir.tmp/debootstrap.log" >&2
			die "debootstrap $base failed (log: $dir.tmp/debootstrap.log)"
		fi
		chroot_sources "$base" > "$dir.tmp/root/etc/apt/sources.list"
		cat > "$dir.tmp/root/etc/apt/apt.conf.d/90trn" <<EOT
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
APT::Sandbox::User "root";
Dpkg::Use-Pty "false";
EOT
		touch "$dir.tmp/.done"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# The test of scripts/checker-valid.sh (Linux 6.16, "kbuild: validate the
# checker"): kbuild runs sparse only if it parses __typeof_unqual__. Debian's
# 7.x headers packages lack the script, so C=1 would silently check nothing;
# headers_ensure puts this equivalent in its place. Prints 1 if the checker
# given as arguments reports no error.
CHECKER_VALID='#!/bin/sh
# Installed by trn scripts/deps.sh: the headers package lacks this script.
command -v "$1" > /dev/null || { echo 0; exit 0; }
t=$(mktemp)
printf "static int f(const int *p)\n{\n\t__typeof_unqual__(*p) v = *p;\n\n\treturn v;\n}\n" > "$t"
if "$@" "$t" 2>&1 | grep -q error; then echo 0; else echo 1; fi
rm -f "$t"
'

# headers_ensure SPEC: the headers of pin SPEC (SUITE:ABI:VERSION) installed
# in the chroot of its release, with the compiler they were built with: the
# kbuild and common packages through apt (their dependencies come along), the
# architecture package unpacked (it depends on the kernel image). Prints the
# chroot directory.
headers_ensure() {
	local spec=$1 suite abi ver dir hdr common info dep p
	local -a pkgs=()
	suite=$(kernel_field "$spec" 1)
	abi=$(kernel_field "$spec" 2)
	ver=$(kernel_field "$spec" 3)
	dir=$(chroot_ensure "$(chroot_base "$suite")")
	hdr=$dir/root/usr/src/linux-headers-$abi
	exec 9> "$dir/.lock"
	flock 9
	if [ "$(cat "$hdr/.trn-version" 2>/dev/null)" != "$ver" ]; then
		log "installing linux-headers-$abi ($ver) in $(basename "$dir")"
		chroot_update "$dir"
		# apt-cache show succeeds, silently, for a version it does not know.
		info=$(in_chroot "$dir" apt-cache show "linux-headers-$abi=$ver" 2>&1) || die "$info"
		if ! grep -q '^Package:' <<< "$info"; then
			chroot_update "$dir" force
			info=$(in_chroot "$dir" apt-cache show "linux-headers-$abi=$ver" 2>&1) ||
				die "$info"
			grep -q '^Package:' <<< "$info" ||
				die "linux-headers-$abi $ver is no longer in $suite and not in $TRN_CACHE:
    pick a newer version (apt-cache policy linux-headers-amd64 against $suite)
    and change $(pin_line "$spec"): $spec"
		fi
		for dep in $(sed -n '0,/^Depends: /s/^Depends: //p' <<< "$info" | tr -d ' ' |
			     tr ',' '\n' | sed 's/(.*//; s/|.*//'); do
			case "$dep" in
			linux-kbuild-* | linux-headers-*-common*) pkgs+=("$dep=$ver") ;;
			gcc-[0-9]*) pkgs+=("$dep") ;;
			esac
		done
		in_chroot "$dir" apt-get -q -y install "${pkgs[@]}" >&2
		rm -rf "$dir/root/var/tmp/trn-debs" && mkdir -p "$dir/root/var/tmp/trn-debs"
		in_chroot "$dir" sh -c "cd /var/tmp/trn-debs && apt-get -q download linux-headers-$abi=$ver" >&2
		# Not dpkg -x: tar would replace the merged-/usr symlinks (/lib).
		for p in "$dir/root/var/tmp/trn-debs"/*.deb; do
			dpkg-deb --fsys-tarfile "$p" | tar -x --keep-directory-symlink -C "$dir/root"
		done
		rm -rf "$dir/root/var/tmp/trn-debs"
		[ -f "$hdr/Makefile" ] || die "linux-headers-$abi has no Makefile"
		echo "$ver" > "$hdr/.trn-version"
	fi
	# kbuild runs scripts/checker-valid.sh before it lets sparse run.
	common=$(sed -n 's|^include \(/usr/src/.*\)/Makefile$|\1|p' "$hdr/Makefile")
	p=$dir/root$common/scripts/checker-valid.sh
	if grep -qs checker-valid.sh "$dir/root$common/Makefile"; then
		if [ ! -e "$p" ]; then
			printf '%s' "$CHECKER_VALID" > "$p"
			chmod +x "$p"
		fi
		# The release's own sparse may be too old for these headers.
		if [ "$(in_chroot "$dir" sh "$common/scripts/checker-valid.sh" sparse)" != 1 ]; then
			sparse_newest "$dir"
			[ "$(in_chroot "$dir" sh "$common/scripts/checker-valid.sh" \
			     "$SPARSE_NEWEST")" = 1 ] ||
				die "no sparse in Debian parses the headers of $abi"
			echo "$SPARSE_NEWEST" > "$hdr/.trn-check"
		fi
	fi
	flock -u 9
	echo "$dir"
}

# Debian 13's sparse (0.6.4) cannot parse Linux 7.x headers (__typeof_unqual__);
# sid's can. It needs only the C library (2.38 or newer), so its binary runs
# in a Debian 13 chroot: unpacked under /opt, the chroot's own packages stay.
SPARSE_NEWEST=/opt/trn-sparse/usr/bin/sparse
sparse_newest() {
	local dir=$1 sid
	[ -x "$dir/root$SPARSE_NEWEST" ] && return
	sid=$(chroot_ensure sid)
	log "unpacking sid's sparse into $(basename "$dir")"
	chroot_update "$sid"
	rm -rf "$sid/root/var/tmp/trn-sparse" && mkdir -p "$sid/root/var/tmp/trn-sparse"
	in_chroot "$sid" sh -c 'cd /var/tmp/trn-sparse && apt-get -q download sparse' >&2
	dpkg -x "$sid/root/var/tmp/trn-sparse"/sparse_*.deb "$dir/root/opt/trn-sparse"
	rm -rf "$sid/root/var/tmp/trn-sparse"
}

do_kernels() {
	local v
	for v in $(compgen -v GUEST_KERNEL_) $(compgen -v CHECK_KERNEL_) $(compgen -v REFUSE_KERNEL_); do
		headers_ensure "${!v}" > /dev/null
	done
}

# --- the debug guest kernel (DEBUG_KERNEL in scripts/kernels.conf; vm.sh
# --kernel debug): Debian's linux-source of that guest kernel's pinned
# version, allnoconfig plus tests/vm/debug.config, built once per (source
# version, fragment, recipe, compiler) into $TRN_CACHE/debug-kernel/<version>-<key>:
#   src/    the source, build/  the object tree (KDIR for trn.ko),
#   root/   boot/vmlinuz-<kver> and lib/modules/<kver> for the guest.
# Bump DEBUG_KERNEL_RECIPE whenever do_debug_kernel changes what it builds.
DEBUG_KERNEL_RECIPE=1
DEBUG_KERNEL_PKGS=(bc flex bison libelf-dev libssl-dev xz-utils)

# No in-tree driver of this small configuration selects the DRM helpers
# trn.ko links against (they have no prompt): a symbol without code does.
debug_kernel_kconfig() {
	cat >> "$1/drivers/gpu/drm/Kconfig" <<'EOT'

config TRN_DRM_DEPS
	tristate "DRM helpers for the out-of-tree trn driver"
	depends on DRM && MMU
	select DRM_SCHED
	select DRM_BUDDY
	select DRM_GEM_SHMEM_HELPER
	select DRM_EXEC
	help
	  Builds the DRM helper modules trn.ko links against.
EOT
}

do_debug_kernel() {
	local spec ver series frag=$TOP/tests/vm/debug.config
	local key dir kver t0 jobs resumed=
	spec=$(guest_spec "$DEBUG_KERNEL")
	ver=$(kernel_field "$spec" 3)
	series=$(kernel_field "$spec" 2 | cut -d. -f1,2)
	need_pkgs "${DEBUG_KERNEL_PKGS[@]}"
	key=$( { echo "$ver"; cat "$frag"; echo "$DEBUG_KERNEL_RECIPE";
		 declare -f debug_kernel_kconfig; gcc --version | head -n 1; } |
	       sha256sum | cut -c1-12)
	dir=$TRN_CACHE/debug-kernel/$ver-$key
	mkdir -p "$TRN_CACHE/debug-kernel"
	# One builder at a time (several clones may share the cache).
	exec 9> "$dir.lock"
	flock 9
	# A build that was interrupted after its configuration resumes where it
	# stopped (kbuild is incremental); anything earlier starts afresh.
	[ -f "$dir/.configured" ] && resumed=", resumed"
	if [ ! -f "$dir/.done" ] && [ ! -f "$dir/.configured" ]; then
		rm -rf "$dir" && mkdir -p "$dir/src" "$dir/build" "$dir/root/boot"
		log "fetching linux-source-$series ($ver) for the debug kernel"
		(cd "$dir" && pkg_download "$spec" "linux-source-$series")
		dpkg-deb --fsys-tarfile "$dir"/linux-source-*.deb |
			tar -xO --wildcards '*/linux-source-*.tar.xz' |
			tar -xJ -C "$dir/src" --strip-components=1
		rm -f "$dir"/linux-source-*.deb
		debug_kernel_kconfig "$dir/src"
		(cd "$dir/src" && scripts/kconfig/merge_config.sh -n -O "$dir/build" "$frag" \
			> "$dir/config.log" 2>&1) ||
			{ tail -n 30 "$dir/config.log" >&2; die "debug kernel configuration failed"; }
		# merge_config only warns when a symbol did not get its value: refuse.
		local line want got bad=
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=*) want=${line#*=} ;;
			"# CONFIG_"*" is not set") line=${line#\# }; line=${line%% *}=n; want=n ;;
			*) continue ;;
			esac
			got=$(sed -n "s/^${line%%=*}=//p" "$dir/build/.config")
			[ "$got" = "$want" ] || { [ "$want" = n ] && [ -z "$got" ]; } ||
				bad+=" ${line%%=*}=${got:-n} (want $want)"
		done < "$frag"
		[ -z "$bad" ] || die "debug kernel options not applied:$bad"
		touch "$dir/.configured"
	fi
	if [ ! -f "$dir/.done" ]; then
		jobs=$(nproc)
		log "building the debug kernel $ver (make -j$jobs, niced; log: $dir/build.log)"
		t0=$SECONDS
		nice make -C "$dir/build" -j"$jobs" bzImage modules >> "$dir/build.log" 2>&1 ||
			{ grep -E -B2 -A8 'error|Error' "$dir/build.log" | head -n 60 >&2
			  die "debug kernel build failed (log: $dir/build.log)"; }
		kver=$(cat "$dir/build/include/config/kernel.release")
		make -C "$dir/build" INSTALL_MOD_PATH="$dir/root" modules_install \
			>> "$dir/build.log" 2>&1 || die "debug kernel modules_install failed"
		rm -f "$dir/root/lib/modules/$kver/build" "$dir/root/lib/modules/$kver/source"
		cp "$dir/build/arch/x86/boot/bzImage" "$dir/root/boot/vmlinuz-$kver"
		cp "$dir/build/System.map" "$dir/build/.config" "$dir/root/boot/"
		echo "$kver" > "$dir/kver"
		echo "$((SECONDS - t0)) s$resumed, load $(cut -d' ' -f1-3 /proc/loadavg)" > "$dir/build-time"
		log "debug kernel $kver built in $(cat "$dir/build-time")"
		touch "$dir/.done"
	fi
	exec 9>&-
	kver=$(cat "$dir/kver")
	{
		echo "DEBUG_KVER := $kver"
		echo "DEBUG_KDIR := $dir/build"
		echo "DEBUG_GUEST_ROOT := $dir/root"
		echo "DEBUG_GUEST_KERNEL := $dir/root/boot/vmlinuz-$kver"
	} > "$TRN_CACHE/debug-kernel.mk"
}

# --- QEMU: Debian's source with our device model added, built once per
# (source tarball, configure options, integration recipe and patches) and
# then kept in step with qemu/ and tests/qtest/ by an incremental ninja run.
# Two flavours: "release" for the VMs, "asan" (AddressSanitizer, debug) to
# hunt memory errors in the model.
QEMU_CONFIGURE=(--target-list=x86_64-softmmu --without-default-features
		--enable-fdt=system --enable-kvm --enable-tcg --enable-slirp
		--enable-virtfs --enable-attr --disable-docs --disable-install-blobs
		--disable-werror --python=/usr/bin/python3)
# -O1: a debug build at -O0 makes TCG too slow for the VM scenarios.
QEMU_ASAN_CONFIGURE=(--enable-asan --enable-debug --extra-cflags=-O1)
QEMU_RECIPE=2
# QEMU's own files change in two places, applied in this order: the hook
# of hw/misc/trn and the qtest, and a fix to TCG that the 16-device VMs
# need (see the patch's header).
QEMU_PATCHES=("$TOP/qemu/qemu-10.0.patch" "$TOP/qemu/qemu-10.0-tcg-dispatch.patch")
QEMU_TARGETS=(qemu-system-x86_64 tests/qtest/trn-test)

qemu_fetch() {
	local dl=$TRN_CACHE/qemu/dl suite
	mkdir -p "$dl"
	if ! compgen -G "$dl/qemu_10.0*.orig.tar.*" > /dev/null; then
		apt_update
		for suite in $QEMU_SUITE trixie; do
			log "apt-get source qemu/$suite"
			# Debian drops superseded .dsc/.debian files from the pool while
			# the orig tarball stays: only the tarball is needed.
			(cd "$dl" && apt-get "${APT_OPTS[@]}" -q source --download-only \
				"qemu/$suite" >&2) || true
			compgen -G "$dl/qemu_10.0*.orig.tar.*" > /dev/null && break
		done
	fi
	compgen -G "$dl/qemu_10.0*.orig.tar.*" | sort -V | tail -n 1
}

# Copy $1 to $2 only when the content differs, so ninja rebuilds only what changed.
sync_file() { cmp -s "$1" "$2" || cp "$1" "$2"; }

# The model's files: qemu/ (but the patches) and the shared headers into
# hw/misc/trn/, our qtest into tests/qtest/.
qemu_integrate() {
	local src=$1 f
	mkdir -p "$src/hw/misc/trn"
	for f in "$TOP"/qemu/*.[ch] "$TOP"/qemu/Kconfig "$TOP"/qemu/meson.build \
		 "$TOP"/qemu/trace-events "$TOP"/include/hw/trn_*.h; do
		sync_file "$f" "$src/hw/misc/trn/$(basename "$f")"
	done
	for f in "$src/hw/misc/trn"/*; do
		[ -e "$TOP/qemu/$(basename "$f")" ] || [ -e "$TOP/include/hw/$(basename "$f")" ] ||
			rm -f "$f"
	done
	for f in "$TOP"/tests/qtest/trn-test*.[ch]; do
		sync_file "$f" "$src/tests/qtest/$(basename "$f")"
	done
}

# do_qemu FLAVOUR: release or asan.
do_qemu() {
	local flavour=$1
	need_pkgs "${QEMU_PKGS[@]}"
	need_meson
	local tarball ver key bdir src mk p opts=("${QEMU_CONFIGURE[@]}")
	[ "$flavour" = asan ] && opts+=("${QEMU_ASAN_CONFIGURE[@]}")
	tarball=$(qemu_fetch)
	[ -n "$tarball" ] || die "cannot fetch the QEMU 10.0 source (apt-get source qemu)"
	ver=$(basename "$tarball" | sed 's/^qemu_\(.*\)\.orig\.tar\..*$/\1/')
	key=$(printf '%s\n' "$(basename "$tarball")" "${opts[*]}" "$QEMU_RECIPE" \
		"$(cat "${QEMU_PATCHES[@]}" | sha256sum)" | sha256sum | cut -c1-12)
	bdir=$TRN_CACHE/qemu/$ver-$key
	src=$bdir/src
	if [ ! -f "$bdir/.configured" ]; then
		log "unpacking QEMU $ver into $bdir ($flavour)"
		rm -rf "$bdir" && mkdir -p "$src"
		tar -xf "$tarball" -C "$src" --strip-components=1
		qemu_integrate "$src"
		for p in "${QEMU_PATCHES[@]}"; do
			# Upstream fixed it too, differently (2865bf1c5795 "system/physmem:
			# fix use-after-free with dispatch", QEMU 10.0.4 and 10.1, which
			# drops memory_dispatch): not for a source that has that commit.
			if [[ $p == *-tcg-dispatch.patch ]] &&
			   ! grep -q memory_dispatch "$src/system/physmem.c"; then
				log "QEMU $ver has the TCG fix already: $(basename "$p") not applied"
				continue
			fi
			patch -d "$src" -p1 --forward --quiet < "$p" ||
				die "cannot apply $p to QEMU $ver"
		done
		log "configuring QEMU"
		(cd "$src" && mkdir -p build && cd build &&
		 ../configure "${opts[@]}" > "$bdir/configure.log" 2>&1) ||
			{ tail -n 30 "$bdir/configure.log" >&2; die "QEMU configure failed"; }
		touch "$bdir/.configured"
	fi
	qemu_integrate "$src"
	if ! nice ninja -C "$src/build" "${QEMU_TARGETS[@]}" > "$bdir/build.log" 2>&1; then
		grep -E -A5 'error|FAILED' "$bdir/build.log" | head -n 60 >&2
		die "QEMU build failed (log: $bdir/build.log)"
	fi
	if [ "$flavour" = asan ]; then
		mk=$TRN_CACHE/qemu-asan.mk
		{
			echo "QEMU_ASAN := $src/build/qemu-system-x86_64"
			echo "QEMU_ASAN_QTEST := $src/build/tests/qtest/trn-test"
		} > "$mk"
	else
		mk=$TRN_CACHE/qemu.mk
		{
			echo "QEMU := $src/build/qemu-system-x86_64"
			echo "QEMU_SRC := $src"
			echo "QEMU_QTEST := $src/build/tests/qtest/trn-test"
		} > "$mk"
	fi
}

write_env() {
	{
		echo "# generated by scripts/deps.sh"
		echo "TRN_CACHE := $TRN_CACHE"
		[ -f "$TRN_CACHE/kernel.mk" ] && cat "$TRN_CACHE/kernel.mk"
		[ -f "$TRN_CACHE/qemu.mk" ] && cat "$TRN_CACHE/qemu.mk"
		[ -f "$TRN_CACHE/qemu-asan.mk" ] && cat "$TRN_CACHE/qemu-asan.mk"
		[ -f "$TRN_CACHE/debug-kernel.mk" ] && cat "$TRN_CACHE/debug-kernel.mk"
		true
	} > "$TRN_CACHE/env.mk.new"
	mv "$TRN_CACHE/env.mk.new" "$TRN_CACHE/env.mk"
}

# Sourced: functions only.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

case "${1:-all}" in
host) do_host ;;
kernel) do_host; do_kernel ;;
qemu) do_host; do_qemu release ;;
qemu-asan) do_host; do_qemu asan ;;
packages) do_host; need_pkgs "${PKG_PKGS[@]}" ;;
all) do_host; do_kernel; do_qemu release; need_pkgs "${PKG_PKGS[@]}" ;;
kernels) do_host; do_kernels ;;
debug-kernel) do_host; do_kernel; do_debug_kernel ;;
*) die "usage: $0 [host|kernel|qemu|qemu-asan|packages|all|kernels|debug-kernel]" ;;
esac
write_env
