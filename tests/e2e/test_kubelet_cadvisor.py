# SPDX-License-Identifier: GPL-2.0-only
"""cgscope as a drop-in for the kubelet's cAdvisor, tested against its real
consumers.

Cgroups are laid out as the kubelet lays them out with the systemd driver,
under the test's own directory of this host's cgroup2 tree (the agent's
--cgroup-root): kubepods.slice/kubepods-burstable.slice/
kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope, one for the
pod's sandbox (a sleeping "pause") and one for its container (a busy loop).
containerd's bundles (config.json with the CRI plugin's annotations, in
bundle directories only root may enter, as containerd makes them) lie in a
scratch --path.rootfs. The agent runs as the DaemonSet runs it: started as
root, switched to nobody.

A real Prometheus (Debian's package) scrapes the agent as the kubelet is
scraped by kube-prometheus (job="kubelet", metrics_path="/metrics/cadvisor",
honor_labels) and evaluates kube-prometheus's own k8s.rules.container_*
recording rule groups, unchanged, with a stand-in for kube-state-metrics'
kube_pod_info. The rules are kube-prometheus's own file, copied unchanged
with its license into tests/fixtures/kube-prometheus/.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest
import yaml

from conftest import BUSY, CGSCOPE, SLEEP, free_port, parse_metrics, series, wait_for

PROMETHEUS = "/usr/bin/prometheus"
UID = "5f8c1f2e-4b9a-4c7d-9e3f-1a2b3c4d5e6f"
SID = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9"
CID = "3f4e9c2d1b0a89786756453423120f1e2d3c4b5a69788796a5b4c3d2e1f00112"
BAD = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
POD = ("kubepods.slice", "kubepods-burstable.slice",
       "kubepods-burstable-pod%s.slice" % UID.replace("-", "_"))
IMAGE = "docker.io/library/nginx:1.25.3"
PAUSE = "registry.k8s.io/pause:3.10"
# A pause container that wakes now and then: CPU usage above 0, so that its
# container_cpu_usage_seconds_total is there (cAdvisor leaves out a 0).
PAUSE_PROC = ["sh", "-c", "while :; do sleep 0.3; i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; done"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "runtime-state")


def kube_prometheus_rules():
    """kube-prometheus's PrometheusRule of the control plane, copied unchanged
    with its license into tests/fixtures/kube-prometheus/ (SOURCE says from
    which commit)."""
    return os.path.join(ROOT, "tests", "fixtures", "kube-prometheus",
                        "kubernetesControlPlane-prometheusRule.yaml")


def container_rule_groups():
    with open(kube_prometheus_rules()) as f:
        doc = yaml.safe_load(f)
    groups = [g for g in doc["spec"]["groups"] if g["name"].startswith("k8s.rules.container_")]
    names = {g["name"] for g in groups}
    assert {"k8s.rules.container_cpu_usage_seconds_total",
            "k8s.rules.container_memory_working_set_bytes"} <= names, names
    return groups


def cpu_series(m, **labels):
    """container_cpu_usage_seconds_total{cpu="total", labels...} (cAdvisor's
    `name` label cannot be a keyword of conftest's series()); a cgroup with
    no usage yet has none (cAdvisor's rule): container_cpu_user_seconds_total."""
    labels = {("name" if k == "name_" else k): v for k, v in labels.items()}
    got = m.get(("container_cpu_user_seconds_total", frozenset(labels.items())))
    labels["cpu"] = "total"
    return m.get(("container_cpu_usage_seconds_total", frozenset(labels.items())), got)


def put_bundle(rootfs, cid, fixture):
    """A bundle as containerd's NewBundle makes it: the directory 0700."""
    d = os.path.join(rootfs, "run/containerd/io.containerd.runtime.v2.task/k8s.io", cid)
    os.makedirs(os.path.dirname(d), mode=0o711, exist_ok=True)
    os.mkdir(d, 0o700)
    if fixture is None:
        text = '{"ociVersion": "1.2.0", "annotations": {"io.kubernetes.cri.container-'
    else:
        with open(os.path.join(FIXTURES, fixture)) as f:
            text = f.read()
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(text)


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Prometheus:
    def __init__(self, tmp, agent, groups):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        rules = os.path.join(tmp, "kube-prometheus-k8s-rules-container.yml")
        with open(rules, "w") as f:
            json.dump({"groups": groups}, f)   # JSON is YAML
        # kube-state-metrics' series the rules join on, for the test's pod.
        stand_in = os.path.join(tmp, "stand-in.yml")
        with open(stand_in, "w") as f:
            json.dump({"groups": [{"name": "kube-state-metrics-stand-in", "rules": [{
                "record": "kube_pod_info",
                "expr": 'label_replace(label_replace(label_replace(vector(1), "namespace", "shop", "", ""), '
                        '"pod", "web-0", "", ""), "node", "node-1", "", "")'}]}]}, f)
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            json.dump({
                "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                           "evaluation_interval": "1s"},
                "rule_files": [rules, stand_in],
                # What kube-prometheus's kubelet ServiceMonitor says for
                # /metrics/cadvisor: honorLabels, and the path as a label.
                "scrape_configs": [{
                    "job_name": "kubelet",
                    "metrics_path": "/metrics/cadvisor",
                    "honor_labels": True,
                    "static_configs": [{"targets": ["127.0.0.1:%d" % agent.port]}],
                    "relabel_configs": [{"source_labels": ["__metrics_path__"],
                                         "target_label": "metrics_path"}],
                }],
            }, f)
        self.log = open(os.path.join(tmp, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(tmp, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_for(self.ready, timeout=60):
            raise RuntimeError("Prometheus did not become ready: " + self.tail())

    def ready(self):
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def query(self, expr):
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def rule_health(self):
        url = self.url + "/api/v1/rules"
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        return {(g["name"], rule.get("name")): (rule["health"], rule.get("lastError", ""))
                for g in body["data"]["groups"] for rule in g["rules"]}

    def tail(self):
        with open(self.log.name, "rb") as f:
            return f.read()[-3000:].decode(errors="replace")

    def stop(self):
        stop(self.proc)
        self.log.close()


@pytest.fixture
def kubelet_node(cgtree, agent_factory):
    """The pod's cgroups and bundles, and the agent watching them."""
    if not os.access(PROMETHEUS, os.X_OK):
        pytest.fail("%s is missing: make deps installs the prometheus package" % PROMETHEUS)
    groups = container_rule_groups()
    tmp = tempfile.mkdtemp(prefix="cgscope-kubelet-")
    try:
        rootfs = os.path.join(tmp, "rootfs")
        put_bundle(rootfs, SID, "containerd-sandbox.config.json")
        put_bundle(rootfs, CID, "containerd-container.config.json")
        put_bundle(rootfs, BAD, None)   # cut short: malformed
        path = ()
        for d in POD:
            path += (d,)
            cgtree.mkdir(*path)
        for cid in (SID, CID, BAD):
            cgtree.mkdir(*POD, "cri-containerd-%s.scope" % cid)
        cgtree.spawn(PAUSE_PROC, *POD, "cri-containerd-%s.scope" % SID)
        cgtree.spawn(BUSY, *POD, "cri-containerd-%s.scope" % CID)
        cgtree.spawn(SLEEP, *POD, "cri-containerd-%s.scope" % BAD)
        agent = agent_factory("--cgroup-root", cgtree.path, "--path.rootfs", rootfs,
                              "--compat=cadvisor", "--interval", "1s", "--no-bpf",
                              "--user", "nobody")
        yield {"tree": cgtree, "agent": agent, "tmp": tmp, "groups": groups}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_cadvisor_page_names_pods_and_containers(kubelet_node):
    agent = kubelet_node["agent"]
    pod_id = "/" + "/".join(POD)
    sandbox_id = pod_id + "/cri-containerd-%s.scope" % SID
    container_id = pod_id + "/cri-containerd-%s.scope" % CID
    bad_id = pod_id + "/cri-containerd-%s.scope" % BAD

    def cpu():
        m = parse_metrics(agent.get("/metrics/cadvisor"))
        return m if cpu_series(m, container="nginx",
                           id=container_id, image=IMAGE, name_=CID, namespace="shop",
                               pod="web-0") else None
    m = wait_for(cpu)
    assert m, "no named series for the container on /metrics/cadvisor:\n" + \
        agent.get("/metrics/cadvisor")[:3000]
    # The sandbox: container="" and its own (pause) image, as cAdvisor.
    assert cpu_series(m, container="", id=sandbox_id,
                  image=PAUSE, name_=SID, namespace="shop", pod="web-0") is not None
    # The pod's own cgroup: its pod and namespace, as the kubelet gives them.
    assert cpu_series(m, container="", id=pod_id, image="",
                  name_="", namespace="shop", pod="web-0") is not None
    # The QoS level and the malformed bundle's container: nothing named.
    qos = "/" + "/".join(POD[:2])
    assert cpu_series(m, container="", id=qos, image="",
                  name_="", namespace="", pod="") is not None
    assert cpu_series(m, container="", id=bad_id, image="",
                  name_=BAD, namespace="", pod="") is not None
    # Only cAdvisor's families there: cgscope's stay on /metrics.
    names = {n for n, _ in m}
    assert all(n.startswith("container_") for n in names), sorted(names)

    page = parse_metrics(agent.get("/metrics"))
    assert series(page, "cgscope_identity_errors_total", reason="malformed") == 1
    assert series(page, "cgscope_identity_errors_total", reason="missing") == 0
    info = [dict(labels) for (n, labels) in page if n == "cgroup_info"]
    mine = [i for i in info if i["cgroup"] == container_id]
    assert mine and mine[0]["namespace"] == "shop" and mine[0]["pod"] == "web-0" and \
        mine[0]["container"] == "nginx" and mine[0]["image"] == IMAGE, mine
    # The same in the JSON API.
    ident = json.loads(agent.get("/api/v1/cgroup?path=" + urllib.parse.quote(container_id)))
    ident = ident.get("identity") or ident["cgroup"]["identity"]
    assert (ident["namespace"], ident["pod"], ident["container"], ident["image"]) == \
        ("shop", "web-0", "nginx", IMAGE)

    # Read once: the malformed file is counted and logged once, however
    # many cycles pass.
    time.sleep(3)
    page = parse_metrics(agent.get("/metrics"))
    assert series(page, "cgscope_identity_errors_total", reason="malformed") == 1
    log = agent.stop()
    # It read bundles only root may enter as nobody (CAP_DAC_READ_SEARCH kept
    # for the collection thread alone).
    assert "as uid 65534" in log, log
    lines = [l for l in log.splitlines() if "gave no names" in l]
    assert len(lines) == 1 and BAD in lines[0] and "malformed" in lines[0], log


def test_kube_prometheus_rules_see_the_pod(kubelet_node):
    agent, tmp = kubelet_node["agent"], kubelet_node["tmp"]
    prom = Prometheus(tmp, agent, kubelet_node["groups"])
    try:
        rule = "node_namespace_pod_container:container_cpu_usage_seconds_total:sum_irate"
        sel = '{namespace="shop",pod="web-0",container="nginx",node="node-1"}'

        def recorded():
            return prom.query(rule + sel)
        # Some evaluations with a few scrapes behind them.
        got = wait_for(lambda: len(prom.query(rule + sel + "[5m]")[0]["values"]) >= 3
                       if recorded() else None, timeout=90, interval=1) and recorded()
        assert got, "kube-prometheus's rule recorded nothing for the pod:\n%s\nrules: %s\n%s" % (
            prom.query('{job="kubelet",container="nginx"}')[:2], prom.rule_health(), prom.tail())
        value = float(got[0]["value"][1])
        assert 0 < value < os.cpu_count() + 0.5, got
        # Its value is irate of what the agent served: the last two raw
        # samples at or before each evaluation (or the two before them, when
        # a scrape that began before an evaluation was stored after it).
        raw = prom.query('container_cpu_usage_seconds_total{job="kubelet",'
                         'metrics_path="/metrics/cadvisor",container="nginx",pod="web-0"}[5m]')
        assert len(raw) == 1, raw
        # Times in whole milliseconds, as Prometheus keeps them: seconds as
        # floats lose the sub-microsecond digits irate's quotient shows.
        samples = [(round(float(t) * 1000), float(v)) for t, v in raw[0]["values"]]
        recorded_samples = prom.query(rule + sel + "[5m]")[0]["values"]
        checked = 0
        for t, v in recorded_samples:
            before = [x for x in samples if x[0] <= round(float(t) * 1000)]
            if len(before) < 3:
                continue
            want = [(b[1] - a[1]) / ((b[0] - a[0]) / 1000) for a, b in (before[-2:], before[-3:-1])]
            assert any(abs(float(v) - w) <= 1e-9 * max(1.0, w) for w in want), (t, v, want)
            checked += 1
        assert checked > 0, (samples, recorded_samples)
        # The sandbox is in the pod's sum (container=""), the malformed
        # container nowhere (image="" is filtered out), and every rule of
        # the groups evaluates.
        assert wait_for(lambda: prom.query(rule + '{namespace="shop",pod="web-0",container=""}'),
                        timeout=30, interval=1)
        assert not prom.query(rule + '{pod=""}')
        bad = {k: v for k, v in prom.rule_health().items() if v[0] == "err"}
        assert not bad, bad
    finally:
        prom.stop()


def test_without_the_capability_the_names_stay_empty_and_nothing_else(cgtree, tmp_path):
    """A bounding set without CAP_DAC_READ_SEARCH (a unit or pod that does
    not grant it): the bundles cannot be opened as nobody. Labels empty, the
    files counted as unreadable and logged once, everything else served."""
    rootfs = str(tmp_path / "rootfs")
    put_bundle(rootfs, SID, "containerd-sandbox.config.json")
    put_bundle(rootfs, CID, "containerd-container.config.json")
    path = ()
    for d in POD:
        path += (d,)
        cgtree.mkdir(*path)
    for cid in (SID, CID):
        cgtree.mkdir(*POD, "cri-containerd-%s.scope" % cid)
    cgtree.spawn(BUSY, *POD, "cri-containerd-%s.scope" % CID)
    port = free_port()
    proc = subprocess.Popen(
        ["setpriv", "--bounding-set", "-dac_read_search", CGSCOPE, "agent",
         "--web.listen-address=127.0.0.1:%d" % port, "--cgroup-root", cgtree.path,
         "--path.rootfs", rootfs, "--compat=cadvisor", "--no-bpf", "--interval", "200ms",
         "--record.dir="],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def get(p):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, p), timeout=5) as r:
                    return r.read().decode()
            except OSError:
                return None

        def errors():
            page = get("/metrics")
            m = parse_metrics(page) if page else {}
            return m if series(m, "cgscope_identity_errors_total", reason="unreadable") == 2 else None
        m = wait_for(errors, timeout=20)
        assert m, get("/metrics")
        assert series(m, "cgscope_identity_errors_total", reason="missing") == 0
        container_id = "/" + "/".join(POD) + "/cri-containerd-%s.scope" % CID
        cad = parse_metrics(get("/metrics/cadvisor"))
        assert cpu_series(cad, container="", id=container_id, image="", name_=CID,
                          namespace="", pod="") is not None
        # The rest is served as ever.
        assert series(m, "cgroup_cpu_usage_seconds_total", cgroup=container_id) > 0
        assert series(m, "cgscope_read_errors_total", file="cpu.stat") == 0
    finally:
        stop(proc)
    log = proc.stdout.read()
    lines = [l for l in log.splitlines() if "gave no names" in l]
    assert len(lines) == 1 and "Permission denied" in lines[0], log
