# SPDX-License-Identifier: GPL-2.0-only
#
# Userspace part of the trn stack: libnrt, nrt-ls, nrt-bench, their unit
# tests and the device tests.
# Included by the top-level Makefile, so paths are relative to the repository
# root. Everything is built out of tree under build/.
#
# Targets:
#   user          build/lib/libnrt.so{,.0,.0.5.0}, build/lib/nrt.pc,
#                 build/tools/nrt-ls, build/tools/nrt-top, build/tools/nrt-bench,
#                 the workload build/tests/dev/nrt_load and the device
#                 tests build/tests/dev/test_dma (run in a VM or on a machine
#                 with a trn device, not by unit-test)
#   unit-test     build the unit tests with ASan/UBSan in build/asan/ and
#                 run them all; check that the library exports exactly the
#                 functions nrt.h declares
#   install-user  install into $(DESTDIR)$(PREFIX)
#   clean-user    remove what the targets above build
#
# CPPFLAGS, CFLAGS and LDFLAGS from the command line or environment are
# appended to the flags below.

# Including this file must not change the includer's default goal.
USER_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

USER_BUILD := build
USER_ASAN := $(USER_BUILD)/asan

NRT_VERSION := 0.5.0
NRT_SOVERSION := 0
NRT_SONAME := libnrt.so.$(NRT_SOVERSION)
NRT_REALNAME := libnrt.so.$(NRT_VERSION)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

PKG_CONFIG ?= pkg-config
INSTALL ?= install

USER_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -O2 -g
USER_SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

USER_DRM_CFLAGS := $(shell $(PKG_CONFIG) --cflags libdrm)
USER_DRM_LIBS := $(shell $(PKG_CONFIG) --libs libdrm)
USER_PCI_CFLAGS := $(shell $(PKG_CONFIG) --cflags libpci)
USER_PCI_LIBS := $(shell $(PKG_CONFIG) --libs libpci)
USER_JSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags json-c)
# libnl-genl-3: the trn_link generic netlink family (libnrt topology).
USER_NL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0)
USER_NL_LIBS := $(shell $(PKG_CONFIG) --libs libnl-genl-3.0)
USER_JSON_LIBS := $(shell $(PKG_CONFIG) --libs json-c)
USER_CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka)
USER_CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka)
# The host's BLAS: nrt-bench's matmul baseline (and the QEMU model's matmul).
USER_BLAS_CFLAGS := $(shell $(PKG_CONFIG) --cflags openblas)
USER_BLAS_LIBS := $(shell $(PKG_CONFIG) --libs openblas)
# nrt-top: the full-screen view (ncursesw) and the Prometheus endpoint
# (libmicrohttpd).
USER_CURSES_CFLAGS := $(shell $(PKG_CONFIG) --cflags ncursesw)
USER_CURSES_LIBS := $(shell $(PKG_CONFIG) --libs ncursesw)
USER_MHD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libmicrohttpd)
USER_MHD_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd)

USER_DEPFLAGS = -MMD -MP -MF $(@:.o=.d)

# --- libnrt -----------------------------------------------------------------

NRT_LIB_SRCS := lib/nrt_buffer.c lib/nrt_device.c lib/nrt_dma.c lib/nrt_error.c \
	lib/nrt_fence.c lib/nrt_peer.c lib/nrt_program.c lib/nrt_tensor.c lib/nrt_topology.c
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

# --- nrt-ls -----------------------------------------------------------------

NRT_LS_SRCS := tools/nrt-ls.c tools/nrt_ls_fmt.c tools/nrt_ls_topo.c tools/nrt_proc.c
NRT_LS_OBJS := $(NRT_LS_SRCS:tools/%.c=$(USER_BUILD)/tools/%.o)
NRT_LS_CFLAGS = $(USER_CFLAGS) -Ilib -Itools $(USER_PCI_CFLAGS) \
	$(USER_JSON_CFLAGS) $(CPPFLAGS) $(CFLAGS)
NRT_LS := $(USER_BUILD)/tools/nrt-ls

$(NRT_LS_OBJS): $(USER_BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_LS_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_LS): $(NRT_LS_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_LS_OBJS) \
		-L$(USER_BUILD)/lib -lnrt -Wl,-rpath,'$$ORIGIN/../lib' \
		$(USER_PCI_LIBS) $(USER_JSON_LIBS)

# --- nrt-top ----------------------------------------------------------------

# Reads sysfs and procfs only: libnrt's header for the version, not the
# library. nrt_proc.c (the fdinfo scan) and nrt_ls_fmt.c (sizes) are
# shared with nrt-ls.
NRT_TOP_LIB_SRCS := tools/nrt_proc.c tools/nrt_top_snap.c tools/nrt_top_json.c \
	tools/nrt_top_prom.c tools/nrt_top_view.c tools/nrt_ls_fmt.c
