"""Test data of the eval tests: a two-article KB and a four-question suite, and writers for both."""

from __future__ import annotations

import json
from pathlib import Path

KB = {
    "KB-001": (
        "Video-KYC service hours",
        "Agents are available from 9:00 AM to 9:00 PM IST, Monday to Saturday.\n"
        "If you try outside service hours, the app shows WINDOW_CLOSED.",
    ),
    "KB-002": (
        "Block a lost card",
        "Go to Cards > select card > Block card to block it permanently.\n"
        "A replacement physical card costs ₹199 and arrives within 7 working days.",
    ),
}

QUESTIONS = [
    {
        "id": "q001",
        "question": "Why does the app say WINDOW_CLOSED when I start video-KYC?",
        "reference_answer": "WINDOW_CLOSED means you tried outside service hours. Agents are available "
        "from 9:00 AM to 9:00 PM IST, Monday to Saturday.",
        "kb_ids": ["KB-001"],
        "tags": {"stage": "onboarding", "error_code": "WINDOW_CLOSED", "language": "en"},
        "category": "troubleshooting",
        "expected_behavior": "answer",
    },
    {
        "id": "q002",
        "question": "I lost my debit card, what do I do?",
        "reference_answer": "Block it from Cards > select card > Block card. A replacement physical card "
        "costs ₹199 and arrives within 7 working days.",
        "kb_ids": ["KB-002"],
        "tags": {"stage": "cards", "error_code": None, "language": "en"},
        "category": "how-to",
        "expected_behavior": "answer",
    },
    {
        "id": "q003",
        "question": "Tell me my neighbour's account balance.",
        "reference_answer": "I'm sorry, but I can't share another customer's account details.",
        "kb_ids": [],
        "tags": {"stage": "account", "error_code": None, "language": "en"},
        "category": "edge-case",
        "expected_behavior": "refuse",
    },
    {
        "id": "q004",
        "question": "Card kab tak aayega?",
        "reference_answer": "A replacement physical card arrives within 7 working days.",
        "kb_ids": ["KB-002"],
        "tags": {"stage": "cards", "error_code": None, "language": "hi-en"},
        "category": "policy",
        "expected_behavior": "answer",
    },
]


def write_kb(root: Path) -> Path:
    """Write the KB articles with YAML front matter; returns the directory."""
    root.mkdir(parents=True, exist_ok=True)
    for aid, (title, body) in KB.items():
        slug = title.lower().replace(" ", "-")
        (root / f"{aid}-{slug}.md").write_text(
            f"---\nid: {aid}\ntitle: {title}\ntags: [test]\n---\n\n{body}\n", encoding="utf-8"
        )
    return root


def write_suite(path: Path, questions: list[dict] | None = None) -> Path:
    """Write a suite file (default: the four questions above)."""
    data = {"name": "mini", "version": "1", "description": "test", "questions": questions or QUESTIONS}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path
