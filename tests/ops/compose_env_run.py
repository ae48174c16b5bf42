#!/usr/bin/env python3
"""Tollgate starts with exactly the environment deploy/compose.yaml gives it (make deploy-check).

For the `core` and `full` profiles: deploy/gen-env.sh writes a .env, the `tollgate-1` service's
environment is interpolated from it as compose would, and the binary is started with it (only
the database URL, the port and data_dir are pointed at this machine). It must answer /readyz
200: `ready` for core (embedded everything, the issuer allowed on 0.0.0.0), `degraded` naming
lago and openmeter for full (their host names do not resolve here; Ory is configured, so the
embedded issuer is not used), then exit 0 on SIGTERM. An accepted configuration, not a wired
one: the upstreams themselves cannot run offline.

    compose_env_run.py BINARY ADMIN_DATABASE_URL
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
VAR_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)((?::?[-?])[^}]*)?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    def one(m: re.Match) -> str:
        name, op = m.group(1), m.group(2) or ""
        got = env.get(name)
        if op.startswith(":?") and not got or op.startswith("?") and got is None:
            raise SystemExit(f"compose_env_run: ${{{name}}} is required and not set")
        if op.startswith(":-") and not got:
            return op[2:]
        return got or ""

    return VAR_REF.sub(one, value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readyz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}
    except OSError:
        return 0, {}


def run(profile: str, binary: str, admin_url: str) -> list[str]:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        env_file = Path(tmp) / ".env"
        subprocess.run(["bash", str(ROOT / "deploy/gen-env.sh"), profile], check=True,
                       capture_output=True, env=dict(os.environ, TOLLGATE_ENV_FILE=str(env_file)))
        dotenv = dict(line.split("=", 1) for line in env_file.read_text().splitlines()
                      if line and not line.startswith("#"))
        model = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
        service_env = {k: interpolate(str(v), dotenv)
                       for k, v in model["services"]["tollgate-1"]["environment"].items()}
        database = f"tollgate_compose_env_{profile}_{os.getpid()}"
        port = free_port()
        service_env.update(
            TOLLGATE__DATABASE__URL=re.sub(r"/[^/?]*(\?|$)", rf"/{database}\1", admin_url, count=1)
            if admin_url.count("/") > 2 else admin_url,
            TOLLGATE__DATABASE__CREATE_IF_MISSING="true",
            TOLLGATE__SERVER__BIND=f"0.0.0.0:{port}",
            TOLLGATE__DATA_DIR=str(Path(tmp) / "data"),
        )
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
        log = open(Path(tmp) / "tollgate.log", "w+")
        process = subprocess.Popen([binary, "serve"], env={**clean, **service_env},
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            status, body = 0, {}
            for _ in range(120):
                status, body = readyz(port)
                if status == 200 or process.poll() is not None:
                    break
                time.sleep(0.5)
            expected = "ready" if profile == "core" else "degraded"
            if status != 200 or body.get("status") != expected:
                log.seek(0)
                problems.append(f"{profile}: /readyz {status} {body} (expected 200 {expected}); log:\n"
                                + "".join(log.readlines()[-15:]))
            elif profile == "full" and sorted(body.get("unreachable", [])) != ["lago", "openmeter"]:
                problems.append(f"{profile}: unreachable upstreams {body.get('unreachable')}")
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    code = process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    code = "killed after 60 s"
                if code != 0 and not problems:
                    problems.append(f"{profile}: exit status {code} after SIGTERM")
            subprocess.run(["psql", admin_url, "-qc", f'DROP DATABASE IF EXISTS "{database}"'],
                           capture_output=True)
    return problems


def main() -> int:
    binary, admin_url = sys.argv[1], sys.argv[2]
    problems = run("core", binary, admin_url) + run("full", binary, admin_url)
    for p in problems:
        print(f"compose_env_run: {p}", file=sys.stderr)
    if problems:
        return 1
    print("compose_env_run: ok (core ready, full degraded on lago and openmeter; SIGTERM exit 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
