"""The harness catches what it exists for: each planted fault fails the evaluation gate.

Faults go in through real seams: another rules file in the settings, a composer function
replaced in the pipeline, an Assistant whose question or answer is changed around the real
pipeline, a searcher that returns the wrong document, an answerer the replay process builds by
import path. Each fault runs on a few reference cases next to a control run of the same cases
without it; the fault runs are gated at the control's own values (`gate_at`), so each failure
is the fault's doing. The answer-shape metrics of issue 11 have theirs in
test_eval_faults_answers.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.evaluation.outcome import EvalOutcome
from assistant.evaluation.runner import run_evaluation
from assistant.pipeline import Assistant
from assistant.retrieval.hybrid import get_searcher
from assistant.schema import AnswerResult, Passage
from tests.integration.eval_faults import (
    Altered,
    answer_anyway,
    b12_cases,
    check,
    gate_at,
    refuse,
    stamp_process,
    with_parts,
    write_cases,
)

pytestmark = pytest.mark.integration

FAULT_CASES = (
    "b12-180-ngl-indeterminate",
    "b12-181-ngl-indeterminate",
    "b12-negative-value",
    "q-nice-total-b12-cutoffs",
    "q-next-test-indeterminate",
    "q-oral-dose-malabsorption",
    "q-review-after-treatment",
    "q-pregnancy-test-choice",
    "oos-hypertension",
)


@pytest.fixture(scope="module")
def cases_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cases(tmp_path_factory.mktemp("fault-cases"), b12_cases(FAULT_CASES))


@pytest.fixture(scope="module")
def control(
    indexed_settings: Settings, cases_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> EvalOutcome:
    """The same cases without any fault, gated by the pack's committed baseline."""
    return run_evaluation(
        indexed_settings,
        cases_path=cases_file,
        report_dir=tmp_path_factory.mktemp("control"),
        echo=False,
    )


@pytest.fixture(scope="module")
def control_gate(control: EvalOutcome, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gate_at(control, tmp_path_factory.mktemp("gate") / "baseline.json")


@pytest.fixture
def evaluate(
    indexed_settings: Settings, cases_file: Path, control_gate: Path, tmp_path: Path
) -> Callable[..., EvalOutcome]:
    def run(settings: Settings | None = None, **seams: Any) -> EvalOutcome:
        return run_evaluation(
            settings or indexed_settings,
            cases_path=cases_file,
            report_dir=tmp_path / "report",
            echo=False,
            baseline_path=control_gate,
            **seams,
        )

    return run


def evidence(outcome: EvalOutcome, metric: str) -> list[Any]:
    return [
        e
        for s in outcome.assistant.cases
        for m in s.failures
        if m.name == metric
        for e in m.evidence
    ]


@pytest.mark.parametrize(
    "metric",
    [
        "lab_exactness",
        "unsupported_numbers",
        "threshold_inconsistencies",
        "citation_structure",
        "citation_sources",
        "recall@5",
        "required_content",
        "forbidden_content",
        "behavior",
        "abstention",
        "tool_call",
        "determinism",
        "no_crash",
    ],
)
def test_the_control_run_passes(control: EvalOutcome, metric: str) -> None:
    assert check(control, metric), metric


def test_a_rules_file_with_a_shifted_cut_off_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome], tmp_path: Path
) -> None:
    rules = indexed_settings.rules_path.read_text(encoding="utf-8")
    # A laboratory file where NICE's 180 ng/L became 200 ng/L (the corpus still says 180).
    shifted = rules.replace("less_than: 180\n", "less_than: 200\n", 1).replace(
        "between_inclusive: [180, 350]", "between_inclusive: [200, 350]", 1
    )
    assert shifted != rules
    path = tmp_path / "lab-rules.yaml"
    path.write_text(shifted, encoding="utf-8")

    outcome = evaluate(indexed_settings.model_copy(update={"rules_path": path}))

    assert not outcome.passed
    assert not check(outcome, "lab_exactness")
    assert not check(outcome, "threshold_inconsistencies")
    evidence = [e for s in outcome.assistant.cases for m in s.failures for e in m.evidence]
    assert any(e.text == "b12 180 ng/L -> indeterminate" for e in evidence)
    assert any(e.text == "180 ng/L" for e in evidence)  # the corpus figure the rules lost


def test_a_composer_that_drops_citations_is_caught(
    monkeypatch: pytest.MonkeyPatch, evaluate: Callable[..., EvalOutcome]
) -> None:
    from assistant.answer.extractive import compose_body

    def compose_without_citations(*args: Any, **kwargs: Any) -> str:
        return re.sub(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]", "", compose_body(*args, **kwargs))

    # The pipeline's composer seam: the name it calls.
    monkeypatch.setattr("assistant.answer.compose.compose_body", compose_without_citations)

    outcome = evaluate()

    assert not outcome.passed
    assert not check(outcome, "citation_structure")
    assert not check(outcome, "citation_sources")
    uncited = [
        e
        for s in outcome.assistant.cases
        for m in s.failures
        if m.name == "citation_structure"
        for e in m.evidence
    ]
    assert any(e.kind == "sentence" and e.detail == "claim without a citation" for e in uncited)


class InventsANumber:
    """A real Assistant whose answers gain an unsourced figure after the guard has run."""

    def __init__(self, settings: Settings) -> None:
        self._assistant = Assistant(settings)

    def ask(self, question: str, **kwargs: Any) -> AnswerResult:
        result = self._assistant.ask(question, **kwargs)
        invented = "Deficiency is confirmed below 190 ng/L [1]."
        return with_parts(result, direct=f"{result.direct}\n\n{invented}".strip())


