# SPDX-License-Identifier: MIT
# corolab — one entry point.  `make help` lists the targets.
#
# Pattern chain (libbpf-bootstrap style):
#   bpf/x.bpf.c -> build/bpf/x.bpf.o -> build/x.skel.h -> userspace objects
#   userspace/**/*.c -> build/obj/**.o -> build/corolab
#   tests/*.c -> build/tests/<name>   (each links every userspace object but main.o)
# Every generated file lives under build/ (or build/san-<list>/ for SANITIZE=).

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

comma := ,
SANITIZE ?=
ifeq ($(SANITIZE),)
OUT ?= build
SANFLAGS :=
else
OUT ?= build/san-$(subst $(comma),-,$(SANITIZE))
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -DCOROLAB_SANITIZE=1
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-6s %s\n' "$(1)" "$(2)";
endif

CC      ?= cc
CLANG   ?= clang
BPFTOOL ?= bpftool
PKGS    := liburing libbpf libcurl jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

CFLAGS  ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -MMD -MP -D_GNU_SOURCE \
	-I$(OUT) -Iuserspace -Ibpf $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lelf -lz -lpthread -lm

BPF_SRCS := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,build/bpf/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst bpf/%.bpf.c,build/%.skel.h,$(BPF_SRCS))

SRCS     := $(sort $(shell find userspace -name '*.c' -o -name '*.S'))
OBJS     := $(patsubst userspace/%,$(OUT)/obj/%.o,$(SRCS))
LIB_OBJS := $(filter-out $(OUT)/obj/main.c.o,$(OBJS))

TEST_SRCS := $(sort $(wildcard tests/*.c))
TESTS     := $(patsubst tests/%.c,$(OUT)/tests/%,$(TEST_SRCS))

# Reference programs for `make bench` (bench/*.c): one file each, linked
# with the system's libraries only, never with corolab's objects.
BENCH_BINS := $(patsubst bench/%.c,$(OUT)/bench/%,$(sort $(wildcard bench/*.c)))

.PHONY: all test lab bench deps help clean install fuzz fuzz-bins
all: $(OUT)/corolab $(TESTS) $(BENCH_BINS)

help:
	@echo 'make            build $(OUT)/corolab and the test programs'
	@echo 'make test       install missing packages, build, run every test'
	@echo 'make lab        install, build, run the whole lab (as root) into results/<timestamp>/'
	@echo 'make bench      the benchmarks whose figures the issues name'
	@echo 'make install    install corolab to $$(PREFIX)/bin (default /usr/local)'
	@echo 'make fuzz       libFuzzer harnesses (tests/fuzz/), FUZZ_SECONDS=60 each, FUZZ_FILTER=regex'
	@echo 'make clean      remove build/'
	@echo 'options: V=1 (show commands)  SANITIZE=address,undefined (separate build dir)'
	@echo '         TESTS_FILTER=regex (subset of tests)  LAB_ARGS=--quick'

deps:
	$(Q)scripts/install-deps.sh

# vmlinux.h comes from the running kernel's BTF; only build/ holds it.
build/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

build/bpf/%.bpf.o: bpf/%.bpf.c build/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ibuild -Ibpf \
		-Wall -Werror -MMD -MP -c $< -o $@.tmp
	$(Q)llvm-strip -g $@.tmp 2>/dev/null || true
	$(Q)mv -f $@.tmp $@

build/%.skel.h: build/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv -f $@.tmp $@

$(OUT)/obj/%.c.o: userspace/%.c | $(SKELS) $(OUT)/skel-link
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/obj/%.S.o: userspace/%.S
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Sanitizer builds find the skeletons through -I$(OUT): link them in.
$(OUT)/skel-link: | $(SKELS)
	$(Q)mkdir -p $(OUT)
	$(Q)if [ "$(OUT)" != build ]; then for s in $(SKELS); do ln -sf ../../$$s $(OUT)/; done; fi
	$(Q)touch $@

$(OUT)/corolab: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/bench/%: bench/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LDLIBS) -o $@

$(OUT)/tests/%: tests/%.c $(LIB_OBJS) | $(SKELS) $(OUT)/skel-link
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Itests $< $(LIB_OBJS) $(LDLIBS) -o $@

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUT=$(OUT) tests/run.sh '$(TESTS_FILTER)'

lab: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)COROLAB=$(OUT)/corolab lab/all.sh $(LAB_ARGS)

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)COROLAB=$(OUT)/corolab scripts/bench.sh $(BENCH_ARGS)

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): clang, every userspace object
# built with -fsanitize=fuzzer-no-link,address,undefined in build/fuzz; each
# target then runs FUZZ_SECONDS on a copy of its committed seed corpus.
FUZZ_SECONDS ?= 60
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUT)/bin/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))

fuzz: deps
	$(Q)$(MAKE) --no-print-directory CC=clang OUT=build/fuzz \
		SANITIZE=fuzzer-no-link,address,undefined fuzz-bins
	$(Q)OUT=build/fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh '$(FUZZ_FILTER)'

fuzz-bins: $(FUZZ_BINS)

$(OUT)/bin/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJS) | $(SKELS) $(OUT)/skel-link
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer $< $(LIB_OBJS) $(LDLIBS) -o $@

PREFIX ?= /usr/local
install: $(OUT)/corolab
	install -D -m 0755 $(OUT)/corolab $(DESTDIR)$(PREFIX)/bin/corolab

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(TESTS:=.d) $(BENCH_BINS:=.d) $(FUZZ_BINS:=.d) $(BPF_OBJS:.o=.d)
