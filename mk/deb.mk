# SPDX-License-Identifier: GPL-2.0-only
#
# Debian packages of the tree (debian/), included by the top-level Makefile:
#
#   deb             trn-dkms, libnrt0, libnrt-dev and nrt-tools in build/deb/,
#                   built with dpkg-buildpackage and checked with lintian
#                   (scripts/mkdeb.sh; DEB_BUILD_OPTIONS=nocheck skips the
#                   unit tests in the package build)
#   check-packages  install them with apt in a fresh Debian 12 chroot, let
#                   DKMS build trn.ko for the guest kernel, boot the chroot
#                   in a VM and check the installed driver, udev rule, tools
#                   and library (tests/pkg/check-packages)

DEB_OUT := $(USER_BUILD)/deb

.PHONY: deb deb-deps check-packages

deb-deps:
	scripts/deps.sh packages

deb: deb-deps
	scripts/mkdeb.sh $(DEB_OUT)

# make check has run the unit tests already.
check-packages: deb-deps need-qemu need-kdir
	DEB_BUILD_OPTIONS=nocheck scripts/mkdeb.sh $(DEB_OUT)
	tests/pkg/check-packages $(DEB_OUT)
