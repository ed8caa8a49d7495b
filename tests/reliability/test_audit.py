"""The opt-in audit log: nothing by default; when on, one whole JSON line per answer with its
provenance, appended under concurrency; feedback stored with the answer it rates."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import gradio as gr
import pytest

from assistant.app.feedback import FeedbackStore
from assistant.app.ui import ChatHandlers
from assistant.audit import AuditEntry, files_sha256, read_audit_log
from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation.run_meta import tree_sha256
from assistant.pipeline import Assistant, AssistantError
from tests.reliability.conftest import SEED_QUESTION, offline_assistant

CORPUS = PROJECT_ROOT / "corpus" / "b12"
LAB_MESSAGE = "Serum B12 240 ng/L and MMA 410 nmol/L, what next?"


def offline_settings(tmp_path: Path, audit_log: Path | None) -> Settings:
    return Settings(
        corpus_dir=CORPUS,
        rules_path=CORPUS / "rules.yaml",
        data_dir=tmp_path / "data",
        audit_log=audit_log,
    )


def test_nothing_is_logged_by_default(tmp_path: Path) -> None:
    settings = offline_settings(tmp_path, audit_log=None)
    assert Settings().audit_log is None
    marker = "patient Zelda-7319"

    offline_assistant(settings).ask(f"{LAB_MESSAGE} For {marker}.")

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [p for p in files if marker.encode() in p.read_bytes()] == []


@pytest.mark.integration
def test_each_answer_is_logged_with_its_provenance(
    indexed_settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "audit" / "answers.jsonl"
    assistant = Assistant(indexed_settings.model_copy(update={"audit_log": log}))
    history = [{"role": "user", "content": SEED_QUESTION}]

    results = [
        assistant.ask(SEED_QUESTION),
        assistant.ask(LAB_MESSAGE, audience="patient"),
        assistant.ask("and for how long?", history=history),
        assistant.ask("What is the capital of France?"),
    ]

    entries = read_audit_log(log)
    assert len(entries) == len(results)
    for entry, result in zip(entries, results, strict=True):
        assert (entry.answer, entry.citations, entry.refused) == (
            result.answer, result.citations, result.refused,
        )  # fmt: skip
        assert entry.backend == result.backend == "extractive"
        assert entry.corpus_sha256 == tree_sha256(CORPUS, "*.md")  # as in evaluation reports
        assert entry.rules_sha256 == tree_sha256(CORPUS / "rules.yaml", "*")
        assert entry.time.tzinfo is not None
    seed, labs, follow_up, refused = entries
    assert seed.citations
    assert seed.tool is None
    assert labs.tool is not None
    assert labs.tool.input == LAB_MESSAGE
    assert labs.tool.output == results[1].labs
    assert {f.analyte for f in labs.tool.output.findings} == {"b12", "mma"}
    assert labs.audience == "patient"
    assert follow_up.earlier_questions == [SEED_QUESTION]
    assert refused.refused
    assert refused.citations == []
    assert stat.S_IMODE(log.stat().st_mode) == 0o600, "the log holds patient data"


def test_the_log_is_appended_whole_by_concurrent_sessions(tmp_path: Path) -> None:
    log = tmp_path / "answers.jsonl"
    earlier = '{"kept": "an entry written before this run"}\n'
    log.write_text(earlier, encoding="utf-8")
    settings = offline_settings(tmp_path, audit_log=log)
    # Two assistants (two locks) on one file: only the file lock keeps their lines apart.
    assistants = [offline_assistant(settings), offline_assistant(settings)]
    questions = [f"B12 {value} ng/L and MMA {value + 150} nmol/L" for value in range(100, 140)]

    def session(index: int) -> None:
        for question in questions[index::8]:
            assistants[index % 2].ask(question)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0] == earlier, "earlier entries are never rewritten"
    entries = [AuditEntry.model_validate_json(line) for line in lines[1:]]
    assert sorted(entry.question for entry in entries) == sorted(questions)
    assert all(entry.tool is not None and entry.tool.input == entry.question for entry in entries)


def test_an_answer_that_cannot_be_audited_is_not_given(tmp_path: Path) -> None:
    unwritable = tmp_path / "a-directory"
    unwritable.mkdir()
    assistant = offline_assistant(offline_settings(tmp_path, audit_log=unwritable))

    with pytest.raises(AssistantError, match=f"cannot open the audit log {unwritable}"):
        assistant.ask(LAB_MESSAGE)


def test_the_fingerprints_follow_the_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("one", encoding="utf-8")
    before = files_sha256(corpus, "*.md")
    (corpus / "a.md").write_text("two", encoding="utf-8")
    assert files_sha256(corpus, "*.md") != before
    assert files_sha256(corpus, "*.md") == tree_sha256(corpus, "*.md")


def test_feedback_is_stored_with_the_audited_answer_it_rates(tmp_path: Path) -> None:
    log = tmp_path / "answers.jsonl"
    settings = offline_settings(tmp_path, audit_log=log)
    feedback = FeedbackStore(tmp_path / "feedback.jsonl")
    handlers = ChatHandlers(lambda: offline_assistant(settings), feedback)

    *_, (messages, turns) = handlers.respond(LAB_MESSAGE, [], "clinician", {})
    history = [{"role": "user", "content": LAB_MESSAGE}, *messages]
    handlers.rate(turns, history, gr.LikeData(None, {"index": 1, "value": [], "liked": False}))

    (entry,) = read_audit_log(log)
    (record,) = feedback.read_all()
    assert record.rating == "dislike"
    assert (record.question, record.answer) == (entry.question, entry.answer)
    assert record.doc_ids == list(dict.fromkeys(c.doc_id for c in entry.citations))
