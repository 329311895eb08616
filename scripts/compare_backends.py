"""Compare eval runs of the same models on different runtimes (HF fp32 first, then GGUF types).

python scripts/compare_backends.py REFERENCE_RESULTS_DIR OTHER_RESULTS_DIR [...] [--model smollm2-135m]

Prints a markdown table: each run's win rate vs base (95% CI), hallucination and key-fact figures under the eval's
judge, and how far its answers agree with the reference run's (identical answers; common prefix in tokens).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from supportbot.core.models import load_tokenizer
from supportbot.eval.backend_agreement import markdown_table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reference", type=Path, help="results dir of the reference runtime (e.g. hf fp32)")
    p.add_argument("others", type=Path, nargs="+", help="results dirs to compare with it")
    p.add_argument("--model", default="smollm2-135m", help="base model whose tokenizer counts the tokens")
    args = p.parse_args()
    print(markdown_table(args.reference, args.others, load_tokenizer(args.model)))


if __name__ == "__main__":
    main()
