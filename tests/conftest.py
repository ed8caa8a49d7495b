"""Suite-wide test isolation: offline, and no test touches the real data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
