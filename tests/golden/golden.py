#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Golden pages: what `cgscope dump` prints for each captured tree of
tests/fixtures/cgroupfs/, compared with a committed page in tests/golden/.

    tests/golden/golden.py            compare; "N passed, N failed"
    tests/golden/golden.py --update   write the pages anew (make golden), after
                                      a change to the page was reviewed

Two things differ from one checkout to the next and are put in a fixed form
before the comparison: the cgroup ids (the inode numbers of the fixture
directories) become their order of appearance ("id-1", "id-2", ...), and the
values of the families that measure this run (the build's version, the time a
cycle took) become "<run>". Everything else must be byte for byte the same.
"""
import os
import re
import subprocess
import sys
import difflib

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(TOP, "tests", "fixtures", "cgroupfs")
CGSCOPE = os.path.join(TOP, os.environ.get("CGSCOPE_BIN") or os.path.join("build", "cgscope"))

# One page per tree and compat mode.
MODES = {"expected.prom": [], "expected.cadvisor.prom": ["--compat", "cadvisor"]}
RUN_FAMILIES = ("cgscope_build_info", "cgscope_collect_duration_seconds")
ID = re.compile(r'\bid="([0-9]+)"')


def normalize(page):
    ids = {}

    def one_id(m):
        ids.setdefault(m.group(1), f"id-{len(ids) + 1}")
        return f'id="{ids[m.group(1)]}"'

    out = []
    for line in page.splitlines():
        if not line.startswith("#") and line.startswith(RUN_FAMILIES):
            series, _, _ = line.rpartition(" ")
            line = re.sub(r'version="[^"]*"', 'version="<run>"', series) + " <run>"
        out.append(ID.sub(one_id, line))
    return "\n".join(out) + "\n"


def trees():
    return sorted(d for d in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, d)))


def dump(tree, args):
    return subprocess.run([CGSCOPE, "dump", "--cgroup-root", os.path.join(FIXTURES, tree)] + args,
                          check=True, capture_output=True, text=True).stdout


def main():
    update = "--update" in sys.argv[1:]
    passed = failed = 0
    for tree in trees():
        for name, args in MODES.items():
            path = os.path.join(HERE, tree, name)
            got = normalize(dump(tree, args))
            if update:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(got)
                print(f"wrote {os.path.relpath(path, TOP)}")
                continue
            try:
                with open(path) as f:
                    want = f.read()
            except FileNotFoundError:
                want = ""
            if got == want:
                passed += 1
                print(f"PASS {tree} {name}")
            else:
                failed += 1
                print(f"FAIL {tree} {name}: the page changed (make golden writes it anew, after review):")
                sys.stdout.writelines(list(difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True),
                    os.path.relpath(path, TOP), "cgscope dump"))[:60])
    if not update:
        print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
