"""`make eval`: how well the trained model understands questions it never saw, for people.

Scores two sets, each as written and in its no-accent, capitals and Greeklish variants:
- the real questions (`tests/data/real_questions.tsv`: asked by citizens on public pages,
  never trained or tuned on), with a confusion table and every error listed by kind;
- the held-out set (`tests/data/nlu_heldout.yml`: written apart from the training data).
Then the catalogue search on the clerk's queries (`tests/data/catalogue_queries.tsv`, MRR), run
in the handoff service's virtualenv where the search lives. Writes docs/nlu-evaluation.md.

A message's topic is the classifier's best intent (as `rasa test nlu` scores it); how often the
bot is sure enough to confirm at once, and how often it falls back to offering topics, are
reported beside it.
"""
from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from sklearn.metrics import f1_score, precision_recall_fscore_support

from .variants import VARIANTS

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MODEL = ROOT / "models" / "kep.tar.gz"
HANDOFF_PYTHON = ROOT / ".venv-handoff" / "bin" / "python"
CONFIRM = 0.5  # bot/actions/triage.py HIGH_CONFIDENCE
FALLBACK = 0.25  # bot/config.yml FallbackClassifier threshold
TOPIC = "topic_"


@dataclass(frozen=True)
class Prediction:
    text: str
    expected: str
    predicted: str
    confidence: float

    @property
    def right(self) -> bool:
        return self.predicted == self.expected


