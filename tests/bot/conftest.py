"""Bot tests run in .venv-bot (Python 3.10, Rasa 3.6): `make test-bot`."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

MODEL = Path(__file__).resolve().parents[2] / "models" / "kep.tar.gz"


@pytest.fixture(scope="session")
def agent():
    """The trained model (`make train`), loaded once."""
    from rasa.core.agent import Agent

    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    return Agent.load(str(MODEL))
