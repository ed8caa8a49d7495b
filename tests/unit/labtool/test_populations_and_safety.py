"""Issue 12 against the real B12 rules file: every rule applies only to the people its source
covers, and the safety conclusions fire, each citing the section that carries it."""

from __future__ import annotations

import pytest
from labtool.interpret import conversation_context, interpret
from labtool.report import Conclusion, LabReport
from labtool.rules import RuleSet


def _codes(report: LabReport) -> list[str]:
    return [conclusion.code for conclusion in report.conclusions]


def _conclusion(report: LabReport, code: str) -> Conclusion:
    (found,) = [conclusion for conclusion in report.conclusions if conclusion.code == code]
    return found


def _conflict_docs(report: LabReport) -> set[str]:
    return {source.doc_id for conflict in report.conflicts for source in conflict.sources}


# --- populations --------------------------------------------------------------------------------


def test_a_childs_b12_is_not_classified_and_the_covered_population_is_named(
    real_rules: RuleSet,
) -> None:
    report = interpret("B12 150 ng/L, 10-year-old boy", real_rules)

    assert report.findings == []
    (error,) = report.errors
    assert error.code == "UNSUPPORTED_POPULATION"
    assert "the rules cover people aged 16 years and over" in error.message
    assert "no rule in this pack classifies Vitamin B12" in error.message
    assert "for a 10-year-old" in error.message


@pytest.mark.parametrize(
    "text",
    ["active B12 20 pmol/L, girl aged 12", "MCV 110 fL, 3 months old", "B12 300 pmol/L, aged 15"],
)
def test_adult_bands_do_not_classify_children(real_rules: RuleSet, text: str) -> None:
    report = interpret(text, real_rules)

    assert report.findings == []
    assert [error.code for error in report.errors] == ["UNSUPPORTED_POPULATION"]
    assert "aged 16 years and over" in report.errors[0].message


def test_a_childs_age_from_an_earlier_turn_counts(real_rules: RuleSet) -> None:
    earlier = conversation_context(["My daughter is 9 years old and tired."], real_rules)

    (error,) = interpret("Her B12 was 150 ng/L.", real_rules, context=earlier).errors

    assert error.code == "UNSUPPORTED_POPULATION"
    assert "9-year-old" in error.message


def test_an_unstated_age_is_assumed_adult_and_said(real_rules: RuleSet) -> None:
    (finding,) = interpret("B12 150 ng/L", real_rules).findings

    assert finding.category == "deficient"
    assert "Age was not mentioned: adult cut-offs were used." in finding.notes


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("B12 150 ng/L, 28 weeks pregnant", "deficient"),
        ("B12 300 ng/L, pregnant woman aged 31", "indeterminate"),
        ("B12 400 ng/L, first trimester", "unlikely"),
    ],
)
def test_total_b12_in_pregnancy_is_classified_with_the_pregnancy_caveat(
    real_rules: RuleSet, text: str, category: str
) -> None:
    report = interpret(text, real_rules)

    (finding,) = report.findings
    assert finding.category == category
    conclusion = _conclusion(report, "total-b12-in-pregnancy")
    assert "active B12" in conclusion.summary
    assert "with care" in conclusion.summary
    (source,) = conclusion.sources
    assert (source.doc_id, source.section) == ("nice-ng239", "Total B12 in pregnancy")


def test_no_pregnancy_caveat_outside_pregnancy(real_rules: RuleSet) -> None:
    for text in ("B12 150 ng/L", "B12 150 ng/L, not pregnant", "active B12 20 pmol/L, pregnant"):
        assert "total-b12-in-pregnancy" not in _codes(interpret(text, real_rules))


@pytest.mark.parametrize(
    ("text", "doc_id"),
    [
        ("B12 190 ng/L", "sfar-srlf-2019"),
        ("MMA 300 nmol/L", "sfar-srlf-2019"),
        ("ferritin 80 µg/L, CRP 20 mg/L", "ecco-2015-anaemia-ibd"),
    ],
)
def test_icu_and_ibd_comparisons_are_not_shown_without_their_attribute(
    real_rules: RuleSet, text: str, doc_id: str
) -> None:
    report = interpret(text, real_rules)

    assert report.errors == []
    assert doc_id not in _conflict_docs(report)
    assert not any("assumed absent" in note for f in report.findings for note in f.notes)


