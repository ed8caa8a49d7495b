"""Every band boundary of the real rules file, on it and either side, in every unit.

Two independent statements of what the answer should be:
1. PRIMARY_TABLE: the primary bands written out by hand from the source figures
   (clinical-thresholds.md §1 and §4.1), run through the whole tool (parse -> classify).
2. Generated checks: for every band of every rule, read straight from the YAML, a value
   on each bound belongs to the band exactly when the band's wording includes it
   ("less than" / "more than" exclude, "at most" / "at least" / "between ... inclusive"
   include), and values just inside / outside fall in / out of it.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import pytest
import yaml
from labtool.bands import Interval, bands_touching
from labtool.interpret import interpret
from labtool.rules import RuleSet
from labtool.units import format_number

from .conftest import REAL_RULES

# --- 1. the primary bands, by hand, from the sources ------------------------------------

Case = tuple[str, str]  # (message, expected category)


def _cases(alias: str, units: list[str], context: str, rows: list[tuple[str, str]]) -> list[Case]:
    return [
        (f"{alias} {value} {unit}{context}", expected) for unit in units for value, expected in rows
    ]


B12_NG = [  # NICE NG239: <180 deficient; 180 to 350 ng/L inclusive indeterminate; >350 unlikely
    ("179.9", "deficient"), ("180", "indeterminate"), ("180.1", "indeterminate"),
    ("349.9", "indeterminate"), ("350", "indeterminate"), ("350.1", "unlikely"),
]  # fmt: skip
B12_PMOL = [  # NICE NG239 in pmol/L: <133; 133 to 258 inclusive; >258
    ("132.9", "deficient"), ("133", "indeterminate"), ("133.1", "indeterminate"),
    ("257.9", "indeterminate"), ("258", "indeterminate"), ("258.1", "unlikely"),
]  # fmt: skip
HOLOTC = [  # NICE NG239 active B12: <25; 25 to 70 inclusive; >70 pmol/L
    ("24.9", "deficient"), ("25", "indeterminate"), ("25.1", "indeterminate"),
    ("69.9", "indeterminate"), ("70", "indeterminate"), ("70.1", "unlikely"),
]  # fmt: skip
# Laboratory upper limit (Mayo): at most 0.40 µmol/L (400 nmol/L) is not raised
MMA_NMOL = [("399.9", "not_elevated"), ("400", "not_elevated"), ("400.1", "elevated")]
MMA_UMOL = [("0.3999", "not_elevated"), ("0.4", "not_elevated"), ("0.4001", "elevated")]
EPO = [("499.9", "not_elevated"), ("500", "not_elevated"), ("500.1", "elevated")]  # >500 (MDS)
FOLATE_NMOL = [  # WHO: <6.8 deficient (haematological), <10 possible (metabolic)
    ("6.79", "deficient"), ("6.8", "possible_deficiency"), ("6.81", "possible_deficiency"),
    ("9.99", "possible_deficiency"), ("10", "not_deficient"), ("10.01", "not_deficient"),
]  # fmt: skip
FOLATE_UG = [  # WHO in µg/L (= ng/mL): <3 and <4.4
    ("2.99", "deficient"), ("3", "possible_deficiency"), ("3.01", "possible_deficiency"),
    ("4.39", "possible_deficiency"), ("4.4", "not_deficient"), ("4.41", "not_deficient"),
]  # fmt: skip
MCV = [  # BNSSG: <80 microcytic, 80 to 100 fL inclusive normocytic, >100 macrocytic
    ("79.9", "microcytic"), ("80", "normocytic"), ("80.1", "normocytic"),
    ("99.9", "normocytic"), ("100", "normocytic"), ("100.1", "macrocytic"),
]  # fmt: skip


def _ferritin(cut_off: int) -> list[tuple[str, str]]:  # WHO 2020: deficient below the cut-off
    return [
        (format_number(Decimal(cut_off) - Decimal("0.1")), "iron_deficient"),
        (str(cut_off), "not_iron_deficient"),
        (format_number(Decimal(cut_off) + Decimal("0.1")), "not_iron_deficient"),
    ]


def _hb(severe: int, mild: int, cut_off: int) -> list[tuple[str, str]]:
    """WHO 2011 severity (severe below `severe`, mild from `mild`) under the WHO 2024 cut-off."""
    return [
        (format_number(Decimal(severe) - Decimal("0.1")), "anaemia_severe"),
        (str(severe), "anaemia_moderate"),
        (format_number(Decimal(mild) - Decimal("0.1")), "anaemia_moderate"),
        (str(mild), "anaemia_mild"),
        (format_number(Decimal(cut_off) - Decimal("0.1")), "anaemia_mild"),
        (str(cut_off), "no_anaemia"),
        (format_number(Decimal(cut_off) + Decimal("0.1")), "no_anaemia"),
    ]


def _hb_in_other_units(rows: list[tuple[str, str]], context: str) -> list[Case]:
    """1 g/dL = 10 g/L; Hb monomer 1 mmol/L = 16.11 g/L (clinical-thresholds.md §2)."""
    cases = []
    for value, expected in rows:
        grams = Decimal(value)
        cases.append((f"Hb {format_number(grams / 10)} g/dL{context}", expected))
    # mmol/L cannot hit a g/L boundary exactly: test 0.1 g/L inside each band instead.
    for grams_text, expected in [("119.8", "anaemia_mild"), ("120.2", "no_anaemia")]:
        mmol = (Decimal(grams_text) / Decimal("16.11")).quantize(Decimal("0.00001"))
        cases.append((f"Hb {mmol} mmol/L{context}", expected))
    return cases


WOMAN = ", 30-year-old woman, not pregnant"
MAN = ", 45-year-old man"
PRIMARY_TABLE: list[Case] = [
    *_cases("B12", ["ng/L", "pg/mL"], "", B12_NG),
    *_cases("B12", ["pmol/L"], "", B12_PMOL),
    *_cases("holoTC", ["pmol/L"], "", HOLOTC),
    *_cases("MMA", ["nmol/L"], "", MMA_NMOL),
    *_cases("MMA", ["µmol/L", "nmol/mL"], "", MMA_UMOL),
    *_cases("EPO", ["mU/mL", "IU/L", "U/L"], ", lower-risk MDS", EPO),
    *_cases("folate", ["nmol/L"], "", FOLATE_NMOL),
    *_cases("folate", ["µg/L", "ng/mL"], "", FOLATE_UG),
    *_cases("ferritin", ["µg/L", "ng/mL"], ", adult, CRP 2 mg/L", _ferritin(15)),
    *_cases("ferritin", ["µg/L", "ng/mL"], ", adult, CRP 20 mg/L", _ferritin(70)),
    *_cases("ferritin", ["µg/L"], ", 3-year-old, CRP 2 mg/L", _ferritin(12)),
    *_cases("ferritin", ["µg/L"], ", 3-year-old, CRP 20 mg/L", _ferritin(30)),
    *_cases("ferritin", ["µg/L"], ", 5-year-old, CRP 2 mg/L", _ferritin(15)),
    *_cases("Hb", ["g/L"], WOMAN, _hb(80, 110, 120)),
    *_hb_in_other_units(_hb(80, 110, 120), WOMAN),
    *_cases("Hb", ["g/L"], MAN, _hb(80, 110, 130)),
    *_cases("Hb", ["g/L"], ", pregnant, first trimester", _hb(70, 100, 110)),
    *_cases("Hb", ["g/L"], ", pregnant, second trimester", _hb(70, 95, 105)),  # WHO 2024
    *_cases("Hb", ["g/L"], ", 30 weeks pregnant", _hb(70, 100, 110)),
    *_cases("Hb", ["g/L"], ", child aged 18 months", _hb(70, 95, 105)),  # WHO 2024
    *_cases("Hb", ["g/L"], ", child aged 3 years", _hb(70, 100, 110)),
    *_cases("Hb", ["g/L"], ", child aged 8 years", _hb(80, 110, 115)),
    *_cases("Hb", ["g/L"], ", girl aged 13", _hb(80, 110, 120)),
    *_cases("MCV", ["fL"], "", MCV),
]


@pytest.mark.parametrize(("text", "expected"), PRIMARY_TABLE, ids=[c[0] for c in PRIMARY_TABLE])
def test_primary_band_from_the_source_figures(
    real_rules: RuleSet, text: str, expected: str
) -> None:
    report = interpret(text, real_rules)

    assert report.errors == []
    (finding,) = report.findings
    assert finding.category == expected


# --- 2. generated from the YAML: on-boundary values follow the wording --------------------

_LOWER = {"more_than": False, "at_least": True}  # key -> is the bound itself inside the band
_UPPER = {"less_than": False, "at_most": True}


@cache
def _raw_rules() -> list[tuple[str, dict[str, Any]]]:
    data = yaml.safe_load(REAL_RULES.read_text(encoding="utf-8"))
    return [
        (analyte_key, rule)
        for analyte_key, analyte in data["analytes"].items()
        for rule in analyte.get("rules", [])
    ]


def _bounds(band: dict[str, Any]) -> list[tuple[Decimal, str, bool]]:
    """(value, 'lower'|'upper', inclusive) for each bound, from the band's own words."""
    found = []
    for key, inclusive in _LOWER.items():
        if key in band:
            found.append((Decimal(str(band[key])), "lower", inclusive))
    for key, inclusive in _UPPER.items():
        if key in band:
            found.append((Decimal(str(band[key])), "upper", inclusive))
    if "between_inclusive" in band:
        low, high = band["between_inclusive"]
        found += [(Decimal(str(low)), "lower", True), (Decimal(str(high)), "upper", True)]
    return found


