"""Test names as clinicians write them, compiled from a rules file's aliases.

A dictionary of first words plus small anchored regexes (one per first word) is much
faster than one big alternation scanned over every character. Matching is case-
insensitive; between the parts of an alias (words, and the switches between letters and
digits or lower and upper case) a space, a hyphen or a dot may be written or left out,
so an alias "vitamin X12" also matches "vitamin X-12", "vit. X12" matches "vit X12", and
"holoXY" matches "holo-XY". Where several aliases start at one word, the longest wins.

Words right before a value that are not an alias ("TSH 8 mU/L" in a pack without thyroid
rules) are found by `unknown_name`, so the message can say what was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

NameKind = Literal["analyte", "paired", "not_covered"]

_SEPARATOR = r"[.\-]?[ \t]*"
_SPLIT = re.compile(r"[\s.\-]+")
# Switches inside a word where a writer may put a space or a hyphen: a letter and a digit
# ("X12" / "X-12"), lower to upper case ("holoXY" / "holo-XY").
_BOUNDARY = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])|(?<=[a-z])(?=[A-Z])")
_WORD_RUN = re.compile(r"\w+")


@dataclass(frozen=True)
class Named:
    """What an alias names: an analyte, a paired reading (two analytes) or an uncovered test."""

    kind: NameKind
    keys: tuple[str, ...]  # analyte keys: one, or two for a paired reading, none otherwise
    label: str  # the name shown in messages


@dataclass(frozen=True)
class NameHit:
    named: Named
    end: int  # end of the name in the text


def alias_parts(alias: str) -> list[str]:
    parts: list[str] = []
    for chunk in _SPLIT.split(alias.strip()):
        parts.extend(piece for piece in _BOUNDARY.split(chunk) if piece)
    return parts


def _first_words(parts: list[str]) -> set[str]:
    """Every first word the tokenizer may see, whichever separators the writer left out."""
    words = set()
    for count in range(1, len(parts) + 1):
        run = _WORD_RUN.match("".join(parts[:count]).lower())
        if run is not None:
            words.add(run.group())
    return words


class NameMatcher:
    """Compiled once per rule set: first word -> one anchored regex over its aliases."""

    def __init__(self, names: Iterable[tuple[str, Named]]) -> None:
        by_word: dict[str, dict[str, tuple[int, Named]]] = {}
        for alias, named in names:
            parts = alias_parts(alias)
            if not parts or not parts[0][0].isalnum():
                continue
            pattern = _SEPARATOR.join(re.escape(part) for part in parts) + r"(?!\w)"
            size = sum(len(part) for part in parts)
            for word in _first_words(parts):
                by_word.setdefault(word, {}).setdefault(pattern, (size, named))
        self._patterns: dict[str, tuple[re.Pattern[str], tuple[Named, ...]]] = {}
        for word, patterns in by_word.items():
            ordered = sorted(patterns.items(), key=lambda item: (-item[1][0], item[0]))
            alternation = "|".join(f"(?P<n{i}>{p})" for i, (p, _) in enumerate(ordered))
            regex = re.compile(alternation, re.IGNORECASE)
            self._patterns[word] = (regex, tuple(named for _, (_, named) in ordered))

        self._digit_first = any(word[0].isdigit() for word in self._patterns)

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def match_at_number(self, text: str, start: int) -> NameHit | None:
        """A name that starts with a digit ("2-hour glucose") at text[start]."""
        if not self._digit_first:
            return None
        run = _WORD_RUN.match(text, start)
        return self.match(text, start, run.end()) if run is not None else None

    def match(self, text: str, start: int, end: int) -> NameHit | None:
        """The name whose first word is text[start:end], if any, with where it ends."""
        found = self._patterns.get(text[start:end].lower())
        if found is None:
            return None
        regex, targets = found
        match = regex.match(text, start)
        if match is None or match.lastgroup is None:
            return None
        return NameHit(named=targets[int(match.lastgroup[1:])], end=match.end())


# General English and generic lab words that never name a test on their own.
def words(text: str) -> frozenset[str]:
    """The words of a text, for word lists written as prose."""
    return frozenset(text.split())


_NOT_NAMES = words(
    """a an the and or but nor with without of in on at to for from by after before than then
    as into over under per via her his their my your our its it this that these those she he
    they we i you him them me us who whom whose which what where when why how if so is was
    were are be been being am has have had do does did done not no yes now today tonight
    yesterday tomorrow recently recent latest last previous prior repeat repeated new old
    first second third initial baseline follow up down result results level levels value
    values test tests testing lab labs laboratory serum plasma blood sample samples total
    week weeks month months year years day days hour hours ago also again still only just
    about around approximately approx roughly nearly almost came come comes back measured
    measure reported report returned showed shows show showing found got gave given get
    reading readings check checked rechecked patient patients pt mine hers ours theirs
    very quite low high normal raised elevated reduced borderline here there note noted
    while since until till between among like unlike even ever never always usually often
    range ranges reference ref out within less more most least much many some any all both
    each every either neither other another same such own one two three four five s
    above below beyond exceeding exceeds exceed greater lower higher upper under upto
    deficiency deficient possible probable likely unlikely confirmed confirms confirm
    indeterminate cut off cutoff threshold thresholds limit limits target goal band bands
    start starts begin begins mean means say says said set sets should would could can may
    might must will shall count level dose doses unit units per cent percent man men woman
    women male female boy girl child children adult adults infant baby aged age old pregnant
    pregnancy trimester gestation"""
)


def ordinary_word(word: str) -> bool:
    """A general English or generic lab word that never names a test (nor a unit)."""
    return word.lower() in _NOT_NAMES


_NAME_WORD = re.compile(r"(?<!\w)[^\W\d_]\w*")
_TRAILING_GAP = re.compile(r"[\s:=(\[~\-–]*$")
_SHORT = 2  # a word this short ("D", "T4") is read with the word before it ("vitamin D")


def _looks_abbreviated(name: str) -> bool:
    """'TSH', 'fT4', 'T4', 'vitamin D': a name no ordinary English word is mistaken for."""
    last = name.split()[-1]
    capitals = sum(ch.isupper() for ch in name)
    return capitals >= 2 or any(ch.isdigit() for ch in name) or (len(last) == 1 and capitals == 1)


def unknown_name(
    text: str,
    start: int,
    end: int,
    fillers: frozenset[str],
    *,
    abbreviated: bool = False,
    stop: frozenset[str] = frozenset(),
) -> tuple[str, int] | None:
    """The word (or a short name such as "vitamin D") right before a value, when it looks
    like the name of a test: text[start:end] is what precedes the value; filler words may
    stand between. With `abbreviated`, only names such as "TSH" count; `stop` adds words
    that are never names (e.g. the rules file's cue words). Returns the name as written and
    where it starts, or None."""
    not_names = _NOT_NAMES | stop
    position = end
    while True:
        gap = _TRAILING_GAP.search(text, start, position)
        edge = gap.start() if gap is not None else position
        last = None
        for candidate in _NAME_WORD.finditer(text, start, edge):
            last = candidate
        if last is None or last.end() != edge:
            return None
        word = last.group().lower()
        if word not in fillers:
            break
        position = last.start()
    if word in not_names:
        return None
    begin = last.start()
    if len(word) <= _SHORT:
        before = None
        for candidate in _NAME_WORD.finditer(text, start, begin):
            before = candidate
        joined = before is not None and text[before.end() : begin] in (" ", "-")
        if before is not None and joined and before.group().lower() not in not_names | fillers:
            begin = before.start()
        elif len(word) == 1 and not last.group().isupper():
            return None
    name = text[begin : last.end()]
    if abbreviated and not _looks_abbreviated(name):
        return None
    return name, begin
