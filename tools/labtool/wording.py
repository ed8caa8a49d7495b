"""Plain-English wording of the people a rule covers and of the patient a message describes.

Generated from the populations in the rules file and the labels of its declared
attributes, so the wording carries no knowledge of any clinical field: "people aged 16 years
and over", "pregnant women in the second trimester", "people with <label>".
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from labtool.attributes import Attribute, Condition, Population
from labtool.context import PatientContext
from labtool.rules_model import Analyte
from labtool.units import format_number

Declared = Mapping[str, Attribute]
_ORDINALS = {1: "first", 2: "second", 3: "third"}


def age_text(years: Decimal) -> str:
    """'6 months', '18 months', '1 year', '16 years'."""
    if years < 1 or (years < 2 and years != years.to_integral_value()):
        months = years * 12
        return f"{format_number(months)} month{'' if months == 1 else 's'}"
    return f"{format_number(years)} year{'' if years == 1 else 's'}"


def _age_range(population: Population) -> str:
    low, high = population.age_min_years, population.age_max_years
    if low is not None and high is not None:
        return f"aged {age_text(low)} to under {age_text(high)}"
    if low is not None:
        return f"aged {age_text(low)} and over"
    if high is not None:
        return f"aged under {age_text(high)}"
    return ""


def _label(name: str, declared: Declared) -> str:
    attribute = declared.get(name)
    return attribute.label_for(name) if attribute is not None else name.replace("_", " ")


def population_phrase(population: Population, declared: Declared) -> str:
    """Who a rule covers, e.g. 'non-pregnant females aged 15 years and over'."""
    if population.pregnant:
        noun = "pregnant women"
        if population.trimester is not None:
            noun += f" in the {_ORDINALS[population.trimester]} trimester"
    else:
        noun = {"female": "females", "male": "males"}.get(population.sex or "", "people")
        if population.pregnant is False:
            noun = f"non-pregnant {noun}"
    parts = [noun, _age_range(population)]
    conditions = []
    for name, required in (population.attributes or {}).items():
        label = _label(name, declared)
        if isinstance(required, Condition):
            conditions.append(f"with {label} {required.wording()}")
        else:
            conditions.append(f"{'with' if required else 'without'} {label}")
    parts.append(" and ".join(conditions))
    return " ".join(part for part in parts if part)


def covered_populations(analyte: Analyte, declared: Declared) -> str:
    """The people the analyte's primary rules cover, in file order."""
    phrases = [
        population_phrase(rule.population, declared)
        for rule in analyte.rules
        if rule.role == "primary"
    ]
    unique = list(dict.fromkeys(phrases))
    if len(unique) <= 1:
        return unique[0] if unique else "nobody"
    return ", ".join(unique[:-1]) + f" and {unique[-1]}"


def _age_noun(years: Decimal) -> str:
    if years < 2:
        number, unit = str(round(years * 12)), "month"
    else:
        number, unit = format_number(years), "year"
    article = "an" if number.startswith("8") or number in ("11", "18") else "a"
    return f"{article} {number}-{unit}-old"


def patient_phrase(known: PatientContext, tried: PatientContext, declared: Declared) -> str:
    """The patient as the text (and earlier turns) describe them, with the declared
    attributes they were read with: 'a 10-year-old (male)', 'this patient (no <label>)'."""
    details: list[str] = []
    if known.sex:
        details.append(known.sex)
    if known.pregnant or (known.pregnant is False and known.sex != "male"):
        details.append("pregnant" if known.pregnant else "not pregnant")
    if known.trimester:
        details.append(f"{_ORDINALS.get(known.trimester, known.trimester)} trimester")
    for name, value in tried.attributes:
        attribute = declared.get(name)
        details.append(attribute.value_text(name, value) if attribute else f"{name} {value}")
    noun = _age_noun(known.age_years) if known.age_years is not None else "this patient"
    return f"{noun} ({', '.join(details)})" if details else noun
