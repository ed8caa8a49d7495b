"""Lab units: one spelling per unit, and exact conversion with per-analyte factors.

Conversions use Decimal so that a value typed in one unit lands exactly where the
rules file's factor puts it (0.271 µmol/L is 271 nmol/L, not 271.00000000000003).
The factors themselves live in the rules file; this module only knows spellings.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal

UnitKind = Literal["concentration", "activity", "volume", "ratio"]

# Canonical spelling -> kind. Units no analyte uses are listed too, so that
# "B12 250 mg/dL" is recognised as a unit that does not fit, not ignored.
KNOWN_UNITS: dict[str, UnitKind] = {
    "ng/L": "concentration",
    "pg/mL": "concentration",
    "pg/L": "concentration",
    "ng/mL": "concentration",
    "ng/dL": "concentration",
    "µg/L": "concentration",
    "µg/dL": "concentration",
    "µg/mL": "concentration",
    "mg/L": "concentration",
    "mg/dL": "concentration",
    "mg/mL": "concentration",
    "g/L": "concentration",
    "g/dL": "concentration",
    "pmol/L": "concentration",
    "nmol/L": "concentration",
    "nmol/mL": "concentration",
    "µmol/L": "concentration",
    "mmol/L": "concentration",
    "mU/mL": "activity",
    "mU/L": "activity",
    "IU/L": "activity",
    "IU/mL": "activity",
    "U/L": "activity",
    "fL": "volume",
    "mmol/mol": "ratio",
}

_MICRO_SIGNS = ("\u00b5", "\u03bc")  # micro sign and Greek small mu are both in use


def _fold(spelling: str) -> str:
    """Lower-case, drop spaces, and write every micro prefix as 'u' for lookup."""
    folded = "".join(spelling.split()).lower()
    for sign in _MICRO_SIGNS:
        folded = folded.replace(sign, "u")
    if folded.startswith("mcg/"):
        folded = "ug/" + folded[4:]
    return folded


_ALIASES: dict[str, str] = {_fold(unit): unit for unit in KNOWN_UNITS}
_ALIASES.update(
    {
        "miu/ml": "mU/mL",  # EPO is often reported in mIU/mL
        "miu/l": "mU/L",
        "fl.": "fL",
    }
)

# Spellings the parser should recognise after a number, longest first so that
# "ng/mL" is never read as "ng/m" + "L".
UNIT_SPELLINGS: tuple[str, ...] = tuple(
    sorted(
        {
            *KNOWN_UNITS,
            "ug/L",
            "μg/L",
            "mcg/L",
            "ug/dL",
            "μg/dL",
            "mcg/dL",
            "ug/mL",
            "μg/mL",
            "mcg/mL",
            "umol/L",
            "μmol/L",
            "mIU/mL",
            "mIU/L",
        },
        key=lambda spelling: (-len(spelling), spelling),
    )
)

_PRECISION = Context(prec=34)


def normalize_unit(spelling: str) -> str | None:
    """The canonical spelling of a unit, or None when the string is not a known unit."""
    return _ALIASES.get(_fold(spelling))


def unit_kind(unit: str) -> UnitKind | None:
    canonical = normalize_unit(unit)
    return KNOWN_UNITS[canonical] if canonical else None


def to_decimal(number: float | int | str | Decimal) -> Decimal:
    """An exact Decimal for a YAML or typed number (floats via their shortest repr)."""
    if isinstance(number, Decimal):
        return number
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(str(number))


def convert(
    value: Decimal, from_unit: str, to_unit: str, factors: Mapping[str, Decimal]
) -> Decimal:
    """Convert between two units of one analyte.

    `factors[u]` converts u INTO the analyte's canonical unit (the rules-file convention).
    Raises KeyError for a unit the analyte does not accept; callers check first.
    """
    if from_unit == to_unit:
        return value
    canonical = _PRECISION.multiply(value, factors[from_unit])
    return _PRECISION.divide(canonical, factors[to_unit])


def round_significant(value: Decimal, digits: int = 5) -> Decimal:
    """Round for display to a number of significant digits."""
    return Context(prec=digits, rounding=ROUND_HALF_UP).plus(value)


def format_number(value: Decimal) -> str:
    """A plain decimal string: no exponent, no trailing zeros ("180", "6.8", "0.28")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def display(value: Decimal, digits: int = 5) -> str:
    """A value rounded for people to read."""
    return format_number(round_significant(value, digits))
