"""Typed config of the eval stage."""

from supportbot.config import StrictModel


class EvalConfig(StrictModel):
    """Settings of `supportbot eval` (filled in by the eval stage)."""

    suite: str = "eval/suites/support_100.json"
    out_dir: str = "results"
