"""Which rule applies to this patient, and what to do when the text leaves it open.

Policy when a population attribute decides between primary rules but is not stated:
- sex, trimester: try every value; if they all give the same category, classify and say
  so, otherwise ask (MISSING_CONTEXT). Never guessed.
- pregnancy: assumed not pregnant (clinicians mention a pregnancy), stated in a note.
- age: assumed adult (children are described as such), stated in a note; adult ages at
  every age boundary the rules use above 18 are all tried.
- a declared attribute follows its `when_unstated` in the rules file: `vary` tries both
  values of a yes/no attribute, or a value on and between every boundary the primary
  rules use for a number attribute (classified only if they all agree); `assume` uses the
  assumed value and shows its note.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise, product

from labtool.attributes import Attribute, AttributeValue, Condition
from labtool.context import PatientContext, Sex
from labtool.rules_model import Analyte, Population, Rule

ADULT_AGE_YEARS = Decimal(18)
Declared = Mapping[str, Attribute]


@dataclass(frozen=True)
class Candidates:
    """The contexts to classify under, and what was assumed or left open to get them."""

    known: PatientContext  # what the text said
    contexts: tuple[PatientContext, ...]
    varied: tuple[str, ...]  # attributes tried with every value
    assumptions: tuple[str, ...]  # notes for attributes filled by default


def _meets(required: bool | Condition, value: AttributeValue | None) -> bool:
    if isinstance(required, Condition):
        return isinstance(value, Decimal) and required.contains(value)
    return required == (value if isinstance(value, bool) else None)


def matches(population: Population, context: PatientContext) -> bool:
    """Does a (fully resolved) patient belong to the rule's population?"""
    if population.sex is not None and population.sex != context.sex:
        return False
    if population.pregnant is not None and population.pregnant != bool(context.pregnant):
        return False
    if population.trimester is not None and population.trimester != context.trimester:
        return False
    for name, required in (population.attributes or {}).items():
        if not _meets(required, context.attribute(name)):
            return False
    if population.age_min_years is not None or population.age_max_years is not None:
        age = context.age_years
        if age is None:
            return False
        if population.age_min_years is not None and age < population.age_min_years:
            return False
        if population.age_max_years is not None and age >= population.age_max_years:
            return False
    return True


def primary_rule(analyte: Analyte, context: PatientContext) -> Rule | None:
    """The most specific primary rule for this patient (file order breaks ties)."""
    matching = [r for r in analyte.rules if r.role == "primary" and matches(r.population, context)]
    # max() keeps the first of equals, so file order breaks ties.
    return max(matching, key=lambda rule: rule.population.specificity, default=None)


def comparison_rules(
    analyte: Analyte, contexts: tuple[PatientContext, ...]
) -> Iterator[tuple[Rule, bool]]:
    """The comparison rules for these patients, each with whether it needed the adult age
    assumed (the text states no age and the rule has an age bound; adult as for primaries)."""
    for rule in analyte.rules:
        if rule.role != "comparison":
            continue
        if any(matches(rule.population, c) for c in contexts):
            yield rule, False
        elif any(
            c.age_years is None and matches(rule.population, replace(c, age_years=ADULT_AGE_YEARS))
            for c in contexts
        ):
            yield rule, True


def _primaries(analyte: Analyte) -> list[Population]:
    return [rule.population for rule in analyte.rules if rule.role == "primary"]


def _used(analyte: Analyte, attribute: str) -> bool:
    """Does any primary rule depend on this attribute?"""
    return attribute in analyte.primary_keys


def _adult_ages(analyte: Analyte) -> list[Decimal]:
    ages = {ADULT_AGE_YEARS}
    for population in _primaries(analyte):
        for bound in (population.age_min_years, population.age_max_years):
            if bound is not None and bound > ADULT_AGE_YEARS:
                ages.add(bound)
    return sorted(ages)


