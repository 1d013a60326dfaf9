# SPDX-License-Identifier: GPL-2.0-only
"""The JSON API of a running agent, checked against the cgroup files."""
import json
import os
import time
import urllib.error
import urllib.request

import pytest

from conftest import BUSY, wait_for


def get_json(agent, path, method="GET"):
    req = urllib.request.Request(agent.url + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.headers["Content-Type"] == "application/json"
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        assert e.headers["Content-Type"] == "application/json"
        return e.code, json.loads(e.read())


def by_path(doc):
    return {c["path"]: c for c in doc["cgroups"]}


def read_keyed(path):
    with open(path) as f:
        return {k: int(v) for k, v in (l.split() for l in f)}


@pytest.fixture
def tree(cgtree, agent_factory):
    agent = agent_factory("--interval=200ms")
    cgtree.mkdir("busy")
    cgtree.mkdir("idle")
    cgtree.mkdir("idle", "deep")
    cgtree.spawn(BUSY, "busy")
    assert wait_for(lambda: cgtree.rel("idle", "deep") in by_path(get_json(agent, "/api/v1/cgroups")[1])
                    and "rates" in by_path(get_json(agent, "/api/v1/cgroups")[1]).get(cgtree.rel("busy"), {}))
    return cgtree, agent


def test_cgroups_match_the_files(tree):
    cgtree, agent = tree
    time.sleep(0.5)
    status, doc = get_json(agent, "/api/v1/cgroups")
    assert status == 200
    assert doc["timestamp_ms"] > 1.6e12 and doc["cycle"] >= 2
    cg = by_path(doc)
    busy, top = cg[cgtree.rel("busy")], cg[cgtree.rel()]
    assert busy["id"] == cgtree.ino("busy")
    assert busy["parent_id"] == cgtree.ino() == top["id"]
    assert busy["depth"] == top["depth"] + 1
    assert busy["populated"] is True and cg[cgtree.rel("idle")]["populated"] is False
    assert top["cgroup"]["stat"]["nr_descendants"] == 3
    usage_now = read_keyed(os.path.join(cgtree.path, "busy", "cpu.stat"))["usage_usec"]
    assert 0 < usage_now - busy["cpu"]["stat"]["usage_usec"] < 1_500_000
    # A busy loop uses at most one core (less on a loaded machine), and
    # the rate is the usage's own growth over the agent's last interval.
    assert 0 < busy["rates"]["cpu_cores"] <= 1.05
    assert cg[cgtree.rel("idle")]["rates"]["cpu_cores"] == 0
    assert "pressure" in busy and "some" in busy["pressure"]["cpu"]


def test_filters(tree):
    cgtree, agent = tree
    _, doc = get_json(agent, "/api/v1/cgroups?path=" + cgtree.rel("idle"))
    assert sorted(by_path(doc)) == [cgtree.rel("idle"), cgtree.rel("idle", "deep")]
    depth = by_path(doc)[cgtree.rel("idle")]["depth"]
    _, doc = get_json(agent, f"/api/v1/cgroups?path={cgtree.rel()}&depth={depth}")
    assert sorted(by_path(doc)) == sorted([cgtree.rel(), cgtree.rel("busy"), cgtree.rel("idle")])
    for bad in ("depth=-1", "depth=x", "depth=", "path=relative"):
        status, err = get_json(agent, "/api/v1/cgroups?" + bad)
        assert status == 400 and err["error"], bad


def test_one_cgroup(tree):
    cgtree, agent = tree
    status, c = get_json(agent, f"/api/v1/cgroups/{cgtree.ino('idle')}")
    assert status == 200
    assert c["path"] == cgtree.rel("idle")
    assert c["children"] == [cgtree.ino("idle", "deep")]
    status, c2 = get_json(agent, "/api/v1/cgroup?path=" + cgtree.rel("idle"))
    assert status == 200 and c2["id"] == c["id"] and c2["children"] == c["children"]
    status, err = get_json(agent, "/api/v1/cgroups/999999999999")
    assert status == 404 and "999999999999" in err["error"]
    status, err = get_json(agent, "/api/v1/cgroups/abc")
    assert status == 400
    status, err = get_json(agent, "/api/v1/cgroup?path=/no/such/cgroup")
    assert status == 404
    status, err = get_json(agent, "/api/v1/cgroup")
    assert status == 400


def test_errors(tree):
    _, agent = tree
    status, err = get_json(agent, "/api/v1/nothing")
    assert status == 404 and "error" in err
    status, err = get_json(agent, "/api/v2/cgroups")
    assert status == 404
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        status, err = get_json(agent, "/api/v1/cgroups", method=method)
        assert status == 405 and method in err["error"]


def test_status(tree):
    _, agent = tree
    status, st = get_json(agent, "/api/v1/status")
    assert status == 200
    assert st["version"] and st["uptime_seconds"] > 0
    assert st["interval_seconds"] == 0.2
    assert st["cgroup_root"] == os.path.dirname(tree[0].path)
    assert st["cgroups"] >= 4 and st["cycles"] >= 2
    assert st["read_errors"]["cpu.stat"] == 0
    # The cgroup iterator serves the core files and cpu.stat here: every
    # cgroup holds its three PSI files (cpu, memory, io) and no other.
    src = st["collect_source"]
    assert src["groups"]["cgroup"] == src["groups"]["cpu"] == "bpf", src
    assert src["groups"]["pressure"] == "files", src
    assert 3 * st["cgroups"] <= st["files"]["held"] <= 4 * st["cgroups"]
    assert st["files"]["reopened"] == 0 and st["files"]["descriptor_tables"] == 1
