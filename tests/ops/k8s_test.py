#!/usr/bin/env python3
"""deploy/k8s/ checked offline (make deploy-check).

* Every object validates strictly: built-in kinds with kubernetes-validate --strict (the
  Kubernetes 1.37 schemas it bundles), CloudNativePG's Cluster and ScheduledBackup and the
  Barman Cloud Plugin's ObjectStore against their CRDs' schemas (deploy/schemas/k8s/, unknown
  fields rejected).
* What the issue asks of them: 3 API replicas with /readyz readiness, /healthz liveness, a
  preStop sleep and a grace period longer than preStop + shutdown delay + shutdown timeout;
  non-root, read-only root, requests and limits on every container; HPA on CPU 70 % from 3 to
  12; PDB maxUnavailable 1; Service, PDB and HPA pointing at the pods they mean; every
  TOLLGATE__ key known to config/base.toml; 3 PostgreSQL instances with the Barman Cloud
  Plugin archiving WAL and a ScheduledBackup of that cluster.
Each rule also runs against broken copies (SELF_TESTS) and must fail there.

Run with the ops virtualenv's Python: target/ops-venv/bin/python tests/ops/k8s_test.py
"""

from __future__ import annotations

import copy
import json
import re
import sys
import tomllib
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CRD_SCHEMAS = {
    ("postgresql.cnpg.io/v1", "Cluster"): "cluster-postgresql-v1.json",
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): "scheduledbackup-postgresql-v1.json",
    ("barmancloud.cnpg.io/v1", "ObjectStore"): "objectstore-barmancloud-v1.json",
}
K8S_VERSION = "1.37.0"


def load_all() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(K8S.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                docs.append((str(path.relative_to(ROOT)), doc))
    return docs


def validate_schemas(docs) -> list[str]:
    problems = []
    for where, doc in docs:
        key = (doc.get("apiVersion"), doc.get("kind"))
        name = f"{where}: {doc.get('kind')} {doc.get('metadata', {}).get('name')}"
        if key in CRD_SCHEMAS:
            schema = json.loads((ROOT / "deploy" / "schemas" / "k8s" / CRD_SCHEMAS[key]).read_text())
            errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
            problems += [f"{name}: {e.message} at {'/'.join(map(str, e.absolute_path))}" for e in errors]
            if not (doc.get("metadata") or {}).get("name"):
                problems.append(f"{name}: no metadata.name")
        else:
            try:
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            except Exception as error:  # the library's errors have no common base
                problems.append(f"{name}: {getattr(error, 'message', error)}")
    return problems


def tollgate_keys() -> set[str]:
    text = (ROOT / "config" / "base.toml").read_text(encoding="utf-8")
    keys = set(re.findall(r"TOLLGATE__[A-Z0-9_]+", text))

    def walk(table, prefix):
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value, prefix + [key])
            keys.add("TOLLGATE__" + "__".join(p.upper() for p in prefix + [key]))

    walk(tomllib.loads(text), [])
    return keys


def find(docs, kind, name):
    for _, doc in docs:
        if doc.get("kind") == kind and doc["metadata"]["name"] == name:
            return doc
    return None


