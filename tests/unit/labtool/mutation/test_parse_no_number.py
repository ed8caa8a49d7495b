"""A test name and a unit with a word instead of a number ("B12 pending ng/L"): reported as a
value without a number, never guessed. Written to kill the mutants `make mutation` found
surviving in labtool/parse.py (`_Reader.no_number`); each expectation is what a reader of the
message expects, checked by hand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from labtool.parse import parse_message
from labtool.rules import RuleSet, load_rules

from ..conftest import REAL_CORPUS, REAL_RULES
from ..packs import DOCS, lab_rules

REAL = load_rules(REAL_RULES, corpus_dir=REAL_CORPUS)
Row = tuple[object, ...]


def rows(text: str, rules: RuleSet = REAL) -> list[Row]:
    return [
        (
            v.analyte,
            v.unsupported,
            v.number,
            v.unit,
            v.unit_text,
            v.text,
            v.problem,
            v.detail,
            v.candidates,
        )
        for v in parse_message(text, rules).values
    ]


@pytest.fixture
def lab(write_rules: Callable[[dict[str, Any]], Path], tmp_path: Path) -> RuleSet:
    corpus = tmp_path / "lab-corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return load_rules(write_rules(lab_rules()), corpus_dir=corpus)


@pytest.mark.parametrize(
    ("text", "unit_text", "detail"),
    [
        ("B12 abc ng/L", "ng/L", "abc"),
        ("B12 was pending ng/L", "ng/L", "was pending"),
        ("B12: abc ng/l", "ng/l", "abc"),
        ("B12 - pending - ng/L", "ng/L", "pending"),
    ],
)
def test_a_word_where_the_number_should_be_is_reported_without_a_number(
    text: str, unit_text: str, detail: str
) -> None:
    assert rows(text) == [("b12", None, None, "ng/L", unit_text, text, "NO_NUMBER", detail, ())]


@pytest.mark.parametrize(
    "text",
    [
        "B12 in ng/L",  # ordinary words: a unit named, no value
        "B12 ng/L",  # nothing between
        "B12 abc def ghi ng/L",  # too many words to be one missing value
        "B12 a1 ng/L",  # a digit: not a word in place of a number
        "homocysteine pending umol/L",  # a name the rules do not know
    ],
)
def test_other_words_between_a_name_and_a_unit_are_not_a_missing_value(text: str) -> None:
    assert rows(text) == []


def test_each_name_of_a_message_gets_its_own_missing_value() -> None:
    assert rows("B12 result pending ng/L and MMA abc nmol/L") == [
        (
            "b12",
            None,
            None,
            "ng/L",
            "ng/L",
            "B12 result pending ng/L",
            "NO_NUMBER",
            "result pending",
            (),
        ),
        ("mma", None, None, "nmol/L", "nmol/L", "MMA abc nmol/L", "NO_NUMBER", "abc", ()),
    ]


def test_a_test_the_pack_does_not_cover_is_named_in_the_report() -> None:
    assert rows("RBC folate: abc ug/L") == [
        (
            None,
            "red cell folate",
            None,
            "µg/L",
            "ug/L",
            "RBC folate: abc ug/L",
            "NO_NUMBER",
            "abc",
            (),
        )
    ]


def test_a_paired_reading_without_numbers_names_both_candidates(lab: RuleSet) -> None:
    assert rows("BP was pending mmHg", lab) == [
        (
            None,
            None,
            None,
            "mmHg",
            "mmHg",
            "BP was pending mmHg",
            "NO_NUMBER",
            "was pending",
            ("systolic_bp", "diastolic_bp"),
        )
    ]


def test_a_missing_value_does_not_swallow_the_next_one() -> None:
    values = parse_message("B12 pending ng/L, folate 3 µg/L", REAL).values

    assert [(v.analyte, v.problem, v.number is None) for v in values] == [
        ("b12", "NO_NUMBER", True),
        ("folate", None, False),
    ]
