"""Typed models of the rules file (docs/rules-format.md), one class per YAML mapping.

Structural checks live here (known unit strings, one bound per side); checks that need
the whole file or the corpus live in labtool.rules_checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from labtool.units import format_number, normalize_unit


class _Strict(BaseModel):
    # Unknown keys are errors: a typo such as `less_then` must not silently drop a bound.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSpec(_Strict):
    doc_id: str = Field(min_length=1)
    section: str = Field(min_length=1)


@dataclass(frozen=True)
class Bound:
    """One end of a band: its value and whether the value itself belongs to the band."""

    value: Decimal
    closed: bool


class Band(_Strict):
    category: str | list[str]
    less_than: Decimal | None = None
    at_most: Decimal | None = None
    more_than: Decimal | None = None
    at_least: Decimal | None = None
    between_inclusive: tuple[Decimal, Decimal] | None = None
    source: SourceSpec

    @model_validator(mode="after")
    def _one_bound_per_side(self) -> Band:
        lowers = [self.more_than, self.at_least]
        uppers = [self.less_than, self.at_most]
        if self.between_inclusive is not None:
            lowers.append(self.between_inclusive[0])
            uppers.append(self.between_inclusive[1])
        if sum(x is not None for x in lowers) > 1 or sum(x is not None for x in uppers) > 1:
            raise ValueError("a band has at most one lower and one upper bound")
        if isinstance(self.category, list) and not self.category:
            raise ValueError("an empty category list")
        return self

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.category) if isinstance(self.category, list) else (self.category,)

    @property
    def lower(self) -> Bound | None:
        if self.between_inclusive is not None:
            return Bound(self.between_inclusive[0], closed=True)
        if self.more_than is not None:
            return Bound(self.more_than, closed=False)
        if self.at_least is not None:
            return Bound(self.at_least, closed=True)
        return None

    @property
    def upper(self) -> Bound | None:
        if self.between_inclusive is not None:
            return Bound(self.between_inclusive[1], closed=True)
        if self.less_than is not None:
            return Bound(self.less_than, closed=False)
        if self.at_most is not None:
            return Bound(self.at_most, closed=True)
        return None

    def contains(self, value: Decimal) -> bool:
        lower, upper = self.lower, self.upper
        if lower is not None and (
            value < lower.value or (value == lower.value and not lower.closed)
        ):
            return False
        return not (
            upper is not None
            and (value > upper.value or (value == upper.value and not upper.closed))
        )

    def wording(self, unit: str) -> str:
        """The band as the source words it, e.g. '180 ng/L to 350 ng/L inclusive'."""
        if self.between_inclusive is not None:
            low, high = (format_number(x) for x in self.between_inclusive)
            return f"{low} {unit} to {high} {unit} inclusive"
        parts: list[str] = []
        if self.more_than is not None:
            parts.append(f"above {format_number(self.more_than)} {unit}")
        if self.at_least is not None:
            parts.append(f"at least {format_number(self.at_least)} {unit}")
        if self.less_than is not None:
            parts.append(f"below {format_number(self.less_than)} {unit}")
        if self.at_most is not None:
            parts.append(f"at most {format_number(self.at_most)} {unit}")
        return " and ".join(parts) if parts else "any value"


class Population(_Strict):
    sex: Literal["female", "male"] | None = None
    pregnant: bool | None = None
    trimester: Literal[1, 2, 3] | None = None
    age_min_years: Decimal | None = None
    age_max_years: Decimal | None = None  # exclusive
    inflammation: bool | None = None

    def describe(self) -> str:
        parts = [f"{key}={value}" for key, value in self.model_dump(exclude_none=True).items()]
        return ", ".join(parts) if parts else "everyone"


class Rule(_Strict):
    id: str = Field(min_length=1)
    role: Literal["primary", "comparison"]
    population: Population = Field(default_factory=Population)
    scales: dict[str, list[Band]] = Field(min_length=1)

    @field_validator("scales")
    @classmethod
    def _known_units(cls, scales: dict[str, list[Band]]) -> dict[str, list[Band]]:
        normalised: dict[str, list[Band]] = {}
        for unit, bands in scales.items():
            canonical = normalize_unit(unit)
            if canonical is None:
                raise ValueError(f"scale '{unit}' is not a known unit")
            if not bands:
                raise ValueError(f"scale '{unit}' has no bands")
            normalised[canonical] = bands
        return normalised


class NearThreshold(_Strict):
    relative: Decimal | None = Field(default=None, gt=0, lt=1)
    absolute: Decimal | None = Field(default=None, gt=0)  # in the canonical unit
    source: SourceSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> NearThreshold:
        if (self.relative is None) == (self.absolute is None):
            raise ValueError("near_threshold needs exactly one of 'relative' or 'absolute'")
        return self


class Plausible(_Strict):
    """The physiologically possible range, in the canonical unit."""

    above: Decimal | None = None
    at_least: Decimal | None = None
    at_most: Decimal | None = None
    below: Decimal | None = None

    def contains(self, value: Decimal) -> bool:
        return not (
            (self.above is not None and value <= self.above)
            or (self.at_least is not None and value < self.at_least)
            or (self.at_most is not None and value > self.at_most)
            or (self.below is not None and value >= self.below)
        )

    def wording(self, unit: str) -> str:
        limits = (
            ("above", self.above),
            ("at least", self.at_least),
            ("at most", self.at_most),
            ("below", self.below),
        )
        parts = [f"{word} {format_number(x)} {unit}" for word, x in limits if x is not None]
        return " and ".join(parts) if parts else "any positive value"


class Category(_Strict):
    id: str = Field(min_length=1)
    label: str = Field(min_length=1)


class Analyte(_Strict):
    name: str = Field(min_length=1)
    canonical_unit: str
    units: dict[str, Decimal] = Field(min_length=1)
    plausible: Plausible = Field(default_factory=Plausible)
    near_threshold: NearThreshold
    categories: list[Category] = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1)

    @field_validator("canonical_unit")
    @classmethod
    def _known_canonical(cls, unit: str) -> str:
        canonical = normalize_unit(unit)
        if canonical is None:
            raise ValueError(f"canonical_unit '{unit}' is not a known unit")
        return canonical

    @field_validator("units")
    @classmethod
    def _known_unit_keys(cls, units: dict[str, Decimal]) -> dict[str, Decimal]:
        normalised: dict[str, Decimal] = {}
        for unit, factor in units.items():
            canonical = normalize_unit(unit)
            if canonical is None:
                raise ValueError(f"units entry '{unit}' is not a known unit")
            if factor <= 0:
                raise ValueError(f"units entry '{unit}' needs a positive factor")
            normalised[canonical] = factor
        return normalised

    def category_label(self, category_id: str) -> str:
        for category in self.categories:
            if category.id == category_id:
                return category.label
        return category_id

    @property
    def category_ids(self) -> tuple[str, ...]:
        return tuple(category.id for category in self.categories)


class ConclusionRule(_Strict):
    id: str = Field(min_length=1)
    when: dict[str, list[str]] = Field(min_length=1)
    unless_present: list[str] = Field(default_factory=list)
    summary: str = Field(min_length=1)
    source: SourceSpec


class RulesFile(_Strict):
    version: Literal[1]
    analytes: dict[str, Analyte] = Field(min_length=1)
    conclusions: list[ConclusionRule] = Field(default_factory=list)
