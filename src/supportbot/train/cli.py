"""CLI verb(s) of the train stage; imports stay light here, the work is imported inside the command."""

from __future__ import annotations

from supportbot.errors import NotYetAvailableError


def train_command() -> None:
    """Fine-tune a base model with LoRA/QLoRA."""
    raise NotYetAvailableError("`supportbot train` is not yet available (tracked in the training issue)")


def report_command() -> None:
    """Plot a run's curves and summarise its convergence."""
    raise NotYetAvailableError("`supportbot report` is not yet available (tracked in the training issue)")
