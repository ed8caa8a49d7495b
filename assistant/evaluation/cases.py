"""Reference cases: the pydantic model of one case and loading them from YAML.

A case holds what a clinician or patient asks and what a correct answer must show. Every
expectation names its source (`provenance`), so a case is checked against the guideline,
never against what the assistant happened to say.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.schema import Audience

Behavior = Literal["answer", "abstain", "clarify"]
# `gate` cases are scored for the gate; `dev` cases calibrate thresholds and are reported apart.
Split = Literal["dev", "gate"]


class CaseError(ValueError):
    """A cases file that cannot be read or does not match the case model."""


class _Strict(BaseModel):
    # A typo in a field name must fail loudly, not silently drop an expectation.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Strict):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class SourceRef(_Strict):
    """A corpus document (or any of several that say the same), optionally narrowed to a
    section whose heading path contains `section`."""

    doc_id: str | list[str]
    section: str | None = None

    @property
    def doc_ids(self) -> list[str]:
        return [self.doc_id] if isinstance(self.doc_id, str) else self.doc_id

    def matches(self, doc_id: str, section: str) -> bool:
        in_section = not self.section or self.section.lower() in section.lower()
        return doc_id in self.doc_ids and in_section

    def describe(self) -> str:
        return f"{' or '.join(self.doc_ids)} > {self.section or '*'}"


class Provenance(_Strict):
    """Where an expectation comes from: a corpus section, or a note (e.g. scope)."""

    doc_id: str | None = None
    section: str | None = None
    note: str = ""

    @model_validator(mode="after")
    def _says_something(self) -> Provenance:
        if not self.doc_id and not self.note:
            raise ValueError("provenance needs a doc_id or a note")
        return self


class ExpectedLab(_Strict):
    """One golden lab row: the category the sources give, or the input error expected."""

    analyte: str
    value: float | None = None
    unit: str | None = None
    category: str | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _category_or_error(self) -> ExpectedLab:
        if (self.category is None) == (self.error is None):
            raise ValueError("an expected lab row needs exactly one of category or error")
        if self.category is not None and (self.value is None or self.unit is None):
            raise ValueError("a classified lab row needs its value and unit")
        return self

    def describe(self) -> str:
        value = "" if self.value is None else f" {self.value:g}"
        unit = f" {self.unit}" if self.unit else ""
        outcome = self.category if self.category is not None else f"error {self.error}"
        return f"{self.analyte}{value}{unit} -> {outcome}"


class CitationExpectation(_Strict):
    minimum: int = Field(default=0, ge=0, description="Fewest citations a good answer carries")
    allowed_docs: list[str] = Field(
        default_factory=list, description="If set, every citation must be one of these documents"
    )
    required_docs: list[str] = Field(
        default_factory=list, description="Documents a good answer must cite"
    )


class RubricItem(_Strict):
    """HealthBench-style criterion for the optional judge tier (never gating)."""

    criterion: str
    points: int = Field(ge=-10, le=10)
    tags: list[str] = Field(default_factory=list)


class EvalCase(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    tags: list[str] = Field(default_factory=list)
    audience: Audience = "clinician"
    conversation: list[Message] = Field(min_length=1)
    expected_behavior: Behavior = "answer"
    reference: list[SourceRef] = Field(
        default_factory=list, description="Passages or documents retrieval should find"
    )
    retrieval_query: str | None = Field(
        default=None, description="Query for retrieval scoring; default: the last user message"
    )
    expected_labs: list[ExpectedLab] = Field(default_factory=list)
    must_include: list[str] = Field(default_factory=list, description="Regexes that must match")
    must_not_include: list[str] = Field(default_factory=list, description="Regexes that must not")
    citations: CitationExpectation = Field(default_factory=CitationExpectation)
    rubric: list[RubricItem] = Field(default_factory=list)
    provenance: list[Provenance] = Field(min_length=1)
    lead: str | None = Field(
        default=None, description="Regex the first three sentences of the direct answer match"
    )
    expected_gap: bool | None = Field(
        default=None,
        description="True: the answer states the fixed gap sentence; False: it must not; "
        "unset: not scored",
    )
    caveat_for: str | None = Field(
        default=None, description="Regex of a statement that must not be shown without `caveat`"
    )
    caveat: str | None = Field(
        default=None, description="Regex of the qualifying sentence, shown in the same part"
    )
    split: Split = "gate"

    @model_validator(mode="before")
    @classmethod
    def _question_shorthand(cls, data: object) -> object:
        # `question: "..."` is the common single-turn case; it is sugar for a one-message
        # conversation.
        if isinstance(data, dict) and "question" in data:
            data = dict(data)
            question = data.pop("question")
            if "conversation" in data:
                raise ValueError("give either question or conversation, not both")
            data["conversation"] = [{"role": "user", "content": question}]
        return data

    @field_validator("conversation")
    @classmethod
    def _ends_with_user(cls, conversation: list[Message]) -> list[Message]:
        if conversation[-1].role != "user":
            raise ValueError("the last message of a conversation must be the user's")
        return conversation

    @field_validator("must_include", "must_not_include")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            _check_regex(pattern)
        return patterns

    @field_validator("lead", "caveat", "caveat_for")
    @classmethod
    def _compiles_one(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            _check_regex(pattern)
        return pattern

    @model_validator(mode="after")
    def _caveat_pairs(self) -> EvalCase:
        if (self.caveat is None) != (self.caveat_for is None):
            raise ValueError("caveat and caveat_for go together: the caveat and what it qualifies")
        return self

    @property
    def question(self) -> str:
        return self.conversation[-1].content

    @property
    def history(self) -> list[dict[str, str]]:
        return [m.model_dump() for m in self.conversation[:-1]]

    @property
    def query(self) -> str:
        return self.retrieval_query or self.question


def _check_regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regex {pattern!r}: {exc}") from exc


class _CasesFile(_Strict):
    cases: list[EvalCase]


def _case_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise CaseError(f"{path}: no *.yaml case files")
        return files
    if path.is_file():
        return [path]
    raise CaseError(f"{path}: no such cases file or folder")


def load_cases(path: Path) -> list[EvalCase]:
    """Every case in a YAML file (`cases: [...]`) or in every YAML file of a folder."""
    cases: list[EvalCase] = []
    for file in _case_files(path):
        try:
            raw = yaml.safe_load(file.read_text(encoding="utf-8"))
            cases.extend(_CasesFile.model_validate(raw).cases)
        except (OSError, yaml.YAMLError) as exc:
            raise CaseError(f"{file}: cannot read: {exc}") from exc
        except ValidationError as exc:
            raise CaseError(f"{file}: invalid case: {exc}") from exc
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise CaseError(f"duplicate case id {case.id!r}")
        seen.add(case.id)
    if not cases:
        raise CaseError(f"{path}: no cases")
    return cases


def check_sources(cases: list[EvalCase], headings: dict[str, list[str]]) -> list[str]:
    """Problems with the corpus references of the cases (unknown document or section).

    `headings` maps each corpus doc_id to its heading paths.
    """
    problems: list[str] = []

    def check(case_id: str, doc_id: str | None, section: str | None, what: str) -> None:
        if doc_id is None:
            return
        if doc_id not in headings:
            problems.append(f"{case_id}: {what} names unknown document {doc_id!r}")
        elif section and not any(section.lower() in h.lower() for h in headings[doc_id]):
            problems.append(f"{case_id}: {what} section {section!r} is not a heading of {doc_id}")

    for case in cases:
        for ref in case.reference:
            for doc_id in ref.doc_ids:
                check(case.id, doc_id, ref.section if len(ref.doc_ids) == 1 else None, "reference")
        for prov in case.provenance:
            check(case.id, prov.doc_id, prov.section, "provenance")
        for doc_id in [*case.citations.allowed_docs, *case.citations.required_docs]:
            check(case.id, doc_id, None, "citations")
    return problems


def case_problems(path: Path) -> list[str]:
    """Every problem in the case files of a folder (or one file), each as `file:line: ...`.

    Unlike `load_cases`, which stops at the first bad file, this reports every case that does
    not match the model, so `assistant pack check` can list them all.
    """
    from assistant.domain.pack import yaml_line

    try:
        files = _case_files(path)
    except CaseError as exc:
        return [str(exc)]
    problems: list[str] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
            node = yaml.compose(text)
            raw = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f":{mark.line + 1}" if mark is not None else ""
            problems.append(f"{file}{at}: cannot read: {type(exc).__name__}")
            continue
        items = raw.get("cases") if isinstance(raw, dict) else None
        if not isinstance(items, list):
            problems.append(f"{file}:1: expected a mapping with a 'cases' list")
            continue
        for index, item in enumerate(items):
            try:
                case = EvalCase.model_validate(item)
            except ValidationError as exc:
                for error in exc.errors():
                    line = yaml_line(node, ["cases", index, *error["loc"]])
                    where = ".".join(str(part) for part in error["loc"]) or "case"
                    message = str(error["msg"]).removeprefix("Value error, ")
                    problems.append(f"{file}:{line}: case #{index + 1}: {where}: {message}")
                continue
            line = yaml_line(node, ["cases", index])
            if case.id in seen:
                problems.append(f"{file}:{line}: duplicate case id {case.id!r} ({seen[case.id]})")
            seen.setdefault(case.id, f"{file.name}:{line}")
    return problems
