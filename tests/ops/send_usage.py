#!/usr/bin/env python3
"""Send LiteLLM-shaped usage events to a Tollgate (ops tests: restore drill).

    send_usage.py URL SECRET COUNT PREFIX [BATCH]

Posts COUNT events in JSON-array batches of BATCH (default 50) to URL/v1/webhooks/litellm with
`Authorization: Bearer SECRET`, each a copy of tests/fixtures/litellm's virtual-key sample with
its own ids (PREFIX-<n>) and the current time. Every batch must be answered 202 (stored):
anything else exits 1. Standard library only.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "tests/fixtures/litellm/02-usage-single.success-virtual-key.body.json"


def main() -> int:
    url, secret, count, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 50
    template = json.loads(SAMPLE.read_text(encoding="utf-8"))
    sent = 0
    while sent < count:
        events = []
        now = time.time()
        for n in range(sent, min(count, sent + batch)):
            event = dict(template)
            event["id"] = f"chatcmpl-{prefix}-{n}"
            event["litellm_call_id"] = f"{prefix}-{n}"
            event["startTime"] = now - 1.0
            event["completionStartTime"] = now - 0.5
            event["endTime"] = now
            events.append(event)
        request = urllib.request.Request(
            url.rstrip("/") + "/v1/webhooks/litellm",
            data=json.dumps(events).encode(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != 202:
            print(f"send_usage: batch at {sent} answered {status}", file=sys.stderr)
            return 1
        sent += len(events)
    print(sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
