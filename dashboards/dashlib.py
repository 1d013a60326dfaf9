# SPDX-License-Identifier: GPL-2.0-only
"""What dashboards/test and dashboards/live_test.py share: the metric names
the agent exposes (issues 2 and 3), how to find every PromQL expression in a
Grafana dashboard, how to replace Grafana's variables with values Prometheus
accepts, and which metric names and selectors an expression uses.

Standard library only: it runs under Debian's /usr/bin/python3.
"""

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRAFANA_DIR = HERE / "grafana"
PROMETHEUS_DIR = HERE / "prometheus"
DASHBOARDS = {
    "overview": GRAFANA_DIR / "cgscope-overview.json",
    "cgroup": GRAFANA_DIR / "cgscope-cgroup.json",
}
RULE_FILES = [PROMETHEUS_DIR / "alerts.yml", PROMETHEUS_DIR / "recording.yml"]

# The agent's metric families, as issues 2 and 3 name them. The value says
# whether a family carries the "cgroup" label.
COUNTERS = {
    "cgroup_cpu_usage_seconds_total": True,
    "cgroup_cpu_user_seconds_total": True,
    "cgroup_cpu_system_seconds_total": True,
    "cgroup_cpu_periods_total": True,
    "cgroup_cpu_throttled_periods_total": True,
    "cgroup_cpu_throttled_seconds_total": True,
    "cgroup_memory_events_total": True,
    "cgroup_memory_events_local_total": True,
    "cgroup_io_read_bytes_total": True,
    "cgroup_io_write_bytes_total": True,
    "cgroup_io_reads_total": True,
    "cgroup_io_writes_total": True,
    "cgroup_io_discard_bytes_total": True,
    "cgroup_pids_events_total": True,
    "cgroup_pressure_stalled_seconds_total": True,
    "cgroup_migrations_in_total": True,
    "cgroup_migrations_out_total": True,
    "cgroup_oom_kills_total": True,
    "cgroup_throttle_events_total": True,
    "cgroup_created_total": False,
    "cgroup_removed_total": False,
    "cgscope_read_errors_total": False,
    "cgscope_bpf_events_total": False,
    "cgscope_bpf_events_lost_total": False,
    "cgscope_bpf_program_run_seconds_total": False,
    "cgscope_bpf_program_runs_total": False,
}
GAUGES = {
    "cgroup_populated": True,
    "cgroup_frozen": True,
    "cgroup_descendants": True,
    "cgroup_dying_descendants": True,
    "cgroup_cpu_quota_cores": True,
    "cgroup_cpu_weight": True,
    "cgroup_memory_usage_bytes": True,
    "cgroup_memory_peak_bytes": True,
    "cgroup_memory_limit_bytes": True,
    "cgroup_memory_high_bytes": True,
    "cgroup_memory_working_set_bytes": True,
    "cgroup_memory_stat_bytes": True,
    "cgroup_memory_swap_usage_bytes": True,
    "cgroup_pids_current": True,
    "cgroup_pids_limit": True,
    "cgscope_build_info": False,
    "cgscope_cgroups": False,
    "cgscope_bpf_hook_info": False,
}
HISTOGRAMS = {
    "cgscope_collect_duration_seconds": False,
    "cgroup_throttled_duration_seconds": True,
}
# Series Prometheus makes itself.
PROMETHEUS_SERIES = {"up": False, "ALERTS": False, "ALERTS_FOR_STATE": False}


def agent_series():
    """Every series name the agent can expose -> has a cgroup label."""
    names = dict(COUNTERS)
    names.update(GAUGES)
    for h, cg in HISTOGRAMS.items():
        for suffix in ("_bucket", "_sum", "_count"):
            names[h + suffix] = cg
    return names


# Grafana's global variables, with stand-ins that keep an expression valid.
BUILTIN_STANDINS = {
    "__rate_interval": "1m",
    "__interval": "30s",
    "__interval_ms": "30000",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
}

_VAR_RE = re.compile(
    r"\$\{(?P<braced>\w+)(?::[^}]*)?\}|\$(?P<plain>\w+)|\[\[(?P<old>\w+)(?::[^\]]*)?\]\]"
)


def variables_in(text):
    """Names of the Grafana variables a string refers to."""
    return {m.group("braced") or m.group("plain") or m.group("old")
            for m in _VAR_RE.finditer(text)}


