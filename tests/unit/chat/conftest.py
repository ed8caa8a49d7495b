"""Offline fakes for the chat core's unit tests: a tiny real corpus and rules file in tmp, and a
lexical fake searcher over it. The end-to-end tests use the real index and model instead."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.domain.pack import load_domain
from assistant.sources.lookup import CorpusLookup
from assistant.text.tokens import Vocabulary
from tests.fakes.searchers import FakeSearcher

B12_DOMAIN = PROJECT_ROOT / "corpus" / "b12" / "domain.yaml"

_FRONT = """\
---
id: {doc_id}
title: "{title}"
type: {kind}
publisher: {publisher}
year: {year}
review_status: {status}
last_reviewed: 2026-01-01
---

{summary}
"""

DOCS = {
    "nice-test": (
        ("Vitamin B12 deficiency: test guideline", "Guideline", "Test Institute", 2024, "approved"),
        {
            "Total B12 thresholds": (
                "Deficiency is confirmed below 180 ng/L (133 pmol/L). The result is "
                "indeterminate from 180 ng/L to 350 ng/L (133 pmol/L to 258 pmol/L). "
                "Deficiency is unlikely above 350 ng/L (258 pmol/L)."
            ),
            "Methylmalonic acid after an indeterminate result": (
                "Consider a methylmalonic acid test when the total B12 result is indeterminate "
                "and symptoms are present. A raised MMA supports functional B12 deficiency."
            ),
            "Oral treatment dose": (
                "Oral vitamin B12 at a dose of at least 1 mg daily is recommended when "
                "malabsorption is the cause of the deficiency. Intramuscular hydroxocobalamin is "
                "preferred for people with severe neurological symptoms."
            ),
            "Review after starting treatment": (
                "Review the person about 3 months after starting B12 treatment, or after 1 month "
                "in pregnancy. Treatment may need to continue lifelong when the cause persists."
            ),
        },
    ),
    "sfar-test": (
        (
            "Anaemia in intensive care: test recommendations",
            "Guideline",
            "Test Society",
            2019,
            "under_review",
        ),
        {
            "Intensive care B12 cut-off": (
                "Serum vitamin B12 below 150 pmol/L (203 ng/L) indicates deficiency in critically "
                "ill adults. A higher B12 value does not exclude deficiency."
            ),
        },
    ),
    "afp-test": (
        (
            "Vitamin B12 deficiency: recognition and management",
            "Research",
            "A Journal",
            2017,
            "approved",
        ),
        {
            "Coexisting iron and folate deficiency": (
                "Vitamin B12 deficiency anaemia can coexist with iron deficiency and folate "
                "deficiency, so ferritin and folate deserve the same attention."
            ),
        },
    ),
}

RULES = """\
version: 2
analytes:
  b12:
    name: Vitamin B12
    aliases: [B12, vitamin B12]
    canonical_unit: ng/L
    units: {ng/L: 1, pg/mL: 1, pmol/L: 1.35537}
    plausible: {above: 0, at_most: 100000}
    near_threshold: {relative: 0.10}
    categories:
      - {id: deficient, label: "B12 deficiency confirmed"}
      - {id: indeterminate, label: "Indeterminate"}
      - {id: unlikely, label: "B12 deficiency unlikely"}
    rules:
      - id: b12-nice-test
        role: primary
        scales:
          ng/L:
            - category: deficient
              less_than: 180
              source: &nice {doc_id: nice-test, section: "Total B12 thresholds"}
            - {category: indeterminate, between_inclusive: [180, 350], source: *nice}
            - {category: unlikely, more_than: 350, source: *nice}
      - id: b12-sfar-test
        role: comparison
        scales:
          pmol/L:
            - category: deficient
              less_than: 150
              source: &sfar {doc_id: sfar-test, section: "Intensive care B12 cut-off"}
            - {category: [indeterminate, unlikely], at_least: 150, source: *sfar}
"""


def write_corpus(folder: Path) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir()
    for doc_id, ((title, kind, publisher, year, status), sections) in DOCS.items():
        text = _FRONT.format(
            doc_id=doc_id,
            title=title,
            kind=kind,
            publisher=publisher,
            year=year,
            status=status,
            summary=f"Summary of {title}.",
        )
        for heading, body in sections.items():
            text += f"\n## {heading}\n\n{textwrap.fill(body, 100)}\n"
        (corpus / f"{doc_id}.md").write_text(text, encoding="utf-8")
    (corpus / "rules.yaml").write_text(RULES, encoding="utf-8")
    # The B12 pack's domain file: these tests exercise the B12 vocabulary and sections.
    shutil.copy(B12_DOMAIN, corpus / "domain.yaml")
    return corpus


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return write_corpus(tmp_path)


@pytest.fixture
def settings(corpus_dir: Path, tmp_path: Path) -> Settings:
    return Settings(pack=corpus_dir, data_dir=tmp_path / "data")


@pytest.fixture
def lookup(corpus_dir: Path) -> CorpusLookup:
    return CorpusLookup(corpus_dir)


@pytest.fixture
def searcher(lookup: CorpusLookup, corpus_dir: Path) -> FakeSearcher:
    passages = [p for key in sorted(lookup._index()) for p in lookup.section(*key)]
    domain = load_domain(corpus_dir)
    assert domain is not None
    words = Vocabulary(domain.spellings, domain.abbreviations, domain.lay_phrases)
    return FakeSearcher(passages, words)
