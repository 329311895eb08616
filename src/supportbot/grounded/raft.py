"""RAFT-style training data: each record gets top-k chunks, with its gold chunks present in ~p_gold of records."""

from __future__ import annotations

import json
import random
from typing import Any

from supportbot.core.errors import DataError
from supportbot.grounded.contract import TroubleshootRequest
from supportbot.grounded.prompt import build_grounded_messages, retrieval_query


def build_raft_examples(
    records: list[dict[str, Any]], index: Any, k: int = 4, p_gold: float = 0.8, seed: int = 0
) -> list[dict[str, Any]]:
    """Chat examples from grounded records ({user_state, query, gold_kb_ids, reference}).

    With probability `p_gold` the context holds the gold chunks (those the reference cites) plus retrieved
    distractors; otherwise only distractors (no chunk of a gold article), teaching the model to rely on
    context when it is there and not to invent citations when it is not.
    """
    if not 0.0 <= p_gold <= 1.0:
        raise DataError(f"build_raft_examples: p_gold must be in [0, 1], got {p_gold}")
    rng = random.Random(seed)
    out = []
    for n, rec in enumerate(records):
        for key in ("user_state", "gold_kb_ids", "reference"):
            if key not in rec:
                raise DataError(f"build_raft_examples: record {rec.get('id', n)} has no field '{key}'")
        request = TroubleshootRequest.model_validate(
            {"user_state": rec["user_state"], "query": rec.get("query")}
        )
        gold_articles = set(rec["gold_kb_ids"])
        hits = index.search(retrieval_query(request.user_state, request.query), k + 8)
        distractors = [h for h in hits if h.article_id not in gold_articles]
        with_gold = rng.random() < p_gold
        if with_gold:
            gold = [index.by_id[c] for c in rec["reference"]["citations"] if c in index.by_id]
            gold_hits = [_hit(c) for c in gold]
            context = gold_hits + distractors[: max(k - len(gold_hits), 0)]
            rng.shuffle(context)
            target = rec["reference"]
        else:
            context = distractors[:k]
            target = _abstain(rec["reference"], rec["user_state"])
        messages = build_grounded_messages(request, context)
        messages.append({"role": "assistant", "content": json.dumps(target, ensure_ascii=False)})
        out.append(
            {
                "id": rec.get("id", str(n)),
                "messages": messages,
                "gold_in_context": with_gold,
                "context_chunk_ids": [h.chunk_id for h in context],
            }
        )
    return out


def _hit(chunk: Any) -> Any:
    from supportbot.retrieval.index import Hit

    return Hit(chunk.chunk_id, chunk.article_id, 1.0, chunk.text, chunk.title)


def _abstain(reference: dict[str, Any], user_state: dict[str, Any]) -> dict[str, Any]:
    """The target when the context lacks the answer: no steps, no citations, low confidence, a handoff."""
    return {
        "predicted_drop_reason": reference["predicted_drop_reason"],
        "explanation": "The provided knowledge-base articles do not cover this problem.",
        "steps_to_fix": [],
        "confidence_score": 0.2,
        "citations": [],
        "nudge_messages": [],
        "conversational_message": "I couldn't find this in our help articles. Please contact us via Help > Chat with us"
        + (
            f" and mention the error code {user_state['error_codes'][0]}."
            if user_state.get("error_codes")
            else "."
        ),
    }
