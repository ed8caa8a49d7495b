"""Load during a rebuild: the real app (real pipeline, model and index) served on 127.0.0.1
while `assistant ingest --rebuild PATH` runs in another process and 8 gradio_client sessions ask
covered questions. Counts: 0 errors and 0 false refusals; afterwards the new document is cited
without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from assistant.config import PROJECT_ROOT, Settings
from assistant.index.build import run_ingest
from tests.integration.conftest import make_settings
from tests.reliability.conftest import (
    SEED_QUESTION,
    corpus_copy,
    record_figure,
    serve_in_background,
)

pytestmark = [
    pytest.mark.integration,
    # Gradio's queue calls pandas options that pandas 3 deprecates: noise, not our code.
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]

SESSIONS = 8
SECONDS_AFTER_SWITCH = 5.0
TIMEOUT = 600
COVERED = [
    SEED_QUESTION,
    "When is intramuscular rather than oral B12 replacement preferred?",
    "Which tests confirm deficiency when the B12 result is indeterminate?",
    "How long should vitamin B12 treatment continue?",
    "What B12 level confirms deficiency?",
]
NEW_DOC = """---
id: load-test-zinc
title: "Zinc protoporphyrin screening: load-test note"
type: Guideline
publisher: Load Test Laboratory
year: 2026
review_status: approved
last_reviewed: 2026-01-01
---

A made-up note, added while the app is serving, to see it cited after the rebuild.

## Zinc protoporphyrin screening

Zinc protoporphyrin above 80 umol/mol haem flags iron-restricted erythropoiesis in blood donors.
"""
NEW_QUESTION = "What zinc protoporphyrin level flags iron-restricted erythropoiesis in donors?"


@dataclass
class Tally:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    during_rebuild: int = 0


def ask_until(url: str, session: int, stop: threading.Event, rebuilding: threading.Event) -> Tally:
    tally = Tally()
    client = Client(url, verbose=False)
    n = session
    while not stop.is_set():
        question = COVERED[n % len(COVERED)]
        n += 1
        during = rebuilding.is_set()
        try:
            result: dict[str, Any] = client.predict(question, api_name="/ask")
        except Exception as exc:  # counted, and shown by the assertion
            tally.errors.append(f"{type(exc).__name__}: {exc}")
        else:
            if result["refused"]:
                tally.refusals.append(question)
        tally.requests += 1
        tally.during_rebuild += during
    return tally


def test_a_rebuild_in_another_process_while_serving_refuses_and_fails_nothing(
    tmp_path: Path,
) -> None:
    corpus = corpus_copy(tmp_path / "corpus")
    settings: Settings = make_settings(corpus, tmp_path / "data")
    assert run_ingest(settings).failures == []
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "load-test-zinc.md").write_text(NEW_DOC, encoding="utf-8")
    served = serve_in_background(settings)
    stop, rebuilding = threading.Event(), threading.Event()
    tallies = [Tally() for _ in range(SESSIONS)]
    try:
        client = Client(served.url, verbose=False)
        warm = client.predict(SEED_QUESTION, api_name="/ask")
        assert not warm["refused"]

        def worker(index: int) -> None:
            try:
                tallies[index] = ask_until(served.url, index, stop, rebuilding)
            except Exception as exc:
                tallies[index].errors.append(f"session {index}: {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(SESSIONS)]
        for thread in threads:
            thread.start()
        rebuilding.set()
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "assistant", "ingest", "--rebuild", str(extra)],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=TIMEOUT,
            env={
                **os.environ,
                "ASSISTANT_CORPUS_DIR": str(corpus),
                "ASSISTANT_RULES_PATH": str(corpus / "rules.yaml"),
                "ASSISTANT_DATA_DIR": str(settings.data_dir),
            },
        )  # fmt: skip
        rebuild_seconds = time.monotonic() - began
        rebuilding.clear()
        time.sleep(SECONDS_AFTER_SWITCH)  # keep asking across the switch
        stop.set()
        for thread in threads:
            thread.join(TIMEOUT)
        assert done.returncode == 0, done.stderr[-3000:]

        try:
            after: dict[str, Any] = client.predict(NEW_QUESTION, api_name="/ask")
        except Exception as exc:  # counted, and shown by the assertion
            after = {"citations": [], "error": f"{type(exc).__name__}: {exc}"}
    finally:
        stop.set()
        served.app.close()

    cited = {citation["doc_id"] for citation in after["citations"]}
    errors = [error for tally in tallies for error in tally.errors]
    refusals = [question for tally in tallies for question in tally.refusals]
    record_figure(
        "load.rebuild_while_serving",
        {
            "sessions": SESSIONS,
            "requests": sum(t.requests for t in tallies),
            "requests_during_rebuild": sum(t.during_rebuild for t in tallies),
            "errors": len(errors),
            "false_refusals": len(refusals),
            "rebuild_seconds": round(rebuild_seconds, 1),
            "new_document_cited_without_restart": "load-test-zinc" in cited,
            "error_after_rebuild": after.get("error"),
        },
    )
    assert errors == []
    assert "error" not in after, after["error"]
    assert refusals == []
    assert sum(t.during_rebuild for t in tallies) >= SESSIONS, "questions asked during it"
    assert "load-test-zinc" in cited
