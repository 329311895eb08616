"""The hybrid index over the real sample KB: fusion, search quality, persistence and the manifest."""

import json
import shutil

import pytest

from supportbot.core.errors import DataError
from supportbot.retrieval.index import MANIFEST, HybridIndex, rrf_fuse


def test_rrf_adds_weighted_reciprocal_ranks():
    fused = dict(rrf_fuse([["a", "b"], ["b", "c"]], [1.0, 2.0], k=10))
    assert fused["b"] == pytest.approx(1 / 12 + 2 / 11)
    assert fused["a"] == pytest.approx(1 / 11)
    assert fused["c"] == pytest.approx(2 / 12)
    assert [cid for cid, _ in rrf_fuse([["a", "b"], ["b", "c"]], [1.0, 2.0], k=10)] == ["b", "c", "a"]


@pytest.mark.parametrize(
    ("query", "article"),
    [
        ("I got WINDOW_CLOSED when starting my video call", "KB-002"),
        ("the photo of my PAN card has a shine on it", "KB-011"),
        ("money was deducted but the UPI payment failed", "KB-031"),
        ("how do I freeze my debit card", "KB-040"),
    ],
)
def test_search_finds_the_right_article(sample_index, query, article):
    hits = sample_index.search(query, 5)
    assert len(hits) == 5
    assert article in [h.article_id for h in hits[:3]]
    assert hits == sorted(hits, key=lambda h: -h.score)
    top = hits[0]
    assert top.chunk_id.startswith(top.article_id + "#") and top.text and top.title


def test_saved_index_has_manifest_and_loads_identically(sample_index_dir, sample_index, sample_kb):
    manifest = json.loads((sample_index_dir / MANIFEST).read_text())
    assert manifest["embedding_model"] == "all-MiniLM-L6-v2" and manifest["embedding_dim"] == 384
    assert manifest["config"]["chunk_size"] == 120 and manifest["config"]["chunk_overlap"] == 30
    assert manifest["articles"] == 46 and manifest["chunks"] == len(sample_index.chunks)
    assert len(manifest["kb_hash"]) == 16
    assert not sample_index.is_stale(sample_kb)
    again = HybridIndex.load(sample_index_dir, embedder=sample_index.embedder)
    assert again.search("OTP expired", 3) == sample_index.search("OTP expired", 3)


def test_bm25_only_and_dense_only_configs_still_search(sample_index):
    bm25_only = sample_index.cfg.model_copy(update={"dense_weight": 0.0})
    idx = HybridIndex(sample_index.chunks, sample_index.store, bm25_only, {}, sample_index.embedder)
    assert idx.search("ROOT_DETECTED", 1)[0].article_id == "KB-038"


def test_load_errors_name_the_folder_and_file(tmp_path, sample_index_dir):
    with pytest.raises(DataError, match="not an index folder"):
        HybridIndex.load(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(sample_index_dir, broken)
    (broken / "chunks.jsonl").write_text((broken / "chunks.jsonl").read_text() + "{not json\n")
    with pytest.raises(DataError, match=r"chunks.jsonl line \d+"):
        HybridIndex.load(broken)


def test_empty_query_is_an_error(sample_index):
    with pytest.raises(DataError, match="empty"):
        sample_index.search("   ")
