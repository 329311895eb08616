"""Thin entry point: `python scripts/prepare_data.py ...` is `supportbot prepare ...`."""

import sys

from supportbot.cli import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "prepare", *sys.argv[1:]]
    main()
