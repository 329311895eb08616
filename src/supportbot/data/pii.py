"""PII scrubbing: replace emails, phones, cards, PAN, Aadhaar and IPs with typed placeholders."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable

PII_TYPES: tuple[str, ...] = ("EMAIL", "IP", "CARD", "AADHAAR", "PHONE", "PAN")
"""Placeholder types, in the order they are applied (earlier ones win over later ones)."""

DEFAULT_EMAIL_ALLOWLIST: tuple[str, ...] = ("support@novapay.example",)
"""The company's own addresses: kept verbatim so answers can still point customers to them."""

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]*\d)"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# 13-19 digits, optionally grouped with single spaces or dashes; Luhn-checked below.
_CARD = re.compile(r"(?<![\d+])(?<!\d[ -])\d(?:[ -]?\d){12,18}(?![ -]?\d)")
# 12 digits, first 2-9, either contiguous or grouped 4-4-4 with one consistent separator.
_AADHAAR = re.compile(r"(?<![\d+])(?<!\d[ -])[2-9]\d{3}([ -]?)\d{4}\1\d{4}(?![ -]?\d)")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[ -]?(?:\(\d{1,5}\)[ -]?)?\d{1,5}(?:[ -]?\d{2,5}){1,4}"  # international: +91 98765 43210
    r"|0?[6-9]\d{4}[ -]?\d{5}"  # Indian mobile: 9876543210, 98765 43210, 098765 43210
    r"|\(\d{3}\)[ -]?\d{3}-\d{4}|\d{3}-\d{3}-\d{4}"  # North American: (415) 555-0100, 415-555-0100
    r")(?![\w-]|[ -]\d)"
)
_PAN = re.compile(r"\b[A-Z]{5}\d{4}[A-Z]\b")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def luhn_ok(number: str) -> bool:
    """True when a digit string passes the Luhn checksum used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_card(match: str) -> bool:
    digits = _digits(match)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def _is_phone(match: str) -> bool:
    return 10 <= len(_digits(match)) <= 15


def _is_ipv6(match: str) -> bool:
    try:
        ipaddress.IPv6Address(match)
    except ValueError:
        return False
    return any(c.isalnum() for c in match)


_Rule = tuple[str, re.Pattern[str], Callable[[str], bool] | None]
_RULES: tuple[_Rule, ...] = (
    ("EMAIL", _EMAIL, None),
    ("IP", _IPV4, None),
    ("IP", _IPV6, _is_ipv6),
    ("CARD", _CARD, _is_card),
    ("AADHAAR", _AADHAAR, None),
    ("PHONE", _PHONE, _is_phone),
    ("PAN", _PAN, None),
)


def scrub_pii(text: str, allow_emails: Iterable[str] = DEFAULT_EMAIL_ALLOWLIST) -> tuple[str, dict[str, int]]:
    """Replace PII with `[TYPE]` placeholders; return the new text and a count per type found."""
    allowed = {e.lower() for e in allow_emails}
    counts: dict[str, int] = {}
    for kind, pattern, check in _RULES:

        def _sub(m: re.Match[str], kind: str = kind, check: Callable[[str], bool] | None = check) -> str:
            value = m.group(0)
            if check is not None and not check(value):
                return value
            if kind == "EMAIL" and value.lower() in allowed:
                return value
            counts[kind] = counts.get(kind, 0) + 1
            return f"[{kind}]"

        text = pattern.sub(_sub, text)
    return text, counts


def find_pii(text: str, allow_emails: Iterable[str] = DEFAULT_EMAIL_ALLOWLIST) -> dict[str, int]:
    """Count the PII in a text by type, without changing it."""
    return scrub_pii(text, allow_emails)[1]
