"""PII scrubbing: every type becomes its placeholder; ordinary numbers and the company address survive."""

import pytest

from supportbot.data.pii import PII_TYPES, find_pii, luhn_ok, scrub_pii


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("write to priya.sharma87@yahoo.co.in today", "write to [EMAIL] today", "EMAIL"),
        ("call me on +91 98765 43210 please", "call me on [PHONE] please", "PHONE"),
        ("my number is 9876543210.", "my number is [PHONE].", "PHONE"),
        ("reach +91-88794 55120 after six", "reach [PHONE] after six", "PHONE"),
        ("US office +1 415-555-0100", "US office [PHONE]", "PHONE"),
        ("card 4111 1111 1111 1111 was charged", "card [CARD] was charged", "CARD"),
        ("card 5500-0055-5555-5559 blocked", "card [CARD] blocked", "CARD"),
        ("card 4111111111111111", "card [CARD]", "CARD"),
        ("PAN ABCDE1234F rejected", "PAN [PAN] rejected", "PAN"),
        ("aadhaar 2345 6789 0123 linked", "aadhaar [AADHAAR] linked", "AADHAAR"),
        ("aadhaar 234567890123", "aadhaar [AADHAAR]", "AADHAAR"),
        ("login from 103.21.58.14 blocked", "login from [IP] blocked", "IP"),
        ("ipv6 2001:db8::1 seen", "ipv6 [IP] seen", "IP"),
    ],
)
def test_each_pii_type_becomes_its_placeholder(text, expected, kind):
    scrubbed, counts = scrub_pii(text)
    assert scrubbed == expected
    assert counts == {kind: 1}
    assert kind in PII_TYPES


@pytest.mark.parametrize(
    "text",
    [
        "I paid ₹2,000 and then ₹1,00,000",
        "support is open till 9:00 PM",
        "wait 120 seconds before resending",
        "I entered the OTP 3 times",
        "order 12345 from 2024, app version 4.2.1, time 10:30:45",
        "error code UPI_ZM and IFSC HDFC0001234",
    ],
)
def test_ordinary_numbers_are_not_pii(text):
    assert scrub_pii(text) == (text, {})


def test_card_numbers_must_pass_luhn():
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert scrub_pii("ref 4111 1111 1111 1112")[1].get("CARD") is None


def test_a_card_is_not_mistaken_for_aadhaar_or_phone():
    scrubbed, counts = scrub_pii("card 4111 1111 1111 1111, aadhaar 2345 6789 0123, mobile +91 98765 43210")
    assert scrubbed == "card [CARD], aadhaar [AADHAAR], mobile [PHONE]"
    assert counts == {"CARD": 1, "AADHAAR": 1, "PHONE": 1}


def test_company_address_is_kept_by_the_allow_list_and_configurable():
    text = "Mail support@novapay.example or me at ravi@gmail.com"
    assert scrub_pii(text) == ("Mail support@novapay.example or me at [EMAIL]", {"EMAIL": 1})
    assert scrub_pii(text, allow_emails=[])[1] == {"EMAIL": 2}


def test_find_pii_counts_without_changing_text():
    assert find_pii("a@b.com, c@d.org, ABCDE1234F") == {"EMAIL": 2, "PAN": 1}


@pytest.mark.parametrize(
    ("text", "expected", "counts"),
    [
        ("qty 5 4111 1111 1111 1111 ok", "qty 5 [CARD] ok", {"CARD": 1}),
        ("card 4111-1111-1111-1111 and 5", "card [CARD] and 5", {"CARD": 1}),
        ("amex 3782 822463 10005 used", "amex [CARD] used", {"CARD": 1}),
        ("card 41 11 11 11 11 11 11 11", "card [CARD]", {"CARD": 1}),
        ("call 415.555.0100 now", "call [PHONE] now", {"PHONE": 1}),
        ("call 415 555 0100 now", "call [PHONE] now", {"PHONE": 1}),
        ("call 1-415-555-0100 now", "call [PHONE] now", {"PHONE": 1}),
        ("call (415)555-0100", "call [PHONE]", {"PHONE": 1}),
        ("pay to ravi.k@okaxis please", "pay to [UPI] please", {"UPI": 1}),
        ("VPA 9876543210@ybl failed", "VPA [UPI] failed", {"UPI": 1}),
        ("card 4111 1111 1111 1111 cvv 123", "card [CARD] cvv [CVV]", {"CARD": 1, "CVV": 1}),
        ("card 4111111111111111, 12/27, 123", "card [CARD], 12/27, [CVV]", {"CARD": 1, "CVV": 1}),
        ("my CVV is 4821", "my CVV is [CVV]", {"CVV": 1}),
        ("IBAN GB82 WEST 1234 5698 7654 32 rejected", "IBAN [IBAN] rejected", {"IBAN": 1}),
        ("to DE89370400440532013000.", "to [IBAN].", {"IBAN": 1}),
        ("SSN 123-45-6789 on file", "SSN [SSN] on file", {"SSN": 1}),
    ],
)
def test_more_pii_is_caught_in_the_groupings_people_write(text, expected, counts):
    assert scrub_pii(text) == (expected, counts)


@pytest.mark.parametrize(
    "text",
    [
        "qty 5 4111 1111 1111 1112 (fails Luhn)",  # a card-shaped number that is not a card
        "release 2024.05.01 and version 10.2.3.4567",
        "order 415.555.010 and ticket 123.456.7890.1",
        "the CVV is the 3-digit code on the back",
        "IBAN GB00 WEST 1234 5698 7654 32 fails mod 97",
        "ids 000-12-3456, 666-12-3456, 912-34-5678 and 123-00-4567 are not SSNs",
        "date 2024-01-15, range 100-200-3000",
        "mention @support or email support@novapay.example",
        "meet me @ 5pm, ratio 3@4",
    ],
)
def test_look_alikes_of_the_new_types_are_kept(text):
    assert scrub_pii(text) == (text, {})


def test_iban_checksum():
    from supportbot.data.pii import iban_ok

    assert iban_ok("GB82 WEST 1234 5698 7654 32") and iban_ok("de89370400440532013000")
    assert not iban_ok("GB83 WEST 1234 5698 7654 32")
