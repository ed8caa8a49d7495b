"""The oracles against hand-written examples: what a person reads as a number in a sentence,
and which numbers of an answer have no source. Every expectation here was written by hand,
not produced by the product or by the oracle."""

from __future__ import annotations

from decimal import Decimal

import pytest
from labtool.report import Finding, LabReport, SourceRef

from assistant.schema import AnswerResult, AnswerSection, Citation
from tests.oracles.numbers import read_numbers
from tests.oracles.provenance import cited_on, untraced


def values(text: str) -> list[str]:
    return [f"{n.value.normalize():f}" for n in read_numbers(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # thousands separators
        ("B12 1,000 ng/L", ["1000"]),
        ("B12 1 000 ng/L", ["1000"]),
        ("B12 1\u00a0200 ng/L", ["1200"]),
        ("B12 1\u2009500 pg/mL", ["1500"]),
        ("oral 1,000 to 2,000 µg daily", ["1000", "2000"]),
        ("1,000,000 people", ["1000000"]),
        # decimal points and decimal commas
        ("MMA 0.28 µmol/L", ["0.28"]),
        ("MMA 0,28 µmol/L", ["0.28"]),
        ("glucose 7,8 mmol/L", ["7.8"]),
        ("B12 1.200 ng/L", ["1.2"]),
        ("HbA1c 6.5 % (48 mmol/mol)", ["6.5", "48"]),
        # ranges are two numbers, neither negative
        ("180–350 ng/L", ["180", "350"]),
        ("180-350 ng/L", ["180", "350"]),
        ("180 ng/L to 350 ng/L", ["180", "350"]),
        ("133 — 258 pmol/L", ["133", "258"]),
        # units glued to the number
        ("B12 180ng/L", ["180"]),
        ("MMA 410nmol/L, folate 3µg/L", ["410", "3"]),
        ("sensitivity 97%", ["97"]),
        # citation markers are not numbers
        ("confirmed below 180 ng/L [12].", ["180"]),
        ("as both say [1, 2] and [3; 4]", []),
        ("see [12] and 7 days", ["7"]),
        # names with digits are not numbers
        ("B12 and NG239 and HbA1c", []),
        ("vitamin B12 deficiency", []),
        ("T2DM after COVID-19, ICD-10 code", []),
        ("HbA1c 48 mmol/mol", ["48"]),
        # sentence ends and plain integers
        ("review after 3 months.", ["3"]),
        ("at 1 month and 12 months", ["1", "12"]),
        ("published 2024", ["2024"]),
    ],
)
def test_numbers_as_a_person_reads_them(text: str, expected: list[str]) -> None:
    assert values(text) == expected


def test_the_unit_and_the_written_form_are_kept() -> None:
    (first, second) = read_numbers("B12 1 000ng/L then 7,8 mmol/L")

    assert (first.text, first.value, first.unit) == ("1 000", Decimal(1000), "ng/L")
    assert (second.text, second.value, second.unit) == ("7,8", Decimal("7.8"), "mmol/L")


def test_citation_numbers_of_a_line() -> None:
    assert cited_on("- Below 180 ng/L [2]. Also [3, 4] and [5; 6].") == [2, 3, 4, 5, 6]
    assert cited_on("No marker, 180 ng/L.") == []


# --- the provenance oracle ---------------------------------------------------------------

NICE = "Deficiency is confirmed below 180 ng/L (133 pmol/L); 180 to 350 ng/L is indeterminate."


def cite(n: int, text: str = NICE, section: str = "Total B12 thresholds") -> Citation:
    return Citation(
        n=n, doc_id=f"d{n}", title="T", source_type="Guideline", section=section, text=text
    )


def result(direct: str, *citations: Citation, **parts: object) -> AnswerResult:
    return AnswerResult.model_validate(
        {"answer": direct, "direct": direct, "citations": list(citations), **parts}
    )


def test_a_number_in_the_passage_its_line_cites_is_traced() -> None:
    assert untraced(result("Confirmed below 180 ng/L (133 pmol/L) [1].", cite(1))) == []


def test_a_number_no_cited_passage_holds_is_reported_as_written() -> None:
    assert untraced(result("Confirmed below 1,900 ng/L [1].", cite(1))) == ["1,900"]
    assert untraced(result("Confirmed below 190 ng/L [1].", cite(1))) == ["190"]


def test_a_number_from_another_passage_than_the_one_cited_is_reported() -> None:
    other = cite(2, text="MMA above 271 nmol/L supports deficiency.")

    assert untraced(result("MMA above 271 nmol/L [1].", cite(1), other)) == ["271"]


def test_markers_names_and_the_fixed_texts_are_not_numbers_to_trace() -> None:
    answer = result(
        "B12 below 180 ng/L confirms deficiency (NICE NG239) [12].",
        *(cite(n) for n in range(1, 13)),
        references="### References\n\n12. NICE 2024, p. 77.",
        disclaimer="Version 3 of 2025.",
        notices=["Note 42."],
    )

    assert untraced(answer) == []


def test_a_section_heading_of_the_cited_passage_is_a_source() -> None:
    passage = cite(1, text="Offer a review.", section="Review at 3 months")

    assert untraced(result("Offer a review at 3 months [1].", passage)) == []


def test_the_lab_tools_values_may_be_shown_rounded() -> None:
    finding = Finding(
        analyte="b12",
        value=132,
        unit="pmol/L",
        canonical_value=178.9088,
        canonical_unit="ng/L",
        category="deficient",
        summary="deficient",
        near_threshold=False,
        sources=[SourceRef(doc_id="d1", title="T", section="S")],
    )
    labs = LabReport(findings=[finding])
    shown = "Your B12 of 132 pmol/L (about 178.9 ng/L) is low."

    assert untraced(result("", lab_details=shown, labs=labs)) == []
    assert untraced(result("", lab_details="It is about 178.7 ng/L.", labs=labs)) == ["178.7"]


def test_every_claim_part_is_read() -> None:
    hidden = AnswerSection(heading="More", markdown="- Confirmed below 175 ng/L [1].")

    assert untraced(result("Below 180 ng/L [1].", cite(1), more_detail=[hidden])) == ["175"]
