"""The patient context population rules need: the built-in sex, pregnancy, trimester and
age, read here from general English, and every attribute the rules file declares.

Demographics are read with compiled regexes. A declared attribute is set by a result in
the message (`from_results`, converted to the analyte's canonical unit), else by its cue
words (`words_false`, or a negated true word, before `words_true`). Cues that contradict
each other (e.g. "men and women") leave the attribute unknown, so the classifier asks
instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from labtool.attributes import Attribute, AttributeValue
from labtool.bands import Interval
from labtool.cues import AttributeCues, decide
from labtool.rules_model import Analyte

Sex = Literal["female", "male"]

# Gestational weeks -> trimester: 1st up to 13 completed weeks, 2nd 14-27, 3rd from 28.
_SECOND_TRIMESTER_FROM_WEEK = 14
_THIRD_TRIMESTER_FROM_WEEK = 28


@dataclass(frozen=True)
class PatientContext:
    sex: Sex | None = None
    pregnant: bool | None = None
    trimester: int | None = None
    age_years: Decimal | None = None
    attributes: tuple[tuple[str, AttributeValue], ...] = ()  # declared attributes that are known
    earlier: tuple[str, ...] = ()  # keys taken from earlier turns ('age', 'sex', an attribute)

    def attribute(self, name: str) -> AttributeValue | None:
        return dict(self.attributes).get(name)

    def stated(self, key: str) -> bool:
        """Is this built-in key ('sex', 'pregnant', 'trimester', 'age') or attribute known?"""
        if key in _BUILT_IN_FIELDS:
            return getattr(self, _BUILT_IN_FIELDS[key]) is not None
        return self.attribute(key) is not None

    def filled_from(self, earlier: PatientContext | None) -> PatientContext:
        """This message's context, with what it leaves unstated taken from earlier turns (the
        keys taken are listed in `earlier`). A stated sex that contradicts an earlier
        pregnancy drops the pregnancy."""
        if earlier is None:
            return self
        taken = [
            key
            for key, name in _BUILT_IN_FIELDS.items()
            if getattr(self, name) is None and getattr(earlier, name) is not None
        ]
        merged = replace(
            self,
            **{_BUILT_IN_FIELDS[key]: getattr(earlier, _BUILT_IN_FIELDS[key]) for key in taken},
        )
        if merged.sex == "male" and merged.pregnant:
            merged = replace(merged, pregnant=self.pregnant, trimester=self.trimester)
            taken = [key for key in taken if key not in ("pregnant", "trimester")]
        if not merged.pregnant and merged.trimester is not None:
            merged = replace(merged, trimester=None)
            taken = [key for key in taken if key != "trimester"]
        known = dict(self.attributes)
        added = [(name, value) for name, value in earlier.attributes if name not in known]
        return replace(
            merged,
            attributes=(*self.attributes, *added),
            earlier=tuple(dict.fromkeys([*self.earlier, *taken, *(name for name, _ in added)])),
        )

    def describe(self, declared: Mapping[str, Attribute] | None = None) -> str:
        parts: list[str] = []
        if self.sex:
            parts.append(self.sex)
        if self.pregnant is not None:
            parts.append("pregnant" if self.pregnant else "not pregnant")
        if self.trimester:
            parts.append(f"trimester {self.trimester}")
        if self.age_years is not None:
            parts.append(_describe_age(self.age_years))
        for name, value in self.attributes:
            attribute = (declared or {}).get(name)
            parts.append(attribute.value_text(name, value) if attribute else f"{name}={value}")
        return ", ".join(parts) if parts else "no context"


_BUILT_IN_FIELDS = {
    "sex": "sex",
    "pregnant": "pregnant",
    "trimester": "trimester",
    "age": "age_years",
}


def _describe_age(years: Decimal) -> str:
    if years < 2:
        return f"age {round(years * 12)} months"
    return f"age {years.normalize():f} y"


_TIME_WORDS_BEFORE = re.compile(
    r"(?:\b(?:for|over|past|last|in|within|after|since|every|per|each|at|by|than|next|the|few|"
    r"several|from|until|till|x|q)|[x×])\s*$",
    re.IGNORECASE,
)
_TIME_WORDS_AFTER = re.compile(
    r"\s*(?:ago|later|after|before|of|on|post|since|prior|follow|treatment|therapy|course|supply)\b",
    re.IGNORECASE,
)

_WEEKS = r"(?:weeks?|wks?|w)"
_FLAGS = re.IGNORECASE | re.ASCII


def _at_word_starts(pattern: str) -> re.Pattern[str]:
    """Every cue starts a word: one cheap check rejects all other positions."""
    return re.compile(rf"\b(?=\w)(?:{pattern})", _FLAGS)


# Only searched when the text mentions pregnancy at all (cheap substring gate).
_PREGNANCY_WORDS = ("pregnan", "trimester", "gestat", "/40", "gravid", "antenatal")
_PREGNANCY_RE = _at_word_starts(
    r"(?P<not_pregnant>\b(?:not|non|isn'?t|no)[\s-]?(?:currently\s+)?pregnan(?:t|cy)\b)"
    rf"|(?P<gest>\b(?P<gw>\d{{1,2}})\s*(?:\+\s*\d\s*)?{_WEEKS}['’]?s?\s*(?:pregnant|gestation\w*"
    r"|of\s+(?:pregnancy|gestation))\b|\b(?P<gw2>\d{1,2})\s*/\s*40\b"
    rf"|\bpregnan\w*\W{{1,3}}(?:at\s+|about\s+|around\s+)?(?P<gw3>\d{{1,2}})\s*{_WEEKS}\b)"
    r"|(?P<trimester>\b(?P<tri>first|1st|second|2nd|third|3rd)\s+trimester\b)"
    r"|(?P<tshort>(?-i:\bT(?P<tn>[123])\b))"
    r"|(?P<pregnant>\bpregnan(?:t|cy)\b|\bgravida?\b|\bantenatal\b)",
)
# Age and sex. The age forms all start with a digit: one lookahead rejects other positions.
_PERSON_RE = _at_word_starts(
    r"(?=\d)(?:"
    r"(?P<age_old>\b(?P<ao>\d{1,3})\s*[- ]?\s*(?P<aou>years?|yrs?|y|months?|mo|mos)"
    r"\s*[- ]?\s*old\b)"
    r"|(?P<age_yo>\b(?P<ayo>\d{1,3})\s*(?:yo|y/o|y\.o\.)(?=\W|$)(?:\s*(?-i:(?P<ayo_sex>[MF]))\b)?)"
    r"|(?P<age_sex>\b(?P<as>\d{1,3})(?-i:(?P<as_sex>[MF]))\b)"
    r"|(?P<age_bare>\b(?P<ab>\d{1,3})\s*(?P<abu>years?|yrs?|y|months?|mo)\b))"
    r"|(?P<aged>\bage[d:]?\s*:?\s*(?P<ad>\d{1,3}(?:\.\d)?)\s*(?P<adu>years?|yrs?|y|months?|mo)?\b)"
    r"|(?P<sex_age>\b(?P<sa_sex>male|female|man|woman|boy|girl)\s*,?\s*(?P<sa>\d{1,3})"
    r"(?![.,]?\d)(?!\s*(?:[a-z%/]|\d)))"
    r"|(?P<female>\b(?:female|woman|women|girl|lady|mother|mum|mrs|ms|miss|she|her|hers)\b"
    r"|(?-i:\bF\b))"
    r"|(?P<male>\b(?:male|man|men|boy|gentleman|mr|he|him|his)\b|(?-i:\bM\b))",
)
_TRIMESTER_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}


def _trimester_of_week(week: int) -> int:
    if week >= _THIRD_TRIMESTER_FROM_WEEK:
        return 3
    return 2 if week >= _SECOND_TRIMESTER_FROM_WEEK else 1


def _years(number: str, unit: str | None) -> Decimal:
    value = Decimal(number)
    if unit and unit.lower().startswith("mo"):
        return value / 12
    return value


def _is_duration(text: str, start: int, end: int) -> bool:
    """'for 3 months', '2 years ago': a time span, not an age."""
    return bool(
        _TIME_WORDS_BEFORE.search(text, max(0, start - 12), start)
        or _TIME_WORDS_AFTER.match(text, end)
    )


@dataclass
class _Evidence:
    """Every cue found, before contradictions are resolved."""

    sexes: set[str] = field(default_factory=set)
    pregnant: bool = False
    not_pregnant: bool = False
    trimesters: set[int] = field(default_factory=set)
    short_trimesters: set[int] = field(default_factory=set)
    ages: set[Decimal] = field(default_factory=set)


def _collect(text: str) -> _Evidence:
    evidence = _Evidence()
    lower = text.lower()
    patterns = [_PERSON_RE]
    if any(word in lower for word in _PREGNANCY_WORDS):
        patterns.append(_PREGNANCY_RE)
    matches = (match for pattern in patterns for match in pattern.finditer(text))
    for match in matches:
        kind = match.lastgroup
        if kind == "not_pregnant":
            evidence.not_pregnant = True
        elif kind == "gest":
            week = match.group("gw") or match.group("gw2") or match.group("gw3")
            evidence.pregnant = True
            evidence.trimesters.add(_trimester_of_week(int(week)))
        elif kind == "trimester":
            evidence.pregnant = True
            evidence.trimesters.add(_TRIMESTER_WORDS[match.group("tri").lower()])
        elif kind == "tshort":
            evidence.short_trimesters.add(int(match.group("tn")))
        elif kind == "pregnant":
            evidence.pregnant = True
        elif kind == "age_old":
            evidence.ages.add(_years(match.group("ao"), match.group("aou")))
        elif kind == "age_yo":
            evidence.ages.add(Decimal(match.group("ayo")))
            if match.group("ayo_sex"):
                evidence.sexes.add("female" if match.group("ayo_sex") == "F" else "male")
        elif kind == "age_sex":
            evidence.ages.add(Decimal(match.group("as")))
            evidence.sexes.add("female" if match.group("as_sex") == "F" else "male")
        elif kind == "aged":
            evidence.ages.add(_years(match.group("ad"), match.group("adu")))
        elif kind == "age_bare":
            if not _is_duration(text, match.start(), match.end()):
                evidence.ages.add(_years(match.group("ab"), match.group("abu")))
        elif kind == "sex_age":
            evidence.ages.add(Decimal(match.group("sa")))
            word = match.group("sa_sex").lower()
            evidence.sexes.add("female" if word in ("female", "woman", "girl") else "male")
        elif kind in ("female", "male"):
            evidence.sexes.add(kind)
    return evidence


@dataclass(frozen=True)
class ContextResult:
    """A result that may decide attributes: its analyte and the values it allows, in the
    analyte's canonical unit (None when the result cannot tell, e.g. a unit not accepted)."""

    analyte: str
    interval: Interval | None


