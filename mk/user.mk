# SPDX-License-Identifier: GPL-2.0-only
#
# Userspace part of the trn stack: libnrt, nrt-ls, nrt-bench, their unit
# tests and the device tests.
# Included by the top-level Makefile, so paths are relative to the repository
# root. Everything is built out of tree under build/.
#
# Targets:
#   user          build/lib/libnrt.so{,.0,.0.7.0}, build/lib/nrt.pc,
#                 build/tools/nrt-ls, build/tools/nrt-top, build/tools/nrt-bench,
#                 build/tools/nrt-ccl-test, build/tools/nrt-rack,
#                 the workload build/tests/dev/nrt_load and the device
#                 tests build/tests/dev/test_dma (run in a VM or on a machine
#                 with a trn device, not by unit-test)
#   unit-test     build the unit tests with ASan/UBSan in build/asan/ and
#                 run them all; check that the library exports exactly the
#                 functions nrt.h declares
#   user-dist     what install-user installs: the library, its links,
#                 nrt.pc and the tools (no tests)
#   install-user  install into $(DESTDIR)$(PREFIX)
#   clean-user    remove what the targets above build
#
# CPPFLAGS, CFLAGS and LDFLAGS from the command line or environment are
# appended to the flags below.

# Including this file must not change the includer's default goal.
USER_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

USER_BUILD := build
USER_ASAN := $(USER_BUILD)/asan

# The release version of the project (libnrt, the tools and the Debian
# packages, see mk/deb.mk) is defined once, in lib/nrt.h.
NRT_VERSION := $(shell sed -n 's/^\#define NRT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$$/\2/p' \
	lib/nrt.h | paste -sd.)
NRT_SOVERSION := 0
NRT_SONAME := libnrt.so.$(NRT_SOVERSION)
NRT_REALNAME := libnrt.so.$(NRT_VERSION)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

PKG_CONFIG ?= pkg-config
# The tools find build/lib in the tree and $(PREFIX)/lib after make install;
# packages that install the library into the system's directory set it empty.
NRT_TOOLS_RPATH ?= -Wl,-rpath,'$$ORIGIN/../lib'
INSTALL ?= install

USER_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -O2 -g
USER_SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# --- configuration ----------------------------------------------------------
#
# The flags of the libraries come from pkg-config, resolved once into
# $(USER_CONFIG) (USER_<NAME>_CFLAGS and USER_<NAME>_LIBS for each NAME=package
# below) by mk/user-config.sh, not on every run. The file is made again when
# it is missing, when mk/user.mk or the script change, when a .pc file it was
# resolved from changes or goes away, when pkg-config would answer
# differently (USER_CONFIG_KEY: the program and its search path), and on
# every run while a package is missing.
#   NL:     libnl-genl-3: the trn_link generic netlink family (libnrt topology)
#   BLAS:   the host's BLAS: nrt-bench's matmul baseline
#   CURSES: nrt-top's full-screen view; MHD: its Prometheus endpoint
#   YAML:   libyaml's emitter, for the CDI specification of nrt-ctk
#   GLIB:   the QEMU model's interpreter, unit-tested on the host
USER_PKGS := DRM=libdrm JSON=json-c NL=libnl-genl-3.0 CMOCKA=cmocka \
	BLAS=openblas CURSES=ncursesw MHD=libmicrohttpd YAML=yaml-0.1 GLIB=glib-2.0
USER_CONFIG := $(USER_BUILD)/config.mk
USER_CONFIG_KEY := $(PKG_CONFIG)|$(PKG_CONFIG_PATH)|$(PKG_CONFIG_LIBDIR)|$(PKG_CONFIG_SYSROOT_DIR)

-include $(USER_CONFIG)

# Once per make: the file made again is read again by a restarted make
# (MAKE_RESTARTS set), which must not make it again while a package is still
# missing (on a fresh machine, before "make deps" installed pkg-config),
# or it would restart for ever.
ifeq ($(MAKE_RESTARTS),)
ifneq ($(USER_CONFIG_KEY)|$(strip $(USER_CONFIG_MISSING))|$(USER_CONFIG_PCFILES),$(USER_CONFIG_SAVED_KEY)||$(wildcard $(USER_CONFIG_PCFILES)))
$(USER_CONFIG): user-config-force
endif
endif

$(USER_CONFIG): mk/user.mk mk/user-config.sh $(wildcard $(USER_CONFIG_PCFILES))
	@mkdir -p $(@D)
	@mk/user-config.sh $@ '$(USER_CONFIG_KEY)' '$(PKG_CONFIG)' $(USER_PKGS)
	@echo "  GEN     $@"

.PHONY: user-config-force

USER_DEPFLAGS = -MMD -MP -MF $(@:.o=.d)

