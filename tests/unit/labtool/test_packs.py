"""A pack the Python code has never heard of: names, units, attributes and conclusions all
come from its rules file (tests/unit/labtool/packs.py)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from labtool.interpret import interpret
from labtool.report import LabReport
from labtool.rules import RuleSet, load_rules
from labtool.units import convert

from .packs import DOCS, lab_rules


@pytest.fixture
def lab_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "lab-corpus"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def lab(write_rules: Callable[[dict[str, Any]], Path], lab_corpus: Path) -> RuleSet:
    return load_rules(write_rules(lab_rules()), corpus_dir=lab_corpus)


def _found(report: LabReport) -> list[tuple[str, str]]:
    return [(finding.analyte, finding.category) for finding in report.findings]


def _codes(report: LabReport) -> list[str]:
    return [error.code for error in report.errors]


# --- names from data -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("free T4 0.7 ng/dL", "low"),  # 0.7 ng/dL = 9.0097 pmol/L
        ("FT4 15 pmol/L", "normal"),
        ("fT4 of 25 pmol/L", "high"),
        ("Free-T4: 23 pmol/L", "high"),
        ("free thyroxine 1.2 ng/dL", "normal"),  # 15.445 pmol/L
    ],
)
def test_a_new_analyte_is_read_by_its_aliases(lab: RuleSet, text: str, category: str) -> None:
    report = interpret(text, lab)

    assert _found(report) == [("ft4", category)]
    (finding,) = report.findings
    assert finding.analyte_name == "Free thyroxine (FT4)"
    assert finding.category_label == lab.analytes["ft4"].category_label(category)


def test_a_converted_new_unit_is_exact(lab: RuleSet) -> None:
    (finding,) = interpret("free T4 0.7 ng/dL", lab).findings

    assert finding.unit == "ng/dL"
    assert finding.canonical_value == pytest.approx(9.0097)
    assert finding.converted["pmol/L"] == pytest.approx(9.0097)
    assert "(= 9.0 pmol/L)" in finding.summary  # written with 1 figure: shown with 2


def test_an_alias_may_start_with_a_digit(
    write_rules: Callable[[dict[str, Any]], Path], lab_corpus: Path
) -> None:
    data = lab_rules()
    data["analytes"]["potassium"]["aliases"].append("2-hour potassium")
    rules = load_rules(write_rules(data), corpus_dir=lab_corpus)

    for text in ("2-hour potassium 6.5 mmol/L", "2 hour potassium: 6.5 mmol/L"):
        report = interpret(text, rules)
        assert _found(report) == [("potassium", "high")], text
        assert report.findings[0].value == 6.5


def test_aliases_and_attribute_words_are_offered_to_the_assistant(lab: RuleSet) -> None:
    names = {entry.key: entry for entry in lab.aliases()}

    assert names["ft4"].name == "Free thyroxine (FT4)"
    assert names["ft4"].aliases == ("ft4", "FT4", "free T4", "fT4", "free thyroxine")
    assert names["egfr"].context
    assert not names["ft4"].context
    assert lab.attribute_words() == ("diabetes", "diabetic", "T2DM", "non-diabetic")


# --- % and mmHg ------------------------------------------------------------------------------


def test_a_percent_after_a_test_that_accepts_it_is_a_result(lab: RuleSet) -> None:
    assert _found(interpret("TSAT 15%", lab)) == [("tsat", "low")]
    assert _found(interpret("transferrin saturation was 25 %", lab)) == [("tsat", "not_low")]


@pytest.mark.parametrize(
    "text", ["The test has 97% sensitivity", "97% sensitivity for TSAT", "FT4 12%"]
)
def test_a_percent_elsewhere_is_not_a_lab_value(lab: RuleSet, text: str) -> None:
    assert interpret(text, lab).empty


def test_a_paired_reading_gives_two_findings(lab: RuleSet) -> None:
    report = interpret("BP 150/95 mmHg, diabetic", lab)

    assert _found(report) == [("systolic_bp", "high"), ("diastolic_bp", "high")]
    assert [f.value for f in report.findings] == [150, 95]
    assert {f.unit for f in report.findings} == {"mmHg"}
    assert report.errors == []


def test_a_paired_reading_in_another_unit_and_without_a_unit(lab: RuleSet) -> None:
    in_kpa = interpret("blood pressure 20/12 kPa, non-diabetic", lab)
    bare = interpret("BP 120/80, non-diabetic", lab)

    assert _found(in_kpa) == [("systolic_bp", "high"), ("diastolic_bp", "high")]  # 150/90 mmHg
    assert _found(bare) == [("systolic_bp", "not_high"), ("diastolic_bp", "not_high")]


def test_one_number_for_a_paired_reading_is_ambiguous(lab: RuleSet) -> None:
    (error,) = interpret("BP 150 mmHg", lab).errors

    assert error.code == "AMBIGUOUS_ANALYTE"
    assert "Systolic blood pressure or Diastolic blood pressure" in error.message


# --- affine units ----------------------------------------------------------------------------


def test_the_affine_percent_conversion_is_exact(lab: RuleSet) -> None:
    rules = lab.analytes["hba1c"].unit_rules

    assert convert(Decimal(48), "mmol/mol", "%", rules) == Decimal("6.54304")
    assert convert(Decimal("6.54304"), "%", "mmol/mol", rules) == Decimal(48)
    assert convert(Decimal("6.5"), "%", "mmol/mol", rules).quantize(Decimal("0.0001")) == Decimal(
        "47.5295"
    )


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("HbA1c 48 mmol/mol", "diabetes"),
        ("HbA1c 47.9 mmol/mol", "below"),
        ("HbA1c 6.5%", "diabetes"),
        ("A1c 6.49 %", "below"),
        ("HbA1c 6.6%", "diabetes"),
    ],
)
def test_affine_boundaries_are_exact_in_each_published_unit(
    lab: RuleSet, text: str, category: str
) -> None:
    report = interpret(text, lab)

    assert report.errors == []
    assert _found(report) == [("hba1c", category)]


def test_a_percent_result_shows_its_mmol_per_mol_value_and_the_rounding_trap(lab: RuleSet) -> None:
    (finding,) = interpret("HbA1c 6.5%", lab).findings

    assert finding.converted == {"mmol/mol": pytest.approx(47.5295, abs=1e-4), "%": 6.5}
    assert finding.converted_text == {"mmol/mol": "48", "%": "6.5"}
    assert finding.canonical_value == pytest.approx(47.5295, abs=1e-4)
    assert any(n.startswith("On the mmol/mol scale") for n in finding.notes)


# --- declared attributes ---------------------------------------------------------------------


def test_a_boolean_attribute_from_words_selects_the_rule(lab: RuleSet) -> None:
    diabetic = interpret("systolic 135 mmHg, T2DM", lab)
    not_diabetic = interpret("systolic 135 mmHg, non-diabetic", lab)
    negated = interpret("systolic 135 mmHg, no diabetes", lab)

    assert [f.rule_id for f in diabetic.findings] == ["sbp-diabetes"]
    assert _found(diabetic) == [("systolic_bp", "high")]
    assert _found(not_diabetic) == [("systolic_bp", "not_high")]
    assert _found(negated) == [("systolic_bp", "not_high")]


def test_an_unstated_boolean_attribute_is_varied(lab: RuleSet) -> None:
    unsure = interpret("systolic 135 mmHg", lab)
    agreed = interpret("systolic 150 mmHg", lab)

    (error,) = unsure.errors
    assert error.code == "MISSING_CONTEXT"
    assert "whether the patient has diabetes" in error.message
    assert "no diabetes: Not high" in error.message
    (finding,) = agreed.findings
    assert finding.category == "high"
    assert any("does not state whether the patient has diabetes" in n for n in finding.notes)


@pytest.mark.parametrize(
    ("text", "category", "rule_id"),
    [
        ("potassium 5.8 mmol/L, eGFR 25 mL/min/1.73m2", "not_high", "k-low-egfr"),
        ("potassium 5.8 mmol/L, eGFR 60 mL/min/1.73 m2", "high", "k-normal-kidneys"),
        ("potassium 5.8 mmol/L, eGFR 30", "high", "k-normal-kidneys"),
        ("potassium 6.5 mmol/L", "high", None),  # every eGFR agrees
        ("potassium 4.0 mmol/L", "not_high", None),
    ],
)
def test_a_number_attribute_from_a_context_result_selects_the_rule(
    lab: RuleSet, text: str, category: str, rule_id: str | None
) -> None:
    report = interpret(text, lab)

    assert report.errors == []
    (finding,) = report.findings  # eGFR is context only: never a finding
    assert finding.category == category
    if rule_id is not None:
        assert finding.rule_id == rule_id


def test_an_unstated_number_attribute_is_asked_for_at_its_boundaries(lab: RuleSet) -> None:
    (error,) = interpret("potassium 5.8 mmol/L", lab).errors

    assert error.code == "MISSING_CONTEXT"
    assert "the eGFR" in error.message
    assert "eGFR 15: Not high" in error.message
    assert "eGFR 30: High" in error.message


def test_an_assumed_attribute_uses_its_value_and_note(
    lab: RuleSet, write_rules: Callable[[dict[str, Any]], Path], lab_corpus: Path
) -> None:
    data = lab_rules()
    data["attributes"]["diabetes"].update(
        when_unstated="assume", assumed=False, note="Diabetes was not mentioned: assumed absent."
    )
    assuming = load_rules(write_rules(data), corpus_dir=lab_corpus)

    (finding,) = interpret("systolic 135 mmHg", assuming).findings
    assert (finding.category, finding.rule_id) == ("not_high", "sbp-general")
    assert "Diabetes was not mentioned: assumed absent." in finding.notes


# --- conclusions -----------------------------------------------------------------------------


def test_not_measured_and_unless_in_conclusions(lab: RuleSet) -> None:
    def fired(text: str) -> bool:
        codes = [c.code for c in interpret(text, lab).conclusions]
        return "high-bp-check-potassium" in codes

    assert fired("BP 150/95 mmHg")
    assert not fired("BP 150/95 mmHg, potassium 4.1 mmol/L")  # potassium measured
    assert not fired("BP 150/85 mmHg")  # unless: diastolic not high


_LAB_PIECES = st.sampled_from(
    [
        "BP", "blood pressure", "systolic", "FT4", "free T4", "TSAT", "HbA1c", "A1c",
        "potassium", "eGFR", "diabetic", "no diabetes", "TSH", "vitamin D", " ", ", ", ": ",
        "/", "<", ">", "-", "0", "6.5", "48", "150", "95", "1,200", "0,7", "%", " %", "mmHg",
        "kPa", "mmol/mol", "pmol/L", "ng/dL", "mmol/L", "mL/min/1.73m2", "x10^9/L", "nmol/min",
        "sensitivity", "and", "\n", ";",
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def lab_once(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    path = tmp_path_factory.mktemp("lab") / "rules.yaml"
    path.write_text(yaml.safe_dump(lab_rules(), allow_unicode=True), encoding="utf-8")
    return load_rules(path)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(_LAB_PIECES, max_size=25).map("".join))
def test_the_made_up_pack_never_fails_on_lab_like_text(lab_once: RuleSet, text: str) -> None:
    rules = lab_once
    report = interpret(text, rules)

    assert [e for e in report.errors if e.code == "INTERNAL_ERROR"] == []
    for finding in report.findings:
        assert finding.category in rules.analytes[finding.analyte].category_ids
