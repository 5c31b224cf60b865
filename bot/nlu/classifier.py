"""Intent classifier for Greek: TF-IDF over words and character n-grams, logistic regression.

Why not Rasa's own LogisticRegressionClassifier on CountVectorsFeaturizer output: on the
held-out questions, raw counts and Rasa's fixed `class_weight="balanced"` (which shrinks
`out_of_scope`, our largest class) cost 5–10 points of macro-F1 against sublinear TF-IDF with
a tuned C; the measurements are in docs/nlu-report.md. This component keeps the same shape:
it reads the tokens of the Greek tokenizer and writes `intent` and `intent_ranking`.

The domain's vocabulary (`data/lexicon/`, bot/nlu/lexicon.py) comes in twice: as one feature per
topic (how many words of the message belong to that topic's agencies, procedures and terms), and
as training examples generated from its templates, weighted below the written examples. Both
are fixed at training time: the model file carries what it learned of the lexicon.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union

from .greek_text import normalise
from .lexicon import OUT_OF_SCOPE, Lexicon, default_lexicon

logger = logging.getLogger(__name__)
MODEL_FILE = "tfidf_intent_classifier.joblib"


def _text_of(message: Message) -> str:
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(t.text for t in tokens) if tokens else (message.get(TEXT) or "")


class LexiconFeatures(BaseEstimator, TransformerMixin):
    """One column per topic (and one for matters outside the KEPs): log(1 + the number of the
    message's words that belong to that topic's vocabulary)."""

    def __init__(self, lexicon: Optional[Lexicon] = None, scale: float = 1.0) -> None:
        self.lexicon = lexicon
        self.scale = scale

    def fit(self, texts: List[str], y: Any = None) -> "LexiconFeatures":
        self.columns_ = [*self.lexicon.topics, OUT_OF_SCOPE]
        return self

    def transform(self, texts: List[str]) -> csr_matrix:
        index = {topic: i for i, topic in enumerate(self.columns_)}
        rows = np.zeros((len(texts), len(self.columns_)))
        for row, text in enumerate(texts):
            for topic, weight in self.lexicon.topic_weights(text, normalised=True).items():
                rows[row, index[topic]] = self.scale * np.log1p(weight)
        return csr_matrix(rows)


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
            "lexicon_features": 1.0,  # scale of the lexicon columns; 0 leaves them out
            "lexicon_examples": 0.5,  # weight of the generated examples; 0 leaves them out
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

    def _new_pipeline(self, lexicon: Lexicon) -> Pipeline:
        parts = [
            TfidfVectorizer(sublinear_tf=True, ngram_range=tuple(self._config["word_ngrams"]), token_pattern=r"\S+"),
            TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=tuple(self._config["char_ngrams"])),
        ]
        if self._config["lexicon_features"]:
            parts.append(LexiconFeatures(lexicon, self._config["lexicon_features"]))
        return make_pipeline(make_union(*parts), LogisticRegression(C=self._config["C"], max_iter=self._config["max_iter"]))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: %s is left untrained.", self.__class__.__name__)
            return self._resource
        lexicon = default_lexicon()
        texts, intents = [_text_of(e) for e in examples], [e.get(INTENT) for e in examples]
        weights = [1.0] * len(texts)
        if self._config["lexicon_examples"]:
            intents_known = set(intents)
            generated = [(normalise(t), i) for t, i in lexicon.training_examples() if i in intents_known]
            texts += [t for t, _ in generated]
            intents += [i for _, i in generated]
            weights += [self._config["lexicon_examples"]] * len(generated)
        self._pipeline = self._new_pipeline(lexicon)
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
