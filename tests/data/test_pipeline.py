"""End to end: deduplication, group-aware split, leakage guard, determinism, manifest and the CLI."""

import json

from typer.testing import CliRunner

from supportbot.cli import app
from supportbot.data.leakage import find_leaks, load_suite_questions
from supportbot.data.schema import read_records

from .prep_helpers import all_records, qa_line, read_jsonl

BASE = "To get a refund open Transactions then tap the payment then tap Refund status and wait for seven working days"


def many(n: int, start: int = 0) -> str:
    return "".join(qa_line(i) + "\n" for i in range(start, start + n))


def test_exact_and_near_duplicates_keep_the_first_occurrence(write, run):
    lines = [
        qa_line(1, question="How do I get a refund for a failed payment?", answer=BASE),
        qa_line(2, question="how do I get a REFUND for a failed payment?", answer=BASE),  # exact (case/space)
        qa_line(3, question="How do I get a refund for a failed payment?", answer=BASE + " please"),  # near
    ]
    root = write({"a.jsonl": "\n".join(lines) + "\n", "b.jsonl": many(20, 10)})
    result = run(root)
    ids = {r.id for r in all_records(result)}
    assert "qa-1" in ids and not {"qa-2", "qa-3"} & ids
    assert result.manifest["summary"]["files"][str(root / "a.jsonl")]["duplicates"] == 2
    assert result.summary.notes["exact duplicates removed"] == 1
    assert result.summary.notes["near duplicates removed"] == 1


def test_near_duplicate_clusters_never_span_splits(write, run):
    # 12 clusters of 4 paraphrases: similar enough to group (>= 0.5), not enough to remove (< 0.8).
    lines = []
    for c in range(12):
        body = f"topic {c} " + " ".join(f"w{c}x{k}" for k in range(30))
        for v in range(4):
            lines.append(qa_line(c * 10 + v, question=f"variant {v} extra{v} words{v} here{v}", answer=body))
    result = run(write({"q.jsonl": "\n".join(lines) + "\n", "other.jsonl": many(60, 1000)}))
    split_of = {r.id: name for name, recs in result.splits.items() for r in recs}
    assert len(split_of) == 108  # nothing removed as a duplicate
    groups: dict[str, set[str]] = {}
    for name, recs in result.splits.items():
        for r in recs:
            groups.setdefault(r.meta.group, set()).add(name)
    clustered = [g for g in groups if g.startswith("qa-") and int(g[3:]) < 120]
    assert len(clustered) == 12
    assert all(len(groups[g]) == 1 for g in groups)
    assert {split_of[f"qa-{c * 10 + v}"] for c in range(12) for v in range(4)} != {"train"}


def test_split_is_about_80_10_10_and_stratified(write, run):
    root = write(
        {
            "faq.jsonl": many(100),
            "chat.jsonl": "".join(qa_line(i, source="chat") + "\n" for i in range(200, 300)),
        }
    )
    result = run(root)
    counts = {name: len(recs) for name, recs in result.splits.items()}
    assert counts == {"train": 160, "val": 20, "test": 20}
    for name, recs in result.splits.items():
        sources = result.manifest["splits"][name]["sources"]
        assert sources["faq"] == sources["chat"] == len(recs) // 2


def test_two_runs_give_identical_files_and_hashes(write, run):
    root = write(
        {
            "a.jsonl": many(40),
            "t.csv": "ticket_id,created_at,subject,body,resolution,category,language\nT-1,x,s,b?,r.,c,en\n",
        }
    )
    first, second = run(root, out="o1"), run(root, out="o2")
    assert first.manifest["dataset_hash"] == second.manifest["dataset_hash"]
    for name in ("train.jsonl", "val.jsonl", "test.jsonl"):
        assert (first.out / name).read_bytes() == (second.out / name).read_bytes()
    m1, m2 = (json.loads((r.out / "manifest.json").read_text()) for r in (first, second))
    m1["config"].pop("out"), m2["config"].pop("out")
    assert m1 == m2
    changed = run(root, out="o3", split={"seed": 7})
    assert changed.manifest["dataset_hash"] != first.manifest["dataset_hash"]


