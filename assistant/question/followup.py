"""Resolve short follow-ups ("and for how long?") against the conversation before retrieval.

Deterministic and mode-independent: the language model (when on) receives the resolved question
too, so both modes search for the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from labtool.report import LabReport
from labtool.units import normalize_unit

from assistant.domain.topics import analytes_in, content_words, expand, names_domain, strip_values

Role = Literal["user", "assistant"]

_CONNECTOR = re.compile(
    r"^\s*(?:and|but|also|so|then|what about|how about|and what about|what if|in that case"
    r"|same for|is that|is it|does it|does that|do they|for how)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?:it|that|this|those|these|they|them|then)\b", re.IGNORECASE)
_MAX_FOLLOWUP_WORDS = 10
# The unit of a bare lab value the tool could not attribute: "175 ng/L", "<150 pmol/L".
_BARE_VALUE_UNIT = re.compile(r"^\s*[<>≤≥]?\s*\d+(?:[.,]\d+)?\s*(?P<unit>\S.*?)\s*$")


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


@dataclass(frozen=True)
class ResolvedQuestion:
    """What retrieval searches for, split into this turn's words and the carried-over topic."""

    question: str  # the user's words this turn
    context: str  # topic words carried over from earlier turns ("" when standalone)
    findings: str = ""  # the lab tool's words for this turn's results ("indeterminate total B12")

    @property
    def is_followup(self) -> bool:
        return bool(self.context)

    @property
    def asked(self) -> str:
        """This turn's words plus the corpus's words for the aspect they name."""
        return expand(self.question, followup=self.is_followup)

    @property
    def focus(self) -> str:
        """What this turn is about: the words asked and the lab tool's words for the results."""
        return f"{self.asked} {self.findings}".strip()

    @property
    def search_text(self) -> str:
        """What retrieval searches for.

        A standalone question is searched as written (the retriever has its own vocabulary; extra
        words only dilute it); a short follow-up gets the corpus's words and the earlier topic.
        """
        asked = expand(self.question, followup=True) if self.is_followup else self.question
        return " ".join(part for part in (asked, self.findings, self.context) if part)


def turns_from(messages: Iterable[Mapping[str, Any]] | None) -> list[Turn]:
    """Normalise chat messages (CLI history file, Gradio history) to text turns.

    Gradio 6 content may be a string or a list of parts; only text parts count. Messages with
    metadata (tool or source cards) are display only and are skipped.
    """
    turns: list[Turn] = []
    for message in messages or []:
        role = message.get("role")
        if role not in ("user", "assistant") or message.get("metadata"):
            continue
        text = _text_of(message.get("content"))
        if text.strip():
            turns.append(Turn(role=role, content=text.strip()))
    return turns


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        value = content.get("text")
        return value if isinstance(value, str) else ""
    if isinstance(content, list | tuple):
        return " ".join(_text_of(part) for part in content)
    return ""


def looks_like_followup(question: str) -> bool:
    """Short, and either leans on an earlier turn ("and", "it") or names nothing in the domain."""
    n_words = len(question.split())
    if n_words > _MAX_FOLLOWUP_WORDS:
        return False
    if _CONNECTOR.search(question):
        return True
    if not names_domain(question):
        return True
    return bool(_PRONOUN.search(question)) and n_words <= _MAX_FOLLOWUP_WORDS - 2


def resolve_followup(question: str, history: Sequence[Turn]) -> ResolvedQuestion:
    """Attach the topic of the last standalone user question to a follow-up."""
    earlier = [turn.content for turn in history if turn.role == "user"]
    if not earlier or not looks_like_followup(question):
        return ResolvedQuestion(question=question, context="")
    topic_parts: list[str] = []
    for previous in reversed(earlier):
        topic_parts.insert(0, _topic_words(previous))
        if not looks_like_followup(previous):
            break  # the chain of follow-ups ends at the question that set the topic
    context = " ".join(part for part in topic_parts if part)
    return ResolvedQuestion(question=question, context=context)


def _topic_words(message: str) -> str:
    """Content words of an earlier message; lab values are this turn's data, not the topic."""
    return " ".join(dict.fromkeys(content_words(strip_values(message))))


@dataclass(frozen=True)
class BareValues:
    """Lab values without a test name, read against the tests the conversation is about."""

    text: str  # the message with the one candidate test named before each resolvable value
    ambiguous: dict[str, tuple[str, ...]]  # value as written -> the tests it could be


def name_bare_values(
    text: str,
    report: LabReport,
    history: Sequence[Turn],
    units: Mapping[str, Collection[str]],
) -> BareValues | None:
    """Name the test of a bare value ("Her result was 175 ng/L.") from the conversation.

    The test is the one the latest user turn naming any test is about, provided its units (the
    rules file's, `units`: test key -> canonical units) accept the value's unit. Two candidate
    tests leave the value unresolved and listed as ambiguous. None when nothing applies.
    """
    bare = [error.input for error in report.errors if error.code == "NO_ANALYTE"]
    named = _latest_named_tests(history)
    if not bare or not named:
        return None
    resolved, ambiguous = text, {}
    for value in dict.fromkeys(bare):
        match = _BARE_VALUE_UNIT.match(value)
        unit = normalize_unit(match.group("unit")) if match else None
        candidates = tuple(key for key in sorted(named) if unit in units.get(key, ()))
        if len(candidates) == 1 and value in resolved:
            resolved = resolved.replace(value, f"{candidates[0]} {value}", 1)
        elif len(candidates) > 1:
            ambiguous[value] = candidates
    if resolved == text and not ambiguous:
        return None
    return BareValues(text=resolved, ambiguous=ambiguous)


def _latest_named_tests(history: Sequence[Turn]) -> frozenset[str]:
    """The tests (rules-file keys) named by the latest user turn that names any."""
    for turn in reversed(history):
        if turn.role == "user" and (named := analytes_in(turn.content)):
            return named
    return frozenset()
