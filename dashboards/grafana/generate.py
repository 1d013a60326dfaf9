#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the cgscope Grafana dashboards: cgscope-overview.json and
cgscope-cgroup.json beside this file.

The JSON files are committed and are what people import; this script is
their source, so that forty panels stay consistent (one datasource, one
label filter, one unit per panel). Edit here, run `dashboards/grafana/generate.py`,
commit both. dashboards/test fails when the JSON and this script disagree.

Standard library only (Debian's /usr/bin/python3).
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

DS = {"type": "prometheus", "uid": "${datasource}"}
CORES = "suffix:cores"   # CPU time per second: 1 = one CPU busy
SCHEMA_VERSION = 39       # Grafana 10.x/11.x


def target(expr, legend="", ref="A", instant=False, fmt="time_series"):
    return {
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "format": fmt,
        "instant": instant,
        "legendFormat": legend,
        "range": not instant,
        "refId": ref,
    }


def targets(*specs, **kw):
    """targets((expr, legend), ...) with refIds A, B, C..."""
    return [target(e, l, chr(ord("A") + i), **kw) for i, (e, l) in enumerate(specs)]


def timeseries(title, desc, unit, tgts, w=12, h=8, stack=False, bars=False,
               min_=0, max_=None, overrides=None, links=None, decimals=None):
    defaults = {
        "color": {"mode": "palette-classic"},
        "custom": {
            "axisBorderShow": False,
            "axisCenteredZero": False,
            "axisColorMode": "text",
            "axisLabel": "",
            "axisPlacement": "auto",
            "barAlignment": 0,
            "drawStyle": "bars" if bars else "line",
            "fillOpacity": 60 if bars else (25 if stack else 8),
            "gradientMode": "none",
            "hideFrom": {"legend": False, "tooltip": False, "viz": False},
            "insertNulls": False,
            "lineInterpolation": "linear",
            "lineWidth": 1,
            "pointSize": 4,
            "scaleDistribution": {"type": "linear"},
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"group": "A", "mode": "normal" if stack else "none"},
            "thresholdsStyle": {"mode": "off"},
        },
        "mappings": [],
        "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None}]},
        "unit": unit,
    }
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    if decimals is not None:
        defaults["decimals"] = decimals
    if links:
        defaults["links"] = links
    return {
        "type": "timeseries",
        "title": title,
        "description": desc,
        "datasource": DS,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": {
            "legend": {"calcs": ["mean", "max", "lastNotNull"], "displayMode": "table",
                       "placement": "bottom", "showLegend": True, "sortBy": "Max",
                       "sortDesc": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "targets": tgts,
        "_size": (w, h),
    }


def stat(title, desc, unit, tgts, w=4, h=4, mappings=None, no_value=None,
         text_mode="auto", graph=True, thresholds=None):
    defaults = {
        "color": {"mode": "thresholds"},
        "mappings": mappings or [],
        "thresholds": thresholds or {"mode": "absolute",
                                     "steps": [{"color": "green", "value": None}]},
        "unit": unit,
    }
    if no_value is not None:
        defaults["noValue"] = no_value
    return {
        "type": "stat",
        "title": title,
        "description": desc,
        "datasource": DS,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "colorMode": "value",
            "graphMode": "area" if graph else "none",
            "justifyMode": "auto",
            "orientation": "auto",
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "showPercentChange": False,
            "textMode": text_mode,
            "wideLayout": True,
        },
        "targets": tgts,
        "_size": (w, h),
    }


def table(title, desc, unit, tgts, w=12, h=8, hide=("Time", "Value")):
    return {
        "type": "table",
        "title": title,
        "description": desc,
        "datasource": DS,
        "fieldConfig": {
            "defaults": {
                "color": {"mode": "thresholds"},
                "custom": {"align": "auto", "cellOptions": {"type": "auto"},
                           "inspect": False},
                "mappings": [],
                "thresholds": {"mode": "absolute",
                               "steps": [{"color": "green", "value": None}]},
                "unit": unit,
            },
            "overrides": [],
        },
        "options": {"cellHeight": "sm", "showHeader": True,
                    "footer": {"show": False, "reducer": ["sum"], "fields": ""}},
        "targets": tgts,
        "transformations": [
            {"id": "organize", "options": {"excludeByName": {k: True for k in hide}}},
        ],
        "_size": (w, h),
    }


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