def _number_values(analyte: Analyte, name: str) -> list[AttributeValue]:
    """A value below, on, between and above every boundary the primary rules use."""
    bounds = sorted(
        {
            bound
            for population in _primaries(analyte)
            for condition in [(population.attributes or {}).get(name)]
            if isinstance(condition, Condition)
            for bound in condition.bounds
        }
    )
    if not bounds:
        return []
    below = bounds[0] / 2 if bounds[0] > 0 else bounds[0] - 1
    between = [(low + high) / 2 for low, high in pairwise(bounds)]
    return sorted({below, *bounds, *between, bounds[-1] + 1})


def _declared_values(
    analyte: Analyte, name: str, attribute: Attribute, varied: list[str], notes: list[str]
) -> list[AttributeValue | None]:
    if not _used(analyte, name):
        return [None]
    if attribute.when_unstated == "assume":
        assert attribute.assumed is not None
        notes.append(attribute.assumption_note(name))
        return [attribute.assumed]
    values: list[AttributeValue] = (
        [False, True] if attribute.type == "boolean" else _number_values(analyte, name)
    )
    if len(values) > 1:
        varied.append(name)
    return list(values) or [None]


def candidates(analyte: Analyte, context: PatientContext, declared: Declared) -> Candidates:
    """Every patient the text could describe, as far as this analyte's rules care."""
    varied: list[str] = []
    assumptions: list[str] = []

    sexes: list[Sex | None] = [context.sex]
    if context.sex is None and _used(analyte, "sex"):
        sexes = ["female", "male"]
        varied.append("sex")

    pregnancies: list[bool | None] = [context.pregnant]
    if context.pregnant is None:
        pregnancies = [False]
        if _used(analyte, "pregnant") and context.sex != "male":
            assumptions.append("Pregnancy was not mentioned: non-pregnant cut-offs were used.")

    trimesters: list[int | None] = [context.trimester]
    if context.pregnant and context.trimester is None and _used(analyte, "trimester"):
        trimesters = [1, 2, 3]
        varied.append("trimester")

    ages: list[Decimal | None] = [context.age_years]
    if context.age_years is None and _used(analyte, "age"):
        ages = list(_adult_ages(analyte))
        assumptions.append("Age was not mentioned: adult cut-offs were used.")
        if len(ages) > 1:
            varied.append("age")

    taken = [key for key in context.earlier if _used(analyte, key)]
    if taken:
        assumptions.append(f"From earlier in the conversation: {_only(context, taken, declared)}.")

    known = dict(context.attributes)
    names = [name for name in declared if name not in known]
    options = [
        _declared_values(analyte, name, declared[name], varied, assumptions) for name in names
    ]
    attribute_sets: list[tuple[tuple[str, AttributeValue], ...]] = []
    for chosen in product(*options):
        values = {**known, **dict(zip(names, chosen, strict=True))}
        attribute_sets.append(
            tuple((name, v) for name in declared if (v := values.get(name)) is not None)
        )

    contexts = tuple(
        PatientContext(
            sex=sex, pregnant=pregnant, trimester=trimester, age_years=age, attributes=attributes
        )
        for sex, pregnant, trimester, age, attributes in product(
            sexes, pregnancies, trimesters, ages, attribute_sets
        )
    )
    return Candidates(
        known=context, contexts=contexts, varied=tuple(varied), assumptions=tuple(assumptions)
    )


def _only(context: PatientContext, keys: list[str], declared: Declared) -> str:
    """The context's values for these keys only, as `PatientContext.describe` words them."""
    return PatientContext(
        sex=context.sex if "sex" in keys else None,
        pregnant=context.pregnant if "pregnant" in keys else None,
        trimester=context.trimester if "trimester" in keys else None,
        age_years=context.age_years if "age" in keys else None,
        attributes=tuple((name, value) for name, value in context.attributes if name in keys),
    ).describe(declared)


_BUILT_IN_QUESTIONS = {
    "sex": "the patient's sex",
    "trimester": "the trimester (or weeks of pregnancy)",
    "age": "the patient's age",
}


def describe_attribute(attribute: str, declared: Declared | None = None) -> str:
    found = (declared or {}).get(attribute)
    if found is not None:
        return found.question(attribute)
    return _BUILT_IN_QUESTIONS.get(attribute, attribute)
