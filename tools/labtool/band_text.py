"""Bands in words and as numbers for the report (labtool.report.BandRange), and values
rounded for reading without leaving their band."""

from __future__ import annotations

from decimal import Decimal

from labtool.bands import ScaleReading
from labtool.report import BandRange
from labtool.rules import RuleSet
from labtool.rules_model import Band, Bound
from labtool.units import format_number, round_like


def band_words(lower: Bound | None, upper: Bound | None, unit: str) -> str:
    """A band in words: "180–350 ng/L", "below 180 ng/L", "above 271 nmol/L and at most 400 nmol/L"
    (each figure with its unit, so no figure reads as another test's)."""
    low = format_number(lower.value) if lower else ""
    high = format_number(upper.value) if upper else ""
    if lower and upper:
        if lower.closed and upper.closed:
            return f"{low}–{high} {unit}"
        above = "at least" if lower.closed else "above"
        below = "at most" if upper.closed else "below"
        return f"{above} {low} {unit} and {below} {high} {unit}"
    if lower:
        return f"{'at least' if lower.closed else 'above'} {low} {unit}"
    if upper:
        return f"{'at most' if upper.closed else 'below'} {high} {unit}"
    return "any value"


def _envelope(bands: tuple[Band, ...]) -> tuple[Bound | None, Bound | None]:
    """The lowest lower and the highest upper bound of adjoining bands."""
    lower: Bound | None = bands[0].lower
    upper: Bound | None = bands[0].upper
    for band in bands[1:]:
        low, high = band.lower, band.upper
        if lower is not None and (
            low is None or (low.value, not low.closed) < (lower.value, not lower.closed)
        ):
            lower = low
        if upper is not None and (
            high is None or (high.value, high.closed) > (upper.value, upper.closed)
        ):
            upper = high
    return lower, upper


def band_range(ruleset: RuleSet, bands: tuple[Band, ...], unit: str) -> BandRange | None:
    """The band(s) a value fell in, as numbers and in words (memoised per scale band)."""
    if not bands:
        return None

    def build() -> BandRange:
        lower, upper = _envelope(bands)
        return BandRange(
            lower=float(lower.value) if lower else None,
            lower_inclusive=bool(lower and lower.closed),
            upper=float(upper.value) if upper else None,
            upper_inclusive=bool(upper and upper.closed),
            unit=unit,
            text=band_words(lower, upper, unit),
        )

    return ruleset.tables.memo(("band", *map(id, bands), unit), build)


def in_band_text(value: Decimal, figures: int, bands: tuple[Band, ...]) -> str:
    """`value` rounded like the input, with more figures only if fewer leave its band."""
    for count in range(max(figures, 2), 35):
        text = round_like(value, count)
        if not bands or any(band.contains(Decimal(text)) for band in bands):
            return text
    return format_number(value)


def band_text(reading: ScaleReading) -> str:
    return "; ".join(band.wording(reading.unit) for band in reading.bands)