def test_split_files_are_canonical_records_with_history_and_group(write, run):
    result = run(write({"a.jsonl": many(10)}))
    for line in (result.out / "train.jsonl").read_text().splitlines():
        rec = json.loads(line)
        assert rec["inputs"]["history"] == [] and rec["meta"]["group"]
    assert len(read_records(result.out / "train.jsonl")) == result.manifest["files"]["train.jsonl"]["records"]


def test_eval_suite_near_duplicates_are_quarantined(write, run, tmp_path):
    suite = {
        "name": "s",
        "questions": [
            {
                "id": "q007",
                "question": "Why does my UPI payment fail with error UPI_ZM every single time?",
                "reference_answer": "Wrong PIN.",
            }
        ],
    }
    suite_path = tmp_path / "suite.json"
    suite_path.write_text(json.dumps(suite))
    leaky = qa_line(
        1, question="why does my UPI payment fail with error UPI_ZM every single time", answer="Because."
    )
    result = run(write({"a.jsonl": leaky + "\n" + many(10, 2)}), eval_suite=str(suite_path))
    assert "qa-1" not in {r.id for r in all_records(result)}
    (entry,) = read_jsonl(result.out / "quarantine.jsonl")
    assert entry["reason"].startswith("near-duplicate of eval question q007")
    assert find_leaks(all_records(result), load_suite_questions(suite_path), 0.8) == []


def test_manifest_has_token_stats_distributions_and_hashes(write, run):
    hi = qa_line(1, question="मेरा OTP नहीं आया", answer="कृपया 60 सेकंड रुकें।", language=None)
    result = run(write({"a.jsonl": hi + "\n" + many(30, 2)}), stats_model="tiny-random")
    m = result.manifest
    train = m["splits"]["train"]
    assert 0 < train["tokens"]["p50"] <= train["tokens"]["p95"] <= train["tokens"]["max"]
    assert sum(s["languages"].get("hi", 0) for s in m["splits"].values()) == 1
    assert train["tags"] == {"payments": train["records"]}
    assert set(m["files"]) == {"train.jsonl", "val.jsonl", "test.jsonl"}
    assert len(m["dataset_hash"]) == 64
    assert m["config"]["dedup"]["near_threshold"] == 0.8


def test_cli_runs_prepare_and_reports_bad_flags(write, tmp_path):
    root = write({"a.jsonl": many(10)})
    runner = CliRunner()
    out = tmp_path / "cli-out"
    args = ["prepare", "--input", str(root), "--out", str(out), "--model", "none", "--eval-suite", "none"]
    res = runner.invoke(app, [*args, "--set", "prepare.split.seed=3"])
    assert res.exit_code == 0, res.output
    assert "dataset_hash" in res.output and (out / "manifest.json").is_file()
    bad = runner.invoke(app, [*args, "--format", "xml"])
    assert bad.exit_code != 0 and "--format" in str(bad.exception)


def test_a_training_answer_copying_an_eval_reference_is_quarantined(write, run, tmp_path):
    """The answer-only guard fires even when the question is worded differently (issue 16)."""
    reference = (
        "Please wait 30 minutes for the OTP lock to lift automatically, then request one new OTP and wait "
        "for it to arrive before tapping Resend, since you get up to 3 resends in 30 minutes."
    )
    suite = {
        "name": "s",
        "questions": [{"id": "q001", "question": "OTP blocked?", "reference_answer": reference}],
    }
    suite_path = tmp_path / "suite.json"
    suite_path.write_text(json.dumps(suite))
    leaky = qa_line(1, question="My one-time codes stopped coming, what now?", answer=reference)
    result = run(write({"a.jsonl": leaky + "\n" + many(10, 2)}), eval_suite=str(suite_path))
    assert "qa-1" not in {r.id for r in all_records(result)}
    (entry,) = read_jsonl(result.out / "quarantine.jsonl")
    assert entry["reason"].startswith("near-duplicate of eval reference answer q001")
    off = run(
        write({"a.jsonl": leaky + "\n" + many(10, 2)}),
        out="off",
        eval_suite=str(suite_path),
        answer_leak_threshold=None,
    )
    assert "qa-1" in {r.id for r in all_records(off)}  # the question alone does not trip the guard
