"""Simulate a support lead's review of the prepared train split, for measuring preference tuning offline.

Each train example whose reference answer has a changeable key fact (a number, time, error code or menu label)
becomes one blind pair: the reference answer against the same answer with that fact changed (the calibration
set's `wrong_specific` variant, eval/calibration.py: a hallucinated specific). The simulated reviewer always
picks the reference. The output is a results dir in `supportbot eval`'s layout (answers.jsonl, metrics.json)
with the verdicts in human.jsonl, so `supportbot prepare-preferences --results <dir>` reads it as it reads a
real review. The pairs come from the train split, which `prepare` already keeps clear of the eval suite.

    python scripts/simulate_review.py [--data data/processed] [--out results/simulated-review]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from supportbot.core.suites import Question, load_kb
from supportbot.eval.calibration import wrong_specific
from supportbot.review.labels import Label, append_label, now
from supportbot.review.pairs import a_is_tuned
from supportbot.train.dataset import read_split


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", type=Path, default=Path("data/processed"), help="Prepared splits (train.jsonl)."
    )
    ap.add_argument(
        "--kb", default="data/sample/kb", help="KB (for the error codes a changed code may take)."
    )
    ap.add_argument("--out", type=Path, default=Path("results/simulated-review"))
    args = ap.parse_args()
    kb = load_kb(args.kb)
    rows = read_split(args.data / "train.jsonl")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("answers.jsonl", "human.jsonl"):
        (args.out / name).unlink(missing_ok=True)
    eval_id = args.out.name
    answers, skipped = [], 0
    for r in rows:
        ref = r["outputs"]["answer"]
        wrong = wrong_specific(Question(r["id"], r["inputs"]["question"], ref), kb)
        if not wrong:
            skipped += 1
            continue
        q = r["inputs"]["question"]
        answers += [
            {"model": "tuned", "id": r["id"], "question": q, "answer": ref},
            {"model": "base", "id": r["id"], "question": q, "answer": wrong},
        ]
        a, b = ("tuned", "base") if a_is_tuned(eval_id, r["id"]) else ("base", "tuned")
        choice = "A" if a == "tuned" else "B"
        append_label(args.out, Label(r["id"], choice, a, b, "simulated:calibration", time=now()))
    (args.out / "answers.jsonl").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in answers)
    )
    metrics = {
        "eval_id": eval_id,
        "simulated": "reference answer (tuned) vs the reference with one key fact changed (base)",
        "models": {"tuned": {"spec": "simulated:reference"}, "base": {"spec": "simulated:wrong_specific"}},
        "suite": {"path": None, "name": f"{args.data}/train.jsonl"},
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print(
        f"wrote {args.out}: {len(answers) // 2} simulated verdicts ({skipped} examples had no changeable fact)"
    )


if __name__ == "__main__":
    main()
