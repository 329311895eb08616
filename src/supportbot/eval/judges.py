"""Pairwise judges of tuned vs base answers: `reference` (similarity proxy) and `llm` (rubric, both orders).

Every judge returns, per question, the tuned model's points: 1 win, 0.5 tie, 0 loss (the llm judge
averages its two orders, so 0.25 and 0.75 occur when the orders disagree on a tie).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core.suites import Article, Question
from supportbot.eval.config import LLMJudgeConfig, ReferenceJudgeConfig
from supportbot.eval.textmetrics import rouge_l, token_f1


def winner_of(points: float) -> str:
    """'tuned', 'base' or 'tie' for the tuned model's points."""
    return "tuned" if points > 0.5 else "base" if points < 0.5 else "tie"


def judgement_row(
    qid: str, judge: str, tuned: dict[str, Any], base: dict[str, Any], tie_band: float
) -> dict[str, Any]:
    """The row of a score-based judge: a `score` gap within `tie_band` is a tie, else the higher score wins."""
    gap = tuned["score"] - base["score"]
    points = 0.5 if abs(gap) <= tie_band else (1.0 if gap > 0 else 0.0)
    return {
        "id": qid,
        "judge": judge,
        "tuned_points": points,
        "winner": winner_of(points),
        "scores": {"tuned": tuned, "base": base},
    }


class ReferenceJudge:
    """Scores each answer against the reference: w_e·cosine + w_f·token-F1 + w_r·ROUGE-L; a gap within the tie band is a tie.

    This is a proxy for correctness: it rewards answers that say what the reference says, in similar words.
    """

    name = "reference"

    def __init__(self, embedder: Any, cfg: ReferenceJudgeConfig) -> None:
        self.embedder = embedder
        self.cfg = cfg
        total = cfg.embedding_weight + cfg.f1_weight + cfg.rouge_weight
        self._w = (cfg.embedding_weight / total, cfg.f1_weight / total, cfg.rouge_weight / total)

    def describe(self) -> dict[str, Any]:
        """What was used to judge (recorded in metrics.json)."""
        return {
            "name": self.name,
            "model": self.embedder.name,
            "rubric": (
                f"score = {self._w[0]:.2f}*cosine(all-MiniLM-L6-v2) + {self._w[1]:.2f}*token-F1 + "
                f"{self._w[2]:.2f}*ROUGE-L against the reference answer; |tuned-base| <= "
                f"{self.cfg.tie_band} is a tie. A similarity proxy for correctness, not a grader."
            ),
        }

    def score(self, answer: str, reference: str) -> dict[str, float]:
        """The components and the combined score of one answer."""
        parts = {
            "embedding": max(0.0, self.embedder.cosine(answer, reference)),
            "f1": token_f1(answer, reference),
            "rouge_l": rouge_l(answer, reference),
        }
        parts["score"] = sum(w * v for w, v in zip(self._w, parts.values(), strict=True))
        return {k: round(v, 4) for k, v in parts.items()}

    def compare(self, q: Question, tuned: str, base: str) -> dict[str, Any]:
        """One judgement row: both scores, the tuned model's points and the winner."""
        st, sb = self.score(tuned, q.reference_answer), self.score(base, q.reference_answer)
        return judgement_row(q.id, self.name, st, sb, self.cfg.tie_band)


RUBRIC = """Judge which answer better serves the customer, using the reference answer and the knowledge-base
text as ground truth:
1. Correctness: facts (steps, menu paths, numbers, times, limits, error codes) must match the sources.
2. No hallucination: any specific that the sources do not support is a serious error.
3. Helpfulness: it resolves the question, or asks a needed clarifying question, or politely refuses an
   out-of-scope or unsafe request when the reference does so.
4. Concision and tone: short, polite, no filler. Length alone is not a merit.
Ignore the order in which the answers are shown."""

JUDGE_SYSTEM = "You are a strict, impartial evaluator of customer-support answers. Reply with JSON only."

PROMPT = """{rubric}

[Question]
{question}

[Reference answer]
{reference}

[Knowledge base]
{kb}

[Answer A]
{a}

[Answer B]
{b}

Reply with one JSON object and nothing else:
{{"winner": "A" or "B" or "tie", "a_hallucinates": true or false, "b_hallucinates": true or false, "reason": "<one sentence>"}}"""


def judge_prompt(q: Question, kb: dict[str, Article], a: str, b: str, max_kb_chars: int) -> str:
    """The pairwise prompt with rubric, reference and the supporting articles (cut at max_kb_chars)."""
    kb_text = "\n\n".join(f"{kb[k].id} {kb[k].text}" for k in q.kb_ids if k in kb)[:max_kb_chars]
    return PROMPT.format(
        rubric=RUBRIC,
        question=q.question,
        reference=q.reference_answer,
        kb=kb_text or "(none)",
        a=a or "(empty)",
        b=b or "(empty)",
    )


_WINNER = re.compile(r'"?winner"?\s*[:=]\s*"?\s*(A|B|tie)\b', re.I)
_FLAG = re.compile(r'"?(a|b)_hallucinates"?\s*[:=]\s*"?(true|false|yes|no)', re.I)


@dataclass(frozen=True)
class Verdict:
    """One parsed judge reply for one order; winner is None when the reply could not be read."""

    winner: str | None  # "A" | "B" | "tie" | None
    a_hallucinates: bool | None
    b_hallucinates: bool | None


