"""Typed config of the prepare stage."""

from supportbot.config import StrictModel


class PrepareConfig(StrictModel):
    """Settings of `supportbot prepare` (filled in by the data pipeline)."""

    input: str = "data/sample"
    out: str = "data/processed"
