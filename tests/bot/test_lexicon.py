"""The domain's vocabulary (data/lexicon/): one file per topic of the catalogue plus the
matters that are not a KEP matter, in one schema, the catalogue's procedures first, and
every phrase pointing to one topic only."""
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from bot.nlu.greek_text import normalise

ROOT = Path(__file__).resolve().parents[2]
LEXICON = ROOT / "data" / "lexicon"
CATALOGUE = yaml.safe_load((ROOT / "data" / "topics.yml").read_text(encoding="utf-8"))["topics"]
TOPIC_IDS = [topic["id"] for topic in CATALOGUE]
OUT_OF_SCOPE = "out_of_scope"
SECTIONS = ("agencies", "procedures", "terms")


def load(name: str) -> dict:
    return yaml.safe_load((LEXICON / f"{name}.yml").read_text(encoding="utf-8"))


def entries(lexicon: dict) -> list[dict]:
    sections = ("matters",) if lexicon["topic"] == OUT_OF_SCOPE else SECTIONS
    return [entry for section in sections for entry in lexicon[section]]


def phrases(lexicon: dict) -> list[str]:
    """Every name and alias of a file: what the classifier and the search match on."""
    return [phrase for entry in entries(lexicon) for phrase in [entry["name"], *entry["aliases"]]]


def every_lexicon() -> list[dict]:
    return [load(path.stem) for path in sorted(LEXICON.glob("*.yml"))]


def test_one_file_per_catalogue_topic_and_one_for_out_of_scope():
    assert sorted(path.stem for path in LEXICON.glob("*.yml")) == sorted([*TOPIC_IDS, OUT_OF_SCOPE])


@pytest.mark.parametrize("topic", CATALOGUE, ids=TOPIC_IDS)
def test_topic_file_follows_the_schema(topic):
    lexicon = load(topic["id"])
    assert set(lexicon) == {"topic", *SECTIONS}
    assert lexicon["topic"] == topic["id"]
    for section in SECTIONS:
        assert lexicon[section], f"{section} is empty"
        for entry in lexicon[section]:
            assert set(entry) == {"name", "aliases"}, entry
            assert isinstance(entry["name"], str) and entry["name"].strip(), entry
            assert isinstance(entry["aliases"], list), entry
            assert all(isinstance(alias, str) and alias.strip() for alias in entry["aliases"]), entry
    aliases = sum(len(entry["aliases"]) for entry in entries(lexicon))
    assert aliases >= 40, f"only {aliases} aliases"


@pytest.mark.parametrize("topic", CATALOGUE, ids=TOPIC_IDS)
def test_procedures_start_with_the_catalogue_ones_exactly(topic):
    names = [procedure["name"] for procedure in load(topic["id"])["procedures"]]
    assert names[: len(topic["procedures"])] == topic["procedures"]


def test_no_phrase_is_written_twice_in_a_file():
    for lexicon in every_lexicon():
        counts = Counter(normalise(phrase) for phrase in phrases(lexicon))
        twice = sorted(form for form, count in counts.items() if count > 1)
        assert not twice, f"{lexicon['topic']}: {twice}"


def test_no_phrase_points_to_two_topics():
    owners: dict[str, set[str]] = defaultdict(set)
    for lexicon in every_lexicon():
        for phrase in phrases(lexicon):
            owners[normalise(phrase)].add(lexicon["topic"])
    shared = {form: sorted(topics) for form, topics in owners.items() if len(topics) > 1}
    assert not shared, shared


def test_every_phrase_keeps_a_meaningful_normal_form():
    # "ΕΕΕ" or "ΑΕΙ" collapse to one letter once doubled letters and digraphs are merged.
    too_short = [(lexicon["topic"], phrase) for lexicon in every_lexicon()
                 for phrase in phrases(lexicon) if len(normalise(phrase)) < 2]
    assert not too_short, too_short


def test_out_of_scope_matters_say_who_handles_them():
    lexicon = load(OUT_OF_SCOPE)
    assert set(lexicon) == {"topic", "matters"} and lexicon["topic"] == OUT_OF_SCOPE
    assert len(lexicon["matters"]) >= 20
    for matter in lexicon["matters"]:
        assert set(matter) == {"name", "aliases", "handled_by"}, matter
        assert matter["aliases"] and all(isinstance(alias, str) and alias.strip() for alias in matter["aliases"])
        assert isinstance(matter["handled_by"], str) and matter["handled_by"].strip(), matter


def test_inflection_capitals_and_greeklish_reach_the_same_stems():
    from bot.nlu.lexicon import stems

    assert stems("ταυτότητας") == stems("ΤΑΥΤΟΤΗΤΕΣ") == stems("taftotita")
    assert stems("η άδεια οδήγησης") == stems("ADEIA ODIGISIS")  # the article says nothing


def test_a_phrase_is_found_inside_a_sentence_and_points_to_its_topic():
    from bot.nlu.lexicon import default_lexicon

    weights = default_lexicon().topic_weights("Μου ζήτησαν απόσπασμα ποινικού μητρώου για τον διαγωνισμό")
    assert max(weights, key=weights.get) == "justice"


def test_a_matter_outside_the_keps_is_named_with_who_handles_it():
    from bot.nlu.lexicon import default_lexicon

    matter = default_lexicon().outside_matter("Ήρθε πάλι λάθος ο λογαριασμός ΔΕΗ")
    assert matter is not None and matter.handled_by
    assert default_lexicon().outside_matter("χρειάζομαι το ποινικό μου μητρώο για μια πρόσληψη") is None


def test_a_change_to_the_lexicon_changes_the_classifiers_fingerprint(tmp_path):
    """Rasa restores a component from its cache unless its fingerprint changes: an edited
    lexicon file must train the classifier again."""
    from bot.nlu.classifier import TfidfIntentClassifier
    from bot.nlu.lexicon import LEXICON_DIR, TEMPLATES, lexicon_fingerprint

    assert TfidfIntentClassifier.fingerprint_addon({}) == lexicon_fingerprint()
    copy = tmp_path / "lexicon"
    copy.mkdir()
    for path in LEXICON_DIR.glob("*.yml"):
        (copy / path.name).write_bytes(path.read_bytes())
    before = lexicon_fingerprint(copy, TEMPLATES)
    assert before == lexicon_fingerprint()
    with (copy / "tax.yml").open("a", encoding="utf-8") as f:
        f.write("  - name: Ένας νέος όρος\n")
    assert lexicon_fingerprint(copy, TEMPLATES) != before
