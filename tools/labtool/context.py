"""The patient context population rules need: sex, pregnancy, trimester, age, inflammation.

Read from free text with one compiled regex. Cues that contradict each other (e.g. "men
and women") leave the attribute unknown, so the classifier asks instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Sex = Literal["female", "male"]

# WHO 2020 ferritin guidance defines inflammation as CRP above 5 mg/L; the brief fixes this
# cut-off for reading context (it is not a lab interpretation and does not reach a finding).
CRP_INFLAMMATION_ABOVE_MG_PER_L = Decimal(5)
# Gestational weeks -> trimester: 1st up to 13 completed weeks, 2nd 14-27, 3rd from 28.
_SECOND_TRIMESTER_FROM_WEEK = 14
_THIRD_TRIMESTER_FROM_WEEK = 28


@dataclass(frozen=True)
class PatientContext:
    sex: Sex | None = None
    pregnant: bool | None = None
    trimester: int | None = None
    age_years: Decimal | None = None
    inflammation: bool | None = None

    def describe(self) -> str:
        parts: list[str] = []
        if self.sex:
            parts.append(self.sex)
        if self.pregnant is not None:
            parts.append("pregnant" if self.pregnant else "not pregnant")
        if self.trimester:
            parts.append(f"trimester {self.trimester}")
        if self.age_years is not None:
            parts.append(_describe_age(self.age_years))
        if self.inflammation is not None:
            parts.append("inflammation" if self.inflammation else "no inflammation")
        return ", ".join(parts) if parts else "no context"


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
# Only searched when the text mentions inflammation, infection, a flare or CRP.
_INFLAMMATION_WORDS = ("inflam", "infect", "sepsis", "septic", "flar", "crp", "active")
_INFLAMMATION_RE = _at_word_starts(
    r"(?P<no_infl>\b(?:no|not|without|denies|absent|nil|negative\s+for)\b"
    r"(?:\s+(?:signs?|evidence|clinical\s+evidence)\s+of)?\s+(?:active\s+|current\s+)?"
    r"(?:inflammation|infection|sepsis|flare)\b"
    r"|\bcrp\s+(?:is\s+|was\s+)?(?:normal|negative)\b|\bnormal\s+crp\b)"
    r"|(?P<infl>\b(?:inflammation|inflammatory|inflamed|infection|infected|sepsis|septic|flare"
    r"|flaring|active\s+(?:ibd|crohn'?s|colitis|disease))\b"
    r"|\b(?:raised|high|elevated)\s+crp\b|\bcrp\s+(?:is\s+|was\s+)?(?:raised|high|elevated)\b)",
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
    inflammation: bool = False
    no_inflammation: bool = False


def _collect(text: str) -> _Evidence:
    evidence = _Evidence()
    lower = text.lower()
    patterns = [_PERSON_RE]
    if any(word in lower for word in _PREGNANCY_WORDS):
        patterns.append(_PREGNANCY_RE)
    if any(word in lower for word in _INFLAMMATION_WORDS):
        patterns.append(_INFLAMMATION_RE)
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
        elif kind == "no_infl":
            evidence.no_inflammation = True
        elif kind == "infl":
            evidence.inflammation = True
    return evidence


def parse_context(text: str, crp_raised: bool | None = None) -> PatientContext:
    """Context cues in text; a CRP result (read by the value parser) decides inflammation."""
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

    inflammation: bool | None = None
    if crp_raised is not None:
        inflammation = crp_raised
    elif evidence.no_inflammation:
        inflammation = False
    elif evidence.inflammation:
        inflammation = True

    return PatientContext(
        sex=sex,
        pregnant=pregnant,
        trimester=trimesters.pop() if pregnant and len(trimesters) == 1 else None,
        age_years=evidence.ages.pop() if len(evidence.ages) == 1 else None,
        inflammation=inflammation,
    )
