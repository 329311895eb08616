"""Retrieval-augmented prompts: which chunks, in what order, merged with an example's own context."""

from __future__ import annotations

from pathlib import Path

from supportbot.retrieval.config import ContextConfig
from supportbot.retrieval.context import ContextRetriever, RetrievedContext


def test_best_chunk_sits_next_to_the_question_and_own_context_comes_last():
    ctx = RetrievedContext(["KB-001#0", "KB-007#1"], [("KB-001#0", "best text"), ("KB-007#1", "second text")])
    merged = ctx.merge("Error code: OTP_LOCKED")
    assert merged.index("[KB-007#1] second text") < merged.index("[KB-001#0] best text")
    assert merged.endswith("Error code: OTP_LOCKED")
    assert ctx.article_ids == ["KB-001", "KB-007"]
    assert ctx.merge(None) == ctx.text()


def test_retriever_finds_the_video_kyc_hours_article_for_its_question(sample_index):
    retriever = ContextRetriever(ContextConfig(k=2), index=sample_index)
    [ctx] = retriever.retrieve(["What are the video KYC service hours?"])
    assert len(ctx.chunk_ids) == 2
    assert "KB-001" in ctx.article_ids
    # compressed to the 5 (default max_sentences) sentences closest to the question, each from a retrieved chunk
    assert 1 <= len(ctx.passages) <= 5 and {cid for cid, _ in ctx.passages} <= set(ctx.chunk_ids)
    assert any("9:00 AM to 9:00 PM" in text for _, text in ctx.passages)


def test_whole_chunks_when_sentence_selection_is_off(sample_index):
    cfg = ContextConfig(k=2, max_sentences=None)
    [ctx] = ContextRetriever(cfg, index=sample_index).retrieve(["What are the video KYC service hours?"])
    assert [cid for cid, _ in ctx.passages] == ctx.chunk_ids
    assert ctx.passages[0][1] == sample_index.by_id[ctx.chunk_ids[0]].text


def test_attach_keeps_the_example_and_adds_chunks_before_its_own_context(sample_index):
    row = {
        "id": "x1",
        "inputs": {"question": "video kyc hours on sunday?", "context": "Error code: WINDOW_CLOSED"},
        "outputs": {"answer": "Closed on Sundays."},
    }
    [out] = ContextRetriever(ContextConfig(k=1), index=sample_index).attach([row])
    assert row["inputs"]["context"] == "Error code: WINDOW_CLOSED"  # the input is not modified
    assert out["outputs"] == row["outputs"] and out["id"] == "x1"
    assert out["inputs"]["context"].startswith(f"[{out['retrieved_chunk_ids'][0]}] ")
    assert out["inputs"]["context"].endswith("Error code: WINDOW_CLOSED")


def test_missing_index_is_built_from_the_kb(sample_kb: Path, tmp_path: Path):
    cfg = ContextConfig(index_dir=str(tmp_path / "idx"), kb_dir=str(sample_kb), k=1)
    [ctx] = ContextRetriever(cfg).retrieve(["How do I close my account?"])
    assert (tmp_path / "idx" / "manifest.json").is_file() and len(ctx.chunk_ids) == 1


def test_oracle_adds_the_kb_sentences_an_answer_restates_only_when_asked(sample_index):
    cfg = ContextConfig(k=1, max_sentences=2, oracle_sentences=2)
    retriever = ContextRetriever(cfg, index=sample_index)
    row = {
        "id": "x2",
        "inputs": {"question": "What are the video KYC service hours?", "context": None},
        "outputs": {"answer": "Each OTP is valid for 120 seconds. Zebras have black and white stripes."},
    }
    [plain] = retriever.attach([row])
    [oracle] = retriever.attach([row], oracle=True)
    assert "120 seconds" not in plain["inputs"]["context"]
    assert "120 seconds" in oracle["inputs"]["context"]  # the OTP article's sentence, though not retrieved
    assert oracle["retrieved_chunk_ids"] == plain["retrieved_chunk_ids"]  # recall still measures retrieval
    [ctx] = retriever.with_oracle(
        retriever.retrieve([row["inputs"]["question"]]),
        [row["inputs"]["question"]],
        [row["outputs"]["answer"]],
    )
    added = [(cid, t) for cid, t in ctx.passages if "120 seconds" in t]
    assert len(ctx.passages) <= 2 + 2 and len(added) == 1 and added[0][0].startswith("KB-014")
    # placed by similarity to the question like retrieved sentences: for a KYC question OTP lines rank last
    kinds = [cid in ctx.chunk_ids for cid, _ in ctx.passages]
    assert kinds == sorted(kinds, reverse=True) and not kinds[-1]
    # nothing in the KB restates the zebra sentence: no filler is added for it
    assert not any("ebra" in t for _, t in ctx.passages)
