#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install or locate everything the trn stack needs to build and test.
#
#   scripts/deps.sh host     Debian packages for building and host tests
#   scripts/deps.sh kernel   kernel 6.12 headers (bookworm-backports), guest kernel
#                            image, checkpatch, kernel-doc and ynl-gen, resolved
#                            and cached
#   scripts/deps.sh qemu     QEMU 10.0 source (apt-get source) built with the trn model
#   scripts/deps.sh all      all of the above (default)
#
# Heavy artefacts live in $TRN_CACHE (default ~/.cache/trn), outside the clone,
# keyed by their inputs. Every step is idempotent and returns quickly when its
# result is already present. Without root, missing packages are listed with the
# exact command to install them, and the script exits with status 1.
#
# On success $TRN_CACHE/env.mk holds the resolved paths for the Makefile.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
TRN_CACHE=${TRN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trn}
KSERIES=${TRN_KERNEL_SERIES:-6.12}
QEMU_SUITE=${TRN_QEMU_SUITE:-bookworm-backports}
mkdir -p "$TRN_CACHE"

# dwarves: pahole, which Debian's kernels need to link modules with BTF
# (linux-kbuild-* depends on it, but the headers are unpacked, not installed).
HOST_PKGS=(build-essential pkg-config bc kmod cpio xz-utils zstd busybox-static
	   sparse perl python3 libdrm-dev libnl-3-dev libnl-genl-3-dev libpci-dev
	   libjson-c-dev libcmocka-dev libncurses-dev libmicrohttpd-dev libopenblas-dev
	   pciutils tmux curl python3-jsonschema python3-yaml lm-sensors
	   dpkg-dev dwarves)
# Files of the kernel source that check-static runs: checkpatch, kernel-doc,
# and ynl-gen with the genetlink schemas it validates specs against.
KSRC_FILES=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
	    scripts/kernel-doc tools/net/ynl/ynl-gen-c.py tools/net/ynl/lib
	    'Documentation/netlink/genetlink*.yaml')
QEMU_PKGS=(ninja-build libglib2.0-dev libpixman-1-dev flex bison libfdt-dev
	   zlib1g-dev libslirp-dev libcap-ng-dev libattr1-dev libopenblas-dev
	   python3-venv python3-pycotap python3-tomli qemu-system-data seabios)

log() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# --- private apt configuration: the system's mirror plus bookworm-backports,
# with deb-src, without touching /etc/apt.
APTDIR=$TRN_CACHE/apt
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
apt_setup() {
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/archives/partial"
	local m s
	m=$(apt_mirror)
	s=$(apt_secmirror)
	cat > "$APTDIR/sources.new" <<EOT
Types: deb deb-src
URIs: $m
Suites: bookworm bookworm-updates bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: $s
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: $m
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
	if ! cmp -s "$APTDIR/sources.new" "$APTDIR/trn.sources" 2>/dev/null; then
		mv "$APTDIR/sources.new" "$APTDIR/trn.sources"
		rm -f "$APTDIR/updated"
	else
		rm -f "$APTDIR/sources.new"
	fi
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
		apt-get "${APT_OPTS[@]}" -qq update >&2
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

# --- kernel: resolve the 6.12 ABI name through the backports metapackage.
kernel_resolve() {
	local f=$TRN_CACHE/kernel/abi
	if [ -s "$f" ] && [ -n "$(find "$f" -mmin -1440)" ]; then
		cat "$f"; return
	fi
	apt_update
	local dep
	dep=$(apt-cache "${APT_OPTS[@]}" depends -t bookworm-backports linux-image-amd64 2>/dev/null |
	      awk '/Depends: linux-image-[0-9]/ { sub(/^linux-image-/, "", $2); print $2; exit }')
	[ -n "$dep" ] || die "cannot resolve linux-image-amd64 in bookworm-backports"
	case "$dep" in "$KSERIES".*) ;; *) die "bookworm-backports kernel is $dep, not $KSERIES";; esac
	mkdir -p "$TRN_CACHE/kernel"
	echo "$dep" > "$f"
	echo "$dep"
}

