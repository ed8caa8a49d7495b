"""Resolve short follow-ups ("and for how long?") against the conversation before retrieval.

Deterministic and mode-independent: the language model (when on) receives the resolved question
too, so both modes search for the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assistant.domain.language import DomainLanguage
from assistant.text.sentences import strip_values

Role = Literal["user", "assistant"]

_CONNECTOR = re.compile(
    r"^\s*(?:and|but|also|so|then|what about|how about|and what about|what if|in that case"
    r"|same for|is that|is it|does it|does that|do they|for how)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?:it|that|this|those|these|they|them|then)\b", re.IGNORECASE)
_MAX_FOLLOWUP_WORDS = 10


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


@dataclass(frozen=True)
class ResolvedQuestion:
    """What retrieval searches for, split into this turn's words and the carried-over topic."""

    question: str  # the user's words this turn
    context: str  # topic words carried over from earlier turns ("" when standalone)
    asked: str = ""  # this turn's words plus the documents' words for the aspect they name
    findings: str = ""  # the lab tool's words for this turn's results ("indeterminate total B12")

    @property
    def is_followup(self) -> bool:
        return bool(self.context)

    @property
    def focus(self) -> str:
        """What this turn is about: the words asked and the lab tool's words for the results."""
        return f"{self.asked or self.question} {self.findings}".strip()

    @property
    def search_text(self) -> str:
        """What retrieval searches for.

        A standalone question is searched as written (the retriever has its own vocabulary; extra
        words only dilute it); a short follow-up gets the documents' words and the earlier topic.
        """
        asked = (self.asked or self.question) if self.is_followup else self.question
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


def looks_like_followup(question: str, language: DomainLanguage) -> bool:
    """Short, and either leans on an earlier turn ("and", "it") or names nothing in the field."""
    n_words = len(question.split())
    if n_words > _MAX_FOLLOWUP_WORDS:
        return False
    if _CONNECTOR.search(question):
        return True
    if not language.names_domain(question):
        return True
    return bool(_PRONOUN.search(question)) and n_words <= _MAX_FOLLOWUP_WORDS - 2


def resolve_followup(
    question: str, history: Sequence[Turn], language: DomainLanguage
) -> ResolvedQuestion:
    """Attach the topic of the last standalone user question to a follow-up."""
    earlier = [turn.content for turn in history if turn.role == "user"]
    if not earlier or not looks_like_followup(question, language):
        return ResolvedQuestion(question, "", language.expand(question, followup=False))
    topic_parts: list[str] = []
    for previous in reversed(earlier):
        topic_parts.insert(0, _topic_words(previous, language))
        if not looks_like_followup(previous, language):
            break  # the chain of follow-ups ends at the question that set the topic
    context = " ".join(part for part in topic_parts if part)
    asked = language.expand(question, followup=bool(context))
    return ResolvedQuestion(question=question, context=context, asked=asked)


def _topic_words(message: str, language: DomainLanguage) -> str:
    """Content words of an earlier message; lab values are this turn's data, not the topic."""
    return " ".join(dict.fromkeys(language.vocabulary.content_words(strip_values(message))))
