"""Typed config of the grounded feature: training data (section `grounded`: request mix, RAFT context, split,
leakage) and the troubleshoot answer settings (`serve.troubleshoot`) that serving and the grounded eval share."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from supportbot.core.config import StrictModel
from supportbot.retrieval.config import RetrievalConfig


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


class TroubleshootConfig(StrictModel):
    """POST /v1/troubleshoot: grounded JSON answers from the KB index (docs/grounded.md)."""

    enabled: bool = Field(
        False, description="Serve /v1/troubleshoot (needs a KB index); off: the route answers 404."
    )
    index_dir: str | None = Field(None, description="KB index folder (default retrieval.index_dir).")
    build_index: bool = Field(
        False,
        description="Build the index at startup when it is missing or stale (KB changed) instead of refusing "
        "to start; off suits deployments that ship a prebuilt index.",
    )
    top_k: int | None = Field(
        None,
        ge=1,
        le=20,
        description="Chunks retrieved per request (default retrieval.top_k; use the k trained with).",
    )
    max_new_tokens: int = Field(384, ge=16, le=8192, description="Token budget of one JSON answer.")
    retries: int = Field(1, ge=0, le=3, description="Repair retries after an invalid answer (then 502).")
    guided: bool = Field(
        False,
        description="Guided decoding (hf backend): the JSON structure, enums and citations (retrieved ids only) "
        "are forced, so every answer is schema-valid; the model still writes every value.",
    )


@dataclass(frozen=True)
class TroubleshootSettings:
    """What /v1/troubleshoot and the grounded eval both answer with, resolved once from the config."""

    index_dir: str
    kb_dir: str
    k: int
    max_new_tokens: int
    retries: int
    guided: bool
    build_index: bool


def troubleshoot_settings(ts: TroubleshootConfig, retrieval: RetrievalConfig) -> TroubleshootSettings:
    """serve.troubleshoot with its fallbacks to the retrieval section (index and k); serve and eval call this."""
    return TroubleshootSettings(
        index_dir=ts.index_dir or retrieval.index_dir,
        kb_dir=retrieval.kb_dir,
        k=ts.top_k or retrieval.top_k,
        max_new_tokens=ts.max_new_tokens,
        retries=ts.retries,
        guided=ts.guided,
        build_index=ts.build_index,
    )
