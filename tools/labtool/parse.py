"""Find lab values in free text as clinicians write them ("FT4 12 pmol/L and TSH 8").

The text is cleaned first (labtool.text_clean: spaces, invisible characters, other digits);
a light tokenizer finds words, numbers and clause breaks; words are looked up as names from
the rules file (labtool.analytes), numbers are read with their censoring sign and unit by an
anchored regex (labtool.numbers), and a short loop pairs each number with the name written
just before it. Numbers that are not lab results (doses, durations, dates, years, reference
ranges, "97% sensitivity") are ignored; quoted cut-offs ("MMA above 280 nmol/L") are kept as
statements, not results (labtool.statements). `parse_message` never raises.

Attribution: a value belongs to the name right before it (filler words such as "level"
or "was" may stand between; a value with a lab unit may sit a few words later). A paired
reading ("BP 150/95 mmHg") gives two values. A `%` counts only after a name whose
analyte accepts it. Words before a value with a lab unit that are not a name the rules
know are kept as the test written, so the classifier can say it is not covered; a value
with a unit and no name at all is read as the one `assume_analytes` entry that accepts
its unit, if the caller gave any. A word right after a named value that is neither a
known unit nor an ordinary word ("MMA 300 furlongs", "B12 240ng") is kept as an unknown
unit; a name followed by a unit without a number ("B12 abc ng/L") is a value without a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from labtool.analytes import Named, unknown_name, words
from labtool.context import ContextResult, PatientContext, parse_context, result_interval
from labtool.numbers import (
    PAIR_RE,
    UNIT_AT,
    VALUE_RE,
    read_number,
    readable,
    writes_decimal_comma,
)
from labtool.rules import RuleSet
from labtool.statements import (
    comparison_before,
    comparison_between,
    policy_before,
    trailing_comparison,
)
from labtool.text_clean import CleanText, clean_text
from labtool.units import normalize_unit
from labtool.values import ParsedValue, read_value, unit_word_after

__all__ = ["ParsedMessage", "ParsedValue", "parse_message", "read_number"]

# Words, the start of a number (with its censoring sign), and clause breaks.
_TOKEN_RE = re.compile(
    r"(?P<word>[^\W\d_]\w*)|(?P<number>(?:[<>≤≥]=?[ \t]*)?[-−]?[0-9])|(?P<brk>[;\n?!]|\.(?![0-9]))"
)
_REST_OF_WORD = re.compile(r"[\w.,]*")
# What may stand between a name and its value.
_FILLER_WORDS = words(
    "level levels result results value values concentration conc is was were are of at now "
    "today measured reported returned came back as only just around about approx "
    "approximately roughly reading"
)
_FILLER = "|".join(sorted(_FILLER_WORDS))
_GAP_PUNCT = r"[\s:=(\[~\-–]*"
_FILLER_GAP = re.compile(rf"{_GAP_PUNCT}(?:(?:{_FILLER})\b{_GAP_PUNCT})*", re.IGNORECASE)
# A value with a lab unit may sit a few plain words after its name ("X in 2024 was 240 ng/L").
_LOOSE_GAP = re.compile(rf"{_GAP_PUNCT}(?:\w+{_GAP_PUNCT}){{0,3}}")
_RESTATEMENT_GAP = re.compile(r"\s*(?:[(\[=/]|\bor\b|\bi\.?e\.?,?)\s*", re.IGNORECASE)
_NAME_WORD = re.compile(r"[^\W\d_]\w*")


@dataclass(frozen=True)
class ParsedMessage:
    text: str  # the cleaned text the values were read from
    values: tuple[ParsedValue, ...]
    results: tuple[ContextResult, ...] = ()  # context results, and results deciding attributes
    ruleset: RuleSet = field(default_factory=RuleSet.empty, repr=False, compare=False)
    statements: tuple[str, ...] = ()  # quoted cut-offs and ranges: not results

    @cached_property
    def context(self) -> PatientContext:
        """Read on first use: most messages need no population context."""
        rules = self.ruleset
        return parse_context(self.text, rules.attributes, rules.cues, self.results)


@dataclass
class _Mention:
    named: Named
    start: int
    end: int
    used: bool = False


class _Reader:
    """One pass over a message: pairs numbers with the names written before them."""

    def __init__(self, clean: CleanText, rules: RuleSet, assume: Sequence[str]) -> None:
        self.clean = clean
        self.text = clean.text
        self.rules = rules
        self.assume = [key for key in assume if key in rules.classified]
        self.values: list[ParsedValue] = []
        self.results: list[ContextResult] = []
        self.statements: list[str] = []
        self.mention: _Mention | None = None
        self.segment = 0  # where the words that may name the next value start
        self.last_end = -1  # end of the last value attached to a name (for restatements)
        self.stop = rules.stop_words

    @cached_property
    def decimal_comma(self) -> bool:
        return writes_decimal_comma(self.text)

    def name_before(
        self, start: int, end: int, abbreviated: bool = False
    ) -> tuple[str, int] | None:
        return unknown_name(
            self.text, start, end, _FILLER_WORDS, abbreviated=abbreviated, stop=self.stop
        )

    def accepts(self, named: Named, unit: str) -> bool:
        analytes = self.rules.analytes
        return any(unit in analytes[key].unit_table for key in named.keys if key in analytes)

    def run(self) -> None:
        skip_until = 0
        for token in _TOKEN_RE.finditer(self.text):
            start = token.start()
            if start < skip_until:
                continue
            kind = token.lastgroup
            if kind == "word":
                if token.group().lower() == "but":
                    self.mention = None
                    continue
                hit = self.rules.matcher.match(self.text, start, token.end())
                if hit is not None:
                    self.mention = _Mention(hit.named, start, hit.end)
                    skip_until = hit.end
                elif self.mention is not None and not self.mention.used:
                    skip_until = self.no_number(start)
                continue
            if kind == "brk":
                self.mention = None
                self.segment = token.end()
                continue
            hit = self.rules.matcher.match_at_number(self.text, start)
            if hit is not None:  # a name that starts with a digit ("2-hour ...")
                self.mention = _Mention(hit.named, start, hit.end)
                skip_until = hit.end
                continue
            skip_until = self.number(token)
            self.segment = max(self.segment, skip_until)

    def number(self, token: re.Match[str]) -> int:
        """Read the number starting at token; return where reading may continue."""
        text, start, mention = self.text, token.start(), self.mention
        if self.clean.unreadable and start - 1 in self.clean.unreadable:
            rest = _REST_OF_WORD.match(text, token.end())  # a fragment after a control
            return rest.end() if rest else token.end()  # character: part of its neighbour
        pair = PAIR_RE.match(text, start)
        if pair is not None and self.pair(pair, mention):
            return pair.end()
        match = VALUE_RE.match(text, start)
        if match is None or (start > 0 and text[start - 1] in ".,"):
            rest = _REST_OF_WORD.match(text, token.end())
            return rest.end() if rest else token.end()
        if match.group("range") is not None:
            if (
                mention is not None
                and not mention.used
                and (self.tight(mention, start) or comparison_between(text[mention.end : start]))
            ):
                self.statement(mention.start, match.end(), mention)  # "B12 180-900 ng/L"
            self.mention = None  # a reference range, not a result
            return match.end()
        if match.group("nonlab") is not None or not readable(match.group("num")):
            return match.end()
        unit = normalize_unit(match.group("unit") or "")
        word = self.unit_word(match, mention) if unit is None else None
        end = match.end() if word is None else word.end("word")
        if mention is not None and not mention.used:
            gap = text[mention.end : match.start()]
            if comparison_between(gap) or policy_before(text, self.segment, mention.start):
                return self.statement(mention.start, match.end(), mention)
            after = trailing_comparison(text, match.end())
            if after is not None and self.tight(mention, match.start()):
                return self.statement(mention.start, after, mention)
            if self.attach(match, mention, unit, word):
                return end
        if unit is None or unit == "%":
            glued = _REST_OF_WORD.match(text, match.end())  # "5mg", "3rd": not a result
            return max(match.end(), glued.end() if glued else 0)
        if self.last_end >= 0 and _RESTATEMENT_GAP.fullmatch(text[self.last_end : start]):
            self.last_end = match.end()  # "X 12.0 g/dL (120 g/L)": the same result again
            return match.end()
        floor = max(self.segment, mention.end if mention else 0)
        if comparison_before(text, start, floor) or policy_before(text, self.segment, start):
            return self.statement(start, match.end(), None)  # "defined as below 150 ng/L"
        self.unnamed(match, unit)
        return match.end()

    def tight(self, mention: _Mention, start: int) -> bool:
        return _FILLER_GAP.fullmatch(self.text[mention.end : start]) is not None

    def statement(self, start: int, end: int, mention: _Mention | None) -> int:
        """A quoted cut-off or range: kept as a statement, never read as a result."""
        if mention is not None:
            mention.used = True
        self.statements.append(self.text[start:end].strip())
        return end

    def unit_word(self, match: re.Match[str], mention: _Mention | None) -> re.Match[str] | None:
        """A word after a named value that reads as its unit but is not a known one."""
        if mention is None or mention.used or match.group("odd") or match.group("exp"):
            return None
        return unit_word_after(self.text, match.end(), self.rules.matcher, self.stop)

    def no_number(self, start: int) -> int:
        """A name followed by a unit with a word but no number between ("B12 abc ng/L")."""
        mention = self.mention
        assert mention is not None
        unit = UNIT_AT.match(self.text, start)
        if unit is None:
            return start
        gap = self.text[mention.end : start]
        if any(ch.isdigit() for ch in gap) or not 1 <= len(_NAME_WORD.findall(gap)) <= 2:
            return start
        if self.name_before(mention.end, start) is None:
            return start  # only ordinary words between: "B12 in ng/L"
        mention.used = True
        named = mention.named
        self.values.append(
            ParsedValue(
                analyte=named.keys[0] if named.kind == "analyte" else None,
                text=self.text[mention.start : unit.end()],
                number=None,
                unit=normalize_unit(unit.group()),
                unit_text=unit.group(),
                unsupported=named.label if named.kind == "not_covered" else None,
                candidates=named.keys if named.kind == "paired" else (),
                problem="NO_NUMBER",
                detail=" ".join(gap.split()).strip(" :=-"),
            )
        )
        return unit.end()

    def value(
        self,
        match: re.Match[str],
        analyte: str | None,
        start: int,
        *,
        unsupported: str | None = None,
        candidates: tuple[str, ...] = (),
        word: re.Match[str] | None = None,
    ) -> ParsedValue:
        """The value read by `match`, written from `start` to its end (or its unit word's)."""
        return read_value(
            match,
            self.clean,
            start,
            word.end("word") if word is not None else match.end(),
            analyte=analyte,
            decimal_comma=self.decimal_comma,
            unsupported=unsupported,
            candidates=candidates,
            unit_word=word.group("word") if word is not None else None,
        )

    def attach(
        self,
        match: re.Match[str],
        mention: _Mention,
        unit: str | None,
        word: re.Match[str] | None,
    ) -> bool:
        """Attach the value to the name before it, if it belongs there."""
        gap = self.text[mention.end : match.start()]
        tight = _FILLER_GAP.fullmatch(gap) is not None
        if unit == "%" and not (tight and self.accepts(mention.named, unit)):
            return unit == "%"  # "97% sensitivity": not a lab value
        if not tight:
            if unit is None or not _LOOSE_GAP.fullmatch(gap):
                return False
            if self.name_before(mention.end, match.start(), abbreviated=True):
                return False  # another test is named in between
        mention.used = True
        self.last_end = match.end()
        named = mention.named
        odd = word is not None or match.group("odd") is not None
        if odd and named.kind == "analyte" and not self.rules.analytes[named.keys[0]].classified:
            return True  # a context result in a unit it does not take: it tells nothing
        if named.kind == "not_covered":
            self.values.append(self.value(match, None, mention.start, unsupported=named.label))
        elif named.kind == "paired":
            self.values.append(
                self.value(match, None, mention.start, candidates=named.keys, word=word)
            )
        else:
            self.record(self.value(match, named.keys[0], mention.start, word=word))
        return True

    def record(self, value: ParsedValue) -> None:
        """A value of a known analyte: a finding to classify, a result for attributes, or both."""
        assert value.analyte is not None
        analyte = self.rules.analytes[value.analyte]
        if not analyte.classified or value.analyte in self.rules.result_attributes:
            self.results.append(_context_result(value, self.rules))
        if analyte.classified:
            self.values.append(value)

    def pair(self, pair: re.Match[str], mention: _Mention | None) -> bool:
        """Two numbers for one name; True when they were read (or reported) here."""
        unit = normalize_unit(pair.group("unit") or "")
        if mention is not None and not mention.used and mention.named.kind == "paired":
            gap = self.text[mention.end : pair.start()]
            if not (_FILLER_GAP.fullmatch(gap) or (unit and _LOOSE_GAP.fullmatch(gap))):
                return False
            mention.used = True
            self.last_end = pair.end()
            written = self.text[mention.start : pair.end()]
            why = self.clean.problem(mention.start, pair.end())
            for key, group in zip(mention.named.keys, ("first", "second"), strict=True):
                self.record(
                    ParsedValue(
                        analyte=key,
                        text=written,
                        number=None if why else read_number(pair.group(group)),
                        unit=unit,
                        unit_text=pair.group("unit"),
                        problem=why.upper() if why else None,
                    )
                )
            return True
        if unit is None or (mention is not None and not mention.used):
            return False
        name = self.name_before(self.segment, pair.start())
        start = name[1] if name else pair.start()
        self.values.append(
            ParsedValue(
                analyte=None,
                text=self.text[start : pair.end()],
                number=read_number(pair.group("second")),
                unit=unit,
                unit_text=pair.group("unit"),
                unsupported=name[0] if name else None,
            )
        )
        return True

    def unnamed(self, match: re.Match[str], unit: str) -> None:
        """A value with a lab unit and no name the rules know."""
        begin = max(self.segment, self.mention.end if self.mention else 0)
        name = self.name_before(begin, match.start())
        if name is not None:
            self.values.append(self.value(match, None, name[1], unsupported=name[0]))
            return
        start = match.start() + len(match.group(0)) - len(match.group(0).lstrip())
        accepting = tuple(k for k in self.assume if unit in self.rules.analytes[k].unit_table)
        if len(accepting) == 1:
            self.record(self.value(match, accepting[0], start))
        else:
            self.values.append(self.value(match, None, start, candidates=accepting))


def _context_result(value: ParsedValue, rules: RuleSet) -> ContextResult:
    assert value.analyte is not None
    analyte = rules.analytes[value.analyte]
    number = None if value.negative else value.number
    interval = result_interval(number, value.censor, value.unit, analyte)
    return ContextResult(value.analyte, interval)


def parse_message(
    text: str, rules: RuleSet | None = None, assume_analytes: Sequence[str] = ()
) -> ParsedMessage:
    """Every lab value in text, in order; the patient context is read when first used.

    `assume_analytes`: analyte keys a value with a lab unit and no test name may belong
    to; it is read as the one whose units accept its unit (several: reported as ambiguous).
    """
    ruleset = rules if rules is not None else RuleSet.empty()
    reader = _Reader(clean_text(text), ruleset, assume_analytes)
    reader.run()
    return ParsedMessage(
        text=reader.text,
        values=tuple(reader.values),
        results=tuple(reader.results),
        ruleset=ruleset,
        statements=tuple(reader.statements),
    )
