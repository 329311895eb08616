"""PII scrubbing: replace emails, UPI ids, IPs, IBANs, cards, CVVs, SSNs, Aadhaar, phones and PAN with typed
placeholders. Checksummed identifiers (cards: Luhn, IBAN: mod 97) are only redacted when the checksum holds, so
order numbers and references that merely look alike are kept."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable

PII_TYPES: tuple[str, ...] = (
    "EMAIL",
    "UPI",
    "IP",
    "IBAN",
    "CARD",
    "CVV",
    "SSN",
    "AADHAAR",
    "PHONE",
    "PAN",
)
"""Placeholder types, in the order they are applied (earlier ones win over later ones)."""

DEFAULT_EMAIL_ALLOWLIST: tuple[str, ...] = ("support@novapay.example",)
"""The company's own addresses: kept verbatim so answers can still point customers to them."""

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# A VPA: handle@psp with no dot-suffix (that would be an email): ravi.k@okaxis, 9876543210@ybl.
_UPI = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._-]{1,255}@[A-Za-z][A-Za-z0-9]{1,63}(?![\w@-]|\.\w)")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]*\d)"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# Country code, check digits, then 11-30 alphanumerics, compact or in groups of four; mod-97 checked below.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
# Any run of digit groups joined by single spaces or dashes; the card is a Luhn-valid 13-19 digit span of
# whole groups inside it, so "order 5 4111 1111 1111 1111" loses the card and keeps the 5.
_DIGIT_RUN = re.compile(r"(?<![\w+.])\d+(?:[ -]\d+)*(?![\w.]\d)")
_CVV = re.compile(
    r"(?:\b(?:cvv2?|cvc2?|cid|csc|security code)\b\W{0,3}(?:is\s+|was\s+)?"
    r"|\[CARD\](?:[ ,;]+(?:exp\w*\W{0,2})?\d{2}/\d{2,4})?[ ,;]+(?:cvv\W{0,2})?)(\d{3,4})\b",
    re.IGNORECASE,
)
# Area 001-899 except 666, group 01-99, serial 0001-9999 (the SSA's rules), dashed only.
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
# 12 digits, first 2-9, either contiguous or grouped 4-4-4 with one consistent separator.
_AADHAAR = re.compile(r"(?<![\d+])(?<!\d[ -])[2-9]\d{3}([ -]?)\d{4}\1\d{4}(?![ -]?\d)")
_PHONE = re.compile(
    r"(?<![\w+.])(?:"
    r"\+\d{1,3}[ .-]?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}(?:[ .-]?\d{2,5}){1,4}"  # international: +91 98765 43210
    r"|0?[6-9]\d{4}[ -]?\d{5}"  # Indian mobile: 9876543210, 98765 43210, 098765 43210
    # North American (NANP): (415) 555-0100, 415-555-0100, 415.555.0100, 415 555 0100, 1-415-555-0100
    r"|(?:1[ .-])?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}([ .-]))[2-9]\d{2}(?(1)\1|[ .-])\d{4}"
    r")(?![\w-]|[ .-]\d)"
)
_PAN = re.compile(r"\b[A-Z]{5}\d{4}[A-Z]\b")

Span = tuple[int, int]


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


def iban_ok(iban: str) -> bool:
    """True when an IBAN (spaces allowed) passes the ISO 13616 mod-97 check."""
    compact = re.sub(r"\s", "", iban).upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _whole(match: re.Match[str]) -> Span | None:
    return match.span()


def _card_span(match: re.Match[str]) -> Span | None:
    """The longest Luhn-valid run of whole digit groups with 13-19 digits inside a run of groups."""
    groups = [(m.start(), m.end()) for m in re.finditer(r"\d+", match.group(0))]
    best: Span | None = None
    for i in range(len(groups)):
        digits = ""
        for j in range(i, len(groups)):
            digits += match.group(0)[groups[j][0] : groups[j][1]]
            if len(digits) > 19:
                break
            longer = best is None or groups[j][1] - groups[i][0] > best[1] - best[0]
            if len(digits) >= 13 and longer and luhn_ok(digits):
                best = (groups[i][0], groups[j][1])
    return None if best is None else (match.start() + best[0], match.start() + best[1])


def _iban_span(match: re.Match[str]) -> Span | None:
    return match.span() if iban_ok(match.group(0)) else None


def _cvv_span(match: re.Match[str]) -> Span | None:
    return match.span(1)


def _phone_span(match: re.Match[str]) -> Span | None:
    return match.span() if 10 <= len(_digits(match.group(0))) <= 15 else None


def _ipv6_span(match: re.Match[str]) -> Span | None:
    try:
        ipaddress.IPv6Address(match.group(0))
    except ValueError:
        return None
    return match.span() if any(c.isalnum() for c in match.group(0)) else None


_Rule = tuple[str, re.Pattern[str], Callable[[re.Match[str]], Span | None]]
_RULES: tuple[_Rule, ...] = (
    ("EMAIL", _EMAIL, _whole),
    ("UPI", _UPI, _whole),
    ("IP", _IPV4, _whole),
    ("IP", _IPV6, _ipv6_span),
    ("IBAN", _IBAN, _iban_span),
    ("CARD", _DIGIT_RUN, _card_span),
    ("CVV", _CVV, _cvv_span),
    ("SSN", _SSN, _whole),
    ("AADHAAR", _AADHAAR, _whole),
    ("PHONE", _PHONE, _phone_span),
    ("PAN", _PAN, _whole),
)


def scrub_pii(text: str, allow_emails: Iterable[str] = DEFAULT_EMAIL_ALLOWLIST) -> tuple[str, dict[str, int]]:
    """Replace PII with `[TYPE]` placeholders; return the new text and a count per type found."""
    allowed = {e.lower() for e in allow_emails}
    counts: dict[str, int] = {}
    for kind, pattern, span_of in _RULES:

        def _sub(m: re.Match[str], kind: str = kind, span_of=span_of) -> str:
            span = span_of(m)
            if span is None or (kind == "EMAIL" and m.group(0).lower() in allowed):
                return m.group(0)
            counts[kind] = counts.get(kind, 0) + 1
            start, end = span[0] - m.start(), span[1] - m.start()
            return m.group(0)[:start] + f"[{kind}]" + m.group(0)[end:]

        text = pattern.sub(_sub, text)
    return text, counts


def find_pii(text: str, allow_emails: Iterable[str] = DEFAULT_EMAIL_ALLOWLIST) -> dict[str, int]:
    """Count the PII in a text by type, without changing it."""
    return scrub_pii(text, allow_emails)[1]
