"""Build the judge calibration set of a suite and print each judge's agreement per pair type.

python scripts/calibrate_judge.py [--suite eval/suites/support_100.json] [--kb data/sample/kb]
    [--out eval/calibration/support_100.jsonl] [--judges facts reference]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from supportbot.core.suites import load_kb, load_suite
from supportbot.eval.calibration import (
    agreement,
    agreement_table,
    build_calibration_set,
    judge_scorer,
    write_calibration_set,
)
from supportbot.eval.config import EvalConfig


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="eval/suites/support_100.json")
    p.add_argument("--kb", default="data/sample/kb")
    p.add_argument("--out", default="eval/calibration/support_100.jsonl")
    p.add_argument("--judges", nargs="+", default=["facts", "reference"], choices=["facts", "reference"])
    args = p.parse_args()
    suite, kb, cfg = load_suite(args.suite), load_kb(args.kb), EvalConfig()
    rows = build_calibration_set(suite.questions, kb)
    write_calibration_set(rows, Path(args.out))
    results = {name: agreement(judge_scorer(name, kb, cfg), suite.questions, rows) for name in args.judges}
    print(f"wrote {args.out} ({len(rows)} items)\n")
    print(agreement_table(results))
    for name, res in results.items():
        for r in res:
            if r["target"] is not None and r["agreement"] < r["target"]:
                print(
                    f"{name}: {r['better']} > {r['worse']} below target; failures: {', '.join(r['failures'])}"
                )


if __name__ == "__main__":
    main()
