"""Analyte names as clinicians write them, looked up word by word.

A dictionary lookup per word (plus a small anchored regex for names of several words)
is much faster than one big alternation scanned over every character.
"""

from __future__ import annotations

import re

# Single-word names -> analyte key (lower case).
_WORDS: dict[str, str] = {
    "b12": "b12",
    "vitb12": "b12",
    "cobalamin": "b12",
    "cbl": "b12",
    "holotc": "holotc",
    "holotranscobalamin": "holotc",
    "mma": "mma",
    "methylmalonate": "mma",
    "epo": "epo",
    "erythropoietin": "epo",
    "folate": "folate",
    "ferritin": "ferritin",
    "hb": "hb",
    "hgb": "hb",
    "haemoglobin": "hb",
    "hemoglobin": "hb",
    "mcv": "mcv",
    "mch": "mch",
    "mchc": "mchc",
    "hba1c": "hba1c",
    "a1c": "hba1c",
    "crp": "crp",
    "egfr": "egfr",
    "gfr": "egfr",
    "homocysteine": "homocysteine",
    "hcy": "homocysteine",
    "thcy": "homocysteine",
    "tsat": "tsat",
    "transferrin": "transferrin",
    "iron": "iron",
    "platelet": "platelets",
    "platelets": "platelets",
    "plt": "platelets",
    "wbc": "wbc",
    "wcc": "wbc",
    "rdw": "rdw",
    "retic": "reticulocytes",
    "retics": "reticulocytes",
    "reticulocyte": "reticulocytes",
    "reticulocytes": "reticulocytes",
    "creatinine": "creatinine",
    "tsh": "tsh",
}

_B12 = r"b[\s-]?12"
# First word -> names of several words starting with it (group name = analyte key).
_PHRASES: dict[str, re.Pattern[str]] = {
    first: re.compile(pattern, re.IGNORECASE)
    for first, pattern in {
        "active": rf"active\s+(?:vitamin\s*|vit\.?\s*)?(?P<holotc>{_B12})\b",
        "holo": r"holo[\s-]?(?P<holotc>tc|transcobalamin)\b",
        "vitamin": rf"vitamin\s*(?:(?P<b12>{_B12})|(?P<vitamin_d>d[23]?))\b",
        "vit": rf"vit\.?\s*(?:(?P<b12>{_B12})|(?P<vitamin_d>d[23]?))\b",
        "b": rf"(?P<b12>{_B12})\b",
        "red": r"red\s+(?:blood\s+)?cell\s+(?P<rbc_folate>folate)\b",
        "rbc": r"rbc\s+(?P<rbc_folate>folate)\b",
        "erythrocyte": r"erythrocyte\s+(?P<rbc_folate>folate)\b",
        "methyl": r"methyl[\s-]?malonic\s+(?P<mma>acid)\b",
        "methylmalonic": r"methylmalonic\s+(?P<mma>acid)\b",
        "mean": r"mean\s+(?:cell|corpuscular)\s+(?P<mcv>volume)\b",
        "c": r"c[\s-]?reactive\s+(?P<crp>protein)\b",
        "transferrin": r"transferrin\s+(?P<tsat>saturation)\b",
        "white": r"white\s+(?:blood\s+)?(?P<wbc>cells?)(?:\s+count)?\b",
    }.items()
}

# Names for analytes the parser recognises but the rules may not cover (for messages).
ANALYTE_NAMES: dict[str, str] = {
    "rbc_folate": "red cell folate",
    "vitamin_d": "vitamin D",
    "hba1c": "HbA1c",
    "mchc": "MCHC",
    "mch": "MCH",
    "crp": "CRP",
    "egfr": "eGFR",
    "homocysteine": "homocysteine",
    "tsat": "transferrin saturation",
    "transferrin": "transferrin",
    "iron": "serum iron",
    "platelets": "platelets",
    "wbc": "white cell count",
    "rdw": "RDW",
    "reticulocytes": "reticulocytes",
    "creatinine": "creatinine",
    "tsh": "TSH",
}

CONTEXT_ANALYTES = frozenset({"crp", "egfr"})  # they inform the context, not findings


def match_analyte(text: str, start: int, end: int) -> tuple[str, int] | None:
    """(analyte key, end of the name) for a name whose first word is text[start:end]."""
    word = text[start:end].lower()
    phrase = _PHRASES.get(word)
    if phrase is not None:
        match = phrase.match(text, start)
        if match is not None and match.lastgroup is not None:
            return match.lastgroup, match.end()
    key = _WORDS.get(word)
    return (key, end) if key is not None else None
