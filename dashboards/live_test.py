# SPDX-License-Identifier: GPL-2.0-only
"""End to end for dashboards/: the built agent, a real Prometheus scraping it
every second with our rule files loaded, and every PromQL expression of both
Grafana dashboards run through the Prometheus HTTP API.

What it sets up (and takes down, by PID and by path, even on failure):
  - its own cgroups under one unique directory of the cgroup2 mount:
    <mount>/cgscope-dashtest-<pid>-<random>/{busy,idle}, with a busy shell
    loop moved into "busy";
  - build/cgscope agent --web.listen-address 127.0.0.1:<port> --interval 1s;
  - /usr/bin/prometheus on another loopback port, with a temporary data
    directory, scraping the agent every second and evaluating
    prometheus/alerts.yml and prometheus/recording.yml every second.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider dashboards/live_test.py
(as root: it creates cgroups). CGSCOPE_BIN=/path overrides build/cgscope.
Nothing here skips: a missing agent binary or Prometheus is a failure.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import dashlib  # noqa: E402

ROOT = HERE.parent
AGENT = Path(os.environ.get("CGSCOPE_BIN", ROOT / "build" / "cgscope"))
PROMETHEUS = Path("/usr/bin/prometheus")

SCRAPES_BEFORE_QUERYING = 12        # seconds of data, one scrape a second
STARTUP_TIMEOUT = 30.0
DATA_TIMEOUT = 90.0

# Grafana's interval variables, as Grafana would fill them for a 1 s scrape
# interval and a short time range.
LIVE_BUILTINS = {
    "__rate_interval": "10s",
    "__interval": "2s",
    "__interval_ms": "2000",
    "__range": "30s",
    "__range_s": "30",
    "__range_ms": "30000",
}

# Panels that must return data for the test's own cgroups on any host,
# this hybrid one included (it has cpu.stat and PSI in cgroup2, no memory,
# io or pids controller there): (dashboard, panel title) -> refIds.
CORE_PANELS = {
    ("overview", "Cgroups"): ["A"],
    ("overview", "Populated cgroups"): ["A"],
    ("overview", "Top cgroups by CPU"): ["A"],
    ("overview", "Top cgroups by CPU pressure"): ["A"],
    ("overview", "Top cgroups by memory pressure"): ["A"],
    ("overview", "Top cgroups by IO pressure"): ["A"],
    ("overview", "Collect duration"): ["A", "B", "C"],
    ("overview", "Agent version"): ["A"],
    ("overview", "Agent scraped"): ["A"],
    ("cgroup", "Populated"): ["A"],
    ("cgroup", "Frozen"): ["A"],
    ("cgroup", "Descendants"): ["A", "B"],
    ("cgroup", "CPU usage vs quota"): ["A", "B", "C"],
    ("cgroup", "CPU pressure"): ["A"],
    ("cgroup", "Memory pressure"): ["A"],
    ("cgroup", "IO pressure"): ["A"],
    ("cgroup", "Populated and frozen"): ["A", "B"],
    ("cgroup", "Descendants over time"): ["A", "B"],
}


# ------------------------------------------------------------------ helpers

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cgroup2_mount():
    """The cgroup2 mount point, from /proc/self/mountinfo."""
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[:1] == ["cgroup2"]:
                # Mount points escape spaces and the like as \ooo.
                raw = left.split()[4]
                return Path(raw.encode().decode("unicode_escape"))
    raise RuntimeError("no cgroup2 mount in /proc/self/mountinfo")


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", "replace")


def stop(proc, name, grace=10.0):
    """Stop one process we started, by its PID."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        pass


