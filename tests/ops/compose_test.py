#!/usr/bin/env python3
"""Offline checks of deploy/compose.yaml beyond the Compose schema (make deploy-check).

Nothing here can pull or start a container, so what `docker compose up` would trip on is
checked on the file: profiles, dependencies, pinned images, health checks, secrets, the
variables of deploy/.env.example and deploy/gen-env.sh, mounted files, Tollgate's
configuration keys, published ports, networks, and the upstream configs compose mounts.
Each rule is also run against a broken copy of the file (SELF_TESTS) and must fail there:
a check that cannot fail proves nothing.

Run with the ops virtualenv's Python (PyYAML): target/ops-venv/bin/python tests/ops/compose_test.py
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROFILES = {"core", "ory", "metering", "billing", "observability", "proxy", "full"}
# Images built here rather than pulled: tagged by TOLLGATE_VERSION.
OWN_IMAGE = re.compile(r"^tollgate:\$\{TOLLGATE_VERSION(:-[\w.-]+)?\}$")
# Stores: never on the edge network.
STORE_IMAGE = re.compile(r"(^|/)(postgres|postgres-partman|redis|cp-kafka|clickhouse-server|minio)[:@]")
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|_KEY$|_KEY_|TOKEN|SALT|^DSN$)")
SECRET_ALLOWED_LITERAL = {"CSRF_COOKIE_NAME"}
NOT_SECRET_NAME = re.compile(r"_KEY_ID$")
VAR_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)((?::?[-?])[^}]*)?\}")
URL_USERINFO = re.compile(r"\b[a-z][a-z0-9+.-]*://([^/@\s:]+):([^@\s]+)@")


def load(path: Path):
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def env_items(service: dict) -> list[tuple[str, str]]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return [tuple(e.split("=", 1)) if "=" in e else (e, "") for e in env]
    return [(k, "" if v is None else str(v)) for k, v in env.items()]


def tollgate_keys() -> set[str]:
    """Env names of config/base.toml's keys, plus secrets it documents only in comments."""
    text = (ROOT / "config" / "base.toml").read_text(encoding="utf-8")
    keys: set[str] = set()

    def walk(table: dict, prefix: list[str]) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value, prefix + [key])
            keys.add("TOLLGATE__" + "__".join(p.upper() for p in prefix + [key]))

    walk(tomllib.loads(text), [])
    keys.update(re.findall(r"TOLLGATE__[A-Z0-9_]+", text))
    return keys


def example_vars() -> set[str]:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Z][A-Z0-9_]*)=", text, re.M)}


