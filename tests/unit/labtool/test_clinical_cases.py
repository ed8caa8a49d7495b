"""The cases of clinical-thresholds.md §5.2 that the tool's analytes cover, and the
closing note's expected `assistant labs` outputs, against the real rules file."""

from __future__ import annotations

import pytest
from labtool.interpret import interpret
from labtool.report import Finding, LabReport
from labtool.rules import RuleSet


def _only_finding(report: LabReport) -> Finding:
    assert report.errors == [], report.errors
    (finding,) = report.findings
    return finding


def _conflict_docs(report: LabReport) -> set[str]:
    return {source.doc_id for conflict in report.conflicts for source in conflict.sources}


# (§5.2 row, text, category, near_threshold, conflicting source docs that must be named)
CASES = [
    (1, "B12 179 ng/L, adult, not pregnant", "deficient", True, set()),
    (2, "B12 180 ng/L", "indeterminate", True,
     {"bsh-2014-b12-folate", "nice-cks-2020-b12-folate"}),
    (2, "B12 180 ng/L, in ICU", "indeterminate", True,
     {"bsh-2014-b12-folate", "nice-cks-2020-b12-folate", "sfar-srlf-2019"}),
    (3, "B12 350 pg/mL", "indeterminate", True, set()),
    (4, "B12 351 ng/L", "unlikely", True, set()),
    (5, "B12 132 pmol/L", "deficient", True, set()),
    (6, "B12 133 pmol/L", "indeterminate", True,
     {"bsh-2014-b12-folate", "nhg-2014-b12", "nice-cks-2020-b12-folate"}),
    (7, "B12 258.2 pmol/L", "unlikely", True, {"afp-2025-patel"}),
    (8, "B12 140 pmol/L", "indeterminate", True, {"bsh-2014-b12-folate", "nhg-2014-b12"}),
    (8, "B12 140 pmol/L, critically ill", "indeterminate", True,
     {"bsh-2014-b12-folate", "nhg-2014-b12", "sfar-srlf-2019"}),
    (10, "B12 <50 ng/L", "deficient", False, set()),
    (15, "holoTC 24 pmol/L", "deficient", True, {"herrmann-obeid-holotc"}),
    (16, "holoTC 25 pmol/L", "indeterminate", True, set()),
    (17, "holoTC 71 pmol/L", "unlikely", True, {"herrmann-obeid-holotc"}),
    (18, "MMA 271 nmol/L", "not_elevated", False, set()),
    (19, "MMA 0.30 µmol/L", "not_elevated", False, {"iom-dri-1998-b12", "hvas-2001-mma"}),
    (20, "MMA 0.45 µmol/L, aged 50, eGFR 40", "elevated", True, set()),
    (20, "MMA 0.45 µmol/L, aged 70", "elevated", True, {"aarhus-mma-reference-intervals"}),
    (21, "folate 6.5 nmol/L", "deficient", True, set()),
    (22, "serum folate 3.0 µg/L", "possible_deficiency", True, set()),
    (22, "serum folate 3.0 µg/L, in intensive care", "possible_deficiency", True,
     {"sfar-srlf-2019"}),
    (24, "Hb 119 g/L, female aged 30, not pregnant", "anaemia_mild", True, set()),
    (25, "Hb 12.0 g/dL, female aged 30, not pregnant", "no_anaemia", True, set()),
    (26, "Hb 129 g/L, male 45", "anaemia_mild", True, set()),
    (27, "Hb 106 g/L, pregnant, 2nd trimester", "no_anaemia", True, set()),
    (28, "Hb 106 g/L, pregnant, 1st trimester", "anaemia_mild", False, set()),
    (29, "Hb 107 g/L, child 18 months", "no_anaemia", True, {"who-2011-hb-severity"}),
    (30, "Hb 7.5 mmol/L, male 50", "anaemia_mild", False, set()),
    (33, "MCV 100 fL, adult, not pregnant", "normocytic", True, set()),
    (34, "MCV 101 fL", "macrocytic", True, set()),
    (35, "ferritin 14 µg/L, adult, CRP 3 mg/L", "iron_deficient", True, set()),
    (36, "ferritin 15 ng/mL, adult, CRP 3 mg/L", "not_iron_deficient", True,
     {"nice-cks-iron-deficiency"}),
    (37, "ferritin 60 µg/L, adult with IBD, CRP 25 mg/L", "iron_deficient", False, set()),
    (37, "ferritin 80 µg/L, adult with IBD, CRP 25 mg/L", "not_iron_deficient", False,
     {"ecco-2015-anaemia-ibd"}),
    (37, "ferritin 80 µg/L, adult, CRP 25 mg/L", "not_iron_deficient", False, set()),
    (38, "ferritin 10 µg/L, child 3 y, no inflammation", "iron_deficient", False, set()),
    (39, "EPO 600 mU/mL, lower-risk MDS", "elevated", False, set()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("row", "text", "category", "near", "conflicts"),
    CASES,
    ids=[f"row{c[0]}-{c[1]}" for c in CASES],
)
def test_section_5_2_case(
    real_rules: RuleSet, row: int, text: str, category: str, near: bool, conflicts: set[str]
) -> None:
    report = interpret(text, real_rules)
    finding = _only_finding(report)

    assert finding.category == category
    assert finding.near_threshold is near
    assert conflicts <= _conflict_docs(report)
    if not conflicts:
        assert report.conflicts == []


def test_row_1_has_no_conflict_because_every_source_calls_179_low(real_rules: RuleSet) -> None:
    assert interpret("B12 179 ng/L", real_rules).conflicts == []


@pytest.mark.parametrize(
    ("text", "unit", "expected", "shown"),
    [("B12 132 pmol/L", "ng/L", 178.91, "179"), ("B12 133 pmol/L", "ng/L", 180.26, "180"),
     ("B12 140 pmol/L", "ng/L", 189.75, "190"), ("Hb 7.5 mmol/L, male 50", "g/L", 120.83, "121"),
     ("MMA 0.30 µmol/L", "nmol/L", 300.0, "300")],
)  # fmt: skip
def test_converted_values(
    real_rules: RuleSet, text: str, unit: str, expected: float, shown: str
) -> None:
    """Exact in the data; in words, no more significant figures than the value was written
    with (never rounded into the whole part: 7.5 mmol/L is 121 g/L, not 120)."""
    finding = _only_finding(interpret(text, real_rules))

    assert finding.converted[unit] == pytest.approx(expected, abs=0.01)
    assert f"= {shown} {unit}" in finding.summary
    assert finding.converted_text[unit] == shown


def test_row_7_flags_the_rounding_trap(real_rules: RuleSet) -> None:
    finding = _only_finding(interpret("B12 258.2 pmol/L", real_rules))

    assert finding.canonical_value == pytest.approx(349.956534)
    (note,) = [n for n in finding.notes if n.startswith("On the ng/L scale")]
    assert "(350.0 ng/L)" in note  # 349.957 with the 4 figures written, still in its band
    assert "Indeterminate" in note


def test_row_22_folate_rounding_trap(real_rules: RuleSet) -> None:
    finding = _only_finding(interpret("folate 3.0 µg/L", real_rules))

    # 6.7983 nmol/L: "6.8" would read as the other band, so more figures are shown.
    assert any(n.startswith("On the nmol/L scale") and "6.798 " in n for n in finding.notes)


def test_row_10_censored_value_is_classified_as_a_whole(real_rules: RuleSet) -> None:
    finding = _only_finding(interpret("B12 <50 ng/L", real_rules))

    assert finding.censored == "<"
    assert finding.value == 50


@pytest.mark.parametrize(
    ("row", "text", "code"),
    [
        (11, "B12 -5 ng/L", "NEGATIVE_VALUE"),
        (12, "B12 0 pmol/L", "ZERO_VALUE"),
        (13, "B12 5,000,000 ng/L", "IMPLAUSIBLE_VALUE"),
        (14, "B12 250 mg/dL", "UNSUPPORTED_UNIT"),
        (31, "Hb 13 g/L, female aged 30", "IMPLAUSIBLE_VALUE"),
        (32, "Hb 125 g/L, aged 40", "MISSING_CONTEXT"),
    ],
)
def test_section_5_2_error_case(real_rules: RuleSet, row: int, text: str, code: str) -> None:
    report = interpret(text, real_rules)

    assert report.findings == []
    assert [error.code for error in report.errors] == [code]


def test_row_19_conflict_names_both_sources_and_figures(real_rules: RuleSet) -> None:
    # The laboratory limit (Mayo, 0.4 µmol/L) is the primary rule since the audit (§1, §2 item 4);
    # the 271 nmol/L statistical range and the Hvas limit are comparisons.
    report = interpret("MMA 0.30 µmol/L", real_rules)

    iom, hvas = report.conflicts
    assert {s.doc_id for s in iom.sources} == {"mayo-labs-mma", "iom-dri-1998-b12"}
    assert {s.doc_id for s in hvas.sources} == {"mayo-labs-mma", "hvas-2001-mma"}
    assert "0.4 µmol/L" in iom.summary
    assert "271 nmol/L" in iom.summary
    assert "0.28 µmol/L" in hvas.summary


# --- the closing note's expected outputs ---------------------------------------------------


def test_note_b12_240_with_mma_410(real_rules: RuleSet) -> None:
    report = interpret("B12 240 ng/L, MMA 410 nmol/L", real_rules)

    assert [(f.analyte, f.category) for f in report.findings] == [
        ("b12", "indeterminate"),
        ("mma", "elevated"),
    ]
    assert "functional-b12-deficiency" in [c.code for c in report.conclusions]
    assert "confirmatory-test-needed" not in [c.code for c in report.conclusions]
    assert report.errors == []


def test_note_active_b12_22(real_rules: RuleSet) -> None:
    finding = _only_finding(interpret("active B12 22 pmol/L", real_rules))

    assert (finding.analyte, finding.category) == ("holotc", "deficient")


def test_note_b12_150_without_unit(real_rules: RuleSet) -> None:
    report = interpret("B12 150", real_rules)

    assert report.findings == []
    (error,) = report.errors
    assert error.code == "MISSING_UNIT"
    assert "pmol/L" in error.message
    assert "ng/L" in error.message


def test_note_negative_b12(real_rules: RuleSet) -> None:
    report = interpret("B12 -5 ng/L", real_rules)

    assert [e.code for e in report.errors] == ["NEGATIVE_VALUE"]
    assert report.findings == []
