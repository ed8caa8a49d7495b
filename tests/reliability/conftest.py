"""Reliability fixtures: a real index of the real corpus, a served app, an outbound-connection
recorder, and the figures (fuzz examples, load, faults) printed at the end of the run.

Figures are also written to reports/reliability/figures.json (reports/ is not versioned).
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.app.ui import build_app, launch
from assistant.config import PROJECT_ROOT, ServeSettings, Settings
from assistant.index.build import run_ingest
from assistant.pipeline import Assistant
from assistant.sources.lookup import CorpusLookup
from tests.integration.conftest import make_settings
from tests.unit.chat.conftest import FakeSearcher

SEED_QUESTION = "What is the recommended vitamin B12 level for treating anemia?"
FIGURES: dict[str, Any] = {}
_figures_lock = threading.Lock()


def record_figure(key: str, value: Any) -> None:
    """Keep a figure for the end-of-run summary (fuzz examples, load, faults survived)."""
    with _figures_lock:
        FIGURES[key] = value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for key, value in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{key}: {json.dumps(value, sort_keys=True)}")
    out = PROJECT_ROOT / "reports" / "reliability" / "figures.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def offline_assistant(settings: Settings) -> Assistant:
    """The real pipeline, corpus and rules, with retrieval faked by word overlap (no model):
    fast enough for hundreds of fuzzed questions; the real index has its own tests."""
    lookup = CorpusLookup(settings.corpus_dir)
    passages = [p for key in sorted(lookup._index()) for p in lookup.section(*key)]
    return Assistant(settings, searcher=FakeSearcher(passages), lookup=lookup)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real corpus and rules, indexed once per session in a temporary folder."""
    corpus_dir = PROJECT_ROOT / "corpus" / "b12"
    settings = make_settings(corpus_dir, tmp_path_factory.mktemp("reliability-index"))
    report = run_ingest(settings)
    assert report.failures == [], report.failures
    assert report.chunks > 0
    return settings


@dataclass
class Served:
    url: str
    settings: Settings
    app: gr.Blocks


def serve_in_background(settings: Settings, **serve: object) -> Served:
    """The real app on a free port (127.0.0.1 unless `host` is given); close with app.close()."""
    serve_settings = ServeSettings.model_validate(
        {**settings.serve.model_dump(), "port": free_port(), **serve}
    )
    settings = settings.model_copy(update={"serve": serve_settings})
    app = build_app(settings)
    return Served(launch(app, settings, block=False), settings, app)


@dataclass
class OutboundConnections:
    """Every socket connection this process tried to open to a non-loopback address."""

    attempts: list[str] = field(default_factory=list)


def _is_loopback(address: object) -> bool:
    if isinstance(address, str):  # a Unix socket path
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already be traffic


@pytest.fixture
def outbound(monkeypatch: pytest.MonkeyPatch) -> OutboundConnections:
    """Record (and refuse) any connection leaving the machine while the test runs.

    pytest-socket refuses them too, but libraries may swallow that error; this recorder
    makes an attempt visible to the test however the caller handles it.
    """
    record = OutboundConnections()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(address: object) -> None:
        if not _is_loopback(address):
            record.attempts.append(repr(address))
            raise OSError(f"outbound connection to {address!r} refused by the test")

    def connect(self: socket.socket, address: Any) -> None:
        guard(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return record  # monkeypatch restores the socket methods after the test


def corpus_copy(destination: Path, extra: dict[str, str] | None = None) -> Path:
    """The real corpus (documents and rules) copied into `destination`, plus extra files."""
    destination.mkdir(parents=True, exist_ok=True)
    for source in (PROJECT_ROOT / "corpus" / "b12").iterdir():
        if source.is_file():
            (destination / source.name).write_bytes(source.read_bytes())
    for name, text in (extra or {}).items():
        (destination / name).write_text(text, encoding="utf-8")
    return destination
