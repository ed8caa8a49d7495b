"""Faults: an ingest killed with SIGKILL, broken rules files, a missing index and an
unreachable Chroma server. Each must end in a consistent state or a clear message, never in
a traceback or an app running on partial data."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import chromadb
import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.app import ui
from assistant.app.cli import app as cli_app
from assistant.config import PROJECT_ROOT, Settings, get_settings
from assistant.index.build import run_ingest
from assistant.index.store import STORE_SUBDIR, open_store
from assistant.pipeline import Assistant, AssistantError
from assistant.retrieval.hybrid import get_searcher
from assistant.sources.documents import chunk_document, index_text, load_document
from tests.integration.conftest import make_settings
from tests.reliability.conftest import corpus_copy, free_port, record_figure
from tests.unit.chat.conftest import write_corpus

pytestmark = pytest.mark.integration

QUESTION = "What B12 level confirms deficiency?"
STARTUP_SECONDS = 120
FIRST_BATCH_STORED = "@@first-batch-stored@@"
SMALL_BATCH = 32
# `assistant ingest` exactly, in batches small enough that the run has many, with one hook: once
# the first batch is stored the process says so on stdout and then waits for stdin, which the
# test never writes. The test kills it on that signal, so the kill lands between two batches
# by construction, not by timing.
BLOCKING_INGEST = f"""
import sys
import assistant.index.embeddings as embeddings
import assistant.index.store as store
assert embeddings.BATCH_SIZE > 0
embeddings.BATCH_SIZE = {SMALL_BATCH}
stored_batch = store.ChunkStore.upsert
def upsert_then_wait(self, *args, **kwargs):
    stored_batch(self, *args, **kwargs)
    print("{FIRST_BATCH_STORED}", flush=True)
    sys.stdin.read()  # blocks until the test kills this process
