# SPDX-License-Identifier: GPL-2.0-only
"""Cgroups named to break the page: quotes, backslashes, spaces, control
characters, UTF-8 and bytes that are not UTF-8.

Label values must be escaped as the text format says (backslash, double quote
and newline) and be valid UTF-8, each byte that is not part of a well-formed
sequence shown as U+FFFD and its two hex digits, and a U+FFFD of the name
doubled (docs/metrics.md): `promtool check metrics` passes, each cgroup is one
series (names that differ only in such bytes too), and a name cannot inject a
series. The JSON API must stay valid JSON
(and so valid UTF-8) and list every one.

The kernel refuses a newline in a cgroup name (EINVAL), so names with newlines
are checked on a plain directory given as --cgroup-root, which the agent reads
like a captured tree.
"""
import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request

import pytest

from conftest import wait_for

# Each accepted by cgroupfs (no '/', no NUL, no newline).
NAMES = [
    b'quo"te',
    b'back\\slash',
    b'\\"both\\\\"',
    b'sp ace',
    b'tab\tand\rcr',
    b'ctl\x01\x1b\x7f',
    "caf\u00e9-\u4e2d\u6587-\U0001F600".encode(),
    b'bad-\xff\xfe',
    b'overlong-\xc0\xaf',
    b'truncated-\xe2\x82',
    b'surrogate-\xed\xa0\x80',
    b'beyond-\xf4\x90\x80\x80',
    b'x"} 1 cgroup_populated{cgroup="evil',
    b'{braces}=,#',
    "\u00e9".encode() * 127,  # 254 bytes: near the 255-byte name limit
    # Three names that once made one series: two orders of invalid bytes, and
    # a name that holds U+FFFD itself.
    b'bad\xff\xfeutf8',
    b'bad\xfe\xffutf8',
    "bad\ufffd\ufffdutf8".encode(),
    "bad\ufffdffutf8".encode(),
]
# (parent, child): a hostile name inside another.
NESTED = [(b'quo"te', b'in\\ner"'), (b'bad-\xff\xfe', b'\xc3\x28')]
# Only in a plain directory: newlines, and a line that tries to inject a series.
PLAIN_ONLY = [
    b'new\nline',
    b'x"} 1\ncgroup_populated{cgroup="injected"} 1\n#',
    b'\n',
]


