"""Schemathesis fuzzes every operation of the OpenAPI spec against the real server: no 5xx, ever."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from .conftest import Server

EXAMPLES = 8  # per operation and mode: keeps the whole run well under a minute on the tiny model


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_server_errors(server: Server, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", headers=server.headers())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/generate", "/v1/chat/completions", "/v1/models", "/healthz"}
    seen: list[int] = []

    for op in operations:

        @given(case=op.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_5xx(case) -> None:
            response = case.call(base_url=server.url, headers=server.headers(), timeout=60)
            seen.append(response.status_code)
            assert response.status_code < 500, (
                f"{case.method} {case.path}: {response.status_code} {response.text}"
            )

        try:
            no_5xx()
        except Unsatisfiable:  # e.g. no invalid input exists for a GET without parameters
            continue
    assert len(seen) >= len(operations)