@pytest.mark.parametrize(
    ("text", "doc_id"),
    [
        ("B12 190 ng/L, patient in ICU", "sfar-srlf-2019"),
        ("B12 190 ng/L, critically ill", "sfar-srlf-2019"),
        ("MMA 300 nmol/L, intensive care", "sfar-srlf-2019"),
        ("ferritin 80 µg/L, CRP 20 mg/L, Crohn's disease", "ecco-2015-anaemia-ibd"),
        ("ferritin 80 µg/L, active IBD", "ecco-2015-anaemia-ibd"),
        ("ferritin 80 µg/L, ulcerative colitis flare", "ecco-2015-anaemia-ibd"),
    ],
)
def test_icu_and_ibd_comparisons_are_shown_with_their_attribute(
    real_rules: RuleSet, text: str, doc_id: str
) -> None:
    assert doc_id in _conflict_docs(interpret(text, real_rules))


def test_erythropoietin_is_classified_only_in_myelodysplastic_syndrome(
    real_rules: RuleSet,
) -> None:
    report = interpret("EPO 600 mU/mL", real_rules)
    (error,) = report.errors
    assert error.code == "UNSUPPORTED_POPULATION"
    assert "the rules cover people with lower-risk myelodysplastic syndrome" in error.message
    assert "assumed absent" in error.message

    (finding,) = interpret("EPO 600 mU/mL, lower-risk MDS", real_rules).findings
    assert (finding.category, finding.rule_id) == ("elevated", "epo-mds-response")
    assert "high-risk" not in finding.summary
    assert interpret("EPO 600 mU/mL, high-risk MDS", real_rules).errors[0].code == (
        "UNSUPPORTED_POPULATION"
    )


def test_no_conclusion_about_erythropoietin_rests_on_the_ai_overview(real_rules: RuleSet) -> None:
    cited = {conclusion.source.doc_id for conclusion in real_rules.conclusions}
    bands = {
        band.source.doc_id
        for analyte in real_rules.analytes.values()
        for rule in analyte.rules
        for bands in rule.scales.values()
        for band in bands
    }
    assert "droracle-2025-overview" not in cited | bands


# --- corrections (audit §1-2) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category", "conflicts"),
    [
        ("MMA 350 nmol/L", "not_elevated", {"iom-dri-1998-b12", "hvas-2001-mma"}),
        ("MMA 0.43 µmol/L, 80-year-old", "elevated", {"aarhus-mma-reference-intervals"}),
        ("MMA 0.43 µmol/L, aged 50", "elevated", set()),
    ],
)
def test_the_laboratory_limit_is_the_primary_mma_rule(
    real_rules: RuleSet, text: str, category: str, conflicts: set[str]
) -> None:
    report = interpret(text, real_rules)

    (finding,) = report.findings
    assert (finding.rule_id, finding.category) == ("mma-mayo-labs", category)
    assert _conflict_docs(report) - {"mayo-labs-mma"} == conflicts


def test_a_raised_mma_with_a_normal_b12_is_not_called_deficiency(real_rules: RuleSet) -> None:
    report = interpret("B12 500 ng/L, MMA 450 nmol/L", real_rules)

    conclusion = _conclusion(report, "raised-mma-with-normal-b12")
    assert "not diagnostic of B12 deficiency on its own" in conclusion.summary
    assert conclusion.sources[0].doc_id == "mayo-labs-mma"
    assert "functional-b12-deficiency" not in _codes(report)


def test_active_b12_below_the_grey_zone_is_not_confirmed_by_herrmann_obeid(
    real_rules: RuleSet,
) -> None:
    report = interpret("active B12 20 pmol/L", real_rules)

    (finding,) = report.findings
    assert finding.category == "deficient"  # NICE NG239: below 25 pmol/L
    (conflict,) = report.conflicts
    assert "holotc-herrmann-obeid" not in conflict.summary  # no rule ids in words for people
    assert conflict.source_name in conflict.summary
    herrmann_part = conflict.category_label
    assert f"in '{herrmann_part}'" in conflict.summary
    assert "likely" in herrmann_part
    assert "confirmed" not in herrmann_part.replace("not confirmed", "")


