"""The one reader of question suites (`eval/suites/*.json`) and knowledge-base articles (`KB-*.md`).

`read_suite` reads any suite file (support questions or grounded troubleshoot requests) into its header and
items, with errors that name the file; `load_suite` validates a support suite into typed Questions, and
`load_kb` reads the articles. Data prep's leakage guard, retrieval recall, eval, grounded eval and review all
read suites through here."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from supportbot.core.errors import DataError

CATEGORIES = ("how-to", "troubleshooting", "policy", "account", "edge-case")
BEHAVIORS = ("answer", "clarify", "refuse")
SLICE_TAGS = ("stage", "error_code", "language", "category", "expected_behavior")


@dataclass(frozen=True)
class Question:
    """One evaluation question with its reference answer and supporting article ids."""

    id: str
    question: str
    reference_answer: str
    kb_ids: tuple[str, ...] = ()
    tags: dict[str, str | None] = field(default_factory=dict)
    category: str = "how-to"
    expected_behavior: str = "answer"
    json_schema: dict[str, Any] | None = None
    key_facts: tuple[str, ...] | None = None  # None: derived from the reference by the facts judge

    def slices(self) -> dict[str, str]:
        """Slice key → value for every tag this question carries (None error codes read as 'none')."""
        out = {k: ("none" if v is None else str(v)) for k, v in self.tags.items()}
        out["category"] = self.category
        out["expected_behavior"] = self.expected_behavior
        return out


@dataclass(frozen=True)
class Suite:
    """A named, versioned list of questions."""

    name: str
    version: str
    description: str
    questions: list[Question]
    path: str = ""


@dataclass(frozen=True)
class Article:
    """One knowledge-base article: front matter plus markdown body."""

    id: str
    title: str
    tags: tuple[str, ...]
    body: str

    @property
    def text(self) -> str:
        """Title and body, the text answers are checked against."""
        return f"{self.title}\n{self.body}"


def _need_str(where: str, obj: dict[str, Any], key: str, required: bool = True) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise DataError(f"{where}: field '{key}' must be a non-empty string (got {value!r})")
    return value


def _parse_question(path: Path, index: int, raw: Any, seen: set[str]) -> Question:
    if not isinstance(raw, dict):
        raise DataError(f"{path}: questions[{index}] must be an object (got {type(raw).__name__})")
    qid = raw.get("id")
    if not isinstance(qid, str) or not qid.strip():
        raise DataError(f"{path}: questions[{index}]: field 'id' must be a non-empty string (got {qid!r})")
    where = f"{path}: question {qid}"
    if qid in seen:
        raise DataError(f"{where}: field 'id' is duplicated")
    seen.add(qid)
    question = _need_str(where, raw, "question")
    reference = _need_str(where, raw, "reference_answer")
    kb_ids = raw.get("kb_ids", [])
    if not isinstance(kb_ids, list) or not all(isinstance(k, str) for k in kb_ids):
        raise DataError(f"{where}: field 'kb_ids' must be a list of article ids (got {kb_ids!r})")
    tags = raw.get("tags", {})
    if not isinstance(tags, dict) or not all(v is None or isinstance(v, str) for v in tags.values()):
        raise DataError(f"{where}: field 'tags' must map tag names to strings or null (got {tags!r})")
    category = raw.get("category", "how-to")
    if category not in CATEGORIES:
        raise DataError(
            f"{where}: field 'category' must be one of {', '.join(CATEGORIES)} (got {category!r})"
        )
    behavior = raw.get("expected_behavior", "answer")
    if behavior not in BEHAVIORS:
        raise DataError(
            f"{where}: field 'expected_behavior' must be one of {', '.join(BEHAVIORS)} (got {behavior!r})"
        )
    schema = raw.get("json_schema")
    if schema is not None:
        if not isinstance(schema, dict):
            raise DataError(f"{where}: field 'json_schema' must be a JSON Schema object (got {schema!r})")
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise DataError(
                f"{where}: field 'json_schema' is not a valid JSON Schema ({exc.message})"
            ) from exc
    key_facts = raw.get("key_facts")
    if key_facts is not None and (
        not isinstance(key_facts, list) or not all(isinstance(f, str) and f.strip() for f in key_facts)
    ):
        raise DataError(f"{where}: field 'key_facts' must be a list of non-empty strings (got {key_facts!r})")
    facts = None if key_facts is None else tuple(key_facts)
    return Question(qid, question, reference, tuple(kb_ids), dict(tags), category, behavior, schema, facts)


@dataclass(frozen=True)
class SuiteFile:
    """A suite file as read: its header fields and its items (each a JSON object)."""

    path: Path
    header: dict[str, str]  # name (the file stem when unnamed), version, description
    items: list[dict[str, Any]]
    sha256: str  # of the file's bytes: identifies the suite in a results dir's manifest

    @property
    def grounded(self) -> bool:
        """True when the items are troubleshoot requests (they carry `user_state`), not support questions."""
        return bool(self.items) and "user_state" in self.items[0]


def read_suite(path: str | Path, what: str = "suite") -> SuiteFile:
    """Read a suite JSON file (`{"name", "version", "description", "questions": [...]}`); errors name the
    file and, for a bad item, its index and id."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file not found: {path}")
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = (
            f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else exc
        )
        raise DataError(f"{path}: not valid JSON ({where})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise DataError(f"{path}: expected an object with a 'questions' list")
    for i, item in enumerate(data["questions"]):
        if not isinstance(item, dict):
            raise DataError(f"{path}: questions[{i}] must be an object (got {type(item).__name__})")
    header = {k: str(data.get(k) or "") for k in ("name", "version", "description")}
    header["name"] = header["name"] or path.stem
    return SuiteFile(path, header, data["questions"], hashlib.sha256(raw).hexdigest())


def load_suite(path: str | Path | SuiteFile) -> Suite:
    """Read (unless given read) and validate a support suite; errors name the file, the question id and field."""
    raw = path if isinstance(path, SuiteFile) else read_suite(path)
    if not raw.items:
        raise DataError(f"{raw.path}: field 'questions' is empty")
    seen: set[str] = set()
    questions = [_parse_question(raw.path, i, q, seen) for i, q in enumerate(raw.items)]
    return Suite(
        name=raw.header["name"],
        version=raw.header["version"],
        description=raw.header["description"],
        questions=questions,
        path=str(raw.path),
    )


_FRONT = re.compile(r"^---\s*\n(.*?)\n---\s*\n?(.*)$", re.S)


def load_article(path: Path) -> Article:
    """Parse one KB markdown file with YAML front matter (id, title, tags)."""
    text = path.read_text(encoding="utf-8")
    match = _FRONT.match(text)
    if not match:
        raise DataError(f"{path}: missing YAML front matter (--- id/title/tags ---)")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: front matter is not valid YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise DataError(f"{path}: front matter must be a mapping")
    aid = _need_str(str(path), meta, "id")
    title = str(meta.get("title") or "")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    return Article(aid, title, tuple(str(t) for t in tags), match.group(2).strip())


def load_kb(kb_dir: str | Path | None) -> dict[str, Article]:
    """All `KB-*.md` articles in a directory keyed by id (empty when no directory is given)."""
    if kb_dir is None:
        return {}
    root = Path(kb_dir)
    if not root.is_dir():
        raise DataError(f"knowledge-base directory not found: {root} (set eval.kb_dir, or null for none)")
    articles: dict[str, Article] = {}
    for path in sorted(root.glob("*.md")):
        art = load_article(path)
        if art.id in articles:
            raise DataError(f"{path}: article id {art.id} is duplicated")
        articles[art.id] = art
    return articles


def check_kb_ids(suite: Suite, kb: dict[str, Article]) -> None:
    """Every kb_id a question cites must exist in the knowledge base (skipped when there is no KB)."""
    if not kb:
        return
    for q in suite.questions:
        missing = [k for k in q.kb_ids if k not in kb]
        if missing:
            raise DataError(
                f"{suite.path}: question {q.id}: field 'kb_ids' names unknown article(s) {', '.join(missing)}"
            )


def support_text(q: Question, kb: dict[str, Article]) -> str:
    """The text an answer may draw on: question, reference answer and the cited articles."""
    parts = [q.question, q.reference_answer]
    parts.extend(kb[k].text for k in q.kb_ids if k in kb)
    return "\n".join(parts)
