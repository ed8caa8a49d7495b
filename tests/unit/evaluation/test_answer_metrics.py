"""The issue-11 scorers on hand-built answers: a sound answer passes, a faulty one fails with
its evidence (lead, length, repetition, gaps, near-domain scope, caveats, lab state,
readability), and the run summarises the words shown as a median and a p95."""

from __future__ import annotations

import pytest
from labtool.report import LabError

from assistant.evaluation import answer_metrics as am
from assistant.evaluation.metrics import MetricResult
from assistant.evaluation.scoring import CaseScore, aggregate
from assistant.schema import AnswerSection
from tests.unit.evaluation.builders import answer, case, citation, finding, labs

NICE = (
    "Under NICE NG239, total B12 deficiency is confirmed below 180 ng/L (133 pmol/L) [1]. "
    "A result from 180 to 350 ng/L is indeterminate [1]."
)


def section(heading: str, markdown: str) -> AnswerSection:
    return AnswerSection(heading=heading, markdown=markdown)


# --- lead --------------------------------------------------------------------------------


def test_the_lead_is_found_in_the_first_three_sentences_of_the_direct_answer() -> None:
    c = case(lead=r"below 180 ng/L")

    score = am.lead_answers(c, answer(NICE, citation(1)))

    assert score is not None
    assert score.passed


def test_a_lead_only_in_the_fourth_sentence_or_in_a_section_fails() -> None:
    c = case(lead=r"below 180 ng/L")
    late = answer("One [1]. Two [1]. Three [1]. " + NICE, citation(1))
    elsewhere = answer(
        "Talk to a haematologist [1].", citation(1), sections=[section("Thresholds", NICE)]
    )

    for result in (late, elsewhere):
        score = am.lead_answers(c, result)
        assert score is not None
        assert not score.passed
        assert score.evidence[0].text == "below 180 ng/L"
        assert "not in the lead" in score.evidence[0].detail


def test_the_lead_applies_only_to_cases_that_name_one() -> None:
    assert am.lead_answers(case(), answer(NICE)) is None


# --- length --------------------------------------------------------------------------------


def test_words_shown_first_leave_out_markers_lab_details_and_references() -> None:
    result = answer(
        "B12 is low [1].",
        citation(1),
        sections=[section("Next", "- Measure **MMA** [1].")],
        more_detail=[section("More", "Hidden words here.")],
        lab_details="B12 150 ng/L deficient " * 50,
        references="### References\n\n1. NICE " * 20,
    )

    words = am.answer_words(result)

    # "B12 is low" + "Next" + "Measure MMA": more detail, lab details, references not counted.
    assert words is not None
    assert words.value == 6
    assert words.passed


def test_an_answer_over_the_budget_is_marked_with_its_length() -> None:
    long = answer(" ".join(["word"] * 351) + " [1].", citation(1))

    words = am.answer_words(long)

    assert words is not None
    assert not words.passed
    assert words.evidence[0].text == "351 words"


def test_a_refusal_shows_nothing_first_and_is_not_counted() -> None:
    assert am.answer_words(answer("", notices=["The corpus does not cover this."])) is None


def score_with_words(n: int, words: float) -> CaseScore:
    m = MetricResult(name="answer_words", kind="level", hits=words, passed=words <= 350)
    return CaseScore(
        case_id=f"c{n}",
        tags=[],
        audience="clinician",
        question="q",
        expected_behavior="answer",
        passed=True,
        metrics=[m],
    )


def test_the_run_reports_the_median_and_the_nearest_rank_p95() -> None:
    totals = aggregate([score_with_words(n, w) for n, w in enumerate(range(10, 210, 10))])

    assert "answer_words" not in totals
    assert totals["length_median"].value == 105  # 20 values: mean of the 10th and 11th
    assert totals["length_p95"].value == 190  # the 19th of 20
    assert totals["length_p95"].kind == "level"


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([5.0], 0.95, 5.0), ([1, 2, 3, 4], 0.5, 2.0), ([1, 2, 3, 4], 0.95, 4.0), ([], 0.95, 0.0)],
)
def test_percentile_is_nearest_rank(values: list[float], share: float, expected: float) -> None:
    assert am.percentile(values, share) == expected


