"""A second, made-up domain pack for the lab tool: everything it knows comes from this data.

Thyroid (FT4 in pmol/L or ng/dL), transferrin saturation in %, blood pressure as a paired
reading in mmHg, HbA1c with an affine % <-> mmol/mol unit, a potassium cut-off that depends
on a number attribute (eGFR, from a context result) and a blood-pressure cut-off that
depends on a yes/no attribute (diabetes, from words). No Python knows any of these names.
"""

from __future__ import annotations

import copy
from typing import Any

DOCS = {
    "lab-handbook.md": """---
id: lab-handbook
title: "Laboratory handbook"
---
# Laboratory handbook

## Thyroid function
Free T4 below 12 pmol/L is low; 12 pmol/L to 22 pmol/L is the reference range; above 22 pmol/L
is high.

## Iron studies
A transferrin saturation below 20 % is low.

## Glycated haemoglobin
An HbA1c of 48 mmol/mol (6.5 %) or more indicates diabetes.

## Potassium
Potassium above 5.5 mmol/L is high; with an eGFR below 30 the laboratory uses 6.0 mmol/L.

## Blood pressure
A clinic blood pressure of 140/90 mmHg or more is high; 130 mmHg systolic with diabetes.
""",
}

HANDBOOK = "lab-handbook"


def _source(section: str) -> dict[str, str]:
    return {"doc_id": HANDBOOK, "section": section}


def _two_bands(low: str, high: str, cut: float, section: str) -> list[dict[str, Any]]:
    """`low` below the cut-off, `high` from it."""
    return [
        {"category": low, "less_than": cut, "source": _source(section)},
        {"category": high, "at_least": cut, "source": _source(section)},
    ]


def _analyte(
    name: str,
    aliases: list[str],
    units: dict[str, Any],
    categories: list[tuple[str, str]],
    rules: list[dict[str, Any]],
    plausible: dict[str, float] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "aliases": aliases,
        "canonical_unit": next(iter(units)),
        "units": units,
        "plausible": plausible or {"above": 0},
        "near_threshold": {"relative": 0.02},
        "categories": [{"id": key, "label": label} for key, label in categories],
        "rules": rules,
    }


def _primary(
    rule_id: str, scales: dict[str, Any], population: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"id": rule_id, "role": "primary", "population": population or {}, "scales": scales}


HIGH = [("high", "High"), ("not_high", "Not high")]
SRC = _source("Thyroid function")
PRESSURE = {"above": 0, "at_most": 300}  # mmHg: a bare "120/80" cannot be kPa

LAB_RULES: dict[str, Any] = {
    "version": 2,
    "attributes": {
        "diabetes": {
            "type": "boolean",
            "words_true": ["diabetes", "diabetic", "T2DM"],
            "words_false": ["non-diabetic"],
            "when_unstated": "vary",
        },
        "egfr": {
            "type": "number",
            "label": "eGFR",
            "from_results": [{"analyte": "egfr"}],
            "when_unstated": "vary",
        },
    },
    "analytes": {
        "ft4": _analyte(
            "Free thyroxine (FT4)",
            ["FT4", "free T4", "fT4", "free thyroxine"],
            {"pmol/L": 1, "ng/dL": 12.871},
            [
                ("low", "Low free T4"),
                ("normal", "Free T4 in the reference range"),
                ("high", "High free T4"),
            ],
            [
                _primary(
                    "ft4-lab",
                    {
                        "pmol/L": [
                            {"category": "low", "less_than": 12, "source": SRC},
                            {"category": "normal", "between_inclusive": [12, 22], "source": SRC},
                            {"category": "high", "more_than": 22, "source": SRC},
                        ]
                    },
                )
            ],
        ),
        "tsat": _analyte(
            "Transferrin saturation (TSAT)",
            ["TSAT", "transferrin saturation"],
            {"%": 1},
            [("low", "Low transferrin saturation"), ("not_low", "Transferrin saturation not low")],
            [_primary("tsat-lab", {"%": _two_bands("low", "not_low", 20, "Iron studies")})],
        ),
        "hba1c": _analyte(
            "HbA1c",
            ["HbA1c", "A1c", "glycated haemoglobin"],
            {"mmol/mol": 1, "%": {"slope": 0.09148, "intercept": 2.152}},
            [("diabetes", "In the diabetes range"), ("below", "Below the diabetes range")],
            [
                _primary(
                    "hba1c-lab",
                    {
                        "mmol/mol": _two_bands("below", "diabetes", 48, "Glycated haemoglobin"),
                        "%": _two_bands("below", "diabetes", 6.5, "Glycated haemoglobin"),
                    },
                )
            ],
        ),
        "potassium": _analyte(
            "Potassium",
            ["potassium", "K+"],
            {"mmol/L": 1},
            HIGH,
            [
                _primary(
                    "k-normal-kidneys",
                    {"mmol/L": _two_bands("not_high", "high", 5.5, "Potassium")},
                    {"egfr": {"at_least": 30}},
                ),
                _primary(
                    "k-low-egfr",
                    {"mmol/L": _two_bands("not_high", "high", 6.0, "Potassium")},
                    {"egfr": {"less_than": 30}},
                ),
            ],
        ),
        "systolic_bp": _analyte(
            "Systolic blood pressure",
            ["systolic", "SBP"],
            {"mmHg": 1, "kPa": 7.50062},
            HIGH,
            [
                _primary(
                    "sbp-general",
                    {"mmHg": _two_bands("not_high", "high", 140, "Blood pressure")},
                    {"diabetes": False},
                ),
                _primary(
                    "sbp-diabetes",
                    {"mmHg": _two_bands("not_high", "high", 130, "Blood pressure")},
                    {"diabetes": True},
                ),
            ],
            plausible=PRESSURE,
        ),
        "diastolic_bp": _analyte(
            "Diastolic blood pressure",
            ["diastolic", "DBP"],
            {"mmHg": 1, "kPa": 7.50062},
            HIGH,
            [_primary("dbp", {"mmHg": _two_bands("not_high", "high", 90, "Blood pressure")})],
            plausible=PRESSURE,
        ),
        "egfr": {
            "name": "eGFR",
            "aliases": ["eGFR"],
            "role": "context",
            "canonical_unit": "mL/min/1.73m²",
            "units": {"mL/min/1.73m²": 1},
        },
    },
    "paired_readings": [
        {"aliases": ["BP", "blood pressure"], "analytes": ["systolic_bp", "diastolic_bp"]}
    ],
    "conclusions": [
        {
            "id": "high-bp-check-potassium",
            "when": {"systolic_bp": ["high"], "potassium": ["not_measured"]},
            "unless": {"diastolic_bp": ["not_high"]},
            "summary": "Both blood pressure readings are high and no potassium was given.",
            "source": _source("Blood pressure"),
        }
    ],
}


def lab_rules() -> dict[str, Any]:
    """A deep copy of the made-up pack's rules, for a test to change."""
    return copy.deepcopy(LAB_RULES)
