"""The conditions of a conclusion (docs/rules-format.md, "Conclusions"): one model for every
kind, checked for shape here and against the rest of the file in labtool.rules_checks.

    {analyte: K, in: [c1, not_measured]}   K's finding is in one of these categories
                                            (`not_measured`: K was not classified)
    {analyte: K, measured: true}            K (classified or context) has a usable result
    {analyte: K, more_than: x}              a result of K meets the bound (canonical unit)
    {attribute: A, is: true}                pregnant, sex (female/male) or a yes/no attribute
    {attribute: A, less_than: x}            age (years), trimester or a number attribute
    {attribute: A, stated: false}           the message (or earlier turns) leave A unstated
    {any: [...]} / {all: [...]}             one of / every one of the conditions listed

A `when` written as a mapping ({b12: [indeterminate]}) is the list of `in` conditions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from labtool.attributes import Condition, SourceSpec, StrictModel

NOT_MEASURED = "not_measured"  # the pseudo-category of an analyte absent from the message
BUILT_IN_ATTRIBUTES = {"pregnant": "boolean", "sex": "sex", "age": "number", "trimester": "number"}


class Check(StrictModel):
    """One condition of a conclusion."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    analyte: str | None = None
    attribute: str | None = None
    any_of: list[Check] | None = Field(default=None, alias="any", min_length=1)
    all_of: list[Check] | None = Field(default=None, alias="all", min_length=1)
    categories: list[str] | None = Field(default=None, alias="in", min_length=1)
    measured: StrictBool | None = None
    is_value: StrictBool | Literal["female", "male"] | None = Field(default=None, alias="is")
    stated: StrictBool | None = None
    more_than: Decimal | None = None
    at_least: Decimal | None = None
    less_than: Decimal | None = None
    at_most: Decimal | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Check:
        heads = [self.analyte, self.attribute, self.any_of, self.all_of]
        if sum(head is not None for head in heads) != 1:
            raise ValueError("a condition names one of 'analyte', 'attribute', 'any' or 'all'")
        tests = {
            "in": self.categories,
            "measured": self.measured,
            "is": self.is_value,
            "stated": self.stated,
            "a bound": self.bound,
        }
        given = [name for name, value in tests.items() if value is not None]
        if self.any_of is not None or self.all_of is not None:
            if given:
                raise ValueError("'any' and 'all' take a list of conditions and nothing else")
            return self
        allowed = ("in", "measured", "a bound") if self.analyte else ("is", "stated", "a bound")
        head = "an analyte" if self.analyte else "an attribute"
        if len(given) != 1 or given[0] not in allowed:
            raise ValueError(
                f"a condition on {head} needs exactly one of {', '.join(allowed)} "
                "(a bound: more_than, at_least, less_than or at_most)"
            )
        return self

    @property
    def bound(self) -> Condition | None:
        """The bounds as a Condition (validated: at most one lower and one upper)."""
        values = (self.more_than, self.at_least, self.less_than, self.at_most)
        if all(value is None for value in values):
            return None
        return Condition(
            more_than=self.more_than,
            at_least=self.at_least,
            less_than=self.less_than,
            at_most=self.at_most,
        )

    @property
    def children(self) -> list[Check]:
        return list(self.any_of or self.all_of or [])

    def numbers(self) -> list[Decimal]:
        """Every number this condition (and any nested one) compares with."""
        values = (self.more_than, self.at_least, self.less_than, self.at_most)
        own = [x for x in values if x is not None]
        return own + [number for child in self.children for number in child.numbers()]


def _as_checks(value: Any) -> Any:
    """A mapping {analyte: [categories]} is the list of `in` conditions."""
    if isinstance(value, dict):
        return [{"analyte": key, "in": categories} for key, categories in value.items()]
    return value


class ConclusionRule(StrictModel):
    id: str = Field(min_length=1)
    when: list[Check] = Field(min_length=1)  # every condition holds
    unless: list[Check] = Field(default_factory=list)  # fires only if none of these holds
    unless_present: list[str] = Field(default_factory=list)  # fires only if none was given
    summary: str = Field(min_length=1)
    source: SourceSpec

    @field_validator("when", "unless", mode="before")
    @classmethod
    def _mapping_form(cls, value: Any) -> Any:
        return _as_checks(value)
