"""Rule-change sentences in a message: taken out before anything else reads the message.

A sentence that tries to redefine cut-offs, rules or instructions is removed from the message
first, so neither the lab tool nor retrieval nor a language model can act on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.sentences import split_sentences

_CUTOFF = r"(?:cut-?offs?|thresholds?|limits?|reference ranges?|bands?|boundar(?:y|ies))"
_INJECTION_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bfrom now on\b",
        r"\bhenceforth\b",
        r"\b(?:ignore|disregard|forget|override|overwrite|bypass)\b[^.?!]{0,60}"
        rf"\b(?:instructions?|rules?|guidelines?|{_CUTOFF}|prompts?|corpus|sources?|above"
        r"|previous|everything)\b",
        r"\b(?:set|change|update|redefine|replace|lower|raise|increase|decrease|adjust|modify"
        rf"|make)\b[^.?!]{{0,50}}\b{_CUTOFF}\b[^.?!]{{0,30}}?(?:\bto\b|=|\bas\b|\bat\b)",
        r"\b(?:set|change|update|redefine|replace|modify|rewrite|edit)\b[^.?!]{0,30}"
        r"\b(?:the |your |these |those )?(?:rules?|rules file|instructions?|system prompt)\b",
        rf"\b{_CUTOFF}\b[^.?!]{{0,40}}\b(?:is|are|should be|will be|becomes?)\s+now\b",
        rf"\bnew (?:[a-z0-9]+ ){{0,2}}(?:{_CUTOFF}|rules?|instructions?)\b",
        rf"\bassume\b[^.?!]{{0,40}}\b{_CUTOFF}\b",
        r"\b(?:you are now|act as|pretend|role-?play|system prompt|jailbreak|developer mode)\b",
    )
)

INJECTION_NOTICE = (
    "Cut-offs and rules come only from the cited rules file and the guideline corpus; they "
    "cannot be changed in chat, so the request to change them was ignored."
)


@dataclass(frozen=True)
class Injection:
    """The message split into what it asks and the sentences that tried to change the rules."""

    clean_text: str
    attempts: tuple[str, ...]

    @property
    def detected(self) -> bool:
        return bool(self.attempts)


def find_injection(message: str) -> Injection:
    """Take out every sentence that tries to redefine cut-offs, rules or instructions."""
    kept: list[str] = []
    attempts: list[str] = []
    for sentence in split_sentences(message):
        if any(pattern.search(sentence) for pattern in _INJECTION_PATTERNS):
            attempts.append(sentence)
        else:
            kept.append(sentence)
    return Injection(clean_text=" ".join(kept), attempts=tuple(attempts))
