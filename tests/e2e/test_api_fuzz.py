"""The API, fuzzed from its own OpenAPI document (schemathesis) against the running service of the
whole stack: whatever a request looks like, the answer is never a server error (5xx). Once
as the bot (its service token), and once each as a signed-in clerk and a supervisor, so that
the console's endpoints are fuzzed past the log-in, not just refused at it."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from handoff.stack import Stack
from tests.handoff.helpers import PASSWORD, add_accounts

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# The live feed never ends, and logging out or in would change the session the run signs in with.
NOT_WITH_A_SESSION = ("/api/clerk/events", "/api/clerk/logout", "/api/clerk/login")


def fuzz(stack: Stack, tmp_path: Path, *options: str) -> list[dict]:
    """Run schemathesis (25 examples an operation); every case must pass. The requests and
    answers of the run (its HAR report)."""
    har = tmp_path / "run.har"
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{stack.handoff_url}/api/openapi.json",
         "--checks", "not_a_server_error", "--max-examples", "25", "--workers", "2", "--seed", "20261202",
         "--report", "har", "--report-har-path", str(har), *options],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    counts = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counts and counts[1] == counts[2], run.stdout[-6000:]  # every case ran and passed its checks
    entries = json.loads(har.read_text())["log"]["entries"]
    assert not [e for e in entries if e["response"]["status"] >= 500]
    # Not `returncode == 0`: schemathesis also fails a run for an error of its own (once in a
    # fresh clone's run, a crash while building an example from the schema, every case passed);
    # what the service answered is in the counts above and in the HAR.
    return entries


def statuses_by_path(entries: list[dict]) -> dict[str, Counter]:
    by_path: dict[str, Counter] = {}
    for entry in entries:
        path = re.sub(r"^https?://[^/]+", "", entry["request"]["url"]).split("?")[0]
        by_path.setdefault(path, Counter())[entry["response"]["status"]] += 1
    return by_path


def test_no_request_gets_a_server_error(stack: Stack, tmp_path: Path):
    entries = fuzz(stack, tmp_path, "--header", f"Authorization: Bearer {stack.secrets['HANDOFF_SERVICE_TOKEN']}")
    assert len(entries) > 1000
    assert not [e for e in entries if e["response"]["status"] >= 500]


async def signed_in(stack: Stack, username: str) -> tuple[str, str]:
    """(session cookie, CSRF token) of a console user of tests/handoff/helpers.py's accounts."""
    redis = aioredis.from_url(stack.redis_url, decode_responses=True)
    try:
        await add_accounts(redis)
    finally:
        await redis.aclose()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{stack.handoff_url}/api/clerk/login", json={"username": username, "password": PASSWORD}) as resp:
            assert resp.status == 200, await resp.text()
            return resp.cookies["kep_session"].value, (await resp.json())["csrf_token"]


@pytest.mark.parametrize("username, only_for_supervisors", [("ath-alexiou", False), ("sup-athina", True)])
async def test_no_console_request_of_a_signed_in_user_gets_a_server_error(stack: Stack, tmp_path: Path, username: str,
                                                                         only_for_supervisors: bool):
    session, csrf = await signed_in(stack, username)
    options = ["--include-path-regex", "^/api/clerk/", "--generation-with-security-parameters", "false",
               "--header", f"Cookie: kep_session={session}", "--header", f"X-CSRF-Token: {csrf}"]
    for path in NOT_WITH_A_SESSION:
        options += ["--exclude-path", path]
    entries = fuzz(stack, tmp_path, *options)
    assert len(entries) > 300
    by_path = statuses_by_path(entries)
    # Past the log-in: not one request turned away for want of a session or of its CSRF token.
    assert not [(p, s) for p, s in by_path.items() if s[401]], by_path
    # And the console's answers, not refusals only: what the user may see answered 200.
    answered = {p for p, s in by_path.items() if s[200]}
    assert {"/api/clerk/me", "/api/clerk/queue", "/api/clerk/search"} <= answered, by_path
    supervisors_pages = {"/api/clerk/day", "/api/clerk/clerks", "/api/clerk/audit"}
    assert (supervisors_pages <= answered) == only_for_supervisors, by_path
    async with aiohttp.ClientSession(cookies={"kep_session": session}) as http:  # the session lived through it
        async with http.get(f"{stack.handoff_url}/api/clerk/me") as resp:
            assert resp.status == 200
