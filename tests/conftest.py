"""Suite-wide test isolation: offline, and no test touches the real data folder.

Tests that only check corpus, rules or case data carry the `data` marker; the summary at the end
of the run counts them apart from the tests of the code (issue 16).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import assistant.offline  # noqa: F401  (offline variables before any heavy import)
from assistant.config import get_settings
from assistant.domain.language import DomainLanguage


@pytest.fixture(autouse=True)
def _isolated_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point every ASSISTANT_ path at a private temporary folder for each test."""
    data_dir = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
    monkeypatch.delenv("ASSISTANT_CHROMA_URL", raising=False)
    monkeypatch.delenv("ASSISTANT_AUDIT_LOG", raising=False)
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def b12_language() -> DomainLanguage:
    """The B12 pack's compiled domain (its domain file and the test names of its rules)."""
    from assistant.config import PROJECT_ROOT, Settings
    from assistant.resources import Resources

    return Resources(Settings(pack=PROJECT_ROOT / "corpus" / "b12")).language()


# Data-lint modules whose files do not (yet) set `pytestmark = pytest.mark.data` themselves.
DATA_MODULES = (
    "tests/unit/chat/test_corpus_sentences.py",
    "tests/unit/labtool/test_corpus_contract.py",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "data: checks only corpus, rules or case data (counted apart in the summary)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.split("::", 1)[0] in DATA_MODULES:
            item.add_marker(pytest.mark.data)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many of the tests run check only data, and how many check the code."""
    outcomes: dict[bool, dict[str, int]] = {True: {}, False: {}}
    for outcome in ("passed", "failed", "error", "skipped", "xfailed", "xpassed"):
        for report in terminalreporter.stats.get(outcome, []):
            keywords = getattr(report, "keywords", {})
            if getattr(report, "when", "call") != "call" and outcome not in ("error", "skipped"):
                continue
            counts = outcomes["data" in keywords]
            counts[outcome] = counts.get(outcome, 0) + 1
    if not any(outcomes[True].values()) and not any(outcomes[False].values()):
        return

    def describe(counts: dict[str, int]) -> str:
        total = sum(counts.values())
        detail = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        return f"{total} ({detail or 'none run'})"

    terminalreporter.section("tests by kind")
    terminalreporter.write_line(f"code tests: {describe(outcomes[False])}")
    terminalreporter.write_line(
        f"data-lint tests (corpus, rules and case data only): {describe(outcomes[True])}"
    )