def series_override(name, props):
    return {"matcher": {"id": "byName", "options": name},
            "properties": [{"id": k, "value": v} for k, v in props]}


def dashed(name, color):
    return series_override(name, [
        ("custom.lineStyle", {"dash": [10, 10], "fill": "dash"}),
        ("custom.fillOpacity", 0),
        ("color", {"fixedColor": color, "mode": "fixed"}),
    ])


def regex_override(pattern, props):
    return {"matcher": {"id": "byRegexp", "options": pattern},
            "properties": [{"id": k, "value": v} for k, v in props]}


def layout(items):
    """Give each panel an id and gridPos: rows take a full line, panels
    flow left to right in a 24-column grid."""
    out, x, y, line_h, pid = [], 0, 0, 0, 1
    for p in items:
        p = dict(p)
        if p["type"] == "row":
            if x:
                y += line_h
            x, line_h = 0, 0
            p["gridPos"] = {"h": 1, "w": 24, "x": 0, "y": y}
            y += 1
        else:
            w, h = p.pop("_size")
            if x + w > 24:
                y += line_h
                x, line_h = 0, 0
            p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
            x += w
            line_h = max(line_h, h)
        p["id"] = pid
        pid += 1
        out.append(p)
    return out


def datasource_var():
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {"selected": False, "text": "${DS_PROMETHEUS}",
                    "value": "${DS_PROMETHEUS}"},
        "hide": 0,
        "includeAll": False,
        "multi": False,
        "options": [],
        "refresh": 1,
        "regex": "",
        "skipUrlSync": False,
    }


def query_var(name, label, query, multi, include_all, desc):
    return {
        "name": name,
        "label": label,
        "description": desc,
        "type": "query",
        "datasource": DS,
        "definition": query,
        "query": query,
        "current": {},
        "hide": 0,
        "includeAll": include_all,
        "multi": multi,
        "options": [],
        "refresh": 2,
        "regex": "",
        "skipUrlSync": False,
        "sort": 1,
    }


def textbox_var(name, label, default, desc):
    return {
        "name": name,
        "label": label,
        "description": desc,
        "type": "textbox",
        "query": default,
        "current": {"selected": False, "text": default, "value": default},
        "hide": 0,
        "options": [{"selected": True, "text": default, "value": default}],
        "skipUrlSync": False,
    }


