"""Who holds a TCP port: the launcher reports a port already in use with the process that
listens on it (Linux: the listening socket's inode in /proc/net/tcp*, then the process whose
file descriptors include that socket), instead of letting a component die on «address already
in use» half-way through the start."""
from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from pathlib import Path

LISTEN = "0A"  # TCP state in /proc/net/tcp


@dataclass(frozen=True)
class Holder:
    pid: int | None  # None: a process this user may not look into
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.command})" if self.pid else "a process of another user"


def in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is no obstacle
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)[:160]


def holder(port: int) -> Holder | None:
    """The process listening on `port`, or None when nothing listens there."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    sockets = {f"socket:[{inode}]" for inode in inodes}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            for fd in os.scandir(f"/proc/{entry.name}/fd"):
                if os.readlink(fd.path) in sockets:
                    return Holder(int(entry.name), _command(int(entry.name)))
        except OSError:  # gone, or another user's
            continue
    return Holder(None, "?")
