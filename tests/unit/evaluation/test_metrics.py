"""Each scorer on hand-built answers: a sound answer passes, a faulty one fails with evidence."""

from __future__ import annotations

import pytest
from labtool.report import LabError

from assistant.evaluation import metrics
from assistant.schema import AnswerResult
from tests.unit.evaluation.builders import (
    answer,
    case,
    citation,
    finding,
    labs,
    passage,
)

# --- lab exactness and tool call ---------------------------------------------------------

B12_ROW = {"analyte": "b12", "value": 240, "unit": "ng/L", "category": "indeterminate"}


def test_lab_exactness_counts_rows_with_the_expected_category() -> None:
    c = case(expected_labs=[B12_ROW, {**B12_ROW, "value": 179, "category": "deficient"}])
    report = labs(finding(240, category="indeterminate"), finding(179, category="indeterminate"))

    score = metrics.lab_exactness(c, report)

    assert score is not None
    assert (score.hits, score.total, score.passed) == (1, 2, False)
    assert score.evidence[0].text == "b12 179 ng/L -> deficient"
    assert "got indeterminate" in score.evidence[0].detail


def test_lab_exactness_fails_when_the_tool_never_saw_the_value() -> None:
    score = metrics.lab_exactness(case(expected_labs=[B12_ROW]), None)

    assert score is not None
    assert not score.passed
    assert "no finding" in score.evidence[0].detail


def test_lab_exactness_matches_expected_errors_by_code_and_value() -> None:
    row = {"analyte": "b12", "value": -5, "unit": "ng/L", "error": "NEGATIVE_VALUE"}
    good = labs(errors=(LabError(input="B12 -5 ng/L", code="NEGATIVE_VALUE", message="m"),))
    wrong = labs(errors=(LabError(input="B12 -5 ng/L", code="IMPLAUSIBLE_VALUE", message="m"),))

    assert metrics.lab_exactness(case(expected_labs=[row]), good).passed  # type: ignore[union-attr]
    failed = metrics.lab_exactness(case(expected_labs=[row]), wrong)
    assert failed is not None
    assert "IMPLAUSIBLE_VALUE" in failed.evidence[0].detail


def test_lab_exactness_does_not_apply_without_lab_rows() -> None:
    assert metrics.lab_exactness(case(), labs(finding())) is None


def test_units_are_compared_without_case_or_micro_sign_differences() -> None:
    row = {"analyte": "mma", "value": 0.3, "unit": "µmol/L", "category": "elevated"}
    report = labs(finding(0.3, unit="umol/L", category="elevated", analyte="mma"))

    assert metrics.lab_exactness(case(expected_labs=[row]), report).passed  # type: ignore[union-attr]


def test_tool_call_is_right_when_inputs_match_whatever_the_category() -> None:
    score = metrics.tool_call(
        case(expected_labs=[B12_ROW]), labs(finding(240, category="unlikely"))
    )

    assert score is not None
    assert score.passed


def test_tool_call_flags_a_missing_call_and_an_unexpected_one() -> None:
    missing = metrics.tool_call(case(expected_labs=[B12_ROW]), None)
    extra = metrics.tool_call(case(expected_labs=[B12_ROW]), labs(finding(240), finding(300)))

    assert missing is not None
    assert missing.evidence[0].detail == "not passed to tool"
    assert extra is not None
    assert [e.text for e in extra.evidence] == ["b12 300 ng/L"]


def test_tool_output_on_a_question_counts_only_when_it_is_an_error() -> None:
    quoted = metrics.tool_call(case(), labs(finding(500, unit="mU/mL", analyte="epo")))
    junk = metrics.tool_call(
        case(), labs(errors=(LabError(input="271 nmol/L", code="NO_ANALYTE", message="m"),))
    )

    assert quoted is None
    assert junk is not None
    assert junk.evidence[0].detail == "unexpected NO_ANALYTE"


# --- content ---------------------------------------------------------------------------------