def test_an_answer_with_an_invented_number_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    outcome = evaluate(answerer=InventsANumber(indexed_settings))

    assert not outcome.passed
    assert not check(outcome, "unsupported_numbers")
    unsupported = [
        e
        for s in outcome.assistant.cases
        for m in s.metrics
        if m.name == "unsupported_numbers"
        for e in m.evidence
    ]
    assert unsupported
    assert {e.text for e in unsupported} == {"190"}
    assert all("below 190 ng/L" in e.detail for e in unsupported)


class WrongDocumentSearcher:
    """The real searcher, asked about something else: it returns the wrong document."""

    def __init__(self, settings: Settings) -> None:
        self._real = get_searcher(settings)

    def search(self, query: str, k: int | None = None, **options: Any) -> list[Passage]:
        return self._real.search("ferritin cut-offs with inflammation", k, **options)

    def dense_search(self, query: str, k: int | None = None, **options: Any) -> list[Passage]:
        return self._real.dense_search("ferritin cut-offs with inflammation", k, **options)


def test_a_retriever_that_returns_the_wrong_document_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    outcome = evaluate(searcher=WrongDocumentSearcher(indexed_settings))

    assert not outcome.passed
    assert not check(outcome, "recall@5")
    assert not check(outcome, "mrr@5")
    assert outcome.assistant.metrics["recall@5"].value < 0.5
    # The evidence names what was retrieved instead.
    evidence = [
        e.detail
        for s in outcome.assistant.cases
        for m in s.failures
        if m.name == "recall@5"
        for e in m.evidence
    ]
    assert evidence
    assert all("ferritin" in detail for detail in evidence)


# --- content, behaviour, scope, tool input ---------------------------------------------


def test_an_answer_to_another_question_is_caught_by_required_content(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    other = Altered(indexed_settings, question=lambda q: "How is pernicious anaemia treated?")

    outcome = evaluate(answerer=other)

    assert not check(outcome, "required_content")
    assert {e.detail for e in evidence(outcome, "required_content")} == {"required, not found"}


def test_a_forbidden_statement_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    def overclaim(result: AnswerResult, _: str) -> AnswerResult:
        return with_parts(result, direct=f"{result.direct} Deficiency is confirmed.".strip())

    outcome = evaluate(answerer=Altered(indexed_settings, overclaim))

    assert not check(outcome, "forbidden_content")
    assert any(
        "Deficiency is confirmed" in e.detail for e in evidence(outcome, "forbidden_content")
    )


def test_refusing_answerable_questions_is_caught_by_behaviour(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    outcome = evaluate(answerer=Altered(indexed_settings, refuse))

    assert not check(outcome, "behavior")
    assert "expected answer, got abstain" in {e.text for e in evidence(outcome, "behavior")}


def test_answering_an_out_of_scope_question_is_caught_by_abstention(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    real = Assistant(indexed_settings)
    instead = answer_anyway(real, "What B12 level confirms deficiency?")

    outcome = evaluate(answerer=Altered(indexed_settings, instead))

    assert not check(outcome, "abstention")
    assert not check(outcome, "behavior")
    assert [e.text for e in evidence(outcome, "abstention")] == ["expected abstain, got answer"]


def test_a_lab_value_passed_with_the_wrong_unit_is_caught_by_tool_call(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    misread = Altered(indexed_settings, question=lambda q: q.replace("ng/L", "pmol/L"))

    outcome = evaluate(answerer=misread)

    assert not check(outcome, "tool_call")
    assert not check(outcome, "lab_exactness")
    assert "not passed to tool" in {e.detail for e in evidence(outcome, "tool_call")}


# --- determinism and crashes -------------------------------------------------------------


class Alternating(Altered):
    """Every second answer comes with its sections in the reverse order."""

    def ask(self, question: str, **kwargs: Any) -> AnswerResult:
        result = super().ask(question, **kwargs)
        if self.calls % 2 == 0 and len(result.sections) > 1:
            return with_parts(result, sections=result.sections[::-1])
        return result


def test_an_answer_that_changes_between_two_runs_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    outcome = evaluate(answerer=Alternating(indexed_settings))

    assert not check(outcome, "determinism")
    assert all(e.text == "two runs differ" for e in evidence(outcome, "determinism"))


def test_an_answer_that_depends_on_the_process_is_caught_only_across_processes(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    spec = "tests.integration.eval_faults:process_stamped"

    in_process = evaluate(answerer=Altered(indexed_settings, stamp_process))
    across = evaluate(answerer_factory=spec)

    assert check(in_process, "determinism"), "one process always agrees with itself"
    assert across.meta.cross_process
    assert not check(across, "determinism")
    assert all("Answered by worker" in e.detail for e in evidence(across, "determinism"))


class CrashesOnce(Altered):
    def ask(self, question: str, **kwargs: Any) -> AnswerResult:
        if "pregnan" in question.lower():
            raise RuntimeError("planted crash")
        return super().ask(question, **kwargs)


def test_a_crash_is_caught_by_no_crash(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    outcome = evaluate(answerer=CrashesOnce(indexed_settings))

    assert not check(outcome, "no_crash")
    assert [e.detail for e in evidence(outcome, "no_crash")] == ["RuntimeError: planted crash"]