BOUNDARY_CASES = [
    pytest.param(analyte, rule["id"], unit, index, id=f"{rule['id']}:{unit}:band{index + 1}")
    for analyte, rule in _raw_rules()
    for unit, bands in rule["scales"].items()
    for index in range(len(bands))
]


@pytest.mark.parametrize(("analyte", "rule_id", "unit", "index"), BOUNDARY_CASES)
def test_values_on_and_around_each_bound_follow_the_band_wording(
    real_rules: RuleSet, analyte: str, rule_id: str, unit: str, index: int
) -> None:
    raw_rule = next(rule for key, rule in _raw_rules() if rule["id"] == rule_id)
    raw_band = raw_rule["scales"][unit][index]
    rule = next(r for r in real_rules.analytes[analyte].rules if r.id == rule_id)
    (scale_unit,) = [u for u in rule.scales if u.replace("µ", "u") == unit.replace("µ", "u")]
    bands = rule.scales[scale_unit]
    band = bands[index]

    for bound, side, inclusive in _bounds(raw_band):
        step = max(bound * Decimal("0.001"), Decimal("0.001"))
        inside = bound + step if side == "lower" else bound - step
        outside = bound - step if side == "lower" else bound + step
        for value, belongs in ((bound, inclusive), (inside, True), (outside, False)):
            if value <= 0:
                continue
            touched = bands_touching(bands, Interval.point(value))
            assert len(touched) == 1, f"{value} {unit} falls in {len(touched)} bands"
            assert (touched[0] is band) == belongs, f"{value} {unit} ({side} {bound})"


