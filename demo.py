"""Interactive terminal chat with the embedded default model: `python demo.py` (same as `supportbot chat`)."""

import sys

from supportbot.cli import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "chat", *sys.argv[1:]]
    main()
