"""Where a value (or a censored range such as "<50") falls on a rule's scale.

Values are exact Decimals; a censored result is an interval, and it has one category
only when every band it touches has that category.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property

from labtool.rules_model import Band, NearThreshold, Plausible, Rule
from labtool.units import UnitRule, convert


@dataclass(frozen=True)
class Interval:
    """Possible true values: a point, "<x" / "<=x" (from 0), or ">x" / ">=x" (open above)."""

    low: Decimal
    low_closed: bool
    high: Decimal | None  # None: no upper limit
    high_closed: bool

    @classmethod
    def point(cls, value: Decimal) -> Interval:
        return cls(value, True, value, True)

    @classmethod
    def censored(cls, value: Decimal, censor: str) -> Interval:
        if censor in ("<", "<="):
            return cls(Decimal(0), False, value, censor == "<=")
        return cls(value, censor == ">=", None, False)

    @property
    def is_point(self) -> bool:
        return self.high == self.low and self.low_closed and self.high_closed

    @property
    def is_empty(self) -> bool:
        if self.high is None:
            return False
        return self.high < self.low or (
            self.high == self.low and not (self.low_closed and self.high_closed)
        )

    @property
    def representative(self) -> Decimal:
        """The number written: the value, or the censoring limit."""
        return self.high if self.high is not None and self.low == 0 else self.low

    def converted(self, from_unit: str, to_unit: str, factors: Mapping[str, UnitRule]) -> Interval:
        high = None if self.high is None else convert(self.high, from_unit, to_unit, factors)
        low = convert(self.low, from_unit, to_unit, factors)
        return Interval(low, self.low_closed, high, self.high_closed)


def _overlaps(band: Band, interval: Interval) -> bool:
    lower, upper = band.lower, band.upper
    # Highest lower end of the two ranges, then lowest upper end; compare them.
    low, low_closed = interval.low, interval.low_closed
    if lower is not None and (lower.value > low or (lower.value == low and not lower.closed)):
        low, low_closed = lower.value, lower.closed
    high, high_closed = interval.high, interval.high_closed
    if upper is not None and (
        high is None or upper.value < high or (upper.value == high and not upper.closed)
    ):
        high, high_closed = upper.value, upper.closed
    if high is None:
        return True
    return low < high or (low == high and low_closed and high_closed)


def bands_touching(bands: Sequence[Band], interval: Interval) -> list[Band]:
    """The bands a value or censored range falls in (exactly one for a value)."""
    return [band for band in bands if _overlaps(band, interval)]


@dataclass(frozen=True)
class ScaleReading:
    """A value read on one scale of one rule."""

    rule: Rule
    unit: str  # the scale's unit
    native: bool  # the value was given in this unit or an identical one (no conversion)
    bands: tuple[Band, ...]
    given: Interval  # the value as given
    given_unit: str
    factors: Mapping[str, UnitRule] = field(repr=False, compare=False)

    @cached_property
    def interval(self) -> Interval:
        """The value in the scale's unit (converted on first use)."""
        return self.given.converted(self.given_unit, self.unit, self.factors)

    @cached_property
    def categories(self) -> frozenset[str]:
        """Every category the value may have on this scale."""
        return frozenset(category for band in self.bands for category in band.categories)

    @property
    def single_band(self) -> Band | None:
        return self.bands[0] if len(self.bands) == 1 else None


def scale_unit_for(rule: Rule, unit: str, factors: Mapping[str, UnitRule]) -> tuple[str, bool]:
    """Compare natively when the source published this unit (or an identical one, such as
    ng/mL for µg/L); otherwise convert to the rule's first scale."""
    if unit in rule.scales:
        return unit, True
    for scale_unit in rule.scales:
        if factors[scale_unit] == factors[unit]:
            return scale_unit, True
    return next(iter(rule.scales)), False


def read_on_scale(
    rule: Rule, scale_unit: str, interval: Interval, unit: str, factors: Mapping[str, UnitRule]
) -> ScaleReading:
    reading = ScaleReading(
        rule, scale_unit, factors[scale_unit] == factors[unit], (), interval, unit, factors
    )
    bands = bands_touching(rule.scales[scale_unit], reading.interval)
    return replace(reading, bands=tuple(bands))


def read_rule(
    rule: Rule, interval: Interval, unit: str, factors: Mapping[str, UnitRule]
) -> ScaleReading:
    scale_unit, _ = scale_unit_for(rule, unit, factors)
    return read_on_scale(rule, scale_unit, interval, unit, factors)


def boundaries(bands: Sequence[Band]) -> list[Decimal]:
    values = {bound.value for band in bands for bound in (band.lower, band.upper) if bound}
    return sorted(value for value in values if value > 0)


def near_boundary(
    reading: ScaleReading, near: NearThreshold, canonical: str, factors: Mapping[str, UnitRule]
) -> Decimal | None:
    """The boundary (in the scale's unit) the value lies close to, if any."""
    value = reading.interval.representative
    value_c = convert(value, reading.unit, canonical, factors)
    for boundary in boundaries(reading.rule.scales[reading.unit]):
        boundary_c = convert(boundary, reading.unit, canonical, factors)
        if near.relative is not None:
            tolerance = near.relative * boundary_c
        else:
            tolerance = near.absolute or Decimal(0)
        if abs(value_c - boundary_c) <= tolerance:
            return boundary
    return None


def implausible(interval: Interval, plausible: Plausible) -> bool:
    """True when no value the result allows is physiologically possible."""
    if interval.is_point:
        return not plausible.contains(interval.low)
    if interval.high is not None:  # "<x": from 0 up to x
        floor = plausible.above if plausible.above is not None else plausible.at_least
        return floor is not None and interval.high <= floor
    ceiling = plausible.at_most if plausible.at_most is not None else plausible.below
    return ceiling is not None and interval.low >= ceiling
