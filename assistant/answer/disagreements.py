"""Where sources differ: cut-offs for the same analyte that the rules file's sources disagree on.

The rules file already records each source's bands (one primary rule, the others comparison
rules). For an analyte the question is about, every general-population rule whose boundary of the
most abnormal category differs from the primary one contributes one sentence: the sentence of the
cited corpus section that states that boundary, so the disagreement is shown in the sources' words.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from labtool.rules import RuleSet
from labtool.rules_model import Analyte, Band, Rule
from labtool.units import convert

from assistant.domain.language import DomainLanguage
from assistant.schema import Difference, Evidence, Passage
from assistant.sources.lookup import CorpusLookup
from assistant.sources.statements import leans_back, sentences_of
from assistant.text.sentences import number_values

_SAME_WITHIN = Decimal("0.02")  # 133 pmol/L and 180 ng/L are one cut-off in two units


def analytes_named(text: str, ruleset: RuleSet, language: DomainLanguage) -> list[str]:
    named = language.analytes_in(text)
    return [key for key in ruleset.classified if key in named]  # context tests have no bands


def source_differences(
    ruleset: RuleSet, analyte_keys: list[str], lookup: CorpusLookup, language: DomainLanguage
) -> list[Difference]:
    differences = []
    for key in analyte_keys:
        difference = _difference_for(ruleset.analytes[key], lookup, language)
        if difference is not None:
            differences.append(difference)
    return differences


def _difference_for(
    analyte: Analyte, lookup: CorpusLookup, language: DomainLanguage
) -> Difference | None:
    abnormal = analyte.categories[0].id
    primaries = [rule for rule in analyte.rules if rule.role == "primary"]
    if len(primaries) != 1:
        return None  # cut-offs by population (age, sex, pregnancy): no single comparison
    population = primaries[0].population
    cutoffs: list[tuple[Rule, Band, Decimal, str]] = []
    for rule in analyte.rules:
        if rule.population != population:
            continue  # a disagreement is about the same people
        found = _abnormal_boundary(rule, abnormal)
        if found is None:
            continue
        band, value, unit = found
        if unit in analyte.units:
            canonical = convert(value, unit, analyte.canonical_unit, analyte.units)
            cutoffs.append((rule, band, canonical, unit))
    primary = [c for c in cutoffs if c[0].role == "primary"]
    if not primary:
        return None
    reference = primary[0][2]
    differing = [c for c in cutoffs if c[0].role == "comparison" and not _same(c[2], reference)]
    if not differing:
        return None
    statements: list[tuple[str, Passage]] = []
    seen: set[tuple[str, str]] = set()
    for _rule, band, _value, _unit in [primary[0], *sorted(differing, key=lambda c: c[2])]:
        boundary = band.upper if band.lower is None or band.lower.value == 0 else band.lower
        if boundary is None:
            continue
        statement = _stated_by(lookup, band, boundary.value, language)
        if statement is None or (statement[1].doc.doc_id, statement[0]) in seen:
            continue
        seen.add((statement[1].doc.doc_id, statement[0]))
        statements.append(statement)
    if len({passage.doc.doc_id for _, passage in statements}) < 2:
        return None
    return Difference(analyte=analyte.name, statements=statements)


def _abnormal_boundary(rule: Rule, abnormal: str) -> tuple[Band, Decimal, str] | None:
    """The boundary of the band holding only the most abnormal category, in its own unit."""
    for unit, bands in rule.scales.items():
        for band in bands:
            if band.categories != (abnormal,):
                continue
            bound = band.upper if band.lower is None or band.lower.value == 0 else band.lower
            if bound is not None:
                return band, bound.value, unit
    return None


def _same(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= _SAME_WITHIN * max(abs(a), abs(b))


def _stated_by(
    lookup: CorpusLookup, band: Band, value: Decimal, language: DomainLanguage
) -> tuple[str, Passage] | None:
    """The sentence of the cited section stating the boundary; one that stands alone first."""
    stating = [
        (sentence, passage)
        for passage in lookup.section(band.source.doc_id, band.source.section)
        for sentence in sentences_of(passage.text)
        if value in number_values(sentence)
    ]
    standalone = [(s, p) for s, p in stating if not language.is_meta(s) and not leans_back(s)]
    best = standalone or stating
    return best[0] if best else None


def with_difference_passages(evidence: Evidence, differences: list[Difference]) -> Evidence:
    """The sources that disagree on a cut-off are evidence on thresholds too."""
    extra = [
        passage
        for difference in differences
        for _, passage in difference.statements
        if passage.chunk_id not in {p.chunk_id for p in evidence.passages}
    ]
    if not extra:
        return evidence
    unique = list({p.chunk_id: p for p in extra}.values())
    hints = {**evidence.topic_hints, **{p.chunk_id: "thresholds" for p in unique}}
    return replace(evidence, passages=[*evidence.passages, *unique], topic_hints=hints)