# ------------------------------------------------------------------------------ the rules
def check(model: dict, raw_text: str) -> list[str]:
    problems: list[str] = []
    services: dict = model.get("services") or {}
    if not services:
        return ["no services"]

    # Profiles: every service has some, all known, `full` everywhere, each profile used.
    used: set[str] = set()
    for name, svc in services.items():
        profiles = svc.get("profiles") or []
        if not profiles:
            problems.append(f"{name}: no profile (it would start with every profile)")
        unknown = set(profiles) - PROFILES
        if unknown:
            problems.append(f"{name}: unknown profiles {sorted(unknown)}")
        if profiles and "full" not in profiles:
            problems.append(f"{name}: not in the `full` profile")
        used.update(profiles)
    if PROFILES - used:
        problems.append(f"profiles with no service: {sorted(PROFILES - used)}")

    # depends_on targets exist and run in every profile of the dependent service.
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        for dep in deps if isinstance(deps, (list, dict)) else []:
            if dep not in services:
                problems.append(f"{name}: depends on unknown service {dep}")
                continue
            missing = set(svc.get("profiles") or []) - set(services[dep].get("profiles") or [])
            if missing:
                problems.append(f"{name}: depends on {dep}, which is not in profiles {sorted(missing)}")

    # Images pinned to exact tags; ours is built and tagged by TOLLGATE_VERSION.
    for name, svc in services.items():
        image = svc.get("image")
        if not image:
            problems.append(f"{name}: no image")
            continue
        if OWN_IMAGE.match(image):
            continue
        repo, _, tag = image.rpartition(":") if "@" not in image else (image, "", "digest")
        if not repo or "/" in tag or not tag:
            problems.append(f"{name}: image {image} has no tag")
        elif tag in {"latest", "main", "stable", "edge", "nightly"} or not re.search(r"\d", tag):
            problems.append(f"{name}: image {image} is not pinned to a version")
        elif "$" in image:
            problems.append(f"{name}: image {image} is not a fixed tag")
        elif re.fullmatch(r"v?\d+", tag):
            problems.append(f"{name}: image {image} is pinned to a major version only")

    # Long-running services have a health check; one-shots say restart: "no".
    for name, svc in services.items():
        if svc.get("restart") == "no":
            continue
        test = (svc.get("healthcheck") or {}).get("test")
        if not test or test == ["NONE"] or (svc.get("healthcheck") or {}).get("disable"):
            problems.append(f"{name}: long-running service without a health check")

    # No literal secret: secret-named variables and URL passwords come from ${VAR?} / ${VAR:?}.
    for name, svc in services.items():
        for key, value in env_items(svc):
            if (SECRET_NAME.search(key) and key not in SECRET_ALLOWED_LITERAL
                    and not NOT_SECRET_NAME.search(key)):
                refs = list(VAR_REF.finditer(value))
                leftover = VAR_REF.sub("", value)
                if not refs or any(not (r.group(2) or "").startswith(("?", ":?")) for r in refs):
                    problems.append(f"{name}: {key} is not a required ${{VAR:?}} reference")
                elif key != "DSN" and leftover.strip() and "://" not in value:
                    problems.append(f"{name}: {key} mixes literal text with its secret")
            for match in URL_USERINFO.finditer(value):
                password = match.group(2)
                if not re.fullmatch(r"\$\{[A-Z0-9_]+:?\?\}", password):
                    problems.append(f"{name}: {key} has a literal password in its URL")

    # Every ${VAR} is documented in deploy/.env.example (comments aside).
    documented = example_vars()
    for var in sorted({m.group(1) for m in VAR_REF.finditer(strip_comments(raw_text))}):
        if var not in documented:
            problems.append(f"${{{var}}} is not in deploy/.env.example")

    # Bind-mounted files and build contexts exist.
    for name, svc in services.items():
        for volume in svc.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")) and not (DEPLOY / source).resolve().exists():
                problems.append(f"{name}: mounts {source}, which does not exist")
        build = svc.get("build")
        if build:
            context = (DEPLOY / build.get("context", ".")).resolve()
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            if not dockerfile.exists():
                problems.append(f"{name}: builds with {dockerfile}, which does not exist")

    # Every TOLLGATE__* is a key of config/base.toml (or a secret it documents).
    known = tollgate_keys()
    for name, svc in services.items():
        for key, _ in env_items(svc):
            if key.startswith("TOLLGATE__") and key not in known:
                problems.append(f"{name}: {key} is not a key of config/base.toml")

    # Only Traefik publishes ports; stores sit on the internal network alone.
    networks = model.get("networks") or {}
    if not (networks.get("internal") or {}).get("internal"):
        problems.append("network `internal` is not `internal: true`")
    for name, svc in services.items():
        if svc.get("ports") and name != "traefik":
            problems.append(f"{name}: publishes ports (only traefik may)")
        nets = svc.get("networks") or ["default"]
        nets = list(nets) if isinstance(nets, (list, dict)) else []
        if STORE_IMAGE.search(svc.get("image") or "") and nets != ["internal"]:
            problems.append(f"{name}: a store on networks {nets} (only `internal`)")
    if not (services.get("traefik") or {}).get("ports"):
        problems.append("traefik publishes no port")
    return problems


