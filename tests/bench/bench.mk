# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark (tests/bench/README.md). Included by the top Makefile.
#
#   make bench            every figure, at 100, 1,000 and 10,000 cgroups:
#                         table on stdout, everything in build/bench.json
#   make bench BENCH_ARGS="--sizes 100,1000 --quick"
#                         fewer sizes, shorter CPU windows
#   make bench-profile    one cycle at 1,000 cgroups under perf (where
#                         hardware counters work) or callgrind
#   make bench-bins       build only
#
# Needs root: it makes its cgroups in this machine's cgroup2 tree (under one
# unique directory, removed at the end). Nothing asserts on time: the run
# fails only when something broke.
#
# Safe to read twice (`make -f Makefile -f tests/bench/bench.mk` once the top
# Makefile includes it too): the second reading is skipped.
ifndef CGSCOPE_BENCH_MK
CGSCOPE_BENCH_MK := 1

BENCH_DIR      := $(BUILD)/bench
BENCH_PYTHON   ?= /usr/bin/python3
BENCH_ARGS     ?=
# What the benchmark needs beyond the build: the exporter it compares with,
# the HTTP client that scrapes, and the profilers of bench-profile.
BENCH_DEB_PKGS := prometheus-node-exporter curl python3 valgrind linux-perf

.PHONY: bench-deps bench-bins bench-profile

# The build runs after the packages are in, in a make that knows our rules
# whether or not the top Makefile includes this file.
BENCH_MAKE := -f $(firstword $(MAKEFILE_LIST)) -f tests/bench/bench.mk

# After `deps`, never beside it: two apt-get at once fight over the dpkg lock.
bench-deps: deps
	$(Q)missing=$$(for p in $(BENCH_DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

bench-bins: $(BUILD)/cgscope $(BENCH_DIR)/bench_cycle $(BENCH_DIR)/migrate

bench: bench-deps
	$(Q)$(MAKE) --no-print-directory $(BENCH_MAKE) bench-bins
	$(Q)$(BENCH_PYTHON) tests/bench/bench $(BENCH_ARGS)

bench-profile: bench-deps
	$(Q)$(MAKE) --no-print-directory $(BENCH_MAKE) bench-bins
	$(Q)$(BENCH_PYTHON) tests/bench/bench --profile $(BENCH_ARGS)

$(BENCH_DIR)/bench_cycle: tests/bench/bench_cycle.c $(LIB_OBJS) | $(BENCH_DIR)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The migration generator of the events figures: libc only.
$(BENCH_DIR)/migrate: tests/bench/migrate.c | $(BENCH_DIR)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -o $@ $<

$(BENCH_DIR):
	$(Q)mkdir -p $@

endif
