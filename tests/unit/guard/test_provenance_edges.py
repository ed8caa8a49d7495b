"""The numeric guard at its edges: headings, sentences without their own marker, several
passages cited at once, unknown markers, empty headings and the lab tool's numbers.

Written to kill the mutants `make mutation` found surviving in assistant/guard/provenance.py;
each expectation is the output a reader of the guard's contract would write by hand.
"""

from __future__ import annotations

from decimal import Decimal

from labtool.report import Finding, LabReport, SourceRef

from assistant.guard.provenance import (
    answer_body,
    find_untraced,
    guard_answer,
    tool_numbers,
)

NICE = "Deficiency is confirmed below 180 ng/L; 180 to 350 ng/L is indeterminate."
MMA = "MMA above 271 nmol/L supports deficiency."
REVIEW = "Review after 3 months."


def finding(**fields: object) -> Finding:
    data: dict[str, object] = {
        "analyte": "b12",
        "value": 240,
        "unit": "ng/L",
        "canonical_value": 240,
        "canonical_unit": "ng/L",
        "category": "indeterminate",
        "summary": "indeterminate",
        "near_threshold": False,
        "sources": [SourceRef(doc_id="nice", title="N", section="S")],
    }
    data.update(fields)
    return Finding.model_validate(data)


# --- the lab tool's numbers ------------------------------------------------------------


def test_the_tools_numeric_fields_count_even_when_no_string_writes_them() -> None:
    report = LabReport(findings=[finding(value=241, canonical_value=241)])

    assert Decimal("241.0") in tool_numbers(report)
    assert tool_numbers(None) == set()


def test_numbers_written_in_the_keys_of_the_tools_output_count() -> None:
    report = LabReport(findings=[finding(converted={"x10^9/L": 4.5})])

    assert Decimal(9) in tool_numbers(report)


# --- the body ------------------------------------------------------------------------------


def test_the_body_ends_at_the_first_reference_list() -> None:
    text = "Claim [1].\n\n### References\n\n1. A.\n\n### References\n\n2. B."

    assert answer_body(text) == "Claim [1].\n\n"


# --- sentences and their markers ---------------------------------------------------------


def test_a_sentence_without_its_own_marker_takes_its_lines_markers() -> None:
    guarded = guard_answer("Below 180 ng/L it is low. It is confirmed [1].", {1: NICE}, set())

    assert guarded.removed == []
    assert guarded.markdown == "Below 180 ng/L it is low. It is confirmed [1]."


def test_a_sentence_citing_two_passages_may_take_a_number_from_either() -> None:
    text = "Below 180 ng/L, and MMA above 271 nmol/L, support deficiency [1][2]."

    assert find_untraced(text, {1: NICE, 2: MMA}, set()) == []
    assert guard_answer(text, {1: NICE, 2: MMA}, set()).removed == []


def test_a_tool_number_traces_a_sentence_that_also_cites_a_passage() -> None:
    found = find_untraced("Your 240 ng/L is above 180 ng/L [1].", {1: NICE}, {Decimal(240)})

    assert found == []


def test_an_untraced_sentence_is_removed_and_the_rest_of_the_line_kept() -> None:
    guarded = guard_answer("- Low below 180 ng/L [1]. Or below 190 ng/L [1].", {1: NICE}, set())

    assert guarded.markdown == "- Low below 180 ng/L [1]."
    assert guarded.removed == ["Or below 190 ng/L [1]."]


def test_kept_sentences_are_joined_by_one_space() -> None:
    text = "- Low below 180 ng/L [1]. Or below 190 ng/L [1]. Indeterminate to 350 ng/L [1]."

    assert guard_answer(text, {1: NICE}, set()).markdown == (
        "- Low below 180 ng/L [1]. Indeterminate to 350 ng/L [1]."
    )


# --- headings --------------------------------------------------------------------------------


