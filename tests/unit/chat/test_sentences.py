"""Sentence splitting and number extraction: the rules the guard and the evaluation share."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.text.sentences import (
    citation_numbers,
    number_tokens,
    number_value,
    number_values,
    split_list_prefix,
    split_sentences,
    strip_citations,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "NICE uses 180 ng/L vs. 150 pmol/L in SFAR. Both are cited.",
            ["NICE uses 180 ng/L vs. 150 pmol/L in SFAR.", "Both are cited."],
        ),
        (
            "Consider a second test, e.g. MMA, when unsure. Then review.",
            ["Consider a second test, e.g. MMA, when unsure.", "Then review."],
        ),
        (
            "Raised if above 0.28 µmol/L. Within-person CV was 34%.",
            ["Raised if above 0.28 µmol/L.", "Within-person CV was 34%."],
        ),
        (
            "Reported by Savage J. and colleagues in 1994. MMA was raised.",
            ["Reported by Savage J. and colleagues in 1994.", "MMA was raised."],
        ),
        ("Hvas et al. 2001 found this. Next.", ["Hvas et al. 2001 found this.", "Next."]),
        ("One sentence without a full stop", ["One sentence without a full stop"]),
        ("Is it low? Yes! It is.", ["Is it low?", "Yes!", "It is."]),
        ("i.e. the same. Done.", ["i.e. the same.", "Done."]),
    ],
)
def test_split_sentences_keeps_abbreviations_and_decimals(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_of_empty_text_is_empty() -> None:
    assert split_sentences("   ") == []


def test_names_with_digits_are_not_numbers() -> None:
    assert number_tokens("Vitamin B12 per NICE NG239 and COVID") == []


def test_numbers_in_ranges_units_and_percentages() -> None:
    text = "Indeterminate from 180 ng/L to 350 ng/L; 1-2 mg daily; 97% sensitivity; <25 pmol/L"
    assert number_tokens(text) == ["180", "350", "1", "2", "97", "25"]


def test_citation_markers_are_not_numbers() -> None:
    text = "Deficiency below 180 ng/L [1][2] and [3, 4]."
    assert number_tokens(text) == ["180"]
    assert citation_numbers(text) == [1, 2, 3, 4]
    assert strip_citations(text) == "Deficiency below 180 ng/L  and ."


@pytest.mark.parametrize(
    ("a", "b"),
    [("1,000", "1000"), ("203", "203.0"), ("0,28", "0.28"), ("6.80", "6.8")],
)
def test_formatting_variants_have_one_value(a: str, b: str) -> None:
    assert number_value(a) == number_value(b)


def test_number_values_is_a_set_of_decimals() -> None:
    assert number_values("150 pmol/L (203 ng/L), 1,000 µg") == {
        Decimal(150),
        Decimal(203),
        Decimal(1000),
    }


@pytest.mark.parametrize(
    ("line", "prefix", "rest"),
    [
        ("- item", "- ", "item"),
        ("  - nested", "  - ", "nested"),
        ("2. second", "2. ", "second"),
        ("### Heading", "### ", "Heading"),
        ("plain 12 text", "", "plain 12 text"),
    ],
)
def test_list_prefix_is_separated(line: str, prefix: str, rest: str) -> None:
    assert split_list_prefix(line) == (prefix, rest)
