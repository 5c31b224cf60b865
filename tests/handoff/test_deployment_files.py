"""The deployment description stays valid."""
import shutil
import subprocess

import pytest
import yaml

from handoff.config import PROJECT_ROOT


def test_compose_file_describes_the_services():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    assert {"redis", "handoff", "notify", "rasa", "actions"} <= set(compose["services"])
    assert compose["services"]["notify"]["command"] == ["python", "-m", "handoff", "notify"]
    assert "redis.conf" in " ".join(compose["services"]["redis"]["command"])  # the AOF configuration
    for service in compose["services"].values():
        if "build" in service:
            assert (PROJECT_ROOT / service["build"]["context"] / service["build"].get("dockerfile", "Dockerfile")).exists()


def compose_client() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "compose", "version"], capture_output=True
    ).returncode == 0


@pytest.mark.skipif(not compose_client(), reason="no `docker compose` client on this machine")
def test_docker_compose_config_is_valid():
    subprocess.run(["docker", "compose", "config", "--quiet"], cwd=PROJECT_ROOT, check=True)
