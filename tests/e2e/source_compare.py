# SPDX-License-Identifier: GPL-2.0-only
"""The cgroup iterator against the files, value by value: the rules of
docs/agent.md ("Where values come from"), written again here, apart from the
agent's own check (agent/collect/source_check.c), so that a mistake in one is
not repeated in the other.

A cgroup tree is read three times: the files (A), the iterator (B), the files
again (C). Each is a dict {cgroup path: {file name: {key: value}}} (key "" for
a file of one value; value None for "max"). For every value of B's groups:

  - the files a cgroup has: the same in B as in A and C (where A and C agree);
  - limits and settings: B == A where A == C;
  - counters: A <= B <= C;
  - user_usec, system_usec of cpu.stat: within A..C widened by the usage
    that passed from A to C and one tick (cpu.stat splits usage by ticks);
  - levels (memory.current, populated, ...): within A..C widened by |C - A|.

Used by tests/e2e/test_collect_source.py on this machine and by
tests/vm/run on the guests' dumps."""
import json
import os

# The groups the iterator may serve, and their files (iter_decode.c).
GROUPS = {
    "cgroup": ("cgroup.events", "cgroup.stat", "cgroup.freeze"),
    "cpu": ("cpu.stat", "cpu.max", "cpu.weight"),
    "memory": ("memory.current", "memory.peak", "memory.max", "memory.high",
               "memory.low", "memory.min"),
    "memory.events": ("memory.events", "memory.events.local"),
    "memory.stat": ("memory.stat",),
    "memory.swap": ("memory.swap.current", "memory.swap.max", "memory.swap.events"),
    "pids": ("pids.current", "pids.max", "pids.peak", "pids.events"),
}
FILE_GROUP = {f: g for g, fs in GROUPS.items() for f in fs}

EXACT = {"cgroup.freeze", "cpu.max", "cpu.weight", "memory.max", "memory.high",
         "memory.low", "memory.min", "memory.swap.max", "pids.max"}
LEVEL_FILES = {"cgroup.events", "cgroup.stat", "memory.current", "memory.swap.current",
               "pids.current"}
MEMSTAT_LEVELS = {
    "anon", "file", "kernel", "kernel_stack", "pagetables", "sec_pagetables", "percpu",
    "sock", "vmalloc", "shmem", "zswap", "zswapped", "file_mapped", "file_dirty",
    "file_writeback", "swapcached", "anon_thp", "file_thp", "shmem_thp", "inactive_anon",
    "active_anon", "inactive_file", "active_file", "unevictable", "slab_reclaimable",
    "slab_unreclaimable", "hugetlb", "slab",
}
CPUTIME_SLACK_USEC = 10000   # a tick at HZ=100


def kind(file, key):
    if file in EXACT:
        return "exact"
    if file in LEVEL_FILES or (file == "memory.stat" and key in MEMSTAT_LEVELS):
        return "level"
    if file == "cpu.stat" and key in ("user_usec", "system_usec"):
        return "cputime"
    return "counter"


# --- producers --------------------------------------------------------------

# cgscope's JSON (dump --format json): group, member -> file, and how its
# value is laid out.
JSON_FILES = {
    ("cgroup", "events"): "cgroup.events", ("cgroup", "stat"): "cgroup.stat",
    ("cgroup", "freeze"): "cgroup.freeze",
    ("cpu", "stat"): "cpu.stat", ("cpu", "weight"): "cpu.weight", ("cpu", "max"): "cpu.max",
    ("memory", "current"): "memory.current", ("memory", "peak"): "memory.peak",
    ("memory", "max"): "memory.max", ("memory", "high"): "memory.high",
    ("memory", "low"): "memory.low", ("memory", "min"): "memory.min",
    ("memory", "events"): "memory.events", ("memory", "events_local"): "memory.events.local",
    ("memory", "stat"): "memory.stat", ("memory", "swap_current"): "memory.swap.current",
    ("memory", "swap_max"): "memory.swap.max", ("memory", "swap_events"): "memory.swap.events",
    ("pids", "current"): "pids.current", ("pids", "max"): "pids.max",
    ("pids", "peak"): "pids.peak", ("pids", "events"): "pids.events",
}


def from_json(doc):
    """{path: {file: {key: value}}} of a `cgscope dump --format json` page."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    out = {}
    for c in doc["cgroups"]:
        files = {}
        for (group, member), name in JSON_FILES.items():
            v = c.get(group, {}).get(member, "absent")
            if v == "absent":
                continue
            if name == "cpu.max":
                files[name] = {"quota": v["quota_usec"], "period": v["period_usec"]}
            elif isinstance(v, dict):
                files[name] = dict(v)
            else:
                files[name] = {"": v}
        out[c["path"]] = files
    return out


def known_keys(srcdir):
    """{file: set of keys} of the keyed files, as cgscope's table knows them
    (agent/cgroupfs/cgroup_files.c): keys it does not read (nice_usec,
    nr_subsys_*) are not compared."""
    import re
    with open(os.path.join(srcdir, "agent", "cgroupfs", "cgroup_files.c")) as f:
        text = f.read()
    arrays = {m.group(1): re.findall(r'"([^"]+)"', m.group(2)) for m in
              re.finditer(r"const char \*const (\w+)\[\w*\] = \{(.*?)\};", text, re.S)}
    return {
        "cgroup.events": set(arrays["cgroup_events_keys"]),
        "cgroup.stat": set(arrays["cgroup_stat_keys"]),
        "cpu.stat": set(arrays["cpu_stat_keys"]),
        "memory.events": set(arrays["memory_events_keys"]),
        "memory.events.local": set(arrays["memory_events_keys"]),
        "memory.swap.events": set(arrays["swap_events_keys"]),
        "pids.events": set(arrays["pids_events_keys"]),
        "memory.stat": set(arrays["memory_stat_keys"]),
    }


def parse_file(name, text):
    """A cgroup file's {key: value}, as the kernel wrote it."""
    text = text.strip()
    if name == "cpu.max":
        q, p = text.split()
        return {"quota": None if q == "max" else int(q), "period": int(p)}
    if "\n" in text or " " in text:
        out = {}
        for line in text.splitlines():
            k, v = line.split()
            out[k] = int(v)
        return out
    return {"": None if text == "max" else int(text)}


