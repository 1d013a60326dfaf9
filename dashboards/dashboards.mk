# SPDX-License-Identifier: GPL-2.0-only
#
# Targets for dashboards/ (included by the top Makefile). Quiet when all
# is well; promtool's report is printed when something fails.
#   make dashboards-test    promtool check rules + promtool test rules
#   make dashboards-check   every static check: rules, unit tests, example
#                           config, both Grafana dashboards, every PromQL
#                           expression parsed (dashboards/test)
#   make dashboards-live    end to end: build/cgscope + a real Prometheus,
#                           every dashboard query run (dashboards/live_test.py)
#   make dashboards-json    regenerate the Grafana JSON from grafana/generate.py

PROMTOOL          ?= promtool
DASH_PYTHON       ?= /usr/bin/python3
DASH_RULES        := dashboards/prometheus/alerts.yml dashboards/prometheus/recording.yml
DASH_RULE_TESTS   := $(wildcard dashboards/prometheus/tests/*.yml)

.PHONY: dashboards-test dashboards-check dashboards-live dashboards-json

dashboards-test:
	$(call msg,PROMTOOL,check rules)
	$(Q)out=$$($(PROMTOOL) check rules $(DASH_RULES) 2>&1) || { echo "$$out"; exit 1; }
	$(call msg,PROMTOOL,test rules)
	$(Q)out=$$($(PROMTOOL) test rules $(DASH_RULE_TESTS) 2>&1) || { echo "$$out"; exit 1; }

dashboards-check:
	$(Q)dashboards/test

dashboards-live: $(BUILD)/cgscope
	$(Q)$(DASH_PYTHON) -m pytest -q -p no:cacheprovider dashboards/live_test.py

dashboards-json:
	$(Q)$(DASH_PYTHON) dashboards/grafana/generate.py