def check_configs() -> list[str]:
    """The upstream configs compose mounts agree with Tollgate and with each other."""
    problems: list[str] = []
    meters = load(DEPLOY / "openmeter" / "meters.yaml")["meters"]
    config = load(DEPLOY / "openmeter" / "config.yaml")
    if config.get("meters") != meters:
        problems.append("openmeter/config.yaml meters differ from openmeter/meters.yaml")
    for where in (config.get("dedupe") or {}, (config.get("sink") or {}).get("dedupe") or {}):
        if not (where.get("enabled") and where.get("driver") == "redis"
                and (where.get("config") or {}).get("expiration") == "768h"):
            problems.append("openmeter/config.yaml: dedupe is not redis with 768h")
    base = tomllib.loads((ROOT / "config" / "base.toml").read_text(encoding="utf-8"))
    if any(m["eventType"] != base["openmeter"]["event_type"] for m in meters):
        problems.append("a meter's eventType is not Tollgate's openmeter.event_type")

    # Traefik routes to Tollgate never reach /metrics (nor the probes): each router is limited
    # to the webhook or API prefixes, or excludes those paths.
    routes = load(DEPLOY / "traefik" / "dynamic" / "routes.yml")["http"]
    tollgate_servers = {"http://tollgate-1:8080", "http://tollgate-2:8080"}
    servers = {s["url"] for s in routes["services"]["tollgate"]["loadBalancer"]["servers"]}
    if servers != tollgate_servers:
        problems.append(f"traefik: service tollgate has servers {sorted(servers)}")
    for name, router in routes["routers"].items():
        if router["service"] != "tollgate":
            continue
        rule = router["rule"]
        limited = re.search(r"PathPrefix\(`/(v1/webhooks|api)/`\)", rule) and "||" not in rule.replace(
            "(PathPrefix(`/api/`) || Path(`/.well-known/jwks.json`))", "")
        excludes = all(f"!Path(`/{p}`)" in rule for p in ("metrics", "healthz", "readyz"))
        if not (limited or excludes):
            problems.append(f"traefik: router {name} may route /metrics to Tollgate: {rule}")
        if router.get("tls") is None or router.get("entryPoints") != ["websecure"]:
            problems.append(f"traefik: router {name} is not HTTPS-only")

    # Prometheus scrapes services that exist and share a network with it.
    model = load(DEPLOY / "compose.yaml")
    services = model["services"]
    prom_nets = set(services["prometheus"]["networks"])
    for job in load(DEPLOY / "prometheus" / "prometheus.yml")["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host = target.rsplit(":", 1)[0]
                if host in ("127.0.0.1", "localhost"):
                    continue
                nets = services.get(host, {}).get("networks")
                if host not in services:
                    problems.append(f"prometheus: job {job['job_name']} scrapes {host}, not a service")
                elif not prom_nets & set(nets if isinstance(nets, list) else (nets or {})):
                    problems.append(f"prometheus: {host} shares no network with prometheus")

    litellm = load(DEPLOY / "litellm" / "config.yaml")
    callbacks = litellm["litellm_settings"]["callbacks"]
    hooks = [litellm["callback_settings"][c] for c in callbacks if c in litellm.get("callback_settings", {})]
    generic = [h for h in hooks if h.get("callback_type") == "generic_api"]
    if len(generic) != 1:
        problems.append("litellm: not exactly one generic_api callback")
    else:
        hook = generic[0]
        if hook.get("endpoint") != "http://tollgate:8080/v1/webhooks/litellm":
            problems.append(f"litellm: endpoint is {hook.get('endpoint')}")
        auth = (hook.get("headers") or {}).get("Authorization", "")
        if auth != "Bearer {{environment_variables.TOLLGATE_WEBHOOK_SECRET}}":
            problems.append(f"litellm: Authorization header is {auth!r}")
        if set(hook.get("event_types") or []) != {"llm_api_success", "llm_api_failure"}:
            problems.append("litellm: the callback does not send successes and failures")
    return problems


def check_gen_env() -> list[str]:
    """gen-env.sh writes every variable of .env.example, and never overwrites."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / ".env"
        env = dict(os.environ, TOLLGATE_ENV_FILE=str(out), TOLLGATE_DOMAIN="example.test")
        subprocess.run(["bash", str(DEPLOY / "gen-env.sh"), "full"], env=env, check=True,
                       capture_output=True)
        first = out.read_text(encoding="utf-8")
        written = {m.group(1): m.group(2) for m in re.finditer(r"^([A-Z][A-Z0-9_]*)=(.*)$", first, re.M)}
        if set(written) != example_vars():
            problems.append("gen-env.sh and .env.example differ: "
                            f"{sorted(set(written) ^ example_vars())}")
        if oct(out.stat().st_mode & 0o777) != "0o600":
            problems.append("gen-env.sh: .env is not 0600")
        subprocess.run(["bash", str(DEPLOY / "gen-env.sh"), "core"], env=env, check=True,
                       capture_output=True)
        if out.read_text(encoding="utf-8") != first:
            problems.append("gen-env.sh overwrote an existing .env")
        # Every required variable is set (non-empty) for the full stack.
        text = strip_comments((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
        for m in VAR_REF.finditer(text):
            if (m.group(2) or "").startswith(":?") and not written.get(m.group(1)):
                problems.append(f"gen-env.sh leaves required ${{{m.group(1)}}} empty")
        secrets = [v for k, v in written.items() if SECRET_NAME.search(k) and v]
        if len(secrets) != len(set(secrets)):
            problems.append("gen-env.sh wrote the same secret twice")
        for key, url in (("TOLLGATE_OPENMETER_URL", "http://openmeter:8888"),
                         ("TOLLGATE_LAGO_URL", "http://lago-api:3000"),
                         ("TOLLGATE_KETO_READ_URL", "http://keto:4466")):
            if written.get(key) != url:
                problems.append(f"gen-env.sh full: {key}={written.get(key)!r}, expected {url}")
    return problems


# ------------------------------------------------------------------------------ self-tests
def _drop_healthcheck(m):
    m["services"]["tollgate-1"] = dict(m["services"]["tollgate-1"])
    m["services"]["tollgate-1"].pop("healthcheck")


def _literal_secret(m):
    m["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] = "hunter2"


def _publish_store(m):
    m["services"]["postgres"]["ports"] = ["5432:5432"]


def _latest_image(m):
    m["services"]["kafka"]["image"] = "confluentinc/cp-kafka:latest"


def _cross_profile_dependency(m):
    m["services"]["litellm"]["depends_on"]["kafka"] = {"condition": "service_healthy"}


def _unknown_tollgate_key(m):
    m["services"]["tollgate-migrate"]["environment"] = dict(
        m["services"]["tollgate-migrate"]["environment"], TOLLGATE__SERVER__BINDD="x")


def _missing_mount(m):
    m["services"]["openmeter"]["volumes"] = ["./openmeter/nope.yaml:/etc/x.yaml:ro"]


def _password_in_url(m):
    m["services"]["kratos"]["environment"]["DSN"] = "postgres://kratos:pw@postgres:5432/kratos"


def _no_profile(m):
    m["services"]["grafana"].pop("profiles")


SELF_TESTS = [_drop_healthcheck, _literal_secret, _publish_store, _latest_image,
              _cross_profile_dependency, _unknown_tollgate_key, _missing_mount,
              _password_in_url, _no_profile]


def main() -> int:
    raw = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    model = yaml.safe_load(raw)
    problems = check(model, raw) + check_configs() + check_gen_env()
    undocumented = raw + "\nx: ${NOT_IN_THE_EXAMPLE:?}\n"
    if not any("NOT_IN_THE_EXAMPLE" in p for p in check(model, undocumented)):
        problems.append("self-test: an undocumented variable went unnoticed")
    for mutate in SELF_TESTS:
        broken = copy.deepcopy(model)
        mutate(broken)
        if not check(broken, raw):
            problems.append(f"self-test: {mutate.__name__} went unnoticed")
    for p in problems:
        print(f"compose_test: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"compose_test: ok ({len(model['services'])} services, {len(SELF_TESTS) + 1} self-tests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
