"""`python -m supportbot.cli` = the `supportbot` console script."""

from supportbot.cli import main

main()
