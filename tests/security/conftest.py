"""Attacks on the running service: the same real Redis and app fixtures as tests/handoff."""
from tests.handoff.conftest import *  # noqa: F403 - the fixtures (redis_server, redis, settings, clock, client, …)
