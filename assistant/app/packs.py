"""`assistant pack new | check | list`: scaffold, validate and list domain packs.

`check_pack` reads a pack the way the assistant will (documents, rules, domain file, cases) and
returns every problem as `file:line: what`, so a laboratory can fix its pack before serving it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.config import PROJECT_ROOT
from assistant.domain.pack import DOMAIN_FILE, RULES_FILE, PackError, load_domain
from assistant.evaluation.cases import case_problems, check_sources, load_cases
from assistant.sources.documents import DocumentError, load_document, pack_files
from assistant.sources.lookup import load_pack_rules

CORPUS_DIR = PROJECT_ROOT / "corpus"
EVALS_DIR = PROJECT_ROOT / "evals"


@dataclass(frozen=True)
class PackSummary:
    path: Path
    title: str
    documents: int
    analytes: int
    cases: int


def cases_folder(pack: Path) -> Path:
    shipped = EVALS_DIR / pack.resolve().name
    return shipped if shipped.is_dir() else pack / "evals"


def check_pack(pack: Path) -> list[str]:
    """Every problem in a pack: documents, rules file, domain file and evaluation cases."""
    if not pack.is_dir():
        return [f"{pack}: not a folder"]
    problems: list[str] = []
    headings: dict[str, list[str]] = {}
    documents = pack_files(pack)
    if not documents:
        problems.append(f"{pack}: no guideline documents (Markdown, PDF, HTML or text)")
    for path in documents:
        try:
            document = load_document(path, require_front_matter=path.suffix == ".md")
        except DocumentError as exc:
            problems.append(str(exc))
            continue
        doc_id = document.meta.doc_id
        if doc_id in headings:
            problems.append(f"{path}: id: {doc_id!r} is used by another document")
        headings[doc_id] = [section.path for section in document.sections]
    problems.extend(_rules_problems(pack))
    try:
        load_domain(pack)
    except PackError as exc:
        problems.extend(str(exc).splitlines())
    cases = cases_folder(pack)
    if cases.is_dir():
        found = case_problems(cases)
        problems.extend(found)
        if not found:
            problems.extend(f"{cases}: {p}" for p in check_sources(load_cases(cases), headings))
    return problems


def _rules_problems(pack: Path) -> list[str]:
    path = pack / RULES_FILE
    if not path.exists():
        return []
    from labtool.rules import RulesError

    try:
        load_pack_rules(path, pack)
    except RulesError as exc:
        return str(exc).splitlines()
    return []


def list_packs(root: Path = CORPUS_DIR) -> list[PackSummary]:
    summaries = []
    for pack in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            domain = load_domain(pack)
        except PackError:
            domain = None
        rules = pack / RULES_FILE
        analytes = 0
        if rules.exists():
            data = yaml.safe_load(rules.read_text(encoding="utf-8")) or {}
            analytes = len(data.get("analytes") or {}) if isinstance(data, dict) else 0
        cases = cases_folder(pack)
        count = 0
        if cases.is_dir() and not case_problems(cases):
            count = len(load_cases(cases))
        title = domain.title if domain is not None else f"{pack.name} (no {DOMAIN_FILE})"
        summaries.append(PackSummary(pack, title, len(pack_files(pack)), analytes, count))
    return summaries


_SCAFFOLD_DOCUMENT = """---
id: example-guideline
title: "Example guideline (replace this document)"
kind: national_guideline
publisher: Example publisher
year: 2025
review_status: submitted
---

One or two sentences on what this guideline covers and for whom.

## Example threshold

Under the example guideline, the example test is low below 10 mmol/L.

> For patients: A result below 10 mmol/L is low; your clinician will explain what it means.
"""

_SCAFFOLD_DOMAIN = """# The field this pack covers (docs/pack-format.md). Every key is optional.
title: Example Guideline Assistant
description: What the documents in this pack cover
llm_subject: the example field
default_query: example field
ui:
  header: Answers drawn only from this pack's guideline documents, each with citations.
  placeholder: Ask about the example field.
  examples:
    - What level of the example test is low?
subjects:
  - {terms: ["example test"], analyte: example, names_test: true}
sections:
  - {key: thresholds, heading: Thresholds, role: thresholds, terms: ["thresholds?", "low"]}
"""

_SCAFFOLD_RULES = """# Lab cut-offs, each band cited to a document section (docs/pack-format.md).
version: 2
analytes:
  example:
    name: Example test
    aliases: [example test, EXT]
    canonical_unit: mmol/L
    units: {mmol/L: 1}
    plausible: {above: 0, at_most: 1000}
    near_threshold: {relative: 0.05}
    categories:
      - {id: low, label: "Low"}
      - {id: normal, label: "Not low"}
    rules:
      - id: example-guideline
        role: primary
        scales:
          mmol/L:
            - category: low
              less_than: 10
              source: {doc_id: example-guideline, section: "Example threshold"}
            - category: normal
              at_least: 10
              source: {doc_id: example-guideline, section: "Example threshold"}
"""

_SCAFFOLD_CASES = """# Evaluation cases (evals/README.md): what an answer must show, and its source.
cases:
  - id: example-threshold
    question: "What level of the example test is low?"
    must_include: ['10 mmol/L']
    provenance: [{doc_id: example-guideline, section: Example threshold}]
  - id: example-lab-value
    question: "example test 8 mmol/L"
    expected_labs: [{analyte: example, value: 8, unit: mmol/L, category: low}]
    provenance: [{doc_id: example-guideline, section: Example threshold}]
"""

_SCAFFOLD_README = """# {name}

A domain pack (docs/pack-format.md). Replace the example document, rules and cases with your
own; `assistant pack check {path}` says what is wrong, file and line. This README is not indexed:
record here where each document's facts come from.
"""


def new_pack(path: Path) -> list[Path]:
    """Create a pack folder with one example of each file; refuses a non-empty folder."""
    if path.exists() and any(path.iterdir()):
        raise PackError(f"{path}: folder exists and is not empty")
    files = {
        path / "example-guideline.md": _SCAFFOLD_DOCUMENT,
        path / DOMAIN_FILE: _SCAFFOLD_DOMAIN,
        path / RULES_FILE: _SCAFFOLD_RULES,
        path / "evals" / "cases.yaml": _SCAFFOLD_CASES,
        path / "README.md": _SCAFFOLD_README.format(name=path.name, path=path),
    }
    for file, text in files.items():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return list(files)
