"""Turn a classified reading into the report's Finding and Conflict objects.

Everything a clinician reads is written here: the value in every unit, the category
label, the bands as the source words them, and notes on assumptions, rounding traps and
values close to a cut-off.
"""

from __future__ import annotations

from decimal import Decimal

from labtool.bands import Interval, ScaleReading, near_boundary, read_on_scale, read_rule
from labtool.parse import ParsedValue
from labtool.population import Candidates, Declared, comparison_rules, describe_attribute
from labtool.report import Conflict, Finding, SourceRef
from labtool.rules import RuleSet
from labtool.rules_model import Analyte, Band
from labtool.units import convert, display, format_number, round_significant

UNIT_ROUNDING_NOTE = "unit_rounding_ambiguity"


def interval_of(value: ParsedValue) -> Interval:
    """The values a result allows: the number itself, or the censored range."""
    assert value.number is not None
    if value.censor is None:
        return Interval.point(value.number)
    return Interval.censored(value.number, value.censor)


def _written(number: str, unit: str, censor: str | None) -> str:
    prefix = {"<=": "≤", ">=": "≥"}.get(censor or "", censor or "")
    return f"{prefix}{number} {unit}"


def _as_typed(value: ParsedValue, unit: str) -> str:
    """The value as the clinician wrote it ("12.0 g/dL" keeps its zero)."""
    assert value.number is not None
    return _written(format(value.number, "f"), unit, value.censor)


def _converted_text(value: ParsedValue, unit: str, analyte: Analyte) -> str:
    assert value.number is not None
    others = [
        _written(display(convert(value.number, unit, u, analyte.unit_rules)), u, value.censor)
        for u in analyte.accepted_units
        if u != unit
    ]
    return f" (= {' = '.join(others)})" if others else ""


def _band_text(reading: ScaleReading) -> str:
    return "; ".join(band.wording(reading.unit) for band in reading.bands)


def _sources(ruleset: RuleSet, bands: tuple[Band, ...] | list[Band]) -> list[SourceRef]:
    return list(dict.fromkeys(ruleset.source_ref(band.source) for band in bands))


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
    value: ParsedValue, analyte: Analyte, reading: ScaleReading, unit: str
) -> list[str]:
    """Published cut-offs in two units are rounded conversions: say when they disagree."""
    notes = []
    interval = interval_of(value)
    for other in reading.rule.scales:
        if other == reading.unit:
            continue
        alternative = read_on_scale(reading.rule, other, interval, unit, analyte.unit_rules)
        if alternative.categories != reading.categories:
            shown = display(alternative.interval.representative)
            labels = " or ".join(analyte.category_label(c) for c in sorted(alternative.categories))
            notes.append(
                f"{UNIT_ROUNDING_NOTE}: on the {other} scale the value ({shown} {other}) "
                f"falls in '{labels}' ({_band_text(alternative)}); the published "
                f"{reading.unit} and {other} cut-offs are rounded conversions of each other."
            )
    return notes


def build_finding(
    value: ParsedValue,
    analyte: Analyte,
    ruleset: RuleSet,
    reading: ScaleReading,
    unit: str,
    options: Candidates,
    plausible_units: list[str],
) -> Finding:
    assert value.number is not None
    assert value.analyte is not None
    category = next(iter(reading.categories))
    label = analyte.category_label(category)
    rules = analyte.unit_rules
    canonical = convert(value.number, unit, analyte.canonical_unit, rules)
    converted = {
        u: float(round_significant(convert(value.number, unit, u, rules)))
        for u in analyte.accepted_units
    }
    near = analyte.near_threshold
    assert near is not None  # a classified analyte has one
    boundary = near_boundary(reading, near, analyte.canonical_unit, rules)

    notes = _assumption_notes(value, analyte, unit, options, plausible_units, ruleset.attributes)
    notes.extend(_rounding_notes(value, analyte, reading, unit))
    if value.censor is not None:
        notes.append("A censored result: every value it allows falls in this category.")
    if not reading.native:
        notes.append(f"Compared on the source's {reading.unit} scale after conversion.")

    summary = (
        f"{analyte.name} {_as_typed(value, unit)}"
        f"{_converted_text(value, unit, analyte)}: {label} "
        f"[{_band_text(reading)}]."
    )
    sources = _sources(ruleset, reading.bands)
    if boundary is not None:
        tolerance = (
            f"{format_number(near.relative * 100)}%"
            if near.relative is not None
            else f"{format_number(near.absolute or Decimal(0))} {analyte.canonical_unit}"
        )
        summary += (
            f" Near the {format_number(boundary)} {reading.unit} cut-off (within {tolerance}):"
            " assay differences could move it across."
        )
        if near.source is not None:
            sources.append(ruleset.source_ref(near.source))
    return Finding(
        analyte=value.analyte,
        analyte_name=analyte.name,
        category_label=label,
        value=float(value.number),
        unit=unit,
        canonical_value=float(canonical),
        canonical_unit=analyte.canonical_unit,
        category=category,
        summary=summary,
        near_threshold=boundary is not None,
        sources=list(dict.fromkeys(sources)),
        censored=value.censor,
        converted=converted,
        thresholds=[
            f"{analyte.category_label(band.categories[0])}: {band.wording(reading.unit)}"
            for band in reading.rule.scales[reading.unit]
        ],
        rule_id=reading.rule.id,
        notes=notes,
    )


def build_conflicts(
    value: ParsedValue,
    analyte: Analyte,
    ruleset: RuleSet,
    primary: ScaleReading,
    unit: str,
    options: Candidates,
) -> tuple[Conflict, ...]:
    """Every comparison rule that puts the value outside the primary category."""
    assert value.number is not None
    assert value.analyte is not None
    category = next(iter(primary.categories))
    label = analyte.category_label(category)
    written = _as_typed(value, unit)
    conflicts = []
    for rule in comparison_rules(analyte, options.contexts):
        reading = read_rule(rule, interval_of(value), unit, analyte.unit_rules)
        if category in reading.categories:
            continue
        other = " or ".join(analyte.category_label(c) for c in sorted(reading.categories))
        on_scale = (
            ""
            if reading.native
            else (f"; {written} = {display(reading.interval.representative)} {reading.unit}")
        )
        comparison_titles = ", ".join(s.title for s in _sources(ruleset, list(reading.bands)))
        primary_titles = ", ".join(s.title for s in _sources(ruleset, list(primary.bands)))
        conflicts.append(
            Conflict(
                analyte=value.analyte,
                summary=(
                    f"{analyte.name} {written}: '{label}' under the primary rule "
                    f"{primary.rule.id} ({_band_text(primary)}; {primary_titles}), "
                    f"but '{other}' under {rule.id} ({_band_text(reading)}"
                    f"{on_scale}; {comparison_titles})."
                ),
                sources=list(
                    dict.fromkeys(
                        _sources(ruleset, reading.bands) + _sources(ruleset, primary.bands)
                    )
                ),
            )
        )
    return tuple(conflicts)
