"""The console's password policy: long enough, not a common password (data/common_passwords.txt,
also with digits or symbols stuck on the end), and not the username."""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from .config import PROJECT_ROOT
from .errors import InvalidFields

MIN_LENGTH = 12
MAX_LENGTH = 200
COMMON_PASSWORDS = PROJECT_ROOT / "data" / "common_passwords.txt"


@functools.cache
def _common(path: Path = COMMON_PASSWORDS) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _weak(password: str, username: str) -> str | None:
    """Why this password is refused, or None."""
    text = unicodedata.normalize("NFC", password)
    if len(text) < MIN_LENGTH:
        return f"Ο κωδικός χρειάζεται τουλάχιστον {MIN_LENGTH} χαρακτήρες (μια φράση με λέξεις είναι εύκολη στη μνήμη)."
    if len(text) > MAX_LENGTH:
        return f"Ο κωδικός είναι πολύ μεγάλος (έως {MAX_LENGTH} χαρακτήρες)."
    lowered = text.casefold()
    stem = re.sub(r"[\W\d_]+$", "", lowered)  # "password2024!" → "password"
    if lowered in _common() or stem in _common() or len(set(lowered)) < 4:
        return "Αυτός ο κωδικός είναι από τους πιο συνηθισμένους και μαντεύεται εύκολα. Διαλέξτε άλλον."
    if username and username.casefold() in lowered:
        return "Ο κωδικός δεν πρέπει να περιέχει το όνομα χρήστη."
    return None


def check_password(password: str, username: str) -> None:
    """Nothing, or InvalidFields naming what is wrong with the password."""
    problem = _weak(password, username)
    if problem:
        raise InvalidFields({"password": ("weak_password", problem)})