def from_files(root, known, paths=None):
    """{path: {file: {key: value}}} read straight from cgroupfs below root,
    keyed files cut to the keys of known (known_keys()); a cgroup that goes
    away meanwhile is left out."""
    out = {}
    if paths is None:
        paths = ["/"]
        for d, dirs, _ in os.walk(root):
            dirs.sort()
            for n in dirs:
                paths.append("/" + os.path.relpath(os.path.join(d, n), root))
    for p in paths:
        d = os.path.join(root, p.lstrip("/"))
        files = {}
        try:
            for name in FILE_GROUP:
                try:
                    with open(os.path.join(d, name)) as f:
                        v = parse_file(name, f.read())
                    if name in known:
                        v = {k: x for k, x in v.items() if k in known[name]}
                    files[name] = v
                except FileNotFoundError:
                    if not os.path.isdir(d):
                        raise
        except (FileNotFoundError, NotADirectoryError):
            continue
        out[p] = files
    return out


# --- the comparison -----------------------------------------------------------

def judge(k, a, b, c, usage_delta):
    """None: not comparable (A and C disagree); True/False."""
    if a is None or c is None:     # "max"
        if a != c:
            return None
        return b is None if k == "exact" else b == a
    if b is None:
        return False
    if k == "exact":
        return None if a != c else b == a
    if k == "counter":
        return None if a > c else a <= b <= c
    lo, hi = min(a, c), max(a, c)
    slack = hi - lo if k == "level" else usage_delta + CPUTIME_SLACK_USEC
    return lo - slack <= b <= hi + slack


class Result:
    def __init__(self):
        self.cgroups = 0
        self.values = {g: 0 for g in GROUPS}
        self.mismatches = {g: [] for g in GROUPS}
        self.files_seen = {g: set() for g in GROUPS}

    def bad(self):
        return {g: m for g, m in self.mismatches.items() if m}

    def summary(self):
        return ", ".join(f"{g}: {self.values[g]} values, {len(self.mismatches[g])} off"
                         for g in GROUPS if self.values[g])


# The memory levels that count the reading process's own pages.
READER_LEVELS = {"memory.current", "memory.stat", "memory.swap.current"}


def compare(a, b, c, groups, skip=(), readers=()):
    """Compares B with A and C for the files of groups; skip: (path, file)
    pairs B does not speak for (cpu.stat of the hierarchy's root); readers:
    the cgroups the three reads ran in and their ancestors, whose memory
    levels (memory.current, memory.stat's sizes) count each reader's own
    pages, which differ from one reading process to the next: not compared
    there (counters, limits and which files there are still are)."""
    res = Result()
    for path, fa in a.items():
        if path not in b or path not in c:
            continue    # made or gone between the reads
        fb, fc = b[path], c[path]
        res.cgroups += 1
        du = 0
        if "cpu.stat" in fa and "cpu.stat" in fc:
            du = max(0, fc["cpu.stat"]["usage_usec"] - fa["cpu.stat"]["usage_usec"])
        for g in groups:
            for name in GROUPS[g]:
                if (path, name) in skip:
                    continue
                pa, pb, pc = name in fa, name in fb, name in fc
                if pa != pc:
                    continue
                res.values[g] += 1
                if pa != pb:
                    res.mismatches[g].append(f"{path} {name}: present in the files {pa}, "
                                             f"from the iterator {pb}")
                    continue
                if not pa:
                    continue
                res.files_seen[g].add(name)
                ka, kb, kc = fa[name], fb[name], fc[name]
                for key in sorted(set(ka) | set(kc)):
                    if (key in ka) != (key in kc):
                        continue
                    k = kind(name, key)
                    if k == "level" and path in readers and name in READER_LEVELS:
                        continue
                    res.values[g] += 1
                    if key not in kb:
                        res.mismatches[g].append(f"{path} {name} {key}: missing, files "
                                                 f"{ka[key]}..{kc[key]}")
                        continue
                    ok = judge(k, ka[key], kb[key], kc[key], du)
                    if ok is False:
                        res.mismatches[g].append(f"{path} {name} {key or 'value'}: files "
                                                 f"{ka[key]}, iterator {kb[key]}, files {kc[key]}")
                extra = set(kb) - set(ka) - set(kc)
                if extra:
                    res.mismatches[g].append(f"{path} {name}: keys only from the iterator "
                                             f"{sorted(extra)}")
    return res