NRT_TOP_SRCS := tools/nrt-top.c $(NRT_TOP_LIB_SRCS)
NRT_TOP_OBJS := $(NRT_TOP_SRCS:tools/%.c=$(USER_BUILD)/tools/top/%.o)
NRT_TOP_CFLAGS = $(USER_CFLAGS) -pthread -Ilib -Itools $(USER_JSON_CFLAGS) \
	$(USER_CURSES_CFLAGS) $(USER_MHD_CFLAGS) $(CPPFLAGS) $(CFLAGS)
NRT_TOP := $(USER_BUILD)/tools/nrt-top

$(NRT_TOP_OBJS): $(USER_BUILD)/tools/top/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_TOP_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_TOP): $(NRT_TOP_OBJS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_TOP_OBJS) \
		$(USER_JSON_LIBS) $(USER_CURSES_LIBS) $(USER_MHD_LIBS) -lm -pthread

# --- nrt-bench --------------------------------------------------------------

NRT_BENCH_SRCS := tools/nrt-bench.c tools/nrt_bench_matmul.c tools/nrt_bench_peer.c
NRT_BENCH_OBJS := $(NRT_BENCH_SRCS:tools/%.c=$(USER_BUILD)/tools/%.o)
NRT_BENCH_CFLAGS = $(USER_CFLAGS) -Ilib -Iinclude/uapi $(USER_DRM_CFLAGS) \
	$(USER_JSON_CFLAGS) $(USER_BLAS_CFLAGS) $(CPPFLAGS) $(CFLAGS)
NRT_BENCH := $(USER_BUILD)/tools/nrt-bench

$(NRT_BENCH_OBJS): $(USER_BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NRT_BENCH_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(NRT_BENCH): $(NRT_BENCH_OBJS) $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(NRT_BENCH_OBJS) \
		-L$(USER_BUILD)/lib -lnrt -Wl,-rpath,'$$ORIGIN/../lib' \
		$(USER_DRM_LIBS) $(USER_JSON_LIBS) $(USER_BLAS_LIBS)

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

$(USER_DEV)/test_compute: $(USER_DEV)/test_compute.o $(USER_DEV)/trn_ref.o $(NRT_LIB) \
		| $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) \
		-L$(USER_BUILD)/lib -lnrt -Wl,-rpath,'$$ORIGIN/../../lib' \
		$(USER_DRM_LIBS) $(USER_CMOCKA_LIBS) -lm -pthread

$(USER_DEV)/test_dma: $(USER_DEV)/test_dma.o $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(USER_DEV)/test_dma.o \
		-L$(USER_BUILD)/lib -lnrt -Wl,-rpath,'$$ORIGIN/../../lib' \
		$(USER_CMOCKA_LIBS) -pthread

$(USER_DEV)/test_peer: $(USER_DEV)/test_peer.o $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(USER_DEV)/test_peer.o \
		-L$(USER_BUILD)/lib -lnrt -Wl,-rpath,'$$ORIGIN/../../lib' \
		$(USER_CMOCKA_LIBS)

# nrt_load: a workload for the nrt-top VM test (tests/vm/t/95-top.sh).
$(USER_DEV)/nrt_load: $(USER_DEV)/nrt_load.o $(NRT_LIB) | $(NRT_LIB_LINKS)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(USER_DEV)/nrt_load.o \
		-L$(USER_BUILD)/lib -lnrt -Wl,-rpath,'$$ORIGIN/../../lib'

# --- examples (programs users can read; run by the VM tests) ---------------

USER_EXAMPLES := $(USER_BUILD)/examples/transformer

