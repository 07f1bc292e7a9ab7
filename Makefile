# SPDX-License-Identifier: GPL-2.0-only
#
# trn: driver, runtime and tools for a Trainium-style accelerator.
#
#   make            build the library, tools and kernel module
#   make demo       build everything, boot a VM with 4 emulated devices, run nrt-ls
#   make check      all tests: unit tests, the model's qtest, static checks,
#                   builds against every pinned kernel, VM tests, packages
#   make check-kernels  trn.ko against every kernel in scripts/kernels.conf
#   make check-model-asan  the model's qtest and VM scenarios (SCENARIOS,
#                   default broken) with QEMU built with AddressSanitizer
#   make vm         interactive VM with DEVICES (default 1) devices, trn.ko loaded
#                   (KERNEL=debug: the debug guest kernel, see Documentation/testing.rst)
#   make fuzz       the uapi fuzzer in a debug-kernel VM for DURATION seconds
#   make bench      nrt-bench in a VM, with host memcpy measured on the host,
#                   and all-reduce across the VM's 16 devices
#   make bench-rack  the 144-chip rack layout booted as 9 VMs, cabling checked
#   make install    install libnrt, headers and tools (PREFIX, DESTDIR)
#   make deb        Debian packages in build/deb (trn-dkms, libnrt0, libnrt-dev,
#                   nrt-tools), checked with lintian
#
# Dependencies are installed or located by scripts/deps.sh, which caches
# heavy artefacts (QEMU, guest kernel) in $(TRN_CACHE), outside the tree.

TRN_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/trn
export TRN_CACHE
-include $(TRN_CACHE)/env.mk
# The debug guest kernel (scripts/deps.sh debug-kernel), also when env.mk was
# written without it.
-include $(TRN_CACHE)/debug-kernel.mk

DEVICES ?= 1
V ?= 0

.DEFAULT_GOAL := all

include mk/user.mk
include mk/deb.mk

