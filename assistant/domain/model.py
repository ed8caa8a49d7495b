"""The pydantic model of a pack's `domain.yaml` (docs/pack-format.md).

Everything the assistant knows about a clinical field beyond its documents and its rules file:
what the field is called, which words name its subjects, how answers are sectioned, how
clinicians' spelling and shorthand map to the documents' words, and the texts of the app.
Every field has a neutral default, so a pack without `domain.yaml` still works.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SectionRole = Literal["topic", "thresholds", "qualifier"]


class _Strict(BaseModel):
    # A misspelt key must fail loudly rather than silently drop part of the domain.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiles(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"term {pattern!r} is not a valid regular expression: {exc}") from exc
    return patterns


class Subject(_Strict):
    """Words that name a subject of the field, and the lab test it concerns, if any."""

    terms: list[str] = Field(min_length=1, description="Regular expressions, whole words")
    analyte: str | None = Field(default=None, description="Rules-file key of the test concerned")
    names_test: bool = Field(
        default=False, description="The term names the test itself, not only a condition"
    )

    _check = field_validator("terms")(_compiles)


class Section(_Strict):
    """One answer section: its heading and the words that put a statement under it."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    heading: str = Field(min_length=1)
    terms: list[str] = Field(default_factory=list, description="Regular expressions, whole words")
    focus_query: str = Field(default="", description="Search words for this section's evidence")
    role: SectionRole = "topic"
    tie_rank: int = Field(default=100, description="On a tie, the lower rank wins")
    followup: str = Field(
        default="", description="A next question to suggest when this section has unshown evidence"
    )

    _check = field_validator("terms")(_compiles)


class GlossaryEntry(_Strict):
    terms: list[str] = Field(min_length=1)
    term: str = Field(min_length=1, description="The term as the patient answer names it")
    meaning: str = Field(min_length=1, description="Plain-language explanation, no numbers")

    _check = field_validator("terms")(_compiles)

    @field_validator("meaning")
    @classmethod
    def _no_numbers(cls, meaning: str) -> str:
        if re.search(r"(?<![^\W_])\d", meaning):  # "B12" is a name, not a number
            raise ValueError("a glossary meaning may not contain numbers (nothing to cite)")
        return meaning


class AppTexts(_Strict):
    header: str = ""
    placeholder: str = "Ask a question about the guidelines."
    examples: list[str] = Field(default_factory=list)


class Domain(_Strict):
    """A pack's domain file; defaults describe a field the code knows nothing about."""

    title: str = "Guideline Assistant"
    description: str = ""
    llm_subject: str = Field(default="", description="The field, as the model's prompt names it")
    default_query: str = Field(default="", description="Search words when a question has none")
    ui: AppTexts = Field(default_factory=AppTexts)
    subjects: list[Subject] = Field(default_factory=list)
    field_words: list[str] = Field(default_factory=list)
    unclassified_tests: list[str] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    broad_terms: list[str] = Field(default_factory=list)
    spellings: dict[str, str] = Field(default_factory=dict)
    abbreviations: dict[str, list[str]] = Field(default_factory=dict)
    lay_phrases: dict[str, list[str]] = Field(default_factory=dict)
    followup_expansions: dict[str, str] = Field(default_factory=dict)
    followup_only: list[str] = Field(default_factory=list)
    glossary: list[GlossaryEntry] = Field(default_factory=list)
    meta_patterns: list[str] = Field(default_factory=list)
    derived: bool = Field(
        default=False,
        description="Set by the loader for a pack without a domain file: the sections are the "
        "documents' own headings",
    )

    _check = field_validator("field_words", "broad_terms", "meta_patterns")(_compiles)

    @field_validator("sections")
    @classmethod
    def _unique_keys(cls, sections: list[Section]) -> list[Section]:
        keys = [section.key for section in sections]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"duplicate section keys: {', '.join(duplicates)}")
        return sections

    @field_validator("spellings", "abbreviations", "lay_phrases", "followup_expansions")
    @classmethod
    def _lower_case_keys(cls, table: dict[str, object]) -> dict[str, object]:
        return {key.lower(): value for key, value in table.items()}
