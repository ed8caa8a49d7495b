"""Index changes while serving: a rebuild writes a new index version beside the live one and
switches when complete; searchers (this process or another) pick the new version up on their
next question; an interrupted rebuild remembers every source it was given; a Chroma server lost
during an ingest is a clear message; a question never waits silently for an ingest."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.app.cli import app as cli_app
from assistant.config import PROJECT_ROOT, Settings, get_settings
from assistant.index import embeddings as embeddings_module
from assistant.index.build import run_ingest
from assistant.index.store import ChunkStore, open_store
from assistant.pipeline import Assistant
from assistant.retrieval.hybrid import get_searcher
from tests.integration.conftest import make_settings
from tests.reliability.conftest import free_port, record_figure
from tests.unit.chat.conftest import write_corpus

pytestmark = pytest.mark.integration

QUESTION = "What B12 level confirms deficiency?"
SEARCH = "B12 level that confirms deficiency"
TIMEOUT = 120
NEW_DOC = """---
id: zinc-test
title: "Zinc protoporphyrin screening: test note"
type: Guideline
publisher: Test Laboratory
year: 2026
review_status: approved
last_reviewed: 2026-01-01
---

A test note added while the assistant is running.

## Zinc protoporphyrin screening

Zinc protoporphyrin above 80 umol/mol haem flags iron-restricted erythropoiesis in blood donors.
"""
NEW_QUERY = "zinc protoporphyrin screening of blood donors"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three short documents and a rules file citing them."""
    return write_corpus(tmp_path)


@pytest.fixture
def settings(corpus: Path, tmp_path: Path) -> Settings:
    settings = make_settings(corpus, tmp_path / "data")
    run_ingest(settings)
    return settings


def env_for(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_RULES_PATH": str(settings.rules_path),
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
    }


