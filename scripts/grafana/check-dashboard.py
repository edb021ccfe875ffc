#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check that a Grafana dashboard asks only for series pinsight exports.

Every PromQL expression of every panel (and the variables' selectors) must
parse (promtool check rules, given --promtool) and name only metrics listed
in metrics.txt. With --progs DIR, each listed name must be what
PIN-LAYOUT.md's rules make of its source field in DIR/<tool>.h; with
--exposition, every "live" name must be in that `pinsight metrics` output.
--dump writes the expressions, Grafana variables filled in, one per line,
for querying a live Prometheus.
Exit 0 when all holds, 1 with every problem listed otherwise.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# What Grafana substitutes before the query reaches Prometheus.
VARS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h",
        "$service": ".*", "$instance": ".*"}
AGGREGATIONS = {"sum", "min", "max", "avg", "count", "stddev", "stdvar",
                "topk", "bottomk", "quantile", "count_values", "group"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "offset", "and", "or", "unless", "inf", "nan"} | AGGREGATIONS
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
HIST_SUFFIXES = ("_bucket", "_sum", "_count")


def exprs_of(dash):
    """(where, expr) for panel targets and variable queries."""
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append((p.get("title", "?"), t["expr"]))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.match(r"\s*label_values\((.*),\s*\w+\)\s*$", q or "")
        if v.get("type") == "query" and m:
            out.append(("variable " + v["name"], m.group(1)))
    return out


def fill(expr):
    for k in sorted(VARS, key=len, reverse=True):
        expr = expr.replace(k, VARS[k])
    return expr


def names_of(expr):
    """(metric names, __name__ regexes) an expression selects."""
    regexes = re.findall(r'__name__\s*=~?\s*"([^"]*)"', expr)
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    s = re.sub(r"\{[^}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)  # ranges
    names = []
    toks = re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*|\d[\w.]*|\S", s)
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if t in LABEL_LISTS and nxt == "(":
            i = toks.index(")", i) + 1  # label names, not metrics
            continue
        if re.match(r"[A-Za-z_:]", t) and nxt != "(" and t not in KEYWORDS:
            names.append(t)
        i += 1
    return names, regexes


def struct_fields(header, struct):
    """{field: (c type, attributes)} of `struct NAME { ... };` in header."""
    m = re.search(r"^struct %s \{\n(.*?)^\};" % struct, open(header).read(),
                  re.M | re.S)
    if not m:
        return None
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    return {f.group(2): (f.group(1), f.group(3)) for f in re.finditer(
        r"^\s*(struct \w+|\w+)\s+(\w+)(?:\[[^]]*\])?([^;]*);", body, re.M)}


def derive(progs, tool, source):
    """(name, type) that PIN-LAYOUT.md's rules give source, or (None, why)."""
    bpf_c = os.path.join(progs, tool + ".bpf.c")
    if not os.path.exists(bpf_c):
        return None, f"no {bpf_c}"
    special = {"bss.drops": ("maps.bpf.h", "drops"),
               "alert_count.alerts": ("alert.bpf.h", "alerts")}
    if source in special:
        inc, field = special[source]
        if f'#include "{inc}"' not in open(bpf_c).read():
            return None, f"{bpf_c} does not include {inc}"
        return f"ebpf_{tool}_{field}_total", "counter"
    struct, _, field = source.partition(".")
    fields = struct_fields(os.path.join(progs, tool + ".h"), struct)
    if fields is None or field not in fields:
        return None, f"{tool}.h: no field {source}"
    ctype, attrs = fields[field]
    tag = re.search(r'__metric\("([^"]+)"\)', attrs)
    if tag:
        name = tag.group(1)
    else:
        name = f"ebpf_{tool}_{field}"
        if name.endswith(("_ns", "_us")):
            name = name[:-3] + "_seconds"
    if ctype == "struct hist":
        return name, "histogram"
    if "__gauge" in attrs:
        return name, "gauge"
    return (name if name.endswith("_total") else name + "_total"), "counter"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dashboard")
    ap.add_argument("metrics")
    ap.add_argument("--exposition")
    ap.add_argument("--promtool")
    ap.add_argument("--dump")
    ap.add_argument("--progs")
    a = ap.parse_args()
    dash = json.load(open(a.dashboard))
    doc = {}
    for line in open(a.metrics):
        f = line.split()
        if f and not f[0].startswith("#"):
            doc[f[0]] = (f[1], f[3], f[2], f[4])
    problems = []
    exprs = exprs_of(dash)
    used = set()
    for where, e in exprs:
        names, regexes = names_of(fill(e))
        for n in names:
            base = n
            for suf in HIST_SUFFIXES:
                if n.endswith(suf) and doc.get(n[: -len(suf)], ("",))[0] == "histogram":
                    base = n[: -len(suf)]
            if base not in doc:
                problems.append(f"{where}: {n}: not a documented pinsight series")
            used.add(base)
        for r in regexes:
            hit = [n for n in doc if re.fullmatch(r, n)]
            if not hit:
                problems.append(f"{where}: __name__=~\"{r}\" matches no documented series")
            used.update(hit)
        if not names and not regexes:
            problems.append(f"{where}: {e}: selects no series")
    if a.promtool:
        rules = {"groups": [{"name": "dashboard", "rules": [
            {"record": f"pinsight:check:{i}", "expr": fill(e)}
            for i, (_, e) in enumerate(exprs)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            json.dump(rules, f)  # JSON is YAML
            f.flush()
            r = subprocess.run([a.promtool, "check", "rules", f.name],
                               capture_output=True, text=True)
            if r.returncode:
                problems.append("promtool check rules: " + r.stdout + r.stderr)
    if a.progs:
        for n, (typ, _, tool, source) in doc.items():
            got = derive(a.progs, tool, source)
            if got != (n, typ):
                why = got[1] if got[0] is None else f"{got[1]} {got[0]}"
                problems.append(f"{n}: its source {tool} {source} gives {why}")
    if a.exposition:
        text = open(a.exposition).read()
        live = set(re.findall(r"^# TYPE (\S+)", text, re.M))
        for n, (_, status, _, _) in doc.items():
            if status == "live" and n not in live:
                problems.append(f"{n}: documented as live, not in {a.exposition}")
    if a.dump:
        with open(a.dump, "w") as f:
            for _, e in exprs:
                f.write(fill(e) + "\n")
    for p in problems:
        print(p)
    print(f"{len(exprs)} expressions, {len(used)} series, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
