"""The deployment description stays valid."""
import re
import shutil
import subprocess
from collections import Counter

import pytest
import yaml

from handoff.balancer import COMPOSE_REPLICAS, compose_config
from handoff.config import PROJECT_ROOT
from handoff.stack import RASA_ENDPOINTS, TICKET_LOCK_SECONDS, Stack, rasa_endpoints


def test_compose_file_describes_the_services():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    assert {"redis", "haproxy", "handoff", "notify", "rasa-1", "actions-1"} <= set(compose["services"])
    assert compose["services"]["notify"]["command"] == ["python", "-m", "handoff", "notify"]
    assert "redis.conf" in " ".join(compose["services"]["redis"]["command"])  # the AOF configuration
    for service in compose["services"].values():
        if "build" in service:
            assert (PROJECT_ROOT / service["build"]["context"] / service["build"].get("dockerfile", "Dockerfile")).exists()


def test_conversations_live_in_redis_in_compose_and_in_make_run():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    for rasa in ("rasa-1", "rasa-2"):
        assert set(re.findall(r"\$\{(\w+)\}", RASA_ENDPOINTS.read_text())) <= set(compose["services"][rasa]["environment"])
        assert "redis" in compose["services"][rasa]["depends_on"]
        assert compose["services"][rasa]["environment"]["TICKET_LOCK_LIFETIME"] == TICKET_LOCK_SECONDS
    deployed = yaml.safe_load(RASA_ENDPOINTS.read_text())
    local = rasa_endpoints("http://127.0.0.1:5055/webhook", "redis://127.0.0.1:6390/0", db=1)
    for endpoints in (deployed, local):
        assert endpoints["tracker_store"]["type"] == endpoints["lock_store"]["type"] == "redis"
        assert endpoints["tracker_store"]["record_exp"] == 24 * 3600
    for store in ("tracker_store", "lock_store"):
        assert local[store].items() >= {"url": "127.0.0.1", "port": 6390, "db": 1}.items()
    assert "password" not in local["tracker_store"]
    with_password = rasa_endpoints("http://a/webhook", "redis://:s3cret@10.0.0.5:6379/0", db=2)["lock_store"]
    assert with_password["password"] == "${RASA_REDIS_PASSWORD}" and with_password["db"] == 2  # not on disk
    assert "tracker_store" not in rasa_endpoints("http://a/webhook", None, db=1)  # the embedded store: in memory


def test_compose_has_the_topology_of_the_cluster_launcher(tmp_path):
    """`python -m handoff.stack --replicas N` and docker-compose.yml run the same processes:
    HAProxy (with the same configuration), N handoff, N Rasa servers each with its own action
    server, the notification worker and Redis."""
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]
    deployed = Counter({name.split("-")[0]: 0 for name in compose if name != "turn"})
    for name, service in compose.items():
        if name != "turn":
            deployed[name.split("-")[0]] += service.get("deploy", {}).get("replicas", 1)
    stack = Stack(tmp_path, replicas=COMPOSE_REPLICAS, rasa_servers=COMPOSE_REPLICAS, redis_url="redis://127.0.0.1:6390/0")
    local = Counter(c.name.split("-")[0] for group in stack._components() for c in group) + Counter(redis=1)
    assert deployed == local == Counter(haproxy=1, handoff=COMPOSE_REPLICAS, notify=1, rasa=COMPOSE_REPLICAS,
                                        actions=COMPOSE_REPLICAS, redis=1)
    assert (PROJECT_ROOT / "deploy" / "haproxy.cfg").read_text() == compose_config()  # `python -m handoff.balancer`
    assert compose["handoff"]["environment"]["HANDOFF_RASA_URL"].count("http://rasa-") == COMPOSE_REPLICAS
    local_config = (tmp_path / "haproxy.cfg").read_text()
    assert local_config.count("    server handoff-") == COMPOSE_REPLICAS and "option httpchk GET /healthz" in local_config


def compose_client() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "compose", "version"], capture_output=True
    ).returncode == 0


@pytest.mark.skipif(not compose_client(), reason="no `docker compose` client on this machine")
def test_docker_compose_config_is_valid():
    subprocess.run(["docker", "compose", "config", "--quiet"], cwd=PROJECT_ROOT, check=True)
