# SPDX-License-Identifier: GPL-2.0-only
#
# The VM harness (tests/vm/README.md): `make vmtest` boots each kernel of the
# matrix under qemu with pure cgroup v2 and runs tests/vm/scenarios in it.
# `make vm-kernels` only fetches the kernels into tests/vm/cache/.

# The kernel matrix: Debian packages, or meta-packages that name the current
# build of a series (resolved with apt-cache when fetching).
VM_KERNELS ?= linux-image-amd64 linux-image-6.12-amd64
# What the harness runs on the host is in the top Makefile's DEB_PKGS.

.PHONY: vm-kernels

vm-kernels: deps
	$(Q)tests/vm/run fetch $(VM_KERNELS)

# The cgscope scenarios need build/cgscope: a failed build does not stop the
# run (the fs-* scenarios test the harness itself), and no stale binary is
# tested: the runner reports the cgscope scenarios as failed, saying why.
vmtest: vm-kernels
	$(Q)if $(MAKE) --no-print-directory all; then bin=$(BUILD)/cgscope; else bin=; fi; \
	CGSCOPE=$$bin tests/vm/run test $(VM_KERNELS)
