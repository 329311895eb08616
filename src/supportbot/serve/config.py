"""Typed config of the serve stage."""

from supportbot.config import StrictModel


class ServeConfig(StrictModel):
    """Settings of `supportbot serve` (filled in by the serving stage)."""

    host: str = "127.0.0.1"
    port: int = 8000
