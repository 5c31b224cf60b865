"""Bot tests run in .venv-bot (Python 3.10, Rasa 3.6): `make test-bot`."""
import os

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
