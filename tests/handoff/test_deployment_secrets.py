"""The compose deployment is safe by default: Redis only on an internal network and with a
password that is never on a command line, and every service given the secrets it reads."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time

import yaml

from handoff.config import PROJECT_ROOT
from handoff.redis_server import free_port

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
REQUIRED = re.compile(r"\$\{(\w+):\?")


def test_redis_is_on_an_internal_network_with_a_password_every_client_has():
    assert COMPOSE["networks"]["backend"]["internal"] is True
    assert SERVICES["redis"]["networks"] == ["backend"] and "ports" not in SERVICES["redis"]
    assert REQUIRED.findall(SERVICES["redis"]["environment"]["REDIS_PASSWORD"]) == ["REDIS_PASSWORD"]
    for name in ("handoff", "notify"):
        assert "backend" in SERVICES[name]["networks"]
        assert SERVICES[name]["environment"]["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?")
    for name in ("rasa-1", "rasa-2"):
        assert "backend" in SERVICES[name]["networks"]
        assert REQUIRED.findall(SERVICES[name]["environment"]["RASA_REDIS_PASSWORD"]) == ["REDIS_PASSWORD"]


def test_each_service_has_the_secrets_it_reads():
    needs = {
        "handoff": {"REDIS_URL", "HANDOFF_SECRET_KEY", "HANDOFF_SERVICE_TOKEN", "HANDOFF_PUBLIC_URL", "HANDOFF_RASA_URL",
                    "HANDOFF_RASA_TOKEN", "HANDOFF_TURN_SECRET"},
        "notify": {"REDIS_URL", "HANDOFF_SECRET_KEY", "HANDOFF_PUBLIC_URL"},
        "actions-1": {"HANDOFF_URL", "HANDOFF_SERVICE_TOKEN", "ACTIONS_TOKEN"},
        "rasa-1": {"ACTION_ENDPOINT_URL", "ACTIONS_TOKEN", "RASA_TOKEN", "RASA_REDIS_PASSWORD"},
    }
    for name, variables in needs.items():
        missing = variables - set(SERVICES[name]["environment"])
        assert not missing, f"{name} lacks {missing}"
    secrets = {"HANDOFF_SECRET_KEY", "HANDOFF_SERVICE_TOKEN", "ACTIONS_TOKEN", "RASA_TOKEN", "REDIS_PASSWORD", "HANDOFF_TURN_SECRET"}
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    assert secrets <= set(REQUIRED.findall(text))  # none has a default: compose refuses to start without it


def test_the_compose_redis_command_demands_the_password_and_does_not_show_it(tmp_path):
    """The compose command, run here against the project's redis.conf with a local data folder."""
    port, password = free_port(), "a-test-password-0123456789"
    command = SERVICES["redis"]["command"][2].replace("$$", "$").replace("/usr/local/etc/redis/redis.conf",
                                                                          str(PROJECT_ROOT / "redis" / "redis.conf"))
    command = command.replace("--dir /data", f"--dir {tmp_path} --port {port}")
    process = subprocess.Popen(["sh", "-c", command], env={**os.environ, "REDIS_PASSWORD": password},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(50):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    anonymous = conn.recv(64)
                    conn.sendall(f"AUTH {password}\r\nPING\r\n".encode())
                    time.sleep(0.1)
                    authenticated = conn.recv(64)
                break
            except OSError:
                time.sleep(0.1)
        assert anonymous.startswith(b"-NOAUTH") and b"+PONG" in authenticated
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                argv = open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                continue
            assert password.encode() not in argv, "the password is on a command line"
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the shell and the redis-server it started
        process.wait(timeout=10)
