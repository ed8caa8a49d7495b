"""Benchmark questions: read from the case files, every round worded anew."""

from __future__ import annotations

from pathlib import Path

from scripts.bench_questions import (
    case_questions,
    lab_messages,
    question_pool,
    retrieval_questions,
    variant,
)

CASES = """
cases:
  - id: one
    question: "B12 240 ng/L"
    expected_labs: [{analyte: b12, value: 240, unit: ng/L, category: indeterminate}]
  - id: two
    question: "What dose of oral B12?"
  - id: three
    conversation:
      - {role: user, content: "first"}
      - {role: assistant, content: "answer"}
      - {role: user, content: "and then?"}
    expected_labs: [{analyte: b12, value: 1, unit: ng/L, category: deficient}]
"""


def test_single_messages_are_read_and_conversations_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CASES, encoding="utf-8")

    assert case_questions(tmp_path) == ["B12 240 ng/L", "What dose of oral B12?"]
    assert lab_messages(tmp_path) == ["B12 240 ng/L"]


def test_missing_case_folder_gives_no_question(tmp_path: Path) -> None:
    assert case_questions(tmp_path / "absent") == []


def test_pool_has_no_duplicate_and_respects_the_limit() -> None:
    pool = question_pool()

    assert len(pool) == len(set(pool))
    assert set(retrieval_questions()) <= set(pool)
    assert question_pool(limit=3) == pool[:3]


def test_rounds_never_repeat_a_text() -> None:
    questions = ["What B12 level confirms deficiency?", "B12 240 ng/L"]

    worded = [text for round_number in range(12) for text in variant(questions, round_number)]

    assert len(worded) == len(set(worded))
    assert variant(questions, 0) == questions
    assert all(text.startswith(questions[i % 2]) for i, text in enumerate(worded))