def dashboard(uid, title, desc, panels, variables, annotations=(), time_from="now-1h"):
    return {
        "__inputs": [{
            "name": "DS_PROMETHEUS",
            "label": "Prometheus",
            "description": "The Prometheus that scrapes the cgscope agents",
            "type": "datasource",
            "pluginId": "prometheus",
            "pluginName": "Prometheus",
        }],
        "__elements": {},
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
            {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
            {"type": "panel", "id": "stat", "name": "Stat", "version": ""},
            {"type": "panel", "id": "table", "name": "Table", "version": ""},
            {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
        ],
        "annotations": {"list": [{
            "builtIn": 1,
            "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True,
            "hide": True,
            "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts",
            "type": "dashboard",
        }] + list(annotations)},
        "description": desc,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [{
            "asDropdown": False,
            "icon": "external link",
            "includeVars": True,
            "keepTime": True,
            "tags": ["cgscope"],
            "targetBlank": False,
            "title": "cgscope",
            "tooltip": "",
            "type": "dashboards",
            "url": "",
        }],
        "liveNow": False,
        "panels": layout(panels),
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["cgscope", "cgroup", "linux"],
        "templating": {"list": variables},
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


# --------------------------------------------------------------------------
# Overview: the whole host, one line per cgroup.

def overview():
    inst = 'instance=~"$instance"'
    sel = 'instance=~"$instance", cgroup=~"$cgroup"'
    link = [{
        "title": "Cgroup ${__field.labels.cgroup} in depth",
        "url": "/d/cgscope-cgroup/cgscope-cgroup?${datasource:queryparam}"
               "&var-instance=${__field.labels.instance}"
               "&var-cgroup=${__field.labels.cgroup}&${__url_time_range}",
    }]
    up_mappings = [{"type": "value", "options": {
        "0": {"text": "down", "color": "red", "index": 0},
        "1": {"text": "up", "color": "green", "index": 1}}}]

    panels = [
        row("Host"),
        stat("Cgroups", "Cgroups the agent watches (cgscope_cgroups), per host.",
             "short", targets((f"sum by (instance) (cgscope_cgroups{{{inst}}})",
                               "{{instance}}"))),
        stat("Populated cgroups",
             "Cgroups matching the filter that hold at least one process "
             "(cgroup.events populated). The root has no cgroup.events.",
             "short", targets((f"count by (instance) (cgroup_populated{{{sel}}} == 1)",
                               "{{instance}}"))),
        stat("OOM kills in range",
             "Processes killed by the OOM killer in the selected time range, in cgroups "
             "matching the filter: from memory.events (memory.events.local where the "
             "kernel has it) and from the BPF hook (per victim cgroup).",
             "short", targets(
                 ("sum(increase(cgroup_memory_events_local_total{%s, event=\"oom_kill\"}[$__range]) "
                  "or increase(cgroup_memory_events_total{%s, event=\"oom_kill\"}[$__range]))"
                  % (sel, sel), "memory.events"),
                 (f"sum(increase(cgroup_oom_kills_total{{{sel}}}[$__range]))", "BPF")),
             w=6, no_value="0",
             thresholds={"mode": "absolute", "steps": [
                 {"color": "green", "value": None}, {"color": "red", "value": 1}]}),
        stat("Agent version", "cgscope_build_info: the version each agent runs.",
             "none", targets((f"cgscope_build_info{{{inst}}}", "{{instance}} {{version}}")),
             w=5, text_mode="name", graph=False),
        stat("Agent scraped", "Whether Prometheus reaches each agent (up).",
             "none", targets((f"up{{{inst}}}", "{{instance}}")),
             w=5, mappings=up_mappings, graph=False,
             thresholds={"mode": "absolute", "steps": [
                 {"color": "red", "value": None}, {"color": "green", "value": 1}]}),

        row("Top cgroups"),
        timeseries("Top cgroups by CPU",
                   "CPU time used per second (1 = one CPU busy), the 10 highest among "
                   "cgroups matching the filter. cpu.stat usage is hierarchical: a "
                   "parent includes its children. Needs recording.yml.",
                   CORES, targets((f"topk(10, cgroup:cpu_usage_seconds:rate1m{{{sel}}})",
                                   "{{cgroup}}")), links=link),
        timeseries("Top cgroups by memory (working set)",
                   "Working set (memory.current minus inactive file pages, as cAdvisor "
                   "counts it), the 10 highest.",
                   "bytes", targets((f"topk(10, cgroup_memory_working_set_bytes{{{sel}}})",
                                     "{{cgroup}}")), links=link),
        timeseries("Top cgroups by CPU throttling",
                   "Share of CFS bandwidth periods in which the cgroup was throttled "
                   "(cpu.stat nr_throttled / nr_periods, 5m rate), the 10 highest. Only "
                   "cgroups with a cpu.max quota appear. Needs recording.yml.",
                   "percentunit",
                   targets((f"topk(10, cgroup:cpu_throttled_periods:ratio_rate5m{{{sel}}})",
                            "{{cgroup}}")), max_=1, links=link),
        timeseries("Top cgroups by memory use of limit",
                   "memory.current / memory.max, the 10 highest. Cgroups without a "
                   "memory.max do not appear. Needs recording.yml.",
                   "percentunit",
                   targets((f"topk(10, cgroup:memory_usage_of_limit:ratio{{{sel}}})",
                            "{{cgroup}}")), links=link),
        timeseries("Top cgroups by CPU pressure",
                   "PSI: share of time some tasks of the cgroup waited for a CPU "
                   "(cpu.pressure some), the 10 highest. Needs recording.yml.",
                   "percentunit",
                   targets(("topk(10, cgroup:pressure_stalled_seconds:rate1m{%s, resource=\"cpu\", kind=\"some\"})"
                            % sel, "{{cgroup}}")), w=8, max_=1, links=link),
        timeseries("Top cgroups by memory pressure",
                   "PSI: share of time some tasks of the cgroup waited for memory "
                   "(memory.pressure some), the 10 highest. Needs recording.yml.",
                   "percentunit",
                   targets(("topk(10, cgroup:pressure_stalled_seconds:rate1m{%s, resource=\"memory\", kind=\"some\"})"
                            % sel, "{{cgroup}}")), w=8, max_=1, links=link),
        timeseries("Top cgroups by IO pressure",
                   "PSI: share of time some tasks of the cgroup waited for IO "
                   "(io.pressure some), the 10 highest. Needs recording.yml.",
                   "percentunit",
                   targets(("topk(10, cgroup:pressure_stalled_seconds:rate1m{%s, resource=\"io\", kind=\"some\"})"
                            % sel, "{{cgroup}}")), w=8, max_=1, links=link),

        row("Memory events"),
        timeseries("OOM kills",
                   "Processes killed by the OOM killer, per cgroup: from memory.events "
                   "(memory.events.local where the kernel has it, so a kill counts in "
                   "the victim's cgroup only) and from the BPF hook.",
                   "short", targets(
                       ("sum by (instance, cgroup) (increase(cgroup_memory_events_local_total{%s, event=\"oom_kill\"}[$__rate_interval]) "
                        "or increase(cgroup_memory_events_total{%s, event=\"oom_kill\"}[$__rate_interval]))"
                        % (sel, sel), "{{cgroup}} (memory.events)"),
                       (f"sum by (instance, cgroup) (increase(cgroup_oom_kills_total{{{sel}}}[$__rate_interval]))",
                        "{{cgroup}} (BPF)")),
                   bars=True, decimals=0, links=link),
        timeseries("memory.events high and max",
                   "How often cgroups were pushed into reclaim by memory.high (high) or "
                   "reached memory.max (max), per second; the 10 busiest.",
                   "cps", targets(
                       ("topk(10, sum by (instance, cgroup, event) ("
                        "rate(cgroup_memory_events_local_total{%s, event=~\"high|max\"}[$__rate_interval]) "
                        "or rate(cgroup_memory_events_total{%s, event=~\"high|max\"}[$__rate_interval])))"
                        % (sel, sel), "{{cgroup}} {{event}}")), links=link),

        row("Agent health"),
        timeseries("Collect duration",
                   "Time one collection cycle takes (walk the tree, read every file, "
                   "render the page): median, 99th percentile and mean, per agent.",
                   "s", targets(
                       (f"histogram_quantile(0.5, sum by (instance, le) (rate(cgscope_collect_duration_seconds_bucket{{{inst}}}[$__rate_interval])))",
                        "{{instance}} p50"),
                       (f"histogram_quantile(0.99, sum by (instance, le) (rate(cgscope_collect_duration_seconds_bucket{{{inst}}}[$__rate_interval])))",
                        "{{instance}} p99"),
                       (f"sum by (instance) (rate(cgscope_collect_duration_seconds_sum{{{inst}}}[$__rate_interval])) "
                        f"/ sum by (instance) (rate(cgscope_collect_duration_seconds_count{{{inst}}}[$__rate_interval]))",
                        "{{instance}} mean")), w=8),
        timeseries("Read errors",
                   "cgroup files the agent failed to parse, per second, by file. Vanished "
                   "cgroups and disabled controllers are not errors.",
                   "cps", targets(
                       (f"sum by (instance, file) (rate(cgscope_read_errors_total{{{inst}}}[$__rate_interval]))",
                        "{{instance}} {{file}}")), w=8),
        timeseries("BPF events and losses",
                   "Kernel events received from the BPF ring buffer per second, by type, "
                   "and events lost because the ring buffer was full.",
                   "cps", targets(
                       (f"sum by (instance, type) (rate(cgscope_bpf_events_total{{{inst}}}[$__rate_interval]))",
                        "{{instance}} {{type}}"),
                       (f"sum by (instance) (rate(cgscope_bpf_events_lost_total{{{inst}}}[$__rate_interval]))",
                        "{{instance}} lost")),
                   w=8, overrides=[regex_override(".* lost$", [
                       ("color", {"fixedColor": "red", "mode": "fixed"})])]),
        timeseries("Cgroups created and removed",
                   "Cgroups created and removed per second on each host.",
                   "cps", targets(
                       (f"sum by (instance) (rate(cgroup_created_total{{{inst}}}[$__rate_interval]))",
                        "{{instance}} created"),
                       (f"sum by (instance) (rate(cgroup_removed_total{{{inst}}}[$__rate_interval]))",
                        "{{instance}} removed")), w=8),
        timeseries("BPF program CPU time",
                   "CPU time the agent's BPF programs spend in the kernel, as a share of "
                   "one CPU (the kernel's BPF statistics, when enabled).",
                   "percentunit", targets(
                       (f"sum by (instance, program) (rate(cgscope_bpf_program_run_seconds_total{{{inst}}}[$__rate_interval]))",
                        "{{instance}} {{program}}")), w=8),
        table("BPF hooks",
              "Which kernel hook serves each feature on each host (none: unavailable, "
              "poll: derived from cgroup files).",
              "none", targets((f"max by (instance, feature, hook) (cgscope_bpf_hook_info{{{inst}}})",
                               ""), instant=True, fmt="table"), w=8),
    ]
    variables = [
        datasource_var(),
        query_var("instance", "Instance", "label_values(cgscope_build_info, instance)",
                  multi=True, include_all=True,
                  desc="Hosts running the cgscope agent"),
        textbox_var("cgroup", "Cgroup (regex)", ".*",
                    "Regular expression on the cgroup path, e.g. /system.slice/.* "
                    "(\"/\" is the root)"),
    ]
    return dashboard(
        "cgscope-overview", "cgscope / Overview",
        "cgroup v2 host overview from the cgscope agent: top cgroups by CPU, memory, "
        "throttling and pressure, OOM kills, agent health. Load dashboards/prometheus/"
        "recording.yml into Prometheus.",
        panels, variables)


# --------------------------------------------------------------------------
# One cgroup in depth.

def cgroup():
    sel = 'instance="$instance", cgroup="$cgroup"'

    def rate(metric, extra=""):
        s = sel + (", " + extra if extra else "")
        return f"rate({metric}{{{s}}}[$__rate_interval])"

    def pressure(resource, title):
        return timeseries(
            title,
            f"PSI ({resource}.pressure): share of wall time in which some tasks "
            f"(some) or all non-idle tasks (full) of the cgroup were stalled "
            f"waiting for {resource}.",
            "percentunit", targets(
                (rate("cgroup_pressure_stalled_seconds_total",
                      f'resource="{resource}", kind="some"'), "some"),
                (rate("cgroup_pressure_stalled_seconds_total",
                      f'resource="{resource}", kind="full"'), "full")),
            w=8, max_=1)

    panels = [
        row("State"),
        stat("Populated", "The cgroup or a descendant holds a process (cgroup.events).",
             "bool_yes_no", targets((f"cgroup_populated{{{sel}}}", "")), graph=False,
             no_value="n/a (root)"),
        stat("Frozen", "The cgroup is frozen (cgroup.events frozen).",
             "bool_yes_no", targets((f"cgroup_frozen{{{sel}}}", "")), graph=False,
             no_value="n/a (root)"),
        stat("Descendants", "Live and dying descendant cgroups (cgroup.stat).",
             "short", targets((f"cgroup_descendants{{{sel}}}", "live"),
                              (f"cgroup_dying_descendants{{{sel}}}", "dying"))),
        stat("CPU weight", "cpu.weight (1..10000, default 100).", "none",
             targets((f"cgroup_cpu_weight{{{sel}}}", "")), graph=False,
             no_value="n/a"),
        stat("CPU quota", "cpu.max quota in CPUs; none when unlimited.", CORES,
             targets((f"cgroup_cpu_quota_cores{{{sel}}}", "")), graph=False,
             no_value="unlimited"),
        stat("Memory limit", "memory.max; none when unlimited.", "bytes",
             targets((f"cgroup_memory_limit_bytes{{{sel}}}", "")), graph=False,
             no_value="unlimited"),

        row("CPU"),
        timeseries("CPU usage vs quota",
                   "CPU time used per second (1 = one CPU busy), split into user and "
                   "system, against the cpu.max quota (dashed; absent when unlimited).",
                   CORES, targets(
                       (rate("cgroup_cpu_usage_seconds_total"), "usage"),
                       (rate("cgroup_cpu_user_seconds_total"), "user"),
                       (rate("cgroup_cpu_system_seconds_total"), "system"),
                       (f"cgroup_cpu_quota_cores{{{sel}}}", "quota")),
                   overrides=[dashed("quota", "red")]),
        timeseries("Throttled periods",
                   "Share of CFS bandwidth periods in which the cgroup was throttled "
                   "(cpu.stat nr_throttled / nr_periods). Only with a cpu.max quota.",
                   "percentunit", targets(
                       (rate("cgroup_cpu_throttled_periods_total") + " / ("
                        + rate("cgroup_cpu_periods_total") + " > 0)", "throttled")),
                   max_=1),
        timeseries("Throttled time",
                   "Seconds per second the cgroup's tasks spent throttled "
                   "(cpu.stat throttled_usec).",
                   "s", targets((rate("cgroup_cpu_throttled_seconds_total"), "throttled")),
                   w=8),
        timeseries("Throttle events",
                   "Times per second the cgroup was throttled, as seen by BPF (or derived "
                   "from nr_throttled where no hook is available).",
                   "cps", targets((rate("cgroup_throttle_events_total"), "throttle events")),
                   w=8),
        timeseries("Throttled duration per event",
                   "How long each throttling lasted (BPF hook), median and 99th percentile.",
                   "s", targets(
                       ("histogram_quantile(0.5, sum by (le) ("
                        + rate("cgroup_throttled_duration_seconds_bucket") + "))", "p50"),
                       ("histogram_quantile(0.99, sum by (le) ("
                        + rate("cgroup_throttled_duration_seconds_bucket") + "))", "p99")),
                   w=8),

        row("Memory"),
        timeseries("Memory usage vs limit and high",
                   "memory.current (usage), working set (usage minus inactive file), "
                   "memory.peak, swap, against memory.high and memory.max (dashed).",
                   "bytes", targets(
                       (f"cgroup_memory_usage_bytes{{{sel}}}", "usage"),
                       (f"cgroup_memory_working_set_bytes{{{sel}}}", "working set"),
                       (f"cgroup_memory_peak_bytes{{{sel}}}", "peak"),
                       (f"cgroup_memory_swap_usage_bytes{{{sel}}}", "swap"),
                       (f"cgroup_memory_high_bytes{{{sel}}}", "high"),
                       (f"cgroup_memory_limit_bytes{{{sel}}}", "limit")),
                   overrides=[dashed("high", "orange"), dashed("limit", "red")]),
        timeseries("memory.stat breakdown",
                   "memory.stat, byte-valued keys. Keys overlap (file includes shmem, "
                   "slab = slab_reclaimable + slab_unreclaimable): not stacked.",
                   "bytes", targets((f"cgroup_memory_stat_bytes{{{sel}}}", "{{type}}"))),
        timeseries("Memory use of limit",
                   "memory.current and working set as a share of memory.max.",
                   "percentunit", targets(
                       (f"cgroup_memory_usage_bytes{{{sel}}} / (cgroup_memory_limit_bytes{{{sel}}} > 0)",
                        "usage"),
                       (f"cgroup_memory_working_set_bytes{{{sel}}} / (cgroup_memory_limit_bytes{{{sel}}} > 0)",
                        "working set")), w=8),
        timeseries("memory.events",
                   "memory.events per second: low, high, max, oom, oom_kill. \"local\": "
                   "this cgroup only (memory.events.local); \"subtree\": including "
                   "descendants (memory.events).",
                   "cps", targets(
                       (rate("cgroup_memory_events_local_total"), "{{event}} (local)"),
                       (rate("cgroup_memory_events_total"), "{{event}} (subtree)")), w=8),
        timeseries("OOM kills",
                   "Processes of the cgroup killed by the OOM killer: memory.events.local "
                   "oom_kill and the BPF hook's count.",
                   "short", targets(
                       (f"increase(cgroup_memory_events_local_total{{{sel}, event=\"oom_kill\"}}[$__rate_interval])",
                        "memory.events"),
                       (f"increase(cgroup_oom_kills_total{{{sel}}}[$__rate_interval])", "BPF")),
                   w=8, bars=True, decimals=0),

        row("IO"),
        timeseries("IO throughput per device",
                   "Bytes read and written per second, by device (major:minor, io.stat).",
                   "Bps", targets(
                       (rate("cgroup_io_read_bytes_total"), "{{device}} read"),
                       (rate("cgroup_io_write_bytes_total"), "{{device}} write"),
                       (rate("cgroup_io_discard_bytes_total"), "{{device}} discard"))),
        timeseries("IO operations per device",
                   "Read and write operations per second, by device (io.stat).",
                   "iops", targets(
                       (rate("cgroup_io_reads_total"), "{{device}} reads"),
                       (rate("cgroup_io_writes_total"), "{{device}} writes"))),

        row("Processes"),
        timeseries("Pids vs limit",
                   "Processes and threads in the cgroup (pids.current) against pids.max "
                   "(dashed; absent when unlimited).",
                   "short", targets(
                       (f"cgroup_pids_current{{{sel}}}", "pids"),
                       (f"cgroup_pids_limit{{{sel}}}", "limit")),
                   overrides=[dashed("limit", "red")], decimals=0),
        timeseries("pids.events",
                   "Forks refused because pids.max was reached, per second.",
                   "cps", targets((rate("cgroup_pids_events_total"), "{{event}}"))),

        row("Pressure"),
        pressure("cpu", "CPU pressure"),
        pressure("memory", "Memory pressure"),
        pressure("io", "IO pressure"),

        row("Events"),
        timeseries("Migrations",
                   "Tasks moved into and out of the cgroup per second (BPF, "
                   "cgroup_attach_task).",
                   "cps", targets(
                       (rate("cgroup_migrations_in_total"), "in"),
                       (rate("cgroup_migrations_out_total"), "out")), w=8),
        timeseries("Populated and frozen",
                   "cgroup.events over time: populated (holds a process) and frozen.",
                   "bool_yes_no", targets(
                       (f"cgroup_populated{{{sel}}}", "populated"),
                       (f"cgroup_frozen{{{sel}}}", "frozen")), w=8, max_=1),
        timeseries("Descendants over time",
                   "Live and dying descendant cgroups (cgroup.stat). Dying ones are "
                   "removed but still pinned by memory.",
                   "short", targets(
                       (f"cgroup_descendants{{{sel}}}", "live"),
                       (f"cgroup_dying_descendants{{{sel}}}", "dying")), w=8, decimals=0),
    ]
    variables = [
        datasource_var(),
        query_var("instance", "Instance", "label_values(cgscope_build_info, instance)",
                  multi=False, include_all=False, desc="The host running the agent"),
        query_var("cgroup", "Cgroup",
                  'label_values(cgroup_cpu_usage_seconds_total{instance="$instance"}, cgroup)',
                  multi=False, include_all=False,
                  desc="The cgroup to show (path below the cgroup2 root; / is the root). "
                       "Type to search."),
    ]
    alerts = {
        "datasource": DS,
        "enable": True,
        "expr": 'ALERTS{alertstate="firing", instance="$instance", cgroup="$cgroup"}',
        "hide": False,
        "iconColor": "red",
        "name": "Firing alerts",
        "step": "60s",
        "tagKeys": "severity",
        "textFormat": "{{alertname}} ({{severity}}) in {{cgroup}}",
        "titleFormat": "{{alertname}}",
        "useValueForTime": False,
    }
    return dashboard(
        "cgscope-cgroup", "cgscope / Cgroup",
        "One cgroup in depth from the cgscope agent: CPU and throttling, memory, "
        "IO, pids, pressure, events. Pick the host and the cgroup above.",
        panels, variables, annotations=[alerts])


DASHBOARDS = {
    "cgscope-overview.json": overview,
    "cgscope-cgroup.json": cgroup,
}


def render(build):
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    out_dir = Path(argv[1]) if len(argv) > 1 else HERE
    for name, build in DASHBOARDS.items():
        (out_dir / name).write_text(render(build), encoding="utf-8")
        print("wrote", out_dir / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
