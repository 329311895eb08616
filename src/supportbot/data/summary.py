"""Run summary: per-file counts, quarantine entries, PII counts, skipped files and warnings."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from supportbot.core.errors import DataError

QUARANTINE_RAW_CHARS = 2000  # raw text kept per quarantined record (huge records are truncated)


@dataclass
class FileStats:
    """What happened to the records of one input file (read = kept + quarantined + duplicates)."""

    format: str | None = None
    read: int = 0
    kept: int = 0
    quarantined: int = 0
    duplicates: int = 0
    pii: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)  # quarantine reason kind -> count
    error: str | None = None  # why the whole file could not be read


@dataclass
class Summary:
    """Everything a user needs to see about a prepare run; nothing is dropped without a count here."""

    strict: bool = False
    files: dict[str, FileStats] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)
    pii: dict[str, int] = field(default_factory=dict)
    quarantine: list[dict[str, Any]] = field(default_factory=list)

    def file(self, name: str) -> FileStats:
        """The stats of one input file (created on first use)."""
        return self.files.setdefault(name, FileStats())

    def reject(self, file: str, line: int, reason: str, raw: str, *, invalid: bool = True) -> None:
        """Quarantine a record; with --strict an invalid record is fatal (DataError naming file:line)."""
        if self.strict and invalid:
            raise DataError(f"{file}:{line}: {reason} (--strict)")
        stats = self.file(file)
        stats.quarantined += 1
        kind = reason_kind(reason)
        stats.reasons[kind] = stats.reasons.get(kind, 0) + 1
        if len(raw) > QUARANTINE_RAW_CHARS:
            raw = raw[:QUARANTINE_RAW_CHARS] + f"…[truncated, {len(raw):,} chars]"
        self.quarantine.append({"file": file, "line": line, "reason": reason, "raw": raw})

    def reject_file(self, file: str, reason: str) -> None:
        """Record a file that could not be read as a whole: one quarantine entry naming it and why."""
        self.file(file).error = reason
        self.quarantine.append({"file": file, "line": None, "reason": f"file not read: {reason}", "raw": ""})

    @property
    def bad_files(self) -> dict[str, str]:
        """The files that could not be read as a whole, with the reason."""
        return {name: s.error for name, s in self.files.items() if s.error}

    def add_pii(self, file: str, counts: dict[str, int]) -> None:
        """Add PII placeholder counts for a file and overall."""
        stats = self.file(file)
        for kind, n in counts.items():
            stats.pii[kind] = stats.pii.get(kind, 0) + n
            self.pii[kind] = self.pii.get(kind, 0) + n

    def note(self, what: str, n: int = 1) -> None:
        """Count a non-fatal event (e.g. chat system messages dropped)."""
        self.notes[what] = self.notes.get(what, 0) + n

    def totals(self) -> dict[str, int]:
        """Read/kept/quarantined/duplicates summed over all files."""
        keys = ("read", "kept", "quarantined", "duplicates")
        return {k: sum(getattr(s, k) for s in self.files.values()) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data for the manifest (quarantine entries live in their own file)."""
        return {
            "totals": self.totals(),
            "files": {name: asdict(s) for name, s in self.files.items()},
            "skipped": self.skipped,
            "pii": dict(sorted(self.pii.items())),
            "notes": dict(sorted(self.notes.items())),
            "warnings": self.warnings,
            "quarantine_reasons": _reason_counts(self.quarantine),
        }

    def print(self, console: Console, root: str = "") -> None:
        """Render the per-file table (names relative to `root`), skipped files, PII counts and warnings."""
        table = Table(title="supportbot prepare")
        for col in ("file", "format", "read", "kept", "quarantined", "dedup", "pii", "why"):
            table.add_column(col, justify="left" if col in ("file", "format", "pii", "why") else "right")
        for name, s in self.files.items():
            pii = ", ".join(f"{k} {v}" for k, v in sorted(s.pii.items()))
            why = f"[red]not read: {s.error}[/red]" if s.error else _top_reasons(s.reasons)
            counts = (s.read, s.kept, s.quarantined, s.duplicates)
            table.add_row(name, s.format or "-", *map(str, counts), pii, why)
        t = self.totals()
        table.add_row(
            "total",
            "",
            *map(str, (t["read"], t["kept"], t["quarantined"], t["duplicates"])),
            "",
            "",
            style="bold",
        )
        console.print(table)
        reasons: dict[str, list[str]] = {}
        for item in self.skipped:
            reasons.setdefault(item["reason"], []).append(item["file"])
        for reason, files in reasons.items():
            shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            console.print(f"skipped {len(files)} file(s), {reason}: {shown}", highlight=False)
        if self.pii:
            console.print("PII scrubbed: " + ", ".join(f"{k} {v}" for k, v in sorted(self.pii.items())))
        for what, n in sorted(self.notes.items()):
            console.print(f"{what}: {n}", highlight=False)
        for reason, n in _reason_counts(self.quarantine).items():
            console.print(f"quarantined {n}: {reason}", highlight=False)
        for warning in self.warnings:
            console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def reason_kind(reason: str) -> str:
    """A quarantine reason without its specifics (ids, columns, sizes), for counting."""
    return re.sub(r"\bq\w*\d+\b", "…", re.sub(r" \(.*?\)|'[^']*'", "", reason.split(";")[0]))


def _top_reasons(reasons: dict[str, int], shown: int = 2) -> str:
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    text = "; ".join(f"{n} {kind}" for kind, n in ranked[:shown])
    return text + (f"; {len(ranked) - shown} more reasons" if len(ranked) > shown else "")


def _reason_counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in entries:
        kind = reason_kind(e["reason"])
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
