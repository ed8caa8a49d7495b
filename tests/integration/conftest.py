"""Integration fixtures: a real index of the real corpus, and small synthetic corpora.

Everything here uses the bundled embedding model and an embedded Chroma store in a temporary
folder. Settings are built explicitly, so the per-test ASSISTANT_DATA_DIR of tests/conftest.py
does not move the session index.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.index.build import run_ingest

SMALL_DOCS = {
    "nice-test.md": """---
id: nice-test
title: "Test guideline on vitamin B12"
type: Guideline
publisher: Test Institute
year: 2024
review_status: approved
last_reviewed: 2025-01-01
---

A short test guideline.

## Total B12 thresholds

Deficiency is confirmed below 180 ng/L; 180 ng/L to 350 ng/L is indeterminate.

## Oral treatment

Oral cyanocobalamin 1 mg daily is as effective as intramuscular injections.
""",
    "mma-test.md": """---
id: mma-test
title: "Test review of methylmalonic acid"
type: Research
publisher: Test Journal
year: 2020
review_status: under_review
last_reviewed: 2025-01-01
---

## Methylmalonic acid cut-off

A methylmalonic acid above 271 nmol/L suggests functional vitamin B12 deficiency.

## Renal function

Renal insufficiency raises methylmalonic acid without B12 deficiency.
""",
    "hb-test.md": """---
id: hb-test
title: "Test haemoglobin cut-offs"
type: Guideline
publisher: Test Organisation
year: 2024
review_status: approved
last_reviewed: 2025-01-01
---

## Adults

Anaemia is a haemoglobin below 120 g/L in non-pregnant women and below 130 g/L in men.
""",
}


# The small corpus's domain file: its shorthand (the code knows none).
SMALL_DOCS["domain.yaml"] = "abbreviations:\n  mma: [methylmalonic, acid]\n"


def make_settings(corpus_dir: Path, data_dir: Path, **updates: object) -> Settings:
    """Settings independent of the ASSISTANT_* environment of the test."""
    fields: dict[str, object] = {
        "corpus_dir": corpus_dir,
        "rules_path": corpus_dir / "rules.yaml",
        "data_dir": data_dir,
        "chroma_url": None,
        "audit_log": None,
    }
    return Settings(**{**fields, **updates})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose data folder holds an index of the real corpus (built once per session)."""
    corpus_dir = PROJECT_ROOT / "corpus" / "b12"
    settings = make_settings(corpus_dir, tmp_path_factory.mktemp("indexed-data"))
    settings = settings.model_copy(update={"rules_path": corpus_dir / "rules.yaml"})
    report = run_ingest(settings)
    assert report.failures == [], report.failures
    assert report.chunks > 0
    return settings


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """A three-document corpus in a temporary folder (tests change and break it freely)."""
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    for name, text in SMALL_DOCS.items():
        (corpus_dir / name).write_text(text, encoding="utf-8")
    return corpus_dir


@pytest.fixture
def small_settings(small_corpus: Path, tmp_path: Path) -> Settings:
    return make_settings(small_corpus, tmp_path / "data")
