"""The harness catches what it exists for: each planted fault fails the evaluation.

Faults go in through real seams: another rules file in the settings, a composer function
replaced in the pipeline, an Assistant whose answers are altered after the guard, a searcher
that returns the wrong document. Each fault runs on a few reference cases, next to a control
run of the same cases without the fault, so the failure is the fault's doing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.config import Settings
from assistant.evaluation.outcome import EvalOutcome
from assistant.evaluation.runner import pack_cases, run_evaluation
from assistant.pipeline import Assistant
from assistant.retrieval.hybrid import get_searcher
from assistant.schema import AnswerResult, Passage

DEFAULT_CASES = pack_cases(Settings())

pytestmark = pytest.mark.integration

FAULT_CASES = (
    "b12-180-ngl-indeterminate",
    "b12-181-ngl-indeterminate",
    "q-nice-total-b12-cutoffs",
    "q-next-test-indeterminate",
    "q-oral-dose-malabsorption",
    "q-review-after-treatment",
    "q-pregnancy-test-choice",
)


def subset(folder: Path, ids: tuple[str, ...]) -> Path:
    """A cases file holding only the named reference cases, copied from the B12 pack's cases."""
    chosen: list[dict[str, Any]] = []
    for path in sorted(DEFAULT_CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        chosen.extend(case for case in data["cases"] if case["id"] in ids)
    assert {case["id"] for case in chosen} == set(ids)
    target = folder / "cases.yaml"
    target.write_text(yaml.safe_dump({"cases": chosen}, allow_unicode=True), encoding="utf-8")
    return target


def check(outcome: EvalOutcome, metric: str) -> bool:
    return next(c.passed for c in outcome.gate if c.metric == metric)


@pytest.fixture(scope="module")
def cases_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return subset(tmp_path_factory.mktemp("fault-cases"), FAULT_CASES)


@pytest.fixture
def evaluate(
    indexed_settings: Settings, cases_file: Path, tmp_path: Path
) -> Callable[..., EvalOutcome]:
    def run(settings: Settings | None = None, **seams: Any) -> EvalOutcome:
        return run_evaluation(
            settings or indexed_settings,
            cases_path=cases_file,
            report_dir=tmp_path / "report",
            echo=False,
            **seams,
        )

    return run


@pytest.fixture(scope="module")
def control(
    indexed_settings: Settings, cases_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> EvalOutcome:
    """The same cases without any fault: every metric a fault test relies on passes."""
    return run_evaluation(
        indexed_settings,
        cases_path=cases_file,
        report_dir=tmp_path_factory.mktemp("control"),
        echo=False,
    )


@pytest.mark.parametrize(
    "metric",
    [
        "lab_exactness",
        "unsupported_numbers",
        "threshold_inconsistencies",
        "citation_structure",
        "citation_sources",
        "recall@5",
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
        body, heading, rest = result.answer.partition("### References")
        return result.model_copy(
            update={"answer": f"{body.rstrip()}\n\n{invented}\n\n{heading}{rest}"}
        )


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