def _population_text(population: dict[str, Any]) -> str:
    words = []
    if population.get("sex"):
        words.append("woman" if population["sex"] == "female" else "man")
    if population.get("pregnant") is True:
        ordinal = {1: "first", 2: "second", 3: "third"}[population.get("trimester", 1)]
        words.append(f"pregnant, {ordinal} trimester")
    elif population.get("pregnant") is False:
        words.append("not pregnant")
    low, high = population.get("age_min_years"), population.get("age_max_years")
    if low is not None or high is not None:
        age = Decimal(str(low)) if low is not None else Decimal(str(high)) - 1
        months = age * 12
        words.append(
            f"aged {format_number(age)}"
            if age >= 1 and age == age.to_integral_value()
            else f"{format_number(months)} months old"
        )
    elif population.get("pregnant") is None:
        words.append("adult")
    if population.get("inflammation") is True:
        words.append("CRP 20 mg/L")
    elif population.get("inflammation") is False:
        words.append("CRP 1 mg/L")
    declared = [key for key, value in population.items() if value is True]
    words.extend(DECLARED_WORDS[key] for key in declared if key in DECLARED_WORDS)
    return ", " + ", ".join(words) if words else ""


DECLARED_WORDS = {"mds": "lower-risk MDS", "critical_care": "in ICU", "ibd": "Crohn's disease"}
ALIASES = {
    "b12": "B12",
    "holotc": "holoTC",
    "mma": "MMA",
    "epo": "EPO",
    "folate": "folate",
    "ferritin": "ferritin",
    "hb": "Hb",
    "mcv": "MCV",
}
PRIMARY_BOUNDS = [
    pytest.param(analyte, rule["id"], unit, id=f"{rule['id']}:{unit}")
    for analyte, rule in _raw_rules()
    if rule["role"] == "primary"
    for unit in rule["scales"]
]


@pytest.mark.parametrize(("analyte", "rule_id", "unit"), PRIMARY_BOUNDS)
def test_primary_bounds_through_the_whole_tool_in_every_identical_unit(
    real_rules: RuleSet, analyte: str, rule_id: str, unit: str
) -> None:
    """Exactly on each bound and 0.1% either side, typed as text in the scale's unit and in
    every unit identical to it (factor equal, e.g. pg/mL for ng/L), including the
    population words that select the rule."""
    raw_rule = next(rule for key, rule in _raw_rules() if rule["id"] == rule_id)
    model = real_rules.analytes[analyte]
    scale_factor = next(
        f for u, f in model.units.items() if u.replace("µ", "u") == unit.replace("µ", "u")
    )
    same_units = [u for u, f in model.units.items() if f == scale_factor]
    context = _population_text(raw_rule.get("population", {}))
    alias = ALIASES[analyte]

    for band in raw_rule["scales"][unit]:
        category = band["category"]
        for bound, side, inclusive in _bounds(band):
            step = max(bound * Decimal("0.001"), Decimal("0.01"))
            inside = bound + step if side == "lower" else bound - step
            for value, belongs in ((bound, inclusive), (inside, True)):
                for typed_unit in same_units:
                    text = f"{alias} {format_number(value)} {typed_unit}{context}"
                    report = interpret(text, real_rules)
                    assert report.errors == [], text
                    (finding,) = report.findings
                    assert finding.rule_id == rule_id, text
                    assert (finding.category == category) == belongs, text
