"""One bad document never stops the others: a non-UTF-8 or oversized file is reported and
skipped by ingest, the rules' citation check, the corpus lookup and the answers; only a rules
file that cites it fails, naming it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from labtool.rules import RulesError
from typer.testing import CliRunner

from assistant.app.cli import app as cli_app
from assistant.config import Settings, get_settings
from assistant.index.build import run_ingest
from assistant.pipeline import Assistant
from assistant.sources.documents import DocumentError, load_document
from assistant.sources.lookup import CorpusLookup, load_pack_rules
from tests.integration.conftest import make_settings
from tests.reliability.conftest import record_figure
from tests.unit.chat.conftest import write_corpus

QUESTION = "What B12 level confirms deficiency?"
LABS = "B12 240 ng/L"
LATIN1_DOC = (
    b"---\nid: latin1-notes\ntitle: Notes saved in Latin-1\ntype: Guideline\npublisher: X\n"
    b"year: 2024\nreview_status: approved\nlast_reviewed: 2025-01-01\n---\n\n"
    b"## Caf\xe9 notes\n\nVitamin B12 caf\xe9 text.\n"
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path)


@pytest.mark.integration
def test_a_non_utf8_document_is_skipped_everywhere_and_the_rest_still_answers(
    corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (corpus / "latin1-notes.md").write_bytes(LATIN1_DOC)
    settings = make_settings(corpus, tmp_path / "data")

    with caplog.at_level(logging.WARNING):
        ruleset = load_pack_rules(settings.rules_path, settings.corpus_dir)
    assert "b12" in ruleset.analytes
    assert "latin1-notes.md" in caplog.text, "the skipped file is reported"
    lookup = CorpusLookup(corpus)
    assert {p.doc.doc_id for p in lookup.all_passages()} == {"nice-test", "sfar-test", "afp-test"}
    report = run_ingest(settings)
    byte = LATIN1_DOC.index(b"\xe9")
    assert report.failures == [f"corpus/latin1-notes.md: content: not UTF-8 text (byte {byte})"]
    assert report.documents == 3

    assistant = Assistant(settings)
    labs = assistant.ask(LABS)
    assert labs.labs is not None
    assert [f.analyte for f in labs.labs.findings] == ["b12"]
    answer = assistant.ask(QUESTION)
    assert not answer.refused
    assert "nice-test" in {c.doc_id for c in answer.citations}

    result = CliRunner().invoke(cli_app, ["labs", LABS, "--pack", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "cannot check citations" not in result.output
    record_figure("bad_document.non_utf8", {"refused_answers": 0, "skipped_files": 1})


def test_only_a_rules_file_citing_the_unreadable_document_fails_naming_it(
    corpus: Path,
) -> None:
    cited = corpus / "sfar-test.md"
    cited.write_bytes(cited.read_bytes().replace(b"critically", b"critic\xe9lly"))

    with pytest.raises(RulesError) as caught:
        load_pack_rules(corpus / "rules.yaml", corpus)

    message = str(caught.value)
    assert "b12-sfar-test" in message, "names the rule that cites it"
    assert "sfar-test.md" in message, "names the file"
    assert "not UTF-8" in message, "says what is wrong with it"
    assert "cannot check citations" not in message

    (corpus / "rules.yaml").write_text(
        (corpus / "rules.yaml").read_text().split("      - id: b12-sfar-test")[0]
    )
    assert "b12" in load_pack_rules(corpus / "rules.yaml", corpus).analytes  # cites it no more


def test_a_document_over_the_size_limit_is_refused_by_name(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = corpus / "big-notes.md"
    paragraph = "Vitamin B12 notes repeated to make a large file. " * 20
    big.write_text(
        "---\nid: big-notes\ntitle: Big notes\ntype: Guideline\npublisher: X\nyear: 2024\n"
        "review_status: approved\nlast_reviewed: 2025-01-01\n---\n\n## Notes\n\n"
        + "\n\n".join([paragraph] * 60),
        encoding="utf-8",
    )
    size = big.stat().st_size
    monkeypatch.setenv("ASSISTANT_MAX_DOCUMENT_BYTES", "20000")
    get_settings.cache_clear()
    settings = Settings(pack=corpus, data_dir=tmp_path / "data")

    assert settings.max_document_bytes == 20_000
    with pytest.raises(DocumentError, match="maximum document size") as caught:
        load_document(big, max_bytes=settings.max_document_bytes)
    assert str(caught.value).startswith(f"{big}: file: ")
    assert f"{size:,} bytes" in str(caught.value)
    assert "ASSISTANT_MAX_DOCUMENT_BYTES" in str(caught.value)

    assert load_pack_rules(corpus / "rules.yaml", corpus).analytes  # skipped, not fatal
    assert "big-notes" not in {p.doc.doc_id for p in CorpusLookup(corpus).all_passages()}


@pytest.mark.integration
def test_ingest_skips_a_document_over_the_size_limit(corpus: Path, tmp_path: Path) -> None:
    (corpus / "big-notes.md").write_text(
        "---\nid: big-notes\ntitle: Big notes\ntype: Guideline\npublisher: X\nyear: 2024\n"
        "review_status: approved\nlast_reviewed: 2025-01-01\n---\n\n## Notes\n\n"
        + "Vitamin B12 notes. "
        * 3000,
        encoding="utf-8",
    )
    settings = make_settings(corpus, tmp_path / "data", max_document_bytes=20_000)

    report = run_ingest(settings)

    (failure,) = report.failures
    assert failure.startswith("corpus/big-notes.md: file: ")
    assert "maximum document size" in failure
    assert report.documents == 3
