"""A local `redis-server` with the project's configuration (`redis/redis.conf`, AOF on).

Used where the project starts Redis itself: `make run` on a machine without REDIS_URL, the
test suite (one server per session, on a free port, in its own directory) and the
benchmarks. Production points REDIS_URL at its own Redis instead.
"""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from .config import PROJECT_ROOT
from .supervisor import spawn

CONFIG = PROJECT_ROOT / "redis" / "redis.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, data_dir: Path, port: int | None = None):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def command(self) -> list[str]:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install -y redis-server)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # the AOF holds citizens' data: nobody else may read it
        return [binary, str(CONFIG), "--port", str(self.port), "--dir", str(self.data_dir),
                "--logfile", str(self.data_dir / "redis.log")]

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start it as a child that dies with this process (see supervisor.spawn)."""
        command = self.command
        self._process = spawn(command, log_path=self.data_dir / "stdout.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.data_dir / 'redis.log'}")
            if self.answers():
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer in time")

    def stop(self, kill: bool = False) -> None:
        """Stop it; `kill=True` is a crash (SIGKILL), with no chance to save."""
        if self._process is None:
            return
        self._process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self._process.wait(timeout=10)
        self._process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
