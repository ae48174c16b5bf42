#!/usr/bin/env python3
"""The Grafana dashboard and the alerts ask Prometheus only for what exists (make deploy-check).

Every expression of deploy/grafana/dashboards/tollgate.json and deploy/prometheus/alerts.yml
must parse (promtool checks them as recording rules), and every metric it names must be one
Tollgate exports (crates/http/src/metrics.rs, with the registry's `tollgate_` prefix and the
histogram suffixes) or one of the few other exporters' series listed below. Panels must carry
a query and the provisioned data source.

Run with the ops virtualenv's Python: target/ops-venv/bin/python tests/ops/dashboard_test.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "tollgate.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
METRICS_RS = ROOT / "crates" / "http" / "src" / "metrics.rs"
# Series of other exporters the dashboard and alerts read: Prometheus itself, the process
# collector, Traefik, CloudNativePG, kube-state-metrics.
EXTERNAL = {
    "up",
    "process_resident_memory_bytes",
    "process_cpu_seconds_total",
    "traefik_tls_certs_not_after",
    "cnpg_collector_last_available_backup_timestamp",
    "kube_job_status_failed",
}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "on", "ignoring", "and", "or",
    "unless", "rate", "increase", "irate", "histogram_quantile", "time", "le", "bool",
    "group_left", "group_right", "offset", "abs", "clamp_min", "clamp_max", "topk", "inf",
}


def exported() -> set[str]:
    text = METRICS_RS.read_text(encoding="utf-8")
    names = set()
    for base in re.findall(r'(?:Opts|HistogramOpts)::new\(\s*"([a-z0-9_]+)"', text):
        names.add(f"tollgate_{base}")
        for suffix in ("_bucket", "_sum", "_count"):
            names.add(f"tollgate_{base}{suffix}")
    return names


def metric_names(expr: str) -> set[str]:
    # Drop label matchers, strings and durations; what is left that looks like a name and is
    # not followed by "(" is a metric.
    bare = re.sub(r"\{[^}]*\}", " ", re.sub(r'"[^"]*"', '""', expr))
    bare = re.sub(r"\[[^\]]*\]", " ", bare)
    bare = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", bare)
    found = set()
    for m in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", bare):
        name, call = m.group(1), m.group(2)
        if call or name in PROMQL_WORDS or re.fullmatch(r"\d.*|e\d+", name):
            continue
        found.add(name)
    return found


def main() -> int:
    problems: list[str] = []
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs: list[tuple[str, str]] = []
    for panel in dashboard["panels"]:
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"panel {panel.get('title')!r} has no query")
        if (panel.get("datasource") or {}).get("uid") != "prometheus":
            problems.append(f"panel {panel.get('title')!r} does not use the provisioned data source")
        exprs += [(f"panel {panel.get('title')!r}", t["expr"]) for t in targets]
    for group in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]:
        exprs += [(f"alert {r['alert']}", r["expr"]) for r in group["rules"]]

    # Each alert's runbook_url names a heading of docs/operations.md.
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    anchors = {"runbook-" + h.strip().lower() for h in re.findall(r"^### Runbook: (.+)$", operations, re.M)}
    for group in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]:
        for rule in group["rules"]:
            url = rule.get("annotations", {}).get("runbook_url", "")
            if url.partition("#")[2] not in anchors:
                problems.append(f"alert {rule['alert']}: runbook {url!r} is not a heading of docs/operations.md")

    known = exported() | EXTERNAL
    for where, expr in exprs:
        for name in sorted(metric_names(expr) - known):
            problems.append(f"{where}: {name} is not a metric Tollgate or a listed exporter exports")

    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": expr} for i, (_, expr) in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(rules, f)
    result = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
    Path(f.name).unlink()
    if result.returncode != 0:
        problems.append("promtool rejects an expression:\n" + result.stdout + result.stderr)

    # The name check must be able to fail.
    if "tollgate_no_such_metric" in (metric_names("rate(tollgate_no_such_metric[5m])") & known):
        problems.append("self-test: an unknown metric passed")
    if not metric_names('sum by (route) (rate(tollgate_http_request_duration_seconds_count{status="500"}[5m]))') <= known:
        problems.append("self-test: a known metric was rejected")

    for p in problems:
        print(f"dashboard_test: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"dashboard_test: ok ({len(exprs)} expressions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
