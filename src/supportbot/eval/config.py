"""Typed config of the eval stage: suite, judge, thresholds, batching and the price table."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from supportbot.core.config import StrictModel
from supportbot.retrieval.config import ContextConfig


class ReferenceJudgeConfig(StrictModel):
    """Weights and tie band of the offline `reference` judge (a similarity proxy, not a grader)."""

    embedding_weight: float = Field(0.5, ge=0.0, description="Weight of sentence-embedding cosine.")
    f1_weight: float = Field(0.25, ge=0.0, description="Weight of token-level F1.")
    rouge_weight: float = Field(0.25, ge=0.0, description="Weight of ROUGE-L F-measure.")
    tie_band: float = Field(0.02, ge=0.0, le=1.0, description="Combined-score gaps within this are ties.")


class FactJudgeConfig(StrictModel):
    """Penalties and tie band of the offline `facts` judge (key-fact coverage; see eval/fact_judge.py)."""

    invented_penalty: float = Field(
        0.5, ge=0.0, description="Per specific absent from / contradicting the KB."
    )
    off_article_penalty: float = Field(
        0.15, ge=0.0, description="Per true specific from a KB article the question does not cite."
    )
    extra_penalty: float = Field(
        0.1, ge=0.0, description="Per cited-article specific the reference does not state (pasted context)."
    )
    verbose_ratio: float = Field(
        2.0, gt=0.0, description="Answers up to this many reference lengths are free."
    )
    verbose_penalty: float = Field(
        0.2, ge=0.0, description="Per further reference length beyond verbose_ratio."
    )
    verbose_max: float = Field(0.4, ge=0.0, description="The verbosity penalty is capped here.")
    max_penalty: float = Field(1.0, ge=0.0, description="The penalty of one answer is capped here.")
    tie_band: float = Field(0.05, ge=0.0, le=1.0, description="Score gaps within this are ties.")


class LLMJudgeConfig(StrictModel):
    """The pairwise `llm` judge: which model judges, and how it is asked."""

    model: str | None = Field(None, description="Registry name, HF id, local dir, or http(s)://host/v1 URL.")
    model_name: str | None = Field(None, description="Model name sent to an OpenAI-compatible endpoint.")
    api_key_env: str = Field("OPENAI_API_KEY", description="Env var holding the judge endpoint's key.")
    max_new_tokens: int = Field(200, ge=1)
    max_kb_chars: int = Field(4000, ge=0, description="Knowledge-base text shown to the judge is cut here.")


class HallucinationConfig(StrictModel):
    """Thresholds of the hallucination detector."""

    support_threshold: float = Field(
        0.45, ge=0.0, le=1.0, description="An answer sentence needs a source sentence at least this similar."
    )
    min_sentence_words: int = Field(4, ge=1, description="Shorter sentences are not checked for support.")


class PriceTable(StrictModel):
    """Prices used for the estimated cost per 1k answers (USD)."""

    cpu_hour: float = Field(0.10, ge=0.0, description="Price of one hour of the CPU machine that generates.")
    gpu_hour: float = Field(2.50, ge=0.0, description="Price of one GPU hour (when generating on CUDA).")
    endpoint_input_per_1m: float = Field(
        0.15, ge=0.0, description="Hosted endpoint: USD per 1M prompt tokens."
    )
    endpoint_output_per_1m: float = Field(
        0.60, ge=0.0, description="Hosted endpoint: USD per 1M completion tokens."
    )


class TargetConfig(StrictModel):
    """What the verdict checks: met when the whole 95% interval clears the target."""

    win_rate: float = Field(0.6, ge=0.0, le=1.0, description="Win rate vs base (ties = 1/2).")
    hallucination_reduction: float = Field(
        0.3, le=1.0, description="Relative reduction of the per-answer hallucination rate vs base."
    )


class EvalConfig(StrictModel):
    """Settings of `supportbot eval`."""

    suite: str = "eval/suites/support_100.json"
    kb_dir: str | None = Field(
        "data/sample/kb", description="Knowledge-base articles (KB-*.md); null = none."
    )
    out_dir: str = "results"
    judge: Literal["facts", "reference", "llm"] = Field(
        "facts",
        description="facts: key-fact coverage (offline, default); reference: similarity proxy; llm: pairwise.",
    )
    batch_size: int = Field(8, ge=1, description="Questions generated together in one batch.")
    max_new_tokens: int | None = Field(None, ge=1, description="Overrides generation.max_new_tokens.")
    limit: int | None = Field(None, ge=1, description="Answer only the first N questions of the suite.")
    reuse_base_from_adapter: bool = Field(
        True, description="When the base is the tuned model's own base, answer with the adapter disabled."
    )
    threads: int | None = Field(
        None, ge=1, description="torch CPU threads for generation (1 avoids thrashing on a busy machine)."
    )
    endpoint_timeout_s: float = Field(120.0, gt=0.0)
    semantic_match_threshold: float = Field(
        0.8, ge=0.0, le=1.0, description="Embedding cosine at which an answer semantically matches."
    )
    too_long_words: int = Field(
        120, ge=1, description="Answers longer than this land in the 'too long' bucket."
    )
    wrong_fact_score: float = Field(
        0.45, ge=0.0, le=1.0, description="Reference-judge score below which an answer is a 'wrong fact'."
    )
    examples: int = Field(10, ge=0, description="Before/after examples shown in report.md.")
    context: ContextConfig | None = Field(
        None,
        description="Retrieved KB chunks placed before each question (both models); set it for a model "
        "trained with train.context. null = closed-book questions.",
    )
    context_from_model: bool = Field(
        True,
        description="When eval.context is null and the tuned model was trained with train.context, use that.",
    )
    targets: TargetConfig = Field(default_factory=TargetConfig)
    facts: FactJudgeConfig = Field(default_factory=FactJudgeConfig)
    reference: ReferenceJudgeConfig = Field(default_factory=ReferenceJudgeConfig)
    llm_judge: LLMJudgeConfig = Field(default_factory=LLMJudgeConfig)
    hallucination: HallucinationConfig = Field(default_factory=HallucinationConfig)
    prices: PriceTable = Field(default_factory=PriceTable)
