"""`supportbot prepare-preferences`: verdicts -> TRL preference pairs {inputs, chosen, rejected}.

Sources, strongest first (an item with a human verdict never also yields a judge pair):
- human verdicts (`results/<eval-id>/human.jsonl`): the winner's answer over the loser's; a corrected answer
  over each model answer; a tie without a correction gives no pair (counted);
- served-API feedback with a corrected answer (`serve.feedback_path`): the correction over the served answer;
- judge verdicts (`judgements.jsonl`) whose score margin reaches `judge_margin`.

Every text is PII-scrubbed the way `prepare` scrubs. Exact duplicates are dropped, pairs whose question is a
near-duplicate of an eval-suite question are quarantined (with the suite item they match), and the split
keeps every group of similar questions on one side. Nothing is dropped silently: quarantine.jsonl and the
manifest count every pair that did not make it, with its reason.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core.errors import DataError
from supportbot.core.jsonl import read_jsonl

SPLITS = ("train", "val")


@dataclass
class Candidate:
    """One preference pair before scrubbing, dedup and the leakage guard."""

    source: str  # human | feedback | judge
    item: str  # where it came from: <eval id>/<question id>, or feedback:<response id>
    question: str
    history: list[dict[str, str]]
    chosen: str
    rejected: str
    meta: dict[str, Any]


def from_results(results_dir: Path, judge_margin: float | None, counts: dict[str, int]) -> list[Candidate]:
    """Human pairs, then judge pairs for the items nobody labelled, of one results dir."""
    from supportbot.review.labels import HUMAN_LABELS, latest_labels, read_labels
    from supportbot.review.pairs import load_pairs

    eval_id, pairs = load_pairs(results_dir)
    by_id = {p.id: p for p in pairs}
    out: list[Candidate] = []
    labelled: set[str] = set()
    for label in latest_labels(read_labels(results_dir / HUMAN_LABELS)).values():
        pair = by_id.get(label.id)
        if pair is None:
            counts["human_unknown_item"] = counts.get("human_unknown_item", 0) + 1
            continue
        labelled.add(label.id)
        meta = {
            "results": str(results_dir),
            "id": label.id,
            "reviewer": label.reviewer,
            "verdict": label.winner,
        }
        base = {"item": f"{eval_id}/{label.id}", "question": pair.question, "history": []}
        if label.correction:
            for model in ("tuned", "base"):
                if pair.answers[model].strip() != label.correction.strip():
                    out.append(
                        Candidate("human", chosen=label.correction, rejected=pair.answers[model],
                                  meta={**meta, "rejected_model": model, "corrected": True}, **base)
                    )  # fmt: skip
        elif label.winner in ("tuned", "base"):
            loser = "base" if label.winner == "tuned" else "tuned"
            out.append(
                Candidate("human", chosen=pair.answers[label.winner], rejected=pair.answers[loser],
                          meta={**meta, "rejected_model": loser}, **base)
            )  # fmt: skip
        else:
            counts[f"human_{label.winner}_without_correction"] = (
                counts.get(f"human_{label.winner}_without_correction", 0) + 1
            )
    judged = results_dir / "judgements.jsonl"
    if judge_margin is None or not judged.is_file():
        return out
    for row in read_jsonl(judged):
        qid = row.get("id")
        if qid in labelled or qid not in by_id:
            continue
        scores = row.get("scores") or {}
        try:
            margin = float(scores["tuned"]["score"]) - float(scores["base"]["score"])
        except (KeyError, TypeError, ValueError):
            counts["judge_without_scores"] = counts.get("judge_without_scores", 0) + 1
            continue
        if margin == 0 or abs(margin) < judge_margin:
            counts["judge_below_margin"] = counts.get("judge_below_margin", 0) + 1
            continue
        pair = by_id[qid]
        winner, loser = ("tuned", "base") if margin > 0 else ("base", "tuned")
        out.append(
            Candidate(
                "judge",
                item=f"{eval_id}/{qid}",
                question=pair.question,
                history=[],
                chosen=pair.answers[winner],
                rejected=pair.answers[loser],
                meta={"results": str(results_dir), "id": qid, "judge": row.get("judge"), "margin": round(margin, 4),
                      "rejected_model": loser},
            )
        )  # fmt: skip
    return out


def from_feedback(path: Path, counts: dict[str, int]) -> list[Candidate]:
    """Pairs from the served API's feedback: a corrected answer over the answer that was served."""
    if not path.is_file():
        raise DataError(f"preferences.feedback {path}: file not found")
    out = []
    for n, row in enumerate(read_jsonl(path), 1):
        messages = row.get("messages") or []
        users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        if not users or not isinstance(row.get("answer"), str):
            raise DataError(f"{path}:{n}: feedback without the served messages and answer")
        if not row.get("correction"):
            counts["feedback_without_correction"] = counts.get("feedback_without_correction", 0) + 1
            continue
        if not row["answer"].strip():  # nothing to prefer the correction over (an SFT example, not a pair)
            counts["feedback_on_an_empty_answer"] = counts.get("feedback_on_an_empty_answer", 0) + 1
            continue
        last = users[-1]
        history = [
            {"role": m["role"], "content": m["content"]}
            for m in messages[:last]
            if m.get("role") in ("user", "assistant")
        ]
        out.append(
            Candidate(
                "feedback",
                item=f"feedback:{row.get('response_id')}",
                question=messages[last]["content"],
                history=history,
                chosen=row["correction"],
                rejected=row["answer"],
                meta={"file": str(path), "line": n, "rating": row.get("rating"), "response_id": row.get("response_id")},
            )
        )  # fmt: skip
    return out


