"""Cue words of declared yes/no attributes, and whether a result meets a condition.

Each attribute's cues are compiled into a regex of its own, so cues of two attributes may
overlap ("active IBD" states one attribute, "IBD" another) and both are read. A negated
true word ("no inflammation", "without infection") or a `words_false` phrase states "no";
a stated "no" wins over a "yes" for the same attribute.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from labtool.attributes import Attribute, Condition
from labtool.bands import Interval

_NEGATION = (
    r"\b(?:no|not|without|denies|absent|nil|negative\s+for)\b"
    r"(?:\s+(?:signs?|evidence|clinical\s+evidence)\s+of)?\s+(?:active\s+|current\s+)?"
)
_COPULA = r"[\s\-]+(?:(?:is|was|are|were)\s+)?"


def _cue_pattern(words: Iterable[str]) -> str:
    """Cue words as written; 'is'/'was' may stand between their words, an apostrophe may be
    left out, and a hyphen may be a space."""
    patterns = []
    for cue in sorted(set(words), key=lambda w: (-len(w), w)):
        parts = [re.escape(part).replace("'", "['’]?") for part in re.split(r"[\s\-]+", cue)]
        patterns.append(_COPULA.join(part for part in parts if part))
    return "|".join(patterns)


class _Cue:
    """One attribute's cue words, compiled."""

    def __init__(self, attribute: Attribute) -> None:
        negatable = _cue_pattern(attribute.words_true)
        false_words = [_NEGATION + f"(?:{negatable})"] if negatable else []
        if attribute.words_false:
            false_words.append(_cue_pattern(attribute.words_false))
        groups = [f"(?P<f>\\b(?:{'|'.join(false_words)})\\b)"]
        if negatable:
            groups.append(f"(?P<t>\\b(?:{negatable})\\b)")
        self.regex = re.compile("|".join(groups), re.IGNORECASE)
        gates = set()
        for cue in attribute.words:
            longest = max(re.split(r"[\s\-]+", cue.lower()), key=len)
            gates.add(re.split(r"['’]", longest)[0])
        self.gates = tuple(sorted(gates))

    def read(self, text: str, lower: str) -> bool | None:
        if not any(gate in lower for gate in self.gates):
            return None
        found: bool | None = None
        for match in self.regex.finditer(text):
            if match.lastgroup == "f":
                return False
            found = True
        return found


class AttributeCues:
    """The cue words of every declared yes/no attribute, compiled once per rule set."""

    def __init__(self, attributes: Mapping[str, Attribute]) -> None:
        self._cues = {
            name: _Cue(attribute)
            for name, attribute in attributes.items()
            if attribute.type == "boolean" and attribute.words
        }
        gates = sorted({gate for cue in self._cues.values() for gate in cue.gates}, key=len)
        # One search tells whether any cue may be there at all (most messages have none).
        self._any_gate = re.compile("|".join(re.escape(g) for g in gates)) if gates else None

    def read(self, text: str) -> dict[str, bool]:
        """Attribute -> the value the words state; a stated 'no' wins over a 'yes'."""
        lower = text.lower()
        if self._any_gate is None or self._any_gate.search(lower) is None:
            return {}
        found: dict[str, bool] = {}
        for name, cue in self._cues.items():
            value = cue.read(text, lower)
            if value is not None:
                found[name] = value
        return found


def decide(condition: Condition, interval: Interval) -> bool | None:
    """True when every value the result allows meets the condition, False when none does,
    None when some do and some do not (a censored result across the cut-off)."""
    lower = (condition.more_than, False) if condition.more_than is not None else None
    if condition.at_least is not None:
        lower = (condition.at_least, True)
    upper = (condition.less_than, False) if condition.less_than is not None else None
    if condition.at_most is not None:
        upper = (condition.at_most, True)
    low, high = interval.low, interval.high
    inside = True
    if lower is not None:
        value, closed = lower
        if not (low > value or (low == value and (closed or not interval.low_closed))):
            inside = False
        if high is not None and (
            high < value or (high == value and not (closed and interval.high_closed))
        ):
            return False
    if upper is not None:
        value, closed = upper
        if high is None or not (
            high < value or (high == value and (closed or not interval.high_closed))
        ):
            inside = False
        if low > value or (low == value and not (closed and interval.low_closed)):
            return False
    return True if inside else None
