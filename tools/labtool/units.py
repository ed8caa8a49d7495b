"""Lab units: one spelling per unit, and exact conversion with per-analyte unit rules.

Conversions use Decimal so that a value typed in one unit lands exactly where the
rules file puts it (0.271 µmol/L is 271 nmol/L, not 271.00000000000003). How a unit
converts belongs to the analyte and lives in the rules file: a factor (value × factor =
canonical value) or an affine mapping (value in the unit = slope × canonical + intercept).
This module only knows spellings and the arithmetic; it names no analyte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache
from typing import Literal

UnitKind = Literal["concentration", "activity", "volume", "ratio", "pressure", "count", "rate"]

# Canonical spelling -> kind. Units no analyte uses are listed too, so that a result in
# mg/dL for a test reported in ng/L is recognised as a unit that does not fit, not ignored.
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
    "%": "ratio",
    "mmHg": "pressure",
    "kPa": "pressure",
    "×10^9/L": "count",
    "×10^12/L": "count",
    "mL/min/1.73m²": "rate",
}

_MICRO_SIGNS = ("\u00b5", "\u03bc")  # micro sign and Greek small mu are both in use
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_POWERS = {f"10*{p}": f"10^{p}" for p in ("9", "12")} | {"10⁹": "10^9", "10¹²": "10^12"}


def _fold(spelling: str) -> str:
    """Lower-case, drop spaces, and write every micro prefix as 'u' and '×' as 'x'."""
    folded = "".join(spelling.split()).lower().replace("×", "x")
    for sign in _MICRO_SIGNS:
        folded = folded.replace(sign, "u")
    if folded.startswith("mcg/"):
        folded = "ug/" + folded[4:]
    for written, power in _POWERS.items():  # x10^9, x10*9 and x10⁹ are one spelling
        folded = folded.replace(written, power)
    return folded.translate(_SUPERSCRIPTS)


_ALIASES: dict[str, str] = {_fold(unit): unit for unit in KNOWN_UNITS}
_ALIASES.update(
    {
        "miu/ml": "mU/mL",  # activities are often reported in mIU
        "miu/l": "mU/L",
        "fl.": "fL",
        "10^9/l": "×10^9/L",
        "10^12/l": "×10^12/L",
        "ml/min/1.73m2": "mL/min/1.73m²",
        "ml/min": "mL/min/1.73m²",
    }
)

# Spellings the parser recognises after a number, longest first so that "ng/mL" is never
# read as "ng/m" + "L". Spaces inside a spelling may be written or left out.
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
            "x10^9/L",
            "10^9/L",
            "x10*9/L",
            "×10*9/L",
            "×10⁹/L",
            "x10⁹/L",
            "x10^12/L",
            "10^12/L",
            "x10*12/L",
            "×10*12/L",
            "×10¹²/L",
            "mL/min/1.73m2",
            "mL/min/1.73 m2",
            "mL/min/1.73 m²",
            "mL/min",
        },
        key=lambda spelling: (-len(spelling), spelling),
    )
)

_PRECISION = Context(prec=34)


@dataclass(frozen=True)
class Affine:
    """A unit related to the canonical one by value = slope × canonical + intercept."""

    slope: Decimal
    intercept: Decimal


UnitRule = Decimal | Affine  # a factor into the canonical unit, or an affine mapping


@lru_cache(maxsize=4096)
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


def to_canonical(value: Decimal, rule: UnitRule) -> Decimal:
    if isinstance(rule, Affine):
        return _PRECISION.divide(_PRECISION.subtract(value, rule.intercept), rule.slope)
    return _PRECISION.multiply(value, rule)


def from_canonical(value: Decimal, rule: UnitRule) -> Decimal:
    if isinstance(rule, Affine):
        return _PRECISION.add(_PRECISION.multiply(rule.slope, value), rule.intercept)
    return _PRECISION.divide(value, rule)


def convert(value: Decimal, from_unit: str, to_unit: str, rules: Mapping[str, UnitRule]) -> Decimal:
    """Convert between two units of one analyte.

    `rules[u]` is how u relates to the analyte's canonical unit (the rules-file convention).
    Raises KeyError for a unit the analyte does not accept; callers check first.
    """
    if from_unit == to_unit:
        return value
    return from_canonical(to_canonical(value, rules[from_unit]), rules[to_unit])


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


def significant_figures(number: Decimal) -> int:
    """Significant figures of a number as written: "240" 3, "0.30" 2, "12.0" 3, "7" 1."""
    digits = format(abs(number), "f").replace(".", "").lstrip("0")
    return max(len(digits), 1)


def round_like(value: Decimal, figures: int) -> str:
    """`value` with no more significant figures than `figures` (at least 2), but never rounded
    into its whole part: 177.066 with 3 figures is "177", 126.1 with 2 is "126" (not 130),
    0.0392 with 2 is "0.039", 9.0097 with 1 is "9.0"."""
    if not value.is_finite() or value == 0:
        return format_number(value) if value.is_finite() else str(value)
    magnitude = value.copy_abs().adjusted()  # 177.07 -> 2, 0.41 -> -1
    decimals = max(0, max(figures, 2) - 1 - magnitude)
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if decimals and rounded.adjusted() > magnitude:  # 9.97 with 2 figures is 10, not 10.0
        rounded = value.quantize(Decimal(1).scaleb(1 - decimals), rounding=ROUND_HALF_UP)
    return format(rounded, "f")  # significant trailing zeros stay: 9.0097 with 2 is "9.0"
