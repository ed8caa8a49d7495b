"""Ingestion and search against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index.build import IngestError, run_ingest
from assistant.retrieval.hybrid import get_searcher
from tests.integration.conftest import make_settings

pytestmark = pytest.mark.integration

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_heartbeat(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chroma run exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no heartbeat from {url} within {STARTUP_SECONDS} s")


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).parent / "chroma"
    log = (tmp_path / "chroma.log").open("wb")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server-data"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )  # fmt: skip
    try:
        wait_for_heartbeat(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_ingest_and_search_through_a_chroma_server(
    small_corpus: Path, tmp_path: Path, chroma_url: str
) -> None:
    settings: Settings = make_settings(small_corpus, tmp_path / "data", chroma_url=chroma_url)

    first = run_ingest(settings)
    again = run_ingest(settings)

    assert (first.documents, first.chunks, first.embedded) == (3, 6, 6)
    assert (again.embedded, again.unchanged, again.chunks) == (0, 6, 6)
    assert not (tmp_path / "data" / "chroma").exists()  # nothing stored locally
    passages = get_searcher(settings).search("methylmalonic acid cut-off", k=2)
    assert passages[0].doc.doc_id == "mma-test"
    assert passages[0].dense_similarity is not None

    (small_corpus / "hb-test.md").unlink()
    assert run_ingest(settings).removed == 1


def test_unreachable_server_is_a_clear_error(small_corpus: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = make_settings(small_corpus, tmp_path / "data", chroma_url=url)

    with pytest.raises(IngestError, match=f"cannot reach the Chroma server at {url}"):
        run_ingest(settings)
