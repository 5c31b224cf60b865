"""The one ranked catalogue search (handoff/catalogue_search.py): what the clerk's search and the
bot's fallback both ask."""
from __future__ import annotations

import pytest

from handoff.api.keys import APPOINTMENTS
from handoff.catalogue_search import evaluate, read_queries
from handoff.config import PROJECT_ROOT
from handoff.topics import load_topics

QUERIES = PROJECT_ROOT / "tests" / "data" / "catalogue_queries.tsv"


@pytest.fixture(scope="module")
def topics():
    return load_topics(PROJECT_ROOT / "data" / "topics.yml")


async def test_the_topic_named_comes_first_not_the_first_in_the_catalogue(client):
    """«ταυτότητα» is a document to bring for almost every topic; it is the identity topic's subject."""
    body = await (await client.get("/api/catalogue/search", params={"q": "ταυτότητα"})).json()
    assert body["results"][0]["topic"] == "identity_documents"
    assert "ταυτότητ" in body["results"][0]["matched_procedure"].lower()


@pytest.mark.parametrize("query", ["δήλωση ακινήτου", "ΔΗΛΩΣΗ ΑΚΙΝΗΤΩΝ", "dilosi akinitou"])
async def test_inflection_capitals_and_greeklish_find_the_same(client, query):
    body = await (await client.get("/api/catalogue/search", params={"q": query})).json()
    assert body["results"][0]["topic"] == "property"


async def test_words_that_match_nothing_give_no_results_and_no_error(client):
    for query in ["", "   ", "ζζζζ ξξξξ", "x" * 5000, "%00<script>"]:
        resp = await client.get("/api/catalogue/search", params={"q": query})
        assert resp.status == 200
        assert (await resp.json())["results"] == []


async def test_the_appointments_service_answers_with_topics_and_a_matter_outside_the_keps(client):
    appointments = client.app[APPOINTMENTS]
    passport = await appointments.search_catalogue("το διαβατήριό μου λήγει τον Μάιο", limit=2)
    assert passport.results[0].topic == "identity_documents" and len(passport.results) <= 2 and passport.outside is None
    power = await appointments.search_catalogue("χθες το βράδυ είχαμε διακοπή ρεύματος στη γειτονιά")
    assert power.outside is not None and power.outside.name == "Λογαριασμοί ρεύματος"
    assert (await (await client.get("/api/catalogue/search", params={"q": "είχαμε διακοπή ρεύματος"})).json())["outside"][
        "name"] == "Λογαριασμοί ρεύματος"


def test_clerk_queries_find_their_topic(topics):
    """Queries a clerk would type, written apart from the lexicon (tests/data/README.md)."""
    figures = evaluate(topics, read_queries(QUERIES))
    assert figures["queries"] >= 60
    assert figures["mrr"] >= 0.8, figures["misses"]
