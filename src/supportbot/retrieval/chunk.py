"""Knowledge-base articles → heading-aware chunks with stable ids (`KB-003#0`), keeping id, title and tags."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from supportbot.core.errors import DataError

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s+")


@dataclass(frozen=True)
class Article:
    """One knowledge-base article: front-matter fields plus the markdown body."""

    id: str
    title: str
    tags: list[str]
    body: str
    path: str


@dataclass(frozen=True)
class Chunk:
    """A searchable piece of one article; `chunk_id` is `<article id>#<n>` and stable for a given KB."""

    chunk_id: str
    article_id: str
    title: str
    text: str
    heading: str | None = None
    tags: list[str] = field(default_factory=list)

    def search_text(self) -> str:
        """The text that gets indexed: title, section heading, tags, then the chunk body."""
        parts = [self.title, self.heading or "", " ".join(self.tags), self.text]
        return "\n".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _split_front_matter(raw: str, path: Path) -> tuple[dict[str, Any], str]:
    if not raw.startswith("---"):
        return {}, raw
    parts = raw.split("\n---", 1)
    if len(parts) != 2:
        raise DataError(f"{path}: front matter opened with '---' but never closed")
    head, body = parts[0][3:], parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    try:
        meta = yaml.safe_load(head) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: front matter is not valid YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise DataError(f"{path}: front matter must be a mapping with id, title, tags")
    return meta, body


def parse_article(path: Path) -> Article:
    """Read one article; `.md` may carry YAML front matter (id, title, tags), else id/title come from the name."""
    raw = path.read_text(encoding="utf-8")
    meta, body = _split_front_matter(raw, path)
    article_id = str(meta.get("id") or path.stem)
    title = meta.get("title") or path.stem.replace("-", " ")
    tags = meta.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str | int) for t in tags):
        raise DataError(f"{path}: field 'tags' must be a list of strings, got {tags!r}")
    if not isinstance(title, str):
        raise DataError(f"{path}: field 'title' must be a string, got {title!r}")
    if "#" in article_id or not article_id.strip():
        raise DataError(f"{path}: field 'id' must be non-empty and contain no '#', got {article_id!r}")
    if not body.strip():
        raise DataError(f"{path}: article body is empty")
    return Article(article_id, title.strip(), [str(t) for t in tags], body.strip(), str(path))


def load_articles(kb_dir: str | Path) -> list[Article]:
    """All articles under a folder (sorted by path); ids must be unique."""
    root = Path(kb_dir)
    if not root.is_dir():
        raise DataError(f"knowledge-base folder not found: {root}")
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
    if not paths:
        raise DataError(f"{root}: no .md or .txt articles found")
    articles = [parse_article(p) for p in paths]
    seen: dict[str, str] = {}
    for a in articles:
        if a.id in seen:
            raise DataError(f"{a.path}: duplicate article id {a.id!r} (also in {seen[a.id]})")
        seen[a.id] = a.path
    return articles


def kb_hash(articles: list[Article]) -> str:
    """A content hash of the knowledge base (ids, titles, tags, bodies), recorded in the index manifest."""
    h = hashlib.sha256()
    for a in sorted(articles, key=lambda a: a.id):
        h.update(repr((a.id, a.title, a.tags, a.body)).encode("utf-8"))
    return h.hexdigest()[:16]


def _sections(body: str) -> list[tuple[str | None, list[str]]]:
    """Split a markdown body into (heading, blocks); a block is a paragraph or one list item."""
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    current: list[str] = []

    def flush() -> None:
        if current:
            sections[-1][1].append(" ".join(s.strip() for s in current))
            current.clear()

    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            flush()
            sections.append((heading.group(2).strip(), []))
        elif not line.strip():
            flush()
        elif _LIST_ITEM.match(line):
            flush()
            current.append(line.strip())
        else:
            current.append(line.strip())
    flush()
    return [(h, blocks) for h, blocks in sections if blocks]


def _pack(blocks: list[str], size: int, overlap: int) -> list[str]:
    """Greedily pack blocks into chunks of at most `size` words, repeating ~`overlap` trailing words."""
    words_of = [b.split() for b in blocks]
    pieces: list[list[str]] = []
    for words in words_of:  # a single over-long block is split by words
        step = size - overlap
        if len(words) <= size:
            pieces.append(words)
        else:
            pieces.extend(words[i : i + size] for i in range(0, len(words) - overlap, step))
    chunks: list[list[list[str]]] = []
    current: list[list[str]] = []
    for piece in pieces:
        if current and sum(map(len, current)) + len(piece) > size:
            chunks.append(current)
            tail: list[list[str]] = []
            for prev in reversed(current):  # whole trailing blocks as overlap
                if sum(map(len, tail)) + len(prev) > overlap:
                    break
                tail.insert(0, prev)
            current = tail if sum(map(len, tail)) + len(piece) <= size else []
        current.append(piece)
    if current:
        chunks.append(current)
    return ["\n".join(" ".join(p) for p in chunk) for chunk in chunks]


def chunk_article(article: Article, chunk_size: int = 120, chunk_overlap: int = 30) -> list[Chunk]:
    """Chunks of one article: sections by markdown heading, each packed to `chunk_size` words."""
    if chunk_overlap >= chunk_size:
        raise DataError(f"chunk_overlap ({chunk_overlap}) must be smaller than chunk_size ({chunk_size})")
    out: list[Chunk] = []
    for heading, blocks in _sections(article.body):
        for text in _pack(blocks, chunk_size, chunk_overlap):
            cid = f"{article.id}#{len(out)}"
            out.append(Chunk(cid, article.id, article.title, text, heading, list(article.tags)))
    return out


def chunk_articles(articles: list[Article], chunk_size: int = 120, chunk_overlap: int = 30) -> list[Chunk]:
    """Chunks of every article, in article order."""
    return [c for a in articles for c in chunk_article(a, chunk_size, chunk_overlap)]
