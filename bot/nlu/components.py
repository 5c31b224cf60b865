"""Rasa graph components for Greek: a normaliser that runs before tokenisation, and a
tokeniser built on spaCy's blank Greek pipeline (tokenisation rules only; no statistical model
is needed or downloaded).

In `bot/config.yml`:

    pipeline:
      - name: bot.nlu.components.GreekNormalizer
      - name: bot.nlu.components.GreekTokenizer
      ...
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from .greek_text import normalise
from .language import is_english

NORMALISED_TEXT = "text_normalised"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class GreekNormalizer(GraphComponent):
    """Adds the normal form of the message text (see `greek_text.normalise`) for the tokeniser.

    The text itself is left alone, so parse results, the tracker and the transcript the clerk
    reads keep the citizen's own words."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "GreekNormalizer":
        return cls()

    def _normalise(self, message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str):
            message.set(NORMALISED_TEXT, normalise(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalise(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalise(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class GreekTokenizer(Tokenizer):
    """Tokenises the normalised text with spaCy's blank `el` rules (token offsets refer to
    the normalised text; the pipeline extracts no entities from it).

    Stop words are kept: dropping spaCy's Greek list cost 0.6 points of dev macro-F1
    (docs/nlu-report.md), and TF-IDF already discounts words that occur everywhere.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self._nlp = spacy.blank("el")

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        if attribute == TEXT:
            text = message.get(NORMALISED_TEXT) or normalise(text)
        tokens = [
            Token(t.text, t.idx)
            for t in self._nlp.tokenizer(text)
            if not (t.is_punct or t.is_space)
        ]
        if not tokens:
            tokens = [Token(text, 0)]
        return self._apply_token_pattern(tokens)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EnglishDetector(GraphComponent):
    """A message in English is not a Greek question the classifier misread: it becomes
    `out_of_scope` (confidence 1), and the triage answers it in English (bot/nlu/language.py).
    Runs after the intent classifier, before the FallbackClassifier."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EnglishDetector":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and not text.startswith("/") and is_english(text):
                message.set(INTENT, {"name": "out_of_scope", "confidence": 1.0}, add_to_output=True)
        return messages
