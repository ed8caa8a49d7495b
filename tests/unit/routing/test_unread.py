"""A bare figure with neither a test nor a unit is asked about, never skipped or guessed."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from labtool.report import Finding, LabError, LabReport

from assistant.domain.language import DomainLanguage
from assistant.question.followup import Turn
from assistant.routing.route import route_message
from assistant.routing.unread import UNREAD_CODE, unread_values


@pytest.mark.parametrize(
    ("message", "bare"),
    [
        ("and what if it was 250?", ["250"]),
        ("Her level is 175", ["175"]),
        ("250", ["250"]),
        ("it came back at 9.5", ["9.5"]),
        ("result = 1,200", ["1,200"]),
    ],
)
def test_a_figure_given_as_a_result_without_test_or_unit_is_unread(
    message: str, bare: list[str]
) -> None:
    assert unread_values(message, None) == bare


@pytest.mark.parametrize(
    "message",
    [
        "Review after 3 months of treatment?",
        "Is the dose 1 mg daily?",
        "What is the cut-off in people aged 16 years and over?",
        "The level was 150 pmol/L.",
        "What changed in the 2024 guideline?",
        "Which of the 3 bands is it?",
        "Is a ferritin of 30% saturation normal?",
        "Does impaired fasting glucose start at 5.6 or 6.1 mmol/L?",
        "Is the grey zone at 25 to 70 pmol/L?",
    ],
)
def test_quantities_with_units_years_and_counts_are_not_results(message: str) -> None:
    assert unread_values(message, None) == []


def test_a_figure_the_lab_tool_read_is_not_unread() -> None:
    report = LabReport(errors=[LabError(input="MMA 250", code="MISSING_UNIT", message="unit?")])
    assert unread_values("MMA was 250", report) == []


def _interpret(text: str, _assume: Sequence[str]) -> LabReport | None:
    if "ng/L" not in text:
        return None
    finding = Finding(
        analyte="b12",
        value=240,
        unit="ng/L",
        canonical_value=240,
        canonical_unit="ng/L",
        category="indeterminate",
        summary="B12 240 ng/L: indeterminate",
        near_threshold=False,
        sources=[],
    )
    return LabReport(findings=[finding])


def test_a_follow_up_with_only_a_bare_figure_asks_for_test_and_unit(
    b12_language: DomainLanguage,
) -> None:
    turns = [Turn("user", "B12 240 ng/L"), Turn("assistant", "Indeterminate [1].")]
    route = route_message("and what if it was 250?", turns, _interpret, b12_language)
    assert route.question is None
    assert route.report is not None
    assert not route.report.findings  # the earlier result is not silently shown again
    assert [(e.input, e.code) for e in route.report.errors] == [("250", UNREAD_CODE)]


def test_a_bare_figure_beside_a_readable_result_is_reported_with_it(
    b12_language: DomainLanguage,
) -> None:
    route = route_message("B12 240 ng/L and the other was 95", [], _interpret, b12_language)
    assert route.report is not None
    assert [f.value for f in route.report.findings] == [240]
    assert [e.input for e in route.report.errors] == ["95"]


def _interpret_b12(text: str, _assume: Sequence[str]) -> LabReport | None:
    """A stand-in lab tool: "B12 <n> <unit>" is read; "B12 <n>" alone lacks its unit."""
    import re

    match = re.search(r"B12 (\d+)(?: (ng/L|pmol/L))?", text)
    if match is None:
        return None
    if match.group(2) is None:
        return LabReport(
            errors=[LabError(input=f"B12 {match.group(1)}", code="MISSING_UNIT", message="unit?")]
        )
    value = int(match.group(1))
    finding = Finding(
        analyte="b12",
        value=value,
        unit=match.group(2),
        canonical_value=value,
        canonical_unit=match.group(2),
        category="x",
        summary=f"B12 {value} {match.group(2)}",
        near_threshold=False,
        sources=[],
    )
    return LabReport(findings=[finding])


def _read_b12(text: str, _assume: Sequence[str] = ()) -> list[tuple[str, str]]:
    import re

    return [("b12", m.group(0)) for m in re.finditer(r"B12 \d+ (?:ng/L|pmol/L)", text)]


def test_a_unit_given_after_a_figure_without_one_completes_it(
    b12_language: DomainLanguage,
) -> None:
    turns = [Turn("user", "B12 150"), Turn("assistant", "Give the unit.")]
    route = route_message("pmol/L", turns, _interpret_b12, b12_language, _read_b12)
    assert route.report is not None
    assert [(f.value, f.unit) for f in route.report.findings] == [(150, "pmol/L")]


def test_a_corrected_figure_keeps_the_earlier_test_and_unit(b12_language: DomainLanguage) -> None:
    turns = [Turn("user", "B12 170 ng/L"), Turn("assistant", "Deficiency [1].")]
    route = route_message(
        "sorry, it was 270 not 170", turns, _interpret_b12, b12_language, _read_b12
    )
    assert route.report is not None
    assert [(f.value, f.unit) for f in route.report.findings] == [(270, "ng/L")]
    assert route.earlier == frozenset()  # the corrected value is this turn's, not an old one


def test_a_bare_figure_after_one_test_is_read_as_that_test(b12_language: DomainLanguage) -> None:
    turns = [Turn("user", "B12 240 ng/L"), Turn("assistant", "Indeterminate [1].")]
    route = route_message("and if it was 300?", turns, _interpret_b12, b12_language, _read_b12)
    assert route.report is not None
    assert [e.code for e in route.report.errors] == ["MISSING_UNIT"]  # the unit decides
