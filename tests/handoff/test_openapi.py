"""The OpenAPI document is valid, covers every route, and matches real responses."""
import re

from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from handoff.api.openapi import openapi_document
from handoff.app import create_app

from .helpers import AUTH, booking_body, first_free_slot


def app_routes(app) -> set[tuple[str, str]]:
    """The JSON API's routes (the HTML pages and their static files are not part of it)."""
    routes = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method in ("HEAD", "*") or not path.startswith(("/api/", "/healthz")):
            continue
        routes.add((path, route.method.lower()))
    return routes


def spec_routes(doc) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item if method != "parameters"}


def test_document_is_valid_openapi():
    validate(openapi_document())


def test_every_route_is_documented_and_nothing_else(settings):
    assert app_routes(create_app(settings)) == spec_routes(openapi_document())


def response_validator(path: str, method: str, status: str) -> OAS30Validator:
    doc = openapi_document()
    response = doc["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"]["application/json"]["schema"]
    return OAS30Validator({**schema, "components": doc["components"]})


async def test_responses_match_their_schemas(client):
    resp = await client.get("/api/openapi.json")
    assert (await resp.json())["openapi"].startswith("3.")
    for path in ("/api/topics", "/api/branches", "/api/config"):
        response_validator(path, "get", "200").validate(await (await client.get(path)).json())
    slots = await (await client.get("/api/slots", params={"topic": "tax"})).json()
    response_validator("/api/slots", "get", "200").validate(slots)
    slot = await first_free_slot(client)
    booking = await (await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH)).json()
    response_validator("/api/bookings", "post", "201").validate(booking)
    error = await (await client.post("/api/bookings", json=booking_body(slot["slot_id"]), headers=AUTH)).json()
    response_validator("/api/bookings", "post", "409").validate(error)
    assert re.fullmatch(r"KEP-[2-9A-HJ-NP-TV-Z]{6}", booking["reference"])