def parse_verdict(text: str) -> Verdict:
    """Read the judge's JSON (or the same keys in looser text)."""
    match = re.search(r"\{.*\}", text, re.S)
    if match:
        try:
            obj = json.loads(match.group(0))
            win = str(obj.get("winner", "")).strip()
            win = {"a": "A", "b": "B", "tie": "tie"}.get(win.lower())
            return Verdict(win, _as_bool(obj.get("a_hallucinates")), _as_bool(obj.get("b_hallucinates")))
        except (json.JSONDecodeError, AttributeError):
            pass
    w = _WINNER.search(text)
    flags = {m.group(1).lower(): m.group(2).lower() in ("true", "yes") for m in _FLAG.finditer(text)}
    win = None if not w else {"a": "A", "b": "B"}.get(w.group(1).lower(), "tie")
    return Verdict(win, flags.get("a"), flags.get("b"))


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "false", "no"):
        return value.lower() in ("true", "yes")
    return None


def combine_orders(tuned_first: Verdict, base_first: Verdict) -> dict[str, Any]:
    """Average the two orders: tuned points, and per-model hallucination verdicts where both orders agree."""

    def pts(v: Verdict, tuned_slot: str) -> float:
        if v.winner is None or v.winner == "tie":
            return 0.5
        return 1.0 if v.winner == tuned_slot else 0.0

    points = (pts(tuned_first, "A") + pts(base_first, "B")) / 2

    def flag(x: bool | None, y: bool | None) -> bool | None:
        votes = [v for v in (x, y) if v is not None]
        return None if not votes else all(votes)

    return {
        "tuned_points": points,
        "winner": winner_of(points),
        "tuned_hallucinates": flag(tuned_first.a_hallucinates, base_first.b_hallucinates),
        "base_hallucinates": flag(tuned_first.b_hallucinates, base_first.a_hallucinates),
        "unparsed": int(tuned_first.winner is None) + int(base_first.winner is None),
        "position_consistent": pts(tuned_first, "A") == pts(base_first, "B"),
    }


class LLMJudge:
    """Asks a judge model (local or OpenAI-compatible) both orders of each pair and averages them."""

    name = "llm"

    def __init__(self, answerer: Any, cfg: LLMJudgeConfig) -> None:
        self.answerer = answerer
        self.cfg = cfg

    def describe(self) -> dict[str, Any]:
        """Judge model and rubric (recorded in metrics.json and report.md)."""
        return {
            "name": self.name,
            "model": self.answerer.info.get("name") or self.answerer.spec,
            "spec": self.answerer.spec,
            "rubric": RUBRIC,
            "prompt": PROMPT,
            "orders": "both (tuned as A, then base as A); points averaged",
        }

    def compare_many(
        self,
        items: list[tuple[Question, str, str]],
        kb: dict[str, Article],
        batch_size: int = 4,
        progress: bool = True,
        cache: Path | None = None,
    ) -> list[dict[str, Any]]:
        """Judge (question, tuned, base) triples; one row per question. Replies are appended to `cache`
        as they come, and a re-run asks only the prompts whose reply is not cached yet."""
        from tqdm.auto import tqdm

        from supportbot.core.config import GenerationConfig

        gen_cfg = GenerationConfig(system_prompt=JUDGE_SYSTEM, temperature=0.0, repetition_penalty=1.0)
        prompts: list[str] = []
        for q, tuned, base in items:
            prompts.append(judge_prompt(q, kb, tuned, base, self.cfg.max_kb_chars))
            prompts.append(judge_prompt(q, kb, base, tuned, self.cfg.max_kb_chars))
        model = str(self.describe()["model"])
        keys = [hashlib.sha256(f"{model}\n{p}".encode()).hexdigest()[:20] for p in prompts]
        replies = _read_cache(cache)
        todo_keys = [k for k in dict.fromkeys(keys) if k not in replies]
        by_key = dict(zip(keys, prompts, strict=True))
        with tqdm(
            total=len(prompts),
            initial=len(prompts) - len(todo_keys),
            desc="judging (llm)",
            unit="prompt",
            disable=not progress,
        ) as bar:
            for i in range(0, len(todo_keys), batch_size):
                chunk = todo_keys[i : i + batch_size]
                msgs = [
                    [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": by_key[k]}]
                    for k in chunk
                ]
                gens = self.answerer.generate(msgs, gen_cfg, self.cfg.max_new_tokens)
                for k, g in zip(chunk, gens, strict=True):
                    replies[k] = g.text
                _append_cache(cache, {k: replies[k] for k in chunk})
                bar.update(len(chunk))
        rows = []
        for n, (q, _, _) in enumerate(items):
            r1, r2 = replies[keys[2 * n]], replies[keys[2 * n + 1]]
            row = {"id": q.id, "judge": self.name, **combine_orders(parse_verdict(r1), parse_verdict(r2))}
            row["replies"] = {"tuned_first": r1, "base_first": r2}
            rows.append(row)
        return rows


def _read_cache(path: Path | None) -> dict[str, str]:
    """Judge replies cached by prompt hash (a half-written last line is ignored)."""
    out: dict[str, str] = {}
    if path is None or not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            out[row["key"]] = row["reply"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return out


def _append_cache(path: Path | None, replies: dict[str, str]) -> None:
    if path is None:
        return
    with path.open("a", encoding="utf-8") as f:
        for k, v in replies.items():
            f.write(json.dumps({"key": k, "reply": v}, ensure_ascii=False) + "\n")
