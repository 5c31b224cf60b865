"""The deployment description stays valid, and the compose file's environment is the service's."""
import os
import re
import shutil
import subprocess
from collections import Counter

import pytest
import yaml

from handoff.balancer import COMPOSE_REPLICAS, compose_config
from handoff.config import PROJECT_ROOT, Settings
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
    running = [name for name in compose if name not in ("turn", "tls-cert")]  # TURN on the host; a one-shot
    deployed = Counter({name.split("-")[0]: 0 for name in running})
    for name, service in compose.items():
        if name in running:
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


# Settings the compose deployment does not set, and why.
NOT_IN_COMPOSE = {
    "HANDOFF_DEMO_ACCOUNTS_FILE": "demo accounts are for `make run` only, never in a deployment",
    "RASA_TOKEN": "only the fallback name of HANDOFF_RASA_TOKEN, which compose sets",
    "HANDOFF_BEHIND_PROXY": "an old setting, refused at start in favour of HANDOFF_TRUSTED_PROXIES",
}
# What a notification worker needs of them (it never holds the service token, TURN's or Rasa's).
WORKER_NEEDS = re.compile(r"REDIS_URL|HANDOFF_(SECRET_KEY|PUBLIC_URL|DATA_DIR|SMTP_\w+|SMS_\w+|OUTBOX_DIR|NOTIFY_\w+"
                          r"|SLOT_MINUTES|MIN_LEAD_MINUTES|HORIZON_DAYS|CHANGE_NOTICE_HOURS|JOIN_GRACE_MINUTES)")


class RecordingEnvironment(dict):
    """os.environ for Settings.from_env(): remembers every name it looks up."""

    def __init__(self, values: dict[str, str]):
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, name, default=None):
        self.read.add(name)
        return super().get(name, default)

    def __getitem__(self, name):
        self.read.add(name)
        return super().__getitem__(name)


def read_settings(monkeypatch, values: dict[str, str]) -> tuple[Settings, set[str]]:
    """Settings.from_env() with exactly `values` as the environment; and the names it read."""
    environment = RecordingEnvironment(values)
    monkeypatch.setattr(os, "environ", environment)
    settings = Settings.from_env()
    monkeypatch.undo()
    return settings, environment.read


def image_environment() -> dict[str, str]:
    """What handoff/Dockerfile's ENV lines set."""
    lines = [line for line in (PROJECT_ROOT / "handoff" / "Dockerfile").read_text().splitlines() if line.startswith("ENV ")]
    return dict(pair.split("=", 1) for line in lines for pair in line.split()[1:])


_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def render(value: object, environment: dict[str, str]) -> str:
    """Compose's interpolation of one value: ${X}, ${X:-default}, ${X-default}, ${X:?error}, $$."""
    def one(match: re.Match) -> str:
        if match[0] == "$$":
            return "$"
        name, operator, argument = match[1], match[2], match[3]
        given = environment.get(name)
        if operator in (":?", "?") and not (given or (operator == "?" and given is not None)):
            raise KeyError(f"{name}: {argument}")
        if operator in (":-", "-") and not (given or (operator == "-" and given is not None)):
            return argument
        return given or ""
    return _VARIABLE.sub(one, str(value))


def test_compose_sets_every_setting_of_the_service_and_only_those(monkeypatch):
    _, read = read_settings(monkeypatch, {})
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]
    handoff = set(compose["handoff"]["environment"]) | set(image_environment())
    assert handoff - read == set(), "compose sets what the service never reads"
    assert read - handoff == set(NOT_IN_COMPOSE), "settings an operator could not give in compose"
    worker = set(compose["notify"]["environment"])
    assert worker - read == set(), "compose gives the worker what it never reads"
    assert {name for name in read if WORKER_NEEDS.fullmatch(name)} <= worker
    assert not worker & {"HANDOFF_SERVICE_TOKEN", "HANDOFF_TURN_SECRET", "HANDOFF_RASA_TOKEN"}


def test_the_rendered_compose_environment_configures_the_service(monkeypatch):
    """The compose file's environment, rendered as compose does with only the secrets given,
    read by the service's own Settings: a working, safe configuration, the rest the defaults."""
    secrets = {"REDIS_PASSWORD": "redis-pass-1", "HANDOFF_SECRET_KEY": "k" * 32, "HANDOFF_SERVICE_TOKEN": "service-1",
               "RASA_TOKEN": "rasa-1", "HANDOFF_TURN_SECRET": "turn-1", "HANDOFF_TURN_URLS": "turn:turn.example.gr:3478",
               "ACTIONS_TOKEN": "actions-1"}
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]
    rendered = {name: render(value, secrets) for name, value in compose["handoff"]["environment"].items()}
    settings, _ = read_settings(monkeypatch, image_environment() | rendered)
    assert settings.redis_url == "redis://:redis-pass-1@redis:6379/0"
    assert settings.public_url == "https://localhost" and settings.secure_cookies
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert settings.trusted_proxies == ("172.31.250.0/24",)
    assert settings.turn is not None and settings.rasa_token == "rasa-1"
    assert settings.rasa_url.count("http://rasa-") == COMPOSE_REPLICAS
    assert settings.demo_accounts_file is None
    defaults = Settings()
    for name in ("slot_minutes", "horizon_days", "change_notice_hours", "retention_days", "max_bookings_per_citizen",
                 "login_attempts_per_minute", "public_requests_per_minute", "bookings_per_address_per_hour",
                 "sms_sender", "notify_lanes", "data_dir"):
        assert getattr(settings, name) == getattr(defaults, name), name  # an empty pass-through is the default
    worker, _ = read_settings(monkeypatch, image_environment()
                              | {n: render(v, secrets) for n, v in compose["notify"]["environment"].items()})
    assert (worker.redis_url, worker.secret_key, worker.base_url) == (settings.redis_url, settings.secret_key,
                                                                    settings.base_url)
    with pytest.raises(KeyError, match="HANDOFF_SECRET_KEY"):  # compose refuses to start without a secret
        render(compose["handoff"]["environment"]["HANDOFF_SECRET_KEY"], {})
