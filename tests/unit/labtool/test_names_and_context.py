"""The B12 pack read from its data: aliases, tests it does not cover, the CRP cut-off of the
inflammation attribute, bare values with `assume_analytes`, and a pack without rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from labtool.interpret import interpret
from labtool.parse import parse_message
from labtool.report import LabReport
from labtool.rules import RulesError, RuleSet, empty_ruleset, load_rules

from .conftest import REAL_CORPUS, REAL_RULES


def _found(report: LabReport) -> list[tuple[str, str]]:
    return [(finding.analyte, finding.category) for finding in report.findings]


@pytest.mark.parametrize(
    ("text", "analyte"),
    [
        ("vitamin B-12 200 ng/L", "b12"),
        ("vit. B12 200 ng/L", "b12"),
        ("VIT B12 200 ng/L", "b12"),
        ("vitB12 200 ng/L", "b12"),
        ("B 12 200 ng/L", "b12"),
        ("holo-TC 40 pmol/L", "holotc"),
        ("HOLOTC 40 pmol/L", "holotc"),
        ("holo transcobalamin 40 pmol/L", "holotc"),
        ("active B12 40 pmol/L", "holotc"),  # the longer alias wins over "B12"
        ("active vit. B-12 40 pmol/L", "holotc"),
        ("methyl malonic acid 300 nmol/L", "mma"),
        ("mean corpuscular volume 90 fL", "mcv"),
        ("Hgb 130 g/L, man aged 40", "hb"),
    ],
)
def test_aliases_tolerate_spaces_hyphens_and_dots(
    real_rules: RuleSet, text: str, analyte: str
) -> None:
    assert [finding.analyte for finding in interpret(text, real_rules).findings] == [analyte]


def test_every_alias_of_the_rules_file_is_read(real_rules: RuleSet) -> None:
    for entry in real_rules.aliases():
        for alias in entry.aliases:
            (value,) = parse_message(f"{alias} 12", real_rules).values or [None]
            if entry.context:
                assert value is None, alias
            else:
                assert value is not None, alias
                assert value.analyte == entry.key, alias


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("TSH 8 mU/L", "TSH"),
        ("vitamin D 40 nmol/L", "vitamin D"),
        ("potassium 4.8 mmol/L", "potassium"),
        ("free T4 was 15 pmol/L", "free T4"),
        ("B12 240 ng/L and TSH 8 mU/L", "TSH"),
        ("red cell folate 850 nmol/L", "red cell folate"),  # not_covered: never read as folate
        ("RBC folate 850 nmol/L", "red cell folate"),
    ],
)
def test_a_test_without_rules_is_named_in_the_error(
    real_rules: RuleSet, text: str, name: str
) -> None:
    report = interpret(text, real_rules)

    (error,) = report.errors
    assert error.code == "UNSUPPORTED_ANALYTE"
    assert f"there are no rules for {name} in this pack (covered: Vitamin B12" in error.message
    assert text.endswith(error.input)
    assert error.message.startswith(f"'{error.input}': ")


@pytest.mark.parametrize(
    "text",
    ["Her result was 175 ng/L.", "It's 175 ng/L", "Repeat 180 ng/L", "the latest is 175 ng/L"],
)
def test_ordinary_words_before_a_bare_value_are_not_a_test_name(
    real_rules: RuleSet, text: str
) -> None:
    (error,) = interpret(text, real_rules).errors

    assert error.code == "NO_ANALYTE"
    assert error.input == text[text.index("1") :].rstrip(".")
    assert "write the test, e.g. 'B12 " in error.message


def test_the_no_analyte_example_names_a_test_that_takes_the_unit(real_rules: RuleSet) -> None:
    (error,) = interpret("result: 0.3 µmol/L", real_rules).errors

    assert error.message == (
        "'0.3 µmol/L' has a lab unit but no test name before it; write the test, "
        "e.g. 'MMA 0.3 µmol/L'."
    )


def test_context_analytes_are_read_but_never_reported(real_rules: RuleSet) -> None:
    report = interpret("ferritin 60 µg/L, adult, CRP 25 mg/L, eGFR 45 mL/min/1.73m2", real_rules)

    assert _found(report) == [("ferritin", "iron_deficient")]
    assert report.errors == []


# --- the inflammation cut-off lives in the rules file ---------------------------------------


def test_the_crp_cut_off_comes_from_the_rules_file(tmp_path: Path) -> None:
    text = REAL_RULES.read_text(encoding="utf-8")
    assert "true_when: {more_than: 5}" in text
    local = tmp_path / "rules.yaml"
    local.write_text(text.replace("true_when: {more_than: 5}", "true_when: {more_than: 10}"))
    moved = load_rules(local, corpus_dir=REAL_CORPUS)
    real = load_rules(REAL_RULES, corpus_dir=REAL_CORPUS)
    message = "ferritin 60 µg/L, adult, CRP 8 mg/L"

    assert _found(interpret(message, real)) == [("ferritin", "iron_deficient")]  # inflamed: <70
    assert _found(interpret(message, moved)) == [("ferritin", "not_iron_deficient")]  # >=15


@pytest.mark.parametrize(
    ("text", "inflamed"),
    [
        ("CRP 5 mg/L", False),
        ("CRP 5.1 mg/L", True),
        ("CRP 0.6 mg/dL", True),  # 6 mg/L
        ("CRP <5", False),
        ("CRP >5", True),
        ("CRP >=5", None),
        ("CRP <10", None),
        ("CRP 20 g/L", None),  # not a CRP unit: the result cannot tell
        ("CRP 2 mg/L, flare", False),  # the result decides over the words
        ("CRP <10, flare", True),  # an undecided result leaves it to the words
        ("not inflamed", False),
        ("no active IBD", False),
    ],
)
def test_a_result_decides_the_attribute_in_the_canonical_unit(
    real_rules: RuleSet, text: str, inflamed: bool | None
) -> None:
    assert parse_message(text, real_rules).context.attribute("inflammation") == inflamed


# --- assume_analytes -----------------------------------------------------------------------


def test_a_bare_value_is_read_as_the_one_assumed_test_that_takes_its_unit(
    real_rules: RuleSet,
) -> None:
    report = interpret("Her result was 175 ng/L.", real_rules, assume_analytes=("b12", "mma"))

    assert _found(report) == [("b12", "deficient")]
    assert report.findings[0].summary.startswith("Vitamin B12 (total serum cobalamin) 175 ng/L")


def test_two_assumed_tests_that_take_the_unit_are_ambiguous(real_rules: RuleSet) -> None:
    report = interpret("It came back at 40 pmol/L", real_rules, assume_analytes=("b12", "holotc"))

    assert report.findings == []
    (error,) = report.errors
    assert error.code == "AMBIGUOUS_ANALYTE"
    assert "Vitamin B12 (total serum cobalamin) or Active B12 (holotranscobalamin)" in (
        error.message
    )


def test_assumed_tests_never_override_a_written_name(real_rules: RuleSet) -> None:
    named = interpret("MMA 450 nmol/L and TSH 8 mU/L", real_rules, assume_analytes=("b12",))
    no_fit = interpret("175 fL", real_rules, assume_analytes=("b12",))

    assert _found(named) == [("mma", "elevated")]
    assert [e.code for e in named.errors] == ["UNSUPPORTED_ANALYTE"]
    assert [e.code for e in no_fit.errors] == ["NO_ANALYTE"]


# --- a pack without rules ------------------------------------------------------------------


def test_an_empty_rule_set_answers_every_value_with_no_rules() -> None:
    empty = empty_ruleset()
    report = interpret("B12 240 ng/L, 175 pmol/L; Hb 12 g/dL, pregnant. B12 240", empty)

    assert report.findings == []
    assert report.conclusions == []
    assert [e.code for e in report.errors] == ["UNSUPPORTED_ANALYTE"] * 3
    assert report.errors[0].message == (
        "'B12 240 ng/L': there are no rules for B12 in this pack (the pack has no rules "
        "file), so it was not interpreted."
    )
    assert "no rules for this test in this pack" in report.errors[1].message
    assert RuleSet.empty().aliases() == ()
    assert empty.attribute_words() == ()


def test_a_pack_without_rules_says_so_before_anything_else() -> None:
    (error,) = interpret("B12 1,200 ng/L", RuleSet.empty()).errors

    assert error.code == "UNSUPPORTED_ANALYTE"
    assert "no rules for B12 in this pack" in error.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("B12 250 nmol/min", "UNSUPPORTED_UNIT"),  # shaped like a lab unit, but not one
        ("B12 250 pmol/mL", "UNSUPPORTED_UNIT"),
        ("B12 500 mcg/day", None),  # a dose
        ("B12 1000 IU/day", None),
        ("CRP 5 nmol/min", None),  # a context result in a foreign unit tells nothing
    ],
)
def test_an_unknown_unit_token_after_a_test_is_named(
    real_rules: RuleSet, text: str, code: str | None
) -> None:
    report = interpret(text, real_rules)

    assert report.findings == []
    assert [e.code for e in report.errors] == ([code] if code else [])
    if code:
        unit = text.split()[-1]
        assert f"{unit} is not a unit for Vitamin B12" in report.errors[0].message


def test_a_version_1_file_says_what_to_add(tmp_path: Path) -> None:
    old = tmp_path / "rules.yaml"
    old.write_text(
        REAL_RULES.read_text(encoding="utf-8").replace("version: 2", "version: 1"), "utf-8"
    )

    with pytest.raises(RulesError) as caught:
        load_rules(old, corpus_dir=REAL_CORPUS)

    message = str(caught.value)
    assert message.startswith(f"{old}: rules file version 1 is no longer read")
    for wanted in ("'version: 2'", "'aliases:'", "'attributes:'", "docs/rules-format.md"):
        assert wanted in message