# --- repetition ------------------------------------------------------------------------------


def test_the_same_statement_in_two_sections_counts_once() -> None:
    stated = "Under NICE NG239, total B12 deficiency is confirmed below 180 ng/L (133 pmol/L) [2]."
    result = answer(
        stated,
        citation(2),
        sections=[section("Where sources differ", f"- {stated}\n- Other 200 [2].")],
    )

    score = am.repetition(result)

    assert score.value == 1
    assert score.evidence[0].detail.startswith("repeats: Under NICE NG239")


def test_the_same_figures_on_the_same_subject_in_other_words_count() -> None:
    first = (
        "NICE NG239 recommends reviewing the person about 3 months after starting treatment "
        "for B12 deficiency, or after 1 month for people who are pregnant or breastfeeding [1]."
    )
    second = (
        "After B12 treatment is started, NICE NG239 recommends a review at about 3 months "
        "(1 month for people who are pregnant or breastfeeding) [1]."
    )

    assert am.repetition(answer(f"{first} {second}", citation(1))).value == 1


def test_the_same_wording_with_other_numbers_is_not_a_repeat() -> None:
    a = "By the master equation, 42 mmol/mol equals 6.0 % [1]."
    b = "By the master equation, 39 mmol/mol equals 5.7 % [1]."

    assert am.repetition(answer(f"{a} {b}", citation(1))).value == 0


def test_different_statements_are_not_repeats() -> None:
    assert am.repetition(answer(NICE, citation(1))).value == 0


# --- gaps and near-domain scope -----------------------------------------------------------------

GAP = "The guideline corpus does not say how long folic acid alone can be given."


def test_an_expected_gap_must_be_stated_with_the_fixed_sentence() -> None:
    c = case(expected_gap=True)

    stated = am.gap_admission(c, answer(NICE, citation(1), gaps=[GAP]))
    silent = am.gap_admission(c, answer(NICE, citation(1)))
    reworded = am.gap_admission(c, answer(NICE, citation(1), gaps=["Not covered: folic acid."]))

    assert stated is not None
    assert stated.passed
    for score in (silent, reworded):
        assert score is not None
        assert not score.passed
        assert score.evidence[0].text.startswith("no gap sentence")


def test_a_gap_stated_when_none_is_expected_fails_and_an_unset_one_is_not_scored() -> None:
    wrong = am.gap_admission(case(expected_gap=False), answer(NICE, gaps=[GAP]))

    assert wrong is not None
    assert not wrong.passed
    assert wrong.evidence[0].detail == "gap stated, none expected"
    assert am.gap_admission(case(), answer(NICE, gaps=[GAP])) is None


def test_a_near_domain_case_must_abstain() -> None:
    c = case(tags=["near-domain"], expected_behavior="abstain")

    answered = am.near_domain_abstention(c, answer("Ferrous sulfate 200 mg [1].", citation(1)))
    refused = am.near_domain_abstention(c, answer("", notices=["Not covered."], refused=True))

    assert answered is not None
    assert not answered.passed
    assert answered.evidence[0].text == "expected abstain, got answer"
    assert refused is not None
    assert refused.passed
    assert am.near_domain_abstention(case(), answer("x")) is None


# --- caveats -----------------------------------------------------------------------------------

CLAIM = "The overview calls 150 pmol/L the recommended level [1]."
CAVEAT = "This figure should be confirmed before being relied on [1]."


def test_a_caveat_must_stand_in_the_part_that_shows_its_statement() -> None:
    c = case(caveat_for=r"recommended level", caveat=r"confirmed before being relied on")
    kept = answer(NICE, citation(1), sections=[section("Other", f"- {CLAIM} {CAVEAT}")])
    dropped = answer(NICE, citation(1), sections=[section("Other", f"- {CLAIM}")])
    apart = answer(CAVEAT, citation(1), sections=[section("Other", f"- {CLAIM}")])

    assert am.caveat_retention(c, kept).passed  # type: ignore[union-attr]
    for result in (dropped, apart):
        score = am.caveat_retention(c, result)
        assert score is not None
        assert not score.passed
        assert "missing from section 'Other'" in score.evidence[0].detail


