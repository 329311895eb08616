"""Typed config of grounded training data (section `grounded`): request mix, RAFT context, split, leakage."""

from __future__ import annotations

from pydantic import Field

from supportbot.core.config import StrictModel


class GroundedConfig(StrictModel):
    """Settings of `supportbot prepare-grounded` (the index and k come from the `retrieval` section)."""

    out_dir: str = Field("data/grounded", description="Where train.jsonl, val.jsonl and manifest.json go.")
    records: str | None = Field(
        None,
        description="Hand-written grounded records (JSON suite or JSONL, grounded_100's shape) used "
        "instead of generating them from the KB.",
    )
    requests_per_article: int = Field(8, ge=1, le=200, description="Generated requests per KB article.")
    hinglish_share: float = Field(0.15, ge=0.0, le=1.0, description="Share of requests asked in Hinglish.")
    no_query_share: float = Field(
        0.2, ge=0.0, le=1.0, description="Share of error-code requests sent with no free-text query."
    )
    umbrella_tags: list[str] = Field(
        default_factory=lambda: ["onboarding"],
        description="Lowercase KB tags too broad to be a funnel stage (skipped when picking the stage).",
    )
    k: int | None = Field(
        None, ge=1, le=20, description="Chunks in each example's context (default retrieval.top_k)."
    )
    p_gold: float = Field(
        0.8, ge=0.0, le=1.0, description="Share of examples whose context holds the gold chunks (RAFT)."
    )
    val_share: float = Field(0.1, ge=0.0, lt=1.0, description="Share of records held out for val loss.")
    seed: int = 0
    leakage_suites: list[str] = Field(
        default_factory=lambda: ["eval/suites/grounded_100.json"],
        description="Grounded eval suites no training request may duplicate or near-duplicate.",
    )
    leakage_threshold: float = Field(
        0.8, gt=0.0, le=1.0, description="Query Jaccard similarity (word 3-grams) counted as a leak."
    )
