"""Bands, conversions and near-threshold windows compiled to floats when the rules load.

Classifying a value compares it with the bands of several scales (the primary rule, its
other scales, every comparison rule) and converts it between units. In Decimal, through the
models' properties, that was most of a message's time. Here each scale's bounds, each unit
conversion (value in one unit = value in another × scale + offset) and each near-threshold
window are compiled once to floats. A float decides only when the value is clearly away from
a bound (farther than 1e-9 of the magnitudes involved, while one conversion errs by about
1e-16); a value on a bound, or within that distance of one, is decided in exact Decimal
arithmetic, so a value exactly on a cut-off, in any unit, lands where the rules file puts it.
Censored results ("<150") take the Decimal path (labtool.bands).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from labtool.bands import Interval, ScaleReading
from labtool.rules_model import Analyte, Band, Bound, NearThreshold, Plausible, Rule
from labtool.units import UnitRule, convert

__all__ = ["Conversion", "Point", "Tables"]

_RELATIVE = 1e-9  # a float decides only farther than this from a bound (relative)
_MEMO_LIMIT = 20_000
T = TypeVar("T")


@dataclass(frozen=True)
class Conversion:
    """A unit conversion of one analyte as floats: to = from × scale + offset."""

    scale: float
    offset: float
    source: str
    target: str
    rules: dict[str, UnitRule]

    @classmethod
    def of(cls, source: str, target: str, rules: dict[str, UnitRule]) -> Conversion:
        zero = convert(Decimal(0), source, target, rules)
        one = convert(Decimal(1), source, target, rules)
        return cls(float(one - zero), float(zero), source, target, rules)


class Point:
    """One value given in one unit, read on another: as a float, exactly when needed."""

    __slots__ = ("_exact", "conversion", "value", "x")

    def __init__(self, value: Decimal, conversion: Conversion) -> None:
        self.value = value
        self.conversion = conversion
        self.x = float(value) * conversion.scale + conversion.offset
        self._exact: Decimal | None = None

    @property
    def exact(self) -> Decimal:
        if self._exact is None:
            conversion = self.conversion
            self._exact = convert(
                self.value, conversion.source, conversion.target, conversion.rules
            )
        return self._exact

    def compare(self, bound: float, exact_bound: Decimal) -> int:
        """The sign of (value - bound): by floats when clearly apart, else exactly."""
        difference = self.x - bound
        tolerance = _RELATIVE * (abs(self.x) + abs(bound) + abs(self.conversion.offset))
        if difference > tolerance:
            return 1
        if difference < -tolerance:
            return -1
        exact = self.exact
        return (exact > exact_bound) - (exact < exact_bound)


@dataclass(frozen=True)
class _Bound:
    value: float
    exact: Decimal
    closed: bool


@dataclass(frozen=True)
class _CompiledBand:
    band: Band
    lower: _Bound | None
    upper: _Bound | None
    categories: frozenset[str]

    def contains(self, point: Point) -> bool:
        lower, upper = self.lower, self.upper
        if lower is not None:
            side = point.compare(lower.value, lower.exact)
            if side < 0 or (side == 0 and not lower.closed):
                return False
        if upper is not None:
            side = point.compare(upper.value, upper.exact)
            if side > 0 or (side == 0 and not upper.closed):
                return False
        return True


def _bound(bound: Bound | None) -> _Bound | None:
    return None if bound is None else _Bound(float(bound.value), bound.value, bound.closed)


def _compile_bands(bands: list[Band]) -> tuple[_CompiledBand, ...]:
    return tuple(
        _CompiledBand(b, _bound(b.lower), _bound(b.upper), frozenset(b.categories)) for b in bands
    )


@dataclass(frozen=True)
class _Window:
    """A near-threshold window around one boundary, in the canonical unit."""

    boundary: Decimal  # in the scale's unit
    center: float
    center_exact: Decimal
    tolerance: float
    tolerance_exact: Decimal


class Tables:
    """Everything compiled for one rule set, plus small memos of pure per-patient lookups."""

    def __init__(self, analytes: dict[str, Analyte]) -> None:
        self._analytes = analytes
        self._conversions: dict[tuple[int, str, str], Conversion] = {}
        self._scales: dict[tuple[int, str], tuple[_CompiledBand, ...]] = {}
        self._windows: dict[tuple[int, str], tuple[_Window, ...]] = {}
        self._scale_units: dict[tuple[int, str], str] = {}
        self._memo: dict[Hashable, object] = {}

    def compile(self) -> Tables:
        """Compile every scale, conversion and window now (at rules load)."""
        for analyte in self._analytes.values():
            units = analyte.accepted_units
            for source in units:
                for target in units:
                    self.conversion(analyte, source, target)
            for rule in analyte.rules:
                for unit in rule.scales:
                    self.scale(rule, unit)
                    self.windows(analyte, rule, unit)
                for unit in units:
                    self.scale_for(analyte, rule, unit)
        return self

    def conversion(self, analyte: Analyte, source: str, target: str) -> Conversion:
        key = (id(analyte), source, target)
        found = self._conversions.get(key)
        if found is None:
            found = self._conversions[key] = Conversion.of(source, target, analyte.unit_rules)
        return found

    def scale(self, rule: Rule, unit: str) -> tuple[_CompiledBand, ...]:
        key = (id(rule), unit)
        found = self._scales.get(key)
        if found is None:
            found = self._scales[key] = _compile_bands(rule.scales[unit])
        return found

    def windows(self, analyte: Analyte, rule: Rule, unit: str) -> tuple[_Window, ...]:
        key = (id(rule), unit)
        found = self._windows.get(key)
        if found is None:
            near = analyte.near_threshold
            found = () if near is None else _windows(analyte, rule, unit, near)
            self._windows[key] = found
        return found

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A pure lookup's result, remembered (bounded: cleared when it grows large)."""
        if key in self._memo:
            return self._memo[key]  # type: ignore[return-value]
        if len(self._memo) > _MEMO_LIMIT:
            self._memo.clear()
        value = self._memo[key] = compute()
        return value

    # --- reading a point value --------------------------------------------------------

    def scale_for(self, analyte: Analyte, rule: Rule, unit: str) -> str:
        """As labtool.bands.scale_unit_for: the unit's own scale, an identical one, or the
        rule's first scale."""
        key = (id(rule), unit)
        found = self._scale_units.get(key)
        if found is None:
            rules = analyte.unit_rules
            same = [s for s in rule.scales if rules[s] == rules[unit]]
            found = unit if unit in rule.scales else same[0] if same else next(iter(rule.scales))
            self._scale_units[key] = found
        return found

    def point_band(
        self, analyte: Analyte, rule: Rule, scale_unit: str, value: Decimal, unit: str
    ) -> _CompiledBand | None:
        """The band of the scale the exact value falls in (None only for a scale that leaves
        a gap, which the rules' validation rules out)."""
        point = Point(value, self.conversion(analyte, unit, scale_unit))
        for compiled in self.scale(rule, scale_unit):
            if compiled.contains(point):
                return compiled
        return None

    def point_categories(
        self, analyte: Analyte, rule: Rule, value: Decimal, unit: str, scale_unit: str | None = None
    ) -> frozenset[str]:
        """The categories of a value on a scale (`scale_unit` None: the rule's choice)."""
        scale_unit = scale_unit or self.scale_for(analyte, rule, unit)
        found = self.point_band(analyte, rule, scale_unit, value, unit)
        return found.categories if found is not None else frozenset()

    def read_point(
        self, analyte: Analyte, rule: Rule, scale_unit: str, value: Decimal, unit: str
    ) -> ScaleReading:
        """The exact value read on one scale (the float path of labtool.bands.read_on_scale)."""
        found = self.point_band(analyte, rule, scale_unit, value, unit)
        bands = (found.band,) if found is not None else ()
        rules = analyte.unit_rules
        native = rules[scale_unit] == rules[unit]
        return ScaleReading(rule, scale_unit, native, bands, Interval.point(value), unit, rules)

    def read_rule_point(
        self, analyte: Analyte, rule: Rule, value: Decimal, unit: str
    ) -> ScaleReading:
        """As labtool.bands.read_rule, for a point value."""
        return self.read_point(analyte, rule, self.scale_for(analyte, rule, unit), value, unit)

    def plausible_point(self, analyte: Analyte, value: Decimal, unit: str) -> bool:
        """Is the value (a point) physiologically possible? As Plausible.contains, exactly."""
        limits = self.memo(("plausible", id(analyte)), lambda: _plausible_bounds(analyte.plausible))
        point = Point(value, self.conversion(analyte, unit, analyte.canonical_unit))
        return all(point.compare(bound, exact) in allowed for bound, exact, allowed in limits)

    def near_point(
        self, analyte: Analyte, reading: ScaleReading, value: Decimal, unit: str
    ) -> Decimal | None:
        """The boundary (in the scale's unit) a point value lies close to, if any (as
        labtool.bands.near_boundary)."""
        windows = self.windows(analyte, reading.rule, reading.unit)
        if not windows:
            return None
        point = Point(value, self.conversion(analyte, unit, analyte.canonical_unit))
        for window in windows:
            distance = abs(point.x - window.center)
            margin = distance - window.tolerance
            tolerance = _RELATIVE * (abs(point.x) + abs(window.center) + window.tolerance)
            if margin < -tolerance:
                return window.boundary
            if margin <= tolerance and abs(point.exact - window.center_exact) <= (
                window.tolerance_exact
            ):
                return window.boundary
        return None


def _plausible_bounds(plausible: Plausible) -> tuple[tuple[float, Decimal, tuple[int, ...]], ...]:
    """(bound, exact bound, the signs of value - bound that are allowed)."""
    limits = (
        (plausible.above, (1,)),
        (plausible.at_least, (0, 1)),
        (plausible.at_most, (-1, 0)),
        (plausible.below, (-1,)),
    )
    return tuple((float(x), x, allowed) for x, allowed in limits if x is not None)


def _windows(analyte: Analyte, rule: Rule, unit: str, near: NearThreshold) -> tuple[_Window, ...]:
    rules = analyte.unit_rules
    canonical = analyte.canonical_unit
    values = {
        bound.value for band in rule.scales[unit] for bound in (band.lower, band.upper) if bound
    }
    windows = []
    for boundary in sorted(value for value in values if value > 0):
        center = convert(boundary, unit, canonical, rules)
        tolerance = near.relative * center if near.relative is not None else near.absolute
        exact_tolerance = tolerance or Decimal(0)
        windows.append(
            _Window(boundary, float(center), center, float(exact_tolerance), exact_tolerance)
        )
    return tuple(windows)
