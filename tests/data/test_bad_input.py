"""Bad input is quarantined with file, line and reason (or fatal under --strict), and never crashes or hangs."""

import json

import pytest

from supportbot.core.errors import DataError

from .prep_helpers import all_records, qa_line, read_jsonl


def test_malformed_jsonl_line_is_quarantined_with_file_line_and_raw(write, run):
    root = write({"qa.jsonl": qa_line(1) + "\n" + '{"id": "qa-2", "inputs": {\n' + qa_line(3) + "\n"})
    result = run(root)
    assert {r.id for r in all_records(result)} == {"qa-1", "qa-3"}
    (entry,) = read_jsonl(result.out / "quarantine.jsonl")
    assert entry["file"] == str(root / "qa.jsonl")
    assert entry["line"] == 2
    assert entry["reason"].startswith("invalid JSON:")
    assert entry["raw"] == '{"id": "qa-2", "inputs": {'
    stats = result.manifest["summary"]["files"][str(root / "qa.jsonl")]
    assert (stats["read"], stats["kept"], stats["quarantined"]) == (3, 2, 1)


def test_strict_makes_the_first_bad_record_fatal(write, run):
    root = write({"qa.jsonl": qa_line(1) + "\n" + qa_line(2, answer="   ") + "\n"})
    with pytest.raises(DataError, match=r"qa\.jsonl:2: outputs\.answer: must not be empty \(--strict\)"):
        run(root, strict=True)


def test_empty_file_is_listed_as_skipped_not_fatal(write, run):
    root = write({"empty.jsonl": "", "qa.jsonl": qa_line(1) + "\n"})
    result = run(root)
    assert [s["reason"] for s in result.summary.skipped] == ["empty file"]
    assert any("empty.jsonl: empty file" in w for w in result.summary.warnings)


def test_only_empty_input_is_a_clear_error(write, run):
    with pytest.raises(DataError, match=r"no usable records .*empty\.jsonl: empty file"):
        run(write({"empty.jsonl": "\n\n"}))


def test_non_utf8_file_is_read_as_latin1_with_a_counted_warning(write, run):
    line = qa_line(1, question="Café refund for order", answer="Refunds take 5 days.")
    result = run(write({"qa.jsonl": (line + "\n").encode("latin-1")}))
    (rec,) = all_records(result)
    assert rec.inputs.question == "Café refund for order"
    (warning,) = [w for w in result.summary.warnings if "UTF-8" in w]
    assert "qa.jsonl: not valid UTF-8" in warning and "latin-1" in warning
    assert warning in result.manifest["summary"]["warnings"]


def test_ten_megabyte_record_is_quarantined_without_parsing(write, run):
    huge = qa_line(2, answer="x" * 10_000_000)
    result = run(write({"qa.jsonl": qa_line(1) + "\n" + huge + "\n"}))
    (entry,) = result.summary.quarantine
    assert entry["line"] == 2
    assert entry["reason"].startswith("record too large (10,000,")
    assert "max_record_chars=20,000" in entry["reason"]
    assert len(entry["raw"]) < 3000  # the quarantine file keeps a truncated copy


def test_record_limit_is_configurable_and_applies_to_csv(write, run):
    csv = "ticket_id,created_at,subject,body,resolution,category,language\nT-1,x,s,b," + "y" * 500 + ",c,en\n"
    csv += "T-2,x,short,question?,short answer.,c,en\n"
    result = run(write({"t.csv": csv}), max_record_chars=300)
    assert [r.id for r in all_records(result)] == ["T-2"]
    assert result.summary.quarantine[0]["reason"].startswith("record too large")


def test_non_object_json_line_and_schema_errors_name_the_field(write, run):
    bad_type = json.dumps({"id": "qa-9", "inputs": {"question": 5}, "outputs": {"answer": "a"}})
    result = run(write({"qa.jsonl": "[1, 2]\n" + bad_type + "\n" + qa_line(1) + "\n"}))
    reasons = [e["reason"] for e in result.summary.quarantine]
    assert reasons == ["expected a JSON object, got list", "inputs.question: Input should be a valid string"]
