"""Retrieval-augmented prompts: the KB passages retrieved for a question, as the `context` the model reads.

The top-k chunks are retrieved with the hybrid index; with `max_sentences` only their sentences most similar
to the question are kept (extractive compression: a 135M model reads ~100 context tokens instead of ~400, which
keeps training affordable on CPU). Every passage keeps its chunk id, `[KB-001#0] ...`, so answers can cite it.
Passages are written worst-first so the best one sits next to the question (small models attend most to what
is closest), and an example's own context (e.g. "Error code: OTP_LOCKED") comes last. Training, eval and
serving all call `RetrievedContext.merge`, so the model sees the same layout everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from supportbot.retrieval.config import ContextConfig


@dataclass(frozen=True)
class RetrievedContext:
    """What was retrieved for one question: chunk ids (best first) and the passages shown, best first."""

    chunk_ids: list[str]
    passages: list[tuple[str, str]]  # (chunk id, text)

    @property
    def article_ids(self) -> list[str]:
        """Articles of the retrieved chunks, best first, without repeats."""
        return list(dict.fromkeys(cid.split("#", 1)[0] for cid in self.chunk_ids))

    def text(self) -> str:
        """The passages as prompt text, one `[chunk id] text` per line, worst first."""
        return "\n".join(f"[{cid}] {text.strip()}" for cid, text in reversed(self.passages))

    def merge(self, own_context: str | None) -> str:
        """The retrieved passages followed by the example's own context (when it has one)."""
        own = (own_context or "").strip()
        return f"{self.text()}\n\n{own}" if own else self.text()


def chunk_sentences(text: str) -> list[str]:
    """Sentences and bullet lines of a chunk (list markers stripped)."""
    from supportbot.eval.hallucination import split_sentences

    return split_sentences(text)


class ContextRetriever:
    """Retrieves context from a hybrid index (loaded, or built from `kb_dir` when missing or stale)."""

    def __init__(self, cfg: ContextConfig, index: Any = None) -> None:
        from supportbot.retrieval.index import open_index

        self.cfg = cfg
        self.index = index if index is not None else open_index(cfg.index_dir, cfg.kb_dir, build=True)[0]
        self._sentences: dict[str, tuple[list[str], np.ndarray]] = {}

    def _chunk_sentences(self, chunk_ids: list[str]) -> None:
        """Embed (once) the sentences of these chunks."""
        todo = [cid for cid in dict.fromkeys(chunk_ids) if cid not in self._sentences]
        texts = [chunk_sentences(self.index.by_id[cid].text) for cid in todo]
        flat = [s for sents in texts for s in sents]
        vecs = self.index.embedder.encode(flat) if flat else np.zeros((0, 1), dtype=np.float32)
        start = 0
        for cid, sents in zip(todo, texts, strict=True):
            self._sentences[cid] = (sents, vecs[start : start + len(sents)])
            start += len(sents)

    def retrieve(self, questions: list[str]) -> list[RetrievedContext]:
        """The top-k chunks for each question, compressed to the best sentences when configured."""
        if not questions:
            return []
        qvecs = self.index.embedder.encode(questions)  # once: for the search and the sentence choice
        hits = self.index.search_many(questions, self.cfg.k, qvecs)
        ids = [[h.chunk_id for h in hs] for hs in hits]
        if self.cfg.max_sentences is None:
            return [
                RetrievedContext(cids, [(h.chunk_id, h.text) for h in hs])
                for cids, hs in zip(ids, hits, strict=True)
            ]
        self._chunk_sentences([cid for cids in ids for cid in cids])
        return [self._best_sentences(cids, q) for cids, q in zip(ids, qvecs, strict=True)]

    def _best_sentences(self, chunk_ids: list[str], qvec: np.ndarray) -> RetrievedContext:
        scored: list[tuple[float, int, str, str]] = []
        seen: set[str] = set()
        for rank, cid in enumerate(chunk_ids):
            sents, vecs = self._sentences[cid]
            for sent, vec in zip(sents, vecs, strict=True):
                if sent not in seen:  # chunk overlaps repeat sentences
                    seen.add(sent)
                    scored.append((float(vec @ qvec), rank, cid, sent))
        best = sorted(scored, key=lambda t: (-t[0], t[1]))[: self.cfg.max_sentences]
        return RetrievedContext(chunk_ids, [(cid, sent) for _, _, cid, sent in best])

    def attach(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Copies of prepared examples whose `inputs.context` is the retrieved passages + their own context."""
        contexts = self.retrieve([r["inputs"]["question"] for r in rows])
        out = []
        for row, ctx in zip(rows, contexts, strict=True):
            inputs = {**row["inputs"], "context": ctx.merge(row["inputs"].get("context"))}
            out.append({**row, "inputs": inputs, "retrieved_chunk_ids": ctx.chunk_ids})
        return out
