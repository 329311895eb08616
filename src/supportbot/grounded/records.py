"""Grounded training records generated from a knowledge base: templated requests, extractive references.

Each KB article (its chunks from the index, so chunk ids match what is served) yields
`requests_per_article` requests in the shape of the grounded eval suite: a `user_state` (funnel stage
from the article's tags, one of its error codes, device, time of day, attempts), an optional free-text
query (English or Hinglish templates; none for some error-code requests), `gold_kb_ids` and a
schema-valid `reference`. The reference is extractive, so it never states what the KB does not:

- `explanation`: the article's lead sentences, or the sentence that explains the error code;
- `steps_to_fix`: the article's numbered steps, else its list items (verbatim, up to 3);
- `citations`: exactly the chunks those sentences came from;
- `nudge_messages` / `conversational_message`: the first step or explanation in a short template,
  in the request's language, with compliance flags derived from the text (timelines, OTP/PIN safety,
  fraud, KYC).

Everything is drawn from `random.Random(seed)`: the same KB and config give the same records.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from supportbot.core.errors import DataError
from supportbot.grounded.config import GroundedConfig

_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_ITEM = re.compile(r"^\s*(?:([-*+])|(\d+)[.)])\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
DEVICES = (("android", 0.7), ("ios", 0.25), ("web", 0.05))
ATTEMPTS = ((0, 0.25), (1, 0.4), (2, 0.2), (3, 0.1), (4, 0.03), (5, 0.02))

QUERIES = {
    ("en", True): (
        "I keep getting {code}, what should I do?",
        "{code} error during {stage}, how do I fix it?",
        "the app says {code}. help",
        "why am I seeing {code}?",
        "got {code} after {attempts} tries, what now",
        "what does {code} mean and how do I get past it?",
        "stuck on {stage} with {code}",
    ),
    ("en", False): (
        "I need help with {topic}",
        "can you explain {topic}?",
        "question about {topic}",
        "something is wrong with {stage}, what should I check?",
        "how does {topic} work on NovaPay?",
        "tell me about {topic}",
    ),
    ("hinglish", True): (
        "{code} aa raha hai, kya karu?",
        "mujhe {code} error dikh raha hai, fix kaise hoga?",
        "{attempts} baar try kiya phir bhi {code}, ab kya karein?",
        "{code} ka matlab kya hai?",
        "{stage} mein {code} aa gaya, help karo",
    ),
    ("hinglish", False): (
        "{topic} ke baare mein batao",
        "{stage} mein atak gaya hoon, kya karu?",
        "{topic} kaise kaam karta hai?",
        "mujhe {topic} samajhna hai",
    ),
}
CONVERSATION = {
    ("en", True): (
        "You're seeing {code}. {explanation} Start with this: {step}",
        "{explanation} To fix {code}: {step}",
        "Sorry about the {code} error. {step} The other steps are listed above.",
    ),
    ("en", False): (
        "{explanation} {step}",
        "Here's what helps: {step} {explanation}",
        "{explanation} Start with this: {step}",
    ),
    ("hinglish", True): (
        "Aapko {code} dikh raha hai. Pehle yeh karein: {step}",
        "Chinta mat kariye, {code} ka fix simple hai: {step}",
        "{code} ke liye upar diye steps follow karein. Shuru yahan se karein: {step}",
    ),
    ("hinglish", False): (
        "Aapke sawaal ka jawab: {step}",
        "Yeh steps follow karein, pehla step: {step}",
        "Jaankari upar di gayi hai. Shuru yahan se karein: {step}",
    ),
}
NUDGE = {
    ("en", "CTA"): ("Try this now: {step}", "Next step: {step}"),
    ("en", "explanatory"): ("Good to know: {explanation}", "{explanation}"),
    ("hinglish", "CTA"): ("Abhi yeh karein: {step}", "Agla step: {step}"),
    ("hinglish", "explanatory"): ("Yaad rakhein: {explanation}", "Jaankari: {explanation}"),
}
_FLAGS = (
    (
        "factual_timeline",
        re.compile(r"\b\d+\s*(?:seconds?|minutes?|hours?|days?|working days|months?)\b|IST", re.I),
    ),
    ("never_ask_otp", re.compile(r"\bnever\b.*\b(?:OTP|PIN|MPIN)\b|\b(?:OTP|PIN)\b.*\bnever\b", re.I)),
    ("fraud_safety", re.compile(r"fraud|unauthori[sz]ed|stolen|SIM-swap|misused", re.I)),
    ("kyc_regulated", re.compile(r"\bKYC\b", re.I)),
)


@dataclass(frozen=True)
class Passage:
    """One sentence or list item of an article, with the chunk it came from."""

    chunk_id: str
    text: str
    kind: str  # "lead" | "sentence" | "step" (numbered item) | "item" (bulleted item)


@dataclass(frozen=True)
class ArticleFacts:
    """What the generator knows about one article: id, title, stages, codes and passages in order."""

    article_id: str
    title: str
    stages: tuple[str, ...]
    codes: tuple[str, ...]
    passages: tuple[Passage, ...]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def article_facts(chunks: Sequence[Any], umbrella_tags: Sequence[str]) -> list[ArticleFacts]:
    """Group index chunks by article and split them into passages (chunk overlap counted once)."""
    by_article: dict[str, list[Any]] = {}
    for c in chunks:
        by_article.setdefault(c.article_id, []).append(c)
    out = []
    for aid, parts in by_article.items():
        seen: set[str] = set()
        passages: list[Passage] = []
        for c in parts:
            for line in c.text.splitlines():
                line = line.strip()
                if not line or line in seen:
                    continue
                seen.add(line)
                m = _ITEM.match(line)
                if m:
                    passages.append(
                        Passage(c.chunk_id, line[m.end() :].strip(), "step" if m.group(2) else "item")
                    )
                    continue
                kind = "lead" if not passages else "sentence"
                passages += [Passage(c.chunk_id, s, kind) for s in _sentences(line)]
        tags = list(parts[0].tags)
        stages = [t for t in tags if t == t.lower() and t not in umbrella_tags]
        codes = [t for t in tags if _CODE.match(t)]
        title = parts[0].title
        codes += [t for t in re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", title) if t not in codes]
        out.append(
            ArticleFacts(aid, title, tuple(stages or tags[:1] or ["general"]), tuple(codes), tuple(passages))
        )
    return out


def _explanation(facts: ArticleFacts, code: str | None) -> list[Passage]:
    """The passages that explain the problem: lead sentences, or the sentence about the code."""
    lead = [p for p in facts.passages if p.kind == "lead" and not p.text.endswith(":")]
    if code and not any(code in p.text for p in lead):
        about = next((p for p in facts.passages if code in p.text), None)
        if about is not None:
            first = _sentences(about.text)[0]
            return [Passage(about.chunk_id, first, about.kind)]
    if lead:
        picked, words = [], 0
        for p in lead:
            if picked and words + len(p.text.split()) > 45:
                break
            picked.append(p)
            words += len(p.text.split())
        return picked
    first = next((p for p in facts.passages if p.kind == "sentence" and not p.text.endswith(":")), None)
    first = first or next((p for p in facts.passages if not p.text.endswith(":")), None)
    if first is None:
        raise DataError(f"{facts.article_id}: the article has no text to build a reference from")
    return [first]


def _steps(facts: ArticleFacts, code: str | None, explanation: list[Passage]) -> list[Passage]:
    """Up to 3 actionable passages: the rest of the code's own item, numbered steps, else list items."""
    used = [p.text for p in explanation]
    steps: list[Passage] = []
    if code:
        about = next((p for p in facts.passages if code in p.text and p.kind in ("item", "step")), None)
        if about is not None and _sentences(about.text)[0] in used:  # explained by this item: use its advice
            steps += [Passage(about.chunk_id, s, "step") for s in _sentences(about.text)[1:]]
    numbered = [p for p in facts.passages if p.kind == "step"]
    pool = numbered or [p for p in facts.passages if p.kind == "item"]
    pool = pool or [p for p in facts.passages if p.kind == "sentence"]
    for p in pool:
        taken = used + [s.text for s in steps]
        if len(steps) < 3 and not any(p.text in t or t in p.text for t in taken):
            steps.append(p)
    return steps