# --- libnrt -----------------------------------------------------------------

NRT_LIB_SRCS := lib/nrt_buffer.c lib/nrt_device.c lib/nrt_dma.c lib/nrt_enum.c lib/nrt_error.c \
	lib/nrt_fence.c lib/nrt_fence_pool.c lib/nrt_log.c lib/nrt_peer.c lib/nrt_program.c \
	lib/nrt_run.c lib/nrt_step.c lib/nrt_tensor.c lib/nrt_topology.c lib/nrt_transfer.c \
	lib/nrt_ccl_algo.c lib/nrt_ccl_boot.c lib/nrt_ccl_hub.c lib/nrt_ccl_reduce.c \
	lib/nrt_ccl_exec.c lib/nrt_ccl_sched.c lib/nrt_ccl_topo.c lib/nrt_coll.c lib/nrt_comm.c
NRT_LIB_OBJS := $(NRT_LIB_SRCS:lib/%.c=$(USER_BUILD)/lib/%.o)
# include/hw: the instruction encoding and the conversions (trn_isa.h,
# trn_numerics.h, dual-licensed MIT), used by the sources, never by nrt.h.
NRT_LIB_CFLAGS = $(USER_CFLAGS) -fPIC -fvisibility=hidden -Ilib -Iinclude/uapi \
	-Iinclude/hw $(USER_DRM_CFLAGS) $(USER_NL_CFLAGS) $(CPPFLAGS) $(CFLAGS)

NRT_LIB := $(USER_BUILD)/lib/$(NRT_REALNAME)
NRT_LIB_LINKS := $(USER_BUILD)/lib/$(NRT_SONAME) $(USER_BUILD)/lib/libnrt.so
NRT_PC := $(USER_BUILD)/lib/nrt.pc

$(NRT_LIB_OBJS): $(USER_BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_LIB_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_LIB): $(NRT_LIB_OBJS) lib/libnrt.map
	$(CC) -shared -Wl,-soname,$(NRT_SONAME) \
		-Wl,--version-script=lib/libnrt.map -Wl,--no-undefined \
		$(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_LIB_OBJS) $(USER_DRM_LIBS) \
		$(USER_NL_LIBS) -lm -pthread

$(USER_BUILD)/lib/$(NRT_SONAME): $(NRT_LIB)
	ln -sfn $(NRT_REALNAME) $@

$(USER_BUILD)/lib/libnrt.so: $(USER_BUILD)/lib/$(NRT_SONAME)
	ln -sfn $(NRT_SONAME) $@

# Regenerated on every run so that PREFIX and friends on the command line
# take effect, but only replaced (and so only newer) when it changes.
$(NRT_PC): lib/nrt.pc.in user-pc-force
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(NRT_VERSION)|g' \
		lib/nrt.pc.in > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; \
	 else mv -f $@.tmp $@ && echo "  GEN     $@"; fi

# --- what the tools share ---------------------------------------------------

# tools/nrt_tool.c (messages, exit statuses, sizes), tools/nrt_json.c (JSON
# documents), tools/nrt_proc.c (the processes using the devices, from
# the DRM fdinfo of /proc) and tools/nrt_facts.c (what sysfs says about a
# device), compiled once for all tools.
NRT_TOOL_SRCS := tools/nrt_tool.c tools/nrt_json.c tools/nrt_proc.c tools/nrt_facts.c
NRT_TOOL_OBJS := $(NRT_TOOL_SRCS:tools/%.c=$(USER_BUILD)/tools/common/%.o)
NRT_TOOL_CFLAGS = $(USER_CFLAGS) -Ilib -Itools $(USER_JSON_CFLAGS) $(CPPFLAGS) $(CFLAGS)
NRT_TOOL_LIBS = -L$(USER_BUILD)/lib -lnrt $(NRT_TOOLS_RPATH) $(USER_JSON_LIBS)

$(NRT_TOOL_OBJS): $(USER_BUILD)/tools/common/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_TOOL_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

# --- nrt-ls -----------------------------------------------------------------

NRT_LS_SRCS := tools/nrt-ls.c tools/nrt_ls_fmt.c tools/nrt_ls_topo.c tools/nrt_ls_rack.c \
	tools/nrt_rack.c
NRT_LS_OBJS := $(NRT_LS_SRCS:tools/%.c=$(USER_BUILD)/tools/%.o)
NRT_LS_CFLAGS = $(USER_CFLAGS) -Ilib -Itools $(USER_JSON_CFLAGS) $(CPPFLAGS) $(CFLAGS)
NRT_LS := $(USER_BUILD)/tools/nrt-ls

$(NRT_LS_OBJS): $(USER_BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_LS_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_LS): $(NRT_LS_OBJS) $(NRT_TOOL_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_LS_OBJS) $(NRT_TOOL_OBJS) \
		$(NRT_TOOL_LIBS)

