"""CLI verb(s) of the data stage; imports stay light here, the work is imported inside the command."""

from __future__ import annotations

from supportbot.errors import NotYetAvailableError


def prepare_command() -> None:
    """Turn raw support data into clean, deduplicated, leakage-free splits."""
    raise NotYetAvailableError(
        "`supportbot prepare` is not yet available (tracked in the data pipeline issue)"
    )
