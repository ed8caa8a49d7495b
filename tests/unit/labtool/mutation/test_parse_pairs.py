"""Two numbers written as one reading ("BP 150/95 mmHg"): which name takes them, which words
may stand between, what the value's text and unit are. Written to kill the mutants
`make mutation` found surviving in labtool/parse.py (`_Reader.pair`); each expectation is
what a reader of the message expects, checked by hand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from labtool.parse import ParsedValue, parse_message
from labtool.rules import RuleSet, load_rules

from ..packs import DOCS, lab_rules

Row = tuple[str | None, str | None, str | None, str | None, str]


@pytest.fixture
def lab(write_rules: Callable[[dict[str, Any]], Path], tmp_path: Path) -> RuleSet:
    corpus = tmp_path / "lab-corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return load_rules(write_rules(lab_rules()), corpus_dir=corpus)


def rows(values: tuple[ParsedValue, ...]) -> list[Row]:
    return [
        (v.analyte, None if v.number is None else str(v.number), v.unit, v.unit_text, v.text)
        for v in values
    ]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("BP 150/95 mmHg", "BP 150/95 mmHg"),
        ("BP was 150/95 mmHg", "BP was 150/95 mmHg"),
        ("blood pressure of about 150/95 mmHg today", "blood pressure of about 150/95 mmHg"),
    ],
)
def test_a_paired_name_takes_both_numbers_of_one_reading(
    lab: RuleSet, text: str, written: str
) -> None:
    assert rows(parse_message(text, lab).values) == [
        ("systolic_bp", "150", "mmHg", "mmHg", written),
        ("diastolic_bp", "95", "mmHg", "mmHg", written),
    ]


def test_the_unit_is_normalised_and_its_spelling_kept(lab: RuleSet) -> None:
    assert rows(parse_message("BP: 150/ 95 mmhg", lab).values) == [
        ("systolic_bp", "150", "mmHg", "mmhg", "BP: 150/ 95 mmhg"),
        ("diastolic_bp", "95", "mmHg", "mmhg", "BP: 150/ 95 mmhg"),
    ]


def test_a_reading_without_a_unit_is_still_read_after_its_name(lab: RuleSet) -> None:
    assert rows(parse_message("BP 150/95", lab).values) == [
        ("systolic_bp", "150", None, None, "BP 150/95"),
        ("diastolic_bp", "95", None, None, "BP 150/95"),
    ]


def test_words_between_name_and_reading_need_the_unit(lab: RuleSet) -> None:
    with_unit = parse_message("BP in clinic today 150/95 mmHg", lab).values

    assert [v.analyte for v in with_unit] == ["systolic_bp", "diastolic_bp"]
    assert {v.text for v in with_unit} == {"BP in clinic today 150/95 mmHg"}
    assert parse_message("BP in clinic today 150/95", lab).values == ()


def test_a_sentence_between_name_and_reading_keeps_them_apart(lab: RuleSet) -> None:
    values = parse_message("BP is high, 150/95 mmHg", lab).values

    assert values
    assert [v.analyte for v in values] != ["systolic_bp", "diastolic_bp"]
    assert all(v.analyte is None for v in values)


def test_a_name_takes_one_reading_only(lab: RuleSet) -> None:
    values = parse_message("BP 150/95 mmHg, 120/80 mmHg", lab).values

    assert [(v.analyte, str(v.number)) for v in values[:2]] == [
        ("systolic_bp", "150"),
        ("diastolic_bp", "95"),
    ]
    (other,) = values[2:]
    assert (other.analyte, other.unit, other.text) == (None, "mmHg", "120/80 mmHg")
    assert other.number is not None


def test_the_same_name_twice_takes_a_reading_each(lab: RuleSet) -> None:
    values = parse_message("BP 150/95 mmHg, BP 120/80 mmHg", lab).values

    assert [(v.analyte, str(v.number), v.text) for v in values] == [
        ("systolic_bp", "150", "BP 150/95 mmHg"),
        ("diastolic_bp", "95", "BP 150/95 mmHg"),
        ("systolic_bp", "120", "BP 120/80 mmHg"),
        ("diastolic_bp", "80", "BP 120/80 mmHg"),
    ]


def test_a_reading_after_an_unknown_name_is_reported_under_that_name(lab: RuleSet) -> None:
    (value,) = parse_message("xyz 140/90 mmHg", lab).values

    assert (value.analyte, value.unsupported, value.unit, value.unit_text, value.text) == (
        None,
        "xyz",
        "mmHg",
        "mmHg",
        "xyz 140/90 mmHg",
    )
    assert value.number is not None


def test_a_reading_after_another_tests_value_is_not_given_that_name(lab: RuleSet) -> None:
    values = parse_message("FT4 12 pmol/L, 140/90 mmHg", lab).values

    assert [(v.analyte, v.text) for v in values] == [
        ("ft4", "FT4 12 pmol/L"),
        (None, "140/90 mmHg"),
    ]
    assert values[1].unsupported is None


def test_two_bare_numbers_without_a_unit_or_name_are_not_a_value(lab: RuleSet) -> None:
    assert parse_message("ratio 3/4", lab).values == ()