# --- nrt-rack ---------------------------------------------------------------

# Rack files (Documentation/rack.rst): the parser and generator of
# nrt_rack.c, which nrt-ls --expect FILE shares; opens no device.
NRT_RACK_SRCS := tools/nrt-rack.c tools/nrt_rack.c
NRT_RACK_OBJS := $(NRT_RACK_SRCS:tools/%.c=$(USER_BUILD)/tools/rack/%.o)
NRT_RACK := $(USER_BUILD)/tools/nrt-rack

$(NRT_RACK_OBJS): $(USER_BUILD)/tools/rack/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_LS_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_RACK): $(NRT_RACK_OBJS) $(NRT_TOOL_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_RACK_OBJS) $(NRT_TOOL_OBJS) \
		$(NRT_TOOL_LIBS)

# --- nrt-diag ---------------------------------------------------------------

# Level 1 reads sysfs and compares the wiring with nrt-ls's shape and rack
# logic (nrt_ls_topo.c, nrt_ls_rack.c); levels 2 and 3 run work through
# libnrt.
NRT_DIAG_LIB_SRCS := tools/nrt_diag.c tools/nrt_diag_sys.c tools/nrt_diag_run.c
NRT_DIAG_SRCS := tools/nrt-diag.c $(NRT_DIAG_LIB_SRCS)
NRT_DIAG_OBJS := $(NRT_DIAG_SRCS:tools/%.c=$(USER_BUILD)/tools/diag/%.o) \
	$(USER_BUILD)/tools/nrt_ls_topo.o $(USER_BUILD)/tools/nrt_ls_rack.o \
	$(USER_BUILD)/tools/nrt_rack.o
NRT_DIAG_CFLAGS = $(USER_CFLAGS) -pthread -Ilib -Itools $(USER_JSON_CFLAGS) $(CPPFLAGS) $(CFLAGS)
NRT_DIAG := $(USER_BUILD)/tools/nrt-diag

$(filter $(USER_BUILD)/tools/diag/%,$(NRT_DIAG_OBJS)): $(USER_BUILD)/tools/diag/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_DIAG_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_DIAG): $(NRT_DIAG_OBJS) $(NRT_TOOL_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_DIAG_OBJS) $(NRT_TOOL_OBJS) \
		$(NRT_TOOL_LIBS) -lm -pthread

# --- nrt-reset and nrt-ctk --------------------------------------------------

# nrt-reset: the PCI core's reset and a wait for the device; nrt-ctk: CDI
# specifications, written as YAML with libyaml.
NRT_RESET := $(USER_BUILD)/tools/nrt-reset
NRT_CTK := $(USER_BUILD)/tools/nrt-ctk
NRT_OPS_CFLAGS = $(USER_CFLAGS) -Ilib -Itools $(USER_JSON_CFLAGS) $(USER_YAML_CFLAGS) \
	$(CPPFLAGS) $(CFLAGS)

