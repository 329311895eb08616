"""Typed config of the prepare stage: inputs, cleaning, deduplication, leakage guard and split."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from supportbot.core.config import StrictModel

DEFAULT_EVAL_SUITE = "eval/suites/support_100.json"


class CsvMapping(StrictModel):
    """How the columns of a CSV/TSV ticket export map onto a record (unmapped columns go to `meta`)."""

    id: str | None = Field("ticket_id", description="Column holding the record id (None: file stem + row).")
    question: list[str] = Field(
        ["subject", "body"], min_length=1, description="Columns joined into the question."
    )
    answer: str = Field("resolution", description="Column holding the answer.")
    context: list[str] = Field(default_factory=list, description="Columns joined into the context.")
    tags: list[str] = Field(["category"], description="Columns whose values become tags.")
    language: str | None = "language"
    timestamp: str | None = "created_at"
    joiner: str = Field("\n", description="Separator between the joined question/context columns.")


class PiiConfig(StrictModel):
    """PII scrubbing into typed placeholders such as [EMAIL] and [PHONE]."""

    enabled: bool = True
    allow_emails: list[str] = Field(
        ["support@novapay.example"], description="Addresses kept verbatim (the company's own)."
    )


class DedupConfig(StrictModel):
    """Exact and MinHash/LSH near-duplicate removal, plus grouping of similar records."""

    near_threshold: float = Field(
        0.8, gt=0.0, le=1.0, description="Jaccard at/above which a record is removed."
    )
    group_threshold: float = Field(
        0.5, gt=0.0, le=1.0, description="Jaccard at/above which records share a group (never split apart)."
    )
    num_perm: int = Field(128, ge=16, le=1024)
    shingle_size: int = Field(3, ge=1, le=10, description="Words per shingle.")
    seed: int = 1


class SplitConfig(StrictModel):
    """Seeded, group-aware, stratified train/val/test split."""

    train: float = Field(0.8, ge=0.0, le=1.0)
    val: float = Field(0.1, ge=0.0, le=1.0)
    test: float = Field(0.1, ge=0.0, le=1.0)
    seed: int = 42
    stratify_by: list[Literal["source", "tag", "language"]] = ["source", "tag"]

    @model_validator(mode="after")
    def _sums_to_one(self) -> SplitConfig:
        total = self.train + self.val + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"split fractions train+val+test must sum to 1 (got {total:g})")
        return self


class PrepareConfig(StrictModel):
    """Settings of `supportbot prepare`."""

    input: str = Field("data/sample", description="A file, or a folder searched recursively.")
    out: str = Field(
        "data/processed", description="Folder for train/val/test.jsonl, manifest and quarantine."
    )
    format: Literal["auto", "canonical", "openai", "sharegpt", "alpaca", "csv"] = "auto"
    strict: bool = Field(False, description="Any bad record is a fatal error instead of quarantined.")
    allow_bad_files: bool = Field(
        False,
        description="Exit 0 even when a whole file could not be read (it is still named in the quarantine).",
    )
    stats_model: str | None = Field("smollm2-135m", description="Tokenizer for length stats (None: skip).")
    eval_suite: str | None = Field(
        default_factory=lambda: DEFAULT_EVAL_SUITE if Path(DEFAULT_EVAL_SUITE).is_file() else None,
        description="Eval suite whose near-duplicates are kept out of the data (leakage guard).",
    )
    leak_threshold: float = Field(0.8, gt=0.0, le=1.0, description="Jaccard at/above which a record leaks.")
    answer_leak_threshold: float | None = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="Answer-only Jaccard to a reference answer at/above which a record leaks; null disables.",
    )
    exclude_dirs: list[str] = Field(["kb"], description="Folder names never read (e.g. the knowledge base).")
    max_record_chars: int = Field(20_000, ge=100, description="Longer raw records are quarantined.")
    system_messages: Literal["drop", "context"] = Field(
        "drop", description="Chat system messages: drop (counted) or move into inputs.context."
    )
    csv: CsvMapping = Field(default_factory=CsvMapping)
    pii: PiiConfig = Field(default_factory=PiiConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