def expected_label(raw):
    """The label value cgscope must serve for raw bytes (docs/metrics.md):
    well-formed UTF-8 kept, but U+FFFD written twice; every other byte as
    U+FFFD and its value in two lowercase hex digits, one per byte."""
    out, i = [], 0
    while i < len(raw):
        for n in (1, 2, 3, 4):
            try:
                ch = raw[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                out.append("\ufffd\ufffd" if ch == "\ufffd" else ch)
                i += n
                break
        else:
            out.append("\ufffd%02x" % raw[i])
            i += 1
    return "".join(out)


def label_values(page, family, label="cgroup"):
    """Every value of `label` in the series of `family`, unescaped, in order.
    Strict: an escape other than \\\\, \\" and \\n fails the test."""
    values = []
    prefix = family + "{"
    for line in page.split("\n"):
        if not line.startswith(prefix):
            continue
        i = len(prefix)
        while True:
            eq = line.index("=", i)
            key = line[i:eq]
            assert line[eq + 1] == '"', line
            j, val = eq + 2, []
            while line[j] != '"':
                if line[j] == "\\":
                    j += 1
                    assert line[j] in '\\"n', f"bad escape in {line!r}"
                    val.append("\n" if line[j] == "n" else line[j])
                else:
                    val.append(line[j])
                j += 1
            if key == label:
                values.append("".join(val))
            if line[j + 1] == "}":
                break
            assert line[j + 1] == ",", line
            i = j + 2
    return values


def get_bytes(agent, path):
    with urllib.request.urlopen(agent.url + path, timeout=10) as r:
        assert r.status == 200
        return r.read()


def promtool_check(page_bytes):
    r = subprocess.run(["promtool", "check", "metrics"], input=page_bytes,
                       capture_output=True)
    return r.returncode, (r.stdout + r.stderr).decode(errors="replace")


def check_agent(agent, base_label, rels):
    """rels: {raw relative path (bytes): expected label}. The page passes
    promtool, shows each cgroup once, and the JSON lists each once."""
    want = {base_label + "/" + lab for lab in rels.values()}
    want.add(base_label or "/")

    def page_has_all():
        page = get_bytes(agent, "/metrics").decode("utf-8")  # strict: valid UTF-8
        got = [v for v in label_values(page, "cgroup_populated")
               if v == base_label or v.startswith(base_label + "/")]
        return page if want <= set(got) else None

    page = wait_for(page_has_all, timeout=15)
    assert page, "not every hostile cgroup appeared in /metrics"
    raw = page.encode("utf-8")
    rc, out = promtool_check(raw)
    assert rc == 0 and out.strip() == "", out
    got = [v for v in label_values(page, "cgroup_populated")
           if v == base_label or v.startswith(base_label + "/")]
    assert sorted(got) == sorted(want), "each cgroup exactly once"
    # Nothing the names carry became a series or a label of its own.
    assert "injected" not in label_values(page, "cgroup_populated")
    for line in page.split("\n"):
        assert not line.startswith('cgroup_populated{cgroup="evil'), line
        assert not line.startswith('cgroup_populated{cgroup="injected'), line

    body = get_bytes(agent, "/api/v1/cgroups")
    try:
        text = body.decode("utf-8")  # strict: JSON is UTF-8 (RFC 8259)
    except UnicodeDecodeError as e:
        pytest.fail(f"/api/v1/cgroups is not UTF-8, so not JSON: {e}: "
                    f"{body[max(0, e.start - 40):e.end + 10]!r}")
    doc = json.loads(text)
    paths = [c["path"] for c in doc["cgroups"]
             if c["path"] == base_label or c["path"].startswith(base_label + "/")]
    assert sorted(paths) == sorted(want), "the JSON lists each cgroup once"
    # A path copied from the JSON finds its cgroup again, whatever it holds.
    by_path = {c["path"]: c["id"] for c in doc["cgroups"]}
    for p in paths:
        one = json.loads(get_bytes(agent, "/api/v1/cgroup?path=" + urllib.parse.quote(p)))
        assert one["id"] == by_path[p], p


def test_hostile_names_in_real_cgroups(cgtree, agent_factory):
    base = cgtree.path.encode()
    rels = {}
    for name in NAMES:
        os.mkdir(os.path.join(base, name))
        rels[name] = expected_label(name)
    for parent, child in NESTED:
        os.mkdir(os.path.join(base, parent, child))
        rels[parent + b"/" + child] = expected_label(parent) + "/" + expected_label(child)
    # The kernel itself keeps newlines out of cgroup names.
    with pytest.raises(OSError) as e:
        os.mkdir(os.path.join(base, b"new\nline"))
    assert e.value.errno == 22

    # The test's own directory as the root: the page stays small and the
    # same whatever other tests and benchmarks do to the machine's tree.
    agent = agent_factory("--interval=200ms", f"--cgroup-root={cgtree.path}")
    check_agent(agent, "", rels)


@pytest.fixture
def plain_tree():
    """A plain directory laid out like a cgroup tree (readable by the agent
    after it drops privileges), removed afterwards."""
    d = tempfile.mkdtemp(prefix="cgscope-hostile-")
    os.chmod(d, 0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def fill_cgroup(path):
    """The files of a small idle cgroup, as a hybrid host has them."""
    files = {
        "cgroup.events": "populated 0\nfrozen 0\n",
        "cgroup.stat": "nr_descendants 0\nnr_dying_descendants 0\n",
        "cgroup.freeze": "0\n",
        "cpu.stat": "usage_usec 10\nuser_usec 6\nsystem_usec 4\n",
        "cpu.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
    }
    for name, text in files.items():
        with open(os.path.join(path, name.encode() if isinstance(path, bytes) else name), "w") as f:
            f.write(text)


def test_hostile_names_with_newlines_in_a_plain_tree(plain_tree, agent_factory):
    top = b"hostile"
    base = os.path.join(plain_tree.encode(), top)
    os.mkdir(base)
    fill_cgroup(plain_tree)
    fill_cgroup(base)
    rels = {}
    for name in NAMES + PLAIN_ONLY:
        os.mkdir(os.path.join(base, name))
        fill_cgroup(os.path.join(base, name))
        rels[name] = expected_label(name)
    for parent, child in NESTED + [(b"new\nline", b"\nnested\n")]:
        os.mkdir(os.path.join(base, parent, child))
        fill_cgroup(os.path.join(base, parent, child))
        rels[parent + b"/" + child] = expected_label(parent) + "/" + expected_label(child)
    for dirpath, dirnames, filenames in os.walk(plain_tree.encode()):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)

    agent = agent_factory("--interval=200ms", f"--cgroup-root={plain_tree}")
    check_agent(agent, "/hostile", rels)