$(USER_BUILD)/tools/ops/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_OPS_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_RESET): $(USER_BUILD)/tools/ops/nrt-reset.o $(NRT_TOOL_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(NRT_TOOL_OBJS) $(NRT_TOOL_LIBS)

$(NRT_CTK): $(USER_BUILD)/tools/ops/nrt-ctk.o $(NRT_TOOL_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(NRT_TOOL_OBJS) $(NRT_TOOL_LIBS) \
		$(USER_YAML_LIBS)

# --- nrt-top ----------------------------------------------------------------

# Opens no device: the devices come from libnrt's list, their counters from
# sysfs, the processes from procfs.
NRT_TOP_LIB_SRCS := tools/nrt_top_snap.c tools/nrt_top_json.c tools/nrt_top_prom.c \
	tools/nrt_top_view.c
NRT_TOP_SRCS := tools/nrt-top.c $(NRT_TOP_LIB_SRCS)
NRT_TOP_OBJS := $(NRT_TOP_SRCS:tools/%.c=$(USER_BUILD)/tools/top/%.o)
NRT_TOP_CFLAGS = $(USER_CFLAGS) -pthread -Ilib -Itools $(USER_JSON_CFLAGS) \
	$(USER_CURSES_CFLAGS) $(USER_MHD_CFLAGS) $(CPPFLAGS) $(CFLAGS)
NRT_TOP := $(USER_BUILD)/tools/nrt-top

$(NRT_TOP_OBJS): $(USER_BUILD)/tools/top/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_TOP_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_TOP): $(NRT_TOP_OBJS) $(NRT_TOOL_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_TOP_OBJS) $(NRT_TOOL_OBJS) \
		$(NRT_TOOL_LIBS) $(USER_CURSES_LIBS) $(USER_MHD_LIBS) -lm -pthread

# --- nrt-bench --------------------------------------------------------------

# The all-reduce figures (nrt_bench_coll.c) take nrt-ccl-test's busbw from
# tools/nrt_ccl_check.c, which converts elements with include/hw's numerics.
NRT_BENCH_SRCS := tools/nrt-bench.c tools/nrt_bench.c tools/nrt_bench_stat.c \
	tools/nrt_bench_matmul.c tools/nrt_bench_peer.c tools/nrt_bench_coll.c \
	tools/nrt_bench_report.c tools/nrt_ccl_check.c
NRT_BENCH_OBJS := $(NRT_BENCH_SRCS:tools/%.c=$(USER_BUILD)/tools/%.o)
NRT_BENCH_CFLAGS = $(USER_CFLAGS) -Ilib -Itools -Iinclude/uapi -Iinclude/hw $(USER_DRM_CFLAGS) \
	$(USER_JSON_CFLAGS) $(USER_BLAS_CFLAGS) $(CPPFLAGS) $(CFLAGS)
NRT_BENCH := $(USER_BUILD)/tools/nrt-bench

$(NRT_BENCH_OBJS): $(USER_BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_BENCH_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_BENCH): $(NRT_BENCH_OBJS) $(NRT_TOOL_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_BENCH_OBJS) $(NRT_TOOL_OBJS) \
		$(NRT_TOOL_LIBS) $(USER_DRM_LIBS) $(USER_BLAS_LIBS)

# --- nrt-ccl-test -----------------------------------------------------------

# The collectives measured and checked, in the manner of nccl-tests; its CPU
# reference converts elements as the devices do (include/hw/trn_numerics.h).
NRT_CCL_TEST_LIB_SRCS := tools/nrt_ccl_check.c
NRT_CCL_TEST_SRCS := tools/nrt-ccl-test.c $(NRT_CCL_TEST_LIB_SRCS)
NRT_CCL_TEST_OBJS := $(NRT_CCL_TEST_SRCS:tools/%.c=$(USER_BUILD)/tools/ccl/%.o)
NRT_CCL_TEST_CFLAGS = $(USER_CFLAGS) -Ilib -Itools -Iinclude/hw $(USER_JSON_CFLAGS) \
	$(CPPFLAGS) $(CFLAGS)
NRT_CCL_TEST := $(USER_BUILD)/tools/nrt-ccl-test

$(NRT_CCL_TEST_OBJS): $(USER_BUILD)/tools/ccl/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_CCL_TEST_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_CCL_TEST): $(NRT_CCL_TEST_OBJS) $(NRT_TOOL_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_CCL_TEST_OBJS) $(NRT_TOOL_OBJS) \
		$(NRT_TOOL_LIBS) -lm

# --- device tests (need a trn device; built here, run in the VM) ------------

USER_DEV := $(USER_BUILD)/tests/dev
USER_DEV_TESTS := $(USER_DEV)/test_dma $(USER_DEV)/test_peer $(USER_DEV)/test_compute $(USER_DEV)/nrt_load
USER_DEV_CFLAGS = $(USER_CFLAGS) -pthread -Ilib -Iinclude/uapi -Iinclude/hw \
	-Itests/common $(USER_DRM_CFLAGS) $(USER_CMOCKA_CFLAGS) $(CPPFLAGS) $(CFLAGS)

$(USER_DEV)/%.o: tests/dev/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_DEV_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(USER_DEV)/trn_ref.o: tests/common/trn_ref.c
	@mkdir -p $(@D)
	$(CC) $(USER_DEV_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

# Each device test or workload X links its object, X_DEV_OBJS, libnrt and
# X_DEV_LIBS. nrt_load: a workload for the nrt-top VM test
# (tests/vm/t/95-top.sh).
test_compute_DEV_OBJS := $(USER_DEV)/trn_ref.o
test_compute_DEV_LIBS = $(USER_DRM_LIBS) $(USER_CMOCKA_LIBS) -lm -pthread
test_dma_DEV_LIBS = $(USER_CMOCKA_LIBS) -pthread
test_peer_DEV_LIBS = $(USER_CMOCKA_LIBS)

define USER_DEV_RULE
$$(USER_DEV)/$(1): $$(USER_DEV)/$(1).o $$($(1)_DEV_OBJS) $$(NRT_LIB) | $$(NRT_LIB_LINKS)
	$$(CC) $$(USER_CFLAGS) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) \
		-L$$(USER_BUILD)/lib -lnrt -Wl,-rpath,'$$$$ORIGIN/../../lib' $$($(1)_DEV_LIBS)
endef
$(foreach t,$(notdir $(USER_DEV_TESTS)),$(eval $(call USER_DEV_RULE,$(t))))

