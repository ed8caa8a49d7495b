"""What a message with lab values asks of the corpus: words drawn from the lab tool's findings.

"Is B12 300 ng/L deficient?" is answered by the lab tool; the supporting sections should be about
what to do with THAT result (an indeterminate total B12: consider methylmalonic acid), so
retrieval searches for the tool's own words (analyte, category, conclusions), not the raw
numbers. Pure functions over the lab report; no retrieval here.
"""

from __future__ import annotations

import re

from labtool.report import Finding, LabReport

from assistant.domain.language import DomainLanguage
from assistant.text.sentences import strip_values

# A value in a tool summary starts after the analyte's name: "Ferritin (serum) 14 µg/L ...".
_VALUE_START = re.compile(r" [<>≤≥]?\d")


def analyte_name(finding: Finding) -> str:
    """The analyte's display name, as the tool's summary starts: "Vitamin B12 (total ...)"."""
    match = _VALUE_START.search(finding.summary)
    name = finding.summary[: match.start()] if match else ""
    return name.strip() or finding.analyte


def findings_terms(report: LabReport, language: DomainLanguage) -> str:
    """Retrieval words for the tool's findings: analyte names, categories and conclusions.

    Numbers and units are left out: passages state cut-offs, not the patient's value.
    """
    parts: list[str] = []
    for finding in report.findings:
        label = finding.summary.split("[", 1)[0]  # name, value and category label, no band
        parts.extend((strip_values(label), finding.category.replace("_", " ")))
        parts.append(_beyond_the_bands(finding))
    parts.extend(strip_values(conclusion.summary) for conclusion in report.conclusions)
    return " ".join(dict.fromkeys(language.vocabulary.content_words(" ".join(parts))))


_BOUND = re.compile(r"(\d+(?:\.\d+)?)\s*([^\s;,.]+)")


def _beyond_the_bands(finding: Finding) -> str:
    """ "high" for a result above every cut-off of its rule, "low" below them all, else "".

    Guidance on a very high or very low result uses those words, not the category's.
    """
    bounds: list[float] = []
    for wording in finding.thresholds:
        for number, unit in _BOUND.findall(wording):
            value = finding.converted.get(unit)
            if value is not None:
                bounds.append(float(number) - value)
    if not bounds:
        return ""
    if all(gap < 0 for gap in bounds):
        return "high"
    if all(gap > 0 for gap in bounds):
        return "low"
    return ""
