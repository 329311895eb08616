"""Thin entry point: `python scripts/train.py ...` is `supportbot train ...`."""

import sys

from supportbot.cli import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "train", *sys.argv[1:]]
    main()
