"""Retrieval settings: chunking, BM25 + dense fusion, embedding model and vector store (section `retrieval`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from supportbot.core.config import StrictModel
from supportbot.core.embedder import DEFAULT_EMBEDDING_MODEL


class RetrievalConfig(StrictModel):
    """How the knowledge base is chunked, indexed and searched."""

    kb_dir: str = Field("data/sample/kb", description="Folder of KB-NNN-*.md articles (or .txt files).")
    index_dir: str = Field("indexes/sample", description="Where `supportbot index` writes the index.")
    chunk_size: int = Field(120, ge=20, le=2000, description="Maximum words per chunk.")
    chunk_overlap: int = Field(30, ge=0, description="Words repeated from the previous chunk of a section.")
    top_k: int = Field(5, ge=1, le=100, description="Chunks returned per query.")
    candidates: int = Field(30, ge=1, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant: score = w / (rrf_k + rank).")
    bm25_weight: float = Field(1.0, ge=0.0)
    dense_weight: float = Field(1.0, ge=0.0)
    bm25_k1: float = Field(1.5, gt=0.0)
    bm25_b: float = Field(0.75, ge=0.0, le=1.0)
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL, description="all-MiniLM-L6-v2 (bundled, offline) or a local model dir."
    )
    embedding_batch_size: int = Field(32, ge=1)
    store: Literal["numpy"] = Field("numpy", description="Vector store backend (see retrieval/store.py).")

    @model_validator(mode="after")
    def _check(self) -> RetrievalConfig:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be < chunk_size ({self.chunk_size})")
        if self.bm25_weight == 0 and self.dense_weight == 0:
            raise ValueError("bm25_weight and dense_weight cannot both be 0")
        return self


class ContextConfig(StrictModel):
    """Retrieved KB chunks placed before the question as context, the same way in training, eval and serving."""

    index_dir: str = Field("indexes/sample", description="Index folder (built here when missing).")
    kb_dir: str | None = Field(
        "data/sample/kb", description="KB the index is checked against; a missing or stale index is rebuilt."
    )
    k: int = Field(3, ge=1, le=20, description="Chunks retrieved per question.")
    max_sentences: int | None = Field(
        5,
        ge=1,
        description="Keep only the N sentences of the retrieved chunks most similar to the question (each "
        "still labelled with its chunk id): ~4x fewer prompt tokens than whole chunks. null = whole chunks.",
    )
    oracle_sentences: int = Field(
        0,
        ge=0,
        le=20,
        description="Training only (RAFT's oracle passage): also show up to N KB sentences that best support "
        "each training answer, so the facts in the target can be copied from the context instead of being "
        "memorised (with 4 retrieved sentences only ~half of the answers' specifics are in the context). "
        "Eval, serving and the val split retrieve by the question alone. 0 = off.",
    )
