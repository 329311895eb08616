"""Real export shapes are read whole: compact JSON arrays, tool-call chats, role aliases, UTF-16, bad files."""

import json
import random
import subprocess
import sys

import pytest

from supportbot.core.errors import DataError
from tests.data.prep_helpers import all_records, read_jsonl

WORDS = [
    "refund",
    "invoice",
    "password",
    "router",
    "billing",
    "shipping",
    "warranty",
    "account",
    "export",
    "login",
    "coupon",
    "plan",
    "seat",
    "printer",
    "cable",
    "firmware",
    "token",
    "webhook",
    "backup",
    "restore",
    "quota",
    "region",
    "tax",
    "address",
    "courier",
    "parcel",
    "label",
]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def alpaca_items(n: int = 50) -> list[dict]:
    rng = random.Random(0)
    return [{"instruction": f"{_text(rng, 8)}?", "output": f"{_text(rng, 14)}."} for _ in range(n)]


def sharegpt_items(n: int = 50) -> list[dict]:
    rng = random.Random(1)
    return [
        {
            "conversations": [
                {"from": "human", "value": _text(rng, 8)},
                {"from": "gpt", "value": _text(rng, 14)},
            ]
        }
        for _ in range(n)
    ]


@pytest.mark.parametrize("items", [alpaca_items(), sharegpt_items()], ids=["alpaca", "sharegpt"])
@pytest.mark.parametrize("shape", ["compact", "indented", "jsonl"])
def test_every_record_is_kept_whatever_the_json_layout(write, run, items, shape):
    if shape == "compact":
        files = {"export.json": json.dumps(items)}
    elif shape == "indented":
        files = {"export.json": json.dumps(items, indent=2)}
    else:
        files = {"export.jsonl": "\n".join(json.dumps(i) for i in items) + "\n"}
    result = run(write(files), dedup={"near_threshold": 0.99})
    totals = result.summary.totals()
    assert (totals["read"], totals["quarantined"]) == (50, 0), result.summary.quarantine[:3]
    assert totals["kept"] + totals["duplicates"] == 50
    assert totals["kept"] == 50
    ids = [r.id for r in all_records(result)]
    assert len(set(ids)) == 50
    if shape == "compact":
        assert any(i.startswith("export-L1.2") for i in ids)


def test_openai_tool_calls_content_parts_and_developer_role_keep_every_conversation(write, run):
    convs = []
    for k in range(10):
        convs.append(
            {
                "messages": [
                    {"role": "developer", "content": "You are the Acme support bot."},
                    {"role": "user", "content": [{"type": "text", "text": f"Where is order {1000 + k}?"}]},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": f"c{k}",
                                "type": "function",
                                "function": {"name": "get_order", "arguments": json.dumps({"id": 1000 + k})},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": f"c{k}", "content": f'{{"status": "shipped day {k}"}}'},
                    {
                        "role": "assistant",
                        "content": [
                            {"type": "text", "text": f"Order {1000 + k} shipped on day {k} of the week."},
                            {"type": "image_url", "image_url": {"url": "x"}},
                        ],
                    },
                ]
            }
        )
    result = run(write({"chats.jsonl": "\n".join(json.dumps(c) for c in convs) + "\n"}))
    assert result.summary.totals()["quarantined"] == 0
    records = all_records(result)
    assert len(records) == 10
    rec = next(r for r in records if "1003" in r.inputs.question)
    assert rec.outputs.answer == "Order 1003 shipped on day 3 of the week."
    assert "called get_order" in rec.inputs.context and "shipped day 3" in rec.inputs.context
    notes = result.summary.notes
    assert notes["tool calls kept as context"] == 10 and notes["tool results kept as context"] == 10
    assert notes["non-text content parts skipped (image_url)"] == 10
    assert notes["system messages dropped"] == 10


def test_sharegpt_role_aliases_and_tool_turns(write, run):
    convs = [
        {
            "conversations": [
                {"from": "human", "value": "reset my router"},
                {"from": role, "value": f"hold reset {role}"},
            ]
        }
        for role in ("chatgpt", "bing", "model", "bard")
    ]
    convs.append(
        {
            "conversations": [
                {"from": "human", "value": "refund status?"},
                {"from": "function_call", "value": '{"name": "refund_status"}'},
                {"from": "observation", "value": '{"state": "sent"}'},
                {"from": "gpt", "value": "Your refund was sent."},
            ]
        }
    )
    result = run(write({"sg.json": json.dumps(convs)}))
    assert result.summary.totals()["quarantined"] == 0
    assert len(all_records(result)) == 5
    tool_rec = next(r for r in all_records(result) if r.outputs.answer == "Your refund was sent.")
    assert "refund_status" in tool_rec.inputs.context and "sent" in tool_rec.inputs.context


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
def test_unicode_encodings_are_read(write, run, encoding):
    items = alpaca_items(5)
    items[0]["output"] = "Zahlung über café — 返金 ✓"
    data = json.dumps(items, ensure_ascii=False, indent=1).encode(encoding)
    result = run(write({"faq.json": data}))
    assert result.summary.totals()["kept"] == 5
    assert any(r.outputs.answer == "Zahlung über café — 返金 ✓" for r in all_records(result))
    assert not result.summary.warnings or "latin-1" not in " ".join(result.summary.warnings)


GOOD_CSV = "ticket_id,created_at,subject,body,category,language,resolution\n" + "".join(
    f"T-{i},2026-01-0{i},{w} issue,my {w} broke on day {i},billing,en,replace the {w} part {i}\n"
    for i, w in enumerate(["router", "printer", "cable", "token"], 1)
)
BAD_CSV = "ticket_id,created_at,subject,body,category,language\nT-9,x,s,b,c,en\n"


def test_one_bad_csv_is_named_and_the_good_files_are_written(write, run, tmp_path):
    root = write({"good.csv": GOOD_CSV, "bad.csv": BAD_CSV, "faq.json": json.dumps(alpaca_items(6))})
    result = run(root)
    assert result.summary.totals()["kept"] == 10
    assert set(result.summary.bad_files) == {str(root / "bad.csv")}
    quarantine = read_jsonl(tmp_path / "out" / "quarantine.jsonl")
    bad = [q for q in quarantine if q["file"].endswith("bad.csv")]
    assert len(bad) == 1 and "missing column 'resolution'" in bad[0]["reason"]
    assert sum(1 for _ in (tmp_path / "out" / "train.jsonl").open()) > 0
    with pytest.raises(DataError, match=r"bad\.csv: missing column 'resolution'.*--strict"):
        run(root, out="strict", strict=True)


def _prepare_cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from supportbot.cli import main; main()"
    cmd = [sys.executable, "-c", code, "prepare", "--model", "none", "--eval-suite", "none", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_cli_exits_nonzero_on_a_bad_file_unless_allowed(write, tmp_path):
    root = write({"good.csv": GOOD_CSV, "bad.csv": BAD_CSV})
    proc = _prepare_cli("-i", str(root), "-o", str(tmp_path / "o1"))
    assert proc.returncode == 1, proc.stderr
    assert "bad.csv" in proc.stderr and "--allow-bad-files" in proc.stderr
    assert (tmp_path / "o1" / "train.jsonl").is_file()
    proc = _prepare_cli("-i", str(root), "-o", str(tmp_path / "o2"), "--allow-bad-files")
    assert proc.returncode == 0, proc.stderr