# --- examples (programs users can read; run by the VM tests) ---------------

USER_EXAMPLES := $(USER_BUILD)/examples/transformer

$(USER_BUILD)/examples/%: examples/%.c $(NRT_LIB) | $(NRT_LIB_LINKS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Ilib $(CPPFLAGS) $(CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) \
		-o $@ $< -L$(USER_BUILD)/lib -lnrt -Wl,-rpath,'$$ORIGIN/../lib' -lm

.PHONY: user user-dist user-pc-force
user: user-dist $(USER_DEV_TESTS) $(USER_EXAMPLES)
user-dist: $(NRT_LIB) $(NRT_LIB_LINKS) $(NRT_PC) $(NRT_LS) $(NRT_TOP) $(NRT_BENCH) $(NRT_DIAG) \
	$(NRT_RESET) $(NRT_CTK) $(NRT_CCL_TEST) $(NRT_RACK)

# --- unit tests (ASan + UBSan) ----------------------------------------------

USER_ASAN_CFLAGS = $(USER_CFLAGS) $(USER_SANFLAGS) -pthread -Ilib -Itools -Iinclude/uapi \
	-Iinclude/hw -Itests/common -Itests/unit $(USER_DRM_CFLAGS) $(USER_JSON_CFLAGS) \
	$(USER_NL_CFLAGS) $(USER_CMOCKA_CFLAGS) $(USER_MHD_CFLAGS) $(CPPFLAGS) $(CFLAGS)

# Any source of the tree, compiled for the unit tests; the library's with
# its own visibility, so that the tests see what applications see.
$(USER_ASAN)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_ASAN_CFLAGS) -fvisibility=hidden $(USER_DEPFLAGS) -c -o $@ $<

