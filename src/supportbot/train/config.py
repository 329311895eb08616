"""Typed config of the train stage."""

from supportbot.config import StrictModel


class TrainConfig(StrictModel):
    """Settings of `supportbot train` (filled in by the training stage)."""

    data_dir: str = "data/processed"
    output_dir: str = "runs"
