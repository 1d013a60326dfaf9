# SPDX-License-Identifier: GPL-2.0-only
#
# One Makefile for everything. `make` builds build/cgscope (BPF objects and
# skeletons included); `make run` and `make test` also install what is missing.
# Quiet by default; `make V=1` shows the commands.

.DELETE_ON_ERROR:
# The BPF object and its skeleton are kept: they are what one debugs.
.SECONDARY:
.DEFAULT_GOAL := all

# Outside a git checkout (a copied tree) the version is the one the build
# recorded, so that make finds the build up to date there.
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || \
	cat build/version.txt 2>/dev/null || echo 0.1.0)
BUILD     := build
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
# The vmlinux.h folder per target architecture (CO-RE relocates against the
# running kernel's BTF, so one header per architecture is enough).
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Debian packages the build and every test use. `make deps` installs the
# missing ones and is silent when all are there.
DEB_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libisal-dev \
	libmicrohttpd-dev libgnutls28-dev libcjson-dev libyaml-dev libcrypt-dev pkg-config libcmocka-dev \
	prometheus python3 python3-pytest python3-yaml curl tmux openssl iproute2 \
	qemu-system-x86 busybox-static cpio xz-utils libclang-rt-14-dev apache2-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PKGS      := libbpf libmicrohttpd gnutls libcjson zlib libisal yaml-0.1 libxcrypt
CFLAGS    ?= -O2 -g
# Warnings are errors for us; WERROR=0 lets a newer compiler's new warning
# through for a user who only wants to build.
WERROR    ?= 1
WARN      := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
# Includes name their folder: "collect/snapshot.h" (agent/), "prom/prom_text.h"
# (exporters/), "bpf/events.h" (the top), and the generated skeletons.
CPPFLAGS  += -D_GNU_SOURCE -DCGSCOPE_VERSION='"$(VERSION)"' \
	-Iagent -Iexporters -I. -I$(BUILD)/bpf \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS    += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lmicrohttpd -lgnutls -lcjson -lz -lisal) \
	-lelf -lpthread -lm

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))

SRCS      := $(wildcard agent/*.c agent/*/*.c exporters/*/*.c)
OBJS      := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRCS))
# Everything but main(): what the unit tests link against.
LIB_OBJS  := $(filter-out $(BUILD)/obj/agent/main.o,$(OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all deps run test check golden unit unit-bins vmtest bench fuzz clean vmlinux FORCE

all: $(BUILD)/cgscope

deps:
	$(Q)missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

# Records into build/record, so that `build/cgscope top --replay build/record`
# shows what just ran (ARGS may name another --record.dir, or '').
run: deps
	$(Q)$(MAKE) --no-print-directory all
	./$(BUILD)/cgscope agent --record.dir $(BUILD)/record $(ARGS)

test: deps
	$(Q)$(MAKE) --no-print-directory all unit-bins
	$(Q)tests/run

# The quick loop: build and unit tests, nothing installed.
check:
	$(Q)$(MAKE) --no-print-directory all unit-bins
	$(Q)tests/run unit

unit-bins: $(UNIT_BINS)

# The golden pages of tests/golden/ written anew from the fixture trees, after
# a change to the page was reviewed (`git diff tests/golden` shows it).
golden: all
	$(Q)tests/golden/golden.py --update

unit: $(UNIT_BINS)
	$(Q)tests/run unit

# vmlinux.h is committed; this regenerates it from the running kernel's BTF.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

# version.o is rebuilt when `git describe` changes, and only then.
$(BUILD)/version.txt: FORCE
	$(Q)mkdir -p $(BUILD); echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/obj/agent/lib/version.o: $(BUILD)/version.txt
FORCE:

$(BUILD)/cgscope: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The skeletons are made first (order only); after that, the dependency files
# say which objects include one, and only those are rebuilt when it changes.
$(BUILD)/obj/%.o: %.c | $(BPF_SKELS)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP -c -o $@ $<

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bpf
	$(call msg,BPF,$<)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf \
		-Wall -Werror -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# Unit tests find their fixtures from the source tree they were built from.
UNIT_CPPFLAGS := -DCGSCOPE_SRCDIR='"$(CURDIR)"'

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/fixture.h $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CPPFLAGS) $(UNIT_CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

$(BUILD)/bpf $(BUILD)/tests:
	$(Q)mkdir -p $@

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d)

# Each part of the tree that needs targets of its own keeps them beside it.
include dashboards/dashboards.mk tests/vm/vm.mk deploy/deploy.mk tests/fuzz/fuzz.mk tests/asan.mk tests/bench/bench.mk
