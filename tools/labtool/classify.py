"""Classify one parsed lab value with its analyte's primary rule; report conflicts.

Order of checks: a number readable as written (labtool.values: not ambiguous, not in
scientific notation, no direction control or control character), a known analyte, a sign, a
unit that fits, a plausible value, then the population; only then a category. Any problem
is a LabError with a specific code and no category. When the unit or the population is
missing, every possibility is tried: the value is classified only if they all agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from labtool.bands import ScaleReading, implausible, read_rule
from labtool.context import PatientContext
from labtool.findings import build_conflicts, build_finding, interval_of
from labtool.parse import ParsedValue
from labtool.population import (
    Candidates,
    Declared,
    candidates,
    comparison_rules,
    describe_attribute,
    primary_rule,
)
from labtool.report import Conflict, Finding, LabError
from labtool.rules import RuleSet
from labtool.rules_model import Analyte, Rule
from labtool.wording import covered_populations, patient_phrase


@dataclass(frozen=True)
class Outcome:
    """The value read in one candidate unit for one candidate patient."""

    unit: str
    context: PatientContext
    reading: ScaleReading | None  # None: no primary rule covers this patient

    @property
    def category(self) -> str | None:
        """The single category (None without a rule; callers rule out censored spans first)."""
        return min(self.reading.categories) if self.reading else None


@dataclass(frozen=True)
class Classified:
    finding: Finding | None = None
    conflicts: tuple[Conflict, ...] = ()
    error: LabError | None = None


def _error(value: ParsedValue, code: str, message: str) -> Classified:
    return Classified(error=LabError(input=value.text, code=code, message=message))


def _example(value: ParsedValue, ruleset: RuleSet) -> str:
    """The value with the name of a test that accepts its unit written before it."""
    classified = list(ruleset.classified.values())
    fitting = [a for a in classified if value.unit in a.unit_table] or classified
    return f"{fitting[0].aliases[0]} {value.text}"


def _unnamed(value: ParsedValue, ruleset: RuleSet) -> Classified:
    """A value the rules do not attribute to one classified analyte."""
    if ruleset.is_empty:
        name = value.unsupported or "this test"
        return _error(
            value,
            "UNSUPPORTED_ANALYTE",
            f"'{value.text}': there are no rules for {name} in this pack (the pack has no "
            "rules file), so it was not interpreted.",
        )
    if value.unsupported is not None:
        return _error(
            value,
            "UNSUPPORTED_ANALYTE",
            f"'{value.text}': there are no rules for {value.unsupported} in this pack "
            f"(covered: {ruleset.covered_names()}).",
        )
    if value.candidates:
        names = " or ".join(ruleset.analytes[key].name for key in value.candidates)
        return _error(
            value,
            "AMBIGUOUS_ANALYTE",
            f"'{value.text}' could be {names}; write the test before each value.",
        )
    return _error(
        value,
        "NO_ANALYTE",
        f"'{value.text}' has a lab unit but no test name before it; write the test, "
        f"e.g. '{_example(value, ruleset)}'.",
    )


_AS_WRITTEN = "give the value as the laboratory report shows it"


def _problem(value: ParsedValue, ruleset: RuleSet) -> Classified:
    """The error for a value that cannot be read as written (see labtool.values)."""
    code, detail = value.problem or "AMBIGUOUS_NUMBER", value.detail
    if code == "DIRECTION_CONTROL":
        why = (
            "the text holds invisible direction controls (such as a right-to-left override), "
            "so the number on screen may not be the number written; type the value again"
        )
    elif code == "CONTROL_CHARACTER":
        why = (
            "the value holds a control character or a mark on a digit, which programs show "
            "differently; type the value again"
        )
    elif code == "UNREADABLE_NUMBER":
        why = f"{detail} is not how a lab result is written; {_AS_WRITTEN}"
    elif code == "NO_NUMBER":
        analyte = ruleset.analytes.get(value.analyte or "")
        name = analyte.name if analyte is not None else value.unsupported or "the test"
        why = f"no number was given for {name} ('{detail}' is not a value); {_AS_WRITTEN}"
    elif " " in detail:
        first, _, second = detail.partition(" ")
        why = (
            f"'{detail}' could be one number written with a thousands space ({first}{second}) "
            f"or two numbers ({first} and {second}); write the number without spaces"
        )
    else:
        whole, _, fraction = detail.replace(".", ",").rpartition(",")
        why = (
            f"the number {detail} could be read two ways (a thousands separator or a decimal "
            f"comma); write it without the comma, e.g. {whole}{fraction} or {whole}.{fraction}"
        )
    return _error(value, code, f"'{value.text}': {why}.")


def _precheck(value: ParsedValue, ruleset: RuleSet) -> Classified | None:
    if ruleset.is_empty:
        return _unnamed(value, ruleset)  # a pack without rules: nothing else to say
    if value.problem is not None or value.number is None:
        return _problem(value, ruleset)
    if value.analyte is None:
        return _unnamed(value, ruleset)
    analyte = ruleset.analytes.get(value.analyte)
    if analyte is None or not analyte.classified:
        name = analyte.name if analyte is not None else value.analyte
        return _error(
            value,
            "UNSUPPORTED_ANALYTE",
            f"'{value.text}': there are no rules for {name} in this pack "
            f"(covered: {ruleset.covered_names()}).",
        )
    if value.negative:
        return _error(
            value, "NEGATIVE_VALUE", f"'{value.text}': a concentration cannot be negative."
        )
    if value.number == 0:
        return _error(
            value,
            "ZERO_VALUE",
            f"'{value.text}': a result of zero is not possible; a result below the "
            "laboratory's limit of quantification should be given as '<limit'.",
        )
    written_unit = value.unit_text if value.unknown_unit else value.unit
    if written_unit is not None and written_unit not in analyte.unit_table:
        accepted = ", ".join(analyte.accepted_units)
        return _error(
            value,
            "UNSUPPORTED_UNIT",
            f"'{value.text}': {written_unit} is not a unit for {analyte.name} "
            f"(accepted: {accepted}).",
        )
    return None


def _units_to_try(value: ParsedValue, analyte: Analyte) -> list[str]:
    if value.unit is not None:
        return [value.unit]
    others = [unit for unit in analyte.accepted_units if unit != analyte.canonical_unit]
    return [analyte.canonical_unit, *others]


def _label_list(
    analyte: Analyte,
    outcomes: list[Outcome],
    describe: str,
    varied: tuple[str, ...] = (),
    declared: Declared | None = None,
) -> str:
    parts = []
    for outcome in outcomes:
        if outcome.reading is None:
            label = "no rule"
        else:
            label = " or ".join(
                sorted(analyte.category_label(c) for c in outcome.reading.categories)
            )
        parts.append(f"{_describe_outcome(outcome, describe, varied, declared)}: {label}")
    return "; ".join(dict.fromkeys(parts))


def _describe_outcome(
    outcome: Outcome, what: str, varied: tuple[str, ...] = (), declared: Declared | None = None
) -> str:
    """The unit, or the values of the context attributes that were tried."""
    if what == "unit":
        return outcome.unit
    context = outcome.context
    parts = {
        "sex": context.sex or "sex unknown",
        "trimester": f"trimester {context.trimester}",
        "age": PatientContext(age_years=context.age_years).describe(),
    }
    for name, attribute in (declared or {}).items():
        value = context.attribute(name)
        if value is not None:
            parts[name] = attribute.value_text(name, value)
    return ", ".join(parts[a] for a in varied if a in parts) or context.describe(declared)


def _decide(
    value: ParsedValue,
    analyte: Analyte,
    ruleset: RuleSet,
    outcomes: list[Outcome],
    options: Candidates,
    plausible_units: list[str],
) -> Classified:
    declared = ruleset.attributes
    if all(outcome.reading is None for outcome in outcomes):
        patient = patient_phrase(options.known, options.contexts[0], declared)
        assumed = "".join(f" {note}" for note in options.assumptions)
        return _error(
            value,
            "UNSUPPORTED_POPULATION",
            f"'{value.text}': the rules cover {covered_populations(analyte, declared)}; "
            f"no rule in this pack classifies {analyte.name} for {patient}.{assumed}",
        )
    readings = [outcome.reading for outcome in outcomes if outcome.reading is not None]
    if any(len(reading.categories) > 1 for reading in readings):
        spanned = sorted(
            {c for reading in readings for c in reading.categories},
            key=analyte.category_ids.index,
        )
        labels = ", ".join(analyte.category_label(c) for c in spanned)
        return _error(
            value,
            "CENSORED_AMBIGUOUS",
            f"'{value.text}': the result only gives a limit, and values within it fall in "
            f"different categories ({labels}); the exact value is needed.",
        )
    if len({outcome.category for outcome in outcomes}) == 1:
        chosen = outcomes[0]
        assert chosen.reading is not None
        finding = build_finding(
            value, analyte, ruleset, chosen.reading, chosen.unit, options, plausible_units
        )
        comparisons = ruleset.tables.memo(
            ("comparisons", value.analyte, options.contexts),
            lambda: tuple(comparison_rules(analyte, options.contexts)),
        )
        conflicts = build_conflicts(
            value, analyte, ruleset, chosen.reading, chosen.unit, comparisons
        )
        return Classified(finding=finding, conflicts=conflicts)

    unit_matters = value.unit is None and any(
        len({o.category for o in outcomes if o.context == context}) > 1
        for context in options.contexts
    )
    if unit_matters:
        first_context = [o for o in outcomes if o.context == options.contexts[0]]
        return _error(
            value,
            "MISSING_UNIT",
            f"'{value.text}' has no unit, and the category depends on it "
            f"({_label_list(analyte, first_context, 'unit')}); give the unit "
            f"({' or '.join(analyte.accepted_units)}).",
        )
    needed = " and ".join(describe_attribute(name, declared) for name in options.varied)
    first_unit = [o for o in outcomes if o.unit == outcomes[0].unit]
    return _error(
        value,
        "MISSING_CONTEXT",
        f"'{value.text}': the cut-off for {analyte.name} depends on {needed or 'the patient'}, "
        f"which the text does not state "
        f"({_label_list(analyte, first_unit, 'context', options.varied, declared)}).",
    )


def classify(value: ParsedValue, ruleset: RuleSet, context: PatientContext) -> Classified:
    """A Finding (with conflicts) or a LabError for one parsed value. Never raises."""
    problem = _precheck(value, ruleset)
    if problem is not None:
        return problem
    assert value.analyte is not None
    assert value.number is not None
    key = value.analyte
    analyte = ruleset.analytes[key]
    tables = ruleset.tables
    interval = interval_of(value)
    factors = analyte.unit_rules

    units = _units_to_try(value, analyte)
    canonical = analyte.canonical_unit
    if value.censor is None:
        plausible_units = [u for u in units if tables.plausible_point(analyte, value.number, u)]
    else:
        plausible_units = [
            unit
            for unit in units
            if not implausible(interval.converted(unit, canonical, factors), analyte.plausible)
        ]
    if not plausible_units:
        limits = analyte.plausible.wording(analyte.canonical_unit)
        where = "in any accepted unit" if value.unit is None else "for a living patient"
        return _error(
            value,
            "IMPLAUSIBLE_VALUE",
            f"'{value.text}' is not possible {where} ({analyte.name} must be {limits}); "
            "check the number and the unit.",
        )

    plan = tables.memo(("plan", key, context), partial(_plan, analyte, context, ruleset))
    options = plan.options
    outcomes: list[Outcome] = []
    for unit in plausible_units:
        for patient, rule in zip(options.contexts, plan.primaries, strict=True):
            if rule is None:
                reading = None
            elif value.censor is None:
                reading = tables.read_rule_point(analyte, rule, value.number, unit)
            else:
                reading = read_rule(rule, interval, unit, factors)
            outcomes.append(Outcome(unit=unit, context=patient, reading=reading))
    return _decide(value, analyte, ruleset, outcomes, options, plausible_units)


@dataclass(frozen=True)
class _Plan:
    """For one analyte and one patient as the text describes them: every patient to try, and
    the primary rule of each (pure, so remembered per rule set)."""

    options: Candidates
    primaries: tuple[Rule | None, ...]


def _plan(analyte: Analyte, context: PatientContext, ruleset: RuleSet) -> _Plan:
    options = candidates(analyte, context, ruleset.attributes)
    return _Plan(options, tuple(primary_rule(analyte, patient) for patient in options.contexts))
