#!/usr/bin/env python3
"""Every metric a Grafana dashboard queries must exist: in a real /metrics scrape of medic, or in
DESIGN §8 (metrics the design names that arrive with later features, such as notifications).

usage: check-dashboard-metrics.py DASHBOARD.json DESIGN.md SCRAPE.txt [SCRAPE.txt ...]
Exits 1 naming each unknown metric and the panel that uses it.
"""
import json
import re
import sys

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan"}
# Series Prometheus makes itself for every target.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def metrics_in(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # label values
    e = re.sub(r"\{[^}]*\}", "", e)                         # selectors
    e = re.sub(r"\[[^\]]*\]", "", e)                        # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\w+", " ", e)                            # dashboard variables
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word = m.group(0)
        after = e[m.end():].lstrip()
        if after.startswith("(") or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names


def exprs(node, path):
    if isinstance(node, dict):
        title = node.get("title", path)
        if isinstance(node.get("expr"), str):
            yield title, node["expr"]
        for k, v in node.items():
            yield from exprs(v, title if isinstance(title, str) else path)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v, path)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    dashboard = json.load(open(sys.argv[1]))
    design = open(sys.argv[2]).read()
    section = re.search(r"^## 8\. Metrics$(.*?)^## ", design, re.S | re.M)
    if not section:
        print("no '## 8. Metrics' section in " + sys.argv[2], file=sys.stderr)
        return 1
    designed = set(re.findall(r"\bmedic_[a-z0-9_]+", section.group(1)))
    scraped = set()
    for path in sys.argv[3:]:
        for line in open(path):
            if line.strip() and not line.startswith("#"):
                scraped.add(re.split(r"[{ ]", line, 1)[0])
    known = scraped | designed | SYNTHETIC

    def exists(name):
        if name in known:
            return True
        return any(name.endswith(s) and name[: -len(s)] in designed for s in HISTOGRAM_SUFFIXES)

    used = {}
    for title, expr in exprs(dashboard, "dashboard"):
        for name in metrics_in(expr):
            used.setdefault(name, set()).add(title)
    missing = {n: t for n, t in used.items() if not exists(n)}
    for name, titles in sorted(missing.items()):
        print(f"dashboard metric {name} (panel {', '.join(sorted(titles))}) is neither scraped nor in DESIGN §8",
              file=sys.stderr)
    if not used:
        print("the dashboard queries no metric at all", file=sys.stderr)
        return 1
    if missing:
        return 1
    print(f"dashboard: {len(used)} metric names, all known "
          f"({len(used.keys() & scraped)} scraped, {len(used.keys() - scraped)} from DESIGN §8 or Prometheus): "
          + ", ".join(sorted(used)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