do_kernel() {
	local abi gdir ver
	if [ -n "${TRN_KERNEL_ABI:-}" ]; then abi=$TRN_KERNEL_ABI; else abi=$(kernel_resolve); fi
	# Guest kernel and build headers: unpack the packages into the cache, never
	# install them (the headers package would pull the image into /boot).
	gdir=$TRN_CACHE/kernel/$abi
	if [ ! -f "$gdir/.done" ]; then
		apt_update
		rm -rf "$gdir.tmp" && mkdir -p "$gdir.tmp"
		log "fetching kernel $abi packages for the guest and for module builds"
		ver=$(apt-cache "${APT_OPTS[@]}" show "linux-headers-$abi" |
		      awk '/^Version:/ { print $2; exit }')
		(cd "$gdir.tmp" && apt-get "${APT_OPTS[@]}" -q download "linux-image-$abi" \
			"linux-headers-$abi" "linux-headers-${abi%-*}-common" \
			"linux-kbuild-${abi%-*}" >&2)
		local deb
		for deb in "$gdir.tmp"/*.deb; do dpkg -x "$deb" "$gdir.tmp/root"; done
		rm -f "$gdir.tmp"/*.deb
		# The arch headers include the common ones by absolute path.
		sed -i "s|^include /usr/src/|include $gdir/root/usr/src/|" \
			"$gdir.tmp/root/usr/src/linux-headers-$abi/Makefile"
		depmod -b "$gdir.tmp/root" "$abi"
		echo "$ver" > "$gdir.tmp/version"
		touch "$gdir.tmp/.done"
		rm -rf "$gdir" && mv "$gdir.tmp" "$gdir"
	fi
	ver=$(cat "$gdir/version")
	# checkpatch.pl, kernel-doc, ynl-gen and the genetlink schemas come from
	# the kernel source package: only those files are kept, under a key of
	# their list.
	local key cdir
	key=$(printf '%s\n' "${KSRC_FILES[@]}" | sha256sum | cut -c1-8)
	cdir=$TRN_CACHE/ksrc/$ver-$key
	if [ ! -f "$cdir/.done" ]; then
		apt_update
		rm -rf "$cdir.tmp" && mkdir -p "$cdir.tmp"
		log "fetching linux-source-$KSERIES ($ver) for checkpatch, kernel-doc and ynl-gen"
		(cd "$cdir.tmp" && apt-get "${APT_OPTS[@]}" -q download "linux-source-$KSERIES=$ver" >&2)
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

# --- QEMU: Debian's source with our device model added, built once per
# (source tarball, configure options, integration recipe) and then kept in step
# with qemu/ by an incremental ninja run.
QEMU_CONFIGURE=(--target-list=x86_64-softmmu --without-default-features
		--enable-fdt=system --enable-kvm --enable-tcg --enable-slirp
		--enable-virtfs --enable-attr --disable-docs --disable-install-blobs
		--disable-werror --python=/usr/bin/python3)
QEMU_RECIPE=1

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

qemu_integrate() {
	local src=$1 f
	mkdir -p "$src/hw/misc/trn"
	for f in "$TOP"/qemu/*; do
		[ -f "$f" ] && sync_file "$f" "$src/hw/misc/trn/$(basename "$f")"
	done
	for f in "$TOP"/include/hw/trn_*.h; do
		sync_file "$f" "$src/hw/misc/trn/$(basename "$f")"
	done
	for f in "$src/hw/misc/trn"/*; do
		[ -e "$TOP/qemu/$(basename "$f")" ] || [ -e "$TOP/include/hw/$(basename "$f")" ] ||
			rm -f "$f"
	done
}

qemu_hook() {
	local src=$1
	grep -q 'source trn/Kconfig' "$src/hw/misc/Kconfig" ||
		printf '\nsource trn/Kconfig\n' >> "$src/hw/misc/Kconfig"
	grep -q "subdir('trn')" "$src/hw/misc/meson.build" ||
		printf "\nsubdir('trn')\n" >> "$src/hw/misc/meson.build"
	grep -q "'hw/misc/trn'," "$src/meson.build" ||
		sed -i "s|^    'hw/misc',$|    'hw/misc',\n    'hw/misc/trn',|" "$src/meson.build"
	grep -q "'hw/misc/trn'," "$src/meson.build" || die "cannot hook trace-events into QEMU"
	# Debian's +ds tarball has no prebuilt EDK2 images; we need none of them.
	sed -i 's/^    unpack_edk2_blobs = bzip2.found()$/    unpack_edk2_blobs = false/' \
		"$src/meson.build"
}

do_qemu() {
	need_pkgs "${QEMU_PKGS[@]}"
	need_meson
	local tarball ver key bdir src
	tarball=$(qemu_fetch)
	[ -n "$tarball" ] || die "cannot fetch the QEMU 10.0 source (apt-get source qemu)"
	ver=$(basename "$tarball" | sed 's/^qemu_\(.*\)\.orig\.tar\..*$/\1/')
	key=$(printf '%s\n' "$(basename "$tarball")" "${QEMU_CONFIGURE[*]}" "$QEMU_RECIPE" |
	      sha256sum | cut -c1-12)
	bdir=$TRN_CACHE/qemu/$ver-$key
	src=$bdir/src
	if [ ! -f "$bdir/.configured" ]; then
		log "unpacking QEMU $ver into $bdir"
		rm -rf "$bdir" && mkdir -p "$src"
		tar -xf "$tarball" -C "$src" --strip-components=1
		qemu_integrate "$src"
		qemu_hook "$src"
		log "configuring QEMU"
		(cd "$src" && mkdir -p build && cd build &&
		 ../configure "${QEMU_CONFIGURE[@]}" > "$bdir/configure.log" 2>&1) ||
			{ tail -n 30 "$bdir/configure.log" >&2; die "QEMU configure failed"; }
		touch "$bdir/.configured"
	fi
	qemu_integrate "$src"
	if ! ninja -C "$src/build" qemu-system-x86_64 > "$bdir/build.log" 2>&1; then
		grep -E -A5 'error|FAILED' "$bdir/build.log" | head -n 60 >&2
		die "QEMU build failed (log: $bdir/build.log)"
	fi
	{
		echo "QEMU := $src/build/qemu-system-x86_64"
		echo "QEMU_SRC := $src"
	} > "$TRN_CACHE/qemu.mk"
}

write_env() {
	{
		echo "# generated by scripts/deps.sh"
		echo "TRN_CACHE := $TRN_CACHE"
		[ -f "$TRN_CACHE/kernel.mk" ] && cat "$TRN_CACHE/kernel.mk"
		[ -f "$TRN_CACHE/qemu.mk" ] && cat "$TRN_CACHE/qemu.mk"
	} > "$TRN_CACHE/env.mk.new"
	mv "$TRN_CACHE/env.mk.new" "$TRN_CACHE/env.mk"
}

case "${1:-all}" in
host) do_host ;;
kernel) do_host; do_kernel ;;
qemu) do_host; do_qemu ;;
all) do_host; do_kernel; do_qemu ;;
*) die "usage: $0 [host|kernel|qemu|all]" ;;
esac
write_env
