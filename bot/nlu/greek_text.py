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

# Latin → Greek, longest first. ELOT 743 and the informal habits: th/8 for θ, x/ch for χ,
# ks/3 for ξ, w for ω, h for η (the letters look alike), b for μπ. "th" before n/s/m at the end
# of a word is τη, as in "thn", "ths", "sthn" (την, της, στην), not θ.
_GREEKLISH = [
    ("thn", "την"), ("ths", "της"), ("th", "τη"),  # at the end of a word only: see _WORD_END
    ("th", "θ"), ("ch", "χ"), ("ph", "φ"), ("ps", "ψ"), ("ks", "ξ"), ("cs", "ξ"),
    ("ou", "ου"), ("mp", "μπ"), ("nt", "ντ"), ("gk", "γκ"), ("gg", "γγ"),
    ("a", "α"), ("b", "μπ"), ("c", "κ"), ("d", "δ"), ("e", "ε"), ("f", "φ"), ("g", "γ"), ("h", "η"),
    ("i", "ι"), ("j", "τζ"), ("k", "κ"), ("l", "λ"), ("m", "μ"), ("n", "ν"), ("o", "ο"), ("p", "π"),
    ("q", "κ"), ("r", "ρ"), ("s", "σ"), ("t", "τ"), ("u", "υ"), ("v", "β"), ("w", "ω"), ("x", "χ"),
    ("y", "υ"), ("z", "ζ"), ("8", "θ"), ("3", "ξ"),
]
_WORD_END = {"thn": "την", "ths": "της", "th": "τη"}
_GREEKLISH_RE = re.compile(
    "|".join(f"{latin}(?![a-z])" if i < len(_WORD_END) else latin for i, (latin, _) in enumerate(_GREEKLISH))
)
_GREEKLISH_MAP = dict(_GREEKLISH[len(_WORD_END):])
_LATIN_WORD = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*")
_VOICELESS = "θκξπστφχψ"

# Sounds-alike merges, applied in order to unaccented lower-case Greek.
_PHONETIC = [
    (re.compile(f"([αε])υ(?=[{_VOICELESS}])"), r"\1φ"),
    (re.compile("([αε])υ"), r"\1β"),
    (re.compile("ου"), "\0"),  # protect ου from the υ → ι merge below
    (re.compile("ει|οι|υι"), "ι"),
    (re.compile("[ηυ]"), "ι"),
    (re.compile("ω"), "ο"),
    (re.compile("αι"), "ε"),
    (re.compile("\0"), "ου"),
    (re.compile(r"([α-ω])\1+"), r"\1"),
]


def strip_accents(text: str) -> str:
    """Remove τόνοι and διαλυτικά (and any other combining mark)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def greeklish_to_greek(text: str) -> str:
    """Transliterate every word written in Latin letters; Greek words pass through."""
    def letter(g: re.Match) -> str:
        latin = g.group(0)
        at_word_end = g.end() == len(g.string) or not g.string[g.end()].isalpha()
        return _WORD_END[latin] if at_word_end and latin in _WORD_END else _GREEKLISH_MAP[latin]

    return _LATIN_WORD.sub(lambda m: _GREEKLISH_RE.sub(letter, m.group(0)), text)


def phonetic(text: str) -> str:
    for pattern, replacement in _PHONETIC:
        text = pattern.sub(replacement, text)
    return text


def normalise(text: str) -> str:
    """The classifier's view of a citizen's message."""
    text = strip_accents(text.casefold()).replace("ς", "σ")
    text = greeklish_to_greek(text)
    return " ".join(phonetic(text).split())
