"""render_report: the plain text `assistant labs` prints."""

from __future__ import annotations

from labtool.interpret import interpret
from labtool.render import render_report
from labtool.report import LabReport
from labtool.rules import RuleSet


def test_empty_report_says_nothing_was_found() -> None:
    assert render_report(LabReport()) == "No lab values were found in the text."


def test_every_part_is_shown_with_its_sources(real_rules: RuleSet) -> None:
    report = interpret("B12 180 ng/L, MMA 410 nmol/L, B12 150", real_rules)
    text = render_report(report)

    for finding in report.findings:
        assert finding.summary in text
    for conclusion in report.conclusions:
        assert conclusion.summary in text
    for conflict in report.conflicts:
        assert conflict.summary in text
    assert "[MISSING_UNIT]" in text
    for source in report.findings[0].sources:
        assert f"{source.title} ({source.doc_id}), section '{source.section}'" in text
    assert "[near threshold]" in text
    assert "On the pmol/L scale" in text  # the rounding-trap note


def test_sections_appear_in_a_fixed_order(real_rules: RuleSet) -> None:
    text = render_report(interpret("B12 180 ng/L, MMA 410 nmol/L, B12 -5 ng/L", real_rules))

    headings = ["Findings:", "Conclusions:", "Conflicting sources:", "Not interpreted:"]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
