"""CLI verb(s) of the eval stage; imports stay light here, the work is imported inside the command."""

from __future__ import annotations

from supportbot.errors import NotYetAvailableError


def eval_command() -> None:
    """Evaluate a tuned model against its base on a question suite."""
    raise NotYetAvailableError("`supportbot eval` is not yet available (tracked in the evaluation issue)")
