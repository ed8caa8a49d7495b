"""Benchmark questions: the evaluation's single-message cases and retrieval questions.

Read from the YAML files directly (not through the evaluation's models), so the benchmark does
not depend on how the evaluation package evolves. Every timed question must be new to the
process (no query-cache hits): `variants` gives each round its own wording.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assistant.config import PROJECT_ROOT

CASES_DIR = PROJECT_ROOT / "evals" / "b12"
RETRIEVAL_QUESTIONS = PROJECT_ROOT / "evals" / "b12" / "retrieval" / "questions.yaml"
# Appended to make a question new to the process without changing what it asks.
SUFFIXES = ("", " please", " (adult patient)", " in primary care", " for a GP", " thanks")


def _case_files(cases_dir: Path) -> list[Path]:
    return sorted(cases_dir.glob("*.yaml")) if cases_dir.is_dir() else []


def _single_message(case: dict[str, Any]) -> str | None:
    question = case.get("question")
    if isinstance(question, str) and question.strip():
        return question
    return None  # conversations need their history; the benchmark asks single messages


def case_questions(cases_dir: Path = CASES_DIR) -> list[str]:
    """The single-message questions of the evaluation cases, in file order."""
    questions: list[str] = []
    for path in _case_files(cases_dir):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in data.get("cases", []):
            question = _single_message(case) if isinstance(case, dict) else None
            if question is not None:
                questions.append(question)
    return questions


def lab_messages(cases_dir: Path = CASES_DIR) -> list[str]:
    """Single messages whose case expects lab-tool output (the lab tool's real input)."""
    messages: list[str] = []
    for path in _case_files(cases_dir):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in data.get("cases", []):
            if isinstance(case, dict) and case.get("expected_labs"):
                question = _single_message(case)
                if question is not None:
                    messages.append(question)
    return messages


def retrieval_questions(path: Path = RETRIEVAL_QUESTIONS) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    in_scope = [str(q["question"]) for q in data.get("questions", [])]
    return in_scope + [str(q) for q in data.get("out_of_scope", [])]


def question_pool(limit: int | None = None) -> list[str]:
    """Evaluation and retrieval questions, without duplicates, in a stable order."""
    pool = list(dict.fromkeys([*case_questions(), *retrieval_questions()]))
    return pool[:limit] if limit is not None else pool


def variant(questions: list[str], round_number: int) -> list[str]:
    """The questions worded for one round; rounds never repeat a text."""
    extra = f" (round {round_number})"
    suffix = SUFFIXES[round_number] if round_number < len(SUFFIXES) else extra
    return [f"{q}{suffix}" for q in questions]
