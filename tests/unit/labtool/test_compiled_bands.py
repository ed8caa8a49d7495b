"""Bands compiled to floats classify exactly like the Decimal bands (issue 14).

Every bound of every scale of every rule, in every pack, is written in every unit the analyte
accepts (exactly, then rounded the way people write it), and read a tiny step below, on and a
tiny step above, across the float tolerance. The compiled reading (labtool.compiled) must give
the same categories as the Decimal reading (labtool.bands), the same plausibility and the same
near-threshold boundary. A control run without the exact fallback shows the edges it guards.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from labtool import compiled
from labtool.bands import Interval, near_boundary, read_on_scale, read_rule
from labtool.rules import RuleSet, load_rules
from labtool.rules_model import Analyte, Rule
from labtool.units import convert

from tests.unit.labtool.conftest import REPO_ROOT

PACKS = [
    (REPO_ROOT / "corpus" / "b12" / "rules.yaml", REPO_ROOT / "corpus" / "b12"),
    (REPO_ROOT / "corpus" / "diabetes" / "rules.yaml", REPO_ROOT / "corpus" / "diabetes"),
    (REPO_ROOT / "tests" / "fixtures" / "packs" / "mixed" / "rules.yaml", None),
]
STEPS = (Decimal("1e-15"), Decimal("1e-12"), Decimal("1e-10"), Decimal("1e-8"), Decimal("1e-6"))


def _load(rules_path: Path, corpus: Path | None) -> RuleSet:
    return load_rules(rules_path, corpus_dir=corpus)


def _edges(analyte: Analyte, rule: Rule, scale: str) -> Iterator[tuple[Decimal, str]]:
    """Each bound of the scale, in each accepted unit: exact, rounded as written, and a
    relative step either side of those."""
    rules = analyte.unit_rules
    bounds = {b.value for band in rule.scales[scale] for b in (band.lower, band.upper) if b}
    for bound in bounds:
        for unit in analyte.accepted_units:
            exact = convert(bound, scale, unit, rules)
            written = {exact, *(round(exact, places) for places in range(5))}
            for value in written:
                for step in STEPS:
                    for candidate in (value, value * (1 - step), value * (1 + step)):
                        if candidate > 0:
                            yield candidate, unit


def _cases(ruleset: RuleSet) -> Iterator[tuple[Analyte, Rule, str, Decimal, str]]:
    for analyte in ruleset.classified.values():
        for rule in analyte.rules:
            for scale in rule.scales:
                for value, unit in _edges(analyte, rule, scale):
                    yield analyte, rule, scale, value, unit


def _disagreements(ruleset: RuleSet) -> tuple[int, list[str]]:
    tables = ruleset.tables
    checked, wrong = 0, []
    for analyte, rule, scale, value, unit in _cases(ruleset):
        checked += 1
        factors = analyte.unit_rules
        reference = read_on_scale(rule, scale, Interval.point(value), unit, factors)
        fast = tables.point_categories(analyte, rule, value, unit, scale)
        if fast != reference.categories:
            wrong.append(f"{rule.id} {scale}: {value} {unit} {sorted(fast)}")
        chosen = read_rule(rule, Interval.point(value), unit, factors)
        if tables.read_rule_point(analyte, rule, value, unit).bands != chosen.bands:
            wrong.append(f"{rule.id} (own scale): {value} {unit}")
        canonical = convert(value, unit, analyte.canonical_unit, factors)
        if tables.plausible_point(analyte, value, unit) != analyte.plausible.contains(canonical):
            wrong.append(f"{analyte.name} plausible: {value} {unit}")
        near = analyte.near_threshold
        if near is not None and reference.bands:
            expected = near_boundary(reference, near, analyte.canonical_unit, factors)
            if tables.near_point(analyte, reference, value, unit) != expected:
                wrong.append(f"{rule.id} near: {value} {unit}")
    return checked, wrong


@pytest.mark.parametrize(("rules_path", "corpus"), PACKS, ids=["b12", "diabetes", "mixed"])
def test_every_band_edge_in_every_unit_reads_as_in_decimal(
    rules_path: Path, corpus: Path | None
) -> None:
    checked, wrong = _disagreements(_load(rules_path, corpus))

    assert checked > 300
    assert wrong == []


def test_without_the_exact_fallback_floats_misread_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: floats alone put values written on a cut-off in the wrong band."""
    monkeypatch.setattr(compiled, "_RELATIVE", 0.0)
    rules_path, corpus = PACKS[0]

    _, wrong = _disagreements(_load(rules_path, corpus))

    assert wrong != []


def test_the_compiled_tables_are_built_when_the_rules_load() -> None:
    rules_path, corpus = PACKS[0]
    tables = _load(rules_path, corpus).tables

    assert tables._scales  # compiled in load_rules, not on first use
    assert tables._conversions
