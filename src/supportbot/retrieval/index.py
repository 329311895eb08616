"""Hybrid knowledge-base index: BM25 + dense embeddings fused by reciprocal rank, saved with a manifest."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from supportbot.core.embedder import Embedder
from supportbot.core.errors import DataError
from supportbot.retrieval.bm25 import BM25
from supportbot.retrieval.chunk import Chunk, chunk_articles, kb_hash, load_articles
from supportbot.retrieval.config import RetrievalConfig
from supportbot.retrieval.store import VectorStore, store_class

MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
VECTORS_DIR = "vectors"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with its fused score."""

    chunk_id: str
    article_id: str
    score: float
    text: str
    title: str = ""


def rrf_fuse(rankings: list[list[str]], weights: list[float], k: int) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each id scores sum(w / (k + rank)) over the rankings (rank from 1), best first."""
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class HybridIndex:
    """Chunks + BM25 + a vector store; `search(query, k)` fuses both rankings with RRF."""

    def __init__(
        self,
        chunks: list[Chunk],
        store: VectorStore,
        cfg: RetrievalConfig,
        manifest: dict[str, Any],
        embedder: Embedder | None = None,
    ) -> None:
        self.chunks = chunks
        self.by_id = {c.chunk_id: c for c in chunks}
        self.store = store
        self.cfg = cfg
        self.manifest = manifest
        self.embedder = embedder or Embedder(cfg.embedding_model, cfg.embedding_batch_size)
        self.bm25 = BM25([c.search_text() for c in chunks], k1=cfg.bm25_k1, b=cfg.bm25_b)

    @property
    def article_ids(self) -> set[str]:
        """Ids of every indexed article."""
        return {c.article_id for c in self.chunks}

    @classmethod
    def build(
        cls,
        kb_dir: str | Path,
        cfg: RetrievalConfig | None = None,
        embedder: Embedder | None = None,
        progress: bool = False,
    ) -> HybridIndex:
        """Chunk a KB folder, embed every chunk and index it."""
        cfg = cfg or RetrievalConfig()
        articles = load_articles(kb_dir)
        chunks = chunk_articles(articles, cfg.chunk_size, cfg.chunk_overlap)
        embedder = embedder or Embedder(cfg.embedding_model, cfg.embedding_batch_size)
        vectors = embedder.encode([c.search_text() for c in chunks], progress=progress)
        store = store_class(cfg.store)()
        store.add([c.chunk_id for c in chunks], vectors)
        manifest = {
            "format_version": FORMAT_VERSION,
            "kb_dir": str(kb_dir),
            "kb_hash": kb_hash(articles),
            "articles": len(articles),
            "chunks": len(chunks),
            "embedding_model": cfg.embedding_model,
            "embedding_dim": int(vectors.shape[1]),
            "store": cfg.store,
            "config": cfg.model_dump(mode="json"),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        return cls(chunks, store, cfg, manifest, embedder)

    def save(self, directory: str | Path) -> Path:
        """Write manifest.json, chunks.jsonl and the vector store under `directory`."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        with (out / CHUNKS).open("w", encoding="utf-8") as f:
            for c in self.chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        self.store.save(out / VECTORS_DIR)
        (out / MANIFEST).write_text(json.dumps(self.manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path, embedder: Embedder | None = None) -> HybridIndex:
        """Read an index written by `save`; errors name the folder and the missing or bad file."""
        d = Path(directory)
        if not (d / MANIFEST).is_file():
            raise DataError(f"{d}: not an index folder (no {MANIFEST}); build one with `supportbot index`")
        try:
            manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
            cfg = RetrievalConfig.model_validate(manifest["config"])
        except (json.JSONDecodeError, KeyError, ValueError) as exc:
            raise DataError(f"{d / MANIFEST}: unreadable index manifest ({exc})") from exc
        if manifest.get("format_version") != FORMAT_VERSION:
            raise DataError(
                f"{d / MANIFEST}: format_version {manifest.get('format_version')} != {FORMAT_VERSION}"
            )
        chunks = []
        for n, line in enumerate((d / CHUNKS).read_text(encoding="utf-8").splitlines(), start=1):
            try:
                chunks.append(Chunk(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as exc:
                raise DataError(f"{d / CHUNKS} line {n}: bad chunk record ({exc})") from exc
        store = store_class(manifest["store"]).load(d / VECTORS_DIR)
        if len(store) != len(chunks):
            raise DataError(f"{d}: {len(chunks)} chunks but {len(store)} vectors; rebuild the index")
        return cls(chunks, store, cfg, manifest, embedder)

    def is_stale(self, kb_dir: str | Path) -> bool:
        """True if the KB folder's content no longer matches the hash the index was built from."""
        return kb_hash(load_articles(kb_dir)) != self.manifest["kb_hash"]

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        """The k best chunks for a query: BM25 and dense rankings fused by weighted RRF."""
        return self.search_many([query], k)[0]

    def search_many(
        self, queries: list[str], k: int | None = None, query_vectors: np.ndarray | None = None
    ) -> list[list[Hit]]:
        """`search` for several queries, embedding them in one batch (or using `query_vectors`)."""
        k = k or self.cfg.top_k
        for q in queries:
            if not q.strip():
                raise DataError("search: a query is empty")
        qvecs = query_vectors
        if qvecs is None and self.cfg.dense_weight > 0 and queries:
            qvecs = self.embedder.encode(queries)
        n = max(self.cfg.candidates, k)
        results = []
        for i, query in enumerate(queries):
            rankings: list[list[str]] = []
            weights: list[float] = []
            if self.cfg.bm25_weight > 0:
                rankings.append([self.chunks[j].chunk_id for j, _ in self.bm25.top(query, n)])
                weights.append(self.cfg.bm25_weight)
            if qvecs is not None and self.cfg.dense_weight > 0:
                rankings.append([cid for cid, _ in self.store.search(qvecs[i], n)])
                weights.append(self.cfg.dense_weight)
            fused = rrf_fuse(rankings, weights, self.cfg.rrf_k)[:k]
            results.append([self._hit(cid, score) for cid, score in fused])
        return results

    def _hit(self, chunk_id: str, score: float) -> Hit:
        c = self.by_id[chunk_id]
        return Hit(chunk_id, c.article_id, score, c.text, c.title)


def open_index(
    index_dir: str | Path,
    kb_dir: str | Path | None = None,
    build: bool = False,
    cfg: RetrievalConfig | None = None,
    embedder: Embedder | None = None,
) -> tuple[HybridIndex, str]:
    """Load the index in `index_dir`, checked against `kb_dir` when that folder exists.

    A missing or stale index (the KB changed since it was built) is built/rebuilt and saved when `build`
    is true (with `cfg`, else the stale index's own config), otherwise a DataError names the fix.
    Returns the index and what happened: "loaded", "built" or "rebuilt".
    """
    d = Path(index_dir)
    kb = Path(kb_dir) if kb_dir is not None else None
    fix = f"`supportbot index --kb {kb or '<kb dir>'} --out {d}`"
    if not (d / MANIFEST).is_file():
        if not build or kb is None or not kb.is_dir():
            why = "" if kb is None or kb.is_dir() else f" and the KB folder {kb} does not exist"
            raise DataError(f"no knowledge-base index in {d}{why}; build it with {fix}")
        index = HybridIndex.build(kb, cfg, embedder)
        index.save(d)
        return index, "built"
    index = HybridIndex.load(d, embedder)
    if kb is not None and kb.is_dir() and index.is_stale(kb):
        if not build:
            raise DataError(
                f"the index in {d} is stale: {kb} changed since it was built "
                f"(kb_hash {index.manifest.get('kb_hash')}); rebuild it with {fix}"
            )
        index = HybridIndex.build(kb, cfg or index.cfg, embedder)
        index.save(d)
        return index, "rebuilt"
    return index, "loaded"
