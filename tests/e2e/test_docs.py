# SPDX-License-Identifier: GPL-2.0-only
"""The documentation against the binary, both ways: every flag of every
command is documented and every documented flag exists; every family the
page serves is in the metrics reference and every family there is served by
the code; the README stays short and links only pages that exist."""
import itertools
import os
import re
import subprocess

import pytest

from conftest import CGSCOPE, ROOT

DOCS = os.path.join(ROOT, "docs")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "cgroupfs")
FLAG = re.compile(r"--[a-zA-Z][a-zA-Z0-9.-]*")
# Where each command's flags are documented: the page, and the heading of
# the section that holds the table.
FLAG_DOCS = {
    "agent": ("agent.md", "## Flags"),
    "top": ("top.md", "## Flags"),
    "events": ("events.md", "## `cgscope events`"),
    "dump": ("dump.md", "## Flags"),
    "export": ("export.md", "## Flags"),
}


# Fewer flags than these in --help means the help lost some.
MIN_FLAGS = {"agent": 20, "top": 10, "events": 5, "dump": 3, "export": 4}


def run(*args):
    return subprocess.run([CGSCOPE, *args], capture_output=True, text=True, timeout=30)


def help_flags(cmd):
    """{flag: its help text} from `cgscope CMD --help`: the lines of the flag
    column (two spaces, then a dash), with their continuation lines."""
    r = run(cmd, "--help")
    assert r.returncode == 0, r.stderr
    flags, last = {}, None
    for line in r.stdout.splitlines():
        if line.startswith("  -"):
            head, _, text = line[2:].partition("  ")
            last = FLAG.findall(head)
            for f in last:
                flags[f] = text.strip()
        elif last and line.startswith(" " * 20) and line.strip():
            for f in last:
                flags[f] = (flags[f] + " " + line.strip()).strip()
        else:
            last = None
    return flags


def section(page, heading):
    with open(os.path.join(DOCS, page)) as f:
        text = f.read()
    assert heading in text, f"docs/{page} has no section {heading!r}"
    body = text.split(heading, 1)[1]
    return re.split(r"\n## ", body, 1)[0]


def doc_flags(page, heading):
    """The flags of the first column of the section's table."""
    flags = set()
    for line in section(page, heading).splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            flags.update(FLAG.findall(line.split("|")[1]))
    return flags


@pytest.mark.parametrize("cmd", sorted(FLAG_DOCS))
def test_every_flag_documented_and_every_documented_flag_exists(cmd):
    page, heading = FLAG_DOCS[cmd]
    have = help_flags(cmd)
    documented = doc_flags(page, heading)
    have.pop("--help", None)
    assert len(have) >= MIN_FLAGS[cmd], f"cgscope {cmd} --help lists only {sorted(have)}"
    assert not set(have) - documented, f"docs/{page} lacks {sorted(set(have) - documented)}"
    assert not documented - set(have), \
        f"docs/{page} documents flags cgscope {cmd} does not have: {sorted(documented - set(have))}"
    for flag, text in have.items():
        assert len(text) > 10, f"cgscope {cmd} --help does not explain {flag}"


@pytest.mark.parametrize("cmd", sorted(FLAG_DOCS))
def test_every_flag_is_accepted_with_its_default(cmd):
    """A flag in the help that the parser refuses would be a lie; the help's
    own defaults must parse (flags_parse applies them first)."""
    r = run(cmd, "--no-such-flag")
    assert r.returncode == 2 and "unknown flag" in r.stderr, r.stderr
    r = run(cmd, "--help")
    for m in re.finditer(r"(--[a-z][a-z0-9.-]*) ([A-Z]+)[^\n]*(?:\n {20,}[^\n]*)*?\(default ([^)]+)\)", r.stdout):
        flag, _, default = m.groups()
        if cmd in ("agent", "events"):
            continue  # they would start serving or tracing: the defaults run in every other test
        args = [cmd, f"{flag}={default}", "--help"]
        assert run(*args).returncode == 0, args


def brace_expand(name):
    """container_pressure_{cpu,memory}_x -> the names it stands for."""
    name = re.sub(r"\{[^}]*=[^}]*\}?$", "", name)   # a label selector, not braces
    parts = re.split(r"\{([^}]*)\}", name)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(c) for c in itertools.product(*choices)]


def table_names(page, prefix):
    """Every `family` named in the first column of the page's tables."""
    with open(os.path.join(DOCS, page)) as f:
        text = f.read()
    names = set()
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            for n in re.findall(r"`(" + prefix + r"[a-z0-9_{},=\"]*)", line.split("|")[1]):
                names.update(brace_expand(n))
    return names


def families(page_text):
    return {l.split()[2] for l in page_text.splitlines() if l.startswith("# TYPE ")}


def code_strings():
    text = ""
    for d in ("exporters", "agent"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, d)):
            for f in files:
                if f.endswith(".c"):
                    with open(os.path.join(dirpath, f)) as fh:
                        text += fh.read()
    return text


def test_metrics_reference_both_ways(agent_factory):
    served = families(run("dump", "--cgroup-root", os.path.join(FIXTURES, "linux-6.1-v2")).stdout)
    served |= families(agent_factory().get("/metrics"))  # the event and self families
    documented = table_names("metrics.md", r"(?:cgroup|cgscope)_")
    assert len(served) > 50
    assert not served - documented, f"docs/metrics.md lacks {sorted(served - documented)}"
    code = code_strings()
    ghost = sorted(n for n in documented - served if f'"{n}' not in code)
    assert not ghost, f"docs/metrics.md documents families no code serves: {ghost}"


def test_cadvisor_reference_both_ways():
    page = run("dump", "--compat", "cadvisor", "--cgroup-root",
               os.path.join(FIXTURES, "linux-6.1-v2")).stdout
    served = {f for f in families(page) if f.startswith("container_")}
    documented = table_names("cadvisor.md", "container_")
    assert len(served) > 10
    assert not served - documented, f"docs/cadvisor.md lacks {sorted(served - documented)}"
    code = code_strings()
    ghost = sorted(n for n in documented - served if f'"{n}' not in code)
    assert not ghost, f"docs/cadvisor.md documents families no code serves: {ghost}"


def test_readme_is_short_and_links_pages_that_exist():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    assert len(readme.encode()) <= 12 * 1024, f"README.md is {len(readme.encode())} bytes"
    links = re.findall(r"\]\(((?:docs|dashboards|tests)/[^)#]+)", readme)
    assert len(links) >= 10
    for link in links:
        assert os.path.exists(os.path.join(ROOT, link)), f"README.md links {link}, which is not there"
    for page in os.listdir(DOCS):
        assert f"docs/{page}" in readme, f"README.md's index lacks docs/{page}"


def test_help_of_the_binary():
    r = run("--help")
    assert r.returncode == 0
    for cmd in FLAG_DOCS:
        assert f"  {cmd} " in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("cgscope ")
