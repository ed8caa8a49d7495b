"""Typed models of the rules file (docs/rules-format.md), one class per YAML mapping.

Structural checks live here (known unit strings, one bound per side); checks that need
the whole file or the corpus live in labtool.rules_checks. Populations and declared
patient attributes are modelled in labtool.attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator, model_validator

from labtool.attributes import Attribute, Population, SourceSpec, StrictModel
from labtool.conditions import NOT_MEASURED, Check, ConclusionRule
from labtool.units import Affine, UnitRule, format_number, normalize_unit

__all__ = [
    "NOT_MEASURED",
    "Analyte",
    "Attribute",
    "Band",
    "Bound",
    "Category",
    "Check",
    "ConclusionRule",
    "NearThreshold",
    "NotCovered",
    "PairedReading",
    "Plausible",
    "Population",
    "Rule",
    "RulesFile",
    "SourceSpec",
]


@dataclass(frozen=True)
class Bound:
    """One end of a band: its value and whether the value itself belongs to the band."""

    value: Decimal
    closed: bool


class Band(StrictModel):
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


class Rule(StrictModel):
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


class NearThreshold(StrictModel):
    relative: Decimal | None = Field(default=None, gt=0, lt=1)
    absolute: Decimal | None = Field(default=None, gt=0)  # in the canonical unit
    source: SourceSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> NearThreshold:
        if (self.relative is None) == (self.absolute is None):
            raise ValueError("near_threshold needs exactly one of 'relative' or 'absolute'")
        return self


class Plausible(StrictModel):
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


class Category(StrictModel):
    id: str = Field(min_length=1)
    label: str = Field(min_length=1)


class AffineUnit(StrictModel):
    """value in this unit = slope × canonical value + intercept."""

    slope: Decimal = Field(gt=0)
    intercept: Decimal


class Analyte(StrictModel):
    name: str = Field(min_length=1)
    aliases: list[str] = Field(min_length=1)  # every name a result may be written after
    role: Literal["classified", "context"] = "classified"
    canonical_unit: str
    unit_table: dict[str, Decimal | AffineUnit] = Field(alias="units", min_length=1)
    plausible: Plausible = Field(default_factory=Plausible)
    near_threshold: NearThreshold | None = None
    categories: list[Category] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, aliases: list[str]) -> list[str]:
        for alias in aliases:
            if not alias.strip() or not alias.strip()[0].isalnum():
                raise ValueError(f"alias '{alias}' must start with a letter or a digit")
        return [alias.strip() for alias in aliases]

    @field_validator("canonical_unit")
    @classmethod
    def _known_canonical(cls, unit: str) -> str:
        canonical = normalize_unit(unit)
        if canonical is None:
            raise ValueError(f"canonical_unit '{unit}' is not a known unit")
        return canonical

    @field_validator("unit_table")
    @classmethod
    def _known_unit_keys(
        cls, units: dict[str, Decimal | AffineUnit]
    ) -> dict[str, Decimal | AffineUnit]:
        normalised: dict[str, Decimal | AffineUnit] = {}
        for unit, rule in units.items():
            canonical = normalize_unit(unit)
            if canonical is None:
                raise ValueError(f"units entry '{unit}' is not a known unit")
            if isinstance(rule, Decimal) and rule <= 0:
                raise ValueError(f"units entry '{unit}' needs a positive factor")
            normalised[canonical] = rule
        return normalised

    @model_validator(mode="after")
    def _role(self) -> Analyte:
        parts = {"categories": self.categories, "rules": self.rules}
        if self.role == "context":
            given = [key for key, value in parts.items() if value]
            if self.near_threshold is not None:
                given.append("near_threshold")
            if given:
                raise ValueError(f"a context analyte has no {', '.join(given)}")
            return self
        missing = [key for key, value in parts.items() if not value]
        if self.near_threshold is None:
            missing.append("near_threshold")
        if missing:
            raise ValueError(f"a classified analyte needs {', '.join(missing)}")
        return self

    @cached_property
    def unit_rules(self) -> dict[str, UnitRule]:
        """Every accepted unit -> how it converts into the canonical unit."""
        return {
            unit: Affine(rule.slope, rule.intercept) if isinstance(rule, AffineUnit) else rule
            for unit, rule in self.unit_table.items()
        }

    @cached_property
    def units(self) -> dict[str, Decimal]:
        """The units given by a factor (value × factor = canonical value). Affine units are in
        `unit_rules` and `accepted_units` only."""
        return {u: r for u, r in self.unit_table.items() if isinstance(r, Decimal)}

    @cached_property
    def primary_keys(self) -> frozenset[str]:
        """The population keys the primary rules depend on ('age' for either age bound)."""
        keys: set[str] = set()
        for rule in self.rules:
            if rule.role == "primary":
                for key, _ in rule.population.items():
                    keys.add("age" if key in ("age_min_years", "age_max_years") else key)
        return frozenset(keys)

    @property
    def accepted_units(self) -> tuple[str, ...]:
        return tuple(self.unit_table)

    @property
    def classified(self) -> bool:
        return self.role == "classified"

    def category_label(self, category_id: str) -> str:
        for category in self.categories:
            if category.id == category_id:
                return category.label
        return category_id

    @property
    def category_ids(self) -> tuple[str, ...]:
        return tuple(category.id for category in self.categories)


class PairedReading(StrictModel):
    """One name, two numbers: "BP 150/95 mmHg" is two results."""

    aliases: list[str] = Field(min_length=1)
    analytes: list[str] = Field(min_length=2, max_length=2)


class NotCovered(StrictModel):
    """A test this pack does not interpret whose name contains an alias (never read as it)."""

    name: str = Field(min_length=1)
    aliases: list[str] = Field(min_length=1)


class RulesFile(StrictModel):
    version: Literal[2]
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    analytes: dict[str, Analyte] = Field(min_length=1)
    paired_readings: list[PairedReading] = Field(default_factory=list)
    not_covered: list[NotCovered] = Field(default_factory=list)
    conclusions: list[ConclusionRule] = Field(default_factory=list)
