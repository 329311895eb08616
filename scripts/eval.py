"""Thin entry point: `python scripts/eval.py ...` is `supportbot eval ...`."""

import sys

from supportbot.cli import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "eval", *sys.argv[1:]]
    main()