def tail(path, n=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


class Stack:
    """Everything the fixture started, and how to ask Prometheus."""

    def __init__(self):
        self.procs = {}          # name -> Popen
        self.cgroups = []        # created directories, parents first
        self.tmp = None
        self.base = None         # Path of our cgroup directory
        self.agent_addr = None
        self.prom_url = None

    # cgroup label values, as the agent names them (path below the mount)
    def label(self, name=None):
        rel = "/" + self.base.name
        return rel if name is None else rel + "/" + name

    def query(self, expr):
        url = self.prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            status, body = http_get(url, timeout=15)
        except urllib.error.HTTPError as e:   # 400/422 carry the parse error
            body = e.read().decode("utf-8", "replace")
        return json.loads(body)

    def api(self, path):
        return json.loads(http_get(self.prom_url + path, timeout=15)[1])

    def logs(self):
        return "\n".join("--- %s log (tail) ---\n%s" % (n, tail(Path(self.tmp) / (n + ".log")))
                         for n in ("agent", "prometheus"))


def live_values(stack, dashboard_key):
    """Variable values for one dashboard, pointing at the test's cgroups."""
    values = dict(LIVE_BUILTINS)
    values["datasource"] = "prometheus"
    values["instance"] = stack.agent_addr
    if dashboard_key == "overview":
        # A regex (textbox variable): the test's directory and below.
        values["cgroup"] = "%s(/.*)?" % stack.label()
    else:
        values["cgroup"] = stack.label("busy")
    return values


def wait_for(what, predicate, timeout, stack, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for name, p in stack.procs.items():
            if name != "busy" and p.poll() is not None:
                pytest.fail("%s exited with %s while waiting for %s\n%s"
                            % (name, p.returncode, what, stack.logs()))
        try:
            last = predicate()
            if last is True:
                return
        except (OSError, ValueError, KeyError, urllib.error.URLError) as e:
            last = e
        time.sleep(interval)
    pytest.fail("timed out after %.0fs waiting for %s (last: %r)\n%s"
                % (timeout, what, last, stack.logs()))


def has_samples(stack, expr, n=1):
    r = stack.query(expr)
    return r.get("status") == "success" and len(r["data"]["result"]) >= n


# ------------------------------------------------------------------ fixture

@pytest.fixture(scope="module")
def stack():
    s = Stack()
    try:
        if not AGENT.is_file() or not os.access(AGENT, os.X_OK):
            pytest.fail("agent binary %s is missing: run make first" % AGENT)
        if not os.access(PROMETHEUS, os.X_OK):
            pytest.fail("%s is missing: make deps installs the prometheus package" % PROMETHEUS)

        s.tmp = tempfile.mkdtemp(prefix="cgscope-dashtest-")

        # Our cgroups: one unique directory, two children.
        mount = cgroup2_mount()
        s.base = mount / ("cgscope-dashtest-%d-%s" % (os.getpid(), secrets.token_hex(4)))
        for d in (s.base, s.base / "busy", s.base / "idle"):
            d.mkdir()
            s.cgroups.append(d)

        busy = subprocess.Popen(["sh", "-c", "while :; do :; done"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        s.procs["busy"] = busy
        (s.base / "busy" / "cgroup.procs").write_text("%d\n" % busy.pid)

        agent_port = free_port()
        s.agent_addr = "127.0.0.1:%d" % agent_port
        agent_log = open(Path(s.tmp) / "agent.log", "wb")
        s.procs["agent"] = subprocess.Popen(
            [str(AGENT), "agent", "--web.listen-address", s.agent_addr, "--interval", "1s",
             "--record.dir", str(Path(s.tmp) / "record")],
            stdin=subprocess.DEVNULL, stdout=agent_log, stderr=subprocess.STDOUT)
        agent_log.close()

        busy_label = 'cgroup="%s"' % s.label("busy")
        wait_for("the agent's /metrics to show %s" % busy_label,
                 lambda: busy_label in http_get("http://%s/metrics" % s.agent_addr)[1],
                 STARTUP_TIMEOUT, s)

        prom_port = free_port()
        s.prom_url = "http://127.0.0.1:%d" % prom_port
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                       "evaluation_interval": "1s"},
            "rule_files": [str(p) for p in dashlib.RULE_FILES],
            "scrape_configs": [{"job_name": "cgscope",
                                "static_configs": [{"targets": [s.agent_addr]}]}],
        }
        config_path = Path(s.tmp) / "prometheus.yml"
        config_path.write_text(json.dumps(config, indent=2))   # JSON is YAML
        prom_log = open(Path(s.tmp) / "prometheus.log", "wb")
        s.procs["prometheus"] = subprocess.Popen(
            [str(PROMETHEUS), "--config.file=%s" % config_path,
             "--storage.tsdb.path=%s" % (Path(s.tmp) / "data"),
             "--web.listen-address=127.0.0.1:%d" % prom_port],
            stdin=subprocess.DEVNULL, stdout=prom_log, stderr=subprocess.STDOUT)
        prom_log.close()

        wait_for("Prometheus to be ready",
                 lambda: http_get(s.prom_url + "/-/ready")[0] == 200, STARTUP_TIMEOUT, s)
        busy_sel = "{%s}" % busy_label
        wait_for("%d scrapes of the agent" % SCRAPES_BEFORE_QUERYING,
                 lambda: has_samples(s, "count_over_time(cgroup_cpu_usage_seconds_total%s[1m]) >= %d"
                                     % (busy_sel, SCRAPES_BEFORE_QUERYING)),
                 DATA_TIMEOUT, s)
        wait_for("the recording rules to produce series for the test's cgroups",
                 lambda: has_samples(s, "cgroup:cpu_usage_seconds:rate1m" + busy_sel)
                 and has_samples(s, "cgroup:pressure_stalled_seconds:rate1m" + busy_sel),
                 DATA_TIMEOUT, s)
        yield s
    finally:
        # Every process by PID, then every cgroup by path, children first.
        busy = s.procs.get("busy")
        if busy is not None and busy.poll() is None:
            os.kill(busy.pid, signal.SIGKILL)
            busy.wait(timeout=10)
        for name in ("prometheus", "agent"):
            try:
                stop(s.procs.get(name), name)
            except Exception as e:   # noqa: BLE001 - keep cleaning up
                print("could not stop %s: %r" % (name, e), file=sys.stderr)
        for d in reversed(s.cgroups):
            for _ in range(50):      # a killed task leaves its cgroup shortly
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                print("could not remove cgroup %s" % d, file=sys.stderr)
        if s.tmp:
            subprocess.run(["rm", "-rf", "--", s.tmp], check=False)


@pytest.fixture(scope="module")
def dashboards():
    return {k: dashlib.load_dashboard(p) for k, p in dashlib.DASHBOARDS.items()}


# ------------------------------------------------------------------ tests

def test_prometheus_scrapes_the_agent(stack):
    r = stack.query('up{job="cgscope"}')
    assert r["status"] == "success"
    values = [float(x["value"][1]) for x in r["data"]["result"]]
    assert values == [1.0], "up{job=\"cgscope\"} = %r\n%s" % (values, stack.logs())


def test_rule_files_load_and_evaluate(stack):
    groups = stack.api("/api/v1/rules")["data"]["groups"]
    loaded = {g["file"] for g in groups}
    for f in dashlib.RULE_FILES:
        assert str(f) in loaded, "%s not loaded by Prometheus\n%s" % (f, stack.logs())
    # Wait until every group has been evaluated at least once.
    deadline = time.monotonic() + 15
    while True:
        groups = stack.api("/api/v1/rules")["data"]["groups"]
        bad = ["%s/%s: health %s %s" % (g["name"], r.get("name"), r.get("health"),
                                        r.get("lastError", ""))
               for g in groups for r in g["rules"] if r.get("health") != "ok"]
        if not bad or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not bad, "rules failing on live data:\n" + "\n".join(bad)


def test_every_dashboard_expression_runs(stack, dashboards):
    failures, count = [], 0
    for key, d in dashboards.items():
        values = live_values(stack, key)
        for where, expr, _, _ in dashlib.expressions(d):
            count += 1
            try:
                q = dashlib.substitute(expr, values)
            except KeyError as e:
                failures.append("%s %s: undefined variable %s" % (key, where, e))
                continue
            r = stack.query(q)
            if r.get("status") != "success":
                failures.append("%s %s:\n    %s\n    %s: %s"
                                % (key, where, q, r.get("errorType"), r.get("error")))
    assert count > 0, "no expressions found in the dashboards"
    assert not failures, "%d of %d expressions fail:\n%s" % (
        len(failures), count, "\n".join(failures))


def find_panel(d, title):
    for p in dashlib.iter_panels(d):
        if p.get("title") == title and p.get("type") != "row":
            return p
    return None


def test_core_panels_return_data_for_the_test_cgroups(stack, dashboards):
    ours = {stack.label(), stack.label("busy"), stack.label("idle")}
    problems = []
    for (key, title), refs in CORE_PANELS.items():
        panel = find_panel(dashboards[key], title)
        if panel is None:
            problems.append("%s: no panel titled %r" % (key, title))
            continue
        values = live_values(stack, key)
        by_ref = {t["refId"]: t for t in panel["targets"]}
        for ref in refs:
            t = by_ref.get(ref)
            if t is None:
                problems.append("%s %r: no target %s" % (key, title, ref))
                continue
            q = dashlib.substitute(t["expr"], values)
            r = stack.query(q)
            result = r.get("data", {}).get("result", []) if r.get("status") == "success" else []
            if not result:
                problems.append("%s %r target %s returned no data:\n    %s" % (key, title, ref, q))
                continue
            labels = {x["metric"].get("cgroup") for x in result} - {None}
            if labels and not labels <= ours:
                problems.append("%s %r target %s returned cgroups outside the test's: %s"
                                % (key, title, ref, sorted(labels - ours)))
    assert not problems, "\n".join(problems) + "\n" + stack.logs()


def test_values_match_what_the_test_did(stack, dashboards):
    """The busy cgroup burns CPU and is populated; the idle one burns none;
    the overview counts at least the root and the test's three cgroups.
    Bounds are loose: the host may be busy, and the recorded 1m rate covers
    less than a minute of data here."""
    busy, idle = stack.label("busy"), stack.label("idle")

    def value(expr):
        r = stack.query(expr)
        assert r["status"] == "success", r
        return {x["metric"].get("cgroup"): float(x["value"][1]) for x in r["data"]["result"]}

    top = find_panel(dashboards["overview"], "Top cgroups by CPU")["targets"][0]["expr"]
    cpu = value(dashlib.substitute(top, live_values(stack, "overview")))
    assert cpu.get(busy, 0) > 0.01, "busy cgroup CPU %r: %r" % (cpu.get(busy), cpu)
    assert cpu.get(idle, 1) < 0.01, "idle cgroup CPU %r: %r" % (cpu.get(idle), cpu)

    usage = find_panel(dashboards["cgroup"], "CPU usage vs quota")["targets"][0]["expr"]
    u = value(dashlib.substitute(usage, live_values(stack, "cgroup")))
    assert u.get(busy, 0) > 0.05, "cgroup dashboard CPU usage of %s: %r" % (busy, u)

    populated = find_panel(dashboards["cgroup"], "Populated")["targets"][0]["expr"]
    assert value(dashlib.substitute(populated, live_values(stack, "cgroup"))) == {busy: 1.0}

    count = find_panel(dashboards["overview"], "Cgroups")["targets"][0]["expr"]
    n = list(value(dashlib.substitute(count, live_values(stack, "overview"))).values())
    assert n and n[0] >= 4, "cgscope_cgroups = %r, expected the root and our 3 at least" % n

    # The cgroup variable's list holds the test's cgroups.
    var = next(v for v in dashboards["cgroup"]["templating"]["list"] if v["name"] == "cgroup")
    sel, label = dashlib.variable_query_expr(var)
    sel = dashlib.substitute(sel, live_values(stack, "cgroup"))
    r = stack.api("/api/v1/label/%s/values?%s" % (label, urllib.parse.urlencode({"match[]": sel})))
    assert {busy, idle} <= set(r["data"]), "cgroup variable values: %r" % r["data"][:20]
