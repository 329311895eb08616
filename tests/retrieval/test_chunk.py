"""Chunking: front matter is kept, ids are stable, sections follow headings, bad articles are named."""

from pathlib import Path

import pytest

from supportbot.core.errors import DataError
from supportbot.retrieval.chunk import chunk_article, chunk_articles, kb_hash, load_articles, parse_article


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_gives_id_title_and_tags(sample_kb):
    article = parse_article(next(sample_kb.glob("KB-002-*.md")))
    assert article.id == "KB-002"
    assert article.title == "Error WINDOW_CLOSED during video-KYC"
    assert article.tags == ["onboarding", "video-kyc", "WINDOW_CLOSED"]
    assert not article.body.startswith("---")


def test_every_sample_article_is_chunked_with_unique_stable_ids(sample_kb):
    articles = load_articles(sample_kb)
    chunks = chunk_articles(articles)
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    assert {c.article_id for c in chunks} == {a.id for a in articles}
    assert all(c.chunk_id.startswith(f"{c.article_id}#") for c in chunks)
    assert ids == [c.chunk_id for c in chunk_articles(load_articles(sample_kb))]
    first = next(c for c in chunks if c.chunk_id == "KB-003#0")
    assert first.title == "Video-KYC queue and AGENT_BUSY" and "AGENT_BUSY" in first.tags


def test_headings_start_new_chunks_and_are_kept(tmp_path):
    path = write(
        tmp_path / "a.md",
        "---\nid: KB-900\ntitle: Cards\ntags: [cards]\n---\n\nIntro paragraph.\n\n## Freeze\nFreeze it.\n\n## Block\nBlock it.\n",
    )
    chunks = chunk_article(parse_article(path))
    assert [(c.chunk_id, c.heading, c.text) for c in chunks] == [
        ("KB-900#0", None, "Intro paragraph."),
        ("KB-900#1", "Freeze", "Freeze it."),
        ("KB-900#2", "Block", "Block it."),
    ]
    assert "Freeze" in chunks[1].search_text() and "Cards" in chunks[1].search_text()


def test_long_sections_are_packed_to_size_with_overlap(tmp_path):
    items = "\n".join(f"- item{i} " + "word " * 9 for i in range(20))  # 20 list items of 11 words
    art = parse_article(write(tmp_path / "KB-901.md", items))
    chunks = chunk_article(art, chunk_size=40, chunk_overlap=11)
    assert len(chunks) > 1
    assert all(len(c.text.split()) <= 40 for c in chunks)
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        assert prev.text.splitlines()[-1] == nxt.text.splitlines()[0]  # one whole item repeated
    assert art.id == "KB-901"  # no front matter: the id comes from the file name


def test_kb_hash_changes_with_content(tmp_path):
    write(tmp_path / "KB-1.md", "one")
    before = kb_hash(load_articles(tmp_path))
    write(tmp_path / "KB-1.md", "one changed")
    assert kb_hash(load_articles(tmp_path)) != before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\nid: KB-1\ntitle: x\nbody without closing", "never closed"),
        ("---\nid: KB-1\ntags: oops\n---\nbody", "field 'tags'"),
        ("---\nid: KB-1\n---\n\n", "body is empty"),
        ("---\nid: 'KB#1'\n---\nbody", "field 'id'"),
    ],
)
def test_bad_articles_name_file_and_field(tmp_path, text, message):
    path = write(tmp_path / "bad.md", text)
    with pytest.raises(DataError, match=message) as err:
        parse_article(path)
    assert "bad.md" in str(err.value)


def test_duplicate_ids_and_missing_folder_are_errors(tmp_path):
    write(tmp_path / "a.md", "---\nid: KB-1\n---\nA")
    write(tmp_path / "b.md", "---\nid: KB-1\n---\nB")
    with pytest.raises(DataError, match="duplicate article id 'KB-1'"):
        load_articles(tmp_path)
    with pytest.raises(DataError, match="not found"):
        load_articles(tmp_path / "missing")
