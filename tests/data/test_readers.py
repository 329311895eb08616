"""Every supported input format is read into canonical records, auto-detected or forced with --format."""

import json

import pytest

from supportbot.core.errors import DataError
from supportbot.data.config import PrepareConfig

from .prep_helpers import all_records, qa_line


def by_id(result):
    return {r.id: r for r in all_records(result)}


def test_canonical_jsonl_keeps_fields_and_fills_defaults(write, run):
    line = json.dumps(
        {
            "id": "q1",
            "inputs": {"question": "  How do   I reset my MPIN? ", "context": "Error code: LOGIN_LOCKED"},
            "outputs": {"answer": "Tap Forgot MPIN."},
            "meta": {"source": "faq", "tags": ["Login"], "timestamp": "2026-01-01T00:00:00Z", "agent": "a7"},
        }
    )
    result = run(write({"qa.jsonl": line + "\n"}))
    rec = by_id(result)["q1"]
    assert rec.inputs.question == "How do I reset my MPIN?"
    assert rec.inputs.context == "Error code: LOGIN_LOCKED"
    assert rec.inputs.history == []
    assert rec.meta.tags == ["login"]
    assert rec.meta.language == "en"
    assert rec.meta.group == "q1"
    assert rec.meta.origin == "qa.jsonl:1"
    assert rec.meta.model_extra == {"agent": "a7"}  # unknown meta keys are kept
    assert [s.format for s in result.summary.files.values()] == ["canonical"]


def test_openai_chat_makes_one_record_per_assistant_turn_with_history(write, run):
    conv = {
        "id": "c1",
        "messages": [
            {"role": "system", "content": "You are NovaPay support."},
            {"role": "user", "content": "My UPI payment failed"},
            {"role": "assistant", "content": "Which error code do you see?"},
            {"role": "user", "content": "UPI_ZM"},
            {"role": "assistant", "content": "UPI_ZM means a wrong UPI PIN; retry with the right PIN."},
        ],
        "meta": {"source": "chat", "tags": ["payments"], "language": "en"},
    }
    result = run(write({"chats.jsonl": json.dumps(conv) + "\n"}))
    recs = by_id(result)
    assert set(recs) == {"c1-t1", "c1-t2"}
    assert recs["c1-t1"].inputs.question == "My UPI payment failed"
    assert recs["c1-t1"].inputs.history == []
    second = recs["c1-t2"]
    assert second.inputs.question == "UPI_ZM"
    assert [(m.role, m.content) for m in second.inputs.history] == [
        ("user", "My UPI payment failed"),
        ("assistant", "Which error code do you see?"),
    ]
    assert second.inputs.context is None
    assert {r.meta.group for r in recs.values()} == {"c1"}  # one conversation, one group
    assert result.summary.notes["system messages dropped"] == 1


def test_system_messages_can_become_context(write, run):
    conv = {
        "messages": [
            {"role": "system", "content": "Customer is on the premium plan."},
            {"role": "user", "content": "What is my UPI limit?"},
            {"role": "assistant", "content": "Up to ₹1,00,000 per day."},
        ]
    }
    result = run(write({"chats.jsonl": json.dumps(conv) + "\n"}), system_messages="context")
    (rec,) = all_records(result)
    assert rec.inputs.context == "Customer is on the premium plan."


def test_sharegpt_conversations_map_roles_and_top_level_meta(write, run):
    conv = {
        "id": "s1",
        "conversations": [
            {"from": "human", "value": "OTP नहीं आया"},
            {"from": "gpt", "value": "कृपया 60 सेकंड रुकें और फिर Resend OTP दबाएँ।"},
        ],
        "tags": ["otp"],
    }
    result = run(write({"share.jsonl": json.dumps(conv, ensure_ascii=False) + "\n"}))
    (rec,) = all_records(result)
    assert rec.id == "s1-t1"
    assert rec.outputs.answer.startswith("कृपया")
    assert rec.meta.tags == ["otp"]
    assert rec.meta.language == "hi"  # detected from Devanagari
    assert rec.meta.source == "share"  # defaults to the file stem


def test_sharegpt_unknown_role_is_quarantined(write, run):
    conv = {
        "id": "s2",
        "conversations": [{"from": "robot", "value": "hi"}, {"from": "gpt", "value": "hello"}],
    }
    good = {
        "id": "s3",
        "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}],
    }
    result = run(write({"share.jsonl": json.dumps(conv) + "\n" + json.dumps(good) + "\n"}))
    (entry,) = result.summary.quarantine
    assert entry["line"] == 1
    assert "unknown role 'robot'" in entry["reason"]


