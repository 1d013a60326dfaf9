# SPDX-License-Identifier: GPL-2.0-only
#
# Installing the agent (included by the top Makefile):
#   make install                   /usr/local/bin/cgscope and
#                                  /etc/systemd/system/cgscope.service
#   make install PREFIX=/usr DESTDIR=pkgroot
#                                  as a package lays it out:
#                                  /usr/bin, /usr/lib/systemd/system
#   make uninstall                 removes both (same PREFIX, DESTDIR)
#   make image                     the container image (deploy/Dockerfile)
# ExecStart in the installed unit points at the installed binary. With no
# DESTDIR, systemd is told to reload its units; `systemctl enable --now
# cgscope` is left to you.
#
# Safe to read twice (the top Makefile includes it, and deploy/test reads it
# on its own): the second reading is skipped.
ifndef CGSCOPE_DEPLOY_MK
CGSCOPE_DEPLOY_MK := 1

BUILD       ?= build
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
# A local install goes where the administrator's units are; a package
# (PREFIX=/usr) where the distribution's are.
UNITDIR     ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/systemd/system,/etc/systemd/system)
IMAGE       ?= cgscope:$(shell git describe --tags --always --dirty 2>/dev/null || echo latest)
DOCKER      ?= docker

.PHONY: install uninstall image

install: $(BUILD)/cgscope
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/cgscope $(DESTDIR)$(BINDIR)/cgscope
	sed 's|/usr/local/bin/cgscope|$(BINDIR)/cgscope|g' deploy/systemd/cgscope.service \
		> $(DESTDIR)$(UNITDIR)/cgscope.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/cgscope.service.tmp
	mv $(DESTDIR)$(UNITDIR)/cgscope.service.tmp $(DESTDIR)$(UNITDIR)/cgscope.service
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cgscope $(DESTDIR)$(UNITDIR)/cgscope.service
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

image: $(BUILD)/cgscope
	$(DOCKER) build -f deploy/Dockerfile -t $(IMAGE) .

endif
