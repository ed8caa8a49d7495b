"""Shared fixtures for the lab tool: the real rules file, and a tiny rules file plus
corpus written to tmp_path (for validation tests that must not depend on the real one)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtool.rules import RuleSet, load_rules

REPO_ROOT = Path(__file__).resolve().parents[3]
REAL_RULES = REPO_ROOT / "corpus" / "b12" / "rules.yaml"
REAL_CORPUS = REPO_ROOT / "corpus" / "b12"

MINI_DOCS = {
    "doc-a.md": """---
id: doc-a
title: "Document A"
type: Guideline
---
Summary paragraph.

## Total B12 cut-offs
Deficient below 180 ng/L (133 pmol/L); 180 ng/L to 350 ng/L indeterminate; above 350 ng/L
(258 pmol/L) unlikely.

## Haemoglobin cut-offs
Anaemia below 120 g/L in women and below 130 g/L in men; below 110 g/L in pregnancy.

## Confirmatory testing
Measure MMA when B12 is indeterminate.
""",
    "doc-b.md": """---
id: doc-b
title: "Document B"
---
## Lower B12 cut-off
Deficient below 150 pmol/L.

## Assay bias
Assays differ by about 10%.
""",
    "README.md": "# Corpus\nNot a document: no front matter.\n",
}

A_B12 = {"doc_id": "doc-a", "section": "Total B12 cut-offs"}
A_HB = {"doc_id": "doc-a", "section": "Haemoglobin cut-offs"}
B_LOW = {"doc_id": "doc-b", "section": "Lower B12 cut-off"}


def _b12_bands(low: float, high: float) -> list[dict[str, Any]]:
    return [
        {"category": "deficient", "less_than": low, "source": A_B12},
        {"category": "indeterminate", "between_inclusive": [low, high], "source": A_B12},
        {"category": "unlikely", "more_than": high, "source": A_B12},
    ]


def _hb_bands(cut_off: int) -> list[dict[str, Any]]:
    return [
        {"category": "anaemia", "less_than": cut_off, "source": A_HB},
        {"category": "no_anaemia", "at_least": cut_off, "source": A_HB},
    ]


MINI_RULES: dict[str, Any] = {
    "version": 2,
    "analytes": {
        "b12": {
            "name": "Vitamin B12",
            "aliases": ["B12", "vitamin B12"],
            "canonical_unit": "ng/L",
            "units": {"ng/L": 1, "pg/mL": 1, "pmol/L": 1.35537},
            "plausible": {"above": 0, "at_most": 100000},
            "near_threshold": {
                "relative": 0.1,
                "source": {"doc_id": "doc-b", "section": "Assay bias"},
            },
            "categories": [
                {"id": "deficient", "label": "Deficient"},
                {"id": "indeterminate", "label": "Indeterminate"},
                {"id": "unlikely", "label": "Unlikely"},
            ],
            "rules": [
                {
                    "id": "b12-primary",
                    "role": "primary",
                    "population": {},
                    "scales": {
                        "ng/L": _b12_bands(180, 350),
                        "pmol/L": _b12_bands(133, 258),
                    },
                },
                {
                    "id": "b12-lower",
                    "role": "comparison",
                    "scales": {
                        "pmol/L": [
                            {"category": "deficient", "less_than": 150, "source": B_LOW},
                            {
                                "category": ["indeterminate", "unlikely"],
                                "at_least": 150,
                                "source": B_LOW,
                            },
                        ]
                    },
                },
            ],
        },
        "hb": {
            "name": "Haemoglobin",
            "aliases": ["Hb", "haemoglobin"],
            "canonical_unit": "g/L",
            "units": {"g/L": 1, "g/dL": 10},
            "plausible": {"at_least": 30, "at_most": 250},
            "near_threshold": {"absolute": 3},
            "categories": [
                {"id": "anaemia", "label": "Anaemia"},
                {"id": "no_anaemia", "label": "No anaemia"},
            ],
            "rules": [
                {
                    "id": "hb-women",
                    "role": "primary",
                    "population": {"sex": "female", "pregnant": False},
                    "scales": {"g/L": _hb_bands(120)},
                },
                {
                    "id": "hb-men",
                    "role": "primary",
                    "population": {"sex": "male"},
                    "scales": {"g/L": _hb_bands(130)},
                },
                {
                    "id": "hb-pregnancy",
                    "role": "primary",
                    "population": {"pregnant": True},
                    "scales": {"g/L": _hb_bands(110)},
                },
            ],
        },
    },
    "conclusions": [
        {
            "id": "confirm-with-mma",
            "when": {"b12": ["indeterminate"]},
            "unless_present": ["hb"],
            "summary": "Borderline B12: consider MMA.",
            "source": {"doc_id": "doc-a", "section": "Confirmatory testing"},
        }
    ],
}


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in MINI_DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def mini_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a rules mapping to a fresh file in tmp_path and return its path."""
    counter = iter(range(1000))

    def write(data: dict[str, Any]) -> Path:
        path = tmp_path / f"rules-{next(counter)}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return path

    return write


@pytest.fixture
def mini_rules_data() -> dict[str, Any]:
    """A deep copy of the valid tiny rules file, for a test to break."""
    return copy.deepcopy(MINI_RULES)


@pytest.fixture
def mini_ruleset(write_rules: Callable[[dict[str, Any]], Path], mini_corpus: Path) -> RuleSet:
    return load_rules(write_rules(copy.deepcopy(MINI_RULES)), corpus_dir=mini_corpus)


@pytest.fixture(scope="session")
def real_rules() -> RuleSet:
    return load_rules(REAL_RULES, corpus_dir=REAL_CORPUS)
