"""Unit spellings and exact conversions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from labtool.rules import RuleSet
from labtool.units import KNOWN_UNITS, convert, display, normalize_unit, to_decimal

COBALAMIN = {"ng/L": Decimal(1), "pg/mL": Decimal(1), "pmol/L": Decimal("1.35537")}


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("ng/L", "ng/L"),
        ("NG/L", "ng/L"),
        ("ng / l", "ng/L"),
        ("pg/ml", "pg/mL"),
        ("PMOL/L", "pmol/L"),
        ("nmol/l", "nmol/L"),
        ("µmol/L", "µmol/L"),  # micro sign U+00B5
        ("μmol/L", "µmol/L"),  # Greek mu U+03BC
        ("umol/L", "µmol/L"),
        ("UMOL/L", "µmol/L"),
        ("nmol/mL", "nmol/mL"),
        ("mU/mL", "mU/mL"),
        ("mIU/mL", "mU/mL"),
        ("IU/L", "IU/L"),
        ("iu/l", "IU/L"),
        ("U/L", "U/L"),
        ("g/L", "g/L"),
        ("g/dl", "g/dL"),
        ("mmol/L", "mmol/L"),
        ("µg/L", "µg/L"),
        ("ug/L", "µg/L"),
        ("mcg/L", "µg/L"),
        ("μg/l", "µg/L"),
        ("ng/mL", "ng/mL"),
        ("fL", "fL"),
        ("FL", "fL"),
        ("mg/dL", "mg/dL"),
        ("%", "%"),
        ("mmHg", "mmHg"),
        ("mmhg", "mmHg"),
        ("kPa", "kPa"),
        ("mIU/L", "mU/L"),
        ("×10^9/L", "×10^9/L"),
        ("x10^9/L", "×10^9/L"),
        ("10^9/L", "×10^9/L"),
        ("x10*9/L", "×10^9/L"),
        ("×10⁹/L", "×10^9/L"),
        ("×10^12/L", "×10^12/L"),
        ("x10^12/l", "×10^12/L"),
        ("mL/min/1.73m²", "mL/min/1.73m²"),
        ("mL/min/1.73m2", "mL/min/1.73m²"),
        ("ml/min/1.73 m2", "mL/min/1.73m²"),
        ("mL/min", "mL/min/1.73m²"),
        ("mmol/mol", "mmol/mol"),
    ],
)
def test_every_spelling_normalises_to_one_unit(spelling: str, canonical: str) -> None:
    assert normalize_unit(spelling) == canonical


@pytest.mark.parametrize("spelling", ["", "ng", "mg", "weeks", "ng/Lx", "pmol", "%%", "mm"])
def test_strings_that_are_not_lab_units_are_refused(spelling: str) -> None:
    assert normalize_unit(spelling) is None


def test_every_known_unit_is_its_own_canonical_spelling() -> None:
    for unit in KNOWN_UNITS:
        assert normalize_unit(unit) == unit


def test_cobalamin_factor_matches_its_molar_mass() -> None:
    # 1355.37 g/mol: 1 pmol/L = 1355.37 pg/L = 1.35537 ng/L; 1 ng/L = 1/1.35537 = 0.7378 pmol/L
    assert convert(Decimal(1), "pmol/L", "ng/L", COBALAMIN) == Decimal("1.35537")
    assert round(convert(Decimal(1), "ng/L", "pmol/L", COBALAMIN), 4) == Decimal("0.7378")


def test_conversion_is_exact_where_decimal_arithmetic_allows() -> None:
    mma = {"nmol/L": Decimal(1), "µmol/L": Decimal(1000)}
    assert convert(Decimal("0.271"), "µmol/L", "nmol/L", mma) == Decimal(271)
    assert convert(Decimal("258.2"), "pmol/L", "ng/L", COBALAMIN) == Decimal("349.956534")


def test_yaml_floats_become_the_decimal_they_were_written_as() -> None:
    assert to_decimal(6.8) == Decimal("6.8")
    assert to_decimal(1.35537) == Decimal("1.35537")
    assert to_decimal(180) == Decimal(180)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("349.956534", "349.96"), ("132.8047690", "132.8"), ("100000", "100000"), ("0.2710", "0.271")],
)
def test_display_rounds_to_five_significant_digits(value: str, shown: str) -> None:
    assert display(Decimal(value)) == shown


values = st.decimals(
    min_value=Decimal("0.001"), max_value=Decimal(1_000_000), allow_nan=False, places=4
)


@given(value=values, pair=st.sampled_from([("ng/L", "pmol/L"), ("pg/mL", "pmol/L")]))
def test_cobalamin_conversion_round_trips(value: Decimal, pair: tuple[str, str]) -> None:
    there = convert(value, pair[0], pair[1], COBALAMIN)
    back = convert(there, pair[1], pair[0], COBALAMIN)
    assert abs(back - value) <= value * Decimal("1e-25")


def test_real_rules_conversions_round_trip_in_every_unit_pair(real_rules: RuleSet) -> None:
    for analyte in real_rules.analytes.values():
        for source in analyte.units:
            for target in analyte.units:
                value = Decimal("123.456")
                back = convert(
                    convert(value, source, target, analyte.units), target, source, analyte.units
                )
                assert abs(back - value) <= Decimal("1e-25"), (analyte.name, source, target)


@given(data=st.data())
def test_real_rules_round_trip_property(real_rules: RuleSet, data: st.DataObject) -> None:
    analyte = data.draw(st.sampled_from(sorted(real_rules.analytes)))
    factors = real_rules.analytes[analyte].units
    source = data.draw(st.sampled_from(sorted(factors)))
    target = data.draw(st.sampled_from(sorted(factors)))
    value = data.draw(values)
    back = convert(convert(value, source, target, factors), target, source, factors)
    assert abs(back - value) <= value * Decimal("1e-25")