KERNEL_SRCS := $(filter-out %.mod.c,$(wildcard kernel/*.c kernel/*.h)) kernel/Kbuild \
	include/uapi/drm/trn_accel.h include/uapi/linux/trn_link.h include/hw/trn_regs.h include/hw/trn_isa.h
KBUILD = $(MAKE) -C $(KDIR) M=$(CURDIR)/kernel

.PHONY: bench bench-run bench-rack
bench: deps
	$(MAKE) bench-run

# The host's memcpy bandwidth and BLAS matmul throughput are the model's
# physical limits: measure them on the host, then the device in a VM, and
# print one against the other. The VM has a ring of 16 devices for the peer
# DMA figures, which compare with local copies measured in the same run, and
# for all-reduce across the 16, whose busbw and latency compare with one
# link's push and the ring's hops of the same run. Under TCG the all-reduce
# of 64 MiB takes seconds: the VM gets a longer timeout than vm.sh's 600 s.
bench-run: user kernel need-qemu
	@mkdir -p build/bench
	build/tools/nrt-bench --host-only --json > build/bench/host-baseline.json
	tests/vm/vm.sh --topology ring:16 --topology-props cores=2,hbm-size=1G --mem 4G \
		--timeout 1800 cmd 'build/tools/nrt-bench --baseline build/bench/host-baseline.json'

# The 144-chip layout (nrt-rack gen rack144: 9 hosts of 16 chips, rings
# across the hosts) booted as 9 VMs, each host's cabling checked (86-rack).
# Eighteen vCPUs on this 2-core machine: the guests' RCU stall warnings are
# moved out of the way, and the tests get three times their budgets.
bench-rack: user kernel need-qemu
	@mkdir -p build/bench
	build/tools/nrt-rack gen rack144 > build/bench/rack144.txt
	build/tools/nrt-rack check build/bench/rack144.txt
	@start=$$(date +%s); \
	tests/vm/rack.sh --rack build/bench/rack144.txt --hbm 32M --mem 1G \
		--budget-scale 3 --append rcupdate.rcu_cpu_stall_timeout=300 \
		--scenario rack144 --out build/bench/rack144 test; st=$$?; \
	echo "bench-rack: 144 chips in 9 VMs, $$(( $$(date +%s) - start )) s, status $$st"; \
	exit $$st

.PHONY: all deps kernel demo vm check check-build check-static check-kernels vm-test \
	clean install install-kernel need-kdir need-qemu need-ksrc ynl-gen check-model \
	check-model-asan check-model-asan-run deps-debug kernel-debug need-debug-kdir

all: user kernel

deps:
	scripts/deps.sh all

need-kdir:
	@test -n "$(KDIR)" || { echo "KDIR unknown: run 'make deps' or pass KDIR=" >&2; exit 1; }

need-ksrc:
	@test -f "$(KERNEL_DOC)" || { echo "kernel-doc missing: run 'make deps'" >&2; exit 1; }

need-qemu:
	@test -x "$(QEMU)" || { echo "QEMU missing: run 'make deps'" >&2; exit 1; }

# Kbuild decides what to rebuild (sources, flags, KDIR), so always ask it.
kernel: need-kdir
	$(KBUILD) modules

# ---- trn.ko for the debug guest kernel (scripts/deps.sh debug-kernel), in
# build/kernel-debug/ so that kernel/trn.ko stays the plain build: the same
# sources through symbolic links, instrumented for KCOV (tests/fuzz) and with
# debug information (addr2line of coverage and reports).
KDEBUG_DIR := build/kernel-debug
deps-debug:
	scripts/deps.sh debug-kernel

need-debug-kdir:
	@test -n "$(DEBUG_KDIR)" || { echo "DEBUG_KDIR unknown: run 'make deps-debug'" >&2; exit 1; }

kernel-debug: need-debug-kdir
	@mkdir -p $(KDEBUG_DIR)/kernel
	@ln -sfn ../../include $(KDEBUG_DIR)/include
	@for f in kernel/Kbuild kernel/*.c kernel/*.h; do \
		case $$f in *.mod.c) continue ;; esac; \
		ln -sf ../../../$$f $(KDEBUG_DIR)/$$f; done
	@find -L $(KDEBUG_DIR)/kernel -maxdepth 1 -type l -delete
	$(MAKE) -C $(DEBUG_KDIR) M=$(CURDIR)/$(KDEBUG_DIR)/kernel KCOV_INSTRUMENT=y KCFLAGS=-g modules

# Every tests/vm/*.c is a program of its own but the sweep's operations
# (fault_ops.c), linked into fault_sweep below.
GUEST_TESTS := $(patsubst tests/vm/%.c,build/tests/vm/%,\
	$(filter-out tests/vm/fault_ops.c,$(wildcard tests/vm/*.c)))

build/tests/vm/%: tests/vm/%.c tests/vm/trn_test.h tests/common/tap.h include/uapi/drm/trn_accel.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Iinclude/uapi -Iinclude/hw -Itests/common $(USER_DRM_CFLAGS) $(USER_CMOCKA_CFLAGS) \
		-o $@ $< $(USER_DRM_LIBS) $(USER_CMOCKA_LIBS) -pthread

# What an operator's tools hear of a memory error: netlink, so libnl.
build/tests/vm/ecc_watch: tests/vm/ecc_watch.c include/uapi/linux/trn_link.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Iinclude/uapi $(USER_NL_CFLAGS) -o $@ $< $(USER_NL_LIBS)

# Tools for the debug guest kernel: the fault-injection sweep (15-faults) and
# the uapi fuzzer (tests/fuzz), on the helpers of tests/common/kdebug.c.
KDEBUG_SRCS := tests/common/kdebug.c tests/common/kdebug.h tests/vm/kernel-reports \
	include/uapi/drm/trn_accel.h include/uapi/linux/trn_link.h
KDEBUG_CFLAGS = $(USER_CFLAGS) -Iinclude/uapi -Iinclude/hw -Itests/common $(USER_DRM_CFLAGS) \
	$(USER_NL_CFLAGS)
KDEBUG_TOOLS := build/tests/vm/fault_sweep build/tests/fuzz/trn-fuzz

FAULT_SWEEP_SRCS := tests/vm/fault_sweep.c tests/vm/fault_ops.c

build/tests/vm/fault_sweep: $(FAULT_SWEEP_SRCS) tests/vm/fault_sweep.h $(KDEBUG_SRCS)
	@mkdir -p $(@D)
	$(CC) $(KDEBUG_CFLAGS) -o $@ $(FAULT_SWEEP_SRCS) tests/common/kdebug.c $(USER_DRM_LIBS) \
		$(USER_NL_LIBS)

FUZZ_SRCS := tests/fuzz/trn-fuzz.c tests/fuzz/fuzz_uapi.c tests/fuzz/fuzz_exec.c

build/tests/fuzz/trn-fuzz: $(FUZZ_SRCS) tests/fuzz/fuzz.h include/hw/trn_isa.h $(KDEBUG_SRCS)
	@mkdir -p $(@D)
	$(CC) $(KDEBUG_CFLAGS) -o $@ $(FUZZ_SRCS) tests/common/kdebug.c $(USER_DRM_LIBS) \
		$(USER_NL_LIBS)

# make fuzz DURATION=seconds [WORKERS=n]: the uapi fuzzer in a debug-kernel
# VM; new corpus inputs go to tests/fuzz/corpus, crashes to tests/fuzz/crashes.
DURATION ?= 600
WORKERS ?= 2
.PHONY: fuzz
fuzz: deps deps-debug
	$(MAKE) kernel-debug build/tests/fuzz/trn-fuzz need-qemu
	tests/fuzz/run --seconds $(DURATION) --workers $(WORKERS)

# ---- the main job: a VM with four devices, nrt-ls inside it
demo: deps
	$(MAKE) demo-run

.PHONY: demo-run
demo-run: user kernel need-qemu
	tests/vm/vm.sh --devices 4 cmd \
		'echo "# nrt-ls"; build/tools/nrt-ls; echo "# nrt-ls --json"; build/tools/nrt-ls --json'

KERNEL ?=
vm: deps $(if $(filter debug,$(KERNEL)),deps-debug)
	$(MAKE) user kernel $(if $(filter debug,$(KERNEL)),kernel-debug) need-qemu
	tests/vm/vm.sh $(if $(KERNEL),--kernel $(KERNEL)) --devices $(DEVICES) shell

# ---- tests
check: deps deps-debug
	$(MAKE) check-build
	$(MAKE) unit-test
	$(MAKE) check-model
	$(MAKE) check-static
	$(MAKE) check-kernels
	$(MAKE) vm-test
	$(MAKE) check-packages

check-build: user kernel kernel-debug $(GUEST_TESTS) $(KDEBUG_TOOLS)

# The layout rules (file sizes, the tests' too; no circle between modules),
# checkpatch --strict, kernel-doc, W=1 -Werror and sparse on everything under
# kernel/ and the headers it shares, plus QEMU's own checkpatch on the device
# model.
check-static: need-kdir need-ksrc
	@echo "  LAYOUT kernel/ qemu/ lib/ tools/ tests/"
	@scripts/check-layout.sh
	@echo "  CHECKPATCH kernel/"
	@out=$$(perl $(CHECKPATCH) --strict --no-tree -q --show-types -f \
		$(filter %.c %.h,$(KERNEL_SRCS))); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	@echo "  KERNEL-DOC kernel/ include/"
	@out=$$(perl $(KERNEL_DOC) -none -Wall $(filter %.c %.h,$(KERNEL_SRCS)) 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	@echo "  YNL-GEN Documentation/netlink/specs/trn_link.yaml"
	@YNL_GEN=$(YNL_GEN) NETLINK_SCHEMAS=$(NETLINK_SCHEMAS) scripts/ynl-gen.sh --check
	@echo "  W=1 -Werror + sparse kernel/"
	@out=$$($(KBUILD) W=1 KCFLAGS=-Werror C=2 modules 2>&1) || { echo "$$out"; exit 1; }; \
		if echo "$$out" | grep -E 'warning|error' ; then exit 1; fi
	@echo "  CHECKPATCH (QEMU) qemu/ tests/qtest/"
	@perl $(QEMU_SRC)/scripts/checkpatch.pl --no-tree -q -f qemu/*.c qemu/*.h \
		tests/qtest/*.c tests/qtest/*.h

# The device model alone, without a guest: its qtest (tests/qtest/trn-test.c,
# built by scripts/deps.sh with QEMU) against the built QEMU.
check-model: need-qemu
	@test -x "$(QEMU_QTEST)" || { echo "qtest missing: run 'make deps'" >&2; exit 1; }
	QTEST_QEMU_BINARY=$(QEMU) $(QEMU_QTEST) --tap -k

# The same with QEMU built with AddressSanitizer in a debug build (a second
# tree, scripts/deps.sh qemu-asan), then VM scenarios with that QEMU: any
# report of ASan kills QEMU, and so fails the run. Not part of check: the
# build takes as long as QEMU's, and the VMs run slower.
QEMU_ASAN_OPTIONS := detect_leaks=0:abort_on_error=1:halt_on_error=1
check-model-asan: deps
	scripts/deps.sh qemu-asan
	$(MAKE) check-model-asan-run

check-model-asan-run: check-build
	@test -x "$(QEMU_ASAN)" || { echo "run 'scripts/deps.sh qemu-asan'" >&2; exit 1; }
	ASAN_OPTIONS=$(QEMU_ASAN_OPTIONS) QTEST_QEMU_BINARY=$(QEMU_ASAN) \
		$(QEMU_ASAN_QTEST) --tap -k
	ASAN_OPTIONS=$(QEMU_ASAN_OPTIONS) QEMU=$(QEMU_ASAN) \
		tests/vm/run-scenarios $(or $(SCENARIOS),broken)

# W=1 -Werror and sparse against the headers of every kernel pinned in
# scripts/kernels.conf, each in a chroot of its Debian release with that
# release's compiler (built on first use, cached in $(TRN_CACHE)/chroot).
check-kernels:
	scripts/check-kernels.sh

# The netlink policy and op tables, kernel/trn_link_nl.[ch], from the spec.
ynl-gen: need-ksrc
	YNL_GEN=$(YNL_GEN) NETLINK_SCHEMAS=$(NETLINK_SCHEMAS) scripts/ynl-gen.sh

# SCENARIOS= selects VM scenarios (tests/vm/run-scenarios: single quad broken
# ... single@7 torus@7 single@debug faults@debug); VM_JOBS VMs run at once
# (two: under TCG each keeps about one core busy, and the suite takes half
# the time on two cores).
VM_JOBS ?= 2
vm-test: check-build need-qemu
	tests/vm/run-scenarios -j $(VM_JOBS) $(SCENARIOS)

install: install-user

install-kernel: kernel
	$(KBUILD) modules_install

clean:
	rm -rf build
	-$(if $(KDIR),$(KBUILD) clean)