def test_a_caveat_is_not_scored_when_its_statement_is_not_shown() -> None:
    c = case(caveat_for=r"recommended level", caveat=r"confirmed before")

    assert am.caveat_retention(c, answer(NICE, citation(1))) is None


def test_a_caveat_needs_the_statement_it_qualifies() -> None:
    with pytest.raises(ValueError, match="caveat and caveat_for go together"):
        case(caveat="confirmed before")


# --- lab values across turns -------------------------------------------------------------

CONVERSATION = [
    {"role": "user", "content": "B12 210 ng/L"},
    {"role": "assistant", "content": "Indeterminate [1]."},
    {"role": "user", "content": "MMA is 380 nmol/L. What next?"},
]
ROWS = [
    {"analyte": "b12", "value": 210, "unit": "ng/L", "category": "indeterminate"},
    {"analyte": "mma", "value": 380, "unit": "nmol/L", "category": "elevated"},
]


def test_values_from_earlier_turns_must_reach_the_final_lab_output() -> None:
    c = case(conversation=CONVERSATION, expected_labs=ROWS)
    both = labs(finding(210), finding(380, unit="nmol/L", category="elevated", analyte="mma"))
    last_only = labs(finding(380, unit="nmol/L", category="elevated", analyte="mma"))

    kept = am.lab_state(c, both)
    forgot = am.lab_state(c, last_only)

    assert kept is not None
    assert (kept.hits, kept.total) == (1, 1)  # only the B12 row came from an earlier turn
    assert forgot is not None
    assert not forgot.passed
    assert forgot.evidence[0].text == "b12 210 ng/L -> indeterminate"


def test_an_expected_error_from_an_earlier_turn_counts_too() -> None:
    rows = [{"analyte": "b12", "value": 250, "error": "MISSING_UNIT"}]
    conversation = [{"role": "user", "content": "B12 250"}, {"role": "user", "content": "next?"}]
    c = case(conversation=conversation, expected_labs=rows)
    error = LabError(input="B12 250", code="MISSING_UNIT", message="give the unit")

    assert am.lab_state(c, labs(errors=(error,))).passed  # type: ignore[union-attr]
    assert not am.lab_state(c, None).passed  # type: ignore[union-attr]


def test_lab_state_applies_only_to_values_from_earlier_turns() -> None:
    single = case(expected_labs=[ROWS[0]], question="B12 210 ng/L")
    assert am.lab_state(single, labs(finding(210))) is None


# --- readability -------------------------------------------------------------------------------

PLAIN = (
    "Your B12 level is a little low [1]. This is common. "
    "Your doctor may do one more test to be sure [1]. Ask them what it means for you."
)
DENSE = (
    "Methylmalonic acid concentrations exceeding established laboratory reference intervals "
    "substantiate functional cobalamin insufficiency in symptomatic individuals [1]."
)


def test_a_plain_patient_answer_passes_and_a_dense_one_fails_with_its_grade() -> None:
    c = case(audience="patient")

    plain = am.patient_readability(c, answer(PLAIN, citation(1)))
    dense = am.patient_readability(c, answer(DENSE, citation(1)))

    assert plain is not None
    assert plain.passed
    assert dense is not None
    assert not dense.passed
    assert dense.evidence[0].text.startswith("grade ")
    assert float(dense.evidence[0].text.split()[1]) > 8


def test_readability_applies_to_answered_patient_cases_only() -> None:
    assert am.patient_readability(case(), answer(DENSE, citation(1))) is None
    assert am.patient_readability(case(audience="patient"), answer("", refused=True)) is None


def test_citation_markers_and_markup_do_not_count_as_words() -> None:
    assert am.plain_text("### Next steps\n- Measure **MMA** [1, 2].") == (
        "Next steps.\nMeasure MMA."
    )
    assert am.word_count("- 180 ng/L [1]") == 2
