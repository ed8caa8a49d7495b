"""From the text lines of a PDF to heading and paragraph blocks (pure; no pypdf here).

A heading is found from the outline (each entry looked up on its page) or, without an outline,
from the type: a line clearly larger than the body text, or a short line entirely in bold. A
heading always becomes its own block, so it is never glued to the sentence that follows it.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from assistant.sources.readers import Block

_LARGER = 1.15  # a heading is at least this much larger than the body text...
_LARGER_POINTS = 1.0  # ...and at least this many points larger
_MAX_HEADING_WORDS = 20
_MAX_BOLD_HEADING_CHARS = 80
_MAX_HEADING_LINES = 3
_PARAGRAPH_GAP = 1.3  # a gap this much above the usual line spacing starts a paragraph
_TOP_TOLERANCE = 2.0  # points an outline destination may sit below its heading's baseline
_LIST_ITEM = re.compile(r"^\s*(?:[-*•‣◦▪–·]|\(?[a-z0-9]{1,3}\))\s")
_NUMBER = r"(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.|[A-Z]\.)\s+"  # "2.1 ", "IV. ", "B. "
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?(?:\d+|[ivxlc]+)(?:\s*(?:of|/)\s*\d+)?$", re.I)
_DOT_LEADER = re.compile(r"(?:\.\s?){4,}|…")  # a table of contents line
_WORD = re.compile(r"[^\W\d_]+")
_COMPOUND = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")
_SENTENCE_END = (".", "!", "?", ":", ";")


@dataclass(frozen=True)
class Line:
    text: str
    page: int  # 1-based
    y: float | None = None  # baseline height on the page (PDF units, growing upwards)
    size: float = 0.0  # effective font size of most of the line's characters
    bold: bool = False  # every character of the line is bold


@dataclass(frozen=True)
class OutlineEntry:
    title: str
    level: int  # heading level, 1 = the document title
    page: int  # 1-based
    top: float | None = None  # height the entry points to on its page, if it says


@dataclass(frozen=True)
class _Mark:
    """A heading at a line: `span` lines consumed (0 = inserted), `rest` = text after it."""

    level: int
    text: str
    span: int
    rest: str = ""


@dataclass(frozen=True)
class _Body:
    size: float
    bold: bool


def blocks_from_lines(lines: Sequence[Line], outline: Sequence[OutlineEntry]) -> list[Block]:
    """Headings and paragraphs in reading order; no headings when neither signal exists."""
    if not lines:
        return []
    body = _body_style(lines)
    lines = _without_running_lines(lines, body)
    if outline:
        marks = _outline_marks(lines, outline)
        if all(entry.level > 1 for entry in outline):
            marks = {**_title_mark(lines[: min(marks, default=len(lines))], body), **marks}
    else:
        marks = _font_marks(lines, body)
    return _assemble(lines, marks)


def _without_running_lines(lines: Sequence[Line], body: _Body) -> list[Line]:
    """Drop page numbers and running headers/footers: the same small line at the top or
    bottom of most pages (the title it may repeat is set larger on its own page)."""
    pages: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        pages.setdefault(line.page, []).append(i)
    edges = {i for indices in pages.values() for i in (*indices[:2], *indices[-2:])}
    seen: dict[tuple[str, int | None], set[int]] = {}
    for i in edges:
        seen.setdefault(_running_key(lines[i]), set()).add(lines[i].page)
    repeated = {key for key, on in seen.items() if len(on) >= 2 and len(on) * 2 >= len(pages)}
    return [
        line
        for i, line in enumerate(lines)
        if i not in edges
        or line.size > body.size + 0.5
        or not (_PAGE_NUMBER.match(line.text) or _running_key(line) in repeated)
    ]


def _running_key(line: Line) -> tuple[str, int | None]:
    """The line's text with any number in it, and where it sits on the page (to 5 points)."""
    text = re.sub(r"\d+", "#", " ".join(line.text.casefold().split()))
    return text, None if line.y is None else round(line.y / 5)


def _body_style(lines: Sequence[Line]) -> _Body:
    sizes: Counter[float] = Counter()
    bold = 0
    for line in lines:
        sizes[line.size] += len(line.text)
        bold += len(line.text) if line.bold else 0
    total = sum(sizes.values()) or 1
    return _Body(size=sizes.most_common(1)[0][0], bold=bold * 2 > total)


def _title_mark(lines: Sequence[Line], body: _Body) -> dict[int, list[_Mark]]:
    """Above an outline's first entry: the largest heading there is the title, if it is first."""
    marks = _font_marks(lines, body, sparse=False)
    first = min(marks, default=None)
    if first is None or marks[first][0].level != 1:
        return {}
    return {first: marks[first]}


