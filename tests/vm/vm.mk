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

# The systemd guest (tests/vm/systemd/, "The systemd guest" in
# tests/vm/README.md): a Debian bookworm image with systemd as PID 1, Docker
# and Podman, built with mmdebstrap and cached in /var/cache/cgscope (keyed by
# its recipe and kernel versions), booted once per kernel of
# VM_SYSTEMD_KERNELS; cgscope is installed and run there as users deploy it.
# `make vmtest-systemd` runs its scenarios; `make vm-image` only builds (or
# finds) the image.
VM_SYSTEMD_KERNELS ?= linux-image-6.12-amd64
# What it runs on the host, beyond qemu: mmdebstrap builds the root,
# apt-ftparchive indexes the guest's own package repository, mke2fs -d makes
# the disks without mounting them, qemu-img the throw-away overlay.
DEB_PKGS += mmdebstrap apt-utils e2fsprogs qemu-utils

.PHONY: vmtest-systemd vm-image

vm-image: deps
	$(Q)tests/vm/systemd/image $(VM_SYSTEMD_KERNELS) >/dev/null

# As for vmtest: a failed build fails the cgscope scenarios, saying why.
vmtest-systemd: deps
	$(Q)if $(MAKE) --no-print-directory all; then bin=$(BUILD)/cgscope; else bin=; fi; \
	CGSCOPE=$$bin tests/vm/systemd/run $(VM_SYSTEMD_KERNELS)
