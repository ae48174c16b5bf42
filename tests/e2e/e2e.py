#!/usr/bin/env python3
"""End-to-end check: the real LiteLLM proxy reports calls to Tollgate, and Tollgate stores them.

Driven by tests/e2e/run.sh, which runs this file with the e2e virtualenv's Python:

    e2e.py free-port
    e2e.py db-url ADMIN_URL DBNAME           # the admin URL with its database replaced
    e2e.py wait-http URL PID TIMEOUT_S       # poll until URL answers 200 (fails if PID dies)
    e2e.py config OUT --tollgate-url U --secret S --master-key K --marker M
    e2e.py traffic OUT --proxy-url U --master-key K --marker M
    e2e.py check EXPECTED --db-url U --secret S --master-key K --marker M --dump FILE

Everything the proxy is configured with (models, prices, failures, fallbacks) lives in MODELS
below, so that the expectations are computed from the same numbers LiteLLM is given.
Only the standard library and httpx (installed with litellm) are used; PostgreSQL is read
through the `psql` and `pg_dump` command-line tools.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from decimal import Decimal

# --------------------------------------------------------------------------------------------
# The proxy's model list.
#
# Prices: LiteLLM computes `response_cost` with Python floats (tokens * price per token, summed)
# and writes it with json.dumps, i.e. the shortest decimal that round-trips the float. With
# ordinary decimal prices (1.5e-07, 6e-07, ...) a third of the token counts give a float that is
# not the exact decimal product (10 * 5e-07 -> 4.9999999999999996e-06), so an exact comparison
# with the true price would be impossible. The "dyadic" deployments therefore use prices of the
# form k * 2^-m: their products and sums are exact in binary floating point and their decimal
# expansions are short, so LiteLLM's float result prints as exactly the decimal product, and the
# test can demand EXACT equality between Tollgate's `numeric` sum and Python's Decimal sum.
# (Checked for every token count below 3000, far above what these requests produce.)
#
# One deployment (gpt-4o) keeps real-world decimal prices on purpose: there LiteLLM's own float
# rounding makes exact equality with the true price impossible (10 prompt + 20 completion tokens
# cost 0.000225 but LiteLLM reports 0.00022500000000000002), so its rows are checked (a) exactly
# against the cost LiteLLM itself reported to the client (x-litellm-response-cost header: the
# same float, printed the same way, that Tollgate receives: Tollgate must store it digit for
# digit) and (b) against the exact decimal price with a tolerance of 1e-18 USD per call, far
# above float error (~1e-20 here) and far below any billable amount.
# --------------------------------------------------------------------------------------------
P18 = Decimal(2) ** -18  # 3.814697265625E-6 USD per token
P19 = Decimal(2) ** -19  # 1.9073486328125E-6
P17x3 = 3 * Decimal(2) ** -17  # 2.288818359375E-5

MODELS = {
    # public name: (provider model, input price, output price, exact?)
    "gpt-4o": ("openai/gpt-4o", Decimal("2.5e-06"), Decimal("1e-05"), False),
    "claude-haiku": ("anthropic/claude-3-5-haiku-20241022", P19, P17x3, True),
    "llama-local": ("openai/llama-3.1-8b-instruct", P19, P18, True),
}
BROKEN = "broken-model"  # always fails with HTTP 500
FLAKY = "flaky-with-fallback"  # always fails; the router falls back to FALLBACK_TARGET
FALLBACK_TARGET = "llama-local"
CUSTOMERS = ["cust-alice", "cust-bob", "cust-carol", "cust-dave"]
REJECTED_KEY = "sk-e2e-unknown-key"  # an API key the proxy does not know
# Who pays for a call without `user`: Tollgate's default customer fallback ("user") bills the
# internal user owning the API key, which LiteLLM reports as "default_user_id" for the master key.
NO_USER_CUSTOMER = "default_user_id"

# Float tolerance per call for the decimal-priced deployment (see above).
FLOAT_TOLERANCE_PER_CALL = Decimal("1e-18")


def dec_str(d: Decimal) -> str:
    """A plain decimal literal (no exponent) for YAML/JSON config values."""
    return format(d, "f")


# --------------------------------------------------------------------------------------------
# small helpers used by run.sh
# --------------------------------------------------------------------------------------------
def cmd_free_port(_args: argparse.Namespace) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
    return 0


def cmd_db_url(args: argparse.Namespace) -> int:
    parts = urllib.parse.urlsplit(args.admin_url)
    print(urllib.parse.urlunsplit(parts._replace(path="/" + args.dbname)))
    return 0


def cmd_wait_http(args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if args.pid and not os.path.exists(f"/proc/{args.pid}"):
            print(f"process {args.pid} exited while waiting for {args.url} ({last})", file=sys.stderr)
            return 1
        try:
            with urllib.request.urlopen(args.url, timeout=2) as r:
                if r.status == 200:
                    return 0
                last = f"HTTP {r.status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"
        except Exception as e:  # noqa: BLE001 - anything means "not yet"
            last = repr(e)
        time.sleep(0.25)
    print(f"timed out after {args.timeout}s waiting for {args.url} ({last})", file=sys.stderr)
    return 1


# --------------------------------------------------------------------------------------------
# LiteLLM proxy configuration (JSON is valid YAML: the proxy reads it with yaml.safe_load)
# --------------------------------------------------------------------------------------------
def completion_text(marker: str, model: str) -> str:
    return f"Mock answer from {model}. {completion_marker(marker)}"


def completion_marker(marker: str) -> str:
    return f"{marker}-COMPLETION"


def cmd_config(args: argparse.Namespace) -> int:
    model_list = []
    for name, (provider_model, pin, pout, _exact) in MODELS.items():
        model_list.append(
            {
                "model_name": name,
                "litellm_params": {
                    "model": provider_model,
                    "api_key": "sk-e2e-not-a-real-provider-key",
                    "mock_response": completion_text(args.marker, name),
                    "input_cost_per_token": float(pin),
                    "output_cost_per_token": float(pout),
                },
                "model_info": {"id": f"deploy-{name}"},
            }
        )
    for name in (BROKEN, FLAKY):
        model_list.append(
            {
                "model_name": name,
                "litellm_params": {
                    "model": "openai/gpt-4o",
                    "api_key": "sk-e2e-not-a-real-provider-key",
                    # LiteLLM's mock raises litellm.InternalServerError (HTTP 500) for this value.
                    "mock_response": "litellm.InternalServerError",
                    "input_cost_per_token": 1e-06,
                    "output_cost_per_token": 1e-06,
                },
                "model_info": {"id": f"deploy-{name}"},
            }
        )
    config = {
        "model_list": model_list,
        "router_settings": {
            # One attempt per deployment and no cooldowns: every failure is exactly one event.
            "num_retries": 0,
            "disable_cooldowns": True,
            "fallbacks": [{FLAKY: [FALLBACK_TARGET]}],
        },
        "litellm_settings": {
            "callbacks": ["billing_webhook"],
            "num_retries": 0,
            "request_timeout": 30,
            "telemetry": False,
            # Streamed calls are token-counted by LiteLLM; for "llama-3" models it would
            # download a tokenizer from Hugging Face (retrying ~30 s on a closed network).
            "disable_hf_tokenizer_download": True,
        },
        "callback_settings": {
            "billing_webhook": {
                "callback_type": "generic_api",
                "endpoint": args.tollgate_url.rstrip("/") + "/v1/webhooks/litellm",
                # Without headers LiteLLM silently skips the callback.
                "headers": {"Authorization": f"Bearer {args.secret}"},
                "event_types": ["llm_api_success", "llm_api_failure"],
                "log_format": "json_array",
                "max_retries": 2,
                "retry_delay": 0.5,
                "timeout": 10,
            }
        },
        "general_settings": {"master_key": args.master_key},
    }
    text = json.dumps(config, indent=2)
    # PyYAML (YAML 1.1) reads `1e-06` as a string: give every exponent-form number a dot.
    text = re.sub(r"(?<![\w.])(\d+)e([-+])", r"\1.0e\2", text)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return 0


# --------------------------------------------------------------------------------------------
# traffic: send the requests and record what Tollgate must end up storing
# --------------------------------------------------------------------------------------------
def cmd_traffic(args: argparse.Namespace) -> int:
    import httpx  # from the e2e virtualenv (a litellm dependency)

    url = args.proxy_url.rstrip("/") + "/v1/chat/completions"
    good_headers = {"Authorization": f"Bearer {args.master_key}"}
    client = httpx.Client(timeout=30)
    calls: list[dict] = []  # one entry per client request
    t_start = time.time()
    problems: list[str] = []

    def prompt(i: int) -> list[dict]:
        return [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": f"Request {i}: say hello. {args.marker}"},
        ]

    def record(kind: str, model: str, user: str | None, resp: httpx.Response, **extra) -> dict:
        call = {
            "kind": kind,
            "model": model,
            "user": user,
            "http_status": resp.status_code,
            "call_id": resp.headers.get("x-litellm-call-id"),
            "header_cost": resp.headers.get("x-litellm-response-cost"),
            **extra,
        }
        calls.append(call)
        return call

    def chat(i: int, model: str, user: str | None) -> None:
        body = {"model": model, "messages": prompt(i), "max_tokens": 50}
        if user is not None:
            body["user"] = user
        r = client.post(url, json=body, headers=good_headers)
        if r.status_code != 200:
            problems.append(f"request {i} ({model}, {user}): HTTP {r.status_code}: {r.text[:300]}")
            return
        answer = r.json()
        if completion_marker(args.marker) not in answer["choices"][0]["message"]["content"]:
            problems.append(f"request {i} ({model}): not the configured mock answer: {r.text[:300]}")
        usage = answer["usage"]
        record(
            "success",
            model,
            user,
            r,
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
        )

    # 1. plain successes: every customer on every model, plus calls without an end user.
    i = 0
    for rnd in range(2):
        for model in MODELS:
            for user in CUSTOMERS + ([None] if rnd == 0 else []):
                chat(i, model, user)
                i += 1
    # a few more for an uneven per-customer distribution
    for user in ["cust-alice", "cust-alice", "cust-bob"]:
        chat(i, "claude-haiku", user)
        i += 1

    # 2. streamed calls (usage requested in the stream's last chunk)
    for model, user in [("llama-local", "cust-carol"), ("claude-haiku", "cust-alice")]:
        body = {
            "model": model,
            "messages": prompt(i),
            "stream": True,
            "user": user,
            "stream_options": {"include_usage": True},
        }
        usage = None
        text = ""
        with client.stream("POST", url, json=body, headers=good_headers) as r:
            for line in r.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                if chunk.get("usage"):
                    usage = chunk["usage"]
                for ch in chunk.get("choices") or []:
                    text += (ch.get("delta") or {}).get("content") or ""
            if r.status_code != 200 or usage is None:
                problems.append(f"stream request {i} ({model}): HTTP {r.status_code}, usage {usage}")
            else:
                record(
                    "stream",
                    model,
                    user,
                    r,
                    prompt_tokens=usage["prompt_tokens"],
                    completion_tokens=usage["completion_tokens"],
                    streamed_text=text,
                )
        i += 1

    # 3. provider failures (HTTP 500 to the client)
    for user in ["cust-bob", "cust-dave"]:
        body = {"model": BROKEN, "messages": prompt(i), "user": user}
        r = client.post(url, json=body, headers=good_headers)
        if r.status_code != 500:
            problems.append(f"broken request {i}: expected HTTP 500, got {r.status_code}: {r.text[:300]}")
        else:
            record("failure", BROKEN, user, r)
        i += 1

    # 4. a fallback: FLAKY fails, FALLBACK_TARGET serves (one failure + one success event)
    body = {"model": FLAKY, "messages": prompt(i), "user": "cust-carol"}
    r = client.post(url, json=body, headers=good_headers)
    if r.status_code != 200 or r.headers.get("x-litellm-attempted-fallbacks") != "1":
        problems.append(
            f"fallback request {i}: HTTP {r.status_code}, attempted fallbacks "
            f"{r.headers.get('x-litellm-attempted-fallbacks')}: {r.text[:300]}"
        )
    else:
        usage = r.json()["usage"]
        record(
            "fallback",
            FLAKY,
            "cust-carol",
            r,
            served_by=FALLBACK_TARGET,
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
        )
    i += 1

    # 5. a request with an unknown API key. LiteLLM rejects it and reports a failure event without
    #    an end user (it is rejected before the body's `user` is read). Without a LiteLLM database
    #    (as here) the proxy answers 400 "No connected db." instead of 401; the event carries that
    #    code and `user_api_key_hash` = SHA-256 of the presented key.
    body = {"model": "gpt-4o", "messages": prompt(i), "user": "cust-alice"}
    r = client.post(url, json=body, headers={"Authorization": f"Bearer {REJECTED_KEY}"})
    if r.status_code not in (400, 401):
        problems.append(
            f"unknown-key request {i}: expected HTTP 400/401, got {r.status_code}: {r.text[:300]}"
        )
    else:
        record("rejected_key", "gpt-4o", None, r)
    i += 1

    for p in problems:
        print(f"traffic: {p}", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(
            {"marker": args.marker, "t_start": t_start, "t_end": time.time(), "calls": calls}, f, indent=2
        )
    print(f"traffic: {len(calls)} requests recorded, {len(problems)} unexpected answers")
    return 1 if problems else 0


# --------------------------------------------------------------------------------------------
# expectations and checks
# --------------------------------------------------------------------------------------------
def price_of(model: str, prompt_tokens: int, completion_tokens: int) -> Decimal:
    _, pin, pout, _ = MODELS[model]
    return prompt_tokens * pin + completion_tokens * pout


def expected_events(calls: list[dict]) -> list[dict]:
    """One dict per usage event Tollgate must store."""

    def success(c: dict, model_group: str, stream: bool) -> dict:
        p, n = c["prompt_tokens"], c["completion_tokens"]
        return {
            "status": "success",
            "customer": c["user"] or NO_USER_CUSTOMER,
            "model_group": model_group,
            "prompt": p,
            "completion": n,
            "cost": price_of(model_group, p, n),
            "stream": stream,
            "call": c,
        }

    def failure(c: dict, customer: str | None) -> dict:
        return {
            "status": "failure",
            "customer": customer,
            "model_group": c["model"],
            "prompt": 0,
            "completion": 0,
            "cost": Decimal(0),
            "stream": False,
            "call": c,
        }

    events = []
    for c in calls:
        kind = c["kind"]
        if kind in ("success", "stream"):
            events.append(success(c, c["model"], kind == "stream"))
        elif kind == "failure":
            events.append(failure(c, c["user"]))
        elif kind == "fallback":  # the failed attempt, then the served one
            events.append(failure(c, c["user"]))
            events.append(success(c, c["served_by"], False))
        elif kind == "rejected_key":  # rejected before the body's `user` is read
            events.append(failure(c, None))
    return events


class Psql:
    def __init__(self, db_url: str):
        self.db_url = db_url

    def rows(self, sql: str) -> list[list[str | None]]:
        """Rows as lists of strings; SQL NULL becomes None."""
        out = subprocess.run(
            [
                "psql",
                self.db_url,
                "-X",
                "-q",
                "-At",
                "-F",
                "\x1f",
                "-P",
                "null=\x1e",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = []
        for line in out.split("\n"):  # not splitlines(): it also splits on \x1e
            if not line:
                continue
            result.append([None if v == "\x1e" else v for v in line.split("\x1f")])
        return result

    def scalar(self, sql: str) -> str | None:
        r = self.rows(sql)
        return r[0][0] if r else None


def cmd_wait_events(args: argparse.Namespace) -> int:
    """Poll until usage_events holds the expected number of rows and stays there."""
    with open(args.expected, encoding="utf-8") as f:
        want = len(expected_events(json.load(f)["calls"]))
    db = Psql(args.db_url)
    deadline = time.monotonic() + args.timeout
    have, stable_since = -1, None
    while time.monotonic() < deadline:
        try:
            n = int(db.scalar("SELECT count(*) FROM usage_events") or 0)
        except subprocess.CalledProcessError as e:
            print(f"wait-events: psql failed: {e.stderr.strip()}", file=sys.stderr)
            n = -1
        if n != have:
            have, stable_since = n, time.monotonic()
            print(f"wait-events: {n}/{want} events stored")
        # LiteLLM flushes every second (DEFAULT_FLUSH_INTERVAL_SECONDS=1); 3 quiet seconds
        # after reaching the target also catch late extra rows (duplicates).
        if have >= want and time.monotonic() - stable_since >= 3:
            return 0
        time.sleep(0.5)
    print(f"wait-events: gave up after {args.timeout}s with {have}/{want} events stored", file=sys.stderr)
    return 0  # the checks report the difference


def cmd_check(args: argparse.Namespace) -> int:
    with open(args.expected, encoding="utf-8") as f:
        expected = json.load(f)
    calls = expected["calls"]
    exp = expected_events(calls)
    db = Psql(args.db_url)
    results: list[tuple[bool, str, str]] = []  # (ok, name, detail)

    def check(name: str, ok: bool, detail: str = "") -> None:
        results.append((bool(ok), name, detail))

    def eq(name: str, got, want) -> None:
        check(name, got == want, f"expected {want!r}, got {got!r}")

    # --- totals -------------------------------------------------------------------------
    total = int(db.scalar("SELECT count(*) FROM usage_events"))
    eq("row count", total, len(exp))

    by_status = {s: int(n) for s, n in db.rows("SELECT status, count(*) FROM usage_events GROUP BY status")}
    want_status = Counter(e["status"] for e in exp)
    eq("success events", by_status.get("success", 0), want_status["success"])
    eq("failure events", by_status.get("failure", 0), want_status["failure"])

    dup = db.rows(
        "SELECT organization_id, idempotency_key FROM usage_events GROUP BY 1, 2 HAVING count(*) > 1"
    )
    eq("no duplicate idempotency keys", dup, [])
    eq("one organization", int(db.scalar("SELECT count(DISTINCT organization_id) FROM usage_events")), 1)

    sums = db.rows(
        "SELECT coalesce(sum(prompt_tokens),0), coalesce(sum(completion_tokens),0), "
        "coalesce(sum(total_tokens),0), coalesce(sum(cost_usd),0) FROM usage_events"
    )[0]
    want_prompt = sum(e["prompt"] for e in exp)
    want_completion = sum(e["completion"] for e in exp)
    eq("sum(prompt_tokens)", int(sums[0]), want_prompt)
    eq("sum(completion_tokens)", int(sums[1]), want_completion)
    eq("sum(total_tokens)", int(sums[2]), want_prompt + want_completion)
    eq(
        "failures carry no tokens or cost",
        db.rows(
            "SELECT count(*) FROM usage_events WHERE status = 'failure' "
            "AND (prompt_tokens <> 0 OR completion_tokens <> 0 OR cost_usd <> 0)"
        ),
        [["0"]],
    )

    # cost: exact for the dyadic-priced models, float-tolerant for the decimal-priced one
    exact_models = [m for m, v in MODELS.items() if v[3]]
    inexact_models = [m for m, v in MODELS.items() if not v[3]]
    exact_list = ",".join(f"'{m}'" for m in exact_models)
    got_exact = Decimal(
        db.scalar(f"SELECT coalesce(sum(cost_usd),0) FROM usage_events WHERE model_group IN ({exact_list})")
    )
    want_exact = sum((e["cost"] for e in exp if e["model_group"] in exact_models), Decimal(0))
    check(
        "sum(cost_usd) exact (dyadic-priced models)",
        got_exact == want_exact and want_exact > 0,
        f"expected exactly {want_exact}, got {got_exact} (diff {got_exact - want_exact})",
    )

    inexact_list = ",".join(f"'{m}'" for m in inexact_models)
    got_inexact = Decimal(
        db.scalar(f"SELECT coalesce(sum(cost_usd),0) FROM usage_events WHERE model_group IN ({inexact_list})")
    )
    inexact_events = [e for e in exp if e["model_group"] in inexact_models and e["status"] == "success"]
    want_inexact = sum((e["cost"] for e in inexact_events), Decimal(0))
    tol = FLOAT_TOLERANCE_PER_CALL * max(1, len(inexact_events))
    check(
        "sum(cost_usd) within float tolerance (decimal-priced model)",
        abs(got_inexact - want_inexact) <= tol and want_inexact > 0,
        f"expected {want_inexact} +/- {tol}, got {got_inexact}",
    )
    # ... and exactly what LiteLLM told the client it cost (same float, same repr as the webhook)
    header_sum = sum(
        (
            Decimal(e["call"]["header_cost"])
            for e in inexact_events
            if e["call"].get("header_cost") and not e["stream"]
        ),
        Decimal(0),
    )
    got_nonstream_inexact = Decimal(
        db.scalar(
            f"SELECT coalesce(sum(cost_usd),0) FROM usage_events WHERE model_group IN ({inexact_list}) "
            "AND NOT stream"
        )
    )
    eq(
        "sum(cost_usd) == sum of x-litellm-response-cost headers (decimal-priced model)",
        got_nonstream_inexact,
        header_sum,
    )

    want_total_cost = sum((e["cost"] for e in exp), Decimal(0))
    got_total_cost = Decimal(sums[3])
    check(
        "sum(cost_usd) overall",
        abs(got_total_cost - want_total_cost) <= tol,
        f"expected {want_total_cost} +/- {tol}, got {got_total_cost}",
    )

    # --- per customer, per model ----------------------------------------------------------
    got_cust = {
        (c, s): int(n)
        for c, s, n in db.rows("SELECT customer_id, status, count(*) FROM usage_events GROUP BY 1, 2")
    }
    want_cust = Counter((e["customer"], e["status"]) for e in exp)
    eq(
        "per-customer counts (customer_id, status)",
        sorted(got_cust.items(), key=str),
        sorted(want_cust.items(), key=str),
    )

    got_cust_cost = {
        c: Decimal(v)
        for c, v in db.rows(
            f"SELECT customer_id, sum(cost_usd) FROM usage_events WHERE model_group IN ({exact_list}) "
            "GROUP BY 1"
        )
    }
    want_cust_cost: dict = {}
    for e in exp:
        if e["model_group"] in exact_models:
            want_cust_cost[e["customer"]] = want_cust_cost.get(e["customer"], Decimal(0)) + e["cost"]
    eq(
        "per-customer cost, exact (dyadic-priced models)",
        sorted(got_cust_cost.items(), key=str),
        sorted(want_cust_cost.items(), key=str),
    )

    got_model = {
        (m, s): int(n)
        for m, s, n in db.rows("SELECT model_group, status, count(*) FROM usage_events GROUP BY 1, 2")
    }
    want_model = Counter((e["model_group"], e["status"]) for e in exp)
    eq(
        "per-model counts (model_group, status)",
        sorted(got_model.items(), key=str),
        sorted(want_model.items(), key=str),
    )

    # --- every successful call, one by one ------------------------------------------------
    rows = {
        r[0]: r
        for r in db.rows(
            "SELECT idempotency_key, status, customer_id, model_group, prompt_tokens, completion_tokens, "
            "cost_usd, stream FROM usage_events WHERE status = 'success'"
        )
    }
    mismatches = []
    for e in exp:
        if e["status"] != "success":
            continue
        cid = e["call"]["call_id"]
        r = rows.get(cid)
        want = [
            "success",
            e["customer"],
            e["model_group"],
            str(e["prompt"]),
            str(e["completion"]),
            e["cost"],
            "t" if e["stream"] else "f",
        ]
        if r is None:
            mismatches.append(f"{cid}: missing")
            continue
        got = r[1:6] + [Decimal(r[6])] + r[7:]
        if e["model_group"] in inexact_models:
            reported = e["call"].get("header_cost")
            if reported and not e["stream"] and e["call"]["kind"] == "success":
                want[5] = Decimal(reported)  # digit for digit what LiteLLM reported
            elif abs(got[5] - want[5]) <= FLOAT_TOLERANCE_PER_CALL:
                got[5] = want[5]
        if got != want:
            mismatches.append(f"{cid}: expected {want}, got {got}")
    check(
        "each success stored under its litellm_call_id with the right customer, model, "
        "tokens, cost and stream flag",
        not mismatches,
        "; ".join(mismatches[:5]),
    )

    # --- the fallback pair ----------------------------------------------------------------
    for e in exp:
        c = e["call"]
        if c["kind"] != "fallback" or e["status"] != "success":
            continue
        cid = c["call_id"]
        pair = db.rows(
            "SELECT idempotency_key, status, model_group, customer_id FROM usage_events "
            f"WHERE idempotency_key = '{cid}' OR idempotency_key LIKE '{cid}:%' ORDER BY status"
        )
        ok = (
            len(pair) == 2
            and pair[0][1] == "failure"
            and pair[0][0].startswith(cid + ":")
            and pair[0][2] == FLAKY
            and pair[0][3] == c["user"]
            and pair[1][1] == "success"
            and pair[1][0] == cid
            and pair[1][2] == c["served_by"]
            and pair[1][3] == c["user"]
        )
        check(
            "fallback stored as failure (litellm_call_id:model_id:start) + success (litellm_call_id)",
            ok,
            f"call id {cid}: rows {pair}",
        )
        failure_key = pair[0][0] if pair else ""
        check(
            "fallback failure key names the failed deployment",
            failure_key.startswith(f"{cid}:deploy-{FLAKY}:"),
            f"key {failure_key!r}",
        )

    # --- streams --------------------------------------------------------------------------
    stream_ids = sorted(e["call"]["call_id"] for e in exp if e["stream"])
    got_stream = sorted(r[0] for r in db.rows("SELECT idempotency_key FROM usage_events WHERE stream"))
    eq("streamed calls stored with stream = true (and only they)", got_stream, stream_ids)

    # --- failures -------------------------------------------------------------------------
    fail_rows = db.rows(
        "SELECT idempotency_key, model_group, error_code, customer_id, api_key_hash "
        "FROM usage_events WHERE status = 'failure' ORDER BY idempotency_key"
    )
    rejected_hash = hashlib.sha256(REJECTED_KEY.encode()).hexdigest()
    for e in exp:
        c = e["call"]
        if c["kind"] not in ("failure", "rejected_key"):
            continue
        want_code = str(c["http_status"])
        if c["kind"] == "rejected_key":  # the proxy's answer has no x-litellm-call-id header
            match = [r for r in fail_rows if r[4] == rejected_hash]
        else:
            match = [r for r in fail_rows if r[0].startswith(c["call_id"] + ":")]
        check(
            f"{c['kind']} (HTTP {want_code}) stored with error_code {want_code}, customer {c['user']}",
            len(match) == 1 and match[0][2] == want_code and match[0][3] == c["user"],
            f"call id {c['call_id']}: rows {match}",
        )

    # --- API key attribution ----------------------------------------------------------------
    # LiteLLM reports master-key calls with user_api_key_hash "litellm_proxy_master_key" (not
    # a hash) and a rejected sk- key as the key's SHA-256; only the grouping is checked here.
    key_rows = db.rows("SELECT api_key_hash, count(*) FROM usage_events GROUP BY 1 ORDER BY 2 DESC")
    n_rejected = sum(1 for c in calls if c["kind"] == "rejected_key")
    eq(
        "api_key_hash: one key for all accepted calls, another for the rejected key",
        sorted(int(n) for h, n in key_rows if h is not None),
        sorted([len(exp) - n_rejected] + ([n_rejected] if n_rejected else [])),
    )
    if n_rejected:
        eq(
            "rejected key stored as its SHA-256",
            db.scalar(f"SELECT count(*) FROM usage_events WHERE api_key_hash = '{rejected_hash}'"),
            str(n_rejected),
        )

    # --- the other columns ---------------------------------------------------------------
    got_prov = sorted(
        db.rows(
            "SELECT DISTINCT model_group, provider, provider_model FROM usage_events WHERE status = 'success'"
        ),
        key=str,
    )
    want_prov = sorted(([m, v[0].split("/")[0], v[0]] for m, v in MODELS.items()), key=str)
    eq("provider and provider model of each model group", got_prov, want_prov)
    eq(
        "call_type acompletion everywhere",
        db.rows("SELECT call_type, count(*) FROM usage_events GROUP BY 1"),
        [["acompletion", str(len(exp))]],
    )
    eq(
        "no cache hits, cached or reasoning tokens (none happened)",
        db.scalar(
            "SELECT count(*) FROM usage_events WHERE cache_hit OR cached_tokens <> 0 OR reasoning_tokens <> 0"
        ),
        "0",
    )
    # occurred_at = LiteLLM's endTime: every call ended while the traffic ran (1 s of slack)
    t_lo, t_hi = expected["t_start"] - 1, expected["t_end"] + 1
    span = db.rows(
        "SELECT extract(epoch FROM min(occurred_at)), extract(epoch FROM max(occurred_at)) FROM usage_events"
    )[0]
    check(
        "occurred_at within the traffic's time window",
        span[0] is not None and t_lo <= float(span[0]) and float(span[1]) <= t_hi,
        f"stored {span}, traffic ran from {t_lo + 1} to {t_hi - 1}",
    )

    # --- nothing else ---------------------------------------------------------------------
    try:
        q = int(db.scalar("SELECT count(*) FROM quarantined_events"))
        eq("nothing quarantined", q, 0)
    except subprocess.CalledProcessError as err:
        check("nothing quarantined", False, err.stderr.strip())

    # --- data minimization: no prompt/completion text, no secrets in the whole database ---
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--no-owner", args.db_url], check=True, capture_output=True, text=True
    ).stdout
    with open(args.dump, "w", encoding="utf-8") as f:
        f.write(dump)
    check("pg_dump holds the stored events", "usage_events" in dump, f"see {args.dump}")
    check(
        "no prompt text stored (marker absent from pg_dump)",
        args.marker not in dump,
        f"{args.marker!r} found in {args.dump}",
    )
    check(
        "no completion text stored",
        completion_marker(args.marker) not in dump and "Mock answer from" not in dump,
        f"completion text found in {args.dump}",
    )
    check("no raw webhook secret stored", args.secret not in dump, f"secret found in {args.dump}")
    check(
        "no raw API key stored",
        args.master_key not in dump and REJECTED_KEY not in dump,
        f"an API key found in {args.dump}",
    )

    # --- report ---------------------------------------------------------------------------
    passed = sum(1 for ok, _, _ in results if ok)
    failed = len(results) - passed
    print()
    print(
        f"e2e: {len(calls)} requests -> {len(exp)} expected events "
        f"({want_status['success']} success, {want_status['failure']} failure), "
        f"{want_prompt} prompt + {want_completion} completion tokens, ${want_total_cost}"
    )
    for ok, name, detail in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f"\n         {detail}"))
    print()
    print(f"e2e: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("free-port").set_defaults(fn=cmd_free_port)
    p = sub.add_parser("db-url")
    p.add_argument("admin_url")
    p.add_argument("dbname")
    p.set_defaults(fn=cmd_db_url)
    p = sub.add_parser("wait-http")
    p.add_argument("url")
    p.add_argument("pid", type=int)
    p.add_argument("timeout", type=float)
    p.set_defaults(fn=cmd_wait_http)
    p = sub.add_parser("config")
    p.add_argument("out")
    for a in ("--tollgate-url", "--secret", "--master-key", "--marker"):
        p.add_argument(a, required=True)
    p.set_defaults(fn=cmd_config)
    p = sub.add_parser("traffic")
    p.add_argument("out")
    for a in ("--proxy-url", "--master-key", "--marker"):
        p.add_argument(a, required=True)
    p.set_defaults(fn=cmd_traffic)
    p = sub.add_parser("wait-events")
    p.add_argument("expected")
    p.add_argument("--db-url", required=True)
    p.add_argument("--timeout", type=float, default=30)
    p.set_defaults(fn=cmd_wait_events)
    p = sub.add_parser("check")
    p.add_argument("expected")
    for a in ("--db-url", "--secret", "--master-key", "--marker", "--dump"):
        p.add_argument(a, required=True)
    p.set_defaults(fn=cmd_check)
    args = ap.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
