"""Numeric provenance guard, the same in extractive and language-model mode.

Every number in an answer must appear in a passage the sentence cites, or in the lab tool's
output. A sentence with an untraceable number is removed (and recorded); a citation marker that
points to no retrieved passage is dropped. Pure functions: no model, no index, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from labtool.report import LabReport

from assistant.answer.references import REFERENCES_HEADING
from assistant.schema import AnswerResult
from assistant.text.sentences import (
    CITATION_MARKER,
    citation_numbers,
    number_tokens,
    number_value,
    number_values,
    split_list_prefix,
    split_sentences,
)

_HEADING = re.compile(r"^\s*#{1,6}\s")


@dataclass(frozen=True)
class UntracedSentence:
    """A sentence holding numbers that neither its cited passages nor the lab tool contain."""

    sentence: str
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class GuardResult:
    markdown: str
    removed: list[str] = field(default_factory=list)
    dropped_citations: list[int] = field(default_factory=list)


def tool_numbers(report: LabReport | None) -> set[Decimal]:
    """Every number the lab tool produced: its numeric fields and the numbers in its strings."""
    values: set[Decimal] = set()
    if report is None:
        return values
    _collect_numbers(report.model_dump(mode="json"), values)
    return values


def _collect_numbers(node: object, into: set[Decimal]) -> None:
    if isinstance(node, bool):
        return
    if isinstance(node, int | float):
        value = Decimal(repr(float(node)))
        if value.is_finite():
            into.add(value)
    elif isinstance(node, str):
        into |= number_values(node)
    elif isinstance(node, dict):
        for key, item in node.items():
            _collect_numbers(key, into)
            _collect_numbers(item, into)
    elif isinstance(node, list | tuple):
        for item in node:
            _collect_numbers(item, into)


def answer_body(markdown: str) -> str:
    """The part of an answer that makes claims: everything before the reference list."""
    head, _, _ = markdown.partition(REFERENCES_HEADING)
    return head


def guard_answer(
    markdown: str, passages: Mapping[int, str], traced_by_tool: set[Decimal]
) -> GuardResult:
    """Drop unknown citation markers, then remove every sentence with an untraceable number."""
    passage_numbers = {n: number_values(text) for n, text in passages.items()}
    removed: list[str] = []
    dropped: list[int] = []
    kept_lines: list[str] = []
    lines = markdown.splitlines()
    for index, line in enumerate(lines):
        if not line.strip():
            kept_lines.append(line)
            continue
        prefix, written = split_list_prefix(line)
        content = _drop_unknown_citations(written, passage_numbers.keys(), dropped)
        if _HEADING.match(line):
            # A heading cites nothing itself: the passages cited beneath it (a section named
            # after its document's heading) or the tool vouch for a number in it.
            beneath = _cited_beneath(lines, index)
            if _untraced(content, beneath, passage_numbers, traced_by_tool):
                removed.append(content.strip())
                continue
            kept_lines.append(prefix + content)
            continue
        line_cites = citation_numbers(content)
        kept: list[str] = []
        for sentence in split_sentences(written):
            # A sentence that cites only passages that do not exist has no source: it does not
            # borrow the other citations of its line.
            own = citation_numbers(sentence)
            cites = [n for n in own if n in passage_numbers] if own else line_cites
            sentence = _drop_unknown_citations(sentence, passage_numbers.keys(), [])
            if _untraced(sentence, cites, passage_numbers, traced_by_tool):
                removed.append(sentence)
            else:
                kept.append(sentence)
        if kept:
            kept_lines.append(prefix + " ".join(kept))
    return GuardResult(_tidy(kept_lines), removed, sorted(set(dropped)))


def find_untraced(
    markdown: str, passages: Mapping[int, str], traced_by_tool: set[Decimal]
) -> list[UntracedSentence]:
    """Report (without changing anything) each sentence whose numbers cannot be traced."""
    passage_numbers = {n: number_values(text) for n, text in passages.items()}
    found: list[UntracedSentence] = []
    lines = markdown.splitlines()
    for index, line in enumerate(lines):
        _, content = split_list_prefix(line)
        line_cites = citation_numbers(content)
        heading = bool(_HEADING.match(line))
        sentences = [content] if heading else split_sentences(content)
        for sentence in sentences:
            if heading:
                cites = _cited_beneath(lines, index)
            else:
                cites = citation_numbers(sentence) or line_cites
            numbers = _untraced(sentence, cites, passage_numbers, traced_by_tool)
            if numbers:
                found.append(UntracedSentence(sentence.strip(), tuple(numbers)))
    return found


def untraced_numbers(result: AnswerResult) -> list[str]:
    """Numbers in an answer's body found neither in a passage it cites nor in the lab report.

    Reusable check for tests and the evaluation harness: an empty list means every number is
    traced. Citation markers are not numbers; the reference list is metadata, not a claim.
    """
    passages = {c.n: f"{c.section}\n{c.text}" for c in result.citations}
    body = answer_body(result.answer)
    untraced = find_untraced(body, passages, tool_numbers(result.labs))
    return [number for item in untraced for number in item.numbers]


def _cited_beneath(lines: list[str], index: int) -> list[int]:
    """The citation numbers of the lines under a heading, up to the next heading."""
    cited: list[int] = []
    for line in lines[index + 1 :]:
        if _HEADING.match(line):
            break
        cited.extend(citation_numbers(line))
    return cited


def _untraced(
    sentence: str,
    cites: Iterable[int],
    passage_numbers: Mapping[int, set[Decimal]],
    traced_by_tool: set[Decimal],
) -> list[str]:
    allowed = set(traced_by_tool)
    for n in cites:
        allowed |= passage_numbers.get(n, set())
    return [
        token
        for token in number_tokens(sentence)
        if (value := number_value(token)) is not None and value not in allowed
    ]


def _drop_unknown_citations(text: str, known: Iterable[int], dropped: list[int]) -> str:
    known_set = set(known)

    def keep_known(match: re.Match[str]) -> str:
        numbers = [int(part) for part in re.split(r"\s*[,;]\s*", match.group(1))]
        valid = [n for n in numbers if n in known_set]
        dropped.extend(n for n in numbers if n not in known_set)
        return "".join(f"[{n}]" for n in valid)

    cleaned = CITATION_MARKER.sub(keep_known, text)
    return re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).rstrip()


def _tidy(lines: list[str]) -> str:
    """Remove headings left without content and runs of blank lines."""
    result: list[str] = []
    for index, line in enumerate(lines):
        if _HEADING.match(line) and not _has_content_before_next_heading(lines, index, line):
            continue
        if not line.strip() and (not result or not result[-1].strip()):
            continue
        result.append(line)
    while result and not result[-1].strip():
        result.pop()
    return "\n".join(result)


def _heading_level(line: str) -> int:
    return len(line.strip()) - len(line.strip().lstrip("#"))


def _has_content_before_next_heading(lines: list[str], index: int, heading: str) -> bool:
    level = _heading_level(heading)
    for line in lines[index + 1 :]:
        if _HEADING.match(line):
            if _heading_level(line) <= level:
                return False
            continue
        if line.strip():
            return True
    return False
