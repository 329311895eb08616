"""Okapi BM25 over chunk texts (pure numpy), with a tokenizer that keeps error codes like OTP_TIMEOUT."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "they",
        "them",
        "their",
        "do",
        "does",
        "did",
        "can",
        "could",
        "will",
        "would",
        "should",
        "how",
        "what",
        "why",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "not",
        "no",
        "so",
        "as",
        "than",
        "then",
        "there",
        "here",
        "into",
        "about",
        "up",
        "out",
        "just",
        "also",
        "am",
        "has",
        "have",
        "had",
        "being",
        "any",
        "all",
        "some",
    ]
)


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens without stopwords; `OTP_TIMEOUT` yields `otp_timeout`, `otp` and `timeout`."""
    out: list[str] = []
    for tok in _TOKEN.findall(text.lower()):
        if "_" in tok:
            out.append(tok)
            out.extend(p for p in tok.split("_") if p not in STOPWORDS)
        elif tok not in STOPWORDS:
            out.append(tok)
    return out


class BM25:
    """An in-memory Okapi BM25 index; rebuilt from the chunk texts in milliseconds, so never pickled."""

    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        docs = [tokenize(t) for t in texts]
        self.doc_len = np.array([len(d) for d in docs], dtype=np.float32)
        self.avg_len = float(self.doc_len.mean()) if len(docs) else 0.0
        self.tf: list[Counter[str]] = [Counter(d) for d in docs]
        df: Counter[str] = Counter()
        for counts in self.tf:
            df.update(counts.keys())
        n = len(docs)
        self.idf = {t: math.log(1.0 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def __len__(self) -> int:
        return len(self.tf)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for a query (0 where no query term occurs)."""
        out = np.zeros(len(self.tf), dtype=np.float32)
        if not self.tf:
            return out
        norm = self.k1 * (1.0 - self.b + self.b * self.doc_len / max(self.avg_len, 1e-9))
        for term in set(tokenize(query)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            tf = np.array([c.get(term, 0) for c in self.tf], dtype=np.float32)
            out += idf * tf * (self.k1 + 1.0) / (tf + norm)
        return out

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The k best (doc index, score) pairs with a positive score, best first."""
        s = self.scores(query)
        order = np.argsort(-s, kind="stable")[:k]
        return [(int(i), float(s[i])) for i in order if s[i] > 0]
