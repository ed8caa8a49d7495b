"""The cut-offs of a rules file, read straight from its documented YAML shape.

Threshold consistency compares what an answer states with the rules file the run was given.
Reading the file here (docs/rules-format.md), not through the lab tool, keeps the
instrument independent of the code under test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.evaluation.text import normalise_unit

_BOUND_KEYS = ("less_than", "at_most", "more_than", "at_least")
# Converted figures agree when they differ by less than this share (float noise only).
_CONVERSION_TOLERANCE = 5e-4

_LABEL_STOPWORDS = frozenset({"above", "below", "level", "linked", "shown", "therapy", "possible"})


class RulesViewError(ValueError):
    """The rules file cannot be read as the documented shape."""


@dataclass
class RuleBounds:
    """The cut-offs of one rule and the corpus sections its bands cite."""

    rule_id: str
    primary: bool = False
    sources: set[tuple[str, str]] = field(default_factory=set)  # (doc_id, section)
    bounds: list[tuple[float, str]] = field(default_factory=list)  # (value, normalised unit)

    def cites(self, doc_id: str, section: str) -> bool:
        """Whether a band cites this passage (its heading path ends with the rule's section)."""
        return any(
            d == doc_id and (section == s or section.endswith(f" > {s}")) for d, s in self.sources
        )


@dataclass(frozen=True)
class UnitScale:
    """A unit of an analyte: value in this unit = slope × canonical value + intercept."""

    slope: float
    intercept: float = 0.0

    def to_canonical(self, value: float) -> float:
        return (value - self.intercept) / self.slope


@dataclass
class AnalyteBounds:
    key: str
    aliases: tuple[str, ...]
    unit_factors: dict[str, UnitScale]  # normalised unit -> its relation to the canonical unit
    category_words: tuple[str, ...]  # stems of the category labels ("defici", "indeter", ...)
    rules: list[RuleBounds] = field(default_factory=list)

    def accepts(self, unit: str) -> bool:
        return normalise_unit(unit) in self.unit_factors

    def is_boundary(
        self, value: float, unit: str, rules: list[RuleBounds], *, same_unit: bool = False
    ) -> bool:
        """A cut-off of one of `rules`, compared in canonical units (exact conversions only),
        or only in the stated unit when `same_unit`."""
        key = normalise_unit(unit)
        scale = self.unit_factors.get(key)
        if scale is None:
            return False
        stated = scale.to_canonical(value)
        for rule in rules:
            for bound, bound_unit in rule.bounds:
                if same_unit and bound_unit != key:
                    continue
                bound_scale = self.unit_factors.get(bound_unit)
                if bound_scale is None:
                    continue
                reference = bound_scale.to_canonical(bound)
                if abs(stated - reference) <= _CONVERSION_TOLERANCE * max(abs(reference), 1e-12):
                    return True
        return False


@dataclass(frozen=True)
class RulesView:
    analytes: dict[str, AnalyteBounds]
    units: list[str]  # every unit spelling the rules file uses, as written there
    # Tests the rules do not classify: a number after one of them is theirs, not the
    # neighbouring classified test's ("red cell folate below 226.5 nmol/L").
    other_names: tuple[str, ...] = ()


def _band_bounds(band: dict[str, Any]) -> list[float]:
    values = [float(band[k]) for k in _BOUND_KEYS if k in band]
    between = band.get("between_inclusive")
    if isinstance(between, list):
        values.extend(float(v) for v in between)
    return values


def _category_words(spec: dict[str, Any], name: str) -> tuple[str, ...]:
    name_words = set(re.findall(r"[a-z0-9]+", name))
    words: set[str] = set()
    for category in spec.get("categories") or []:
        for word in re.findall(r"[a-z]+", str(category.get("label", "")).lower()):
            if len(word) >= 5 and word not in name_words and word not in _LABEL_STOPWORDS:
                words.add(word[:6])
    return tuple(sorted(words))


def _rule(rule: dict[str, Any], spellings: set[str]) -> RuleBounds:
    bounds = RuleBounds(str(rule.get("id", "")), primary=rule.get("role") == "primary")
    for unit, bands in (rule.get("scales") or {}).items():
        spellings.add(unit)
        for band in bands:
            source = band.get("source") or {}
            bounds.sources.add((str(source.get("doc_id", "")), str(source.get("section", ""))))
            bounds.bounds.extend((value, normalise_unit(unit)) for value in _band_bounds(band))
    return bounds


def _scale(value: Any) -> UnitScale:
    """A unit entry: a factor into the canonical unit, or an affine {slope, intercept}."""
    if isinstance(value, dict):
        return UnitScale(float(value["slope"]), float(value.get("intercept", 0)))
    return UnitScale(1 / float(value))


def load_rules_view(path: Path, other_names: tuple[str, ...] = ()) -> RulesView:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RulesViewError(f"{path}: cannot read rules: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("analytes"), dict):
        raise RulesViewError(f"{path}: no 'analytes' mapping")
    analytes: dict[str, AnalyteBounds] = {}
    spellings: set[str] = set()
    others = list(other_names)
    try:
        for key, spec in data["analytes"].items():
            written = [str(a).lower() for a in spec.get("aliases") or []]
            if spec.get("role") == "context":
                others.extend(written)
                continue
            units = {normalise_unit(u): _scale(f) for u, f in (spec.get("units") or {}).items()}
            spellings.update(spec.get("units") or {})
            name = str(spec.get("name", "")).lower()
            aliases = tuple(dict.fromkeys([*written, key.lower()]))
            analytes[key] = AnalyteBounds(
                key,
                aliases,
                units,
                _category_words(spec, name),
                [_rule(rule, spellings) for rule in spec.get("rules") or []],
            )
    except (AttributeError, TypeError, ValueError, KeyError, ZeroDivisionError) as exc:
        raise RulesViewError(f"{path}: unexpected rules shape: {exc}") from exc
    return RulesView(analytes, sorted(spellings), tuple(dict.fromkeys(o.lower() for o in others)))
