"""BM25 scoring and the numpy vector store behind the `VectorStore` interface."""

import numpy as np
import pytest

from supportbot.core.errors import DataError
from supportbot.retrieval.bm25 import BM25, tokenize
from supportbot.retrieval.store import NumpyVectorStore, VectorStore


def test_tokenize_keeps_error_codes_and_their_parts():
    assert tokenize("The app shows OTP_TIMEOUT!") == ["app", "shows", "otp_timeout", "otp", "timeout"]


def test_bm25_ranks_rare_exact_terms_first():
    docs = ["otp sent by sms", "upi payment failed with UPI_U30", "otp resend limits", "refund timelines"]
    top = BM25(docs).top("why did my payment fail UPI_U30", 2)
    assert top[0][0] == 1
    assert BM25(docs).top("zebra", 3) == []  # no shared term → nothing, not arbitrary docs


def test_numpy_store_searches_by_cosine_and_round_trips(tmp_path):
    store = NumpyVectorStore()
    assert isinstance(store, VectorStore)
    vecs = np.eye(3, dtype=np.float32)
    store.add(["a", "b", "c"], vecs)
    query = np.array([0.1, 0.9, 0.0], dtype=np.float32)
    assert [i for i, _ in store.search(query, 2)] == ["b", "a"]
    store.save(tmp_path)
    loaded = NumpyVectorStore.load(tmp_path)
    assert len(loaded) == 3 and loaded.search(query, 1) == store.search(query, 1)


def test_numpy_store_rejects_bad_input(tmp_path):
    store = NumpyVectorStore()
    store.add(["a"], np.ones((1, 2)))
    with pytest.raises(DataError, match="duplicate ids"):
        store.add(["a"], np.ones((1, 2)))
    with pytest.raises(DataError, match="dimension 3"):
        store.add(["b"], np.ones((1, 3)))
    with pytest.raises(DataError, match="2 ids but vectors of shape"):
        store.add(["c", "d"], np.ones((1, 2)))
    with pytest.raises(DataError, match="missing"):
        NumpyVectorStore.load(tmp_path / "nothing")
