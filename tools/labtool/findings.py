"""Turn a classified reading into the report's Finding and Conflict objects.

Everything a clinician reads is written here: the value in every unit, the category
label, the bands as the source words them, and notes on assumptions, rounding traps and
values close to a cut-off. A converted value is shown with no more significant figures than
the value was written with (at least 2; never rounded into its whole part), and with more only
where fewer would put it in another band. No rule id or code appears in any of these strings;
the numbers behind them stay exact in the numeric fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from labtool.band_text import band_range, band_text, in_band_text
from labtool.bands import Interval, ScaleReading, near_boundary, read_on_scale, read_rule
from labtool.population import Candidates, Declared, describe_attribute
from labtool.report import BandRange, Conflict, Finding, SourceRef
from labtool.rules import RuleSet
from labtool.rules_model import Analyte, Band, NearThreshold, Rule
from labtool.units import convert, format_number, round_like, significant_figures
from labtool.values import ParsedValue
from labtool.wording import population_phrase


def interval_of(value: ParsedValue) -> Interval:
    """The values a result allows: the number itself, or the censored range."""
    assert value.number is not None
    if value.censor is None:
        return Interval.point(value.number)
    return Interval.censored(value.number, value.censor)


def _sign(censor: str | None) -> str:
    return {"<=": "≤", ">=": "≥"}.get(censor or "", censor or "")


def _sources(ruleset: RuleSet, bands: tuple[Band, ...] | list[Band]) -> list[SourceRef]:
    return list(dict.fromkeys(ruleset.source_ref(band.source) for band in bands))


def _read(
    ruleset: RuleSet, analyte: Analyte, rule: Rule, scale: str | None, value: ParsedValue, unit: str
) -> ScaleReading:
    """The value on a scale of a rule (`scale` None: the rule's own choice of scale)."""
    assert value.number is not None
    rules = analyte.unit_rules
    if value.censor is None:
        tables = ruleset.tables
        if scale is None:
            return tables.read_rule_point(analyte, rule, value.number, unit)
        return tables.read_point(analyte, rule, scale, value.number, unit)
    if scale is None:
        return read_rule(rule, interval_of(value), unit, rules)
    return read_on_scale(rule, scale, interval_of(value), unit, rules)


def _assumption_notes(
    value: ParsedValue,
    analyte: Analyte,
    unit: str,
    options: Candidates,
    plausible: list[str],
    declared: Declared,
) -> list[str]:
    notes = list(options.assumptions)
    if options.varied and len(options.contexts) > 1:
        open_points = " and ".join(describe_attribute(a, declared) for a in options.varied)
        notes.append(
            f"The text does not state {open_points}; the category is the same in every case."
        )
    if value.unit is None:
        if len(analyte.accepted_units) == 1:
            notes.append(f"No unit was given: {unit} assumed (the only unit accepted).")
        else:
            excluded = [u for u in analyte.accepted_units if u not in plausible]
            detail = (
                f" (the value would be impossible in {', '.join(excluded)})" if excluded else ""
            )
            notes.append(
                f"No unit was given: the category is the same in every plausible unit "
                f"({', '.join(plausible)}){detail}; values are shown as {unit}."
            )
    return notes


def _rounding_notes(
    ruleset: RuleSet, value: ParsedValue, analyte: Analyte, reading: ScaleReading, unit: str
) -> list[str]:
    """Published cut-offs in two units are rounded conversions: say when they disagree."""
    assert value.number is not None
    notes = []
    figures = significant_figures(value.number)
    tables = ruleset.tables
    for other in reading.rule.scales:
        if other == reading.unit:
            continue
        if (
            value.censor is None
            and tables.point_categories(analyte, reading.rule, value.number, unit, other)
            == reading.categories
        ):
            continue  # the usual case: both scales agree
        alternative = _read(ruleset, analyte, reading.rule, other, value, unit)
        if alternative.categories != reading.categories:
            shown = in_band_text(alternative.interval.representative, figures, alternative.bands)
            labels = " or ".join(analyte.category_label(c) for c in sorted(alternative.categories))
            notes.append(
                f"On the {other} scale the value ({shown} {other}) falls in '{labels}' "
                f"({band_text(alternative)}); the published {reading.unit} and {other} "
                "cut-offs are rounded conversions of each other."
            )
    return notes


def _thresholds(ruleset: RuleSet, analyte: Analyte, rule: Rule, unit: str) -> list[str]:
    found = ruleset.tables.memo(
        ("thresholds", id(rule), unit),
        lambda: tuple(
            f"{analyte.category_label(band.categories[0])}: {band.wording(unit)}"
            for band in rule.scales[unit]
        ),
    )
    return list(found)


@dataclass(frozen=True)
class _Static:
    """What a finding says that depends only on the rule, the scale and the band(s) read."""

    category: str
    label: str
    wording: str  # the band(s) as the source words them
    band: BandRange | None
    sources: tuple[SourceRef, ...]
    source_name: str
    thresholds: tuple[str, ...]


def _static(ruleset: RuleSet, analyte: Analyte, reading: ScaleReading) -> _Static:
    def build() -> _Static:
        category = min(reading.categories)
        return _Static(
            category=category,
            label=analyte.category_label(category),
            wording=band_text(reading),
            band=band_range(ruleset, reading.bands, reading.unit),
            sources=tuple(_sources(ruleset, reading.bands)),
            source_name=ruleset.source_name(reading.bands[0].source),
            thresholds=tuple(_thresholds(ruleset, analyte, reading.rule, reading.unit)),
        )

    key = ("static", id(reading.rule), reading.unit, *map(id, reading.bands))
    return ruleset.tables.memo(key, build)


def _near_words(analyte: Analyte, near: NearThreshold, boundary: Decimal, unit: str) -> str:
    tolerance = (
        f"{format_number(near.relative * 100)}%"
        if near.relative is not None
        else f"{format_number(near.absolute or Decimal(0))} {analyte.canonical_unit}"
    )
    return (
        f" Near the {format_number(boundary)} {unit} cut-off (within {tolerance}):"
        " assay differences could move it across."
    )


def build_finding(
    value: ParsedValue,
    analyte: Analyte,
    ruleset: RuleSet,
    reading: ScaleReading,
    unit: str,
    options: Candidates,
    plausible_units: list[str],
) -> Finding:
    number = value.number
    assert number is not None
    assert value.analyte is not None
    static = _static(ruleset, analyte, reading)
    rules = analyte.unit_rules
    exact = {u: number if u == unit else convert(number, unit, u, rules) for u in rules}
    sign = _sign(value.censor)
    written = f"{sign}{format(number, 'f')}"
    figures = significant_figures(number)
    shown = {
        u: written if u == unit else f"{sign}{round_like(x, figures)}" for u, x in exact.items()
    }
    near = analyte.near_threshold
    assert near is not None  # a classified analyte has one
    if value.censor is None:
        boundary = ruleset.tables.near_point(analyte, reading, number, unit)
    else:
        boundary = near_boundary(reading, near, analyte.canonical_unit, rules)

    notes = _assumption_notes(value, analyte, unit, options, plausible_units, ruleset.attributes)
    notes.extend(_rounding_notes(ruleset, value, analyte, reading, unit))
    if value.censor is not None:
        notes.append("A censored result: every value it allows falls in this category.")
    if not reading.native:
        notes.append(f"Compared on the source's {reading.unit} scale after conversion.")
    notes.extend(value.notes)

    others = " = ".join(f"{text} {u}" for u, text in shown.items() if u != unit)
    summary = (
        f"{analyte.name} {written} {unit}{f' (= {others})' if others else ''}: "
        f"{static.label} [{static.wording}]."
    )
    sources = list(static.sources)
    if boundary is not None:
        summary += _near_words(analyte, near, boundary, reading.unit)
        if near.source is not None:
            sources.append(ruleset.source_ref(near.source))
    return Finding(
        analyte=value.analyte,
        analyte_name=analyte.name,
        category_label=static.label,
        value=float(number),
        unit=unit,
        canonical_value=float(exact[analyte.canonical_unit]),
        canonical_unit=analyte.canonical_unit,
        category=static.category,
        summary=summary,
        near_threshold=boundary is not None,
        sources=list(dict.fromkeys(sources)) if boundary is not None else sources,
        censored=value.censor,
        converted={u: float(x) for u, x in exact.items()},
        thresholds=list(static.thresholds),
        rule_id=reading.rule.id,
        notes=notes,
        written=written,
        converted_text=shown,
        band=static.band,
        near_cut_off=float(boundary) if boundary is not None else None,
        source_name=static.source_name,
    )


def build_conflicts(
    value: ParsedValue,
    analyte: Analyte,
    ruleset: RuleSet,
    primary: ScaleReading,
    unit: str,
    comparisons: tuple[tuple[Rule, bool], ...],
) -> tuple[Conflict, ...]:
    """Every comparison rule (labtool.population.comparison_rules: each with whether it
    needed an adult age assumed) that puts the value outside the primary category. Sources
    that say the same (the same category, band and people) are one conflict naming them all."""
    assert value.number is not None
    category = min(primary.categories)
    tables = ruleset.tables
    groups: dict[tuple[object, ...], list[ScaleReading]] = {}
    for rule, adult_assumed in comparisons:
        if value.censor is None and category in tables.point_categories(
            analyte, rule, value.number, unit
        ):
            continue  # the usual case: the source agrees
        reading = _read(ruleset, analyte, rule, None, value, unit)
        if category not in reading.categories:
            bounds = tuple((b.lower, b.upper) for b in reading.bands)
            same = (reading.categories, reading.unit, bounds, rule.population.identity())
            groups.setdefault((*same, adult_assumed), []).append(reading)
    return tuple(
        _conflict(value, analyte, ruleset, primary, readings, unit, bool(key[-1]))
        for key, readings in groups.items()
    )


def _conflict(
    value: ParsedValue,
    analyte: Analyte,
    ruleset: RuleSet,
    primary: ScaleReading,
    readings: list[ScaleReading],
    unit: str,
    adult_assumed: bool,
) -> Conflict:
    """What the comparison source(s) say, from the rules' data (no rule ids, no brackets)."""
    assert value.number is not None
    assert value.analyte is not None
    reading = readings[0]
    label = analyte.category_label(min(primary.categories))
    categories = sorted(reading.categories, key=analyte.category_ids.index)
    other = " or ".join(analyte.category_label(c) for c in categories)
    band = band_range(ruleset, reading.bands, reading.unit)
    primary_band = band_range(ruleset, primary.bands, primary.unit)
    on_scale = reading.interval.representative
    figures = significant_figures(value.number)
    shown = f"{_sign(value.censor)}{in_band_text(on_scale, figures, reading.bands)}"
    detail = [band.text if band else band_text(reading)]
    if not reading.native:
        detail.append(f"the value is {shown} {reading.unit} on that scale")
    population = ""
    if reading.rule.population.identity() != primary.rule.population.identity():
        population = population_phrase(reading.rule.population, ruleset.attributes)
        detail.append(f"for {population}")
    names = list(dict.fromkeys(ruleset.source_name(r.bands[0].source) for r in readings))
    name = " and ".join(names)
    primary_name = ruleset.source_name(primary.bands[0].source)
    written = f"{_sign(value.censor)}{format(value.number, 'f')} {unit}"
    summary = (
        f"{analyte.name} {written}: {primary_name} puts it in '{label}' "
        f"({primary_band.text if primary_band else band_text(primary)}); {name} in '{other}' "
        f"({'; '.join(detail)})."
    )
    if adult_assumed:
        summary += " Age was not mentioned: an adult was assumed."
    sources = [ref for r in readings for ref in _sources(ruleset, r.bands)]
    return Conflict(
        analyte=value.analyte,
        summary=summary,
        sources=list(dict.fromkeys(sources + _sources(ruleset, primary.bands))),
        category_label=other,
        categories=categories,
        band=band,
        source_name=name,
        population=population,
        value=float(on_scale),
        unit=reading.unit,
        value_text=shown,
    )
