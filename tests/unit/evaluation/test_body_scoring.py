"""Only the answer's claims are scored (issue 16): the disclaimer, the notices and the reference
list are separate fields of the answer, and a pattern or a number found only there counts for
nothing. Before, the scorers searched the shown Markdown, so `methylmalonic|MMA` matched
"su-mma-ry" in the disclaimer and `clinician|doctor|GP` was always in the patient disclaimer.
"""

from __future__ import annotations

import inspect

import pytest

from assistant.answer.audience import CLINICIAN_DISCLAIMER, PATIENT_DISCLAIMER
from assistant.evaluation import answer_metrics, grounding, metrics, text
from assistant.question.injection import INJECTION_NOTICE
from assistant.schema import AnswerSection
from tests.unit.evaluation.builders import answer, case, citation

BODY = "A total B12 from 180 to 350 ng/L is indeterminate under NICE NG239 [1]."


def sound(**parts: object) -> object:
    return answer(BODY, citation(1), disclaimer=CLINICIAN_DISCLAIMER, **parts)


def required(pattern: str, **parts: object) -> float:
    score = metrics.required_content(case(must_include=[pattern]), sound(**parts))  # type: ignore[arg-type]
    assert score is not None
    return score.value


def test_the_disclaimers_hold_the_words_the_vacuous_patterns_matched() -> None:
    # The premise of the tests below: these patterns match the fixed texts themselves.
    assert "clinical judgement" in CLINICIAN_DISCLAIMER
    assert "summary" in CLINICIAN_DISCLAIMER.lower()  # "su-mma-ry": methylmalonic|MMA
    assert any(word in PATIENT_DISCLAIMER.lower() for word in ("clinician", "doctor", "gp"))


@pytest.mark.parametrize("pattern", ["clinical judgement", "methylmalonic|MMA"])
def test_a_pattern_that_matches_only_the_clinician_disclaimer_fails(pattern: str) -> None:
    assert required(pattern) == 0.0


def test_a_pattern_that_matches_only_the_patient_disclaimer_fails() -> None:
    result = answer(BODY, citation(1), disclaimer=PATIENT_DISCLAIMER)
    score = metrics.required_content(case(must_include=["clinician|doctor|GP"]), result)

    assert score is not None
    assert score.value == 0.0
    assert score.evidence[0].detail == "required, not found"


def test_a_pattern_that_matches_only_a_notice_fails() -> None:
    assert required("cannot be changed", notices=[INJECTION_NOTICE]) == 0.0


def test_a_pattern_that_matches_only_the_reference_list_fails() -> None:
    assert required("Institute", references="### References\n\n1. National Institute.") == 0.0


@pytest.mark.parametrize(
    ("pattern", "parts"),
    [
        ("indeterminate", {}),
        (
            "Where sources differ",
            {"sections": [AnswerSection(heading="Where sources differ", markdown="- A [1].")]},
        ),
        (
            "intramuscular",
            {"more_detail": [AnswerSection(heading="Treatment", markdown="- Intramuscular [1].")]},
        ),
        ("raised", {"lab_details": "MMA 410 nmol/L: raised."}),
        ("does not say", {"gaps": ["The guideline corpus does not say how long."]}),
    ],
)
def test_a_pattern_in_any_claim_part_is_found(pattern: str, parts: dict[str, object]) -> None:
    assert required(pattern, **parts) == 1.0


def test_a_forbidden_phrase_only_in_a_fixed_text_is_not_an_offence() -> None:
    c = case(must_not_include=["clinical judgement", "cannot be changed"])

    score = metrics.forbidden_content(c, sound(notices=[INJECTION_NOTICE]))  # type: ignore[arg-type]

    assert score.value == 0


def test_the_shown_markdown_is_never_read_by_a_scorer() -> None:
    # Everything wrong is planted in `answer` only (the Markdown as shown); the parts are sound.
    planted = sound().model_copy(  # type: ignore[attr-defined]
        update={"answer": "Deficiency is confirmed below 190 ng/L. You should stop B12."}
    )
    c = case(must_include=["190"], must_not_include=["stop B12"])

    assert metrics.required_content(c, planted).value == 0.0  # type: ignore[union-attr]
    assert metrics.forbidden_content(c, planted).value == 0
    assert grounding.numeric_fidelity(planted).value == 0
    assert grounding.citation_structure(planted).passed
    assert answer_metrics.repetition(planted).value == 0


def test_no_scorer_strips_a_fixed_text_by_matching_it() -> None:
    for module in (text, metrics, grounding, answer_metrics):
        source = inspect.getsource(module)
        assert "DISCLAIMER" not in source, module.__name__
        assert "result.answer" not in source.replace("result.answer[:300]", ""), module.__name__
