# SPDX-License-Identifier: GPL-2.0-only
#
# The whole binary and the unit tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer into build/asan/ (objects of their own, so
# build/ is untouched), then the unit tests and the end-to-end suite run
# against build/asan/cgscope. Any sanitizer report fails the run.
# Included by the top Makefile.
#
#   make test-asan                 build, run, end with "N passed, N failed"
#   make asan                      build only
#   make test-asan PYTEST_ARGS='-k churn'   a part of the e2e suite

ASAN_CC        ?= clang
ASAN_DIR       := $(BUILD)/asan
ASAN_FLAGS     := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
ASAN_OBJS      := $(patsubst %.c,$(ASAN_DIR)/obj/%.o,$(SRCS))
ASAN_LIB_OBJS  := $(filter-out $(ASAN_DIR)/obj/agent/main.o,$(ASAN_OBJS))
ASAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(ASAN_DIR)/tests/%,$(UNIT_SRCS))

.PHONY: asan test-asan

asan: $(ASAN_DIR)/cgscope $(ASAN_UNIT_BINS)

test-asan: asan
	$(Q)PYTEST_ARGS="$(PYTEST_ARGS)" tests/run-asan

$(ASAN_DIR)/cgscope: $(ASAN_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(ASAN_CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The BPF skeletons are the top Makefile's, in build/bpf/ (-I$(BUILD)/bpf).
# `make deps` first (order only): clang and its sanitizer runtimes.
$(ASAN_DIR)/obj/%.o: %.c | deps $(BPF_SKELS)
	$(call msg,ASANCC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(ASAN_CC) $(CPPFLAGS) -O1 -g $(ASAN_FLAGS) $(WARN) -std=gnu11 -MMD -MP -c -o $@ $<
$(ASAN_DIR)/obj/agent/lib/version.o: $(BUILD)/version.txt

$(ASAN_DIR)/tests/%: tests/unit/%.c $(ASAN_LIB_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(ASAN_CC) $(CPPFLAGS) $(UNIT_CPPFLAGS) -O1 -g $(ASAN_FLAGS) $(WARN) -std=gnu11 -o $@ $< \
		$(ASAN_LIB_OBJS) $(LDLIBS) -lcmocka

-include $(ASAN_OBJS:.o=.d)
