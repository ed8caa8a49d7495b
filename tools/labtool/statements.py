"""Quoted cut-offs, reference ranges and policy sentences: statements about thresholds, not results.

"Lab comment: MMA above 280 nmol/L supports deficiency", "Our lab now defines deficiency as
B12 below 150 ng/L", "the cut-off for B12 is 180 ng/L", "B12 150 ng/L or less" and
"reference range 180-900" state where a cut-off lies; none is the patient's result. A value
is such a statement when:

- a comparison word stands right before the number, after the test's name or without one
  ("above", "below", "over", "under", "more/less/greater/lower/higher than", "at least",
  "at most", "up to", "exceeding"); "B12 below normal at 150 ng/L" stays a result;
- a comparison or a cut-off word follows the value ("150 ng/L or less", "... and above",
  "180 ng/L is the lower cut-off");
- a policy word stands earlier in the same clause, before the name ("cut-off", "threshold",
  "limit", "reference range/interval/value", "normal range/value", "define(s/d)",
  "definition", "criteria");
- a range follows a name ("B12 180-900 ng/L").

A result given as a limit is written with a sign ("<150 ng/L", ">2000 ng/L") and stays a
(censored) result. The words are general English; nothing here names a test.
"""

from __future__ import annotations

import re

__all__ = ["comparison_before", "comparison_between", "policy_before", "trailing_comparison"]

_COMPARISON = (
    r"above|below|over|under|beneath|beyond|exceed(?:s|ing)?|(?:no|not)\s+(?:more|less)\s+than"
    r"|(?:more|less|greater|lower|higher|fewer)\s+than|at\s+least|at\s+most|up\s+to|upwards\s+of"
)
_BEFORE = re.compile(rf"\b(?:{_COMPARISON})(?:\s+(?:of|about|around))?[\s:=~]*$", re.IGNORECASE)
_POLICY = re.compile(
    r"\b(?:cut-?offs?|thresholds?|limits?|(?:reference|normal)\s+(?:ranges?|intervals?|values?)"
    r"|defin(?:e|es|ed|ing|ition|itions)|criteri(?:on|a))\b",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"[ \t]*,?[ \t]*(?:(?:or|and)\s+(?:less|lower|below|under|more|higher|above|over|greater)\b"
    r"|(?:is|was|are|as)\s+(?:the|a|our|their|its)\s+(?:\w+\s+){0,2}?"
    r"(?:cut-?offs?|thresholds?|limits?)\b)",
    re.IGNORECASE,
)
_LOOKBACK = 40  # characters before a number searched for a comparison word


def comparison_between(gap: str) -> bool:
    """Does the text between a test's name and its number compare, right before the number
    ("MMA above 280"; not "B12 below normal at 150"), or name a cut-off ("B12 cut-off 180")?"""
    return _BEFORE.search(gap) is not None or _POLICY.search(gap) is not None


def comparison_before(text: str, start: int, floor: int) -> bool:
    """Does a comparison word end right before the number at `start` ("below 150 ng/L")?"""
    return _BEFORE.search(text, max(floor, start - _LOOKBACK), start) is not None


def policy_before(text: str, start: int, end: int) -> bool:
    """Does text[start:end] (the clause before a test's name) hold a policy word?"""
    return start < end and _POLICY.search(text, start, end) is not None


def trailing_comparison(text: str, end: int) -> int | None:
    """Where a comparison after a value ends ("150 ng/L or less"), if one follows."""
    match = _TRAILING.match(text, end)
    return match.end() if match else None
