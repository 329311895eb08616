"""Split an eval's results by whether retrieval put a gold KB article in the prompt.

python scripts/retrieval_split.py RESULTS_DIR [--answers RESULTS_DIR_WITH_ANSWERS] [--suite eval/suites/support_100.json]

Prints a markdown table: items, tuned win rate, key-fact coverage (tuned / base), hallucinated answers
(tuned / base) and tuned answers with an off-article specific, for gold-retrieved vs missed items.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from supportbot.core.suites import load_suite


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", type=Path, help="results dir with judgements.jsonl")
    p.add_argument("--answers", type=Path, help="dir with answers.jsonl (default: results, else its source)")
    p.add_argument("--suite", default="eval/suites/support_100.json")
    args = p.parse_args()
    gold = {q.id: set(q.kb_ids) for q in load_suite(args.suite).questions}
    answers_dir = args.answers or args.results
    tuned = {a["id"]: a for a in _jsonl(answers_dir / "answers.jsonl") if a["model"] == "tuned"}
    judged = {j["id"]: j for j in _jsonl(args.results / "judgements.jsonl")}
    groups: dict[str, list[str]] = {"gold article retrieved": [], "gold article missed": []}
    for qid, ans in tuned.items():
        got = {c.split("#")[0] for c in ans.get("context_chunk_ids") or []}
        if gold.get(qid):
            groups["gold article retrieved" if gold[qid] & got else "gold article missed"].append(qid)

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else float("nan")

    print(
        "| retrieval | n | tuned win rate | key-fact coverage tuned / base | hallucinated tuned / base | off-article |"
    )
    print("|---|---|---|---|---|---|")
    for name, ids in groups.items():
        rows = [judged[i] for i in ids]
        cov = {
            m: mean([c for r in rows if (c := r["scores"][m]["coverage"]) is not None])
            for m in ("tuned", "base")
        }
        hal = {m: mean([float(r[m]["hallucinated"]) for r in rows]) for m in ("tuned", "base")}
        print(
            f"| {name} | {len(ids)} | {mean([r['tuned_points'] for r in rows]):.1%} | "
            f"{cov['tuned']:.1%} / {cov['base']:.1%} | {hal['tuned']:.0%} / {hal['base']:.0%} | "
            f"{mean([float(r['tuned']['off_article']) for r in rows]):.0%} |"
        )


if __name__ == "__main__":
    main()