def _scrub(c: Candidate, allow: list[str], pii: dict[str, int]) -> Candidate:
    from supportbot.data.pii import scrub_pii

    def clean(text: str) -> str:
        text, found = scrub_pii(text, allow)
        for k, v in found.items():
            pii[k] = pii.get(k, 0) + v
        return text

    return Candidate(
        c.source,
        c.item,
        clean(c.question),
        [{**t, "content": clean(t["content"])} for t in c.history],
        clean(c.chosen),
        clean(c.rejected),
        c.meta,
    )


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _pair_id(c: Candidate) -> str:
    key = "\x1f".join([_norm(c.question), _norm(c.chosen), _norm(c.rejected)])
    return "pref-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _record(c: Candidate, pair_id: str, group: str) -> dict[str, Any]:
    return {
        "id": pair_id,
        "inputs": {"question": c.question, "context": None, "history": c.history},
        "chosen": c.chosen,
        "rejected": c.rejected,
        "meta": {"source": c.source, "item": c.item, "group": group, **c.meta},
    }


def _groups(questions: list[str], threshold: float, seed: int) -> list[int]:
    """Connected groups of questions at/above `threshold` word-3-gram Jaccard (MinHash/LSH)."""
    from supportbot.data.config import DedupConfig
    from supportbot.data.dedup import similarity_groups

    cfg = DedupConfig(group_threshold=threshold, seed=seed)
    return similarity_groups([_norm(q) for q in questions], [None] * len(questions), cfg)


def _leaks(candidates: list[Candidate], suite: str | None, threshold: float) -> dict[int, str]:
    """Index -> the suite item a pair's question is a near-duplicate of."""
    if not suite:
        return {}
    from supportbot.data.leakage import find_leaks, load_suite_questions
    from supportbot.data.schema import Record

    records = [
        Record.model_validate(
            {"id": str(i), "inputs": {"question": c.question}, "outputs": {"answer": c.chosen}}
        )
        for i, c in enumerate(candidates)
    ]
    questions = [
        {"id": q["id"], "question": q["question"]} for q in load_suite_questions(suite)
    ]  # no answers
    out: dict[int, str] = {}
    for leak in find_leaks(records, questions, threshold):
        out.setdefault(
            int(leak.record_id), f"{leak.question_id} ({leak.field} Jaccard {leak.similarity:.2f})"
        )
    return out


@dataclass
class PreferenceResult:
    """Where the pairs went and the manifest written beside them."""

    out: Path
    manifest: dict[str, Any]