$(USER_ASAN)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(USER_ASAN_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

USER_ASAN_LINK = $(CC) $(USER_CFLAGS) $(USER_SANFLAGS) $(CFLAGS) $(LDFLAGS)

USER_ASAN_LIB_OBJS := $(NRT_LIB_SRCS:lib/%.c=$(USER_ASAN)/lib/%.o)
USER_ASAN_LIB_LIBS = $(USER_DRM_LIBS) $(USER_NL_LIBS) -lm -pthread
# The tools' objects link libnrt's: nrt_tool.c gives libnrt's reasons.
USER_ASAN_TOOL_OBJS = $(NRT_TOOL_SRCS:tools/%.c=$(USER_ASAN)/tools/%.o) $(USER_ASAN_LIB_OBJS)
USER_ASAN_FMT_OBJS = $(USER_ASAN)/tools/nrt_ls_fmt.o $(USER_ASAN)/tools/nrt_ls_topo.o \
	$(USER_ASAN)/tools/nrt_ls_rack.o $(USER_ASAN)/tools/nrt_rack.o $(USER_ASAN_TOOL_OBJS)
USER_ASAN_TOP_OBJS = $(NRT_TOP_LIB_SRCS:tools/%.c=$(USER_ASAN)/tools/%.o) \
	$(USER_ASAN_TOOL_OBJS)
# The fake kernel of the library tests, and the reference executor of the
# instruction set (tests/common, also for the device tests) it runs programs
# with; the fake devices (sysfs, /dev and a DRM driver that answers the
# device query) of the tests of discovery and device handles.
USER_FS_OBJS := $(USER_ASAN)/tests/unit/fake_fs.o
USER_FAKE_OBJS := $(USER_ASAN)/tests/unit/fake_kernel.o $(USER_FS_OBJS)
USER_FAKE_DEVICE_OBJS := $(USER_ASAN)/tests/unit/fake_device.o $(USER_FS_OBJS)
USER_REF_OBJS := $(USER_ASAN)/tests/common/trn_ref.o

# Every tests/unit/test_*.c is a program. What test_X links besides its own
# object and cmocka: test_X_OBJS (objects), test_X_LIBS (libraries) and
# test_X_WRAPS, functions of those libraries that the test replaces with
# its own __wrap_ functions (-Wl,--wrap).
USER_TEST_NAMES := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
USER_TESTS := $(USER_TEST_NAMES:%=$(USER_ASAN)/tests/unit/%)

# The library objects are linked in directly, and the libdrm calls the tests
# exercise are replaced by the __wrap_ functions of tests/unit/fake_device.c.
# test_nrt_device (discovery, handles, status codes) and test_nrt_env (the
# devices and cores a process sees, the log) fake only device discovery;
# the syncobj functions the library also references come from libdrm but
# are never called.
USER_DEVICE_TESTS := test_nrt_device test_nrt_env
USER_DEVICE_TEST_OBJS = $(USER_FAKE_DEVICE_OBJS) $(USER_ASAN_LIB_OBJS)
USER_DEVICE_TEST_WRAPS := drmIoctl drmGetVersion drmFreeVersion
$(foreach t,$(USER_DEVICE_TESTS),$(eval $(t)_OBJS = $$(USER_DEVICE_TEST_OBJS)) \
	$(eval $(t)_LIBS = $$(USER_ASAN_LIB_LIBS)) $(eval $(t)_WRAPS = $$(USER_DEVICE_TEST_WRAPS)))

# test_nrt_topology: the sysfs fallback against a fake sysfs tree (the
# trn_link family is not registered on the build host) and the netlink
# message parser against messages built with libnl.
test_nrt_topology_OBJS = $(USER_ASAN_LIB_OBJS)
test_nrt_topology_LIBS = $(USER_ASAN_LIB_LIBS)

# The tests of buffers, fences, DMA, tensors, programs and runs fake the
# whole kernel interface the library uses (tests/unit/fake_kernel.c): the
# trn ioctls, syncobjs, sync_file ioctls and mmap of buffer objects; libdrm
# provides what they do not wrap (PRIME export, which the fake rejects with
# ENOTTY in drmIoctl).
USER_FAKE_TESTS := test_nrt_buffer test_nrt_comm test_nrt_dma test_nrt_fence test_nrt_program \
	test_nrt_run test_nrt_tensor
USER_FAKE_TEST_OBJS = $(USER_FAKE_OBJS) $(USER_REF_OBJS) $(USER_ASAN_LIB_OBJS)
USER_FAKE_TEST_WRAPS := drmIoctl drmGetVersion drmFreeVersion drmSyncobjCreate \
	drmSyncobjDestroy drmSyncobjWait drmSyncobjSignal \
	drmSyncobjExportSyncFile ioctl mmap munmap
$(foreach t,$(USER_FAKE_TESTS),$(eval $(t)_OBJS = $$(USER_FAKE_TEST_OBJS)) \
	$(eval $(t)_LIBS = $$(USER_ASAN_LIB_LIBS)) $(eval $(t)_WRAPS = $$(USER_FAKE_TEST_WRAPS)))

test_trn_ref_OBJS = $(USER_REF_OBJS)
test_trn_ref_LIBS := -lm

# The schedules of collectives in a simulator of the devices, whose
# reductions run on the reference executor.
test_nrt_ccl_sched_OBJS = $(USER_ASAN)/tests/unit/ccl_sim.o $(USER_REF_OBJS) \
	$(USER_ASAN_LIB_OBJS)
test_nrt_ccl_sched_LIBS = $(USER_ASAN_LIB_LIBS)

# The bootstrap of communicators between forked processes, over real
# abstract Unix sockets.
test_nrt_ccl_boot_OBJS = $(USER_ASAN_LIB_OBJS)
test_nrt_ccl_boot_LIBS = $(USER_ASAN_LIB_LIBS)

# nrt-ccl-test's CPU reference (tools/nrt_ccl_check.c).
test_nrt_ccl_check_OBJS = $(USER_ASAN)/tools/nrt_ccl_check.o $(USER_ASAN_LIB_OBJS)
test_nrt_ccl_check_LIBS = $(USER_ASAN_LIB_LIBS)

# nrt-bench's statistics and the busbw of its all-reduce figures.
test_nrt_bench_stat_OBJS = $(USER_ASAN)/tools/nrt_bench_stat.o $(USER_ASAN)/tools/nrt_bench_coll.o \
	$(USER_ASAN)/tools/nrt_bench.o $(USER_ASAN)/tools/nrt_ccl_check.o $(USER_ASAN_TOOL_OBJS)
test_nrt_bench_stat_LIBS = $(USER_JSON_LIBS) $(USER_ASAN_LIB_LIBS)

test_nrt_ls_fmt_OBJS = $(USER_ASAN_FMT_OBJS)
test_nrt_ls_fmt_LIBS = $(USER_JSON_LIBS) $(USER_ASAN_LIB_LIBS)
test_nrt_ls_topo_OBJS = $(USER_ASAN_FMT_OBJS)
test_nrt_ls_topo_LIBS = $(USER_JSON_LIBS) $(USER_ASAN_LIB_LIBS)
test_nrt_tool_OBJS = $(USER_ASAN_TOOL_OBJS)
# The rack files: parser, validation, generator (tools/nrt_rack.c).
test_nrt_rack_OBJS = $(USER_ASAN)/tools/nrt_rack.o $(USER_ASAN)/tools/nrt_ls_rack.o \
	$(USER_ASAN)/tools/nrt_ls_topo.o \
	$(USER_ASAN_TOOL_OBJS)
test_nrt_rack_LIBS = $(USER_JSON_LIBS) $(USER_ASAN_LIB_LIBS)
test_nrt_diag_OBJS = $(USER_FS_OBJS) $(NRT_DIAG_LIB_SRCS:tools/%.c=$(USER_ASAN)/tools/%.o) \
	$(USER_ASAN)/tools/nrt_ls_topo.o $(USER_ASAN)/tools/nrt_ls_rack.o \
	$(USER_ASAN)/tools/nrt_rack.o $(USER_ASAN_TOOL_OBJS)
test_nrt_diag_LIBS = $(USER_JSON_LIBS) $(USER_ASAN_LIB_LIBS)
test_nrt_tool_LIBS = $(USER_JSON_LIBS) $(USER_ASAN_LIB_LIBS)

# The QEMU model's instruction interpreter (qemu/trn-interp.h) depends on
# nothing of QEMU but glib and the host's BLAS: built here, for the host, and
# compared with the reference executor.
USER_INTERP_SRCS := $(addprefix qemu/,trn-insn.c trn-operand.c trn-vector.c \
	trn-matmul.c trn-interp.c)
USER_INTERP_OBJS := $(USER_INTERP_SRCS:qemu/%.c=$(USER_ASAN)/qemu/%.o)

$(USER_INTERP_OBJS) $(USER_ASAN)/tests/unit/test_trn_interp.o: \
	USER_ASAN_CFLAGS += -Iqemu $(USER_GLIB_CFLAGS) $(USER_BLAS_CFLAGS)

$(USER_INTERP_OBJS): $(USER_ASAN)/qemu/%.o: qemu/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_ASAN_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

test_trn_interp_OBJS = $(USER_INTERP_OBJS) $(USER_REF_OBJS)
test_trn_interp_LIBS = $(USER_GLIB_LIBS) $(USER_BLAS_LIBS) -lm

# nrt-top's collection, formats and renderer against fake sysfs and procfs
# trees; the fdinfo scan alone.
test_nrt_proc_OBJS = $(USER_FS_OBJS) $(USER_ASAN)/tools/nrt_proc.o
USER_TOP_TESTS := test_nrt_top_fmt test_nrt_top_snap test_nrt_top_view
USER_TOP_TEST_OBJS = $(USER_ASAN)/tests/unit/top_tree.o $(USER_FS_OBJS) $(USER_ASAN_TOP_OBJS)
$(foreach t,$(USER_TOP_TESTS),$(eval $(t)_OBJS = $$(USER_TOP_TEST_OBJS)) \
	$(eval $(t)_LIBS = $$(USER_JSON_LIBS) $$(USER_MHD_LIBS) $$(USER_ASAN_LIB_LIBS)))

comma := ,
define USER_TEST_RULE
$$(USER_ASAN)/tests/unit/$(1): $$(USER_ASAN)/tests/unit/$(1).o $$($(1)_OBJS)
	$$(USER_ASAN_LINK) -o $$@ $$^ $$(addprefix -Wl$$(comma)--wrap=,$$($(1)_WRAPS)) \
		$$($(1)_LIBS) $$(USER_CMOCKA_LIBS)
endef
$(foreach t,$(USER_TEST_NAMES),$(eval $(call USER_TEST_RULE,$(t))))

# Every NRT_API function of nrt.h is exported, and nothing else is: a
# function missing from lib/libnrt.map would silently be local. A function
# exported in two versions (nrt_link_listener_next) counts once.
.PHONY: user-symbols-check
user-symbols-check: $(NRT_LIB)
	@sed -n 's/^NRT_API .*[ *]\(nrt_[a-z0-9_]*\)(.*/\1/p' lib/nrt.h | sort > $(NRT_LIB).hdr
	@nm -D --defined-only $(NRT_LIB) | \
		awk '$$2 == "T" { sub(/@.*/, "", $$3); print $$3 }' | sort -u > $(NRT_LIB).exp
	@if ! cmp -s $(NRT_LIB).hdr $(NRT_LIB).exp; then \
		echo "user-symbols-check: NRT_API functions of lib/nrt.h (<) differ from the exports of $(NRT_LIB) (>):" >&2; \
		diff $(NRT_LIB).hdr $(NRT_LIB).exp >&2; rm -f $(NRT_LIB).hdr $(NRT_LIB).exp; exit 1; \
	fi; rm -f $(NRT_LIB).hdr $(NRT_LIB).exp; \
	echo "  CHECK   exported symbols of $(NRT_LIB) match lib/nrt.h"

.PHONY: unit-test
unit-test: $(USER_TESTS) user-symbols-check
	@failed=; \
	for t in $(USER_TESTS); do \
		echo "  TEST    $$t"; \
		ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1} \
		./$$t || { echo "unit-test: FAILED: $$t" >&2; failed="$$failed $$t"; }; \
	done; \
	if [ -n "$$failed" ]; then \
		echo "unit-test: failed binaries:$$failed" >&2; exit 1; \
	fi; \
	echo "unit-test: all $(words $(USER_TESTS)) test binaries passed"

