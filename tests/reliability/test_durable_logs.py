"""Durable local records: the audit log and the feedback file are written a whole line at a
time or not at all (a full disk, a partial tail left by a crash), read line by line with bad
lines reported, private to their owner (0600 files, 0700 folders, no symlinks), and a feedback
write that fails is a clear error that keeps the rating."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.app.feedback import FeedbackStore, RatedAnswer
from assistant.audit import AuditLog, read_audit_log
from assistant.config import PROJECT_ROOT
from assistant.schema import AnswerResult
from tests.reliability.conftest import record_figure

TIMEOUT = 120
LONG_ANSWER = "Deficiency is confirmed below 180 ng/L. " * 100  # about 4 KB


def new_log(path: Path) -> AuditLog:
    return AuditLog(path, corpus_sha256="c" * 64, rules_sha256="r" * 64)


def write_entry(log: AuditLog, question: str) -> None:
    log.write(log.entry(question, None, "clinician", AnswerResult(answer=LONG_ANSWER), None))


def json_lines(path: Path) -> list[dict[str, object]]:
    """Every line must be whole JSON: this is what a reviewer's tools would read."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n"), f"a partial line at the end: {raw[-80:]!r}"
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


# Runs in a fresh interpreter: the file-size limit (a full disk for this process) applies to it
# alone. SIGXFSZ is ignored so that a write past the limit fails instead of killing it.
FULL_DISK = r"""
import json, resource, signal, sys
from pathlib import Path

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
kind, path, question = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
limit = path.stat().st_size + 1000 if path.exists() else 1000
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
outcome = {}


def full_disk(action):
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        action()
        outcome["first"] = "written"
    except Exception as exc:
        outcome["first"] = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


if kind == "audit":
    from assistant.audit import AuditLog
    from assistant.schema import AnswerResult

    log = AuditLog(path, corpus_sha256="c" * 64, rules_sha256="r" * 64)
    answer = AnswerResult(answer="Deficiency is confirmed below 180 ng/L. " * 100)

    def write(text):
        log.write(log.entry(text, None, "clinician", answer, None))

    full_disk(lambda: write(question))
    write(question + " (after space was freed)")
else:
    from assistant.app.feedback import FeedbackStore, RatedAnswer

    store = FeedbackStore(path)
    rated = RatedAnswer(question=question, answer="Deficiency is confirmed below 180 ng/L. " * 100)
    full_disk(lambda: store.record(rated, "dislike"))
    store.record(rated.model_copy(update={"question": question + " (later)"}), "like")
print(json.dumps(outcome))
"""


def run_with_full_disk(kind: str, path: Path, question: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, kind, str(path), question],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    outcome: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def test_a_full_disk_never_leaves_a_partial_audit_record(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "answers.jsonl"
    path.parent.mkdir()
    write_entry(new_log(path), "an answer written before the disk filled up")

    outcome = run_with_full_disk("audit", path, "B12 240 ng/L, what next?")

    assert outcome["first"].startswith("assistant.audit.AuditError"), outcome
    lines = json_lines(path)
    questions = [line["question"] for line in lines]
    assert questions == [
        "an answer written before the disk filled up",
        "B12 240 ng/L, what next? (after space was freed)",
    ], "the refused record left nothing; the next one is whole, on its own line"
    record_figure("durable.audit_full_disk", {"records_lost": 0, "partial_lines": 0})


def test_a_partial_last_line_is_cut_off_before_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    write_entry(new_log(path), "whole")
    whole = path.read_bytes()
    with path.open("ab") as handle:
        handle.write(b'{"time": "2026-01-01T00:00:00Z", "question": "cut off by a cra')

    write_entry(new_log(path), "next")  # a new process: recovery runs before its first record

    assert [line["question"] for line in json_lines(path)] == ["whole", "next"]
    assert path.read_bytes().startswith(whole)


def test_an_unreadable_line_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    log = new_log(path)
    write_entry(log, "first")
    with path.open("ab") as handle:
        handle.write(b'{"not": "an audit entry"}\n\xff\xfe garbage\n')
    write_entry(log, "last")

    entries = read_audit_log(path)  # never fails on a bad line

    assert [entry.question for entry in entries] == ["first", "last"]
    from assistant.audit import scan_audit_log

    reading = scan_audit_log(path)
    assert [entry.question for entry in reading.entries] == ["first", "last"]
    assert [problem.line for problem in reading.problems] == [2, 3]
    assert all(str(path) in str(problem) for problem in reading.problems)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_local_records_are_private_and_symlinks_refused(tmp_path: Path) -> None:
    from assistant.audit import AuditError

    fresh = tmp_path / "new-folder" / "answers.jsonl"
    write_entry(new_log(fresh), "q")
    assert (mode(fresh), mode(fresh.parent)) == (0o600, 0o700)

    existing = tmp_path / "existing.jsonl"
    existing.touch()
    existing.chmod(0o666)
    write_entry(new_log(existing), "q")
    assert mode(existing) == 0o600, "permissions of an existing log are tightened"

    target = tmp_path / "elsewhere.txt"
    target.write_text("not a log\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    with pytest.raises(AuditError, match="symbolic link"):
        write_entry(new_log(link), "q")
    assert target.read_text() == "not a log\n"

    feedback = FeedbackStore(tmp_path / "data" / "feedback.jsonl")
    feedback.record(RatedAnswer(question="q", answer="a"), "like")
    assert (mode(feedback.path), mode(feedback.path.parent)) == (0o600, 0o700)
    old = tmp_path / "old-data" / "feedback.jsonl"
    old.parent.mkdir(mode=0o755)
    old.touch(mode=0o644)
    FeedbackStore(old).record(RatedAnswer(question="q", answer="a"), "like")
    assert (mode(old), mode(old.parent)) == (0o600, 0o700), "the data folder is tightened too"
    feedback_link = tmp_path / "data" / "link.jsonl"
    feedback_link.symlink_to(target)
    from assistant.app.feedback import FeedbackError

    with pytest.raises(FeedbackError, match="symbolic link"):
        FeedbackStore(feedback_link).record(RatedAnswer(question="q", answer="a"), "like")
    assert target.read_text() == "not a log\n"


def test_a_feedback_write_failure_is_a_clear_error_and_keeps_the_rating(tmp_path: Path) -> None:
    path = tmp_path / "data" / "feedback.jsonl"
    FeedbackStore(path).record(RatedAnswer(question="earlier", answer="a"), "like")

    outcome = run_with_full_disk("feedback", path, "B12 240 ng/L")

    assert outcome["first"].startswith("assistant.app.feedback.FeedbackError"), outcome
    assert "feedback" in outcome["first"]
    assert str(path) in outcome["first"]
    records = [(line["question"], line["rating"]) for line in json_lines(path)]
    assert records == [
        ("earlier", "like"),
        ("B12 240 ng/L", "dislike"),  # kept, and written with the next rating
        ("B12 240 ng/L (later)", "like"),
    ]
    record_figure("durable.feedback_full_disk", {"ratings_lost": 0, "partial_lines": 0})


def test_reading_feedback_reports_bad_lines_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    store = FeedbackStore(path)
    store.record(RatedAnswer(question="one", answer="a"), "like")
    with path.open("ab") as handle:
        handle.write(b"not json\n")
    store.record(RatedAnswer(question="two", answer="a"), "dislike")

    assert [record.question for record in store.read_all()] == ["one", "two"]
    assert os.access(path, os.R_OK)
