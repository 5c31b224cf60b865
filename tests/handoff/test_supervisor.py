"""The launcher's supervision on small processes (the whole stack: tests/e2e/test_launcher.py):
a component that keeps crashing is restarted after 1 s, then 2 s, logged each time; the stop
leaves nothing of a component's session behind, grandchildren included."""
import logging
import sys
import time
from pathlib import Path

import pytest

from handoff.supervisor import Component, Supervisor


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_a_crashing_component_is_restarted_with_growing_delays(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="handoff.stack")
    supervisor = Supervisor(tmp_path, tmp_path, lambda: {})
    crashing = Component("crasher", [sys.executable, "-c", "import time; time.sleep(0.3); raise SystemExit(3)"],
                         lambda: True)
    try:
        supervisor.start(crashing)
        supervisor.watch()
        deadline = time.monotonic() + 15
        while crashing.restarts < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        supervisor.stop()
    stops = [r.getMessage() for r in caplog.records if "stopped: exit code 3" in r.getMessage()]
    assert len(stops) >= 2 and "restarting in 1 s" in stops[0] and "restarting in 2 s" in stops[1]
    assert crashing.restarts >= 2


def test_the_stop_ends_the_components_whole_session(tmp_path):
    supervisor = Supervisor(tmp_path, tmp_path, lambda: {})
    shell = Component("shell", ["sh", "-c", "sleep 300 & echo $! > grandchild; sleep 300"],
                      lambda: (tmp_path / "grandchild").exists())
    supervisor.start(shell)
    child, grandchild = shell.pid, int((tmp_path / "grandchild").read_text())
    assert alive(child) and alive(grandchild)
    supervisor.stop()
    deadline = time.monotonic() + 5
    while (alive(child) or alive(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child) and not alive(grandchild)
