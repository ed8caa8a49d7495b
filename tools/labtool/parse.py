"""Find lab values in free text as clinicians write them ("FT4 12 pmol/L and TSH 8").

A light tokenizer finds words, numbers and clause breaks; words are looked up as names
from the rules file (labtool.analytes), numbers are read with their censoring sign and
unit by an anchored regex, and a short loop pairs each number with the name written just
before it. Numbers that are not lab results (doses, durations, dates, years, reference
ranges, "97% sensitivity") are ignored. `parse_message` never raises.

Attribution: a value belongs to the name right before it (filler words such as "level"
or "was" may stand between; a value with a lab unit may sit a few words later). A paired
reading ("BP 150/95 mmHg") gives two values. A `%` counts only after a name whose
analyte accepts it. Words before a value with a lab unit that are not a name the rules
know are kept as the test written, so the classifier can say it is not covered; a value
with a unit and no name at all is read as the one `assume_analytes` entry that accepts
its unit, if the caller gave any.

Number format decisions:
- "0,28" is a decimal comma (0.28); "1.5" a decimal point.
- A single comma followed by exactly three digits ("1,200") is ambiguous: a thousands
  separator (1200) or a decimal comma (1.2) give different categories, so it is reported
  as AMBIGUOUS_NUMBER instead of guessed. "0,280" (integer part 0) is a decimal, and
  "1,200,000" or "1,200.5" are thousands separators.
- Dates ("12.03.2024") and version-like numbers are not values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Literal

from labtool.analytes import Named, unknown_name, words
from labtool.context import ContextResult, PatientContext, parse_context, result_interval
from labtool.rules import RuleSet
from labtool.units import KNOWN_UNITS, UNIT_SPELLINGS, normalize_unit

__all__ = ["ParsedMessage", "ParsedValue", "parse_message", "read_number"]

Censor = Literal["<", ">", "<=", ">="]


def _unit_pattern(spelling: str) -> str:
    pattern = re.escape(spelling).replace("/", r"\s*/\s*").replace(r"\ ", r"\s*")
    return re.sub(r"^(x|×)", r"\1\\s*", pattern)


_NUMBER = r"[0-9]+(?:[.,][0-9]+)*"
_UNIT = "|".join(_unit_pattern(spelling) for spelling in UNIT_SPELLINGS)
# Units that make a number a dose, a duration or a count: such numbers are not results.
_NOT_LAB_UNIT = (
    r"(?:mg|mcg|µg|μg|ug|micrograms?|milligrams?|g|grams?|kg|ml|mls|l|iu|units?|tabs?|"
    r"tablets?|caps?|capsules?|doses?|injections?|inj|drops?|x|times|daily|weekly|monthly|"
    r"weeks?|wks?|months?|mo|mos|years?|yrs?|y|yo|days?|d|hours?|hrs?|h|minutes?|mins?|"
    r"cm|mm|am|pm|st|nd|rd|th)\b|%"  # a % that is not a lab unit ("97%sensitivity")
)
# A token shaped like a lab unit the tool does not know ("nmol/min"): numerator and
# denominator both taken from the known units.
_PARTS = [unit.split("/", 1) for unit in KNOWN_UNITS if "/" in unit]
_ODD_UNIT = (
    rf"(?:{'|'.join(sorted({re.escape(n) for n, _ in _PARTS} | {'umol', 'ug', 'mIU'}))})"
    rf"\s*/\s*(?:{'|'.join(sorted({re.escape(d.split('/')[0]) for _, d in _PARTS}))})"
)
# Words, the start of a number (with its censoring sign), and clause breaks.
_TOKEN_RE = re.compile(
    r"(?P<word>[^\W\d_]\w*)|(?P<number>(?:[<>≤≥]=?[ \t]*)?[-−]?[0-9])|(?P<brk>[;\n?!]|\.(?![0-9]))"
)
# A number read from where its token starts: a range (ignored) or a value with its unit.
_VALUE_RE = re.compile(
    rf"(?P<range>{_NUMBER}\s*(?:[-–—]|to\b)\s*{_NUMBER}(?:\s*(?:{_UNIT})(?![\w/]))?)"
    r"|(?P<cmp><=|>=|≤|≥|<|>)?\s*(?P<sign>[-−])?"
    rf"(?P<num>{_NUMBER})(?![0-9])"
    rf"(?:\s*(?P<unit>{_UNIT})(?![\w/])|\s*(?P<nonlab>{_NOT_LAB_UNIT})"
    rf"|\s*(?P<odd>{_ODD_UNIT})(?![\w/])|(?![\w/^]))",
    re.IGNORECASE,
)
# Two numbers for one name: "150/95 mmHg".
_PAIR_RE = re.compile(
    rf"(?P<first>{_NUMBER})\s*/\s*(?P<second>{_NUMBER})(?![0-9])"
    rf"(?:\s*(?P<unit>{_UNIT})(?![\w/]))?",
    re.IGNORECASE,
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
_CENSOR: dict[str, Censor] = {"<": "<", ">": ">", "<=": "<=", "≤": "<=", ">=": ">=", "≥": ">="}


@dataclass(frozen=True)
class ParsedValue:
    """One number read as a lab result (or flagged as unusable)."""

    analyte: str | None  # None: no analyte the rules classify (see the fields below)
    text: str  # the words as written, for messages
    number: Decimal | None  # None when the number itself is ambiguous ("1,200")
    negative: bool = False
    censor: Censor | None = None
    unit: str | None = None  # canonical spelling
    unit_text: str | None = None
    unsupported: str | None = None  # a test named that the rules do not cover
    candidates: tuple[str, ...] = ()  # the analytes an unnamed or paired value could be
    unknown_unit: bool = False  # unit_text looks like a unit the tool does not know


@dataclass(frozen=True)
class ParsedMessage:
    text: str
    values: tuple[ParsedValue, ...]
    results: tuple[ContextResult, ...] = ()  # results that decide declared attributes
    ruleset: RuleSet = field(default_factory=RuleSet.empty, repr=False, compare=False)

    @cached_property
    def context(self) -> PatientContext:
        """Read on first use: most messages need no population context."""
        rules = self.ruleset
        return parse_context(self.text, rules.attributes, rules.cues, self.results)


def read_number(raw: str) -> Decimal | None:
    """The number a clinician meant, or None when it cannot be told (see module notes)."""
    if "," in raw and "." in raw:
        if re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+", raw):
            return Decimal(raw.replace(",", ""))
        return None
    if "," not in raw:
        return Decimal(raw)
    groups = raw.split(",")
    if len(groups) > 2:
        if len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
            return Decimal("".join(groups))
        return None
    whole, fraction = groups
    if len(fraction) == 3 and whole.strip("0") != "":
        return None  # "1,200": thousands or decimal comma? Ask.
    return Decimal(f"{whole}.{fraction}")


def _readable(raw: str) -> bool:
    """Dates ("12.03.2024") and mixed separators are not lab values at all."""
    return raw.count(".") <= 1 and not (
        "." in raw and "," in raw and raw.index(".") < raw.index(",")
    )


@dataclass
class _Mention:
    named: Named
    start: int
    end: int
    used: bool = False


def _value(
    match: re.Match[str],
    analyte: str | None,
    text: str,
    unsupported: str | None = None,
    candidates: tuple[str, ...] = (),
) -> ParsedValue:
    unit_text = match.group("unit")
    cmp = match.group("cmp")
    return ParsedValue(
        analyte=analyte,
        text=text,
        number=read_number(match.group("num")),
        negative=match.group("sign") is not None,
        censor=_CENSOR[cmp] if cmp else None,
        unit=normalize_unit(unit_text) if unit_text else None,
        unit_text=unit_text,
        unsupported=unsupported,
        candidates=candidates,
    )


class _Reader:
    """One pass over a message: pairs numbers with the names written before them."""

    def __init__(self, text: str, rules: RuleSet, assume: Sequence[str]) -> None:
        self.text = text
        self.rules = rules
        self.assume = [key for key in assume if key in rules.classified]
        self.values: list[ParsedValue] = []
        self.results: list[ContextResult] = []
        self.mention: _Mention | None = None
        self.segment = 0  # where the words that may name the next value start
        self.last_end = -1  # end of the last value attached to a name (for restatements)
        self.stop = rules.stop_words

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
        pair = _PAIR_RE.match(text, start)
        if pair is not None and self.pair(pair, mention):
            return pair.end()
        match = _VALUE_RE.match(text, start)
        if match is None or (start > 0 and text[start - 1] in ".,"):
            rest = _REST_OF_WORD.match(text, token.end())
            return rest.end() if rest else token.end()
        if match.group("range") is not None:
            self.mention = None  # a reference range, not a result
            return match.end()
        if match.group("nonlab") is not None or not _readable(match.group("num")):
            return match.end()
        unit = normalize_unit(match.group("unit") or "")
        if mention is not None and not mention.used and self.attach(match, mention, unit):
            return match.end()
        if unit is None or unit == "%":
            return match.end()  # a bare number with no name: a count, a year, a dose...
        if self.last_end >= 0 and _RESTATEMENT_GAP.fullmatch(text[self.last_end : start]):
            self.last_end = match.end()  # "X 12.0 g/dL (120 g/L)": the same result again
            return match.end()
        self.unnamed(match, unit)
        return match.end()

    def attach(self, match: re.Match[str], mention: _Mention, unit: str | None) -> bool:
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
        written = self.text[mention.start : match.end()]
        named = mention.named
        if match.group("odd") is not None:
            if named.kind == "analyte" and not self.rules.analytes[named.keys[0]].classified:
                return True  # a context result in a unit it does not take: it tells nothing
            self.values.append(
                ParsedValue(
                    analyte=named.keys[0] if named.kind == "analyte" else None,
                    text=written,
                    number=read_number(match.group("num")),
                    unit_text=match.group("odd"),
                    unknown_unit=True,
                    unsupported=named.label if named.kind == "not_covered" else None,
                    candidates=named.keys if named.kind == "paired" else (),
                )
            )
        elif named.kind == "not_covered":
            self.values.append(_value(match, None, written, unsupported=named.label))
        elif named.kind == "paired":
            self.values.append(_value(match, None, written, candidates=named.keys))
        else:
            self.record(_value(match, named.keys[0], written))
        return True

    def record(self, value: ParsedValue) -> None:
        """A value of a known analyte: a finding to classify, a result for attributes, or both."""
        assert value.analyte is not None
        analyte = self.rules.analytes[value.analyte]
        if value.analyte in self.rules.result_attributes:
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
            for key, group in zip(mention.named.keys, ("first", "second"), strict=True):
                self.record(
                    ParsedValue(
                        analyte=key,
                        text=written,
                        number=read_number(pair.group(group)),
                        unit=unit,
                        unit_text=pair.group("unit"),
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
            written = self.text[name[1] : match.end()]
            self.values.append(_value(match, None, written, unsupported=name[0]))
            return
        written = match.group(0).strip()
        accepting = tuple(k for k in self.assume if unit in self.rules.analytes[k].unit_table)
        if len(accepting) == 1:
            self.record(_value(match, accepting[0], written))
        else:
            self.values.append(_value(match, None, written, candidates=accepting))


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
    reader = _Reader(text, ruleset, assume_analytes)
    reader.run()
    return ParsedMessage(
        text=text, values=tuple(reader.values), results=tuple(reader.results), ruleset=ruleset
    )