# --- safety conclusions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "folate 2.5 µg/L",
        "folate 2.5 µg/L, B12 250 ng/L",
        "folate 2.5 µg/L, B12 150 ng/L",
        "folate 8 nmol/L, B12 250 ng/L",  # borderline folate
        "folate 2.5 µg/L, B12 500 ng/L, active B12 20 pmol/L",
        "folate 2.5 µg/L, active B12 40 pmol/L",
    ],
)
def test_low_folate_without_b12_ruled_out_warns_to_treat_b12_first(
    real_rules: RuleSet, text: str
) -> None:
    conclusion = _conclusion(interpret(text, real_rules), "treat-b12-before-folic-acid")

    assert "subacute combined degeneration" in conclusion.summary
    assert "before or together with folic acid" in conclusion.summary
    (source,) = conclusion.sources
    assert (source.doc_id, source.section) == (
        "bnf-folic-acid",
        "Treat B12 before or with folic acid",
    )


@pytest.mark.parametrize(
    "text",
    ["folate 2.5 µg/L, B12 500 ng/L", "folate 2.5 µg/L, active B12 90 pmol/L", "folate 12 nmol/L"],
)
def test_no_b12_first_warning_when_b12_is_ruled_out_or_folate_normal(
    real_rules: RuleSet, text: str
) -> None:
    assert "treat-b12-before-folic-acid" not in _codes(interpret(text, real_rules))


def test_raised_mma_with_an_egfr_gives_the_kidney_conclusion(real_rules: RuleSet) -> None:
    report = interpret("MMA 450 nmol/L, eGFR 28", real_rules)

    (finding,) = report.findings
    assert finding.category == "elevated"
    conclusion = _conclusion(report, "raised-mma-kidney-function")
    assert "kidney" in conclusion.summary
    assert conclusion.sources[0].section == "Raised MMA and kidney function"
    assert "raised-mma-kidney-function-not-given" not in _codes(report)


@pytest.mark.parametrize("kidney", ["creatinine 180 µmol/L", "eGFR 75 mL/min/1.73m2"])
def test_any_kidney_result_is_read_with_a_raised_mma(real_rules: RuleSet, kidney: str) -> None:
    codes = _codes(interpret(f"MMA 0.55 µmol/L, {kidney}", real_rules))

    assert "raised-mma-kidney-function" in codes
    assert "raised-mma-kidney-function-not-given" not in codes


def test_raised_mma_without_kidney_function_shows_the_caveat(real_rules: RuleSet) -> None:
    report = interpret("MMA 450 nmol/L", real_rules)

    conclusion = _conclusion(report, "raised-mma-kidney-function-not-given")
    assert "renal insufficiency" in conclusion.summary
    assert "raised-mma-kidney-function" not in _codes(report)
    assert _codes(interpret("MMA 300 nmol/L", real_rules)) == []


def test_macrocytosis_with_low_platelets_is_a_red_flag_for_referral(real_rules: RuleSet) -> None:
    report = interpret("MCV 112 fL, low platelets", real_rules)

    conclusion = _conclusion(report, "macrocytosis-with-cytopenia")
    assert "referral" in conclusion.summary
    assert conclusion.sources[0].doc_id == "bnssg-macrocytosis"
    assert "macrocytosis-red-flag-mcv" in _codes(report)


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("MCV 103 fL, thrombocytopenia", {"macrocytosis-with-cytopenia"}, set()),
        ("MCV 103 fL", set(), {"macrocytosis-with-cytopenia", "macrocytosis-red-flag-mcv"}),
        ("MCV 106 fL", {"macrocytosis-red-flag-mcv"}, set()),
        ("MCV 106 fL, 30 weeks pregnant", {"macrocytosis-in-pregnancy"},
         {"macrocytosis-red-flag-mcv", "macrocytosis-in-pregnancy-above-108"}),
        ("MCV 110 fL, pregnant", {"macrocytosis-in-pregnancy-above-108"},
         {"macrocytosis-in-pregnancy"}),
        ("MCV 104 fL, B12 500 ng/L, folate 12 nmol/L", {"macrocytosis-with-normal-b12-and-folate"},
         set()),
        ("MCV 104 fL, B12 250 ng/L, folate 12 nmol/L", {"macrocytosis-with-low-b12"},
         {"macrocytosis-with-normal-b12-and-folate"}),
    ],
)  # fmt: skip
def test_macrocytosis_red_flags(
    real_rules: RuleSet, text: str, expected: set[str], absent: set[str]
) -> None:
    codes = set(_codes(interpret(text, real_rules)))

    assert expected <= codes
    assert not absent & codes