def _flags(text: str) -> list[str]:
    return [name for name, pattern in _FLAGS if pattern.search(text)]


def _short(text: str, words: int = 24) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]).rstrip(",;:") + " …"


def build_reference(
    facts: ArticleFacts, code: str | None, language: str, has_query: bool, rng: random.Random
) -> dict[str, Any]:
    """A schema-valid troubleshoot response for one article (and error code), citing its chunks."""
    explanation = _explanation(facts, code)
    steps = _steps(facts, code, explanation) or explanation[:1]
    cited = [p.chunk_id for p in [*explanation, *steps]]
    citations = list(dict.fromkeys(cited))
    expl_text = " ".join(p.text for p in explanation)
    step_text = steps[0].text
    lang = "hinglish" if language == "hinglish" else "en"
    slots = {"code": code or "", "explanation": _short(explanation[0].text), "step": _short(step_text)}
    conversation = rng.choice(CONVERSATION[(lang, bool(code))]).format(**slots)
    style = "CTA" if any(p.kind in ("step", "item") for p in steps) and rng.random() < 0.7 else "explanatory"
    nudge = rng.choice(NUDGE[(lang, style)]).format(**slots)
    base = 0.9 if code else (0.85 if has_query else 0.75)
    return {
        "predicted_drop_reason": code or facts.title,
        "explanation": expl_text,
        "steps_to_fix": [p.text for p in steps],
        "confidence_score": round(base - rng.choice((0.0, 0.02, 0.04, 0.06)), 2),
        "citations": citations,
        "nudge_messages": [
            {"text": nudge, "style": style, "language": lang, "compliance_flags": _flags(nudge)}
        ],
        "conversational_message": conversation,
    }


