"""The numeric provenance guard as a pure function over an answer, its citations and labs."""

from __future__ import annotations

from decimal import Decimal

from labtool.report import Finding, LabReport, SourceRef

from assistant.answer.references import REFERENCES_HEADING
from assistant.guard.provenance import find_untraced, guard_answer, tool_numbers, untraced_numbers
from assistant.schema import AnswerResult, Citation

NICE = (
    "Deficiency is confirmed below 180 ng/L (133 pmol/L). Indeterminate from 180 ng/L to 350 ng/L."
)
SFAR = "SFAR uses a cut-off of 150 pmol/L (203 ng/L) in intensive care."


def _citation(n: int, text: str) -> Citation:
    return Citation(
        n=n,
        doc_id=f"doc-{n}",
        title="T",
        source_type="Guideline",
        year=2024,
        section="S",
        text=text,
    )


def _finding() -> Finding:
    return Finding(
        analyte="b12",
        value=240.0,
        unit="ng/L",
        canonical_value=240.0,
        canonical_unit="ng/L",
        category="indeterminate",
        summary="Vitamin B12 240 ng/L (177.07 pmol/L): indeterminate.",
        near_threshold=False,
        sources=[SourceRef(doc_id="nice-ng239", title="NG239", section="Total B12 thresholds")],
    )


def test_sentence_with_a_number_from_its_cited_passage_is_kept() -> None:
    result = guard_answer("Deficiency is confirmed below 180 ng/L [1].", {1: NICE}, set())
    assert result.markdown == "Deficiency is confirmed below 180 ng/L [1]."
    assert result.removed == []


def test_invented_cutoff_is_removed_and_recorded() -> None:
    answer = "Deficiency is confirmed below 180 ng/L [1]. The true cut-off is 500 ng/L [1]."
    result = guard_answer(answer, {1: NICE}, set())
    assert result.markdown == "Deficiency is confirmed below 180 ng/L [1]."
    assert result.removed == ["The true cut-off is 500 ng/L [1]."]


def test_number_must_be_in_the_passage_the_sentence_cites_not_another() -> None:
    # 150 is in passage 2, but the sentence cites passage 1 only.
    result = guard_answer("SFAR uses 150 pmol/L [1].", {1: NICE, 2: SFAR}, set())
    assert result.markdown == ""
    assert result.removed == ["SFAR uses 150 pmol/L [1]."]


def test_citation_to_a_passage_that_was_not_retrieved_is_dropped() -> None:
    result = guard_answer("Indeterminate from 180 ng/L to 350 ng/L [1][7].", {1: NICE}, set())
    assert result.markdown == "Indeterminate from 180 ng/L to 350 ng/L [1]."
    assert result.dropped_citations == [7]


def test_sentence_citing_only_an_unknown_passage_loses_its_numbers_support() -> None:
    result = guard_answer("The cut-off is 180 ng/L [9].", {1: NICE}, set())
    assert result.removed == ["The cut-off is 180 ng/L."]
    assert result.dropped_citations == [9]


def test_numbers_from_the_lab_tool_are_traced_without_a_passage() -> None:
    report = LabReport(findings=[_finding()])
    result = guard_answer("- Vitamin B12 240 ng/L (177.07 pmol/L).", {}, tool_numbers(report))
    assert result.removed == []


def test_formatting_differences_still_trace() -> None:
    passages = {1: "Doses of 1000 µg daily; the figure 203 ng/L."}
    result = guard_answer("Give 1,000 µg daily [1]. It is 203.0 ng/L [1].", passages, set())
    assert result.removed == []


def test_sentence_without_numbers_needs_no_citation() -> None:
    result = guard_answer("Discuss the result with the patient.", {}, set())
    assert result.markdown == "Discuss the result with the patient."


def test_list_items_and_headings_are_guarded_and_emptied_headings_go() -> None:
    answer = "### Thresholds\n\n- Invented 999 ng/L [1].\n\n### Treatment\n\n- Oral B12 [1]."
    result = guard_answer(answer, {1: NICE}, set())
    assert result.markdown == "### Treatment\n\n- Oral B12 [1]."
    assert result.removed == ["Invented 999 ng/L [1]."]


def test_heading_with_an_untraced_number_is_removed() -> None:
    result = guard_answer("### Cut-off 500\n\nText [1].", {1: NICE}, set())
    assert "500" not in result.markdown


def test_tool_numbers_include_fields_and_numbers_inside_strings() -> None:
    values = tool_numbers(LabReport(findings=[_finding()]))
    assert {Decimal(240), Decimal("177.07")} <= values
    assert tool_numbers(None) == set()


def test_untraced_numbers_of_a_result_ignores_the_reference_list() -> None:
    answer = (
        f"Below 180 ng/L [1]. Invented 42 ng/L [1].\n\n{REFERENCES_HEADING}\n\n"
        "1. **Guideline**: T. NICE, 2024."
    )
    result = AnswerResult(answer=answer, citations=[_citation(1, NICE)])
    assert untraced_numbers(result) == ["42"]


def test_untraced_numbers_accepts_lab_report_values() -> None:
    result = AnswerResult(
        answer="- Vitamin B12 240 ng/L (177.07 pmol/L): indeterminate.",
        labs=LabReport(findings=[_finding()]),
    )
    assert untraced_numbers(result) == []


def test_find_untraced_uses_the_line_citation_for_an_uncited_sentence() -> None:
    line = "Deficiency below 180 ng/L. Indeterminate to 350 ng/L [1]."
    assert find_untraced(line, {1: NICE}, set()) == []
    assert find_untraced(line, {}, set())[0].numbers == ("180",)
