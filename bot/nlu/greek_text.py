"""One normal form for Greek as citizens type it: accented or not, any case, in Greek
letters or in Greeklish, with doubled letters and the usual spelling slips.

Greeklish is lossy — `i` stands for η, ι, υ, ει and οι; `o` for ο and ω — so transliterating
it alone cannot recover the spelling. Instead both scripts are brought to the same
*phonetic* spelling: the vowels and digraphs that sound alike are merged (η/υ/ει/οι → ι,
ω → ο, αι → ε, αυ/ευ → αβ/εβ or αφ/εφ as pronounced) and doubled letters are squeezed.
"διαβατήριο", "ΔΙΑΒΑΤΗΡΙΟ", "diavatirio" and "diavathrio" all become "διαβατιριο". The
classifier only ever sees this form, at training and at prediction time.

Pure functions, no Rasa import: usable and testable from anywhere.
"""
from __future__ import annotations

import re
import unicodedata

# Latin → Greek. Context rules first: informal Greeklish writes η as "h" (the letters look
# alike), so "th" is τη where θ cannot stand — at the end of a word ("sth", "thn", "ths") or
# before a consonant other than ρ/ν ("kathgoria", "thlefono", "tavtothta") — and "ph" is πη
# ("phra"), since φ is written "f". Otherwise ELOT 743 and the common habits: th/8 for θ,
# x/ch for χ, ks/3 for ξ, ps for ψ, w for ω, b for μπ.
_CONTEXT_RULES = [
    (r"th(?=n(?![a-z]))", "τη"),
    (r"th(?=s(?![a-z]))", "τη"),
    (r"th(?![a-z])", "τη"),
    (r"th(?=[bcdfgjklmpqstvxz])", "τη"),
]
_LETTERS = [
    ("th", "θ"), ("ch", "χ"), ("ph", "πη"), ("ps", "ψ"), ("ks", "ξ"), ("cs", "ξ"),
    ("ou", "ου"), ("mp", "μπ"), ("nt", "ντ"), ("gk", "γκ"), ("gg", "γγ"),
    ("a", "α"), ("b", "μπ"), ("c", "κ"), ("d", "δ"), ("e", "ε"), ("f", "φ"), ("g", "γ"), ("h", "η"),
    ("i", "ι"), ("j", "τζ"), ("k", "κ"), ("l", "λ"), ("m", "μ"), ("n", "ν"), ("o", "ο"), ("p", "π"),
    ("q", "κ"), ("r", "ρ"), ("s", "σ"), ("t", "τ"), ("u", "υ"), ("v", "β"), ("w", "ω"), ("x", "χ"),
    ("y", "υ"), ("z", "ζ"), ("8", "θ"), ("3", "ξ"),
]
_TRANSLITERATION = re.compile(
    "|".join(f"(?P<c{i}>{pattern})" for i, (pattern, _) in enumerate(_CONTEXT_RULES))
    + "|" + "|".join(re.escape(latin) for latin, _ in _LETTERS)
)
_LETTER_MAP = dict(_LETTERS)
_LATIN_WORD = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*")
_VOICELESS = "θκξπστφχψ"

# Sounds-alike merges, applied in order to unaccented lower-case Greek. αυ/ευ (and the
# Greeklish "av"/"ev") are αφ/εφ before a voiceless consonant and αβ/εβ elsewhere, as said.
_PHONETIC = [
    (re.compile(f"([αε])[υβ](?=[{_VOICELESS}])"), r"\1φ"),
    (re.compile("([αε])υ"), r"\1β"),
    (re.compile("ου"), "\0"),  # protect ου from the υ → ι merge below
    (re.compile("[ηυ]"), "ι"),
    (re.compile("ω"), "ο"),
    (re.compile("ει|οι"), "ι"),
    (re.compile("αι"), "ε"),
    (re.compile("\0"), "ου"),
    (re.compile(r"([α-ω])\1+"), r"\1"),
]


# Greek capitals that look like Latin ones, as Latin: codes and document numbers are printed in
# Latin letters, and a citizen on a Greek keyboard types their look-alikes.
LATIN_LOOKALIKES = str.maketrans("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX")


def strip_accents(text: str) -> str:
    """Remove τόνοι and διαλυτικά (and any other combining mark)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def greeklish_to_greek(text: str) -> str:
    """Transliterate every word written in Latin letters; Greek words pass through."""
    def letter(match: re.Match) -> str:
        context = next((i for i, group in enumerate(match.groups()) if group is not None), None)
        return _CONTEXT_RULES[context][1] if context is not None else _LETTER_MAP[match.group(0)]

    return _LATIN_WORD.sub(lambda word: _TRANSLITERATION.sub(letter, word.group(0)), text)


def phonetic(text: str) -> str:
    for pattern, replacement in _PHONETIC:
        text = pattern.sub(replacement, text)
    return text


def normalise(text: str) -> str:
    """The classifier's view of a citizen's message."""
    text = greeklish_to_greek(strip_accents(text.casefold())).replace("ς", "σ")
    return " ".join(phonetic(text).split())
