"""Grounded prompts: retrieved KB chunks + the user's funnel state (+ optional question) → chat messages."""

from __future__ import annotations

import json
from typing import Any

from supportbot.grounded.contract import TroubleshootRequest, UserState

GROUNDED_SYSTEM_PROMPT = (
    "You are NovaPay's onboarding and payments troubleshooting assistant. Use ONLY the knowledge-base "
    "chunks given to you. Reply with exactly one JSON object and nothing else."
)

RESPONSE_TEMPLATE = {
    "predicted_drop_reason": "<error code or short reason>",
    "explanation": "<why this happens, from the chunks>",
    "steps_to_fix": ["<step 1>", "<step 2>"],
    "confidence_score": 0.0,
    "citations": ["<chunk id, e.g. KB-002#0>"],
    "nudge_messages": [{"text": "<short nudge>", "style": "CTA", "language": "en", "compliance_flags": []}],
    "conversational_message": "<a friendly reply to the user>",
}


def _as_state(user_state: UserState | dict[str, Any]) -> UserState:
    return user_state if isinstance(user_state, UserState) else UserState.model_validate(user_state)


def retrieval_query(user_state: UserState | dict[str, Any], query: str | None = None) -> str:
    """The search query: the user's question when given, else the funnel stage and error codes."""
    state = _as_state(user_state)
    if query and query.strip():
        codes = [c for c in state.error_codes if c.lower() not in query.lower()]
        return " ".join([query.strip(), *codes])
    stage = state.funnel_stage.replace("-", " ").replace("_", " ")
    codes = " ".join(state.error_codes)
    return f"{stage} {codes} error: what it means and how to fix it".strip()


def format_context(hits: list[Any]) -> str:
    """Retrieved chunks as `[chunk_id] title` blocks (hits need chunk_id, title, text)."""
    return "\n\n".join(f"[{h.chunk_id}] {h.title}\n{h.text}" for h in hits)


def build_grounded_messages(
    request: TroubleshootRequest, hits: list[Any], system_prompt: str = GROUNDED_SYSTEM_PROMPT
) -> list[dict[str, str]]:
    """System + user messages asking for one JSON object grounded in `hits`, citing their chunk ids."""
    state = request.user_state.model_dump()
    question = request.query.strip() if request.query and request.query.strip() else None
    ids = ", ".join(h.chunk_id for h in hits) or "(none)"
    user = (
        f"Knowledge base chunks:\n{format_context(hits) or '(no relevant chunks found)'}\n\n"
        f"User state: {json.dumps(state, ensure_ascii=False)}\n"
        f"User question: {question or '(none: infer the problem from the user state)'}\n\n"
        "Answer with one JSON object with exactly these keys:\n"
        f"{json.dumps(RESPONSE_TEMPLATE, ensure_ascii=False)}\n"
        f"Rules: cite only these chunk ids: {ids}. confidence_score is a number from 0 to 1. style is "
        '"CTA" or "explanatory". Reply in the language of the question. If the chunks do not cover the '
        "problem, say so in conversational_message, leave steps_to_fix and citations empty and give a low "
        "confidence_score."
    )
    return [{"role": "system", "content": system_prompt}, {"role": "user", "content": user}]