def prepare_preferences(cfg: Any) -> PreferenceResult:
    """Collect, scrub, dedup, guard and split; write train/val.jsonl, quarantine.jsonl and manifest.json."""
    from supportbot.core.artifacts import sha256_file
    from supportbot.data.manifest import dataset_hash

    if not cfg.results and not cfg.feedback:
        raise DataError("prepare-preferences: no input (give --results DIR and/or --feedback FILE)")
    counts: dict[str, int] = {}
    inputs: dict[str, str] = {}
    candidates: list[Candidate] = []
    for r in cfg.results:
        path = Path(r)
        candidates += from_results(path, cfg.judge_margin, counts)
        for name in ("human.jsonl", "judgements.jsonl", "answers.jsonl"):
            if (path / name).is_file():
                inputs[str(path / name)] = sha256_file(path / name)
    for f in cfg.feedback:
        candidates += from_feedback(Path(f), counts)
        inputs[str(f)] = sha256_file(Path(f))
    pii: dict[str, int] = {}
    candidates = [_scrub(c, cfg.allow_emails, pii) for c in candidates]
    quarantine: list[dict[str, Any]] = []
    kept: list[tuple[str, Candidate]] = []
    seen: dict[str, str] = {}
    for c in candidates:
        pid = _pair_id(c)
        if not c.chosen.strip() or not c.rejected.strip():
            quarantine.append({"reason": "an empty answer", "item": c.item, "source": c.source})
        elif _norm(c.chosen) == _norm(c.rejected):
            quarantine.append({"reason": "chosen equals rejected", "item": c.item, "source": c.source})
        elif pid in seen:
            quarantine.append({"reason": f"duplicate of {seen[pid]}", "item": c.item, "source": c.source})
        else:
            seen[pid] = c.item
            kept.append((pid, c))
    leaks = _leaks([c for _, c in kept], cfg.eval_suite, cfg.leak_threshold)
    for i in sorted(leaks):
        pid, c = kept[i]
        quarantine.append(
            {"reason": f"eval-suite leak: {leaks[i]}", "item": c.item, "source": c.source, "id": pid}
        )
    kept = [k for i, k in enumerate(kept) if i not in leaks]
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "quarantine.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in quarantine), encoding="utf-8"
    )
    if not kept:
        raise DataError(
            f"prepare-preferences: no pair left ({len(candidates)} candidate(s); {len(quarantine)} quarantined, "
            f"see {out / 'quarantine.jsonl'}; skipped: {counts or 'none'})"
        )
    group_of = _groups([c.question for _, c in kept], cfg.group_threshold, cfg.seed)
    groups = sorted(set(group_of))
    random.Random(cfg.seed).shuffle(groups)
    n_val = round(len(groups) * cfg.val_fraction)
    if cfg.val_fraction > 0 and len(groups) > 1:
        n_val = min(max(n_val, 1), len(groups) - 1)  # training needs a val pair, and a train pair
    val_groups = set(groups[:n_val])
    rows: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for (pid, c), g in zip(kept, group_of, strict=True):
        rows["val" if g in val_groups else "train"].append(_record(c, pid, f"pg{g}"))
    hashes = {}
    for split in SPLITS:
        path = out / f"{split}.jsonl"
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[split]), encoding="utf-8"
        )
        hashes[f"{split}.jsonl"] = sha256_file(path)
    by_source = {s: sum(c.source == s for _, c in kept) for s in ("human", "feedback", "judge")}
    manifest = {
        "kind": "preferences",
        "dataset_hash": dataset_hash(hashes),
        "files": {k: {"sha256": v, "pairs": len(rows[k.split(".")[0]])} for k, v in hashes.items()},
        "pairs": {"candidates": len(candidates), "kept": len(kept), "by_source": by_source},
        "groups": {"train": len(groups) - n_val, "val": n_val},
        "quarantine": {"pairs": len(quarantine), "eval_suite_leaks": len(leaks)},
        "skipped": counts,
        "pii_scrubbed": pii,
        "inputs": inputs,
        "config": cfg.model_dump(mode="json"),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return PreferenceResult(out, manifest)
