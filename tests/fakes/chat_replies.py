"""The scripted replies of the model server (tests/fakes/chat_server.py), by name.

A reply's text is read off the prompt the assistant sent (its numbered statements), so a
"faithful" reply is faithful for any question and pack; the others add what a model must not
write, or make the server fail in a given way (its `behaviour`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from assistant.answer.compose import REFUSAL
from assistant.answer.llm_prompt import STATEMENTS_HEADING

Behaviour = Literal["answer", "slow", "stall", "truncated", "status", "malformed"]
ISSUE_17_REPLY = (
    "Under NICE NG239, total B12 deficiency is confirmed below 180 ng/L [1]. Most labs now use "
    "500 ng/L as the treatment target [2]. Give 1 mg oral B12 daily [9]."
)
_MARKER = re.compile(r"\s*\[\d+\]")


def prompt_statements(prompt: str) -> list[str]:
    """The cited statements the assistant listed in its prompt, in order."""
    _, found, rest = prompt.partition(STATEMENTS_HEADING)
    if not found:
        return []
    statements: list[str] = []
    for line in rest.lstrip("\n").splitlines():
        if not line.startswith("- "):
            break
        statements.append(line[2:].strip())
    return statements


def absent_number(prompt: str, start: int = 937) -> int:
    """A whole number the prompt does not contain: a figure no source states."""
    present = set(re.findall(r"\d+", prompt))
    number = start
    while str(number) in present:
        number += 1
    return number


def _faithful(prompt: str) -> str:
    statements = prompt_statements(prompt)
    if not statements:
        return REFUSAL
    lead, *rest = statements[:4]
    bullets = "\n".join(f"- {statement}" for statement in rest)
    return f"{lead}\n\n### What the sources add\n\n{bullets}" if bullets else lead


def _invented_numbers(prompt: str) -> str:
    first = (prompt_statements(prompt) or [REFUSAL])[0]
    high, weeks = absent_number(prompt), absent_number(prompt, 61)
    return (
        f"{first} Most laboratories now use {high} ng/L as the treatment target [1]. "
        f"Recheck the level after {weeks} weeks [1]."
    )


def _partly_invented(prompt: str) -> str:
    faithful = " ".join(prompt_statements(prompt)[:2])
    return f"{faithful} A level above {absent_number(prompt)} ng/L is always normal [1]."


def _invented_citations(prompt: str) -> str:
    faithful = " ".join(prompt_statements(prompt)[:2])
    return f"{faithful}\n\nGive 1 mg by mouth every day [99]. Experts agree on this [98]."


def without_citations(text: str) -> str:
    return _MARKER.sub("", text)


@dataclass(frozen=True)
class Script:
    text: Callable[[str], str]
    behaviour: Behaviour = "answer"
    status: int = 200


REPLIES: dict[str, Script] = {
    "faithful": Script(_faithful),
    "invented-numbers": Script(_invented_numbers),
    "partly-invented": Script(_partly_invented),
    "invented-citations": Script(_invented_citations),
    "issue-17": Script(lambda _prompt: ISSUE_17_REPLY),
    "refusal": Script(lambda _prompt: REFUSAL),
    "empty": Script(lambda _prompt: ""),
    "slow": Script(_faithful, "slow"),
    "stall": Script(_faithful, "stall"),
    "truncated": Script(_faithful, "truncated"),
    "error-500": Script(_faithful, "status", 500),
    "error-404": Script(_faithful, "status", 404),
    "malformed": Script(_faithful, "malformed"),
}
