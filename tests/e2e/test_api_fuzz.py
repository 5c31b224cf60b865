"""The API, fuzzed from its own OpenAPI document (schemathesis) against the running service of the
whole stack: whatever a request looks like, the answer is never a server error (5xx)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from handoff.stack import Stack

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_no_request_gets_a_server_error(stack: Stack, tmp_path: Path):
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{stack.handoff_url}/api/openapi.json",
         "--checks", "not_a_server_error", "--max-examples", "25", "--workers", "2", "--seed", "20261202",
         "--header", f"Authorization: Bearer {stack.secrets['HANDOFF_SERVICE_TOKEN']}"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    summary = run.stdout[-3000:]
    assert run.returncode == 0, summary
    counts = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert counts and counts[1] == counts[2] and int(counts[1]) > 1000, summary  # every case ran and passed
