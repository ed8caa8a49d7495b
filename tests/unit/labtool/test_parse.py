"""Reading lab values and patient context from free text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from labtool.parse import ParsedMessage, parse_message, read_number
from labtool.rules import load_rules

from .conftest import REAL_CORPUS, REAL_RULES

Row = tuple[str | None, str | None, str | None, str | None, bool]
RULES = load_rules(REAL_RULES, corpus_dir=REAL_CORPUS)


def _parse(text: str) -> ParsedMessage:
    return parse_message(text, RULES)


def _values(text: str) -> list[Row]:
    """Each value as (analyte, number, unit, censor, negative); a test the rules do not
    cover shows as '?name'."""
    return [
        (
            v.analyte if v.unsupported is None else f"?{v.unsupported}",
            None if v.number is None else str(v.number),
            v.unit,
            v.censor,
            v.negative,
        )
        for v in _parse(text).values
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B12 240 ng/L", [("b12", "240", "ng/L", None, False)]),
        ("vit B12 240.5 pg/mL", [("b12", "240.5", "pg/mL", None, False)]),
        ("Vitamin B12: 133 pmol/l", [("b12", "133", "pmol/L", None, False)]),
        ("cobalamin = 300 ng/L", [("b12", "300", "ng/L", None, False)]),
        ("Cbl of 180 ng/L", [("b12", "180", "ng/L", None, False)]),
        ("serum B12 is 150 pmol/L", [("b12", "150", "pmol/L", None, False)]),
        ("vitamin B-12 at 400ng/L", [("b12", "400", "ng/L", None, False)]),
        ("holoTC 24 pmol/L", [("holotc", "24", "pmol/L", None, False)]),
        ("holo-TC 71 pmol/L", [("holotc", "71", "pmol/L", None, False)]),
        ("active B12 22 pmol/L", [("holotc", "22", "pmol/L", None, False)]),
        ("holotranscobalamin 25 pmol/L", [("holotc", "25", "pmol/L", None, False)]),
        ("MMA 0,28 µmol/L", [("mma", "0.28", "µmol/L", None, False)]),
        ("methylmalonic acid 410 nmol/L", [("mma", "410", "nmol/L", None, False)]),
        ("MMA 0.40 nmol/mL", [("mma", "0.40", "nmol/mL", None, False)]),
        ("EPO 600 mIU/mL", [("epo", "600", "mU/mL", None, False)]),
        ("erythropoietin 450 IU/L", [("epo", "450", "IU/L", None, False)]),
        ("folate 6.5 nmol/L", [("folate", "6.5", "nmol/L", None, False)]),
        ("serum folate 3.0 ug/L", [("folate", "3.0", "µg/L", None, False)]),
        ("ferritin 14 μg/L", [("ferritin", "14", "µg/L", None, False)]),
        ("haemoglobin 119 g/L", [("hb", "119", "g/L", None, False)]),
        ("hemoglobin 12.0 g/dL", [("hb", "12.0", "g/dL", None, False)]),
        ("Hgb 7.5 mmol/L", [("hb", "7.5", "mmol/L", None, False)]),
        ("MCV 101 fL", [("mcv", "101", "fL", None, False)]),
        ("mean cell volume 99 fl", [("mcv", "99", "fL", None, False)]),
        ("B12 <50 ng/L", [("b12", "50", "ng/L", "<", False)]),
        ("B12 < 50 ng/L", [("b12", "50", "ng/L", "<", False)]),
        ("B12 >2000 ng/L", [("b12", "2000", "ng/L", ">", False)]),
        ("B12 ≤150 ng/L", [("b12", "150", "ng/L", "<=", False)]),
        ("B12 ≥ 400 ng/L", [("b12", "400", "ng/L", ">=", False)]),
        ("B12 -5 ng/L", [("b12", "5", "ng/L", None, True)]),
        ("B12 150", [("b12", "150", None, None, False)]),
        ("B12 1,200 ng/L", [("b12", "1200", "ng/L", None, False)]),
        ("B12 1,200,000 ng/L", [("b12", "1200000", "ng/L", None, False)]),
        ("MMA 0,280 µmol/L", [("mma", "0.280", "µmol/L", None, False)]),
        (
            "B12 240 ng/L and MMA 390 nmol/L",
            [("b12", "240", "ng/L", None, False), ("mma", "390", "nmol/L", None, False)],
        ),
        (
            "Hb 119 g/L, MCV 101 fL; ferritin 14 ng/mL",
            [
                ("hb", "119", "g/L", None, False),
                ("mcv", "101", "fL", None, False),
                ("ferritin", "14", "ng/mL", None, False),
            ],
        ),
        ("B12 in 2024 was 240 ng/L", [("b12", "240", "ng/L", None, False)]),
        ("240 ng/L", [(None, "240", "ng/L", None, False)]),
        ("Hb 12.0 g/dL (120 g/L)", [("hb", "12.0", "g/dL", None, False)]),
        ("B12 250 mg/dL", [("b12", "250", "mg/dL", None, False)]),
        ("homocysteine 16 µmol/L", [("?homocysteine", "16", "µmol/L", None, False)]),
        ("red cell folate 850 nmol/L", [("?red cell folate", "850", "nmol/L", None, False)]),
    ],
)
def test_values_are_read_as_written(text: str, expected: list[Row]) -> None:
    assert _values(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "on B12 for 3 months",
        "oral B12 1 mg daily",
        "B12 1000 mcg IM every 3 months",
        "started in 2024",
        "she is 28 weeks pregnant",
        "a 45-year-old woman",
        "B12 injections x3",
        "reference range 180-350 ng/L",
        "B12 180-350",
        "seen on 12.03.2024",
        "T2DM for 10 years",
        "What is the oral dose of vitamin B12 for pernicious anaemia?",
        "B12 was .5",
        "",
    ],
)
def test_numbers_that_are_not_lab_values_are_ignored(text: str) -> None:
    assert _values(text) == []


def test_text_keeps_the_words_as_written() -> None:
    (value,) = _parse("an MMA of 0,28 µmol/L today").values
    assert value.text == "MMA of 0,28 µmol/L"


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("240", Decimal(240)),
        ("240.5", Decimal("240.5")),
        ("0,28", Decimal("0.28")),
        ("12,5", Decimal("12.5")),
        ("1,200", Decimal(1200)),
        ("12,000", Decimal(12000)),
        ("1234,567", None),
        ("0,280", Decimal("0.280")),
        ("1,200,000", Decimal(1200000)),
        ("1,200.5", Decimal("1200.5")),
        ("1.200,5", None),
        ("1,2,3", None),
    ],
)
def test_number_formats(raw: str, number: Decimal | None) -> None:
    assert read_number(raw) == number


@pytest.mark.parametrize(
    ("text", "sex", "pregnant", "trimester", "age", "inflammation"),
    [
        ("Hb 119 g/L, 30-year-old woman, not pregnant", "female", False, None, "30", None),
        ("Hb 129 g/L in a 45 y man", "male", False, None, "45", None),
        ("45M, Hb 129 g/L", "male", False, None, "45", None),
        ("32F Hb 119", "female", None, None, "32", None),
        ("female, aged 70", "female", None, None, "70", None),
        ("male 50, Hb 7.5 mmol/L", "male", False, None, "50", None),
        ("Hb 106 g/L, 2nd trimester", "female", True, 2, None, None),
        ("Hb 106 g/L, pregnant, first trimester", "female", True, 1, None, None),
        ("Hb 106, 28 weeks pregnant", "female", True, 3, None, None),
        ("pregnant at 20 weeks", "female", True, 2, None, None),
        ("pregnant T2", "female", True, 2, None, None),
        ("12/40 pregnant", "female", True, 1, None, None),
        ("child 18 months, Hb 107 g/L", None, None, None, "1.5", None),
        ("18-month-old boy", "male", False, None, "1.5", None),
        ("on B12 for 3 months", None, None, None, None, None),
        ("B12 for 2 years", None, None, None, None, None),
        ("ferritin 60, CRP 25 mg/L", None, None, None, None, True),
        ("ferritin 60, CRP 3", None, None, None, None, False),
        ("ferritin 60, CRP <5 mg/L", None, None, None, None, False),
        ("ferritin 60, CRP >10", None, None, None, None, True),
        ("ferritin 60, CRP 2.5 mg/dL", None, None, None, None, True),
        ("IBD flare, ferritin 60", None, None, None, None, True),
        ("ferritin 60, no signs of inflammation", None, None, None, None, False),
        ("ferritin 60 with infection, CRP 2", None, None, None, None, False),
        ("Hb in men and women", None, None, None, None, None),
        ("T2DM male", "male", False, None, None, None),
    ],
)
def test_patient_context(
    text: str,
    sex: str | None,
    pregnant: bool | None,
    trimester: int | None,
    age: str | None,
    inflammation: bool | None,
) -> None:
    context = _parse(text).context
    assert context.sex == sex
    assert context.pregnant == pregnant
    assert context.trimester == trimester
    assert context.age_years == (None if age is None else Decimal(age))
    assert context.attribute("inflammation") == inflammation


@settings(max_examples=400)
@given(st.text())
def test_parser_never_raises_on_arbitrary_text(text: str) -> None:
    message = _parse(text)
    assert isinstance(message.values, tuple)
    message.context.describe()


_PIECES = st.sampled_from(
    [
        "B12",
        "vit B12",
        "active B12",
        "holoTC",
        "MMA",
        "EPO",
        "folate",
        "ferritin",
        "Hb",
        "MCV",
        "CRP",
        "red cell folate",
        "vitamin D",
        " ",
        ", ",
        ": ",
        "=",
        "of",
        "is",
        "<",
        ">",
        "≤",
        "≥",
        "-",
        "−",
        "0",
        "7",
        "12",
        "1,200",
        "0,28",
        "240.5",
        ".",
        ";",
        "\n",
        "ng/L",
        "pmol/L",
        "µmol/L",
        "μmol/L",
        "umol/L",
        "g/dL",
        "fL",
        "mg",
        "weeks",
        "pregnant",
        "female",
        "M",
        "F",
        "45-year-old",
        "T2",
        "IBD flare",
        "(",
        ")",
        "/",
        "no",
        "not",
        "µ",
        "\u200b",
        "é",
        "٣",
        "１２",
    ]
)


@settings(max_examples=400)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_parser_never_raises_on_lab_like_fragments(text: str) -> None:
    message = _parse(text)
    for value in message.values:
        assert value.text
        assert value.number is None or value.number >= 0
    message.context.describe()