$(USER_BUILD)/examples/%: examples/%.c $(NRT_LIB) | $(NRT_LIB_LINKS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Ilib $(CPPFLAGS) $(CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) \
		-o $@ $< -L$(USER_BUILD)/lib -lnrt -Wl,-rpath,'$$ORIGIN/../lib' -lm

.PHONY: user user-pc-force
user: $(NRT_LIB) $(NRT_LIB_LINKS) $(NRT_PC) $(NRT_LS) $(NRT_TOP) $(NRT_BENCH) $(USER_DEV_TESTS) \
	$(USER_EXAMPLES)

# --- unit tests (ASan + UBSan) ----------------------------------------------

USER_ASAN_CFLAGS = $(USER_CFLAGS) $(USER_SANFLAGS) -pthread -Ilib -Itools -Iinclude/uapi \
	-Iinclude/hw -Itests/common -Itests/unit $(USER_DRM_CFLAGS) $(USER_JSON_CFLAGS) \
	$(USER_NL_CFLAGS) $(USER_CMOCKA_CFLAGS) $(USER_MHD_CFLAGS) $(CPPFLAGS) $(CFLAGS)

USER_ASAN_LIB_OBJS := $(NRT_LIB_SRCS:lib/%.c=$(USER_ASAN)/lib/%.o)
USER_ASAN_FMT_OBJS := $(USER_ASAN)/tools/nrt_ls_fmt.o $(USER_ASAN)/tools/nrt_ls_topo.o
USER_ASAN_TOP_OBJS := $(filter-out $(USER_ASAN_FMT_OBJS), \
	$(NRT_TOP_LIB_SRCS:tools/%.c=$(USER_ASAN)/tools/%.o))
USER_TEST_SRCS := $(wildcard tests/unit/test_*.c)
USER_TEST_OBJS := $(USER_TEST_SRCS:tests/unit/%.c=$(USER_ASAN)/tests/unit/%.o)
USER_TESTS := $(USER_TEST_OBJS:.o=)
# The fake kernel of the library tests, and the reference executor of the
# instruction set (tests/common, also for the device tests) it runs programs
# with.
USER_FS_OBJS := $(USER_ASAN)/tests/unit/fake_fs.o
USER_FAKE_OBJS := $(USER_ASAN)/tests/unit/fake_kernel.o $(USER_FS_OBJS)
USER_REF_OBJS := $(USER_ASAN)/tests/common/trn_ref.o

$(USER_ASAN_LIB_OBJS): $(USER_ASAN)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_ASAN_CFLAGS) -fvisibility=hidden $(USER_DEPFLAGS) -c -o $@ $<

$(USER_ASAN_FMT_OBJS) $(USER_ASAN_TOP_OBJS): $(USER_ASAN)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_ASAN_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(USER_TEST_OBJS) $(USER_FAKE_OBJS): $(USER_ASAN)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_ASAN_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(USER_REF_OBJS): $(USER_ASAN)/tests/common/%.o: tests/common/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_ASAN_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

USER_ASAN_LINK = $(CC) $(USER_CFLAGS) $(USER_SANFLAGS) $(CFLAGS) $(LDFLAGS)

# The library objects are linked in directly, and the libdrm calls the test
# exercises are replaced by the test's own __wrap_ functions. test_nrt_device
# fakes only device discovery; the syncobj functions the library also
# references come from libdrm but are never called.
$(USER_ASAN)/tests/unit/test_nrt_device: $(USER_ASAN)/tests/unit/test_nrt_device.o \
		$(USER_FS_OBJS) $(USER_ASAN_LIB_OBJS)
	$(USER_ASAN_LINK) -o $@ $^ \
		-Wl,--wrap=drmIoctl,--wrap=drmGetVersion,--wrap=drmFreeVersion \
		$(USER_DRM_LIBS) $(USER_NL_LIBS) $(USER_CMOCKA_LIBS) -lm -pthread

# test_nrt_topology: the sysfs fallback against a fake sysfs tree (the
# trn_link family is not registered on the build host) and the netlink
# message parser against messages built with libnl.
$(USER_ASAN)/tests/unit/test_nrt_topology: $(USER_ASAN)/tests/unit/test_nrt_topology.o \
		$(USER_ASAN_LIB_OBJS)
	$(USER_ASAN_LINK) -o $@ $^ $(USER_DRM_LIBS) $(USER_NL_LIBS) \
		$(USER_CMOCKA_LIBS) -lm -pthread

# test_nrt_dma and test_nrt_program fake the whole kernel interface the
# library uses (tests/unit/fake_kernel.c): the trn ioctls, syncobjs,
# sync_file ioctls and mmap of buffer objects; libdrm provides what they do
# not wrap (PRIME export, which the fake rejects with ENOTTY in drmIoctl).
USER_DMA_WRAPS := drmIoctl drmGetVersion drmFreeVersion drmSyncobjCreate \
	drmSyncobjDestroy drmSyncobjWait drmSyncobjSignal \
	drmSyncobjExportSyncFile ioctl mmap munmap
$(USER_ASAN)/tests/unit/test_nrt_dma $(USER_ASAN)/tests/unit/test_nrt_program: \
		%: %.o $(USER_FAKE_OBJS) $(USER_REF_OBJS) $(USER_ASAN_LIB_OBJS)
	$(USER_ASAN_LINK) -o $@ $^ $(USER_DMA_WRAPS:%=-Wl,--wrap=%) \
		$(USER_DRM_LIBS) $(USER_NL_LIBS) $(USER_CMOCKA_LIBS) -lm -pthread

$(USER_ASAN)/tests/unit/test_trn_ref: $(USER_ASAN)/tests/unit/test_trn_ref.o \
		$(USER_REF_OBJS)
	$(USER_ASAN_LINK) -o $@ $^ $(USER_CMOCKA_LIBS) -lm

