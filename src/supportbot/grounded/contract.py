"""The troubleshoot JSON contract: typed request/response models and validation against the schema file."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from supportbot.core.errors import ConfigError

SCHEMA_FILE = "troubleshoot_response.schema.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserState(_Strict):
    """Where the user is in the onboarding/payments funnel."""

    funnel_stage: str = Field(..., min_length=1, description="e.g. video-kyc, pan-upload, otp, payments.")
    error_codes: list[str] = Field(
        default_factory=list, description="Error codes the app showed, e.g. OTP_TIMEOUT."
    )
    device: str = Field("unknown", description="e.g. android, ios, web.")
    time_of_day: str = Field("unknown", description="Local time 'HH:MM' (IST) or a label such as 'night'.")
    attempts: int = Field(0, ge=0, description="How many times the user has tried this step.")


class TroubleshootRequest(_Strict):
    """A troubleshoot call: the user's state plus an optional free-text question."""

    user_state: UserState
    query: str | None = None


class NudgeMessage(_Strict):
    """A short message the app can show to move the user forward."""

    text: str = Field(..., min_length=1)
    style: Literal["CTA", "explanatory"]
    language: str = Field(..., min_length=2)
    compliance_flags: list[str]


class TroubleshootResponse(_Strict):
    """The grounded answer; mirrors schemas/troubleshoot_response.schema.json exactly."""

    predicted_drop_reason: str = Field(..., min_length=1)
    explanation: str = Field(..., min_length=1)
    steps_to_fix: list[str]
    confidence_score: float = Field(..., ge=0.0, le=1.0)
    citations: list[str]
    nudge_messages: list[NudgeMessage]
    conversational_message: str = Field(..., min_length=1)


def schema_path() -> Path:
    """Path of the response JSON Schema (repo `schemas/`, overridable with SUPPORTBOT_SCHEMAS)."""
    import os

    env = os.environ.get("SUPPORTBOT_SCHEMAS")
    base = Path(env) if env else Path(__file__).resolve().parents[3] / "schemas"
    return base / SCHEMA_FILE


@lru_cache(maxsize=1)
def response_schema() -> dict[str, Any]:
    """The response JSON Schema (draft 2020-12), checked to be a valid schema."""
    from jsonschema import Draft202012Validator

    path = schema_path()
    if not path.is_file():
        raise ConfigError(f"response schema not found: {path} (set SUPPORTBOT_SCHEMAS to its folder)")
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


def schema_errors(obj: Any) -> list[str]:
    """Every schema violation of `obj` as 'field: message' lines (empty when valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(response_schema())
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def citation_errors(response: dict[str, Any], allowed: set[str]) -> list[str]:
    """Citations that are not among the chunk ids given to the model."""
    return [
        f"citations: {c!r} is not one of the retrieved chunks"
        for c in response.get("citations", [])
        if c not in allowed
    ]