store.ChunkStore.upsert = upsert_then_wait
from assistant.app.cli import main
sys.argv[0] = "assistant"
main()
"""


def synthetic_documents(count: int, sections: int) -> dict[str, str]:
    """Made-up documents (clearly marked as such) to make an ingest long enough to kill."""
    docs = {}
    for n in range(count):
        body = "\n".join(
            f"\n## Synthetic section {s}\n\nSynthetic fault-test text {n}.{s}: a paragraph about "
            f"ferritin, folate and vitamin B12 testing order number {n * 100 + s}, written only "
            "to give the embedding model work to do.\n"
            for s in range(sections)
        )
        docs[f"synthetic-{n:02d}.md"] = (
            f'---\nid: synthetic-{n:02d}\ntitle: "Synthetic fault-test document {n}"\n'
            "type: Research\npublisher: Fault test\nyear: 2026\nreview_status: submitted\n"
            f"last_reviewed: 2026-01-01\n---\n\nSynthetic document {n}.\n{body}"
        )
    return docs


def expected_chunks(corpus_dir: Path) -> dict[str, tuple[str, str]]:
    """chunk id -> (doc id, text) of every guideline document, from the chunker alone."""
    expected: dict[str, tuple[str, str]] = {}
    for path in sorted(corpus_dir.glob("*.md")):
        if path.name.lower() == "readme.md":  # notes for people, not a guideline document
            continue
        document = load_document(path, display_path=path.name, require_front_matter=True)
        for chunk in chunk_document(document):
            expected[chunk.chunk_id] = (document.meta.doc_id, chunk.text)
    return expected


def kill_ingest_after_first_batch(env: dict[str, str]) -> None:
    """Run `assistant ingest`, and SIGKILL it when it reports its first batch stored (it waits
    for that kill: see BLOCKING_INGEST)."""
    marker = FIRST_BATCH_STORED.encode()
    process = subprocess.Popen(
        [sys.executable, "-c", BLOCKING_INGEST, "ingest"],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    output = b""
    try:
        while marker not in output:
            # The timeout only ends a run that never signals (a hang); it decides nothing.
            ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
            data = os.read(process.stdout.fileno(), 4096) if ready else b""
            if not data:
                break  # the process ended (or hung) without storing a batch
            output += data
        if marker in output:
            assert process.poll() is None, "it waits to be killed after its first batch"
            process.send_signal(signal.SIGKILL)
    finally:
        if process.poll() is None and marker not in output:
            process.kill()  # no signal came: do not leave it running
        process.wait(timeout=60)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
    shown = output.decode(errors="replace")[-2000:]
    assert marker in output, f"no batch stored: {shown}"
    assert process.returncode == -signal.SIGKILL, f"not killed (exit {process.returncode}): {shown}"


def test_ingest_killed_mid_run_and_run_again_leaves_exactly_the_expected_chunks(
    tmp_path: Path,
) -> None:
    corpus = corpus_copy(tmp_path / "corpus", synthetic_documents(count=12, sections=4))
    settings = make_settings(corpus, tmp_path / "data")
    expected = expected_chunks(corpus)
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_RULES_PATH": str(corpus / "rules.yaml"),
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
    }

    kill_ingest_after_first_batch(env)

    interrupted = open_store(settings)
    stored_before = interrupted.count()
    assert stored_before == SMALL_BATCH < len(expected), "killed after exactly one batch"
    assert interrupted.manifest().corpus_hash == "", "a killed run must not look complete"

    report = run_ingest(settings)  # what `assistant ingest` runs, again

    assert report.failures == []
    assert report.unchanged == stored_before, "chunks stored before the kill are kept"
    assert report.embedded == len(expected) - stored_before, "only the missing ones embedded"
    store = open_store(settings)
    stored = store.all_chunks()
    ids = [chunk.chunk_id for chunk in stored]
    assert len(ids) == len(set(ids)) == store.count() == len(expected), "no duplicates"
    assert set(ids) == set(expected), "none missing, none extra"
    for chunk in stored:
        assert (chunk.metadata["doc_id"], chunk.text) == expected[chunk.chunk_id]
    assert store.manifest().corpus_hash, "the completed run is marked complete"
    assert_vectors_match_their_text(settings)
    record_figure(
        "faults.sigkill_ingest",
        {"expected_chunks": len(expected), "stored_when_killed": stored_before, "survived": True},
    )


def assert_vectors_match_their_text(settings: Settings) -> None:
    """Every vector finite and unit length, and each guideline chunk (a sample spread over the
    whole run, before and after the kill) is the nearest neighbour of its own text: no vector
    was lost, garbled or stored under another chunk's id."""
    client = chromadb.PersistentClient(path=str(settings.data_dir / STORE_SUBDIR))
    page = client.get_collection(settings.collection).get(include=["embeddings"])
    vectors = np.asarray(page["embeddings"], dtype=float)
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    searcher = get_searcher(settings)
    guideline = [p for p in searcher.indexed_passages() if not p.doc.doc_id.startswith("synth")]
    for passage in guideline[::8]:
        query = index_text(passage.doc.title, passage.section, passage.text)
        (top,) = searcher.dense_search(query, k=1)
        assert top.chunk_id == passage.chunk_id, (passage.doc.doc_id, passage.section)


BROKEN_RULES: dict[str, tuple[str | bytes | None, str]] = {
    "malformed-yaml": ("version: 2\nanalytes:\n  b12: [\n", "malformed YAML"),
    "not-utf8": (b"\xff\xfe\x00\x01 rules", "cannot read rules file"),
    "empty-file": ("", "must be a mapping"),
    "no-analytes": ("version: 2\nanalytes: {}\n", "analytes"),
    "missing-file": (None, "No such file"),
    "a-directory": ("<dir>", "Is a directory"),
}


def write_broken_rules(folder: Path, case: str) -> Path:
    content, _ = BROKEN_RULES[case]
    path = folder / "rules.yaml"
    if content == "<dir>":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(BROKEN_RULES))
def test_a_broken_rules_file_stops_start_up_with_a_clear_message(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = write_broken_rules(tmp_path, case)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_RULES_PATH", str(rules))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ASSISTANT_SERVE__PORT", str(free_port()))
    get_settings.cache_clear()
    launched: list[object] = []
    monkeypatch.setattr(ui, "launch", lambda *args, **kwargs: launched.append(args))

    result = CliRunner().invoke(cli_app, ["serve"])

    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {rules}"), result.output
    assert BROKEN_RULES[case][1] in result.output
    assert "Traceback" not in result.output
    assert launched == [], "the app must not start without its rules"
    assert not (data_dir / STORE_SUBDIR).exists(), "the rules are checked before any indexing"


