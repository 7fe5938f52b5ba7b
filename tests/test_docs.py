"""The OpenAPI document (`trading_server/docs.py`): what client generators get."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from trading_server.docs import openapi_document, operations_text
from trading_server.faults import FaultSpec
from trading_server.responses import RETRY_AFTER_SECONDS
from trading_server.settings import MAX_BODY_BYTES, Settings

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ORDER_OPERATIONS = [
    ("/orders", "post"),
    ("/orders", "get"),
    ("/orders/{orderId}", "get"),
    ("/orders/{orderId}", "delete"),
]
REDIS = Settings(store="redis://127.0.0.1:6379/0")
ERROR_FAULTS = Settings(faults=FaultSpec(error=0.1))


def operations(document: dict) -> list[tuple[str, str]]:
    return [
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]


@pytest.mark.parametrize("settings", [Settings(), REDIS, ERROR_FAULTS])
def test_the_document_is_valid_openapi(settings: Settings) -> None:
    validate(openapi_document(settings))


def test_no_operation_is_a_preflight_or_the_feed() -> None:
    document = openapi_document(Settings())
    assert [method for _, method in operations(document) if method == "options"] == []
    assert [path for path, _ in operations(document) if path == "/ws"] == []
    assert "x-websocket" in document["paths"]["/ws"]
    assert "preflight" in document["info"]["description"]


def test_placing_an_order_lists_every_answer() -> None:
    post = openapi_document(Settings())["paths"]["/orders"]["post"]
    assert set(post["responses"]) == {"201", "400", "409", "413", "415", "422"}
    assert f"{MAX_BODY_BYTES:,} bytes" in post["description"]


def test_without_a_shared_store_or_error_faults_nothing_answers_503() -> None:
    document = openapi_document(Settings(faults=FaultSpec(latency=1, latency_seconds=2)))
    for path, method in operations(document):
        assert "503" not in document["paths"][path][method]["responses"], (path, method)


@pytest.mark.parametrize(
    ("settings", "paths"),
    [
        (ERROR_FAULTS, ORDER_OPERATIONS),
        (REDIS, [*ORDER_OPERATIONS, ("/health", "get")]),
    ],
)
def test_a_503_is_listed_with_retry_after_where_it_can_answer(
    settings: Settings, paths: list[tuple[str, str]]
) -> None:
    document = openapi_document(settings)
    for path, method in operations(document):
        refusal = document["paths"][path][method]["responses"].get("503")
        assert (refusal is not None) == ((path, method) in paths), (path, method)
        if refusal is not None:
            retry_after = refusal["headers"]["Retry-After"]["schema"]["example"]
            assert retry_after == RETRY_AFTER_SECONDS


def test_the_page_without_scripts_lists_the_operations_and_the_feed() -> None:
    text = operations_text(openapi_document(Settings()))
    assert "POST   /orders" in text
    assert "DELETE /orders/{orderId}" in text
    assert "WS     /ws" in text
    assert "OPTIONS" not in text
