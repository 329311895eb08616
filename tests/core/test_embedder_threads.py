"""The embedder loads safely from several threads at once (a server's first concurrent requests)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from supportbot.core import embedder


def test_first_loads_from_concurrent_threads_all_succeed():
    embedder._load_once.cache_clear()
    with ThreadPoolExecutor(4) as pool:
        vecs = list(pool.map(lambda i: embedder.Embedder().encode([f"refund {i}"]), range(4)))
    assert all(v.shape == (1, vecs[0].shape[1]) and np.isclose(np.linalg.norm(v), 1.0) for v in vecs)