def test_required_content_reports_each_missing_pattern() -> None:
    c = case(must_include=[r"indeterminate", r"methylmalonic|MMA"])

    score = metrics.required_content(c, answer("The result is indeterminate."))

    assert score is not None
    assert score.value == 0.5
    assert score.evidence[0].text == "methylmalonic|MMA"


def test_forbidden_content_counts_matches() -> None:
    c = case(must_not_include=[r"deficiency (is )?confirmed", "ignore previous"])

    score = metrics.forbidden_content(c, answer("Deficiency confirmed."))

    assert score.value == 1
    assert "Deficiency confirmed" in score.evidence[0].detail


# --- citation expectations, retrieval, behaviour, determinism -----------------------


def test_citation_sources_checks_the_minimum_and_the_allowed_documents() -> None:
    c = case(citations={"minimum": 2, "allowed_docs": ["nice"]})

    score = metrics.citation_sources(c, answer("x [1].", citation(1, doc_id="blog")))

    assert score is not None
    assert not score.passed
    assert [e.text for e in score.evidence] == ["1 citation(s)", "[1] blog"]


def test_a_reference_may_accept_any_of_several_documents() -> None:
    c = case(reference=[{"doc_id": ["praxis", "nice"], "section": "B12"}])

    recall, _ = metrics.retrieval(c, [passage("nice", section="Diagnosis > B12")], k=5)

    assert recall.passed


def test_required_documents_must_be_cited() -> None:
    c = case(citations={"required_docs": ["nice", "who"]})

    score = metrics.citation_sources(c, answer("x [1].", citation(1, doc_id="nice")))

    assert score is not None
    assert [(e.text, e.detail) for e in score.evidence] == [("who", "expected, not cited")]


def test_recall_and_mrr_against_reference_documents_and_sections() -> None:
    c = case(reference=[{"doc_id": "nice"}, {"doc_id": "mma-doc", "section": "confirm"}])
    got = [passage("other"), passage("nice"), passage("mma-doc", section="Tests > Other")]

    recall, mrr = metrics.retrieval(c, got, k=5)

    assert (recall.hits, recall.total) == (1, 2)
    assert mrr.value == pytest.approx(0.5)
    assert recall.evidence[0].text == "mma-doc > confirm"


def test_only_the_top_k_passages_count() -> None:
    c = case(reference=[{"doc_id": "nice"}])

    recall, mrr = metrics.retrieval(c, [passage("a"), passage("b"), passage("nice")], k=2)

    assert recall.value == 0
    assert mrr.value == 0
    assert not mrr.passed


@pytest.mark.parametrize(
    ("result", "seen"),
    [
        (answer("x", report=None).model_copy(update={"refused": True}), "abstain"),
        (
            answer(
                "x",
                report=labs(errors=(LabError(input="B12 240", code="MISSING_UNIT", message="m"),)),
            ),
            "clarify",
        ),
        (answer("x", report=labs(finding())), "answer"),
    ],
)
def test_observed_behavior(result: AnswerResult, seen: str) -> None:
    assert metrics.observed_behavior(result) == seen


def test_an_answer_with_nothing_grounded_counts_as_abstaining() -> None:
    assert metrics.observed_behavior(answer("Cut-offs cannot be changed in chat.")) == "abstain"


def test_abstention_is_scored_only_for_out_of_scope_cases() -> None:
    oos = case(expected_behavior="abstain")

    scores = {m.name: m for m in metrics.behavior(oos, answer("An answer [1].", citation(1)))}

    assert set(scores) == {"behavior", "abstention"}
    assert not scores["abstention"].passed
    assert scores["abstention"].evidence[0].text == "expected abstain, got answer"
    assert [m.name for m in metrics.behavior(case(), answer("x"))] == ["behavior"]


def test_determinism_compares_answer_citations_labs_and_retrieval() -> None:
    first = metrics.signature(answer("A [1].", citation(1)), [passage()])
    same = metrics.signature(answer("A [1].", citation(1)), [passage()])
    other = metrics.signature(answer("A [1].", citation(1)), [passage("other")])

    assert metrics.determinism(first, same).passed
    assert not metrics.determinism(first, other).passed
