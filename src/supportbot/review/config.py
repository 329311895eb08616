"""Typed config of the review stage (`supportbot review`) and of `supportbot prepare-preferences`."""

from __future__ import annotations

import getpass

from pydantic import Field

from supportbot.core.config import StrictModel


def _default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


class ReviewConfig(StrictModel):
    """The review page: where it listens and who is reviewing (API keys follow serve.api_keys_*)."""

    host: str = Field("127.0.0.1", description="Loopback by default; any other address needs API keys.")
    port: int = Field(8100, ge=0, le=65535)
    reviewer: str = Field(default_factory=_default_reviewer, description="Name stored with each verdict.")
    kb_dir: str | None = Field(
        None, description="KB articles shown beside the reference (default: eval.kb_dir)."
    )


class PreferencesConfig(StrictModel):
    """`supportbot prepare-preferences`: human verdicts, corrected feedback and confident judge verdicts ->
    TRL preference pairs {inputs, chosen, rejected} with a group split and a manifest."""

    results: list[str] = Field(
        default_factory=list, description="Eval results dirs (their human.jsonl and judgements.jsonl)."
    )
    feedback: list[str] = Field(
        default_factory=list, description="Feedback files of the served API (serve.feedback_path)."
    )
    out: str = Field("data/preferences", description="Folder for train/val.jsonl, quarantine and manifest.")
    judge_margin: float | None = Field(
        0.3,
        ge=0.0,
        description="Judge verdicts become pairs when |score tuned - score base| is at least this (facts "
        "judge scores lie in about [-1, 1]); null: no judge pairs. An item with a human verdict uses that.",
    )
    eval_suite: str | None = Field(
        "eval/suites/support_100.json",
        description="Pairs whose question is a near-duplicate of a question of this suite are quarantined.",
    )
    leak_threshold: float = Field(
        0.8, gt=0.0, le=1.0, description="Question Jaccard at/above which a pair leaks."
    )
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="Share of question groups held out for val.")
    group_threshold: float = Field(
        0.5, gt=0.0, le=1.0, description="Questions this Jaccard-similar share a group (never split apart)."
    )
    seed: int = 42
    allow_emails: list[str] = Field(
        ["support@novapay.example"], description="Kept verbatim by the PII scrub."
    )
