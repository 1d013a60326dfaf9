# SPDX-License-Identifier: GPL-2.0-only
#
# Fuzz targets: libFuzzer with clang, AddressSanitizer and UBSan, one per
# parser of agent/cgroupfs/parse.h, one for the label escaping, one for the JSON
# snapshot parser, and one for the flight recorder's reader on damaged
# segments. Included by the top Makefile.
#
#   make fuzz          each target for FUZZ_SECONDS (60); the corpus found
#                      grows in build/fuzz/corpus/ from run to run
#   make fuzz-short    each target FUZZ_SHORT_SECONDS (10), for make test
#   make fuzz-bins     build only
#
# Seeds are made at build time from tests/fixtures/cgroupfs/ (tests/fuzz/seeds);
# tests/fuzz/regress/<target>/ holds inputs that once found a bug. A crash
# leaves its input in build/fuzz/artifacts/; replay it with
# `build/fuzz/fuzz_<target> FILE`.

FUZZ_SECONDS       ?= 60
FUZZ_SHORT_SECONDS ?= 10
FUZZ_JOBS          ?= $(shell nproc 2>/dev/null || echo 1)
FUZZ_CC            ?= clang
FUZZ_DIR           := $(BUILD)/fuzz
FUZZ_SAN           := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_NAMES         := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS          := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_NAMES))
# Everything but main(), instrumented for coverage, as the unit tests link it
# (a list of only the pure files would break whenever a module is split).
FUZZ_LIB_SRCS      := $(filter-out agent/main.c,$(SRCS))
FUZZ_LIB_OBJS      := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRCS))

.PHONY: fuzz fuzz-short fuzz-bins

fuzz-bins: $(FUZZ_BINS) $(FUZZ_DIR)/seeds.stamp

fuzz: fuzz-bins
	$(Q)FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-short: fuzz-bins
	$(Q)FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run $(FUZZ_SHORT_SECONDS) $(FUZZ_NAMES)

# `make deps` first (order only): clang and libFuzzer's runtime.
$(FUZZ_DIR)/obj/%.o: %.c | deps $(BPF_SKELS)
	$(call msg,FUZZCC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		$(WARN) -std=gnu11 -MMD -MP -c -o $@ $<
$(FUZZ_DIR)/obj/agent/lib/version.o: $(BUILD)/version.txt

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/record_corpus.h $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer \
		$(WARN) -std=gnu11 -o $@ $< $(FUZZ_LIB_OBJS) $(LDLIBS)

$(FUZZ_DIR)/seed_json: tests/fuzz/seed_json.c $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		$(WARN) -std=gnu11 -o $@ $< $(FUZZ_LIB_OBJS) $(LDLIBS)

$(FUZZ_DIR)/seed_record: tests/fuzz/seed_record.c tests/fuzz/record_corpus.h $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		$(WARN) -std=gnu11 -o $@ $< $(FUZZ_LIB_OBJS) $(LDLIBS)

$(FUZZ_DIR)/seeds.stamp: tests/fuzz/seeds $(FUZZ_DIR)/seed_json $(FUZZ_DIR)/seed_record \
		$(shell find tests/fixtures/cgroupfs tests/fixtures/runtime-state -type f 2>/dev/null)
	$(call msg,SEEDS,$(FUZZ_DIR)/seeds)
	$(Q)tests/fuzz/seeds $(FUZZ_DIR)
	$(Q)touch $@

-include $(FUZZ_LIB_OBJS:.o=.d)
