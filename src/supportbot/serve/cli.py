"""CLI verb(s) of the serve stage; imports stay light here, the work is imported inside the command."""

from __future__ import annotations

from supportbot.errors import NotYetAvailableError


def serve_command() -> None:
    """Serve a model over HTTP (FastAPI)."""
    raise NotYetAvailableError("`supportbot serve` is not yet available (tracked in the serving issue)")