def result_interval(
    number: Decimal | None, censor: str | None, unit: str | None, analyte: Analyte
) -> Interval | None:
    """The values a result allows, in the analyte's canonical unit (a result without a unit is
    read in the canonical unit); None when it cannot tell (no usable number, a foreign unit)."""
    unit = unit or analyte.canonical_unit
    if number is None or unit not in analyte.unit_rules:
        return None
    interval = Interval.point(number) if censor is None else Interval.censored(number, censor)
    return interval.converted(unit, analyte.canonical_unit, analyte.unit_rules)


def _from_result(attribute: Attribute, result: ContextResult) -> AttributeValue | None:
    if result.interval is None:
        return None
    cue = next(c for c in attribute.from_results if c.analyte == result.analyte)
    if cue.true_when is not None:
        return decide(cue.true_when, result.interval)
    return result.interval.low if result.interval.is_point else None


def _attributes(
    text: str,
    declared: Mapping[str, Attribute],
    cues: AttributeCues | None,
    results: Sequence[ContextResult],
) -> tuple[tuple[str, AttributeValue], ...]:
    stated = cues.read(text) if cues is not None else {}
    if not stated and not results:
        return ()  # no cue word and no result: nothing is known (the usual case)
    known: list[tuple[str, AttributeValue]] = []
    for name, attribute in declared.items():
        deciding = {cue.analyte for cue in attribute.from_results}
        relevant = [result for result in results if result.analyte in deciding]
        value = _from_result(attribute, relevant[-1]) if relevant else None  # the last decides
        if value is None:
            value = stated.get(name)
        if value is not None:
            known.append((name, value))
    return tuple(known)


def parse_context(
    text: str,
    declared: Mapping[str, Attribute] | None = None,
    cues: AttributeCues | None = None,
    results: Sequence[ContextResult] = (),
) -> PatientContext:
    """Context cues in text; results of the analytes named in `from_results` decide first."""
    evidence = _collect(text)

    pregnant: bool | None = None
    if evidence.not_pregnant and not evidence.trimesters:
        pregnant = False
    elif evidence.pregnant:
        pregnant = True
    trimesters = set(evidence.trimesters)
    if pregnant:
        trimesters |= evidence.short_trimesters  # "T2" means a trimester only in pregnancy

    sexes = set(evidence.sexes)
    if pregnant:
        sexes.add("female")
    sex: Sex | None = None
    if sexes == {"female"}:
        sex = "female"
    elif sexes == {"male"}:
        sex = "male"
    if sex == "male" and pregnant is None:
        pregnant = False

    return PatientContext(
        sex=sex,
        pregnant=pregnant,
        trimester=trimesters.pop() if pregnant and len(trimesters) == 1 else None,
        age_years=evidence.ages.pop() if len(evidence.ages) == 1 else None,
        attributes=_attributes(text, declared or {}, cues, results),
    )