def real_questions() -> list[tuple[str, str]]:
    with (DATA / "real_questions.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(r["text"], r["label"] if r["label"] == "out_of_scope" else TOPIC + r["label"]) for r in rows]


def heldout() -> list[tuple[str, str]]:
    pairs = []
    for block in yaml.safe_load((DATA / "nlu_heldout.yml").read_text(encoding="utf-8"))["nlu"]:
        pairs += [(line[2:], block["intent"]) for line in block["examples"].splitlines() if line.startswith("- ")]
    return pairs


async def predict(agent, pairs: list[tuple[str, str]]) -> list[Prediction]:
    predictions = []
    for text, expected in pairs:
        parse = await agent.parse_message(text)
        best = next(r for r in parse["intent_ranking"] if r["name"] != "nlu_fallback")
        predictions.append(Prediction(text, expected, best["name"], float(best["confidence"])))
    return predictions


def scores(predictions: list[Prediction]) -> dict[str, float]:
    expected = [p.expected for p in predictions]
    got = [p.predicted for p in predictions]
    n = len(predictions)
    return {
        "macro_f1": f1_score(expected, got, labels=sorted(set(expected)), average="macro"),
        "accuracy": sum(p.right for p in predictions) / n,
        "confirmed_right": sum(p.right and p.confidence >= CONFIRM for p in predictions) / n,
        "fallback": sum(p.confidence < FALLBACK for p in predictions) / n,
    }


def error_kind(p: Prediction) -> str:
    if p.expected == "out_of_scope":
        return "not a KEP matter, read as a topic"
    if p.predicted == "out_of_scope":
        return "a KEP topic, read as not a KEP matter"
    if not p.predicted.startswith(TOPIC):
        return "a KEP topic, read as a dialogue answer"
    return "the wrong topic"


def short(intent: str) -> str:
    return intent[len(TOPIC):] if intent.startswith(TOPIC) else intent


def confusion_table(predictions: list[Prediction]) -> list[str]:
    labels = sorted({p.expected for p in predictions})
    counts = Counter((p.expected, p.predicted if p.predicted in labels else "other") for p in predictions)
    columns = [*labels, "other"]
    lines = ["| true \\ predicted | " + " | ".join(short(c)[:6] for c in columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for label in labels:
        cells = [str(counts[(label, c)] or "·") for c in columns]
        lines.append(f"| {short(label)} | " + " | ".join(cells) + " |")
    return lines


def catalogue_search_figures() -> dict:
    out = subprocess.run([str(HANDOFF_PYTHON), "-m", "handoff.catalogue_search", str(DATA / "catalogue_queries.tsv")],
                         cwd=ROOT, check=True, capture_output=True, text=True,
                         env=os.environ | {"PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout)


def section(name: str, sets: dict[str, list[Prediction]]) -> list[str]:
    base = scores(sets["as written"])
    lines = [f"| {name} | macro-F1 | accuracy | loss vs as written | confirmed at once, right | fallback |",
             "|---|---|---|---|---|---|"]
    for variant, predictions in sets.items():
        s = scores(predictions)
        lines.append(f"| {variant} | {s['macro_f1']:.3f} | {s['accuracy']:.3f} | {base['macro_f1'] - s['macro_f1']:+.3f} | "
                     f"{s['confirmed_right']:.1%} | {s['fallback']:.1%} |")
    return lines


def main() -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    sources = {"real questions": real_questions(), "held-out": heldout()}

    async def run_all() -> dict[str, dict[str, list[Prediction]]]:
        results: dict[str, dict[str, list[Prediction]]] = {}
        for name, pairs in sources.items():
            results[name] = {"as written": await predict(agent, pairs)}
            for variant, transform in VARIANTS.items():
                results[name][variant] = await predict(agent, [(transform(t), i) for t, i in pairs])
        return results

    results = asyncio.run(run_all())
    real = results["real questions"]["as written"]
    search = catalogue_search_figures()
    hosts = Counter(row.split("/")[2] for row in
                    (r["source"] for r in csv.DictReader((DATA / "real_questions.tsv").open(encoding="utf-8"), delimiter="\t"))
                    if "//" in row)
    lines = [
        "# NLU evaluation (generated by `make eval`; do not edit)", "",
        f"Model: `models/kep.tar.gz`. Real questions: {len(real)} from {len(hosts)} sites "
        "(`tests/data/real_questions.tsv`), never trained or tuned on; held-out: "
        f"{len(results['held-out']['as written'])} questions written apart from the training data. "
        f"'Confirmed at once, right': confidence ≥ {CONFIRM} and the right topic (the bot goes straight to "
        f"booking); 'fallback': confidence < {FALLBACK} (the bot offers topics instead).", "",
        *section("real questions", results["real questions"]), "",
        *section("held-out", results["held-out"]), "",
        "## Catalogue search (the clerk's search and the bot's fallback)", "",
        f"{search['queries']} clerk queries (`tests/data/catalogue_queries.tsv`, written apart from the lexicon): "
        f"MRR of the expected topic **{search['mrr']:.3f}**, first result right {search['top1']:.1%}, "
        f"expected procedure among the topic's shown procedures {search['procedure_hit']:.1%} "
        f"(of {search['with_procedure']} queries that name one).", "",
        "## Real questions, per intent", "", "| intent | precision | recall | F1 | n |", "|---|---|---|---|---|",
    ]
    labels = sorted({p.expected for p in real})
    precision, recall, f1, support = precision_recall_fscore_support(
        [p.expected for p in real], [p.predicted for p in real], labels=labels, zero_division=0)
    lines += [f"| {label} | {p:.2f} | {r:.2f} | {f:.2f} | {n} |"
              for label, p, r, f, n in zip(labels, precision, recall, f1, support, strict=True)]
    lines += ["", "## Real questions, confusion table", "", *confusion_table(real), ""]
    errors = [p for p in real if not p.right]
    kinds = Counter(error_kind(p) for p in errors)
    lines += ["## Real questions, errors by kind", "", "| kind | n |", "|---|---|"]
    lines += [f"| {kind} | {n} |" for kind, n in kinds.most_common()]
    lines += ["", "| question | true | predicted | confidence |", "|---|---|---|---|"]
    lines += [f"| {p.text.replace('|', '/')} | {short(p.expected)} | {short(p.predicted)} | {p.confidence:.2f} |"
              for p in sorted(errors, key=lambda p: (error_kind(p), p.expected))]
    if search["misses"]:
        lines += ["", "## Catalogue search, queries whose topic is not first", "", "| query | expected | first result |",
                  "|---|---|---|"]
        lines += [f"| {m['query']} | {m['expected']} | {m['first']} |" for m in search["misses"]]
    target = ROOT / "docs" / "nlu-evaluation.md"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(target.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