def test_alpaca_json_array_and_jsonl(write, run):
    items = [
        {"instruction": "How do I block my card?", "input": "", "output": "Cards > Block card."},
        {
            "instruction": "What does this error mean?",
            "input": "Error code: OCR_FAIL",
            "output": "Re-upload a clear PAN photo.",
        },
        {"instruction": "Missing output here", "input": ""},
    ]
    root = write(
        {
            "alpaca.json": json.dumps(items, indent=1),
            "more.jsonl": json.dumps(
                {"instruction": "How do I close my account?", "output": "Profile > Close account."}
            )
            + "\n",
        }
    )
    result = run(root)
    questions = {r.inputs.question: r for r in all_records(result)}
    assert questions["What does this error mean?"].inputs.context == "Error code: OCR_FAIL"
    assert questions["How do I block my card?"].inputs.context is None
    assert "How do I close my account?" in questions
    (entry,) = result.summary.quarantine
    assert entry["file"].endswith("alpaca.json")
    assert entry["line"] == 12  # the line where the third item starts
    assert entry["reason"] == "missing field 'output'"


TICKETS = (
    "ticket_id,created_at,subject,body,resolution,category,language,agent\r\n"
    'T-1,2026-01-02 10:00:00,Refund status,"Where is my refund,\nplease?",Check Transactions > Refund status.,refunds,en,a7\r\n'
    "T-2,2026-01-03 11:00:00,Card PIN,How do I set my card PIN?,,cards,en,a8\r\n"
)


def test_csv_tickets_use_the_column_mapping(write, run):
    result = run(write({"tickets.csv": TICKETS}))
    (rec,) = all_records(result)
    assert rec.id == "T-1"
    assert rec.inputs.question == "Refund status\nWhere is my refund,\nplease?"
    assert rec.outputs.answer == "Check Transactions > Refund status."
    assert rec.meta.tags == ["refunds"]
    assert rec.meta.timestamp == "2026-01-02 10:00:00"
    assert rec.meta.model_extra == {"agent": "a7"}  # unmapped columns are kept in meta
    (entry,) = result.summary.quarantine
    assert (entry["line"], entry["reason"]) == (4, "outputs.answer: must not be empty")


def test_tsv_and_an_overridden_mapping(write, run):
    tsv = "q\ta\tkind\nHow do I change my email?\tProfile > Email.\taccount\n"
    csv_map = {
        "id": None,
        "question": ["q"],
        "answer": "a",
        "tags": ["kind"],
        "language": None,
        "timestamp": None,
    }
    result = run(write({"export.tsv": tsv}), csv=csv_map)
    (rec,) = all_records(result)
    assert (rec.id, rec.inputs.question, rec.meta.tags) == (
        "export-L2",
        "How do I change my email?",
        ["account"],
    )


def test_csv_missing_mapped_column_names_file_and_column(write, run):
    bad = "ticket_id,created_at,subject,body,category,language\nT-1,x,s,b,c,en\n"
    with pytest.raises(
        DataError,
        match=r"tickets\.csv: not read, missing column 'resolution' \(mapped by prepare\.csv\.answer\)",
    ):
        run(write({"tickets.csv": bad}))
    with pytest.raises(DataError, match=r"tickets\.csv: missing column 'resolution'.*\(--strict\)"):
        run(write({"tickets.csv": bad}), out="o2", strict=True)


def test_format_flag_forces_a_reader(write, run):
    root = write({"data.jsonl": json.dumps({"instruction": "q?", "output": "a."}) + "\n"})
    assert run(root, format="alpaca").summary.totals()["kept"] == 1
    with pytest.raises(DataError, match=r"no usable records.*1 record\(s\) quarantined"):
        run(root, out="o2", format="canonical")  # alpaca keys read as canonical: the record is invalid


def test_mixed_folder_is_read_recursively_and_skips_are_listed(write, run):
    root = write(
        {
            "raw/qa.jsonl": qa_line(1) + "\n",
            "raw/nested/tickets.csv": TICKETS,
            "kb/KB-001-otp.md": "---\nid: KB-001\n---\nOTP facts",
            "notes.txt": "hello",
            "build.py": "print(1)",
            "suite.json": json.dumps({"name": "x", "questions": []}),
        }
    )
    result = run(root)
    assert {r.id for r in all_records(result)} == {"qa-1", "T-1"}
    skipped = {s["file"].removeprefix(str(root) + "/"): s["reason"] for s in result.summary.skipped}
    assert skipped["kb/KB-001-otp.md"] == "excluded folder (prepare.exclude_dirs)"
    assert skipped["notes.txt"] == "unknown file type '.txt'"
    assert skipped["build.py"] == "unknown file type '.py'"
    assert skipped["suite.json"].startswith(
        "unrecognised record format (first record's keys: name, questions"
    )


def test_output_folder_inside_input_is_never_read(write, tmp_path):
    from supportbot.data.pipeline import prepare

    root = write({"qa.jsonl": "\n".join(qa_line(i) for i in range(10)) + "\n"})
    cfg = PrepareConfig(input=str(root), out=str(root / "processed"), stats_model=None, eval_suite=None)
    first = prepare(cfg)
    second = prepare(cfg)
    assert second.summary.totals()["read"] == first.summary.totals()["read"] == 10