@pytest.mark.parametrize(
    ("text", "code", "doc_id"),
    [
        ("Hb 75 g/L, man aged 60", "severe-anaemia-urgent", "nhs-lothian-b12-referral"),
        ("Hb 65 g/L, 30 weeks pregnant", "severe-anaemia-urgent", "nhs-lothian-b12-referral"),
        # moderate in pregnancy under WHO, but below the 80 g/L of the referral guidance
        ("Hb 78 g/L, 30 weeks pregnant", "severe-anaemia-urgent", "nhs-lothian-b12-referral"),
        ("B12 120 ng/L, pancytopenia", "pancytopenia-urgent", "pharmacy-notebook-b12-referral"),
        ("MCV 110 fL, pancytopenic", "pancytopenia-urgent", "pharmacy-notebook-b12-referral"),
    ],
)
def test_severe_anaemia_or_pancytopenia_is_urgent(
    real_rules: RuleSet, text: str, code: str, doc_id: str
) -> None:
    conclusion = _conclusion(interpret(text, real_rules), code)

    assert "urgent" in conclusion.summary
    assert conclusion.sources[0].doc_id == doc_id


def test_no_urgency_for_mild_anaemia(real_rules: RuleSet) -> None:
    codes = _codes(interpret("Hb 115 g/L, woman aged 40, not pregnant", real_rules))

    assert not {"severe-anaemia-urgent", "pancytopenia-urgent"} & set(codes)


def test_b12_and_folate_deficiency_together(real_rules: RuleSet) -> None:
    codes = _codes(interpret("B12 120 ng/L, folate 2 µg/L", real_rules))

    assert {"b12-and-folate-deficiency", "treat-b12-before-folic-acid"} <= set(codes)


def test_b12_deficiency_in_pregnancy_needs_urgent_advice(real_rules: RuleSet) -> None:
    report = interpret("active B12 20 pmol/L, 12 weeks pregnant", real_rules)

    assert "b12-deficiency-in-pregnancy" in _codes(report)
    assert "total-b12-in-pregnancy" not in _codes(report)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Hb 95 g/L, child aged 18 months", "anaemia_mild"),
        ("Hb 94.9 g/L, child aged 18 months", "anaemia_moderate"),
        ("Hb 97 g/L, pregnant, second trimester", "anaemia_mild"),
        ("Hb 97 g/L, pregnant, first trimester", "anaemia_moderate"),
    ],
)
def test_who_2024_severity_for_the_groups_with_a_105_cut_off(
    real_rules: RuleSet, text: str, category: str
) -> None:
    (finding,) = interpret(text, real_rules).findings

    assert finding.category == category


def test_microcytosis_with_low_b12_warns_that_iron_deficiency_masks_macrocytosis(
    real_rules: RuleSet,
) -> None:
    conclusion = _conclusion(
        interpret("MCV 76 fL, B12 150 ng/L", real_rules), "microcytosis-with-low-b12"
    )

    assert "mask" in conclusion.summary
    assert conclusion.sources[0].doc_id == "toskes-1976-mixed-haematinic-deficiency"


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("ferritin 60 µg/L, Crohn's disease, CRP 25 mg/L", True),
        ("ferritin 100 µg/L, Crohn's disease, CRP 25 mg/L", True),
        ("ferritin 101 µg/L, Crohn's disease, CRP 25 mg/L", False),
        ("ferritin 25 µg/L, Crohn's disease, CRP 25 mg/L", False),
        ("ferritin 60 µg/L, CRP 25 mg/L", False),  # not IBD: the ECCO band does not apply
        ("ferritin 60 µg/L, Crohn's disease, CRP 2 mg/L", False),  # no inflammation
    ],
)
def test_ferritin_30_to_100_with_inflammation_in_ibd(
    real_rules: RuleSet, text: str, fires: bool
) -> None:
    codes = _codes(interpret(text, real_rules))

    assert ("ferritin-possible-combined-deficiency" in codes) is fires


def test_persistently_high_b12(real_rules: RuleSet) -> None:
    report = interpret("B12 1500 ng/L", real_rules)

    conclusion = _conclusion(report, "persistently-high-b12")
    assert "1000 pg/mL" in conclusion.summary
