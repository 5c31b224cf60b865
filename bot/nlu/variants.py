"""Make the held-out variants: the same questions without accents, in capitals, and in
Greeklish, so the report can show how much each way of writing costs.

    .venv-bot/bin/python -m bot.nlu.variants tests/data/nlu_heldout.yml

The Greeklish is written the way people type it, not the way the normaliser reads it:
mostly ELOT-like (θ→th, χ→x, η→i, ω→o, υ→y), with a deterministic share of informal habits
(η→h, ω→w, ου→u) so both styles are tested.
"""
from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import Callable

import yaml

from .greek_text import strip_accents

_DIGRAPHS = [("ου", "ou"), ("αυ", "av"), ("ευ", "ev"), ("μπ", "mp"), ("ντ", "nt"), ("γκ", "gk")]
_LETTERS = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i", "κ": "k",
    "λ": "l", "μ": "m", "ν": "n", "ξ": "ks", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t",
    "υ": "y", "φ": "f", "χ": "x", "ψ": "ps", "ω": "o",
}
_INFORMAL = {"η": "h", "ω": "w", "θ": "8", "υ": "u"}


def to_greeklish(text: str, informal_every: int = 3) -> str:
    """Latin-letter Greek; every `informal_every`-th word uses the informal habits."""
    words = []
    for n, word in enumerate(strip_accents(text.lower()).split()):
        informal = n % informal_every == informal_every - 1
        out, i = "", 0
        while i < len(word):
            pair = word[i : i + 2]
            digraph = next((latin for greek, latin in _DIGRAPHS if pair == greek), None)
            if digraph:
                out, i = out + digraph, i + 2
                continue
            c = word[i]
            out += _INFORMAL.get(c) if informal and c in _INFORMAL else _LETTERS.get(c, c)
            i += 1
        words.append(out)
    return " ".join(words)


VARIANTS: dict[str, Callable[[str], str]] = {
    "noaccents": lambda t: strip_accents(t),
    "capitals": lambda t: strip_accents(unicodedata.normalize("NFC", t)).upper(),
    "greeklish": to_greeklish,
}


def write_variants(source: Path) -> list[Path]:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    written = []
    for name, transform in VARIANTS.items():
        lines = [f"# Generated from {source.name} by bot/nlu/variants.py ({name}); do not edit.",
                 'version: "3.1"', "nlu:"]
        for block in data["nlu"]:
            lines += [f"- intent: {block['intent']}", "  examples: |"]
            lines += [f"    - {transform(line[2:])}" for line in block["examples"].splitlines() if line.startswith("- ")]
        target = source.with_name(f"{source.stem}_{name}.yml")
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_variants(Path(sys.argv[1])):
        print(path)
