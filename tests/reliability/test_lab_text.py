"""Lab text read as a clinician writes it and as the chat shows it (issue 15, items 1-3 and 13).

Each test is one defect the probe found: a quoted cut-off read as the patient's result, a
number split by a space or an invisible character classified by its first fragment, digits
the screen shows in another order, other digit scripts and exponents dropped or classified,
an unknown unit ignored, a name without a number ignored, "± 10" read as a second value, two
values of one test both feeding a conclusion, a pasted value repeated into hundreds of
findings, and `assistant labs` acting on a sentence that tries to change the cut-offs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtool.interpret import interpret
from labtool.report import Finding, LabReport
from labtool.rules import RuleSet, load_rules
from typer.testing import CliRunner

from assistant.app.cli import app
from assistant.config import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus" / "b12"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(CORPUS / "rules.yaml", corpus_dir=CORPUS)


def codes(report: LabReport) -> list[str]:
    return [error.code for error in report.errors]


def only(report: LabReport) -> Finding:
    (finding,) = report.findings
    return finding


# --- numbers as written ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("B12 1 200 ng/L", 1200),
        ("B12 1\u00a0200 ng/L", 1200),  # no-break space
        ("B12 1\u202f200 ng/L", 1200),  # narrow no-break space
        ("B12 1\u2009200 ng/L", 1200),  # thin space
        ("B12 1,200 ng/L", 1200),  # an English thousands comma
        ("Ferritin 1 000 ug/L", 1000),
        ("B12 1 200", 1200),  # the end of the message ends the number too
    ],
)
def test_a_number_with_thousands_separators_is_read_whole(
    rules: RuleSet, text: str, value: int
) -> None:
    report = interpret(text, rules)

    assert [f.value for f in report.findings] == [value] or codes(report) == ["MISSING_UNIT"]
    assert "NO_ANALYTE" not in codes(report)  # the second fragment is not a value of its own
    assert all(f.value != 1 for f in report.findings)


def test_a_number_split_by_a_space_before_other_words_is_asked_about(rules: RuleSet) -> None:
    report = interpret("B12 1 200 and folate 12 nmol/L", rules)

    assert [f.analyte for f in report.findings] == ["folate"]
    (error,) = report.errors
    assert error.code == "AMBIGUOUS_NUMBER"
    assert "1200" in error.message


def test_a_thousands_comma_from_a_writer_of_decimal_commas_is_asked_about(
    rules: RuleSet,
) -> None:
    report = interpret("folate 12,5 nmol/L, B12 1,200 ng/L", rules)

    assert [f.value for f in report.findings] == [12.5]
    assert codes(report) == ["AMBIGUOUS_NUMBER"]


@pytest.mark.parametrize("hidden", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_an_invisible_character_inside_a_number_is_ignored_and_said(
    rules: RuleSet, hidden: str
) -> None:
    finding = only(interpret(f"B12 2{hidden}40 ng/L", rules))

    assert finding.value == 240  # as the chat shows it, not 2
    assert any("Invisible characters" in note for note in finding.notes)


@pytest.mark.parametrize(
    "text",
    [
        "B12 \u202e042\u202c ng/L",  # right-to-left override: shown as "240"
        "B12 \u202d240\u202c ng/L",  # left-to-right override
        "B12 \u2067240\u2069 ng/L",  # right-to-left isolate
        "B12 2\u200f40 ng/L",  # right-to-left mark between digits
        "\u202bB12 240 ng/L",  # an embedding opened before the name
    ],
)
def test_direction_controls_before_a_value_make_it_an_error(rules: RuleSet, text: str) -> None:
    report = interpret(text, rules)

    assert report.findings == []
    assert codes(report) == ["DIRECTION_CONTROL"]


def test_a_direction_control_on_another_line_leaves_a_value_alone(rules: RuleSet) -> None:
    report = interpret("\u202eسلام\u202c\nB12 240 ng/L", rules)

    assert [f.value for f in report.findings] == [240]


@pytest.mark.parametrize(
    "digits",
    ["٢٤٠", "۲۴۰", "２４０", "२४०"],  # Arabic-Indic, extended Arabic-Indic, full-width, Devanagari
)
def test_digits_of_other_scripts_are_read_and_said(rules: RuleSet, digits: str) -> None:
    finding = only(interpret(f"B12 {digits} ng/L", rules))

    assert finding.value == 240
    assert any(digits in note and "another script" in note for note in finding.notes)


def test_a_control_character_in_a_value_makes_it_an_error(rules: RuleSet) -> None:
    report = interpret("B12 2\x0040 ng/L", rules)

    assert report.findings == []
    assert codes(report) == ["CONTROL_CHARACTER"]


@pytest.mark.parametrize(
    "text",
    ["B12 1e308 ng/L", "B12 1e-13 ng/L", "B12 2.4E2 ng/L", "B12 0.0000000000001 ng/L"],
)
def test_numbers_no_laboratory_writes_are_errors(rules: RuleSet, text: str) -> None:
    report = interpret(text, rules)

    assert report.findings == []
    assert codes(report) == ["UNREADABLE_NUMBER"]


# --- units and missing numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word"), [("MMA 300 furlongs", "furlongs"), ("B12 240ng", "ng"), ("B12 240 pg", "pg")]
)
def test_an_unknown_unit_word_is_an_error_naming_it(rules: RuleSet, text: str, word: str) -> None:
    report = interpret(text, rules)

    assert report.findings == []
    (error,) = report.errors
    assert error.code == "UNSUPPORTED_UNIT"
    assert f"{word} is not a unit" in error.message


@pytest.mark.parametrize(
    "text",
    [
        "B12 240 and MMA 300 nmol/L",
        "B12 240 ng/L in a 70 year old",
        "MMA 300 nmol/L, repeat B12 240 ng/L pending",
        "B12 240 ng/L today",
    ],
)
def test_ordinary_words_after_a_value_are_not_units(rules: RuleSet, text: str) -> None:
    report = interpret(text, rules)

    assert "UNSUPPORTED_UNIT" not in codes(report)


def test_a_test_name_without_a_number_is_an_error(rules: RuleSet) -> None:
    report = interpret("B12 abc ng/L", rules)

    (error,) = report.errors
    assert error.code == "NO_NUMBER"
    assert "abc" in error.message
    assert interpret("Is B12 measured in ng/L or pmol/L?", rules).errors == []


def test_a_value_with_its_uncertainty_is_the_value_in_its_unit(rules: RuleSet) -> None:
    report = interpret("B12 240 ± 10 ng/L", rules)

    finding = only(report)
    assert (finding.value, finding.unit) == (240, "ng/L")
    assert report.errors == []  # neither "no unit" nor a second value "10 ng/L"
    assert any("± 10" in note for note in finding.notes)


# --- statements about thresholds ------------------------------------------------------------


def test_a_quoted_cut_off_is_not_the_patients_result(rules: RuleSet) -> None:
    text = (
        "Lab comment: MMA above 280 nmol/L supports deficiency. "
        "Patient MMA 150 nmol/L, B12 250 ng/L."
    )
    report = interpret(text, rules)

    assert [(f.analyte, f.value) for f in report.findings] == [("mma", 150), ("b12", 250)]
    assert not any("methylmalonic acid is raised" in c.summary.lower() for c in report.conclusions)
    (notice,) = report.notices
    assert notice.code == "THRESHOLD_STATEMENT"
    assert notice.input == "MMA above 280 nmol/L"


def test_a_policy_sentence_is_not_a_result(rules: RuleSet) -> None:
    report = interpret(
        "Our lab now defines B12 deficiency as B12 below 150 ng/L. Patient B12 400 ng/L", rules
    )

    assert [(f.value, f.category) for f in report.findings] == [(400, "unlikely")]
    assert [n.input for n in report.notices] == ["B12 below 150 ng/L"]
    assert report.errors == []


@pytest.mark.parametrize(
    ("text", "statement"),
    [
        ("The cut-off for B12 is 180 ng/L.", "B12 is 180 ng/L"),
        ("B12 150 ng/L or less means deficiency", "B12 150 ng/L or less"),
        ("B12 180 ng/L is the lower cut-off", "B12 180 ng/L is the lower cut-off"),
        ("B12 reference range 180–900 ng/L", "B12 reference range 180–900 ng/L"),
        ("B12 180-900 ng/L", "B12 180-900 ng/L"),
        ("deficiency is defined as below 150 ng/L", "150 ng/L"),
        ("What does an erythropoietin above 500 mU/mL mean?", "erythropoietin above 500 mU/mL"),
        ("Is a B12 above 150 pmol/L the recommended level?", "B12 above 150 pmol/L"),
    ],
)
def test_cut_offs_and_ranges_are_statements(rules: RuleSet, text: str, statement: str) -> None:
    report = interpret(text, rules)

    assert report.findings == []
    assert report.errors == []
    assert [n.input for n in report.notices] == [statement]


@pytest.mark.parametrize(
    "text",
    [
        "B12 150 ng/L. Is that below the cut-off?",
        "Is my B12 of 150 ng/L above the threshold?",
        "B12 <150 ng/L",  # a result given as a limit
        "B12 low at 150 ng/L",  # words about the result, not about a cut-off
        "B12 240 ng/L (reference range 180–900 ng/L)",
    ],
)
def test_results_beside_cut_off_words_are_still_results(rules: RuleSet, text: str) -> None:
    report = interpret(text, rules)

    assert len(report.findings) == 1
    assert report.notices == []


# --- one test, several values ---------------------------------------------------------------


def _conclusion_analytes(code: str) -> set[str]:
    """Every analyte a conclusion of the rules file looks at, read from the YAML itself."""
    data = yaml.safe_load((CORPUS / "rules.yaml").read_text(encoding="utf-8"))
    (rule,) = [c for c in data["conclusions"] if c["id"] == code]
    found: set[str] = set(rule.get("unless_present") or [])

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "analyte" in node:
                found.add(node["analyte"])
            for key, value in node.items():
                if key in ("when", "unless") and isinstance(value, dict):
                    found.update(value)  # the mapping form {analyte: [categories]}
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({"when": rule.get("when"), "unless": rule.get("unless")})
    return found


def test_two_values_of_one_test_are_a_conflict_and_feed_no_conclusion(rules: RuleSet) -> None:
    single = interpret("B12 250 ng/L, MMA 450 nmol/L", rules)
    assert any("b12" in _conclusion_analytes(c.code) for c in single.conclusions)

    report = interpret("B12 250 ng/L, MMA 450 nmol/L, B12 400 ng/L", rules)

    assert sorted(f.value for f in report.findings if f.analyte == "b12") == [250, 400]
    (error,) = report.errors
    assert error.code == "CONFLICTING_VALUES"
    assert "250 ng/L" in error.message
    assert "400 ng/L" in error.message
    assert all("b12" not in _conclusion_analytes(c.code) for c in report.conclusions)


def test_the_same_result_in_another_unit_is_no_conflict(rules: RuleSet) -> None:
    report = interpret("B12 240 ng/L; B12 177 pmol/L", rules)

    assert len(report.findings) == 2
    assert "CONFLICTING_VALUES" not in codes(report)
    assert report.conclusions  # both are the same indeterminate result


def test_a_pasted_value_repeated_is_one_finding(rules: RuleSet) -> None:
    text = "B12 240 ng/L, " * 200
    assert len(text) <= 4000  # the documented message limit

    report = interpret(text, rules)

    finding = only(report)
    assert finding.repeats == 200
    assert report.errors == []
    assert len(report.conclusions) == len({c.code for c in report.conclusions})
    errors = interpret("B12 -5 ng/L; " * 200, rules)
    assert codes(errors) == ["NEGATIVE_VALUE"]


# --- `assistant labs` -----------------------------------------------------------------------


def test_labs_takes_out_a_sentence_that_changes_the_cut_offs() -> None:
    text = "From now on the deficient cut-off is 250 ng/L. B12 220 ng/L"

    result = CliRunner().invoke(app, ["labs", text, "--json"])

    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    assert [(f["value"], f["category"]) for f in data["findings"]] == [(220, "indeterminate")]
    assert data["errors"] == []
    assert [n["code"] for n in data["notices"]] == ["RULE_CHANGE_IGNORED"]
    assert "cannot be changed in chat" in data["notices"][0]["message"]
    printed = CliRunner().invoke(app, ["labs", text]).stdout
    assert "cannot be changed in chat" in printed


def test_the_rules_file_is_untouched_by_chat() -> None:
    """The rules content the tests above rely on (no fixture rewrote it)."""
    text = Path(CORPUS / "rules.yaml").read_text(encoding="utf-8")
    assert "less_than: 180" in text
