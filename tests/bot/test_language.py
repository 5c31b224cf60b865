"""English is told apart from Greeklish, which is Latin letters too."""
import pytest

from bot.nlu.language import is_english


@pytest.mark.parametrize("text", [
    "Hi there, is anyone available?",
    "My residence permit expires next month, what should I do",
    "Do you speak English?",
    "thanks",
])
def test_english(text):
    assert is_english(text)


@pytest.mark.parametrize("text", [
    "kalispera, tha ithela na rotiso kati",
    "to diploma mou ligei ton Maio",
    "pou einai to pio kontino kep",
    "yes",  # a Latin-letter answer to a yes/no question, not a language choice
    "ok",
    "Giorgos Papadakis",
    "giorgos@example.gr",
    "Καλημέρα, I need help",  # Greek letters: answered in Greek
])
def test_not_english(text):
    assert not is_english(text)
