"""Schemathesis fuzzes every operation of the OpenAPI spec against the real server: no 5xx, ever."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from .conftest import Server

# 400 is the documented answer to a well-formed request the schema cannot judge (prompt longer than the
# server's token limit, an OpenAI field supportbot does not implement); 413 to a body over serve.limits.
# A schema-valid request answered 422, or a schema-invalid one answered 2xx, fails.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "413", "429"]
            },
            "negative_data_rejection": {
                "expected-statuses": ["400", "401", "403", "404", "405", "413", "415", "422", "429"]
            },
        }
    }
)
EXAMPLES = int(os.environ.get("SUPPORTBOT_FUZZ_EXAMPLES", "8"))  # per operation and mode (CI: 8, bounded)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_server_errors(server: Server, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(
        f"{server.url}/openapi.json", headers=server.headers(), config=CONFIG
    )
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
            # every default check: no 5xx, status codes, content types and bodies as the spec documents,
            # schema-valid requests accepted and schema-invalid ones rejected
            response = case.call_and_validate(base_url=server.url, headers=server.headers(), timeout=60)
            seen.append(response.status_code)

        try:
            no_5xx()
        except Unsatisfiable:  # e.g. no invalid input exists for a GET without parameters
            continue
    assert len(seen) >= len(operations)