def pod_spec(doc):
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def check_semantics(docs) -> list[str]:
    problems = []
    config = find(docs, "ConfigMap", "tollgate") or {"data": {}}
    data = config.get("data") or {}
    base = tomllib.loads((ROOT / "config" / "base.toml").read_text(encoding="utf-8"))
    known = tollgate_keys()
    for key in data:
        if key.startswith("TOLLGATE__") and key not in known:
            problems.append(f"ConfigMap: {key} is not a key of config/base.toml")

    workloads = [d for _, d in docs if d.get("kind") in ("Deployment", "Job", "CronJob")]
    for doc in workloads:
        name = f"{doc['kind']} {doc['metadata']['name']}"
        spec = pod_spec(doc)
        sc = spec.get("securityContext") or {}
        if not sc.get("runAsNonRoot") or sc.get("runAsUser") != 10001:
            problems.append(f"{name}: not runAsNonRoot as 10001")
        for c in spec["containers"]:
            csc = c.get("securityContext") or {}
            if not csc.get("readOnlyRootFilesystem"):
                problems.append(f"{name}/{c['name']}: root file system is writable")
            if csc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}/{c['name']}: privilege escalation allowed")
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(res.get(part) or {}):
                    problems.append(f"{name}/{c['name']}: no cpu and memory {part}")
            for env in c.get("env") or []:
                if env["name"].startswith("TOLLGATE__") and env["name"] not in known:
                    problems.append(f"{name}: {env['name']} is not a key of config/base.toml")

    api = find(docs, "Deployment", "tollgate-api")
    if not api:
        return problems + ["no Deployment tollgate-api"]
    if api["spec"].get("replicas") != 3:
        problems.append("tollgate-api: not 3 replicas")
    spec = pod_spec(api)
    c = spec["containers"][0]
    if ((c.get("readinessProbe") or {}).get("httpGet") or {}).get("path") != "/readyz":
        problems.append("tollgate-api: readiness is not /readyz")
    if ((c.get("livenessProbe") or {}).get("httpGet") or {}).get("path") != "/healthz":
        problems.append("tollgate-api: liveness is not /healthz")
    sleep = (((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get("seconds", 0)
    if sleep <= 0:
        problems.append("tollgate-api: no preStop sleep")

    def setting(section, key):
        value = data.get(f"TOLLGATE__{section.upper()}__{key.upper()}")
        return int(value) if value not in (None, "") else int(base[section].get(key, 0))

    needed = sleep + setting("server", "shutdown_delay_secs") + setting("server", "shutdown_timeout_secs")
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if grace <= needed:
        problems.append(f"tollgate-api: grace {grace} s <= preStop + delay + timeout = {needed} s")
    labels = api["spec"]["template"]["metadata"]["labels"]
    if api["spec"]["selector"]["matchLabels"].items() - labels.items():
        problems.append("tollgate-api: its selector does not match its pods")

    def selects(selector: dict) -> bool:
        return bool(selector) and not (selector.items() - labels.items())

    svc = find(docs, "Service", "tollgate")
    if not svc or not selects(svc["spec"].get("selector") or {}):
        problems.append("Service tollgate does not select the API pods")
    pdb = find(docs, "PodDisruptionBudget", "tollgate-api")
    if not pdb or pdb["spec"].get("maxUnavailable") != 1 or not selects(pdb["spec"]["selector"]["matchLabels"]):
        problems.append("PDB tollgate-api: not maxUnavailable 1 over the API pods")
    hpa = find(docs, "HorizontalPodAutoscaler", "tollgate-api")
    cpu = [m for m in (hpa or {}).get("spec", {}).get("metrics", [])
           if m.get("type") == "Resource" and m["resource"]["name"] == "cpu"]
    if (not hpa or hpa["spec"]["scaleTargetRef"]["name"] != "tollgate-api"
            or (hpa["spec"].get("minReplicas"), hpa["spec"].get("maxReplicas")) != (3, 12)
            or not cpu or cpu[0]["resource"]["target"].get("averageUtilization") != 70):
        problems.append("HPA tollgate-api: not CPU 70 % from 3 to 12 on tollgate-api")
    for kind, name in (("Deployment", "tollgate-worker"), ("Job", "tollgate-migrate"),
                       ("NetworkPolicy", "tollgate"), ("Secret", "tollgate")):
        if not find(docs, kind, name):
            problems.append(f"no {kind} {name}")

    cluster = find(docs, "Cluster", "tollgate-db")
    if not cluster or cluster["spec"].get("instances") != 3:
        problems.append("Cluster tollgate-db: not 3 instances")
    else:
        plugins = cluster["spec"].get("plugins") or []
        if not any(p.get("name") == "barman-cloud.cloudnative-pg.io" and p.get("isWALArchiver") for p in plugins):
            problems.append("Cluster tollgate-db: the Barman Cloud Plugin does not archive WAL")
        store = (plugins[0].get("parameters") or {}).get("barmanObjectName") if plugins else None
        if not find(docs, "ObjectStore", store or ""):
            problems.append(f"Cluster tollgate-db: ObjectStore {store} is not defined")
    backups = [d for _, d in docs if d.get("kind") == "ScheduledBackup"]
    if not any(b["spec"]["cluster"]["name"] == "tollgate-db" for b in backups):
        problems.append("no ScheduledBackup of tollgate-db")
    return problems


def _api(docs):
    return find(docs, "Deployment", "tollgate-api")


def _no_readiness(docs):
    _api(docs)["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe")


def _short_grace(docs):
    _api(docs)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 30


def _root(docs):
    _api(docs)["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = 0


def _unknown_field(docs):
    _api(docs)["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"


def _crd_unknown_field(docs):
    find(docs, "Cluster", "tollgate-db")["spec"]["instancez"] = 3


def _wrong_service_selector(docs):
    find(docs, "Service", "tollgate")["spec"]["selector"]["app.kubernetes.io/component"] = "worker"


def _unknown_config_key(docs):
    find(docs, "ConfigMap", "tollgate")["data"]["TOLLGATE__SERVER__NOPE"] = "1"


SELF_TESTS = [_no_readiness, _short_grace, _root, _unknown_field, _crd_unknown_field,
              _wrong_service_selector, _unknown_config_key]


def main() -> int:
    docs = load_all()
    problems = validate_schemas(docs) + check_semantics(docs)
    for mutate in SELF_TESTS:
        broken = copy.deepcopy(docs)
        mutate(broken)
        if not (validate_schemas(broken) + check_semantics(broken)):
            problems.append(f"self-test: {mutate.__name__} went unnoticed")
    for p in problems:
        print(f"k8s_test: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"k8s_test: ok ({len(docs)} objects, {len(SELF_TESTS)} self-tests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
