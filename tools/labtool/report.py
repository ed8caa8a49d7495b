"""The lab tool's output contract: the shape of `assistant labs --json`.

Every finding, conclusion and conflict names the corpus documents behind it, so the
chat composer can cite them and the evaluation can check them.

Structured fields carry everything a renderer shows (the value as written, the same value in
the other units rounded for reading, the category's label, the band used as numbers, the
source's short name), so no renderer parses a summary or needs a rule id. The `summary` and
`notes` strings are written for people: no rule ids, no codes, and no more significant
figures in a converted value than the value was written with (minimum 2). Numeric fields
keep the exact conversions.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SourceRef(BaseModel):
    """A pointer into the corpus: which document and which section supports a statement."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    title: str
    section: str


class BandRange(BaseModel):
    """A band of a rule's scale as numbers: `lower` < (or <=) value < (or <=) `upper`."""

    lower: float | None = Field(default=None, description="None: the band starts at 0")
    lower_inclusive: bool = False
    upper: float | None = Field(default=None, description="None: the band is open above")
    upper_inclusive: bool = False
    unit: str
    text: str = Field(description="In words: '180–350 ng/L', 'below 180 ng/L'")


class Finding(BaseModel):
    """One lab value, classified by the primary rule for its analyte."""

    analyte: str
    value: float
    unit: str
    canonical_value: float
    canonical_unit: str
    category: str
    summary: str
    near_threshold: bool
    sources: list[SourceRef]
    # Extra detail beyond the required contract; the CLI keeps it in the JSON.
    censored: str | None = Field(default=None, description="'<' or '>' for censored results")
    converted: dict[str, float] = Field(
        default_factory=dict, description="The value in every supported unit (exact)"
    )
    thresholds: list[str] = Field(
        default_factory=list, description="Human-readable bands used, as the source words them"
    )
    rule_id: str | None = None
    notes: list[str] = Field(default_factory=list)
    analyte_name: str = Field(default="", description="The analyte's name in the rules file")
    category_label: str = Field(default="", description="The category's label in the rules file")
    written: str = Field(
        default="", description="The value as written, with its censoring sign: '12.0', '<50'"
    )
    converted_text: dict[str, str] = Field(
        default_factory=dict,
        description="The value in every supported unit, rounded to no more significant "
        "figures than written (minimum 2), with its censoring sign: {'pmol/L': '177'}",
    )
    band: BandRange | None = Field(default=None, description="The band that decided it")
    near_cut_off: float | None = Field(
        default=None, description="The cut-off (in the band's unit) the value lies close to"
    )
    source_name: str = Field(
        default="", description="The deciding source's short name (publisher or title, year)"
    )
    repeats: int = Field(default=1, description="How often the message gave this same value")


class Conclusion(BaseModel):
    """A statement that combines findings (e.g. two results that point to one cause)."""

    code: str
    summary: str
    sources: list[SourceRef]


class Conflict(BaseModel):
    """Another corpus source puts the same value in a different band."""

    analyte: str
    summary: str
    sources: list[SourceRef]
    category_label: str = Field(default="", description="The other source's category label")
    categories: list[str] = Field(default_factory=list, description="Its category ids")
    band: BandRange | None = Field(default=None, description="The other source's band used")
    source_name: str = Field(default="", description="The other source's short name")
    population: str = Field(
        default="", description="Who the other source covers, when not the primary's people"
    )
    value: float | None = Field(default=None, description="The value as that rule read it")
    unit: str = Field(default="", description="The unit that rule read it in")
    value_text: str = Field(default="", description="That value rounded for reading")


class LabError(BaseModel):
    """Input that could not be classified. Errors are data, never exceptions."""

    input: str
    code: str
    message: str


class LabNotice(BaseModel):
    """Text that was read but is not a result: a quoted cut-off, a reference range."""

    input: str
    code: str
    message: str


class LabReport(BaseModel):
    findings: list[Finding] = Field(default_factory=list)
    conclusions: list[Conclusion] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    errors: list[LabError] = Field(default_factory=list)
    notices: list[LabNotice] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.findings or self.errors)
