"""Whole-file checks of a parsed rules file: coverage of every scale, vocabularies,
primary-rule multiplicity, declared attributes, names, and that every citation points
at a real corpus section.

Each check returns messages of the form "<where>: <problem>"; the loader prefixes the
file name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal
from itertools import pairwise

from labtool.attributes import RESERVED_NAMES, Attribute, Condition
from labtool.conditions import BUILT_IN_ATTRIBUTES, Check, ConclusionRule
from labtool.corpus_index import CorpusDocument
from labtool.rules_model import (
    NOT_MEASURED,
    Analyte,
    Band,
    Population,
    Rule,
    RulesFile,
    SourceSpec,
)
from labtool.units import KNOWN_UNITS, format_number

Attributes = Mapping[str, Attribute]


def _check_source(
    source: SourceSpec, where: str, documents: Mapping[str, CorpusDocument] | None
) -> Iterator[str]:
    if documents is None:
        return
    document = documents.get(source.doc_id)
    if document is None:
        yield f"{where}: source doc_id '{source.doc_id}' is not a document in the corpus"
    elif source.section not in document.sections:
        yield (
            f"{where}: section '{source.section}' is not a '## ' heading of "
            f"'{source.doc_id}' ({document.path.name})"
        )


def _sort_key(band: Band) -> tuple[Decimal, int]:
    lower = band.lower
    if lower is None:
        return (Decimal("-Infinity"), 0)
    return (lower.value, 0 if lower.closed else 1)


def _check_coverage(bands: list[Band], unit: str, where: str) -> Iterator[str]:
    """Bands must tile (0, infinity): each shared boundary closed on exactly one side."""
    for index, band in enumerate(bands, start=1):
        lower, upper = band.lower, band.upper
        if lower is not None and upper is not None:
            empty = lower.value > upper.value or (
                lower.value == upper.value and not (lower.closed and upper.closed)
            )
            if empty:
                yield f"{where}, band {index}: lower bound is not below the upper bound"
    ordered = sorted(bands, key=_sort_key)
    first = ordered[0].lower
    if first is not None and first.value > 0:
        low = format_number(first.value)
        yield f"{where}: gap below {low} {unit} (the first band must start at 0)"
    for previous, current in pairwise(ordered):
        upper, lower = previous.upper, current.lower
        if upper is None or lower is None:
            yield f"{where}: two bands overlap (both are open on the same side)"
            continue
        at = f"{format_number(upper.value)} {unit}"
        if upper.value < lower.value:
            yield f"{where}: gap between {at} and {format_number(lower.value)} {unit}"
        elif upper.value > lower.value:
            yield f"{where}: bands overlap between {format_number(lower.value)} {unit} and {at}"
        elif upper.closed and lower.closed:
            yield f"{where}: bands overlap at {at} (both bands include it)"
        elif not upper.closed and not lower.closed:
            yield f"{where}: gap at {at} (neither band includes it)"
    if ordered[-1].upper is not None:
        high = format_number(ordered[-1].upper.value)
        yield f"{where}: gap above {high} {unit} (the last band must be open above)"


def _population_conflicts(population: Population, attributes: Attributes) -> Iterator[str]:
    if population.sex == "male" and population.pregnant:
        yield "population is male and pregnant"
    if population.trimester is not None and population.pregnant is False:
        yield "population has a trimester but is not pregnant"
    low, high = population.age_min_years, population.age_max_years
    if low is not None and high is not None and low >= high:
        yield "population age_min_years is not below age_max_years"
    for name, value in (population.attributes or {}).items():
        declared = attributes.get(name)
        if declared is None:
            known = ", ".join(attributes) or "none declared"
            yield (
                f"population key '{name}' is neither built in (sex, pregnant, trimester, "
                f"age_min_years, age_max_years) nor a declared attribute ({known}); "
                "declare it under 'attributes:'"
            )
        elif declared.type == "boolean" and not isinstance(value, bool):
            yield f"population key '{name}' is a boolean attribute: write {name}: true or false"
        elif declared.type == "number" and not isinstance(value, Condition):
            yield (
                f"population key '{name}' is a number attribute: write {name}: "
                "{at_least: x} (or more_than, less_than, at_most)"
            )


def _overlap(a: Condition, b: Condition) -> bool:
    """Could one number satisfy both conditions?"""
    lows = [(x, False) for x in (a.more_than, b.more_than) if x is not None]
    lows += [(x, True) for x in (a.at_least, b.at_least) if x is not None]
    highs = [(x, False) for x in (a.less_than, b.less_than) if x is not None]
    highs += [(x, True) for x in (a.at_most, b.at_most) if x is not None]
    if not lows or not highs:
        return True
    low = max(lows, key=lambda bound: (bound[0], not bound[1]))
    high = min(highs, key=lambda bound: (bound[0], bound[1]))
    return low[0] < high[0] or (low[0] == high[0] and low[1] and high[1])


def _compatible(a: Population, b: Population) -> bool:
    """Could one person belong to both populations?"""
    for key in ("sex", "pregnant", "trimester"):
        left, right = getattr(a, key), getattr(b, key)
        if left is not None and right is not None and left != right:
            return False
    if "male" in (a.sex, b.sex) and True in (a.pregnant, b.pregnant):
        return False
    theirs = b.attributes or {}
    for name, mine in (a.attributes or {}).items():
        other = theirs.get(name)
        if isinstance(mine, Condition) and isinstance(other, Condition):
            if not _overlap(mine, other):
                return False
        elif other is not None and mine != other:
            return False
    low = max((x for x in (a.age_min_years, b.age_min_years) if x is not None), default=None)
    high = min((x for x in (a.age_max_years, b.age_max_years) if x is not None), default=None)
    return low is None or high is None or low < high


def _check_rule(
    rule: Rule,
    analyte: Analyte,
    where: str,
    documents: Mapping[str, CorpusDocument] | None,
    attributes: Attributes,
) -> Iterator[str]:
    vocabulary = set(analyte.category_ids)
    for problem in _population_conflicts(rule.population, attributes):
        yield f"{where}: {problem}"
    for unit, bands in rule.scales.items():
        scale_where = f"{where}, scale '{unit}'"
        if unit not in analyte.unit_table:
            yield f"{scale_where}: unit '{unit}' is not listed in the analyte's units"
        for index, band in enumerate(bands, start=1):
            band_where = f"{scale_where}, band {index}"
            if rule.role == "primary" and isinstance(band.category, list):
                yield f"{band_where}: a primary rule needs a single category, not a list"
            for category in band.categories:
                if category not in vocabulary:
                    yield (
                        f"{band_where}: category '{category}' is not in the analyte's "
                        f"categories ({', '.join(analyte.category_ids)})"
                    )
            yield from _check_source(band.source, band_where, documents)
        yield from _check_coverage(bands, unit, scale_where)


def _check_analyte(
    key: str,
    analyte: Analyte,
    documents: Mapping[str, CorpusDocument] | None,
    attributes: Attributes,
) -> Iterator[str]:
    where = f"analyte '{key}'"
    if analyte.unit_table.get(analyte.canonical_unit) != 1:
        yield f"{where}: canonical_unit '{analyte.canonical_unit}' needs factor 1 in units"
    kinds = {KNOWN_UNITS[unit] for unit in analyte.unit_table}
    if len(kinds) > 1:
        yield f"{where}: units mix kinds that cannot convert ({', '.join(sorted(kinds))})"
    duplicates = [c for c, n in Counter(analyte.category_ids).items() if n > 1]
    if duplicates:
        yield f"{where}: duplicate categories {', '.join(duplicates)}"
    if NOT_MEASURED in analyte.category_ids:
        yield f"{where}: category id '{NOT_MEASURED}' is reserved (an analyte not given)"
    near = analyte.near_threshold
    if near is not None and near.source is not None:
        yield from _check_source(near.source, f"{where}, near_threshold", documents)
    for rule in analyte.rules:
        yield from _check_rule(rule, analyte, f"{where}, rule '{rule.id}'", documents, attributes)
    if not analyte.classified:
        return

    primaries = [rule for rule in analyte.rules if rule.role == "primary"]
    if not primaries:
        yield f"{where}: no primary rule (exactly one per population is needed)"
    seen: dict[str, str] = {}
    for rule in primaries:
        population = rule.population.identity()
        if population in seen:
            yield (
                f"{where}, rule '{rule.id}': a second primary rule for population "
                f"{rule.population.describe()} (first: '{seen[population]}')"
            )
        seen.setdefault(population, rule.id)
    for rule in analyte.rules:
        if (
            rule.role == "comparison"
            and primaries
            and not any(_compatible(rule.population, primary.population) for primary in primaries)
        ):
            yield (
                f"{where}, rule '{rule.id}': no primary rule covers its population "
                f"({rule.population.describe()})"
            )


def _check_attributes(
    rules: RulesFile, documents: Mapping[str, CorpusDocument] | None
) -> Iterator[str]:
    for name, attribute in rules.attributes.items():
        where = f"attribute '{name}'"
        if name in RESERVED_NAMES:
            yield f"{where}: the name is a built-in population key; choose another"
        for cue in attribute.from_results:
            cue_where = f"{where}, result '{cue.analyte}'"
            if cue.analyte not in rules.analytes:
                yield f"{cue_where}: unknown analyte (not under 'analytes')"
            if cue.source is not None:
                yield from _check_source(cue.source, cue_where, documents)


def _check_names(rules: RulesFile) -> Iterator[str]:
    """An alias names one thing only (compared without case, spaces, hyphens or dots)."""
    owners: dict[str, str] = {}
    named: list[tuple[str, list[str]]] = [
        (f"analyte '{key}'", [key, *analyte.aliases]) for key, analyte in rules.analytes.items()
    ]
    named += [(f"paired reading #{n}", p.aliases) for n, p in enumerate(rules.paired_readings, 1)]
    named += [(f"not_covered '{item.name}'", item.aliases) for item in rules.not_covered]
    for owner, aliases in named:
        for alias in aliases:
            folded = "".join(ch for ch in alias.lower() if ch.isalnum())
            first = owners.setdefault(folded, owner)
            if first != owner:
                yield f"{owner}: alias '{alias}' is also a name of {first}"
    for number, pair in enumerate(rules.paired_readings, 1):
        for key in pair.analytes:
            if key not in rules.analytes:
                yield f"paired reading #{number}: unknown analyte '{key}'"


def _check_condition(where: str, part: str, check: Check, rules: RulesFile) -> Iterator[str]:
    for child in check.children:
        yield from _check_condition(where, part, child, rules)
    if check.analyte is not None:
        key = check.analyte
        target = rules.analytes.get(key)
        if target is None:
            yield f"{where}: unknown analyte '{key}' in '{part}'"
        elif check.categories is not None and not target.classified:
            yield f"{where}: '{key}' in '{part}' is a context analyte (never classified)"
        elif check.categories is not None:
            for category in check.categories:
                if category not in target.category_ids and category != NOT_MEASURED:
                    yield f"{where}: unknown category '{category}' for analyte '{key}'"
    if check.attribute is not None:
        name = check.attribute
        declared = rules.attributes.get(name)
        kind = declared.type if declared is not None else BUILT_IN_ATTRIBUTES.get(name)
        if kind is None:
            known = ", ".join([*BUILT_IN_ATTRIBUTES, *rules.attributes])
            yield f"{where}: unknown attribute '{name}' in '{part}' (known: {known})"
        elif check.is_value is not None:
            wanted = "sex" if isinstance(check.is_value, str) else "boolean"
            if kind != wanted:
                yield f"{where}: attribute '{name}' in '{part}' cannot be '{check.is_value}'"
        elif check.bound is not None and kind != "number":
            yield f"{where}: attribute '{name}' in '{part}' is not a number (no bounds)"


def _needs_finding(check: Check, rules: RulesFile) -> bool:
    """Can the condition hold only when a classified analyte has a finding?"""
    if check.any_of is not None:
        return all(_needs_finding(child, rules) for child in check.any_of)
    if check.all_of is not None:
        return any(_needs_finding(child, rules) for child in check.all_of)
    target = rules.analytes.get(check.analyte or "")
    if target is None or not target.classified:
        return False
    if check.categories is not None:
        return NOT_MEASURED not in check.categories
    return check.bound is not None or check.measured is True


def _check_conclusion(conclusion: ConclusionRule, rules: RulesFile) -> Iterator[str]:
    where = f"conclusion '{conclusion.id}'"
    for part, checks in (("when", conclusion.when), ("unless", conclusion.unless)):
        for check in checks:
            yield from _check_condition(where, part, check, rules)
    if not any(_needs_finding(check, rules) for check in conclusion.when):
        yield (
            f"{where}: 'when' needs at least one condition a classified result must meet "
            "(a real category, a bound or measured: true)"
        )
    for analyte_key in conclusion.unless_present:
        if analyte_key not in rules.analytes:
            yield f"{where}: unknown analyte '{analyte_key}' in 'unless_present'"


def check_rules(rules: RulesFile, documents: Mapping[str, CorpusDocument] | None) -> list[str]:
    """Every problem in the file, in file order (empty when the file is usable)."""
    problems: list[str] = list(_check_attributes(rules, documents))
    rule_ids = Counter(rule.id for analyte in rules.analytes.values() for rule in analyte.rules)
    for rule_id, count in rule_ids.items():
        if count > 1:
            problems.append(f"rule '{rule_id}': duplicate rule id (used {count} times)")
    for key, analyte in rules.analytes.items():
        problems.extend(_check_analyte(key, analyte, documents, rules.attributes))
    problems.extend(_check_names(rules))

    conclusion_ids = Counter(conclusion.id for conclusion in rules.conclusions)
    for conclusion in rules.conclusions:
        where = f"conclusion '{conclusion.id}'"
        if conclusion_ids[conclusion.id] > 1:
            problems.append(f"{where}: duplicate conclusion id")
        problems.extend(_check_conclusion(conclusion, rules))
        problems.extend(_check_source(conclusion.source, where, documents))
    return problems
