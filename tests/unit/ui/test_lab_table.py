"""Lab findings -> table rows, on the real lab tool and the real B12 rules (no fakes needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from labtool.interpret import interpret
from labtool.report import LabReport
from labtool.rules import RuleSet

from assistant.answer.lab_table import lab_rows, round_like, significant_figures
from assistant.config import PROJECT_ROOT, Settings
from assistant.resources import Resources


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return Resources(Settings(pack=PROJECT_ROOT / "corpus" / "b12")).ruleset()


def report(rules: RuleSet, text: str) -> LabReport:
    return interpret(text, rules)


@pytest.mark.parametrize(
    ("written", "figures"), [("240", 3), ("0.41", 2), ("12.0", 3), ("7", 1), ("1200", 4)]
)
def test_significant_figures_count_the_digits_as_written(written: str, figures: int) -> None:
    assert significant_figures(written) == figures


@given(
    value=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100000), places=4),
    figures=st.integers(min_value=1, max_value=5),
)
def test_a_converted_value_is_rounded_to_the_figures_asked_but_never_into_its_whole_part(
    value: Decimal, figures: int
) -> None:
    shown = round_like(float(value), figures)

    whole, _, fraction = shown.partition(".")
    if fraction:  # decimals only while the figures asked (two at least) are not used up
        assert len((whole + fraction).lstrip("0")) <= max(figures, 2)
    assert abs(Decimal(shown) - value) <= Decimal("0.5") * Decimal(10) ** -len(fraction)


def test_the_b12_and_mma_example_reads_like_a_results_sheet(rules: RuleSet) -> None:
    labs = report(rules, "B12 240 ng/L, MMA 410 nmol/L")

    b12, mma = lab_rows(labs)
    b12_finding, mma_finding = labs.findings

    assert b12.value == "240 ng/L"
    pmol = b12_finding.converted["pmol/L"]
    assert f"{round(pmol)} pmol/L" in b12.other_units  # 177.07 is shown as a clinician writes it
    assert all(len(u.split()[0].replace(".", "").lstrip("0")) <= 3 for u in b12.other_units)
    assert b12.category == b12_finding.category_label
    assert b12.band == "180–350 ng/L"
    assert b12.position == "middle"
    assert mma.position == "highest"
    assert mma.near_cut_off
    assert mma_finding.near_threshold
    assert any("cut-off" in note for note in mma.notes)
    assert {s.ref.doc_id for s in b12.sources} == {s.doc_id for s in b12_finding.sources}


def test_nothing_internal_reaches_a_row(rules: RuleSet) -> None:
    labs = report(rules, "B12 190 ng/L")  # three other sources put 190 ng/L in another band
    assert labs.conflicts

    (row,) = lab_rows(labs)

    shown = " ".join(
        [row.test, row.value, *row.other_units, row.category, row.band, *row.notes]
        + [source.name for source in row.sources]
    )
    rule_ids = {rule.id for analyte in rules.analytes.values() for rule in analyte.rules}
    assert len(rule_ids) > 1
    assert not any(rule_id in shown for rule_id in rule_ids)
    assert all(c.code not in shown for c in labs.conclusions)
    # Each disagreeing source says, by its name, where it would put the value.
    for conflict in labs.conflicts:
        assert any(
            conflict.source_name in note and conflict.category_label in note for note in row.notes
        )
    assert row.sources[0].name == labs.findings[0].source_name


def test_a_value_given_again_is_one_row(rules: RuleSet) -> None:
    message = "B12 240 ng/L. Repeat: B12 240 ng/L. MMA 410 nmol/L, B12 240 ng/L"
    labs = report(rules, message)

    rows = lab_rows(labs)

    values = [(row.test, row.value) for row in rows]
    distinct = {(f.analyte, f.value, f.unit) for f in labs.findings}
    assert len(values) == len(set(values)) == len(distinct)
    b12 = next(row for row in rows if row.value == "240 ng/L")
    assert b12.repeats == message.count("B12 240 ng/L")  # whoever counted: the tool or the table


def test_a_value_keeps_the_zeros_it_was_written_with(rules: RuleSet) -> None:
    (row,) = lab_rows(report(rules, "Hb 12.0 g/dL in a woman"))

    assert row.value == "12.0 g/dL"
    assert all(len(u.split()[0].replace(".", "").lstrip("0")) <= 3 for u in row.other_units)
