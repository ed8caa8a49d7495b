"""Patient attributes declared by a rules file, and the populations rules apply to.

The built-in attributes (sex, pregnancy, trimester, age) are read from text by
labtool.context; every other attribute a population uses is declared under `attributes:`
in the rules file, with the words that state it and the results that decide it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from labtool.units import format_number

BUILT_IN_KEYS = ("sex", "pregnant", "trimester", "age_min_years", "age_max_years")
RESERVED_NAMES = frozenset({*BUILT_IN_KEYS, "age", "attributes"})


class StrictModel(BaseModel):
    # Unknown keys are errors: a typo such as `less_then` must not silently drop a bound.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSpec(StrictModel):
    doc_id: str = Field(min_length=1)
    section: str = Field(min_length=1)


class Condition(StrictModel):
    """A comparison with at most one lower and one upper bound: {at_least: 30, less_than: 60}."""

    more_than: Decimal | None = None
    at_least: Decimal | None = None
    less_than: Decimal | None = None
    at_most: Decimal | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Condition:
        lowers = [x for x in (self.more_than, self.at_least) if x is not None]
        uppers = [x for x in (self.less_than, self.at_most) if x is not None]
        if not lowers and not uppers:
            raise ValueError("a condition needs at_least, more_than, less_than or at_most")
        if len(lowers) > 1 or len(uppers) > 1:
            raise ValueError("a condition has at most one lower and one upper bound")
        return self

    def contains(self, value: Decimal) -> bool:
        return not (
            (self.more_than is not None and value <= self.more_than)
            or (self.at_least is not None and value < self.at_least)
            or (self.less_than is not None and value >= self.less_than)
            or (self.at_most is not None and value > self.at_most)
        )

    @property
    def bounds(self) -> tuple[Decimal, ...]:
        values = (self.more_than, self.at_least, self.less_than, self.at_most)
        return tuple(x for x in values if x is not None)

    def wording(self, unit: str = "") -> str:
        suffix = f" {unit}" if unit else ""
        words = (
            ("above", self.more_than),
            ("at least", self.at_least),
            ("below", self.less_than),
            ("at most", self.at_most),
        )
        return " and ".join(f"{w} {format_number(x)}{suffix}" for w, x in words if x is not None)


AttributeValue = bool | Decimal


class Population(StrictModel):
    """Who a rule applies to: built-in keys, plus declared attributes (stored in `attributes`)."""

    sex: Literal["female", "male"] | None = None
    pregnant: StrictBool | None = None
    trimester: Literal[1, 2, 3] | None = None
    age_min_years: Decimal | None = None
    age_max_years: Decimal | None = None  # exclusive
    attributes: dict[str, StrictBool | Condition] | None = None  # None when there are none

    @model_validator(mode="before")
    @classmethod
    def _declared_keys(cls, data: Any) -> Any:
        """Every key that is not built in names a declared attribute."""
        if not isinstance(data, dict):
            return data
        declared = {key: value for key, value in data.items() if key not in BUILT_IN_KEYS}
        built_in = {key: value for key, value in data.items() if key in BUILT_IN_KEYS}
        return {**built_in, "attributes": declared or None}

    def items(self) -> list[tuple[str, object]]:
        """Every condition as (key, value), built-ins first, in file order."""
        found: list[tuple[str, object]] = [
            (key, getattr(self, key)) for key in BUILT_IN_KEYS if getattr(self, key) is not None
        ]
        return found + list((self.attributes or {}).items())

    @property
    def specificity(self) -> int:
        return len(self.items())

    def identity(self) -> str:
        """Equal for populations with the same conditions, whatever their order."""
        return repr(sorted((key, repr(value)) for key, value in self.items()))

    def describe(self) -> str:
        parts = [
            f"{key} {value.wording()}" if isinstance(value, Condition) else f"{key}={value}"
            for key, value in self.items()
        ]
        return ", ".join(parts) if parts else "everyone"


class ResultCue(StrictModel):
    """A result that decides an attribute: its analyte, and for a yes/no attribute the cut-off."""

    analyte: str = Field(min_length=1)
    true_when: Condition | None = None  # in the analyte's canonical unit
    source: SourceSpec | None = None


class Attribute(StrictModel):
    """A patient attribute the rules depend on, beyond the built-ins."""

    type: Literal["boolean", "number"]
    label: str | None = None  # how findings name it; default: the key with spaces
    describe: str | None = None  # how a question for it reads ("whether there is ...")
    words_true: list[str] = Field(default_factory=list)
    words_false: list[str] = Field(default_factory=list)
    from_results: list[ResultCue] = Field(default_factory=list)
    when_unstated: Literal["vary", "assume"] = "vary"
    assumed: StrictBool | Decimal | None = None
    note: str | None = None  # shown when the assumed value is used

    @model_validator(mode="after")
    def _consistent(self) -> Attribute:
        if self.type == "number" and (self.words_true or self.words_false):
            raise ValueError("a number attribute has no words_true or words_false")
        for cue in self.from_results:
            if self.type == "boolean" and cue.true_when is None:
                raise ValueError(f"result '{cue.analyte}' needs true_when for a boolean attribute")
            if self.type == "number" and cue.true_when is not None:
                raise ValueError(f"result '{cue.analyte}': a number attribute takes the value")
            if cue.true_when is not None and cue.source is None:
                raise ValueError(f"result '{cue.analyte}': the cut-off in true_when needs a source")
        if self.when_unstated == "assume":
            if self.assumed is None:
                raise ValueError("when_unstated: assume needs an 'assumed' value")
            if isinstance(self.assumed, bool) != (self.type == "boolean"):
                raise ValueError(f"the assumed value does not fit a {self.type} attribute")
        elif self.assumed is not None or self.note is not None:
            raise ValueError("'assumed' and 'note' belong with when_unstated: assume")
        return self

    def label_for(self, name: str) -> str:
        return self.label or name.replace("_", " ")

    def question(self, name: str) -> str:
        """What to ask for when the text does not state the attribute."""
        if self.describe:
            return self.describe
        label = self.label_for(name)
        return f"whether the patient has {label}" if self.type == "boolean" else f"the {label}"

    def value_text(self, name: str, value: AttributeValue) -> str:
        label = self.label_for(name)
        if isinstance(value, bool):
            return label if value else f"no {label}"
        return f"{label} {format_number(value)}"

    def assumption_note(self, name: str) -> str:
        if self.note:
            return self.note
        assert self.assumed is not None
        shown = self.value_text(name, self.assumed)
        return f"{self.label_for(name).capitalize()} was not mentioned: {shown} was assumed."

    @property
    def words(self) -> tuple[str, ...]:
        return (*self.words_true, *self.words_false)
