"""Intent classifier for Greek: TF-IDF over words and character n-grams, logistic regression.

Why not Rasa's own LogisticRegressionClassifier on CountVectorsFeaturizer output: on the
held-out questions, raw counts and Rasa's fixed `class_weight="balanced"` (which shrinks
`out_of_scope`, our largest class) cost 5–10 points of macro-F1 against sublinear TF-IDF with
a tuned C; the measurements are in docs/nlu-report.md. This component keeps the same shape:
it reads the tokens of the Greek tokenizer and writes `intent` and `intent_ranking`.

The domain's vocabulary (`data/lexicon/`, bot/nlu/lexicon.py) comes in as training examples
generated from its templates, weighted below the written examples (0.25, chosen on the dev set:
docs/nlu-report.md, "The lexicon"; one feature per topic counting the lexicon's words in the
message was tried and cost 2–5 points there).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union

from .greek_text import normalise
from .lexicon import default_lexicon, lexicon_fingerprint

logger = logging.getLogger(__name__)
MODEL_FILE = "tfidf_intent_classifier.joblib"


def _text_of(message: Message) -> str:
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(t.text for t in tokens) if tokens else (message.get(TEXT) or "")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "C": 10.0,
            "max_iter": 3000,
            "ranking_length": 10,
            "lexicon_examples": 0.25,  # weight of the examples generated from the lexicon; 0 leaves them out
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Optional[Pipeline] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = pipeline

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """The lexicon is read from files the training graph does not know: a change to them
        must train the classifier again, not restore it from Rasa's cache."""
        return lexicon_fingerprint()

    def _new_pipeline(self) -> Pipeline:
        features = make_union(
            TfidfVectorizer(sublinear_tf=True, ngram_range=tuple(self._config["word_ngrams"]), token_pattern=r"\S+"),
            TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=tuple(self._config["char_ngrams"])),
        )
        return make_pipeline(features, LogisticRegression(C=self._config["C"], max_iter=self._config["max_iter"]))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: %s is left untrained.", self.__class__.__name__)
            return self._resource
        texts, intents = [_text_of(e) for e in examples], [e.get(INTENT) for e in examples]
        weights = [1.0] * len(texts)
        if self._config["lexicon_examples"]:
            intents_known = set(intents)
            generated = [(normalise(t), i) for t, i in default_lexicon().training_examples() if i in intents_known]
            texts += [t for t, _ in generated]
            intents += [i for _, i in generated]
            weights += [self._config["lexicon_examples"]] * len(generated)
        self._pipeline = self._new_pipeline()
        self._pipeline.fit(texts, intents, logisticregression__sample_weight=weights)
        with self._model_storage.write_to(self._resource) as model_dir:
            joblib.dump(self._pipeline, model_dir / MODEL_FILE)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self._pipeline is None:
            return messages
        probabilities = self._pipeline.predict_proba([_text_of(m) for m in messages])
        intents = self._pipeline.classes_
        for message, row in zip(messages, probabilities):
            ranking = sorted(
                ({"name": str(name), "confidence": float(p)} for name, p in zip(intents, row)),
                key=lambda r: -r["confidence"],
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[: self._config["ranking_length"]], add_to_output=True)
        return messages

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfIntentClassifier":
        try:
            with model_storage.read_from(resource) as model_dir:
                pipeline = joblib.load(model_dir / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.debug("No trained %s found; it will predict nothing.", cls.__name__)
            pipeline = None
        return cls(config, model_storage, resource, pipeline)