# The QEMU model's instruction interpreter (qemu/trn-interp.h) depends on
# nothing of QEMU but glib and the host's BLAS: built here, for the host, and
# compared with the reference executor.
USER_INTERP_SRCS := $(addprefix qemu/,trn-insn.c trn-operand.c trn-vector.c \
	trn-matmul.c trn-interp.c)
USER_INTERP_OBJS := $(USER_INTERP_SRCS:qemu/%.c=$(USER_ASAN)/qemu/%.o)
USER_GLIB_CFLAGS := $(shell $(PKG_CONFIG) --cflags glib-2.0)
USER_GLIB_LIBS := $(shell $(PKG_CONFIG) --libs glib-2.0)

$(USER_INTERP_OBJS) $(USER_ASAN)/tests/unit/test_trn_interp.o: \
	USER_ASAN_CFLAGS += -Iqemu $(USER_GLIB_CFLAGS) $(USER_BLAS_CFLAGS)

$(USER_INTERP_OBJS): $(USER_ASAN)/qemu/%.o: qemu/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_ASAN_CFLAGS) $(USER_DEPFLAGS) -c -o $@ $<

$(USER_ASAN)/tests/unit/test_trn_interp: %: %.o $(USER_INTERP_OBJS) $(USER_REF_OBJS)
	$(USER_ASAN_LINK) -o $@ $^ $(USER_GLIB_LIBS) $(USER_BLAS_LIBS) $(USER_CMOCKA_LIBS) -lm

$(USER_ASAN)/tests/unit/test_nrt_ls_fmt $(USER_ASAN)/tests/unit/test_nrt_ls_topo: \
		%: %.o $(USER_ASAN_FMT_OBJS)
	$(USER_ASAN_LINK) -o $@ $^ $(USER_JSON_LIBS) $(USER_CMOCKA_LIBS)

# nrt-top's collection, formats and renderer against fake sysfs and procfs
# trees; the fdinfo scan alone.
$(USER_ASAN)/tests/unit/test_nrt_proc: %: %.o $(USER_FS_OBJS) $(USER_ASAN)/tools/nrt_proc.o
	$(USER_ASAN_LINK) -o $@ $^ $(USER_CMOCKA_LIBS)

$(USER_ASAN)/tests/unit/test_nrt_top: %: %.o $(USER_FS_OBJS) $(USER_ASAN_TOP_OBJS) \
		$(USER_ASAN)/tools/nrt_ls_fmt.o
	$(USER_ASAN_LINK) -o $@ $^ $(USER_JSON_LIBS) $(USER_MHD_LIBS) $(USER_CMOCKA_LIBS) \
		-lm -pthread

# Every NRT_API function of nrt.h is exported, and nothing else is: a
# function missing from lib/libnrt.map would silently be local.
.PHONY: user-symbols-check
user-symbols-check: $(NRT_LIB)
	@sed -n 's/^NRT_API .*[ *]\(nrt_[a-z0-9_]*\)(.*/\1/p' lib/nrt.h | sort > $(NRT_LIB).hdr
	@nm -D --defined-only $(NRT_LIB) | \
		awk '$$2 == "T" { sub(/@.*/, "", $$3); print $$3 }' | sort > $(NRT_LIB).exp
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
install-user: user
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
	$(INSTALL) -m 0644 tools/nrt-ls.1 $(DESTDIR)$(MANDIR)/man1/nrt-ls.1
	$(INSTALL) -m 0755 $(NRT_TOP) $(DESTDIR)$(BINDIR)/nrt-top
	$(INSTALL) -m 0644 tools/nrt-top.1 $(DESTDIR)$(MANDIR)/man1/nrt-top.1
	$(INSTALL) -m 0755 $(NRT_BENCH) $(DESTDIR)$(BINDIR)/nrt-bench
	$(INSTALL) -m 0644 tools/nrt-bench.1 $(DESTDIR)$(MANDIR)/man1/nrt-bench.1

.PHONY: clean-user
clean-user:
	rm -rf $(USER_BUILD)/lib $(USER_BUILD)/tools $(USER_ASAN) $(USER_DEV) \
		$(USER_BUILD)/examples

-include $(NRT_LIB_OBJS:.o=.d) $(NRT_LS_OBJS:.o=.d) $(USER_ASAN_LIB_OBJS:.o=.d) \
	$(USER_ASAN_FMT_OBJS:.o=.d) $(USER_ASAN_TOP_OBJS:.o=.d) $(NRT_TOP_OBJS:.o=.d) \
	$(USER_TEST_OBJS:.o=.d) $(USER_FAKE_OBJS:.o=.d) \
	$(USER_REF_OBJS:.o=.d) $(USER_INTERP_OBJS:.o=.d) \
	$(NRT_BENCH_OBJS:.o=.d) $(USER_DEV_TESTS:=.d) $(USER_EXAMPLES:=.d)

.DEFAULT_GOAL := $(USER_SAVED_DEFAULT_GOAL)