def _weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _time_of_day(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(("morning", "afternoon", "evening", "night", "unknown"))
    return f"{rng.randrange(24):02d}:{rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50, 55)):02d}"


def _topic(title: str, codes: Sequence[str]) -> str:
    topic = title
    for code in codes:
        topic = topic.replace(f"({code})", "").replace(code, "")
    topic = re.sub(r"\s+", " ", topic).strip(" :,-")
    return topic[:1].lower() + topic[1:] if topic[:2] != topic[:2].upper() else topic


def request_key(user_state: dict[str, Any], query: str | None) -> str:
    """A canonical string of one request (state + query), for exact-duplicate checks."""
    import json

    q = " ".join((query or "").lower().split())
    return json.dumps({"s": user_state, "q": q}, sort_keys=True)


def build_grounded_records(chunks: Sequence[Any], cfg: GroundedConfig) -> list[dict[str, Any]]:
    """`cfg.requests_per_article` grounded records per KB article, deterministic for a seed.

    Args:
        chunks: the index's chunks (ids as served), e.g. `HybridIndex.chunks`.
        cfg: the `grounded` config section.
    Returns:
        Records with id, user_state, query, gold_kb_ids, reference and tags (stage, error_code, language).
    """
    rng = random.Random(cfg.seed)
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for facts in article_facts(chunks, cfg.umbrella_tags):
        made, tries = 0, 0
        while made < cfg.requests_per_article and tries < cfg.requests_per_article * 20:
            tries += 1
            code = rng.choice(facts.codes) if facts.codes and rng.random() < 0.85 else None
            stage = (
                facts.stages[0]
                if rng.random() < 0.8 or len(facts.stages) == 1
                else rng.choice(facts.stages[1:])
            )
            language = "hinglish" if rng.random() < cfg.hinglish_share else "en"
            state = {
                "funnel_stage": stage,
                "error_codes": [code] if code else [],
                "device": _weighted(rng, DEVICES),
                "time_of_day": _time_of_day(rng),
                "attempts": _weighted(rng, ATTEMPTS),
            }
            query: str | None = None
            if not (code and rng.random() < cfg.no_query_share):
                template = rng.choice(QUERIES[(language, bool(code))])
                query = template.format(
                    code=code or "",
                    stage=stage.replace("-", " "),
                    topic=_topic(facts.title, facts.codes),
                    attempts=max(state["attempts"], 2),
                )
            key = request_key(state, query)
            if key in seen:
                continue
            seen.add(key)
            made += 1
            reference = build_reference(facts, code, language if query else "en", query is not None, rng)
            records.append(
                {
                    "id": f"gt-{facts.article_id}-{made:02d}",
                    "user_state": state,
                    "query": query,
                    "gold_kb_ids": [facts.article_id],
                    "reference": reference,
                    "tags": {"stage": stage, "error_code": code, "language": language if query else "en"},
                }
            )
    return records