def _font_marks(
    lines: Sequence[Line], body: _Body, *, sparse: bool = True
) -> dict[int, list[_Mark]]:
    """Runs of consecutive lines in one heading style; levels follow size, then boldness.

    With `sparse`, type that marks more than half of the lines says nothing: no headings.
    """
    groups: list[list[int]] = []
    for i, line in enumerate(lines):
        previous = lines[i - 1] if i else None
        same_run = (
            previous is not None
            and groups
            and groups[-1][-1] == i - 1
            and (previous.size, previous.bold, previous.page) == (line.size, line.bold, line.page)
            and _close(previous, line)
        )
        if same_run:
            groups[-1].append(i)
        elif _styled(line, body):
            groups.append([i])
    # A longer run, or one with a finished sentence in it, is a bold paragraph.
    headings = [
        g
        for g in groups
        if len(g) <= _MAX_HEADING_LINES and all(_heading_like(lines[i], body) for i in g)
    ]
    if not headings or (sparse and sum(map(len, headings)) * 2 > len(lines)):
        return {}
    styles = sorted({(lines[g[0]].size, lines[g[0]].bold) for g in headings}, reverse=True)
    marks: dict[int, list[_Mark]] = {}
    for g in headings:
        level = min(styles.index((lines[g[0]].size, lines[g[0]].bold)) + 1, 6)
        text = " ".join(lines[i].text for i in g)
        marks[g[0]] = [_Mark(level=level, text=text, span=len(g))]
    return marks


def _styled(line: Line, body: _Body) -> bool:
    larger = line.size >= body.size * _LARGER and line.size - body.size >= _LARGER_POINTS
    return larger or (line.bold and not body.bold and line.size >= body.size - 0.5)


def _heading_like(line: Line, body: _Body) -> bool:
    text = line.text
    words = len(text.split())
    if words > _MAX_HEADING_WORDS or not any(c.isalpha() for c in text) or _LIST_ITEM.match(text):
        return False
    if _DOT_LEADER.search(text):
        return False
    if line.size >= body.size * _LARGER and line.size - body.size >= _LARGER_POINTS:
        return not (text.endswith(".") and words > 12)
    return len(text) <= _MAX_BOLD_HEADING_CHARS and not text.endswith((".", ",", ";"))


def _close(previous: Line, line: Line) -> bool:
    if previous.y is None or line.y is None:
        return True
    return 0 < previous.y - line.y <= max(previous.size, line.size) * 1.8


def _outline_marks(
    lines: Sequence[Line], outline: Sequence[OutlineEntry]
) -> dict[int, list[_Mark]]:
    by_page: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_page.setdefault(line.page, []).append(i)
    marks: dict[int, list[_Mark]] = {}
    used: set[int] = set()
    for entry in outline:
        found = _find(lines, by_page.get(entry.page, []), entry, used) or _find(
            lines, by_page.get(entry.page + 1, [])[:3], entry, used
        )
        if found is not None:
            index, mark = found
            used.update(range(index, index + mark.span))
        else:
            index = _insertion_point(lines, by_page, entry)
            mark = _Mark(entry.level, entry.title, span=0)
        marks.setdefault(index, []).append(mark)
    return marks


def _find(
    lines: Sequence[Line], indices: Sequence[int], entry: OutlineEntry, used: set[int]
) -> tuple[int, _Mark] | None:
    """The heading's line(s) on the page, preferring those below the entry's destination."""
    target = _key(entry.title)
    if not target:
        return None
    below = [i for i in indices if entry.top is None or _at_or_below(lines[i], entry.top)]
    order = [*below, *(i for i in indices if i not in below)]
    for i in order:
        span = 0 if i in used else _heading_span(lines, i, target, used)
        if span:
            return i, _Mark(entry.level, entry.title, span)
    for i in order:  # a heading run into the first line of its paragraph
        rest, punctuated = ("", False) if i in used else _run_in(lines[i].text, entry.title)
        # Without punctuation after it, only the line the entry points to is taken.
        if rest and (punctuated or (entry.top is not None and below[:1] == [i])):
            return i, _Mark(entry.level, entry.title, 1, rest)
    return None


def _heading_span(lines: Sequence[Line], i: int, target: str, used: set[int]) -> int:
    """How many lines from line i spell the heading (0 if they do not)."""
    if target == _key(re.sub(rf"^\s*{_NUMBER}", "", lines[i].text)):
        return 1  # "2.1 Scope" for the entry "Scope"
    joined = ""
    for span in range(1, _MAX_HEADING_LINES + 1):
        j = i + span - 1
        if j >= len(lines) or j in used or lines[j].page != lines[i].page:
            return 0
        joined += _key(lines[j].text)
        if joined == target:
            return span
        if not target.startswith(joined):
            return 0
    return 0


def _at_or_below(line: Line, top: float) -> bool:
    return line.y is None or line.y <= top + _TOP_TOLERANCE


