"""Schema-enforced generation: generate → extract JSON → validate → one repair retry → typed error."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from supportbot.errors import SupportbotError
from supportbot.grounded.contract import TroubleshootResponse, citation_errors, schema_errors

Messages = list[dict[str, str]]
GenerateFn = Callable[[Messages], str]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


class GroundedOutputError(SupportbotError):
    """The model did not produce a schema-valid response, even after the repair retry."""

    def __init__(self, errors: list[str], outputs: list[str]) -> None:
        self.errors = errors
        self.outputs = outputs
        shown = "; ".join(errors[:5]) + (f" (+{len(errors) - 5} more)" if len(errors) > 5 else "")
        super().__init__(
            f"model output is not a valid troubleshoot response after {len(outputs)} attempt(s): {shown}"
        )


def _balanced_objects(text: str) -> list[str]:
    """Every top-level `{...}` span with balanced braces (string- and escape-aware), in order."""
    spans, depth, start, in_str, esc = [], 0, -1, False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
    return spans


def extract_json(text: str) -> dict[str, Any] | None:
    """The first JSON object in model output (code fences and prose allowed; trailing commas tolerated)."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        for span in _balanced_objects(candidate):
            for attempt in (span, _TRAILING_COMMA.sub(r"\1", span)):
                try:
                    obj = json.loads(attempt)
                except json.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    return obj
    return None


def validate_output(
    text: str, allowed_citations: set[str] | None = None
) -> tuple[TroubleshootResponse | None, list[str]]:
    """Parse and validate one model output: (response, []) when valid, else (None, errors)."""
    obj = extract_json(text)
    if obj is None:
        hint = " (output looks truncated)" if text.count("{") > text.count("}") else ""
        return None, [f"<output>: no complete JSON object found{hint}"]
    errors = schema_errors(obj)
    if not errors and allowed_citations is not None:
        errors = citation_errors(obj, allowed_citations)
    if errors:
        return None, errors
    return TroubleshootResponse.model_validate(obj), []


def repair_messages(messages: Messages, bad_output: str, errors: list[str]) -> Messages:
    """The conversation plus the invalid answer and an instruction listing what to fix."""
    fix = "\n".join(f"- {e}" for e in errors[:10])
    return [
        *messages,
        {"role": "assistant", "content": bad_output},
        {
            "role": "user",
            "content": "Your answer was not a valid JSON object for the required schema:\n"
            f"{fix}\nReply again with only the corrected JSON object, all keys present, nothing else.",
        },
    ]


@dataclass
class EnforcedResult:
    """A schema-valid response and how it was obtained."""

    response: TroubleshootResponse
    attempts: int
    outputs: list[str] = field(default_factory=list)


def generate_valid(
    generate_fn: GenerateFn,
    messages: Messages,
    allowed_citations: set[str] | None = None,
    retries: int = 1,
) -> EnforcedResult:
    """Call `generate_fn` until its output validates, at most 1 + `retries` times, else GroundedOutputError."""
    outputs: list[str] = []
    convo = messages
    errors: list[str] = []
    for _ in range(1 + retries):
        text = generate_fn(convo)
        outputs.append(text)
        response, errors = validate_output(text, allowed_citations)
        if response is not None:
            return EnforcedResult(response, len(outputs), outputs)
        convo = repair_messages(messages, text, errors)
    raise GroundedOutputError(errors, outputs)


def lm_generate_fn(lm: Any, gen_cfg: Any, max_new_tokens: int | None = None) -> GenerateFn:
    """Adapt `supportbot.generation.generate` to a one-conversation → text function."""
    from supportbot.generation import generate

    def run(messages: Messages) -> str:
        return generate(lm, [messages], gen_cfg, max_new_tokens)[0].text

    return run


def troubleshoot(
    lm: Any, index: Any, request: Any, gen_cfg: Any, k: int = 5, max_new_tokens: int | None = None
) -> EnforcedResult:
    """Retrieve chunks for a request, build the grounded prompt and generate a schema-valid response."""
    from supportbot.grounded.prompt import build_grounded_messages, retrieval_query

    hits = index.search(retrieval_query(request.user_state, request.query), k)
    messages = build_grounded_messages(request, hits)
    return generate_valid(lm_generate_fn(lm, gen_cfg, max_new_tokens), messages, {h.chunk_id for h in hits})
