"""The lab tool's output contract: the shape of `assistant labs --json`.

Every finding, conclusion and conflict names the corpus documents behind it, so the
chat composer can cite them and the evaluation can check them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SourceRef(BaseModel):
    """A pointer into the corpus: which document and which section supports a statement."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    title: str
    section: str


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
        default_factory=dict, description="The value in every supported unit"
    )
    thresholds: list[str] = Field(
        default_factory=list, description="Human-readable bands used, as the source words them"
    )
    rule_id: str | None = None
    notes: list[str] = Field(default_factory=list)
    analyte_name: str = Field(default="", description="The analyte's name in the rules file")
    category_label: str = Field(default="", description="The category's label in the rules file")


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


class LabError(BaseModel):
    """Input that could not be classified. Errors are data, never exceptions."""

    input: str
    code: str
    message: str


class LabReport(BaseModel):
    findings: list[Finding] = Field(default_factory=list)
    conclusions: list[Conclusion] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    errors: list[LabError] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.findings or self.errors)