def _run_in(text: str, title: str) -> tuple[str, bool]:
    """The text after a heading run into its line ("Dosing. Give 1 mg..." -> "Give 1 mg..."),
    and whether punctuation separates the two."""
    pattern = r"\s*".join(re.escape(word) for word in title.split())
    match = re.match(rf"\s*(?:{_NUMBER})?{pattern}(?=\W|$)", text, re.IGNORECASE)
    if match is None:
        return "", False
    rest = text[match.end() :]
    stripped = rest.lstrip(" .:;—–-\t")
    return stripped, any(c in ".:;—–-" for c in rest[: len(rest) - len(stripped)])


def _insertion_point(
    lines: Sequence[Line], by_page: dict[int, list[int]], entry: OutlineEntry
) -> int:
    """Where an entry whose heading text is not on the page starts: at its destination."""
    for page in sorted(p for p in by_page if p >= entry.page):
        indices = by_page[page]
        if page == entry.page and entry.top is not None:
            below = [i for i in indices if _at_or_below(lines[i], entry.top)]
            return below[0] if below else indices[-1] + 1
        return indices[0]
    return len(lines)


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def _assemble(lines: Sequence[Line], marks: dict[int, list[_Mark]]) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[Line] = []
    limit = _paragraph_gap(lines, marks)
    words, compounds = _vocabulary(lines)

    def flush() -> None:
        if paragraph:
            text = _join(paragraph, words, compounds)
            blocks.append(Block(text=text, page=paragraph[0].page))
            paragraph.clear()

    i = 0
    while i < len(lines):
        here = marks.get(i, [])
        for mark in here:
            flush()
            blocks.append(Block(text=mark.text, level=mark.level, page=lines[i].page))
        span = max((m.span for m in here), default=0)
        if span:
            rest = next((m.rest for m in here if m.rest), "")
            if rest:
                paragraph.append(replace(lines[i], text=rest))
            i += span
            continue
        if paragraph and _starts_paragraph(paragraph[-1], lines[i], limit):
            flush()
        paragraph.append(lines[i])
        i += 1
    flush()
    return blocks


def _paragraph_gap(lines: Sequence[Line], marks: dict[int, list[_Mark]]) -> float | None:
    """The usual distance between lines of body text, times a margin; None if unknown."""
    gaps = []
    for i in range(1, len(lines)):
        previous, line = lines[i - 1], lines[i]
        if i in marks or i - 1 in marks or previous.page != line.page:
            continue
        if previous.y is None or line.y is None:
            continue
        gap = previous.y - line.y
        if previous.size * 0.8 <= gap <= previous.size * 3:
            gaps.append(gap)
    if not gaps:
        return None
    gaps.sort()
    return gaps[len(gaps) // 2] * _PARAGRAPH_GAP


def _starts_paragraph(previous: Line, line: Line, limit: float | None) -> bool:
    if _LIST_ITEM.match(line.text):
        return True
    continues = not previous.text.endswith(_SENTENCE_END) and line.text[:1].islower()
    if previous.page != line.page:
        return not continues
    if previous.y is None or line.y is None or limit is None:
        return False
    gap = previous.y - line.y
    if gap < 0:  # back up the page: a new column
        return not continues
    return gap > limit


def _vocabulary(lines: Iterable[Line]) -> tuple[set[str], set[str]]:
    words: set[str] = set()
    compounds: set[str] = set()
    for line in lines:
        folded = line.text.casefold()
        words.update(_WORD.findall(folded))
        for compound in _COMPOUND.findall(folded):
            parts = compound.split("-")
            compounds.update(f"{a}-{b}" for a, b in itertools.pairwise(parts))
    return words, compounds


def _join(paragraph: Sequence[Line], words: set[str], compounds: set[str]) -> str:
    """Wrapped lines joined with a space; a word hyphenated at a line end joined again."""
    text = paragraph[0].text
    for line in paragraph[1:]:
        following = line.text
        if text.endswith("\u00ad"):  # soft hyphen
            text = text[:-1] + following
        elif text.endswith("-") and len(text) > 1 and not text[-2].isspace():
            text = _unhyphenate(text, following, words, compounds)
        else:
            text = f"{text} {following}"
    return text


def _unhyphenate(text: str, following: str, words: set[str], compounds: set[str]) -> str:
    before = re.search(r"([^\W\d_]+)-$", text)
    after = _WORD.match(following)
    if before is None or after is None or not following[:1].islower():
        return text + following  # "B12-" + "deficiency": a real hyphen, no space
    first, second = before.group(1).casefold(), after.group(0).casefold()
    if first + second in words:
        return text[:-1] + following
    if f"{first}-{second}" in compounds or not before.group(1)[-1].islower():
        return text + following
    return text[:-1] + following  # a word broken at the line end: "haemo-" + "globin"
