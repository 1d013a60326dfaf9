#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Scenario 11-iter-source of the VM harness, decided on the host: the
guest's console (tests/vm/scenarios) holds the whole hierarchy as files (A),
through the cgroup iterator (B, --collect.source=bpf), as files again (C),
the agent's own check (dump --check-sources) and the running agent's
/api/v1/status. Prints one line, "PASS detail" or "FAIL detail", last.

What each kernel must give (the iterator's groups): every group on 6.1
(memory.stat through its memcg_vmstats layout), every group but memory.stat
on 6.12 (that layout is gone; memory.stat stays on its file)."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from source_compare import GROUPS, compare, from_json  # noqa: E402

ALL = list(GROUPS)


def expected_groups(release):
    m = re.match(r"(\d+)\.(\d+)", release)
    version = (int(m.group(1)), int(m.group(2)))
    if version == (6, 1):
        return ALL
    return [g for g in ALL if g != "memory.stat"]


def section(log, name):
    m = re.search(rf"^----- BEGIN ITER {name} -----\n(.*?)^----- END ITER {name} -----$",
                  log, re.S | re.M)
    return m.group(1) if m else None


def main():
    with open(sys.argv[1], errors="replace") as f:
        log = f.read()
    release = re.search(r"^VMTEST START (\S+)", log, re.M).group(1)
    want = expected_groups(release)
    problems = []
    docs = {}
    for part in ("check", "a", "b", "c", "status"):
        text = section(log, part)
        try:
            docs[part] = json.loads(text) if text else None
        except ValueError as e:
            docs[part] = None
            problems.append(f"{part}: not JSON ({e})")
        if docs[part] is None and not problems:
            problems.append(f"{part}: missing")
    if problems:
        print("FAIL " + "; ".join(problems))
        return 1
    a, b, c = (from_json(docs[p]) for p in "abc")
    readers = {"/", "/vmtest", "/vmtest/iter", "/vmtest/iter/reader"}
    res = compare(a, b, c, want, skip={("/", "cpu.stat")}, readers=readers)
    for g in want:
        if not res.values[g]:
            problems.append(f"{g}: no value compared")
        elif res.mismatches[g]:
            problems.append(f"{g}: {len(res.mismatches[g])} off, e.g. {res.mismatches[g][0]}")
        if set(GROUPS[g]) - res.files_seen[g] - {"memory.peak"}:
            problems.append(f"{g}: never seen {sorted(set(GROUPS[g]) - res.files_seen[g])}")
    # What the iterator does not serve on this kernel, it does not claim.
    for g in set(ALL) - set(want):
        if res.values[g] and not res.mismatches[g]:
            pass    # B read it from the files: equal, nothing to say
    chk = docs["check"]
    if sorted(chk["groups"]) != sorted(want):
        problems.append(f"dump --check-sources checked {sorted(chk['groups'])}, want {sorted(want)}")
    bad = {g: v for g, v in chk["groups"].items() if v["mismatches"]}
    if bad:
        problems.append(f"dump --check-sources: {bad}")
    src = docs["status"]["collect_source"]
    served = sorted(g for g, s in src["groups"].items() if s == "bpf")
    if served != sorted(want) or src["mode"] != "auto" or src["iterator_errors"]:
        problems.append(f"the agent (nobody, no capability) serves {src}")
    detail = (f"{release}: {res.cgroups} cgroups, {res.summary()}; agent as nobody: "
              f"{' '.join(served)} from the iterator; flush {chk['flush']}; psi lag "
              f"{chk['psi']['lag_before_usec_min']}..{chk['psi']['lag_before_usec_max']} us "
              f"before, up to {chk['psi']['lag_after_usec_max']} us after")
    if problems:
        print("FAIL " + "; ".join(problems)[:1500] + " | " + detail)
        return 1
    print("PASS " + detail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
