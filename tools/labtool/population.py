"""Which rule applies to this patient, and what to do when the text leaves it open.

Policy when a population attribute decides between primary rules but is not stated:
- sex, trimester, inflammation: try every value; if they all give the same category,
  classify and say so, otherwise ask (MISSING_CONTEXT). Never guessed.
- pregnancy: assumed not pregnant (clinicians mention a pregnancy), stated in a note.
- age: assumed adult (children are described as such), stated in a note; adult ages at
  every age boundary the rules use above 18 are all tried.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import product

from labtool.context import PatientContext, Sex
from labtool.rules_model import Analyte, Population, Rule

ADULT_AGE_YEARS = Decimal(18)


@dataclass(frozen=True)
class Candidates:
    """The contexts to classify under, and what was assumed or left open to get them."""

    known: PatientContext  # what the text said
    contexts: tuple[PatientContext, ...]
    varied: tuple[str, ...]  # attributes tried with every value
    assumptions: tuple[str, ...]  # notes for attributes filled by default


def matches(population: Population, context: PatientContext) -> bool:
    """Does a (fully resolved) patient belong to the rule's population?"""
    if population.sex is not None and population.sex != context.sex:
        return False
    if population.pregnant is not None and population.pregnant != bool(context.pregnant):
        return False
    if population.trimester is not None and population.trimester != context.trimester:
        return False
    if population.inflammation is not None and population.inflammation != context.inflammation:
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


def _specificity(population: Population) -> int:
    return len(population.model_dump(exclude_none=True))


def primary_rule(analyte: Analyte, context: PatientContext) -> Rule | None:
    """The most specific primary rule for this patient (file order breaks ties)."""
    matching = [r for r in analyte.rules if r.role == "primary" and matches(r.population, context)]
    # max() keeps the first of equals, so file order breaks ties.
    return max(matching, key=lambda rule: _specificity(rule.population), default=None)


def comparison_rules(analyte: Analyte, contexts: tuple[PatientContext, ...]) -> Iterator[Rule]:
    for rule in analyte.rules:
        if rule.role == "comparison" and any(matches(rule.population, c) for c in contexts):
            yield rule


def _used(analyte: Analyte, attribute: str) -> bool:
    """Does any primary rule depend on this attribute?"""
    for rule in analyte.rules:
        if rule.role != "primary":
            continue
        population = rule.population
        if attribute == "age":
            if population.age_min_years is not None or population.age_max_years is not None:
                return True
        elif getattr(population, attribute) is not None:
            return True
    return False


def _adult_ages(analyte: Analyte) -> list[Decimal]:
    ages = {ADULT_AGE_YEARS}
    for rule in analyte.rules:
        for bound in (rule.population.age_min_years, rule.population.age_max_years):
            if rule.role == "primary" and bound is not None and bound > ADULT_AGE_YEARS:
                ages.add(bound)
    return sorted(ages)


def candidates(analyte: Analyte, context: PatientContext) -> Candidates:
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

    inflammations: list[bool | None] = [context.inflammation]
    if context.inflammation is None and _used(analyte, "inflammation"):
        inflammations = [False, True]
        varied.append("inflammation")

    contexts = tuple(
        PatientContext(
            sex=sex, pregnant=pregnant, trimester=trimester, age_years=age, inflammation=inflamed
        )
        for sex, pregnant, trimester, age, inflamed in product(
            sexes, pregnancies, trimesters, ages, inflammations
        )
    )
    return Candidates(
        known=context, contexts=contexts, varied=tuple(varied), assumptions=tuple(assumptions)
    )


def describe_attribute(attribute: str) -> str:
    return {
        "sex": "the patient's sex",
        "trimester": "the trimester (or weeks of pregnancy)",
        "age": "the patient's age",
        "inflammation": "whether there is inflammation or infection (e.g. the CRP)",
    }.get(attribute, attribute)