def substitute(text, values):
    """Replace every Grafana variable with values[name]; KeyError if unknown."""
    def repl(m):
        name = m.group("braced") or m.group("plain") or m.group("old")
        return values[name]
    return _VAR_RE.sub(repl, text)


def load_dashboard(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def iter_panels(dashboard):
    """Every panel, rows' nested panels included (collapsed rows keep theirs)."""
    for p in dashboard.get("panels", []):
        yield p
        for sub in p.get("panels", []) or []:
            yield sub


_LABEL_VALUES_RE = re.compile(r"^\s*label_values\((?P<sel>.*),\s*(?P<label>\w+)\s*\)\s*$", re.S)
_QUERY_RESULT_RE = re.compile(r"^\s*query_result\((?P<expr>.*)\)\s*$", re.S)


def variable_query_expr(var):
    """The PromQL inside a query variable (label_values(sel, l) -> sel)."""
    q = var.get("query")
    if isinstance(q, dict):
        q = q.get("query", "")
    q = q or var.get("definition", "")
    m = _LABEL_VALUES_RE.match(q)
    if m:
        return m.group("sel"), m.group("label")
    m = _QUERY_RESULT_RE.match(q)
    if m:
        return m.group("expr"), None
    return None, None


def expressions(dashboard):
    """(where, expr, panel) for every PromQL expression of a dashboard:
    panel targets, query variables and annotation queries."""
    out = []
    for p in iter_panels(dashboard):
        for t in p.get("targets", []) or []:
            where = "panel %r target %s" % (p.get("title"), t.get("refId"))
            out.append((where, t.get("expr", ""), p, t))
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            expr, _ = variable_query_expr(v)
            out.append(("variable %r" % v.get("name"), expr or "", None, None))
    for a in dashboard.get("annotations", {}).get("list", []):
        if a.get("expr"):
            out.append(("annotation %r" % a.get("name"), a["expr"], None, None))
    return out


# A small PromQL scanner: enough to find metric names and their selectors.
_TOKEN_RE = re.compile(
    r"""(?P<ws>\s+)
      |(?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
      |(?P<var>\$\{[^}]*\}|\$\w+|\[\[\w+(?::[^\]]*)?\]\])
      |(?P<num>[0-9][0-9A-Za-z_.]*|\.[0-9][0-9A-Za-z_.]*)
      |(?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
      |(?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=,(){}\[\]@])
    """, re.X)
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right",
             "bool", "offset", "and", "or", "unless", "atan2", "inf", "nan"}
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Aggregation operators may be followed by "by (...)" instead of "(".
_AGGREGATORS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                "count_values", "bottomk", "topk", "quantile"}


def tokenize(expr):
    toks, pos = [], 0
    while pos < len(expr):
        m = _TOKEN_RE.match(expr, pos)
        if not m:
            raise ValueError("cannot scan %r at %d" % (expr, pos))
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            toks.append((kind, m.group()))
    return toks


def selectors(expr):
    """[(metric_name, matcher_text)] for every vector selector in expr."""
    toks = tokenize(expr)
    out, i = [], 0
    while i < len(toks):
        kind, val = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if kind == "ident" and val in _GROUPING and nxt == "(":
            depth, i = 0, i + 1
            while i < len(toks):
                if toks[i][1] == "(":
                    depth += 1
                elif toks[i][1] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
        elif kind == "op" and val == "[":
            while i < len(toks) and toks[i][1] != "]":
                i += 1
        elif (kind == "ident" and val not in _KEYWORDS and val not in _AGGREGATORS
              and nxt != "("):
            matchers = ""
            if nxt == "{":
                j = i + 2
                parts = []
                while j < len(toks) and toks[j][1] != "}":
                    parts.append(toks[j][1])
                    j += 1
                matchers = " ".join(parts)
                i = j
            out.append((val, matchers))
        elif kind == "op" and val == "{":
            # A selector without a metric name.
            j = i + 1
            parts = []
            while j < len(toks) and toks[j][1] != "}":
                parts.append(toks[j][1])
                j += 1
            out.append(("", " ".join(parts)))
            i = j
        i += 1
    return out


_RECORD_RE = re.compile(r"^\s*-\s*record:\s*(\S+)\s*$", re.M)


def recorded_names():
    """Names the recording rules produce (read without a YAML library)."""
    return set(_RECORD_RE.findall((PROMETHEUS_DIR / "recording.yml").read_text()))
