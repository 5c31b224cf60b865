"""Child processes that live and die with their launcher.

Each child runs in its own session (a signal to the launcher's process group does not reach
it half-way; the launcher stops it in order) and carries a parent-death signal (Linux
prctl PR_SET_PDEATHSIG: SIGKILL when the launcher dies, even by SIGKILL). The supervisor
starts components in dependency order, each after the previous one answers; a component that
exits afterwards is restarted with exponential backoff while the others keep serving; the stop
blocks further stop signals so that a second Ctrl-C or SIGTERM cannot cut it short.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import ports

log = logging.getLogger("handoff.stack")

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
PR_SET_PDEATHSIG = 1
FIRST_DELAY = 1.0  # seconds before the first restart; doubles after each crash
MAX_DELAY = 60.0
STEADY_SECONDS = 60.0  # up this long: the next crash starts the backoff from FIRST_DELAY again
STOP_TIMEOUT = 15.0  # SIGTERM, then SIGKILL after this long


class PortInUse(RuntimeError):
    pass


class StartFailed(RuntimeError):
    pass


class Interrupted(Exception):
    """A stop was asked for while the components were starting."""


def _dies_with(parent: int) -> Callable[[], None] | None:
    """The hook run in the child between fork and exec (only async-signal-safe calls)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def hook() -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, [])  # a stopping launcher blocks signals: not its children
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the launcher died before the line above
            os._exit(1)

    return hook


def spawn(command: list[str], *, log_path: Path, cwd: Path | None = None,
          env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """A child in its own session that the kernel kills when this process (thread) ends."""
    with open(log_path, "ab") as out:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=_dies_with(os.getpid()))


def terminate(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM to the child's session, SIGKILL after `timeout`, and nothing of it left behind."""
    def to_group(sig: signal.Signals) -> None:
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    if process.poll() is None:
        to_group(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("pid %d did not stop within %.0f s: killed", process.pid, timeout)
            to_group(signal.SIGKILL)
            process.wait()
    to_group(signal.SIGKILL)  # whatever it started in its session


@dataclass
class Component:
    name: str
    command: list[str]
    ready: Callable[[], bool]  # answers requests now
    port: int | None = None
    start_timeout: float = 30.0
    env: dict[str, str] = field(default_factory=dict)  # on top of the supervisor's
    process: subprocess.Popen | None = field(default=None, init=False)
    restarts: int = field(default=0, init=False)
    _delay: float = field(default=FIRST_DELAY, init=False)
    _started_at: float = field(default=0.0, init=False)
    _next_start: float = field(default=0.0, init=False)
    _answering: bool = field(default=False, init=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


class Supervisor:
    def __init__(self, log_dir: Path, cwd: Path, env: Callable[[], dict[str, str]],
                 stop_requested: threading.Event | None = None):
        self._log_dir, self._cwd, self._env = log_dir, cwd, env
        self.components: list[Component] = []
        self.stop_requested = stop_requested or threading.Event()
        self._lock = threading.Lock()  # spawning and stopping never overlap
        self._stopped = False
        self._watcher: threading.Thread | None = None

    def log_path(self, component: Component) -> Path:
        return self._log_dir / f"{component.name}.log"

    def check_ports(self, components: list[Component]) -> None:
        for c in components:
            if c.port is not None and ports.in_use(c.port):
                raise PortInUse(f"port {c.port} ({c.name}) is already in use by {ports.holder(c.port) or 'another process'}; "
                                "stop it or choose another port")

    def _spawn(self, component: Component) -> None:
        component.process = spawn(component.command, log_path=self.log_path(component), cwd=self._cwd,
                                  env={**self._env(), **component.env})
        component._started_at = time.monotonic()
        component._answering = False

    def start(self, *group: Component) -> None:
        """Start components together and wait until each answers (or fail with where to look)."""
        with self._lock:
            if self._stopped or self.stop_requested.is_set():
                raise Interrupted()
            for component in group:
                self._spawn(component)
                self.components.append(component)
        waiting = list(group)
        deadline = time.monotonic() + max(c.start_timeout for c in group)
        while waiting:
            if self.stop_requested.is_set():
                raise Interrupted()
            for component in list(waiting):
                if component.process is None or component.process.poll() is not None:  # spawned above: gone since
                    raise StartFailed(f"{component.name} exited during start; see {self.log_path(component)}")
                if component.ready():
                    component._answering = True
                    log.info("%s is up (pid %d)", component.name, component.pid)
                    waiting.remove(component)
            if waiting and time.monotonic() > deadline:
                raise StartFailed(f"{waiting[0].name} did not start within {waiting[0].start_timeout:.0f} s; "
                                  f"see {self.log_path(waiting[0])}")
            if waiting:
                self.stop_requested.wait(0.2)

    def watch(self) -> None:
        """Restart what crashes, in a thread that lives until the stop (the children started
        from it die with it)."""
        self._watcher = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        # The main thread takes the stop signals. This thread ends only after the stop: the
        # kernel sends the parent-death signal when the *thread* that forked a child ends.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        while True:
            time.sleep(0.25)
            with self._lock:
                if self._stopped:
                    return
                if not self.stop_requested.is_set():
                    for component in self.components:
                        try:
                            self._look_after(component)
                        except Exception:  # this thread must outlive its children: log and go on
                            log.exception("supervising %s failed", component.name)

    def _look_after(self, c: Component) -> None:
        now = time.monotonic()
        if c.process is not None:
            code = c.process.poll()
            if code is None:
                if not c._answering and c.ready():
                    c._answering = True
                    log.info("%s is back (pid %d, restart %d)", c.name, c.pid, c.restarts)
                if now - c._started_at > STEADY_SECONDS:
                    c._delay = FIRST_DELAY
                return
            terminate(c.process, timeout=1)  # anything it left in its session
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
            log.error("%s (pid %d) stopped: %s; restarting in %.0f s; see %s", c.name, c.pid, how, c._delay,
                      self.log_path(c))
            c.process, c._next_start = None, now + c._delay
            c._delay = min(c._delay * 2, MAX_DELAY)
            return
        if now < c._next_start:
            return
        holder = ports.holder(c.port) if c.port is not None else None
        if holder is not None:
            log.error("%s cannot restart: port %d is held by %s; trying again in %.0f s", c.name, c.port, holder, c._delay)
            c._next_start = now + c._delay
            c._delay = min(c._delay * 2, MAX_DELAY)
            return
        c.restarts += 1
        self._spawn(c)
        log.info("%s restarted (pid %d)", c.name, c.pid)

    def stop(self) -> None:
        """Stop everything, the last started first. Stop signals are blocked in this thread
        meanwhile (and only asked for again: the handler just sets an event), so nothing
        interrupts the stop half-way."""
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        self.stop_requested.set()
        with self._lock:
            self._stopped = True
            for component in reversed(self.components):
                if component.process is not None:
                    terminate(component.process)
                    component.process = None
        if self._watcher is not None:
            self._watcher.join()
        self.components.clear()
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a signal that came meanwhile is handled now
