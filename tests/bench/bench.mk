# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark (tests/bench/README.md). Included by the top Makefile.
#
#   make bench            every figure, at 100, 1,000 and 10,000 cgroups, events
#                         and network:
#                         table on stdout, everything in build/bench.json
#   make bench BENCH_ARGS="--sizes 100,1000 --quick"
#                         fewer sizes, shorter CPU windows
#   make bench-profile    one cycle at 1,000 cgroups under perf (where
#                         hardware counters work) or callgrind
#   make bench-bins       build only
#   make bench-vm         bench_cycle in a qemu guest (tests/vm/run bench) on
#                         one kernel of the VM matrix, where every cgroup has
#                         memory.stat & co: table on stdout, build/bench-vm.json
#   make bench-vm BENCH_VM_CGROUPS=1000
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
BENCH_DEB_PKGS := prometheus-node-exporter curl python3 valgrind linux-perf iperf3

.PHONY: bench-deps bench-bins bench-profile bench-vm

# bench-vm: the 6.12 kernel of the VM matrix (its second entry, tests/vm/vm.mk),
# the size of the guest's tree, the processes that keep its memory statistics
# moving, and the runs/cycles of bench_cycle. Under TCG, at 300 cgroups, a
# pass of the limit takes about 0.2 s and a cycle 0.25 s: bench_cycle's own
# choice would be about 7 runs and 11 cycles; 15 of each keep the guest's
# part near 40 s, the whole under 70 s (empty: bench_cycle chooses).
BENCH_VM_KERNEL  ?= $(word 2,$(VM_KERNELS))
BENCH_VM_CGROUPS ?= 300
BENCH_VM_WORKERS ?= 4
BENCH_VM_REPS    ?= 15
BENCH_VM_CYCLES  ?= 15

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

bench-bins: $(BUILD)/cgscope $(BENCH_DIR)/bench_cycle $(BENCH_DIR)/migrate $(BENCH_DIR)/bench_record \
	$(BENCH_DIR)/netcost $(BENCH_DIR)/evcost

bench: bench-deps
	$(Q)$(MAKE) --no-print-directory $(BENCH_MAKE) bench-bins
	$(Q)$(BENCH_PYTHON) tests/bench/bench $(BENCH_ARGS)

bench-profile: bench-deps
	$(Q)$(MAKE) --no-print-directory $(BENCH_MAKE) bench-bins
	$(Q)$(BENCH_PYTHON) tests/bench/bench --profile $(BENCH_ARGS)

# vm-kernels fetches the kernels (and, through deps, qemu); the build comes
# after it, as for bench, so that it never runs beside apt-get.
bench-vm: vm-kernels
	$(Q)$(MAKE) --no-print-directory $(BENCH_MAKE) $(BENCH_DIR)/bench_cycle
	$(Q)BENCH_CYCLE=$(BENCH_DIR)/bench_cycle BENCH_VM_CGROUPS=$(BENCH_VM_CGROUPS) \
	BENCH_VM_WORKERS=$(BENCH_VM_WORKERS) BENCH_VM_REPS=$(BENCH_VM_REPS) \
	BENCH_VM_CYCLES=$(BENCH_VM_CYCLES) tests/vm/run bench $(BENCH_VM_KERNEL)

$(BENCH_DIR)/bench_cycle: tests/bench/bench_cycle.c $(LIB_OBJS) | $(BENCH_DIR)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The flight recorder's figures (store bytes, CPU, synthetic stores); zstd
# is compared through dlopen, never linked.
$(BENCH_DIR)/bench_record: tests/bench/bench_record.c $(LIB_OBJS) | $(BENCH_DIR)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -o $@ $< $(LIB_OBJS) $(LDLIBS) -ldl

# The migration generator of the events figures: libc only.
$(BENCH_DIR)/migrate: tests/bench/migrate.c | $(BENCH_DIR)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -o $@ $<

# What the network programs cost a packet: an empty program beside them,
# and test runs (libbpf; the programs' statistics read as the loader reads
# its own, agent/events/prog_stats.c).
$(BENCH_DIR)/netcost: tests/bench/netcost.c $(BUILD)/obj/agent/events/prog_stats.o | $(BENCH_DIR)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -o $@ $< $(BUILD)/obj/agent/events/prog_stats.o $(LDLIBS)

# What the statistics charge an empty program on the events programs'
# tracepoints (libbpf; statistics as for netcost).
$(BENCH_DIR)/evcost: tests/bench/evcost.c $(BUILD)/obj/agent/events/prog_stats.o | $(BENCH_DIR)
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -o $@ $< $(BUILD)/obj/agent/events/prog_stats.o $(LDLIBS)

$(BENCH_DIR):
	$(Q)mkdir -p $@

endif