# --- install ----------------------------------------------------------------

.PHONY: install-user
# The man pages carry the release version in their .TH line.
USER_MAN_INSTALL = sed -e '1,/^\.TH/s/"trn [0-9.]*"/"trn $(NRT_VERSION)"/'

install-user: user-dist
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/drm $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 0755 $(NRT_LIB) $(DESTDIR)$(LIBDIR)/$(NRT_REALNAME)
	ln -sfn $(NRT_REALNAME) $(DESTDIR)$(LIBDIR)/$(NRT_SONAME)
	ln -sfn $(NRT_SONAME) $(DESTDIR)$(LIBDIR)/libnrt.so
	$(INSTALL) -m 0644 lib/nrt.h $(DESTDIR)$(INCLUDEDIR)/nrt.h
	$(INSTALL) -m 0644 include/uapi/drm/trn_accel.h \
		$(DESTDIR)$(INCLUDEDIR)/drm/trn_accel.h
	$(INSTALL) -m 0644 $(NRT_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/nrt.pc
	$(INSTALL) -m 0755 $(NRT_LS) $(DESTDIR)$(BINDIR)/nrt-ls
	$(USER_MAN_INSTALL) tools/nrt-ls.1 > $(DESTDIR)$(MANDIR)/man1/nrt-ls.1
	$(INSTALL) -m 0755 $(NRT_TOP) $(DESTDIR)$(BINDIR)/nrt-top
	$(USER_MAN_INSTALL) tools/nrt-top.1 > $(DESTDIR)$(MANDIR)/man1/nrt-top.1
	$(INSTALL) -m 0755 $(NRT_BENCH) $(DESTDIR)$(BINDIR)/nrt-bench
	$(USER_MAN_INSTALL) tools/nrt-bench.1 > $(DESTDIR)$(MANDIR)/man1/nrt-bench.1
	$(INSTALL) -m 0755 $(NRT_DIAG) $(DESTDIR)$(BINDIR)/nrt-diag
	$(USER_MAN_INSTALL) tools/nrt-diag.1 > $(DESTDIR)$(MANDIR)/man1/nrt-diag.1
	$(INSTALL) -m 0755 $(NRT_RESET) $(DESTDIR)$(BINDIR)/nrt-reset
	$(USER_MAN_INSTALL) tools/nrt-reset.1 > $(DESTDIR)$(MANDIR)/man1/nrt-reset.1
	$(INSTALL) -m 0755 $(NRT_CTK) $(DESTDIR)$(BINDIR)/nrt-ctk
	$(USER_MAN_INSTALL) tools/nrt-ctk.1 > $(DESTDIR)$(MANDIR)/man1/nrt-ctk.1
	$(INSTALL) -m 0755 $(NRT_CCL_TEST) $(DESTDIR)$(BINDIR)/nrt-ccl-test
	$(USER_MAN_INSTALL) tools/nrt-ccl-test.1 > $(DESTDIR)$(MANDIR)/man1/nrt-ccl-test.1
	$(INSTALL) -m 0755 $(NRT_RACK) $(DESTDIR)$(BINDIR)/nrt-rack
	$(USER_MAN_INSTALL) tools/nrt-rack.1 > $(DESTDIR)$(MANDIR)/man1/nrt-rack.1

.PHONY: clean-user
clean-user:
	rm -rf $(USER_BUILD)/lib $(USER_BUILD)/tools $(USER_ASAN) $(USER_DEV) $(USER_CONFIG) \
		$(USER_BUILD)/examples

-include $(NRT_LIB_OBJS:.o=.d) $(NRT_TOOL_OBJS:.o=.d) $(NRT_LS_OBJS:.o=.d) $(NRT_TOP_OBJS:.o=.d) \
	$(NRT_DIAG_OBJS:.o=.d) $(NRT_RACK_OBJS:.o=.d) $(USER_BUILD)/tools/ops/nrt-reset.d $(USER_BUILD)/tools/ops/nrt-ctk.d \
	$(NRT_BENCH_OBJS:.o=.d) $(NRT_CCL_TEST_OBJS:.o=.d) $(USER_DEV_TESTS:=.d) \
	$(USER_EXAMPLES:=.d) \
	$(wildcard $(USER_ASAN)/*/*.d $(USER_ASAN)/*/*/*.d) \
	$(USER_INTERP_OBJS:.o=.d)

.DEFAULT_GOAL := $(USER_SAVED_DEFAULT_GOAL)