def new_document(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zinc-test.md").write_text(NEW_DOC, encoding="utf-8")
    return folder


class PausedIngest:
    """An ingest in a thread, held just before it embeds anything."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paused = threading.Event()
        self.resume = threading.Event()
        self.errors: list[BaseException] = []
        real = embeddings_module.embed_documents

        def pausing(embeddings, texts, **kwargs):  # type: ignore[no-untyped-def]
            self.paused.set()
            assert self.resume.wait(TIMEOUT)
            return real(embeddings, texts, **kwargs)

        monkeypatch.setattr(embeddings_module, "embed_documents", pausing)

    def start(self, settings: Settings, **kwargs: object) -> threading.Thread:
        def run() -> None:
            try:
                run_ingest(settings, **kwargs)  # type: ignore[arg-type]
            except BaseException as exc:
                self.errors.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert self.paused.wait(TIMEOUT), "the ingest never reached the embedding step"
        return thread


def test_a_rebuild_keeps_answering_from_the_live_index_until_it_switches(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = get_searcher(settings)
    before = [p.chunk_id for p in searcher.search(SEARCH)]
    assert before
    ingest = PausedIngest(monkeypatch)
    thread = ingest.start(settings, rebuild=True)

    during = [p.chunk_id for p in searcher.search(SEARCH)]  # the rebuild is half done
    answers: list[object] = []
    asker = threading.Thread(
        target=lambda: answers.append(Assistant(settings).ask(QUESTION)), daemon=True
    )
    asker.start()  # a new assistant starting while the rebuild runs: it must not wait for it
    asker.join(TIMEOUT / 2)
    waited = asker.is_alive()
    ingest.resume.set()
    thread.join(TIMEOUT)
    asker.join(TIMEOUT)

    assert ingest.errors == []
    assert during == before, "the live index kept serving during the rebuild"
    assert not waited, "a question waited for the rebuild instead of using the live index"
    (answer,) = answers
    assert not answer.refused  # type: ignore[attr-defined]
    assert [p.chunk_id for p in searcher.search(SEARCH)] == before  # same text, same chunks
    from assistant.index.versions import index_versions

    assert len(index_versions(settings)) <= 2, "superseded versions do not pile up"


def test_an_ingest_by_another_process_is_seen_on_the_next_question(
    settings: Settings, tmp_path: Path
) -> None:
    searcher = get_searcher(settings)
    assert all(p.doc.doc_id != "zinc-test" for p in searcher.search(NEW_QUERY, k=5))
    extra = new_document(tmp_path / "extra")

    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(extra)],
        cwd=PROJECT_ROOT, env=env_for(settings), capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    (dense,) = searcher.dense_search(NEW_QUERY, k=1)  # the vectors, not only the BM25 copy
    assert dense.doc.doc_id == "zinc-test"
    assert searcher.search(NEW_QUERY, k=1)[0].doc.doc_id == "zinc-test"


def test_superseded_versions_are_deleted_once_no_searcher_uses_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.index import versions

    monkeypatch.setattr(versions, "RETIRED_GRACE_SECONDS", 0.0)  # no question in flight elsewhere
    searcher = get_searcher(settings)
    first = versions.index_versions(settings)
    assert searcher.search(SEARCH)  # this searcher holds the first version

    run_ingest(settings, rebuild=True)
    run_ingest(settings, rebuild=True)
    held = versions.index_versions(settings)
    assert set(first) <= set(held), "a version a searcher still holds is kept"
    assert searcher.search(SEARCH)  # the searcher moves to the live version, releasing the old
    run_ingest(settings)  # the next ingest deletes what nobody uses

    (live,) = versions.index_versions(settings)
    assert live == open_store(settings).name
    assert searcher.search(SEARCH)


def test_a_rebuild_on_a_chroma_server_switches_when_complete(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    server = start_chroma(tmp_path / "server-data", port)
    try:
        settings = make_settings(corpus, tmp_path / "data", chroma_url=f"http://127.0.0.1:{port}")
        run_ingest(settings)
        searcher = get_searcher(settings)
        before = [p.chunk_id for p in searcher.search(SEARCH)]
        assert before
        extra = new_document(tmp_path / "extra")
        ingest = PausedIngest(monkeypatch)
        thread = ingest.start(settings, extra_paths=[extra], rebuild=True)
        during = [p.chunk_id for p in searcher.search(SEARCH)]
        ingest.resume.set()
        thread.join(TIMEOUT)

        assert ingest.errors == []
        assert during == before, "the live version answered during the rebuild"
        assert searcher.search(NEW_QUERY, k=1)[0].doc.doc_id == "zinc-test"
        assert not (tmp_path / "data" / "chroma").exists(), "nothing stored locally"
    finally:
        stop(server)


def interrupt_on_second_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings_module, "BATCH_SIZE", 2)
    real_upsert = ChunkStore.upsert
    calls = {"n": 0}

    def crash_on_second_batch(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process dies midway
        return real_upsert(self, *args, **kwargs)

    monkeypatch.setattr(ChunkStore, "upsert", crash_on_second_batch)


@pytest.mark.parametrize("finisher", ["ingest", "start-up"])
def test_an_interrupted_rebuild_remembers_every_source_it_was_given(
    finisher: str, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = new_document(tmp_path / "extra")
    with monkeypatch.context() as patched:
        interrupt_on_second_batch(patched)
        with pytest.raises(KeyboardInterrupt):
            run_ingest(settings, extra_paths=[extra], rebuild=True)

    if finisher == "ingest":
        run_ingest(settings)  # a plain `assistant ingest`
        doc_ids = {c.metadata["doc_id"] for c in open_store(settings).all_chunks()}
        assert "zinc-test" in doc_ids
    else:
        result = Assistant(settings).ask("Zinc protoporphyrin screening in blood donors?")
        assert "zinc-test" in {c.doc_id for c in result.citations}
    store = open_store(settings)
    ids = [c.chunk_id for c in store.all_chunks()]
    assert len(ids) == len(set(ids)), "no duplicates"
    assert store.manifest().corpus_hash, "complete"
    assert str(extra.resolve()) in store.manifest().extra_sources, "still remembered"


HOLD_LOCK = """
import fcntl, sys, time
handle = open(sys.argv[1], "w")
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextmanager
def ingest_lock_held_elsewhere(settings: Settings, seconds: float) -> Iterator[None]:
    """Another process holds the ingest lock (as a long `assistant ingest` does)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(settings.data_dir / ".ingest.lock"), str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()


def test_a_question_is_answered_from_the_live_index_while_another_process_ingests(
    settings: Settings, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (corpus / "zinc-test.md").write_text(NEW_DOC, encoding="utf-8")  # the index is now stale
    answers: list[object] = []
    with ingest_lock_held_elsewhere(settings, seconds=TIMEOUT):
        asker = threading.Thread(
            target=lambda: answers.append(Assistant(settings).ask(QUESTION)), daemon=True
        )
        with caplog.at_level(logging.INFO):
            asker.start()
            asker.join(TIMEOUT / 2)
        waited = asker.is_alive()
    asker.join(TIMEOUT)

    assert not waited, "the question waited for the other process's ingest"
    (answer,) = answers
    assert not answer.refused  # type: ignore[attr-defined]
    assert "ingest is running" in caplog.text, "the log says why the index may be behind"


def test_ask_says_when_it_has_to_wait_for_an_ingest(corpus: Path, tmp_path: Path) -> None:
    settings = make_settings(corpus, tmp_path / "no-index-yet")  # nothing to answer from
    with ingest_lock_held_elsewhere(settings, seconds=TIMEOUT):
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "ask", QUESTION],
            cwd=PROJECT_ROOT, env=env_for(settings), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stderr is not None
        said = ""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and "waiting" not in said:
            line = process.stderr.readline()
            if not line:
                break
            said += line
    # The lock is released: the question is answered.
    stdout, stderr = process.communicate(timeout=TIMEOUT)
    assert "waiting for the ingest" in said, said + stderr
    assert process.returncode == 0, said + stderr
    assert "[1]" in stdout


def test_a_chroma_server_lost_during_an_ingest_is_a_clear_error(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_chroma(tmp_path / "server-data", port)
    try:
        real = embeddings_module.embed_documents

        def server_lost(embeddings, texts, **kwargs):  # type: ignore[no-untyped-def]
            stop(server)  # the server goes away after the ingest has started
            return real(embeddings, texts, **kwargs)

        monkeypatch.setattr(embeddings_module, "embed_documents", server_lost)
        monkeypatch.setenv("ASSISTANT_CHROMA_URL", url)
        monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(corpus))
        monkeypatch.setenv("ASSISTANT_RULES_PATH", str(corpus / "rules.yaml"))
        get_settings.cache_clear()

        result = CliRunner().invoke(cli_app, ["ingest"])
    finally:
        stop(server)

    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: "), result.output
    assert "Chroma" in result.output, result.output
    assert url in result.output, result.output
    assert "Traceback" not in result.output
    record_figure("faults.chroma_lost_during_ingest", {"clear_error": True})


def start_chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    url = f"http://127.0.0.1:{port}"
    log = (path.parent / f"chroma-{port}.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(path),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )  # fmt: skip
    log.close()
    deadline = time.monotonic() + TIMEOUT
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"chroma run did not start on {url}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
