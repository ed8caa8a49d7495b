"""The corpus contract: every cut-off in rules.yaml appears as `<number> <unit>` in the very
`## ` section its band cites (so a clinician can check each figure at its source)."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
import yaml
from labtool.corpus_index import CorpusDocument, read_corpus

from .conftest import REAL_CORPUS, REAL_RULES

_BOUND_KEYS = ("less_than", "at_most", "more_than", "at_least")
_MICRO_VARIANTS = ("µ", "μ", "u")  # micro sign, Greek mu, ASCII u


def appears(value: Any, unit: str, text: str) -> bool:
    """Is `<value> <unit>` written in text? '180' matches '180.0', '0.40' matches '0.4',
    and µ/μ/u spell the same prefix; '180' never matches inside '1180' or '180.5'."""
    number = format(Decimal(str(value)).normalize(), "f")
    number_pattern = rf"{re.escape(number)}(?:\.0+)?" if "." not in number else (
        rf"{re.escape(number)}0*"
    )  # fmt: skip
    unit_pattern = "|".join(re.escape(unit.replace("µ", variant)) for variant in _MICRO_VARIANTS)
    pattern = rf"(?<![\d.]){number_pattern}\s(?:{unit_pattern})(?![\w/])"
    return re.search(pattern, text) is not None


def _cut_offs() -> list[tuple[str, str, Any, dict[str, str]]]:
    data = yaml.safe_load(REAL_RULES.read_text(encoding="utf-8"))
    found = []
    for analyte in data["analytes"].values():
        for rule in analyte.get("rules", []):
            for unit, bands in rule["scales"].items():
                for band in bands:
                    values = [band[key] for key in _BOUND_KEYS if key in band]
                    values += band.get("between_inclusive", [])
                    found += [(rule["id"], unit, value, band["source"]) for value in values]
    # An attribute's cut-off on a result, in that analyte's canonical unit.
    for name, attribute in data.get("attributes", {}).items():
        for cue in attribute.get("from_results", []):
            unit = data["analytes"][cue["analyte"]]["canonical_unit"]
            condition = cue.get("true_when", {})
            found += [(name, unit, condition[key], cue["source"]) for key in condition]
    return found


CUT_OFFS = _cut_offs()


@cache
def _documents() -> dict[str, CorpusDocument]:
    return read_corpus(REAL_CORPUS)


@pytest.mark.parametrize(
    ("rule_id", "unit", "value", "source"),
    CUT_OFFS,
    ids=[f"{c[0]}:{c[2]} {c[1]}" for c in CUT_OFFS],
)
def test_every_cut_off_appears_with_its_unit_in_the_cited_section(
    rule_id: str, unit: str, value: Any, source: dict[str, str]
) -> None:
    section = _documents()[source["doc_id"]].section_text(source["section"])

    assert section is not None, f"{rule_id}: no section {source}"
    assert appears(value, unit, section), (
        f"{rule_id}: '{value} {unit}' not in {source['doc_id']} § {source['section']}"
    )


@pytest.mark.parametrize(
    ("value", "unit", "text", "expected"),
    [
        (180, "ng/L", "below 180 ng/L", True),
        (180, "ng/L", "below 180.0 ng/L", True),
        (0.4, "µmol/L", "at most 0.40 µmol/L", True),
        (0.28, "µmol/L", "above 0.28 μmol/L", True),
        (0.28, "µmol/L", "above 0.28 umol/L", True),
        (180, "ng/L", "below 1180 ng/L", False),
        (180, "ng/L", "below 180.5 ng/L", False),
        (180, "ng/L", "below 180 pg/mL", False),
        (180, "ng/L", "below 180 ng/Lx", False),
        (133, "pmol/L", "180 ng/L (133 pmol/L)", True),
    ],
)
def test_the_contract_check_itself(value: Any, unit: str, text: str, expected: bool) -> None:
    assert appears(value, unit, text) is expected


def test_every_number_in_a_conclusion_appears_in_its_cited_section() -> None:
    data = yaml.safe_load(REAL_RULES.read_text(encoding="utf-8"))
    documents = read_corpus(REAL_CORPUS)
    for conclusion in data.get("conclusions", []):
        source = conclusion["source"]
        section = documents[source["doc_id"]].section_text(source["section"]) or ""
        for number in re.findall(r"\d+(?:\.\d+)?", conclusion["summary"]):
            assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", section), (
                f"{conclusion['id']}: {number} not in {source['doc_id']} § {source['section']}"
            )


def _bounds(check: Any) -> list[tuple[str, Any]]:
    """(analyte or attribute, value) of every bound in a conclusion condition, nested too."""
    if not isinstance(check, dict):
        return []
    found = [
        (check.get("analyte") or check.get("attribute"), check[key])
        for key in _BOUND_KEYS
        if key in check
    ]
    for key in ("any", "all"):
        found += [bound for child in check.get(key, []) for bound in _bounds(child)]
    return found


def test_every_bound_in_a_conclusion_appears_with_its_unit_in_its_cited_section() -> None:
    data = yaml.safe_load(REAL_RULES.read_text(encoding="utf-8"))
    documents = read_corpus(REAL_CORPUS)
    checked = 0
    for conclusion in data.get("conclusions", []):
        source = conclusion["source"]
        section = documents[source["doc_id"]].section_text(source["section"]) or ""
        checks = [
            check
            for part in ("when", "unless")
            if isinstance(conclusion.get(part), list)
            for check in conclusion[part]
        ]
        for name, value in [bound for check in checks for bound in _bounds(check)]:
            analyte = data["analytes"].get(name)
            # the canonical unit, or any unit identical to it (pg/mL for ng/L)
            units = [u for u, f in (analyte or {}).get("units", {}).items() if f == 1]
            assert any(appears(value, unit, section) for unit in units), (
                f"{conclusion['id']}: '{value}' ({', '.join(units)}) not in "
                f"{source['doc_id']} § {source['section']}"
            )
            checked += 1
    assert checked > 0, "no conclusion bound was checked"
