"""What a renderer needs from the lab tool's report, as data (issue 13).

A lab table shows the test, the value as written, the same value in the other units without
false precision, the category, the band used (as numbers and in words) and its source's short
name, and for a source that disagrees its category, band, source and the value as it read it.
None of it needs a summary parsed or a rule id, and no string written for people holds a rule
id, a code or a square-bracket range where sources disagree.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
import yaml
from labtool.interpret import interpret
from labtool.report import Finding, LabReport
from labtool.rules import RuleSet

from tests.unit.labtool.conftest import REAL_CORPUS, REAL_RULES


def _yaml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(REAL_RULES.read_text(encoding="utf-8"))
    return data


def _rule(analyte: str, rule_id: str) -> dict[str, Any]:
    (rule,) = [r for r in _yaml()["analytes"][analyte]["rules"] if r["id"] == rule_id]
    return rule


def _front_matter(doc_id: str) -> dict[str, Any]:
    for path in REAL_CORPUS.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---") and f"\nid: {doc_id}\n" in text:
            meta: dict[str, Any] = yaml.safe_load(text.split("---", 2)[1])
            return meta
    raise AssertionError(doc_id)


def _figures(number: str) -> int:
    digits = number.lstrip("<>≤≥").replace(".", "").lstrip("0")
    return max(len(digits), 1)


def test_a_finding_carries_its_band_as_numbers(real_rules: RuleSet) -> None:
    (finding,) = interpret("B12 240 ng/L", real_rules).findings

    (band,) = [
        b for b in _rule("b12", finding.rule_id or "")["scales"]["ng/L"]
        if b["category"] == finding.category
    ]  # fmt: skip
    low, high = band["between_inclusive"]
    assert finding.band is not None
    assert (finding.band.lower, finding.band.upper) == (low, high)
    assert finding.band.lower_inclusive
    assert finding.band.upper_inclusive
    assert finding.band.unit == "ng/L"
    assert finding.band.text == f"{low}–{high} ng/L"
    assert finding.written == "240"


@pytest.mark.parametrize(
    ("text", "lower", "lower_inclusive", "upper", "upper_inclusive"),
    [
        ("B12 150 ng/L", None, False, 180, False),  # below 180
        ("B12 400 ng/L", 350, False, None, False),  # above 350
        ("MMA 300 nmol/L", None, False, 400, True),  # at most 400
    ],
)
def test_open_and_closed_ends_of_bands(
    real_rules: RuleSet,
    text: str,
    lower: float | None,
    lower_inclusive: bool,
    upper: float | None,
    upper_inclusive: bool,
) -> None:
    (finding,) = interpret(text, real_rules).findings

    assert finding.band is not None
    assert finding.band.lower == lower
    assert finding.band.lower_inclusive is lower_inclusive
    assert finding.band.upper == upper
    assert finding.band.upper_inclusive is upper_inclusive


def test_the_source_is_named_briefly(real_rules: RuleSet) -> None:
    (finding,) = interpret("B12 240 ng/L", real_rules).findings

    meta = _front_matter(finding.sources[0].doc_id)
    assert "(NICE)" in meta["publisher"]
    assert finding.source_name == f"NICE {meta['year']}"


@pytest.mark.parametrize(
    ("text", "unit", "shown"),
    [
        ("B12 240 ng/L", "pmol/L", "177"),  # 177.07: three figures were written
        ("B12 50 ng/L", "pmol/L", "37"),  # 36.89: two
        ("Hb 12.0 g/dL, woman aged 30, not pregnant", "g/L", "120"),
        ("Hb 12.0 g/dL, woman aged 30, not pregnant", "mmol/L", "7.45"),  # 7.4476
        ("MMA 0.30 µmol/L", "nmol/L", "300"),
        ("MMA 0.30 µmol/L", "nmol/mL", "0.30"),
    ],
)
def test_converted_values_show_no_false_precision(
    real_rules: RuleSet, text: str, unit: str, shown: str
) -> None:
    (finding,) = interpret(text, real_rules).findings

    assert finding.converted_text[unit] == shown
    assert f"{shown} {unit}" in finding.summary
    exact = Decimal(repr(finding.converted[unit]))
    assert abs(exact - Decimal(shown)) < Decimal("0.5") * 10 ** Decimal(
        -len(shown.partition(".")[2])
    )  # the data stays exact; the words are that value rounded


def test_a_conflict_carries_what_the_other_source_says(real_rules: RuleSet) -> None:
    report = interpret("B12 190 ng/L in ICU", real_rules)

    (conflict,) = [c for c in report.conflicts if "SFAR" in c.source_name]
    (band,) = [b for b in _rule("b12", "b12-sfar-srlf-2019")["scales"]["ng/L"] if "less_than" in b]
    assert conflict.category_label == real_rules.analytes["b12"].category_label(band["category"])
    assert conflict.band is not None
    assert (conflict.band.upper, conflict.band.upper_inclusive) == (band["less_than"], False)
    assert conflict.band.lower is None
    assert (conflict.value, conflict.unit, conflict.value_text) == (190, "ng/L", "190")
    assert "critical illness" in conflict.population
    assert conflict.source_name == f"SFAR–SRLF {_front_matter('sfar-srlf-2019')['year']}"
    for part in (conflict.source_name, conflict.category_label, conflict.band.text):
        assert part in conflict.summary


def test_a_conflict_on_another_scale_gives_the_value_as_that_source_read_it(
    real_rules: RuleSet,
) -> None:
    report = interpret("B12 190 ng/L", real_rules)

    (conflict,) = [c for c in report.conflicts if c.unit == "pmol/L"]
    assert conflict.value == pytest.approx(190 / 1.35537)
    assert conflict.value_text == "140"
    assert "140 pmol/L" in conflict.summary
    assert conflict.population == ""  # the same people as the primary rule


def _messages() -> list[str]:
    from scripts.bench_questions import lab_messages

    return [
        *lab_messages(),
        "B12 190 ng/L in ICU",
        "B12 180 ng/L",
        "folate 3.0 µg/L",
        "B12 258.2 pmol/L",
        "active B12 20 pmol/L",
        "MMA 0.30 µmol/L",
        "B12 250 ng/L, MMA 450 nmol/L, B12 400 ng/L",
    ]


def _human_strings(report: LabReport) -> list[str]:
    texts: list[str] = []
    for finding in report.findings:
        texts += [finding.summary, *finding.notes, *finding.converted_text.values()]
        texts += [finding.band.text] if finding.band else []
    for conflict in report.conflicts:
        texts += [conflict.summary, conflict.category_label, conflict.population]
    texts += [c.summary for c in report.conclusions]
    texts += [e.message for e in report.errors] + [n.message for n in report.notices]
    return texts


def test_no_string_for_people_holds_a_rule_id_or_a_code(real_rules: RuleSet) -> None:
    data = _yaml()
    ids = {r["id"] for a in data["analytes"].values() for r in a.get("rules") or []}
    ids |= {c["id"] for c in data.get("conclusions") or []}
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, ids)) + r")(?![\w-])")
    checked = 0
    for text in _messages():
        report = interpret(text, real_rules)
        for string in _human_strings(report):
            assert pattern.search(string) is None, string
            assert "unit_rounding_ambiguity" not in string
            checked += 1
        for conflict in report.conflicts:
            assert "[" not in conflict.summary, conflict.summary
    assert checked > 100


def _within_figures(finding: Finding) -> bool:
    """No more figures than written (at least 2), except whole numbers: a value is never
    rounded into its whole part (7.0 mmol/L is 126 mg/dL, not 130)."""
    allowed = max(_figures(finding.written), 2)
    return all(
        _figures(text) <= allowed or "." not in text
        for unit, text in finding.converted_text.items()
        if unit != finding.unit
    )


def test_no_converted_value_has_more_figures_than_written(real_rules: RuleSet) -> None:
    findings = [f for text in _messages() for f in interpret(text, real_rules).findings]

    assert len(findings) > 50
    assert all(_within_figures(f) for f in findings), [
        (f.written, f.converted_text) for f in findings if not _within_figures(f)
    ]


def test_identical_values_are_one_finding(real_rules: RuleSet) -> None:
    report = interpret("B12 240 ng/L. b12 240 ng/L; Vitamin B12 240.0 ng/L", real_rules)

    (finding,) = report.findings
    assert finding.repeats == 3
    assert report.errors == []
