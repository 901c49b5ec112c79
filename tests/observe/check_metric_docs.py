#!/usr/bin/env python3
"""The Grafana dashboard and the alerting rules use only metrics docs/metrics.md documents.

Usage: check_metric_docs.py <source dir>. Also checks that docs/grafana-dashboard.json is
an importable dashboard (JSON with a title, a uid, panels each with a Prometheus query)."""
import json
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
doc = open(f"{root}/docs/metrics.md").read()
documented = set(re.findall(r"^\| `([a-z_]+)` \|", doc, re.M))
histograms = set(re.findall(r"^\| `([a-z_]+)` \| histogram", doc, re.M))
NAME = re.compile(r"\b((?:stockd|process)_[a-z_]+)")


def base(name):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in histograms:
            return name[: -len(suffix)]
    return name


errors = []
dashboard = json.load(open(f"{root}/docs/grafana-dashboard.json"))
for key in ("title", "uid", "panels", "schemaVersion"):
    if key not in dashboard:
        errors.append(f"grafana-dashboard.json: no '{key}'")
queries = 0
for panel in dashboard.get("panels", []):
    if panel.get("type") == "row":
        continue
    targets = panel.get("targets", [])
    if not targets:
        errors.append(f"grafana-dashboard.json: panel '{panel.get('title')}' has no query")
    for t in targets:
        queries += 1
        for name in NAME.findall(t.get("expr", "")):
            if base(name) not in documented:
                errors.append(f"grafana-dashboard.json: '{panel.get('title')}' uses "
                              f"undocumented {name}")
for line in open(f"{root}/docs/alerts.yaml"):
    if line.strip().startswith("expr:"):
        for name in NAME.findall(line):
            if base(name) not in documented:
                errors.append(f"alerts.yaml: undocumented {name}: {line.strip()}")
if queries < 10:
    errors.append(f"grafana-dashboard.json: only {queries} queries")
for e in errors:
    print(e)
print(f"{len(documented)} metrics documented, {queries} dashboard queries checked")
sys.exit(1 if errors else 0)
