"""interpret(): bad input as data, assumptions stated, conclusions, order, contract."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from labtool.interpret import interpret
from labtool.report import LabReport
from labtool.rules import RuleSet


def _codes(report: LabReport) -> list[str]:
    return [error.code for error in report.errors]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("B12 -5 ng/L", "NEGATIVE_VALUE"),
        ("ferritin −3 µg/L", "NEGATIVE_VALUE"),
        ("B12 0 ng/L", "ZERO_VALUE"),
        ("B12 0.0 pmol/L", "ZERO_VALUE"),
        ("B12 200001 ng/L", "IMPLAUSIBLE_VALUE"),
        ("Hb 300 g/L, man", "IMPLAUSIBLE_VALUE"),
        ("MCV 30 fL", "IMPLAUSIBLE_VALUE"),
        ("B12 250 mg/dL", "UNSUPPORTED_UNIT"),
        ("holoTC 50 ng/L", "UNSUPPORTED_UNIT"),
        ("ferritin 20 nmol/L", "UNSUPPORTED_UNIT"),
        ("MCV 90 g/L", "UNSUPPORTED_UNIT"),
        ("B12 150", "MISSING_UNIT"),
        ("Hb 125 g/L", "MISSING_CONTEXT"),
        ("ferritin 60 µg/L", "MISSING_CONTEXT"),
        ("Hb 107 g/L, pregnant", "MISSING_CONTEXT"),
        ("240 ng/L", "NO_ANALYTE"),
        ("result: 0.3 µmol/L", "NO_ANALYTE"),
        ("B12 <300 ng/L", "CENSORED_AMBIGUOUS"),
        ("B12 >=180 ng/L", "CENSORED_AMBIGUOUS"),
        ("B12 1,200 ng/L after 2,5 mg", "AMBIGUOUS_NUMBER"),  # a writer of decimal commas
        ("homocysteine 16 µmol/L", "UNSUPPORTED_ANALYTE"),
        ("red cell folate 850 nmol/L", "UNSUPPORTED_ANALYTE"),
        ("Hb 100 g/L, 3 months old", "UNSUPPORTED_POPULATION"),
    ],
)
def test_bad_input_is_an_error_with_a_code_and_no_finding(
    real_rules: RuleSet, text: str, code: str
) -> None:
    report = interpret(text, real_rules)

    assert report.findings == []
    assert _codes(report) == [code]
    (error,) = report.errors
    assert error.input
    assert error.message


@pytest.mark.parametrize(
    "text",
    [
        "for 3 months",
        "1 mg daily",
        "in 2024",
        "28 weeks pregnant",
        "B12 injections every 3 months since 2019",
        "What does an indeterminate B12 result mean?",
    ],
)
def test_numbers_that_are_not_lab_values_give_nothing(real_rules: RuleSet, text: str) -> None:
    report = interpret(text, real_rules)

    assert report.empty
    assert report.conclusions == []


def test_missing_unit_is_classified_when_every_unit_agrees(real_rules: RuleSet) -> None:
    report = interpret("B12 500", real_rules)

    (finding,) = report.findings
    assert finding.category == "unlikely"
    assert finding.unit == "ng/L"
    assert any("same in every plausible unit" in note for note in finding.notes)


def test_missing_unit_with_a_single_accepted_unit_assumes_it(real_rules: RuleSet) -> None:
    (finding,) = interpret("holoTC 22", real_rules).findings

    assert (finding.unit, finding.category) == ("pmol/L", "deficient")
    assert any("pmol/L assumed" in note for note in finding.notes)


def test_missing_unit_ignores_units_that_would_be_impossible(real_rules: RuleSet) -> None:
    # 125 g/dL or 125 mmol/L would be over 250 g/L: only g/L is possible.
    (finding,) = interpret("Hb 125, man aged 40", real_rules).findings

    assert (finding.unit, finding.category) == ("g/L", "anaemia_mild")
    assert any("impossible in g/dL, mmol/L" in note for note in finding.notes)


def test_missing_unit_is_asked_when_plausible_units_disagree(real_rules: RuleSet) -> None:
    report = interpret("Hb 7.5, man aged 40", real_rules)  # 75 g/L (g/dL) vs 121 g/L (mmol/L)

    assert _codes(report) == ["MISSING_UNIT"]


def test_sex_is_not_needed_when_both_sexes_give_the_same_category(real_rules: RuleSet) -> None:
    (finding,) = interpret("Hb 90 g/L, aged 40", real_rules).findings

    assert finding.category == "anaemia_moderate"
    assert any("patient's sex" in note for note in finding.notes)


def test_pregnancy_not_mentioned_is_assumed_absent_and_said(real_rules: RuleSet) -> None:
    (finding,) = interpret("Hb 119 g/L, woman aged 30", real_rules).findings

    assert finding.rule_id == "hb-who-2024-women"
    assert any("Pregnancy was not mentioned" in note for note in finding.notes)


def test_age_not_mentioned_uses_adult_rules_and_says_so(real_rules: RuleSet) -> None:
    (finding,) = interpret("Hb 119 g/L, woman", real_rules).findings

    assert finding.rule_id == "hb-who-2024-women"
    assert any("Age was not mentioned" in note for note in finding.notes)


def test_missing_context_message_names_what_to_ask(real_rules: RuleSet) -> None:
    (error,) = interpret("ferritin 60 µg/L", real_rules).errors

    assert "inflammation" in error.message
    assert "CRP" in error.message


def test_several_values_keep_text_order_and_errors_do_not_hide_findings(
    real_rules: RuleSet,
) -> None:
    report = interpret("MCV 101 fL, B12 -5 ng/L, folate 6.5 nmol/L, 240 ng/L", real_rules)

    assert [f.analyte for f in report.findings] == ["mcv", "folate"]
    assert _codes(report) == ["NEGATIVE_VALUE", "NO_ANALYTE"]
    assert "macrocytosis-with-low-folate" in [c.code for c in report.conclusions]


def test_unless_present_blocks_a_conclusion(real_rules: RuleSet) -> None:
    alone = interpret("B12 240 ng/L", real_rules)
    with_holotc = interpret("B12 240 ng/L, holoTC 50 pmol/L", real_rules)

    assert "confirmatory-test-needed" in [c.code for c in alone.conclusions]
    assert "confirmatory-test-needed" not in [c.code for c in with_holotc.conclusions]


def test_conclusions_follow_the_rules_file_order(real_rules: RuleSet) -> None:
    report = interpret("B12 100 ng/L, folate 5 nmol/L, ferritin 10 µg/L, CRP 1", real_rules)
    order = [conclusion.id for conclusion in real_rules.conclusions]

    codes = [c.code for c in report.conclusions]
    assert codes == sorted(codes, key=order.index)
    assert {"treat-b12-before-folic-acid", "b12-and-iron-deficiency"} <= set(codes)


def test_sources_carry_document_titles_from_the_corpus(real_rules: RuleSet) -> None:
    report = interpret("B12 240 ng/L", real_rules)

    for source in report.findings[0].sources + report.conclusions[0].sources:
        assert source.title == real_rules.doc_titles[source.doc_id]
        assert source.title != source.doc_id


def test_finding_shows_the_value_in_every_unit_and_the_band_wording(real_rules: RuleSet) -> None:
    (finding,) = interpret("B12 240 ng/L", real_rules).findings

    assert set(finding.converted) == {"ng/L", "pg/mL", "pmol/L"}
    assert "240 ng/L" in finding.summary
    assert "177 pmol/L" in finding.summary  # 177.066: no more figures than written
    assert "177.0" not in finding.summary
    assert "180 ng/L to 350 ng/L inclusive" in finding.summary
    assert finding.thresholds == [
        "B12 deficiency confirmed: below 180 ng/L",
        "Indeterminate: B12 deficiency possible: 180 ng/L to 350 ng/L inclusive",
        "B12 deficiency unlikely: above 350 ng/L",
    ]


def test_report_json_is_exactly_the_contract(real_rules: RuleSet) -> None:
    data = interpret("B12 180 ng/L, B12 150", real_rules).model_dump(mode="json")

    assert set(data) == {"findings", "conclusions", "conflicts", "errors", "notices"}
    finding_keys = {
        "analyte", "value", "unit", "canonical_value", "canonical_unit", "category",
        "summary", "near_threshold", "sources",
    }  # fmt: skip
    assert finding_keys <= set(data["findings"][0])
    assert set(data["findings"][0]["sources"][0]) == {"doc_id", "title", "section"}
    assert set(data["conflicts"][0]) == {
        "analyte", "summary", "sources", "category_label", "categories", "band", "source_name",
        "population", "value", "unit", "value_text",
    }  # fmt: skip
    assert set(data["conclusions"][0]) == {"code", "summary", "sources"}
    assert set(data["errors"][0]) == {"input", "code", "message"}


def test_same_text_gives_the_same_report(real_rules: RuleSet) -> None:
    text = "Hb 90 g/L, ferritin 14 µg/L, CRP 2, B12 180 ng/L, MMA 300 nmol/L"
    assert interpret(text, real_rules) == interpret(text, real_rules)


def test_mini_rules_population_selection(mini_ruleset: RuleSet) -> None:
    """The same logic on a hand-written file: female / male / pregnant cut-offs."""
    assert [f.category for f in interpret("Hb 115 g/L, woman", mini_ruleset).findings] == [
        "anaemia"
    ]
    assert [f.category for f in interpret("Hb 115 g/L, pregnant", mini_ruleset).findings] == [
        "no_anaemia"
    ]
    assert _codes(interpret("Hb 125 g/L", mini_ruleset)) == ["MISSING_CONTEXT"]
    (finding,) = interpret("Hb 100 g/L", mini_ruleset).findings  # anaemia for either sex
    assert finding.category == "anaemia"


def test_mini_rules_conflict_and_near_threshold_source(mini_ruleset: RuleSet) -> None:
    report = interpret("B12 140 pmol/L", mini_ruleset)

    (finding,) = report.findings
    assert finding.category == "indeterminate"
    assert finding.near_threshold
    assert ("doc-b", "Assay bias") in {(s.doc_id, s.section) for s in finding.sources}
    (conflict,) = report.conflicts
    assert {s.doc_id for s in conflict.sources} == {"doc-a", "doc-b"}
    assert "150 pmol/L" in conflict.summary


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_interpret_never_raises_on_arbitrary_text(real_rules: RuleSet, text: str) -> None:
    report = interpret(text, real_rules)
    assert all(error.code != "INTERNAL_ERROR" for error in report.errors)


_LAB_TEXT = st.lists(
    st.sampled_from(
        [
            "B12",
            "holoTC",
            "MMA",
            "EPO",
            "folate",
            "ferritin",
            "Hb",
            "MCV",
            "CRP",
            " ",
            ", ",
            "<",
            ">",
            "-",
            "0",
            "5",
            "12",
            "133",
            "258.2",
            "1,200",
            "0,28",
            "99999999",
            "ng/L",
            "pmol/L",
            "µmol/L",
            "g/dL",
            "mmol/L",
            "fL",
            "mg/dL",
            "IU/L",
            "woman",
            "man",
            "pregnant",
            "T2",
            "aged 3",
            "18 months",
            "flare",
            "\n",
        ]
    ),
    max_size=25,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_LAB_TEXT)
def test_interpret_never_raises_on_lab_like_text(real_rules: RuleSet, text: str) -> None:
    report = interpret(text, real_rules)
    assert all(error.code != "INTERNAL_ERROR" for error in report.errors)
    for finding in report.findings:
        assert finding.category in real_rules.analytes[finding.analyte].category_ids
        assert finding.sources
