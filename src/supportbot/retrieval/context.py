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

from supportbot.core.artifacts import adapter_context
from supportbot.core.sentences import split_sentences
from supportbot.core.spec import parse_spec
from supportbot.retrieval.config import ContextConfig

# An answer sentence this similar to a KB sentence restates it (MiniLM cosine; paraphrases score ~0.6-0.9).
ORACLE_MIN_SIMILARITY = 0.5


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
        texts = [split_sentences(self.index.by_id[cid].text) for cid in todo]
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

    def with_oracle(
        self, contexts: list[RetrievedContext], questions: list[str], answers: list[str]
    ) -> list[RetrievedContext]:
        """Contexts plus, for each answer, the KB sentences that best support its sentences (training only).

        Each answer sentence brings its two most similar KB sentences (cosine >= `ORACLE_MIN_SIMILARITY`),
        best matches first, up to `oracle_sentences` new ones per example. Each is inserted among the retrieved
        passages (whose order is kept) before the first one less similar to the question, so its position
        follows the retrieval's ordering and does not give it away.
        """
        n = self.cfg.oracle_sentences
        if n == 0 or not contexts:
            return contexts
        all_ids = list(self.index.by_id)
        self._chunk_sentences(all_ids)
        owners = [(cid, s) for cid in all_ids for s in self._sentences[cid][0]]
        kb_vecs = np.concatenate([self._sentences[cid][1] for cid in all_ids if self._sentences[cid][0]])
        qvecs = self.index.embedder.encode(questions)
        out = []
        for ctx, qvec, answer in zip(contexts, qvecs, answers, strict=True):
            shown = {text for _, text in ctx.passages}
            sents = split_sentences(answer)
            picks: list[tuple[float, str, str]] = []
            if sents:
                sims = self.index.embedder.encode(sents) @ kb_vecs.T
                for row in sims:  # an answer sentence often merges two KB sentences: take its best two
                    for j in np.argsort(-row)[:2].tolist():
                        if row[j] >= ORACLE_MIN_SIMILARITY and owners[j][1] not in shown:
                            shown.add(owners[j][1])
                            picks.append((float(row[j]), *owners[j]))
            extra = [(cid, text) for _, cid, text in sorted(picks, reverse=True)[:n]]
            out.append(RetrievedContext(ctx.chunk_ids, self._merge_by_question(ctx.passages, extra, qvec)))
        return out

    def _merge_by_question(
        self, passages: list[tuple[str, str]], extra: list[tuple[str, str]], qvec: np.ndarray
    ) -> list[tuple[str, str]]:
        """`passages` in their order, each extra one placed before the first passage less similar to the question."""
        if not extra:
            return passages
        vecs = self.index.embedder.encode([t for _, t in passages + extra]) @ qvec
        p_scores, e_scores = vecs[: len(passages)], vecs[len(passages) :]
        pending = sorted(zip(e_scores.tolist(), extra, strict=True), key=lambda t: -t[0])
        merged: list[tuple[str, str]] = []
        for score, passage in zip(p_scores.tolist(), passages, strict=True):
            while pending and pending[0][0] > score:
                merged.append(pending.pop(0)[1])
            merged.append(passage)
        return merged + [p for _, p in pending]

    def attach(self, rows: list[dict[str, Any]], oracle: bool = False) -> list[dict[str, Any]]:
        """Copies of prepared examples whose `inputs.context` is the retrieved passages + their own context.

        `oracle=True` (the train split) adds the answer-supporting sentences of `cfg.oracle_sentences`.
        """
        questions = [r["inputs"]["question"] for r in rows]
        contexts = self.retrieve(questions)
        if oracle:
            contexts = self.with_oracle(contexts, questions, [r["outputs"]["answer"] for r in rows])
        out = []
        for row, ctx in zip(rows, contexts, strict=True):
            inputs = {**row["inputs"], "context": ctx.merge(row["inputs"].get("context"))}
            out.append({**row, "inputs": inputs, "retrieved_chunk_ids": ctx.chunk_ids})
        return out


def trained_context(spec: str | None) -> ContextConfig | None:
    """The retrieval context (train.context) a run, adapter or registry spec was trained with, else None.

    Eval, chat and serve all prompt a tuned model the way it was trained through this one lookup.
    """
    adapter = parse_spec(spec).adapter if spec else None
    trained = adapter_context(adapter) if adapter is not None else None
    return ContextConfig.model_validate(trained) if trained is not None else None
