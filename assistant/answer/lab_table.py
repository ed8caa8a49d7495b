"""The lab tool's findings as table rows: what a clinician reads on a results sheet.

One row per distinct value (a value pasted twice is one row): the test, the value as written, the
same value in the test's other units (rounded to no more figures than it was written with), the
category, the band that decided it in words ("180–350 ng/L") and where that band sits on the
test's scale, notes (close to a cut-off, sources that disagree) and the documents behind it.
Built from the report's structured fields (labtool.report): nothing internal (rule ids, codes)
reaches a row. Pure formatting: no Gradio, no HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from labtool.report import BandRange, Conflict, Finding, LabReport, SourceRef

# Where the category's band sits on the test's scale; a badge shows it as a shape and a word,
# never by colour alone. It says nothing about good or bad: that is the category's own label.
Position = Literal["lowest", "middle", "highest", "only"]

NEAR_CUT_OFF = "Close to a cut-off: assay differences could move it across."
SOURCES_DIFFER = "Another source puts this value in a different band."


@dataclass(frozen=True)
class LabSource:
    name: str  # short: "NICE 2024"
    ref: SourceRef


@dataclass(frozen=True)
class LabRow:
    """One distinct lab value, ready to show."""

    test: str  # the analyte's name in the rules file
    value: str  # as written, with its unit: "240 ng/L", "<50 ng/L", "12.0 g/dL"
    other_units: list[str]  # the same value in the other units: ["240 pg/mL", "177 pmol/L"]
    category: str  # the category's label: "Indeterminate: B12 deficiency possible"
    position: Position
    band: str  # the band that decided it, in words: "180–350 ng/L", "above 400 nmol/L"
    near_cut_off: bool
    notes: list[str] = field(default_factory=list)
    sources: list[LabSource] = field(default_factory=list)
    repeats: int = 1  # how often the message gave this same value


def lab_rows(report: LabReport) -> list[LabRow]:
    """The report's findings as rows, identical values once, in the order first given."""
    rows: dict[tuple[str, str, str], LabRow] = {}
    for finding in report.findings:
        key = (finding.analyte, _written(finding), finding.unit)
        if key in rows:
            rows[key] = replace(rows[key], repeats=rows[key].repeats + finding.repeats)
            continue
        rows[key] = _row(finding, [c for c in report.conflicts if c.analyte == finding.analyte])
    return list(rows.values())


def position(band: BandRange | None) -> Position:
    """A band from 0 is the lowest, one open above the highest, any other a middle one."""
    if band is None or (band.lower is None and band.upper is None):
        return "only"
    if band.lower is None:
        return "lowest"
    if band.upper is None:
        return "highest"
    return "middle"


def significant_figures(written: str) -> int:
    """Significant figures of a number as written: "240" 3, "0.41" 2, "12.0" 3, "7" 1."""
    digits = written.replace(".", "").lstrip("<>≤≥=0")
    return max(len(digits), 1)


def round_like(value: float, figures: int) -> str:
    """`value` with no more significant figures than `figures` (two at least), never rounded
    into its whole part: a clinician writes 177 pmol/L and 126 mg/dL, not 180 and 130."""
    try:
        exact = Decimal(repr(value))
    except InvalidOperation:
        return str(value)
    if exact == 0:
        return "0"
    decimals = max(0, max(figures, 2) - 1 - exact.copy_abs().adjusted())
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return _plain_decimal(rounded)


def _row(finding: Finding, conflicts: Sequence[Conflict]) -> LabRow:
    notes = [*finding.notes]
    if finding.near_threshold:
        notes.append(_near_note(finding))
    notes.extend(_conflict_note(conflict) for conflict in conflicts)
    return LabRow(
        test=finding.analyte_name or finding.analyte,
        value=f"{_written(finding)} {finding.unit}",
        other_units=_other_units(finding),
        category=finding.category_label or finding.category,
        position=position(finding.band),
        band=finding.band.text if finding.band else _band_words(finding),
        near_cut_off=finding.near_threshold,
        notes=list(dict.fromkeys(notes)),
        sources=_sources(finding, conflicts),
        repeats=finding.repeats,
    )


def _written(finding: Finding) -> str:
    """The value as the message wrote it ("12.0" keeps its zero), with a censoring sign."""
    if finding.written:
        return finding.written
    sign = {"<=": "≤", ">=": "≥"}.get(finding.censored or "", finding.censored or "")
    return f"{sign}{_plain_decimal(Decimal(repr(finding.value)))}"


def _other_units(finding: Finding) -> list[str]:
    if finding.converted_text:
        return [
            f"{text} {unit}"
            for unit, text in finding.converted_text.items()
            if unit != finding.unit
        ]
    written = _written(finding)
    sign = written[: len(written) - len(written.lstrip("<>≤≥="))]
    figures = significant_figures(written)
    return [
        f"{sign}{round_like(value, figures)} {unit}"
        for unit, value in finding.converted.items()
        if unit != finding.unit
    ]


def _near_note(finding: Finding) -> str:
    if finding.near_cut_off is None or finding.band is None:
        return NEAR_CUT_OFF
    cut_off = _plain_decimal(Decimal(repr(finding.near_cut_off)))
    return f"Close to the {cut_off} {finding.band.unit} cut-off: {NEAR_CUT_OFF.split(': ', 1)[1]}"


def _conflict_note(conflict: Conflict) -> str:
    """What the disagreeing source says, by its short name (never a rule id)."""
    if not (conflict.source_name and conflict.category_label and conflict.band):
        return SOURCES_DIFFER
    who = f" (for {conflict.population})" if conflict.population else ""
    return f"{conflict.source_name}{who}: {conflict.category_label} ({conflict.band.text})."


def _sources(finding: Finding, conflicts: Sequence[Conflict]) -> list[LabSource]:
    """The deciding source first, by its short name, then any other the row rests on."""
    named: dict[SourceRef, str] = {}
    for index, ref in enumerate(finding.sources):
        named.setdefault(
            ref, finding.source_name if index == 0 and finding.source_name else ref.title
        )
    for conflict in conflicts:
        for ref in conflict.sources:
            named.setdefault(ref, conflict.source_name or ref.title)
    return [LabSource(name, ref) for ref, name in named.items()]


def _band_words(finding: Finding) -> str:
    """For a finding without its band as numbers: the band its category names, from the
    tool's own wording ("180 ng/L to 350 ng/L inclusive" -> "180–350 ng/L")."""
    prefix = f"{finding.category_label}: "
    for threshold in finding.thresholds:
        if threshold.startswith(prefix):
            wording = threshold[len(prefix) :]
            low, _, rest = wording.partition(" to ")
            if rest.endswith(" inclusive") and " " in low:
                number, unit = low.split(" ", 1)
                return f"{number}–{rest.removesuffix(' inclusive').removesuffix(' ' + unit)} {unit}"
            return wording
    return ""


def _plain_decimal(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