def test_a_heading_number_is_traced_by_the_passages_cited_beneath_it() -> None:
    text = "Intro [2].\n### Review at 3 months\n- Offer a review [1]."

    assert find_untraced(text, {1: REVIEW, 2: MMA}, set()) == []
    guarded = guard_answer(text, {1: REVIEW, 2: MMA}, set())
    assert guarded.markdown == text
    assert guarded.removed == []


def test_a_heading_cites_only_what_is_beneath_it_not_what_is_above() -> None:
    text = "Intro [1].\n### Review at 3 months\n- Offer a review [2]."

    (found,) = find_untraced(text, {1: REVIEW, 2: MMA}, set())

    assert (found.sentence, found.numbers) == ("Review at 3 months", ("3",))


def test_an_untraced_heading_is_reported_whole_and_removed_alone() -> None:
    text = "### Cut-off 190 ng/L. Then 195 ng/L\n- Below 180 ng/L [1].\n- Indeterminate [1]."

    (found,) = find_untraced(text, {1: NICE}, set())
    guarded = guard_answer(text, {1: NICE}, set())

    assert (found.sentence, found.numbers) == ("Cut-off 190 ng/L. Then 195 ng/L", ("190", "195"))
    assert guarded.removed == ["Cut-off 190 ng/L. Then 195 ng/L"]
    assert guarded.markdown == "- Below 180 ng/L [1].\n- Indeterminate [1]."


# --- unknown citation markers ------------------------------------------------------------


def test_an_unknown_number_in_a_shared_marker_is_dropped_and_the_rest_kept() -> None:
    guarded = guard_answer("Below 180 ng/L [1, 7].", {1: NICE}, set())

    assert guarded.markdown == "Below 180 ng/L [1]."
    assert guarded.dropped_citations == [7]


def test_a_sentence_citing_only_a_missing_passage_borrows_no_other_citation() -> None:
    text = "Deficiency is confirmed below 180 ng/L [1]. Give 3 mg daily [9]."

    guarded = guard_answer(text, {1: f"{NICE} {REVIEW}"}, set())

    assert guarded.markdown == "Deficiency is confirmed below 180 ng/L [1]."
    assert guarded.removed == ["Give 3 mg daily."]
    assert guarded.dropped_citations == [9]


def test_known_numbers_of_a_shared_marker_become_adjacent_markers() -> None:
    text = "Below 180 ng/L and above 271 nmol/L [1; 2]."

    assert guard_answer(text, {1: NICE, 2: MMA}, set()).markdown == (
        "Below 180 ng/L and above 271 nmol/L [1][2]."
    )


def test_the_space_an_unknown_marker_leaves_is_tidied() -> None:
    text = "### Cut-offs [9] and bands [9]\n- Below 180 ng/L [9] and more [1]."

    guarded = guard_answer(text, {1: NICE}, set())

    assert guarded.markdown == "### Cut-offs and bands\n- Below 180 ng/L and more [1]."
    assert guarded.dropped_citations == [9]


# --- headings left without content --------------------------------------------------------


def test_a_heading_with_only_a_deeper_heading_and_content_beneath_is_kept() -> None:
    text = "### A long heading text\n#### B\n- Below 180 ng/L [1]."

    assert guard_answer(text, {1: NICE}, set()).markdown == text


def test_a_heading_whose_content_was_removed_goes_with_it() -> None:
    text = "### Kept\n- Below 180 ng/L [1].\n### Gone\n- Below 190 ng/L [1].\n### Last\n- Yes [1]."

    assert guard_answer(text, {1: NICE}, set()).markdown == (
        "### Kept\n- Below 180 ng/L [1].\n### Last\n- Yes [1]."
    )


def test_a_heading_at_the_end_with_nothing_beneath_is_removed() -> None:
    assert guard_answer("- Below 180 ng/L [1].\n### Empty", {1: NICE}, set()).markdown == (
        "- Below 180 ng/L [1]."
    )
