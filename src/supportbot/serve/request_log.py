"""Optional JSONL request log: one line per request with request, response, latency and adapter, PII redacted."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from supportbot.core.errors import ConfigError


def scrub_strings(value: Any) -> Any:
    """Redact PII in every string of a JSON-like value."""
    from supportbot.data.pii import scrub_pii

    if isinstance(value, str):
        return scrub_pii(value)[0]
    if isinstance(value, list):
        return [scrub_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub_strings(v) for k, v in value.items()}
    return value


class RequestLog:
    """A callable that appends a redacted record to a JSONL file (thread-safe, line-buffered)."""

    def __init__(self, path: str | Path, setting: str = "serve.request_log") -> None:
        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8", buffering=1)
        except OSError as exc:
            raise ConfigError(f"{setting} {self.path}: cannot open for writing ({exc.strerror})") from exc
        self._lock = threading.Lock()

    def __call__(self, record: dict[str, Any]) -> None:
        """Write one record (strings PII-redacted, timestamp added)."""
        line = json.dumps({"ts": round(time.time(), 3), **scrub_strings(record)}, ensure_ascii=False)
        with self._lock:
            self._fh.write(line + "\n")

    def close(self) -> None:
        """Close the file."""
        self._fh.close()
