"""LangChain's standard retriever contract (langchain-tests) for GuidelineRetriever."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.config import Settings
from assistant.retrieval.langchain import GuidelineRetriever

pytestmark = pytest.mark.integration


class TestGuidelineRetriever(RetrieversIntegrationTests):
    _settings: Settings | None = None

    @pytest.fixture(autouse=True)
    def _use_index(self, indexed_settings: Settings) -> None:
        type(self)._settings = indexed_settings

    @property
    def retriever_constructor(self) -> type[GuidelineRetriever]:
        return GuidelineRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        assert self._settings is not None
        return {"settings": self._settings}

    @property
    def retriever_query_example(self) -> str:
        return "oral or intramuscular vitamin B12 for pernicious anaemia"
