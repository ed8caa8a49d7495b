"""Planted faults for the answer-shape metrics of issue 11: each fails the gate.

The cases are written here from what the sound pipeline answers (the lead, a caveat and its
statement, the lab rows of a conversation, a near-domain question it refuses, a plain patient
answer), so they hold whatever the answer engine currently says; what is tested is that the
harness notices when a fault moves the answer away from that: the lead buried, the answer
padded or repeated, a gap claimed or dropped, an out-of-scope neighbour answered, a caveat
left out, earlier lab values forgotten, a patient given guideline prose. The gate of every
fault run is set at the control run's values (`gate_at`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.evaluation.answer_metrics import answer_parts, reading_grade
from assistant.evaluation.cases import load_cases
from assistant.evaluation.outcome import EvalOutcome
from assistant.evaluation.runner import run_evaluation
from assistant.pipeline import Assistant
from assistant.schema import AnswerResult
from tests.integration.eval_faults import (
    Altered,
    answer_anyway,
    bury_the_lead,
    check,
    drop_sentences,
    flip_gap,
    gate_at,
    pad,
    repeat,
    sentences_of,
    with_parts,
    write_cases,
)

pytestmark = pytest.mark.integration

NOTE = [{"note": "planted-fault test case, written from the sound pipeline's answer"}]
LEAD_QUESTIONS = ("What B12 level confirms deficiency?", "How long should B12 treatment continue?")
NEAR_DOMAIN = (
    "What is the metformin dose for type 2 diabetes?",
    "How is a sickle cell crisis treated?",
    "What is the first-line drug for hypertension in a 55 year old?",
)
PATIENT = (
    "What does a low B12 mean for me?",
    "Do I need to take B12 tablets forever?",
    "Is my B12 of 150 ng/L low?",
)
EARLIER = [{"role": "user", "content": "B12 240 ng/L"}, {"role": "assistant", "content": "OK."}]
LATER = "and MMA is 410 nmol/L, what next?"


def plain(text: str) -> str:
    return re.sub(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]", "", text)


def phrase(sentence: str) -> str:
    """A regex for the opening words of a sentence (markers and markup left out)."""
    words = re.findall(r"[^\W_]+", plain(sentence))[:6]
    return r"\W+".join(re.escape(w) for w in words)


def caveat_pair(result: AnswerResult) -> tuple[str, str]:
    """(statement, caveat) regexes: two sentences of one part of the answer."""
    parts = [text for _, text in answer_parts(result)]
    for n, text in enumerate(parts):
        sentences = [s for line in text.splitlines() for s in sentences_of(line.lstrip("-* "))]
        others = [plain(other) for m, other in enumerate(parts) if m != n]
        for first, second in pairwise(sentences):
            statement, caveat = phrase(first), phrase(second)
            if not statement or not caveat or re.search(caveat, plain(first), re.I):
                continue
            # The statement's words stand in this part only: the caveat is looked for here.
            if not any(re.search(statement, other, re.I) for other in others):
                return statement, caveat
    raise AssertionError("no part of the answer has two sentences of its own")


@pytest.fixture(scope="module")
def cases_file(indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assistant = Assistant(indexed_settings)
    cases: list[dict[str, Any]] = []
    for n, question in enumerate(LEAD_QUESTIONS):
        result = assistant.ask(question)
        (first, *_) = sentences_of(plain(result.direct))
        case: dict[str, Any] = {"id": f"lead-{n}", "question": question, "lead": phrase(first)}
        case["expected_gap"] = bool(result.gaps)
        if n == 0:
            case["caveat_for"], case["caveat"] = caveat_pair(result)
        cases.append({**case, "provenance": NOTE})
    refused = next(q for q in NEAR_DOMAIN if assistant.ask(q).refused)
    cases.append(
        {
            "id": "near",
            "question": refused,
            "tags": ["out-of-scope", "near-domain"],
            "expected_behavior": "abstain",
            "provenance": NOTE,
        }
    )
    later = assistant.ask(LATER, history=EARLIER)
    rows = [
        {"analyte": f.analyte, "value": f.value, "unit": f.unit, "category": f.category}
        for f in (later.labs.findings if later.labs else [])
    ]
    assert any(row["value"] == 240 for row in rows), "the B12 value of the first turn is kept"
    conversation = [*EARLIER, {"role": "user", "content": LATER}]
    cases.append(
        {"id": "labs", "conversation": conversation, "expected_labs": rows, "provenance": NOTE}
    )
    plain_question = next(
        q for q in PATIENT if reading_grade(assistant.ask(q, audience="patient").shown_first) <= 8
    )
    cases.append(
        {"id": "patient", "question": plain_question, "audience": "patient", "provenance": NOTE}
    )
    return write_cases(tmp_path_factory.mktemp("shape-cases"), cases)


@pytest.fixture(scope="module")
def control(
    indexed_settings: Settings, cases_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> EvalOutcome:
    return run_evaluation(
        indexed_settings,
        cases_path=cases_file,
        report_dir=tmp_path_factory.mktemp("control"),
        echo=False,
        baseline_path=gate_at_empty(tmp_path_factory.mktemp("empty")),
    )


def gate_at_empty(folder: Path) -> Path:
    path = folder / "baseline.json"
    path.write_text('{"gated": {"no_crash": {"min": 1.0}}}', encoding="utf-8")
    return path


@pytest.fixture
def evaluate(
    indexed_settings: Settings, cases_file: Path, control: EvalOutcome, tmp_path: Path
) -> Callable[..., EvalOutcome]:
    gate = gate_at(control, tmp_path / "baseline.json")

    def run(**seams: Any) -> EvalOutcome:
        return run_evaluation(
            indexed_settings,
            cases_path=cases_file,
            report_dir=tmp_path / "report",
            echo=False,
            baseline_path=gate,
            **seams,
        )

    return run


@pytest.mark.parametrize(
    "metric",
    [
        "lead_answers",
        "gap_admission",
        "near_domain_abstention",
        "caveat_retention",
        "lab_state",
        "patient_readability",
    ],
)
def test_the_control_run_meets_each_case(control: EvalOutcome, metric: str) -> None:
    assert control.assistant.value(metric) == 1.0, metric


def test_a_buried_lead_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    outcome = evaluate(answerer=Altered(indexed_settings, bury_the_lead))

    assert not check(outcome, "lead_answers")
    assert outcome.assistant.value("lead_answers") == 0.0


def test_a_padded_answer_is_caught_by_both_length_ceilings(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome], control: EvalOutcome
) -> None:
    outcome = evaluate(answerer=Altered(indexed_settings, pad))

    assert not check(outcome, "length_median")
    assert not check(outcome, "length_p95")
    for name in ("length_median", "length_p95"):
        assert outcome.assistant.value(name) > control.assistant.value(name)  # type: ignore[operator]


def test_a_repeated_statement_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome], control: EvalOutcome
) -> None:
    outcome = evaluate(answerer=Altered(indexed_settings, repeat))

    assert not check(outcome, "repetition")
    assert outcome.assistant.value("repetition") > control.assistant.value("repetition")  # type: ignore[operator]


def test_a_gap_claimed_or_dropped_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    outcome = evaluate(answerer=Altered(indexed_settings, flip_gap))

    assert not check(outcome, "gap_admission")
    assert outcome.assistant.value("gap_admission") == 0.0


def test_an_answered_near_domain_question_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    instead = answer_anyway(Assistant(indexed_settings), "What B12 level confirms deficiency?")

    outcome = evaluate(answerer=Altered(indexed_settings, instead))

    assert not check(outcome, "near_domain_abstention")
    assert not check(outcome, "abstention")


def test_a_dropped_caveat_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome], cases_file: Path
) -> None:
    (pattern,) = [c.caveat for c in load_cases(cases_file) if c.caveat is not None]

    outcome = evaluate(answerer=Altered(indexed_settings, drop_sentences(pattern)))

    assert not check(outcome, "caveat_retention")


def test_forgetting_the_lab_values_of_earlier_turns_is_caught(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    outcome = evaluate(answerer=Altered(indexed_settings, keep_history=False))

    assert not check(outcome, "lab_state")
    failures = [
        e
        for s in outcome.assistant.cases
        for m in s.failures
        if m.name == "lab_state"
        for e in m.evidence
    ]
    assert [e.text for e in failures] == ["b12 240 ng/L -> indeterminate"]


def guideline_prose(result: AnswerResult, _: str) -> AnswerResult:
    """The cited passages' own words shown first, whoever asked."""
    if not result.citations:
        return result
    prose = " ".join(f"{c.text} [{c.n}]" for c in result.citations)
    return with_parts(result, direct=prose, sections=[])


def test_guideline_prose_for_a_patient_is_caught_by_readability(
    indexed_settings: Settings, evaluate: Callable[..., EvalOutcome]
) -> None:
    outcome = evaluate(answerer=Altered(indexed_settings, guideline_prose))

    assert not check(outcome, "patient_readability")