@pytest.mark.parametrize("case", ["malformed-yaml", "missing-file"])
def test_a_broken_rules_file_refuses_every_answer_rather_than_answer_without_rules(
    case: str, tmp_path: Path
) -> None:
    rules = write_broken_rules(tmp_path, case)
    settings = make_settings(PROJECT_ROOT / "corpus" / "b12", tmp_path / "data", rules_path=rules)

    with pytest.raises(AssistantError, match=re.escape(str(rules))):
        Assistant(settings).ask("B12 240 ng/L")
    with pytest.raises(AssistantError, match=re.escape(str(rules))):
        Assistant(settings).ask(QUESTION)  # a question without lab values too


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Four short documents and a rules file citing them (the chat unit tests' corpus)."""
    return write_corpus(tmp_path)


def test_a_missing_index_is_rebuilt_on_the_first_question(
    small_corpus: Path, tmp_path: Path
) -> None:
    settings = make_settings(small_corpus, tmp_path / "never-indexed")
    assert not settings.data_dir.exists()

    result = Assistant(settings).ask(QUESTION)

    assert not result.refused
    assert "nice-test" in {c.doc_id for c in result.citations}
    assert open_store(settings).count() == len(expected_chunks(small_corpus))


def test_a_deleted_index_is_rebuilt_when_the_assistant_starts_again(
    small_corpus: Path, tmp_path: Path
) -> None:
    settings = make_settings(small_corpus, tmp_path / "data")
    run_ingest(settings)
    index = settings.data_dir / STORE_SUBDIR
    assert index.is_dir()
    subprocess.run(["rm", "-rf", str(index)], check=True)
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(small_corpus),
        "ASSISTANT_RULES_PATH": str(small_corpus / "rules.yaml"),
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
    }

    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--json", QUESTION],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=STARTUP_SECONDS,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert '"doc_id": "nice-test"' in done.stdout
    assert index.is_dir()
    assert open_store(settings).count() == len(expected_chunks(small_corpus))
    record_figure("faults.missing_index", {"rebuilt": True})


@contextmanager
def chroma_server(path: Path, port: int) -> Iterator[str]:
    """`chroma run` on 127.0.0.1:port until the block ends (SIGTERM, then SIGKILL)."""
    url = f"http://127.0.0.1:{port}"
    log = (path.parent / f"chroma-{port}-{time.monotonic_ns()}.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(path),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not start on {url} (see {log.name})")
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.parametrize("command", [["ask", QUESTION], ["serve"], ["ingest"]])
def test_an_unreachable_chroma_server_is_a_clear_error(
    command: list[str], small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", url)
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("ASSISTANT_RULES_PATH", str(small_corpus / "rules.yaml"))
    get_settings.cache_clear()
    launched: list[object] = []
    monkeypatch.setattr(ui, "launch", lambda *args, **kwargs: launched.append(args))

    result = CliRunner().invoke(cli_app, command)

    assert result.exit_code == 2, result.output
    assert f"error: cannot reach the Chroma server at {url}" in result.output
    assert "Traceback" not in result.output
    assert launched == []


def test_a_chroma_server_that_goes_away_is_a_clear_error_and_is_found_again(
    small_corpus: Path, tmp_path: Path
) -> None:
    port = free_port()
    server_data = tmp_path / "server-data"
    with chroma_server(server_data, port) as url:
        settings = make_settings(small_corpus, tmp_path / "data", chroma_url=url)
        assistant = Assistant(settings)
        before = assistant.ask(QUESTION)
        assert not before.refused

    with pytest.raises(AssistantError, match=f"Chroma .*{re.escape(url)}"):
        assistant.ask(QUESTION)

    with chroma_server(server_data, port):
        assert assistant.ask(QUESTION).answer == before.answer
    record_figure("faults.chroma_server_lost", {"clear_error": True, "recovered": True})
